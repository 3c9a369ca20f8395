/**
 * dataplane/decode: captured frames → PacketMeta, in place.
 *
 * Contract: `decodeFrame(buf, offset, capturedLength, wireLength, linkType, meta)` resets and
 * fills one reused PacketMeta and returns a DecodeStatus; it never throws on packet contents,
 * never allocates, never validates checksums (offload makes them wrong in real captures,
 * CAPTURES.md §2), and keeps no reference to `buf`. The per-layer decoders are exported for
 * callers that start below the link layer. `TunnelDecoder.decode` then opens an overlay
 * (VXLAN, Geneve, IP-in-IP, IPv6-in-IP) in the same PacketMeta, or reports WireGuard/ESP as
 * encrypted (decode-tunnel.ts).
 */
export { decodeFrame } from './decode-frame.js';
export { decodeEthernet, decodeLinuxSll, decodeLinuxSll2, decodeLoopback, decodeRawIp } from './decode-link.js';
export { decodeIpv4 } from './decode-ipv4.js';
export { decodeIpv6 } from './decode-ipv6.js';
export { decodeTcp, decodeUdp, decodeSctp, decodeTransport } from './decode-l4.js';
export { decodeIcmpv4, decodeIcmpv6 } from './decode-icmp.js';
export { decodeEmbeddedIpv4, decodeEmbeddedIpv6 } from './decode-icmp-error.js';
export { icmpv4HasId, icmpv6HasId, isIcmpv4Error, isIcmpv6Error } from './classify-icmp.js';
export { Ipv6ChainEnd, walkIpv6Extensions } from './walk-ipv6-extensions.js';
export * from './protocol-numbers.js';
export { TunnelDecoder, TunnelKind, TunnelResult, TUNNEL_KIND_COUNT, TUNNEL_KIND_NAME, DEFAULT_VXLAN_PORTS, DEFAULT_GENEVE_PORTS, DEFAULT_WIREGUARD_PORTS, type DecapMode, type TunnelPorts } from './decode-tunnel.js';
