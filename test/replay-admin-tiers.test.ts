/**
 * Replay with cluster-scoped policies (examples/admin-tiers): every connection's flow line names
 * the deciding tier's policy and rule — an admin or baseline Deny included — and the Pass rule
 * that handed a direction on; both engines write the same lines and the same summary.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';

interface FlowLine {
  srcPod: string | null;
  dst: string;
  dport: number | null;
  verdict: string;
  reason: string;
  policy: string | null;
  rule: string | null;
  passedBy?: { egress?: string; ingress?: string };
  packets: { forward: number; reply: number; dropped: number };
}

async function replay(engine: string): Promise<{ flows: FlowLine[]; summary: Record<string, unknown> }> {
  const run = await runCli(['replay', '--flows-in', 'examples/admin-tiers/flows.jsonl', '-f', 'examples/admin-tiers', '--flows', '-', '-o', 'json', '--engine', engine]);
  expect(run.code, run.stderr).toBe(0);
  return { flows: run.stdout.trim().split('\n').map((l) => JSON.parse(l) as FlowLine), summary: JSON.parse(run.stderr) as Record<string, unknown> };
}

/** The connection opened by `srcPod` to `dst:dport` (replies without conntrack state make flows of their own). */
function connection(flows: readonly FlowLine[], srcPod: string, dst: string, dport: number): FlowLine {
  const found = flows.find((f) => f.srcPod === srcPod && f.dst === dst && f.dport === dport);
  if (!found) throw new Error(`no flow ${srcPod} -> ${dst}:${dport}`);
  return found;
}

describe('replay - admin tiers', () => {
  it('replay admin - flow lines name the deciding tier, policy and rule, denials and Pass included', async () => {
    const { flows } = await replay('compiled');
    expect(connection(flows, 'monitoring/prometheus-0', '10.244.2.10', 9100)).toMatchObject({
      verdict: 'allowed',
      reason: 'allow-admin',
      policy: 'AdminNetworkPolicy/allow-monitoring',
      rule: 'AdminNetworkPolicy/allow-monitoring (Admin tier, priority 10) ingress[0] "scrape-metrics" Allow from[0] ports[0]',
      packets: { dropped: 0 },
    });
    expect(connection(flows, 'sandbox/toy-0', '10.244.1.10', 8080)).toMatchObject({
      verdict: 'denied',
      reason: 'drop-egress-admin-deny',
      policy: 'AdminNetworkPolicy/sandbox-isolation',
      rule: 'AdminNetworkPolicy/sandbox-isolation (Admin tier, priority 20) egress[0] "not-to-production" Deny to[0] (any port)',
    });
    expect(connection(flows, 'monitoring/prometheus-0', '10.244.1.10', 8080)).toMatchObject({
      verdict: 'denied',
      reason: 'drop-ingress-baseline-deny',
      policy: 'BaselineAdminNetworkPolicy/default',
    });
    const passed = connection(flows, 'monitoring/prometheus-0', '10.244.1.30', 8080);
    expect(passed).toMatchObject({ verdict: 'allowed', reason: 'allow-not-isolated', policy: null, rule: null });
    expect(passed.passedBy).toEqual({ ingress: 'AdminNetworkPolicy/sandbox-isolation (Admin tier, priority 20) ingress[0] "ops-decide-per-namespace" Pass from[0] (any port)' });
    // A denied connection drops every packet its client sent; flows without a Pass have no passedBy key.
    expect(connection(flows, 'app1/web-0', '169.254.169.254', 80).packets.dropped).toBeGreaterThan(0);
    expect(flows.filter((f) => 'passedBy' in f)).toHaveLength(1);
  });

  it('replay admin - the naive engine writes the same flow lines and summary', async () => {
    const compiled = await replay('compiled');
    const naive = await replay('naive');
    expect(naive.flows).toEqual(compiled.flows);
    const { engine: _a, ...compiledRest } = compiled.summary;
    const { engine: _b, ...naiveRest } = naive.summary;
    expect(naiveRest).toEqual(compiledRest);
  });
});

describe('replay - admin tiers with a timeline', () => {
  it('replay admin - a relabel keeps the cluster-scoped policies and changes what they select', async () => {
    const run = await runCli([
      'replay', '--flows-in', 'examples/admin-tiers/flows.jsonl', '-f', 'examples/admin-tiers', '--timeline', 'test/fixtures/timelines/admin-relabel-sandbox.yaml', '--flows', '-', '-o', 'json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const flows = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as FlowLine);
    // Opened at +400ms, after the relabel: sandbox is production now, the admin Deny no longer selects it.
    expect(connection(flows, 'sandbox/toy-0', '10.244.1.10', 8080)).toMatchObject({ verdict: 'allowed', reason: 'allow-baseline' });
    // Opened before the relabel: still decided by the admin tier.
    expect(connection(flows, 'monitoring/prometheus-0', '10.244.2.10', 9100)).toMatchObject({ verdict: 'allowed', reason: 'allow-admin' });
    expect(connection(flows, 'app1/web-0', '169.254.169.254', 80)).toMatchObject({ verdict: 'denied', reason: 'drop-egress-admin-deny' });
  });
});

describe('replay - admin policies applied and deleted by a timeline', () => {
  it('replay admin - applying an ANP and deleting the BANP mid-replay changes the later connections only', async () => {
    const run = await runCli([
      'replay', '--flows-in', 'examples/admin-tiers/flows.jsonl', '-f', 'examples/admin-tiers', '--timeline', 'test/fixtures/timelines/admin-apply-delete.yaml', '--flows', '-', '-o', 'json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const flows = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as FlowLine);
    // Before: the baseline allowed api -> web. After: the new ANP denies monitoring -> sandbox,
    // and monitoring -> web, no longer denied by the (deleted) baseline, is allowed.
    expect(connection(flows, 'app2/api-0', '10.244.1.10', 8080)).toMatchObject({ verdict: 'allowed', reason: 'allow-baseline' });
    expect(connection(flows, 'monitoring/prometheus-0', '10.244.1.30', 8080)).toMatchObject({
      verdict: 'denied',
      reason: 'drop-ingress-admin-deny',
      rule: 'AdminNetworkPolicy/quarantine-sandbox (Admin tier, priority 15) ingress[0] "no-scrapes" Deny from[0] (any port)',
    });
    expect(connection(flows, 'monitoring/prometheus-0', '10.244.1.10', 8080)).toMatchObject({ verdict: 'allowed', reason: 'allow-not-isolated' });
  });

  it('replay admin - a timeline naming an admin policy that does not exist is one error line, no stack', async () => {
    const run = await runCli(['replay', '--flows-in', 'examples/admin-tiers/flows.jsonl', '-f', 'examples/admin-tiers', '--timeline', 'test/fixtures/timelines/admin-delete-missing.yaml']);
    expect(run.code).toBe(3);
    expect(run.stderr.split('\n').filter((l) => l.startsWith('error: '))).toEqual(['error: timeline: document 1: events[0]: delete: no AdminNetworkPolicy nope in the cluster']);
  });
});
