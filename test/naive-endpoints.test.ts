import { describe, expect, it } from 'vitest';
import { DirectionReason, Reason } from '../compiler/verdict.js';
import { ip, load, namespace, pod, rule } from './naive-harness.js';

// Which pods are policed endpoints (SEMANTICS.md §1.3 hostNetwork option (b), §4 #6 and #15):
// hostNetwork pods are the node, pods without an IP and finished pods are nobody.
const NODE_1 = '192.168.1.1';
const base = [
  namespace('h'),
  pod({ ns: 'h', name: 'agent', ip: NODE_1, hostIP: NODE_1, hostNetwork: true, labels: { app: 'agent', role: 'client' } }),
  pod({ ns: 'h', name: 'web', ip: '10.0.0.1', hostIP: '192.168.1.2', labels: { app: 'web' } }),
  pod({ ns: 'h', name: 'pending', hostIP: '192.168.1.3', phase: 'Pending', labels: { role: 'client' } }),
  pod({ ns: 'h', name: 'done', ip: '10.0.0.5', phase: 'Succeeded', labels: { role: 'client' } }),
  pod({ ns: 'h', name: 'failed', ip: '10.0.0.6', phase: 'Failed', labels: { role: 'client' } }),
  // Reuses the failed pod's IP: legal, the failed pod no longer owns it.
  pod({ ns: 'h', name: 'live', ip: '10.0.0.6', labels: { role: 'other' } }),
];
const WEB = '10.0.0.1';

function webFrom(from: string): string {
  return `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-in, namespace: h}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: ${from}`;
}

describe('naive endpoints', () => {
  it('naive endpoints - a hostNetwork pod is never selected by spec.podSelector', () => {
    const w = load(
      ...base,
      `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: h}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]`,
    );
    expect(w.engine.podByIp(ip(NODE_1))).toBeNull();
    const inbound = w.tcp('198.51.100.1', NODE_1, 22);
    expect(inbound.reason).toBe(Reason.ALLOW_NOT_ISOLATED);
    expect(inbound.dstPod).toBeNull();
    expect(inbound.ingress.reason).toBe(DirectionReason.NOT_A_POD);
    const outbound = w.tcp(NODE_1, '198.51.100.1', 443);
    expect(outbound.reason).toBe(Reason.ALLOW_NOT_ISOLATED);
    expect(outbound.egress.reason).toBe(DirectionReason.NOT_A_POD);
    // An ordinary pod of the namespace is isolated by the same policy.
    expect(w.tcp('198.51.100.1', WEB, 80).reason).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
  });

  it('naive endpoints - a hostNetwork pod is never matched by pod peers', () => {
    for (const from of ['[{podSelector: {matchLabels: {app: agent}}}]', '[{namespaceSelector: {}}]', '[{podSelector: {}}]']) {
      const v = load(...base, webFrom(from)).tcp(NODE_1, WEB, 80);
      expect(v.reason, from).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
      expect(v.srcPod).toBeNull();
    }
  });

  it('naive endpoints - a hostNetwork pod is matched by ipBlock through its node IP', () => {
    const v = load(...base, webFrom(`[{podSelector: {matchLabels: {app: agent}}}, {ipBlock: {cidr: ${NODE_1}/32}}]`)).tcp(NODE_1, WEB, 80);
    expect(v.reason).toBe(Reason.ALLOW_POLICY);
    expect(v.ingress.rule).toEqual(rule('h/web-in', 'ingress', 0, 1, null));
  });

  it('naive endpoints - a pod without an IP is loaded but owns no address, not even its hostIP', () => {
    const w = load(...base, webFrom('[{podSelector: {matchLabels: {role: client}}}]'));
    expect(w.cluster.pods.find((p) => p.name === 'pending')?.ips).toEqual([]);
    const fromHost = w.tcp('192.168.1.3', WEB, 80);
    expect(fromHost.srcPod).toBeNull();
    expect(fromHost.reason).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
  });

  it('naive endpoints - a Succeeded pod matches no pod peer and is not policed', () => {
    const w = load(
      ...base,
      webFrom('[{podSelector: {matchLabels: {role: client}}}]'),
      `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-clients, namespace: h}
spec:
  podSelector: {matchLabels: {role: client}}
  policyTypes: [Ingress, Egress]`,
    );
    const fromDone = w.tcp('10.0.0.5', WEB, 80);
    expect(fromDone.srcPod).toBeNull();
    expect(fromDone.egress.reason).toBe(DirectionReason.NOT_A_POD);
    expect(fromDone.reason).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
    const toDone = w.tcp('198.51.100.1', '10.0.0.5', 80);
    expect(toDone.reason).toBe(Reason.ALLOW_NOT_ISOLATED);
    expect(toDone.ingress.reason).toBe(DirectionReason.NOT_A_POD);
  });

  it('naive endpoints - a Failed pod sharing its IP with a Running pod is not a duplicate; the IP is the Running pod', () => {
    const w = load(...base, webFrom('[{podSelector: {matchLabels: {role: client}}}, {podSelector: {matchLabels: {role: other}}}]'));
    expect(w.diagnostics.filter((d) => d.code === 'duplicate-ip')).toEqual([]);
    expect(w.engine.podByIp(ip('10.0.0.6'))?.name).toBe('live');
    const v = w.tcp('10.0.0.6', WEB, 80);
    expect(v.srcPod?.name).toBe('live');
    // Matched as `live` (role=other, peer 1), not as the failed pod (role=client, peer 0).
    expect(v.ingress.rule).toEqual(rule('h/web-in', 'ingress', 0, 1, null));
  });
});
