/**
 * The packet embedded in an ICMP/ICMPv6 error, decoded into the `inner*` fields. It is a copy of
 * the packet that caused the error, cut short by the sender (RFC 792 keeps the IP header and 8
 * bytes; RFC 4443 as much as fits in 1280): its own length fields describe the original and are
 * ignored, the bounds are the ICMP message's.
 *
 * OK requires the embedded IP header and the L4 bytes of the tuple conntrack inverts
 * (SEMANTICS.md §2.4): the ports of TCP/UDP/SCTP (4 bytes), the 8-byte header of ICMP. `hasInner`
 * is set once the embedded IP header is decoded, so a TRUNCATED error still shows its addresses.
 * An embedded non-first fragment has no L4 header: OK with ports 0.
 */
import { DecodeStatus, type PacketMeta } from '../packet-meta.js';
import { checkSpan, readU16, readU32 } from './read-bytes.js';
import { ICMP_HEADER_BYTES, IPV4_MIN_HEADER_BYTES, IPV6_HEADER_BYTES, IpProto, L4_PORTS_BYTES } from './protocol-numbers.js';
import { Ipv6ChainEnd, walkIpv6Extensions } from './walk-ipv6-extensions.js';
import { icmpv4HasId, icmpv6HasId } from './classify-icmp.js';

const innerChainEnd = new Ipv6ChainEnd();

function decodeEmbeddedIcmp(buf: Uint8Array, at: number, packetEnd: number, capturedEnd: number, meta: PacketMeta): DecodeStatus {
  const status = checkSpan(at, ICMP_HEADER_BYTES, packetEnd, capturedEnd);
  if (status !== DecodeStatus.OK) return status;
  const type = buf[at]!;
  meta.innerIcmpType = type;
  if (meta.innerIpVersion === 4 ? icmpv4HasId(type) : icmpv6HasId(type)) meta.innerIcmpId = readU16(buf, at + 4);
  return DecodeStatus.OK;
}

function decodeEmbeddedL4(buf: Uint8Array, at: number, packetEnd: number, capturedEnd: number, meta: PacketMeta): DecodeStatus {
  switch (meta.innerProtocol) {
    case IpProto.TCP:
    case IpProto.UDP:
    case IpProto.SCTP: {
      const status = checkSpan(at, L4_PORTS_BYTES, packetEnd, capturedEnd);
      if (status !== DecodeStatus.OK) return status;
      meta.innerSrcPort = readU16(buf, at);
      meta.innerDstPort = readU16(buf, at + 2);
      return DecodeStatus.OK;
    }
    case IpProto.ICMP:
      if (meta.innerIpVersion === 4) return decodeEmbeddedIcmp(buf, at, packetEnd, capturedEnd, meta);
      return DecodeStatus.OK;
    case IpProto.ICMPV6:
      if (meta.innerIpVersion === 6) return decodeEmbeddedIcmp(buf, at, packetEnd, capturedEnd, meta);
      return DecodeStatus.OK;
    default:
      return DecodeStatus.OK;
  }
}

export function decodeEmbeddedIpv4(buf: Uint8Array, at: number, packetEnd: number, capturedEnd: number, meta: PacketMeta): DecodeStatus {
  let status = checkSpan(at, IPV4_MIN_HEADER_BYTES, packetEnd, capturedEnd);
  if (status !== DecodeStatus.OK) return status;
  const versionAndLength = buf[at]!;
  const headerBytes = (versionAndLength & 0x0f) * 4;
  if (versionAndLength >> 4 !== 4 || headerBytes < IPV4_MIN_HEADER_BYTES) return DecodeStatus.MALFORMED;
  status = checkSpan(at, headerBytes, packetEnd, capturedEnd);
  if (status !== DecodeStatus.OK) return status;
  meta.hasInner = true;
  meta.innerIpVersion = 4;
  meta.innerProtocol = buf[at + 9]!;
  meta.innerSrc[0] = readU32(buf, at + 12);
  meta.innerDst[0] = readU32(buf, at + 16);
  if ((readU16(buf, at + 6) & 0x1fff) !== 0) return DecodeStatus.OK;
  return decodeEmbeddedL4(buf, at + headerBytes, packetEnd, capturedEnd, meta);
}

export function decodeEmbeddedIpv6(buf: Uint8Array, at: number, packetEnd: number, capturedEnd: number, meta: PacketMeta): DecodeStatus {
  let status = checkSpan(at, IPV6_HEADER_BYTES, packetEnd, capturedEnd);
  if (status !== DecodeStatus.OK) return status;
  if (buf[at]! >> 4 !== 6) return DecodeStatus.MALFORMED;
  meta.hasInner = true;
  meta.innerIpVersion = 6;
  for (let word = 0; word < 4; word++) {
    meta.innerSrc[word] = readU32(buf, at + 8 + word * 4);
    meta.innerDst[word] = readU32(buf, at + 24 + word * 4);
  }
  status = walkIpv6Extensions(buf, buf[at + 6]!, at + IPV6_HEADER_BYTES, packetEnd, capturedEnd, innerChainEnd);
  if (status !== DecodeStatus.OK) return status;
  meta.innerProtocol = innerChainEnd.upperProtocol;
  if (innerChainEnd.fragmentOffset !== 0) return DecodeStatus.OK;
  return decodeEmbeddedL4(buf, innerChainEnd.upperOffset, packetEnd, capturedEnd, meta);
}
