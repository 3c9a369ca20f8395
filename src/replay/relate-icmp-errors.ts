/**
 * ICMP errors in a Hubble export, related to the connection they are about.
 *
 * Hubble prints an ICMP error as its type and code only: the L3/L4 parser
 * (cilium pkg/hubble/parser/threefour) decodes the outer IP header and the ICMPv4/ICMPv6 header
 * with gopacket, and the quoted packet is the ICMP layer's payload, which it does not decode; the
 * trace and drop notifications carry no inner tuple either. What an event does say is Cilium's
 * conntrack result on trace events, `trace_reason` (RELATED when conntrack admitted the error as
 * related to a tracked connection, bpf/lib/conntrack.h CT_RELATED → TRACE_REASON_CT_RELATED);
 * `is_reply` is false then (it is true for CT_REPLY only), and drops carry neither.
 *
 * So the connection is found from the addresses, with one rule: the error from X to Y is about
 * the connection between X and Y — X is where the quoted packet was going (its destination, or
 * the host that answered for it) — when exactly one connection between those two addresses (TCP,
 * UDP or ICMP echo, either direction) is live among the packets replayed so far. The quoted
 * packet is then that connection's packet from Y to X (IPv4 header or IPv6 header + the first 8
 * bytes of its L4 header, as RFC 792 and RFC 4443 quote), and conntrack and policy judge the
 * error as they judge one in a capture: RELATED to a tracked connection, or not.
 * - No live connection between X and Y (a router's error, time exceeded from a hop, the
 *   connection's packets not in the export): NO_CONNECTION.
 * - Two or more (several DNS queries to the same server in flight, a crowded pair): AMBIGUOUS.
 * Neither is guessed: such an error is replayed bare, as before, and not compared.
 *
 * "Live" follows Linux conntrack's default timeouts (CT_TIMEOUTS_LINUX): UDP 120 s after the
 * last packet, ICMP echo 30 s, TCP until 120 s after a FIN or RST (TIME_WAIT) or 5 days after
 * the last packet. Memory: a fixed table of address pairs (PAIR_SLOTS, each up to
 * TUPLES_PER_PAIR connections); a pair pushed out by newer ones is forgotten (its errors then
 * count as NO_CONNECTION), a pair with more live connections than it holds is AMBIGUOUS.
 */
import { CT_TIMEOUTS_LINUX } from '../../dataplane/conntrack/ct-timeouts.js';
import { foldChecksum, put16, put32, sum16 } from '../../dataplane/packet-bytes.js';

export const IcmpRelation = {
  /** Exactly one live connection: the quoted packet is written. */
  RELATED: 0,
  NO_CONNECTION: 1,
  AMBIGUOUS: 2,
} as const;
export type IcmpRelation = (typeof IcmpRelation)[keyof typeof IcmpRelation];

/** ICMPv4 destination unreachable 3, source quench 4, redirect 5, time exceeded 11, parameter problem 12 (RFC 792); ICMPv6 1–4 (RFC 4443). */
export function isIcmpError(ipVersion: number, protocol: number, type: number): boolean {
  if (ipVersion === 4) return protocol === 1 && (type === 3 || type === 4 || type === 5 || type === 11 || type === 12);
  return protocol === 58 && type >= 1 && type <= 4;
}

/** The packet an error quotes (reused). */
export class QuotedPacket {
  readonly src = new Uint32Array(4);
  readonly dst = new Uint32Array(4);
  protocol = 0;
  srcPort = 0;
  dstPort = 0;
  /** ICMP echo: the quoted message's type (request or reply). */
  icmpType = 0;
}

const PAIR_SLOTS = 1 << 14;
const PROBE = 8;
const TUPLES_PER_PAIR = 4;
/** Words per pair: family, address a (4), address b (4). */
const PAIR_WORDS = 9;
const TCP_FIN_RST = 1 | 4;

function mix(h: number, v: number): number {
  h = Math.imul(h ^ v, 0x5bd1e995);
  return (h ^ (h >>> 15)) >>> 0;
}

/** -1, 0, 1: address `a` before, equal to, after `b` (word order). */
function compare(a: Uint32Array, b: Uint32Array): number {
  for (let i = 0; i < 4; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/**
 * The connections replayed so far, by unordered address pair: `note` each packet that is not an
 * ICMP error, `relate` each error. No allocation per call.
 */
export class ConnectionsByAddressPair {
  private readonly pairs = new Uint32Array(PAIR_SLOTS * PAIR_WORDS);
  /** Latest packet time per pair slot, -Infinity empty. */
  private readonly pairSeen = new Float64Array(PAIR_SLOTS).fill(-Infinity);
  /** Per tuple: protocol (0 empty), the ports on side a and b, echo requester side (1 a, 2 b), last seen, closed at. */
  private readonly protocol = new Uint8Array(PAIR_SLOTS * TUPLES_PER_PAIR);
  private readonly portA = new Uint16Array(PAIR_SLOTS * TUPLES_PER_PAIR);
  private readonly portB = new Uint16Array(PAIR_SLOTS * TUPLES_PER_PAIR);
  private readonly requester = new Uint8Array(PAIR_SLOTS * TUPLES_PER_PAIR);
  private readonly seen = new Float64Array(PAIR_SLOTS * TUPLES_PER_PAIR);
  private readonly closed = new Float64Array(PAIR_SLOTS * TUPLES_PER_PAIR);
  /** A live tuple was pushed out of the pair (more live connections than it holds): errors are AMBIGUOUS until this time. */
  private readonly crowdedUntil = new Float64Array(PAIR_SLOTS).fill(-Infinity);
  private readonly a = new Uint32Array(4);
  private readonly b = new Uint32Array(4);

  /** Puts the pair in canonical order in `this.a` / `this.b`; true when `src` is side a. */
  private order(src: Uint32Array, dst: Uint32Array): boolean {
    const srcFirst = compare(src, dst) <= 0;
    this.a.set(srcFirst ? src : dst);
    this.b.set(srcFirst ? dst : src);
    return srcFirst;
  }

  private hash(family: number): number {
    let h = mix(0x9e3779b1, family);
    for (let i = 0; i < 4; i++) h = mix(mix(h, this.a[i] as number), this.b[i] as number);
    return h;
  }

  private isPair(slot: number, family: number): boolean {
    const k = slot * PAIR_WORDS;
    const p = this.pairs;
    if (p[k] !== family) return false;
    for (let i = 0; i < 4; i++) if (p[k + 1 + i] !== this.a[i] || p[k + 5 + i] !== this.b[i]) return false;
    return true;
  }

  /** The slot of the pair in `a`/`b`, or -1; with `claim`, a new or the stalest slot of its probe window. */
  private find(family: number, claim: boolean): number {
    const start = this.hash(family) & (PAIR_SLOTS - 1);
    let stalest = start;
    for (let i = 0; i < PROBE; i++) {
      const s = (start + i) & (PAIR_SLOTS - 1);
      if (this.pairSeen[s] === -Infinity) {
        if (!claim) return -1;
        stalest = s;
        break;
      }
      if (this.isPair(s, family)) return s;
      if ((this.pairSeen[s] as number) < (this.pairSeen[stalest] as number)) stalest = s;
    }
    if (!claim) return -1;
    const k = stalest * PAIR_WORDS;
    this.pairs[k] = family;
    for (let i = 0; i < 4; i++) {
      this.pairs[k + 1 + i] = this.a[i] as number;
      this.pairs[k + 5 + i] = this.b[i] as number;
    }
    this.protocol.fill(0, stalest * TUPLES_PER_PAIR, stalest * TUPLES_PER_PAIR + TUPLES_PER_PAIR);
    this.crowdedUntil[stalest] = -Infinity;
    return stalest;
  }

  private live(t: number, now: number): boolean {
    const protocol = this.protocol[t] as number;
    if (protocol === 0) return false;
    const seen = this.seen[t] as number;
    if (protocol === 6) {
      const closed = this.closed[t] as number;
      return closed < Infinity ? now - closed <= CT_TIMEOUTS_LINUX.tcpTimeWait : now - seen <= CT_TIMEOUTS_LINUX.tcpEstablished;
    }
    if (protocol === 17) return now - seen <= CT_TIMEOUTS_LINUX.udpStream;
    return now - seen <= CT_TIMEOUTS_LINUX.icmp;
  }

  /**
   * A replayed packet that is not an ICMP error: TCP, UDP, or an ICMP echo request/reply (ids
   * are not in Hubble's output: one echo "connection" per pair).
   */
  note(family: number, src: Uint32Array, dst: Uint32Array, protocol: number, srcPort: number, dstPort: number, tcpFlags: number, icmpType: number, now: number): void {
    let request = false;
    if (protocol === 1 || protocol === 58) {
      request = protocol === 1 ? icmpType === 8 : icmpType === 128;
      if (!request && (protocol === 1 ? icmpType !== 0 : icmpType !== 129)) return;
    } else if (protocol !== 6 && protocol !== 17) return;
    const srcIsA = this.order(src, dst);
    const slot = this.find(family, true);
    this.pairSeen[slot] = now;
    const pa = srcIsA ? srcPort : dstPort;
    const pb = srcIsA ? dstPort : srcPort;
    const first = slot * TUPLES_PER_PAIR;
    let t = -1;
    let free = -1;
    let oldest = first;
    for (let i = first; i < first + TUPLES_PER_PAIR; i++) {
      const p = this.protocol[i] as number;
      if (p === protocol && this.portA[i] === pa && this.portB[i] === pb) {
        t = i;
        break;
      }
      if (free < 0 && !this.live(i, now)) free = i;
      if ((this.seen[i] as number) < (this.seen[oldest] as number)) oldest = i;
    }
    if (t < 0) {
      if (free >= 0) t = free;
      else {
        // More live connections than the pair holds: which one an error is about cannot be told for a while.
        t = oldest;
        this.crowdedUntil[slot] = now + CT_TIMEOUTS_LINUX.udpStream;
      }
      this.protocol[t] = protocol;
      this.portA[t] = pa;
      this.portB[t] = pb;
      this.requester[t] = 0;
      this.closed[t] = Infinity;
    }
    this.seen[t] = now;
    if (request) this.requester[t] = srcIsA ? 1 : 2;
    if (protocol === 6 && (tcpFlags & TCP_FIN_RST) !== 0 && this.closed[t] === Infinity) this.closed[t] = now;
  }

  /**
   * The ICMP error from `src` to `dst` at `now`: RELATED (and the quoted packet, from `dst` to
   * `src`, in `out`), NO_CONNECTION or AMBIGUOUS.
   */
  relate(family: number, src: Uint32Array, dst: Uint32Array, now: number, out: QuotedPacket): IcmpRelation {
    const srcIsA = this.order(src, dst);
    const slot = this.find(family, false);
    if (slot < 0) return IcmpRelation.NO_CONNECTION;
    if ((this.crowdedUntil[slot] as number) >= now) return IcmpRelation.AMBIGUOUS;
    const first = slot * TUPLES_PER_PAIR;
    let found = -1;
    for (let i = first; i < first + TUPLES_PER_PAIR; i++) {
      if (!this.live(i, now)) continue;
      if (found >= 0) return IcmpRelation.AMBIGUOUS;
      found = i;
    }
    if (found < 0) return IcmpRelation.NO_CONNECTION;
    // The quoted packet went from the error's destination to its source.
    out.src.set(dst);
    out.dst.set(src);
    const protocol = this.protocol[found] as number;
    out.protocol = protocol;
    const pa = this.portA[found] as number;
    const pb = this.portB[found] as number;
    out.srcPort = srcIsA ? pb : pa;
    out.dstPort = srcIsA ? pa : pb;
    // Echo: a request when the quoted packet's sender is the side that sent requests.
    const senderSide = srcIsA ? 2 : 1;
    const request = this.requester[found] === senderSide;
    out.icmpType = protocol === 1 ? (request ? 8 : 0) : request ? 128 : 129;
    return IcmpRelation.RELATED;
  }
}

/** Bytes the quoted packet takes: the IP header and 8 bytes of its L4 header. */
export function quotedLength(family: number): number {
  return family === 4 ? 28 : 48;
}

/**
 * Writes `q` as the payload of the ICMP error whose ICMP header is at `icmpAt` (the frame was
 * built with `quotedLength` payload bytes) and sets the ICMP checksum again. `outerSrc`/`outerDst`
 * and `family` give ICMPv6's pseudo-header (RFC 4443 §2.3).
 */
export function writeQuotedPacket(buf: Uint8Array, icmpAt: number, family: number, outerSrc: Uint32Array, outerDst: Uint32Array, q: QuotedPacket): void {
  const at = icmpAt + 8;
  let l4: number;
  if (family === 4) {
    buf[at] = 0x45;
    buf[at + 1] = 0;
    put16(buf, at + 2, 28);
    put16(buf, at + 4, 0);
    put16(buf, at + 6, 0x4000);
    buf[at + 8] = 64;
    buf[at + 9] = q.protocol;
    put16(buf, at + 10, 0);
    put32(buf, at + 12, q.src[0] as number);
    put32(buf, at + 16, q.dst[0] as number);
    put16(buf, at + 10, foldChecksum(sum16(buf, at, at + 20, 0)));
    l4 = at + 20;
  } else {
    put32(buf, at, 0x60000000);
    put16(buf, at + 4, 8);
    buf[at + 6] = q.protocol;
    buf[at + 7] = 64;
    for (let w = 0; w < 4; w++) {
      put32(buf, at + 8 + w * 4, q.src[w] as number);
      put32(buf, at + 24 + w * 4, q.dst[w] as number);
    }
    l4 = at + 40;
  }
  buf.fill(0, l4, l4 + 8);
  if (q.protocol === 1 || q.protocol === 58) buf[l4] = q.icmpType;
  else {
    put16(buf, l4, q.srcPort);
    put16(buf, l4 + 2, q.dstPort);
    if (q.protocol === 17) put16(buf, l4 + 4, 8);
  }
  const end = l4 + 8;
  put16(buf, icmpAt + 2, 0);
  let pseudo = 0;
  if (family === 6) {
    for (let w = 0; w < 4; w++) pseudo += ((outerSrc[w] as number) >>> 16) + ((outerSrc[w] as number) & 0xffff) + ((outerDst[w] as number) >>> 16) + ((outerDst[w] as number) & 0xffff);
    pseudo += 58 + (end - icmpAt);
  }
  put16(buf, icmpAt + 2, foldChecksum(sum16(buf, icmpAt, end, pseudo)));
}
