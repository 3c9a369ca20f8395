/**
 * The evaluation order of cluster-scoped policies (SEMANTICS.md §5.2): Admin tier before
 * Baseline, then priority ascending. Equal priorities are undefined upstream ("the
 * implementation can apply any of the matching policies"); we break ties by kind, then name,
 * and warn when two such policies select a common pod, naming both and the order we chose.
 */
import type { AdminPolicy, Cluster, Pod } from '../../compiler/model.js';
import { adminPolicyName } from '../../compiler/model.js';
import type { Diagnostic } from '../diagnostics.js';
import { labelsMatch } from '../naive/naive-evaluator.js';

const TIER_ORDER = { Admin: 0, Baseline: 1 } as const;

export function compareAdminPolicies(a: AdminPolicy, b: AdminPolicy): number {
  if (a.tier !== b.tier) return TIER_ORDER[a.tier] - TIER_ORDER[b.tier];
  if (a.priority !== b.priority) return a.priority - b.priority;
  if (a.kind !== b.kind) return a.kind < b.kind ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function selects(policy: AdminPolicy, pod: Pod, cluster: Cluster): boolean {
  if (pod.hostNetwork) return false;
  const namespace = cluster.namespaces.find((ns) => ns.name === pod.namespace);
  if (!namespace || !labelsMatch(policy.subject.namespaceSelector, namespace.labels)) return false;
  return policy.subject.podSelector === null || labelsMatch(policy.subject.podSelector, pod.labels);
}

export function orderAdminPolicies(policies: readonly AdminPolicy[], cluster: Cluster, diagnostics: Diagnostic[]): AdminPolicy[] {
  const ordered = [...policies].sort(compareAdminPolicies);
  for (let i = 0; i < ordered.length; i++) {
    for (let j = i + 1; j < ordered.length; j++) {
      const a = ordered[i] as AdminPolicy;
      const b = ordered[j] as AdminPolicy;
      if (a.tier !== b.tier || a.priority !== b.priority) break;
      const shared = cluster.pods.find((pod) => selects(a, pod, cluster) && selects(b, pod, cluster));
      if (!shared) continue;
      diagnostics.push({
        severity: 'warning',
        code: 'ambiguous-priority',
        origin: b.origin,
        object: `${b.kind} ${b.name}`,
        path: 'spec.priority',
        message: `${adminPolicyName(a)} and ${adminPolicyName(b)} have the same priority ${a.priority} and both select pod ${shared.namespace}/${shared.name}: their order is undefined upstream; netpol-emu evaluates ${adminPolicyName(a)} first (kind, then name)`,
      });
    }
  }
  return ordered;
}
