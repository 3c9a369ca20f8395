/**
 * Raw objects → a validated, sorted Cluster. Decodes each object by kind, synthesizes namespace
 * labels and implicit namespaces, and rejects what the API server could not hold at once:
 * two objects with the same kind and name, two live pods with the same IP.
 */
import { ownsPodIps, type AdminPolicy, type AdminPolicyKind, type Cluster, type EndpointSlice, type Namespace, type NetworkPolicy, type Node, type Origin, type Pod, type Service } from '../../compiler/model.js';
import type { Diagnostic } from '../diagnostics.js';
import { ADMIN_POLICY_VERSIONS, decodeAdminPolicy, decodeNode } from './decode-admin-policy.js';
import { orderAdminPolicies } from './order-admin-policies.js';
import { decodeMetadata } from './decode-metadata.js';
import { decodeNetworkPolicy } from './decode-network-policy.js';
import { decodePod } from './decode-pod.js';
import { decodeEndpointSlice, decodeService } from './decode-service.js';
import { ObjectReader } from './object-reader.js';
import type { RawObject } from './read-manifests.js';

/** The label every namespace carries, immutable, set by the API server. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

export interface LoadStats {
  /** Objects used, by kind. */
  readonly used: Record<string, number>;
  /** Objects of other kinds (or other API groups), skipped, by `apiVersion/kind`. */
  readonly skipped: Record<string, number>;
}

const SUPPORTED: Readonly<Record<string, string>> = {
  Namespace: 'v1',
  Pod: 'v1',
  NetworkPolicy: 'networking.k8s.io/v1',
  Node: 'v1',
  ...ADMIN_POLICY_VERSIONS,
  Service: 'v1',
  EndpointSlice: 'discovery.k8s.io/v1',
};

function describeOrigin(origin: Origin | null): string {
  if (!origin) return 'an earlier object';
  return `${origin.source} document ${origin.document}${origin.itemPath ? ` ${origin.itemPath}` : ''}`;
}

function compareByName(a: { namespace: string; name: string }, b: { namespace: string; name: string }): number {
  if (a.namespace !== b.namespace) return a.namespace < b.namespace ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export { ownsPodIps };

export function buildCluster(objects: readonly RawObject[], diagnostics: Diagnostic[]): { cluster: Cluster; stats: LoadStats } {
  const used: Record<string, number> = {};
  const skipped: Record<string, number> = {};
  const declaredNamespaces = new Map<string, { labels: Record<string, string>; origin: Origin }>();
  const pods = new Map<string, Pod>();
  const policies = new Map<string, NetworkPolicy>();
  const adminPolicies = new Map<string, AdminPolicy>();
  const nodes = new Map<string, Node>();
  const services = new Map<string, Service>();
  const slices = new Map<string, EndpointSlice>();

  for (const { origin, object } of objects) {
    const reader = new ObjectReader(origin, diagnostics);
    const kind = object['kind'];
    const apiVersion = object['apiVersion'];
    if (typeof kind !== 'string' || kind === '') {
      reader.error('missing-field', 'kind', 'Required value: every manifest needs apiVersion and kind');
      continue;
    }
    const expectedVersion = SUPPORTED[kind];
    if (expectedVersion === undefined || (apiVersion !== undefined && apiVersion !== null && apiVersion !== expectedVersion)) {
      const key = `${typeof apiVersion === 'string' ? apiVersion : '?'}/${kind}`;
      skipped[key] = (skipped[key] ?? 0) + 1;
      const name = (object['metadata'] as { name?: unknown } | undefined)?.name;
      reader.report('info', 'skipped-kind', null, `skipped ${kind}${typeof name === 'string' ? ` ${name}` : ''} (${typeof apiVersion === 'string' ? apiVersion : 'no apiVersion'}): netpol-emu reads only v1 Namespace, Pod, Service and Node, discovery.k8s.io/v1 EndpointSlice, networking.k8s.io/v1 NetworkPolicy, policy.networking.k8s.io/v1alpha1 AdminNetworkPolicy and BaselineAdminNetworkPolicy, and policy.networking.k8s.io/v1alpha2 ClusterNetworkPolicy`);
      continue;
    }
    if (kind === 'Namespace') {
      const meta = decodeMetadata(reader, object, 'Namespace', false);
      if (!meta) continue;
      const previous = declaredNamespaces.get(meta.name);
      if (previous) {
        reader.error('duplicate-object', 'metadata.name', `Namespace ${JSON.stringify(meta.name)} is already defined in ${describeOrigin(previous.origin)}`);
        continue;
      }
      declaredNamespaces.set(meta.name, { labels: meta.labels, origin });
    } else if (kind === 'Pod') {
      const pod = decodePod(reader, object);
      if (!pod) continue;
      const key = `${pod.namespace}/${pod.name}`;
      const previous = pods.get(key);
      if (previous) {
        reader.error('duplicate-object', 'metadata.name', `Pod ${key} is already defined in ${describeOrigin(previous.origin)}`);
        continue;
      }
      pods.set(key, pod);
    } else if (kind === 'Service' || kind === 'EndpointSlice') {
      const decoded = kind === 'Service' ? decodeService(reader, object) : decodeEndpointSlice(reader, object);
      if (!decoded) continue;
      const key = `${decoded.namespace}/${decoded.name}`;
      const into: Map<string, Service | EndpointSlice> = kind === 'Service' ? services : slices;
      const previous = into.get(key);
      if (previous) {
        reader.error('duplicate-object', 'metadata.name', `${kind} ${key} is already defined in ${describeOrigin(previous.origin)}`);
        continue;
      }
      into.set(key, decoded);
    } else if (kind === 'Node') {
      const node = decodeNode(reader, object);
      if (!node) continue;
      const previous = nodes.get(node.name);
      if (previous) {
        reader.error('duplicate-object', 'metadata.name', `Node ${node.name} is already defined in ${describeOrigin(previous.origin)}`);
        continue;
      }
      nodes.set(node.name, node);
    } else if (kind !== 'NetworkPolicy') {
      const policy = decodeAdminPolicy(reader, object, kind as AdminPolicyKind);
      if (!policy) continue;
      const key = `${policy.kind}/${policy.name}`;
      const previous = adminPolicies.get(key);
      if (previous) {
        reader.error('duplicate-object', 'metadata.name', `${key} is already defined in ${describeOrigin(previous.origin)}`);
        continue;
      }
      adminPolicies.set(key, policy);
    } else {
      const policy = decodeNetworkPolicy(reader, object);
      if (!policy) continue;
      const key = `${policy.namespace}/${policy.name}`;
      const previous = policies.get(key);
      if (previous) {
        reader.error('duplicate-object', 'metadata.name', `NetworkPolicy ${key} is already defined in ${describeOrigin(previous.origin)}`);
        continue;
      }
      policies.set(key, policy);
    }
    used[kind] = (used[kind] ?? 0) + 1;
  }

  // Two live pods may not share an IP; a finished pod's IP may already be reused (SEMANTICS.md §4 #15).
  const podByIp = new Map<string, Pod>();
  for (const pod of [...pods.values()].sort(compareByName)) {
    if (!ownsPodIps(pod)) continue;
    pod.ips.forEach((ip, i) => {
      const other = podByIp.get(ip.text);
      if (other) {
        diagnostics.push({
          severity: 'error',
          code: 'duplicate-ip',
          origin: pod.origin,
          object: `Pod ${pod.namespace}/${pod.name}`,
          path: `status.podIPs[${i}]`,
          message: `IP ${ip.text} is also the IP of pod ${other.namespace}/${other.name} (${describeOrigin(other.origin)})`,
        });
      } else {
        podByIp.set(ip.text, pod);
      }
    });
  }

  const namespaces = new Map<string, Namespace>();
  for (const [name, { labels, origin }] of declaredNamespaces) {
    namespaces.set(name, { name, labels: { ...labels, [NAMESPACE_NAME_LABEL]: name }, declared: true, origin });
  }
  const reference = (name: string, by: string, origin: Origin | null): void => {
    if (namespaces.has(name)) return;
    namespaces.set(name, { name, labels: { [NAMESPACE_NAME_LABEL]: name }, declared: false, origin: null });
    diagnostics.push({
      severity: 'warning',
      code: 'implicit-namespace',
      origin,
      object: by,
      path: 'metadata.namespace',
      message: `namespace ${JSON.stringify(name)} is not declared; created with only the label ${NAMESPACE_NAME_LABEL}=${name}`,
    });
  };
  const sortedPods = [...pods.values()].sort(compareByName);
  const sortedPolicies = [...policies.values()].sort(compareByName);
  for (const pod of sortedPods) reference(pod.namespace, `Pod ${pod.namespace}/${pod.name}`, pod.origin);
  for (const policy of sortedPolicies) reference(policy.namespace, `NetworkPolicy ${policy.namespace}/${policy.name}`, policy.origin);

  const sortedServices = [...services.values()].sort(compareByName);
  const sortedSlices = [...slices.values()].sort(compareByName);
  for (const service of sortedServices) reference(service.namespace, `Service ${service.namespace}/${service.name}`, service.origin);

  const sortedNamespaces = [...namespaces.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const base: Cluster = {
    namespaces: sortedNamespaces,
    pods: sortedPods,
    policies: sortedPolicies,
    ...(sortedServices.length ? { services: sortedServices } : {}),
    ...(sortedSlices.length ? { endpointSlices: sortedSlices } : {}),
  };
  // Clusters without cluster-scoped policies or nodes keep exactly the shape they always had.
  if (adminPolicies.size === 0 && nodes.size === 0) return { cluster: base, stats: { used, skipped } };
  const sortedNodes = [...nodes.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const ordered = orderAdminPolicies([...adminPolicies.values()], base, diagnostics);
  return { cluster: { ...base, adminPolicies: ordered, nodes: sortedNodes }, stats: { used, skipped } };
}
