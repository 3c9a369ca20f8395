/**
 * The matrix and diff HTML reports in a real headless browser (scripts/lib/drive-chromium.ts, as
 * test/report-html-browser.test.ts): each page loads with no console errors, shows as many cells
 * or rows as the command's JSON, and a filter or a click changes what is shown.
 * NETPOL_SKIP_BROWSER=1 skips it, and says so.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';
import { browserSkipReason, browserSuiteTitle } from './helpers/skip-browser.js';
import { HeadlessPage } from '../scripts/lib/drive-chromium.js';

const skipReason = browserSkipReason('report-matrix-diff-html-browser.test.ts');
const root = mkdtempSync(join(tmpdir(), 'netpol-report2-browser-'));
let page: HeadlessPage;

beforeAll(async () => {
  if (skipReason === null) page = await HeadlessPage.open();
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

describe.skipIf(skipReason !== null)(browserSuiteTitle('matrix and diff --report - in a headless browser', skipReason), () => {
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

  it('diff report - capture: the table has the differing flows of the JSON; the verdict-change and text filters and a sort change the rows', async () => {
    const { url, json, code } = await report<{ compared: number; differences: { srcPod: string | null }[]; reasonOnly: unknown[] }>(
      ['diff', 'examples/three-tier/capture.pcap', '-f', 'examples/three-tier', '--left-cni', 'calico', '--right-cni', 'flannel'],
      'diff.html',
    );
    expect(code).toBe(1);
    await page.goto(url);
    expect(page.consoleErrors).toEqual([]);
    const total = json.differences.length + json.reasonOnly.length;
    expect(json.differences.length).toBeGreaterThan(1);
    expect(await count('#diff-body tr')).toBe(total);
    expect(await page.evaluate<string>("document.getElementById('row-count').textContent")).toBe(`${total} of ${total} flows`);
    expect(await page.evaluate<string>("document.getElementById('diff-counts').textContent")).toBe(
      `flows compared: ${json.compared}; verdict differs: ${json.differences.length}; same verdict, other reason: ${json.reasonOnly.length}`,
    );
    await change('filter-kind', 'verdict');
    expect(await count('#diff-body tr')).toBe(json.differences.length);
    await change('filter-change', 'denied \u2192 allowed');
    expect(await count('#diff-body tr')).toBe(json.differences.length);
    // Only the changes present are offered (flannel enforces nothing: every verdict change is to allowed).
    expect(await page.evaluate<string[]>("Array.prototype.map.call(document.querySelectorAll('#filter-change option'), function (o) { return o.value; })")).toContain('denied \u2192 allowed');
    await page.evaluate("document.getElementById('filter-clear').click()");
    // Text filter: one source pod's flows.
    const pod = json.differences.find((d) => d.srcPod !== null)?.srcPod as string;
    await page.evaluate(`(function () { var t = document.getElementById('filter-text'); t.value = ${JSON.stringify(pod)}; t.dispatchEvent(new Event('input')); })()`);
    const shown = await count('#diff-body tr');
    expect(shown).toBeGreaterThan(0);
    expect(shown).toBeLessThan(total);
    await page.evaluate("document.getElementById('filter-clear').click(); document.querySelector('th[data-column=\"dport\"]').click(); document.querySelector('th[data-column=\"dport\"]').click()");
    const ports = await page.evaluate<number[]>("Array.prototype.map.call(document.querySelectorAll('#diff-body tr'), function (r) { return Number(r.children[4].textContent); })");
    expect(ports).toEqual([...ports].sort((a, b) => b - a));
    expect(page.consoleErrors).toEqual([]);
  }, 60_000);

  it('diff report - thousands of differing flows: only the rows in view are in the DOM, scrolling draws the others, sorting reaches every row', async () => {
    const dir = join(root, 'big');
    const pcap = join(root, 'big.pcap');
    const synth = await runCli(['synth', '--seed', '7', '--pods', '150', '--namespaces', '6', '--policies', '40', '-o', dir, '--flows', '8000', '--packets-per-flow', '1', '--openers-only', '--deny-share', '0.6', '--pcap', pcap]);
    expect(synth.code, synth.stderr).toBe(0);
    // ICMP flows have no ports (null; an empty cell on the page).
    type Flow = { src: string; sport: number | null; dst: string; dport: number | null };
    const { url, json, code } = await report<{ differences: Flow[]; reasonOnly: Flow[] }>(['diff', pcap, '-f', dir, '--left-cni', 'calico', '--right-cni', 'flannel'], 'diff-big.html');
    expect(code).toBe(1);
    const flows = [...json.differences, ...json.reasonOnly];
    const total = flows.length;
    expect(total).toBeGreaterThan(2000);
    await page.goto(url);
    expect(page.consoleErrors).toEqual([]);
    expect(await page.evaluate<string>("document.getElementById('row-count').textContent")).toBe(`${total} of ${total} flows`);

    // The rows drawn: [data-row, src, sport, dst, dport] as the cells' text, and whether the row at
    // data-row `at` is what the viewport shows at that row's height (not clipped, not under the header;
    // the viewport is first brought into the window, as elementFromPoint sees only the window).
    type Drawn = [number, string, string, string, string];
    const drawn = (at: number): Promise<{ rows: Drawn[]; inView: boolean; where: unknown }> =>
      page.evaluate(
        `(function () { var box = document.getElementById('diff-viewport'); box.scrollIntoView({ block: 'start' });
          var vp = box.getBoundingClientRect(), tr = document.querySelector('#diff-body tr[data-row="${at}"]'), r = tr && tr.getBoundingClientRect();
          var hit = r && document.elementFromPoint(vp.left + 20, r.top + r.height / 2);
          return { rows: Array.prototype.map.call(document.querySelectorAll('#diff-body tr'), function (t) { var c = t.children; return [Number(t.getAttribute('data-row')), c[1].textContent, c[2].textContent, c[3].textContent, c[4].textContent]; }),
            inView: !!hit && hit.closest('tr') === tr && r.top >= vp.top && r.bottom <= vp.bottom,
            where: { viewport: [vp.top, vp.bottom], row: r ? [r.top, r.bottom] : null, hit: hit ? hit.outerHTML.slice(0, 80) : null, window: innerHeight } }; })()`,
      );
    const text = (port: number | null | undefined): string => (port === null || port === undefined ? '' : String(port));
    const expectRowsOfJson = (rows: Drawn[], order: readonly Flow[]): void => {
      for (const [i, src, sport, dst, dport] of rows) expect([src, sport, dst, dport]).toEqual([order[i]?.src, text(order[i]?.sport), order[i]?.dst, text(order[i]?.dport)]);
    };
    const top = await drawn(0);
    expect(top.rows.length).toBeGreaterThan(10);
    expect(top.rows.length).toBeLessThan(60);
    expect(top.rows[0]?.[0]).toBe(0);
    expect(top.inView, JSON.stringify(top.where)).toBe(true);
    expectRowsOfJson(top.rows, flows);

    // Scroll to the middle: other rows replace the first ones, and they are where the viewport shows.
    const middle = Math.floor(total / 2);
    await page.evaluate(`(function () { var v = document.getElementById('diff-viewport'); v.scrollTop = ${middle} * 22; v.dispatchEvent(new Event('scroll')); })()`);
    const mid = await drawn(middle);
    expect(mid.rows.length).toBeLessThan(60);
    expect(mid.rows.map((r) => r[0])).toContain(middle);
    expect(mid.rows.map((r) => r[0])).not.toContain(0);
    expect(mid.inView, JSON.stringify(mid.where)).toBe(true);
    expectRowsOfJson(mid.rows, flows);

    // Sorting by destination port, descending (no port last): the first rows carry the largest
    // ports, the last row (scrolled to the end) the last of that order.
    await page.evaluate("document.querySelector('th[data-column=\"dport\"]').click(); document.querySelector('th[data-column=\"dport\"]').click()");
    const numbered = flows.map((f) => f.dport).filter((p): p is number => p !== null);
    const ports = [...numbered.sort((a, b) => b - a), ...flows.filter((f) => f.dport === null).map(() => null)].map(text);
    const sortedTop = await drawn(0);
    expect(sortedTop.rows.map((r) => r[4])).toEqual(ports.slice(0, sortedTop.rows.length));
    await page.evaluate(`(function () { var v = document.getElementById('diff-viewport'); v.scrollTop = v.scrollHeight; v.dispatchEvent(new Event('scroll')); })()`);
    const end = await drawn(total - 1);
    expect(end.inView, JSON.stringify(end.where)).toBe(true);
    expect(end.rows.at(-1)?.[0]).toBe(total - 1);
    expect(end.rows.at(-1)?.[4]).toBe(ports.at(-1));
    expect(page.consoleErrors).toEqual([]);
  }, 180_000);

  it('diff report - matrix: heatmap cells and table rows equal the JSON cells; a cell click filters the table', async () => {
    const { url, json, code } = await report<{ cells: { probe: string; from: string; to: string }[] }>(
      ['diff', '--matrix', '-f', 'examples/three-tier', '--probe', '80/TCP', '--probe', '53/UDP', '--left-cni', 'calico', '--right-cni', 'cilium'],
      'diff-matrix.html',
    );
    expect(code).toBe(1);
    await page.goto(url);
    expect(page.consoleErrors).toEqual([]);
    expect(await count('.dcell')).toBe(json.cells.length);
    expect(await count('#diff-body tr')).toBe(json.cells.length);
    const clicked = await page.evaluate<string[]>(
      "(function () { var c = document.querySelector('.dcell'); c.dispatchEvent(new MouseEvent('click', { bubbles: true })); return Array.prototype.map.call(document.querySelectorAll('#diff-body tr'), function (r) { return r.children[0].textContent + ' ' + r.children[1].textContent + ' ' + r.children[2].textContent; }).concat([c.getAttribute('data-probe') + ' ' + c.getAttribute('data-from') + ' ' + c.getAttribute('data-to')]); })()",
    );
    expect(clicked).toHaveLength(2);
    expect(clicked[0]).toBe(clicked[1]);
    await page.evaluate("document.getElementById('filter-clear').click()");
    expect(await count('#diff-body tr')).toBe(json.cells.length);
    expect(page.consoleErrors).toEqual([]);
  }, 60_000);
});
