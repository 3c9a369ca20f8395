/**
 * `replay --coverage` is exact under both engines: the compiled tables and the naive evaluator
 * give equal counts for every rule, policy and pod — on the bundled capture, on the admin-tier
 * example's flows and on a seeded synthetic cluster with its capture.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';

const root = mkdtempSync(join(tmpdir(), 'netpol-coverage-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Coverage {
  rules: { rule: string; flows: number; firstFlows: number }[];
}

async function coverage(args: readonly string[], engine: 'compiled' | 'naive'): Promise<{ coverage: Coverage; allowedBy: unknown }> {
  const run = await runCli(['replay', ...args, '--engine', engine, '--coverage', '-o', 'json']);
  expect(run.code, run.stderr).toBe(0);
  const summary = JSON.parse(run.stdout) as { coverage: Coverage; allowedBy: unknown };
  return { coverage: summary.coverage, allowedBy: summary.allowedBy };
}

async function expectEnginesAgree(args: readonly string[]): Promise<Coverage> {
  const compiled = await coverage(args, 'compiled');
  const naive = await coverage(args, 'naive');
  expect(naive.coverage).toEqual(compiled.coverage);
  expect(naive.allowedBy).toEqual(compiled.allowedBy);
  return compiled.coverage;
}

describe('replay --coverage - engines agree', () => {
  it('coverage - equal counts compiled vs naive on the three-tier capture', async () => {
    const c = await expectEnginesAgree(['examples/three-tier/capture.pcap', '-f', 'examples/three-tier']);
    expect(c.rules.some((r) => r.flows > 0)).toBe(true);
  });

  it('coverage - equal counts compiled vs naive on the admin-tier example flows', async () => {
    const c = await expectEnginesAgree(['--flows-in', 'examples/admin-tiers/flows.jsonl', '-f', 'examples/admin-tiers']);
    expect(c.rules.some((r) => r.rule.startsWith('AdminNetworkPolicy/') || r.rule.startsWith('ClusterNetworkPolicy/'))).toBe(true);
  });

  it('coverage - equal counts compiled vs naive on a seeded synthetic cluster and capture', async () => {
    const dir = join(root, 'synth');
    const pcap = join(root, 'synth.pcap');
    const synth = await runCli(['synth', '--seed', '11', '--pods', '120', '--namespaces', '5', '--policies', '30', '-o', dir, '--flows', '1500', '--deny-share', '0.2', '--pcap', pcap]);
    expect(synth.code, synth.stderr).toBe(0);
    const c = await expectEnginesAgree([pcap, '-f', dir]);
    const matched = c.rules.filter((r) => r.flows > 0);
    expect(matched.length).toBeGreaterThan(5);
    // Some flows are matched by more rules than the one that decided them.
    expect(c.rules.some((r) => r.flows > r.firstFlows)).toBe(true);
  }, 60_000);
});

describe('replay --coverage - with a timeline', () => {
  it('coverage - across policy versions: engines agree and first counts equal the rules that allowed traffic', async () => {
    const args = ['examples/three-tier/capture.pcap', '-f', 'examples/three-tier', '--timeline', 'test/fixtures/timelines/delete-frontend-policy.yaml'];
    const c = await expectEnginesAgree(args);
    const run = await runCli(['replay', ...args, '--coverage', '-o', 'json']);
    const summary = JSON.parse(run.stdout) as { allowedBy: { rule: string; flows: number; packets: number }[]; coverage: { rules: { rule: string; firstFlows: number; firstPackets: number }[] } };
    const first = summary.coverage.rules.filter((r) => r.firstFlows > 0).map((r) => ({ rule: r.rule, flows: r.firstFlows, packets: r.firstPackets }));
    const byRule = (a: { rule: string }, b: { rule: string }): number => (a.rule < b.rule ? -1 : 1);
    expect(first.sort(byRule)).toEqual([...summary.allowedBy].sort(byRule));
    // The deleted policy's rules are still listed: they were in force before the change.
    expect(c.rules.some((r) => r.rule.startsWith('app1-ns/frontend-policy '))).toBe(true);
  });
});
