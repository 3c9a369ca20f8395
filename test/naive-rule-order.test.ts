import { describe, expect, it } from 'vitest';
import { formatRuleRef, Reason } from '../compiler/verdict.js';
import { load, namespace, pod, rule } from './naive-harness.js';

// compiler/verdict.ts RuleRef: when several rules allow a flow, the reported one is the first in
// (policy namespace/name, rule, peer, port) order, whatever the order of the manifests.
const base = [
  namespace('o'),
  pod({ ns: 'o', name: 'web', ip: '10.0.0.1', labels: { app: 'web' } }),
  pod({ ns: 'o', name: 'client', ip: '10.0.0.2', labels: { app: 'client' } }),
];
const CLIENT = '10.0.0.2';
const WEB = '10.0.0.1';

const ZETA = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: zeta, namespace: o}
spec:
  podSelector: {}
  ingress: [{}]
  egress: [{}]`;
const ALPHA = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: alpha, namespace: o}
spec:
  podSelector: {}
  ingress:
  - from: [{podSelector: {matchLabels: {app: nobody}}}]
  - from: [{ipBlock: {cidr: 192.0.2.0/24}}, {podSelector: {matchLabels: {app: client}}}, {podSelector: {}}]
    ports: [{port: 81}, {protocol: TCP}, {port: 80}]
  - {}
  egress:
  - to: [{ipBlock: {cidr: 10.0.0.0/24}}, {podSelector: {}}]
    ports: [{protocol: UDP}, {port: 80}]`;

describe('naive rule order', () => {
  it('naive rule order - the first matching policy, rule, peer and port are reported', () => {
    const w = load(...base, ZETA, ALPHA);
    expect(w.cluster.policies.map((p) => p.name)).toEqual(['alpha', 'zeta']);
    const v = w.tcp(CLIENT, WEB, 80);
    expect(v.reason).toBe(Reason.ALLOW_POLICY);
    expect(v.ingress.isolatedBy).toEqual(['o/alpha', 'o/zeta']);
    // Rule 0 does not match; in rule 1 peer 1 is the first matching peer, port 1 the first matching port.
    expect(v.ingress.rule).toEqual(rule('o/alpha', 'ingress', 1, 1, 1));
    if (v.ingress.rule) expect(formatRuleRef(v.ingress.rule)).toBe('o/alpha ingress[1] from[1] ports[1]');
    // Egress: the ipBlock peer comes before the podSelector peer that also matches.
    expect(v.egress.rule).toEqual(rule('o/alpha', 'egress', 0, 0, 1));
  });

  it('naive rule order - falls through to a later rule, then to a later policy', () => {
    const w = load(...base, ZETA, ALPHA);
    // UDP fails rule 1's ports; rule 2 ({}) matches with any peer and any port.
    expect(w.udp(CLIENT, WEB, 53).ingress.rule).toEqual(rule('o/alpha', 'ingress', 2, null, null));
    // alpha's egress rule allows only UDP and TCP/80: TCP/443 falls through to zeta's `egress: [{}]`.
    expect(w.tcp(CLIENT, WEB, 443).egress.rule).toEqual(rule('o/zeta', 'egress', 0, null, null));
  });
});
