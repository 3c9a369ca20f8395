import { describe, expect, it } from 'vitest';
import { DirectionReason, Reason } from '../compiler/verdict.js';
import { load, namespace, pod, rule, type World } from './naive-harness.js';

// SEMANTICS.md §1.2–1.3: a rule with no peers matches every source, one with no ports every
// port of every protocol; `ingress: []` and a missing `ingress` only isolate.
const base = [
  namespace('shape'),
  pod({ ns: 'shape', name: 'server', ip: '10.0.0.1', labels: { app: 'server' } }),
  pod({ ns: 'shape', name: 'client', ip: '10.0.0.2', labels: { app: 'client' } }),
];
const EXTERNAL = '198.51.100.9';

function ingressPolicy(ingressYaml: string): string {
  return `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: pol, namespace: shape}
spec:
  podSelector: {matchLabels: {app: server}}
  policyTypes: [Ingress]
${ingressYaml}`;
}

/** The verdicts of a fixed set of flows into the server, to compare two spellings of a rule. */
function probe(w: World): string[] {
  return [
    w.tcp(EXTERNAL, '10.0.0.1', 80),
    w.tcp('10.0.0.2', '10.0.0.1', 80),
    w.tcp('10.0.0.2', '10.0.0.1', 81),
    w.udp(EXTERNAL, '10.0.0.1', 53),
    w.sctp(EXTERNAL, '10.0.0.1', 9),
    w.icmp(EXTERNAL, '10.0.0.1'),
  ].map((v) => `${v.reason} ${JSON.stringify(v.ingress.rule)}`);
}

describe('naive rule shapes', () => {
  it('naive rule shapes - ingress: [{}] allows every source, port and protocol, ICMP included', () => {
    const w = load(...base, ingressPolicy('  ingress: [{}]'));
    const any = rule('shape/pol', 'ingress', 0, null, null);
    for (const v of [
      w.tcp(EXTERNAL, '10.0.0.1', 443),
      w.tcp('10.0.0.2', '10.0.0.1', 1),
      w.udp(EXTERNAL, '10.0.0.1', 53),
      w.sctp(EXTERNAL, '10.0.0.1', 9),
      w.icmp(EXTERNAL, '10.0.0.1'),
      w.flow(EXTERNAL, '10.0.0.1', 47, 0), // GRE
    ]) {
      expect(v.reason).toBe(Reason.ALLOW_POLICY);
      expect(v.ingress.reason).toBe(DirectionReason.RULE);
      expect(v.ingress.rule).toEqual(any);
    }
  });

  it('naive rule shapes - a rule with ports does not allow ICMP', () => {
    const w = load(...base, ingressPolicy('  ingress: [{ports: [{port: 80}]}]'));
    expect(w.tcp(EXTERNAL, '10.0.0.1', 80).ingress.rule).toEqual(rule('shape/pol', 'ingress', 0, null, 0));
    expect(w.icmp(EXTERNAL, '10.0.0.1').reason).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
  });

  it('naive rule shapes - empty from/ports mean the same as missing from/ports', () => {
    const missing = probe(load(...base, ingressPolicy('  ingress: [{}]')));
    const empty = probe(load(...base, ingressPolicy('  ingress: [{from: [], ports: []}]')));
    expect(empty).toEqual(missing);
    expect(new Set(missing.map((m) => m.split(' ')[0]))).toEqual(new Set([String(Reason.ALLOW_POLICY)]));

    const portOnlyMissing = probe(load(...base, ingressPolicy('  ingress: [{ports: [{port: 80}]}]')));
    const portOnlyEmpty = probe(load(...base, ingressPolicy('  ingress: [{from: [], ports: [{port: 80}]}]')));
    expect(portOnlyEmpty).toEqual(portOnlyMissing);
    // TCP/80 from anywhere (external included), nothing else.
    expect(portOnlyMissing.map((m) => Number(m.split(' ')[0]))).toEqual([
      Reason.ALLOW_POLICY,
      Reason.ALLOW_POLICY,
      Reason.DROP_INGRESS_DEFAULT_DENY,
      Reason.DROP_INGRESS_DEFAULT_DENY,
      Reason.DROP_INGRESS_DEFAULT_DENY,
      Reason.DROP_INGRESS_DEFAULT_DENY,
    ]);

    const peerOnlyMissing = probe(load(...base, ingressPolicy('  ingress: [{from: [{podSelector: {}}]}]')));
    const peerOnlyEmpty = probe(load(...base, ingressPolicy('  ingress: [{from: [{podSelector: {}}], ports: []}]')));
    expect(peerOnlyEmpty).toEqual(peerOnlyMissing);
    expect(peerOnlyMissing.map((m) => Number(m.split(' ')[0]))).toEqual([
      Reason.DROP_INGRESS_DEFAULT_DENY,
      Reason.ALLOW_POLICY,
      Reason.ALLOW_POLICY,
      Reason.DROP_INGRESS_DEFAULT_DENY,
      Reason.DROP_INGRESS_DEFAULT_DENY,
      Reason.DROP_INGRESS_DEFAULT_DENY,
    ]);
  });

  it('naive rule shapes - ingress: [] and a missing ingress both isolate without allowing anything', () => {
    for (const spelling of ['  ingress: []', '']) {
      const w = load(...base, ingressPolicy(spelling));
      expect(w.cluster.policies[0]?.ingress).toEqual([]);
      for (const v of [w.tcp(EXTERNAL, '10.0.0.1', 80), w.tcp('10.0.0.2', '10.0.0.1', 80), w.icmp('10.0.0.2', '10.0.0.1')]) {
        expect(v.reason).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
        expect(v.ingress.isolatedBy).toEqual(['shape/pol']);
        expect(v.ingress.rule).toBeNull();
      }
      // The unselected client stays open.
      expect(w.tcp(EXTERNAL, '10.0.0.2', 80).reason).toBe(Reason.ALLOW_NOT_ISOLATED);
    }
  });

  it('naive rule shapes - egress: [{}] allows all egress, egress: [] denies all egress', () => {
    const egressPolicy = (egress: string): string => `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: out, namespace: shape}
spec:
  podSelector: {matchLabels: {app: client}}
  policyTypes: [Egress]
  egress: ${egress}`;
    const open = load(...base, egressPolicy('[{}]'));
    for (const v of [open.udp('10.0.0.2', EXTERNAL, 53), open.icmp('10.0.0.2', '10.0.0.1')]) {
      expect(v.reason).toBe(Reason.ALLOW_POLICY);
      expect(v.egress.rule).toEqual(rule('shape/out', 'egress', 0, null, null));
    }
    const closed = load(...base, egressPolicy('[]'));
    expect(closed.udp('10.0.0.2', EXTERNAL, 53).reason).toBe(Reason.DROP_EGRESS_DEFAULT_DENY);
    expect(closed.tcp('10.0.0.2', '10.0.0.1', 80).reason).toBe(Reason.DROP_EGRESS_DEFAULT_DENY);
  });
});
