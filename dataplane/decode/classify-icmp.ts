/**
 * Which ICMP types carry an identifier and which are errors embedding the offending packet:
 * shared by the decoders and by conntrack's ICMP tuple rules (SEMANTICS.md §2.4).
 */
import { Icmpv4Type, Icmpv6Type } from './protocol-numbers.js';

/** ICMPv4 types whose bytes 4–5 are an identifier: echo, timestamp, information, address mask. */
export function icmpv4HasId(type: number): boolean {
  return type === Icmpv4Type.ECHO_REPLY || type === Icmpv4Type.ECHO_REQUEST || (type >= Icmpv4Type.TIMESTAMP_REQUEST && type <= Icmpv4Type.ADDRESS_MASK_REPLY);
}

/** The kernel's `icmp_is_err`: the types that embed the offending packet. */
export function isIcmpv4Error(type: number): boolean {
  return (
    type === Icmpv4Type.DEST_UNREACHABLE ||
    type === Icmpv4Type.SOURCE_QUENCH ||
    type === Icmpv4Type.REDIRECT ||
    type === Icmpv4Type.TIME_EXCEEDED ||
    type === Icmpv4Type.PARAMETER_PROBLEM
  );
}

export function icmpv6HasId(type: number): boolean {
  return type === Icmpv6Type.ECHO_REQUEST || type === Icmpv6Type.ECHO_REPLY;
}

/** ICMPv6 error messages are types 1–127 (RFC 4443 §2.1); 1–4 are the defined ones that embed a packet. */
export function isIcmpv6Error(type: number): boolean {
  return type >= Icmpv6Type.DEST_UNREACHABLE && type <= Icmpv6Type.PARAMETER_PROBLEM;
}
