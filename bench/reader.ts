/**
 * The reader thread of `replay --workers N` alone: what it costs per record to read the capture
 * into the shared chunk pool, parse the records, pick each one's worker (ShardFunction) and write
 * its 48-byte descriptor — the work that bounds how many workers can be kept busy
 * (docs/multi-core-and-merging.md, "Multi-core replay"). Measured in one thread, without workers,
 * so the numbers are not mixed with scheduling on a machine with few cores.
 *
 *   npm run build && node dist/bench/reader.js [CAPTURE CLUSTER_DIR]
 *
 * Without arguments a synthetic capture (1,000 pods, 100,000 flows, ~860K packets) is written
 * to a temporary directory first. Prints ns per record for: parsing only; + the shard function;
 * + the descriptor; and the share of records that took the fast path. Median of 5 runs each.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCapture } from '../src/capture/open-capture.js';
import { loadCluster } from '../src/load/load-cluster.js';
import { buildServiceNat } from '../src/replay/build-service-nat.js';
import { ShardFunction } from '../src/replay/shard-of.js';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '../..');
const CHUNK = 1 << 20;
const SLOTS = 8;

async function pass(capture: string, shard: ShardFunction | null, describe: boolean, countFast: ShardFunction | null = null): Promise<{ records: number; ns: number; fast: number }> {
  const pool = new SharedArrayBuffer(SLOTS * CHUNK);
  const slots = Array.from({ length: SLOTS }, (_, k) => Buffer.from(pool, k * CHUNK, CHUNK));
  let next = 0;
  const ring = new ArrayBuffer(1 << 20);
  const u32 = new Uint32Array(ring);
  const f64 = new Float64Array(ring);
  let at = 0;
  let clock = -Infinity;
  let sum = 0;
  let fast = 0;
  const start = process.hrtime.bigint();
  const end = await readCapture(
    capture,
    (r) => {
      const now = r.tsSec + r.tsNsec * 1e-9;
      if (now > clock) clock = now;
      let w = 0;
      if (shard) w = shard.shardOf(r.buffer, r.offset, r.capturedLength, r.wireLength, r.linkType);
      else if (countFast && countFast.fastKey(r.buffer, r.offset, r.capturedLength, r.linkType) >= 0) fast++;
      if (describe) {
        const word = at >> 2;
        u32[word] = 5;
        f64[(at >> 3) + 1] = r.index;
        f64[(at >> 3) + 2] = now;
        f64[(at >> 3) + 3] = clock;
        u32[word + 8] = r.capturedLength;
        u32[word + 9] = r.wireLength;
        u32[word + 10] = r.linkType;
        u32[word + 11] = r.offset + w;
        at = (at + 56) & 0xfffff;
        if (at > (1 << 20) - 64) at = 0;
      }
      sum += w;
    },
    { chunkSize: CHUNK, chunkBuffer: () => slots[next++ % SLOTS] as Buffer },
  );
  const ns = Number(process.hrtime.bigint() - start) / end.records;
  if (sum < 0) process.stdout.write('');
  return { records: end.records, ns, fast };
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
}

async function main(): Promise<void> {
  let capture = process.argv[2];
  let clusterDir = process.argv[3];
  let tmp: string | null = null;
  if (!capture || !clusterDir) {
    tmp = mkdtempSync(join(tmpdir(), 'npe-reader-'));
    clusterDir = tmp;
    capture = join(tmp, 'cap.pcap');
    const r = spawnSync(process.execPath, [join(ROOT, 'dist/src/bin.js'), 'synth', '-o', tmp, '--seed', '3', '--pods', '1000', '--flows', '100000', '--flow-rate', '400', '--pcap', capture], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
  }
  try {
    const { cluster } = loadCluster({ paths: [clusterDir] });
    const shards = (): ShardFunction => new ShardFunction({ shards: 16, services: buildServiceNat(cluster, {}) });
    const rows: Record<string, number> = {};
    let records = 0;
    // The fast path's share, counted in a pass of its own (not timed).
    const counted = await pass(capture, null, false, shards());
    const fastShare = counted.fast / counted.records;
    for (const [name, withShard, describe] of [['parse', false, false], ['parse + shard', true, false], ['parse + shard + descriptor', true, true]] as const) {
      const runs: number[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await pass(capture, withShard ? shards() : null, describe);
        runs.push(r.ns);
        records = r.records;
      }
      rows[name] = median(runs);
      process.stdout.write(`${name.padEnd(28)} ${rows[name].toFixed(0).padStart(5)} ns/record  (${(1e3 / rows[name]).toFixed(2)} M records/s)\n`);
    }
    process.stdout.write(`${records} records, ${(fastShare * 100).toFixed(1)}% on the shard fast path\n`);
    process.stdout.write(`${JSON.stringify({ records, fastShare, nsPerRecord: rows })}\n`);
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
