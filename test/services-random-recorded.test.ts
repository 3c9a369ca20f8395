/**
 * The recorded multi-endpoint Service (`scripts/record-service.sh --random`: real nftables on a
 * node namespace, `numgen random mod 3 vmap` to three backends as kube-proxy's nftables mode
 * writes it, for TCP 10.96.0.10:80 and UDP 10.96.0.10:9000). Which endpoint each connection got
 * is known only from the node capture, read here with tshark's 5-tuples
 * (service-random-tshark.txt): the node's `-i any` capture must replay as one flow per
 * connection, to that endpoint, with that endpoint's verdict, in both engines and with any
 * number of workers; the client-side capture (ClusterIP only) keeps the emulator's seeded choice,
 * and that choice differs from the node's for some connections (so the node capture tests the
 * re-keying, not luck).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { embeddedData } from './helpers/read-report-page.js';
import { runCli } from './helpers/run-cli.js';

const DIR = 'test/fixtures/services';
const CLUSTER = `${DIR}/recorded-random.yaml`;
const ALLOW_ALL = `${DIR}/recorded-random-allow-all.yaml`;
const CLIENT = '10.244.2.10';
const CLUSTER_IP = '10.96.0.10';
const V1 = '10.244.1.20';
const TCP_PORTS = Array.from({ length: 12 }, (_, i) => 40000 + i);
const UDP_PORTS = Array.from({ length: 6 }, (_, i) => 41000 + i);

interface Flow {
  src: string;
  sport: number;
  dst: string;
  dport: number;
  protocol: string;
  verdict: string;
  packets: { forward: number; reply: number; dropped: number };
  service?: string;
  endpoint?: string | null;
  endpointVerdicts?: { endpoint: string; verdict: string }[];
}

interface Summary {
  packets: Record<string, number>;
}

interface Seen {
  /** The endpoint address the node sent the connection to (post-DNAT copies), or null. */
  endpoint: string | null;
  /** Packets before DNAT / un-translation (to or from the ClusterIP), and after. */
  clusterIp: number;
  translated: number;
}

/** tshark's view of `file`: per client port, what the capture holds. */
function tshark(file: string): Map<number, Seen> {
  const seen = new Map<number, Seen>();
  for (const line of readFileSync(`${DIR}/service-random-tshark.txt`, 'utf8').trim().split('\n')) {
    const [f, , src, sport, dst, dport] = line.split(' ') as [string, string, string, string, string, string];
    if (f !== file) continue;
    const port = src === CLIENT ? Number(sport) : Number(dport);
    const s = seen.get(port) ?? { endpoint: null, clusterIp: 0, translated: 0 };
    if (src === CLUSTER_IP || dst === CLUSTER_IP) s.clusterIp++;
    else {
      s.translated++;
      if (src === CLIENT) s.endpoint = dst;
    }
    seen.set(port, s);
  }
  return seen;
}

async function replay(capture: string, args: string[]): Promise<{ flows: Flow[]; summary: Summary; stdout: string }> {
  const run = await runCli(['replay', `${DIR}/${capture}`, '-f', CLUSTER, ...args, '--flows', '-', '-o', 'json']);
  expect(run.code, run.stderr).toBe(0);
  return { flows: run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Flow), summary: JSON.parse(run.stderr) as Summary, stdout: run.stdout };
}

const involves = (f: Flow, port: number): boolean => (f.src === CLIENT && f.sport === port) || (f.dst === CLIENT && f.dport === port);

/** The emulator's seeded endpoint per client port, from the client-side capture. */
async function seededEndpoints(): Promise<Map<number, string>> {
  const { flows } = await replay('service-random-client.pcap', ['-f', ALLOW_ALL]);
  return new Map(flows.filter((f) => f.src === CLIENT).map((f) => [f.sport, f.dst]));
}

describe('services - recorded nftables numgen random over three endpoints', () => {
  const node = tshark('service-random-node-any.pcap');

  it('services random - the recording: every connection went to one endpoint, and the node used all three', () => {
    for (const port of [...TCP_PORTS, ...UDP_PORTS]) {
      const s = node.get(port);
      expect(s?.endpoint, String(port)).toMatch(/^10\.244\.\d+\.\d+$/);
      // Each packet once before DNAT and once after it.
      expect(s?.clusterIp).toBe(s?.translated);
    }
    expect(new Set([...node.values()].map((s) => s.endpoint)).size).toBe(3);
  });

  it('services random - the seeded choice differs from the node\'s for some connections', async () => {
    const seeded = await seededEndpoints();
    const differs = [...TCP_PORTS, ...UDP_PORTS].filter((port) => seeded.get(port) !== node.get(port)?.endpoint);
    expect(differs.length).toBeGreaterThan(3);
    expect(differs.length).toBeLessThan(TCP_PORTS.length + UDP_PORTS.length);
  });

  it.each(['compiled', 'naive'])('services random - node -i any, every endpoint allowed (%s): one flow per connection, the endpoint the capture shows', async (engine) => {
    const { flows, summary } = await replay('service-random-node-any.pcap', ['-f', ALLOW_ALL, '--engine', engine]);
    for (const port of [...TCP_PORTS, ...UDP_PORTS]) {
      const seen = node.get(port) as Seen;
      const mine = flows.filter((f) => involves(f, port));
      expect(mine, String(port)).toHaveLength(1);
      const flow = mine[0] as Flow;
      expect(flow).toMatchObject({ src: CLIENT, sport: port, dst: seen.endpoint, dport: port < 41000 ? 8080 : 9000, verdict: 'allowed', service: port < 41000 ? 'shop/backend:http' : 'shop/backend:echo' });
      expect(flow.endpoint).toContain(` ${seen.endpoint}:`);
      // Every packet counted once: the pre-DNAT copies on the flow, the post-DNAT ones duplicates.
      expect(flow.packets.forward + flow.packets.reply).toBe(seen.clusterIp);
    }
    expect(flows.filter((f) => f.dst !== CLIENT && f.src !== CLIENT)).toEqual([]);
    expect(summary.packets['duplicate']).toBe([...node.values()].reduce((n, s) => n + s.translated, 0));
    expect(summary.packets['droppedIngress'] ?? 0).toBe(0);
  });

  it.each(['compiled', 'naive'])('services random - node -i any, only backend-v1 allowed (%s): the verdict of the endpoint the node chose, counters revised', async (engine) => {
    const { flows, summary } = await replay('service-random-node-any.pcap', ['--engine', engine]);
    const seeded = await seededEndpoints();
    let revised = 0;
    for (const port of [...TCP_PORTS, ...UDP_PORTS]) {
      const seen = node.get(port) as Seen;
      const mine = flows.filter((f) => involves(f, port));
      const client = mine.find((f) => f.src === CLIENT) as Flow;
      expect(client, String(port)).toMatchObject({ dst: seen.endpoint, verdict: seen.endpoint === V1 ? 'allowed' : 'denied' });
      expect(client.endpoint).toContain(` ${seen.endpoint}:`);
      // No flow to an endpoint the node did not use (the seeded one, when it differs).
      expect(mine.every((f) => f.src === seen.endpoint || f.dst === seen.endpoint)).toBe(true);
      // A denied connection the recording network completed also leaves the endpoint's side as
      // a flow of its own (as for any denied connection): together they hold every packet once.
      expect(mine.reduce((n, f) => n + f.packets.forward + f.packets.reply, 0)).toBe(seen.clusterIp);
      if ((seeded.get(port) === V1) !== (seen.endpoint === V1)) revised++;
    }
    // Some first packets were judged against the seeded endpoint with the other verdict: revised.
    expect(revised).toBeGreaterThan(0);
    // The category counters agree with the flows: every dropped packet is on a flow here, and
    // every allowed one too.
    const dropped = flows.reduce((n, f) => n + f.packets.dropped, 0);
    const allowed = flows.reduce((n, f) => n + f.packets.forward + f.packets.reply - f.packets.dropped, 0);
    const p = summary.packets;
    expect((p['droppedIngress'] ?? 0) + (p['droppedEgress'] ?? 0) + (p['droppedInvalid'] ?? 0)).toBe(dropped);
    expect((p['allowedNew'] ?? 0) + (p['allowedEstablished'] ?? 0)).toBe(allowed);
    expect(p['allowedNew']).toBe(flows.filter((f) => f.verdict === 'allowed').length);
  });

  it('services random - both engines give the same flow lines', async () => {
    for (const extra of [[], ['-f', ALLOW_ALL]]) {
      const compiled = await replay('service-random-node-any.pcap', [...extra, '--engine', 'compiled']);
      const naive = await replay('service-random-node-any.pcap', [...extra, '--engine', 'naive']);
      expect(naive.stdout).toBe(compiled.stdout);
    }
  });

  it('services random - client-side capture: ClusterIP only, each connection on the seeded endpoint', async () => {
    const client = tshark('service-random-client.pcap');
    const { flows } = await replay('service-random-client.pcap', []);
    const endpoints = new Set<string>();
    for (const port of [...TCP_PORTS, ...UDP_PORTS]) {
      const seen = client.get(port) as Seen;
      expect(seen.translated).toBe(0);
      const mine = flows.filter((f) => involves(f, port));
      const flow = mine.find((f) => f.src === CLIENT) as Flow;
      expect(flow.service).toBe(port < 41000 ? 'shop/backend:http' : 'shop/backend:echo');
      expect(flow.verdict).toBe(flow.dst === V1 ? 'allowed' : 'denied');
      expect(flow.endpointVerdicts?.map((e) => e.verdict)).toEqual(['allowed', 'denied', 'denied']);
      expect(mine.reduce((n, f) => n + f.packets.forward + f.packets.reply, 0)).toBe(seen.clusterIp);
      endpoints.add(flow.dst);
    }
    expect(endpoints.size).toBe(3);
  });

  it('services random - the report\'s timeline counts the revised verdicts, as the summary does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'npe-svc-random-'));
    try {
      const page = join(dir, 'report.html');
      const run = await runCli(['replay', `${DIR}/service-random-node-any.pcap`, '-f', CLUSTER, '-o', 'json', '--report', page]);
      expect(run.code, run.stderr).toBe(0);
      const p = (JSON.parse(run.stdout) as Summary).packets;
      const data = embeddedData<{ timeline: { allowed: number[]; dropped: number[] } }>(readFileSync(page, 'utf8'));
      const total = (k: string): number => Object.keys(p).filter((n) => n.startsWith(k)).reduce((n, c) => n + (p[c] as number), 0);
      expect(data.timeline.allowed.reduce((n, c) => n + c, 0)).toBe(total('allowed'));
      expect(data.timeline.dropped.reduce((n, c) => n + c, 0)).toBe(total('dropped'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
