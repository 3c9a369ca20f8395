/**
 * Cluster Services and EndpointSlices → the dataplane's Service translation table
 * (dataplane/service-nat.ts). Both engines replay through the same Dataplane, so compiled and
 * naive see the same translated packet: the translation is this one plainly written function
 * plus ServiceNat, shared on purpose (it is not policy; a shared bug here would show in the
 * recorded-capture tests, not hide from the property test).
 *
 * Endpoints, as kube-proxy reads them (pkg/proxy/endpointslicecache.go):
 * - from the EndpointSlices labelled with the Service's name when there are any; a slice port
 *   (matched by name) gives the target port, so named targetPorts are already resolved;
 * - else from the selector: Running pods of the namespace whose labels match, with the
 *   targetPort resolved per pod (a name looked up in its container ports; a pod without that
 *   port is not an endpoint, as the EndpointSlice controller does);
 * - ready endpoints only; when none is ready, the serving-and-terminating ones (KEP-1669).
 * Frontends: every clusterIP (headless and ExternalName Services have none), externalIPs and
 * LoadBalancer ingress IPs (`external`), and for NodePort/LoadBalancer each node address known
 * from the pods' hostIPs on the nodePort.
 */
import type { Cluster, EndpointSlice, IpAddress, Pod, Service, ServicePort } from '../../compiler/model.js';
import { POLICY_PROTOCOL_NUMBER } from '../../compiler/model.js';
import { FrontendKind, ServiceNat, type ServiceBackendSpec, type ServiceFrontendSpec } from '../../dataplane/service-nat.js';
import { ExitCode, UserError } from '../diagnostics.js';
import { ownsPodIps } from '../../compiler/model.js';

export interface ServiceNatOptions {
  /** Seed of the endpoint choice (default 0). */
  readonly seed?: number;
  /** `ns/name` → endpoint IP: every connection to that Service goes to that endpoint. */
  readonly endpointOverrides?: ReadonlyMap<string, string>;
  /**
   * What source external traffic to a Cluster-policy NodePort/LoadBalancer/external IP shows the
   * pod (the CNI profile's externalSource): the node (kube-proxy's masquerade, default) or the client.
   */
  readonly externalSource?: 'node' | 'client';
}

function words(ip: IpAddress): number[] {
  if (ip.family === 4) return [Number(ip.value), 0, 0, 0];
  return [0, 1, 2, 3].map((i) => Number((ip.value >> BigInt(96 - i * 32)) & 0xffffffffn));
}

export interface ServiceEndpoint {
  readonly ip: IpAddress;
  readonly port: number;
  readonly nodeName: string | null;
  readonly pod: string | null;
  readonly ready: boolean;
  readonly fallback: boolean;
}

function selects(selector: Readonly<Record<string, string>>, pod: Pod): boolean {
  return Object.entries(selector).every(([k, v]) => pod.labels[k] === v);
}

/** The endpoints kube-proxy would use for `port` of `service` (see the file comment). */
export function serviceEndpoints(cluster: Cluster, service: Service, port: ServicePort): ServiceEndpoint[] {
  return endpointsOf(service, port, cluster.endpointSlices ?? [], cluster.pods);
}

function endpointsOf(service: Service, port: ServicePort, slices: readonly EndpointSlice[], pods: readonly Pod[]): ServiceEndpoint[] {
  const mine = slices.filter((s) => s.namespace === service.namespace && s.serviceName === service.name && s.addressType !== 'FQDN');
  const out: ServiceEndpoint[] = [];
  if (mine.length) {
    for (const slice of mine) {
      const slicePort = slice.ports.find((p) => p.name === port.name && p.protocol === port.protocol);
      if (!slicePort || slicePort.port === null) continue;
      for (const e of slice.endpoints) {
        const ready = e.ready;
        for (const ip of e.addresses) out.push({ ip, port: slicePort.port, nodeName: e.nodeName, pod: e.pod, ready, fallback: e.serving && e.terminating });
      }
    }
  } else if (service.selector && Object.keys(service.selector).length) {
    for (const pod of pods) {
      if (pod.namespace !== service.namespace || !ownsPodIps(pod) || pod.phase !== 'Running' || !selects(service.selector, pod)) continue;
      let target: number | undefined;
      if (typeof port.targetPort === 'number') target = port.targetPort;
      else target = pod.containerPorts.find((c) => c.name === port.targetPort && c.protocol === port.protocol)?.containerPort;
      if (target === undefined) continue;
      for (const ip of pod.ips) out.push({ ip, port: target, nodeName: pod.nodeName, pod: `${pod.namespace}/${pod.name}`, ready: true, fallback: false });
    }
  }
  const ready = out.filter((e) => e.ready);
  return ready.length ? ready : out.filter((e) => e.fallback);
}

function format(ip: IpAddress, port: number): string {
  return ip.family === 6 ? `[${ip.text}]:${port}` : `${ip.text}:${port}`;
}

/** The translation table of `cluster`, or undefined when it has no Service to translate. */
export function buildServiceNat(cluster: Cluster, options: ServiceNatOptions = {}): ServiceNat | undefined {
  const services = cluster.services ?? [];
  if (!services.length) return undefined;
  const slices = cluster.endpointSlices ?? [];
  const nodeIndex = new Map<string, number>();
  const nodeAddress = new Map<string, IpAddress[]>();
  const node = (name: string | null): number => {
    if (name === null) return -1;
    let i = nodeIndex.get(name);
    if (i === undefined) nodeIndex.set(name, (i = nodeIndex.size));
    return i;
  };
  for (const pod of cluster.pods) {
    if (pod.nodeName === null || pod.hostIP === null) continue;
    node(pod.nodeName);
    const list = nodeAddress.get(pod.nodeName) ?? [];
    if (!list.some((a) => a.text === pod.hostIP?.text)) list.push(pod.hostIP);
    nodeAddress.set(pod.nodeName, list);
  }
  for (const slice of slices) for (const e of slice.endpoints) node(e.nodeName);
  const overrides = options.endpointOverrides ?? new Map<string, string>();
  for (const key of overrides.keys()) {
    if (!services.some((s) => `${s.namespace}/${s.name}` === key)) throw new UserError(`--service-endpoint: no Service ${key} in the cluster`, ExitCode.USAGE);
  }
  const podByIp = new Map<string, Pod>();
  for (const pod of cluster.pods) if (ownsPodIps(pod)) for (const ip of pod.ips) podByIp.set(ip.text, pod);

  const frontends: ServiceFrontendSpec[] = [];
  for (const service of services) {
    if (service.type === 'ExternalName' || service.headless) continue;
    const override = overrides.get(`${service.namespace}/${service.name}`);
    service.ports.forEach((port) => {
      let endpoints = endpointsOf(service, port, slices, cluster.pods);
      if (override !== undefined) {
        endpoints = endpoints.filter((e) => e.ip.text === override);
        if (!endpoints.length) throw new UserError(`--service-endpoint: ${override} is not a ready endpoint of Service ${service.namespace}/${service.name}`, ExitCode.USAGE);
      }
      const label = `${service.namespace}/${service.name}:${port.name ?? port.port}`;
      const protocol = POLICY_PROTOCOL_NUMBER[port.protocol];
      const backendsFor = (family: 4 | 6): ServiceBackendSpec[] =>
        endpoints
          .filter((e) => e.ip.family === family)
          .map((e) => {
            const hostAddress = e.nodeName !== null ? nodeAddress.get(e.nodeName)?.find((a) => a.family === family) : undefined;
            const pod = e.pod ?? (podByIp.get(e.ip.text) ? `${podByIp.get(e.ip.text)?.namespace}/${podByIp.get(e.ip.text)?.name}` : null);
            return { address: words(e.ip), port: e.port, node: node(e.nodeName), nodeAddress: hostAddress ? words(hostAddress) : null, label: pod ? `${pod} ${format(e.ip, e.port)}` : format(e.ip, e.port) };
          });
      const add = (ip: IpAddress, frontPort: number, kind: FrontendKind, nodeOf: number): void => {
        frontends.push({
          family: ip.family,
          address: words(ip),
          protocol,
          port: frontPort,
          kind,
          node: nodeOf,
          label,
          backends: backendsFor(ip.family),
          externalLocal: service.externalTrafficPolicy === 'Local',
          keepClientSource: options.externalSource === 'client',
          internalLocal: service.internalTrafficPolicy === 'Local',
          clientIpAffinity: service.sessionAffinity === 'ClientIP',
        });
      };
      for (const ip of service.clusterIPs) add(ip, port.port, FrontendKind.CLUSTER_IP, -1);
      for (const ip of [...service.externalIPs, ...service.loadBalancerIPs]) add(ip, port.port, FrontendKind.EXTERNAL, -1);
      if (port.nodePort !== null && service.type !== 'ClusterIP') {
        for (const [name, addresses] of [...nodeAddress].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
          for (const ip of addresses) add(ip, port.nodePort, FrontendKind.NODE_PORT, node(name));
        }
      }
    });
  }
  const podNodes = cluster.pods.filter((p) => ownsPodIps(p) && p.nodeName !== null).flatMap((p) => p.ips.map((ip) => ({ family: ip.family, address: words(ip), node: node(p.nodeName) })));
  return new ServiceNat({ frontends, podNodes, seed: options.seed ?? 0 });
}
