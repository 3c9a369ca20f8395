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
 *
 * Translated observations (docs/hubble.md "Service frontends and translated sources"): Hubble
 * prints each observation with the addresses the packet had there, so one packet can show two
 * destinations or two sources:
 * - a pre-DNAT observation (to a Service frontend: `destination_service` set, or a frontend of
 *   the cluster's Services) and the post-DNAT ones (to the endpoint Cilium chose) are one packet
 *   when they share the source address and port, protocol and TCP flags, are within
 *   DEDUP_WINDOW_S, exactly one side is the frontend and, when the cluster has that Service, the
 *   other side is one of its endpoints;
 * - an observation with `IP.source_xlated` (whose `IP.source` is the address before translation
 *   but whose ports are the header's, after it) and one without are one packet when they share
 *   the destination, protocol, TCP flags and `IP.source` but not the source port.
 * With several such held packets (the next pure ACK of the connection within the window), the
 * one nearest in time is taken; two equally near are not guessed: the observations stay apart
 * (`serviceAmbiguous`). Such a packet keeps both tuples (an alias); later observations match either.
 */
import { HubbleEventType, HubbleVerdict, POINT_TO_ENDPOINT, TRACE_REASON_RELATED } from './hubble-names.js';
import { HashChains } from './hash-chains.js';
import type { HubbleEvent } from './parse-hubble-line.js';

/** Observations of one packet are at most this far apart (seconds): same node µs, two nodes ms. */
export const DEDUP_WINDOW_S = 0.05;
/** Default reorder window (seconds), `--reorder-window`. */
export const DEFAULT_REORDER_WINDOW_S = 2;
/** Packets held at most (the memory bound: ~250 bytes each with the translated-copy indexes: 16 MiB). */
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
  /**
   * The Service endpoint the packet went to (a post-DNAT observation merged into a pre-DNAT one
   * whose frontend the cluster has): `dst`/`dstPort` are then the frontend, and the replay
   * translates to this endpoint. `endpointPort` -1: none.
   */
  readonly endpoint = new Uint32Array(4);
  endpointPort = -1;
  /** Some trace observation carried `trace_reason` RELATED: Cilium's conntrack related it to a connection. */
  recordedRelated = false;
}

/** The cluster's Service frontends, for telling pre-DNAT observations (read-flows-input.ts builds it from ServiceNat). */
export interface ServiceFrontends {
  /** (address, protocol, port) is a frontend of one of the cluster's Services. */
  isFrontend(family: number, address: Uint32Array, protocol: number, port: number): boolean;
  /** (address, port) is an endpoint of that frontend. */
  hasEndpoint(family: number, frontend: Uint32Array, protocol: number, frontendPort: number, address: Uint32Array, port: number): boolean;
}

/** Per slot: which alias it has. */
const ALIAS_NONE = 0;
/** A second destination (pre- and post-DNAT). */
const ALIAS_DST = 1;
/** A second source port (with and without IP.source_xlated). */
const ALIAS_SRC = 2;
const ZERO_WORDS = new Uint32Array(4);

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
  /** Post-DNAT observations merged into their pre-DNAT packet (or the other way round). */
  serviceMerged = 0;
  /** Observations that could be the translated copy of two held packets or more: kept apart. */
  serviceAmbiguous = 0;
  /** Observations with IP.source_xlated merged with the same packet's untranslated observation by source port. */
  sourceXlatedMerged = 0;
  /** Packets replayed with a Service endpoint to follow (the cluster has the frontend). */
  endpointsFollowed = 0;
  /** Packets replayed with the post-DNAT destination (the cluster does not have the frontend Hubble named). */
  backendsReplayed = 0;
  /** Packets replayed as their header shows them after reverse translation (source_xlated is a frontend of the cluster, no untranslated observation). */
  reverseNatHeaders = 0;
  /** Packets held now. */
  size = 0;
  private newestSec = -Infinity;
  private lastOutSec = -Infinity;
  private lastOutNsec = 0;
  private arrivals = 0;
  private readonly nodes = new Map<string, number>();
  private readonly scratch = new Uint32Array(4);

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
  /** The first observation's destination was a Service frontend (destination_service, or the cluster's). */
  private readonly frontSide: Uint8Array;
  /** The first observation had IP.source_xlated (`xSrc`), and whether that is a frontend of the cluster (a reverse-NATed reply). */
  private readonly xlated: Uint8Array;
  private readonly xSrc: Uint32Array;
  private readonly aliasKind: Uint8Array;
  /** ALIAS_DST: the other destination and port; ALIAS_SRC: the other source port. */
  private readonly aliasDst: Uint32Array;
  private readonly aliasPort: Uint16Array;
  private readonly obs: Uint32Array;
  private readonly obsCount: Uint8Array;
  private readonly rank: Uint8Array;
  private readonly rankTime: Float64Array;
  private readonly outcome: Uint8Array;
  private readonly verdict: Uint8Array;
  private readonly audit: Uint8Array;
  private readonly isReply: Int8Array;
  private readonly related: Uint8Array;
  private readonly dropReason: string[];
  private readonly policies: string[];
  /**
   * Held packets by key (hash-chains.ts). Exact matches look in `byKey` (the first observation's
   * tuple) and `byAlias` (the other tuple of a merged translated packet): the same cost as
   * without translation. Translated copies are looked for only by observations that may be one:
   * one to a frontend in `bySource` (packets from the same source address and port), any other
   * TCP/UDP one in `frontBySource` (held packets to a frontend without their post-DNAT copy yet,
   * usually none); one with IP.source_xlated in `bySourceAddress` (same source address and
   * destination, any source port), any other in `xlatedBySourceAddress` (usually none). So a
   * busy source (a DNS server answering many clients from port 53) is never scanned by
   * observations that cannot be translated copies.
   */
  private readonly byKey: HashChains;
  private readonly byAlias: HashChains;
  private readonly bySource: HashChains;
  private readonly frontBySource: HashChains;
  private readonly bySourceAddress: HashChains;
  private readonly xlatedBySourceAddress: HashChains;
  private readonly heap: Int32Array;
  private readonly heapAt: Int32Array;
  private readonly free: Int32Array;
  private freeCount: number;

  constructor(
    readonly windowSec: number = DEFAULT_REORDER_WINDOW_S,
    readonly capacity: number = DEFAULT_ORDER_CAPACITY,
    private readonly frontends: ServiceFrontends | null = null,
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
    this.frontSide = new Uint8Array(n);
    this.xlated = new Uint8Array(n);
    this.xSrc = new Uint32Array(n * 4);
    this.aliasKind = new Uint8Array(n);
    this.aliasDst = new Uint32Array(n * 4);
    this.aliasPort = new Uint16Array(n);
    this.obs = new Uint32Array(n * MAX_OBSERVATIONS);
    this.obsCount = new Uint8Array(n);
    this.rank = new Uint8Array(n);
    this.rankTime = new Float64Array(n);
    this.outcome = new Uint8Array(n);
    this.verdict = new Uint8Array(n);
    this.audit = new Uint8Array(n);
    this.isReply = new Int8Array(n);
    this.related = new Uint8Array(n);
    this.dropReason = new Array<string>(n).fill('');
    this.policies = new Array<string>(n).fill('');
    this.byKey = new HashChains(n);
    this.byAlias = new HashChains(n);
    this.bySource = new HashChains(n);
    this.frontBySource = new HashChains(n);
    this.bySourceAddress = new HashChains(n);
    this.xlatedBySourceAddress = new HashChains(n);
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
    const fullHash = this.hashOf(e.ipVersion, e.protocol, e.src, e.srcPort, e.dst, e.dstPort, l4);
    const translatable = e.protocol === 6 || e.protocol === 17;
    const front = translatable && this.isFrontSide(e);
    // The oldest held packet this observation is another observation of.
    let target = -1;
    for (let s = this.byKey.first(fullHash); s >= 0; s = this.byKey.next(s)) {
      if (this.byKey.hashOf[s] === fullHash && this.samePrimary(s, e, l4) && this.open(s, key, time)) target = s;
    }
    if (target < 0) {
      for (let s = this.byAlias.first(fullHash); s >= 0; s = this.byAlias.next(s)) {
        if (this.byAlias.hashOf[s] === fullHash && this.sameAlias(s, e, l4) && this.open(s, key, time)) target = s;
      }
    }
    // Else one it is the translated copy of: the held packet nearest in time (two equally near: ambiguous, none taken).
    let merge = ALIAS_NONE;
    let candidate = -1;
    let nearest = Infinity;
    let tie = false;
    if (target < 0 && translatable) {
      const sourceHash = this.hashOf(e.ipVersion, e.protocol, e.src, e.srcPort, ZERO_WORDS, 0, l4);
      const chains = front ? this.bySource : this.frontBySource;
      for (let s = chains.first(sourceHash); s >= 0; s = chains.next(s)) {
        if (chains.hashOf[s] !== sourceHash || this.aliasKind[s] !== ALIAS_NONE || !this.sameSource(s, e, l4) || !this.isDnatPair(s, e, front) || !this.open(s, key, time)) continue;
        const d = Math.abs(time - (this.firstTime[s] as number));
        if (d < nearest) {
          nearest = d;
          candidate = s;
          tie = false;
        } else if (d === nearest) tie = true;
      }
      if (candidate >= 0) merge = ALIAS_DST;
    }
    if (target < 0 && candidate < 0) {
      const addressHash = this.hashOf(e.ipVersion, e.protocol, e.src, 0, e.dst, e.dstPort, l4);
      const chains = e.sourceXlated ? this.bySourceAddress : this.xlatedBySourceAddress;
      for (let s = chains.first(addressHash); s >= 0; s = chains.next(s)) {
        if (chains.hashOf[s] !== addressHash || this.aliasKind[s] !== ALIAS_NONE || (this.xlated[s] === 1) === e.sourceXlated) continue;
        if (!this.sameSourceAddress(s, e, l4) || e.srcPort === (this.ports[s] as number) >>> 16 || !this.open(s, key, time)) continue;
        const d = Math.abs(time - (this.firstTime[s] as number));
        if (d < nearest) {
          nearest = d;
          candidate = s;
          tie = false;
        } else if (d === nearest) tie = true;
      }
      if (candidate >= 0) merge = ALIAS_SRC;
    }
    if (candidate >= 0) {
      if (tie) this.serviceAmbiguous++;
      else target = candidate;
    }
    if (target >= 0) {
      this.merged++;
      if (target === candidate && merge === ALIAS_DST) {
        this.serviceMerged++;
        this.aliasKind[target] = ALIAS_DST;
        this.aliasDst.set(e.dst, target * 4);
        this.aliasPort[target] = e.dstPort;
        this.byAlias.insert(target, fullHash);
        this.frontBySource.remove(target);
      } else if (target === candidate && merge === ALIAS_SRC) {
        this.sourceXlatedMerged++;
        this.aliasKind[target] = ALIAS_SRC;
        this.aliasPort[target] = e.srcPort;
        this.byAlias.insert(target, fullHash);
        this.xlatedBySourceAddress.remove(target);
      }
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
    this.frontSide[s] = front ? 1 : 0;
    this.xlated[s] = e.sourceXlated ? 1 : 0;
    if (e.sourceXlated) this.xSrc.set(e.srcXlated, s * 4);
    this.aliasKind[s] = ALIAS_NONE;
    this.obsCount[s] = 0;
    this.rank[s] = 0;
    this.outcome[s] = RecordedOutcome.NONE;
    this.verdict[s] = 0;
    this.audit[s] = 0;
    this.isReply[s] = -1;
    this.related[s] = 0;
    this.dropReason[s] = '';
    this.policies[s] = '';
    this.observe(s, key, e, time);
    this.byKey.insert(s, fullHash);
    this.bySource.insert(s, this.hashOf(e.ipVersion, e.protocol, e.src, e.srcPort, ZERO_WORDS, 0, l4));
    this.bySourceAddress.insert(s, this.hashOf(e.ipVersion, e.protocol, e.src, 0, e.dst, e.dstPort, l4));
    if (front) this.frontBySource.insert(s, this.bySource.hashOf[s] as number);
    if (e.sourceXlated) this.xlatedBySourceAddress.insert(s, this.bySourceAddress.hashOf[s] as number);
    const at = this.size++;
    this.heap[at] = s;
    this.heapAt[s] = at;
    this.siftUp(at);
  }

  /** Held packet `s` may take an observation of kind `key` at `time`: within the de-dup window, none of that kind yet. */
  private open(s: number, key: number, time: number): boolean {
    if (Math.abs(time - (this.firstTime[s] as number)) > DEDUP_WINDOW_S) return false;
    const count = this.obsCount[s] as number;
    if (count >= MAX_OBSERVATIONS) return false;
    for (let i = 0; i < count; i++) if (this.obs[s * MAX_OBSERVATIONS + i] === key) return false;
    return true;
  }

  /** The observation's destination is a Service frontend: Hubble named the Service, or the cluster has it. */
  private isFrontSide(e: HubbleEvent): boolean {
    if (e.destinationService !== '') return true;
    return this.frontends !== null && this.frontends.isFrontend(e.ipVersion, e.dst, e.protocol, e.dstPort);
  }

  /**
   * `e` and held packet `s` (same source, other destination) are the pre- and post-DNAT
   * observations of one packet: exactly one of them is to a frontend, and when the cluster has
   * that frontend, the other goes to one of its endpoints.
   */
  private isDnatPair(s: number, e: HubbleEvent, front: boolean): boolean {
    if ((this.frontSide[s] === 1) === front) return false;
    const frontends = this.frontends;
    if (frontends === null) return true;
    const held = this.dstView(s);
    const port = (this.ports[s] as number) & 0xffff;
    if (front) return !frontends.isFrontend(e.ipVersion, e.dst, e.protocol, e.dstPort) || frontends.hasEndpoint(e.ipVersion, e.dst, e.protocol, e.dstPort, held, port);
    return !frontends.isFrontend(e.ipVersion, held, e.protocol, port) || frontends.hasEndpoint(e.ipVersion, held, e.protocol, port, e.dst, e.dstPort);
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
    out.endpointPort = -1;
    const alias = this.aliasKind[s] as number;
    if (alias === ALIAS_DST) this.translatedDestination(s, out);
    else if (alias === ALIAS_SRC) {
      // The observation without source_xlated has the packet's own source port.
      if (this.xlated[s] === 1) out.srcPort = this.aliasPort[s] as number;
    } else if (this.xlated[s] === 1 && this.frontends !== null) {
      // Only the reverse-NATed observation (its ports are the frontend's): when that is a frontend
      // of the cluster, the header as the client got it; the replay un-translates it.
      for (let i = 0; i < 4; i++) this.scratch[i] = this.xSrc[s * 4 + i] as number;
      if (this.frontends.isFrontend(out.ipVersion, this.scratch, out.protocol, out.srcPort)) {
        out.src.set(this.scratch);
        this.reverseNatHeaders++;
      }
    }
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
    out.recordedRelated = this.related[s] === 1;
    this.unchain(s);
    this.free[this.freeCount++] = s;
  }

  /**
   * A packet seen before and after DNAT: to the frontend with the endpoint to follow when the
   * cluster has that Service (its translation then gives the packet Cilium policed, and the flow
   * its Service), else to the endpoint (what Cilium's policy saw).
   */
  private translatedDestination(s: number, out: OrderedPacket): void {
    const front = this.frontSide[s] === 1;
    const frontends = this.frontends;
    const aliasPort = this.aliasPort[s] as number;
    const frontPort = front ? out.dstPort : aliasPort;
    const scratch = this.scratch;
    for (let i = 0; i < 4; i++) scratch[i] = front ? (out.dst[i] as number) : (this.aliasDst[s * 4 + i] as number);
    if (frontends !== null && frontends.isFrontend(out.ipVersion, scratch, out.protocol, frontPort)) {
      // out.dst becomes the frontend, out.endpoint the endpoint.
      for (let i = 0; i < 4; i++) {
        out.endpoint[i] = front ? (this.aliasDst[s * 4 + i] as number) : (out.dst[i] as number);
        out.dst[i] = scratch[i] as number;
      }
      out.endpointPort = front ? aliasPort : out.dstPort;
      out.dstPort = frontPort;
      this.endpointsFollowed++;
      return;
    }
    if (front) {
      for (let i = 0; i < 4; i++) out.dst[i] = this.aliasDst[s * 4 + i] as number;
      out.dstPort = aliasPort;
    }
    this.backendsReplayed++;
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
    if (e.traceReason === TRACE_REASON_RELATED) this.related[s] = 1;
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

  /** Hash of a packet key; the partial keys pass zeros for what they leave out. */
  private hashOf(version: number, protocol: number, src: Uint32Array, srcPort: number, dst: Uint32Array, dstPort: number, l4: number): number {
    let h = Math.imul(protocol + version * 256, 0x9e3779b1);
    const n = version === 4 ? 1 : 4;
    for (let i = 0; i < n; i++) {
      h = Math.imul(h ^ (src[i] as number), 0x85ebca6b);
      h = Math.imul(h ^ (dst[i] as number), 0xc2b2ae35);
    }
    h = Math.imul(h ^ (((srcPort << 16) | dstPort) >>> 0), 0x27d4eb2f);
    h = Math.imul(h ^ l4, 0x165667b1);
    return h ^ (h >>> 15);
  }

  private sameAddress(column: Uint32Array, s: number, address: Uint32Array): boolean {
    const o = s * 4;
    return column[o] === address[0] && column[o + 1] === address[1] && column[o + 2] === address[2] && column[o + 3] === address[3];
  }

  /** Same version, protocol, flags/ICMP type, source address and port as held packet `s`. */
  private sameSource(s: number, e: HubbleEvent, l4: number): boolean {
    return this.version[s] === e.ipVersion && this.protocol[s] === e.protocol && this.l4[s] === l4 && (this.ports[s] as number) >>> 16 === e.srcPort && this.sameAddress(this.src, s, e.src);
  }

  /** Same version, protocol, flags/ICMP type, source address and destination as held packet `s` (any source port). */
  private sameSourceAddress(s: number, e: HubbleEvent, l4: number): boolean {
    return this.version[s] === e.ipVersion && this.protocol[s] === e.protocol && this.l4[s] === l4 && ((this.ports[s] as number) & 0xffff) === e.dstPort && this.sameAddress(this.src, s, e.src) && this.sameAddress(this.dst, s, e.dst);
  }

  /** `e` has the key of held packet `s`'s first observation. */
  private samePrimary(s: number, e: HubbleEvent, l4: number): boolean {
    return this.sameSource(s, e, l4) && ((this.ports[s] as number) & 0xffff) === e.dstPort && this.sameAddress(this.dst, s, e.dst);
  }

  /** `e` has the key of held packet `s`'s other tuple (its translated copy). */
  private sameAlias(s: number, e: HubbleEvent, l4: number): boolean {
    const kind = this.aliasKind[s] as number;
    if (kind === ALIAS_DST) return this.sameSource(s, e, l4) && this.aliasPort[s] === e.dstPort && this.sameAddress(this.aliasDst, s, e.dst);
    if (kind === ALIAS_SRC) return this.aliasPort[s] === e.srcPort && this.sameSourceAddress(s, e, l4);
    return false;
  }

  /** Held packet `s`'s destination in the scratch words (no allocation). */
  private dstView(s: number): Uint32Array {
    for (let i = 0; i < 4; i++) this.scratch[i] = this.dst[s * 4 + i] as number;
    return this.scratch;
  }

  private unchain(s: number): void {
    this.byKey.remove(s);
    this.byAlias.remove(s);
    this.bySource.remove(s);
    this.frontBySource.remove(s);
    this.bySourceAddress.remove(s);
    this.xlatedBySourceAddress.remove(s);
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
