/**
 * `advise` on synthetic traffic: for seeded random clusters and captures (`synth`, with a share
 * of flows the current policies deny, which the capture shows unanswered: synth answers a
 * connection with a SYN-ACK or a reply, never a RST or an ICMP error, so here a flow with a reply
 * packet is one that worked), replaying the
 * capture against the pods with only the advised policies allows every answered connection,
 * the never-answered attempts it still allows are listed by the proof, and `diff` of the current
 * vs the advised policies drops nothing the current ones allowed.
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';
import { flowKey as key, replayFlowLines, type FlowLine } from './helpers/advise-flows.js';

const root = mkdtempSync(join(tmpdir(), 'netpol-advise-synth-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const flows = (capture: string, args: readonly string[]): Promise<FlowLine[]> => replayFlowLines([capture, ...args]);

describe('advise - synthetic traffic', () => {
  it('advise - answered connections allowed, unanswered denied unless the proof lists them, on 6 seeded clusters', async () => {
    let runs = 0;
    let answeredTotal = 0;
    let unansweredDeniedTotal = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 30, max: 90 }), async (seed, pods) => {
        const dir = join(root, `c${seed}-${pods}`);
        const pcap = join(root, `c${seed}-${pods}.pcap`);
        const synth = await runCli(['synth', '--seed', String(seed), '--pods', String(pods), '--namespaces', '4', '--policies', String(Math.ceil(pods / 4)), '-o', dir, '--flows', '300', '--deny-share', '0.3', '--pcap', pcap]);
        expect(synth.code, synth.stderr).toBe(0);
        const advice = join(dir, 'advice');
        const advise = await runCli(['advise', pcap, '-f', dir, '-o', advice]);
        expect(advise.code, advise.stdout + advise.stderr).toBe(0);
        const podsOnly = ['-f', join(dir, 'namespaces.yaml'), '-f', join(dir, 'pods.yaml')];
        const open = await flows(pcap, podsOnly);
        const answered = new Set(open.filter((f) => f.verdict === 'allowed' && f.packets.reply > 0).map(key));
        const unanswered = new Set(open.filter((f) => f.verdict === 'allowed' && !answered.has(key(f))).map(key));
        const advised = await flows(pcap, [...podsOnly, '-f', advice]);
        const verdict = new Map(advised.filter((f) => !f.reason.startsWith('drop-conntrack')).map((f) => [key(f), f.verdict]));
        for (const k of answered) expect(verdict.get(k), k).toBe('allowed');
        const stillAllowed = [...unanswered].filter((k) => verdict.get(k) === 'allowed');
        // The proof (cluster plus advice) never allows less than the advice alone.
        expect(advise.stdout).toContain(`connections that worked, allowed: ${answered.size} of ${answered.size}`);
        for (const k of stillAllowed) expect(advise.stdout).toContain(k);
        // Current vs advised policies on this capture (recorded as if under the current ones): the
        // advice drops nothing the current policies allowed; what it opens is only the listed attempts.
        const diff = await runCli(['diff', pcap, '-o', 'json', ...podsOnly, '--left', '-f', join(dir, 'policies.yaml'), '--right', '-f', advice]);
        expect([0, 1], diff.stderr).toContain(diff.code);
        const loose = (p: string, src: string, sport: number | null, dst: string, dport: number | null): string => `${p} ${src}:${sport ?? '-'} -> ${dst}:${dport ?? '-'}`;
        const opened = new Set(advised.filter((f) => stillAllowed.includes(key(f))).map((f) => loose(f.protocol, f.src, f.sport, f.dst, f.dport)));
        const differences = (JSON.parse(diff.stdout) as { differences: { src: string; sport: number | null; dst: string; dport: number | null; protocol: string; left: { verdict: string } | null; right: { verdict: string } | null }[] }).differences;
        for (const d of differences) {
          const k = loose(d.protocol, d.src, d.sport, d.dst, d.dport);
          expect(d.left?.verdict, k).toBe('denied');
          expect(d.right?.verdict, k).toBe('allowed');
          expect(opened.has(k), k).toBe(true);
        }
        runs++;
        answeredTotal += answered.size;
        unansweredDeniedTotal += unanswered.size - stillAllowed.length;
      }),
      { numRuns: 6, seed: Number(process.env['NETPOL_PROPERTY_SEED'] ?? 20261203) },
    );
    expect(runs).toBe(6);
    expect(answeredTotal).toBeGreaterThan(300);
    expect(unansweredDeniedTotal).toBeGreaterThan(50);
  }, 180_000);
});
