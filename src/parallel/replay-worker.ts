/**
 * One worker of `replay --workers N` (replay-parallel.ts): replays the records of its shard with
 * its own ReplayMachine — engine, dataplane, conntrack shard, flow records, summary — the same
 * code the single-threaded replay runs. Records arrive through the input ring in capture order
 * with their global packet index and the global capture clock, so every flow starts, is judged
 * and ends exactly as in one replay of the whole capture; TICKs move the clock on when other
 * workers' packets did, so timeouts fire at the same capture time.
 *
 * Out go flow lines (encoded here, in parallel, with their ordering key), per-packet verdicts
 * when packets are written out, and watermarks. At the end: worker 0 combines every worker's
 * counters into the one summary (`summarize`, the single replay's code); the others send theirs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Cluster } from '../../compiler/model.js';
import type { FlowRecords } from '../../dataplane/flow-records.js';
import { decodeTables } from '../../compiler/serialize-tables.js';
import type { FlowProvenance } from '../engines/flow-provenance.js';
import { encodeFlowLine, FlowLineBuffer } from '../replay/flow-report.js';
import { ReplayMachine, type ReplayMachineOptions } from '../replay/replay-capture.js';
import { ENGINE_BUILDERS } from '../replay/create-engine.js';
import type { FlowSummaryState } from '../replay/flow-summary.js';
import type { CoverageCounts } from '../replay/rule-coverage.js';
import { summarize, type CaptureInfo, type DataplaneTotals } from '../replay/summarize.js';
import { Doorbell, RingReader, RingWriter } from './spsc-ring.js';
import {
  DONE_BYTES, FLOW_HEADER, InType, OutType, PACKET_HEADER, VERDICT_HEADER, WATERMARK_BYTES, WorkerStatus,
} from './messages.js';
import { serializeError } from './worker-errors.js';
import { RING_BATCH_BYTES } from './ring-batch.js';

export interface WorkerSetup {
  readonly shard: number;
  readonly cluster: Cluster;
  readonly machine: Omit<ReplayMachineOptions, 'onFlow' | 'tables'>;
  /** The compiled tables (compiler/serialize-tables.ts), shared by all workers; null: compile here. */
  readonly tables: SharedArrayBuffer | null;
  readonly wantFlows: boolean;
  readonly wantVerdicts: boolean;
  readonly input: SharedArrayBuffer;
  readonly output: SharedArrayBuffer;
  /** Main's doorbell: rung when this worker frees input space or adds output (the rings' own bells wake this worker). */
  readonly mainBell: SharedArrayBuffer;
  /** One Int32 per worker: WorkerStatus. */
  readonly status: SharedArrayBuffer;
  /** The chunk pool the reader reads the capture into (FRAME_AT messages point into it). */
  readonly pool: SharedArrayBuffer;
  /** One Int32 per worker: packets it has finished (the reader reuses a pool slot after that). */
  readonly progress: SharedArrayBuffer;
}

/** What a worker other than 0 sends at the end, for worker 0 to combine. */
export interface ShardState {
  readonly flows: FlowSummaryState;
  readonly coverage: CoverageCounts | null;
  readonly totals: { counters: Float64Array; decapsulated: Float64Array; conntrack: Float64Array; deniedFlowsEvicted: number; rejectsSent: number };
  /** Live-state peaks, to tell whether a bounded table could have overflowed in one replay. */
  readonly peaks: { readonly conntrack: number; readonly denied: number };
}

export type MainToWorker =
  | { readonly type: 'setup'; readonly setup: WorkerSetup }
  | { readonly type: 'reduce'; readonly states: readonly ShardState[]; readonly capture: CaptureInfo; readonly engine: string; readonly profile: string };

export type WorkerToMain =
  | { readonly type: 'state'; readonly shard: number; readonly state: ShardState }
  | { readonly type: 'summary'; readonly summary: ReturnType<typeof summarize>; readonly coverage: ReturnType<NonNullable<ReplayMachine['coverage']>['report']> | null; readonly peaks: ShardState['peaks'] }
  | { readonly type: 'error'; readonly error: ReturnType<typeof serializeError> };

function run(setup: WorkerSetup): void {
  const port = parentPort;
  if (!port) throw new Error('replay-worker: not started as a worker thread');
  const status = new Int32Array(setup.status);
  const mainBell = new Doorbell(setup.mainBell);
  const input = new RingReader(setup.input, { spaceBell: mainBell, batchBytes: RING_BATCH_BYTES });
  const output = new RingWriter(setup.output, { dataBell: mainBell, batchBytes: RING_BATCH_BYTES });
  const outBytes = output.bytes;
  const outView = output.view;

  /** Room for `length` bytes in the output ring, waiting for main to read if it is full. */
  const reserve = (length: number): number => {
    for (;;) {
      const at = output.reserve(length);
      if (at >= 0) return at;
      output.waitForSpace(length, 50);
    }
  };

  const line = new FlowLineBuffer();
  /** Set while endLate() ends the late flows of record lastOwn (their ordering key: see there). */
  let late = false;
  /** While next() replays the record right after lastOwn: timeouts due by this clock are lastOwn's late flows. */
  let lateUpTo = -Infinity;
  const emitFlow = (records: FlowRecords, f: number, provenances: readonly FlowProvenance[]): void => {
    line.length = 0;
    encodeFlowLine(line, records, provenances, f);
    line.byte(0x0a);
    const at = reserve(FLOW_HEADER + line.length);
    outView.setUint8(at, OutType.FLOW);
    const lateFlow = late || (records.endPacket(f) === -1 && records.endTime(f) <= lateUpTo);
    outView.setFloat64(at + 8, late ? dataplane.clock : lateFlow ? lateUpTo : records.endTime(f), true);
    outView.setFloat64(at + 16, lateFlow ? lastOwn + 0.5 : records.endPacket(f), true);
    outView.setFloat64(at + 24, records.startPacket(f), true);
    outView.setFloat64(at + 32, records.seq(f), true);
    outView.setUint32(at + 40, line.length, true);
    line.buffer.copy(outBytes, at + FLOW_HEADER, 0, line.length);
    output.commit();
  };

  const tables = setup.tables ? decodeTables(new Uint8Array(setup.tables), setup.cluster.pods) : undefined;
  const options = tables ? { ...setup.machine, tables } : setup.machine;
  const machine = new ReplayMachine(setup.cluster, setup.wantFlows ? { ...options, onFlow: emitFlow } : options, ENGINE_BUILDERS);
  const dataplane = machine.dataplane;
  /** Global index of the last record this worker replayed (-1: none yet). */
  let lastOwn = -1;
  /**
   * A packet older than the capture clock by more than a timeout (a capture whose timestamps
   * jump) sets an expiry at or before the clock: the one-thread replay ends such a flow at the
   * next record of the capture, whoever's it is, first thing (before that record's own timeouts,
   * which lie later), or reports it as open at the end when there is no next record. So this
   * worker ends them when it learns that a later record exists (its next record, a TICK past
   * lastOwn, END past it) — but not before a TIMELINE event, which the one-thread replay also
   * applies before the next record — with the ordering key (clock of lastOwn, lastOwn + 0.5):
   * after what record lastOwn itself ended, before anything of the next record. Lines of one
   * record come from one worker, already in the one-thread order. When that next record is this
   * worker's own (index lastOwn + 1), they end inside its next(), as in one replay (lateUpTo).
   */
  const endLate = (): void => {
    if (lastOwn < 0) return;
    late = true;
    try {
      dataplane.tick(dataplane.clock);
    } finally {
      late = false;
    }
  };
  let conntrackPeak = 0;
  let deniedPeak = 0;
  Atomics.store(status, setup.shard, WorkerStatus.RUNNING);
  mainBell.ring();

  const inView = input.view;
  const inBytes = input.bytes;
  const inU32 = new Uint32Array(inBytes.buffer, inBytes.byteOffset, inBytes.byteLength >> 2);
  const inF64 = new Float64Array(inBytes.buffer, inBytes.byteOffset, inBytes.byteLength >> 3);
  const pool = new Uint8Array(setup.pool);
  const progress = new Int32Array(setup.progress);
  let finished = 0;
  for (;;) {
    const at = input.next();
    if (at < 0) {
      if (input.closed) break;
      // Main may be waiting for what this worker batched (flow lines, a watermark).
      output.flush();
      input.waitForData(50);
      continue;
    }
    const type = inView.getUint8(at);
    if (type === InType.FRAME_AT || type === InType.PACKET) {
      // The reader wrote these headers with typed-array stores (host byte order, 8-aligned).
      const word = at >> 2;
      const index = inF64[(at >> 3) + 1] as number;
      const now = inF64[(at >> 3) + 2] as number;
      const clockBefore = inF64[(at >> 3) + 3] as number;
      dataplane.packetIndex = index;
      // One replay ends what is due by the clock before a record with the records before it, and
      // what this record's time makes due inside next() — so after this packet, which may count
      // on such a flow (a non-first fragment) — reporting both after the packet. Time moves on to
      // the clock before this record with a tick (other workers' records), then next() does the
      // rest. Right after this worker's own previous record, its late flows too end inside next().
      if (lastOwn === index - 1) {
        lateUpTo = dataplane.clock;
      } else {
        endLate();
        dataplane.tick(clockBefore);
      }
      let category: number;
      try {
        category = type === InType.FRAME_AT
          ? dataplane.next(pool, inU32[word + 11] as number, inU32[word + 8] as number, inU32[word + 9] as number, inU32[word + 10] as number, now)
          : dataplane.next(inBytes, at + PACKET_HEADER, inU32[word + 8] as number, inU32[word + 9] as number, inU32[word + 10] as number, now);
      } finally {
        lateUpTo = -Infinity;
      }
      lastOwn = index;
      // The frame's pool slot may be reused once every worker is past it.
      Atomics.store(progress, setup.shard, ++finished);
      if (setup.wantVerdicts) {
        const reject = dataplane.rejected ? dataplane.rejectFrame : null;
        const rejectLength = reject ? reject.length : 0;
        const o = reserve(VERDICT_HEADER + rejectLength);
        outView.setUint8(o, OutType.VERDICT);
        outView.setFloat64(o + 8, index, true);
        outView.setUint8(o + 16, category);
        outView.setUint32(o + 20, rejectLength, true);
        if (reject) outBytes.set(reject.buffer.subarray(0, rejectLength), o + VERDICT_HEADER);
        output.commit();
      }
      input.release();
      const live = dataplane.conntrack.size;
      if (live > conntrackPeak) conntrackPeak = live;
      const denied = dataplane.deniedFlowsLive;
      if (denied > deniedPeak) deniedPeak = denied;
    } else if (type === InType.TICK) {
      const index = inView.getFloat64(at + 8, true);
      const clock = inView.getFloat64(at + 16, true);
      input.release();
      // Right after this worker's own record: whether a next record exists is not known yet
      // (the clock is the one that record ticked to: nothing but late flows could end).
      if (index !== lastOwn) {
        endLate();
        dataplane.packetIndex = index + 1;
        dataplane.tick(clock);
      }
      const o = reserve(WATERMARK_BYTES);
      outView.setUint8(o, OutType.WATERMARK);
      outView.setFloat64(o + 8, index, true);
      outView.setFloat64(o + 16, clock, true);
      output.commit();
    } else if (type === InType.TIMELINE) {
      const now = inView.getFloat64(at + 8, true);
      input.release();
      machine.applyTimeline(now);
    } else if (type === InType.END) {
      const clock = inView.getFloat64(at + 8, true);
      const lastIndex = inView.getFloat64(at + 16, true);
      input.release();
      // The worker of the capture's last record has ticked to the final clock before it; what
      // that record set to expire already stays open, as in the one-thread replay.
      if (lastIndex !== lastOwn) {
        endLate();
        dataplane.tick(clock);
      }
      break;
    } else {
      throw new Error(`replay-worker: unknown input message type ${type}`);
    }
  }
  // The flows still open, in start order (FLOW messages with end packet -2), then DONE.
  const open = dataplane.beginFinish();
  for (const f of open) dataplane.endOpenFlow(f);
  const o = reserve(DONE_BYTES);
  outView.setUint8(o, OutType.DONE);
  output.commit();
  output.close();

  const state: ShardState = {
    flows: machine.flows.exportState(),
    coverage: machine.coverage ? machine.coverage.exportCounts() : null,
    totals: {
      counters: dataplane.counters,
      decapsulated: dataplane.decapsulated,
      conntrack: dataplane.conntrack.counters,
      deniedFlowsEvicted: dataplane.deniedFlowsEvicted,
      rejectsSent: dataplane.rejectsSent,
    },
    peaks: { conntrack: conntrackPeak, denied: deniedPeak },
  };
  if (setup.shard !== 0) {
    port.postMessage({ type: 'state', shard: setup.shard, state } satisfies WorkerToMain);
    Atomics.store(status, setup.shard, WorkerStatus.DONE);
    mainBell.ring();
    return;
  }
  Atomics.store(status, setup.shard, WorkerStatus.DONE);
  mainBell.ring();
  port.once('message', (message: MainToWorker) => {
    if (message.type !== 'reduce') return;
    try {
      const totals = sumTotals(state.totals, message.states.map((s) => s.totals));
      for (const other of message.states) {
        machine.flows.absorb(other.flows);
        if (other.coverage) machine.coverage?.absorb(other.coverage);
      }
      const summary = summarize(totals, machine.flows, message.capture, message.engine, message.profile, machine.timeline?.applied ?? []);
      const peaks = message.states.reduce((p, s) => ({ conntrack: p.conntrack + s.peaks.conntrack, denied: p.denied + s.peaks.denied }), state.peaks);
      port.postMessage({ type: 'summary', summary, coverage: machine.coverage ? machine.coverage.report() : null, peaks } satisfies WorkerToMain);
    } catch (error) {
      port.postMessage({ type: 'error', error: serializeError(error) } satisfies WorkerToMain);
    }
  });
}

function sumTotals(own: ShardState['totals'], others: readonly ShardState['totals'][]): DataplaneTotals {
  const counters = Float64Array.from(own.counters);
  const decapsulated = Float64Array.from(own.decapsulated);
  const conntrack = Float64Array.from(own.conntrack);
  let evicted = own.deniedFlowsEvicted;
  let rejects = own.rejectsSent;
  for (const t of others) {
    for (let i = 0; i < counters.length; i++) counters[i] = (counters[i] as number) + (t.counters[i] as number);
    for (let i = 0; i < decapsulated.length; i++) decapsulated[i] = (decapsulated[i] as number) + (t.decapsulated[i] as number);
    for (let i = 0; i < conntrack.length; i++) conntrack[i] = (conntrack[i] as number) + (t.conntrack[i] as number);
    evicted += t.deniedFlowsEvicted;
    rejects += t.rejectsSent;
  }
  return { counters, decapsulated, conntrack: { counters: conntrack }, deniedFlowsEvicted: evicted, rejectsSent: rejects };
}

function start(setup: WorkerSetup): void {
  try {
    run(setup);
  } catch (error) {
    Atomics.store(new Int32Array(setup.status), setup.shard, WorkerStatus.FAILED);
    new Doorbell(setup.mainBell).ring();
    parentPort?.postMessage({ type: 'error', error: serializeError(error) } satisfies WorkerToMain);
  }
}

// Started early (while the main thread still loads the cluster), the worker gets its setup as
// a message; started with workerData, at once.
if (workerData) start(workerData as WorkerSetup);
else parentPort?.once('message', (message: MainToWorker) => {
  if (message.type === 'setup') start(message.setup);
});
