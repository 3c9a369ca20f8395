/**
 * IPv6 header (RFC 8200): addresses, the extension-header walk (walk-ipv6-extensions.ts), the
 * fragment header's fields, then the transport layer.
 *
 * Lengths as for IPv4 (decode-ipv4.ts): the packet ends at 40 + payload length, never past the
 * frame's wire length; a payload length of 0 (a jumbogram, or BIG TCP, which drops the jumbo
 * option before the capture point) falls back to the frame.
 */
import { DecodeStatus, type PacketMeta } from '../packet-meta.js';
import { checkSpan, readU16, readU32 } from './read-bytes.js';
import { IPV6_HEADER_BYTES } from './protocol-numbers.js';
import { Ipv6ChainEnd, walkIpv6Extensions } from './walk-ipv6-extensions.js';
import { decodeTransport } from './decode-l4.js';

const chainEnd = new Ipv6ChainEnd();

export function decodeIpv6(buf: Uint8Array, at: number, frameEnd: number, capturedEnd: number, meta: PacketMeta): DecodeStatus {
  let status = checkSpan(at, IPV6_HEADER_BYTES, frameEnd, capturedEnd);
  if (status !== DecodeStatus.OK) return status;
  if (buf[at]! >> 4 !== 6) return DecodeStatus.MALFORMED;
  const payloadLength = readU16(buf, at + 4);
  let packetEnd = frameEnd;
  if (payloadLength !== 0 && at + IPV6_HEADER_BYTES + payloadLength < frameEnd) packetEnd = at + IPV6_HEADER_BYTES + payloadLength;

  meta.ipVersion = 6;
  meta.ipLength = IPV6_HEADER_BYTES + payloadLength;
  meta.ttl = buf[at + 7]!;
  for (let word = 0; word < 4; word++) {
    meta.src[word] = readU32(buf, at + 8 + word * 4);
    meta.dst[word] = readU32(buf, at + 24 + word * 4);
  }

  status = walkIpv6Extensions(buf, buf[at + 6]!, at + IPV6_HEADER_BYTES, packetEnd, capturedEnd, chainEnd);
  if (status !== DecodeStatus.OK) return status;
  meta.protocol = chainEnd.upperProtocol;
  // An atomic fragment (offset 0, no M flag, RFC 6946) is a whole packet: not a fragment.
  meta.isFragment = chainEnd.fragmentOffset !== 0 || chainEnd.moreFragments;
  meta.fragmentOffset = chainEnd.fragmentOffset;
  meta.moreFragments = chainEnd.moreFragments;
  meta.fragmentId = chainEnd.fragmentId;
  const upper = chainEnd.upperOffset;
  if (chainEnd.fragmentOffset !== 0) {
    meta.payloadLength = packetEnd - upper;
    return DecodeStatus.OK;
  }
  return decodeTransport(buf, upper, packetEnd, capturedEnd, meta);
}
