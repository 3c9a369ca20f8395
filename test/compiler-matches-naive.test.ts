/**
 * The central property: on random clusters (every policy field, defaulting included) and random
 * flows, the compiled tables give the same verdict, reason, deciding rules and isolating policies
 * as the naive evaluator, which is the spec written plainly.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompiledEngine, NaiveEvaluator, type FlowVerdict } from '../src/index.js';
import { clusterArb, engineFlow, flowArb, loadRandomCluster, semanticsArb } from './helpers/random-cluster.js';

function summary(verdict: FlowVerdict): object {
  const side = (d: FlowVerdict['egress']) => ({ reason: d.reason, allowed: d.allowed, rule: d.rule, isolatedBy: d.isolatedBy, pod: d.pod ? `${d.pod.namespace}/${d.pod.name}` : null });
  return { allowed: verdict.allowed, reason: verdict.reason, egress: side(verdict.egress), ingress: side(verdict.ingress) };
}

describe('compiler - matches the naive evaluator', () => {
  it('compiler - same verdict, reason and rule on 1000 random clusters and CNI switch settings', () => {
    let flowsChecked = 0;
    let allowedByRule = 0;
    let denied = 0;
    const histogram = new Map<string, number>();
    fc.assert(
      fc.property(clusterArb, semanticsArb, fc.array(flowArb, { minLength: 20, maxLength: 60 }), (random, semantics, flows) => {
        const cluster = loadRandomCluster(random);
        const naive = new NaiveEvaluator(cluster, semantics);
        const compiled = new CompiledEngine(cluster, semantics);
        for (const f of flows) {
          const flow = engineFlow(random, f);
          const expected = naive.evaluate(flow);
          expect(summary(compiled.evaluate(flow)), `${flow.src.text} -> ${flow.dst.text} proto ${f.protocol} port ${flow.dstPort}`).toEqual(summary(expected));
          flowsChecked++;
          const key = `${expected.egress.reason}/${expected.ingress.reason}`;
          histogram.set(key, (histogram.get(key) ?? 0) + 1);
          if (!expected.allowed) denied++;
          else if (expected.egress.rule || expected.ingress.rule) allowedByRule++;
        }
      }),
      { numRuns: 1000, seed: Number(process.env['NETPOL_PROPERTY_SEED'] ?? 20261121) },
    );
    if (process.env['NETPOL_PROPERTY_STATS']) console.log({ flowsChecked, denied, allowedByRule, histogram });
    // The generators must exercise both outcomes, or the property says little.
    expect(flowsChecked).toBeGreaterThan(20000);
    expect(denied).toBeGreaterThan(2000);
    expect(allowedByRule).toBeGreaterThan(1000);
  });
});
