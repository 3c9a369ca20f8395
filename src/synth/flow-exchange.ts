/**
 * The packets of one synthetic connection, one at a time: the flow generator interleaves many
 * of these by time, and a JSONL "flow" line (`replay --flows-in`) expands through the same class,
 * so a flow line and the generator produce the same exchange.
 *
 * Exchanges (client = the flow's source):
 * - TCP answered, n ≥ 8 packets: SYN, SYN/ACK, ACK, PSH/ACK request; then n − 7 packets
 *   alternating server PSH/ACK data and client ACK; then client FIN/ACK, server FIN/ACK, client
 *   ACK. Sequence and acknowledgement numbers advance by the payload (and 1 per SYN/FIN), every
 *   byte is acknowledged and windows are never 0, so conntrack (SEMANTICS.md §2.3) gives the
 *   state's own timeout, not the 300 s UNACK/RETRANS caps.
 * - UDP answered (DNS): request, response, request, response... (odd n: the last is unanswered).
 * - ICMP echo answered: request, reply, one request per second like ping.
 * - Not answered (the policy drops the first packet, so the client only retries): TCP SYN and
 *   two retransmissions at +1 s, +3 s (Linux's initial RTO backoff); UDP requests every 5 s
 *   (the resolver's timeout); ICMP requests every second. min(n, 3) SYNs; ceil(n/2) requests.
 *
 * Times are integer microseconds. Gaps: half an RTT when the direction changes (TCP), a full RTT
 * for a response (UDP, ICMP), 10 µs between back-to-back segments of one side.
 */
import { TcpFlag } from '../../dataplane/packet-meta.js';
import type { FrameFields } from './build-frames.js';

export const FLOW_MIN_PACKETS = { TCP: 8, UDP: 2, ICMP: 2 } as const;

const CLIENT_SYN_WINDOW = 64240;
const SERVER_SYN_WINDOW = 65160;
/** Scaled windows after the handshake (wscale 7: 502 × 128 ≈ 64 KiB). */
const CLIENT_WINDOW = 502;
const SERVER_WINDOW = 509;
const SAME_SIDE_GAP_US = 10;
const SYN_RETRANSMIT_US = [1_000_000, 2_000_000] as const;
const UDP_RETRY_US = 5_000_000;
const PING_INTERVAL_US = 1_000_000;
const UDP_NEXT_REQUEST_US = 100;
const ICMP_ECHO_BYTES = 56;

function mix32(x: number): number {
  let z = x >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

export class FlowExchange {
  ipVersion: 4 | 6 = 4;
  readonly src = new Uint32Array(4);
  readonly dst = new Uint32Array(4);
  /** 6, 17, 1 (IPv4 echo) or 58 (IPv6 echo). */
  protocol = 6;
  /** Client port; for ICMP the echo identifier. */
  sport = 0;
  /** Server port; unused for ICMP. */
  dport = 0;
  /** Packets asked for (raised to the protocol's minimum when answered). */
  packets = 0;
  answered = true;
  /** Emit the first packet only (SYN, request): `synth --openers-only`. */
  openerOnly = false;
  requestBytes = 0;
  responseBytes = 0;
  rttUs = 0;
  /** Time of the next packet (µs). */
  timeUs = 0;
  /** Packets emitted so far. */
  sent = 0;
  /** Packets this exchange will emit in all. */
  total = 0;
  private clientSeq = 0;
  private serverSeq = 0;

  /** Fixes the packet count and the initial sequence numbers; call after setting the fields. */
  start(startUs: number): void {
    this.sent = 0;
    this.timeUs = startUs;
    const n = this.packets;
    if (this.protocol === 6) this.total = this.answered ? Math.max(n, FLOW_MIN_PACKETS.TCP) : Math.min(Math.max(n, 1), 3);
    else if (this.answered) this.total = Math.max(n, FLOW_MIN_PACKETS.UDP);
    else this.total = Math.max(1, Math.ceil(n / 2));
    if (this.openerOnly) this.total = 1;
    // ISNs from the tuple: a flow line expands to the same numbers as the generator wrote.
    const h = mix32(this.src[3]! ^ mix32(this.dst[3]! ^ mix32(this.src[0]! ^ mix32(this.dst[0]! ^ ((this.sport << 16) | this.dport)))));
    this.clientSeq = h;
    this.serverSeq = mix32(h ^ 0x5bd1e995);
  }

  get done(): boolean {
    return this.sent >= this.total;
  }

  /** Fills `out` with the next packet (addresses, L4 fields, payload length) and advances. */
  next(out: FrameFields): void {
    const i = this.sent;
    out.ipVersion = this.ipVersion;
    out.protocol = this.protocol;
    out.tcpFlags = 0;
    out.tcpSeq = 0;
    out.tcpAck = 0;
    out.tcpWindow = 0;
    out.icmpCode = 0;
    let fromClient: boolean;
    let gapAfter: number;
    if (this.protocol === 6) fromClient = this.nextTcp(i, out);
    else if (this.protocol === 17) fromClient = this.nextUdp(i, out);
    else fromClient = this.nextIcmp(i, out);
    if (fromClient) {
      out.src.set(this.src);
      out.dst.set(this.dst);
    } else {
      out.src.set(this.dst);
      out.dst.set(this.src);
    }
    this.sent = i + 1;
    if (this.sent < this.total) {
      gapAfter = this.gapBefore(this.sent, fromClient);
      this.timeUs += gapAfter;
    }
  }

  private ports(out: FrameFields, fromClient: boolean): void {
    out.srcPort = fromClient ? this.sport : this.dport;
    out.dstPort = fromClient ? this.dport : this.sport;
  }

  private tcp(out: FrameFields, fromClient: boolean, flags: number, length: number): boolean {
    this.ports(out, fromClient);
    out.tcpFlags = flags;
    out.tcpSeq = fromClient ? this.clientSeq : this.serverSeq;
    out.tcpAck = (flags & TcpFlag.ACK) !== 0 ? (fromClient ? this.serverSeq : this.clientSeq) : 0;
    out.tcpWindow = flags === TcpFlag.SYN ? CLIENT_SYN_WINDOW : flags === (TcpFlag.SYN | TcpFlag.ACK) ? SERVER_SYN_WINDOW : fromClient ? CLIENT_WINDOW : SERVER_WINDOW;
    out.payloadLength = length;
    const advance = length + ((flags & (TcpFlag.SYN | TcpFlag.FIN)) !== 0 ? 1 : 0);
    if (fromClient) this.clientSeq = (this.clientSeq + advance) >>> 0;
    else this.serverSeq = (this.serverSeq + advance) >>> 0;
    return fromClient;
  }

  private nextTcp(i: number, out: FrameFields): boolean {
    const A = TcpFlag.ACK;
    if (!this.answered) {
      // Retransmissions repeat the SYN's sequence number.
      this.tcp(out, true, TcpFlag.SYN, 0);
      this.clientSeq = (this.clientSeq - 1) >>> 0;
      return true;
    }
    const n = this.total;
    if (i === 0) return this.tcp(out, true, TcpFlag.SYN, 0);
    if (i === 1) return this.tcp(out, false, TcpFlag.SYN | A, 0);
    if (i === 2) return this.tcp(out, true, A, 0);
    if (i === 3) return this.tcp(out, true, TcpFlag.PSH | A, this.requestBytes);
    if (i === n - 3) return this.tcp(out, true, TcpFlag.FIN | A, 0);
    if (i === n - 2) return this.tcp(out, false, TcpFlag.FIN | A, 0);
    if (i === n - 1) return this.tcp(out, true, A, 0);
    return (i - 4) % 2 === 0 ? this.tcp(out, false, TcpFlag.PSH | A, this.responseBytes) : this.tcp(out, true, A, 0);
  }

  private nextUdp(i: number, out: FrameFields): boolean {
    const fromClient = !this.answered || i % 2 === 0;
    this.ports(out, fromClient);
    out.payloadLength = fromClient ? this.requestBytes : this.responseBytes;
    return fromClient;
  }

  private nextIcmp(i: number, out: FrameFields): boolean {
    const fromClient = !this.answered || i % 2 === 0;
    const v6 = this.ipVersion === 6;
    out.icmpType = fromClient ? (v6 ? 128 : 8) : v6 ? 129 : 0;
    out.icmpId = this.sport;
    out.icmpSeq = (this.answered ? (i >> 1) : i) + 1;
    out.srcPort = 0;
    out.dstPort = 0;
    out.payloadLength = ICMP_ECHO_BYTES;
    return fromClient;
  }

  /** Microseconds between packet i−1 (sent by the client when `previousFromClient`) and packet i. */
  private gapBefore(i: number, previousFromClient: boolean): number {
    if (!this.answered) {
      if (this.protocol === 6) return SYN_RETRANSMIT_US[i - 1] ?? SYN_RETRANSMIT_US[1];
      return this.protocol === 17 ? UDP_RETRY_US : PING_INTERVAL_US;
    }
    if (this.protocol === 6) {
      const n = this.total;
      const client = i === 0 || i === 2 || i === 3 || i === n - 3 || i === n - 1 || (i > 3 && i < n - 3 && (i - 4) % 2 === 1);
      return client === previousFromClient ? SAME_SIDE_GAP_US : Math.max(1, Math.round(this.rttUs / 2));
    }
    if (i % 2 === 1) return Math.max(1, this.rttUs);
    return this.protocol === 17 ? UDP_NEXT_REQUEST_US : Math.max(1, PING_INTERVAL_US - this.rttUs);
  }
}
