import { describe, expect, it } from 'vitest';
import { Reason } from '../compiler/verdict.js';
import { load, namespace, pod, rule, type World } from './naive-harness.js';

// SEMANTICS.md §1.3 peersMatch: selectors in one peer element are ANDed, elements are ORed;
// podSelector alone means the policy's namespace; namespaceSelector {} means every pod.
const base = [
  namespace('prod', { env: 'prod' }),
  namespace('dev', { env: 'dev' }),
  pod({ ns: 'prod', name: 'api', ip: '10.0.1.1', labels: { app: 'api' } }),
  pod({ ns: 'prod', name: 'client', ip: '10.0.1.2', labels: { role: 'client' } }),
  pod({ ns: 'prod', name: 'other', ip: '10.0.1.3', labels: { role: 'other' } }),
  pod({ ns: 'dev', name: 'client', ip: '10.0.2.2', labels: { role: 'client' } }),
  pod({ ns: 'dev', name: 'other', ip: '10.0.2.3', labels: { role: 'other' } }),
];
const SOURCES: Readonly<Record<string, string>> = {
  'prod/client': '10.0.1.2',
  'prod/other': '10.0.1.3',
  'dev/client': '10.0.2.2',
  'dev/other': '10.0.2.3',
  external: '198.51.100.7',
};

function fromPolicy(from: string): string {
  return `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: pol, namespace: prod}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
  - from: ${from}`;
}

/** Sources allowed to reach prod/api on TCP 80, with the matching peer index. */
function allowed(w: World): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [name, src] of Object.entries(SOURCES)) {
    const v = w.tcp(src, '10.0.1.1', 80);
    if (v.allowed) out[name] = v.ingress.rule?.peerIndex ?? null;
    else expect(v.reason).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
  }
  return out;
}

describe('naive peers', () => {
  it('naive peers - namespaceSelector and podSelector in one element are ANDed', () => {
    const w = load(...base, fromPolicy('[{namespaceSelector: {matchLabels: {env: dev}}, podSelector: {matchLabels: {role: client}}}]'));
    expect(allowed(w)).toEqual({ 'dev/client': 0 });
  });

  it('naive peers - namespaceSelector and podSelector as two elements are ORed', () => {
    const w = load(...base, fromPolicy('[{namespaceSelector: {matchLabels: {env: dev}}}, {podSelector: {matchLabels: {role: client}}}]'));
    expect(allowed(w)).toEqual({ 'dev/client': 0, 'dev/other': 0, 'prod/client': 1 });
    expect(w.tcp('10.0.1.2', '10.0.1.1', 80).ingress.rule).toEqual(rule('prod/pol', 'ingress', 0, 1, null));
  });

  it('naive peers - namespaceSelector: {} matches every pod in every namespace, not external IPs', () => {
    const w = load(...base, pod({ ns: 'undeclared', name: 'x', ip: '10.0.9.9' }), fromPolicy('[{namespaceSelector: {}}]'));
    expect(allowed(w)).toEqual({ 'prod/client': 0, 'prod/other': 0, 'dev/client': 0, 'dev/other': 0 });
    expect(w.tcp('10.0.9.9', '10.0.1.1', 80).reason).toBe(Reason.ALLOW_POLICY);
  });

  it('naive peers - podSelector alone selects pods of the policy namespace only', () => {
    const w = load(...base, fromPolicy('[{podSelector: {matchLabels: {role: client}}}]'));
    expect(allowed(w)).toEqual({ 'prod/client': 0 });
  });

  it('naive peers - podSelector: {} alone selects every pod of the policy namespace only', () => {
    const w = load(...base, fromPolicy('[{podSelector: {}}]'));
    expect(allowed(w)).toEqual({ 'prod/client': 0, 'prod/other': 0 });
  });

  it('naive peers - namespaceSelector by the implicit kubernetes.io/metadata.name label', () => {
    const w = load(...base, fromPolicy('[{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: dev}}}]'));
    expect(w.cluster.namespaces.find((n) => n.name === 'dev')?.labels).toEqual({ env: 'dev', 'kubernetes.io/metadata.name': 'dev' });
    expect(allowed(w)).toEqual({ 'dev/client': 0, 'dev/other': 0 });
  });

  it('naive peers - a declared kubernetes.io/metadata.name label is overridden by the real name', () => {
    const w = load(
      namespace('prod'),
      namespace('spoof', { 'kubernetes.io/metadata.name': 'prod' }),
      pod({ ns: 'prod', name: 'api', ip: '10.0.1.1', labels: { app: 'api' } }),
      pod({ ns: 'spoof', name: 'x', ip: '10.0.3.1' }),
      fromPolicy('[{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: prod}}}]'),
    );
    expect(w.cluster.namespaces.find((n) => n.name === 'spoof')?.labels).toEqual({ 'kubernetes.io/metadata.name': 'spoof' });
    expect(w.tcp('10.0.3.1', '10.0.1.1', 80).reason).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
  });

  it('naive peers - an undeclared namespace exists implicitly with only the name label', () => {
    const w = load(
      namespace('prod', { env: 'prod' }),
      pod({ ns: 'prod', name: 'api', ip: '10.0.1.1', labels: { app: 'api' } }),
      pod({ ns: 'ghost', name: 'g', ip: '10.0.4.1', labels: { role: 'client' } }),
      fromPolicy('[{namespaceSelector: {matchExpressions: [{key: env, operator: Exists}]}}, {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ghost}}}]'),
    );
    const ghost = w.cluster.namespaces.find((n) => n.name === 'ghost');
    expect(ghost).toEqual({ name: 'ghost', labels: { 'kubernetes.io/metadata.name': 'ghost' }, declared: false, origin: null });
    expect(w.diagnostics.map((d) => [d.severity, d.code, d.object])).toEqual([['warning', 'implicit-namespace', 'Pod ghost/g']]);
    // Not matched by the label selector (no `env` label), matched by name.
    expect(w.tcp('10.0.4.1', '10.0.1.1', 80).ingress.rule).toEqual(rule('prod/pol', 'ingress', 0, 1, null));
  });

  it('naive peers - the same peers work for egress destinations', () => {
    const w = load(
      ...base,
      `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: out, namespace: prod}
spec:
  podSelector: {matchLabels: {app: api}}
  policyTypes: [Egress]
  egress:
  - to: [{namespaceSelector: {matchLabels: {env: dev}}, podSelector: {matchLabels: {role: client}}}, {podSelector: {matchLabels: {role: other}}}]`,
    );
    expect(w.tcp('10.0.1.1', '10.0.2.2', 80).egress.rule).toEqual(rule('prod/out', 'egress', 0, 0, null));
    expect(w.tcp('10.0.1.1', '10.0.1.3', 80).egress.rule).toEqual(rule('prod/out', 'egress', 0, 1, null));
    expect(w.tcp('10.0.1.1', '10.0.2.3', 80).reason).toBe(Reason.DROP_EGRESS_DEFAULT_DENY);
    expect(w.tcp('10.0.1.1', '10.0.1.2', 80).reason).toBe(Reason.DROP_EGRESS_DEFAULT_DENY);
    expect(w.tcp('10.0.1.1', '198.51.100.7', 80).reason).toBe(Reason.DROP_EGRESS_DEFAULT_DENY);
  });
});
