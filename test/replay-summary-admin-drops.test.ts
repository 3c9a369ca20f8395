/**
 * The replay summary counts admin and baseline Deny drops in their own rows, apart from the
 * NetworkPolicy default deny (examples/admin-tiers, whose only egress drops are admin Denies);
 * a replay without cluster-scoped policies has none of these rows, in text or JSON.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';

const ARGS = ['--flows-in', 'examples/admin-tiers/flows.jsonl', '-f', 'examples/admin-tiers'];
const TIER_KEYS = ['droppedEgressAdmin', 'droppedIngressAdmin', 'droppedEgressBaseline', 'droppedIngressBaseline'];

describe('replay summary - admin and baseline drops', () => {
  it('summary admin drops - tier Denies have their own categories, default deny only NetworkPolicy drops', async () => {
    const json = await runCli(['replay', ...ARGS, '-o', 'json', '--flows', '/dev/null']);
    expect(json.code, json.stderr).toBe(0);
    const summary = JSON.parse(json.stdout) as { packets: Record<string, number> };
    const lines = await runCli(['replay', ...ARGS, '--flows', '-']);
    const reasons = new Set(lines.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { verdict: string; reason: string }).reason));
    // Each tier reason among the flows has its category; the first packet of each such flow lands there.
    expect(reasons).toContain('drop-egress-admin-deny');
    expect(reasons).toContain('drop-ingress-baseline-deny');
    expect(summary.packets['droppedEgressAdmin']).toBeGreaterThan(0);
    expect(summary.packets['droppedIngressBaseline']).toBeGreaterThan(0);
    expect(reasons).not.toContain('drop-egress-default-deny');
    expect(summary.packets['droppedEgress']).toBe(0);
    expect(reasons).toContain('drop-ingress-default-deny');
    expect(summary.packets['droppedIngress']).toBeGreaterThan(0);
    expect(summary.packets['droppedEgressBaseline']).toBeUndefined();
    const sum = Object.entries(summary.packets).filter(([k]) => k !== 'total').reduce((s, [, v]) => s + v, 0);
    expect(sum).toBe(summary.packets['total']);

    const text = await runCli(['replay', ...ARGS]);
    expect(text.stdout).toMatch(/\n {2}egress admin deny {21} +\d+ +\d+\n/);
    expect(text.stdout).toMatch(/\n {2}ingress baseline deny {17} +\d+ +\d+\n/);
  });

  it('summary admin drops - without cluster-scoped policies no tier row appears', async () => {
    const json = await runCli(['replay', 'examples/three-tier/capture.pcap', '-f', 'examples/three-tier', '-o', 'json']);
    const packets = (JSON.parse(json.stdout) as { packets: Record<string, number> }).packets;
    for (const key of TIER_KEYS) expect(packets).not.toHaveProperty(key);
    expect((packets['droppedEgress'] ?? 0) + (packets['droppedIngress'] ?? 0)).toBeGreaterThan(0);
    const text = await runCli(['replay', 'examples/three-tier/capture.pcap', '-f', 'examples/three-tier']);
    expect(text.stdout).not.toMatch(/admin deny|baseline deny/);
  });
});
