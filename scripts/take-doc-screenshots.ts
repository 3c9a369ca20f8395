/**
 * The docs' screenshots of the HTML reports, from the bundled example (examples/three-tier):
 *
 *   npm run docs:screenshots     # builds, then writes docs/report-*.png
 *
 * Each page is written by the real CLI (dist/src/bin.js, run from the repository root so the
 * pages show the paths a reader types), opened in the browser the browser tests use
 * (scripts/lib/drive-chromium.ts: the npm package's Chromium, or $CHROMIUM_PATH), and captured at
 * a fixed window size in the light colour scheme. A page that logs an error fails the run.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { HeadlessPage } from './lib/drive-chromium.js';

// dist/scripts/take-doc-screenshots.js → the repository root.
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(ROOT, 'dist', 'src', 'bin.js');
const execFileAsync = promisify(execFile);

interface Shot {
  readonly png: `docs/${string}.png`;
  /** The command, without --report (added), as typed in the repository root. */
  readonly args: readonly string[];
  readonly width: number;
  readonly height: number;
  /** Run in the page before the screenshot (a click that shows a detail). */
  readonly prepare?: string;
}

const SHOTS: readonly Shot[] = [
  { png: 'docs/report-three-tier.png', args: ['replay', 'examples/three-tier/capture.pcap', '-f', 'examples/three-tier'], width: 1300, height: 1900 },
  {
    png: 'docs/report-matrix-three-tier.png',
    args: ['matrix', '-f', 'examples/three-tier', '--probe', '80/TCP', '--probe', '53/UDP'],
    width: 1300,
    height: 1420,
    // A denied cell clicked: the page says why (the flow reason and each direction's verdict).
    prepare: "document.querySelector('.mcell[data-from=\"app1-ns/db-sts-0\"][data-to=\"app1-ns/backend-5f8b6\"]').dispatchEvent(new MouseEvent('click', { bubbles: true }))",
  },
  { png: 'docs/report-diff-three-tier.png', args: ['diff', 'examples/three-tier/capture.pcap', '-f', 'examples/three-tier', '--left-cni', 'calico', '--right-cni', 'flannel'], width: 1300, height: 1000 },
  {
    png: 'docs/report-diff-matrix-three-tier.png',
    args: ['diff', '--matrix', '-f', 'examples/three-tier', '--probe', '80/TCP', '--probe', '53/UDP', '--left-cni', 'calico', '--right-cni', 'cilium'],
    width: 1300,
    height: 1000,
  },
];

async function writeReport(args: readonly string[], html: string): Promise<void> {
  try {
    await execFileAsync(process.execPath, [CLI, ...args, '--report', html], { cwd: ROOT });
  } catch (error) {
    // diff exits 1 when the sides differ, which is what these pages show; the page must exist.
    const code = (error as { code?: unknown }).code;
    if (code !== 1) throw error;
  }
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'netpol-doc-screenshots-'));
  const page = await HeadlessPage.open();
  try {
    await page.page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);
    for (const shot of SHOTS) {
      const html = join(work, `${shot.png.slice('docs/'.length, -'.png'.length)}.html`);
      await writeReport(shot.args, html);
      await page.page.setViewport({ width: shot.width, height: shot.height });
      await page.goto(pathToFileURL(html).href);
      if (shot.prepare) await page.evaluate(shot.prepare);
      if (page.consoleErrors.length) throw new Error(`${shot.png}: the page logged errors: ${page.consoleErrors.join('; ')}`);
      await page.screenshot(join(ROOT, shot.png) as `${string}.png`);
      process.stdout.write(`${relative(process.cwd(), join(ROOT, shot.png))}  netpol-emu ${shot.args.join(' ')} --report …\n`);
    }
  } finally {
    await page.close();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`take-doc-screenshots: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
