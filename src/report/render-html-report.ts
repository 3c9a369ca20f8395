/**
 * The replay's HTML report (`replay --report FILE.html`): one self-contained file — the data as
 * JSON in a script element, hand-written SVG and a small script, no network access, light and
 * dark colour schemes. Hand-written SVG rather than a charting library: two charts (a heatmap
 * and stacked bars) are ~100 lines, and a bundled library would be most of the file's weight.
 *
 * Sections: the run's facts and counters; a namespace × namespace heatmap of flows (click a cell:
 * its pod × pod heatmap, and the flow table filtered to it); allowed/dropped packets over capture
 * time with timeline events; the flow table (sortable, filterable, virtualised: only the rows in
 * view are in the DOM, so 100K+ flows scroll freely); the policy view (rule coverage).
 */
import type { CoverageReport } from '../replay/rule-coverage.js';
import type { ReplaySummary } from '../replay/summarize.js';
import { FLOW_COLUMNS, INTERNED_COLUMNS, type FlowRow, type MatrixCell, type ReportCollector } from './collect-report-data.js';
import { VIRTUAL_TABLE_SCRIPT, VIRTUAL_TABLE_STYLE, virtualTableHtml } from './render-virtual-table.js';

export interface ReportData {
  readonly title: string;
  readonly summary: ReplaySummary;
  readonly cluster: { readonly namespaces: number; readonly pods: number; readonly policies: number; readonly adminPolicies: number; readonly services: number };
  /** [src, dst, allowedFlows, deniedFlows, packets, dropped] */
  readonly namespaceMatrix: readonly (readonly [string, string, ...MatrixCell])[];
  readonly podMatrix: readonly (readonly [string, string, ...MatrixCell])[];
  readonly timeline: ReturnType<ReportCollector['timeline']['toJSON']>;
  readonly flowColumns: readonly string[];
  /** Columns of `flows` holding an index into `strings` (-1: null). */
  readonly internedColumns: readonly string[];
  readonly strings: readonly string[];
  readonly flows: readonly FlowRow[];
  readonly flowsNotListed: number;
  readonly coverage: CoverageReport | null;
}

function matrix(map: ReadonlyMap<string, MatrixCell>): [string, string, ...MatrixCell][] {
  return [...map.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, cell]) => {
      const [src, dst] = key.split('\n') as [string, string];
      return [src, dst, ...cell];
    });
}

export function reportData(title: string, summary: ReplaySummary, cluster: ReportData['cluster'], collector: ReportCollector, coverage: CoverageReport | null): ReportData {
  return {
    title,
    summary,
    cluster,
    namespaceMatrix: matrix(collector.namespaces),
    podMatrix: matrix(collector.pods),
    timeline: collector.timeline.toJSON(),
    flowColumns: FLOW_COLUMNS,
    internedColumns: INTERNED_COLUMNS,
    strings: collector.strings,
    flows: collector.rows,
    flowsNotListed: collector.flowsNotListed,
    coverage,
  };
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}

/** Data as JSON for a `<script type="application/json">` element. */
export function embedJson(data: unknown): string {
  // JSON inside <script>: only "</" (and U+2028/2029 for old parsers) need escaping.
  return JSON.stringify(data).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

export function renderHtmlReport(data: ReportData): string {
  const json = embedJson(data);
  return `${pageHead(data.title, STYLE)}
<body>
<header><h1>netpol-emu replay report</h1><p id="subtitle"></p></header>
<nav><a href="#facts">Run</a> <a href="#heatmap">Namespaces</a> <a href="#timeline">Over time</a> <a href="#flows">Flows</a> <a href="#policies">Policies</a></nav>
<section id="facts"><h2>Run</h2><div id="facts-body"></div></section>
<section id="heatmap"><h2>Namespace to namespace</h2>
<p class="hint">Rows: source, columns: destination. Each cell: flows allowed / denied (green: all allowed, red: all denied). Click a cell for its pods and its flows.</p>
<div id="heatmap-body" class="chart"></div><div id="heatmap-pods" class="chart"></div></section>
<section id="timeline"><h2>Verdicts over capture time</h2><div id="timeline-body" class="chart"></div></section>
<section id="flows"><h2>Flows</h2>
<div class="filters">
<label>verdict <select id="filter-verdict"><option value="">any</option><option value="allowed">allowed</option><option value="denied">denied</option></select></label>
<label>namespace <select id="filter-namespace"><option value="">any</option></select></label>
<label>reason <select id="filter-reason"><option value="">any</option></select></label>
<label>rule or policy <input id="filter-rule" type="search" placeholder="text in rule or policy"></label>
<span id="filter-cell"></span>
<button id="filter-clear" type="button">clear filters</button>
</div>
<p id="flow-count"></p>
${virtualTableHtml('flow')}
</section>
<section id="policies"><h2>Policies and rules</h2><div id="policies-body"></div></section>
<script type="application/json" id="report-data">${json}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

/** The pages' shared style sheet (also used by the matrix and diff reports). */
/**
 * DOM helpers every report page's script uses (el: an HTML element with attributes and text;
 * svgEl: the same in the SVG namespace, which needs \`SVG\` in scope), spliced into each script.
 */
export const PAGE_DOM_HELPERS = `  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function svgEl(tag, attrs, text) {
    var e = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = String(text);
    return e;
  }
`;

/** The start of every report page, up to and including </head>: one file, no network, dark mode. */
export function pageHead(title: string, style: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(title)}</title>
<style>${style}</style>
</head>`;
}

export const STYLE = `
:root { --fg: #1b1f24; --bg: #ffffff; --muted: #5c6670; --line: #d5dae0; --allow: #2da44e; --deny: #cf222e; --mixed: #d4a72c; --accent: #0969da; --row: #f6f8fa; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --muted: #8b949e; --line: #30363d; --allow: #3fb950; --deny: #f85149; --mixed: #d29922; --accent: #58a6ff; --row: #161b22; } }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1400px; padding: 0 1.5rem 3rem; font: 14px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
h1 { font-size: 1.5rem; margin: 1.2rem 0 0.2rem; } h2 { font-size: 1.15rem; border-bottom: 1px solid var(--line); padding-bottom: 0.3rem; margin-top: 2rem; }
nav a { color: var(--accent); margin-right: 1rem; } .hint, #subtitle, #flow-count { color: var(--muted); }
table { border-collapse: collapse; } td, th { padding: 2px 8px; text-align: left; white-space: nowrap; }
.kv td:first-child { color: var(--muted); } .num { text-align: right; font-variant-numeric: tabular-nums; }
.facts { display: flex; gap: 2.5rem; flex-wrap: wrap; align-items: flex-start; }
.chart svg { max-width: 100%; height: auto; } .chart text { fill: var(--fg); font-size: 11px; }
.cell { cursor: pointer; stroke: var(--line); } .cell:hover, .cell.selected { stroke: var(--accent); stroke-width: 2px; }
.filters { display: flex; gap: 1rem; flex-wrap: wrap; align-items: center; margin: 0.5rem 0; }
select, input, button { font: inherit; color: var(--fg); background: var(--bg); border: 1px solid var(--line); border-radius: 4px; padding: 2px 6px; }
${VIRTUAL_TABLE_STYLE.trim()}
.allowed { color: var(--allow); } .denied { color: var(--deny); }
.unused td { color: var(--muted); } .unused td.rule::after { content: "  matched nothing"; color: var(--deny); }
.chip { border: 1px solid var(--accent); border-radius: 10px; padding: 0 8px; }
`;

// Plain ES2017, no template literals (this text is itself inside one).
const SCRIPT = `
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var S = data.summary;
  var SVG = 'http://www.w3.org/2000/svg';
  var COLS = data.flowColumns;
  var C = {}; COLS.forEach(function (name, i) { C[name] = i; });
  // Decode the interned columns once (collect-report-data.ts INTERNED_COLUMNS).
  (function () {
    var cols = data.internedColumns.map(function (name) { return C[name]; }), strings = data.strings;
    data.flows.forEach(function (r) { cols.forEach(function (j) { r[j] = r[j] < 0 ? null : strings[r[j]]; }); });
  })();
  var WIDTHS = { src: 130, sport: 70, dst: 130, dport: 60, protocol: 90, srcPod: 220, dstPod: 220, verdict: 80, reason: 190, policy: 200, rule: 330, state: 100, forward: 70, reply: 60, dropped: 70, bytes: 80, firstSeen: 230, lastSeen: 230, service: 160 };
  var NUMERIC = { sport: 1, dport: 1, forward: 1, reply: 1, dropped: 1, bytes: 1 };

${PAGE_DOM_HELPERS}${VIRTUAL_TABLE_SCRIPT}  function kvTable(rows) {
    var t = el('table', { 'class': 'kv' });
    rows.forEach(function (r) { var tr = el('tr'); tr.appendChild(el('td', null, r[0])); tr.appendChild(el('td', { 'class': typeof r[1] === 'number' ? 'num' : '' }, r[1])); t.appendChild(tr); });
    return t;
  }
  function nsOf(pod) { return pod ? pod.split('/')[0] : '(external)'; }

  // ---- facts
  document.getElementById('subtitle').textContent = S.capture.source + ' \\u2014 engine ' + S.engine + ', CNI profile ' + S.profile;
  (function () {
    var box = el('div', { 'class': 'facts' });
    box.appendChild(kvTable([
      ['capture', S.capture.source], ['format', S.capture.format || '-'], ['records', S.capture.records], ['read', S.capture.end],
      ['first packet', S.capture.firstPacket || '-'], ['last packet', S.capture.lastPacket || '-'],
      ['engine', S.engine], ['CNI profile', S.profile],
      ['namespaces', data.cluster.namespaces], ['pods', data.cluster.pods], ['NetworkPolicies', data.cluster.policies],
      ['admin policies', data.cluster.adminPolicies], ['Services', data.cluster.services],
      ['flows allowed', S.flows.allowed], ['flows denied', S.flows.denied]
    ]));
    var t = el('table', { id: 'packet-counters' });
    var head = el('tr'); ['category', 'packets', 'bytes'].forEach(function (h) { head.appendChild(el('th', null, h)); }); t.appendChild(head);
    var sum = 0;
    Object.keys(S.packets).forEach(function (k) {
      if (k === 'total') return;
      sum += S.packets[k];
      var tr = el('tr', { 'data-category': k }); tr.appendChild(el('td', null, k)); tr.appendChild(el('td', { 'class': 'num' }, S.packets[k])); tr.appendChild(el('td', { 'class': 'num' }, S.bytes[k])); t.appendChild(tr);
    });
    var total = el('tr'); total.appendChild(el('th', null, 'total')); total.appendChild(el('th', { 'class': 'num' }, S.packets.total)); total.appendChild(el('th', { 'class': 'num' }, S.bytes.total)); t.appendChild(total);
    var check = el('p', { id: 'counters-check' }, sum === S.packets.total ? 'the categories add up to the records read (' + sum + ')' : 'categories sum to ' + sum + ', not ' + S.packets.total);
    var right = el('div'); right.appendChild(t); right.appendChild(check);
    box.appendChild(right);
    document.getElementById('facts-body').appendChild(box);
  })();

  // ---- heatmaps
  function heatmap(container, cells, title, onClick) {
    container.textContent = '';
    if (cells.length === 0) { container.appendChild(el('p', { 'class': 'hint' }, 'no flows')); return; }
    var rows = [], cols = [];
    cells.forEach(function (c) { if (rows.indexOf(c[0]) < 0) rows.push(c[0]); if (cols.indexOf(c[1]) < 0) cols.push(c[1]); });
    rows.sort(); cols.sort();
    var size = 46, left = 12 + 7 * Math.max.apply(null, rows.map(function (r) { return r.length; })), top = 16 + 5 * Math.max.apply(null, cols.map(function (r) { return r.length; }));
    var max = Math.max.apply(null, cells.map(function (c) { return c[2] + c[3]; }));
    var svg = svgEl('svg', { width: left + cols.length * size + top + 10, height: top + rows.length * size + 10, role: 'img', 'aria-label': title });
    rows.forEach(function (r, i) { svg.appendChild(svgEl('text', { x: left - 6, y: top + i * size + size / 2 + 4, 'text-anchor': 'end' }, r)); });
    cols.forEach(function (c, j) { var x = left + j * size + size / 2; svg.appendChild(svgEl('text', { x: x, y: top - 6, transform: 'rotate(-45 ' + x + ' ' + (top - 6) + ')' }, c)); });
    cells.forEach(function (c) {
      var i = rows.indexOf(c[0]), j = cols.indexOf(c[1]);
      var allowed = c[2], denied = c[3];
      var color = denied === 0 ? 'var(--allow)' : allowed === 0 ? 'var(--deny)' : 'var(--mixed)';
      var opacity = 0.25 + 0.75 * Math.log(1 + allowed + denied) / Math.log(1 + max);
      var g = svgEl('g', {});
      var rect = svgEl('rect', { 'class': 'cell', x: left + j * size, y: top + i * size, width: size - 2, height: size - 2, fill: color, 'fill-opacity': opacity.toFixed(2),
        'data-src': c[0], 'data-dst': c[1], 'data-allowed': allowed, 'data-denied': denied, 'data-packets': c[4], 'data-dropped': c[5] });
      rect.appendChild(svgEl('title', {}, c[0] + ' \\u2192 ' + c[1] + ': ' + allowed + ' allowed, ' + denied + ' denied flows; ' + c[4] + ' packets, ' + c[5] + ' dropped'));
      rect.addEventListener('click', function () { onClick(c, rect); });
      g.appendChild(rect);
      g.appendChild(svgEl('text', { x: left + j * size + size / 2 - 1, y: top + i * size + size / 2 + 3, 'text-anchor': 'middle', 'pointer-events': 'none' }, allowed + '/' + denied));
      svg.appendChild(g);
    });
    container.appendChild(el('h3', null, title));
    container.appendChild(svg);
  }
  function showNamespaces() {
    heatmap(document.getElementById('heatmap-body'), data.namespaceMatrix, 'namespaces (flows allowed/denied)', function (c, rect) {
      Array.prototype.forEach.call(document.querySelectorAll('#heatmap-body .cell.selected'), function (r) { r.classList.remove('selected'); });
      rect.classList.add('selected');
      var pods = data.podMatrix.filter(function (p) { return nsOfEnd(p[0]) === c[0] && nsOfEnd(p[1]) === c[1]; });
      heatmap(document.getElementById('heatmap-pods'), pods, 'pods of ' + c[0] + ' \\u2192 ' + c[1], function (p) { setCell({ src: p[0], dst: p[1], pods: true }); });
      setCell({ src: c[0], dst: c[1], pods: false });
    });
  }
  // A pod-matrix end is ns/pod, or an address for what is not a pod.
  function nsOfEnd(end) { return end.indexOf('/') > 0 && end.indexOf(':') < 0 ? end.split('/')[0] : '(external)'; }
  showNamespaces();

  // ---- timeline
  (function () {
    var T = data.timeline, box = document.getElementById('timeline-body');
    if (T.start === null || T.allowed.length === 0) { box.appendChild(el('p', { 'class': 'hint' }, 'no policed packets')); return; }
    var n = T.allowed.length, w = Math.max(3, Math.min(12, Math.floor(960 / n))), h = 180, left = 50, top = 10;
    var max = 1; for (var i = 0; i < n; i++) max = Math.max(max, T.allowed[i] + T.dropped[i]);
    var svg = svgEl('svg', { width: left + n * w + 20, height: top + h + 40, role: 'img', 'aria-label': 'packets allowed and dropped per interval' });
    svg.appendChild(svgEl('text', { x: left - 6, y: top + 8, 'text-anchor': 'end' }, max));
    svg.appendChild(svgEl('text', { x: left - 6, y: top + h, 'text-anchor': 'end' }, 0));
    for (var b = 0; b < n; b++) {
      var a = T.allowed[b], d = T.dropped[b], ha = h * a / max, hd = h * d / max;
      var label = (T.width * b).toFixed(3) + ' s: ' + a + ' allowed, ' + d + ' dropped packets';
      var ra = svgEl('rect', { x: left + b * w, y: top + h - ha, width: w - 1, height: ha, fill: 'var(--allow)', 'class': 'bar-allowed', 'data-packets': a }); ra.appendChild(svgEl('title', {}, label)); svg.appendChild(ra);
      var rd = svgEl('rect', { x: left + b * w, y: top + h - ha - hd, width: w - 1, height: hd, fill: 'var(--deny)', 'class': 'bar-dropped', 'data-packets': d }); rd.appendChild(svgEl('title', {}, label)); svg.appendChild(rd);
    }
    (S.timeline || []).forEach(function (e) {
      var at = Date.parse(e.appliedAt) / 1000 - T.start, x = left + (at / T.width) * w;
      var line = svgEl('line', { x1: x, x2: x, y1: top, y2: top + h, stroke: 'var(--accent)', 'stroke-dasharray': '4 3', 'class': 'event' });
      line.appendChild(svgEl('title', {}, e.event)); svg.appendChild(line);
    });
    svg.appendChild(svgEl('text', { x: left, y: top + h + 16 }, '0 s'));
    svg.appendChild(svgEl('text', { x: left + n * w, y: top + h + 16, 'text-anchor': 'end' }, (T.width * n).toFixed(3) + ' s'));
    svg.appendChild(svgEl('text', { x: left, y: top + h + 34 }, 'one bar = ' + (T.width * 1000).toPrecision(3) + ' ms; green allowed, red dropped' + ((S.timeline || []).length ? '; dashed: timeline events' : '')));
    box.appendChild(svg);
  })();

  // ---- flow table
  var rows = data.flows, view = rows, sortCol = -1, sortDir = 1, cell = null;
  var fVerdict = document.getElementById('filter-verdict'), fNs = document.getElementById('filter-namespace'), fReason = document.getElementById('filter-reason'), fRule = document.getElementById('filter-rule');
  (function () {
    var nss = {}, reasons = {};
    rows.forEach(function (r) { nss[nsOf(r[C.srcPod])] = 1; nss[nsOf(r[C.dstPod])] = 1; reasons[r[C.reason]] = 1; });
    Object.keys(nss).sort().forEach(function (n) { fNs.appendChild(el('option', { value: n }, n)); });
    Object.keys(reasons).sort().forEach(function (n) { fReason.appendChild(el('option', { value: n }, n)); });
  })();
  var show = virtualTable('flow', COLS, WIDTHS, function (i) { if (sortCol === i) sortDir = -sortDir; else { sortCol = i; sortDir = 1; } apply(); },
    function (name, v) { return name === 'verdict' ? v : NUMERIC[name] ? 'num' : ''; });
  function setCell(c) {
    cell = c;
    var chip = document.getElementById('filter-cell');
    chip.textContent = '';
    if (c) chip.appendChild(el('span', { 'class': 'chip' }, c.src + ' \\u2192 ' + c.dst));
    apply();
  }
  function endName(pod, address) { return pod || address; }
  function apply() {
    var v = fVerdict.value, ns = fNs.value, reason = fReason.value, text = fRule.value.toLowerCase();
    view = rows.filter(function (r) {
      if (v && r[C.verdict] !== v) return false;
      if (ns && nsOf(r[C.srcPod]) !== ns && nsOf(r[C.dstPod]) !== ns) return false;
      if (reason && r[C.reason] !== reason) return false;
      if (text && String(r[C.rule] || '').toLowerCase().indexOf(text) < 0 && String(r[C.policy] || '').toLowerCase().indexOf(text) < 0) return false;
      if (cell) {
        if (cell.pods) { if (endName(r[C.srcPod], r[C.src]) !== cell.src || endName(r[C.dstPod], r[C.dst]) !== cell.dst) return false; }
        else if (nsOf(r[C.srcPod]) !== cell.src || nsOf(r[C.dstPod]) !== cell.dst) return false;
      }
      return true;
    });
    if (sortCol >= 0) {
      var k = sortCol;
      view = view.slice().sort(function (a, b) { var x = a[k], y = b[k]; if (x === y) return 0; if (x === null) return 1; if (y === null) return -1; return (x < y ? -1 : 1) * sortDir; });
    }
    document.getElementById('flow-count').textContent = view.length + ' of ' + rows.length + ' flows' + (data.flowsNotListed ? ' (' + data.flowsNotListed + ' more flows are counted in the charts but not listed)' : '');
    show(view);
  }
  [fVerdict, fNs, fReason].forEach(function (s) { s.addEventListener('change', apply); });
  fRule.addEventListener('input', apply);
  document.getElementById('filter-clear').addEventListener('click', function () { fVerdict.value = ''; fNs.value = ''; fReason.value = ''; fRule.value = ''; document.getElementById('heatmap-pods').textContent = ''; setCell(null); });
  apply();

  // ---- policies (rule coverage)
  (function () {
    var box = document.getElementById('policies-body'), cov = data.coverage;
    if (!cov) { box.appendChild(el('p', { 'class': 'hint' }, 'no coverage in this report')); return; }
    var matched = cov.rules.filter(function (r) { return r.flows > 0; }).length;
    box.appendChild(el('p', { id: 'coverage-line' }, matched + ' of ' + cov.rules.length + ' allow rules matched allowed traffic; ' + cov.unmatchedPolicies.length + ' policies with allow rules matched nothing; ' + (cov.pods.length - cov.unreachedPods.length) + ' of ' + cov.pods.length + ' pods reached by an allowed flow.'));
    var t = el('table', { id: 'coverage-rules' });
    var head = el('tr'); ['rule', 'flows', 'packets', 'decided flows', 'decided packets'].forEach(function (h) { head.appendChild(el('th', null, h)); }); t.appendChild(head);
    cov.rules.forEach(function (r) {
      var tr = el('tr', r.flows === 0 ? { 'class': 'unused' } : null);
      tr.appendChild(el('td', { 'class': 'rule' }, r.rule));
      [r.flows, r.packets, r.firstFlows, r.firstPackets].forEach(function (n) { tr.appendChild(el('td', { 'class': 'num' }, n)); });
      t.appendChild(tr);
    });
    box.appendChild(t);
    function list(title, items) {
      if (!items.length) return;
      box.appendChild(el('h3', null, title));
      var ul = el('ul'); items.forEach(function (i) { ul.appendChild(el('li', null, i)); }); box.appendChild(ul);
    }
    list('Policies whose rules matched nothing', cov.unmatchedPolicies);
    list('Policies without allow rules (isolation only)', cov.isolationOnlyPolicies);
    list('Pods no allowed flow reached', cov.unreachedPods);
  })();
})();
`;
