/**
 * The IPv6 extension-header walk (RFC 8200 §4), shared by the outer packet and the packet an
 * ICMPv6 error embeds. It finds the upper-layer protocol and where its header starts, and reads
 * the fragment header on the way. The result goes into a caller-owned reused record.
 */
import { DecodeStatus } from '../packet-meta.js';
import { checkSpan, readU16, readU32 } from './read-bytes.js';
import { IPV6_EXT_HEADER_WALK_MAX, IPV6_FRAGMENT_HEADER_BYTES, IpProto } from './protocol-numbers.js';

/** Where an extension-header chain ends. One instance per caller, overwritten by every walk. */
export class Ipv6ChainEnd {
  /** The first next-header value that is not an extension header (59 no-next-header, 50 ESP included). */
  upperProtocol = 0;
  /** Byte offset of that upper-layer header. */
  upperOffset = 0;
  hasFragmentHeader = false;
  /** Fragment offset in bytes (the header stores 8-byte units in the top 13 bits). */
  fragmentOffset = 0;
  moreFragments = false;
  fragmentId = 0;
}

/** Experimental extension header numbers (RFC 3692, RFC 4727), laid out like destination options. */
const IPPROTO_EXPERIMENT_1 = 253;
const IPPROTO_EXPERIMENT_2 = 254;

/**
 * Walks from the fixed header's next-header value `nextHeader`, the chain starting at `at`.
 * Only the 2 bytes giving each header's type and length (8 for a fragment header) must be
 * captured: the rest is skipped. A non-first fragment ends the walk at its fragment header,
 * because the headers after it are in the first fragment. More than IPV6_EXT_HEADER_WALK_MAX
 * extension headers is MALFORMED: real chains are short and the bound keeps the walk O(1).
 */
export function walkIpv6Extensions(
  buf: Uint8Array,
  nextHeader: number,
  at: number,
  packetEnd: number,
  capturedEnd: number,
  out: Ipv6ChainEnd,
): DecodeStatus {
  out.hasFragmentHeader = false;
  out.fragmentOffset = 0;
  out.moreFragments = false;
  out.fragmentId = 0;
  let type = nextHeader;
  let offset = at;
  for (let walked = 0; ; walked++) {
    let length: number;
    switch (type) {
      case IpProto.IPV6_HOP_BY_HOP:
      case IpProto.IPV6_ROUTING:
      case IpProto.IPV6_DEST_OPTS:
      case IpProto.IPV6_MOBILITY:
      case IpProto.HIP:
      case IpProto.SHIM6:
      case IPPROTO_EXPERIMENT_1:
      case IPPROTO_EXPERIMENT_2: {
        if (walked === IPV6_EXT_HEADER_WALK_MAX) return DecodeStatus.MALFORMED;
        const status = checkSpan(offset, 2, packetEnd, capturedEnd);
        if (status !== DecodeStatus.OK) return status;
        length = (buf[offset + 1]! + 1) * 8;
        break;
      }
      case IpProto.AH: {
        if (walked === IPV6_EXT_HEADER_WALK_MAX) return DecodeStatus.MALFORMED;
        const status = checkSpan(offset, 2, packetEnd, capturedEnd);
        if (status !== DecodeStatus.OK) return status;
        // RFC 4302: AH counts 4-byte units, minus 2.
        length = (buf[offset + 1]! + 2) * 4;
        break;
      }
      case IpProto.IPV6_FRAGMENT: {
        if (walked === IPV6_EXT_HEADER_WALK_MAX) return DecodeStatus.MALFORMED;
        const status = checkSpan(offset, IPV6_FRAGMENT_HEADER_BYTES, packetEnd, capturedEnd);
        if (status !== DecodeStatus.OK) return status;
        const offsetAndFlags = readU16(buf, offset + 2);
        out.hasFragmentHeader = true;
        out.fragmentOffset = offsetAndFlags & 0xfff8;
        out.moreFragments = (offsetAndFlags & 1) !== 0;
        out.fragmentId = readU32(buf, offset + 4);
        if (out.fragmentOffset !== 0) {
          out.upperProtocol = buf[offset]!;
          out.upperOffset = offset + IPV6_FRAGMENT_HEADER_BYTES;
          return DecodeStatus.OK;
        }
        length = IPV6_FRAGMENT_HEADER_BYTES;
        break;
      }
      default:
        out.upperProtocol = type;
        out.upperOffset = offset;
        return DecodeStatus.OK;
    }
    if (offset + length > packetEnd) return DecodeStatus.MALFORMED;
    type = buf[offset]!;
    offset += length;
  }
}
