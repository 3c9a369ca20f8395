/**
 * Rule coverage's "every allow rule that would let this flow through": on random clusters (with
 * and without admin tiers) and random flows, the compiled tables' list (FlowClassifier
 * .listAllowRules) names the same rules as the naive evaluator's (NaiveEvaluator.allowRules),
 * and the first of each direction is the rule `evaluate` reports.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FlowClassifier, NaiveEvaluator, buildCluster, compile, formatRuleRef, parseIp, ruleRefOf, type IpAddress, type PolicySemantics } from '../src/index.js';
import { clusterArb, flowAddresses, flowArb, semanticsArb, type RandomCluster } from './helpers/random-cluster.js';
import { adminClusterArb } from './helpers/random-admin-cluster.js';

function words(ip: IpAddress): Uint32Array {
  const out = new Uint32Array(4);
  if (ip.family === 4) out[0] = Number(ip.value);
  else for (let i = 0; i < 4; i++) out[i] = Number((ip.value >> BigInt(96 - 32 * i)) & 0xffffffffn);
  return out;
}

interface Stats {
  flows: number;
  listed: number;
  severalPerDirection: number;
}

function check(random: RandomCluster, semantics: PolicySemantics, flows: readonly Parameters<typeof flowAddresses>[1][], stats: Stats): void {
  const { cluster } = buildCluster(random.objects, []);
  const naive = new NaiveEvaluator(cluster, semantics);
  const tables = compile(cluster, semantics);
  const classifier = new FlowClassifier(tables);
  for (const f of flows) {
    const addresses = flowAddresses(random, f);
    const src = parseIp(addresses.src);
    const dst = parseIp(addresses.dst);
    if (!src.ok || !dst.ok || src.value.family !== dst.value.family) continue;
    const hasPorts = f.protocol === 6 || f.protocol === 17 || f.protocol === 132;
    const flow = { src: src.value, dst: dst.value, protocol: f.protocol, dstPort: hasPorts ? f.port : 0 };
    const expected = naive.allowRules(flow);
    const n = classifier.listAllowRules(src.value.family, words(src.value), 0, words(dst.value), 0, flow.protocol, flow.dstPort);
    const listed: string[] = [];
    for (let i = 0; i < n; i++) {
      const ref = ruleRefOf(tables, classifier.allowRules[i] as number);
      listed.push(ref ? formatRuleRef(ref) : `unknown rule ${classifier.allowRules[i]}`);
    }
    const context = `${src.value.text} -> ${dst.value.text} proto ${flow.protocol} port ${flow.dstPort}`;
    expect(listed.sort(), context).toEqual(expected.rules.map(formatRuleRef).sort());
    expect(classifier.reason, context).toBe(expected.verdict.reason);
    // The deciding rule of a direction is among those listed whenever an allow rule decided it.
    for (const side of [expected.verdict.egress, expected.verdict.ingress]) {
      if (side.allowed && side.rule !== null) expect(listed, context).toContain(formatRuleRef(side.rule));
    }
    stats.flows++;
    stats.listed += n;
    const egress = expected.rules.filter((r) => r.direction === 'egress').length;
    if (egress > 1 || n - egress > 1) stats.severalPerDirection++;
  }
}

describe('coverage - allow rules listed by both engines', () => {
  it('coverage - compiled listAllowRules equals naive allowRules on 500 random clusters', () => {
    const stats: Stats = { flows: 0, listed: 0, severalPerDirection: 0 };
    fc.assert(
      fc.property(clusterArb, semanticsArb, fc.array(flowArb, { minLength: 20, maxLength: 60 }), (random, semantics, flows) => check(random, semantics, flows, stats)),
      { numRuns: 500, seed: Number(process.env['NETPOL_PROPERTY_SEED'] ?? 20261203) },
    );
    expect(stats.flows).toBeGreaterThan(10000);
    expect(stats.listed).toBeGreaterThan(1000);
    // Flows matched by more than one rule in a direction: what coverage adds over "first match".
    expect(stats.severalPerDirection).toBeGreaterThan(100);
  });

  it('coverage - compiled listAllowRules equals naive allowRules on 200 random clusters with admin tiers', () => {
    const stats: Stats = { flows: 0, listed: 0, severalPerDirection: 0 };
    fc.assert(
      fc.property(adminClusterArb, semanticsArb, fc.array(flowArb, { minLength: 20, maxLength: 40 }), (random, semantics, flows) => check(random, semantics, flows, stats)),
      { numRuns: 200, seed: Number(process.env['NETPOL_PROPERTY_SEED'] ?? 20261204) },
    );
    expect(stats.flows).toBeGreaterThan(3000);
    expect(stats.listed).toBeGreaterThan(300);
  });
});
