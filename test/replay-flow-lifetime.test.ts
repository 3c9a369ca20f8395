/**
 * Flow records have a lifetime: a flow is reported (to --flows and to the summary) once it is
 * over — its conntrack entry expired, or its denied attempt went unanswered for the kernel's
 * unreplied timeout — and flows still open at the end follow in start order. The denied-flow
 * table is bounded: beyond --denied-flows-max the oldest attempt is reported early, counted.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';

const CLUSTER = ['-f', 'examples/three-tier'];
const T0 = 1_700_000_000;

interface FlowLine {
  readonly src: string;
  readonly sport: number | null;
  readonly dst: string;
  readonly dport: number | null;
  readonly verdict: string;
  readonly state: string | null;
  readonly packets: { forward: number; reply: number; dropped: number };
}

function writeLines(lines: readonly object[]): string {
  const path = join(mkdtempSync(join(tmpdir(), 'npe-life-')), 'flows.jsonl');
  writeFileSync(path, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  return path;
}

async function replay(input: string, extra: string[] = []): Promise<{ flows: FlowLine[]; summary: Record<string, unknown> & { flows: { allowed: number; denied: number }; packets: { total: number } } }> {
  const run = await runCli(['replay', '--flows-in', input, ...CLUSTER, '--flows', '-', '-o', 'json', ...extra]);
  expect(run.code).toBe(0);
  return { flows: run.stdout.trim().split('\n').map((l) => JSON.parse(l) as FlowLine), summary: JSON.parse(run.stderr) };
}

describe('replay - flow lifetime', () => {
  it('replay - the bundled capture, whose flows all stay open, gives the same flow lines and summary as before', async () => {
    const flows = await runCli(['replay', 'examples/three-tier/capture.pcap', ...CLUSTER, '--flows', '-', '-o', 'json']);
    expect(flows.stdout).toBe(readFileSync('test/fixtures/replay/three-tier.flows.jsonl', 'utf8'));
    expect(flows.stderr).toBe(readFileSync('test/fixtures/replay/three-tier.summary.json', 'utf8'));
    const text = await runCli(['replay', 'examples/three-tier/capture.pcap', ...CLUSTER]);
    expect(text.stdout).toBe(readFileSync('test/fixtures/replay/three-tier.summary.txt', 'utf8'));
  });

  it('replay - when and in which order flows end depends on the traffic only, not on the conntrack table size (layout)', async () => {
    const lines: object[] = [];
    // 60 short UDP exchanges and 20 TCP connections closed at various times, then a long quiet stream:
    // each flow must end at its own expiry, whether the table has 512 slots or 262,144.
    for (let i = 0; i < 60; i++) lines.push({ ts: T0 + i * 0.7, src: '198.51.100.1', dst: `198.51.100.${20 + (i % 30)}`, protocol: 'UDP', sport: 41000 + i, dport: 53, packets: 1 + (i % 3) });
    for (let i = 0; i < 20; i++) lines.push({ ts: T0 + 5 + i * 3.1, src: '198.51.100.2', dst: `198.51.100.${60 + i}`, protocol: 'TCP', sport: 42000 + i, dport: 80, packets: 6 + (i % 4) });
    for (let i = 0; i < 400; i++) lines.push({ ts: T0 + 30 + i * 0.5, src: '198.51.100.9', dst: '198.51.100.10', protocol: 'UDP', sport: 50000, dport: 9999 });
    lines.sort((a, b) => (a as { ts: number }).ts - (b as { ts: number }).ts);
    const input = writeLines(lines);
    // 200 entries: 512 slots, never full here (at most ~50 flows live at once).
    const small = await runCli(['replay', '--flows-in', input, ...CLUSTER, '--flows', '-', '-o', 'json', '--conntrack-max', '200']);
    const large = await runCli(['replay', '--flows-in', input, ...CLUSTER, '--flows', '-', '-o', 'json']);
    expect(small.code).toBe(0);
    expect(large.stdout).toBe(small.stdout);
    expect(large.stderr).toBe(small.stderr);
    const ended = small.stdout.trim().split('\n').map((l) => JSON.parse(l) as FlowLine);
    expect(ended).toHaveLength(81);
    // The quiet stream is the only flow open at the end: last.
    expect(ended[80]?.sport).toBe(50000);
    expect((JSON.parse(small.stderr) as { conntrack: { expired: number } }).conntrack.expired).toBe(80);
  });

  it('replay - flows are reported when they end: expired ones first, those still open at the end in start order', async () => {
    const lines: object[] = [
      // A: a whole TCP connection, closed: TIME_WAIT for 120 s.
      { ts: T0, src: '198.51.100.1', dst: '198.51.100.2', protocol: 'TCP', sport: 40000, dport: 80, packets: 8 },
      // B: established and never closed: open at the end of the capture.
      { ts: T0 + 1, src: '198.51.100.1', dst: '198.51.100.3', protocol: 'TCP', sport: 40001, dport: 80, flags: 'S', seq: 1 },
      { ts: T0 + 1.001, src: '198.51.100.3', dst: '198.51.100.1', protocol: 'TCP', sport: 80, dport: 40001, flags: 'SA', seq: 9, ack: 2 },
      { ts: T0 + 1.002, src: '198.51.100.1', dst: '198.51.100.3', protocol: 'TCP', sport: 40001, dport: 80, flags: 'A', seq: 2, ack: 10 },
      // C: a DNS-like exchange: UDP, 30 s once replied.
      { ts: T0 + 2, src: '198.51.100.1', dst: '198.51.100.4', protocol: 'UDP', sport: 40002, dport: 53, packets: 2 },
      // D: denied (frontend → db:3306 is not allowed): three SYNs, then silence for 120 s.
      { ts: T0 + 3, src: '10.244.1.10', dst: '10.244.2.12', protocol: 'TCP', sport: 40003, dport: 3306, answered: false, packets: 3 },
    ];
    // Ten minutes later: a UDP stream of 300 packets, enough for the GC to pass every slot.
    for (let i = 0; i < 300; i++) lines.push({ ts: T0 + 600 + i * 0.01, src: '198.51.100.9', dst: '198.51.100.10', protocol: 'UDP', sport: 50000, dport: 9999 });
    const { flows, summary } = await replay(writeLines(lines), ['--conntrack-max', '48']);
    const ports = flows.map((f) => f.sport);
    expect(ports).toHaveLength(5);
    expect(new Set(ports).size).toBe(5);
    // A, C and D ended before anything still open was reported, in the order of their expiries:
    // C (UDP, 30 s after T0+2), A (TIME_WAIT, 120 s after its last packet), D (SYN_SENT, 120 s after T0+3).
    expect(ports.slice(0, 3)).toEqual([40002, 40000, 40003]);
    // Then the open ones in start order: B first, the late stream after it.
    expect(ports.slice(3)).toEqual([40001, 50000]);
    const a = flows.find((f) => f.sport === 40000);
    expect(a).toMatchObject({ verdict: 'allowed', state: 'TIME_WAIT', packets: { forward: 5, reply: 3, dropped: 0 } });
    expect(flows.find((f) => f.sport === 40003)).toMatchObject({ verdict: 'denied', packets: { forward: 3, reply: 0, dropped: 3 } });
    expect(flows.find((f) => f.sport === 40001)).toMatchObject({ verdict: 'allowed', state: 'ESTABLISHED' });
    expect(summary.flows).toEqual({ allowed: 4, denied: 1 });
    expect(summary.packets.total).toBe(8 + 3 + 2 + 3 + 300);
  });

  it('replay - a denied attempt silent past its timeout is over: the same tuple later is a second flow', async () => {
    const attempt = (ts: number): object => ({ ts, src: '10.244.1.10', dst: '10.244.2.12', protocol: 'TCP', sport: 41000, dport: 3306, answered: false, packets: 3 });
    // SYN_SENT's 120 s after the last SYN (+3 s): 100 s later is the same attempt, 300 s later a new one.
    const close = await replay(writeLines([attempt(T0), attempt(T0 + 100)]));
    expect(close.flows).toHaveLength(1);
    expect(close.flows[0]?.packets.dropped).toBe(6);
    const apart = await replay(writeLines([attempt(T0), attempt(T0 + 300)]));
    expect(apart.flows.map((f) => f.packets.dropped)).toEqual([3, 3]);
    expect(apart.summary.flows).toEqual({ allowed: 0, denied: 2 });
  });

  it('replay - beyond --denied-flows-max the oldest attempts are reported early and counted', async () => {
    const lines = Array.from({ length: 20 }, (_, i) => ({ ts: T0 + i * 0.001, src: '10.244.1.10', dst: '10.244.2.12', protocol: 'TCP', sport: 42000 + i, dport: 3306, flags: 'S' }));
    const { flows, summary } = await replay(writeLines(lines), ['--denied-flows-max', '5']);
    expect(summary['deniedFlowsEvicted']).toBe(15);
    expect(summary.flows).toEqual({ allowed: 0, denied: 20 });
    // The evicted ones come first, oldest first; every attempt is reported exactly once.
    expect(flows.map((f) => f.sport)).toEqual(Array.from({ length: 20 }, (_, i) => 42000 + i));
    const text = await runCli(['replay', '--flows-in', writeLines(lines), ...CLUSTER, '--denied-flows-max', '5']);
    expect(text.stdout).toContain('denied attempts reported early, the denied-flow table being full: 15');
    expect(JSON.parse((await runCli(['replay', '--flows-in', writeLines(lines), ...CLUSTER, '-o', 'json'])).stdout)['deniedFlowsEvicted']).toBeUndefined();
  });

  it('replay - --denied-flows-max must be a positive integer', async () => {
    const run = await runCli(['replay', 'examples/three-tier/capture.pcap', ...CLUSTER, '--denied-flows-max', '0']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--denied-flows-max must be a positive integer');
  });
});
