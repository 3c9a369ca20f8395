/**
 * The matrix and diff HTML reports in a real headless browser (Debian's chromium over the
 * DevTools protocol, test/helpers/drive-chromium.ts, as test/report-html-browser.test.ts): each
 * page loads with no console errors, shows as many cells or rows as the command's JSON, and a
 * filter or a click changes what is shown. NETPOL_SKIP_BROWSER=1 skips it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';
import { chromiumPath, HeadlessPage } from './helpers/drive-chromium.js';

const skip = process.env['NETPOL_SKIP_BROWSER'] === '1';
const root = mkdtempSync(join(tmpdir(), 'netpol-report2-browser-'));
let page: HeadlessPage;

beforeAll(async () => {
  if (skip) return;
  const executable = chromiumPath();
  if (executable === null) throw new Error('no chromium found (apt-get install chromium, or set CHROMIUM_PATH; NETPOL_SKIP_BROWSER=1 skips this test)');
  page = await HeadlessPage.open(executable);
}, 60_000);

afterAll(async () => {
  await page?.close();
  rmSync(root, { recursive: true, force: true });
});

/** Runs the command with --report and -o json; the page's URL, the JSON and the exit code. */
async function report<T>(args: readonly string[], name: string): Promise<{ url: string; json: T; code: number }> {
  const file = resolve(root, name);
  const run = await runCli([...args, '-o', 'json', '--report', file]);
  expect(run.stderr).toBe('');
  return { url: pathToFileURL(file).href, json: JSON.parse(run.stdout) as T, code: run.code };
}

const count = (selector: string): Promise<number> => page.evaluate<number>(`document.querySelectorAll(${JSON.stringify(selector)}).length`);
const change = (id: string, value: string): Promise<unknown> =>
  page.evaluate(`(function () { var s = document.getElementById(${JSON.stringify(id)}); s.value = ${JSON.stringify(value)}; s.dispatchEvent(new Event('change')); })()`);

describe.skipIf(skip)('matrix and diff --report - in a headless browser', () => {
  it('matrix report - one heatmap per probe with every cell of -o json; a namespace filter and a denied cell click', async () => {
    const { url, json } = await report<{ pods: string[]; probes: { matrix: Record<string, Record<string, boolean>> }[] }>(
      ['matrix', '-f', 'examples/three-tier', '--probe', '80/TCP', '--probe', '53/UDP'],
      'matrix.html',
    );
    await page.goto(url);
    expect(page.consoleErrors).toEqual([]);
    const n = json.pods.length;
    expect(await count('#matrix-body svg')).toBe(2);
    expect(await count('.mcell')).toBe(2 * n * n);
    const deniedJson = json.probes.reduce((s, p) => s + Object.values(p.matrix).reduce((t, row) => t + Object.values(row).filter((v) => !v).length, 0), 0);
    expect(await count('.mcell[data-allowed="0"]')).toBe(deniedJson);

    // Filter: sources in app1-ns only.
    const inApp = json.pods.filter((p) => p.startsWith('app1-ns/')).length;
    await change('filter-from', 'app1-ns');
    expect(await count('.mcell')).toBe(2 * inApp * n);
    const froms = await page.evaluate<string[]>("Array.prototype.map.call(document.querySelectorAll('.mcell'), function (c) { return c.getAttribute('data-from'); })");
    expect(froms.every((f) => f.startsWith('app1-ns/'))).toBe(true);
    await change('filter-from', '');
    await page.evaluate("(function () { var c = document.getElementById('filter-denied'); c.checked = true; c.dispatchEvent(new Event('change')); })()");
    expect(await count('.mcell')).toBe(deniedJson);
    await page.evaluate("(function () { var c = document.getElementById('filter-denied'); c.checked = false; c.dispatchEvent(new Event('change')); })()");

    // Click a denied cell: from/to, the verdict and why.
    const detail = await page.evaluate<{ from: string; to: string; head: string; verdict: string; reason: string }>(
      "(function () { var c = document.querySelector('.mcell[data-from=\"app1-ns/db-sts-0\"][data-to=\"app1-ns/backend-5f8b6\"]'); c.dispatchEvent(new MouseEvent('click', { bubbles: true })); return { from: c.getAttribute('data-from'), to: c.getAttribute('data-to'), head: document.getElementById('detail-head').textContent, verdict: document.getElementById('detail-verdict').textContent, reason: document.getElementById('detail-reason').textContent }; })()",
    );
    expect(detail.head).toContain('app1-ns/db-sts-0 \u2192 app1-ns/backend-5f8b6');
    expect(detail.verdict).toBe('denied');
    expect(detail.reason).toMatch(/^reason: drop-(egress|ingress)-default-deny$/);
    expect(page.consoleErrors).toEqual([]);
  }, 60_000);
});
