/**
 * Phase 1: pod endpoints and identities. An identity is a distinct (namespace, pod labels) pair,
 * like Cilium's security identities: every pod with the same labels in the same namespace is
 * selected by the same selectors, so selectors are resolved once per identity, not per pod.
 */
import type { Cluster, IpAddress, Pod } from './model.js';
import type { IdentityInfo } from './tables.js';

export interface Endpoints {
  readonly pods: readonly Pod[];
  readonly identityOf: Int32Array;
  readonly identities: readonly IdentityInfo[];
  /** Namespace index of each identity (into `namespaceNames`). */
  readonly identityNamespace: Int32Array;
  readonly namespaceNames: readonly string[];
  /** Key of each identity (namespace + sorted labels): equal keys, equal identity. */
  readonly identityKeys: readonly string[];
}

/**
 * Only pods that own their IPs are endpoints: a pod without an IP cannot be addressed, a
 * finished pod's IP may be reused, and hostNetwork pods are node traffic (SEMANTICS.md §1.3
 * option (b), §4 #6 and #15).
 */
export function isEndpoint(pod: Pod): boolean {
  return pod.ips.length > 0 && !pod.hostNetwork && pod.phase !== 'Succeeded' && pod.phase !== 'Failed';
}

export function labelKey(namespace: string, labels: Readonly<Record<string, string>>): string {
  const keys = Object.keys(labels).sort();
  return JSON.stringify([namespace, ...keys.map((k) => [k, labels[k]])]);
}

/** `keyOf` may memoize `labelKey` per pod object (compiler/incremental-compile.ts). */
export function internIdentities(cluster: Cluster, keyOf: (pod: Pod) => string = (pod) => labelKey(pod.namespace, pod.labels)): Endpoints {
  const pods = cluster.pods.filter(isEndpoint);
  const namespaceNames = cluster.namespaces.map((ns) => ns.name);
  const namespaceIndex = new Map(namespaceNames.map((name, i) => [name, i]));
  const byKey = new Map<string, number>();
  const identities: IdentityInfo[] = [];
  const identityNamespace: number[] = [];
  const identityKeys: string[] = [];
  const identityOf = new Int32Array(pods.length);
  pods.forEach((pod, e) => {
    const key = keyOf(pod);
    let id = byKey.get(key);
    if (id === undefined) {
      id = identities.length;
      byKey.set(key, id);
      identityKeys.push(key);
      identities.push({ namespace: pod.namespace, labels: pod.labels });
      identityNamespace.push(namespaceIndex.get(pod.namespace) ?? -1);
    }
    identityOf[e] = id;
  });
  return { pods, identityOf, identities, identityNamespace: Int32Array.from(identityNamespace), namespaceNames, identityKeys };
}

/** An address as the 4 big-endian words the dataplane uses (IPv4 in word 0). */
export function addressWords(ip: { readonly family: 4 | 6; readonly value: bigint }): [number, number, number, number] {
  if (ip.family === 4) return [Number(ip.value), 0, 0, 0];
  const v = ip.value;
  return [Number((v >> 96n) & 0xffffffffn), Number((v >> 64n) & 0xffffffffn), Number((v >> 32n) & 0xffffffffn), Number(v & 0xffffffffn)];
}

export type { IpAddress };
