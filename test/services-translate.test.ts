/**
 * Service translation through the CLI (test/fixtures/services/cluster.yaml): a client's packets to
 * a ClusterIP are judged on the endpoint kube-proxy would pick, replies from the ClusterIP are
 * un-translated onto the same connection, a node capture's pre- and post-DNAT copies are one
 * packet, NodePort traffic is source-NATed (Cluster) or not (Local), a Service without endpoints
 * drops, headless Services are not translated, and `--service-endpoint` pins the endpoint.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DecodeStatus, PacketMeta, decodeFrame, readCapture } from '../src/index.js';
import { bytes, ethernet, icmp, ipv4, ipv6, linuxSll2, tcp, udp, type Bytes } from './helpers/build-frame.js';
import { runCli } from './helpers/run-cli.js';
import { writeFrames } from './helpers/write-frames.js';

const CLUSTER = 'test/fixtures/services/cluster.yaml';
const SYN = 0x02;
const SYN_ACK = 0x12;

function packet(src: string, sport: number, dst: string, dport: number, flags = SYN, id = 0x1234): Bytes {
  return ipv4({ src, dst, protocol: 6, id }, tcp({ srcPort: sport, dstPort: dport, flags }));
}

interface Flow {
  src: string;
  sport: number;
  dst: string;
  dport: number;
  srcPod: string | null;
  dstPod: string | null;
  verdict: string;
  reason: string;
  packets: { forward: number; reply: number; dropped: number };
  service?: string;
  endpoint?: string | null;
  endpointVerdicts?: { endpoint: string; verdict: string }[];
}

async function replay(frames: readonly Bytes[], extra: string[] = [], linkType = 1): Promise<{ flows: Flow[]; summary: { packets: Record<string, number> } }> {
  const run = await runCli(['replay', writeFrames(frames, linkType), '-f', CLUSTER, '--flows', '-', '-o', 'json', ...extra]);
  expect(run.code, run.stderr).toBe(0);
  return { flows: run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Flow), summary: JSON.parse(run.stderr) };
}

describe('services - translation before policy', () => {
  it('services - ClusterIP: judged on the chosen endpoint, named targetPort resolved per pod, the other endpoint\'s verdict shown', async () => {
    const frames = [40000, 40001, 40002, 40003, 40004, 40005].map((p) => ethernet(0x0800, packet('10.244.1.10', p, '10.96.0.10', 80)));
    const { flows } = await replay(frames);
    expect(flows).toHaveLength(6);
    const byPod = new Map<string | null, Flow[]>();
    for (const f of flows) byPod.set(f.dstPod, [...(byPod.get(f.dstPod) ?? []), f]);
    // Both endpoints are used; the port is each pod's own "http" container port.
    expect([...byPod.keys()].sort()).toEqual(['shop/backend-v1', 'shop/backend-v2']);
    for (const f of byPod.get('shop/backend-v1') ?? []) expect(f).toMatchObject({ dst: '10.244.1.20', dport: 8080, verdict: 'allowed', service: 'shop/backend:http', endpoint: 'shop/backend-v1 10.244.1.20:8080' });
    for (const f of byPod.get('shop/backend-v2') ?? []) expect(f).toMatchObject({ dst: '10.244.2.20', dport: 8081, verdict: 'denied', reason: 'drop-ingress-default-deny' });
    expect(flows[0]?.endpointVerdicts).toEqual([
      { endpoint: 'shop/backend-v1 10.244.1.20:8080', verdict: 'allowed' },
      { endpoint: 'shop/backend-v2 10.244.2.20:8081', verdict: 'denied' },
    ]);
  });

  it('services - the choice is deterministic, seeded, and --service-endpoint pins it', async () => {
    const frames = [40000, 40001, 40002, 40003, 40004, 40005, 40006, 40007].map((p) => ethernet(0x0800, packet('10.244.1.10', p, '10.96.0.10', 80)));
    const pick = async (extra: string[]): Promise<string> => (await replay(frames, extra)).flows.map((f) => f.dst).join(',');
    expect(await pick([])).toBe(await pick([]));
    expect(await pick(['--service-seed', '7'])).not.toBe(await pick([]));
    expect((await replay(frames, ['--service-endpoint', 'shop/backend=10.244.1.20'])).flows.every((f) => f.verdict === 'allowed' && f.dst === '10.244.1.20')).toBe(true);
    const bad = await runCli(['replay', writeFrames(frames), '-f', CLUSTER, '--service-endpoint', 'shop/backend=10.9.9.9']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual(['netpol-emu: --service-endpoint: 10.9.9.9 is not a ready endpoint of Service shop/backend']);
  });

  it('services - a reply from the ClusterIP is the same connection, un-translated', async () => {
    const pin = ['--service-endpoint', 'shop/backend=10.244.1.20'];
    const { flows, summary } = await replay([ethernet(0x0800, packet('10.244.1.10', 40000, '10.96.0.10', 80)), ethernet(0x0800, packet('10.96.0.10', 80, '10.244.1.10', 40000, SYN_ACK))], pin);
    expect(flows).toHaveLength(1);
    expect(flows[0]).toMatchObject({ verdict: 'allowed', packets: { forward: 1, reply: 1, dropped: 0 } });
    expect(summary.packets).toMatchObject({ allowedNew: 1, allowedEstablished: 1 });
  });

  it('services - node -i any capture: the pre- and post-DNAT copies are one packet', async () => {
    const pin = ['--service-endpoint', 'shop/backend=10.244.1.20'];
    const pre = linuxSll2(0x0800, 5, 0, packet('10.244.1.10', 40000, '10.96.0.10', 80, SYN, 0x4242));
    const post = linuxSll2(0x0800, 6, 4, packet('10.244.1.10', 40000, '10.244.1.20', 8080, SYN, 0x4242));
    const { flows, summary } = await replay([pre, post], pin, 276);
    expect(flows).toHaveLength(1);
    expect(flows[0]).toMatchObject({ service: 'shop/backend:http', packets: { forward: 1, reply: 0 } });
    expect(summary.packets).toMatchObject({ total: 2, allowedNew: 1, duplicate: 1 });
  });

  it('services - node -i any capture, UDP: NAT rewrote the checksum, still one packet', async () => {
    const pin = ['--service-endpoint', 'shop/backend-udp=10.244.1.20'];
    const withChecksum = (bytes: Bytes, sum: number): Bytes => {
      const copy = Uint8Array.from(bytes);
      copy[20 + 6] = sum >> 8;
      copy[20 + 7] = sum & 0xff;
      return copy;
    };
    const datagram = (dst: string, dport: number, sum: number): Bytes => withChecksum(ipv4({ src: '10.244.1.10', dst, protocol: 17, id: 0x5151 }, udp(40000, dport, bytes(12, 7))), sum);
    const pre = linuxSll2(0x0800, 5, 0, datagram('10.96.0.20', 80, 0x1111));
    const post = linuxSll2(0x0800, 6, 4, datagram('10.244.1.20', 8080, 0x2222));
    const { flows, summary } = await replay([pre, post], pin, 276);
    expect(flows).toHaveLength(1);
    expect(flows[0]).toMatchObject({ service: 'shop/backend-udp:dns', dst: '10.244.1.20', packets: { forward: 1, reply: 0 } });
    expect(summary.packets).toMatchObject({ total: 2, duplicate: 1 });
  });

  it('services - an ICMP error from the Service address about a translated datagram is RELATED', async () => {
    // slices-list.yaml: no policy, so the datagram is allowed and the error finds its connection.
    const query = ipv4({ src: '10.9.0.1', dst: '10.96.1.1', protocol: 17, id: 0x0101 }, udp(40000, 53, bytes(4)));
    const unreachable = ipv4({ src: '10.96.1.1', dst: '10.9.0.1', protocol: 1 }, icmp(3, 3, 0, query.subarray(0, 28)));
    const run = await runCli(['replay', writeFrames([ethernet(0x0800, query), ethernet(0x0800, unreachable)]), '-f', 'test/fixtures/services/slices-list.yaml', '--flows', '-', '-o', 'json']);
    expect(run.code, run.stderr).toBe(0);
    const flows = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Flow);
    expect(flows).toHaveLength(1);
    expect(flows[0]).toMatchObject({ dst: '10.244.1.5', dport: 5353, verdict: 'allowed', packets: { forward: 1, reply: 1 } });
    // stderr: the loader's implicit-namespace warning, then the JSON summary.
    expect(JSON.parse(run.stderr.slice(run.stderr.indexOf('{'))).packets).toMatchObject({ allowedNew: 1, allowedRelated: 1 });
  });

  it('services - NodePort from outside: externalTrafficPolicy Cluster source-NATs to the node, Local keeps the client', async () => {
    const cluster = await replay([ethernet(0x0800, packet('203.0.113.5', 42000, '172.18.0.3', 30080))], ['--service-endpoint', 'shop/backend=10.244.1.20']);
    expect(cluster.flows[0]).toMatchObject({ src: '172.18.0.3', sport: 42000, dst: '10.244.1.20', dport: 8080, service: 'shop/backend:http' });
    const local = await replay([ethernet(0x0800, packet('203.0.113.5', 42001, '172.18.0.3', 30081))]);
    // Local: only node2's endpoint, and the policy sees the real client.
    expect(local.flows[0]).toMatchObject({ src: '203.0.113.5', dst: '10.244.2.20', dport: 8081, dstPod: 'shop/backend-v2', service: 'shop/backend-local:http' });
  });

  it('services - NodePort from outside under a profile that keeps the client (calico-ebpf): the policy sees the client', async () => {
    const frame = ethernet(0x0800, packet('203.0.113.5', 42000, '172.18.0.3', 30080));
    const pin = ['--service-endpoint', 'shop/backend=10.244.1.20'];
    const ebpf = await replay([frame], [...pin, '--cni', 'calico-ebpf']);
    expect(ebpf.flows[0]).toMatchObject({ src: '203.0.113.5', dst: '10.244.1.20', dport: 8080, service: 'shop/backend:http' });
    // The same switch on any profile, and back: upstream (kube-proxy) masquerades to the node.
    const override = await replay([frame], [...pin, '--cni-opt', 'externalSource=client']);
    expect(override.flows[0]?.src).toBe('203.0.113.5');
    const cilium = await replay([frame], [...pin, '--cni', 'cilium']);
    expect(cilium.flows[0]?.src).toBe('172.18.0.3');
  });

  it('services - no endpoint: dropped in its own category, retransmissions on the same flow', async () => {
    const syn = ethernet(0x0800, packet('10.244.1.10', 41000, '10.96.0.12', 80));
    const { flows, summary } = await replay([syn, syn]);
    expect(flows).toEqual([expect.objectContaining({ dst: '10.96.0.12', verdict: 'denied', reason: 'drop-service-no-endpoint', service: 'shop/nobody:80', endpoint: null, packets: { forward: 2, reply: 0, dropped: 2 } })]);
    expect(summary.packets).toMatchObject({ total: 2, droppedNoEndpoint: 2 });
  });

  it('services - no endpoint: in-cluster traffic is rejected (ICMP port unreachable from the Service address), external dropped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'npe-svc-reject-'));
    const allowed = join(dir, 'allowed.pcap');
    const syn = ethernet(0x0800, packet('10.244.1.10', 41000, '10.96.0.12', 80));
    const outside = ethernet(0x0800, packet('203.0.113.9', 41001, '172.18.0.4', 30081));
    const run = await runCli(['replay', writeFrames([syn, outside]), '-f', CLUSTER, '--write-allowed', allowed, '-o', 'json']);
    expect(run.code, run.stderr).toBe(0);
    // backend-local has no endpoint on node3 (172.18.0.4): the external SYN is dropped, not answered.
    expect(JSON.parse(run.stdout)).toMatchObject({ rejectsSent: 1, packets: { droppedNoEndpoint: 2 } });
    const meta = new PacketMeta();
    const answers: string[] = [];
    await readCapture(allowed, (r) => {
      if (decodeFrame(r.buffer, r.offset, r.capturedLength, r.wireLength, r.linkType, meta) !== DecodeStatus.OK) return;
      answers.push(`${meta.protocol} ${meta.icmpType}/${meta.icmpCode} ${meta.src[0] === 0x0a60000c ? 'from the Service address' : 'other'}`);
    });
    expect(answers).toEqual(['1 3/3 from the Service address']);
  });

  it('services - a headless Service and a capture without Service traffic are not translated', async () => {
    const { flows, summary } = await replay([ethernet(0x0800, packet('10.244.1.10', 43000, '10.244.1.20', 8080))]);
    expect(flows[0]).toMatchObject({ dst: '10.244.1.20', verdict: 'allowed' });
    expect(flows[0]).not.toHaveProperty('service');
    expect(summary.packets).not.toHaveProperty('droppedNoEndpoint');
  });

  it('services - EndpointSlices: ready endpoints only, slice ports, and the IPv6 ClusterIP of a dual-stack Service', async () => {
    const slices = 'test/fixtures/services/slices-list.yaml';
    const v4 = [40000, 40001, 40002, 40003].map((p) => ethernet(0x0800, packet('10.9.0.1', p, '10.96.1.1', 443)));
    const v6 = ethernet(0x86dd, ipv6({ src: 'fd00:9::1', dst: 'fd00:96::1', nextHeader: 6 }, tcp({ srcPort: 41000, dstPort: 443, flags: SYN })));
    const dns = ethernet(0x0800, ipv4({ src: '10.9.0.1', dst: '10.96.1.1', protocol: 17 }, udp(42000, 53)));
    const run = await runCli(['replay', writeFrames([...v4, v6, dns]), '-f', slices, '--flows', '-']);
    expect(run.code, run.stderr).toBe(0);
    const flows = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Flow);
    // 10.244.2.5 is terminating and 10.244.3.5 not ready: while 10.244.1.5 is ready, only it serves.
    for (const f of flows.slice(0, 4)) expect(f).toMatchObject({ dst: '10.244.1.5', dport: 8443, service: 'web/front:https', endpoint: 'web/front-1 10.244.1.5:8443' });
    expect(flows[4]).toMatchObject({ src: 'fd00:9::1', dst: 'fd00:244:1::5', dport: 8443, service: 'web/front:https' });
    expect(flows[5]).toMatchObject({ protocol: 'UDP', dst: '10.244.1.5', dport: 5353, service: 'web/front:dns' });
  });

  it('services - no ready endpoint: the serving-and-terminating one serves (KEP-1669)', async () => {
    const frames = [40000, 40001, 40002].map((p) => ethernet(0x0800, packet('10.9.0.1', p, '10.96.3.1', 80)));
    const run = await runCli(['replay', writeFrames(frames), '-f', 'test/fixtures/services/terminating.yaml', '--flows', '-']);
    const flows = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Flow);
    expect(flows.map((f) => `${f.dst}:${f.dport}`)).toEqual(['10.244.2.5:8080', '10.244.2.5:8080', '10.244.2.5:8080']);
  });
});
