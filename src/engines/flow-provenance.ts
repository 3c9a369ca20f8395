/**
 * What reports need to turn the dataplane's numbers back into names: endpoint → pod, rule id →
 * RuleRef, endpoint + direction → the policies isolating it. One implementation per engine.
 */
import { ruleRefOf, type CompiledTables } from '../../compiler/tables.js';
import type { Pod } from '../../compiler/model.js';
import type { RuleRef } from '../../compiler/verdict.js';

export interface FlowProvenance {
  pod(endpoint: number): Pod | null;
  rule(id: number): RuleRef | null;
  isolatedBy(endpoint: number, direction: 'ingress' | 'egress'): readonly string[];
}

export function compiledProvenance(t: CompiledTables): FlowProvenance {
  return {
    pod: (e) => (e >= 0 ? (t.endpointPods[e] ?? null) : null),
    rule: (id) => ruleRefOf(t, id),
    isolatedBy: (e, direction) => {
      if (e < 0) return [];
      const table = (direction === 'ingress' ? t.endpointIngressTable : t.endpointEgressTable)[e] as number;
      return table < 0 ? [] : (t.tables[table]?.policies ?? []);
    },
  };
}
