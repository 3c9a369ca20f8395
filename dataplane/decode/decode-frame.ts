/**
 * The one-shot decoder: a captured frame in, the reused PacketMeta filled in place, a
 * DecodeStatus out. No allocation, no exception on bad input: truncation and malformation are
 * statuses (STYLE.md §7, gopacket/smoltcp).
 *
 * On a status other than OK the fields of every layer decoded before the failing one stay valid
 * (e.g. a TRUNCATED TCP segment keeps its addresses, and its ports if they were captured).
 */
import { DecodeStatus, type PacketMeta } from '../packet-meta.js';
import { EtherType, LinkType } from './protocol-numbers.js';
import { decodeEthernet, decodeLinuxSll, decodeLinuxSll2, decodeLoopback, decodeRawIp } from './decode-link.js';
import { decodeIpv4 } from './decode-ipv4.js';
import { decodeIpv6 } from './decode-ipv6.js';

/**
 * Decodes `capturedLength` bytes of `buf` from `offset`, a frame of `wireLength` bytes on the
 * wire (pcap caplen / origlen), of capture link type `linkType`. `meta` is reset first; the
 * frame bytes are only read, and nothing keeps a reference to `buf`.
 */
export function decodeFrame(
  buf: Uint8Array,
  offset: number,
  capturedLength: number,
  wireLength: number,
  linkType: number,
  meta: PacketMeta,
): DecodeStatus {
  meta.reset();
  meta.linkType = linkType;
  meta.capturedLength = capturedLength;
  meta.wireLength = wireLength;
  const capturedEnd = Math.min(offset + capturedLength, buf.length);
  // A wire length below the captured length is a broken record; the captured bytes are real.
  const frameEnd = offset + Math.max(wireLength, capturedLength);

  let status: DecodeStatus;
  switch (linkType) {
    case LinkType.ETHERNET:
      status = decodeEthernet(buf, offset, frameEnd, capturedEnd, meta);
      break;
    case LinkType.LINUX_SLL2:
      status = decodeLinuxSll2(buf, offset, frameEnd, capturedEnd, meta);
      break;
    case LinkType.LINUX_SLL:
      status = decodeLinuxSll(buf, offset, frameEnd, capturedEnd, meta);
      break;
    case LinkType.RAW:
    case LinkType.IPV4:
    case LinkType.IPV6:
      status = decodeRawIp(buf, offset, linkType, frameEnd, capturedEnd, meta);
      break;
    case LinkType.NULL:
    case LinkType.LOOP:
      status = decodeLoopback(buf, offset, linkType, frameEnd, capturedEnd, meta);
      break;
    default:
      return DecodeStatus.UNSUPPORTED_LINK;
  }
  if (status !== DecodeStatus.OK) return status;
  return meta.etherType === EtherType.IPV4
    ? decodeIpv4(buf, meta.l3Offset, frameEnd, capturedEnd, meta)
    : decodeIpv6(buf, meta.l3Offset, frameEnd, capturedEnd, meta);
}
