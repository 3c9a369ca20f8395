/**
 * Two chart shapes as self-contained SVG text (no script, no remote font or stylesheet: the
 * files render the same on GitHub, in a browser and offline): lines over a numeric x axis
 * (linear or log) and grouped bars over categories. Deterministic output for the same data, so
 * regenerated charts diff only where numbers changed.
 */

export interface LineSeries {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
  /** Dashed: a reference (e.g. ideal linear scaling). */
  readonly dashed?: boolean;
}

export interface BarSeries {
  readonly name: string;
  /** One per category; null: no bar. */
  readonly values: readonly (number | null)[];
}

interface Frame {
  readonly title: string;
  readonly subtitle?: string;
  readonly xLabel: string;
  readonly yLabel: string;
}

const WIDTH = 680;
const HEIGHT = 420;
const PAD = { left: 78, right: 170, top: 58, bottom: 56 } as const;
/** Colour-blind-safe palette (Okabe & Ito 2008). */
const COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];

const esc = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const num = (x: number): string => (Math.round(x * 10) / 10).toString();

/** Compact tick text: 1.5M, 250K, 0.8, 12. */
export function formatTick(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${trim(v / 1e9)}G`;
  if (a >= 1e6) return `${trim(v / 1e6)}M`;
  if (a >= 1e3) return `${trim(v / 1e3)}K`;
  return trim(v);
}
function trim(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) < 10 ? 2 : 1).replace(/\.?0+$/, '');
}

interface Axis {
  readonly at: (v: number) => number;
  readonly ticks: readonly number[];
}

function linearAxis(lo: number, hi: number, from: number, to: number): Axis {
  const span = hi - lo || 1;
  const raw = span / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw);
  const start = Math.floor(lo / step) * step;
  const end = Math.ceil(hi / step) * step;
  const ticks: number[] = [];
  for (let t = start; t <= end + step / 1e6; t += step) ticks.push(Number(t.toPrecision(12)));
  return { at: (v) => from + ((v - start) / (end - start || 1)) * (to - from), ticks };
}

function logAxis(lo: number, hi: number, from: number, to: number): Axis {
  const a = Math.floor(Math.log10(lo));
  const b = Math.ceil(Math.log10(hi));
  const ticks: number[] = [];
  for (let e = a; e <= b; e++) ticks.push(10 ** e);
  const span = b - a || 1;
  return { at: (v) => from + ((Math.log10(v) - a) / span) * (to - from), ticks };
}

function frame(f: Frame, x: Axis, y: Axis, xText: (v: number) => string, yText: (v: number) => string): string[] {
  const out: string[] = [];
  const right = WIDTH - PAD.right;
  const bottom = HEIGHT - PAD.bottom;
  out.push(`<rect x="0" y="0" width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`);
  out.push(`<text x="${PAD.left}" y="24" font-size="16" font-weight="bold">${esc(f.title)}</text>`);
  if (f.subtitle) out.push(`<text x="${PAD.left}" y="42" font-size="11" fill="#555555">${esc(f.subtitle)}</text>`);
  for (const t of y.ticks) {
    const py = num(y.at(t));
    out.push(`<line x1="${PAD.left}" y1="${py}" x2="${right}" y2="${py}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${PAD.left - 6}" y="${py}" font-size="11" text-anchor="end" dominant-baseline="middle">${esc(yText(t))}</text>`);
  }
  for (const t of x.ticks) {
    const px = num(x.at(t));
    out.push(`<line x1="${px}" y1="${bottom}" x2="${px}" y2="${bottom + 4}" stroke="#333333"/>`);
    out.push(`<text x="${px}" y="${bottom + 17}" font-size="11" text-anchor="middle">${esc(xText(t))}</text>`);
  }
  out.push(`<line x1="${PAD.left}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="#333333"/>`);
  out.push(`<line x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${bottom}" stroke="#333333"/>`);
  out.push(`<text x="${(PAD.left + right) / 2}" y="${HEIGHT - 14}" font-size="12" text-anchor="middle">${esc(f.xLabel)}</text>`);
  out.push(`<text x="16" y="${(PAD.top + bottom) / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 16 ${(PAD.top + bottom) / 2})">${esc(f.yLabel)}</text>`);
  return out;
}

function legend(names: readonly { name: string; dashed?: boolean }[], swatch: 'line' | 'box'): string[] {
  const x = WIDTH - PAD.right + 14;
  return names.flatMap((s, i) => {
    const y = PAD.top + 8 + i * 20;
    const color = COLORS[i % COLORS.length] as string;
    const mark = swatch === 'line'
      ? `<line x1="${x}" y1="${y}" x2="${x + 20}" y2="${y}" stroke="${color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/>`
      : `<rect x="${x + 4}" y="${y - 6}" width="12" height="12" fill="${color}"/>`;
    return [mark, `<text x="${x + 26}" y="${y}" font-size="11" dominant-baseline="middle">${esc(s.name)}</text>`];
  });
}

function svg(body: readonly string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="DejaVu Sans, Arial, Helvetica, sans-serif">\n${body.join('\n')}\n</svg>\n`;
}

export function lineChart(f: Frame & { readonly series: readonly LineSeries[]; readonly xLog?: boolean; readonly yLog?: boolean; readonly yFromZero?: boolean; readonly xText?: (v: number) => string; readonly yText?: (v: number) => string }): string {
  const xs = f.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = f.series.flatMap((s) => s.points.map((p) => p[1]));
  if (xs.length === 0) throw new Error(`chart "${f.title}": no data`);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const x = f.xLog ? logAxis(x0, x1, PAD.left, WIDTH - PAD.right) : linearAxis(x0, x1, PAD.left, WIDTH - PAD.right);
  const y = f.yLog ? logAxis(y0, y1, HEIGHT - PAD.bottom, PAD.top) : linearAxis(f.yFromZero === false ? y0 : Math.min(0, y0), y1, HEIGHT - PAD.bottom, PAD.top);
  const body = frame(f, x, y, f.xText ?? formatTick, f.yText ?? formatTick);
  f.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length] as string;
    const pts = s.points.map((p) => `${num(x.at(p[0]))},${num(y.at(p[1]))}`);
    body.push(`<polyline fill="none" stroke="${color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="5 4"' : ''} points="${pts.join(' ')}"/>`);
    if (!s.dashed) for (const p of pts) body.push(`<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="3.5" fill="${color}"/>`);
  });
  body.push(...legend(f.series, 'line'));
  return svg(body);
}

export function barChart(f: Frame & { readonly categories: readonly string[]; readonly series: readonly BarSeries[]; readonly yText?: (v: number) => string; readonly labels?: boolean }): string {
  const values = f.series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  if (values.length === 0) throw new Error(`chart "${f.title}": no data`);
  const y = linearAxis(0, Math.max(...values), HEIGHT - PAD.bottom, PAD.top);
  const left = PAD.left;
  const right = WIDTH - PAD.right;
  const slot = (right - left) / f.categories.length;
  const x: Axis = { at: (v) => left + slot * (v + 0.5), ticks: f.categories.map((_, i) => i) };
  const body = frame(f, x, y, (v) => f.categories[v] ?? '', f.yText ?? formatTick);
  const barWidth = (slot * 0.75) / f.series.length;
  f.series.forEach((s, si) => {
    const color = COLORS[si % COLORS.length] as string;
    s.values.forEach((v, ci) => {
      if (v === null) return;
      const bx = left + slot * ci + slot * 0.125 + barWidth * si;
      const by = y.at(v);
      body.push(`<rect x="${num(bx)}" y="${num(by)}" width="${num(barWidth - 2)}" height="${num(HEIGHT - PAD.bottom - by)}" fill="${color}"/>`);
      if (f.labels !== false) body.push(`<text x="${num(bx + (barWidth - 2) / 2)}" y="${num(by - 4)}" font-size="10" text-anchor="middle">${esc((f.yText ?? formatTick)(v))}</text>`);
    });
  });
  body.push(...legend(f.series, 'box'));
  return svg(body);
}
