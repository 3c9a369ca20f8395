/** `ns/pod` or an IP on the command line → an address (and the pod, when it is one). */
import type { Cluster } from '../../compiler/model.js';
import { ExitCode, UserError } from '../diagnostics.js';
import { parseIp } from '../load/parse-ip.js';
import { PROTOCOL_BY_NAME } from '../replay/name-protocol.js';
import type { EndpointSpec } from '../report/pick-addresses.js';

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

/** TCP, UDP, SCTP, ICMP, ICMPv6 (any case) or an IP protocol number 0–255. */
export function parseProtocol(command: string, text: string): number {
  const named = PROTOCOL_BY_NAME[text.toUpperCase()];
  if (named !== undefined) return named;
  if (/^\d{1,3}$/.test(text) && Number(text) <= 255) return Number(text);
  throw new UserError(`${command}: unknown protocol ${JSON.stringify(text)}: use TCP, UDP, SCTP, ICMP, ICMPv6 or a protocol number`, ExitCode.USAGE);
}

export function parsePort(command: string, flag: string, text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
    throw new UserError(`${command}: ${flag} ${JSON.stringify(text)} must be a port number between 1 and 65535`, ExitCode.USAGE);
  }
  return Number(text);
}
