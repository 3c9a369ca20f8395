/**
 * End-to-end benchmark (issue 10): the real CLI as a child process, as a user runs it —
 * process start, load, compile, replay, output — on seeded synthetic clusters and captures.
 *
 *   npm run bench:e2e            # medium (1K pods / 200 policies) and large (10K / 2K), 10M flood
 *   npm run bench:e2e -- --smoke # tiny sizes, seconds: keeps the harness working in CI
 *
 * For each scale and engine it reports:
 * - load: wall time of `replay EMPTY.pcap -f cluster.json` (and .yaml), i.e. process start to
 *   the first packet, and the peak RSS;
 * - the marginal cost per packet: (T(large capture) − T(small capture)) / (packet difference),
 *   so start-up and load cancel out; for new connections (every packet a SYN, DNS query or echo
 *   request: `synth --openers-only`) and mixed traffic (handshakes, data, replies, closes);
 * - with `--flows FILE`: the marginal flows written per second;
 * - the compiled/naive ratio of the marginal rates, measured in the same run.
 * Then the flood: N new connections (default 10M) streamed from `synth` into `replay` through
 * a named pipe, with the replay's peak RSS and whether every packet was accounted for.
 * Then the Hubble row: a `hubble observe -o json` export of N lines (default 10M, `--hubble=N`,
 * bench/write-hubble-export.ts) streamed through a named pipe into `replay --flows-in`: events/s
 * of the whole process, peak RSS, and whether every line was accounted for.
 *
 * Each timing is the median of `REPEAT` runs (best of noise on a shared machine). Prints a
 * Markdown table and writes bench/results/e2e.json (or e2e-smoke.json).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readManifests } from '../src/load/read-manifests.js';

const SMOKE = process.argv.includes('--smoke');
/** `--hubble=N`: lines of the Hubble row's export (0 skips the row). */
const hubbleArg = process.argv.find((a) => a.startsWith('--hubble='));
const HUBBLE_EVENTS = hubbleArg ? Number(hubbleArg.slice('--hubble='.length)) : SMOKE ? 100_000 : 10_000_000;
const floodArg = process.argv.find((a) => a.startsWith('--flood='));
const FLOOD = floodArg ? Number(floodArg.slice('--flood='.length)) : SMOKE ? 200_000 : 10_000_000;
const REPEAT = SMOKE ? 1 : 3;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** `--bin=PATH`: time another build of the CLI (e.g. the previous release) with the same inputs. */
const binArg = process.argv.find((a) => a.startsWith('--bin='));
const BIN = binArg ? binArg.slice('--bin='.length) : join(ROOT, 'dist/src/bin.js');
/** Inputs are always made with this tree's synth, so two builds see the same bytes. */
const SYNTH_BIN = join(ROOT, 'dist/src/bin.js');
const ONLY_COMPILED = process.argv.includes('--compiled-only');
/**
 * `--workers=2,4`: also time `replay --workers N` on the compiled mixed and `--flows` captures
 * (default 2; `--workers=none` skips it, as for a `--bin` build without the option).
 */
const workersArg = process.argv.find((a) => a.startsWith('--workers='))?.slice('--workers='.length);
const WORKERS: readonly number[] = workersArg === 'none' || (workersArg === undefined && binArg) ? [] : (workersArg ?? '2').split(',').map(Number);
const RSS_PRELOAD = join(ROOT, 'bench/report-rss.cjs');

interface Scale {
  readonly name: string;
  readonly pods: number;
  readonly policies: number;
  /** Connections in the small and large new-connection captures (one packet each). */
  readonly newFlows: readonly [number, number];
  /** Flows in the small and large mixed captures (~8.6 packets each). */
  readonly mixedFlows: readonly [number, number];
  /** The naive engine is slow at scale: its captures are scaled down by this factor. */
  readonly naiveDivisor: number;
}

const SCALES: readonly Scale[] = SMOKE
  ? [{ name: 'medium', pods: 300, policies: 60, newFlows: [2_000, 10_000], mixedFlows: [500, 2_000], naiveDivisor: 1 }]
  : [
      { name: 'medium', pods: 1_000, policies: 200, newFlows: [100_000, 500_000], mixedFlows: [25_000, 125_000], naiveDivisor: 4 },
      { name: 'large', pods: 10_000, policies: 2_000, newFlows: [100_000, 500_000], mixedFlows: [25_000, 125_000], naiveDivisor: 20 },
    ];

interface Run {
  readonly seconds: number;
  readonly maxRssBytes: number;
  readonly stdout: string;
}

/**
 * The environment of every run: the compiled-table cache in the benchmark's temporary directory
 * (never the user's), so timed runs after the first read their tables from it as a user's
 * second run would; `COLD_ENV` has no cache directory at all (every run compiles). Builds
 * without a cache ignore both.
 */
let cachedEnv: NodeJS.ProcessEnv = process.env;
const { HOME: _home, XDG_CACHE_HOME: _xdg, ...COLD_ENV } = process.env;

/** Runs the CLI once; wall time from spawn to exit, peak RSS from the preload's report. */
function runCli(args: readonly string[], env: NodeJS.ProcessEnv = cachedEnv): Run {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['-r', RSS_PRELOAD, BIN, ...args], { encoding: 'utf8', maxBuffer: 256 << 20, env });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0) throw new Error(`netpol-emu ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  const rss = /NETPOL_EMU_MAX_RSS (\d+)/.exec(r.stderr);
  return { seconds, maxRssBytes: rss ? Number(rss[1]) : Number.NaN, stdout: r.stdout };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function timed(args: readonly string[], env?: NodeJS.ProcessEnv): Run {
  const runs = Array.from({ length: REPEAT }, () => runCli(args, env));
  const seconds = median(runs.map((r) => r.seconds));
  return { seconds, maxRssBytes: Math.max(...runs.map((r) => r.maxRssBytes)), stdout: runs[0]?.stdout ?? '' };
}

function synth(args: readonly string[]): void {
  const r = spawnSync(process.execPath, [SYNTH_BIN, 'synth', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`synth ${args.join(' ')}: ${r.stderr}`);
}

function packetsOf(run: Run): number {
  return (JSON.parse(run.stdout) as { capture: { records: number } }).capture.records;
}

function flowsOf(run: Run): number {
  const s = JSON.parse(run.stdout) as { flows: { allowed: number; denied: number } };
  return s.flows.allowed + s.flows.denied;
}

interface Marginal {
  readonly packets: readonly [number, number];
  readonly seconds: readonly [number, number];
  /** Marginal packets per second. */
  readonly pps: number;
  readonly nsPerPacket: number;
  /** With --flows: marginal flows written per second. */
  readonly flowsPerSecond?: number;
}

function marginal(small: Run, large: Run, withFlows = false): Marginal {
  const p: [number, number] = [packetsOf(small), packetsOf(large)];
  const dt = large.seconds - small.seconds;
  const pps = (p[1] - p[0]) / dt;
  return {
    packets: p,
    seconds: [small.seconds, large.seconds],
    pps,
    nsPerPacket: 1e9 / pps,
    ...(withFlows ? { flowsPerSecond: (flowsOf(large) - flowsOf(small)) / dt } : {}),
  };
}

interface ScaleResult {
  readonly scale: Scale;
  /** Load with the table cache warm (`*Seconds`) and without a cache (`*NoCacheSeconds`). */
  readonly load: { readonly jsonSeconds: number; readonly yamlSeconds: number; readonly jsonRssMiB: number; readonly yamlRssMiB: number; readonly jsonNoCacheSeconds: number; readonly yamlNoCacheSeconds: number };
  readonly compiled: { readonly newConnections: Marginal; readonly mixed: Marginal; readonly withFlows: Marginal };
  readonly naive: { readonly loadSeconds: number; readonly newConnections: Marginal; readonly mixed: Marginal } | null;
  /** The same compiled runs with `--workers N` (identical output; speed-up = pps / compiled pps). */
  readonly workers: readonly { readonly workers: number; readonly newConnections: Marginal; readonly mixed: Marginal; readonly withFlows: Marginal; readonly wholeMixedSeconds: number }[];
}

function benchScale(dir: string, scale: Scale): ScaleResult {
  const seed = ['--seed', '11', '--pods', String(scale.pods), '--policies', String(scale.policies)];
  const yamlDir = join(dir, `${scale.name}-yaml`);
  synth(['-o', yamlDir, ...seed]);
  // The same cluster as one JSON List, the shape `kubectl get -o json` prints.
  const json = join(dir, `${scale.name}.json`);
  const { objects } = readManifests([yamlDir], []);
  writeFileSync(json, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects.map((o) => o.object) }, null, 2));
  const capture = (name: string, flows: number, extra: readonly string[]): string => {
    const path = join(dir, `${scale.name}-${name}-${flows}.pcap`);
    synth([...seed, '--flows', String(flows), '--pcap', path, ...extra]);
    return path;
  };
  const newCaps = scale.newFlows.map((n) => capture('new', n, ['--openers-only', '--flow-rate', '20000'])) as [string, string];
  const mixedCaps = scale.mixedFlows.map((n) => capture('mixed', n, [])) as [string, string];
  const naiveNew = scale.newFlows.map((n) => capture('new', Math.round(n / scale.naiveDivisor), ['--openers-only', '--flow-rate', '20000'])) as [string, string];
  const naiveMixed = scale.mixedFlows.map((n) => capture('mixed', Math.round(n / scale.naiveDivisor), [])) as [string, string];
  const empty = join(dir, 'empty.pcap');
  writeFileSync(empty, Buffer.from('d4c3b2a1020004000000000000000000ffff000001000000', 'hex'));

  const replay = (cap: string, engine: string, extra: readonly string[] = []): Run => timed(['replay', cap, '-f', json, '-o', 'json', '--engine', engine, ...extra]);
  const coldJson = timed(['replay', empty, '-f', json, '-o', 'json'], COLD_ENV);
  const coldYaml = timed(['replay', empty, '-f', yamlDir, '-o', 'json'], COLD_ENV);
  // Untimed runs fill the cache: it keys on the manifest bytes, so the JSON and YAML files are two entries.
  runCli(['replay', empty, '-f', json, '-o', 'json']);
  runCli(['replay', empty, '-f', yamlDir, '-o', 'json']);
  const loadJson = timed(['replay', empty, '-f', json, '-o', 'json']);
  const loadYaml = timed(['replay', empty, '-f', yamlDir, '-o', 'json']);
  process.stderr.write(`${scale.name}: load json ${loadJson.seconds.toFixed(2)} s (no cache ${coldJson.seconds.toFixed(2)} s), yaml ${loadYaml.seconds.toFixed(2)} s (no cache ${coldYaml.seconds.toFixed(2)} s)\n`);
  const flowsFile = join(dir, 'flows.jsonl');
  const result: ScaleResult = {
    scale,
    load: { jsonSeconds: loadJson.seconds, yamlSeconds: loadYaml.seconds, jsonRssMiB: loadJson.maxRssBytes / 2 ** 20, yamlRssMiB: loadYaml.maxRssBytes / 2 ** 20, jsonNoCacheSeconds: coldJson.seconds, yamlNoCacheSeconds: coldYaml.seconds },
    compiled: {
      newConnections: marginal(replay(newCaps[0], 'compiled'), replay(newCaps[1], 'compiled')),
      mixed: marginal(replay(mixedCaps[0], 'compiled'), replay(mixedCaps[1], 'compiled')),
      withFlows: marginal(replay(newCaps[0], 'compiled', ['--flows', flowsFile]), replay(newCaps[1], 'compiled', ['--flows', flowsFile]), true),
    },
    workers: WORKERS.map((n) => {
      const w = ['--workers', String(n)];
      const large = replay(mixedCaps[1], 'compiled', w);
      return {
        workers: n,
        newConnections: marginal(replay(newCaps[0], 'compiled', w), replay(newCaps[1], 'compiled', w)),
        mixed: marginal(replay(mixedCaps[0], 'compiled', w), large),
        withFlows: marginal(replay(newCaps[0], 'compiled', ['--flows', flowsFile, ...w]), replay(newCaps[1], 'compiled', ['--flows', flowsFile, ...w]), true),
        wholeMixedSeconds: large.seconds,
      };
    }),
    naive: ONLY_COMPILED ? null : {
      loadSeconds: timed(['replay', empty, '-f', json, '-o', 'json', '--engine', 'naive']).seconds,
      newConnections: marginal(replay(naiveNew[0], 'naive'), replay(naiveNew[1], 'naive')),
      mixed: marginal(replay(naiveMixed[0], 'naive'), replay(naiveMixed[1], 'naive')),
    },
  };
  process.stderr.write(`${scale.name}: new ${(result.compiled.newConnections.pps / 1e6).toFixed(2)} Mpps (naive ${result.naive ? (result.naive.newConnections.pps / 1e6).toFixed(3) : '-'}), mixed ${(result.compiled.mixed.pps / 1e6).toFixed(2)} Mpps\n`);
  return result;
}

interface FloodResult {
  readonly connections: number;
  readonly seconds: number;
  readonly maxRssMiB: number;
  readonly records: number;
  readonly categoriesTotal: number;
  readonly flows: number;
  readonly conntrack: Record<string, number>;
  readonly deniedFlowsEvicted: number;
}

/** `synth … --pcap FIFO` into `replay FIFO`: N new connections, never on disk. */
async function flood(dir: string, connections: number): Promise<FloodResult> {
  const cluster = join(dir, 'flood-cluster');
  synth(['-o', cluster, '--seed', '12', '--pods', '1000', '--policies', '200']);
  // A named pipe between the two processes: the capture streams through, never on disk.
  const fifo = join(dir, 'flood.pcap');
  if (spawnSync('mkfifo', [fifo]).status !== 0) throw new Error('mkfifo failed');
  const start = process.hrtime.bigint();
  const producer = spawn(process.execPath, [SYNTH_BIN, 'synth', '--seed', '12', '--pods', '1000', '--policies', '200', '--flows', String(connections), '--openers-only', '--flow-rate', '100000', '--pcap', fifo], { stdio: ['ignore', 'ignore', 'inherit'] });
  const consumer = spawn(process.execPath, ['-r', RSS_PRELOAD, BIN, 'replay', fifo, '-f', cluster, '-o', 'json'], { stdio: ['ignore', 'pipe', 'pipe'], env: cachedEnv });
  producer.on('exit', (c) => {
    if (c !== 0) consumer.kill();
  });
  let out = '';
  let err = '';
  consumer.stdout.on('data', (d: Buffer) => (out += d.toString()));
  consumer.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => consumer.on('close', resolve));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  producer.kill();
  if (code !== 0) throw new Error(`flood replay exited ${code} after ${seconds.toFixed(1)} s: ${err.slice(-600)}`);
  const s = JSON.parse(out) as { capture: { records: number }; packets: { total: number }; flows: { allowed: number; denied: number }; conntrack: Record<string, number>; deniedFlowsEvicted?: number };
  const rss = /NETPOL_EMU_MAX_RSS (\d+)/.exec(err);
  return {
    connections,
    seconds,
    maxRssMiB: rss ? Number(rss[1]) / 2 ** 20 : Number.NaN,
    records: s.capture.records,
    categoriesTotal: s.packets.total,
    flows: s.flows.allowed + s.flows.denied,
    conntrack: s.conntrack,
    deniedFlowsEvicted: s.deniedFlowsEvicted ?? 0,
  };
}

interface HubbleResult {
  readonly lines: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  readonly maxRssMiB: number;
  readonly packetsReplayed: number;
  /** The summary's event counters add up to the lines written. */
  readonly accounted: boolean;
}

/**
 * The Hubble row: an export of N lines (bench/write-hubble-export.ts, 17 lines per connection)
 * streamed through a named pipe into `replay --flows-in`: the whole CLI process, parse to
 * summary, with its peak RSS (memory must not grow with N).
 */
async function hubble(dir: string, events: number): Promise<HubbleResult> {
  const cluster = join(dir, 'hubble-cluster');
  synth(['-o', cluster, '--seed', '12', '--pods', '1000', '--policies', '200']);
  const fifo = join(dir, 'hubble.json');
  if (spawnSync('mkfifo', [fifo]).status !== 0) throw new Error('mkfifo failed');
  const start = process.hrtime.bigint();
  const producer = spawn(process.execPath, [join(ROOT, 'dist/bench/write-hubble-export.js'), cluster, String(events), fifo], { stdio: ['ignore', 'ignore', 'pipe'] });
  // --flows-format: a named pipe cannot be peeked at for the format.
  const consumer = spawn(process.execPath, ['-r', RSS_PRELOAD, BIN, 'replay', '--flows-in', fifo, '--flows-format', 'hubble', '-f', cluster, '--cni', 'cilium', '-o', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let produced = '';
  producer.stderr.on('data', (d: Buffer) => (produced += d.toString()));
  producer.on('exit', (c) => {
    if (c !== 0) consumer.kill();
  });
  let out = '';
  let err = '';
  consumer.stdout.on('data', (d: Buffer) => (out += d.toString()));
  consumer.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => consumer.on('close', resolve));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (code !== 0) throw new Error(`hubble replay exited ${code} after ${seconds.toFixed(1)} s: ${err.slice(-600)}`);
  await new Promise((resolve) => (producer.exitCode !== null ? resolve(null) : producer.on('exit', resolve)));
  const s = JSON.parse(out) as { hubble: { lines: number; packetsReplayed: number; events: Record<string, number> } };
  const written = Number(/(\d+) lines/.exec(produced)?.[1] ?? Number.NaN);
  const rss = /NETPOL_EMU_MAX_RSS (\d+)/.exec(err);
  const sum = Object.values(s.hubble.events).reduce((a, b) => a + b, 0);
  return {
    lines: s.hubble.lines,
    seconds,
    eventsPerSecond: s.hubble.lines / seconds,
    maxRssMiB: rss ? Number(rss[1]) / 2 ** 20 : Number.NaN,
    packetsReplayed: s.hubble.packetsReplayed,
    accounted: sum === written && s.hubble.lines === written,
  };
}

const mpps = (pps: number): string => (pps >= 1e6 ? `${(pps / 1e6).toFixed(2)} M` : `${(pps / 1e3).toFixed(0)} K`);

function table(results: readonly ScaleResult[], floodResult: FloodResult | null, hubbleResult: HubbleResult | null = null): string {
  const lines = [
    '| scale | load JSON (RSS); no cache | load YAML (RSS); no cache | engine | new connections pps (ns) | mixed pps (ns) | `--flows` flows/s |',
    '|---|---:|---:|---|---:|---:|---:|',
  ];
  for (const r of results) {
    const s = `${r.scale.name} ${r.scale.pods / 1000}K/${r.scale.policies >= 1000 ? `${r.scale.policies / 1000}K` : r.scale.policies}`;
    lines.push(
      `| ${s} | ${r.load.jsonSeconds.toFixed(2)} s (${r.load.jsonRssMiB.toFixed(0)} MiB); ${r.load.jsonNoCacheSeconds.toFixed(2)} s | ${r.load.yamlSeconds.toFixed(2)} s (${r.load.yamlRssMiB.toFixed(0)} MiB); ${r.load.yamlNoCacheSeconds.toFixed(2)} s | compiled | ${mpps(r.compiled.newConnections.pps)} (${r.compiled.newConnections.nsPerPacket.toFixed(0)}) | ${mpps(r.compiled.mixed.pps)} (${r.compiled.mixed.nsPerPacket.toFixed(0)}) | ${mpps(r.compiled.withFlows.flowsPerSecond ?? 0)} |`,
    );
    for (const w of r.workers) {
      lines.push(
        `| | | | compiled, --workers ${w.workers} | ${mpps(w.newConnections.pps)} (${(w.newConnections.pps / r.compiled.newConnections.pps).toFixed(2)}×) | ${mpps(w.mixed.pps)} (${(w.mixed.pps / r.compiled.mixed.pps).toFixed(2)}×) | ${mpps(w.withFlows.flowsPerSecond ?? 0)} (${((w.withFlows.flowsPerSecond ?? 0) / (r.compiled.withFlows.flowsPerSecond ?? 1)).toFixed(2)}×) |`,
      );
    }
    if (r.naive) {
      lines.push(
        `| | ${r.naive.loadSeconds.toFixed(2)} s | | naive | ${mpps(r.naive.newConnections.pps)} (${r.naive.newConnections.nsPerPacket.toFixed(0)}) | ${mpps(r.naive.mixed.pps)} (${r.naive.mixed.nsPerPacket.toFixed(0)}) | |`,
        `| | | | compiled/naive | ${(r.compiled.newConnections.pps / r.naive.newConnections.pps).toFixed(1)}× | ${(r.compiled.mixed.pps / r.naive.mixed.pps).toFixed(1)}× | |`,
      );
    }
  }
  if (floodResult) {
    const f = floodResult;
    lines.push('', `Flood: ${f.connections.toLocaleString('en-US')} new connections (synth → named pipe → replay, 1K pods): ${f.seconds.toFixed(1)} s, peak RSS ${f.maxRssMiB.toFixed(0)} MiB; ${f.records.toLocaleString('en-US')} records, categories sum to ${f.categoriesTotal.toLocaleString('en-US')}; ${f.flows.toLocaleString('en-US')} flows reported; conntrack early drops ${(f.conntrack['early-dropped'] ?? 0).toLocaleString('en-US')}, table full ${(f.conntrack['table-full'] ?? 0).toLocaleString('en-US')}; denied attempts evicted ${f.deniedFlowsEvicted.toLocaleString('en-US')}.`);
  }
  if (hubbleResult) {
    const h = hubbleResult;
    lines.push('', `Hubble: ${h.lines.toLocaleString('en-US')} \`hubble observe -o json\` lines (named pipe → replay --flows-in --cni cilium, 1K pods): ${h.seconds.toFixed(1)} s, ${mpps(h.eventsPerSecond)} events/s end to end, peak RSS ${h.maxRssMiB.toFixed(0)} MiB; ${h.packetsReplayed.toLocaleString('en-US')} packets replayed; every line accounted for: ${h.accounted ? 'yes' : 'NO'}.`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'npe-e2e-'));
  cachedEnv = { ...process.env, XDG_CACHE_HOME: join(dir, 'cache') };
  try {
    // `--scales=medium,large` (or `none`, for the flood alone) picks the scales to run.
    const pick = process.argv.find((a) => a.startsWith('--scales='))?.slice('--scales='.length).split(',');
    const results = SCALES.filter((s) => !pick || pick.includes(s.name)).map((s) => benchScale(dir, s));
    let floodResult: FloodResult | null = null;
    let floodError: string | null = null;
    if (FLOOD > 0) {
      try {
        floodResult = await flood(dir, FLOOD);
      } catch (error) {
        // A build that cannot survive the flood (the point of it) is reported, not fatal.
        floodError = (error as Error).message;
        process.stderr.write(`flood: ${floodError}\n`);
      }
    }
    let hubbleResult: HubbleResult | null = null;
    if (HUBBLE_EVENTS > 0) {
      try {
        hubbleResult = await hubble(dir, HUBBLE_EVENTS);
      } catch (error) {
        process.stderr.write(`hubble: ${(error as Error).message}\n`);
      }
    }
    const text = `${table(results, floodResult, hubbleResult)}${floodError ? `\n\nFlood of ${FLOOD.toLocaleString('en-US')} failed: ${floodError.split('\n')[0]}` : ''}`;
    process.stdout.write(`${text}\n`);
    const outDir = join(ROOT, 'bench/results');
    mkdirSync(outDir, { recursive: true });
    const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
    const name = process.argv.find((a) => a.startsWith('--out='))?.slice('--out='.length) ?? (SMOKE ? 'e2e-smoke.json' : 'e2e.json');
    writeFileSync(join(outDir, name), `${JSON.stringify({ machine, bin: BIN, repeat: REPEAT, results, flood: floodResult, floodError, hubble: hubbleResult, table: text }, null, 2)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
