/**
 * `query` with cluster-scoped policies (examples/admin-tiers): which tier, policy and rule
 * decided each direction, including a Pass that handed the decision on, with both engines.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';

const CLUSTER = 'examples/admin-tiers';
const ENGINES = ['compiled', 'naive'] as const;

async function query(engine: string, from: string, to: string, port: string, ...rest: string[]) {
  return runCli(['query', '-f', CLUSTER, '--from', from, '--to', to, '--port', port, '--engine', engine, ...rest]);
}

describe('cli admin query', () => {
  for (const engine of ENGINES) {
    it(`admin query - an admin Allow is final over an isolating NetworkPolicy (${engine})`, async () => {
      const run = await query(engine, 'monitoring/prometheus-0', 'app1/db-0', '9100');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(
        'ingress at app1/db-0: allowed by AdminNetworkPolicy/allow-monitoring (Admin tier, priority 10) ingress[0] "scrape-metrics" Allow from[0] ports[0] (admin tier: final)',
      );
      expect(run.stdout).toContain('isolated by: app1/db');
      expect(run.stdout).toContain('reason: allow-admin');
    });

    it(`admin query - the NetworkPolicy decides where no admin rule matches (${engine})`, async () => {
      const allowed = await query(engine, 'app1/web-0', 'app1/db-0', '5432');
      expect(allowed.stdout).toContain('allowed by app1/db ingress[0] from[0] ports[0]');
      const denied = await query(engine, 'app2/api-0', 'app1/db-0', '5432');
      expect(denied.code).toBe(1);
      expect(denied.stdout).toContain('reason: drop-ingress-default-deny');
    });

    it(`admin query - the baseline decides only where no NetworkPolicy isolates (${engine})`, async () => {
      const allowed = await query(engine, 'app2/api-0', 'app1/web-0', '8080');
      expect(allowed.code).toBe(0);
      expect(allowed.stdout).toContain('allowed by BaselineAdminNetworkPolicy/default ingress[0] "production-to-itself" Allow from[0] (any port) (baseline tier: no NetworkPolicy isolates the pod)');
      expect(allowed.stdout).toContain('reason: allow-baseline');
      const denied = await query(engine, 'monitoring/prometheus-0', 'app1/web-0', '8080');
      expect(denied.code).toBe(1);
      expect(denied.stdout).toContain('reason: drop-ingress-baseline-deny');
    });

    it(`admin query - an admin Deny at the source is reported first, networks match any address (${engine})`, async () => {
      const sandbox = await query(engine, 'sandbox/toy-0', 'app1/web-0', '8080');
      expect(sandbox.code).toBe(1);
      expect(sandbox.stdout).toContain('egress  at sandbox/toy-0: DENIED by AdminNetworkPolicy/sandbox-isolation (Admin tier, priority 20) egress[0] "not-to-production" Deny to[0] (any port) (admin tier: final)');
      expect(sandbox.stdout).toContain('reason: drop-egress-admin-deny');
      const metadata = await query(engine, 'app1/web-0', '169.254.169.254', '80');
      expect(metadata.stdout).toContain('DENIED by AdminNetworkPolicy/block-metadata (Admin tier, priority 5) egress[0] "no-cloud-metadata" Deny to[0] (any port)');
    });

    it(`admin query - a Pass hands the decision down and is named (${engine})`, async () => {
      const run = await query(engine, 'monitoring/prometheus-0', 'sandbox/toy-0', '8080');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('ingress at sandbox/toy-0: allowed: passed on, and no NetworkPolicy or baseline rule decides (default allow)');
      expect(run.stdout).toContain('passed on by: AdminNetworkPolicy/sandbox-isolation (Admin tier, priority 20) ingress[0] "ops-decide-per-namespace" Pass from[0] (any port)');
      const json = JSON.parse((await query(engine, 'monitoring/prometheus-0', 'sandbox/toy-0', '8080', '-o', 'json')).stdout);
      expect(json.ingress).toMatchObject({
        allowed: true,
        reason: 'not isolated',
        rule: null,
        passedBy: { policy: 'AdminNetworkPolicy/sandbox-isolation', kind: 'AdminNetworkPolicy', tier: 'Admin', priority: 10 + 10, action: 'Pass', ruleName: 'ops-decide-per-namespace', rule: 0, peer: 0, port: null },
      });
    });
  }

  it('admin query - json names the deciding admin rule with its tier and action', async () => {
    const run = await query('compiled', 'sandbox/toy-0', 'app1/web-0', '8080', '-o', 'json');
    const json = JSON.parse(run.stdout);
    expect(json).toMatchObject({
      allowed: false,
      reason: 'drop-egress-admin-deny',
      egress: { allowed: false, reason: 'denied by an admin-tier rule', rule: { policy: 'AdminNetworkPolicy/sandbox-isolation', tier: 'Admin', action: 'Deny', rule: 0, peer: 0, port: null } },
      ingress: { allowed: false, reason: 'denied by a baseline-tier rule', rule: { policy: 'BaselineAdminNetworkPolicy/default', tier: 'Baseline', action: 'Deny', rule: 1 } },
    });
    // Without cluster-scoped policies the JSON keeps its shape: no passedBy key.
    const plain = JSON.parse((await runCli(['query', '-f', 'test/fixtures/clusters/two-tier', '--from', 'app1-ns/fe', '--to', 'app1-ns/be', '--port', '5678', '-o', 'json'])).stdout);
    expect(Object.keys(plain.ingress)).toEqual(['pod', 'allowed', 'reason', 'isolatedBy', 'rule']);
  });

  it('admin query - matrix agrees with both engines', async () => {
    const compiled = await runCli(['matrix', '-f', CLUSTER, '--probe', '8080/TCP', '-o', 'json']);
    const naive = await runCli(['matrix', '-f', CLUSTER, '--probe', '8080/TCP', '-o', 'json', '--engine', 'naive']);
    expect(compiled.code).toBe(0);
    expect(compiled.stdout).toBe(naive.stdout);
    const m = JSON.parse(compiled.stdout).probes[0].matrix;
    expect(m['sandbox/toy-0']['app1/web-0']).toBe(false);
    expect(m['app2/api-0']['app1/web-0']).toBe(true);
    expect(m['monitoring/prometheus-0']['sandbox/toy-0']).toBe(true);
    expect(m['app1/web-0']['sandbox/toy-0']).toBe(false);
  });
});
