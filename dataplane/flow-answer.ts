/**
 * How a connection was answered, per flow record (FlowRecords.answer), so a report can tell a
 * connection that worked from one the server refused: a TCP SYN answered by SYN-ACK or by RST,
 * a datagram answered by a reply or by an ICMP destination unreachable. Bits are set as packets
 * pass (no allocation); `advise` reads them (src/advise/classify-answer.ts).
 */
import { TcpFlag, type PacketMeta } from './packet-meta.js';

export const FlowAnswer = {
  /** The first packet opened the connection: a TCP SYN without ACK, an SCTP INIT. */
  OPENING: 1,
  /** The server accepted the opening: TCP SYN-ACK, SCTP INIT ACK. */
  HANDSHAKE: 2,
  /** A packet came back that is not a refusal (TCP without RST, SCTP without ABORT, any UDP/ICMP/other reply). */
  REPLY: 4,
  /** The reply side reset: TCP RST (RFC 9293 §3.10.7.1), SCTP ABORT (RFC 9260 §8.4). */
  RESET: 8,
  /** An ICMP/ICMPv6 destination unreachable about the connection's packet (not "fragmentation needed"). */
  UNREACHABLE: 16,
  /** A reply carried payload. */
  REPLY_DATA: 32,
} as const;

const SCTP_INIT = 1;
const SCTP_INIT_ACK = 2;
const SCTP_ABORT = 6;

/** Bits for a connection's first packet. */
export function openingAnswer(meta: PacketMeta): number {
  if (meta.protocol === 6) return (meta.tcpFlags & (TcpFlag.SYN | TcpFlag.ACK | TcpFlag.RST)) === TcpFlag.SYN ? FlowAnswer.OPENING : 0;
  if (meta.protocol === 132) return meta.sctpChunkType === SCTP_INIT ? FlowAnswer.OPENING : 0;
  return 0;
}

/** Bits for a packet of the reply direction (`related`: an ICMP error conntrack matched to the flow). */
export function replyAnswer(meta: PacketMeta, related: boolean): number {
  if (related) {
    // ICMPv4 type 3 code 4 and ICMPv6 type 2 ask for a smaller packet: the path works.
    const unreachable = meta.protocol === 1 ? meta.icmpType === 3 && meta.icmpCode !== 4 : meta.protocol === 58 && meta.icmpType === 1;
    return unreachable ? FlowAnswer.UNREACHABLE : 0;
  }
  const data = meta.payloadLength > 0 ? FlowAnswer.REPLY_DATA : 0;
  if (meta.protocol === 6) {
    const flags = meta.tcpFlags;
    if ((flags & TcpFlag.RST) !== 0) return FlowAnswer.RESET;
    if ((flags & (TcpFlag.SYN | TcpFlag.ACK)) === (TcpFlag.SYN | TcpFlag.ACK)) return FlowAnswer.HANDSHAKE | FlowAnswer.REPLY | data;
    return FlowAnswer.REPLY | data;
  }
  if (meta.protocol === 132) {
    if (meta.sctpChunkType === SCTP_ABORT) return FlowAnswer.RESET;
    if (meta.sctpChunkType === SCTP_INIT_ACK) return FlowAnswer.HANDSHAKE | FlowAnswer.REPLY | data;
  }
  return FlowAnswer.REPLY | data;
}
