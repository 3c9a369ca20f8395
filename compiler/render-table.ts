/** A human summary per pod: isolated or not in each direction, by which policies, how many rules. */
import type { CompiledTables } from './tables.js';

export function renderTable(t: CompiledTables, pods?: readonly string[]): string {
  const wanted = pods && pods.length > 0 ? new Set(pods) : null;
  const rulesOf = new Map<string, number>();
  for (const ref of t.rules) {
    const key = `${ref.policyNamespace}/${ref.policyName}/${ref.direction}`;
    rulesOf.set(key, (rulesOf.get(key) ?? 0) + 1);
  }
  const describe = (table: number, direction: 'ingress' | 'egress'): string => {
    if (table < 0) return 'open (not isolated)';
    const policies = t.tables[table]?.policies ?? [];
    const entries = policies.reduce((n, p) => n + (rulesOf.get(`${p}/${direction}`) ?? 0), 0);
    return `isolated by ${policies.length} polic${policies.length === 1 ? 'y' : 'ies'} (${entries} match entr${entries === 1 ? 'y' : 'ies'}, table ${table}): ${policies.join(', ')}`;
  };
  const lines: string[] = [];
  t.endpointPods.forEach((pod, e) => {
    const name = `${pod.namespace}/${pod.name}`;
    if (wanted && !wanted.has(name)) return;
    lines.push(`${name}  ${pod.ips.map((ip) => ip.text).join(', ')}  identity ${t.endpointIdentity[e]}`);
    lines.push(`  ingress: ${describe(t.endpointIngressTable[e] as number, 'ingress')}`);
    lines.push(`  egress:  ${describe(t.endpointEgressTable[e] as number, 'egress')}`);
    // Cluster-scoped tiers, only when the pod is a subject of some policy of the tier.
    for (const [label, tier] of [['admin tier', t.admin], ['baseline tier', t.baseline]] as const) {
      if (!tier) continue;
      for (const direction of ['ingress', 'egress'] as const) {
        const table = (direction === 'ingress' ? tier.tables.endpointIngressTable : tier.tables.endpointEgressTable)[e] as number;
        if (table < 0) continue;
        const shadowed = label === 'baseline tier' && ((direction === 'ingress' ? t.endpointIngressTable : t.endpointEgressTable)[e] as number) >= 0;
        lines.push(`  ${label} ${direction}: ${(tier.tables.tables[table]?.policies ?? []).join(', ')}${shadowed ? ' (not consulted: a NetworkPolicy isolates the pod)' : ' (in order)'}`);
      }
    }
  });
  lines.push('');
  lines.push(`${t.endpointCount} pod endpoints, ${t.identities.length} identities, ${t.selectorSources.length} selectors, ${t.cidrSetSources.length} CIDR sets, ${t.rules.length} rule entries, ${t.tableCount} tables`);
  for (const [label, tier] of [['admin tier', t.admin], ['baseline tier', t.baseline]] as const) {
    if (tier) lines.push(`${label}: ${tier.tables.rules.length} rule entries, ${tier.tables.tableCount} tables`);
  }
  return `${lines.join('\n')}\n`;
}
