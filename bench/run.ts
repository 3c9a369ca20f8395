/**
 * The benchmark suite (issue 5): compiled dataplane vs naive evaluator in the same run, over
 * seeded synthetic clusters and flows (src/synth), with tinybench.
 *
 *   npm run bench          # full: 3 scales, conntrack at 10K/100K/1M flows, 1M-frame capture
 *   npm run bench:smoke    # tiny sizes, a few seconds: keeps the suite working in CI
 *
 * Measured per scale (small 100 pods / 20 policies, medium 1,000 / 200, large 10,000 / 2,000):
 * - new-flow classification: the policy decision alone on pre-decoded first packets, and the
 *   whole dataplane path (decode, conntrack miss, policy, conntrack create, flow record) with
 *   every packet a new flow;
 * - mixed replay: ~10 packets per flow, interleaved (conntrack hits dominate);
 * - compile time, table bytes, retained heap (bench/compile-bench.ts's measureCompile).
 * Then, independent of policy: the conntrack-hit path at 10K/100K/1M live TCP flows (lookup
 * alone on a reused PacketMeta whose tuple is set per packet, and the dataplane's whole path on
 * frames), bytes per conntrack entry, and capture reading on a pcap of 64-byte frames (built-in
 * reader and pcap-parser).
 *
 * Each iteration processes a whole batch and starts from a fresh Dataplane made in `beforeEach`
 * (untimed), so "every packet a new flow" stays true on every iteration. The naive engine is
 * timed on a prefix of the batch sized to ~150 ms, because at 10K pods it takes milliseconds a
 * flow; rates are per packet either way.
 *
 * Prints markdown tables and writes bench/results/bench.json (or bench-smoke.json) with the
 * machine it ran on.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import { compile } from '../compiler/compile.js';
import type { Cluster } from '../compiler/model.js';
import { Reason } from '../compiler/verdict.js';
import { FlowClassifier } from '../dataplane/classify-flow.js';
import { ConntrackTable, CT_TIMEOUTS_KUBEPROXY, CtResult } from '../dataplane/conntrack/index.js';
import { Dataplane } from '../dataplane/dataplane.js';
import { decodeFrame } from '../dataplane/decode/index.js';
import type { NewFlowPolicy } from '../dataplane/new-flow-policy.js';
import { DecodeStatus, PacketMeta, TcpFlag } from '../dataplane/packet-meta.js';
import { readCapture } from '../src/capture/open-capture.js';
import { CaptureRecord } from '../src/capture/capture-record.js';
import { PcapWriter } from '../src/capture/pcap-writer.js';
import { openCaptureWithPcapParser } from '../src/capture/read-with-pcap-parser.js';
import { NaivePacketPolicy } from '../src/engines/naive-packet-policy.js';
import { buildFrame, FrameFields } from '../src/synth/build-frames.js';
import { FlowExchange } from '../src/synth/flow-exchange.js';
import { buildSyntheticCluster, defaultShape, type ClusterShape } from '../src/synth/generate-cluster.js';
import { generateFlows } from '../src/synth/generate-flows.js';
import { measureCompile, type CompileRow } from './compile-bench.js';

const SMOKE = process.argv.includes('--smoke');
const SEED = 1;

interface Scale {
  readonly name: string;
  readonly pods: number;
  readonly policies: number;
  readonly compileRepetitions: number;
}

const SCALES: readonly Scale[] = SMOKE
  ? [{ name: 'tiny', pods: 60, policies: 12, compileRepetitions: 5 }]
  : [
      { name: 'small', pods: 100, policies: 20, compileRepetitions: 100 },
      { name: 'medium', pods: 1_000, policies: 200, compileRepetitions: 30 },
      { name: 'large', pods: 10_000, policies: 2_000, compileRepetitions: 10 },
    ];
const CONNTRACK_FLOWS: readonly number[] = SMOKE ? [1_000, 10_000] : [10_000, 100_000, 1_000_000];
const NEW_FLOWS = SMOKE ? 2_000 : 20_000;
const MIXED_FLOWS = SMOKE ? 300 : 10_000;
const CAPTURE_FRAMES = SMOKE ? 20_000 : 1_000_000;
/** Per task: time budget and minimum iterations (tinybench runs until both are met). */
const TASK_MS = SMOKE ? 30 : 500;
const TASK_ITERATIONS = SMOKE ? 2 : 5;
/** The naive engine's batch is cut to about this long an iteration. */
const NAIVE_ITERATION_MS = SMOKE ? 20 : 150;
/** Frames are kept up to this many bytes (a `tcpdump -s 128` capture): decode needs headers only. */
const SNAP_BYTES = 128;

// ---------------------------------------------------------------------------------------------
// Measuring

interface Rate {
  readonly packets: number;
  /** Mean ms per iteration. */
  readonly meanMs: number;
  readonly iterations: number;
  readonly packetsPerSecond: number;
  readonly nsPerPacket: number;
  /** Relative margin of error of the mean, percent. */
  readonly rmePercent: number;
}

async function measure(name: string, packets: number, fn: () => unknown, beforeEach?: () => void): Promise<Rate> {
  const bench = new Bench({ time: TASK_MS, iterations: TASK_ITERATIONS, warmupTime: TASK_MS / 4, warmupIterations: 1 });
  bench.add(name, fn, beforeEach ? { beforeEach } : {});
  await bench.run();
  const result = bench.tasks[0]?.result;
  if (!result || result.state !== 'completed') throw new Error(`benchmark ${name} did not complete: ${JSON.stringify(result)}`);
  const meanMs = result.latency.mean;
  const rate = {
    packets,
    meanMs,
    iterations: result.latency.samplesCount,
    packetsPerSecond: (packets / meanMs) * 1000,
    nsPerPacket: (meanMs * 1e6) / packets,
    rmePercent: result.latency.rme,
  };
  console.error(`  ${name}: ${fmtRate(rate.packetsPerSecond)} packets/s, ${rate.nsPerPacket.toFixed(1)} ns/packet (${rate.iterations} iterations × ${packets})`);
  return rate;
}

/** How many of `available` items fit in NAIVE_ITERATION_MS, from a trial run of `trial` items. */
function naiveBatch(available: number, trial: number, run: (count: number) => void): number {
  const n = Math.min(trial, available);
  const start = performance.now();
  run(n);
  const perItem = (performance.now() - start) / n;
  return Math.max(Math.min(available, 20), Math.min(available, Math.round(NAIVE_ITERATION_MS / Math.max(perItem, 1e-6))));
}

// ---------------------------------------------------------------------------------------------
// Frames in memory

/** Frames (cut to SNAP_BYTES) with their lengths and times: a capture held in memory. */
class FrameStore {
  buf: Buffer;
  readonly offsets: Uint32Array;
  readonly captured: Uint16Array;
  readonly wire: Uint16Array;
  readonly times: Float64Array;
  count = 0;
  private used = 0;

  constructor(
    readonly capacity: number,
    readonly linkType: number,
  ) {
    this.buf = Buffer.alloc(capacity * SNAP_BYTES);
    this.offsets = new Uint32Array(capacity);
    this.captured = new Uint16Array(capacity);
    this.wire = new Uint16Array(capacity);
    this.times = new Float64Array(capacity);
  }

  private readonly scratch = Buffer.alloc(65536);

  add(timeSec: number, fields: FrameFields): void {
    if (this.count >= this.capacity) throw new Error('FrameStore full');
    const length = buildFrame(this.scratch, 0, this.linkType, fields);
    const keep = Math.min(length, SNAP_BYTES);
    this.scratch.copy(this.buf, this.used, 0, keep);
    const i = this.count++;
    this.offsets[i] = this.used;
    this.captured[i] = keep;
    this.wire[i] = length;
    this.times[i] = timeSec;
    this.used += keep;
  }

  /** Every frame (or the first `limit`) through the dataplane. */
  replay(dataplane: Dataplane, limit = this.count): void {
    const { buf, offsets, captured, wire, times, linkType } = this;
    for (let i = 0; i < limit; i++) dataplane.next(buf, offsets[i] as number, captured[i] as number, wire[i] as number, linkType, times[i] as number);
  }
}

function copyExchange(x: FlowExchange, into: FlowExchange): void {
  into.ipVersion = x.ipVersion;
  into.src.set(x.src);
  into.dst.set(x.dst);
  into.protocol = x.protocol;
  into.sport = x.sport;
  into.dport = x.dport;
  into.packets = x.packets;
  into.answered = x.answered;
  into.requestBytes = x.requestBytes;
  into.responseBytes = x.responseBytes;
  into.rttUs = x.rttUs;
}

/** The first packet of `flows` distinct generated flows (Zipf pairs, 20% denied): each starts a flow. */
function firstPackets(cluster: Cluster, flows: number): FrameStore {
  const store = new FrameStore(flows, 1);
  const first = new FlowExchange();
  const fields = new FrameFields();
  let n = 0;
  generateFlows(
    cluster,
    { seed: SEED, flows, packetsPerFlow: 1, denyShare: 0.2 },
    () => undefined,
    (startUs, x) => {
      copyExchange(x, first);
      first.start(startUs);
      first.next(fields);
      fields.ipId = n & 0xffff;
      fields.payloadTag = n++ & 0xffff;
      store.add(startUs / 1e6, fields);
    },
  );
  return store;
}

function mixedTraffic(cluster: Cluster, flows: number): FrameStore {
  let count = 0;
  generateFlows(cluster, { seed: SEED, flows, packetsPerFlow: 10, denyShare: 0.2 }, () => count++);
  const store = new FrameStore(count, 1);
  generateFlows(cluster, { seed: SEED, flows, packetsPerFlow: 10, denyShare: 0.2 }, (t, f) => store.add(t / 1e6, f));
  return store;
}

// ---------------------------------------------------------------------------------------------
// Per scale

interface ScaleResult {
  readonly scale: string;
  readonly pods: number;
  readonly policies: number;
  readonly compile: CompileRow;
  readonly classify: { readonly compiled: Rate; readonly naive: Rate };
  readonly newFlow: { readonly compiled: Rate; readonly naive: Rate };
  readonly mixed: { readonly compiled: Rate; readonly naive: Rate; readonly flows: number; readonly packets: number };
}

function nextPowerOfTwo(n: number): number {
  let p = 16;
  while (p < n) p *= 2;
  return p;
}

async function benchScale(scale: Scale): Promise<ScaleResult> {
  const shape: ClusterShape = { ...defaultShape(scale.pods, SEED), policies: scale.policies };
  console.error(`scale ${scale.name}: ${scale.pods} pods / ${scale.policies} policies`);
  const cluster = buildSyntheticCluster(shape);
  const compileRow = measureCompile(shape, scale.compileRepetitions, cluster);
  console.error(`  compile: median ${compileRow.medianMs.toFixed(2)} ms`);
  const tables = compile(cluster);
  const classifier = new FlowClassifier(tables);
  const naive = new NaivePacketPolicy(cluster);

  // New-flow classification alone: the policy call on each first packet. The packets are decoded
  // beforehand into flat columns and loaded into ONE reused PacketMeta per call, as the dataplane
  // has one record: 20K separate PacketMeta objects would measure their cache misses instead.
  const first = firstPackets(cluster, NEW_FLOWS);
  const decoded = new PacketMeta();
  const ipVersion = new Uint8Array(first.count);
  const protocol = new Uint8Array(first.count);
  const dstPort = new Uint16Array(first.count);
  const srcWords = new Uint32Array(first.count * 4);
  const dstWords = new Uint32Array(first.count * 4);
  for (let i = 0; i < first.count; i++) {
    if (decodeFrame(first.buf, first.offsets[i] as number, first.captured[i] as number, first.wire[i] as number, 1, decoded) !== DecodeStatus.OK) throw new Error('undecodable synthetic frame');
    ipVersion[i] = decoded.ipVersion;
    protocol[i] = decoded.protocol;
    dstPort[i] = decoded.dstPort;
    srcWords.set(decoded.src, i * 4);
    dstWords.set(decoded.dst, i * 4);
  }
  const meta = new PacketMeta();
  let sink = 0;
  const classifyAll = (policy: NewFlowPolicy, count: number): void => {
    for (let i = 0; i < count; i++) {
      meta.ipVersion = ipVersion[i] as number;
      meta.protocol = protocol[i] as number;
      meta.dstPort = dstPort[i] as number;
      for (let w = 0; w < 4; w++) {
        meta.src[w] = srcWords[i * 4 + w] as number;
        meta.dst[w] = dstWords[i * 4 + w] as number;
      }
      sink += policy.classifyPacket(meta);
    }
  };
  const metaCount = first.count;
  const classifyCompiled = await measure(`${scale.name} classify compiled`, metaCount, () => classifyAll(classifier, metaCount));
  const naiveClassifyCount = naiveBatch(metaCount, 50, (n) => classifyAll(naive, n));
  const classifyNaive = await measure(`${scale.name} classify naive`, naiveClassifyCount, () => classifyAll(naive, naiveClassifyCount));

  // New flows through the whole dataplane, a fresh one per iteration.
  const capacity = nextPowerOfTwo(NEW_FLOWS * 2);
  let dataplane = new Dataplane(classifier, { conntrackCapacity: capacity });
  const newFlowCompiled = await measure(`${scale.name} new-flow dataplane compiled`, first.count, () => first.replay(dataplane), () => {
    dataplane = new Dataplane(classifier, { conntrackCapacity: capacity });
  });
  const naiveNewCount = naiveBatch(first.count, 50, (n) => first.replay(new Dataplane(naive, { conntrackCapacity: capacity }), n));
  const newFlowNaive = await measure(`${scale.name} new-flow dataplane naive`, naiveNewCount, () => first.replay(dataplane, naiveNewCount), () => {
    dataplane = new Dataplane(naive, { conntrackCapacity: capacity });
  });

  // Mixed replay: ~10 packets a flow, flows overlapping in time.
  const mixed = mixedTraffic(cluster, MIXED_FLOWS);
  const mixedCapacity = nextPowerOfTwo(MIXED_FLOWS * 2);
  const mixedCompiled = await measure(`${scale.name} mixed replay compiled`, mixed.count, () => mixed.replay(dataplane), () => {
    dataplane = new Dataplane(classifier, { conntrackCapacity: mixedCapacity });
  });
  const naiveMixedCount = naiveBatch(mixed.count, 500, (n) => mixed.replay(new Dataplane(naive, { conntrackCapacity: mixedCapacity }), n));
  const mixedNaive = await measure(`${scale.name} mixed replay naive`, naiveMixedCount, () => mixed.replay(dataplane, naiveMixedCount), () => {
    dataplane = new Dataplane(naive, { conntrackCapacity: mixedCapacity });
  });
  if (sink === -1) console.error('');
  return {
    scale: scale.name,
    pods: scale.pods,
    policies: scale.policies,
    compile: compileRow,
    classify: { compiled: classifyCompiled, naive: classifyNaive },
    newFlow: { compiled: newFlowCompiled, naive: newFlowNaive },
    mixed: { compiled: mixedCompiled, naive: mixedNaive, flows: MIXED_FLOWS, packets: mixed.count },
  };
}

// ---------------------------------------------------------------------------------------------
// Conntrack hits

/** Every flow allowed: conntrack benchmarks measure the table, not policy. */
class AllowAll implements NewFlowPolicy {
  readonly egressRule = -1;
  readonly ingressRule = -1;
  readonly srcEndpoint = -1;
  readonly dstEndpoint = -1;
  classifyPacket(): Reason {
    return Reason.ALLOW_NOT_ISOLATED;
  }
}

interface ConntrackResult {
  readonly flows: number;
  readonly capacity: number;
  /** Lookup on a reused PacketMeta: hash, probe, TCP state machine, timers, counters. */
  readonly lookup: Rate;
  /** Dataplane.next on the flow's ACK frame: decode + lookup + flow record + counters. */
  readonly dataplane: Rate;
  readonly bytesPerSlot: number;
  readonly bytesPerLiveEntry: number;
  readonly load: number;
}

/** Flow i's tuple: distinct client addresses and ports towards a few hundred servers on 443. */
function tuple(i: number, out: { src: number; dst: number; sport: number; dport: number }): void {
  out.src = (0x0a400000 + i) >>> 0;
  out.dst = (0x0a000000 + (Math.imul(i, 2654435761) >>> 24)) >>> 0;
  out.sport = 1024 + (i % 60000);
  out.dport = 443;
}

function seededPermutation(n: number): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  let s = 0x9e3779b9;
  for (let i = n - 1; i > 0; i--) {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    const j = s % (i + 1);
    const t = p[i] as number;
    p[i] = p[j] as number;
    p[j] = t;
  }
  return p;
}

const CLIENT_ISN = 1000;
const SERVER_ISN = 5000;

async function benchConntrack(flows: number): Promise<ConntrackResult> {
  console.error(`conntrack: ${flows} live flows`);
  const capacity = nextPowerOfTwo(Math.ceil((flows * 4) / 3) + 1);
  const t = { src: 0, dst: 0, sport: 0, dport: 0 };
  const now = 1000;

  // (a) The table alone. Handshake each flow (SYN create, SYN/ACK, ACK) so it is ESTABLISHED.
  let table: ConntrackTable | null = new ConntrackTable({ capacity, maxEntries: Math.min(capacity - 1, flows + 16), timeouts: CT_TIMEOUTS_KUBEPROXY });
  const meta = new PacketMeta();
  const set = (src: number, dst: number, sport: number, dport: number, flags: number, seq: number, ack: number): void => {
    meta.ipVersion = 4;
    meta.protocol = 6;
    meta.l4Offset = 34;
    meta.src[0] = src;
    meta.dst[0] = dst;
    meta.srcPort = sport;
    meta.dstPort = dport;
    meta.tcpFlags = flags;
    meta.tcpSeq = seq;
    meta.tcpAck = ack;
    meta.tcpWindow = 502;
    meta.payloadLength = 0;
    meta.ipLength = 40;
  };
  for (let i = 0; i < flows; i++) {
    tuple(i, t);
    set(t.src, t.dst, t.sport, t.dport, TcpFlag.SYN, CLIENT_ISN, 0);
    if (table.lookup(meta, now) !== CtResult.MISS_NEW || table.create(meta, now, i) < 0) throw new Error(`conntrack insert ${i} failed`);
    set(t.dst, t.src, t.dport, t.sport, TcpFlag.SYN | TcpFlag.ACK, SERVER_ISN, CLIENT_ISN + 1);
    table.lookup(meta, now);
    set(t.src, t.dst, t.sport, t.dport, TcpFlag.ACK, CLIENT_ISN + 1, SERVER_ISN + 1);
    table.lookup(meta, now);
  }
  if (table.size !== flows) throw new Error(`conntrack holds ${table.size} entries, expected ${flows}`);
  // Tuples in a shuffled order, so consecutive lookups land anywhere in the table as on a busy node.
  const order = seededPermutation(flows);
  const srcs = new Uint32Array(flows);
  const dsts = new Uint32Array(flows);
  const ports = new Uint32Array(flows);
  for (let k = 0; k < flows; k++) {
    tuple(order[k] as number, t);
    srcs[k] = t.src;
    dsts[k] = t.dst;
    ports[k] = (t.sport << 16) | t.dport;
  }
  let misses = 0;
  const ct = table;
  const lookup = await measure(`conntrack ${flows} lookup`, flows, () => {
    for (let k = 0; k < flows; k++) {
      const p = ports[k] as number;
      set(srcs[k] as number, dsts[k] as number, p >>> 16, p & 0xffff, TcpFlag.ACK, CLIENT_ISN + 1, SERVER_ISN + 1);
      if (ct.lookup(meta, now) !== CtResult.HIT_ORIGINAL) misses++;
    }
  });
  if (misses !== 0) throw new Error(`conntrack benchmark: ${misses} lookups missed`);
  const bytesPerSlot = table.bytesPerSlot();
  table = null;

  // (b) The dataplane's whole path on frames (Ethernet, 54 bytes), shuffled the same way.
  const dataplane = new Dataplane(new AllowAll(), { conntrackCapacity: capacity, conntrackMax: Math.min(capacity - 1, flows + 16), timeouts: CT_TIMEOUTS_KUBEPROXY, dedupe: 'off' });
  const fields = new FrameFields();
  const scratch = Buffer.alloc(128);
  const frame = (src: number, dst: number, sport: number, dport: number, flags: number, seq: number, ack: number): number => {
    fields.src[0] = src;
    fields.dst[0] = dst;
    fields.srcPort = sport;
    fields.dstPort = dport;
    fields.tcpFlags = flags;
    fields.tcpSeq = seq;
    fields.tcpAck = ack;
    fields.tcpWindow = 502;
    fields.payloadLength = 0;
    return buildFrame(scratch, 0, 1, fields);
  };
  for (let i = 0; i < flows; i++) {
    tuple(i, t);
    let n = frame(t.src, t.dst, t.sport, t.dport, TcpFlag.SYN, CLIENT_ISN, 0);
    dataplane.next(scratch, 0, n, n, 1, now);
    n = frame(t.dst, t.src, t.dport, t.sport, TcpFlag.SYN | TcpFlag.ACK, SERVER_ISN, CLIENT_ISN + 1);
    dataplane.next(scratch, 0, n, n, 1, now);
    n = frame(t.src, t.dst, t.sport, t.dport, TcpFlag.ACK, CLIENT_ISN + 1, SERVER_ISN + 1);
    dataplane.next(scratch, 0, n, n, 1, now);
  }
  const store = new FrameStore(flows, 1);
  for (let k = 0; k < flows; k++) {
    const p = ports[k] as number;
    frame(srcs[k] as number, dsts[k] as number, p >>> 16, p & 0xffff, TcpFlag.ACK, CLIENT_ISN + 1, SERVER_ISN + 1);
    store.add(now, fields);
  }
  const before = dataplane.counters[2] as number;
  const full = await measure(`conntrack ${flows} dataplane`, flows, () => store.replay(dataplane));
  const hits = (dataplane.counters[2] as number) - before;
  if (hits % flows !== 0 || hits === 0) throw new Error(`dataplane hit benchmark: ${hits} established packets is not a multiple of ${flows}`);
  return { flows, capacity, lookup, dataplane: full, bytesPerSlot, bytesPerLiveEntry: (bytesPerSlot * capacity) / flows, load: flows / capacity };
}

// ---------------------------------------------------------------------------------------------
// Capture reading

interface CaptureResult {
  readonly frames: number;
  readonly fileBytes: number;
  readonly frameBytes: number;
  readonly reader: Rate & { readonly megabytesPerSecond: number };
  readonly pcapParser: Rate & { readonly megabytesPerSecond: number };
}

async function benchCapture(): Promise<CaptureResult> {
  console.error(`capture reading: ${CAPTURE_FRAMES} frames of 64 bytes`);
  const dir = mkdtempSync(join(tmpdir(), 'netpol-emu-bench-'));
  try {
    const path = join(dir, 'frames64.pcap');
    const writer = new PcapWriter(path, { linkType: 1, nanosecond: false });
    const record = new CaptureRecord();
    record.buffer = Buffer.alloc(128);
    record.linkType = 1;
    const fields = new FrameFields();
    fields.protocol = 17;
    fields.dstPort = 53;
    // Ethernet 14 + IPv4 20 + UDP 8 + 22 bytes = 64.
    fields.payloadLength = 22;
    for (let i = 0; i < CAPTURE_FRAMES; i++) {
      fields.src[0] = (0x0a400000 + (i & 0xffff)) >>> 0;
      fields.dst[0] = 0x0a000002;
      fields.srcPort = 1024 + (i % 60000);
      fields.ipId = i & 0xffff;
      const n = buildFrame(record.buffer, 0, 1, fields);
      record.capturedLength = n;
      record.wireLength = n;
      record.tsSec = 1_700_000_000 + Math.floor(i / 1e6);
      record.tsNsec = (i % 1_000_000) * 1000;
      writer.append(record);
    }
    writer.close();
    const fileBytes = statSync(path).size;
    let total = 0;
    const count = (r: CaptureRecord): void => {
      total += r.capturedLength;
    };
    const reader = await measure('capture built-in reader', CAPTURE_FRAMES, async () => {
      const end = await readCapture(path, count);
      if (end.records !== CAPTURE_FRAMES) throw new Error(`read ${end.records} records`);
    });
    const parser = await measure('capture pcap-parser', CAPTURE_FRAMES, async () => {
      const end = await (await openCaptureWithPcapParser(path)).forEach(count);
      if (end.records !== CAPTURE_FRAMES) throw new Error(`pcap-parser read ${end.records} records`);
    });
    const mbps = (rate: Rate): number => fileBytes / 1e6 / (rate.meanMs / 1000);
    if (total === 0) throw new Error('nothing read');
    return { frames: CAPTURE_FRAMES, fileBytes, frameBytes: 64, reader: { ...reader, megabytesPerSecond: mbps(reader) }, pcapParser: { ...parser, megabytesPerSecond: mbps(parser) } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Report

function fmtRate(pps: number): string {
  if (pps >= 1e6) return `${(pps / 1e6).toFixed(2)} M`;
  if (pps >= 1e3) return `${(pps / 1e3).toFixed(1)} K`;
  return pps.toFixed(0);
}

function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? '---|' : '---:|')).join('')}`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function markdown(machine: Machine, scales: readonly ScaleResult[], conntrack: readonly ConntrackResult[], capture: CaptureResult): string {
  const pair = (scale: ScaleResult, what: string, c: Rate, n: Rate): (string | number)[] => [
    scale.scale,
    `${scale.pods} / ${scale.policies}`,
    what,
    fmtRate(c.packetsPerSecond),
    c.nsPerPacket.toFixed(1),
    fmtRate(n.packetsPerSecond),
    n.nsPerPacket.toFixed(1),
    `${(c.packetsPerSecond / n.packetsPerSecond).toFixed(1)}×`,
  ];
  const engineRows = scales.flatMap((s) => [
    pair(s, 'new-flow classification (policy only)', s.classify.compiled, s.classify.naive),
    pair(s, 'new-flow, whole dataplane', s.newFlow.compiled, s.newFlow.naive),
    pair(s, `mixed replay (${(s.mixed.packets / s.mixed.flows).toFixed(1)} packets/flow)`, s.mixed.compiled, s.mixed.naive),
  ]);
  const compileRows = scales.map((s) => [s.scale, `${s.pods} / ${s.policies}`, s.compile.medianMs.toFixed(2), s.compile.p95Ms.toFixed(2), (s.compile.tableBytes / 1024).toFixed(1), s.compile.retainedBytes === null ? 'n/a' : (s.compile.retainedBytes / 1024).toFixed(1)]);
  const ctRows = conntrack.map((c) => [
    c.flows.toLocaleString('en-US'),
    c.capacity.toLocaleString('en-US'),
    fmtRate(c.lookup.packetsPerSecond),
    c.lookup.nsPerPacket.toFixed(1),
    fmtRate(c.dataplane.packetsPerSecond),
    c.dataplane.nsPerPacket.toFixed(1),
    c.bytesPerSlot.toFixed(0),
    c.bytesPerLiveEntry.toFixed(0),
  ]);
  const cap = capture;
  return [
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node} (one core used)${SMOKE ? ' — SMOKE sizes, not comparable' : ''}`,
    '',
    table(['scale', 'pods / policies', 'benchmark', 'compiled packets/s', 'compiled ns/packet', 'naive packets/s', 'naive ns/packet', 'compiled/naive'], engineRows),
    '',
    table(['scale', 'pods / policies', 'compile median ms', 'p95 ms', 'tables KiB', 'retained heap KiB'], compileRows),
    '',
    table(['live flows', 'slots', 'ct lookup hits/s', 'ns/hit', 'dataplane hits/s', 'ns/packet', 'bytes/slot', 'bytes/live entry'], ctRows),
    '',
    table(
      ['capture reading (64-byte frames)', 'packets/s', 'ns/packet', 'MB/s'],
      [
        ['built-in reader', fmtRate(cap.reader.packetsPerSecond), cap.reader.nsPerPacket.toFixed(1), cap.reader.megabytesPerSecond.toFixed(0)],
        ['pcap-parser', fmtRate(cap.pcapParser.packetsPerSecond), cap.pcapParser.nsPerPacket.toFixed(1), cap.pcapParser.megabytesPerSecond.toFixed(0)],
      ],
    ),
  ].join('\n');
}

interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly platform: string;
}

async function main(): Promise<void> {
  const started = performance.now();
  const machine: Machine = {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
  const scales: ScaleResult[] = [];
  for (const scale of SCALES) scales.push(await benchScale(scale));
  const conntrack: ConntrackResult[] = [];
  for (const flows of CONNTRACK_FLOWS) conntrack.push(await benchConntrack(flows));
  const capture = await benchCapture();
  const text = markdown(machine, scales, conntrack, capture);
  console.log(text);
  const dir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = `${dir}${SMOKE ? 'bench-smoke.json' : 'bench.json'}`;
  const seconds = (performance.now() - started) / 1000;
  writeFileSync(file, `${JSON.stringify({ benchmark: 'netpol-emu', smoke: SMOKE, seed: SEED, date: new Date().toISOString(), seconds, machine, scales, conntrack, capture, markdown: text }, null, 2)}\n`);
  console.error(`wrote ${file} (${seconds.toFixed(0)} s)`);
}

await main();
