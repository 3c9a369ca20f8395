/**
 * `compile(cluster)`: the compiler's one-shot entry. Pure: cluster model in, tables out.
 * Phases: intern identities → selector cache → CIDR classes → lower rules → build per-pod tables
 * → flatten into typed arrays (compiler/tables.ts). Output is deterministic: ids follow the
 * cluster's sorted order, so compiled tables diff cleanly.
 */
import { assembleTables, DIRECT_NUMBERING } from './assemble-tables.js';
import { SharedTables, namedPortSignature } from './build-tables.js';
import { buildCidrClasses } from './cidr-classes.js';
import { internIdentities } from './intern-identities.js';
import { lowerPolicies, type LoweredPolicy } from './lower-rules.js';
import { compileAdminTiers } from './lower-admin-policies.js';
import type { Cluster, IpBlock, NetworkPolicy, Pod, PolicyPeer } from './model.js';
import { UPSTREAM_SEMANTICS, type PolicySemantics } from './policy-semantics.js';
import { needsPortScope, resolvePortScope, type PortScope } from './resolve-port-scopes.js';
import { createSelectorCache, createSelectorResolver, type SelectorResolver } from './resolve-selectors.js';
import type { CompiledTables } from './tables.js';

/** `name/PROTOCOL` of port names that stand for more than one number across pod endpoints. */
export function conflictingPortNames(pods: readonly Pod[]): Set<string> {
  const numbers = new Map<string, Set<number>>();
  for (const pod of pods) {
    for (const c of pod.containerPorts) {
      if (c.name === null) continue;
      const key = `${c.name}/${c.protocol}`;
      const set = numbers.get(key) ?? new Set<number>();
      set.add(c.containerPort);
      numbers.set(key, set);
    }
  }
  return new Set([...numbers].filter(([, set]) => set.size > 1).map(([key]) => key));
}

/** Named ports some profiles resolve on pods while writing a policy (compiler/resolve-port-scopes.ts). */
function portScopes(cluster: Cluster, endpoints: ReturnType<typeof internIdentities>, semantics: PolicySemantics): (policy: NetworkPolicy) => PortScope | null {
  let resolver: SelectorResolver | null = null;
  const input = {
    pods: endpoints.pods,
    identityOf: endpoints.identityOf,
    subjects: (policy: NetworkPolicy) => (resolver ??= createSelectorResolver(cluster, endpoints)).subjects(policy.namespace, policy.podSelector),
    peerMembers: (peer: PolicyPeer, policy: NetworkPolicy) => (resolver ??= createSelectorResolver(cluster, endpoints)).peer(peer, policy.namespace),
  };
  return (policy) => (needsPortScope(policy, semantics) ? resolvePortScope(policy, semantics, input) : null);
}

export function compile(cluster: Cluster, semantics: PolicySemantics = UPSTREAM_SEMANTICS): CompiledTables {
  const endpoints = internIdentities(cluster);
  const selectors = createSelectorCache(cluster, endpoints);
  const blocks: IpBlock[] = [];
  for (const policy of cluster.policies) {
    for (const rule of [...policy.ingress, ...policy.egress]) for (const peer of rule.peers) if (peer.ipBlock) blocks.push(peer.ipBlock);
  }
  const cidrs = buildCidrClasses(blocks, semantics.ipBlockMatch);
  const conflicts = semantics.namedPortConflict === 'skip-rule' ? conflictingPortNames(endpoints.pods) : new Set<string>();
  const { lowered, rules, ruleMatches } = lowerPolicies(cluster.policies, selectors, cidrs, semantics, conflicts, portScopes(cluster, endpoints, semantics));

  // Which policies select each identity, per direction, in policy order.
  const identityCount = endpoints.identities.length;
  const selecting = { ingress: endpoints.identities.map(() => [] as number[]), egress: endpoints.identities.map(() => [] as number[]) };
  lowered.forEach((lp, index) => {
    const subjects = selectors.policySubjects(lp.policy);
    const ingress = lp.policy.policyTypes.includes('Ingress');
    const egress = lp.policy.policyTypes.includes('Egress');
    for (const identity of subjects.members()) {
      if (identity >= identityCount) continue;
      if (ingress) selecting.ingress[identity]?.push(index);
      if (egress) selecting.egress[identity]?.push(index);
    }
  });

  // Per endpoint and direction, find or build the shared table.
  const shared = new SharedTables(endpoints.pods.length);
  const { tables, endpointTable } = shared;
  for (const direction of ['ingress', 'egress'] as const) {
    // Pods of one identity are selected by the same policies: their key prefix is made once.
    const prefixByIdentity = new Map<number, { key: string; policies: LoweredPolicy[]; namedDependent: boolean }>();
    endpoints.pods.forEach((pod, e) => {
      const identity = endpoints.identityOf[e] as number;
      const policyIndexes = selecting[direction][identity] as number[];
      if (policyIndexes.length === 0) return;
      let prefix = prefixByIdentity.get(identity);
      if (prefix === undefined) {
        const policies = policyIndexes.map((i) => lowered[i] as LoweredPolicy);
        prefix = { key: `${direction}|${policyIndexes.join(',')}|`, policies, namedDependent: direction === 'ingress' && policies.some((p) => p.hasNamedPorts.ingress) };
        prefixByIdentity.set(identity, prefix);
      }
      const { policies, namedDependent } = prefix;
      shared.assign(direction, e, namedDependent ? prefix.key + namedPortSignature(pod) : prefix.key, policies, pod);
    });
  }

  const assembled = assembleTables({
    cluster,
    semantics,
    endpoints,
    cidrs,
    selectorSets: selectors.selectors,
    selectorSources: selectors.sources,
    tables,
    tableInfos: tables.map((t) => t.info),
    endpointTable,
    numbering: DIRECT_NUMBERING,
    rules,
    ruleMatches,
  });
  // Cluster-scoped policies: tier tables beside these (compiler/lower-admin-policies.ts).
  return cluster.adminPolicies && cluster.adminPolicies.length > 0 ? { ...assembled, ...compileAdminTiers(cluster, endpoints, semantics) } : assembled;
}
