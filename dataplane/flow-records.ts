/**
 * Per-flow records for reports (`--flows`, top denied flows): one record per connection, both
 * directions together, whether it was allowed (then conntrack points at it by flow id) or denied
 * (then no conntrack entry exists, as in the kernel, and `DeniedFlowIndex` finds it again for
 * the retransmissions and replies of the same attempt).
 *
 * Columns grow by doubling: allocation happens on the rare growth step, never per packet.
 */
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
  count = 0;
  private capacity = INITIAL;
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

  private ensure(): void {
    if (this.count < this.capacity) return;
    const c = this.capacity * 2;
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
    this.capacity = c;
  }

  add(family: number, src: Uint32Array, dst: Uint32Array, protocol: number, srcPort: number, dstPort: number, nowSec: number): number {
    this.ensure();
    const f = this.count++;
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
    this.firstSeen[f] = nowSec;
    this.lastSeen[f] = nowSec;
    this.policyVersion[f] = 0;
    this.changedAt[f] = NaN;
    this.changedReason[f] = 0;
    this.blocked[f] = 0;
    this.tunnel[f] = 0;
    this.service[f] = -1;
    this.endpoint[f] = -1;
    this.endpointAllowed[f] = 0;
    return f;
  }

  addPacket(f: number, direction: number, bytes: number, nowSec: number, dropped: boolean): void {
    this.packets[f * 2 + direction] = (this.packets[f * 2 + direction] as number) + 1;
    this.bytes[f * 2 + direction] = (this.bytes[f * 2 + direction] as number) + bytes;
    if (dropped) this.dropped[f] = (this.dropped[f] as number) + 1;
    if (nowSec > (this.lastSeen[f] as number)) this.lastSeen[f] = nowSec;
    if (nowSec < (this.firstSeen[f] as number)) this.firstSeen[f] = nowSec;
  }
}

/**
 * Denied attempts by 5-tuple (direction-independent), so the SYN retransmissions and the
 * unanswered replies of a denied connection add up in one record. Open addressing with
 * doubling; the table holds flow ids, the keys live in FlowRecords.
 */
export class DeniedFlowIndex {
  private slots = new Int32Array(1024).fill(-1);
  private used = 0;
  /** Direction of the last `find` hit: 0 same as the record's first packet, 1 reversed. */
  direction = 0;
  /** Scratch key for `insert`: source words then destination words, with views made once. */
  private readonly key = new Uint32Array(8);
  private readonly keySrc = this.key.subarray(0, 4);
  private readonly keyDst = this.key.subarray(4, 8);

  constructor(private readonly records: FlowRecords) {}

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
    return Math.imul((ha + hb) ^ (family << 8) ^ protocol ^ ports, 0xc2b2ae35) >>> 0;
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

  find(family: number, src: Uint32Array, srcPort: number, dst: Uint32Array, dstPort: number, protocol: number): number {
    const mask = this.slots.length - 1;
    let slot = this.hash(family, src, srcPort, dst, dstPort, protocol) & mask;
    for (;;) {
      const f = this.slots[slot] as number;
      if (f < 0) return -1;
      const dir = this.matches(f, family, src, srcPort, dst, dstPort, protocol);
      if (dir >= 0) {
        this.direction = dir;
        return f;
      }
      slot = (slot + 1) & mask;
    }
  }

  /** Index flow `f` (a new denied record); replaces an older record of the same tuple. */
  insert(f: number): void {
    const r = this.records;
    if ((this.used + 1) * 2 > this.slots.length) this.rehash();
    // The key is read from the record's own columns: no views, no allocation.
    const family = r.family[f] as number;
    const protocol = r.protocol[f] as number;
    const srcPort = r.srcPort[f] as number;
    const dstPort = r.dstPort[f] as number;
    const key = this.key;
    for (let i = 0; i < 4; i++) {
      key[i] = r.src[f * 4 + i] as number;
      key[4 + i] = r.dst[f * 4 + i] as number;
    }
    const src = this.keySrc;
    const dst = this.keyDst;
    const mask = this.slots.length - 1;
    let slot = this.hash(family, src, srcPort, dst, dstPort, protocol) & mask;
    for (;;) {
      const other = this.slots[slot] as number;
      if (other < 0) {
        this.slots[slot] = f;
        this.used++;
        return;
      }
      if (this.matches(other, family, src, srcPort, dst, dstPort, protocol) >= 0) {
        this.slots[slot] = f;
        return;
      }
      slot = (slot + 1) & mask;
    }
  }

  private rehash(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2).fill(-1);
    this.used = 0;
    for (const f of old) if (f >= 0) this.insert(f);
  }
}
