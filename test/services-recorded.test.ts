/**
 * The recorded Service (scripts/record-service.sh: a real nftables DNAT rule on a node namespace
 * translating ClusterIP 10.96.0.10:80 to backend-v1 for even client ports, backend-v2 for odd):
 * the client-side capture shows only the ClusterIP and is judged on the translated packet; the
 * node's `-i any` capture holds each packet before and after DNAT, one flow and one duplicate
 * when the emulator's endpoint is the one the node used (pinned with --service-endpoint), and
 * without a pin too: a post-DNAT copy to another endpoint moves the connection there
 * (docs/services-node-captures.md). Packet counts are checked against tshark's reading of the
 * same files.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';

const DIR = 'test/fixtures/services';

interface Flow {
  src: string;
  sport: number;
  dst: string;
  dport: number;
  dstPod: string | null;
  verdict: string;
  packets: { forward: number; reply: number; dropped: number };
  service?: string;
  endpoint?: string | null;
  endpointVerdicts?: { endpoint: string; verdict: string }[];
}

/** tshark's packets of `file` that involve client port `port`, split by "before DNAT" (ClusterIP) and after. */
function tshark(file: string, port: number): { clusterIp: number; endpoint: number } {
  let clusterIp = 0;
  let endpoint = 0;
  for (const line of readFileSync(`${DIR}/service-tshark.txt`, 'utf8').trim().split('\n')) {
    const [f, src, sport, dst, dport] = line.split(' ');
    if (f !== file || (sport !== String(port) && dport !== String(port))) continue;
    if (src === '10.96.0.10' || dst === '10.96.0.10') clusterIp++;
    else endpoint++;
  }
  return { clusterIp, endpoint };
}

async function replay(capture: string, extra: string[] = []): Promise<{ flows: Flow[]; summary: { packets: Record<string, number> } }> {
  const run = await runCli(['replay', `${DIR}/${capture}`, '-f', `${DIR}/recorded.yaml`, '--flows', '-', '-o', 'json', ...extra]);
  expect(run.code, run.stderr).toBe(0);
  return { flows: run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Flow), summary: JSON.parse(run.stderr) };
}

describe('services - recorded nftables DNAT', () => {
  it('services recorded - client-side capture: each connection judged on its endpoint, every packet on it', async () => {
    const { flows } = await replay('service-client.pcap');
    for (const port of [40000, 40001, 40002]) {
      // A denied connection the recording network completed also leaves the endpoint's
      // un-answered side as a flow of its own (as for any denied connection): sum both.
      const mine = flows.filter((f) => f.sport === port || f.dport === port);
      const client = mine.find((f) => f.sport === port) as Flow;
      expect(client.service).toBe('shop/backend:http');
      expect(client.verdict).toBe(client.dstPod === 'shop/backend-v1' ? 'allowed' : 'denied');
      expect(client.endpointVerdicts).toEqual([
        { endpoint: 'shop/backend-v1 10.244.1.20:8080', verdict: 'allowed' },
        { endpoint: 'shop/backend-v2 10.244.3.21:8080', verdict: 'denied' },
      ]);
      expect(mine.every((f) => f.dst !== '10.96.0.10' && f.src !== '10.96.0.10')).toBe(true);
      expect(mine.reduce((n, f) => n + f.packets.forward + f.packets.reply, 0)).toBe(tshark('service-client.pcap', port).clusterIp);
    }
    // The hash spreads the three connections over both endpoints.
    expect(new Set(flows.filter((f) => f.service).map((f) => f.endpoint)).size).toBe(2);
  });

  it('services recorded - node -i any: before and after DNAT are one flow (endpoint pinned as the node chose)', async () => {
    const v1 = await replay('service-node-any.pcap', ['--service-endpoint', 'shop/backend=10.244.1.20']);
    for (const port of [40000, 40002]) {
      const mine = v1.flows.filter((f) => f.sport === port || f.dport === port);
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({ dst: '10.244.1.20', dport: 8080, verdict: 'allowed', service: 'shop/backend:http', endpoint: 'shop/backend-v1 10.244.1.20:8080' });
      const seen = tshark('service-node-any.pcap', port);
      expect(seen.clusterIp).toBe(seen.endpoint);
      expect((mine[0]?.packets.forward ?? 0) + (mine[0]?.packets.reply ?? 0)).toBe(seen.clusterIp);
    }
    expect(v1.summary.packets['duplicate']).toBe(tshark('service-node-any.pcap', 40000).endpoint + tshark('service-node-any.pcap', 40002).endpoint);
    const v2 = await replay('service-node-any.pcap', ['--service-endpoint', 'shop/backend=10.244.3.21']);
    const odd = v2.flows.filter((f) => f.sport === 40001 || f.dport === 40001);
    expect(odd.find((f) => f.sport === 40001)).toMatchObject({ dst: '10.244.3.21', verdict: 'denied', service: 'shop/backend:http' });
    // Every post-DNAT copy of the connection is a duplicate of its pre-DNAT copy.
    expect(odd.reduce((n, f) => n + f.packets.forward + f.packets.reply, 0)).toBe(tshark('service-node-any.pcap', 40001).clusterIp);
  });

  it('services recorded - node -i any without a pin: each connection follows the endpoint the node chose (even ports v1, odd v2)', async () => {
    for (const engine of ['compiled', 'naive']) {
      const { flows } = await replay('service-node-any.pcap', ['--engine', engine]);
      for (const port of [40000, 40001, 40002]) {
        const mine = flows.filter((f) => f.sport === port || f.dport === port);
        const client = mine.find((f) => f.sport === port) as Flow;
        const v1 = port % 2 === 0;
        expect(client, `${engine} ${port}`).toMatchObject({ dst: v1 ? '10.244.1.20' : '10.244.3.21', verdict: v1 ? 'allowed' : 'denied', service: 'shop/backend:http' });
        expect(client.endpoint).toBe(v1 ? 'shop/backend-v1 10.244.1.20:8080' : 'shop/backend-v2 10.244.3.21:8080');
        // The allowed connection is one flow; the denied one also leaves the endpoint's side (as
        // for any denied connection the recording network completed). Every packet counted once.
        if (v1) expect(mine).toHaveLength(1);
        expect(mine.every((f) => f.src === client.dst || f.dst === client.dst)).toBe(true);
        expect(mine.reduce((n, f) => n + f.packets.forward + f.packets.reply, 0)).toBe(tshark('service-node-any.pcap', port).clusterIp);
      }
    }
  });

  it('services recorded - without the Service the client capture is traffic to an unknown address', async () => {
    const run = await runCli(['replay', `${DIR}/service-client.pcap`, '-f', 'test/fixtures/overlay/cluster.yaml', '--flows', '-', '-o', 'json']);
    expect(run.code).toBe(0);
    const flows = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Flow);
    for (const f of flows) expect(f).not.toHaveProperty('service');
    expect(flows.every((f) => f.dst === '10.96.0.10')).toBe(true);
  });
});
