/**
 * A flow's two ends as the user named them (`ns/pod` or an address: src/cli/resolve-endpoint.ts
 * parses them) → one address of each, of a family both have. Used by `query`, `matrix` and the
 * matrix report.
 */
import type { IpAddress, IpFamily, Pod } from '../../compiler/model.js';

export type EndpointSpec = { readonly kind: 'pod'; readonly pod: Pod } | { readonly kind: 'ip'; readonly ip: IpAddress };

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
