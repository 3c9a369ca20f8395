/**
 * The HTML report in a real headless browser (the npm package's Chromium or $CHROMIUM_PATH,
 * driven by puppeteer-core: scripts/lib/drive-chromium.ts): the page loads with no console errors
 * or exceptions, the heatmap cells and the flow table show the JSON summary's numbers, a filter
 * and a heatmap click change the rows, and a 100K-flow report stays virtualised (only the rows in
 * view are in the DOM). NETPOL_SKIP_BROWSER=1 skips it, and says so.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';
import { browserSkipReason, browserSuiteTitle } from './helpers/skip-browser.js';
import { HeadlessPage } from '../scripts/lib/drive-chromium.js';

const skipReason = browserSkipReason('report-html-browser.test.ts');
const root = mkdtempSync(join(tmpdir(), 'netpol-report-browser-'));
let page: HeadlessPage;

interface Summary {
  flows: { allowed: number; denied: number };
  packets: Record<string, number>;
}

beforeAll(async () => {
  if (skipReason === null) page = await HeadlessPage.open();
}, 60_000);

afterAll(async () => {
  await page?.close();
  rmSync(root, { recursive: true, force: true });
});

async function report(args: readonly string[], name: string): Promise<{ url: string; summary: Summary }> {
  const file = resolve(root, name);
  const run = await runCli(['replay', ...args, '--report', file, '-o', 'json']);
  expect(run.code, run.stderr).toBe(0);
  return { url: pathToFileURL(file).href, summary: JSON.parse(run.stdout) as Summary };
}

const flowCount = (): Promise<string> => page.evaluate<string>("document.getElementById('flow-count').textContent");

describe.skipIf(skipReason !== null)(browserSuiteTitle('replay --report - in a headless browser', skipReason), () => {
  it('report - loads without errors; heatmap, table and counters equal the JSON summary; filters and clicks change the rows', async () => {
    const { url, summary } = await report(['examples/three-tier/capture.pcap', '-f', 'examples/three-tier'], 'three-tier.html');
    await page.goto(url);
    expect(page.consoleErrors).toEqual([]);
    const total = summary.flows.allowed + summary.flows.denied;
    const cells = await page.evaluate<{ allowed: number; denied: number }[]>(
      "Array.prototype.map.call(document.querySelectorAll('#heatmap-body .cell'), function (c) { return { allowed: Number(c.getAttribute('data-allowed')), denied: Number(c.getAttribute('data-denied')) }; })",
    );
    expect(cells.length).toBeGreaterThan(1);
    expect(cells.reduce((s, c) => s + c.allowed, 0)).toBe(summary.flows.allowed);
    expect(cells.reduce((s, c) => s + c.denied, 0)).toBe(summary.flows.denied);
    expect(await flowCount()).toBe(`${total} of ${total} flows`);
    expect(await page.evaluate<number>("document.querySelectorAll('#flow-body tr').length")).toBe(total);
    const counters = await page.evaluate<string>("document.getElementById('counters-check').textContent");
    expect(counters).toBe(`the categories add up to the records read (${summary.packets['total']})`);

    // A filter: denied flows only.
    await page.evaluate("(function () { var s = document.getElementById('filter-verdict'); s.value = 'denied'; s.dispatchEvent(new Event('change')); })()");
    expect(await flowCount()).toBe(`${summary.flows.denied} of ${total} flows`);
    const verdicts = await page.evaluate<string[]>("Array.prototype.map.call(document.querySelectorAll('#flow-body tr'), function (r) { return r.children[7].textContent; })");
    expect(new Set(verdicts)).toEqual(new Set(['denied']));
    await page.evaluate("document.getElementById('filter-clear').click()");
    expect(await flowCount()).toBe(`${total} of ${total} flows`);

    // A heatmap click: that cell's flows, and its pods drawn below.
    const clicked = await page.evaluate<{ allowed: number; denied: number; count: string; pods: number }>(
      "(function () { var c = document.querySelector('#heatmap-body .cell'); c.dispatchEvent(new MouseEvent('click', { bubbles: true })); return { allowed: Number(c.getAttribute('data-allowed')), denied: Number(c.getAttribute('data-denied')), count: document.getElementById('flow-count').textContent, pods: document.querySelectorAll('#heatmap-pods .cell').length }; })()",
    );
    expect(clicked.count).toBe(`${clicked.allowed + clicked.denied} of ${total} flows`);
    expect(clicked.pods).toBeGreaterThan(0);

    // Sorting by a column reorders the rows.
    await page.evaluate("document.getElementById('filter-clear').click(); document.querySelector('th[data-column=\"dropped\"]').click(); document.querySelector('th[data-column=\"dropped\"]').click()");
    const dropped = await page.evaluate<number[]>("Array.prototype.map.call(document.querySelectorAll('#flow-body tr'), function (r) { return Number(r.children[14].textContent); })");
    expect(dropped).toEqual([...dropped].sort((a, b) => b - a));
    expect(page.consoleErrors).toEqual([]);
  }, 60_000);

  it('report - 100K flows: only the rows in view are in the DOM, and filtering still works', async () => {
    const dir = join(root, 'big');
    const pcap = join(root, 'big.pcap');
    const synth = await runCli(['synth', '--seed', '5', '--pods', '300', '--namespaces', '8', '--policies', '60', '-o', dir, '--flows', '103000', '--packets-per-flow', '1', '--openers-only', '--deny-share', '0.2', '--pcap', pcap]);
    expect(synth.code, synth.stderr).toBe(0);
    const { url, summary } = await report([pcap, '-f', dir], 'big.html');
    const total = summary.flows.allowed + summary.flows.denied;
    expect(total).toBeGreaterThanOrEqual(100_000);
    await page.goto(url);
    expect(page.consoleErrors).toEqual([]);
    expect(await flowCount()).toBe(`${total} of ${total} flows`);
    expect(await page.evaluate<number>("document.querySelectorAll('#flow-body tr').length")).toBeLessThan(60);
    await page.evaluate("(function () { var v = document.getElementById('flow-viewport'); v.scrollTop = 50000 * 22; v.dispatchEvent(new Event('scroll')); })()");
    const first = await page.evaluate<number>("Number(document.querySelector('#flow-body tr').getAttribute('data-row'))");
    expect(first).toBeGreaterThan(49_000);
    await page.evaluate("(function () { var s = document.getElementById('filter-verdict'); s.value = 'denied'; s.dispatchEvent(new Event('change')); })()");
    expect(await flowCount()).toBe(`${summary.flows.denied} of ${total} flows`);
    expect(page.consoleErrors).toEqual([]);
  }, 180_000);
});
