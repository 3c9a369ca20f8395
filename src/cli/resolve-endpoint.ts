/** `ns/pod` or an IP on the command line → an address (and the pod, when it is one). */
import type { Cluster, IpAddress, IpFamily, Pod } from '../../compiler/model.js';
import { IP_PROTOCOL } from '../../compiler/model.js';
import { ExitCode, UserError } from '../diagnostics.js';
import { parseIp } from '../load/parse-ip.js';

export type EndpointSpec = { readonly kind: 'pod'; readonly pod: Pod } | { readonly kind: 'ip'; readonly ip: IpAddress };

export function parseEndpoint(command: string, flag: string, text: string, cluster: Cluster): EndpointSpec {
  const ip = parseIp(text);
  if (ip.ok) return { kind: 'ip', ip: ip.value };
  const slash = text.indexOf('/');
  if (slash <= 0 || slash === text.length - 1 || slash !== text.lastIndexOf('/')) {
    throw new UserError(`${command}: ${flag} ${JSON.stringify(text)} is neither an IP address nor namespace/pod`, ExitCode.USAGE);
  }
  const namespace = text.slice(0, slash);
  const name = text.slice(slash + 1);
  const pod = cluster.pods.find((p) => p.namespace === namespace && p.name === name);
  if (!pod) {
    const inNamespace = cluster.pods.filter((p) => p.namespace === namespace).map((p) => p.name);
    const hint = inNamespace.length ? `pods in ${namespace}: ${inNamespace.slice(0, 8).join(', ')}${inNamespace.length > 8 ? ', ...' : ''}` : `no pods in namespace ${JSON.stringify(namespace)}`;
    throw new UserError(`${command}: ${flag}: no pod ${text} in the cluster (${hint})`, ExitCode.USAGE);
  }
  if (pod.ips.length === 0) throw new UserError(`${command}: ${flag}: pod ${text} has no IP (status.podIP), so no traffic can reach or leave it`, ExitCode.USAGE);
  return { kind: 'pod', pod };
}

function familiesOf(endpoint: EndpointSpec): IpFamily[] {
  return endpoint.kind === 'ip' ? [endpoint.ip.family] : endpoint.pod.ips.map((ip) => ip.family);
}

function addressOf(endpoint: EndpointSpec, family: IpFamily): IpAddress {
  if (endpoint.kind === 'ip') return endpoint.ip;
  return endpoint.pod.ips.find((ip) => ip.family === family) as IpAddress;
}

/**
 * Pick addresses of one family for both ends: the source's primary family if the destination
 * has it, else the first family they share; null when they share none (IPv4-only to IPv6-only).
 */
export function pickAddresses(src: EndpointSpec, dst: EndpointSpec): { src: IpAddress; dst: IpAddress } | null {
  const dstFamilies = familiesOf(dst);
  const family = familiesOf(src).find((f) => dstFamilies.includes(f));
  if (family === undefined) return null;
  return { src: addressOf(src, family), dst: addressOf(dst, family) };
}

const PROTOCOL_BY_NAME: Readonly<Record<string, number>> = {
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

/** TCP, UDP, SCTP, ICMP, ICMPv6 (any case) or an IP protocol number 0–255. */
export function parseProtocol(command: string, text: string): number {
  const named = PROTOCOL_BY_NAME[text.toUpperCase()];
  if (named !== undefined) return named;
  if (/^\d{1,3}$/.test(text) && Number(text) <= 255) return Number(text);
  throw new UserError(`${command}: unknown protocol ${JSON.stringify(text)}: use TCP, UDP, SCTP, ICMP, ICMPv6 or a protocol number`, ExitCode.USAGE);
}

export function hasPorts(protocol: number): boolean {
  return protocol === IP_PROTOCOL.TCP || protocol === IP_PROTOCOL.UDP || protocol === IP_PROTOCOL.SCTP;
}

export function parsePort(command: string, flag: string, text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
    throw new UserError(`${command}: ${flag} ${JSON.stringify(text)} must be a port number between 1 and 65535`, ExitCode.USAGE);
  }
  return Number(text);
}
