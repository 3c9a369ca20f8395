import { describe, expect, it } from 'vitest';
import { DirectionReason, Reason } from '../compiler/verdict.js';
import { load, namespace, pod, rule } from './naive-harness.js';

// SEMANTICS.md §1.3: a named port resolves on the DESTINATION pod's container ports with the
// entry's protocol, in both directions (ingress: the subject; egress: the peer). Resolution is
// per destination pod, so one name may mean different numbers on different pods.
const base = [
  namespace('np'),
  namespace('far'),
  pod({ ns: 'np', name: 'web-a', ip: '10.0.0.1', labels: { app: 'web' }, ports: [{ name: 'http', containerPort: 8080 }, { name: 'dns', containerPort: 53, protocol: 'UDP' }] }),
  pod({ ns: 'np', name: 'web-b', ip: '10.0.0.2', labels: { app: 'web' }, ports: [{ name: 'http', containerPort: 9090 }] }),
  pod({ ns: 'np', name: 'plain', ip: '10.0.0.3', labels: { app: 'plain' }, ports: [{ containerPort: 8080 }] }),
  // The source exposes `http` on another number: ingress must not resolve the name on it.
  pod({ ns: 'np', name: 'client', ip: '10.0.0.9', labels: { app: 'client' }, ports: [{ name: 'http', containerPort: 5555 }] }),
  pod({ ns: 'far', name: 'web-c', ip: '10.1.0.1', labels: { app: 'web' }, ports: [{ name: 'http', containerPort: 7070 }] }),
];
const CLIENT = '10.0.0.9';
const WEB_A = '10.0.0.1';
const WEB_B = '10.0.0.2';

function ingressPorts(ports: string): string {
  return `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: in, namespace: np}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - ports: ${ports}`;
}

function egressRule(rule: string): string {
  return `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: out, namespace: np}
spec:
  podSelector: {matchLabels: {app: client}}
  policyTypes: [Egress]
  egress:
  - ${rule}`;
}

describe('naive named ports', () => {
  it('naive named ports - ingress resolves the name on the subject pod, per pod', () => {
    const w = load(...base, ingressPorts('[{port: http}]'));
    const a = w.tcp(CLIENT, WEB_A, 8080);
    expect(a.reason).toBe(Reason.ALLOW_POLICY);
    expect(a.ingress.rule).toEqual(rule('np/in', 'ingress', 0, null, 0));
    expect(w.tcp(CLIENT, WEB_B, 9090).reason).toBe(Reason.ALLOW_POLICY);
    // Each pod's own number only.
    expect(w.tcp(CLIENT, WEB_A, 9090).reason).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
    expect(w.tcp(CLIENT, WEB_B, 8080).reason).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
    // Not the source's `http` (5555).
    expect(w.tcp(CLIENT, WEB_A, 5555).reason).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
    // From outside the cluster too: the destination pod owns the name.
    expect(w.tcp('198.51.100.1', WEB_A, 8080).reason).toBe(Reason.ALLOW_POLICY);
  });

  it('naive named ports - the entry protocol must equal the container port protocol', () => {
    const tcpDns = load(...base, ingressPorts('[{port: dns}]'));
    // `dns` is UDP/53 on web-a: a TCP entry named dns matches neither TCP/53 nor UDP/53.
    expect(tcpDns.tcp(CLIENT, WEB_A, 53).reason).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
    expect(tcpDns.udp(CLIENT, WEB_A, 53).reason).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
    const udpDns = load(...base, ingressPorts('[{port: http}, {port: dns, protocol: UDP}]'));
    expect(udpDns.udp(CLIENT, WEB_A, 53).ingress.rule).toEqual(rule('np/in', 'ingress', 0, null, 1));
    expect(udpDns.tcp(CLIENT, WEB_A, 53).reason).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
    // A UDP flow to the TCP `http` number is not matched either.
    expect(udpDns.udp(CLIENT, WEB_A, 8080).reason).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
  });

  it('naive named ports - egress resolves the name on the peer (destination) pod, not the subject', () => {
    const w = load(...base, egressRule('ports: [{port: http}]'));
    const a = w.tcp(CLIENT, WEB_A, 8080);
    expect(a.reason).toBe(Reason.ALLOW_POLICY);
    expect(a.egress.rule).toEqual(rule('np/out', 'egress', 0, null, 0));
    expect(w.tcp(CLIENT, WEB_B, 9090).allowed).toBe(true);
    expect(w.tcp(CLIENT, WEB_A, 9090).reason).toBe(Reason.DROP_EGRESS_DEFAULT_DENY);
    // The subject's own `http` number (5555) means nothing on another pod.
    expect(w.tcp(CLIENT, WEB_A, 5555).reason).toBe(Reason.DROP_EGRESS_DEFAULT_DENY);
  });

  it('naive named ports - egress with no `to` matches pods exposing the name in any namespace, never external IPs', () => {
    const w = load(...base, egressRule('ports: [{port: http}]'));
    expect(w.tcp(CLIENT, '10.1.0.1', 7070).egress.rule).toEqual(rule('np/out', 'egress', 0, null, 0));
    // A pod without a port of that name (plain has an unnamed 8080).
    expect(w.tcp(CLIENT, '10.0.0.3', 8080).reason).toBe(Reason.DROP_EGRESS_DEFAULT_DENY);
    const external = w.tcp(CLIENT, '203.0.113.1', 8080);
    expect(external.reason).toBe(Reason.DROP_EGRESS_DEFAULT_DENY);
    expect(external.ingress.reason).toBe(DirectionReason.NOT_A_POD);
  });

  it('naive named ports - egress to an ipBlock with a named port matches only pods inside it', () => {
    const w = load(...base, egressRule('to: [{ipBlock: {cidr: 10.0.0.0/8}}]\n    ports: [{port: http}]'));
    expect(w.tcp(CLIENT, WEB_A, 8080).egress.rule).toEqual(rule('np/out', 'egress', 0, 0, 0));
    // Inside the CIDR but no pod owns the address, so there is no container port to resolve.
    expect(w.tcp(CLIENT, '10.200.0.1', 8080).reason).toBe(Reason.DROP_EGRESS_DEFAULT_DENY);
  });
});
