/**
 * Where every packet lands: exactly one category each, so the categories sum to the number of
 * records read (the replay's accounting invariant). Stable numbers, used as counter indexes.
 */
export const PacketCategory = {
  /** First packet of a connection, allowed by policy; a conntrack entry was created. */
  ALLOWED_NEW: 0,
  /** Matched a conntrack entry (either direction) and passed without policy. */
  ALLOWED_ESTABLISHED: 1,
  /** An ICMP error about a tracked connection (conntrack RELATED). */
  ALLOWED_RELATED: 2,
  /** Not tracked by conntrack and never policed: ICMPv6 neighbour discovery / MLD. */
  ALLOWED_UNTRACKED: 3,
  /** A non-first IP fragment following its allowed first fragment. */
  ALLOWED_FRAGMENT: 4,
  /** Denied by the source pod's egress NetworkPolicies (default deny). */
  DROPPED_EGRESS: 5,
  /** Denied by the destination pod's ingress NetworkPolicies (default deny). */
  DROPPED_INGRESS: 6,
  /** conntrack INVALID (no entry for a reply, bad TCP flags or transition, orphan ICMP error). */
  DROPPED_CT_INVALID: 7,
  /** Allowed by policy, but the conntrack table was full and nothing could be evicted. */
  DROPPED_CT_FULL: 8,
  /** A non-first fragment whose first fragment was dropped or never seen. */
  DROPPED_FRAGMENT: 9,
  /** Not IPv4/IPv6 (ARP, LLDP...): counted, not policed, forwarded. */
  NOT_IP: 10,
  /** Truncated or malformed headers: counted, not policed. */
  UNDECODABLE: 11,
  /** The interface's link type has no decoder. */
  UNSUPPORTED_LINK: 12,
  /** The second copy of a packet a `tcpdump -i any` capture recorded twice. */
  DUPLICATE: 13,
  /** WireGuard or IPsec ESP between nodes: cannot be opened, so neither policed nor allowed. */
  ENCRYPTED: 14,
  /** Sent to a Service address with no usable endpoint: kube-proxy rejects or drops it (service-nat.ts). */
  DROPPED_NO_ENDPOINT: 15,
  /** Denied by an admin-tier Deny rule (AdminNetworkPolicy, ClusterNetworkPolicy Admin) at the source's egress. */
  DROPPED_EGRESS_ADMIN: 16,
  /** Denied by an admin-tier Deny rule at the destination's ingress. */
  DROPPED_INGRESS_ADMIN: 17,
  /** Denied by a baseline-tier Deny rule (BaselineAdminNetworkPolicy, ClusterNetworkPolicy Baseline) at egress. */
  DROPPED_EGRESS_BASELINE: 18,
  /** Denied by a baseline-tier Deny rule at ingress. */
  DROPPED_INGRESS_BASELINE: 19,
} as const;
export type PacketCategory = (typeof PacketCategory)[keyof typeof PacketCategory];
export const PACKET_CATEGORY_COUNT = 20;
/**
 * Categories from this number on were added after the first release: summaries list them only
 * when non-zero, so the output for a capture without them stays what it was.
 */
export const PACKET_CATEGORY_FIRST_OPTIONAL = 14;

export const PACKET_CATEGORY_NAME: readonly string[] = [
  'allowedNew',
  'allowedEstablished',
  'allowedRelated',
  'allowedUntracked',
  'allowedFragment',
  'droppedEgress',
  'droppedIngress',
  'droppedInvalid',
  'droppedTableFull',
  'droppedFragment',
  'notIp',
  'undecodable',
  'unsupportedLink',
  'duplicate',
  'encrypted',
  'droppedNoEndpoint',
  'droppedEgressAdmin',
  'droppedIngressAdmin',
  'droppedEgressBaseline',
  'droppedIngressBaseline',
];

/** Forwarded (would reach its destination): the allowed categories and unpoliced non-IP frames. */
export function isForwarded(category: number): boolean {
  return category <= PacketCategory.ALLOWED_FRAGMENT || category === PacketCategory.NOT_IP;
}

export function isDropped(category: number): boolean {
  return (category >= PacketCategory.DROPPED_EGRESS && category <= PacketCategory.DROPPED_FRAGMENT) || category >= PacketCategory.DROPPED_NO_ENDPOINT;
}

/** Denied by a policy (NetworkPolicy default deny or a tier's Deny), either direction. */
export function isPolicyDrop(category: number): boolean {
  return category === PacketCategory.DROPPED_EGRESS || category === PacketCategory.DROPPED_INGRESS || category >= PacketCategory.DROPPED_EGRESS_ADMIN;
}
