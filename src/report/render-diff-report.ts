/**
 * `diff --report FILE.html`: one self-contained page with what `diff -o json` prints, embedded as
 * is (so the page and the JSON cannot disagree), and shown as the counts, a sortable, filterable
 * table (capture: each flow whose verdict differs or whose reason/rule differs, with both sides'
 * verdict, reason and rule; matrix: each differing cell), and for `--matrix` a heatmap per probe
 * of the differing cells (click one: its row). Same page machinery as the replay report
 * (render-html-report.ts), its virtualised table among it (render-virtual-table.ts): a diff of
 * two CNIs on a large capture has as many rows as the capture has denied flows.
 */
import type { FlowDiff } from './diff-flows.js';
import { PAGE_DOM_HELPERS, STYLE, embedJson, escapeHtml, pageHead } from './render-html-report.js';
import { VIRTUAL_TABLE_SCRIPT, virtualTableHtml } from './render-virtual-table.js';

export interface MatrixCellDifference {
  readonly probe: string;
  readonly from: string;
  readonly to: string;
  readonly left: boolean | null;
  readonly right: boolean | null;
}

/** `result` is exactly the object `diff -o json` prints. */
export type DiffReportData =
  | { readonly title: string; readonly mode: 'capture'; readonly capture: string; readonly result: { readonly left: string; readonly right: string } & FlowDiff }
  | { readonly title: string; readonly mode: 'matrix'; readonly probes: readonly string[]; readonly result: { readonly left: string; readonly right: string; readonly cells: readonly MatrixCellDifference[] } };

export function renderDiffReport(data: DiffReportData): string {
  return `${pageHead(data.title, STYLE + DIFF_STYLE)}
<body>
<header><h1>netpol-emu diff</h1><p id="subtitle">${escapeHtml(data.title)}</p></header>
<section id="facts"><h2>Sides</h2><div id="facts-body"></div><p id="diff-counts"></p></section>
<section id="heatmap"${data.mode === 'matrix' ? '' : ' hidden'}><h2>Cells that differ, per probe</h2>
<p class="hint">Rows: source pod, columns: destination pod (only pods with a differing cell). Red: allowed on the left, denied on the right; green: denied on the left, allowed on the right; grey: the pod is on one side only. Click a cell for its row.</p>
<div id="heatmap-body"></div></section>
<section id="differences"><h2>${data.mode === 'matrix' ? 'Differing cells' : 'Differing flows'}</h2>
<div class="filters">
<label id="kind-label"${data.mode === 'matrix' ? ' hidden' : ''}>difference <select id="filter-kind"><option value="">any</option><option value="verdict">verdict differs</option><option value="reason">same verdict, other reason or rule</option></select></label>
<label>${data.mode === 'matrix' ? 'probe' : 'verdict change'} <select id="filter-change"><option value="">any</option></select></label>
<label>text <input id="filter-text" type="search" placeholder="${data.mode === 'matrix' ? 'pod or probe' : 'pod, address, reason or rule'}"></label>
<span id="filter-cell"></span>
<button id="filter-clear" type="button">clear filters</button>
</div>
<p id="row-count"></p>
${virtualTableHtml('diff')}
</section>
<script type="application/json" id="report-data">${embedJson(data)}</script>
<script>${DIFF_SCRIPT}</script>
</body>
</html>
`;
}

const DIFF_STYLE = `
.absent { color: var(--muted); }
.dcell { cursor: pointer; stroke: var(--bg); } .dcell:hover, .dcell.selected { stroke: var(--accent); stroke-width: 2px; }
`;

// Plain ES2017, no template literals (this text is itself inside one).
const DIFF_SCRIPT = `
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var R = data.result, matrixMode = data.mode === 'matrix';
  var SVG = 'http://www.w3.org/2000/svg';
${PAGE_DOM_HELPERS}${VIRTUAL_TABLE_SCRIPT}  function cellText(v) { return v === null ? 'absent' : v ? 'allowed' : 'denied'; }

  // ---- facts and counts
  (function () {
    var t = el('table', { 'class': 'kv' });
    var rows = [['left', R.left], ['right', R.right]];
    if (matrixMode) rows.push(['probes', data.probes.join(', ')]); else rows.unshift(['capture', data.capture]);
    rows.forEach(function (r) { var tr = el('tr'); tr.appendChild(el('td', null, r[0])); tr.appendChild(el('td', null, r[1])); t.appendChild(tr); });
    document.getElementById('facts-body').appendChild(t);
    document.getElementById('diff-counts').textContent = matrixMode
      ? 'cells that differ: ' + R.cells.length
      : 'flows compared: ' + R.compared + '; verdict differs: ' + R.differences.length + '; same verdict, other reason: ' + R.reasonOnly.length;
  })();

  // ---- rows: one array per row, in COLS order
  var COLS, rows;
  function sideCols(s) {
    if (s === null) return ['no such flow', '', ''];
    return [s.verdict, s.reason, s.rule || (s.isolatedBy.length ? 'isolated by ' + s.isolatedBy.join(', ') : '')];
  }
  var WIDTHS = { probe: 90, from: 260, to: 260, left: 90, right: 90, difference: 100, src: 130, sport: 70, dst: 130, dport: 60, protocol: 90, srcPod: 220, dstPod: 220,
    'left verdict': 110, 'left reason': 200, 'left rule': 300, 'right verdict': 110, 'right reason': 200, 'right rule': 300 };
  if (matrixMode) {
    COLS = ['probe', 'from', 'to', 'left', 'right'];
    rows = R.cells.map(function (c) { return [c.probe, c.from, c.to, cellText(c.left), cellText(c.right)]; });
  } else {
    COLS = ['difference', 'src', 'sport', 'dst', 'dport', 'protocol', 'srcPod', 'dstPod', 'left verdict', 'left reason', 'left rule', 'right verdict', 'right reason', 'right rule'];
    rows = [];
    [['verdict', R.differences], ['reason', R.reasonOnly]].forEach(function (group) {
      group[1].forEach(function (d) { rows.push([group[0], d.src, d.sport, d.dst, d.dport, d.protocol, d.srcPod, d.dstPod].concat(sideCols(d.left), sideCols(d.right))); });
    });
  }
  var C = {}; COLS.forEach(function (name, i) { C[name] = i; });
  var fKind = document.getElementById('filter-kind'), fChange = document.getElementById('filter-change'), fText = document.getElementById('filter-text');
  var sortCol = -1, sortDir = 1, cell = null;
  function change(r) { return matrixMode ? r[C.probe] : (r[C['left verdict']] + ' \\u2192 ' + r[C['right verdict']]); }
  (function () {
    var seen = {};
    rows.forEach(function (r) { seen[change(r)] = 1; });
    Object.keys(seen).sort().forEach(function (v) { fChange.appendChild(el('option', { value: v }, v)); });
  })();
  var show = virtualTable('diff', COLS, WIDTHS, function (i) { if (sortCol === i) sortDir = -sortDir; else { sortCol = i; sortDir = 1; } apply(); },
    function (name, v) {
      if (name === 'sport' || name === 'dport') return 'num';
      if (v === 'allowed' || v === 'denied') return v;
      return v === 'absent' || v === 'no such flow' ? 'absent' : '';
    });
  function apply() {
    var kind = fKind.value, ch = fChange.value, text = fText.value.toLowerCase();
    var view = rows.filter(function (r) {
      if (!matrixMode && kind && r[C.difference] !== kind) return false;
      if (ch && change(r) !== ch) return false;
      if (cell && (r[C.probe] !== cell.probe || r[C.from] !== cell.from || r[C.to] !== cell.to)) return false;
      if (text && !r.some(function (v) { return v !== null && String(v).toLowerCase().indexOf(text) >= 0; })) return false;
      return true;
    });
    if (sortCol >= 0) {
      var k = sortCol;
      view = view.slice().sort(function (a, b) { var x = a[k], y = b[k]; if (x === y) return 0; if (x === null) return 1; if (y === null) return -1; return (x < y ? -1 : 1) * sortDir; });
    }
    document.getElementById('row-count').textContent = view.length + ' of ' + rows.length + (matrixMode ? ' cells' : ' flows');
    show(view);
  }
  function setCell(c) {
    cell = c;
    var chip = document.getElementById('filter-cell');
    chip.textContent = '';
    if (c) chip.appendChild(el('span', { 'class': 'chip' }, c.probe + ' ' + c.from + ' \\u2192 ' + c.to));
    apply();
  }
  [fKind, fChange].forEach(function (s) { s.addEventListener('change', apply); });
  fText.addEventListener('input', apply);
  document.getElementById('filter-clear').addEventListener('click', function () {
    fKind.value = ''; fChange.value = ''; fText.value = '';
    Array.prototype.forEach.call(document.querySelectorAll('.dcell.selected'), function (r) { r.classList.remove('selected'); });
    setCell(null);
  });
  apply();

  // ---- matrix mode: a heatmap of the differing cells per probe
  if (matrixMode) {
    var box = document.getElementById('heatmap-body');
    if (R.cells.length === 0) box.appendChild(el('p', { 'class': 'hint' }, 'no cell differs'));
    data.probes.forEach(function (probe) {
      var cells = R.cells.filter(function (c) { return c.probe === probe; });
      if (cells.length === 0) return;
      var froms = [], tos = [];
      cells.forEach(function (c) { if (froms.indexOf(c.from) < 0) froms.push(c.from); if (tos.indexOf(c.to) < 0) tos.push(c.to); });
      froms.sort(); tos.sort();
      var size = 22, longest = function (l) { return Math.max.apply(null, [4].concat(l.map(function (s) { return s.length; }))); };
      var left = 14 + 6.5 * longest(froms), top = 14 + 4.4 * longest(tos);
      var svg = svgEl('svg', { width: left + tos.length * size + top + 10, height: top + froms.length * size + 10, role: 'img', 'aria-label': 'differing cells ' + probe });
      froms.forEach(function (f, r) { svg.appendChild(svgEl('text', { x: left - 6, y: top + r * size + size / 2 + 4, 'text-anchor': 'end' }, f)); });
      tos.forEach(function (t, c) { var x = left + c * size + size / 2; svg.appendChild(svgEl('text', { x: x, y: top - 6, transform: 'rotate(-45 ' + x + ' ' + (top - 6) + ')' }, t)); });
      cells.forEach(function (c) {
        var color = c.left === null || c.right === null ? 'var(--muted)' : c.left ? 'var(--deny)' : 'var(--allow)';
        var rect = svgEl('rect', { 'class': 'dcell', x: left + tos.indexOf(c.to) * size, y: top + froms.indexOf(c.from) * size, width: size - 1, height: size - 1, fill: color,
          'data-probe': c.probe, 'data-from': c.from, 'data-to': c.to, 'data-left': cellText(c.left), 'data-right': cellText(c.right) });
        rect.appendChild(svgEl('title', {}, c.probe + '  ' + c.from + ' \\u2192 ' + c.to + ': left ' + cellText(c.left) + ', right ' + cellText(c.right)));
        rect.addEventListener('click', function () {
          Array.prototype.forEach.call(document.querySelectorAll('.dcell.selected'), function (r) { r.classList.remove('selected'); });
          rect.classList.add('selected');
          setCell(c);
        });
        svg.appendChild(rect);
      });
      box.appendChild(el('h3', null, probe + ' \\u2014 ' + cells.length + ' cells differ'));
      box.appendChild(el('div', { 'class': 'chart' })).appendChild(svg);
    });
  }
})();
`;
