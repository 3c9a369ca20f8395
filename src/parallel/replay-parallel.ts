/**
 * `replay --workers N`: one capture over N worker threads, with results identical to one
 * worker's (flow lines in the same order, the same summary, packets written in capture order).
 *
 * Design (docs/multi-core-and-merging.md, "Multi-core replay"):
 * - This thread reads the capture (the double-buffered reader), decides each record's worker
 *   with a symmetric hash of the address pair the dataplane will see — after decapsulation and
 *   Service translation, the inner packet's for ICMP errors, no ports so fragments stay together
 *   (src/replay/shard-of.ts) — and copies it, with its global packet index, timestamp and the capture clock
 *   (the latest timestamp before it), into that worker's SharedArrayBuffer ring (spsc-ring.ts).
 * - Each worker (replay-worker.ts) owns a whole ReplayMachine for its shard: conntrack, flow
 *   records, denied attempts, fragments, de-duplication, summary. Flows end at exact capture times
 *   (dataplane/expiry-queue.ts), and every TICK_EVERY records every worker hears the clock, so
 *   a flow times out at the same capture time whichever worker holds it. Timeline changes are
 *   sent to every worker before the record they apply before.
 * - Flow lines are encoded by the workers and merged here in the single replay's order: by end
 *   time on the capture clock, timeouts before packet-caused ends at the same instant, then the
 *   ending packet's index, then start packet; a line is written once every worker has reported
 *   (a watermark) that nothing earlier can still come. Flows open at the end follow in start order.
 *   (A flow whose expiry is already behind the clock when set — the capture's time jumped — ends
 *   at the next record in one replay: its key is that of the record that set it, see
 *   replay-worker.ts endLate.)
 * - Written packets keep capture order: records are kept here until their worker's verdict
 *   arrives (only when --write-allowed/--write-dropped ask for it).
 * - At the end the workers' counters go to worker 0, which builds the summary with the single
 *   replay's code (`summarize`).
 *
 * Identical to one worker unless a bounded table overflows: each worker gets the whole
 * conntrack and denied-flow limits, so a shard fills only if the whole would have; when the
 * workers' peaks add up past a limit, the one-worker replay might have evicted where these did
 * not, and `limitsReached` says so.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Readable } from 'node:stream';
import type { Cluster } from '../../compiler/model.js';
import { readCapture } from '../capture/open-capture.js';
import type { CaptureEnd, CaptureRecord } from '../capture/capture-record.js';
import { CaptureStats } from '../replay/capture-stats.js';
import type { ReplayMachineOptions } from '../replay/replay-capture.js';
import { buildServiceNat } from '../replay/build-service-nat.js';
import type { CaptureInfo, ReplaySummary } from '../replay/summarize.js';
import type { CoverageReport } from '../replay/rule-coverage.js';
import { DEFAULT_DENIED_FLOWS_MAX } from '../../dataplane/dataplane.js';
import { EntryFifo } from './entry-fifo.js';
import {
  END_BYTES, FLOW_HEADER, FRAME_AT_BYTES, InType, OutType, PACKET_HEADER, TICK_BYTES, TIMELINE_BYTES, VERDICT_HEADER, WorkerStatus,
} from './messages.js';
import { ShardFunction } from '../replay/shard-of.js';
import { createRing, Doorbell, RingReader, RingWriter } from './spsc-ring.js';
import type { MainToWorker, ShardState, WorkerSetup, WorkerToMain } from './replay-worker.js';
import { rebuildError } from './worker-errors.js';
import { RING_BATCH_BYTES } from './ring-batch.js';

/** Input ring per worker: room for a few thousand records, so workers run at most that far apart. */
const INPUT_RING_BYTES = 4 << 20;
const OUTPUT_RING_BYTES = 4 << 20;
/**
 * The capture is read straight into a pool of POOL_SLOTS chunks in shared memory; records point
 * into it (FRAME_AT), so the reader never copies a frame. A slot is read into again once every
 * worker has finished the records it was sent from it.
 */
const POOL_SLOTS = 8;
const CHUNK_BYTES = 1 << 20;
/** Every TICK_EVERY records every worker hears the clock (timeouts, watermarks). */
const TICK_EVERY = 1024;

export interface ParallelReplayOptions {
  readonly workers: number;
  /** Workers started earlier with `spawnReplayWorkers` (their module loading overlaps the cluster's). */
  readonly spawned?: readonly Worker[];
  readonly machine: Omit<ReplayMachineOptions, 'onFlow'>;
  /** Each finished flow line, in the one-worker order (bytes include the newline). */
  readonly onFlowLine?: (bytes: Buffer, offset: number, length: number) => void;
  /** Each record with its verdict, in capture order (asks the workers for verdicts). */
  readonly onPacket?: (record: RetainedRecord, category: number, reject: Buffer | null, rejectLength: number) => void;
  readonly betweenChunks?: () => Promise<void> | undefined;
  readonly onProgress?: (records: number, bytes: number) => void;
  /** For the summary: engine and CNI profile labels. */
  readonly engineLabel: string;
  readonly profileLabel: string;
}

/** A record kept for writing after its verdict came back (a view: valid during the call). */
export interface RetainedRecord {
  readonly buffer: Buffer;
  readonly offset: number;
  readonly capturedLength: number;
  readonly wireLength: number;
  readonly tsSec: number;
  readonly tsNsec: number;
  readonly linkType: number;
  readonly nanosecondResolution: boolean;
  readonly index: number;
  readonly interfaceId: number;
}

export interface ParallelReplayResult {
  readonly summary: ReplaySummary;
  readonly coverage: CoverageReport | null;
  readonly end: CaptureEnd;
  readonly capture: CaptureInfo;
  /** Limits whose per-worker peaks add up past the limit: one worker might have evicted there. */
  readonly limitsReached: readonly string[];
}

/** The compiled worker script (from TypeScript sources under a test runner: the build's copy). */
function workerScript(): URL {
  const here = new URL('./replay-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  const built = fileURLToPath(here).replace(/[\\/]src[\\/]parallel[\\/]replay-worker\.js$/, '/dist/src/parallel/replay-worker.js');
  return new URL(`file://${built}`);
}

/**
 * Start `n` replay workers now, before the cluster is loaded: loading their modules (~80 ms)
 * then overlaps the main thread's loading. They wait for their setup and do not keep the process
 * alive until they get it (an input error on the main thread just exits).
 */
export function spawnReplayWorkers(n: number): Worker[] {
  const script = workerScript();
  return Array.from({ length: n }, () => {
    const worker = new Worker(script);
    worker.unref();
    return worker;
  });
}

interface WorkerLink {
  readonly worker: Worker;
  readonly input: RingWriter;
  /** Views of the input ring's data area for the record headers (host byte order: same machine). */
  readonly inU32: Uint32Array;
  readonly inF64: Float64Array;
  readonly output: RingReader;
  readonly outBuffer: Buffer;
  readonly flows: EntryFifo;
  readonly verdicts: EntryFifo;
  /** Watermark: every output with a key up to (clock, class 1, index) has arrived. */
  markIndex: number;
  markClock: number;
  done: boolean;
  readonly messages: WorkerToMain[];
  wake: (() => void) | null;
  exitError: Error | null;
}

export async function replayParallel(cluster: Cluster, source: string | Readable, sourceName: string, options: ParallelReplayOptions): Promise<ParallelReplayResult> {
  const n = options.workers;
  // The one doorbell this thread sleeps on: workers ring it when they free input space or add output.
  const mainBell = Doorbell.create();
  const status = new Int32Array(new SharedArrayBuffer(4 * n));
  const pool = new SharedArrayBuffer(POOL_SLOTS * CHUNK_BYTES);
  const progress = new Int32Array(new SharedArrayBuffer(4 * n));
  const wantFlows = options.onFlowLine !== undefined;
  const wantVerdicts = options.onPacket !== undefined;
  const script = workerScript();
  const links: WorkerLink[] = [];
  for (let shard = 0; shard < n; shard++) {
    const inputSab = createRing(INPUT_RING_BYTES, { spaceBell: mainBell });
    const outputSab = createRing(OUTPUT_RING_BYTES, { dataBell: mainBell });
    const setup: WorkerSetup = {
      shard,
      cluster,
      machine: options.machine,
      wantFlows,
      wantVerdicts,
      input: inputSab,
      output: outputSab,
      mainBell: mainBell.buffer,
      status: status.buffer as SharedArrayBuffer,
      pool,
      progress: progress.buffer as SharedArrayBuffer,
    };
    const worker = options.spawned?.[shard] ?? new Worker(script);
    worker.ref();
    worker.postMessage({ type: 'setup', setup } satisfies MainToWorker);
    const output = new RingReader(outputSab, { dataBell: mainBell, batchBytes: RING_BATCH_BYTES });
    const input = new RingWriter(inputSab, { spaceBell: mainBell, batchBytes: RING_BATCH_BYTES });
    const link: WorkerLink = {
      worker,
      input,
      inU32: new Uint32Array(input.bytes.buffer, input.bytes.byteOffset, input.bytes.byteLength >> 2),
      inF64: new Float64Array(input.bytes.buffer, input.bytes.byteOffset, input.bytes.byteLength >> 3),
      output,
      outBuffer: Buffer.from(output.bytes.buffer, output.bytes.byteOffset, output.bytes.byteLength),
      flows: new EntryFifo(4),
      verdicts: new EntryFifo(2),
      markIndex: -1,
      markClock: -Infinity,
      done: false,
      messages: [],
      wake: null,
      exitError: null,
    };
    worker.on('message', (message: WorkerToMain) => {
      link.messages.push(message);
      link.wake?.();
    });
    worker.on('error', (error) => {
      link.exitError = error;
      link.wake?.();
    });
    worker.on('exit', (code) => {
      if (code !== 0 && !link.exitError) link.exitError = new Error(`replay worker ${shard} exited with code ${code}`);
      link.wake?.();
    });
    links.push(link);
  }

  try {
    return await drive(cluster, source, sourceName, options, links, mainBell, status, pool, progress);
  } finally {
    // On success the workers have already finished; on a failure, stop the others.
    await Promise.all(links.map((l) => l.worker.terminate()));
  }
}

async function drive(
  cluster: Cluster,
  source: string | Readable,
  sourceName: string,
  options: ParallelReplayOptions,
  links: WorkerLink[],
  mainBell: Doorbell,
  status: Int32Array,
  pool: SharedArrayBuffer,
  progress: Int32Array,
): Promise<ParallelReplayResult> {
  const n = links.length;
  const shards = new ShardFunction({
    shards: n,
    ...(options.machine.dataplane?.decap !== undefined ? { decap: options.machine.dataplane.decap } : {}),
    ...(options.machine.dataplane?.tunnelPorts !== undefined ? { tunnelPorts: options.machine.dataplane.tunnelPorts } : {}),
    services: buildServiceNat(cluster, options.machine.services),
  });
  const onFlowLine = options.onFlowLine;
  const onPacket = options.onPacket;

  // ---- checks and waiting ---------------------------------------------------------------
  const failed = (): void => {
    for (let w = 0; w < n; w++) {
      if (Atomics.load(status, w) === WorkerStatus.FAILED) throw new WorkerFailed(w);
    }
  };

  // ---- worker output -------------------------------------------------------------------------
  const pending = wantPending(onPacket) ? new PendingRecords() : null;

  /** Read everything the workers have sent so far; true if anything came. */
  const drain = (): boolean => {
    let any = false;
    for (const link of links) {
      const out = link.output;
      const view = out.view;
      for (;;) {
        const at = out.next();
        if (at < 0) break;
        any = true;
        const type = view.getUint8(at);
        if (type === OutType.FLOW) {
          const length = view.getUint32(at + 40, true);
          const slot = link.flows.push(link.outBuffer, at + FLOW_HEADER, length);
          link.flows.setKey(slot, 0, view.getFloat64(at + 8, true));
          link.flows.setKey(slot, 1, view.getFloat64(at + 16, true));
          link.flows.setKey(slot, 2, view.getFloat64(at + 24, true));
          link.flows.setKey(slot, 3, view.getFloat64(at + 32, true));
        } else if (type === OutType.VERDICT) {
          const length = view.getUint32(at + 20, true);
          const slot = link.verdicts.push(link.outBuffer, at + VERDICT_HEADER, length);
          link.verdicts.setKey(slot, 0, view.getFloat64(at + 8, true));
          link.verdicts.setKey(slot, 1, view.getUint8(at + 16));
        } else if (type === OutType.WATERMARK) {
          link.markIndex = view.getFloat64(at + 8, true);
          link.markClock = view.getFloat64(at + 16, true);
        } else if (type === OutType.DONE) {
          link.done = true;
        }
        out.release();
      }
    }
    if (pending && onPacket) pending.emit(links, onPacket);
    if (onFlowLine) emitFlows(links, onFlowLine, pending);
    return any;
  };

  /** Has any worker sent something not read yet? */
  const outputWaiting = (): boolean => links.some((l) => l.output.next() >= 0);

  /**
   * Sleep until a worker frees space or sends something, unless `ready()` says there is no need
   * (the doorbell protocol of spsc-ring.ts: arm, re-check, wait). Short waits keep this thread
   * responsive to a failed worker.
   */
  const waitForWorkers = (ready: () => boolean): void => {
    failed();
    for (const link of links) if (!link.input.isClosedFlag) link.input.flush();
    const seen = mainBell.arm();
    try {
      if (!ready() && !outputWaiting()) mainBell.wait(seen, 20);
    } finally {
      mainBell.disarm();
    }
  };

  const send = (w: number, length: number): number => {
    const input = (links[w] as WorkerLink).input;
    for (;;) {
      const at = input.reserve(length);
      if (at >= 0) return at;
      if (drain()) continue;
      waitForWorkers(() => input.reserve(length) >= 0);
    }
  };

  const sendAll = (type: number, length: number, a: number, b: number): void => {
    for (let w = 0; w < n; w++) {
      const at = send(w, length);
      const input = (links[w] as WorkerLink).input;
      input.view.setUint8(at, type);
      input.view.setFloat64(at + 8, a, true);
      if (length > 16) input.view.setFloat64(at + 16, b, true);
      input.commit();
    }
  };

  // ---- the chunk pool ------------------------------------------------------------------------
  const slots: Buffer[] = Array.from({ length: POOL_SLOTS }, (_, k) => Buffer.from(pool, k * CHUNK_BYTES, CHUNK_BYTES));
  /** Per slot and worker: packets sent to the worker up to the last record of the slot's chunk (NaN: none). */
  const sentUpTo = new Float64Array(POOL_SLOTS * n).fill(NaN);
  /** Packets sent to each worker so far (compared with its progress counter). */
  const sent = new Float64Array(n);
  let fillSlot = -1;
  let lastBuffer: Buffer | null = null;
  let lastSlot = -1;
  const slotFree = (k: number): boolean => {
    for (let w = 0; w < n; w++) {
      // Counters are Int32 in shared memory: compare modulo 2^32.
      const upTo = sentUpTo[k * n + w] as number;
      if (upTo === upTo && ((upTo - Atomics.load(progress, w)) | 0) > 0) return false;
    }
    return true;
  };
  /** The next slot to read into, once the workers are done with its last use. */
  const chunkBuffer = (): Buffer => {
    fillSlot = (fillSlot + 1) % POOL_SLOTS;
    const k = fillSlot;
    // Its previous records were sent long ago: publish them, then wait for the workers.
    if (!slotFree(k)) {
      for (const link of links) link.input.flush();
      while (!slotFree(k)) {
        if (drain()) continue;
        waitForWorkers(() => slotFree(k));
      }
    }
    for (let w = 0; w < n; w++) sentUpTo[k * n + w] = NaN;
    return slots[k] as Buffer;
  };
  const slotOf = (buffer: Buffer): number => {
    if (buffer === lastBuffer) return lastSlot;
    lastBuffer = buffer;
    lastSlot = slots.indexOf(buffer);
    return lastSlot;
  };

  // ---- the timeline: which record each event applies before (run-timeline.ts's rule) ----
  const timelineTimes = (first: number): number[] => {
    const events = options.machine.timeline?.events ?? [];
    return events.map((e) => (e.at.relative ? first + e.at.seconds : e.at.seconds)).sort((a, b) => a - b);
  };
  let times: number[] = [];
  let nextEvent = 0;
  const hasTimeline = options.machine.timeline !== undefined;

  // ---- reading -------------------------------------------------------------------------------
  let clock = -Infinity;
  const stats = new CaptureStats();
  let lastIndex = -1;
  let failure: WorkerFailed | null = null;
  const onProgress = options.onProgress;

  const callback = (record: CaptureRecord): boolean | void => {
    // Writing a packet failed: read no further (the error is thrown once the flow lines up to it are out).
    if (pending !== null && pending.error !== null) return false;
    const now = record.tsSec + record.tsNsec * 1e-9;
    const index = record.index;
    try {
      if (hasTimeline) {
        if (index === 0) {
          times = timelineTimes(now);
          sendAll(InType.TIMELINE, TIMELINE_BYTES, now, 0);
          while (nextEvent < times.length && (times[nextEvent] as number) <= now) nextEvent++;
        } else if (nextEvent < times.length && now >= (times[nextEvent] as number)) {
          sendAll(InType.TIMELINE, TIMELINE_BYTES, now, 0);
          while (nextEvent < times.length && (times[nextEvent] as number) <= now) nextEvent++;
        }
      }
      // The worker gets the clock before this record (see replay-worker.ts).
      const clockBefore = clock;
      if (now > clock) clock = now;
      stats.add(record, now);
      const length = Math.min(record.capturedLength, record.buffer.length - record.offset);
      const w = shards.shardOf(record.buffer, record.offset, length, record.wireLength, record.linkType);
      // In the pool: send where the frame is. Else (a record the parser assembled across two
      // chunks) send the bytes.
      const k = slotOf(record.buffer);
      const at = send(w, k >= 0 ? FRAME_AT_BYTES : PACKET_HEADER + length);
      const link = links[w] as WorkerLink;
      const input = link.input;
      // Typed-array stores (payloads are 8-aligned): cheaper than DataView calls on this path.
      const u32 = link.inU32;
      const f64 = link.inF64;
      const word = at >> 2;
      u32[word] = k >= 0 ? InType.FRAME_AT : InType.PACKET;
      f64[(at >> 3) + 1] = index;
      f64[(at >> 3) + 2] = now;
      f64[(at >> 3) + 3] = clockBefore;
      u32[word + 8] = length;
      u32[word + 9] = record.wireLength;
      u32[word + 10] = record.linkType;
      if (k >= 0) u32[word + 11] = k * CHUNK_BYTES + record.offset;
      else record.buffer.copy(input.bytes, at + PACKET_HEADER, record.offset, record.offset + length);
      input.commit();
      const count = (sent[w] as number) + 1;
      sent[w] = count;
      if (k >= 0) sentUpTo[k * n + w] = count | 0;
      if (pending) pending.add(record, w, length, clock);
      lastIndex = index;
      if ((index & (TICK_EVERY - 1)) === TICK_EVERY - 1) {
        sendAll(InType.TICK, TICK_BYTES, index, clock);
        for (const link of links) link.input.flush();
        drain();
      }
      if (onProgress && (index & 0xffff) === 0xffff) onProgress(index + 1, stats.bytes);
    } catch (error) {
      if (error instanceof WorkerFailed) {
        failure = error;
        return false;
      }
      throw error;
    }
  };

  const readOptions = { chunkSize: CHUNK_BYTES, chunkBuffer, ...(options.betweenChunks ? { betweenChunks: options.betweenChunks } : {}) };
  const end = await readCapture(source, callback, readOptions);
  if (failure === null) {
    try {
      // END ticks every worker to the final clock, except the worker of the last record (see replay-worker.ts).
      sendAll(InType.END, END_BYTES, clock, lastIndex);
      for (const link of links) link.input.close();
      // Everything the workers still have: ended flows, those open at the end, verdicts.
      for (;;) {
        drain();
        if (links.every((l) => l.done)) break;
        waitForWorkers(() => links.every((l) => l.done));
        // Let a slow flow output drain between waits.
        const wait = options.betweenChunks?.();
        if (wait) await wait;
      }
      drain();
    } catch (error) {
      if (!(error instanceof WorkerFailed)) throw error;
      failure = error;
    }
  }
  if (failure !== null) throw await workerError(links, (failure as WorkerFailed).shard);
  if (pending !== null && pending.error !== null) throw pending.error.cause;

  const capture = stats.info(sourceName, end);


  // Worker 0 combines everyone's counters into the summary.
  const states: ShardState[] = [];
  for (let w = 1; w < n; w++) states.push((await nextMessage(links[w] as WorkerLink, w, 'state')).state);
  const zero = links[0] as WorkerLink;
  zero.worker.postMessage({ type: 'reduce', states, capture, engine: options.engineLabel, profile: options.profileLabel } satisfies MainToWorker);
  const reduced = await nextMessage(zero, 0, 'summary');
  const limitsReached: string[] = [];
  const conntrackMax = options.machine.dataplane?.conntrackMax ?? ((options.machine.dataplane?.conntrackCapacity ?? 1 << 18) >>> 2) * 3;
  if (reduced.peaks.conntrack > conntrackMax) limitsReached.push(`conntrack (--conntrack-max ${conntrackMax})`);
  const deniedMax = options.machine.dataplane?.deniedFlowsMax ?? DEFAULT_DENIED_FLOWS_MAX;
  if (reduced.peaks.denied > deniedMax) limitsReached.push(`denied attempts (--denied-flows-max ${deniedMax})`);
  return { summary: reduced.summary, coverage: reduced.coverage, end, capture, limitsReached };
}

/** A worker set its FAILED status: its error message follows through the port. */
class WorkerFailed extends Error {
  constructor(readonly shard: number) {
    super(`replay worker ${shard} failed`);
  }
}

async function workerError(links: WorkerLink[], shard: number): Promise<Error> {
  const link = links[shard] as WorkerLink;
  for (let tries = 0; tries < 100; tries++) {
    const message = link.messages.find((m) => m.type === 'error');
    if (message && message.type === 'error') return rebuildError(message.error, shard);
    if (link.exitError) return link.exitError;
    await new Promise<void>((resolve) => {
      link.wake = resolve;
      setTimeout(resolve, 50);
    });
    link.wake = null;
  }
  return new Error(`replay worker ${shard} failed without saying why`);
}

async function nextMessage<T extends WorkerToMain['type']>(link: WorkerLink, shard: number, type: T): Promise<Extract<WorkerToMain, { type: T }>> {
  for (;;) {
    const i = link.messages.findIndex((m) => m.type === type || m.type === 'error');
    if (i >= 0) {
      const message = link.messages.splice(i, 1)[0] as WorkerToMain;
      if (message.type === 'error') throw rebuildError(message.error, shard);
      return message as Extract<WorkerToMain, { type: T }>;
    }
    if (link.exitError) throw link.exitError;
    await new Promise<void>((resolve) => {
      link.wake = resolve;
    });
    link.wake = null;
  }
}

// ---- flow lines in the one-worker order ------------------------------------------------------

/** Flow key class from the end packet: 0 timeout, 1 ended by a packet, 2 open at the end. */
function keyClass(endPacket: number): number {
  return endPacket === -1 ? 0 : endPacket >= 0 ? 1 : 2;
}

/** Does flow head `a` (of fifo a) come before that of fifo b? */
function before(a: EntryFifo, b: EntryFifo): boolean {
  const ta = a.key(0);
  const tb = b.key(0);
  if (ta !== tb) return ta < tb;
  const ca = keyClass(a.key(1));
  const cb = keyClass(b.key(1));
  if (ca !== cb) return ca < cb;
  if (ca === 1 && a.key(1) !== b.key(1)) return a.key(1) < b.key(1);
  if (a.key(2) !== b.key(2)) return a.key(2) < b.key(2);
  return a.key(3) < b.key(3);
}

/** Does the flow `head` come no later than the end of packet `index` (at capture clock `clock`)? */
function upTo(head: EntryFifo, clock: number, index: number): boolean {
  const time = head.key(0);
  if (time < clock) return true;
  if (time > clock) return false;
  const cls = keyClass(head.key(1));
  return cls === 0 || (cls === 1 && head.key(1) <= index);
}

/** Can nothing that `link` sends later come before the flow `head`? */
function covered(link: WorkerLink, head: EntryFifo): boolean {
  return link.done || upTo(head, link.markClock, link.markIndex);
}

/**
 * With packets written out, may the flow `head` be written before the first record whose packet
 * is not written yet? The one-thread replay writes a record's packet after the flow lines its
 * processing ended (timeouts up to its clock, flows it ended): so only those. Only matters when
 * writing that packet fails — the flow lines then stop where the one-thread replay's stop.
 */
function beforeUnwritten(head: EntryFifo, pending: PendingRecords | null): boolean {
  if (pending === null || pending.size === 0) return true;
  const cls = keyClass(head.key(1));
  if (cls === 2) return false;
  const time = head.key(0);
  const clock = pending.headClock;
  if (time !== clock) return time < clock;
  return cls === 0 || head.key(1) <= pending.headIndex;
}

function emitFlows(links: WorkerLink[], onFlowLine: (bytes: Buffer, offset: number, length: number) => void, pending: PendingRecords | null): void {
  for (;;) {
    let best: WorkerLink | null = null;
    for (const link of links) {
      if (link.flows.size === 0) continue;
      if (best === null || before(link.flows, best.flows)) best = link;
    }
    if (best === null) return;
    for (const link of links) {
      if (link !== best && link.flows.size === 0 && !covered(link, best.flows)) return;
    }
    const fifo = best.flows;
    if (!beforeUnwritten(fifo, pending)) return;
    onFlowLine(fifo.data, fifo.byteStart, fifo.byteLength);
    fifo.shift();
  }
}

// ---- written packets in capture order -----------------------------------------------------

function wantPending(onPacket: ParallelReplayOptions['onPacket']): boolean {
  return onPacket !== undefined;
}

/** The records sent to workers, kept until their verdicts return (only when packets are written). */
class PendingRecords {
  /** Keys: index, shard, tsSec, tsNsec, wireLength, linkType, nanosecond, interfaceId, capture clock. */
  private readonly fifo = new EntryFifo(9);
  /** Writing the head record failed (it stays the head): the error, thrown at the end. */
  error: { readonly cause: unknown } | null = null;

  get size(): number {
    return this.fifo.size;
  }

  /** Global index and capture clock of the first record not written yet (size > 0). */
  get headIndex(): number {
    return this.fifo.key(0);
  }

  get headClock(): number {
    return this.fifo.key(8);
  }

  add(record: CaptureRecord, shard: number, length: number, clock: number): void {
    const s = this.fifo.push(record.buffer, record.offset, length);
    this.fifo.setKey(s, 0, record.index);
    this.fifo.setKey(s, 1, shard);
    this.fifo.setKey(s, 2, record.tsSec);
    this.fifo.setKey(s, 3, record.tsNsec);
    this.fifo.setKey(s, 4, record.wireLength);
    this.fifo.setKey(s, 5, record.linkType);
    this.fifo.setKey(s, 6, record.nanosecondResolution ? 1 : 0);
    this.fifo.setKey(s, 7, record.interfaceId);
    this.fifo.setKey(s, 8, clock);
  }

  emit(links: WorkerLink[], onPacket: NonNullable<ParallelReplayOptions['onPacket']>): void {
    const fifo = this.fifo;
    while (fifo.size > 0 && this.error === null) {
      const link = links[fifo.key(1)] as WorkerLink;
      const verdicts = link.verdicts;
      if (verdicts.size === 0) return;
      const view: RetainedRecord = {
        buffer: fifo.data,
        offset: fifo.byteStart,
        capturedLength: fifo.byteLength,
        wireLength: fifo.key(4),
        tsSec: fifo.key(2),
        tsNsec: fifo.key(3),
        linkType: fifo.key(5),
        nanosecondResolution: fifo.key(6) === 1,
        index: fifo.key(0),
        interfaceId: fifo.key(7),
      };
      const rejectLength = verdicts.byteLength;
      try {
        onPacket(view, verdicts.key(1), rejectLength > 0 ? verdicts.data.subarray(verdicts.byteStart) : null, rejectLength);
      } catch (cause) {
        this.error = { cause };
        return;
      }
      verdicts.shift();
      fifo.shift();
    }
  }
}
