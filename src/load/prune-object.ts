/**
 * The fields of a Namespace, Pod or NetworkPolicy that the loader reads (src/load/decode-*.ts),
 * and nothing else. A snapshot keeps only these so it is small, free of secrets held in env or
 * annotations, and still reproduces the same Cluster; the merge step compares file and live
 * objects on these fields only. Values are copied as they are, even of the wrong type, so that
 * a replayed snapshot reports the same diagnostics as the live read.
 */
import { isJsonObject, type Json, type JsonObject } from './object-reader.js';

/** Kinds read from a live cluster, in snapshot order (namespaces first, as `kubectl apply` needs). */
export const LIVE_KINDS = ['Namespace', 'Pod', 'NetworkPolicy', 'Node', 'AdminNetworkPolicy', 'BaselineAdminNetworkPolicy', 'ClusterNetworkPolicy', 'Service', 'EndpointSlice'] as const;
export type LiveKind = (typeof LIVE_KINDS)[number];

export const LIVE_API_VERSIONS: Readonly<Record<LiveKind, string>> = {
  Namespace: 'v1',
  Pod: 'v1',
  NetworkPolicy: 'networking.k8s.io/v1',
  Node: 'v1',
  AdminNetworkPolicy: 'policy.networking.k8s.io/v1alpha1',
  BaselineAdminNetworkPolicy: 'policy.networking.k8s.io/v1alpha1',
  ClusterNetworkPolicy: 'policy.networking.k8s.io/v1alpha2',
  Service: 'v1',
  EndpointSlice: 'discovery.k8s.io/v1',
};

/** Kinds without a namespace. */
const CLUSTER_SCOPED: ReadonlySet<LiveKind> = new Set<LiveKind>(['Namespace', 'Node', 'AdminNetworkPolicy', 'BaselineAdminNetworkPolicy', 'ClusterNetworkPolicy']);

export function isLiveKind(kind: unknown): kind is LiveKind {
  return typeof kind === 'string' && (LIVE_KINDS as readonly string[]).includes(kind);
}

/** Copy `keys` of `source` that are present, in the order given. */
function pick(source: JsonObject, keys: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const key of keys) {
    const value = source[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** Labels with sorted keys, so a snapshot does not depend on the API server's map order. */
function sortedMap(value: Json): Json {
  if (!isJsonObject(value)) return value;
  const out: JsonObject = {};
  for (const key of Object.keys(value).sort()) out[key] = value[key] as Json;
  return out;
}

function pruneMetadata(metadata: Json | undefined, namespaced: boolean): Json | undefined {
  if (metadata === undefined) return undefined;
  if (!isJsonObject(metadata)) return metadata;
  const out = pick(metadata, namespaced ? ['name', 'namespace'] : ['name']);
  if (metadata['labels'] !== undefined) out['labels'] = sortedMap(metadata['labels']);
  return out;
}

function pruneList(value: Json | undefined, prune: (item: JsonObject) => JsonObject): Json | undefined {
  if (!Array.isArray(value)) return value;
  return value.map((item) => (isJsonObject(item) ? prune(item) : item));
}

function prunePodSpec(spec: Json | undefined): Json | undefined {
  if (!isJsonObject(spec)) return spec;
  const out = pick(spec, ['nodeName', 'hostNetwork']);
  // Container names are not read, but kept so a person can tell which container owns a port.
  const containers = pruneList(spec['containers'], (container) => {
    const c = pick(container, ['name']);
    const ports = pruneList(container['ports'], (port) => pick(port, ['name', 'containerPort', 'protocol']));
    if (ports !== undefined) c['ports'] = ports;
    return c;
  });
  if (containers !== undefined) out['containers'] = containers;
  return out;
}

function prunePodStatus(status: Json | undefined): Json | undefined {
  if (!isJsonObject(status)) return status;
  const out = pick(status, ['phase', 'podIP']);
  const podIPs = pruneList(status['podIPs'], (entry) => pick(entry, ['ip']));
  if (podIPs !== undefined) out['podIPs'] = podIPs;
  if (status['hostIP'] !== undefined) out['hostIP'] = status['hostIP'];
  return out;
}

/**
 * The object reduced to apiVersion, kind and the fields the emulator uses; objects of other
 * kinds are returned unchanged (the loader skips them with an info diagnostic).
 */
export function pruneObject(object: JsonObject): JsonObject {
  const kind = object['kind'];
  if (!isLiveKind(kind)) return object;
  const out = pick(object, ['apiVersion', 'kind']);
  const metadata = pruneMetadata(object['metadata'], !CLUSTER_SCOPED.has(kind));
  if (metadata !== undefined) out['metadata'] = metadata;
  if (kind === 'Pod') {
    const spec = prunePodSpec(object['spec']);
    if (spec !== undefined) out['spec'] = spec;
    const status = prunePodStatus(object['status']);
    if (status !== undefined) out['status'] = status;
  } else if (kind === 'Node') {
    // `nodes` peers match the IPs of status.addresses.
    const status = object['status'];
    if (isJsonObject(status)) {
      const addresses = pruneList(status['addresses'], (entry) => pick(entry, ['type', 'address']));
      if (addresses !== undefined) out['status'] = { addresses };
    } else if (status !== undefined) out['status'] = status;
  } else if (kind === 'Service') {
    const spec = object['spec'];
    if (spec !== undefined) {
      out['spec'] = isJsonObject(spec)
        ? pick(spec, ['type', 'clusterIP', 'clusterIPs', 'externalIPs', 'selector', 'ports', 'externalTrafficPolicy', 'internalTrafficPolicy', 'sessionAffinity'])
        : spec;
    }
    const status = object['status'];
    if (isJsonObject(status) && status['loadBalancer'] !== undefined) out['status'] = { loadBalancer: status['loadBalancer'] as Json };
  } else if (kind === 'EndpointSlice') {
    const kept = pick(object, ['addressType', 'ports']);
    Object.assign(out, kept);
    const endpoints = pruneList(object['endpoints'], (e) => {
      const p = pick(e, ['addresses', 'conditions', 'nodeName']);
      if (isJsonObject(e['targetRef'])) p['targetRef'] = pick(e['targetRef'], ['kind', 'namespace', 'name']);
      return p;
    });
    if (endpoints !== undefined) out['endpoints'] = endpoints;
  } else if (kind !== 'Namespace') {
    // The whole spec: every field of it changes what the policy selects or allows.
    if (object['spec'] !== undefined) out['spec'] = object['spec'];
  }
  return out;
}

/** JSON with object keys sorted at every level: equal objects give equal text. */
export function canonicalJson(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isJsonObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] as Json)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** `kind/namespace/name` for the three live kinds (namespace defaulted as the loader does), else null. */
export function objectIdentity(object: JsonObject): { kind: LiveKind; namespace: string; name: string } | null {
  const kind = object['kind'];
  if (!isLiveKind(kind)) return null;
  const metadata = object['metadata'];
  if (!isJsonObject(metadata)) return null;
  const name = metadata['name'];
  if (typeof name !== 'string' || name === '') return null;
  if (CLUSTER_SCOPED.has(kind)) return { kind, namespace: '', name };
  const namespace = metadata['namespace'];
  // decodeMetadata defaults a missing namespace to `default`, as kubectl does.
  if (namespace === undefined || namespace === null) return { kind, namespace: 'default', name };
  return typeof namespace === 'string' ? { kind, namespace, name } : null;
}
