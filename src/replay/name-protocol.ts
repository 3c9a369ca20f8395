/**
 * IP protocol numbers ↔ the names the CLI accepts and every report prints (flow lines, `query`,
 * `matrix`, the HTML pages). Here, below src/report/ and src/cli/, because the replay's flow
 * reports print them too.
 */
import { IP_PROTOCOL } from '../../compiler/model.js';

export const PROTOCOL_BY_NAME: Readonly<Record<string, number>> = {
  TCP: IP_PROTOCOL.TCP,
  UDP: IP_PROTOCOL.UDP,
  SCTP: IP_PROTOCOL.SCTP,
  ICMP: IP_PROTOCOL.ICMP,
  ICMPV6: IP_PROTOCOL.ICMPV6,
};

export function protocolName(protocol: number): string {
  for (const [name, number] of Object.entries(PROTOCOL_BY_NAME)) if (number === protocol) return name === 'ICMPV6' ? 'ICMPv6' : name;
  return String(protocol);
}

export function hasPorts(protocol: number): boolean {
  return protocol === IP_PROTOCOL.TCP || protocol === IP_PROTOCOL.UDP || protocol === IP_PROTOCOL.SCTP;
}
