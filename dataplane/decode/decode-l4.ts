/**
 * Transport-layer decoders (TCP, UDP, SCTP) and the dispatch on `meta.protocol`. Each gets the
 * L4 header offset, the packet end the IP layer derived, and the captured end.
 *
 * Truncation rule: the ports are the first 4 bytes and all that policy matches on, so they are
 * written as soon as they are captured. The rest of the fixed header (TCP flags for conntrack,
 * SEMANTICS.md §2.2) is still required for OK; a header cut after the ports returns TRUNCATED
 * with `l4Offset`, `srcPort` and `dstPort` valid, for reporting.
 */
import { DecodeStatus, type PacketMeta } from '../packet-meta.js';
import { checkSpan, readU16, readU32 } from './read-bytes.js';
import { IpProto, L4_PORTS_BYTES, SCTP_COMMON_HEADER_BYTES, TCP_MIN_HEADER_BYTES, UDP_HEADER_BYTES } from './protocol-numbers.js';
import { decodeIcmpv4, decodeIcmpv6 } from './decode-icmp.js';

/** Reads the two ports shared by TCP, UDP and SCTP; then requires `headerBytes` in all. */
function decodePorts(buf: Uint8Array, at: number, headerBytes: number, packetEnd: number, capturedEnd: number, meta: PacketMeta): DecodeStatus {
  const status = checkSpan(at, L4_PORTS_BYTES, packetEnd, capturedEnd);
  if (status !== DecodeStatus.OK) return status;
  meta.l4Offset = at;
  meta.srcPort = readU16(buf, at);
  meta.dstPort = readU16(buf, at + 2);
  return checkSpan(at, headerBytes, packetEnd, capturedEnd);
}

export function decodeTcp(buf: Uint8Array, at: number, packetEnd: number, capturedEnd: number, meta: PacketMeta): DecodeStatus {
  const status = decodePorts(buf, at, TCP_MIN_HEADER_BYTES, packetEnd, capturedEnd, meta);
  if (status !== DecodeStatus.OK) return status;
  meta.tcpSeq = readU32(buf, at + 4);
  meta.tcpAck = readU32(buf, at + 8);
  meta.tcpFlags = buf[at + 13]!;
  meta.tcpWindow = readU16(buf, at + 14);
  // Options are not read, so they need not be captured; they must fit in the packet, though.
  const headerBytes = (buf[at + 12]! >> 4) * 4;
  if (headerBytes < TCP_MIN_HEADER_BYTES || at + headerBytes > packetEnd) return DecodeStatus.MALFORMED;
  meta.payloadLength = packetEnd - at - headerBytes;
  return DecodeStatus.OK;
}

/** The UDP length field is not used: with UDP GSO/GRO the IP-derived extent is the reliable one. */
export function decodeUdp(buf: Uint8Array, at: number, packetEnd: number, capturedEnd: number, meta: PacketMeta): DecodeStatus {
  const status = decodePorts(buf, at, UDP_HEADER_BYTES, packetEnd, capturedEnd, meta);
  if (status !== DecodeStatus.OK) return status;
  meta.payloadLength = packetEnd - at - UDP_HEADER_BYTES;
  return DecodeStatus.OK;
}

/** SCTP common header (RFC 9260 §3.1): ports, verification tag, checksum; chunks are payload. */
export function decodeSctp(buf: Uint8Array, at: number, packetEnd: number, capturedEnd: number, meta: PacketMeta): DecodeStatus {
  const status = decodePorts(buf, at, SCTP_COMMON_HEADER_BYTES, packetEnd, capturedEnd, meta);
  if (status !== DecodeStatus.OK) return status;
  meta.payloadLength = packetEnd - at - SCTP_COMMON_HEADER_BYTES;
  meta.sctpVtag = readU32(buf, at + 4);
  // The chunk types, as nf_conntrack_proto_sctp.c's for_each_sctp_chunk collects them (a chunk
  // shorter than its header ends the walk, like do_basic_checks' invalid-length check); the
  // first one's type on its own for flow-answer.ts (INIT ACK, ABORT).
  const end = packetEnd < capturedEnd ? packetEnd : capturedEnd;
  const first = at + SCTP_COMMON_HEADER_BYTES;
  if (first < end) meta.sctpChunkType = buf[first] as number;
  let chunks = 0;
  for (let p = first; p + 4 <= end; ) {
    const type = buf[p] as number;
    chunks |= type < 31 ? 1 << type : 1 << 31;
    const length = ((buf[p + 2] as number) << 8) | (buf[p + 3] as number);
    if (length < 4) break;
    p += (length + 3) & ~3;
  }
  meta.sctpChunks = chunks >>> 0;
  return DecodeStatus.OK;
}

/**
 * Decodes the upper layer named by `meta.protocol` at `at`. Protocols without a decoder keep
 * `l4Offset` = -1 and count all their bytes as payload. ICMP is only ICMP inside IPv4 and
 * ICMPv6 only inside IPv6, as in the kernel; the other pairing is an unknown protocol.
 */
export function decodeTransport(buf: Uint8Array, at: number, packetEnd: number, capturedEnd: number, meta: PacketMeta): DecodeStatus {
  meta.upperOffset = at;
  meta.packetEnd = packetEnd;
  switch (meta.protocol) {
    case IpProto.TCP:
      return decodeTcp(buf, at, packetEnd, capturedEnd, meta);
    case IpProto.UDP:
      return decodeUdp(buf, at, packetEnd, capturedEnd, meta);
    case IpProto.SCTP:
      return decodeSctp(buf, at, packetEnd, capturedEnd, meta);
    case IpProto.ICMP:
      if (meta.ipVersion === 4) return decodeIcmpv4(buf, at, packetEnd, capturedEnd, meta);
      break;
    case IpProto.ICMPV6:
      if (meta.ipVersion === 6) return decodeIcmpv6(buf, at, packetEnd, capturedEnd, meta);
      break;
  }
  meta.payloadLength = packetEnd > at ? packetEnd - at : 0;
  return DecodeStatus.OK;
}
