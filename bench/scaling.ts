/**
 * Multi-core scaling (issue 21): the whole `replay --workers N` process for N = 1…MAX, per
 * traffic kind, so "linear up to the reader" can be checked on any machine.
 *
 *   npm run bench:scaling                  # 1…max(2, cores) workers, 1K pods / 200 policies
 *   npm run bench:scaling -- --max=8       # up to 8 workers
 *   npm run bench:scaling -- --smoke       # tiny sizes: keeps the harness working in CI
 *
 * For each traffic kind — new connections (every packet opens one), mixed (handshakes, data,
 * replies, closes) and mixed with `--flows` — with `--conntrack-max` above the largest capture's
 * connections (no early drop, so N workers do exactly the work of one) it times the CLI on a small and a large capture
 * and takes the marginal rate (start-up and load cancel out; as bench/e2e.ts), then speed-up =
 * rate(N) / rate(1) and efficiency = speed-up / N. Each timing is the median of REPEAT runs,
 * the N alternating inside each repetition so a load change on a shared machine hits all N alike.
 * Prints a Markdown table and writes bench/results/scaling.json (scaling-smoke.json).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SMOKE = process.argv.includes('--smoke');
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'dist/src/bin.js');
const REPEAT = SMOKE ? 1 : 3;
const maxArg = process.argv.find((a) => a.startsWith('--max='));
const MAX = maxArg ? Number(maxArg.slice('--max='.length)) : Math.max(2, availableParallelism());
const PODS = SMOKE ? 200 : 1_000;
const POLICIES = SMOKE ? 40 : 200;
/** Flows in the small and large captures per kind (new: 1 packet each; mixed: ~8.6). */
const FLOWS: Readonly<Record<'new' | 'mixed', readonly [number, number]>> = {
  new: SMOKE ? [2_000, 10_000] : [100_000, 500_000],
  mixed: SMOKE ? [500, 2_000] : [25_000, 125_000],
};

/**
 * Room for every connection of the largest capture: at the default limit one worker early-drops
 * on every SYN of the 500K-connection capture while N workers with the whole limit each do not
 * (the results then differ and N looks faster than it is; README, "Multi-core replay").
 */
const CONNTRACK_MAX = 1_000_000;

const KINDS = ['new connections', 'mixed', 'mixed --flows'] as const;
type Kind = (typeof KINDS)[number];

function run(args: readonly string[]): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`netpol-emu ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function packets(capture: string, cluster: string): number {
  const r = spawnSync(process.execPath, [BIN, 'replay', capture, '-f', cluster, '-o', 'json', '--workers', '1'], { encoding: 'utf8', maxBuffer: 256 << 20 });
  return (JSON.parse(r.stdout) as { capture: { records: number } }).capture.records;
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

interface Point {
  readonly workers: number;
  readonly seconds: readonly [number, number];
  readonly pps: number;
  readonly speedup: number;
  readonly efficiency: number;
}

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), 'npe-scaling-'));
  try {
    const shape = ['--seed', '11', '--pods', String(PODS), '--policies', String(POLICIES)];
    const cluster = join(dir, 'cluster');
    const synth = (args: readonly string[]): void => {
      const r = spawnSync(process.execPath, [BIN, 'synth', ...shape, ...args], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`synth: ${r.stderr}`);
    };
    synth(['-o', cluster]);
    const capture = (name: string, flows: number, extra: readonly string[]): string => {
      const path = join(dir, `${name}-${flows}.pcap`);
      synth(['--flows', String(flows), '--pcap', path, ...extra]);
      return path;
    };
    const caps: Record<Kind, readonly [string, string]> = {
      'new connections': [capture('new', FLOWS.new[0], ['--openers-only', '--flow-rate', '20000']), capture('new', FLOWS.new[1], ['--openers-only', '--flow-rate', '20000'])],
      mixed: [capture('mixed', FLOWS.mixed[0], []), capture('mixed', FLOWS.mixed[1], [])],
      'mixed --flows': [join(dir, `mixed-${FLOWS.mixed[0]}.pcap`), join(dir, `mixed-${FLOWS.mixed[1]}.pcap`)],
    };
    // The cache is warmed by the packet count below: every timed run starts the same way.
    const cacheDir = join(dir, 'cache');
    const workerCounts = Array.from({ length: MAX }, (_, i) => i + 1);
    const results: { kind: Kind; packets: readonly [number, number]; points: Point[] }[] = [];
    for (const kind of KINDS) {
      const [small, large] = caps[kind];
      const count: [number, number] = [packets(small, cluster), packets(large, cluster)];
      const extra = kind === 'mixed --flows' ? ['--flows', join(dir, 'flows.jsonl')] : [];
      const times = new Map<number, { small: number[]; large: number[] }>(workerCounts.map((n) => [n, { small: [], large: [] }]));
      for (let r = 0; r < REPEAT; r++) {
        for (const n of workerCounts) {
          const args = (cap: string): string[] => ['replay', cap, '-f', cluster, '-o', 'json', '--cache', cacheDir, '--conntrack-max', String(CONNTRACK_MAX), '--workers', String(n), ...extra];
          times.get(n)?.small.push(run(args(small)));
          times.get(n)?.large.push(run(args(large)));
        }
      }
      const points: Point[] = [];
      for (const n of workerCounts) {
        const t = times.get(n) as { small: number[]; large: number[] };
        const seconds: [number, number] = [median(t.small), median(t.large)];
        const pps = (count[1] - count[0]) / (seconds[1] - seconds[0]);
        const base = points[0]?.pps ?? pps;
        points.push({ workers: n, seconds, pps, speedup: pps / base, efficiency: pps / base / n });
      }
      results.push({ kind, packets: count, points });
      process.stderr.write(`${kind}: ${points.map((p) => `${p.workers}w ${(p.pps / 1e6).toFixed(2)} Mpps (${p.speedup.toFixed(2)}×)`).join(', ')}\n`);
    }
    const lines = ['| traffic | workers | marginal pps | speed-up | efficiency |', '|---|---:|---:|---:|---:|'];
    for (const r of results) {
      for (const p of r.points) lines.push(`| ${p.workers === 1 ? r.kind : ''} | ${p.workers} | ${(p.pps / 1e6).toFixed(2)} M | ${p.speedup.toFixed(2)}× | ${(100 * p.efficiency).toFixed(0)} % |`);
    }
    const table = lines.join('\n');
    process.stdout.write(`${table}\n`);
    const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: availableParallelism(), memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
    const outDir = join(ROOT, 'bench/results');
    mkdirSync(outDir, { recursive: true });
    const out = { date: new Date().toISOString(), machine, pods: PODS, policies: POLICIES, conntrackMax: CONNTRACK_MAX, repeat: REPEAT, results, table };
    writeFileSync(join(outDir, SMOKE ? 'scaling-smoke.json' : 'scaling.json'), `${JSON.stringify(out, null, 2)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
