/**
 * ICMP errors in Hubble input (src/replay/relate-icmp-errors.ts), on
 * test/fixtures/hubble/icmp-errors: a client and a server whose policies admit nothing but the
 * client's UDP 53 and TCP 80, so an ICMP error between them is allowed only as RELATED to a
 * connection. The export holds five errors: three with exactly one live connection between the
 * two addresses (UDP port unreachable, ICMPv6 port unreachable, fragmentation needed about a TCP
 * connection), one while three DNS queries are in flight (ambiguous), one from a router outside
 * the cluster (no connection), recorded as a policy drop.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { runCli } from './helpers/run-cli.js';

const FLOWS = 'test/fixtures/hubble/icmp-errors/flows.json';
const CLUSTER = ['-f', 'test/fixtures/hubble/icmp-errors/cluster.yaml'];

interface FlowLine {
  src: string;
  sport: number | null;
  dst: string;
  protocol: string;
  verdict: string;
  packets: { forward: number; reply: number; dropped: number };
  recordedAgree?: boolean;
}

describe('hubble ICMP errors', () => {
  it('hubble icmp errors - an error with one live connection between its addresses is related to it; the others are counted and not guessed', async () => {
    for (const profile of ['upstream', 'cilium']) {
      const run = await runCli(['replay', '--flows-in', FLOWS, ...CLUSTER, '--cni', profile, '-o', 'json']);
      expect(run.code).toBe(0);
      const s = JSON.parse(run.stdout);
      expect(s.hubble.icmpErrors).toEqual({ packets: 5, related: 3, noConnection: 1, ambiguous: 1, recordedRelated: 4 });
      const r = s.recorded.packets;
      // The two unrelatable errors are replayed bare and not compared; the related ones are policed and agree.
      expect(r.notPolicedHere).toBe(2);
      expect(r.disagree).toBe(0);
      expect(r.agree).toBe(s.hubble.packetsReplayed - 2);
      const lines = readFileSync(FLOWS, 'utf8').trim().split('\n').length;
      expect(Object.values(s.hubble.events as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(lines);
    }
  });

  it('hubble icmp errors - a related error is counted on its connection, IPv4 and IPv6, UDP and TCP', async () => {
    const run = await runCli(['replay', '--flows-in', FLOWS, ...CLUSTER, '--flows', '-']);
    expect(run.code).toBe(0);
    const flows = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as FlowLine);
    const by = (sport: number, src: string) => flows.find((f) => f.sport === sport && f.src === src);
    // The query, and the port unreachable that answered it (the reply direction).
    expect(by(41000, '10.244.1.10')?.packets).toEqual({ forward: 1, reply: 1, dropped: 0 });
    expect(by(41010, 'fd00:10:244:1::10')?.packets).toEqual({ forward: 1, reply: 1, dropped: 0 });
    // SYN, SYN-ACK, ACK and the fragmentation-needed error.
    expect(by(42000, '10.244.1.10')?.packets).toEqual({ forward: 2, reply: 2, dropped: 0 });
    // The queries in flight when the ambiguous error came got no answer; no flow for the bare errors.
    expect(by(41001, '10.244.1.10')?.packets.reply).toBe(0);
    expect(by(41002, '10.244.1.10')?.packets.reply).toBe(0);
    expect(flows.filter((f) => f.protocol === 'ICMP' || f.protocol === 'ICMPv6')).toEqual([]);
    expect(flows.every((f) => f.verdict === 'allowed' && f.recordedAgree === true)).toBe(true);
  });

  it('hubble icmp errors - the text says what became of them', async () => {
    const run = await runCli(['replay', '--flows-in', FLOWS, ...CLUSTER]);
    expect(run.stdout).toContain("ICMP errors: 5 (3 related to their connection, 1 with no live connection between the addresses, 1 ambiguous: replayed bare; Cilium's trace said RELATED for 4)");
    expect(run.stdout).toContain('not policed by the emulator (ICMP errors not related to one live connection: replayed bare; not IP): 2 (not compared)');
  });
});
