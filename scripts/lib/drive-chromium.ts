/**
 * A headless Chromium for the report pages: the browser tests (test/report-*-browser.test.ts) and
 * the docs' screenshots (scripts/take-doc-screenshots.ts), driven by puppeteer-core.
 *
 * The browser is $CHROMIUM_PATH when set, else the one inside the npm package @sparticuz/chromium
 * (a devDependency pinned by package-lock.json): `npm ci` brings it like any other package, with
 * no apt package, no install script and no download. Its brotli-packed binary is unpacked once
 * per package version into node_modules/.cache (about 2 s).
 *
 * Versions (package.json): @sparticuz/chromium 147.0.0 ships Chromium 147.0.7727 and is the last
 * release whose engines accept Node 20 (148+ ask for Node >= 22.17); puppeteer-core 24.42.0 is
 * the release built for Chrome 147.0.7727 (its revisions.ts), and 25.x asks for Node >= 22.12.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import puppeteer, { type Browser, type Page, type ScreenshotOptions } from 'puppeteer-core';

/**
 * Flags for a machine whose network is closed and whose tests run as root. Puppeteer adds its own
 * defaults (some repeat these); they are spelled out so that no version change drops one.
 */
const CHROMIUM_FLAGS = [
  // Root cannot use Chromium's setuid/namespace sandbox; the pages are the project's own files.
  '--no-sandbox',
  '--disable-gpu',
  // /dev/shm is small in containers; Chromium falls back to /tmp with this.
  '--disable-dev-shm-usage',
  // Without these Chromium reaches for Google's hosts at start (component updates, sync,
  // first-run, field trials over QUIC); on a closed network those connections are refused.
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--disable-domain-reliability',
  '--no-pings',
  '--no-first-run',
  '--no-default-browser-check',
];

const execFileAsync = promisify(execFile);

/** The browser to launch: $CHROMIUM_PATH, else the npm package's, unpacked on first use. */
export async function chromiumExecutable(): Promise<string> {
  const named = process.env['CHROMIUM_PATH'];
  if (named) {
    if (!existsSync(named)) throw new Error(`CHROMIUM_PATH=${named}: no such file`);
    return named;
  }
  return unpackNpmChromium();
}

/**
 * @sparticuz/chromium unpacks into os.tmpdir() and reuses whatever `chromium` it finds there, of
 * any version. So it runs in a child process whose TMPDIR is a fresh directory, which is then
 * renamed to a name with the package version: the rename is atomic, so test files starting
 * together each unpack in their own directory and the first rename wins.
 */
async function unpackNpmChromium(): Promise<string> {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('@sparticuz/chromium');
  // entry: node_modules/@sparticuz/chromium/build/cjs/index.cjs
  const packageDir = dirname(dirname(dirname(entry)));
  const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string };
  const cacheRoot = join(dirname(dirname(packageDir)), '.cache');
  const target = join(cacheRoot, `sparticuz-chromium-${version}`);
  const executable = join(target, 'chromium');
  if (existsSync(executable)) return executable;
  mkdirSync(cacheRoot, { recursive: true });
  const staging = mkdtempSync(`${target}.unpacking-`);
  try {
    const script = `import(${JSON.stringify(pathToFileURL(entry).href)}).then((m) => m.default.executablePath()).then((p) => process.stdout.write(p))`;
    const { stdout } = await execFileAsync(process.execPath, ['-e', script], { env: { ...process.env, TMPDIR: staging } });
    if (stdout !== join(staging, 'chromium')) throw new Error(`@sparticuz/chromium unpacked to ${stdout}, not into ${staging}`);
    try {
      renameSync(staging, target);
    } catch (error) {
      // Another process renamed its copy first: use that one.
      if (!existsSync(executable)) throw error;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return executable;
}

/** One browser with one page; collects the page's console errors, exceptions and failed requests. */
export class HeadlessPage {
  readonly consoleErrors: string[] = [];

  private constructor(
    private readonly browser: Browser,
    readonly page: Page,
    private readonly profile: string,
  ) {
    page.on('console', (message) => {
      // Puppeteer reports the browser's log entries (failed loads, CSP) as console messages too.
      if (message.type() === 'error') this.consoleErrors.push(`console.error: ${message.text()} ${message.location().url ?? ''}`);
    });
    page.on('pageerror', (error) => this.consoleErrors.push(`exception: ${error instanceof Error ? error.message : String(error)}`));
    page.on('requestfailed', (request) => this.consoleErrors.push(`request failed: ${request.url()} ${request.failure()?.errorText ?? ''}`));
  }

  /** A fresh profile directory each time: no state carried between runs. */
  static async open(viewport = { width: 1280, height: 900 }): Promise<HeadlessPage> {
    const executablePath = await chromiumExecutable();
    const profile = mkdtempSync(join(tmpdir(), 'netpol-chromium-'));
    try {
      const browser = await puppeteer.launch({ executablePath, headless: true, pipe: true, userDataDir: profile, args: CHROMIUM_FLAGS, defaultViewport: viewport });
      const page = await browser.newPage();
      // The 100K-flow page takes a while to parse on a loaded 2-core machine; the test's own timeout bounds it.
      page.setDefaultNavigationTimeout(0);
      return new HeadlessPage(browser, page, profile);
    } catch (error) {
      rmSync(profile, { recursive: true, force: true });
      throw error;
    }
  }

  async goto(url: string): Promise<void> {
    await this.page.goto(url, { waitUntil: 'load' });
  }

  /** The value of a JavaScript expression in the page (JSON-serialisable; a promise is awaited). */
  async evaluate<T>(expression: string): Promise<T> {
    return (await this.page.evaluate(expression)) as T;
  }

  async screenshot(path: `${string}.png`, options: Omit<ScreenshotOptions, 'path'> = {}): Promise<void> {
    await this.page.screenshot({ ...options, path });
  }

  async close(): Promise<void> {
    try {
      await this.browser.close();
    } finally {
      // The browser's helper processes may still be writing its profile for a moment.
      rmSync(this.profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    }
  }
}
