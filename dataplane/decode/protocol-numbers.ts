/**
 * Wire numbers the decoders dispatch on: pcap link types (tcpdump.org/linktypes.html),
 * EtherTypes, IP protocol numbers and ICMP types. `as const` tables, not enums (STYLE.md §4).
 */

/** pcap/pcapng LINKTYPE_* values with a decoder (CAPTURES.md "Link types"). */
export const LinkType = {
  /** BSD loopback: 4-byte address family in the capturing host's byte order. */
  NULL: 0,
  ETHERNET: 1,
  /** Raw IP, version taken from the first nibble. */
  RAW: 101,
  /** OpenBSD loopback: like NULL but the family is in network byte order. */
  LOOP: 108,
  /** Linux cooked capture v1 (`tcpdump -i any`, older libpcap). */
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  /** Linux cooked capture v2 (`tcpdump -i any`, libpcap >= 1.10). */
  LINUX_SLL2: 276,
} as const;
export type LinkType = (typeof LinkType)[keyof typeof LinkType];

export const EtherType = {
  IPV4: 0x0800,
  ARP: 0x0806,
  /** 802.1Q customer tag. */
  VLAN: 0x8100,
  IPV6: 0x86dd,
  /** 802.1ad service tag (QinQ outer tag). */
  QINQ: 0x88a8,
  /** Pre-standard QinQ outer tag still emitted by some switches (Linux `vlan_proto` accepts it). */
  QINQ_LEGACY: 0x9100,
} as const;

/** IANA protocol numbers (IPv4 protocol, IPv6 next header). */
export const IpProto = {
  IPV6_HOP_BY_HOP: 0,
  ICMP: 1,
  /** IPv4 inside IP (Calico's IP-in-IP overlay). */
  IPIP: 4,
  TCP: 6,
  UDP: 17,
  /** IPv6 inside IP (6in4 / ip6ip6 tunnels). */
  IPV6_IN_IP: 41,
  IPV6_ROUTING: 43,
  IPV6_FRAGMENT: 44,
  ESP: 50,
  AH: 51,
  ICMPV6: 58,
  IPV6_NO_NEXT: 59,
  IPV6_DEST_OPTS: 60,
  SCTP: 132,
  IPV6_MOBILITY: 135,
  HIP: 139,
  SHIM6: 140,
} as const;

/** BSD address families seen in NULL/LOOP headers: AF_INET is 2 everywhere, AF_INET6 differs per OS. */
export const LoopbackFamily = {
  INET: 2,
  /** NetBSD, OpenBSD, BSD/OS. */
  INET6_BSD: 24,
  /** FreeBSD, DragonFly BSD. */
  INET6_FREEBSD: 28,
  /** Darwin (macOS, iOS). */
  INET6_DARWIN: 30,
} as const;

/** Fixed header sizes in bytes. */
export const ETHERNET_HEADER_BYTES = 14;
export const VLAN_TAG_BYTES = 4;
export const SLL_HEADER_BYTES = 16;
export const SLL2_HEADER_BYTES = 20;
export const LOOPBACK_HEADER_BYTES = 4;
export const IPV4_MIN_HEADER_BYTES = 20;
export const IPV6_HEADER_BYTES = 40;
export const IPV6_FRAGMENT_HEADER_BYTES = 8;
export const TCP_MIN_HEADER_BYTES = 20;
export const UDP_HEADER_BYTES = 8;
export const SCTP_COMMON_HEADER_BYTES = 12;
export const ICMP_HEADER_BYTES = 8;
/** Source and destination port: the first 4 bytes of TCP, UDP and SCTP, all policy needs. */
export const L4_PORTS_BYTES = 4;

/**
 * Most IPv6 extension headers walked before giving up with MALFORMED. Real chains are 0–3 long
 * (MLD's hop-by-hop, a fragment header, an SRH); 8 is generous and bounds the work per packet
 * (CAPTURES.md "What real node captures contain" §6).
 */
export const IPV6_EXT_HEADER_WALK_MAX = 8;

export const Icmpv4Type = {
  ECHO_REPLY: 0,
  DEST_UNREACHABLE: 3,
  SOURCE_QUENCH: 4,
  REDIRECT: 5,
  ECHO_REQUEST: 8,
  TIME_EXCEEDED: 11,
  PARAMETER_PROBLEM: 12,
  TIMESTAMP_REQUEST: 13,
  TIMESTAMP_REPLY: 14,
  INFO_REQUEST: 15,
  INFO_REPLY: 16,
  ADDRESS_MASK_REQUEST: 17,
  ADDRESS_MASK_REPLY: 18,
} as const;

export const Icmpv6Type = {
  DEST_UNREACHABLE: 1,
  PACKET_TOO_BIG: 2,
  TIME_EXCEEDED: 3,
  PARAMETER_PROBLEM: 4,
  ECHO_REQUEST: 128,
  ECHO_REPLY: 129,
} as const;
