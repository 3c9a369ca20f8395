/**
 * ICMP (RFC 792) and ICMPv6 (RFC 4443) headers: type, code, the identifier of query/reply
 * types (conntrack's "port" for ICMP, SEMANTICS.md §2.1/§2.4), and for error types the embedded
 * packet, which conntrack inverts and looks up to classify the error as RELATED (§2.4).
 */
import { DecodeStatus, type PacketMeta } from '../packet-meta.js';
import { checkSpan, readU16 } from './read-bytes.js';
import { ICMP_HEADER_BYTES } from './protocol-numbers.js';
import { icmpv4HasId, icmpv6HasId, isIcmpv4Error, isIcmpv6Error } from './classify-icmp.js';
import { decodeEmbeddedIpv4, decodeEmbeddedIpv6 } from './decode-icmp-error.js';

/**
 * Type and code are written once their 2 bytes are captured; OK needs the whole 8-byte header.
 * Errors then need the embedded IP header and its first L4 bytes (decode-icmp-error.ts).
 */
function decodeIcmpHeader(buf: Uint8Array, at: number, packetEnd: number, capturedEnd: number, meta: PacketMeta): DecodeStatus {
  const status = checkSpan(at, 2, packetEnd, capturedEnd);
  if (status !== DecodeStatus.OK) return status;
  meta.l4Offset = at;
  meta.icmpType = buf[at]!;
  meta.icmpCode = buf[at + 1]!;
  return checkSpan(at, ICMP_HEADER_BYTES, packetEnd, capturedEnd);
}

export function decodeIcmpv4(buf: Uint8Array, at: number, packetEnd: number, capturedEnd: number, meta: PacketMeta): DecodeStatus {
  const status = decodeIcmpHeader(buf, at, packetEnd, capturedEnd, meta);
  if (status !== DecodeStatus.OK) return status;
  meta.payloadLength = packetEnd - at - ICMP_HEADER_BYTES;
  const type = meta.icmpType;
  if (icmpv4HasId(type)) meta.icmpId = readU16(buf, at + 4);
  else if (isIcmpv4Error(type)) return decodeEmbeddedIpv4(buf, at + ICMP_HEADER_BYTES, packetEnd, capturedEnd, meta);
  return DecodeStatus.OK;
}

export function decodeIcmpv6(buf: Uint8Array, at: number, packetEnd: number, capturedEnd: number, meta: PacketMeta): DecodeStatus {
  const status = decodeIcmpHeader(buf, at, packetEnd, capturedEnd, meta);
  if (status !== DecodeStatus.OK) return status;
  meta.payloadLength = packetEnd - at - ICMP_HEADER_BYTES;
  const type = meta.icmpType;
  if (icmpv6HasId(type)) meta.icmpId = readU16(buf, at + 4);
  else if (isIcmpv6Error(type)) return decodeEmbeddedIpv6(buf, at + ICMP_HEADER_BYTES, packetEnd, capturedEnd, meta);
  return DecodeStatus.OK;
}
