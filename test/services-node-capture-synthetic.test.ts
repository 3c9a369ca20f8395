/**
 * A synthetic node capture in the shape of a real `tcpdump -i any` on a kube-proxy node (see
 * services-random-recorded.test.ts for the recorded one), at a larger scale: six client pods
 * open interleaved TCP connections to a three-endpoint Service and send UDP requests to a
 * two-endpoint one; the "node" picks each connection's endpoint at random (a seeded test PRNG,
 * independent of the emulator's seed), and every wire packet appears twice, before DNAT and
 * after it (the replies: before un-translation and after), a few packets apart. Policies admit
 * the clients into backend-v1 and backend-v2 only, so following the node's choice changes
 * verdicts both ways. Each connection must come out with the endpoint the node chose and its
 * verdict, in both engines and with 1, 2 or 3 workers.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PcapWriter } from '../src/index.js';
import { bytes as fill, ipv4, ipv6, linuxSll2, tcp, udp } from './helpers/build-frame.js';
import { runCli } from './helpers/run-cli.js';

const TMP = mkdtempSync(join(tmpdir(), 'npe-svc-node-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

interface Family {
  readonly v6: boolean;
  readonly web: string;
  readonly dns: string;
  readonly clients: readonly string[];
  readonly backends: readonly { readonly name: string; readonly ip: string; readonly admitted: boolean }[];
}

const FAMILIES: Record<'IPv4' | 'IPv6', Family> = {
  IPv4: {
    v6: false,
    web: '10.96.0.10',
    dns: '10.96.0.53',
    clients: Array.from({ length: 6 }, (_, i) => `10.244.2.${10 + i}`),
    backends: [
      { name: 'backend-v1', ip: '10.244.1.20', admitted: true },
      { name: 'backend-v2', ip: '10.244.3.21', admitted: true },
      { name: 'backend-v3', ip: '10.244.4.22', admitted: false },
    ],
  },
  IPv6: {
    v6: true,
    web: 'fd00:96::10',
    dns: 'fd00:96::53',
    clients: Array.from({ length: 6 }, (_, i) => `fd00:244:2::${10 + i}`),
    backends: [
      { name: 'backend-v1', ip: 'fd00:244:1::20', admitted: true },
      { name: 'backend-v2', ip: 'fd00:244:3::21', admitted: true },
      { name: 'backend-v3', ip: 'fd00:244:4::22', admitted: false },
    ],
  },
};

/** The UDP Service's endpoints: v2 and v3 (v1 does not serve it). */
const udpBackends = (family: Family): Family['backends'] => family.backends.slice(1);

const cluster = (family: Family): string => `apiVersion: v1
kind: Namespace
metadata: { name: shop }
${family.clients.map((ip, i) => `---
apiVersion: v1
kind: Pod
metadata: { name: client-${i}, namespace: shop, labels: { app: client } }
spec: { nodeName: node1 }
status: { phase: Running, hostIP: 172.18.0.2, podIP: ${ip} }
`).join('')}${family.backends.map((b) => `---
apiVersion: v1
kind: Pod
metadata: { name: ${b.name}, namespace: shop, labels: { app: backend, version: ${b.name.slice(-2)}${b.name === 'backend-v1' ? '' : ', dns: "yes"'} } }
spec:
  nodeName: node1
  containers: [{ name: web, image: x, ports: [{ name: http, containerPort: 8080 }, { name: dns, containerPort: 5353, protocol: UDP }] }]
status: { phase: Running, hostIP: 172.18.0.2, podIP: ${b.ip} }
`).join('')}---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: shop }
spec:
  selector: { app: backend }
  clusterIP: ${family.web}
  ports: [{ name: http, port: 80, targetPort: http }]
---
apiVersion: v1
kind: Service
metadata: { name: dns, namespace: shop }
spec:
  selector: { app: backend, dns: "yes" }
  clusterIP: ${family.dns}
  ports: [{ name: dns, port: 53, targetPort: dns, protocol: UDP }]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: backends-closed, namespace: shop }
spec:
  podSelector: { matchLabels: { app: backend } }
  policyTypes: [Ingress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: v1-v2-from-clients, namespace: shop }
spec:
  podSelector: { matchExpressions: [{ key: version, operator: In, values: [v1, v2] }] }
  policyTypes: [Ingress]
  ingress:
    - from: [{ podSelector: { matchLabels: { app: client } } }]
      ports: [{ port: http }, { port: dns, protocol: UDP }]
`;

interface Connection {
  readonly client: string;
  readonly port: number;
  readonly protocol: 'TCP' | 'UDP';
  readonly endpoint: string;
  /** Wire packets (each captured twice). */
  packets: number;
}

interface Flow {
  src: string;
  sport: number;
  dst: string;
  dport: number;
  protocol: string;
  verdict: string;
  packets: { forward: number; reply: number; dropped: number };
  endpoint?: string | null;
}

const SYN = 0x02;
const ACK = 0x10;
const PSH_ACK = 0x18;
const FIN_ACK = 0x11;

/** Writes the capture; returns the connections as the node made them. */
function makeCapture(family: Family, path: string, seed: number, count: number): Connection[] {
  let x = seed;
  const r = (): number => {
    x = (Math.imul(x, 1103515245) + 12345) & 0x7fffffff;
    return x / 0x80000000;
  };
  const writer = new PcapWriter(path);
  let t = 1_750_000_000;
  const connections: Connection[] = [];
  /** Per connection: the wire packets still to send, as [from client?, build(src, dst, id)]. */
  const pending: { c: Connection; steps: { forward: boolean; l4: (from: number, to: number) => Uint8Array }[]; vip: string; vport: number; eport: number }[] = [];
  const used = new Set<string>();
  for (let n = 0; n < count; n++) {
    const client = family.clients[Math.floor(r() * family.clients.length)] as string;
    let port = 32768 + Math.floor(r() * 28000);
    while (used.has(`${client}:${port}`)) port++;
    used.add(`${client}:${port}`);
    if (r() < 0.7) {
      const endpoint = (family.backends[Math.floor(r() * 3)] as Family['backends'][number]).ip;
      const c: Connection = { client, port, protocol: 'TCP', endpoint, packets: 0 };
      const s = Math.floor(r() * 2 ** 31);
      const a = Math.floor(r() * 2 ** 31);
      const steps = [
        { forward: true, l4: (from: number, to: number) => tcp({ srcPort: from, dstPort: to, seq: s, flags: SYN, window: 64240 }) },
        { forward: false, l4: (from: number, to: number) => tcp({ srcPort: from, dstPort: to, seq: a, ack: s + 1, flags: SYN | ACK, window: 65160 }) },
        { forward: true, l4: (from: number, to: number) => tcp({ srcPort: from, dstPort: to, seq: s + 1, ack: a + 1, flags: ACK, window: 502 }) },
        { forward: true, l4: (from: number, to: number) => tcp({ srcPort: from, dstPort: to, seq: s + 1, ack: a + 1, flags: PSH_ACK, window: 502 }, fill(18, 0x47)) },
        { forward: false, l4: (from: number, to: number) => tcp({ srcPort: from, dstPort: to, seq: a + 1, ack: s + 19, flags: PSH_ACK, window: 509 }, fill(30, 0x48)) },
        { forward: true, l4: (from: number, to: number) => tcp({ srcPort: from, dstPort: to, seq: s + 19, ack: a + 31, flags: FIN_ACK, window: 502 }) },
        { forward: false, l4: (from: number, to: number) => tcp({ srcPort: from, dstPort: to, seq: a + 31, ack: s + 20, flags: FIN_ACK, window: 509 }) },
        { forward: true, l4: (from: number, to: number) => tcp({ srcPort: from, dstPort: to, seq: s + 20, ack: a + 32, flags: ACK, window: 502 }) },
      ];
      pending.push({ c, steps, vip: family.web, vport: 80, eport: 8080 });
      connections.push(c);
    } else {
      const endpoint = (udpBackends(family)[Math.floor(r() * 2)] as Family['backends'][number]).ip;
      const c: Connection = { client, port, protocol: 'UDP', endpoint, packets: 0 };
      const steps = [
        { forward: true, l4: (from: number, to: number) => udp(from, to, fill(30, 0x01)) },
        { forward: false, l4: (from: number, to: number) => udp(from, to, fill(60, 0x02)) },
      ];
      pending.push({ c, steps, vip: family.dns, vport: 53, eport: 5353 });
      connections.push(c);
    }
  }
  const ip = (src: string, dst: string, protocol: number, id: number, ttl: number, payload: Uint8Array): Uint8Array =>
    family.v6 ? ipv6({ src, dst, nextHeader: protocol, hopLimit: ttl }, payload) : ipv4({ src, dst, protocol, id, ttl }, payload);
  const put = (packet: Uint8Array, ifIndex: number): void => {
    t += 0.000_02 + r() * 0.000_2;
    const frame = linuxSll2(family.v6 ? 0x86dd : 0x0800, ifIndex, 0, packet);
    const sec = Math.floor(t);
    writer.appendFrame(frame, 0, frame.length, frame.length, sec, Math.floor((t - sec) * 1e6) * 1000, 276);
  };
  // A few connections in flight at once: each wire packet is captured on the client's veth and
  // the endpoint's (forward: before DNAT first; replies: the endpoint's side first), with up to
  // two packets of other connections between the two copies; a connection's next packet comes
  // after both copies of its last one (an answer cannot overtake what it answers).
  const active: typeof pending = [];
  const copies: { ip: Uint8Array; ifIndex: number; after: number; c: Connection }[] = [];
  let next = 0;
  while (next < pending.length || active.length > 0 || copies.length > 0) {
    while (active.length < 4 && next < pending.length) active.push(pending[next++] as (typeof pending)[number]);
    for (let i = copies.length - 1; i >= 0; i--) {
      const copy = copies[i] as (typeof copies)[number];
      if (copy.after-- <= 0) {
        put(copy.ip, copy.ifIndex);
        copies.splice(i, 1);
      }
    }
    if (active.length === 0) continue;
    const k = Math.floor(r() * active.length);
    const conn = active[k] as (typeof active)[number];
    if (copies.some((copy) => copy.c === conn.c)) continue;
    const step = conn.steps.shift();
    if (step === undefined) {
      active.splice(k, 1);
      continue;
    }
    const { c } = conn;
    const id = Math.floor(r() * 65536);
    const protocol = c.protocol === 'TCP' ? 6 : 17;
    c.packets++;
    if (step.forward) {
      put(ip(c.client, conn.vip, protocol, id, 64, step.l4(c.port, conn.vport)), 2);
      copies.push({ ip: ip(c.client, c.endpoint, protocol, id, 63, step.l4(c.port, conn.eport)), ifIndex: 3, after: Math.floor(r() * 3), c });
    } else {
      put(ip(c.endpoint, c.client, protocol, id, 64, step.l4(conn.eport, c.port)), 3);
      copies.push({ ip: ip(conn.vip, c.client, protocol, id, 63, step.l4(conn.vport, c.port)), ifIndex: 2, after: Math.floor(r() * 3), c });
    }
  }
  writer.close();
  return connections;
}

async function replay(capture: string, cluster: string, extra: string[]): Promise<{ flows: Flow[]; stdout: string; summary: { packets: Record<string, number>; flows: unknown } }> {
  const run = await runCli(['replay', capture, '-f', cluster, '--flows', '-', '-o', 'json', ...extra]);
  expect(run.code, run.stderr).toBe(0);
  const summary = JSON.parse(run.stderr) as { packets: Record<string, number>; flows: unknown };
  return { flows: run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Flow), stdout: run.stdout, summary };
}

describe('services - synthetic node capture of multi-endpoint Services', () => {
  it.each([
    ['IPv4', 1],
    ['IPv4', 2],
    ['IPv4', 3],
    ['IPv6', 4],
  ] as const)('services node capture - %s, seed %i: every connection on the endpoint the node chose, its verdict, both engines, 1 = 2 = 3 workers', async (name, seed) => {
    const family = FAMILIES[name];
    const clusterFile = join(TMP, `cluster-${name}.yaml`);
    writeFileSync(clusterFile, cluster(family));
    const capture = join(TMP, `node-any-${name}-${seed}.pcap`);
    const connections = makeCapture(family, capture, seed, 150);
    const one = await replay(capture, clusterFile, ['--workers', '1']);
    for (const c of connections) {
      const mine = one.flows.filter((f) => (f.src === c.client && f.sport === c.port) || (f.dst === c.client && f.dport === c.port));
      const label = `${c.protocol} ${c.client}:${c.port} → ${c.endpoint}`;
      const admitted = family.backends.find((b) => b.ip === c.endpoint)?.admitted === true;
      const client = mine.filter((f) => f.src === c.client && f.sport === c.port);
      expect(client, label).toHaveLength(1);
      expect(client[0], label).toMatchObject({ dst: c.endpoint, protocol: c.protocol, verdict: admitted ? 'allowed' : 'denied' });
      expect(client[0]?.endpoint, label).toContain(family.v6 ? ` [${c.endpoint}]:` : ` ${c.endpoint}:`);
      if (admitted) expect(mine, label).toHaveLength(1);
      // No flow to another endpoint; every wire packet counted once.
      expect(mine.every((f) => f.src === c.endpoint || f.dst === c.endpoint), label).toBe(true);
      expect(mine.reduce((n, f) => n + f.packets.forward + f.packets.reply, 0), label).toBe(c.packets);
    }
    expect(one.summary.packets['duplicate']).toBe(connections.reduce((n, c) => n + c.packets, 0));
    // The category counters agree with the flows (first packets' verdicts revised where the node's endpoint differed).
    const p = one.summary.packets;
    expect((p['droppedIngress'] ?? 0) + (p['droppedEgress'] ?? 0) + (p['droppedInvalid'] ?? 0)).toBe(one.flows.reduce((n, f) => n + f.packets.dropped, 0));
    expect((p['allowedNew'] ?? 0) + (p['allowedEstablished'] ?? 0)).toBe(one.flows.reduce((n, f) => n + f.packets.forward + f.packets.reply - f.packets.dropped, 0));
    expect(p['allowedNew']).toBe(one.flows.filter((f) => f.verdict === 'allowed').length);
    for (const workers of ['2', '3']) {
      const many = await replay(capture, clusterFile, ['--workers', workers]);
      expect(many.stdout).toBe(one.stdout);
      expect(many.summary.packets).toEqual(one.summary.packets);
      expect(many.summary.flows).toEqual(one.summary.flows);
    }
    const naive = await replay(capture, clusterFile, ['--workers', '1', '--engine', 'naive']);
    expect(naive.stdout).toBe(one.stdout);
    expect(naive.summary.packets).toEqual(one.summary.packets);
  });
});
