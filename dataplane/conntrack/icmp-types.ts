/**
 * ICMP/ICMPv6 type tables of nf_conntrack_proto_icmp.c / nf_conntrack_proto_icmpv6.c
 * (SEMANTICS.md §2.4): which types may create an entry (valid_new), the request↔reply map
 * (invmap), which are errors that conntrack resolves as RELATED, and which ICMPv6 types are
 * UNTRACKED (noct_valid_new: MLD and neighbour discovery).
 */

/** invmap: type → paired type, or -1. */
export const ICMP4_INVMAP: Int16Array = (() => {
  const t = new Int16Array(256).fill(-1);
  for (const [a, b] of [[8, 0], [13, 14], [15, 16], [17, 18]] as const) { t[a] = b; t[b] = a; }
  return t;
})();
export const ICMP6_INVMAP: Int16Array = (() => {
  const t = new Int16Array(256).fill(-1);
  for (const [a, b] of [[128, 129], [139, 140]] as const) { t[a] = b; t[b] = a; }
  return t;
})();

/** valid_new: echo, timestamp, info request, address mask request. */
export const ICMP4_VALID_NEW: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (const x of [8, 13, 15, 17]) t[x] = 1;
  return t;
})();
/** ICMPv6 echo request and node information query. */
export const ICMP6_VALID_NEW: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (const x of [128, 139]) t[x] = 1;
  return t;
})();

/** icmp_is_err (3, 4, 5, 11, 12): the decoder's table, one definition for both layers. */
export { isIcmpv4Error as isIcmp4Error } from '../decode/classify-icmp.js';
/** nf_conntrack_icmpv6_error hands every type below 128 to nf_conntrack_inet_error (1–4 are the defined ones). */
export function isIcmp6Error(type: number): boolean {
  return type >= 0 && type < 128;
}
/** noct_valid_new: MLD query/report/done 130–132, RS/RA/NS/NA 133–136, MLDv2 report 143. */
export function isIcmp6Untracked(type: number): boolean {
  return (type >= 130 && type <= 136) || type === 143;
}
