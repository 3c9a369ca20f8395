/**
 * `matrix --report FILE.html`: one self-contained page with a pod × pod heatmap per probe
 * (rows: from, columns: to; pods grouped by namespace), the same truth values as `-o json`, and
 * for every denied cell why: the flow reason and each direction's verdict, as `query` gives it.
 * Same page machinery as the replay report (render-html-report.ts): data as JSON in a script
 * element, hand-written SVG, light and dark colour schemes, no network access.
 */
import { DIRECTION_REASON_TEXT, REASON_NAME, formatRuleRef } from '../../compiler/verdict.js';
import type { DirectionVerdict, FlowEngine } from '../naive/naive-evaluator.js';
import { protocolName } from '../replay/name-protocol.js';
import { pickAddresses } from './pick-addresses.js';
import type { ReachabilityMatrix } from './compute-matrix.js';
import { PAGE_DOM_HELPERS, STYLE, embedJson, escapeHtml, pageHead } from './render-html-report.js';

/**
 * Why a cell is denied: [from index, to index, flow reason, egress verdict, ingress verdict], the
 * texts as indexes into `strings` (they repeat per pod: 300 pods made a 25 MB page spelled out).
 */
export type DeniedCell = [from: number, to: number, reason: number, egress: number, ingress: number];

export interface MatrixReportData {
  readonly title: string;
  readonly facts: readonly (readonly [string, string | number])[];
  /** `namespace/name`, in the order of `-o json`'s `pods`. */
  readonly pods: readonly string[];
  readonly probes: readonly {
    readonly label: string;
    readonly port: number;
    readonly protocol: string;
    /** One string per source pod, one character per destination: `1` allowed, `0` denied (`-o json`'s `matrix[from][to]`). */
    readonly rows: readonly string[];
    readonly denied: readonly DeniedCell[];
  }[];
  readonly strings: readonly string[];
}

function directionText(v: DirectionVerdict): string {
  const where = v.pod ? `at ${v.pod.namespace}/${v.pod.name}` : v.direction === 'egress' ? 'at the source' : 'at the destination';
  const rule = v.rule ? ` (${formatRuleRef(v.rule)})` : '';
  const isolated = v.isolatedBy.length ? `; isolated by ${v.isolatedBy.join(', ')}` : '';
  return `${v.direction} ${where}: ${v.allowed ? 'allowed' : 'DENIED'}, ${DIRECTION_REASON_TEXT[v.reason]}${rule}${isolated}`;
}

/**
 * The page's data. Denied cells are evaluated once more to say why (computeMatrix keeps only the
 * truth value, and its outputs stay as they are); only denied cells, so the cost is at most the
 * matrix's own.
 */
export function matrixReportData(title: string, facts: MatrixReportData['facts'], matrix: ReachabilityMatrix, engine: FlowEngine): MatrixReportData {
  const pods = matrix.pods;
  const strings: string[] = [];
  const index = new Map<string, number>();
  const intern = (text: string): number => {
    let id = index.get(text);
    if (id === undefined) {
      id = strings.length;
      strings.push(text);
      index.set(text, id);
    }
    return id;
  };
  return {
    title,
    facts,
    pods: pods.map((p) => `${p.namespace}/${p.name}`),
    probes: matrix.probes.map(({ probe, allowed }) => {
      const denied: DeniedCell[] = [];
      allowed.forEach((row, i) =>
        row.forEach((ok, j) => {
          if (ok) return;
          const addresses = pickAddresses({ kind: 'pod', pod: pods[i] as (typeof pods)[number] }, { kind: 'pod', pod: pods[j] as (typeof pods)[number] });
          if (!addresses) {
            denied.push([i, j, intern('no-common-ip-family'), intern('the two pods have no IP family in common'), intern('')]);
            return;
          }
          const v = engine.evaluate({ src: addresses.src, dst: addresses.dst, protocol: probe.protocol, dstPort: probe.port });
          denied.push([i, j, intern(REASON_NAME[v.reason]), intern(directionText(v.egress)), intern(directionText(v.ingress))]);
        }),
      );
      return { label: probe.label, port: probe.port, protocol: protocolName(probe.protocol), rows: allowed.map((row) => row.map((ok) => (ok ? '1' : '0')).join('')), denied };
    }),
    strings,
  };
}

export function renderMatrixReport(data: MatrixReportData): string {
  return `${pageHead(data.title, STYLE + MATRIX_STYLE)}
<body>
<header><h1>netpol-emu reachability matrix</h1><p id="subtitle">${escapeHtml(data.title)}</p></header>
<section id="facts"><h2>Run</h2><div id="facts-body"></div></section>
<section id="matrix"><h2>Pod to pod, per probe</h2>
<p class="hint">Rows: source pod, columns: destination pod, grouped by namespace. Green: allowed, red: denied. Hover a cell for from/to; click it for the verdict and, when denied, why.</p>
<div class="filters">
<label>from namespace <select id="filter-from"><option value="">any</option></select></label>
<label>to namespace <select id="filter-to"><option value="">any</option></select></label>
<label><input id="filter-denied" type="checkbox"> denied pairs only</label>
</div>
<p id="matrix-count"></p>
<div id="cell-detail" class="detail"><span class="hint">click a cell</span></div>
<div id="matrix-body"></div>
</section>
<script type="application/json" id="report-data">${embedJson(data)}</script>
<script>${MATRIX_SCRIPT}</script>
</body>
</html>
`;
}

const MATRIX_STYLE = `
.detail { border: 1px solid var(--line); border-radius: 4px; padding: 0.4rem 0.8rem; margin: 0.5rem 0; min-height: 2.4rem; }
.ns-line { stroke: var(--muted); stroke-width: 1.5px; } .ns-label { fill: var(--muted); font-weight: 600; }
#matrix-body .chart { overflow: auto; max-height: 85vh; } #matrix-body .chart svg { max-width: none; }
.mcell { cursor: pointer; stroke: var(--bg); } .mcell:hover, .mcell.selected { stroke: var(--accent); stroke-width: 2px; }
`;

// Plain ES2017, no template literals (this text is itself inside one).
const MATRIX_SCRIPT = `
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var SVG = 'http://www.w3.org/2000/svg';
${PAGE_DOM_HELPERS}  function nsOf(name) { return name.split('/')[0]; }

  // ---- facts
  (function () {
    var t = el('table', { 'class': 'kv' });
    data.facts.forEach(function (r) { var tr = el('tr'); tr.appendChild(el('td', null, r[0])); tr.appendChild(el('td', { 'class': typeof r[1] === 'number' ? 'num' : '' }, r[1])); t.appendChild(tr); });
    document.getElementById('facts-body').appendChild(t);
  })();

  // Display order: by namespace, then name (the data keeps -o json's order).
  var order = data.pods.map(function (_, i) { return i; }).sort(function (a, b) { var x = data.pods[a], y = data.pods[b]; return x < y ? -1 : x > y ? 1 : 0; });
  var fFrom = document.getElementById('filter-from'), fTo = document.getElementById('filter-to'), fDenied = document.getElementById('filter-denied');
  (function () {
    var seen = {};
    order.forEach(function (i) { seen[nsOf(data.pods[i])] = 1; });
    Object.keys(seen).sort().forEach(function (n) { fFrom.appendChild(el('option', { value: n }, n)); fTo.appendChild(el('option', { value: n }, n)); });
  })();
  var S = data.strings;
  data.probes.forEach(function (p) { p.allowed = p.rows.map(function (r) { var out = []; for (var j = 0; j < r.length; j++) out.push(r.charCodeAt(j) === 49); return out; }); });
  var whyByProbe = data.probes.map(function (p) { var m = {}; p.denied.forEach(function (d) { m[d[0] + ' ' + d[1]] = [d[0], d[1], S[d[2]], S[d[3]], S[d[4]]]; }); return m; });

  function showDetail(k, i, j, rect) {
    Array.prototype.forEach.call(document.querySelectorAll('.mcell.selected'), function (r) { r.classList.remove('selected'); });
    rect.classList.add('selected');
    var box = document.getElementById('cell-detail'), p = data.probes[k], ok = p.allowed[i][j];
    box.textContent = '';
    box.appendChild(el('div', { id: 'detail-head' }, p.label + '  ' + data.pods[i] + ' \\u2192 ' + data.pods[j] + ': '));
    box.firstChild.appendChild(el('strong', { 'class': ok ? 'allowed' : 'denied', id: 'detail-verdict' }, ok ? 'allowed' : 'denied'));
    if (ok) { if (i === j) box.appendChild(el('div', null, 'a pod cannot block traffic to itself')); return; }
    var d = whyByProbe[k][i + ' ' + j];
    if (!d) return;
    box.appendChild(el('div', { id: 'detail-reason' }, 'reason: ' + d[2]));
    if (d[3]) box.appendChild(el('div', null, d[3]));
    if (d[4]) box.appendChild(el('div', null, d[4]));
  }

  function draw() {
    var from = fFrom.value, to = fTo.value, deniedOnly = fDenied.checked;
    var body = document.getElementById('matrix-body'), shown = 0, denied = 0;
    body.textContent = '';
    data.probes.forEach(function (p, k) {
      var rows = order.filter(function (i) { return !from || nsOf(data.pods[i]) === from; });
      var cols = order.filter(function (j) { return !to || nsOf(data.pods[j]) === to; });
      if (deniedOnly) {
        rows = rows.filter(function (i) { return cols.some(function (j) { return !p.allowed[i][j]; }); });
        cols = cols.filter(function (j) { return rows.some(function (i) { return !p.allowed[i][j]; }); });
      }
      var size = 20, longest = function (list) { return Math.max.apply(null, [4].concat(list.map(function (i) { return data.pods[i].length; }))); };
      var left = 14 + 6.5 * longest(rows), top = 14 + 4.4 * longest(cols);
      var svg = svgEl('svg', { width: left + cols.length * size + top + 10, height: top + rows.length * size + 10, role: 'img', 'aria-label': 'reachability ' + p.label, 'data-probe': p.label });
      rows.forEach(function (i, r) { svg.appendChild(svgEl('text', { x: left - 6, y: top + r * size + size / 2 + 4, 'text-anchor': 'end' }, data.pods[i])); });
      cols.forEach(function (j, c) { var x = left + c * size + size / 2; svg.appendChild(svgEl('text', { x: x, y: top - 6, transform: 'rotate(-45 ' + x + ' ' + (top - 6) + ')' }, data.pods[j])); });
      var pDenied = 0, pCells = 0;
      rows.forEach(function (i, r) {
        cols.forEach(function (j, c) {
          var ok = p.allowed[i][j];
          if (deniedOnly && ok) return;
          pCells++; if (!ok) pDenied++;
          var rect = svgEl('rect', { 'class': 'mcell', x: left + c * size, y: top + r * size, width: size - 1, height: size - 1, fill: ok ? 'var(--allow)' : 'var(--deny)', 'fill-opacity': i === j ? '0.35' : '0.85',
            'data-probe': p.label, 'data-from': data.pods[i], 'data-to': data.pods[j], 'data-allowed': ok ? '1' : '0' });
          var why = ok ? '' : (whyByProbe[k][i + ' ' + j] || [])[2];
          rect.appendChild(svgEl('title', {}, data.pods[i] + ' \\u2192 ' + data.pods[j] + ' ' + p.label + ': ' + (ok ? 'allowed' : 'denied' + (why ? ' (' + why + ')' : ''))));
          rect.addEventListener('click', function () { showDetail(k, i, j, rect); });
          svg.appendChild(rect);
        });
      });
      // Namespace groups: a line where the namespace changes, its name beside the rows.
      function groups(list) { var out = [], start = 0; list.forEach(function (x, n) { if (n > 0 && nsOf(data.pods[x]) !== nsOf(data.pods[list[n - 1]])) { out.push([start, n]); start = n; } }); if (list.length) out.push([start, list.length]); return out; }
      groups(rows).forEach(function (g, n) { if (n > 0) svg.appendChild(svgEl('line', { 'class': 'ns-line', x1: left - 4, x2: left + cols.length * size, y1: top + g[0] * size - 0.5, y2: top + g[0] * size - 0.5 })); });
      groups(cols).forEach(function (g, n) { if (n > 0) svg.appendChild(svgEl('line', { 'class': 'ns-line', y1: top - 4, y2: top + rows.length * size, x1: left + g[0] * size - 0.5, x2: left + g[0] * size - 0.5 })); });
      shown += pCells; denied += pDenied;
      var h = el('h3', null, p.label + ' \\u2014 ' + (pCells - pDenied) + ' allowed, ' + pDenied + ' denied');
      body.appendChild(h);
      body.appendChild(el('div', { 'class': 'chart' })).appendChild(svg);
    });
    document.getElementById('matrix-count').textContent = shown + ' cells shown, ' + denied + ' denied (' + data.probes.length + (data.probes.length === 1 ? ' probe' : ' probes') + ' \\u00d7 ' + data.pods.length + ' \\u00d7 ' + data.pods.length + ' pods)';
  }
  [fFrom, fTo, fDenied].forEach(function (s) { s.addEventListener('change', draw); });
  draw();
})();
`;
