/**
 * The central property: on random clusters (every policy field, defaulting included) and random
 * flows, the compiled tables give the same verdict, reason, deciding rules and isolating policies
 * as the naive evaluator, which is the spec written plainly (with each profile switch's
 * deviation). A second run draws policies shaped for the switches that deviate from the spec
 * (kube-router's), which random policies rarely meet, and requires each of them to change verdicts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompiledEngine, NaiveEvaluator, UPSTREAM_SEMANTICS, type FlowVerdict, type PolicySemantics } from '../src/index.js';
import { KUBE_ROUTER_SEMANTICS, clusterArb, deviationClusterArb, deviationFlowArb, engineFlow, flowArb, loadRandomCluster, randomSemanticsArb, semanticsArb, type RandomCluster, type RandomFlow } from './helpers/random-cluster.js';

function summary(verdict: FlowVerdict): object {
  const side = (d: FlowVerdict['egress']) => ({ reason: d.reason, allowed: d.allowed, rule: d.rule, isolatedBy: d.isolatedBy, pod: d.pod ? `${d.pod.namespace}/${d.pod.name}` : null });
  return { allowed: verdict.allowed, reason: verdict.reason, egress: side(verdict.egress), ingress: side(verdict.ingress) };
}

/** Switches with a value that deviates from the spec in a profile (the spec value is upstream's). */
const DEVIATIONS = ['ipBlockMatch', 'bothTypesRules', 'unresolvedNamedPorts', 'egressNamedPorts'] as const;

interface Stats {
  flowsChecked: number;
  allowedByRule: number;
  denied: number;
  readonly histogram: Map<string, number>;
  /** Per deviating switch: flows whose verdict it changes (the naive evaluator with it set back to the spec). */
  readonly changedBy: Map<string, number>;
}

const newStats = (): Stats => ({ flowsChecked: 0, allowedByRule: 0, denied: 0, histogram: new Map(), changedBy: new Map(DEVIATIONS.map((name) => [name, 0])) });

function check(random: RandomCluster, semantics: PolicySemantics, flows: readonly RandomFlow[], stats: Stats): void {
  const cluster = loadRandomCluster(random);
  const naive = new NaiveEvaluator(cluster, semantics);
  const compiled = new CompiledEngine(cluster, semantics);
  const specFor = DEVIATIONS.filter((name) => semantics[name] !== UPSTREAM_SEMANTICS[name]).map((name) => ({ name, naive: new NaiveEvaluator(cluster, { ...semantics, [name]: UPSTREAM_SEMANTICS[name] }) }));
  for (const f of flows) {
    const flow = engineFlow(random, f);
    const expected = naive.evaluate(flow);
    expect(summary(compiled.evaluate(flow)), `${flow.src.text} -> ${flow.dst.text} proto ${f.protocol} port ${flow.dstPort}`).toEqual(summary(expected));
    stats.flowsChecked++;
    for (const spec of specFor) if (spec.naive.evaluate(flow).allowed !== expected.allowed) stats.changedBy.set(spec.name, (stats.changedBy.get(spec.name) ?? 0) + 1);
    const key = `${expected.egress.reason}/${expected.ingress.reason}`;
    stats.histogram.set(key, (stats.histogram.get(key) ?? 0) + 1);
    if (!expected.allowed) stats.denied++;
    else if (expected.egress.rule || expected.ingress.rule) stats.allowedByRule++;
  }
}

const seed = Number(process.env['NETPOL_PROPERTY_SEED'] ?? 20261121);

describe('compiler - matches the naive evaluator', () => {
  it('compiler - same verdict, reason and rule on 1000 random clusters and CNI switch settings', () => {
    const stats = newStats();
    fc.assert(
      fc.property(clusterArb, semanticsArb, fc.array(flowArb, { minLength: 20, maxLength: 60 }), (random, semantics, flows) => check(random, semantics, flows, stats)),
      { numRuns: 1000, seed },
    );
    if (process.env['NETPOL_PROPERTY_STATS']) console.log(stats);
    // The generators must exercise both outcomes, or the property says little.
    expect(stats.flowsChecked).toBeGreaterThan(20000);
    expect(stats.denied).toBeGreaterThan(2000);
    expect(stats.allowedByRule).toBeGreaterThan(1000);
  });

  it('compiler - same verdict, reason and rule on 600 clusters shaped for the deviating switches (kube-router\'s), each of which changes verdicts', () => {
    const stats = newStats();
    const deviating = fc.oneof({ arbitrary: fc.constant(KUBE_ROUTER_SEMANTICS), weight: 2 }, { arbitrary: randomSemanticsArb, weight: 1 });
    fc.assert(
      fc.property(deviationClusterArb, deviating, fc.array(deviationFlowArb, { minLength: 20, maxLength: 60 }), (random, semantics, flows) => check(random, semantics, flows, stats)),
      { numRuns: 600, seed },
    );
    if (process.env['NETPOL_PROPERTY_STATS']) console.log(stats);
    for (const [name, changed] of stats.changedBy) expect(changed, `flows whose verdict ${name} changes`).toBeGreaterThan(10);
  });
});
