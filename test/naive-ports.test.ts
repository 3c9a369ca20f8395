import { describe, expect, it } from 'vitest';
import { Reason } from '../compiler/verdict.js';
import { load, namespace, pod, rule, type World } from './naive-harness.js';

// SEMANTICS.md §1.1 and §1.3 portsMatch: protocol defaults to TCP and must equal the flow's;
// a port entry without `port` covers every port of its protocol; endPort is inclusive.
const base = [
  namespace('p'),
  pod({ ns: 'p', name: 'server', ip: '10.0.0.1', labels: { app: 'server' } }),
  pod({ ns: 'p', name: 'client', ip: '10.0.0.2', labels: { app: 'client' } }),
];
const CLIENT = '10.0.0.2';
const SERVER = '10.0.0.1';

function withPorts(ports: string): World {
  return load(
    ...base,
    `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: pol, namespace: p}
spec:
  podSelector: {matchLabels: {app: server}}
  ingress:
  - ports: ${ports}`,
  );
}

describe('naive ports', () => {
  it('naive ports - endPort range is inclusive at both ends', () => {
    const w = withPorts('[{port: 32000, endPort: 32768}]');
    for (const port of [32000, 32001, 32500, 32767, 32768]) {
      const v = w.tcp(CLIENT, SERVER, port);
      expect(v.reason, String(port)).toBe(Reason.ALLOW_POLICY);
      expect(v.ingress.rule).toEqual(rule('p/pol', 'ingress', 0, null, 0));
    }
    for (const port of [31999, 32769, 80]) expect(w.tcp(CLIENT, SERVER, port).reason, String(port)).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
    expect(w.udp(CLIENT, SERVER, 32000).reason).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
  });

  it('naive ports - SCTP (protocol 132) is matched only by SCTP entries', () => {
    const w = withPorts('[{protocol: SCTP, port: 9999}]');
    expect(w.sctp(CLIENT, SERVER, 9999).reason).toBe(Reason.ALLOW_POLICY);
    expect(w.flow(CLIENT, SERVER, 132, 9999).ingress.rule).toEqual(rule('p/pol', 'ingress', 0, null, 0));
    expect(w.sctp(CLIENT, SERVER, 9998).reason).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
    expect(w.tcp(CLIENT, SERVER, 9999).reason).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
    expect(w.udp(CLIENT, SERVER, 9999).reason).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
  });

  it('naive ports - a port entry without protocol is TCP: UDP to the same port is not matched', () => {
    const w = withPorts('[{port: 53}]');
    expect(w.cluster.policies[0]?.ingress[0]?.ports).toEqual([{ protocol: 'TCP', port: 53, endPort: null }]);
    expect(w.tcp(CLIENT, SERVER, 53).reason).toBe(Reason.ALLOW_POLICY);
    expect(w.udp(CLIENT, SERVER, 53).reason).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
    expect(w.sctp(CLIENT, SERVER, 53).reason).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
  });

  it('naive ports - a port entry with protocol only covers every port of that protocol', () => {
    const w = withPorts('[{protocol: UDP}]');
    for (const port of [1, 53, 65535]) expect(w.udp(CLIENT, SERVER, port).ingress.rule).toEqual(rule('p/pol', 'ingress', 0, null, 0));
    expect(w.tcp(CLIENT, SERVER, 53).reason).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
    expect(w.icmp(CLIENT, SERVER).reason).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
  });

  it('naive ports - ports: [{}] means every TCP port and nothing else', () => {
    const w = withPorts('[{}]');
    expect(w.cluster.policies[0]?.ingress[0]?.ports).toEqual([{ protocol: 'TCP', port: null, endPort: null }]);
    for (const port of [1, 80, 65535]) expect(w.tcp(CLIENT, SERVER, port).reason).toBe(Reason.ALLOW_POLICY);
    expect(w.udp(CLIENT, SERVER, 53).reason).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
    expect(w.sctp(CLIENT, SERVER, 80).reason).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
    expect(w.icmp(CLIENT, SERVER).reason).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
  });

  it('naive ports - several port entries are ORed and the first matching one is reported', () => {
    const w = withPorts('[{port: 80}, {protocol: UDP, port: 53}, {port: 443}, {protocol: TCP}]');
    expect(w.tcp(CLIENT, SERVER, 80).ingress.rule?.portIndex).toBe(0);
    expect(w.udp(CLIENT, SERVER, 53).ingress.rule?.portIndex).toBe(1);
    expect(w.tcp(CLIENT, SERVER, 443).ingress.rule?.portIndex).toBe(2);
    expect(w.tcp(CLIENT, SERVER, 8443).ingress.rule?.portIndex).toBe(3);
    expect(w.udp(CLIENT, SERVER, 54).reason).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
  });
});
