/**
 * The benchmark charts (issue 21), drawn from the JSON the benchmarks wrote — nothing is
 * measured here, so it takes well under a second:
 *
 *   npm run bench:charts       # bench/results/*.json → docs/charts/*.svg
 *
 * - throughput-vs-cluster-size.svg — bench/results/bench.json (`npm run bench`): in-process
 *   packets/s of the compiled dataplane and the naive evaluator at 100 / 1K / 10K pods;
 * - whole-process-marginal-cost.svg — bench/results/e2e.json (`npm run bench:e2e`): ns per
 *   packet of the whole CLI per traffic kind and cluster size;
 * - memory-per-live-flow.svg — bench.json's conntrack runs: bytes per live entry;
 * - speedup-vs-workers.svg — bench/results/scaling.json (`npm run bench:scaling`).
 *
 * A missing or older results file skips its chart with a note (exit 0); the machine and date
 * each file records go into the chart's subtitle. Then the Markdown tables of README.md and
 * docs/*.md marked `<!-- results: FILE FIELD -->` are rewritten from the same files
 * (write-result-tables.ts): one command regenerates every chart and table.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { barChart, lineChart, type LineSeries } from './draw-svg-chart.js';
import { writeResultTables } from './write-result-tables.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RESULTS = join(ROOT, 'bench/results');
const OUT = join(ROOT, 'docs/charts');

interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly node: string;
}
interface Rate {
  readonly packetsPerSecond?: number;
  readonly pps?: number;
  readonly nsPerPacket: number;
  readonly flowsPerSecond?: number;
}

function read<T>(name: string): T | null {
  const path = join(RESULTS, name);
  if (!existsSync(path)) {
    process.stderr.write(`charts: ${name} not found, its chart is skipped (run the benchmark that writes it)\n`);
    return null;
  }
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

const machineText = (m: Machine | undefined, date?: string): string => (m ? `${m.cpu}, ${m.cores} cores, Node ${m.node}${date ? `, ${date.slice(0, 10)}` : ''}` : '');

function write(name: string, svg: string): void {
  writeFileSync(join(OUT, name), svg);
  process.stderr.write(`charts: wrote docs/charts/${name}\n`);
}

function throughputChart(): void {
  const bench = read<{ date: string; machine: Machine; scales: { pods: number; classify: { compiled: Rate; naive: Rate }; newFlow: { compiled: Rate; naive: Rate }; mixed: { compiled: Rate; naive: Rate } }[] }>('bench.json');
  if (!bench) return;
  const series: LineSeries[] = [];
  for (const engine of ['compiled', 'naive'] as const) {
    for (const [key, label] of [['classify', 'policy decision'], ['newFlow', 'new flows (dataplane)'], ['mixed', 'mixed traffic (dataplane)']] as const) {
      series.push({ name: `${engine}: ${label}`, points: bench.scales.map((s) => [s.pods, s[key][engine].packetsPerSecond ?? 0] as const) });
    }
  }
  write('throughput-vs-cluster-size.svg', lineChart({
    title: 'Packets per second vs cluster size (in process)',
    subtitle: `npm run bench — ${machineText(bench.machine, bench.date)}`,
    xLabel: 'pods (policies = pods / 5)',
    yLabel: 'packets per second (log)',
    xLog: true,
    yLog: true,
    series,
  }));
}

function marginalChart(): void {
  const e2e = read<{ machine: Machine; results: { scale: { name: string; pods: number; policies: number }; compiled: { newConnections: Rate; mixed: Rate; withFlows: Rate }; naive: { newConnections: Rate; mixed: Rate } | null }[] }>('e2e.json');
  if (!e2e) return;
  const categories = e2e.results.map((r) => `${r.scale.pods / 1000}K pods / ${r.scale.policies >= 1000 ? `${r.scale.policies / 1000}K` : r.scale.policies}`);
  const perFlow = (rate: Rate): number | null => (rate.flowsPerSecond ? 1e9 / rate.flowsPerSecond : null);
  const ratios = e2e.results.filter((r) => r.naive).map((r) => `${r.scale.name} ${((r.naive?.newConnections.nsPerPacket ?? 0) / r.compiled.newConnections.nsPerPacket).toFixed(1)}×`);
  write('whole-process-marginal-cost.svg', barChart({
    title: 'Whole process: marginal cost per packet',
    subtitle: `npm run bench:e2e — ${machineText(e2e.machine)}${ratios.length ? `; naive/compiled, new connections: ${ratios.join(', ')}` : ''}`,
    xLabel: 'cluster',
    yLabel: 'ns per packet (compiled engine)',
    categories,
    series: [
      { name: 'new connections', values: e2e.results.map((r) => r.compiled.newConnections.nsPerPacket) },
      { name: 'mixed traffic', values: e2e.results.map((r) => r.compiled.mixed.nsPerPacket) },
      { name: 'new + --flows (per flow)', values: e2e.results.map((r) => perFlow(r.compiled.withFlows)) },
    ],
    yText: (v) => `${Math.round(v)}`,
  }));
}

function memoryChart(): void {
  const bench = read<{ date: string; machine: Machine; conntrack?: { flows: number; bytesPerSlot: number; bytesPerLiveEntry: number }[] }>('bench.json');
  if (!bench?.conntrack) return;
  write('memory-per-live-flow.svg', barChart({
    title: 'Conntrack memory per live flow',
    subtitle: `npm run bench — 64-byte slots, power-of-two capacity — ${machineText(bench.machine, bench.date)}`,
    xLabel: 'live TCP flows',
    yLabel: 'bytes per live entry',
    categories: bench.conntrack.map((c) => c.flows.toLocaleString('en-US')),
    series: [
      { name: 'table bytes / live', values: bench.conntrack.map((c) => c.bytesPerLiveEntry) },
      { name: 'bytes per slot', values: bench.conntrack.map((c) => c.bytesPerSlot) },
    ],
    yText: (v) => `${Math.round(v)}`,
  }));
}

function scalingChart(): void {
  const scaling = read<{ date: string; machine: Machine; pods: number; policies: number; results: { kind: string; points: { workers: number; speedup: number }[] }[] }>('scaling.json');
  if (!scaling || scaling.results.length === 0) return;
  const most = Math.max(...scaling.results.flatMap((r) => r.points.map((p) => p.workers)));
  const series: LineSeries[] = scaling.results.map((r) => ({ name: r.kind, points: r.points.map((p) => [p.workers, p.speedup] as const) }));
  series.push({ name: 'linear', dashed: true, points: [[1, 1], [most, most]] });
  write('speedup-vs-workers.svg', lineChart({
    title: 'replay --workers N: speed-up over one worker',
    subtitle: `npm run bench:scaling — ${scaling.pods} pods / ${scaling.policies} policies — ${machineText(scaling.machine, scaling.date)}`,
    xLabel: 'workers',
    yLabel: 'speed-up (marginal packets/s ÷ one worker)',
    series,
    xText: (v) => (Number.isInteger(v) ? String(v) : ''),
  }));
}

mkdirSync(OUT, { recursive: true });
throughputChart();
marginalChart();
memoryChart();
scalingChart();
// The tables next to the charts, from the same files (bench/write-result-tables.ts).
writeResultTables(ROOT);
