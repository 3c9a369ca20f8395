/**
 * Hubble observations → packets, once each and in time order, in bounded memory.
 *
 * Ordering: an export is not strictly in time order (the exporter writes events as the agent
 * reads them from per-CPU perf ring buffers; `hubble observe` through Relay merges nodes with a
 * bounded sort buffer; node clocks differ). Packets wait in a min-heap on their time and leave
 * once the newest time read is more than the reorder window past them, or when the buffer holds
 * `capacity` packets (then the oldest leaves early). A packet older than one already delivered
 * is still delivered (counted as `late`): the dataplane's clock never goes back
 * (Dataplane.next keeps the largest time seen).
 *
 * De-dup: one packet crosses several observation points — FROM_ENDPOINT, a policy verdict at
 * egress, TO_OVERLAY on the source node; FROM_OVERLAY, a policy verdict at ingress, TO_ENDPOINT
 * on the destination node — and each is one event. Events with the same packet key (IP version,
 * addresses, protocol, ports, TCP flags, ICMP type and code) within DEDUP_WINDOW_S of the
 * packet's first observation are one packet, as long as the packet has no observation of the
 * same kind yet (node, point, event type, direction): a second FROM_ENDPOINT of the same key on
 * the same node is the next packet (a retransmission, the next pure ACK). Hubble carries no IP id
 * or sequence number, so this is the finest packet identity the export allows.
 *
 * Which observation wins: the packet is replayed once, at its earliest observation's time (where
 * it entered the path: the emulator decides egress and ingress in one step). Its recorded verdict
 * is the observation furthest along the path: a drop (or an AUDIT or ERROR) ends the path, so it
 * outranks every FORWARDED; then delivery (TO_ENDPOINT, a policy verdict); then REDIRECTED to
 * the proxy; then any other FORWARDED trace point; TRACED / TRANSLATED / no verdict last. Among
 * equals the later observation wins.
 */
import { HubbleEventType, HubbleVerdict, POINT_TO_ENDPOINT } from './hubble-names.js';
import type { HubbleEvent } from './parse-hubble-line.js';

/** Observations of one packet are at most this far apart (seconds): same node µs, two nodes ms. */
export const DEDUP_WINDOW_S = 0.05;
/** Default reorder window (seconds), `--reorder-window`. */
export const DEFAULT_REORDER_WINDOW_S = 2;
/** Packets held at most (the memory bound: ~120 bytes each). */
export const DEFAULT_ORDER_CAPACITY = 1 << 16;
/** Observations kept per packet for the de-dup; a packet seen at more points starts a new one. */
const MAX_OBSERVATIONS = 8;

/** What the recording says happened to a packet (the winning observation, see the file comment). */
export const RecordedOutcome = {
  /** No observation carried a verdict (TRACED, TRANSLATED, VERDICT_UNKNOWN). */
  NONE: 0,
  /** Forwarded (FORWARDED, REDIRECTED): the packet got through as far as it was observed. */
  FORWARDED: 1,
  /** Dropped by policy (POLICY_DENIED, POLICY_DENY, AUTH_REQUIRED), or AUDIT: would have been. */
  POLICY_DROP: 2,
  /** Dropped for a datapath reason that is not policy (CT_MAP_INSERTION_FAILED...), or ERROR. */
  OTHER_DROP: 3,
} as const;
export type RecordedOutcome = (typeof RecordedOutcome)[keyof typeof RecordedOutcome];

/** One packet leaving the buffer (reused: valid until the next `take`). */
export class OrderedPacket {
  tsSec = 0;
  tsNsec = 0;
  ipVersion: 4 | 6 = 4;
  readonly src = new Uint32Array(4);
  readonly dst = new Uint32Array(4);
  protocol = 0;
  srcPort = 0;
  dstPort = 0;
  tcpFlags = 0;
  icmpType = 0;
  icmpCode = 0;
  outcome: RecordedOutcome = RecordedOutcome.NONE;
  /** HubbleVerdict of the winning observation. */
  verdict = 0;
  dropReason = '';
  policies = '';
  /** The winning verdict is AUDIT (policy audit mode). */
  audit = false;
  /** First known `is_reply` of the observations: 1, 0, or -1 unknown. */
  isReply = -1;
  observations = 0;
}

function rankOf(e: HubbleEvent): number {
  const v = e.verdict;
  if (v === HubbleVerdict.DROPPED || v === HubbleVerdict.AUDIT || v === HubbleVerdict.ERROR) return 5;
  if (v === HubbleVerdict.FORWARDED && (e.point === POINT_TO_ENDPOINT || e.eventType === HubbleEventType.POLICY_VERDICT)) return 4;
  if (v === HubbleVerdict.REDIRECTED) return 3;
  if (v === HubbleVerdict.FORWARDED) return 2;
  return 1;
}

function outcomeOf(e: HubbleEvent): RecordedOutcome {
  switch (e.verdict) {
    case HubbleVerdict.FORWARDED:
    case HubbleVerdict.REDIRECTED:
      return RecordedOutcome.FORWARDED;
    case HubbleVerdict.AUDIT:
      return RecordedOutcome.POLICY_DROP;
    case HubbleVerdict.DROPPED:
      return e.policyDrop ? RecordedOutcome.POLICY_DROP : RecordedOutcome.OTHER_DROP;
    case HubbleVerdict.ERROR:
      return RecordedOutcome.OTHER_DROP;
    default:
      return RecordedOutcome.NONE;
  }
}

/** The kind of an observation, for the de-dup: node, point, event type and direction. */
function observationKey(node: number, e: HubbleEvent): number {
  // A policy verdict and the drop event of the same packet are two observations, whatever their verdicts.
  const t = e.eventType;
  const type = t === HubbleEventType.TRACE ? 0 : t === HubbleEventType.POLICY_VERDICT ? 2 : t === HubbleEventType.DROP || e.verdict === HubbleVerdict.DROPPED ? 1 : 3;
  return ((node * 16 + e.point) * 4 + type) * 3 + e.direction;
}

export class HubblePacketOrder {
  /** Packets delivered out of order (older than one already delivered). */
  late = 0;
  /** Packets that left before their window because the buffer was full. */
  releasedEarly = 0;
  /** Observations merged into a packet already held (not replayed again). */
  merged = 0;
  /** Packets held now. */
  size = 0;
  private newestSec = -Infinity;
  private lastOutSec = -Infinity;
  private lastOutNsec = 0;
  private arrivals = 0;
  private readonly nodes = new Map<string, number>();

  private readonly tsSec: Float64Array;
  private readonly tsNsec: Float64Array;
  private readonly firstTime: Float64Array;
  private readonly arrival: Float64Array;
  private readonly version: Uint8Array;
  private readonly src: Uint32Array;
  private readonly dst: Uint32Array;
  private readonly protocol: Uint8Array;
  private readonly ports: Uint32Array;
  private readonly l4: Uint32Array;
  private readonly keyHash: Int32Array;
  private readonly obs: Uint32Array;
  private readonly obsCount: Uint8Array;
  private readonly rank: Uint8Array;
  private readonly rankTime: Float64Array;
  private readonly outcome: Uint8Array;
  private readonly verdict: Uint8Array;
  private readonly audit: Uint8Array;
  private readonly isReply: Int8Array;
  private readonly dropReason: string[];
  private readonly policies: string[];
  /** Same-hash chain, newest first: `older[s]` / `newer[s]`, head in `chains`. */
  private readonly older: Int32Array;
  private readonly newer: Int32Array;
  private readonly chains = new Map<number, number>();
  private readonly heap: Int32Array;
  private readonly heapAt: Int32Array;
  private readonly free: Int32Array;
  private freeCount: number;

  constructor(
    readonly windowSec: number = DEFAULT_REORDER_WINDOW_S,
    readonly capacity: number = DEFAULT_ORDER_CAPACITY,
  ) {
    const n = capacity;
    this.tsSec = new Float64Array(n);
    this.tsNsec = new Float64Array(n);
    this.firstTime = new Float64Array(n);
    this.arrival = new Float64Array(n);
    this.version = new Uint8Array(n);
    this.src = new Uint32Array(n * 4);
    this.dst = new Uint32Array(n * 4);
    this.protocol = new Uint8Array(n);
    this.ports = new Uint32Array(n);
    this.l4 = new Uint32Array(n);
    this.keyHash = new Int32Array(n);
    this.obs = new Uint32Array(n * MAX_OBSERVATIONS);
    this.obsCount = new Uint8Array(n);
    this.rank = new Uint8Array(n);
    this.rankTime = new Float64Array(n);
    this.outcome = new Uint8Array(n);
    this.verdict = new Uint8Array(n);
    this.audit = new Uint8Array(n);
    this.isReply = new Int8Array(n);
    this.dropReason = new Array<string>(n).fill('');
    this.policies = new Array<string>(n).fill('');
    this.older = new Int32Array(n);
    this.newer = new Int32Array(n);
    this.heap = new Int32Array(n);
    this.heapAt = new Int32Array(n);
    this.free = new Int32Array(n);
    for (let i = 0; i < n; i++) this.free[i] = n - 1 - i;
    this.freeCount = n;
  }

  /** True when the buffer must give a packet before it can take another. */
  get full(): boolean {
    return this.freeCount === 0;
  }

  /**
   * True when the oldest packet may leave: it is older than the newest time read by more than
   * the window (or the buffer is full).
   */
  ready(): boolean {
    if (this.size === 0) return false;
    if (this.freeCount === 0) return true;
    const top = this.heap[0] as number;
    return (this.tsSec[top] as number) + (this.tsNsec[top] as number) * 1e-9 < this.newestSec - this.windowSec;
  }

  /** Add one L3/L4 observation (`e.kind` PACKET): merged into a held packet or held as a new one. Call `take` first while `full`. */
  offer(e: HubbleEvent): void {
    const time = e.tsSec + e.tsNsec * 1e-9;
    if (time > this.newestSec) this.newestSec = time;
    let node = this.nodes.get(e.nodeName);
    if (node === undefined) {
      node = this.nodes.size;
      this.nodes.set(e.nodeName, node);
    }
    const key = observationKey(node, e);
    const ports = ((e.srcPort << 16) | e.dstPort) >>> 0;
    const l4 = (e.tcpFlags << 16) | (e.icmpType << 8) | e.icmpCode;
    const hash = this.hashOf(e, ports, l4);
    // The oldest held packet with this key that lacks an observation of this kind.
    let target = -1;
    for (let s = this.chains.get(hash) ?? -1; s >= 0; s = this.older[s] as number) {
      if (this.keyHash[s] !== hash || !this.sameKey(s, e, ports, l4)) continue;
      if (Math.abs(time - (this.firstTime[s] as number)) > DEDUP_WINDOW_S) continue;
      const count = this.obsCount[s] as number;
      if (count >= MAX_OBSERVATIONS) continue;
      let seen = false;
      for (let i = 0; i < count; i++) if (this.obs[s * MAX_OBSERVATIONS + i] === key) seen = true;
      if (!seen) target = s;
    }
    if (target >= 0) {
      this.merged++;
      this.observe(target, key, e, time);
      if (time < (this.firstTime[target] as number)) {
        this.firstTime[target] = time;
        this.tsSec[target] = e.tsSec;
        this.tsNsec[target] = e.tsNsec;
        this.siftUp(this.heapAt[target] as number);
      }
      return;
    }
    if (this.freeCount === 0) throw new Error('HubblePacketOrder.offer while full: take() first');
    const s = this.free[--this.freeCount] as number;
    this.tsSec[s] = e.tsSec;
    this.tsNsec[s] = e.tsNsec;
    this.firstTime[s] = time;
    this.arrival[s] = this.arrivals++;
    this.version[s] = e.ipVersion;
    this.src.set(e.src, s * 4);
    this.dst.set(e.dst, s * 4);
    this.protocol[s] = e.protocol;
    this.ports[s] = ports;
    this.l4[s] = l4;
    this.keyHash[s] = hash;
    this.obsCount[s] = 0;
    this.rank[s] = 0;
    this.outcome[s] = RecordedOutcome.NONE;
    this.verdict[s] = 0;
    this.audit[s] = 0;
    this.isReply[s] = -1;
    this.dropReason[s] = '';
    this.policies[s] = '';
    this.observe(s, key, e, time);
    const head = this.chains.get(hash) ?? -1;
    this.older[s] = head;
    this.newer[s] = -1;
    if (head >= 0) this.newer[head] = s;
    this.chains.set(hash, s);
    const at = this.size++;
    this.heap[at] = s;
    this.heapAt[s] = at;
    this.siftUp(at);
  }

  /** Moves the oldest held packet into `out`. Call only when `size > 0`. */
  take(out: OrderedPacket): void {
    const s = this.heap[0] as number;
    if (this.freeCount === 0 && !this.readyByTime(s)) this.releasedEarly++;
    const last = this.heap[--this.size] as number;
    if (this.size > 0) {
      this.heap[0] = last;
      this.heapAt[last] = 0;
      this.siftDown(0);
    }
    const sec = this.tsSec[s] as number;
    const nsec = this.tsNsec[s] as number;
    if (sec < this.lastOutSec || (sec === this.lastOutSec && nsec < this.lastOutNsec)) this.late++;
    else {
      this.lastOutSec = sec;
      this.lastOutNsec = nsec;
    }
    out.tsSec = sec;
    out.tsNsec = nsec;
    out.ipVersion = this.version[s] as 4 | 6;
    for (let i = 0; i < 4; i++) {
      out.src[i] = this.src[s * 4 + i] as number;
      out.dst[i] = this.dst[s * 4 + i] as number;
    }
    out.protocol = this.protocol[s] as number;
    const ports = this.ports[s] as number;
    out.srcPort = ports >>> 16;
    out.dstPort = ports & 0xffff;
    const l4 = this.l4[s] as number;
    out.tcpFlags = l4 >>> 16;
    out.icmpType = (l4 >>> 8) & 0xff;
    out.icmpCode = l4 & 0xff;
    out.outcome = this.outcome[s] as RecordedOutcome;
    out.verdict = this.verdict[s] as number;
    out.audit = this.audit[s] === 1;
    out.dropReason = this.dropReason[s] as string;
    out.policies = this.policies[s] as string;
    out.isReply = this.isReply[s] as number;
    out.observations = this.obsCount[s] as number;
    this.unchain(s);
    this.free[this.freeCount++] = s;
  }

  private readyByTime(s: number): boolean {
    return (this.tsSec[s] as number) + (this.tsNsec[s] as number) * 1e-9 < this.newestSec - this.windowSec;
  }

  private observe(s: number, key: number, e: HubbleEvent, time: number): void {
    const count = this.obsCount[s] as number;
    if (count < MAX_OBSERVATIONS) {
      this.obs[s * MAX_OBSERVATIONS + count] = key;
      this.obsCount[s] = count + 1;
    }
    if (this.isReply[s] === -1 && e.isReply >= 0) this.isReply[s] = e.isReply;
    const rank = rankOf(e);
    if (rank > (this.rank[s] as number) || (rank === this.rank[s] && time >= (this.rankTime[s] as number))) {
      this.rank[s] = rank;
      this.rankTime[s] = time;
      this.outcome[s] = outcomeOf(e);
      this.verdict[s] = e.verdict;
      this.audit[s] = e.verdict === HubbleVerdict.AUDIT ? 1 : 0;
      this.dropReason[s] = e.dropReason;
    }
    if (e.policies !== '' && this.policies[s] === '') this.policies[s] = e.policies;
  }

  private hashOf(e: HubbleEvent, ports: number, l4: number): number {
    let h = Math.imul(e.protocol + e.ipVersion * 256, 0x9e3779b1);
    const n = e.ipVersion === 4 ? 1 : 4;
    for (let i = 0; i < n; i++) {
      h = Math.imul(h ^ (e.src[i] as number), 0x85ebca6b);
      h = Math.imul(h ^ (e.dst[i] as number), 0xc2b2ae35);
    }
    h = Math.imul(h ^ ports, 0x27d4eb2f);
    h = Math.imul(h ^ l4, 0x165667b1);
    return h ^ (h >>> 15);
  }

  private sameKey(s: number, e: HubbleEvent, ports: number, l4: number): boolean {
    if (this.version[s] !== e.ipVersion || this.protocol[s] !== e.protocol || this.ports[s] !== ports || this.l4[s] !== l4) return false;
    const o = s * 4;
    for (let i = 0; i < 4; i++) if (this.src[o + i] !== e.src[i] || this.dst[o + i] !== e.dst[i]) return false;
    return true;
  }

  private unchain(s: number): void {
    const older = this.older[s] as number;
    const newer = this.newer[s] as number;
    if (older >= 0) this.newer[older] = newer;
    if (newer >= 0) this.older[newer] = older;
    else if (older >= 0) this.chains.set(this.keyHash[s] as number, older);
    else this.chains.delete(this.keyHash[s] as number);
  }

  /** a leaves before b: earlier time, then earlier arrival. */
  private before(a: number, b: number): boolean {
    const as = this.tsSec[a] as number;
    const bs = this.tsSec[b] as number;
    if (as !== bs) return as < bs;
    const an = this.tsNsec[a] as number;
    const bn = this.tsNsec[b] as number;
    if (an !== bn) return an < bn;
    return (this.arrival[a] as number) < (this.arrival[b] as number);
  }

  private siftUp(i: number): void {
    const heap = this.heap;
    const s = heap[i] as number;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as number;
      if (!this.before(s, p)) break;
      heap[i] = p;
      this.heapAt[p] = i;
      i = parent;
    }
    heap[i] = s;
    this.heapAt[s] = i;
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    const n = this.size;
    const s = heap[i] as number;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let m = l;
      if (r < n && this.before(heap[r] as number, heap[l] as number)) m = r;
      const c = heap[m] as number;
      if (!this.before(c, s)) break;
      heap[i] = c;
      this.heapAt[c] = i;
      i = m;
    }
    heap[i] = s;
    this.heapAt[s] = i;
  }
}
