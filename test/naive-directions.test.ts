import { describe, expect, it } from 'vitest';
import { DirectionReason, Reason } from '../compiler/verdict.js';
import { load, namespace, pod, rule } from './naive-harness.js';

// SEMANTICS.md §0 step 2 and §1.2: egress at the source and ingress at the destination must both
// allow; an external side is not policed; policies only select pods of their own namespace and
// are a union; a pod to itself and the pod's own node to the pod are always allowed.
const base = [
  namespace('a'),
  namespace('b'),
  pod({ ns: 'a', name: 'web', ip: '10.0.0.1', labels: { app: 'web' }, hostIP: '192.168.1.1' }),
  pod({ ns: 'a', name: 'api', ip: '10.0.0.2', labels: { app: 'api' }, hostIP: '192.168.1.2' }),
  pod({ ns: 'b', name: 'web', ip: '10.1.0.1', labels: { app: 'web' }, hostIP: '192.168.1.1' }),
];
const WEB = '10.0.0.1';
const API = '10.0.0.2';
const B_WEB = '10.1.0.1';
const EXTERNAL = '198.51.100.20';

function policy(ns: string, name: string, body: string): string {
  return `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ${name}, namespace: ${ns}}
spec:
${body}`;
}
const DENY_ALL_INGRESS = '  podSelector: {}\n  policyTypes: [Ingress]';
const DENY_ALL_EGRESS = '  podSelector: {}\n  policyTypes: [Egress]';
const DENY_ALL = '  podSelector: {}\n  policyTypes: [Ingress, Egress]';

describe('naive directions', () => {
  it('naive directions - several policies selecting a pod are a union', () => {
    const w = load(
      ...base,
      policy('a', 'http', '  podSelector: {matchLabels: {app: web}}\n  ingress: [{ports: [{port: 80}]}]'),
      policy('a', 'https', '  podSelector: {matchLabels: {app: web}}\n  ingress: [{ports: [{port: 443}]}]'),
    );
    const v80 = w.tcp(API, WEB, 80);
    expect(v80.ingress.isolatedBy).toEqual(['a/http', 'a/https']);
    expect(v80.ingress.rule).toEqual(rule('a/http', 'ingress', 0, null, 0));
    expect(w.tcp(API, WEB, 443).ingress.rule).toEqual(rule('a/https', 'ingress', 0, null, 0));
    expect(w.tcp(API, WEB, 22).reason).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
  });

  it('naive directions - a policy of another namespace does not select the pod', () => {
    const w = load(...base, policy('b', 'deny-all', DENY_ALL));
    const intoA = w.tcp(API, WEB, 80);
    expect(intoA.reason).toBe(Reason.ALLOW_NOT_ISOLATED);
    expect(intoA.ingress.isolatedBy).toEqual([]);
    expect(w.tcp(API, B_WEB, 80).ingress.isolatedBy).toEqual(['b/deny-all']);
    expect(w.tcp(B_WEB, WEB, 80).reason).toBe(Reason.DROP_EGRESS_DEFAULT_DENY);
  });

  it('naive directions - pod to pod needs both egress and ingress', () => {
    const allowIngress = policy('a', 'web-in', '  podSelector: {matchLabels: {app: web}}\n  ingress: [{from: [{podSelector: {matchLabels: {app: api}}}]}]');
    const allowEgress = policy('a', 'api-out', '  podSelector: {matchLabels: {app: api}}\n  policyTypes: [Egress]\n  egress: [{to: [{podSelector: {matchLabels: {app: web}}}]}]');
    const denyIngress = policy('a', 'web-in', '  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Ingress]');
    const denyEgress = policy('a', 'api-out', '  podSelector: {matchLabels: {app: api}}\n  policyTypes: [Egress]');

    const both = load(...base, allowIngress, allowEgress).tcp(API, WEB, 80);
    expect(both.reason).toBe(Reason.ALLOW_POLICY);
    expect(both.egress.rule).toEqual(rule('a/api-out', 'egress', 0, 0, null));
    expect(both.ingress.rule).toEqual(rule('a/web-in', 'ingress', 0, 0, null));

    const egressDenied = load(...base, allowIngress, denyEgress).tcp(API, WEB, 80);
    expect(egressDenied.reason).toBe(Reason.DROP_EGRESS_DEFAULT_DENY);
    expect(egressDenied.ingress.reason).toBe(DirectionReason.RULE);

    const ingressDenied = load(...base, denyIngress, allowEgress).tcp(API, WEB, 80);
    expect(ingressDenied.reason).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
    expect(ingressDenied.egress.reason).toBe(DirectionReason.RULE);

    // Both deny: the egress deny is reported (it happens first), the ingress verdict is still there.
    const neither = load(...base, denyIngress, denyEgress).tcp(API, WEB, 80);
    expect(neither.reason).toBe(Reason.DROP_EGRESS_DEFAULT_DENY);
    expect(neither.allowed).toBe(false);
    expect(neither.egress.reason).toBe(DirectionReason.NO_RULE_MATCHED);
    expect(neither.ingress.reason).toBe(DirectionReason.NO_RULE_MATCHED);
  });

  it('naive directions - external to pod: only the destination ingress matters', () => {
    const open = load(...base, policy('a', 'deny-egress', DENY_ALL_EGRESS));
    const v = open.tcp(EXTERNAL, WEB, 80);
    expect(v.reason).toBe(Reason.ALLOW_NOT_ISOLATED);
    expect(v.srcPod).toBeNull();
    expect(v.egress.reason).toBe(DirectionReason.NOT_A_POD);
    const closed = load(...base, policy('a', 'deny-egress', DENY_ALL_EGRESS), policy('a', 'deny-ingress', DENY_ALL_INGRESS));
    expect(closed.tcp(EXTERNAL, WEB, 80).reason).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
  });

  it('naive directions - pod to external: only the source egress matters', () => {
    const open = load(...base, policy('a', 'deny-ingress', DENY_ALL_INGRESS));
    const v = open.tcp(WEB, EXTERNAL, 443);
    expect(v.reason).toBe(Reason.ALLOW_NOT_ISOLATED);
    expect(v.dstPod).toBeNull();
    expect(v.ingress.reason).toBe(DirectionReason.NOT_A_POD);
    const closed = load(...base, policy('a', 'deny-all', DENY_ALL));
    expect(closed.tcp(WEB, EXTERNAL, 443).reason).toBe(Reason.DROP_EGRESS_DEFAULT_DENY);
    const external = closed.tcp(EXTERNAL, '203.0.113.1', 443);
    expect([external.reason, external.egress.reason, external.ingress.reason]).toEqual([Reason.ALLOW_NOT_ISOLATED, DirectionReason.NOT_A_POD, DirectionReason.NOT_A_POD]);
  });

  it('naive directions - a pod talking to itself is always allowed', () => {
    const w = load(...base, policy('a', 'deny-all', DENY_ALL));
    const v = w.tcp(WEB, WEB, 8080);
    expect(v.reason).toBe(Reason.ALLOW_SELF);
    expect(v.allowed).toBe(true);
    expect(v.egress.reason).toBe(DirectionReason.SELF);
    expect(v.ingress.reason).toBe(DirectionReason.SELF);
    // Another pod of the same node is not "self".
    expect(w.tcp(API, WEB, 8080).reason).toBe(Reason.DROP_EGRESS_DEFAULT_DENY);
  });

  it('naive directions - the pod own node may always connect in; a remote node may not', () => {
    const w = load(...base, policy('a', 'deny-all', DENY_ALL));
    const local = w.tcp('192.168.1.1', WEB, 8080);
    expect(local.reason).toBe(Reason.ALLOW_LOCAL_NODE);
    expect(local.ingress.reason).toBe(DirectionReason.LOCAL_NODE);
    expect(local.ingress.isolatedBy).toEqual(['a/deny-all']);
    const remote = w.tcp('192.168.1.2', WEB, 8080);
    expect(remote.reason).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
    // The exemption is for ingress only: egress to the own node is policed (SEMANTICS.md §4 #5).
    expect(w.tcp(WEB, '192.168.1.1', 10250).reason).toBe(Reason.DROP_EGRESS_DEFAULT_DENY);
  });
});
