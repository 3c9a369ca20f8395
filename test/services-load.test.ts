/**
 * Loading Services and EndpointSlices: every field the translation uses, from a `kubectl get -o
 * yaml` List, and one-line errors naming file, document, object and field for bad ones.
 */
import { describe, expect, it } from 'vitest';
import { loadCluster } from '../src/index.js';
import { runCli } from './helpers/run-cli.js';

const DIR = 'test/fixtures/services';

describe('services - load', () => {
  it('services load - a dual-stack LoadBalancer Service and its slices from a List', () => {
    const { cluster, diagnostics, stats } = loadCluster({ paths: [`${DIR}/slices-list.yaml`] });
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(stats.used).toEqual({ Service: 1, EndpointSlice: 2 });
    const [svc] = cluster.services ?? [];
    expect(svc).toMatchObject({
      namespace: 'web',
      name: 'front',
      type: 'LoadBalancer',
      headless: false,
      externalTrafficPolicy: 'Local',
      internalTrafficPolicy: 'Cluster',
      sessionAffinity: 'ClientIP',
      selector: { app: 'front' },
    });
    expect(svc?.clusterIPs.map((ip) => ip.text)).toEqual(['10.96.1.1', 'fd00:96::1']);
    expect(svc?.externalIPs.map((ip) => ip.text)).toEqual(['198.51.100.10']);
    // The hostname-only ingress has no address to translate.
    expect(svc?.loadBalancerIPs.map((ip) => ip.text)).toEqual(['203.0.113.80']);
    expect(svc?.ports).toEqual([
      { name: 'https', protocol: 'TCP', port: 443, targetPort: 8443, nodePort: 31443 },
      { name: 'dns', protocol: 'UDP', port: 53, targetPort: 'dns', nodePort: null },
    ]);
    const [v4, v6] = cluster.endpointSlices ?? [];
    expect(v4?.serviceName).toBe('front');
    expect(v4?.ports).toEqual([
      { name: 'https', protocol: 'TCP', port: 8443 },
      { name: 'dns', protocol: 'UDP', port: 5353 },
    ]);
    expect(v4?.endpoints.map((e) => [e.addresses[0]?.text, e.ready, e.serving, e.terminating, e.nodeName, e.pod])).toEqual([
      ['10.244.1.5', true, true, false, 'node1', 'web/front-1'],
      ['10.244.2.5', false, true, true, 'node2', 'web/front-2'],
      ['10.244.3.5', false, false, false, 'node3', null],
    ]);
    // Conditions absent: ready (API doc: nil means ready), serving follows ready.
    expect(v6?.endpoints[0]).toMatchObject({ ready: true, serving: true, terminating: false });
  });

  it('services load - every bad field is one line naming file, document, object and field', async () => {
    const run = await runCli(['compile', '-f', `${DIR}/bad.yaml`]);
    expect(run.code).toBe(3);
    expect(run.stderr.trim().split('\n')).toEqual([
      `error: ${DIR}/bad.yaml: document 1 (Service web/two-ports): spec.ports[0].name: Required value: a Service with more than one port must name each port`,
      `error: ${DIR}/bad.yaml: document 1 (Service web/two-ports): spec.ports[1].port: 70000 must be between 1 and 65535, inclusive`,
      `error: ${DIR}/bad.yaml: document 2 (Service web/bad-ip): spec.type: Unsupported value: "Nodeport": supported values: "ClusterIP", "NodePort", "LoadBalancer", "ExternalName"`,
      `error: ${DIR}/bad.yaml: document 2 (Service web/bad-ip): spec.clusterIP: "10.96.300.1" must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)`,
      `error: ${DIR}/bad.yaml: document 2 (Service web/bad-ip): spec.ports[0]: unknown field "targetPot" (known fields: name, protocol, port, targetPort, nodePort, appProtocol)`,
      `error: ${DIR}/bad.yaml: document 2 (Service web/bad-ip): spec.externalTrafficPolicy: Unsupported value: "local": supported values: "Cluster", "Local"`,
      `error: ${DIR}/bad.yaml: document 3 (EndpointSlice web/orphan): metadata.labels.kubernetes.io/service-name: Required value: the label names the Service this slice belongs to`,
      'netpol-emu: 7 error(s) in the input; nothing was evaluated',
    ]);
  });

  it('services load - an EndpointSlice address of the other family, a condition that is not a boolean', async () => {
    const run = await runCli(['compile', '-f', `${DIR}/bad-family.yaml`]);
    expect(run.code).toBe(3);
    expect(run.stderr.trim().split('\n').slice(0, 2)).toEqual([
      `error: ${DIR}/bad-family.yaml: document 1 (EndpointSlice web/front-x): endpoints[0].addresses[0]: "fd00::1" is not an IPv4 address (addressType IPv4)`,
      `error: ${DIR}/bad-family.yaml: document 1 (EndpointSlice web/front-x): endpoints[0].conditions.ready: expected true or false, got the string "yes"`,
    ]);
  });
});
