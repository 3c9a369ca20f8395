/**
 * The promise of `replay --workers N`: the results are those of `--workers 1`. Through the
 * public entry point, each case runs with one worker and with two (three for some) and compares
 * the exit code, standard output and standard error exactly — the only thing masked is the
 * timeline's `rebuildMs` (wall-clock timing, different from run to run anyway) — and the
 * `--write-allowed` / `--write-dropped` pcaps byte for byte.
 *
 * Cases: every bundled and test capture with its cluster; option variety (CNI profiles incl. the
 * rejecting one, coverage, top, de-duplication, decapsulation, timeout profiles, timelines that
 * revoke established connections) on the three-tier capture and on a synthetic one; random
 * synthetic captures of every link type whose UDP/ICMP flows time out during the capture (so the
 * order of the flow lines matters), one spanning several read chunks and TICKs; timestamps that
 * jump and jitter; hand-built random traffic with fragments, router ICMP errors and resets;
 * damaged captures; write errors; usage errors; --engine naive.
 *
 * Not covered on purpose (docs/multi-core-and-merging.md, documented exceptions): overflowing
 * bounded tables (--conntrack-max, --denied-flows-max) and stray ICMP errors that conntrack
 * cannot relate and that quote no denied attempt, or any INVALID ICMP error with dropInvalidCt=false
 * (src/replay/shard-of.ts).
 *
 * The workers run the compiled dist/src/parallel/replay-worker.js: build first (npm test does).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { echoRest, ethernet, icmp, ipv4, tcp, udp, bytes as fill } from './helpers/build-frame.js';
import { readPcapRecords } from './helpers/read-pcap-records.js';
import { PcapWriter } from '../src/index.js';
import { runCli, type CliRun } from './helpers/run-cli.js';

const TMP = mkdtempSync(join(tmpdir(), 'npe-ident-'));
const THREE_TIER = 'examples/three-tier';
const THREE_TIER_CAPTURE = 'examples/three-tier/capture.pcap';

interface Outcome extends CliRun {
  readonly workers: number;
  /** --write-allowed / --write-dropped contents (null: not asked for, or not written). */
  readonly allowed: Buffer | null;
  readonly dropped: Buffer | null;
}

/**
 * Where --write-allowed / --write-dropped go: the same paths in every run (messages name them),
 * emptied before each run and read right after it.
 */
const OUT = join(TMP, 'out');
mkdirSync(OUT);
const ALLOWED = join(OUT, 'allowed.pcap');
const DROPPED = join(OUT, 'dropped.pcap');

/** `replay ARGS --workers N`, with --write-allowed/--write-dropped when `write`. */
async function replay(workers: number, args: readonly string[], write: boolean): Promise<Outcome> {
  rmSync(ALLOWED, { force: true });
  rmSync(DROPPED, { force: true });
  const files = write ? ['--write-allowed', ALLOWED, '--write-dropped', DROPPED] : [];
  const run = await runCli(['replay', ...args, ...files, '--workers', String(workers)]);
  const read = (path: string): Buffer | null => (write && existsSync(path) ? readFileSync(path) : null);
  return { ...run, workers, allowed: read(ALLOWED), dropped: read(DROPPED) };
}

/**
 * The text with the timeline's rebuildMs masked: a pretty-printed JSON summary (possibly followed
 * by an error line) is parsed, the field dropped and the document printed again; in a text
 * summary the "(tables rebuilt in N ms)" figure is masked. Nothing else changes.
 */
function masked(text: string): string {
  if (text.startsWith('{\n')) {
    const end = text.indexOf('\n}\n');
    if (end >= 0) {
      const json = text.slice(0, end + 2);
      const doc = JSON.parse(json) as { timeline?: { rebuildMs?: unknown }[] };
      // The document is exactly what JSON.stringify printed: nothing is lost by printing it again.
      expect(`${JSON.stringify(doc, null, 2)}`).toBe(json);
      for (const t of doc.timeline ?? []) {
        expect(typeof t.rebuildMs).toBe('number');
        delete t.rebuildMs;
      }
      return `${JSON.stringify(doc, null, 2)}\n${text.slice(end + 3)}`;
    }
  }
  return text.replace(/\(tables rebuilt in [0-9.e+-]+ ms\)/g, '(tables rebuilt in ... ms)');
}

/** Fails with the first differing line of two texts (both shown, cut to a readable length). */
function expectSameText(what: string, one: string, many: string): void {
  if (one === many) return;
  const a = one.split('\n');
  const b = many.split('\n');
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  expect.fail(`${what}: first difference at line ${i + 1} (${a.length} vs ${b.length} lines)\n  --workers 1: ${String(a[i]).slice(0, 600)}\n  --workers N: ${String(b[i]).slice(0, 600)}`);
}

/** Fails with the first differing record of two pcap files. */
function expectSamePcap(what: string, one: Buffer | null, many: Buffer | null): void {
  if (one === null || many === null) {
    expect(many === null, `${what}: written by one mode only`).toBe(one === null);
    return;
  }
  if (one.equals(many)) return;
  let detail = `${one.length} vs ${many.length} bytes`;
  try {
    const a = readPcapRecords(one).records;
    const b = readPcapRecords(many).records;
    let i = 0;
    const bytes = (file: Buffer, r: { offset: number; capturedLength: number }): Buffer => file.subarray(r.offset - 16, r.offset + r.capturedLength);
    while (i < a.length && i < b.length && bytes(one, a[i]!).equals(bytes(many, b[i]!))) i++;
    detail += `; ${a.length} vs ${b.length} records, first difference at record ${i}`;
  } catch (error) {
    detail += `; ${(error as Error).message}`;
  }
  expect.fail(`${what}: pcaps differ (${detail})`);
}

function expectSameOutcome(label: string, one: Outcome, many: Outcome): void {
  const what = `${label} --workers ${many.workers}`;
  expect(many.code, `${what}: exit code (stderr: ${many.stderr.slice(-400)})`).toBe(one.code);
  expectSameText(`${what}: stdout`, masked(one.stdout), masked(many.stdout));
  expectSameText(`${what}: stderr`, masked(one.stderr), masked(many.stderr));
  expectSamePcap(`${what}: --write-allowed`, one.allowed, many.allowed);
  expectSamePcap(`${what}: --write-dropped`, one.dropped, many.dropped);
}

/** Runs ARGS with one worker and with each of `workers`; all must agree. Returns the one-worker outcome. */
async function expectIdentical(args: readonly string[], options: { workers?: readonly number[]; write?: boolean } = {}): Promise<Outcome> {
  const write = options.write ?? true;
  const one = await replay(1, args, write);
  for (const n of options.workers ?? [2]) expectSameOutcome(args.join(' '), one, await replay(n, args, write));
  return one;
}

interface Summary {
  capture: { records: number; end: string; message: string | null; lastPacket: string | null };
  packets: Record<string, number>;
  flows: { allowed: number; denied: number };
  rejectsSent: number;
  verdictChanges?: number;
  timeline?: unknown[];
  coverage?: unknown;
}

const jsonLines = (text: string): Record<string, unknown>[] => (text.trim() ? text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) : []);
/** The JSON summary at the head of `text` (an error line may follow it). */
function summaryOf(text: string): Summary {
  const end = text.indexOf('\n}\n');
  return JSON.parse(end >= 0 ? text.slice(0, end + 2) : text) as Summary;
}

// ---- 1. every bundled and test capture ------------------------------------------------------

const captures = (dir: string): string[] =>
  readdirSync(dir)
    .filter((name) => /\.pcap(ng)?$/.test(name))
    .sort()
    .map((name) => join(dir, name));

/** [capture, cluster, extra options] */
const FIXTURE_CASES: [string, string, string[]][] = [
  ...['test/fixtures/captures', 'test/fixtures/decode', THREE_TIER].flatMap((dir) => captures(dir).map((c): [string, string, string[]] => [c, THREE_TIER, []])),
  ...captures('test/fixtures/overlay').map((c): [string, string, string[]] => [c, 'test/fixtures/overlay/cluster.yaml', []]),
  ...captures('test/fixtures/services').map((c): [string, string, string[]] => [c, 'test/fixtures/services/recorded.yaml', []]),
  ['test/fixtures/services/service-node-any.pcap', 'test/fixtures/services/recorded.yaml', ['--service-endpoint', 'shop/backend=10.244.1.20']],
  ['test/fixtures/services/service-node-any.pcap', 'test/fixtures/services/recorded.yaml', ['--service-endpoint', 'shop/backend=10.244.3.21']],
  ['test/fixtures/services/service-client.pcap', 'test/fixtures/services/recorded.yaml', ['--service-seed', '7']],
  ...captures('examples/service').map((c): [string, string, string[]] => [c, 'examples/service', []]),
  ['examples/service/capture-node-any.pcap', 'examples/service', ['--service-endpoint', 'shop/backend=10.244.1.20']],
];

/** Captures with several link types (pcapng interfaces/sections). */
const MULTI_LINK = ['test/fixtures/captures/mixed-eth-sll.pcapng', 'test/fixtures/captures/two-sections.pcapng'];

describe('replay --workers N - every bundled and test capture', () => {
  it('replay workers - the fixture list is complete', () => {
    const files = new Set(FIXTURE_CASES.map(([c]) => c));
    // Guard against a glob that silently finds nothing.
    expect(files.size).toBeGreaterThanOrEqual(30);
    for (const dir of ['test/fixtures/captures', 'test/fixtures/decode', 'test/fixtures/overlay', 'test/fixtures/services', 'examples/service', THREE_TIER]) {
      expect(captures(dir).length, dir).toBeGreaterThan(0);
    }
  });

  it.each(FIXTURE_CASES)('replay workers - %s (-f %s %j)', async (capture, cluster, extra) => {
    // A classic pcap holds one link type: the captures with several are replayed without writing
    // packets here (writing them is an error path, below).
    const write = !MULTI_LINK.includes(capture);
    const one = await expectIdentical([capture, '-f', cluster, ...extra, '--flows', '-', '-o', 'json'], { write });
    expect([0, 4], one.stderr).toContain(one.code);
    const summary = summaryOf(one.stderr);
    expect(summary.capture.records).toBeGreaterThan(0);
    if (write) expect(one.allowed === null && one.dropped === null).toBe(false);
  });

  it('replay workers - writing a capture with two link types to one classic pcap: the same error, exit 4', async () => {
    const one = await expectIdentical(['test/fixtures/captures/mixed-eth-sll.pcapng', '-f', THREE_TIER, '--flows', '-', '-o', 'json']);
    expect(one.code).toBe(4);
    expect(one.stderr).toContain('a classic pcap file has one link type');
  });

  /**
   * When writing a packet fails mid-replay, the flow lines stop where the one-worker replay's do:
   * at the lines ended before the failing record (the sharded replay once printed every line the
   * workers had sent, and when they had sent it varied from run to run).
   */
  it('replay workers - a write error mid-replay: the flow lines stop at the same place', async () => {
    for (let run = 0; run < 3; run++) {
      const one = await expectIdentical(['test/fixtures/captures/two-sections.pcapng', '-f', THREE_TIER, '--flows', '-', '-o', 'json'], { workers: [2, 3] });
      expect(one.code).toBe(4);
      expect(one.stderr).toContain('cannot write record 44');
      expect(jsonLines(one.stdout)).toHaveLength(1);
    }
  });

  /** Byte offsets of the records of a little-endian µs classic pcap. */
  const offsets = (bytes: Buffer): number[] => {
    const out: number[] = [];
    for (let at = 24; at + 16 <= bytes.length; at += 16 + bytes.readUInt32LE(at + 8)) out.push(at);
    return out;
  };

  it('replay workers - truncated capture: exit 4, same end, message and partial results', async () => {
    const bytes = readFileSync(THREE_TIER_CAPTURE);
    const path = join(TMP, 'cut.pcap');
    writeFileSync(path, bytes.subarray(0, (offsets(bytes)[100] as number) + 20));
    const one = await expectIdentical([path, '-f', THREE_TIER, '--flows', '-', '-o', 'json'], { workers: [2, 3] });
    expect(one.code).toBe(4);
    expect(summaryOf(one.stderr).capture).toMatchObject({ end: 'truncated', records: 100 });
    expect(one.stderr).toMatch(/\nnetpol-emu: replay: .*\n$/);
  });

  it('replay workers - corrupt record length: exit 4, same end and message', async () => {
    const bytes = Buffer.from(readFileSync(THREE_TIER_CAPTURE));
    bytes.writeUInt32LE(0x7fffffff, (offsets(bytes)[50] as number) + 8);
    const path = join(TMP, 'corrupt.pcap');
    writeFileSync(path, bytes);
    const one = await expectIdentical([path, '-f', THREE_TIER, '--flows', '-', '-o', 'json']);
    expect(one.code).toBe(4);
    expect(summaryOf(one.stderr).capture).toMatchObject({ end: 'corrupt', records: 50 });
  });

  it('replay workers - truncated pcapng and a file that is no capture', async () => {
    const ng = readFileSync('test/fixtures/captures/mixed-eth-sll.pcapng');
    const cut = join(TMP, 'cut.pcapng');
    writeFileSync(cut, ng.subarray(0, Math.floor(ng.length * 0.6)));
    const one = await expectIdentical([cut, '-f', THREE_TIER, '--flows', '-', '-o', 'json'], { write: false });
    expect(one.code).toBe(4);
    expect(summaryOf(one.stderr).capture.end).toBe('truncated');
    const notes = join(TMP, 'notes.pcap');
    writeFileSync(notes, 'these are not packets\n');
    const bad = await expectIdentical([notes, '-f', THREE_TIER]);
    expect(bad.code).toBe(4);
  });
});

// ---- synthetic captures ------------------------------------------------------------------------

interface Synthetic {
  readonly dir: string;
  readonly capture: string;
}

/** `synth` into a folder of its own: the manifests and capture.pcap. */
async function synth(name: string, args: readonly string[]): Promise<Synthetic> {
  const dir = join(TMP, `synth-${name}`);
  const capture = join(dir, 'capture.pcap');
  mkdirSync(dir);
  const run = await runCli(['synth', '-o', dir, '--pcap', capture, '--deny-share', '0.3', ...args]);
  expect(run.code, run.stderr).toBe(0);
  return { dir, capture };
}

/** [name, synth options] — seeds x link types, flow rates low enough that UDP/ICMP flows time out mid-capture. */
const RANDOM_CASES: [string, string[]][] = [
  ['eth seed 101', ['--seed', '101', '--flows', '1200', '--flow-rate', '30', '--link-type', '1']],
  // The large one: ~5 MB (several 1 MiB read chunks), ~24k records (many TICKs per worker), dual stack, cooked (de-duplication).
  ['sll seed 102', ['--seed', '102', '--flows', '3000', '--flow-rate', '25', '--link-type', '113', '--dual-stack', '--pods', '80']],
  ['sll2 seed 103', ['--seed', '103', '--flows', '1000', '--flow-rate', '40', '--link-type', '276', '--dual-stack']],
  ['raw seed 104', ['--seed', '104', '--flows', '1000', '--flow-rate', '20', '--link-type', '101', '--pods', '40']],
];

describe('replay --workers N - random synthetic captures', () => {
  const made = new Map<string, Synthetic>();
  beforeAll(async () => {
    for (const [name, args] of RANDOM_CASES) made.set(name, await synth(name.replace(/ /g, '-'), args));
  });

  it.each(RANDOM_CASES)('replay workers - synthetic %s: --workers 1 = 2 = 3', async (name) => {
    const { dir, capture } = made.get(name) as Synthetic;
    const one = await expectIdentical([capture, '-f', dir, '--flows', '-', '-o', 'json'], { workers: [2, 3] });
    expect(one.code, one.stderr).toBe(0);
    const summary = summaryOf(one.stderr);
    expect(summary.flows.denied).toBeGreaterThan(0);
    expect(jsonLines(one.stdout)).toHaveLength(summary.flows.allowed + summary.flows.denied);
  });

  /** pcapng of two sections: the records of two classic pcaps (µs), each with its link type. */
  const twoSections = (files: Buffer[]): Buffer => {
    const blocks: Buffer[] = [];
    const block = (type: number, body: Buffer): void => {
      const length = 12 + body.length;
      const b = Buffer.alloc(length);
      b.writeUInt32LE(type, 0);
      b.writeUInt32LE(length, 4);
      body.copy(b, 8);
      b.writeUInt32LE(length, length - 4);
      blocks.push(b);
    };
    for (const file of files) {
      const shb = Buffer.alloc(16);
      shb.writeUInt32LE(0x1a2b3c4d, 0);
      shb.writeUInt16LE(1, 4);
      shb.writeBigInt64LE(-1n, 8);
      block(0x0a0d0d0a, shb);
      const { linkType, records } = readPcapRecords(file);
      const idb = Buffer.alloc(8);
      idb.writeUInt16LE(linkType, 0);
      idb.writeUInt32LE(262144, 4);
      block(1, idb);
      for (const r of records) {
        const micros = BigInt(file.readUInt32LE(r.offset - 16)) * 1_000_000n + BigInt(file.readUInt32LE(r.offset - 12));
        const epb = Buffer.alloc(20 + ((r.capturedLength + 3) & ~3));
        epb.writeUInt32LE(Number(micros >> 32n), 4);
        epb.writeUInt32LE(Number(micros & 0xffffffffn), 8);
        epb.writeUInt32LE(r.capturedLength, 12);
        epb.writeUInt32LE(r.wireLength, 16);
        file.copy(epb, 20, r.offset, r.offset + r.capturedLength);
        block(6, epb);
      }
    }
    return Buffer.concat(blocks);
  };

  it('replay workers - a write error deep into a large capture: the same flow lines, packets and message', async () => {
    const eth = made.get('eth seed 101') as Synthetic;
    const raw = made.get('raw seed 104') as Synthetic;
    const path = join(TMP, 'eth-then-raw.pcapng');
    writeFileSync(path, twoSections([readFileSync(eth.capture), readFileSync(raw.capture)]));
    const one = await expectIdentical([path, '-f', eth.dir, '--flows', '-', '-o', 'json'], { workers: [2, 3] });
    expect(one.code).toBe(4);
    expect(one.stderr).toMatch(/cannot write record \d+ \(interface 0, link type 101/);
    expect(jsonLines(one.stdout).length).toBeGreaterThan(100);
  });

  it('replay workers - the large synthetic capture spans several read chunks and many TICKs', () => {
    const { capture } = made.get('sll seed 102') as Synthetic;
    const bytes = readFileSync(capture);
    expect(bytes.length).toBeGreaterThan(3 * (1 << 20));
    // More than 1024 records per worker with 3 workers.
    expect(readPcapRecords(bytes).records.length).toBeGreaterThan(3 * 1024 * 4);
  });

  it('replay workers - a truncated synthetic capture (cut in the third read chunk)', async () => {
    const { dir, capture } = made.get('sll seed 102') as Synthetic;
    const cut = join(TMP, 'synth-cut.pcap');
    writeFileSync(cut, readFileSync(capture).subarray(0, (2 << 20) + 54_321));
    const one = await expectIdentical([cut, '-f', dir, '--flows', '-', '-o', 'json'], { workers: [3] });
    expect(one.code).toBe(4);
    expect(summaryOf(one.stderr).capture.end).toBe('truncated');
  });

  /**
   * The flow lines' order is not trivial: in the one-worker output, lines of flows that the two
   * workers hold alternate many times, and many lines are of UDP/ICMP flows that timed out long
   * before the last packet. A merge that concatenated or otherwise ignored the order would fail.
   * Which worker holds a flow: `split --by flow --parts 2` uses the workers' shard function.
   */
  it('replay workers - flow lines of both workers interleave, in the one-worker order', async () => {
    const { dir, capture } = made.get('eth seed 101') as Synthetic;
    const args = [capture, '-f', dir, '--flows', '-', '-o', 'json'];
    const one = await replay(1, args, false);
    const two = await replay(2, args, false);
    expect(two.code).toBe(0);
    expectSameText('flow lines', one.stdout, two.stdout);
    const lines = jsonLines(one.stdout);
    const last = Date.parse(summaryOf(one.stderr).capture.lastPacket as string);

    const parts = join(TMP, 'split-101');
    const split = await runCli(['split', capture, '-o', parts, '--parts', '2']);
    expect(split.code, split.stderr).toBe(0);
    const key = (f: Record<string, unknown>): string => [f['protocol'], f['src'], f['sport'], f['dst'], f['dport'], f['icmpId'], f['firstSeen']].join(' ');
    const shardOf = new Map<string, number>();
    for (const part of [0, 1]) {
      const run = await runCli(['replay', join(parts, `part-${part}.pcap`), '-f', dir, '--flows', '-', '-o', 'json', '--workers', '1']);
      expect(run.code, run.stderr).toBe(0);
      for (const f of jsonLines(run.stdout)) shardOf.set(key(f), part);
    }
    const shards = lines.map((f) => shardOf.get(key(f)));
    expect(shards.filter((s) => s === undefined)).toHaveLength(0);
    let switches = 0;
    for (let i = 1; i < shards.length; i++) if (shards[i] !== shards[i - 1]) switches++;
    expect(shards.filter((s) => s === 0).length).toBeGreaterThan(200);
    expect(shards.filter((s) => s === 1).length).toBeGreaterThan(200);
    expect(switches).toBeGreaterThan(200);
    // UDP and ICMP flows time out after at most 30 s (linux timeouts, none of these is a stream):
    // those seen last more than 31 s before the end ended during the capture.
    const expired = lines.filter((f) => ['UDP', 'ICMP', 'ICMPv6'].includes(f['protocol'] as string) && Date.parse(f['lastSeen'] as string) < last - 31_000);
    expect(expired.length).toBeGreaterThan(100);
    const expiredShards = new Set(expired.map((f) => shardOf.get(key(f))));
    expect(expiredShards).toEqual(new Set([0, 1]));
    // Ended flows come before those still open at the end, and not in start order alone.
    const starts = lines.map((f) => Date.parse(f['firstSeen'] as string));
    expect(starts.some((t, i) => i > 0 && t < (starts[i - 1] as number))).toBe(true);
  });
});

// ---- timestamps that step back and jump ------------------------------------------------------------

/**
 * A copy of a classic little-endian µs pcap with some timestamps moved: `shift(k, r)` returns the
 * seconds to add to record k (r: a seeded random number in [0, 1)), or 0.
 */
function retimed(bytes: Buffer, shift: (k: number, r: () => number) => number): Buffer {
  const out = Buffer.from(bytes);
  let x = 12345;
  const r = (): number => {
    x = (Math.imul(x, 1103515245) + 12345) & 0x7fffffff;
    return x / 0x80000000;
  };
  let k = 0;
  for (let at = 24; at + 16 <= out.length; at += 16 + out.readUInt32LE(at + 8), k++) {
    const seconds = shift(k, r);
    if (seconds === 0) continue;
    const usec = Math.round((out.readUInt32LE(at) + out.readUInt32LE(at + 4) / 1e6 + seconds) * 1e6);
    out.writeUInt32LE(Math.floor(usec / 1e6), at);
    out.writeUInt32LE(usec % 1e6, at + 4);
  }
  return out;
}

/**
 * When a packet is older than the capture clock by more than a timeout (the capture's time jumped
 * ahead, or steps back), its flow's expiry lies at or before the clock: one replay ends it at the
 * next record, or reports it open at the end after the last. The sharded replay must order those
 * lines the same (it once merged them by expiry time, and ended them at the end as timeouts).
 */
describe('replay --workers N - captures whose timestamps jump', () => {
  it.each([5, 100, 150, 192])('replay workers - three-tier with record %i 100 s ahead', async (record) => {
    const path = join(TMP, `jump-${record}.pcap`);
    writeFileSync(path, retimed(readFileSync(THREE_TIER_CAPTURE), (k) => (k === record ? 100 : 0)));
    const one = await expectIdentical([path, '-f', THREE_TIER, '--flows', '-', '-o', 'json'], { workers: [2, 3] });
    expect(one.code, one.stderr).toBe(0);
  });

  it('replay workers - three-tier whose second half is 40 s behind the first', async () => {
    const path = join(TMP, 'step-back.pcap');
    writeFileSync(path, retimed(readFileSync(THREE_TIER_CAPTURE), (k) => (k >= 96 ? -40 : 0)));
    const one = await expectIdentical([path, '-f', THREE_TIER, '--cni', 'cilium', '--timeline', REVOKE_F01, '--flows', '-', '-o', 'json'], { workers: [2, 3] });
    expect(one.code, one.stderr).toBe(0);
  });

  it.each([
    ['upstream', 201],
    ['cilium', 202],
    ['ovn-kubernetes', 203],
  ])('replay workers - synthetic with jittered and jumping timestamps, --cni %s (seed %i)', async (cni, seed) => {
    const made = await synth(`jitter-${seed}`, ['--seed', String(seed), '--flows', '1200', '--flow-rate', '30', '--link-type', seed === 202 ? '113' : '1', '--pods', '50']);
    // 4% of the records up to 1 s off, 1% up to 40 s off: flows end late and out of time order.
    const path = join(TMP, `jitter-${seed}.pcap`);
    writeFileSync(path, retimed(readFileSync(made.capture), (_k, r) => {
      const u = r();
      return u < 0.01 ? Math.round((r() * 80 - 40) * 1e6) / 1e6 : u < 0.05 ? Math.round((r() * 2 - 1) * 1e6) / 1e6 : 0;
    }));
    const one = await expectIdentical([path, '-f', made.dir, '--cni', cni, '--flows', '-', '-o', 'json'], { workers: [2, 3] });
    expect(one.code, one.stderr).toBe(0);
  });
});

// ---- hand-built random traffic: fragments, ICMP errors, resets, port reuse ----------------------------

/**
 * A seeded random capture over the three-tier addresses of what synth does not make: UDP
 * datagrams in IPv4 fragments (in order, out of order, first fragment missing), ICMP errors from
 * routers about live connections (RELATED; quoting a pair other than their own), TCP handshakes
 * closed by FIN or RST, SYN retries, client ports reused, echoes, and gaps of 20-60 s so flows
 * time out between packets of other flows. (Stray ICMP errors about nothing conntrack holds are
 * the documented exception and left out.)
 */
function randomTraffic(seed: number, events: number): string {
  let x = seed;
  const r = (): number => {
    x = (Math.imul(x, 1103515245) + 12345) & 0x7fffffff;
    return x / 0x80000000;
  };
  const pick = <T>(list: readonly T[]): T => list[Math.floor(r() * list.length)] as T;
  const pods = ['10.244.1.10', '10.244.1.11', '10.244.2.12', '10.244.1.2', '10.244.2.20', '10.244.2.30'];
  const outside = ['203.0.113.50', '198.51.100.7', '172.18.0.2', '192.0.2.10'];
  const routers = ['10.244.0.1', '192.0.2.254'];
  const ports = [53, 80, 5678, 3306, 8125, 5353, 443];
  const path = join(TMP, `random-traffic-${seed}.pcap`);
  const writer = new PcapWriter(path);
  let t = 1_700_000_000;
  const put = (ip: Uint8Array): void => {
    t += r() < 0.03 ? 20 + r() * 40 : r() * 0.05;
    const frame = ethernet(0x0800, ip);
    const sec = Math.floor(t);
    writer.appendFrame(frame, 0, frame.length, frame.length, sec, Math.floor((t - sec) * 1e6) * 1000, 1);
  };
  const ip = (src: string, dst: string, protocol: number, payload: Uint8Array, more: Partial<Parameters<typeof ipv4>[0]> = {}): Uint8Array => ipv4({ src, dst, protocol, id: Math.floor(r() * 65536), ...more }, payload);
  const usedPorts = [40000, 40001, 40002, 40003];
  for (let e = 0; e < events; e++) {
    const client = r() < 0.7 ? pick(pods) : pick(outside);
    let server = pick(pods);
    if (server === client) server = pick(outside);
    const sport = r() < 0.2 ? pick(usedPorts) : 30000 + Math.floor(r() * 30000);
    const dport = pick(ports);
    const kind = r();
    if (kind < 0.25) {
      // UDP request, maybe answered, maybe an ICMP error from a router about it right after.
      const request = ip(client, server, 17, udp(sport, dport, fill(20 + Math.floor(r() * 200))));
      put(request);
      if (r() < 0.6) put(ip(server, client, 17, udp(dport, sport, fill(40))));
      if (r() < 0.25) put(ip(pick(routers), client, 1, icmp(r() < 0.5 ? 11 : 3, r() < 0.5 ? 0 : 4, 0, request.subarray(0, 28))));
    } else if (kind < 0.45) {
      // A UDP datagram in three IPv4 fragments: in order, shuffled, or without its first.
      const id = Math.floor(r() * 65536);
      const datagram = udp(sport, dport, fill(2952));
      const part = (offset: number, length: number, more: boolean): Uint8Array => ipv4({ src: client, dst: server, protocol: 17, id, moreFragments: more, fragmentOffset: offset }, datagram.subarray(offset, offset + length));
      const parts = [part(0, 1480, true), part(1480, 1480, true), part(2960, datagram.length - 2960, false)];
      const order = r();
      if (order < 0.5) parts.forEach(put);
      else if (order < 0.8) [parts[1]!, parts[0]!, parts[2]!].forEach(put);
      else [parts[1]!, parts[2]!].forEach(put);
      if (r() < 0.5) put(ip(server, client, 17, udp(dport, sport, fill(10))));
    } else if (kind < 0.8) {
      // TCP: handshake, data, then FIN or RST; or SYN retries only.
      const iss = Math.floor(r() * 2 ** 31);
      const irs = Math.floor(r() * 2 ** 31);
      put(ip(client, server, 6, tcp({ srcPort: sport, dstPort: dport, seq: iss, flags: 0x02, window: 1000 })));
      if (r() < 0.3) {
        put(ip(client, server, 6, tcp({ srcPort: sport, dstPort: dport, seq: iss, flags: 0x02, window: 1000 })));
        continue;
      }
      put(ip(server, client, 6, tcp({ srcPort: dport, dstPort: sport, seq: irs, ack: iss + 1, flags: 0x12, window: 1000 })));
      put(ip(client, server, 6, tcp({ srcPort: sport, dstPort: dport, seq: iss + 1, ack: irs + 1, flags: 0x10, window: 1000 })));
      put(ip(client, server, 6, tcp({ srcPort: sport, dstPort: dport, seq: iss + 1, ack: irs + 1, flags: 0x18, window: 1000 }, fill(100))));
      if (r() < 0.2) put(ip(pick(routers), client, 1, icmp(3, 4, 1400, ip(client, server, 6, tcp({ srcPort: sport, dstPort: dport, seq: iss + 1 })).subarray(0, 28))));
      put(ip(server, client, 6, tcp({ srcPort: dport, dstPort: sport, seq: irs + 1, ack: iss + 101, flags: 0x10, window: 1000 })));
      if (r() < 0.4) {
        put(ip(client, server, 6, tcp({ srcPort: sport, dstPort: dport, seq: iss + 101, ack: irs + 1, flags: 0x04 })));
      } else if (r() < 0.8) {
        put(ip(client, server, 6, tcp({ srcPort: sport, dstPort: dport, seq: iss + 101, ack: irs + 1, flags: 0x11, window: 1000 })));
        put(ip(server, client, 6, tcp({ srcPort: dport, dstPort: sport, seq: irs + 1, ack: iss + 102, flags: 0x11, window: 1000 })));
        put(ip(client, server, 6, tcp({ srcPort: sport, dstPort: dport, seq: iss + 102, ack: irs + 2, flags: 0x10, window: 1000 })));
      }
    } else {
      // ICMP echo, sometimes answered.
      const id = Math.floor(r() * 65536);
      put(ip(client, server, 1, icmp(8, 0, echoRest(id, 1), fill(56))));
      if (r() < 0.6) put(ip(server, client, 1, icmp(0, 0, echoRest(id, 1), fill(56))));
    }
  }
  writer.close();
  return path;
}

/**
 * A non-first IPv4 fragment that arrives after its datagram's flow timed out, as the first record
 * past the expiry: one replay ends the flow inside that packet's next() but reports it after the
 * packet, so the fragment counts on it. The workers once ticked to the record's clock first (and
 * reported the flow before the packet); now they tick to the clock before the record only.
 */
describe('replay --workers N - a fragment after its flow timed out', () => {
  it.each([
    ['first record past the expiry', [0, 40]],
    ['after another flow moved the clock past it', [0, 35, 40]],
    ['right after a late flow of the same worker', [100, 0, 40, 41]],
  ])('replay workers - the late fragment, %s', async (_label, times) => {
    const path = join(TMP, `late-fragment-${times.join('-')}.pcap`);
    const writer = new PcapWriter(path);
    const datagram = udp(40000, 3306, fill(1600));
    const first = ipv4({ src: '10.244.1.10', dst: '10.244.1.11', protocol: 17, id: 7, moreFragments: true }, datagram.subarray(0, 1480));
    const last = ipv4({ src: '10.244.1.10', dst: '10.244.1.11', protocol: 17, id: 7, fragmentOffset: 1480 }, datagram.subarray(1480));
    const other = (n: number): Uint8Array => ipv4({ src: '203.0.113.50', dst: '10.244.1.10', protocol: 17 }, udp(41000 + n, 80, fill(10)));
    // The datagram's fragments are the records at 0 and 40 s; any others are other flows.
    const ips = times.length === 2 ? [first, last] : times.length === 3 ? [first, other(1), last] : [other(2), first, last, other(3)];
    ips.forEach((ip, i) => {
      const frame = ethernet(0x0800, ip);
      writer.appendFrame(frame, 0, frame.length, frame.length, 1_700_000_000 + (times[i] as number), 0, 1);
    });
    writer.close();
    await expectIdentical([path, '-f', THREE_TIER, '--flows', '-', '-o', 'json'], { workers: [2, 3] });
  });
});

describe('replay --workers N - hand-built random traffic', () => {
  it.each([
    [1, 'upstream'],
    [2, 'calico'],
    [3, 'kube-router'],
    [4, 'cilium'],
  ])('replay workers - random traffic seed %i, --cni %s', async (seed, cni) => {
    const path = randomTraffic(seed, 1500);
    const one = await expectIdentical([path, '-f', THREE_TIER, '--cni', cni, '--flows', '-', '-o', 'json', '--coverage'], { workers: [2, 3] });
    expect(one.code, one.stderr).toBe(0);
    const summary = summaryOf(one.stderr);
    expect(summary.packets['allowedRelated']).toBeGreaterThan(0);
    expect(summary.packets['allowedFragment']! + summary.packets['droppedFragment']!).toBeGreaterThan(0);
  });
});

// ---- 2. option variety -------------------------------------------------------------------------

/** Timeline of the three-tier example that revokes F01 (frontend:80) 2 ms in. */
const REVOKE_F01 = 'test/fixtures/timelines/delete-frontend-policy.yaml';

/** Option sets run on both the three-tier capture and a synthetic one ([label, options, workers]). */
const OPTION_CASES: [string, string[], number[]][] = [
  ['--cni calico', ['--cni', 'calico'], [2]],
  ['--cni cilium', ['--cni', 'cilium'], [2]],
  ['--cni kube-router (REJECT answers)', ['--cni', 'kube-router'], [2, 3]],
  ['--cni ovn-kubernetes', ['--cni', 'ovn-kubernetes'], [2]],
  ['--cni calico --cni-opt denyAction=reject', ['--cni', 'calico', '--cni-opt', 'denyAction=reject'], [2]],
  ['--coverage (text)', ['--coverage'], [2]],
  ['--coverage -o json', ['--coverage', '-o', 'json'], [2]],
  ['--coverage --flows - -o json', ['--coverage', '--flows', '-', '-o', 'json'], [2]],
  ['--top 3', ['--top', '3', '--flows', '-'], [2]],
  ['--dedupe on', ['--dedupe', 'on', '--flows', '-', '-o', 'json'], [2]],
  ['--dedupe off', ['--dedupe', 'off', '--flows', '-', '-o', 'json'], [2]],
  ['--decap off', ['--decap', 'off', '--flows', '-', '-o', 'json'], [2]],
  ['--decap on', ['--decap', 'on', '--flows', '-', '-o', 'json'], [2]],
  ['--timeouts kubeproxy', ['--timeouts', 'kubeproxy', '--flows', '-', '-o', 'json'], [2]],
  ['--timeouts calicoBpf', ['--timeouts', 'calicoBpf', '--flows', '-', '-o', 'json'], [2]],
  ['--timeouts ciliumBpf', ['--timeouts', 'ciliumBpf', '--flows', '-', '-o', 'json'], [2]],
];

describe('replay --workers N - option variety on the three-tier capture', () => {
  it.each(OPTION_CASES)('replay workers - three-tier %s', async (_label, options, workers) => {
    const one = await expectIdentical([THREE_TIER_CAPTURE, '-f', THREE_TIER, ...options], { workers });
    expect(one.code, one.stderr).toBe(0);
  });

  it('replay workers - three-tier --cni kube-router writes REJECT answers to --write-allowed', async () => {
    const plain = await replay(2, [THREE_TIER_CAPTURE, '-f', THREE_TIER], true);
    const reject = await replay(2, [THREE_TIER_CAPTURE, '-f', THREE_TIER, '--cni', 'kube-router', '-o', 'json'], true);
    expect(JSON.parse(reject.stdout).rejectsSent).toBeGreaterThan(0);
    expect((reject.allowed as Buffer).length).toBeGreaterThan((plain.allowed as Buffer).length);
  });

  it.each([
    ['cilium', REVOKE_F01],
    ['ovn-kubernetes', REVOKE_F01],
    ['calico', REVOKE_F01],
    ['upstream', 'test/fixtures/timelines/allow-and-relabel.yaml'],
  ])('replay workers - three-tier --cni %s --timeline %s', async (cni, timeline) => {
    const args = [THREE_TIER_CAPTURE, '-f', THREE_TIER, '--cni', cni, '--timeline', timeline];
    const one = await expectIdentical([...args, '--flows', '-', '-o', 'json', '--coverage'], { workers: [2, 3] });
    expect(one.code, one.stderr).toBe(0);
    expect(summaryOf(one.stderr).timeline?.length).toBeGreaterThan(0);
    if (cni === 'cilium' || cni === 'ovn-kubernetes') expect(summaryOf(one.stderr).verdictChanges).toBeGreaterThan(0);
    // The text summary prints the timeline with its (masked) rebuild times.
    const text = await expectIdentical(args, { write: false });
    expect(text.stdout).toContain('tables rebuilt in');
  });
});

describe('replay --workers N - option variety on a synthetic capture', () => {
  let base: Synthetic;
  let revoke: string;
  beforeAll(async () => {
    // Default flow rate: many connections open at once, so a timeline catches some established.
    base = await synth('options', ['--seed', '205', '--flows', '1500', '--dual-stack', '--link-type', '113']);
    // Delete the allow policies of the application namespaces one after another.
    const text = readFileSync(join(base.dir, 'policies.yaml'), 'utf8');
    const allows = [...text.matchAll(/\n {2}name: (\S+)\n {2}namespace: (\S+)\n/g)]
      .map((m) => ({ name: m[1] as string, namespace: m[2] as string }))
      .filter((p) => p.name.includes('allow') && p.namespace !== 'kube-system' && p.namespace !== 'monitoring');
    expect(allows.length).toBeGreaterThan(2);
    revoke = join(TMP, 'synth-revoke.yaml');
    writeFileSync(
      revoke,
      `events:\n${allows
        .slice(0, 6)
        .map((p, i) => `- at: +${300 + 250 * i}ms\n  delete: {kind: NetworkPolicy, namespace: ${p.namespace}, name: ${p.name}}\n`)
        .join('')}- at: +1900ms\n  label: {kind: Namespace, name: ${allows[0]?.namespace}, set: {quarantined: "yes"}}\n`,
    );
  });

  it.each(OPTION_CASES)('replay workers - synthetic %s', async (_label, options) => {
    const one = await expectIdentical([base.capture, '-f', base.dir, ...options]);
    expect(one.code, one.stderr).toBe(0);
  });

  it.each(['cilium', 'ovn-kubernetes', 'calico'])('replay workers - synthetic --cni %s with a timeline that revokes established connections', async (cni) => {
    const one = await expectIdentical([base.capture, '-f', base.dir, '--cni', cni, '--timeline', revoke, '--flows', '-', '-o', 'json', '--coverage'], { workers: [2, 3] });
    expect(one.code, one.stderr).toBe(0);
    const summary = summaryOf(one.stderr);
    expect(summary.timeline?.length).toBe(7);
    if (cni !== 'calico') expect(summary.verdictChanges).toBeGreaterThan(0);
  });
});

// ---- --engine naive ---------------------------------------------------------------------------------

/**
 * The naive engine numbers rules in the order it first meets them, so each worker numbers them
 * differently: worker 0 combines the others' rule counters and coverage by rule text / RuleRef,
 * not by id (FlowSummary.absorb, RuleCoverage.absorb). These failed before that.
 */
describe('replay --workers N - --engine naive', () => {
  it('replay workers - three-tier --engine naive', async () => {
    await expectIdentical([THREE_TIER_CAPTURE, '-f', THREE_TIER, '--engine', 'naive', '--flows', '-', '-o', 'json']);
  });

  it('replay workers - three-tier --engine naive --coverage', async () => {
    await expectIdentical([THREE_TIER_CAPTURE, '-f', THREE_TIER, '--engine', 'naive', '--coverage', '-o', 'json'], { write: false });
  });
});

// ---- 4. error paths ------------------------------------------------------------------------------

describe('replay --workers N - error paths', () => {
  it.each([
    ['before the first packet', '1'],
    ['mid-capture', '+2ms'],
  ])('replay workers - a timeline event that fails (%s): same exit code and message', async (_when, at) => {
    const path = join(TMP, `missing-${at.replace(/\W/g, '')}.yaml`);
    writeFileSync(path, `events:\n- at: ${at}\n  delete: {kind: NetworkPolicy, namespace: app1-ns, name: nope}\n`);
    const one = await expectIdentical([THREE_TIER_CAPTURE, '-f', THREE_TIER, '--timeline', path, '-o', 'json'], { write: false });
    expect(one.code).toBe(3);
    expect(one.stderr).toContain('no NetworkPolicy app1-ns/nope in the cluster');
    expect(one.stderr).not.toMatch(/\n\s+at /);
  });

  it('replay workers - a capture path that does not exist: same exit code and message', async () => {
    const one = await expectIdentical([join(TMP, 'nope.pcap'), '-f', THREE_TIER, '--flows', '-'], { write: false });
    expect(one.code).toBe(4);
    expect(one.stderr).toContain('nope.pcap');
  });

  it.each([
    ['--report', ['--report', join(TMP, 'x.html')]],
    ['--reader pcap-parser', ['--reader', 'pcap-parser']],
  ])('replay workers - --workers 2 with %s is a usage error', async (flag, extra) => {
    const run = await runCli(['replay', THREE_TIER_CAPTURE, '-f', THREE_TIER, ...extra, '--workers', '2']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(flag);
    expect(run.stdout).toBe('');
  });

  it('replay workers - --workers 2 with --flows-in or a capture on stdin is a usage error', async () => {
    const flowsIn = await runCli(['replay', '--flows-in', 'examples/admin-tiers/flows.jsonl', '-f', 'examples/admin-tiers', '--workers', '2']);
    expect(flowsIn.code).toBe(2);
    expect(flowsIn.stderr).toContain('--flows-in');
    const stdin = await runCli(['replay', '-', '-f', THREE_TIER, '--workers', '2']);
    expect(stdin.code).toBe(2);
    expect(stdin.stderr).toContain('standard input');
  });

  it.each(['0', 'abc', '-1', '1.5', ''])('replay workers - --workers %j is a usage error', async (value) => {
    const run = await runCli(['replay', THREE_TIER_CAPTURE, '-f', THREE_TIER, `--workers=${value}`]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--workers');
    expect(run.stdout).toBe('');
  });
});
