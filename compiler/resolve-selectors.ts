/**
 * Phase 2: the selector cache. Label selectors are resolved against identities (and namespace
 * selectors against namespaces) through an inverted index — label pair → bitset — so a selector
 * costs a few bitset operations instead of a scan. Each distinct peer selector is resolved once
 * and gets a numeric id (Cilium's SelectorCache).
 */
import { Bitset } from './bitset.js';
import type { Endpoints } from './intern-identities.js';
import type { Cluster, LabelSelector, Labels, NetworkPolicy, PolicyPeer } from './model.js';
import type { SelectorSource } from './tables.js';

/** Inverted index over a universe of labelled items. */
export class LabelIndex {
  private readonly byPair = new Map<string, Bitset>();
  private readonly byKey = new Map<string, Bitset>();

  constructor(
    private readonly size: number,
    labelsOf: readonly Labels[],
  ) {
    labelsOf.forEach((labels, item) => {
      for (const [key, value] of Object.entries(labels)) {
        this.setFor(this.byPair, `${key}\u0000${value}`).add(item);
        this.setFor(this.byKey, key).add(item);
      }
    });
  }

  private setFor(map: Map<string, Bitset>, key: string): Bitset {
    let set = map.get(key);
    if (!set) {
      set = new Bitset(this.size);
      map.set(key, set);
    }
    return set;
  }

  private pair(key: string, value: string): Bitset {
    return this.byPair.get(`${key}\u0000${value}`) ?? new Bitset(this.size);
  }

  private anyOf(key: string, values: readonly string[]): Bitset {
    const set = new Bitset(this.size);
    for (const value of values) set.or(this.pair(key, value));
    return set;
  }

  resolve(selector: LabelSelector): Bitset {
    const result = Bitset.full(this.size);
    for (const [key, value] of Object.entries(selector.matchLabels)) result.and(this.pair(key, value));
    for (const requirement of selector.matchExpressions) {
      const withKey = this.byKey.get(requirement.key) ?? new Bitset(this.size);
      switch (requirement.operator) {
        case 'In':
          result.and(this.anyOf(requirement.key, requirement.values));
          break;
        case 'NotIn':
          // Items without the key are in the complement too: NotIn matches absent keys.
          result.and(this.anyOf(requirement.key, requirement.values).not());
          break;
        case 'Exists':
          result.and(withKey);
          break;
        case 'DoesNotExist':
          result.and(withKey.clone().not());
          break;
      }
    }
    return result;
  }
}

export interface SelectorCache {
  /** Identity bitset of peer selector id. */
  readonly selectors: readonly Bitset[];
  readonly sources: readonly SelectorSource[];
  /** Returns the id of a peer selector (podSelector and/or namespaceSelector) in `policy`'s context. */
  peerSelectorId(peer: PolicyPeer, policy: NetworkPolicy): number;
  /** Identities a policy's spec.podSelector selects (only in the policy's namespace). */
  policySubjects(policy: NetworkPolicy): Bitset;
}

/** Resolves selectors against one set of identities and namespaces (no ids, no memo). */
export interface SelectorResolver {
  /** Identities a peer's podSelector and/or namespaceSelector select, in `namespace`'s context. */
  peer(peer: PolicyPeer, namespace: string): Bitset;
  /** Identities a policy's spec.podSelector selects (only in the policy's namespace). */
  subjects(namespace: string, podSelector: LabelSelector): Bitset;
}

export function createSelectorResolver(cluster: Cluster, endpoints: Endpoints): SelectorResolver {
  const identityCount = endpoints.identities.length;
  const identityIndex = new LabelIndex(identityCount, endpoints.identities.map((identity) => identity.labels));
  const namespaceIndex = new LabelIndex(cluster.namespaces.length, cluster.namespaces.map((ns) => ns.labels));
  // Identities living in each namespace, by namespace index.
  const inNamespace = cluster.namespaces.map(() => new Bitset(identityCount));
  endpoints.identityNamespace.forEach((ns, identity) => {
    if (ns >= 0) inNamespace[ns]?.add(identity);
  });
  const namespaceByName = new Map(cluster.namespaces.map((ns, i) => [ns.name, i]));
  const identitiesOfNamespaces = (namespaces: Bitset): Bitset => {
    const set = new Bitset(identityCount);
    for (const ns of namespaces.members()) set.or(inNamespace[ns] as Bitset);
    return set;
  };
  const identitiesOfNamespace = (name: string): Bitset => {
    const index = namespaceByName.get(name);
    return index === undefined ? new Bitset(identityCount) : (inNamespace[index] as Bitset).clone();
  };
  return {
    peer(peer, namespace) {
      // namespaceSelector absent → the policy's own namespace; podSelector absent → all pods there.
      const set = peer.namespaceSelector === null ? identitiesOfNamespace(namespace) : identitiesOfNamespaces(namespaceIndex.resolve(peer.namespaceSelector));
      if (peer.podSelector !== null) set.and(identityIndex.resolve(peer.podSelector));
      return set;
    },
    subjects(namespace, podSelector) {
      return identitiesOfNamespace(namespace).and(identityIndex.resolve(podSelector));
    },
  };
}

/** Key of a peer selector: equal keys select the same identities (the policy namespace matters only without namespaceSelector). */
export function peerSelectorKey(peer: PolicyPeer, namespace: string): string {
  return JSON.stringify([peer.podSelector, peer.namespaceSelector ?? `same:${namespace}`]);
}

export function createSelectorCache(cluster: Cluster, endpoints: Endpoints): SelectorCache {
  const resolver = createSelectorResolver(cluster, endpoints);
  const selectors: Bitset[] = [];
  const sources: SelectorSource[] = [];
  const idByKey = new Map<string, number>();
  return {
    selectors,
    sources,
    peerSelectorId(peer, policy) {
      const key = peerSelectorKey(peer, policy.namespace);
      let id = idByKey.get(key);
      if (id !== undefined) return id;
      id = selectors.length;
      selectors.push(resolver.peer(peer, policy.namespace));
      sources.push({ podSelector: peer.podSelector, namespaceSelector: peer.namespaceSelector, namespace: policy.namespace });
      idByKey.set(key, id);
      return id;
    },
    policySubjects(policy) {
      return resolver.subjects(policy.namespace, policy.podSelector);
    },
  };
}
