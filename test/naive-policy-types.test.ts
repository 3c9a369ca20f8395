import { describe, expect, it } from 'vitest';
import { DirectionReason, Reason } from '../compiler/verdict.js';
import { load, namespace, pod, rule } from './naive-harness.js';

// SEMANTICS.md §1.1: missing/empty policyTypes → [Ingress] plus Egress iff spec.egress is non-empty.
const base = [
  namespace('app'),
  pod({ ns: 'app', name: 'a', ip: '10.0.0.1', labels: { app: 'a' } }),
  pod({ ns: 'app', name: 'b', ip: '10.0.0.2', labels: { app: 'b' } }),
];
const EXTERNAL = '203.0.113.5';

describe('naive policyTypes defaulting', () => {
  it('naive policyTypes - egress-only policy without policyTypes isolates ingress too', () => {
    const w = load(
      ...base,
      `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: egress-only, namespace: app}
spec:
  podSelector: {matchLabels: {app: a}}
  egress:
  - to: [{podSelector: {matchLabels: {app: b}}}]`,
    );
    expect(w.cluster.policies[0]?.policyTypes).toEqual(['Ingress', 'Egress']);
    // Ingress: isolated with zero ingress rules → everything denied, pods and externals alike.
    const fromB = w.tcp('10.0.0.2', '10.0.0.1', 80);
    expect(fromB.reason).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
    expect(fromB.ingress.reason).toBe(DirectionReason.NO_RULE_MATCHED);
    expect(fromB.ingress.isolatedBy).toEqual(['app/egress-only']);
    expect(w.tcp(EXTERNAL, '10.0.0.1', 80).reason).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
    // Egress: the rule allows a → b, and nothing else.
    const toB = w.tcp('10.0.0.1', '10.0.0.2', 80);
    expect(toB.reason).toBe(Reason.ALLOW_POLICY);
    expect(toB.egress.rule).toEqual(rule('app/egress-only', 'egress', 0, 0, null));
    expect(w.tcp('10.0.0.1', EXTERNAL, 80).reason).toBe(Reason.DROP_EGRESS_DEFAULT_DENY);
  });

  it('naive policyTypes - ingress-only policy without policyTypes does not isolate egress', () => {
    const w = load(
      ...base,
      `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ingress-only, namespace: app}
spec:
  podSelector: {}
  ingress:
  - from: [{podSelector: {matchLabels: {app: b}}}]`,
    );
    expect(w.cluster.policies[0]?.policyTypes).toEqual(['Ingress']);
    const out = w.tcp('10.0.0.1', EXTERNAL, 443);
    expect(out.reason).toBe(Reason.ALLOW_NOT_ISOLATED);
    expect(out.egress.reason).toBe(DirectionReason.NOT_ISOLATED);
    expect(out.egress.isolatedBy).toEqual([]);
    const bToA = w.tcp('10.0.0.2', '10.0.0.1', 80);
    expect(bToA.reason).toBe(Reason.ALLOW_POLICY);
    expect(bToA.ingress.rule).toEqual(rule('app/ingress-only', 'ingress', 0, 0, null));
    expect(w.tcp('10.0.0.1', '10.0.0.2', 80).reason).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
  });

  it('naive policyTypes - egress: [] without policyTypes is [Ingress] only and leaves egress open', () => {
    const w = load(
      ...base,
      `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: empty-egress, namespace: app}
spec:
  podSelector: {}
  egress: []`,
    );
    expect(w.cluster.policies[0]?.policyTypes).toEqual(['Ingress']);
    expect(w.tcp('10.0.0.1', EXTERNAL, 443).egress.reason).toBe(DirectionReason.NOT_ISOLATED);
    expect(w.tcp(EXTERNAL, '10.0.0.1', 443).reason).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
  });

  it('naive policyTypes - policyTypes [Egress] with no egress denies all egress and leaves ingress open', () => {
    const w = load(
      ...base,
      `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-egress, namespace: app}
spec:
  podSelector: {matchLabels: {app: a}}
  policyTypes: [Egress]`,
    );
    const out = w.udp('10.0.0.1', EXTERNAL, 53);
    expect(out.reason).toBe(Reason.DROP_EGRESS_DEFAULT_DENY);
    expect(out.egress.isolatedBy).toEqual(['app/deny-egress']);
    const inbound = w.tcp(EXTERNAL, '10.0.0.1', 80);
    expect(inbound.reason).toBe(Reason.ALLOW_NOT_ISOLATED);
    expect(inbound.ingress.reason).toBe(DirectionReason.NOT_ISOLATED);
  });

  it('naive policyTypes - explicit [Ingress] ignores egress rules: egress stays unisolated', () => {
    const w = load(
      ...base,
      `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: explicit-ingress, namespace: app}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  egress:
  - to: [{podSelector: {matchLabels: {app: b}}}]`,
    );
    expect(w.cluster.policies[0]?.policyTypes).toEqual(['Ingress']);
    const out = w.tcp('10.0.0.1', EXTERNAL, 443);
    expect(out.reason).toBe(Reason.ALLOW_NOT_ISOLATED);
    expect(out.egress.rule).toBeNull();
  });
});
