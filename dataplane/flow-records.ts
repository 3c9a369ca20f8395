/**
 * Per-flow records for reports (`--flows`, the summary): one record per connection, both
 * directions together, whether it was allowed (then conntrack points at it by flow id) or denied
 * (then no conntrack entry exists, as in the kernel, and `DeniedFlowIndex` finds it again for
 * the retransmissions and replies of the same attempt).
 *
 * Records have a lifetime: the dataplane releases a record once its flow is over (its conntrack
 * entry expired or was evicted, its denied attempt timed out) after reporting it, and the slot
 * is reused. So the rows are bounded by the live flows, not by the capture's length. The owner
 * reserves rows for the most flows it can have live at once (the dataplane: conntrack's limit
 * plus the denied-attempt index's): a typed array that large is address space the OS backs with
 * memory page by page as rows are first written, so the reserve costs resident memory only as
 * flows use it, and the rows never move. Growing by doubling instead copied every row at each
 * step and touched twice the memory: ~1/3 of the flow-record time at 500K new connections
 * (docs/performance.md). Beyond the reserve (or without one) the rows still double, on a rare
 * step, never per packet. A slot's `seq` (the flow's start number, 0, 1, 2…) tells apart two
 * flows that used the same slot one after the other.
 */
import type { ServiceNat } from './service-nat.js';

const INITIAL = 1024;
/** Most rows reserved up front: 2^21 rows = 384 MiB of address space. */
const RESERVE_MAX = 1 << 21;
/** Digit base of the start-order radix sort. */
const RADIX = 1 << 16;

function isIcmp(protocol: number): boolean {
  return protocol === 1 || protocol === 58;
}

/**
 * One record is one 192-byte row (three cache lines) of a single buffer, read through five
 * views: creating a record writes 3 lines and ending it reads about as many, where a column per
 * field (35 of them) touched 35 lines each time — with 200K live flows those were DRAM misses,
 * 16–19 % of a new connection's time in the profile (docs/performance.md). Field offsets are in
 * units of the view that reads them; line 0 holds what every packet updates.
 */
export const ROW_BYTES = 192;
/** Float64 slots per row, and the Float64 fields. */
export const ROW_F64 = ROW_BYTES / 8;
export const F_START_PACKET = 0;
const F_END_TIME = 1;
const F_END_PACKET = 2;
export const F_SEQ = 3;
/** Packets [4] original, [5] reply; bytes [6], [7]. */
const F_PACKETS = 4;
const F_BYTES = 6;
const F_DROPPED = 8;
const F_FIRST_SEEN = 9;
const F_LAST_SEEN = 10;
const F_CHANGED_AT = 11;
/** 32-bit slots per row (Int32 and Uint32 views), and their fields (after the 12 Float64s). */
const ROW_W = ROW_BYTES / 4;
const W_SRC_ENDPOINT = 24;
const W_DST_ENDPOINT = 25;
const W_EGRESS_RULE = 26;
const W_INGRESS_RULE = 27;
const W_EGRESS_PASS_RULE = 28;
const W_INGRESS_PASS_RULE = 29;
const W_SERVICE = 30;
const W_ENDPOINT = 31;
const W_ENDPOINT_ALLOWED = 32;
const W_POLICY_VERSION = 33;
const W_CREATED_VERSION = 34;
/** Source address: 4 words from 35; destination from 39. */
const W_SRC = 35;
const W_DST = 39;
const ROW_H = ROW_BYTES / 2;
const H_SRC_PORT = 86;
const H_DST_PORT = 87;
const B_LIVE = 176;
const B_FAMILY = 177;
const B_PROTOCOL = 178;
const B_REASON = 179;
const B_STATE = 180;
const B_CHANGED_REASON = 181;
const B_BLOCKED = 182;
const B_TUNNEL = 183;
/** How the connection was answered: flow-answer.ts FlowAnswer bits, set by the dataplane. */
const B_ANSWER = 184;
/**
 * 1 when a node capture's post-DNAT copy moved the flow to the endpoint the node chose
 * (dataplane.ts): the dataplane holds a pin for it (service-endpoint-pins.ts) until it ends.
 */
const B_REKEYED = 185;
/** Wire bytes of the flow's first packet (to move its count when its verdict is revised); a 32-bit word, bytes 188–191. */
const W_FIRST_BYTES = 47;

export class FlowRecords {
  /** The Service table whose frontend and endpoint ids the `service`/`endpoint` fields hold (reports read names there). */
  services: ServiceNat | null = null;
  /** Slots ever used (the high-water mark): valid record ids are below it and `isLive(f)`. */
  count = 0;
  /** Records live now. */
  liveCount = 0;
  /** Flows started so far; the next record's `seq`. */
  started = 0;
  private capacity: number;
  /** The rows (ROW_BYTES each) through five views; replaced when the records grow past the reserve, so read them anew after an `add`. */
  f64: Float64Array;
  i32: Int32Array;
  /** Also the address words: `srcAt(f)` / `dstAt(f)` index 4 of them. */
  words: Uint32Array;
  private u16: Uint16Array;
  private u8: Uint8Array;
  /** Released slots, reused last-in first-out. */
  private free: Int32Array;
  private freeCount = 0;

  /** `reserve`: rows to set aside for the most records live at once (capped at 2^21; at least 1024). */
  constructor(reserve = INITIAL) {
    const c = Math.max(INITIAL, Math.min(Math.ceil(reserve), RESERVE_MAX));
    this.capacity = c;
    this.f64 = new Float64Array(c * ROW_F64);
    this.i32 = new Int32Array(this.f64.buffer);
    this.words = new Uint32Array(this.f64.buffer);
    this.u16 = new Uint16Array(this.f64.buffer);
    this.u8 = new Uint8Array(this.f64.buffer);
    this.free = new Int32Array(c);
  }

  private ensure(): void {
    if (this.count < this.capacity) return;
    const c = this.capacity * 2;
    const next = new Float64Array(c * ROW_F64);
    next.set(this.f64);
    this.f64 = next;
    this.i32 = new Int32Array(next.buffer);
    this.words = new Uint32Array(next.buffer);
    this.u16 = new Uint16Array(next.buffer);
    this.u8 = new Uint8Array(next.buffer);
    const free = new Int32Array(c);
    free.set(this.free);
    this.free = free;
    this.capacity = c;
  }

  add(family: number, src: Uint32Array, dst: Uint32Array, protocol: number, srcPort: number, dstPort: number, nowSec: number): number {
    let f: number;
    if (this.freeCount > 0) f = this.free[--this.freeCount] as number;
    else {
      this.ensure();
      f = this.count++;
    }
    this.liveCount++;
    const d = this.f64;
    const r = f * ROW_F64;
    d[r + F_START_PACKET] = this.started;
    d[r + F_SEQ] = this.started++;
    d[r + F_END_TIME] = Infinity;
    d[r + F_END_PACKET] = -2;
    d[r + F_PACKETS] = 0;
    d[r + F_PACKETS + 1] = 0;
    d[r + F_BYTES] = 0;
    d[r + F_BYTES + 1] = 0;
    d[r + F_DROPPED] = 0;
    d[r + F_FIRST_SEEN] = nowSec;
    d[r + F_LAST_SEEN] = nowSec;
    d[r + F_CHANGED_AT] = NaN;
    const w = this.i32;
    const o = f * ROW_W;
    w[o + W_SRC_ENDPOINT] = -1;
    w[o + W_DST_ENDPOINT] = -1;
    w[o + W_EGRESS_RULE] = -1;
    w[o + W_INGRESS_RULE] = -1;
    w[o + W_EGRESS_PASS_RULE] = -1;
    w[o + W_INGRESS_PASS_RULE] = -1;
    w[o + W_SERVICE] = -1;
    w[o + W_ENDPOINT] = -1;
    w[o + W_ENDPOINT_ALLOWED] = 0;
    w[o + W_POLICY_VERSION] = 0;
    w[o + W_CREATED_VERSION] = 0;
    const u = this.words;
    for (let i = 0; i < 4; i++) {
      u[o + W_SRC + i] = src[i] as number;
      u[o + W_DST + i] = dst[i] as number;
    }
    const h = f * ROW_H;
    this.u16[h + H_SRC_PORT] = srcPort;
    this.u16[h + H_DST_PORT] = dstPort;
    const b = this.u8;
    const y = f * ROW_BYTES;
    b[y + B_LIVE] = 1;
    b[y + B_FAMILY] = family;
    b[y + B_PROTOCOL] = protocol;
    b[y + B_REASON] = 0;
    b[y + B_STATE] = 0;
    b[y + B_CHANGED_REASON] = 0;
    b[y + B_BLOCKED] = 0;
    b[y + B_TUNNEL] = 0;
    b[y + B_ANSWER] = 0;
    b[y + B_REKEYED] = 0;
    this.i32[o + W_FIRST_BYTES] = 0;
    return f;
  }

  /** Whether `f` names a live record. */
  isLive(f: number): boolean {
    return f >= 0 && f < this.count && this.u8[f * ROW_BYTES + B_LIVE] === 1;
  }

  /** Give the slot back (after the flow was reported); its id may name another flow next. */
  release(f: number): void {
    if (this.u8[f * ROW_BYTES + B_LIVE] !== 1) return;
    this.u8[f * ROW_BYTES + B_LIVE] = 0;
    this.liveCount--;
    this.free[this.freeCount++] = f;
  }

  /** Live record ids in start order (for the end of a replay). Allocates: not for the packet path. */
  liveInStartOrder(): number[] {
    // The seqs are gathered into one dense array first: a comparator reading them from the
    // 192-byte rows missed cache on every comparison (3× slower at 200K live flows).
    let ids = new Int32Array(this.liveCount);
    let seqs = new Float64Array(this.liveCount);
    let n = 0;
    let maxSeq = 0;
    for (let f = 0; f < this.count; f++) {
      if (this.u8[f * ROW_BYTES + B_LIVE] !== 1) continue;
      const seq = this.f64[f * ROW_F64 + F_SEQ] as number;
      ids[n] = f;
      seqs[n++] = seq;
      if (seq > maxSeq) maxSeq = seq;
    }
    // Seqs are distinct integers below `started`: a radix sort by 16-bit digits (one pass below
    // 65,536 flows, two below 2^32) instead of a comparison sort (measured at 262K live flows:
    // ~10 ms against ~80 ms for Array.prototype.sort with a comparator; docs/performance.md).
    let nextIds = new Int32Array(n);
    let nextSeqs = new Float64Array(n);
    const starts = new Int32Array(RADIX + 1);
    for (let unit = 1; unit === 1 || maxSeq >= unit; unit *= RADIX) {
      starts.fill(0);
      for (let i = 0; i < n; i++) starts[(Math.floor((seqs[i] as number) / unit) % RADIX) + 1]!++;
      for (let d = 1; d <= RADIX; d++) starts[d]! += starts[d - 1] as number;
      for (let i = 0; i < n; i++) {
        const seq = seqs[i] as number;
        const at = starts[Math.floor(seq / unit) % RADIX]!++;
        nextIds[at] = ids[i] as number;
        nextSeqs[at] = seq;
      }
      [ids, nextIds] = [nextIds, ids];
      [seqs, nextSeqs] = [nextSeqs, seqs];
    }
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) out[i] = ids[i] as number;
    return out;
  }

  addPacket(f: number, direction: number, bytes: number, nowSec: number, dropped: boolean): void {
    const d = this.f64;
    const r = f * ROW_F64;
    d[r + F_PACKETS + direction] = (d[r + F_PACKETS + direction] as number) + 1;
    d[r + F_BYTES + direction] = (d[r + F_BYTES + direction] as number) + bytes;
    if (dropped) d[r + F_DROPPED] = (d[r + F_DROPPED] as number) + 1;
    if (nowSec > (d[r + F_LAST_SEEN] as number)) d[r + F_LAST_SEEN] = nowSec;
    if (nowSec < (d[r + F_FIRST_SEEN] as number)) d[r + F_FIRST_SEEN] = nowSec;
  }

  // ---- fields of record f ----

  /** Index of the flow's first packet in the capture (Dataplane.packetIndex): the start order every replay agrees on, however the packets were spread over workers (`seq` is per dataplane). */
  startPacket(f: number): number {
    return this.f64[f * ROW_F64 + F_START_PACKET] as number;
  }
  setStartPacket(f: number, v: number): void {
    this.f64[f * ROW_F64 + F_START_PACKET] = v;
  }
  /** When the flow ended, on the capture clock: its expiry for a timeout, else the clock of the packet that ended it (set as the flow is reported; the order of `--flows` lines). */
  endTime(f: number): number {
    return this.f64[f * ROW_F64 + F_END_TIME] as number;
  }
  setEndTime(f: number, v: number): void {
    this.f64[f * ROW_F64 + F_END_TIME] = v;
  }
  /** Index of the packet that ended the flow; -1 for a timeout, -2 while open or at the end of the replay. */
  endPacket(f: number): number {
    return this.f64[f * ROW_F64 + F_END_PACKET] as number;
  }
  setEndPacket(f: number, v: number): void {
    this.f64[f * ROW_F64 + F_END_PACKET] = v;
  }
  /** The flow's start number: creation order across slot reuse (reports sort by it). */
  seq(f: number): number {
    return this.f64[f * ROW_F64 + F_SEQ] as number;
  }
  /** Packets of direction 0 (original, the first packet's) or 1 (reply). */
  packets(f: number, direction: number): number {
    return this.f64[f * ROW_F64 + F_PACKETS + direction] as number;
  }
  bytes(f: number, direction: number): number {
    return this.f64[f * ROW_F64 + F_BYTES + direction] as number;
  }
  dropped(f: number): number {
    return this.f64[f * ROW_F64 + F_DROPPED] as number;
  }
  /** Set when a revised verdict (a re-keyed Service flow, dataplane.ts) re-files the packets already counted. */
  setDropped(f: number, v: number): void {
    this.f64[f * ROW_F64 + F_DROPPED] = v;
  }
  firstSeen(f: number): number {
    return this.f64[f * ROW_F64 + F_FIRST_SEEN] as number;
  }
  lastSeen(f: number): number {
    return this.f64[f * ROW_F64 + F_LAST_SEEN] as number;
  }
  /** When a policy change turned the verdict over mid-flow (NaN if never). */
  changedAt(f: number): number {
    return this.f64[f * ROW_F64 + F_CHANGED_AT] as number;
  }
  setChangedAt(f: number, v: number): void {
    this.f64[f * ROW_F64 + F_CHANGED_AT] = v;
  }
  srcEndpoint(f: number): number {
    return this.i32[f * ROW_W + W_SRC_ENDPOINT] as number;
  }
  setSrcEndpoint(f: number, v: number): void {
    this.i32[f * ROW_W + W_SRC_ENDPOINT] = v;
  }
  dstEndpoint(f: number): number {
    return this.i32[f * ROW_W + W_DST_ENDPOINT] as number;
  }
  setDstEndpoint(f: number, v: number): void {
    this.i32[f * ROW_W + W_DST_ENDPOINT] = v;
  }
  egressRule(f: number): number {
    return this.i32[f * ROW_W + W_EGRESS_RULE] as number;
  }
  setEgressRule(f: number, v: number): void {
    this.i32[f * ROW_W + W_EGRESS_RULE] = v;
  }
  ingressRule(f: number): number {
    return this.i32[f * ROW_W + W_INGRESS_RULE] as number;
  }
  setIngressRule(f: number, v: number): void {
    this.i32[f * ROW_W + W_INGRESS_RULE] = v;
  }
  /** The admin or baseline Pass rule that handed each direction on (global rule ids), or -1. */
  egressPassRule(f: number): number {
    return this.i32[f * ROW_W + W_EGRESS_PASS_RULE] as number;
  }
  setEgressPassRule(f: number, v: number): void {
    this.i32[f * ROW_W + W_EGRESS_PASS_RULE] = v;
  }
  ingressPassRule(f: number): number {
    return this.i32[f * ROW_W + W_INGRESS_PASS_RULE] as number;
  }
  setIngressPassRule(f: number, v: number): void {
    this.i32[f * ROW_W + W_INGRESS_PASS_RULE] = v;
  }
  /** Service frontend and endpoint (service-nat.ts ids; -1 none) the first packet was translated to. */
  service(f: number): number {
    return this.i32[f * ROW_W + W_SERVICE] as number;
  }
  setService(f: number, v: number): void {
    this.i32[f * ROW_W + W_SERVICE] = v;
  }
  endpoint(f: number): number {
    return this.i32[f * ROW_W + W_ENDPOINT] as number;
  }
  setEndpoint(f: number, v: number): void {
    this.i32[f * ROW_W + W_ENDPOINT] = v;
  }
  /** Service flows: bit i set when the frontend's endpoint i would be allowed (first 32 endpoints). */
  endpointAllowed(f: number): number {
    return this.words[f * ROW_W + W_ENDPOINT_ALLOWED] as number;
  }
  setEndpointAllowed(f: number, v: number): void {
    this.words[f * ROW_W + W_ENDPOINT_ALLOWED] = v;
  }
  /** Policy version the verdict was computed under (a timeline bumps the version). */
  policyVersion(f: number): number {
    return this.words[f * ROW_W + W_POLICY_VERSION] as number;
  }
  setPolicyVersion(f: number, v: number): void {
    this.words[f * ROW_W + W_POLICY_VERSION] = v;
  }
  /** Policy version at creation: which tables the endpoint and rule ids refer to. */
  createdVersion(f: number): number {
    return this.words[f * ROW_W + W_CREATED_VERSION] as number;
  }
  setCreatedVersion(f: number, v: number): void {
    this.words[f * ROW_W + W_CREATED_VERSION] = v;
  }
  /** Index in `words` of the ORIGINAL direction's (the first packet's) source address, 4 words. */
  srcAt(f: number): number {
    return f * ROW_W + W_SRC;
  }
  dstAt(f: number): number {
    return f * ROW_W + W_DST;
  }
  /** TCP/UDP/SCTP ports; for ICMP: the echo id and the type. */
  srcPort(f: number): number {
    return this.u16[f * ROW_H + H_SRC_PORT] as number;
  }
  dstPort(f: number): number {
    return this.u16[f * ROW_H + H_DST_PORT] as number;
  }
  family(f: number): number {
    return this.u8[f * ROW_BYTES + B_FAMILY] as number;
  }
  protocol(f: number): number {
    return this.u8[f * ROW_BYTES + B_PROTOCOL] as number;
  }
  /** compiler/verdict.ts Reason of the first packet. */
  reason(f: number): number {
    return this.u8[f * ROW_BYTES + B_REASON] as number;
  }
  setReason(f: number, v: number): void {
    this.u8[f * ROW_BYTES + B_REASON] = v;
  }
  /** Last known conntrack TCP state (0 none); set when the entry goes away or at the end. */
  state(f: number): number {
    return this.u8[f * ROW_BYTES + B_STATE] as number;
  }
  setState(f: number, v: number): void {
    this.u8[f * ROW_BYTES + B_STATE] = v;
  }
  /** What a policy change turned the verdict into (with `changedAt`). */
  changedReason(f: number): number {
    return this.u8[f * ROW_BYTES + B_CHANGED_REASON] as number;
  }
  setChangedReason(f: number, v: number): void {
    this.u8[f * ROW_BYTES + B_CHANGED_REASON] = v;
  }
  /** Re-evaluation cut the connection in both directions (reevaluateEstablished=both). */
  blocked(f: number): number {
    return this.u8[f * ROW_BYTES + B_BLOCKED] as number;
  }
  setBlocked(f: number, v: number): void {
    this.u8[f * ROW_BYTES + B_BLOCKED] = v;
  }
  /** Overlay the first packet came in (decode-tunnel.ts TunnelKind; 0 none). Set by the dataplane. */
  tunnel(f: number): number {
    return this.u8[f * ROW_BYTES + B_TUNNEL] as number;
  }
  setTunnel(f: number, v: number): void {
    this.u8[f * ROW_BYTES + B_TUNNEL] = v;
  }
  /** flow-answer.ts FlowAnswer bits: how the connection was answered so far. */
  answer(f: number): number {
    return this.u8[f * ROW_BYTES + B_ANSWER] as number;
  }
  setAnswer(f: number, v: number): void {
    this.u8[f * ROW_BYTES + B_ANSWER] = v;
  }
  rekeyed(f: number): number {
    return this.u8[f * ROW_BYTES + B_REKEYED] as number;
  }
  setRekeyed(f: number, v: number): void {
    this.u8[f * ROW_BYTES + B_REKEYED] = v;
  }
  firstBytes(f: number): number {
    return this.words[f * ROW_W + W_FIRST_BYTES] as number;
  }
  setFirstBytes(f: number, v: number): void {
    this.words[f * ROW_W + W_FIRST_BYTES] = v;
  }
  /** Point record `f` (not in the denied index) at another ORIGINAL destination. */
  setDestination(f: number, dst: Uint32Array, dstPort: number): void {
    const o = f * ROW_W + W_DST;
    for (let i = 0; i < 4; i++) this.words[o + i] = dst[i] as number;
    this.u16[f * ROW_H + H_DST_PORT] = dstPort;
  }
}

/** Why a record left the denied-flow index. */
export const DeniedRemoveReason = {
  /** No packet for the unreplied-attempt timeout the kernel would have used (SYN_SENT, UDP, ICMP…). */
  EXPIRED: 0,
  /** The index was full: the oldest attempt made room (its record is reported early). */
  EVICTED: 1,
  /** A new record of the same tuple took its place (e.g. allowed by a changed policy, then denied). */
  REPLACED: 2,
} as const;
export type DeniedRemoveReason = (typeof DeniedRemoveReason)[keyof typeof DeniedRemoveReason];

export interface DeniedFlowIndexOptions {
  /** Records indexed at most; the oldest is evicted beyond it. */
  readonly maxEntries: number;
  /** Seconds of silence after which an attempt of `protocol` is over (the unreplied timeout). */
  readonly timeoutOf: (protocol: number) => number;
  /** Told of every record leaving the index (the dataplane then reports and releases it). */
  readonly onRemove: (f: number, reason: DeniedRemoveReason) => void;
}

/**
 * Denied attempts by 5-tuple (direction-independent), so the SYN retransmissions and the
 * unanswered replies of a denied connection add up in one record. The kernel keeps no state for
 * them; this index exists for the reports, and is bounded like a conntrack table: an attempt is
 * over after the timeout the kernel would have given an unreplied entry (the dataplane's
 * ExpiryQueue ends it then; `find` also checks), and beyond `maxEntries` the oldest attempt is
 * evicted (counted). Open addressing with linear probing and backward-shift deletion; the table
 * holds flow ids, the keys live in FlowRecords. A FIFO of (id, seq) in insertion order finds the
 * oldest; entries of records already gone are skipped when they reach its front.
 */
export class DeniedFlowIndex {
  private readonly slots: Int32Array;
  /** Each occupied slot's full hash: compared before the key, and gives the home slot on deletion. */
  private readonly slotHash: Uint32Array;
  private readonly mask: number;
  private used = 0;
  private readonly maxEntries: number;
  /** Insertion FIFO: flow ids and their seq (a stale pair is skipped). Power-of-two ring. */
  private readonly queueFlow: Int32Array;
  private readonly queueSeq: Float64Array;
  private queueHead = 0;
  private queueLength = 0;
  /** Which records are in the index, by flow id (grows with the records). */
  private indexed = new Uint8Array(1024);
  private readonly timeoutOf: (protocol: number) => number;
  private readonly onRemove: (f: number, reason: DeniedRemoveReason) => void;
  /** Direction of the last `find` hit: 0 same as the record's first packet, 1 reversed. */
  direction = 0;
  /** Records removed per DeniedRemoveReason. */
  readonly removed = new Float64Array(3);
  /** Scratch key for `insert`: source words then destination words, with views made once. */
  private readonly key = new Uint32Array(8);
  private readonly keySrc = this.key.subarray(0, 4);
  private readonly keyDst = this.key.subarray(4, 8);

  constructor(
    private readonly records: FlowRecords,
    options: DeniedFlowIndexOptions,
  ) {
    this.maxEntries = Math.max(1, options.maxEntries);
    let size = 16;
    while (size < this.maxEntries * 2) size *= 2;
    this.slots = new Int32Array(size).fill(-1);
    this.slotHash = new Uint32Array(size);
    this.mask = size - 1;
    this.queueFlow = new Int32Array(size);
    this.queueSeq = new Float64Array(size);
    this.timeoutOf = options.timeoutOf;
    this.onRemove = options.onRemove;
  }

  /** Records in the index now. */
  get size(): number {
    return this.used;
  }

  isIndexed(f: number): boolean {
    return f < this.indexed.length && this.indexed[f] === 1;
  }

  private hash(family: number, a: Uint32Array, aPort: number, b: Uint32Array, bPort: number, protocol: number): number {
    // ICMP "ports" (echo id, request type) are the same in both directions: hash them apart
    // from the addresses so the reply hashes like the request.
    const icmp = isIcmp(protocol);
    let ha = Math.imul((icmp ? 0 : aPort) + 1, 0x9e3779b1);
    let hb = Math.imul((icmp ? 0 : bPort) + 1, 0x9e3779b1);
    for (let i = 0; i < 4; i++) {
      ha = Math.imul(ha ^ (a[i] as number), 0x85ebca6b);
      hb = Math.imul(hb ^ (b[i] as number), 0x85ebca6b);
    }
    ha ^= ha >>> 13;
    hb ^= hb >>> 13;
    const ports = icmp ? Math.imul(aPort * 65536 + bPort + 1, 0x27d4eb2f) : 0;
    // A full finalizer: the slot is taken from the low bits, which a bare multiply leaves weak.
    let h = Math.imul((ha + hb) ^ (family << 8) ^ protocol ^ ports, 0xc2b2ae35);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    return h >>> 0;
  }

  /** Hash of record `f`'s tuple, from its own row (leaves the key in the scratch words). */
  private hashOf(f: number): number {
    const r = this.records;
    const key = this.key;
    for (let i = 0; i < 4; i++) {
      key[i] = r.words[r.srcAt(f) + i] as number;
      key[4 + i] = r.words[r.dstAt(f) + i] as number;
    }
    return this.hash(r.family(f), this.keySrc, r.srcPort(f), this.keyDst, r.dstPort(f), r.protocol(f));
  }

  private matches(f: number, family: number, src: Uint32Array, srcPort: number, dst: Uint32Array, dstPort: number, protocol: number): number {
    const r = this.records;
    if (r.family(f) !== family || r.protocol(f) !== protocol) return -1;
    let same = r.srcPort(f) === srcPort && r.dstPort(f) === dstPort;
    let reversed = isIcmp(protocol) ? same : r.srcPort(f) === dstPort && r.dstPort(f) === srcPort;
    for (let i = 0; i < 4 && (same || reversed); i++) {
      const rs = r.words[r.srcAt(f) + i] as number;
      const rd = r.words[r.dstAt(f) + i] as number;
      same = same && rs === src[i] && rd === dst[i];
      reversed = reversed && rs === dst[i] && rd === src[i];
    }
    return same ? 0 : reversed ? 1 : -1;
  }

  private isExpired(f: number, nowSec: number): boolean {
    const r = this.records;
    return r.lastSeen(f) + this.timeoutOf(r.protocol(f)) <= nowSec;
  }

  /**
   * The record of this tuple (either direction, `direction` says which), or -1. An attempt
   * silent for longer than its timeout is over: it is removed (EXPIRED) and -1 returned.
   */
  find(family: number, src: Uint32Array, srcPort: number, dst: Uint32Array, dstPort: number, protocol: number, nowSec: number): number {
    if (this.used === 0) return -1;
    const mask = this.mask;
    const h = this.hash(family, src, srcPort, dst, dstPort, protocol);
    let slot = h & mask;
    for (;;) {
      const f = this.slots[slot] as number;
      if (f < 0) return -1;
      const dir = this.slotHash[slot] === h ? this.matches(f, family, src, srcPort, dst, dstPort, protocol) : -1;
      if (dir >= 0) {
        if (this.isExpired(f, nowSec)) {
          this.removeSlot(slot, DeniedRemoveReason.EXPIRED);
          return -1;
        }
        this.direction = dir;
        return f;
      }
      slot = (slot + 1) & mask;
    }
  }

  /**
   * Take record `f` out of the index without ending it (not counted, `onRemove` not called): its
   * tuple is about to change (dataplane.ts, post-DNAT copies) or it becomes a tracked connection.
   */
  forget(f: number): void {
    if (!this.isIndexed(f)) return;
    let slot = this.hashOf(f) & this.mask;
    while (this.slots[slot] !== f) slot = (slot + 1) & this.mask;
    this.deleteSlot(slot);
    this.indexed[f] = 0;
  }

  /** Index flow `f` (a new denied record); an older record of the same tuple is replaced. */
  insert(f: number, nowSec: number): void {
    this.reclaim(nowSec);
    const r = this.records;
    const family = r.family(f);
    const protocol = r.protocol(f);
    const srcPort = r.srcPort(f);
    const dstPort = r.dstPort(f);
    const h = this.hashOf(f);
    let slot = h & this.mask;
    // hashOf left the record's key in the scratch words.
    const src = this.keySrc;
    const dst = this.keyDst;
    for (;;) {
      const other = this.slots[slot] as number;
      if (other < 0) break;
      if (this.slotHash[slot] === h && this.matches(other, family, src, srcPort, dst, dstPort, protocol) >= 0) {
        this.removeSlot(slot, DeniedRemoveReason.REPLACED);
        this.insert(f, nowSec);
        return;
      }
      slot = (slot + 1) & this.mask;
    }
    this.slots[slot] = f;
    this.slotHash[slot] = h;
    this.used++;
    if (f >= this.indexed.length) {
      let n = this.indexed.length;
      while (n <= f) n *= 2;
      const next = new Uint8Array(n);
      next.set(this.indexed);
      this.indexed = next;
    }
    this.indexed[f] = 1;
    const tail = (this.queueHead + this.queueLength) & this.mask;
    this.queueFlow[tail] = f;
    this.queueSeq[tail] = r.seq(f);
    this.queueLength++;
  }

  /** When attempt `f` (indexed) is over if nothing more is seen: its last packet + the unreplied timeout. */
  expiryOf(f: number): number {
    const r = this.records;
    return r.lastSeen(f) + this.timeoutOf(r.protocol(f));
  }

  /** End indexed attempt `f` as timed out (the dataplane's ExpiryQueue found its time reached). */
  expire(f: number): void {
    this.remove(f, DeniedRemoveReason.EXPIRED);
  }

  /**
   * Before an insert: drop stale queue entries and make room when the index (or its queue) is
   * full by evicting the oldest live attempt. (Timeouts are the dataplane's ExpiryQueue's job.)
   */
  private reclaim(nowSec: number): void {
    const r = this.records;
    while (this.queueLength > 0) {
      const head = this.queueHead;
      const f = this.queueFlow[head] as number;
      const stale = !this.isIndexed(f) || r.seq(f) !== this.queueSeq[head];
      const full = this.used >= this.maxEntries || this.queueLength > this.mask;
      if (!stale && !full) return;
      this.queueHead = (head + 1) & this.mask;
      this.queueLength--;
      if (stale) continue;
      this.remove(f, this.isExpired(f, nowSec) ? DeniedRemoveReason.EXPIRED : DeniedRemoveReason.EVICTED);
    }
  }

  /** Remove record `f` from the index (it must be indexed). */
  private remove(f: number, reason: DeniedRemoveReason): void {
    let slot = this.hashOf(f) & this.mask;
    while (this.slots[slot] !== f) slot = (slot + 1) & this.mask;
    this.removeSlot(slot, reason);
  }

  private removeSlot(slot: number, reason: DeniedRemoveReason): void {
    const f = this.slots[slot] as number;
    this.deleteSlot(slot);
    this.indexed[f] = 0;
    this.removed[reason] = (this.removed[reason] as number) + 1;
    this.onRemove(f, reason);
  }

  /** Backward-shift deletion, as in the conntrack table: no tombstones. */
  private deleteSlot(i: number): void {
    const slots = this.slots;
    const mask = this.mask;
    let hole = i;
    let j = (i + 1) & mask;
    const hashes = this.slotHash;
    for (;;) {
      const f = slots[j] as number;
      if (f < 0) break;
      const home = (hashes[j] as number) & mask;
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        slots[hole] = f;
        hashes[hole] = hashes[j] as number;
        hole = j;
      }
      j = (j + 1) & mask;
    }
    slots[hole] = -1;
    this.used--;
  }
}
