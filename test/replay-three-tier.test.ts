/**
 * End to end: the bundled real capture of the three-tier example, replayed through the CLI,
 * gives every flow the verdict examples/three-tier/expected-flows.json states, drops every packet
 * of a denied flow and none of an allowed one, and accounts for every record.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';

interface ExpectedFlow {
  id: string;
  src: string;
  sport: number | null;
  dst: string;
  dport: number | null;
  protocol: string;
  expected: { verdict: string; reason: string; ingress: { rule: string | null }; egress: { rule: string | null } };
  packets: { ethernet: number; any: number };
}

interface FlowLine {
  src: string;
  sport: number | null;
  dst: string;
  dport: number | null;
  protocol: string;
  verdict: string;
  reason: string;
  egressRule: string | null;
  ingressRule: string | null;
  packets: { forward: number; reply: number; dropped: number };
}

const EXPECTED: ExpectedFlow[] = JSON.parse(readFileSync('examples/three-tier/expected-flows.json', 'utf8')).flows;

async function replayFlows(capture: string, extra: string[] = []): Promise<{ flows: FlowLine[]; summary: { packets: Record<string, number>; flows: { allowed: number; denied: number }; capture: { records: number } } }> {
  const run = await runCli(['replay', capture, '-f', 'examples/three-tier', '--flows', '-', '-o', 'json', ...extra]);
  expect(run.code, run.stderr).toBe(0);
  return { flows: run.stdout.trim().split('\n').map((l) => JSON.parse(l)), summary: JSON.parse(run.stderr) };
}

function find(flows: FlowLine[], e: ExpectedFlow): FlowLine {
  const match = flows.filter((f) => f.src === e.src && f.dst === e.dst && f.protocol === e.protocol && f.sport === e.sport && f.dport === e.dport);
  expect(match, `${e.id} ${e.src}:${e.sport} -> ${e.dst}:${e.dport}`).toHaveLength(1);
  return match[0] as FlowLine;
}

function checkFlows(flows: FlowLine[]): void {
  expect(flows).toHaveLength(EXPECTED.length);
  for (const e of EXPECTED) {
    const f = find(flows, e);
    expect({ id: e.id, verdict: f.verdict, reason: f.reason }).toEqual({ id: e.id, verdict: e.expected.verdict, reason: e.expected.reason });
    expect(f.ingressRule, e.id).toBe(e.expected.ingress.rule);
    expect(f.egressRule, e.id).toBe(e.expected.egress.rule);
    const total = f.packets.forward + f.packets.reply;
    // F19's UDP datagram draws an ICMP port unreachable, counted as that flow's reply.
    expect(total, e.id).toBe(e.packets.ethernet + (e.id === 'F19' ? 1 : 0));
    expect(f.packets.dropped, e.id).toBe(e.expected.verdict === 'denied' ? total : 0);
  }
}

describe('replay - bundled three-tier capture', () => {
  it('replay - Ethernet capture: every flow as expected, every record accounted for', async () => {
    const { flows, summary } = await replayFlows('examples/three-tier/capture.pcap');
    checkFlows(flows);
    const { total, ...categories } = summary.packets;
    expect(total).toBe(193);
    expect(summary.capture.records).toBe(193);
    expect(Object.values(categories).reduce((a, b) => a + b, 0)).toBe(193);
    expect(summary.flows).toEqual({ allowed: 11, denied: 9 });
    expect(categories['notIp']).toBe(32);
    expect(categories['duplicate']).toBe(0);
  });

  it('replay - tcpdump -i any capture: duplicates removed, same flows', async () => {
    const { flows, summary } = await replayFlows('examples/three-tier/capture-any.pcap');
    checkFlows(flows);
    const { total, ...categories } = summary.packets;
    expect(total).toBe(570);
    expect(Object.values(categories).reduce((a, b) => a + b, 0)).toBe(570);
    // Every IPv4 packet of the flows was recorded twice; one copy each is a duplicate.
    const ipv4Packets = EXPECTED.reduce((n, e) => n + e.packets.ethernet, 0) + 1;
    expect(categories['duplicate']).toBeGreaterThanOrEqual(ipv4Packets);
  });

  it('replay - the naive engine gives the same flows', async () => {
    const { flows } = await replayFlows('examples/three-tier/capture.pcap', ['--engine', 'naive']);
    checkFlows(flows);
  });

  it('replay - without dedupe the -i any capture double counts', async () => {
    const { flows } = await replayFlows('examples/three-tier/capture-any.pcap', ['--dedupe', 'off']);
    const f01 = find(flows, EXPECTED[0] as ExpectedFlow);
    expect(f01.packets.forward + f01.packets.reply).toBe(24);
  });

  it('replay - text summary names the denied flows and the allowing rules', async () => {
    const run = await runCli(['replay', 'examples/three-tier/capture.pcap', '-f', 'examples/three-tier']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('flows: 11 allowed, 9 denied');
    expect(run.stdout).toContain('198.51.100.7:40002 -> app1-ns/frontend-7c9d5 10.244.1.10:80 TCP: 12 packets dropped; drop-ingress-default-deny');
    expect(run.stdout).toContain('app1-ns/frontend-policy ingress[0] from[0] ports[0]: 2 flows, 24 packets');
    expect(run.stdout).toMatch(/total \(= records read\)\s+193/);
  });
});
