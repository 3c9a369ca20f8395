/**
 * Hubble input against fixtures rendered from the project's recorded captures
 * (scripts/render-hubble-fixtures.ts: the capture's packets as Hubble prints them, observation
 * points and all, with the verdicts of the emulator's own `--cni cilium` replay).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';

const FIXTURES = 'test/fixtures/hubble';
const THREE_TIER = ['-f', 'examples/three-tier', '--cni', 'cilium'];

interface FlowLine {
  src: string;
  sport: number | null;
  dst: string;
  dport: number | null;
  protocol: string;
  verdict: string;
  reason: string;
  recordedVerdict?: string;
  recordedAgree?: boolean;
}

function flowKeys(stdout: string): string[] {
  return stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as FlowLine)
    .map((f) => `${f.protocol} ${f.src}:${f.sport} -> ${f.dst}:${f.dport} ${f.verdict} ${f.reason}`)
    .sort();
}

function nonBlankLines(path: string): number {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '').length;
}

describe('hubble recorded fixtures', () => {
  it('hubble replay - every line of the export is accounted for, every observation merged or replayed', async () => {
    const path = `${FIXTURES}/three-tier.json`;
    const run = await runCli(['replay', '--flows-in', path, ...THREE_TIER, '-o', 'json']);
    expect(run.code).toBe(0);
    const s = JSON.parse(run.stdout);
    const events = Object.values(s.hubble.events as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(events).toBe(nonBlankLines(path));
    expect(s.hubble.lines).toBe(events);
    expect(s.hubble.events.packets).toBe(s.hubble.packetsReplayed + s.hubble.observationsMerged);
    expect(s.packets.total).toBe(s.hubble.packetsReplayed);
    expect(s.capture.format).toBe('hubble');
    const r = s.recorded.packets;
    expect(r.agree + r.disagree + r.droppedNotPolicy + r.noVerdict + r.notPolicedHere).toBe(s.hubble.packetsReplayed);
  });

  it('hubble replay - the three-tier capture and its Hubble rendering give the same flows and verdicts', async () => {
    const capture = await runCli(['replay', 'examples/three-tier/capture.pcap', ...THREE_TIER, '--flows', '-']);
    const hubble = await runCli(['replay', '--flows-in', `${FIXTURES}/three-tier.json`, ...THREE_TIER, '--flows', '-']);
    expect(capture.code).toBe(0);
    expect(hubble.code).toBe(0);
    // ICMPv6 neighbour discovery between link-local addresses is no pod's traffic: Hubble does not show it.
    const pods = flowKeys(capture.stdout).filter((k) => !k.includes('fe80:'));
    expect(flowKeys(hubble.stdout)).toEqual(pods);
    expect(pods.length).toBeGreaterThan(10);
    expect(pods.some((k) => k.includes(' denied '))).toBe(true);
  });

  it('hubble replay - fixtures made from the emulator agree 100%, per packet and per flow', async () => {
    for (const [file, cluster] of [
      ['three-tier.json', THREE_TIER],
      ['service-client.json', ['-f', 'examples/service/cluster.yaml', '--cni', 'cilium']],
    ] as const) {
      const run = await runCli(['replay', '--flows-in', `${FIXTURES}/${file}`, ...cluster, '-o', 'json']);
      expect(run.code).toBe(0);
      const r = JSON.parse(run.stdout).recorded;
      expect(r.packets.disagree).toBe(0);
      expect(r.packets.agree).toBeGreaterThan(20);
      expect(r.flows.disagree).toBe(0);
      expect(r.flows.agree).toBeGreaterThan(0);
      expect(r.topDisagreements).toEqual([]);
    }
  });

  it('hubble replay - deliberately flipped verdicts are reported as exactly those disagreements', async () => {
    const expected = JSON.parse(readFileSync(`${FIXTURES}/three-tier-flipped.expected.json`, 'utf8')) as { flipped: { emulated: string; recorded: string }[] };
    const run = await runCli(['replay', '--flows-in', `${FIXTURES}/three-tier-flipped.json`, ...THREE_TIER, '-o', 'json']);
    expect(run.code).toBe(0);
    const r = JSON.parse(run.stdout).recorded;
    expect(r.packets.disagree).toBe(expected.flipped.length);
    expect(r.flows.disagree).toBe(expected.flipped.length);
    const seen = (r.topDisagreements as { packets: number; emulated: { verdict: string }; recorded: { verdict: string; dropReason: string | null } }[])
      .map((d) => ({ emulated: d.emulated.verdict === 'allowed' ? 'allowed' : 'dropped', recorded: `${d.recorded.verdict}${d.recorded.dropReason ? ` ${d.recorded.dropReason}` : ''}`, packets: d.packets }))
      .sort((a, b) => (a.emulated < b.emulated ? -1 : 1));
    expect(seen).toEqual(expected.flipped.map((f) => ({ emulated: f.emulated, recorded: f.recorded, packets: 1 })).sort((a, b) => (a.emulated < b.emulated ? -1 : 1)));
    const text = await runCli(['replay', '--flows-in', `${FIXTURES}/three-tier-flipped.json`, ...THREE_TIER]);
    expect(text.stdout).toContain('top disagreements (emulated | recorded):');
    expect(text.stdout).toContain('emulated allowed allow-policy (app1-ns/frontend-policy) | recorded DROPPED POLICY_DENIED');
    expect(text.stdout).toMatch(/emulated denied drop-ingress-default-deny .*\| recorded FORWARDED/);
  });

  it('hubble replay - flow lines carry the recorded verdict, and whether it agrees', async () => {
    const run = await runCli(['replay', '--flows-in', `${FIXTURES}/three-tier-flipped.json`, ...THREE_TIER, '--flows', '-']);
    const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as FlowLine);
    expect(lines.every((f) => typeof f.recordedVerdict === 'string')).toBe(true);
    const disagreeing = lines.filter((f) => f.recordedAgree === false);
    expect(disagreeing.map((f) => `${f.sport} ${f.verdict} ${f.recordedVerdict}`).sort()).toEqual(['40001 allowed mixed', '40002 denied mixed']);
  });

  it('hubble replay - the order of the lines within the reorder window does not change the result', async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const lines = readFileSync(`${FIXTURES}/three-tier.json`, 'utf8').trim().split('\n');
    // Swap neighbours in blocks of 8 (a few µs to ms apart): as per-CPU buffers interleave them.
    const shuffled = lines.slice();
    for (let i = 0; i + 7 < shuffled.length; i += 8) shuffled.splice(i, 8, ...shuffled.slice(i, i + 8).reverse());
    const dir = mkdtempSync(join(tmpdir(), 'hubble-order-'));
    const path = join(dir, 'shuffled.json');
    writeFileSync(path, `${shuffled.join('\n')}\n`);
    const sorted = await runCli(['replay', '--flows-in', `${FIXTURES}/three-tier.json`, ...THREE_TIER, '-o', 'json']);
    const mixed = await runCli(['replay', '--flows-in', path, ...THREE_TIER, '-o', 'json']);
    const a = JSON.parse(sorted.stdout);
    const b = JSON.parse(mixed.stdout);
    expect(b.packets).toEqual(a.packets);
    expect(b.flows).toEqual(a.flows);
    expect(b.recorded).toEqual(a.recorded);
    expect(b.hubble.late).toBe(0);
  });
});
