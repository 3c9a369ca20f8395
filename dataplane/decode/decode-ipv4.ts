/**
 * IPv4 header (RFC 791): addresses, protocol, fragment fields, then the transport layer.
 *
 * Lengths, defensively (CAPTURES.md "What real node captures contain" §4): the packet ends at
 * the total length, but never past the frame's wire length; a total length of 0 (TSO / BIG TCP
 * hand the capture a super-packet whose header was not filled in) falls back to the frame.
 * Ethernet padding after a short packet is thereby excluded. `ipLength` keeps the header's value.
 */
import { DecodeStatus, type PacketMeta } from '../packet-meta.js';
import { checkSpan, readU16, readU32 } from './read-bytes.js';
import { IPV4_MIN_HEADER_BYTES } from './protocol-numbers.js';
import { decodeTransport } from './decode-l4.js';

const IPV4_MORE_FRAGMENTS = 0x2000;
const IPV4_FRAGMENT_OFFSET_MASK = 0x1fff;

export function decodeIpv4(buf: Uint8Array, at: number, frameEnd: number, capturedEnd: number, meta: PacketMeta): DecodeStatus {
  let status = checkSpan(at, IPV4_MIN_HEADER_BYTES, frameEnd, capturedEnd);
  if (status !== DecodeStatus.OK) return status;
  const versionAndLength = buf[at]!;
  const headerBytes = (versionAndLength & 0x0f) * 4;
  if (versionAndLength >> 4 !== 4 || headerBytes < IPV4_MIN_HEADER_BYTES) return DecodeStatus.MALFORMED;
  const totalLength = readU16(buf, at + 2);
  let packetEnd = frameEnd;
  if (totalLength !== 0) {
    if (totalLength < headerBytes) return DecodeStatus.MALFORMED;
    if (at + totalLength < frameEnd) packetEnd = at + totalLength;
  }

  meta.ipVersion = 4;
  meta.ipLength = totalLength;
  meta.fragmentId = readU16(buf, at + 4);
  meta.ttl = buf[at + 8]!;
  meta.protocol = buf[at + 9]!;
  meta.src[0] = readU32(buf, at + 12);
  meta.dst[0] = readU32(buf, at + 16);
  const flagsAndOffset = readU16(buf, at + 6);
  const fragmentOffset = (flagsAndOffset & IPV4_FRAGMENT_OFFSET_MASK) * 8;
  const moreFragments = (flagsAndOffset & IPV4_MORE_FRAGMENTS) !== 0;
  meta.fragmentOffset = fragmentOffset;
  meta.moreFragments = moreFragments;
  meta.isFragment = moreFragments || fragmentOffset !== 0;

  // Options are skipped, not read, but they must be captured to know where L4 starts.
  status = checkSpan(at, headerBytes, packetEnd, capturedEnd);
  if (status !== DecodeStatus.OK) return status;
  const l4 = at + headerBytes;
  if (fragmentOffset !== 0) {
    meta.payloadLength = packetEnd - l4;
    return DecodeStatus.OK;
  }
  return decodeTransport(buf, l4, packetEnd, capturedEnd, meta);
}
