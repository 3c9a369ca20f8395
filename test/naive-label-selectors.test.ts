import { describe, expect, it } from 'vitest';
import { Reason } from '../compiler/verdict.js';
import { load, namespace, pod, type World } from './naive-harness.js';

// SEMANTICS.md §1.4: In needs the key; NotIn is satisfied by an absent key; matchLabels and
// matchExpressions (and several expressions) are ANDed.
const base = [
  namespace('sel', { env: 'prod', zone: 'a' }),
  namespace('sel2', { env: 'dev' }),
  pod({ ns: 'sel', name: 'target', ip: '10.0.0.1', labels: { role: 'target' } }),
  pod({ ns: 'sel', name: 'p1', ip: '10.0.0.11', labels: { tier: 'web', env: 'prod' } }),
  pod({ ns: 'sel', name: 'p2', ip: '10.0.0.12', labels: { tier: 'db', env: 'prod' } }),
  pod({ ns: 'sel', name: 'p3', ip: '10.0.0.13', labels: { env: 'dev' } }),
  pod({ ns: 'sel', name: 'p4', ip: '10.0.0.14' }),
  pod({ ns: 'sel2', name: 'q1', ip: '10.0.1.11', labels: { tier: 'web' } }),
];

function policy(peer: string): string {
  return `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: pol, namespace: sel}
spec:
  podSelector: {matchLabels: {role: target}}
  ingress:
  - from: [${peer}]`;
}

function ipOf(w: World, name: string): string {
  const text = w.cluster.pods.find((p) => p.name === name)?.ips[0]?.text;
  if (text === undefined) throw new Error(`test bug: no pod ${name} with an IP`);
  return text;
}

/** Names of the pods allowed to reach sel/target on TCP 80. */
function allowedPods(w: World): string[] {
  return w.cluster.pods
    .filter((p) => p.name !== 'target')
    .filter((p) => {
      const v = w.tcp(ipOf(w, p.name), '10.0.0.1', 80);
      if (!v.allowed) expect(v.reason).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
      return v.allowed;
    })
    .map((p) => p.name);
}

describe('naive label selectors', () => {
  it('naive label selectors - In requires the key with one of the values', () => {
    expect(allowedPods(load(...base, policy('{podSelector: {matchExpressions: [{key: tier, operator: In, values: [web, db]}]}}')))).toEqual(['p1', 'p2']);
  });

  it('naive label selectors - NotIn matches pods without the key', () => {
    expect(allowedPods(load(...base, policy('{podSelector: {matchExpressions: [{key: tier, operator: NotIn, values: [web]}]}}')))).toEqual(['p2', 'p3', 'p4']);
  });

  it('naive label selectors - Exists and DoesNotExist test the key only', () => {
    expect(allowedPods(load(...base, policy('{podSelector: {matchExpressions: [{key: tier, operator: Exists}]}}')))).toEqual(['p1', 'p2']);
    expect(allowedPods(load(...base, policy('{podSelector: {matchExpressions: [{key: tier, operator: DoesNotExist}]}}')))).toEqual(['p3', 'p4']);
  });

  it('naive label selectors - matchLabels and matchExpressions are ANDed', () => {
    const peer = '{podSelector: {matchLabels: {env: prod}, matchExpressions: [{key: tier, operator: NotIn, values: [db]}]}}';
    expect(allowedPods(load(...base, policy(peer)))).toEqual(['p1']);
  });

  it('naive label selectors - several expressions are ANDed', () => {
    const peer = '{podSelector: {matchExpressions: [{key: env, operator: Exists}, {key: env, operator: NotIn, values: [dev]}]}}';
    expect(allowedPods(load(...base, policy(peer)))).toEqual(['p1', 'p2']);
  });

  it('naive label selectors - namespaceSelector expressions test namespace labels', () => {
    const peer = '{namespaceSelector: {matchExpressions: [{key: zone, operator: DoesNotExist}]}, podSelector: {matchLabels: {tier: web}}}';
    expect(allowedPods(load(...base, policy(peer)))).toEqual(['q1']);
  });

  it('naive label selectors - spec.podSelector expressions choose the isolated pods', () => {
    const w = load(
      ...base,
      `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: no-tier, namespace: sel}
spec:
  podSelector: {matchExpressions: [{key: tier, operator: DoesNotExist}]}
  policyTypes: [Ingress]`,
    );
    const isolated = w.cluster.pods.filter((p) => w.tcp('198.51.100.1', ipOf(w, p.name), 80).ingress.isolatedBy.length > 0);
    expect(isolated.map((p) => `${p.namespace}/${p.name}`)).toEqual(['sel/p3', 'sel/p4', 'sel/target']);
  });
});
