/**
 * The reused per-packet record that the decoders fill in place (gopacket's DecodingLayerParser,
 * smoltcp's repr structs). One instance lives for the whole replay; decoding a frame overwrites
 * it, so nothing read from it is valid after the next `decode` call. Every field is set in the
 * constructor so V8 keeps one hidden class, and `reset()` restores exactly those values.
 *
 * Addresses are 4 big-endian 32-bit words: IPv4 uses word 0 only (words 1–3 are zero), IPv6
 * uses all four. Numbers only: no strings, no objects, no allocation.
 */

/** Outcome of decoding a frame: OK, or why it is not policed. Stable numbers, used as counter indexes. */
export const DecodeStatus = {
  OK: 0,
  /** A well-formed frame that is not IPv4/IPv6 (ARP, LLDP, ...): counted, not policed. */
  NOT_IP: 1,
  /** The captured bytes end inside a header we need. */
  TRUNCATED: 2,
  /** A header that cannot be right (IPv4 IHL < 5, version mismatch, bad lengths...). */
  MALFORMED: 3,
  /** The capture's link type has no decoder. */
  UNSUPPORTED_LINK: 4,
} as const;
export type DecodeStatus = (typeof DecodeStatus)[keyof typeof DecodeStatus];

export const TcpFlag = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20, ECE: 0x40, CWR: 0x80 } as const;

/** Four stores, not `fill(0)`: the builtin calls made `reset()` ~70 ns and `decodeFrame` ~3x slower (Node 20, measured). */
function clearAddress(words: Uint32Array): void {
  words[0] = 0;
  words[1] = 0;
  words[2] = 0;
  words[3] = 0;
}

export class PacketMeta {
  /** Link type of the capture interface (1 Ethernet, 113 SLL, 276 SLL2, 101 raw...). */
  linkType = 0;
  /** Linux cooked capture packet type (0 HOST ... 4 OUTGOING); -1 when the link type has none. */
  pktType = -1;
  /** SLL2 interface index; -1 when unknown. */
  ifIndex = -1;
  /** 802.1Q/802.1ad tags crossed before the network layer (stacked tags count each). */
  vlanCount = 0;
  /** VLAN id (12 bits) of the outermost tag; -1 when untagged. */
  vlanId = -1;
  /** EtherType (or SLL protocol) of the network layer; raw-IP and NULL/LOOP links get 0x0800/0x86dd. */
  etherType = 0;
  /** Byte offset of the network header inside the frame. */
  l3Offset = 0;

  /** 4 or 6 when the frame carries IP, else 0. */
  ipVersion = 0;
  readonly src = new Uint32Array(4);
  readonly dst = new Uint32Array(4);
  /** Final upper-layer protocol (after IPv6 extension headers). */
  protocol = 0;
  /** IPv4 total length or IPv6 40 + payload length, as the header states. */
  ipLength = 0;
  ttl = 0;
  /** True for any fragment, first or not. */
  isFragment = false;
  /** Fragment offset in bytes; a non-first fragment has no L4 header. */
  fragmentOffset = 0;
  moreFragments = false;
  /** IPv4 identification or IPv6 fragment identification. */
  fragmentId = 0;

  /** Byte offset of the L4 header; -1 when there is none (non-first fragment, unknown protocol). */
  l4Offset = -1;
  srcPort = 0;
  dstPort = 0;
  tcpFlags = 0;
  tcpSeq = 0;
  tcpAck = 0;
  tcpWindow = 0;
  /** L4 payload bytes according to the headers (not the captured length). */
  payloadLength = 0;
  /** SCTP: bit t for each chunk type t < 31 in the packet, bit 31 for any higher type (conntrack's chunk map). */
  sctpChunks = 0;
  /** SCTP verification tag of the common header. */
  sctpVtag = 0;

  icmpType = -1;
  icmpCode = -1;
  /** ICMP/ICMPv6 echo identifier (the "port" of an echo flow). */
  icmpId = 0;
  /** SCTP: the first chunk's type (RFC 9260 §3.2: 1 INIT, 2 INIT ACK, 6 ABORT); -1 when not captured. */
  sctpChunkType = -1;

  /** ICMP errors: the embedded (offending) packet's header, which conntrack looks up as RELATED. */
  hasInner = false;
  innerIpVersion = 0;
  readonly innerSrc = new Uint32Array(4);
  readonly innerDst = new Uint32Array(4);
  innerProtocol = 0;
  innerSrcPort = 0;
  innerDstPort = 0;
  innerIcmpType = -1;
  innerIcmpId = 0;

  /** Bytes captured and bytes on the wire (pcap caplen / origlen). */
  capturedLength = 0;
  wireLength = 0;

  /**
   * Byte offset of the upper-layer header whatever the protocol (IP-in-IP's inner header, ESP...),
   * and where the IP packet ends; -1 when the IP layer stopped before it (non-first fragment).
   */
  upperOffset = -1;
  packetEnd = -1;
  /** Overlay the packet arrived in (decode-tunnel.ts TunnelKind; 0 none) and its VNI (-1 none). */
  tunnel = 0;
  tunnelId = -1;

  reset(): void {
    this.linkType = 0;
    this.pktType = -1;
    this.ifIndex = -1;
    this.vlanCount = 0;
    this.vlanId = -1;
    this.etherType = 0;
    this.l3Offset = 0;
    this.ipVersion = 0;
    clearAddress(this.src);
    clearAddress(this.dst);
    this.protocol = 0;
    this.ipLength = 0;
    this.ttl = 0;
    this.isFragment = false;
    this.fragmentOffset = 0;
    this.moreFragments = false;
    this.fragmentId = 0;
    this.l4Offset = -1;
    this.srcPort = 0;
    this.dstPort = 0;
    this.tcpFlags = 0;
    this.sctpChunks = 0;
    this.sctpVtag = 0;
    this.tcpSeq = 0;
    this.tcpAck = 0;
    this.tcpWindow = 0;
    this.payloadLength = 0;
    this.icmpType = -1;
    this.icmpCode = -1;
    this.icmpId = 0;
    this.sctpChunkType = -1;
    this.hasInner = false;
    this.innerIpVersion = 0;
    clearAddress(this.innerSrc);
    clearAddress(this.innerDst);
    this.innerProtocol = 0;
    this.innerSrcPort = 0;
    this.innerDstPort = 0;
    this.innerIcmpType = -1;
    this.innerIcmpId = 0;
    this.capturedLength = 0;
    this.wireLength = 0;
    this.upperOffset = -1;
    this.packetEnd = -1;
    this.tunnel = 0;
    this.tunnelId = -1;
  }
}
