/**
 * Per-flow records for reports (`--flows`, the summary): one record per connection, both
 * directions together, whether it was allowed (then conntrack points at it by flow id) or denied
 * (then no conntrack entry exists, as in the kernel, and `DeniedFlowIndex` finds it again for
 * the retransmissions and replies of the same attempt).
 *
 * Records have a lifetime: the dataplane releases a record once its flow is over (its conntrack
 * entry expired or was evicted, its denied attempt timed out) after reporting it, and the slot
 * is reused. So the columns are bounded by the live flows, not by the capture's length. They grow
 * by doubling while the live count rises: allocation happens on the rare growth step, never per
 * packet. A slot's `seq` (the flow's start number, 0, 1, 2…) tells apart two flows that used the
 * same slot one after the other.
 */
import type { ServiceNat } from './service-nat.js';

const INITIAL = 1024;

function isIcmp(protocol: number): boolean {
  return protocol === 1 || protocol === 58;
}

function grow<T extends Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array>(column: T, size: number): T {
  const next = new (column.constructor as new (n: number) => T)(size);
  next.set(column);
  return next;
}

export class FlowRecords {
  /** The Service table whose frontend and endpoint ids the `service`/`endpoint` columns hold (reports read names there). */
  services: ServiceNat | null = null;
  /** Slots ever used (the high-water mark): valid record ids are below it and `live[f] === 1`. */
  count = 0;
  /** Records live now. */
  liveCount = 0;
  /** Flows started so far; the next record's `seq`. */
  started = 0;
  private capacity = INITIAL;
  /** 1 while the slot holds a flow, 0 once released. */
  live = new Uint8Array(INITIAL);
  /**
   * Index of the flow's first packet in the capture (Dataplane.packetIndex): the start order
   * every replay agrees on, however the packets were spread over workers (`seq` is per dataplane).
   */
  startPacket = new Float64Array(INITIAL);
  /**
   * When the flow ended, on the capture clock: its expiry for a timeout, else the clock of the
   * packet that ended it (set as the flow is reported; the order of `--flows` lines).
   */
  endTime = new Float64Array(INITIAL);
  /** Index of the packet that ended the flow; -1 for a timeout, -2 while open or at the end of the replay. */
  endPacket = new Float64Array(INITIAL);
  /** The flow's start number: creation order across slot reuse (reports sort by it). */
  seq = new Float64Array(INITIAL);
  /** Released slots, reused last-in first-out. */
  private free = new Int32Array(INITIAL);
  private freeCount = 0;
  family = new Uint8Array(INITIAL);
  /** ORIGINAL direction (the first packet's) source and destination, 4 words each. */
  src = new Uint32Array(INITIAL * 4);
  dst = new Uint32Array(INITIAL * 4);
  protocol = new Uint8Array(INITIAL);
  /** TCP/UDP/SCTP ports; for ICMP: the echo id and the type. */
  srcPort = new Uint16Array(INITIAL);
  dstPort = new Uint16Array(INITIAL);
  srcEndpoint = new Int32Array(INITIAL);
  dstEndpoint = new Int32Array(INITIAL);
  /** compiler/verdict.ts Reason of the first packet. */
  reason = new Uint8Array(INITIAL);
  egressRule = new Int32Array(INITIAL);
  ingressRule = new Int32Array(INITIAL);
  /** The admin or baseline Pass rule that handed each direction on (global rule ids), or -1. */
  egressPassRule = new Int32Array(INITIAL);
  ingressPassRule = new Int32Array(INITIAL);
  /** [2f] original direction, [2f+1] reply direction. */
  packets = new Float64Array(INITIAL * 2);
  bytes = new Float64Array(INITIAL * 2);
  dropped = new Float64Array(INITIAL);
  firstSeen = new Float64Array(INITIAL);
  lastSeen = new Float64Array(INITIAL);
  /** Last known conntrack TCP state (0 none); set when the entry goes away or at the end. */
  state = new Uint8Array(INITIAL);
  /** Policy version the verdict was computed under (a timeline bumps the version). */
  policyVersion = new Uint32Array(INITIAL);
  /** Policy version at creation: which tables the endpoint and rule ids refer to. */
  createdVersion = new Uint32Array(INITIAL);
  /** When a policy change turned the verdict over mid-flow (NaN if never), and what it became. */
  changedAt = new Float64Array(INITIAL);
  changedReason = new Uint8Array(INITIAL);
  /** Re-evaluation cut the connection in both directions (reevaluateEstablished=both). */
  blocked = new Uint8Array(INITIAL);
  /** Overlay the first packet came in (decode-tunnel.ts TunnelKind; 0 none). Set by the dataplane. */
  tunnel = new Uint8Array(INITIAL);
  /** Service frontend and endpoint (service-nat.ts ids; -1 none) the first packet was translated to. */
  service = new Int32Array(INITIAL);
  endpoint = new Int32Array(INITIAL);
  /** Service flows: bit i set when the frontend's endpoint i would be allowed (first 32 endpoints). */
  endpointAllowed = new Uint32Array(INITIAL);
  /**
   * 1 when a node capture's post-DNAT copy moved the flow to the endpoint the node chose
   * (dataplane.ts): the dataplane holds a pin for it (service-endpoint-pins.ts) until it ends.
   */
  rekeyed = new Uint8Array(INITIAL);
  /** Wire bytes of the flow's first packet (to move its count when its verdict is revised). */
  firstBytes = new Float64Array(INITIAL);

  private ensure(): void {
    if (this.count < this.capacity) return;
    const c = this.capacity * 2;
    this.live = grow(this.live, c);
    this.seq = grow(this.seq, c);
    this.startPacket = grow(this.startPacket, c);
    this.endTime = grow(this.endTime, c);
    this.endPacket = grow(this.endPacket, c);
    this.free = grow(this.free, c);
    this.family = grow(this.family, c);
    this.src = grow(this.src, c * 4);
    this.dst = grow(this.dst, c * 4);
    this.protocol = grow(this.protocol, c);
    this.srcPort = grow(this.srcPort, c);
    this.dstPort = grow(this.dstPort, c);
    this.srcEndpoint = grow(this.srcEndpoint, c);
    this.dstEndpoint = grow(this.dstEndpoint, c);
    this.reason = grow(this.reason, c);
    this.egressRule = grow(this.egressRule, c);
    this.ingressRule = grow(this.ingressRule, c);
    this.egressPassRule = grow(this.egressPassRule, c);
    this.ingressPassRule = grow(this.ingressPassRule, c);
    this.packets = grow(this.packets, c * 2);
    this.bytes = grow(this.bytes, c * 2);
    this.dropped = grow(this.dropped, c);
    this.firstSeen = grow(this.firstSeen, c);
    this.lastSeen = grow(this.lastSeen, c);
    this.state = grow(this.state, c);
    this.policyVersion = grow(this.policyVersion, c);
    this.createdVersion = grow(this.createdVersion, c);
    this.changedAt = grow(this.changedAt, c);
    this.changedReason = grow(this.changedReason, c);
    this.blocked = grow(this.blocked, c);
    this.tunnel = grow(this.tunnel, c);
    this.service = grow(this.service, c);
    this.endpoint = grow(this.endpoint, c);
    this.endpointAllowed = grow(this.endpointAllowed, c);
    this.rekeyed = grow(this.rekeyed, c);
    this.firstBytes = grow(this.firstBytes, c);
    this.capacity = c;
  }

  add(family: number, src: Uint32Array, dst: Uint32Array, protocol: number, srcPort: number, dstPort: number, nowSec: number): number {
    let f: number;
    if (this.freeCount > 0) f = this.free[--this.freeCount] as number;
    else {
      this.ensure();
      f = this.count++;
    }
    this.live[f] = 1;
    this.liveCount++;
    this.seq[f] = this.started++;
    this.startPacket[f] = this.started - 1;
    this.endTime[f] = Infinity;
    this.endPacket[f] = -2;
    this.family[f] = family;
    for (let i = 0; i < 4; i++) {
      this.src[f * 4 + i] = src[i] as number;
      this.dst[f * 4 + i] = dst[i] as number;
    }
    this.protocol[f] = protocol;
    this.srcPort[f] = srcPort;
    this.dstPort[f] = dstPort;
    this.srcEndpoint[f] = -1;
    this.dstEndpoint[f] = -1;
    this.reason[f] = 0;
    this.egressRule[f] = -1;
    this.ingressRule[f] = -1;
    this.egressPassRule[f] = -1;
    this.ingressPassRule[f] = -1;
    this.firstSeen[f] = nowSec;
    this.lastSeen[f] = nowSec;
    this.policyVersion[f] = 0;
    this.createdVersion[f] = 0;
    this.packets[f * 2] = 0;
    this.packets[f * 2 + 1] = 0;
    this.bytes[f * 2] = 0;
    this.bytes[f * 2 + 1] = 0;
    this.dropped[f] = 0;
    this.state[f] = 0;
    this.changedAt[f] = NaN;
    this.changedReason[f] = 0;
    this.blocked[f] = 0;
    this.tunnel[f] = 0;
    this.service[f] = -1;
    this.endpoint[f] = -1;
    this.endpointAllowed[f] = 0;
    this.rekeyed[f] = 0;
    this.firstBytes[f] = 0;
    return f;
  }

  /** Point record `f` (not in the denied index) at another ORIGINAL destination. */
  setDestination(f: number, dst: Uint32Array, dstPort: number): void {
    for (let i = 0; i < 4; i++) this.dst[f * 4 + i] = dst[i] as number;
    this.dstPort[f] = dstPort;
  }

  /** Whether `f` names a live record. */
  isLive(f: number): boolean {
    return f >= 0 && f < this.count && this.live[f] === 1;
  }

  /** Give the slot back (after the flow was reported); its id may name another flow next. */
  release(f: number): void {
    if (this.live[f] !== 1) return;
    this.live[f] = 0;
    this.liveCount--;
    this.free[this.freeCount++] = f;
  }

  /** Live record ids in start order (for the end of a replay). Allocates: not for the packet path. */
  liveInStartOrder(): number[] {
    const ids: number[] = [];
    for (let f = 0; f < this.count; f++) if (this.live[f] === 1) ids.push(f);
    return ids.sort((a, b) => (this.seq[a] as number) - (this.seq[b] as number));
  }

  addPacket(f: number, direction: number, bytes: number, nowSec: number, dropped: boolean): void {
    this.packets[f * 2 + direction] = (this.packets[f * 2 + direction] as number) + 1;
    this.bytes[f * 2 + direction] = (this.bytes[f * 2 + direction] as number) + bytes;
    if (dropped) this.dropped[f] = (this.dropped[f] as number) + 1;
    if (nowSec > (this.lastSeen[f] as number)) this.lastSeen[f] = nowSec;
    if (nowSec < (this.firstSeen[f] as number)) this.firstSeen[f] = nowSec;
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
  /** Which records are in the index, by flow id (grows with the records' columns). */
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

  /** Hash of record `f`'s tuple, from its own columns (leaves the key in the scratch words). */
  private hashOf(f: number): number {
    const r = this.records;
    const key = this.key;
    for (let i = 0; i < 4; i++) {
      key[i] = r.src[f * 4 + i] as number;
      key[4 + i] = r.dst[f * 4 + i] as number;
    }
    return this.hash(r.family[f] as number, this.keySrc, r.srcPort[f] as number, this.keyDst, r.dstPort[f] as number, r.protocol[f] as number);
  }

  private matches(f: number, family: number, src: Uint32Array, srcPort: number, dst: Uint32Array, dstPort: number, protocol: number): number {
    const r = this.records;
    if (r.family[f] !== family || r.protocol[f] !== protocol) return -1;
    let same = r.srcPort[f] === srcPort && r.dstPort[f] === dstPort;
    let reversed = isIcmp(protocol) ? same : r.srcPort[f] === dstPort && r.dstPort[f] === srcPort;
    for (let i = 0; i < 4 && (same || reversed); i++) {
      const rs = r.src[f * 4 + i] as number;
      const rd = r.dst[f * 4 + i] as number;
      same = same && rs === src[i] && rd === dst[i];
      reversed = reversed && rs === dst[i] && rd === src[i];
    }
    return same ? 0 : reversed ? 1 : -1;
  }

  private isExpired(f: number, nowSec: number): boolean {
    const r = this.records;
    return (r.lastSeen[f] as number) + this.timeoutOf(r.protocol[f] as number) <= nowSec;
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
    const family = r.family[f] as number;
    const protocol = r.protocol[f] as number;
    const srcPort = r.srcPort[f] as number;
    const dstPort = r.dstPort[f] as number;
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
    this.queueSeq[tail] = r.seq[f] as number;
    this.queueLength++;
  }

  /** When attempt `f` (indexed) is over if nothing more is seen: its last packet + the unreplied timeout. */
  expiryOf(f: number): number {
    const r = this.records;
    return (r.lastSeen[f] as number) + this.timeoutOf(r.protocol[f] as number);
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
      const stale = !this.isIndexed(f) || r.seq[f] !== this.queueSeq[head];
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
