/**
 * Property: on random clusters with random ClusterIP Services (selector, target port by number or
 * by a container-port name that some pods lack, session affinity), a pod's connection to a
 * ClusterIP replayed through the dataplane is translated to an endpoint that the Service really
 * has (worked out plainly here, not with the emulator's code), judged as the naive evaluator
 * judges the direct connection to that endpoint, and both engines record the same endpoint and
 * verdict. A Service without such an endpoint drops the connection.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dataplane, NaiveEvaluator, buildCluster, buildServiceNat, createEngine, parseIp, type Diagnostic } from '../src/index.js';
import { flowReport } from '../src/replay/flow-report.js';
import { clusterArb, serviceArb, serviceObject, type ServiceShape } from './helpers/random-cluster.js';
import { ethernet, ipv4, tcp, udp } from './helpers/build-frame.js';

interface Pod {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  phase: string;
  hostNetwork: boolean;
  ip: string | null;
  ports: { name?: string; containerPort: number; protocol?: string }[];
}

/** The endpoints of `s` written plainly: Running, not hostNetwork, selected pods with the target port. */
function expectedEndpoints(s: ServiceShape, pods: readonly Pod[]): Set<string> {
  const out = new Set<string>();
  if (Object.keys(s.selector).length === 0) return out;
  for (const pod of pods) {
    if (pod.namespace !== s.namespace || pod.phase !== 'Running' || pod.hostNetwork || pod.ip === null) continue;
    if (!Object.entries(s.selector).every(([k, v]) => pod.labels[k] === v)) continue;
    const port = typeof s.targetPort === 'number' ? s.targetPort : pod.ports.find((p) => p.name === s.targetPort && (p.protocol ?? 'TCP') === s.protocol)?.containerPort;
    if (port !== undefined) out.add(`${pod.ip}:${port}`);
  }
  return out;
}

describe('services - both engines agree on translated connections', () => {
  it('services property - endpoint is the Service\'s, verdict is the direct connection\'s, engines agree', () => {
    let translated = 0;
    let noEndpoint = 0;
    fc.assert(
      fc.property(clusterArb, fc.array(fc.tuple(serviceArb, fc.nat(), fc.boolean()), { minLength: 1, maxLength: 4 }), fc.array(fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 1024, max: 65535 })), { minLength: 5, maxLength: 20 }), (random, shapes, flows) => {
        // Most Services select (one label of) a pod of the cluster, in its namespace; the rest stay random.
        const podObjects = random.objects.map((o) => o.object).filter((o) => o['kind'] === 'Pod');
        const services: ServiceShape[] = shapes.map(([shape, index, bind]) => {
          const pod = podObjects[index % podObjects.length];
          if (!bind || !pod) return shape;
          const meta = pod['metadata'] as { namespace: string; labels: Record<string, string> };
          const [key, value] = Object.entries(meta.labels)[index % Math.max(1, Object.keys(meta.labels).length)] ?? [];
          return { ...shape, namespace: meta.namespace, selector: key === undefined ? {} : { [key]: value as string } };
        });
        const objects = [...random.objects, ...services.map((s, i) => serviceObject(s, i, 1000 + i))];
        const diagnostics: Diagnostic[] = [];
        const { cluster } = buildCluster(objects, diagnostics);
        expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
        const pods: Pod[] = random.objects
          .map((o) => o.object)
          .filter((o) => o['kind'] === 'Pod')
          .map((o) => {
            const meta = o['metadata'] as { name: string; namespace: string; labels: Record<string, string> };
            const status = o['status'] as { phase: string; podIPs?: { ip: string }[] };
            const spec = o['spec'] as { hostNetwork: boolean; containers: { ports: Pod['ports'] }[] };
            const v4 = (status.podIPs ?? []).map((p) => p.ip).find((ip) => !ip.includes(':')) ?? null;
            return { namespace: meta.namespace, name: meta.name, labels: meta.labels, phase: status.phase, hostNetwork: spec.hostNetwork, ip: v4, ports: spec.containers[0]?.ports ?? [] };
          });
        const clients = pods.filter((p) => p.ip !== null && p.phase === 'Running' && !p.hostNetwork);
        if (clients.length === 0) return;
        const naive = new NaiveEvaluator(cluster);
        const planes = (['compiled', 'naive'] as const).map((engine) => {
          const { policy, provenance } = createEngine(cluster, engine);
          const services = buildServiceNat(cluster, { seed: 7 });
          return { dataplane: new Dataplane(policy, services ? { services } : {}), provenance };
        });
        flows.forEach(([c, s, sport], k) => {
          const client = clients[c % clients.length] as Pod;
          const si = s % services.length;
          const service = services[si] as ServiceShape;
          const l4 = service.protocol === 'TCP' ? tcp({ srcPort: sport, dstPort: 80, flags: 0x02 }) : udp(sport, 80);
          const frame = ethernet(0x0800, ipv4({ src: client.ip as string, dst: `10.96.0.${si + 1}`, protocol: service.protocol === 'TCP' ? 6 : 17, id: k }, l4));
          const reports = planes.map(({ dataplane, provenance }) => {
            dataplane.next(frame, 0, frame.length, frame.length, 1, 1000 + k);
            return dataplane.lastFlow >= 0 ? flowReport(dataplane.flows, provenance, dataplane.lastFlow) : null;
          });
          const [compiled, plain] = reports;
          expect(compiled?.endpoint).toEqual(plain?.endpoint);
          expect(compiled?.verdict).toEqual(plain?.verdict);
          expect(compiled?.reason).toEqual(plain?.reason);
          const endpoints = expectedEndpoints(service, pods);
          if (endpoints.size === 0) {
            expect(compiled?.reason).toBe('drop-service-no-endpoint');
            noEndpoint++;
            return;
          }
          const chosen = `${compiled?.dst}:${compiled?.dport}`;
          expect(endpoints, chosen).toContain(chosen);
          const src = parseIp(client.ip as string);
          const dst = parseIp(compiled?.dst as string);
          if (!src.ok || !dst.ok) throw new Error('bad address');
          const direct = naive.evaluate({ src: src.value, dst: dst.value, protocol: service.protocol === 'TCP' ? 6 : 17, dstPort: compiled?.dport as number });
          // A repeated 5-tuple is the same connection: its verdict is the first packet's.
          if ((compiled?.packets.forward ?? 0) === 1) expect(compiled?.verdict).toBe(direct.allowed ? 'allowed' : 'denied');
          translated++;
        });
      }),
      { numRuns: 200, seed: Number(process.env['NETPOL_PROPERTY_SEED'] ?? 20261203) },
    );
    if (process.env['NETPOL_PROPERTY_STATS']) console.log({ translated, noEndpoint });
    expect(translated).toBeGreaterThan(100);
    expect(noEndpoint).toBeGreaterThan(100);
  });
});
