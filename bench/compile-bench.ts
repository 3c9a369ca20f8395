/**
 * Compile benchmark over seeded synthetic clusters (src/synth): compile time (median, p95),
 * the compiled tables' typed-array bytes, the heap the tables keep alive, and the counts that
 * explain them. Goal (issue): 10K pods / 2K policies in ≤ 150 ms, tables proportional to the
 * pod × rule pairs that actually select pods, not to pods × policies.
 *
 *   npm run build && node --expose-gc dist/bench/compile-bench.js [--quick]
 *
 * Prints a markdown table and writes bench/results/compile.json. About 40 s in all (--quick: 10 s).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compile } from '../compiler/compile.js';
import type { Cluster } from '../compiler/model.js';
import type { CompiledTables } from '../compiler/tables.js';
import { buildSyntheticCluster, defaultShape, type ClusterShape } from '../src/synth/generate-cluster.js';

const SIZES = [
  { pods: 100, policies: 20, repetitions: 300 },
  { pods: 1_000, policies: 200, repetitions: 80 },
  { pods: 10_000, policies: 2_000, repetitions: 40 },
] as const;
const SEED = 1;

export interface CompileRow {
  readonly pods: number;
  readonly namespaces: number;
  readonly policies: number;
  readonly repetitions: number;
  readonly medianMs: number;
  readonly p95Ms: number;
  readonly minMs: number;
  /** Sum of byteLength over every typed array in CompiledTables. */
  readonly tableBytes: number;
  /** heapUsed + arrayBuffers kept alive by one CompiledTables, after gc (null without --expose-gc). */
  readonly retainedBytes: number | null;
  readonly endpoints: number;
  readonly identities: number;
  readonly selectors: number;
  readonly cidrSets: number;
  readonly tables: number;
  readonly rules: number;
  /** Entries over all port classes of all tables (entryRule.length): what the dataplane walks. */
  readonly classEntries: number;
  readonly portClasses: number;
  /** Σ over endpoints and directions of the rules of the policies selecting the endpoint. */
  readonly podRulePairs: number;
  /** endpoints × policies: what a table per pod and policy would cost. */
  readonly podPolicyPairs: number;
}

function quantile(sorted: readonly number[], q: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] as number;
}

function typedArrayBytes(tables: CompiledTables): number {
  let bytes = 0;
  for (const value of Object.values(tables)) if (ArrayBuffer.isView(value)) bytes += value.byteLength;
  return bytes;
}

/** Distinct rules reachable from each table (any port class or named entry). */
function rulesPerTable(tables: CompiledTables): number[] {
  const counts: number[] = [];
  for (let t = 0; t < tables.tableCount; t++) {
    const ids = new Set<number>();
    const firstMap = t * 4;
    const classStart = tables.portMapStart[firstMap] as number;
    const classEnd = tables.portMapStart[firstMap + 4] as number;
    for (let e = tables.classEntryStart[classStart] as number; e < (tables.classEntryStart[classEnd] as number); e++) ids.add(tables.entryRule[e] as number);
    for (let e = tables.namedEntryStart[t] as number; e < (tables.namedEntryStart[t + 1] as number); e++) ids.add(tables.entryRule[e] as number);
    counts.push(ids.size);
  }
  return counts;
}

function podRulePairs(tables: CompiledTables): number {
  const perTable = rulesPerTable(tables);
  let pairs = 0;
  for (let e = 0; e < tables.endpointCount; e++) {
    for (const column of [tables.endpointIngressTable, tables.endpointEgressTable]) {
      const t = column[e] as number;
      if (t >= 0) pairs += perTable[t] as number;
    }
  }
  return pairs;
}

const gc = (globalThis as { gc?: () => void }).gc;

function retainedBytes(cluster: Cluster): number | null {
  // Averaged over live copies: one small copy's delta is within the noise of a full GC (which
  // also flushes bytecode and feedback).
  const copies = Math.max(4, Math.round(20_000 / Math.max(1, cluster.pods.length)));
  if (!gc) return null;
  gc();
  gc();
  const before = process.memoryUsage();
  const kept: CompiledTables[] = [];
  for (let i = 0; i < copies; i++) kept.push(compile(cluster));
  gc();
  gc();
  const after = process.memoryUsage();
  // Keep the copies alive past the second measurement.
  if (kept.length !== copies) throw new Error('unreachable');
  return Math.round((after.heapUsed - before.heapUsed + (after.arrayBuffers - before.arrayBuffers)) / copies);
}

/** Compile time, table bytes and retained heap of one shape (also used by bench/run.ts). */
export function measureCompile(shape: ClusterShape, repetitions: number, cluster: Cluster = buildSyntheticCluster(shape)): CompileRow {
  // Warm-up: let the JIT settle before timing (V8 tiers up after a few calls).
  const warmup = Math.max(3, Math.round(repetitions / 5));
  let tables = compile(cluster);
  for (let i = 1; i < warmup; i++) tables = compile(cluster);
  const times: number[] = [];
  for (let i = 0; i < repetitions; i++) {
    const start = performance.now();
    tables = compile(cluster);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return {
    pods: shape.pods,
    namespaces: shape.namespaces,
    policies: shape.policies,
    repetitions,
    medianMs: quantile(times, 0.5),
    p95Ms: quantile(times, 0.95),
    minMs: times[0] as number,
    tableBytes: typedArrayBytes(tables),
    retainedBytes: retainedBytes(cluster),
    endpoints: tables.endpointCount,
    identities: tables.identities.length,
    selectors: tables.selectorSources.length,
    cidrSets: tables.cidrSetSources.length,
    tables: tables.tableCount,
    rules: tables.rules.length,
    classEntries: tables.entryRule.length,
    portClasses: tables.portClassLow.length,
    podRulePairs: podRulePairs(tables),
    podPolicyPairs: tables.endpointCount * shape.policies,
  };
}

const kib = (bytes: number | null): string => (bytes === null ? 'n/a' : `${(bytes / 1024).toFixed(1)} KiB`);

export function compileMarkdown(rows: readonly CompileRow[]): string {
  const header = [
    'pods',
    'ns',
    'policies',
    'median ms',
    'p95 ms',
    'typed arrays',
    'retained heap',
    'identities',
    'selectors',
    'CIDR sets',
    'tables',
    'rules',
    'class entries',
    'port classes',
    'pod×rule pairs',
    'pod×policy pairs',
  ];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---:|').join('')}`];
  for (const r of rows) {
    lines.push(
      `| ${[
        r.pods,
        r.namespaces,
        r.policies,
        r.medianMs.toFixed(2),
        r.p95Ms.toFixed(2),
        kib(r.tableBytes),
        kib(r.retainedBytes),
        r.identities,
        r.selectors,
        r.cidrSets,
        r.tables,
        r.rules,
        r.classEntries,
        r.portClasses,
        r.podRulePairs,
        r.podPolicyPairs,
      ].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

function main(): void {
  const quick = process.argv.includes('--quick');
  if (!gc) console.error('note: run node with --expose-gc to measure the retained heap');
  const rows: CompileRow[] = [];
  for (const size of SIZES) {
    const shape = { ...defaultShape(size.pods, SEED), policies: size.policies };
    const row = measureCompile(shape, quick ? Math.max(5, Math.round(size.repetitions / 5)) : size.repetitions);
    rows.push(row);
    console.error(`compiled ${row.pods} pods / ${row.policies} policies: median ${row.medianMs.toFixed(2)} ms`);
  }
  console.log(compileMarkdown(rows));
  const dir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const result = { benchmark: 'compile', seed: SEED, node: process.version, date: new Date().toISOString(), rows };
  writeFileSync(`${dir}compile.json`, `${JSON.stringify(result, null, 2)}\n`);
  console.error(`wrote ${dir}compile.json`);
}

// Run only as a script: bench/run.ts imports the pieces above.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
