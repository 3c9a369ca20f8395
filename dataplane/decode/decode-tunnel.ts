/**
 * Overlay decapsulation: a node's uplink capture carries pod-to-pod traffic inside VXLAN
 * (RFC 7348, UDP 4789; Flannel and Cilium use the Linux default 8472), Geneve (RFC 8926, UDP
 * 6081: OVN-Kubernetes, Antrea, Cilium), IP-in-IP (IP protocol 4: Calico) or IPv6-in-IP (41).
 * After `decodeFrame` has read the outer packet, `TunnelDecoder.decode` recognises the tunnel and
 * decodes the inner frame into the same PacketMeta, so the inner packet goes through the normal
 * path (dedupe, conntrack, policy) and the frame is counted once, in the inner packet's category.
 * Outer link fields (link type, cooked pkttype/ifindex, outer VLAN) and the frame's lengths are
 * kept; `meta.tunnel` and `meta.tunnelId` say which overlay it came in. Nothing is allocated.
 *
 * WireGuard (UDP, Calico 51820/51821, Cilium 51871) and IPsec ESP (IP protocol 50) cannot be
 * opened: `decode` says ENCRYPTED and the dataplane counts the frame as `encrypted`, neither
 * policed nor allowed.
 *
 * Modes: `auto` opens a UDP tunnel only when its header is plausible (VXLAN I flag set; Geneve
 * version 0 carrying Ethernet, IPv4 or IPv6), else the outer datagram is ordinary UDP; `on` opens
 * every datagram to a tunnel port; `off` opens nothing and detects no encryption (the replay of
 * before this decoder). In `auto` and `on`, an opened tunnel whose inner frame cannot be decoded
 * is TRUNCATED/MALFORMED (the replay's `undecodable`); an inner non-IP frame (ARP) is NOT_IP.
 */
import { DecodeStatus, type PacketMeta } from '../packet-meta.js';
import { decodeEthernet } from './decode-link.js';
import { decodeIpv4 } from './decode-ipv4.js';
import { decodeIpv6 } from './decode-ipv6.js';
import { checkSpan, readU16 } from './read-bytes.js';
import { EtherType, IpProto, UDP_HEADER_BYTES } from './protocol-numbers.js';

export const TunnelKind = { NONE: 0, VXLAN: 1, GENEVE: 2, IPIP: 3, IPV6_IN_IP: 4 } as const;
export type TunnelKind = (typeof TunnelKind)[keyof typeof TunnelKind];
export const TUNNEL_KIND_COUNT = 5;
export const TUNNEL_KIND_NAME: readonly string[] = ['none', 'vxlan', 'geneve', 'ipip', 'ipv6-in-ip'];

/** What `decode` found: no tunnel (meta unchanged), a tunnel opened (meta is the inner packet), or encryption. */
export const TunnelResult = { NONE: 0, OPENED: 1, ENCRYPTED: 2 } as const;
export type TunnelResult = (typeof TunnelResult)[keyof typeof TunnelResult];

export type DecapMode = 'auto' | 'on' | 'off';

export interface TunnelPorts {
  /** Default 4789 (IANA) and 8472 (Linux vxlan default, Flannel, Cilium). */
  readonly vxlan?: readonly number[];
  /** Default 6081 (IANA). */
  readonly geneve?: readonly number[];
  /** Default 51820 (Calico IPv4, wg default), 51821 (Calico IPv6), 51871 (Cilium). */
  readonly wireguard?: readonly number[];
}

export const DEFAULT_VXLAN_PORTS: readonly number[] = [4789, 8472];
export const DEFAULT_GENEVE_PORTS: readonly number[] = [6081];
export const DEFAULT_WIREGUARD_PORTS: readonly number[] = [51820, 51821, 51871];

const VXLAN_HEADER_BYTES = 8;
/** VXLAN flags byte: I (VNI valid), RFC 7348 §5. */
const VXLAN_FLAG_I = 0x08;
const GENEVE_HEADER_BYTES = 8;
/** Geneve protocol type "Transparent Ethernet Bridging" (RFC 8926 §3.4). */
const ETHERTYPE_TEB = 0x6558;

/** Port table values (one byte per UDP port). */
const PORT_VXLAN = 1;
const PORT_GENEVE = 2;
const PORT_WIREGUARD = 3;

/**
 * A WireGuard message (the protocol's section 5.4): type 1–4 in the first byte, three reserved
 * zero bytes, and the length each type has (initiation 148, response 92, cookie reply 64,
 * transport data 32 + a multiple of 16).
 */
function isWireGuardMessage(buf: Uint8Array, at: number, end: number): boolean {
  const length = end - at;
  if (length < 32 || buf[at + 1] !== 0 || buf[at + 2] !== 0 || buf[at + 3] !== 0) return false;
  switch (buf[at]) {
    case 1:
      return length === 148;
    case 2:
      return length === 92;
    case 3:
      return length === 64;
    case 4:
      return (length - 32) % 16 === 0;
    default:
      return false;
  }
}

export class TunnelDecoder {
  private readonly ports = new Uint8Array(65536);
  private readonly strict: boolean;

  constructor(
    readonly mode: DecapMode,
    ports: TunnelPorts = {},
  ) {
    this.strict = mode === 'auto';
    for (const p of ports.vxlan ?? DEFAULT_VXLAN_PORTS) this.ports[p] = PORT_VXLAN;
    for (const p of ports.geneve ?? DEFAULT_GENEVE_PORTS) this.ports[p] = PORT_GENEVE;
    for (const p of ports.wireguard ?? DEFAULT_WIREGUARD_PORTS) this.ports[p] = PORT_WIREGUARD;
  }

  /**
   * `meta` holds a decoded outer packet (DecodeStatus OK) from `buf`, captured up to
   * `capturedEnd`. On OPENED, `status` is the inner frame's DecodeStatus and `meta` the inner packet.
   */
  decode(buf: Uint8Array, capturedEnd: number, meta: PacketMeta): TunnelResult {
    this.status = DecodeStatus.OK;
    if (this.mode === 'off' || meta.upperOffset < 0 || meta.tunnel !== TunnelKind.NONE) return TunnelResult.NONE;
    const at = meta.upperOffset;
    const end = meta.packetEnd;
    switch (meta.protocol) {
      case IpProto.UDP: {
        if (meta.l4Offset < 0) return TunnelResult.NONE;
        const kind = this.ports[meta.dstPort] as number;
        if (kind === PORT_WIREGUARD || this.ports[meta.srcPort] === PORT_WIREGUARD) {
          // WireGuard's ports are also ephemeral ports a pod may use (51820 is in Linux's
          // 32768–60999): in auto mode the payload must look like a WireGuard message too, or a
          // DNS query from port 51820 would go unpoliced.
          if (!this.strict || isWireGuardMessage(buf, at + UDP_HEADER_BYTES, Math.min(end, capturedEnd))) return TunnelResult.ENCRYPTED;
          if (kind === PORT_WIREGUARD) return TunnelResult.NONE;
        }
        if (kind === PORT_VXLAN) return this.vxlan(buf, at + UDP_HEADER_BYTES, end, capturedEnd, meta);
        if (kind === PORT_GENEVE) return this.geneve(buf, at + UDP_HEADER_BYTES, end, capturedEnd, meta);
        return TunnelResult.NONE;
      }
      case IpProto.IPIP:
        this.open(TunnelKind.IPIP, -1, meta);
        meta.etherType = EtherType.IPV4;
        meta.l3Offset = at;
        this.status = decodeIpv4(buf, at, end, capturedEnd, meta);
        return TunnelResult.OPENED;
      case IpProto.IPV6_IN_IP:
        this.open(TunnelKind.IPV6_IN_IP, -1, meta);
        meta.etherType = EtherType.IPV6;
        meta.l3Offset = at;
        this.status = decodeIpv6(buf, at, end, capturedEnd, meta);
        return TunnelResult.OPENED;
      case IpProto.ESP:
        return TunnelResult.ENCRYPTED;
      default:
        return TunnelResult.NONE;
    }
  }

  /** The inner frame's DecodeStatus after `decode` returned OPENED. */
  status: DecodeStatus = DecodeStatus.OK;

  private vxlan(buf: Uint8Array, at: number, end: number, capturedEnd: number, meta: PacketMeta): TunnelResult {
    const span = checkSpan(at, VXLAN_HEADER_BYTES, end, capturedEnd);
    if (span !== DecodeStatus.OK || (buf[at]! & VXLAN_FLAG_I) === 0) {
      if (this.strict) return TunnelResult.NONE;
      this.open(TunnelKind.VXLAN, -1, meta);
      this.status = span !== DecodeStatus.OK ? span : DecodeStatus.MALFORMED;
      return TunnelResult.OPENED;
    }
    this.open(TunnelKind.VXLAN, (readU16(buf, at + 4) << 8) | buf[at + 6]!, meta);
    this.status = this.ethernet(buf, at + VXLAN_HEADER_BYTES, end, capturedEnd, meta);
    return TunnelResult.OPENED;
  }

  private geneve(buf: Uint8Array, at: number, end: number, capturedEnd: number, meta: PacketMeta): TunnelResult {
    const span = checkSpan(at, GENEVE_HEADER_BYTES, end, capturedEnd);
    const version = span === DecodeStatus.OK ? buf[at]! >> 6 : -1;
    const type = span === DecodeStatus.OK ? readU16(buf, at + 2) : 0;
    const known = type === ETHERTYPE_TEB || type === EtherType.IPV4 || type === EtherType.IPV6;
    if (span !== DecodeStatus.OK || version !== 0 || !known) {
      if (this.strict) return TunnelResult.NONE;
      this.open(TunnelKind.GENEVE, -1, meta);
      this.status = span !== DecodeStatus.OK ? span : DecodeStatus.MALFORMED;
      return TunnelResult.OPENED;
    }
    // Options (TLVs) are skipped whole: their total length is in the header, in 4-byte words.
    const inner = at + GENEVE_HEADER_BYTES + (buf[at]! & 0x3f) * 4;
    this.open(TunnelKind.GENEVE, (readU16(buf, at + 4) << 8) | buf[at + 6]!, meta);
    if (inner > end) this.status = DecodeStatus.MALFORMED;
    else if (type === ETHERTYPE_TEB) this.status = this.ethernet(buf, inner, end, capturedEnd, meta);
    else {
      meta.etherType = type;
      meta.l3Offset = inner;
      this.status = type === EtherType.IPV4 ? decodeIpv4(buf, inner, end, capturedEnd, meta) : decodeIpv6(buf, inner, end, capturedEnd, meta);
    }
    return TunnelResult.OPENED;
  }

  private ethernet(buf: Uint8Array, at: number, end: number, capturedEnd: number, meta: PacketMeta): DecodeStatus {
    const status = decodeEthernet(buf, at, end, capturedEnd, meta);
    if (status !== DecodeStatus.OK) return status;
    return meta.etherType === EtherType.IPV4 ? decodeIpv4(buf, meta.l3Offset, end, capturedEnd, meta) : decodeIpv6(buf, meta.l3Offset, end, capturedEnd, meta);
  }

  /** Clears the outer network layers from `meta`, keeping the link layer and the frame's lengths. */
  private open(kind: TunnelKind, id: number, meta: PacketMeta): void {
    const linkType = meta.linkType;
    const pktType = meta.pktType;
    const ifIndex = meta.ifIndex;
    const vlanCount = meta.vlanCount;
    const vlanId = meta.vlanId;
    const capturedLength = meta.capturedLength;
    const wireLength = meta.wireLength;
    meta.reset();
    meta.linkType = linkType;
    meta.pktType = pktType;
    meta.ifIndex = ifIndex;
    meta.vlanCount = vlanCount;
    meta.vlanId = vlanId;
    meta.capturedLength = capturedLength;
    meta.wireLength = wireLength;
    meta.tunnel = kind;
    meta.tunnelId = id;
  }
}
