/**
 * Link-layer decoders: each reads its header at `at`, sets `meta.etherType` and `meta.l3Offset`
 * (plus pktType / ifIndex / VLAN fields where the link has them) and returns OK only when the
 * network layer is IPv4 or IPv6; any other protocol (ARP, LLDP, 802.3/LLC...) is NOT_IP.
 * Link types and header layouts: CAPTURES.md "Link types seen in Kubernetes captures".
 */
import { DecodeStatus, type PacketMeta } from '../packet-meta.js';
import { checkSpan, readU16, readU32 } from './read-bytes.js';
import {
  ETHERNET_HEADER_BYTES,
  EtherType,
  LOOPBACK_HEADER_BYTES,
  LinkType,
  LoopbackFamily,
  SLL2_HEADER_BYTES,
  SLL_HEADER_BYTES,
  VLAN_TAG_BYTES,
} from './protocol-numbers.js';

/** Sets the network-layer EtherType and offset, and says whether it is IP. */
function finishLink(etherType: number, l3Offset: number, meta: PacketMeta): DecodeStatus {
  meta.etherType = etherType;
  meta.l3Offset = l3Offset;
  return etherType === EtherType.IPV4 || etherType === EtherType.IPV6 ? DecodeStatus.OK : DecodeStatus.NOT_IP;
}

/**
 * Crosses 802.1Q / 802.1ad tags, stacked in any number: `etherType` is the type field already read,
 * `at` the first byte after it. Each tag is 4 bytes (TCI, then the next type), so the loop ends
 * with the frame; no cap is needed. Linux cooked captures reinsert tags the NIC stripped after
 * their header, so SLL and SLL2 come through here too.
 */
function crossVlanTags(buf: Uint8Array, etherType: number, at: number, frameEnd: number, capturedEnd: number, meta: PacketMeta): DecodeStatus {
  let type = etherType;
  let offset = at;
  while (type === EtherType.VLAN || type === EtherType.QINQ || type === EtherType.QINQ_LEGACY) {
    const status = checkSpan(offset, VLAN_TAG_BYTES, frameEnd, capturedEnd);
    if (status !== DecodeStatus.OK) return status;
    if (meta.vlanCount === 0) meta.vlanId = readU16(buf, offset) & 0x0fff;
    meta.vlanCount++;
    type = readU16(buf, offset + 2);
    offset += VLAN_TAG_BYTES;
  }
  // Below 0x0600 the field is an 802.3 length (an LLC frame: STP, CDP...): kept as is, NOT_IP.
  return finishLink(type, offset, meta);
}

export function decodeEthernet(buf: Uint8Array, at: number, frameEnd: number, capturedEnd: number, meta: PacketMeta): DecodeStatus {
  const status = checkSpan(at, ETHERNET_HEADER_BYTES, frameEnd, capturedEnd);
  if (status !== DecodeStatus.OK) return status;
  return crossVlanTags(buf, readU16(buf, at + 12), at + ETHERNET_HEADER_BYTES, frameEnd, capturedEnd, meta);
}

/** LINKTYPE_LINUX_SLL: pkttype u16 @0, ARPHRD u16 @2, address length/address @4..13, protocol u16 @14. */
export function decodeLinuxSll(buf: Uint8Array, at: number, frameEnd: number, capturedEnd: number, meta: PacketMeta): DecodeStatus {
  const status = checkSpan(at, SLL_HEADER_BYTES, frameEnd, capturedEnd);
  if (status !== DecodeStatus.OK) return status;
  meta.pktType = readU16(buf, at);
  // Protocol values below 0x0600 are Linux pseudo-protocols (ETH_P_802_2, ETH_P_CAN, netlink families).
  return crossVlanTags(buf, readU16(buf, at + 14), at + SLL_HEADER_BYTES, frameEnd, capturedEnd, meta);
}

/** LINKTYPE_LINUX_SLL2: protocol u16 @0, reserved @2, ifindex u32 @4, ARPHRD u16 @8, pkttype u8 @10. */
export function decodeLinuxSll2(buf: Uint8Array, at: number, frameEnd: number, capturedEnd: number, meta: PacketMeta): DecodeStatus {
  const status = checkSpan(at, SLL2_HEADER_BYTES, frameEnd, capturedEnd);
  if (status !== DecodeStatus.OK) return status;
  meta.ifIndex = readU32(buf, at + 4);
  meta.pktType = buf[at + 10]!;
  return crossVlanTags(buf, readU16(buf, at), at + SLL2_HEADER_BYTES, frameEnd, capturedEnd, meta);
}

/**
 * LINKTYPE_RAW (101, version from the first nibble), LINKTYPE_IPV4 (228), LINKTYPE_IPV6 (229).
 * The synthetic EtherType lets the network layer dispatch the same way for every link; a
 * 228/229 frame of the other version is then MALFORMED by the IP decoder's version check.
 */
export function decodeRawIp(buf: Uint8Array, at: number, linkType: number, frameEnd: number, capturedEnd: number, meta: PacketMeta): DecodeStatus {
  if (linkType === LinkType.IPV4) return finishLink(EtherType.IPV4, at, meta);
  if (linkType === LinkType.IPV6) return finishLink(EtherType.IPV6, at, meta);
  const status = checkSpan(at, 1, frameEnd, capturedEnd);
  if (status !== DecodeStatus.OK) return status;
  const version = buf[at]! >> 4;
  if (version === 4) return finishLink(EtherType.IPV4, at, meta);
  if (version === 6) return finishLink(EtherType.IPV6, at, meta);
  meta.l3Offset = at;
  return DecodeStatus.MALFORMED;
}

/**
 * LINKTYPE_NULL (0) and LINKTYPE_LOOP (108): a 4-byte address family. LOOP stores it in network
 * order; NULL in the byte order of the host that captured, which the file does not say. Families
 * are small numbers, so a value with only high-order bytes set was written little-endian
 * (the same test libpcap and Wireshark apply).
 */
export function decodeLoopback(buf: Uint8Array, at: number, linkType: number, frameEnd: number, capturedEnd: number, meta: PacketMeta): DecodeStatus {
  const status = checkSpan(at, LOOPBACK_HEADER_BYTES, frameEnd, capturedEnd);
  if (status !== DecodeStatus.OK) return status;
  let family = readU32(buf, at);
  if (linkType === LinkType.NULL && (family & 0xffff0000) !== 0) {
    family = buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16) | (buf[at + 3]! << 24);
  }
  const l3Offset = at + LOOPBACK_HEADER_BYTES;
  switch (family) {
    case LoopbackFamily.INET:
      return finishLink(EtherType.IPV4, l3Offset, meta);
    case LoopbackFamily.INET6_BSD:
    case LoopbackFamily.INET6_FREEBSD:
    case LoopbackFamily.INET6_DARWIN:
      return finishLink(EtherType.IPV6, l3Offset, meta);
    default:
      return finishLink(0, l3Offset, meta);
  }
}
