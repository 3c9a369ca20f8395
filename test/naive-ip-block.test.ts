import { describe, expect, it } from 'vitest';
import { DirectionReason, Reason } from '../compiler/verdict.js';
import { load, namespace, pod, rule } from './naive-harness.js';

// SEMANTICS.md §1.3 ipBlock: cidr minus every except; pod IPs are matched too (profile switch
// ipBlockMatchesPodIPs, default on); an address never matches a CIDR of the other family.
const base = [
  namespace('net'),
  pod({ ns: 'net', name: 'server', ip: ['10.0.0.10', 'fd00::10'], labels: { app: 'server' } }),
  pod({ ns: 'net', name: 'client', ip: ['10.0.5.5', 'fd00:5::5'], labels: { app: 'client' } }),
  pod({ ns: 'net', name: 'blocked', ip: '10.0.5.6', labels: { app: 'blocked' } }),
];

function ingressFrom(from: string): string {
  return `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: pol, namespace: net}
spec:
  podSelector: {matchLabels: {app: server}}
  ingress:
  - from: ${from}`;
}

describe('naive ipBlock', () => {
  it('naive ipBlock - IPv4 cidr minus except, boundaries included', () => {
    const w = load(...base, ingressFrom('[{ipBlock: {cidr: 192.0.2.0/24, except: [192.0.2.128/25, 192.0.2.7/32]}}]'));
    for (const src of ['192.0.2.0', '192.0.2.1', '192.0.2.6', '192.0.2.8', '192.0.2.127']) {
      const v = w.tcp(src, '10.0.0.10', 80);
      expect(v.reason, src).toBe(Reason.ALLOW_POLICY);
      expect(v.ingress.rule).toEqual(rule('net/pol', 'ingress', 0, 0, null));
    }
    for (const src of ['192.0.2.7', '192.0.2.128', '192.0.2.200', '192.0.2.255', '192.0.1.255', '192.0.3.0']) {
      expect(w.tcp(src, '10.0.0.10', 80).reason, src).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
    }
  });

  it('naive ipBlock - IPv6 cidr minus except', () => {
    const w = load(...base, ingressFrom('[{ipBlock: {cidr: 192.0.2.0/24}}, {ipBlock: {cidr: "2001:db8::/32", except: ["2001:db8:bad::/48"]}}]'));
    const v = w.tcp('2001:db8::1', 'fd00::10', 80);
    expect(v.reason).toBe(Reason.ALLOW_POLICY);
    expect(v.ingress.rule).toEqual(rule('net/pol', 'ingress', 0, 1, null));
    expect(w.tcp('2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', 'fd00::10', 80).allowed).toBe(true);
    expect(w.tcp('2001:db8:bad::1', 'fd00::10', 80).reason).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
    expect(w.tcp('2001:db9::1', 'fd00::10', 80).reason).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
  });

  it('naive ipBlock - a CIDR never matches an address of the other family', () => {
    const v4all = load(...base, ingressFrom('[{ipBlock: {cidr: 0.0.0.0/0}}]'));
    expect(v4all.tcp('198.51.100.1', '10.0.0.10', 80).allowed).toBe(true);
    expect(v4all.tcp('2001:db8::1', 'fd00::10', 80).reason).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
    // An IPv4-mapped IPv6 source is IPv6: not inside an IPv4 CIDR.
    expect(v4all.tcp('::ffff:198.51.100.1', 'fd00::10', 80).reason).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
    const v6all = load(...base, ingressFrom('[{ipBlock: {cidr: "::/0"}}]'));
    expect(v6all.tcp('2001:db8::1', 'fd00::10', 80).allowed).toBe(true);
    expect(v6all.tcp('198.51.100.1', '10.0.0.10', 80).reason).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
  });

  it('naive ipBlock - pod IPs are matched by ipBlock, and except removes them', () => {
    const w = load(...base, ingressFrom('[{ipBlock: {cidr: 10.0.5.0/24, except: [10.0.5.6/32]}}, {ipBlock: {cidr: "fd00:5::/64"}}]'));
    const v4 = w.tcp('10.0.5.5', '10.0.0.10', 80);
    expect(v4.srcPod?.name).toBe('client');
    expect(v4.reason).toBe(Reason.ALLOW_POLICY);
    expect(v4.ingress.rule).toEqual(rule('net/pol', 'ingress', 0, 0, null));
    expect(w.tcp('fd00:5::5', 'fd00::10', 80).ingress.rule).toEqual(rule('net/pol', 'ingress', 0, 1, null));
    const excepted = w.tcp('10.0.5.6', '10.0.0.10', 80);
    expect(excepted.srcPod?.name).toBe('blocked');
    expect(excepted.reason).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
  });

  it('naive ipBlock - egress to an ipBlock', () => {
    const w = load(
      ...base,
      `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: out, namespace: net}
spec:
  podSelector: {matchLabels: {app: client}}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 203.0.113.0/24, except: [203.0.113.64/26]}}]
    ports: [{port: 443}]`,
    );
    const v = w.tcp('10.0.5.5', '203.0.113.1', 443);
    expect(v.reason).toBe(Reason.ALLOW_POLICY);
    expect(v.egress.rule).toEqual(rule('net/out', 'egress', 0, 0, 0));
    expect(v.ingress.reason).toBe(DirectionReason.NOT_A_POD);
    expect(w.tcp('10.0.5.5', '203.0.113.64', 443).reason).toBe(Reason.DROP_EGRESS_DEFAULT_DENY);
    expect(w.tcp('10.0.5.5', '203.0.113.127', 443).reason).toBe(Reason.DROP_EGRESS_DEFAULT_DENY);
    expect(w.tcp('10.0.5.5', '203.0.113.128', 443).allowed).toBe(true);
    expect(w.tcp('10.0.5.5', '203.0.113.1', 80).reason).toBe(Reason.DROP_EGRESS_DEFAULT_DENY);
  });
});
