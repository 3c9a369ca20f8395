/**
 * The synthetic cluster means something: on its tier ports it is neither wide open nor shut,
 * and on its realistic shapes (default deny, DNS egress, named ports, ranges, ipBlock except,
 * hostNetwork agents, dual-stack) the compiled tables agree with the naive evaluator.
 */
import { describe, expect, it } from 'vitest';
import { CompiledEngine, NaiveEvaluator, parseIp, type Flow, type FlowVerdict, type IpAddress, type Pod } from '../src/index.js';
import { buildSyntheticCluster } from '../src/synth/generate-cluster.js';
import { SeededRandom } from '../src/synth/seeded-random.js';

const PROTOCOL = { TCP: 6, UDP: 17, SCTP: 132 } as const;

function ip(text: string): IpAddress {
  const parsed = parseIp(text);
  if (!parsed.ok) throw new Error(`bad test address ${text}`);
  return parsed.value;
}

// Inside and outside the generated ipBlocks: the internet, the except ranges, the worker range, nodes.
const EXTERNAL_V4 = ['8.8.8.8', '1.2.3.4', '10.128.1.1', '10.128.5.7', '10.128.6.200', '192.168.1.1', '192.168.100.5', '172.20.0.1', '10.99.0.1'].map(ip);
const EXTERNAL_V6 = ['2001:4860::8888', 'fd00::1', 'fc00::5', '2001:db8:1::1'].map(ip);
const EXTRA_PORTS = [1, 53, 80, 443, 5432, 6379, 8080, 8500, 8999, 9000, 9090, 9100, 9105, 9153, 10256, 31000];

function summary(verdict: FlowVerdict): object {
  const side = (d: FlowVerdict['egress']) => ({ reason: d.reason, allowed: d.allowed, rule: d.rule, isolatedBy: d.isolatedBy, pod: d.pod ? `${d.pod.namespace}/${d.pod.name}` : null });
  return { allowed: verdict.allowed, reason: verdict.reason, egress: side(verdict.egress), ingress: side(verdict.ingress) };
}

/** A flow between pods, nodes and external addresses of one family, on tier ports or others. */
function randomFlow(rng: SeededRandom, endpoints: readonly Pod[], agents: readonly Pod[], family: 4 | 6): Flow {
  const addressOf = (pod: Pod): IpAddress => pod.ips.find((a) => a.family === family) as IpAddress;
  const pick = (podShare: number): { address: IpAddress; pod: Pod | null } => {
    const r = rng.next();
    if (r < podShare) {
      const pod = rng.pick(endpoints);
      return { address: addressOf(pod), pod };
    }
    if (family === 4 && r < podShare + (1 - podShare) / 2) return { address: addressOf(rng.pick(agents)), pod: null };
    return { address: rng.pick(family === 4 ? EXTERNAL_V4 : EXTERNAL_V6), pod: null };
  };
  const src = pick(0.8);
  let dst = pick(0.7);
  // Half the pod-to-pod flows stay in the namespace, where most allow rules are.
  if (src.pod && dst.pod && rng.chance(0.5)) {
    const pod = rng.pick(endpoints.filter((p) => p.namespace === (src.pod as Pod).namespace));
    dst = { address: addressOf(pod), pod };
  }
  const r = rng.next();
  if (r < 0.05) return { src: src.address, dst: dst.address, protocol: family === 4 ? 1 : 58, dstPort: 0 };
  if (dst.pod && r < 0.7) {
    const port = rng.pick(dst.pod.containerPorts);
    return { src: src.address, dst: dst.address, protocol: PROTOCOL[port.protocol], dstPort: port.containerPort };
  }
  return { src: src.address, dst: dst.address, protocol: rng.pick([6, 6, 6, 17, 132]), dstPort: rng.pick(EXTRA_PORTS) };
}

describe('synth - semantics', () => {
  it('synth - tier-port traffic is partly allowed, partly denied', () => {
    const cluster = buildSyntheticCluster({ seed: 1, pods: 200, namespaces: 6, policies: 60 });
    const engine = new CompiledEngine(cluster);
    const endpoints = cluster.pods.filter((p) => !p.hostNetwork && p.namespace !== 'kube-system' && p.namespace !== 'monitoring');
    const rng = new SeededRandom(11);
    let allowed = 0;
    const samples = 2000;
    for (let i = 0; i < samples; i++) {
      const src = rng.pick(endpoints);
      // Half the pairs stay in the source's namespace, as most real traffic does.
      const sameNamespace = endpoints.filter((p) => p.namespace === src.namespace);
      const dst = rng.chance(0.5) && sameNamespace.length > 1 ? rng.pick(sameNamespace) : rng.pick(endpoints);
      const port = rng.pick(dst.containerPorts);
      const verdict = engine.evaluate({ src: src.ips[0] as IpAddress, dst: dst.ips[0] as IpAddress, protocol: PROTOCOL[port.protocol], dstPort: port.containerPort });
      if (verdict.allowed) allowed++;
    }
    expect(allowed / samples).toBeGreaterThan(0.05);
    expect(allowed / samples).toBeLessThan(0.95);
  });

  for (const dualStack of [false, true]) {
    it(`synth - compiled equals naive on 4000 flows over a 200-pod cluster${dualStack ? ' (dual-stack)' : ''}`, () => {
      const cluster = buildSyntheticCluster({ seed: dualStack ? 5 : 4, pods: 200, namespaces: 7, policies: 90, dualStack });
      const naive = new NaiveEvaluator(cluster);
      const compiled = new CompiledEngine(cluster);
      const endpoints = cluster.pods.filter((p) => !p.hostNetwork);
      const agents = cluster.pods.filter((p) => p.hostNetwork);
      const rng = new SeededRandom(dualStack ? 22 : 21);
      const reasons = new Set<number>();
      const rules = new Set<string>();
      let denied = 0;
      let allowedByRule = 0;
      for (let i = 0; i < 4000; i++) {
        const flow = randomFlow(rng, endpoints, agents, dualStack && rng.chance(0.5) ? 6 : 4);
        const expected = naive.evaluate(flow);
        expect(summary(compiled.evaluate(flow)), `${flow.src.text} -> ${flow.dst.text} proto ${flow.protocol} port ${flow.dstPort}`).toEqual(summary(expected));
        reasons.add(expected.egress.reason).add(expected.ingress.reason);
        if (!expected.allowed) denied++;
        else if (expected.egress.rule || expected.ingress.rule) allowedByRule++;
        for (const r of [expected.egress.rule, expected.ingress.rule]) if (r) rules.add(`${r.policyNamespace}/${r.policyName}/${r.direction}/${r.ruleIndex}`);
      }
      // The sample must reach both outcomes and several reasons, or the equality says little.
      expect(denied).toBeGreaterThan(400);
      expect(allowedByRule).toBeGreaterThan(200);
      expect(rules.size).toBeGreaterThan(20);
      expect(reasons.size).toBeGreaterThanOrEqual(4);
    });
  }
});
