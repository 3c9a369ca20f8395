/**
 * The recorded overlay (scripts/record-overlay.sh: two node namespaces joined by real Linux vxlan
 * devices on UDP 4789 and 8472): replayed from the underlay, every inner packet tshark decodes is
 * on the flow of its 5-tuple with the policy's verdict; the node's `-i any` capture (each packet
 * on the pod veth, the vxlan device and, encapsulated, the underlay) gives the same flows.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';

const DIR = 'test/fixtures/overlay';

interface Flow {
  src: string;
  sport: number | null;
  dst: string;
  dport: number | null;
  protocol: string;
  icmpId?: number;
  verdict: string;
  reason: string;
  packets: { forward: number; reply: number; dropped: number };
  tunnel?: string;
}

const PROTOCOL: Readonly<Record<string, string>> = { '1': 'ICMP', '6': 'TCP', '17': 'UDP' };

/** Direction-independent key of a connection. */
function key(protocol: string, a: string, aPort: string, b: string, bPort: string): string {
  const x = `${a}:${aPort}`;
  const y = `${b}:${bPort}`;
  return `${protocol} ${x < y ? `${x} ${y}` : `${y} ${x}`}`;
}

function flowKey(f: Flow): string {
  if (f.protocol === 'ICMP') return key('ICMP', f.src, String(f.icmpId), f.dst, String(f.icmpId));
  return key(f.protocol, f.src, String(f.sport), f.dst, String(f.dport));
}

/** tshark's inner packets per connection: "vni src dst proto sport dport" lines. */
function tsharkPackets(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of readFileSync(`${DIR}/overlay-tshark.txt`, 'utf8').trim().split('\n')) {
    const [, src, dst, proto, sport, dport] = line.split(' ') as [string, string, string, string, string, string];
    const protocol = PROTOCOL[proto] ?? proto;
    const k = protocol === 'ICMP' ? key('ICMP', src, sport, dst, sport) : key(protocol, src, sport, dst, dport);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}

async function replay(capture: string, extra: string[] = []): Promise<{ flows: Flow[]; summary: { packets: Record<string, number>; decapsulated?: Record<string, number> } }> {
  const run = await runCli(['replay', `${DIR}/${capture}`, '-f', `${DIR}/cluster.yaml`, '--flows', '-', '-o', 'json', ...extra]);
  expect(run.code, run.stderr).toBe(0);
  return { flows: run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Flow), summary: JSON.parse(run.stderr) };
}

function packetsPerConnection(flows: readonly Flow[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const f of flows) counts.set(flowKey(f), (counts.get(flowKey(f)) ?? 0) + f.packets.forward + f.packets.reply);
  return counts;
}

function verdictOf(flows: readonly Flow[], dport: number): string | undefined {
  return flows.find((f) => f.dport === dport && f.src === '10.244.1.10')?.verdict;
}

describe('decap - recorded VXLAN overlay', () => {
  it('decap - underlay capture: the inner packets tshark sees, on their flows, with the policy verdicts', async () => {
    const { flows, summary } = await replay('overlay-underlay.pcap');
    const expected = tsharkPackets();
    expect(expected.size).toBe(5);
    expect(packetsPerConnection(flows)).toEqual(expected);
    for (const f of flows) expect(f.tunnel).toBe('vxlan');
    expect(verdictOf(flows, 8080)).toBe('allowed');
    expect(verdictOf(flows, 5353)).toBe('allowed');
    expect(verdictOf(flows, 5432)).toBe('allowed');
    expect(verdictOf(flows, 9090)).toBe('denied');
    expect(flows.find((f) => f.protocol === 'ICMP')).toMatchObject({ verdict: 'denied', reason: 'drop-ingress-default-deny' });
    // Every record once: the VXLAN frames in their inner packet's category, nothing else on top.
    const { total, ...categories } = summary.packets;
    expect(Object.values(categories).reduce((a, b) => a + b, 0)).toBe(total);
    expect(summary.decapsulated?.['vxlan']).toBeGreaterThanOrEqual([...expected.values()].reduce((a, b) => a + b, 0));
  });

  it('decap - the same connections without decapsulation are node-to-node UDP only', async () => {
    const { flows } = await replay('overlay-underlay.pcap', ['--decap', 'off']);
    for (const f of flows) expect(f.src.startsWith('10.244.')).toBe(false);
  });

  it('decap - node -i any capture: three copies of each packet, one flow, same verdicts', async () => {
    const underlay = await replay('overlay-underlay.pcap');
    const any = await replay('overlay-any.pcap');
    expect(packetsPerConnection(any.flows)).toEqual(packetsPerConnection(underlay.flows));
    for (const port of [8080, 9090, 5353, 5432]) expect(verdictOf(any.flows, port)).toBe(verdictOf(underlay.flows, port));
    expect(any.summary.packets['duplicate']).toBeGreaterThan(0);
  });
});
