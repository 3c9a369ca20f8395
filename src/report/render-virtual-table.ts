/**
 * The report pages' virtualised table (replay report: flows; diff report: differing flows or
 * cells): only the rows in view, plus a margin, are in the DOM, so a page of 100K+ rows scrolls
 * and filters freely. Rows have one fixed height and columns fixed widths; a spacer as tall as all
 * rows gives the scroll bar its range, and the drawn rows sit at their offset inside it.
 */

/** Pixels per row: the style's `tr` height and the script's scroll arithmetic must agree. */
const ROW_HEIGHT_PX = 22;

/**
 * The table's markup; the elements' ids start with `prefix`: `-viewport` (the scrolling box),
 * `-head-row` (the header cells), `-body` (the drawn rows).
 */
export function virtualTableHtml(prefix: string): string {
  return `<div id="${prefix}-viewport" class="vt-viewport"><table id="${prefix}-head" class="vt-head"><thead><tr id="${prefix}-head-row"></tr></thead></table><div id="${prefix}-spacer" class="vt-spacer"><table id="${prefix}-table" class="vt-rows"><tbody id="${prefix}-body"></tbody></table></div></div>`;
}

export const VIRTUAL_TABLE_STYLE = `
.vt-viewport { max-height: 480px; overflow: auto; border: 1px solid var(--line); position: relative; }
.vt-head { position: sticky; top: 0; background: var(--bg); z-index: 1; table-layout: fixed; }
.vt-head th { cursor: pointer; border-bottom: 1px solid var(--line); user-select: none; }
.vt-spacer { position: relative; }
.vt-rows { position: absolute; left: 0; table-layout: fixed; }
/* A cell's line box is the row's height (the page's line-height and padding made rows 24.3 px, so drawn rows drifted from where the scroll arithmetic put them). */
.vt-rows tr { height: ${ROW_HEIGHT_PX}px; } .vt-rows td { padding-top: 0; padding-bottom: 0; line-height: ${ROW_HEIGHT_PX}px; }
.vt-rows tr:nth-child(even) { background: var(--row); }
.vt-head th, .vt-rows td { overflow: hidden; text-overflow: ellipsis; }
`;

/**
 * `virtualTable(prefix, cols, widths, onHeadClick, cellClass)` builds the header (one cell per
 * column, `data-column` = its name, a click calls `onHeadClick(columnIndex)`) and returns
 * `show(rows)`: rows are arrays in `cols` order; each drawn `tr` has `data-row` = its index in
 * `rows`; `cellClass(column, value)` gives a cell's class. Needs `el` (PAGE_DOM_HELPERS).
 * Plain ES2017 without template literals: it is spliced into each page's script.
 */
export const VIRTUAL_TABLE_SCRIPT = `  function virtualTable(prefix, cols, widths, onHeadClick, cellClass) {
    var ROW_H = ${ROW_HEIGHT_PX};
    var vp = document.getElementById(prefix + '-viewport'), body = document.getElementById(prefix + '-body');
    var table = document.getElementById(prefix + '-table'), spacer = document.getElementById(prefix + '-spacer');
    var head = document.getElementById(prefix + '-head-row'), total = 0, view = [];
    cols.forEach(function (name, i) {
      var th = el('th', { style: 'width:' + widths[name] + 'px', 'data-column': name }, name);
      th.addEventListener('click', function () { onHeadClick(i); });
      head.appendChild(th); total += widths[name];
    });
    document.getElementById(prefix + '-head').style.width = total + 'px';
    table.style.width = total + 'px';
    spacer.style.width = total + 'px';
    function draw() {
      var first = Math.max(0, Math.floor(vp.scrollTop / ROW_H) - 5), count = Math.ceil(vp.clientHeight / ROW_H) + 10;
      var last = Math.min(view.length, first + count);
      table.style.top = (first * ROW_H) + 'px';
      body.textContent = '';
      for (var i = first; i < last; i++) {
        var r = view[i], tr = el('tr', { 'data-row': i });
        for (var j = 0; j < cols.length; j++) {
          var td = el('td', { style: 'width:' + widths[cols[j]] + 'px' }, r[j] === null ? '' : r[j]);
          var cls = cellClass(cols[j], r[j]);
          if (cls) td.className = cls;
          if (r[j] !== null) td.title = String(r[j]);
          tr.appendChild(td);
        }
        body.appendChild(tr);
      }
    }
    vp.addEventListener('scroll', draw);
    return function show(rows) {
      view = rows;
      spacer.style.height = (rows.length * ROW_H) + 'px';
      vp.scrollTop = 0;
      draw();
    };
  }
`;
