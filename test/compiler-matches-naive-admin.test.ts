/**
 * The central property with cluster-scoped policies: on random clusters with random
 * AdminNetworkPolicies, a BaselineAdminNetworkPolicy, ClusterNetworkPolicies (both tiers) and
 * Nodes beside the NetworkPolicies, the compiled tier tables give the same verdict, reason,
 * deciding rule (admin, NetworkPolicy or baseline), Pass rule and isolating policies as the
 * naive evaluator's plain statement of the tiering (SEMANTICS.md §5.2).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompiledEngine, DirectionReason, IncrementalCompiler, NaiveEvaluator, buildCluster, compile, type FlowVerdict } from '../src/index.js';
import { adminClusterArb } from './helpers/random-admin-cluster.js';
import { engineFlow, flowArb, loadRandomCluster, semanticsArb } from './helpers/random-cluster.js';

function summary(verdict: FlowVerdict): object {
  const side = (d: FlowVerdict['egress']) => ({
    reason: d.reason,
    allowed: d.allowed,
    rule: d.rule,
    passedBy: d.passedBy ?? null,
    isolatedBy: d.isolatedBy,
    pod: d.pod ? `${d.pod.namespace}/${d.pod.name}` : null,
  });
  return { allowed: verdict.allowed, reason: verdict.reason, egress: side(verdict.egress), ingress: side(verdict.ingress) };
}

describe('compiler - matches the naive evaluator with admin tiers', () => {
  it('compiler - same verdict, tier, rule and Pass on 1000 random clusters with ANP, BANP and CNP', () => {
    let flowsChecked = 0;
    const reasons = new Map<number, number>();
    let passed = 0;
    fc.assert(
      fc.property(adminClusterArb, semanticsArb, fc.array(flowArb, { minLength: 20, maxLength: 60 }), (random, semantics, flows) => {
        const cluster = loadRandomCluster(random);
        const naive = new NaiveEvaluator(cluster, semantics);
        const compiled = new CompiledEngine(cluster, semantics);
        for (const f of flows) {
          const flow = engineFlow(random, f);
          const expected = naive.evaluate(flow);
          expect(summary(compiled.evaluate(flow)), `${flow.src.text} -> ${flow.dst.text} proto ${f.protocol} port ${flow.dstPort}`).toEqual(summary(expected));
          flowsChecked++;
          for (const side of [expected.egress, expected.ingress]) {
            reasons.set(side.reason, (reasons.get(side.reason) ?? 0) + 1);
            if (side.passedBy) passed++;
          }
        }
      }),
      { numRuns: 1000, seed: Number(process.env['NETPOL_PROPERTY_SEED'] ?? 20261203) },
    );
    if (process.env['NETPOL_PROPERTY_STATS']) console.log({ flowsChecked, passed, reasons });
    // Every tier outcome must occur often, or the property says little about it.
    expect(flowsChecked).toBeGreaterThan(20000);
    for (const reason of [DirectionReason.ADMIN_ALLOW, DirectionReason.ADMIN_DENY, DirectionReason.BASELINE_ALLOW, DirectionReason.BASELINE_DENY, DirectionReason.RULE, DirectionReason.NO_RULE_MATCHED]) {
      expect(reasons.get(reason) ?? 0, `direction reason ${reason}`).toBeGreaterThan(150);
    }
    expect(passed).toBeGreaterThan(150);
  });
});

describe('incremental compiler - admin tiers', () => {
  it('incremental compiler - same tables as compile on 200 random clusters with admin policies, also after dropping them', () => {
    fc.assert(
      fc.property(adminClusterArb, semanticsArb, (random, semantics) => {
        const { cluster } = buildCluster(random.objects, []);
        const incremental = new IncrementalCompiler(semantics);
        expect(incremental.compile(cluster)).toEqual(compile(cluster, semantics));
        // The same compiler, the policies gone: no tier fields left behind.
        const { adminPolicies: _a, nodes: _n, ...plain } = cluster;
        const again = incremental.compile(plain);
        expect(again).toEqual(compile(plain, semantics));
        expect('admin' in again).toBe(false);
      }),
      { numRuns: 200, seed: 20261204 },
    );
  });
});
