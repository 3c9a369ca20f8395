/**
 * `replay --coverage` on the bundled three-tier capture: every allow rule of every policy is
 * listed once, the "first" counts are exactly the summary's rules that allowed traffic, a rule's
 * matched counts are at least its first counts, and unmatched rules, policies and pods follow
 * from the rows.
 */
import { describe, expect, it } from 'vitest';
import { compile, formatRuleRef, loadCluster } from '../src/index.js';
import { runCli } from './helpers/run-cli.js';

const CAPTURE = 'examples/three-tier/capture.pcap';
const CLUSTER = 'examples/three-tier';

interface Coverage {
  rules: { rule: string; policy: string; flows: number; packets: number; firstFlows: number; firstPackets: number }[];
  policies: { policy: string; rules: number; rulesMatched: number; flows: number; packets: number }[];
  unmatchedRules: string[];
  unmatchedPolicies: string[];
  isolationOnlyPolicies: string[];
  pods: { pod: string; ingressFlows: number; egressFlows: number; deniedIngressFlows: number; deniedEgressFlows: number }[];
  unreachedPods: string[];
}

interface Summary {
  flows: { allowed: number; denied: number };
  allowedBy: { rule: string; flows: number; packets: number }[];
  coverage?: Coverage;
}

async function replayJson(args: readonly string[]): Promise<Summary> {
  const run = await runCli(['replay', CAPTURE, '-f', CLUSTER, '-o', 'json', ...args]);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as Summary;
}

describe('replay --coverage', () => {
  it('coverage - lists every rule of the compiled tables once, in the same order', async () => {
    const summary = await replayJson(['--coverage']);
    const coverage = summary.coverage as Coverage;
    const { cluster } = loadCluster({ paths: [CLUSTER] });
    const tables = compile(cluster);
    expect(coverage.rules.map((r) => r.rule)).toEqual(tables.rules.map(formatRuleRef));
    expect(new Set(coverage.rules.map((r) => r.rule)).size).toBe(coverage.rules.length);
    expect(coverage.policies.map((p) => p.policy)).toEqual(cluster.policies.map((p) => `${p.namespace}/${p.name}`));
  });

  it('coverage - first counts equal the summary rules that allowed traffic; matched counts are at least those', async () => {
    const summary = await replayJson(['--coverage']);
    const coverage = summary.coverage as Coverage;
    const first = coverage.rules.filter((r) => r.firstFlows > 0).map((r) => ({ rule: r.rule, flows: r.firstFlows, packets: r.firstPackets }));
    expect(first.sort((a, b) => (a.rule < b.rule ? -1 : 1))).toEqual([...summary.allowedBy].sort((a, b) => (a.rule < b.rule ? -1 : 1)));
    expect(first.length).toBeGreaterThan(0);
    for (const r of coverage.rules) {
      expect(r.flows).toBeGreaterThanOrEqual(r.firstFlows);
      expect(r.packets).toBeGreaterThanOrEqual(r.firstPackets);
    }
    expect(coverage.unmatchedRules).toEqual(coverage.rules.filter((r) => r.flows === 0).map((r) => r.rule));
    for (const p of coverage.policies) {
      const own = coverage.rules.filter((r) => r.policy === p.policy);
      expect(p.rules).toBe(own.length);
      expect(p.rulesMatched).toBe(own.filter((r) => r.flows > 0).length);
      expect(p.flows).toBe(own.reduce((s, r) => s + r.firstFlows, 0));
    }
    expect(coverage.isolationOnlyPolicies).toContain('app1-ns/default-deny-all');
    // Each pod-to-pod allowed flow counts once at each end; a flow from or to outside once.
    const podIn = coverage.pods.reduce((s, p) => s + p.ingressFlows, 0);
    const podOut = coverage.pods.reduce((s, p) => s + p.egressFlows, 0);
    expect(podIn).toBeLessThanOrEqual(summary.flows.allowed);
    expect(podOut).toBeLessThanOrEqual(summary.flows.allowed);
    expect(coverage.unreachedPods).toEqual(coverage.pods.filter((p) => p.ingressFlows === 0).map((p) => p.pod));
  });

  it('coverage - the text output lists each rule with its counts, and nothing changes without the flag', async () => {
    const plain = await runCli(['replay', CAPTURE, '-f', CLUSTER]);
    const run = await runCli(['replay', CAPTURE, '-f', CLUSTER, '--coverage']);
    expect(run.code).toBe(0);
    expect(run.stdout.startsWith(plain.stdout)).toBe(true);
    expect(plain.stdout).not.toContain('rule coverage');
    expect(run.stdout).toMatch(/\nrule coverage: \d+ of \d+ allow rules matched allowed traffic/);
    expect(run.stdout).toContain('app1-ns/frontend-policy ingress[0] from[0] ports[0]');
    const json = await replayJson([]);
    expect(json.coverage).toBeUndefined();
  });

  it('coverage - --help documents the flag', async () => {
    expect((await runCli(['replay', '--help'])).stdout).toContain('--coverage');
  });
});

