/**
 * `compile -o iptables` with cluster-scoped policies renders Calico's tiers: the
 * `adminnetworkpolicy` tier before `default` ending in a pass, not a drop; the
 * `baselineadminnetworkpolicy` tier only for pods no NetworkPolicy selects; Allow marks accept,
 * Deny drops, Pass sets the pass mark. `compile -o json` carries the tier tables.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';

const CLUSTER = 'examples/admin-tiers';

describe('compile render - admin tiers', () => {
  it('compile iptables - the admin tier comes before default and passes on at its end', async () => {
    const run = await runCli(['compile', '-f', CLUSTER, '-o', 'iptables', '--pod', 'app1/db-0']);
    expect(run.code).toBe(0);
    const chain = run.stdout.split('\n').filter((l) => l.startsWith('-A npe-tw-app1.db-0 '));
    expect(chain.slice(4)).toEqual([
      '-A npe-tw-app1.db-0 -m comment --comment "Start of tier adminnetworkpolicy" -j MARK --set-xmark 0x0/0x20000',
      '-A npe-tw-app1.db-0 -m mark --mark 0x0/0x20000 -j npe-pi-anp.allow-monitoring',
      '-A npe-tw-app1.db-0 -m mark --mark 0x10000/0x10000 -m comment --comment "Return if policy accepted" -j RETURN',
      '-A npe-tw-app1.db-0 -m comment --comment "End of tier adminnetworkpolicy: pass to the next tier"',
      '-A npe-tw-app1.db-0 -m comment --comment "Start of tier default" -j MARK --set-xmark 0x0/0x20000',
      '-A npe-tw-app1.db-0 -m mark --mark 0x0/0x20000 -j npe-pi-app1.db',
      '-A npe-tw-app1.db-0 -m mark --mark 0x10000/0x10000 -m comment --comment "Return if policy accepted" -j RETURN',
      '-A npe-tw-app1.db-0 -m mark --mark 0x0/0x20000 -m comment --comment "Drop if no policies passed packet" -j DROP',
    ]);
    // db-0 is selected by a NetworkPolicy: the baseline tier never applies to it.
    expect(chain.join('\n')).not.toContain('baselineadminnetworkpolicy');
    expect(run.stdout).toContain(
      '-A npe-pi-anp.allow-monitoring -p tcp -m set --match-set npe4-np:metrics.tcp dst,dst -m set --match-set npe4-a-s:0 src -m comment --comment "rule 1: AdminNetworkPolicy/allow-monitoring (Admin tier, priority 10) ingress[0] \'scrape-metrics\' Allow from[0] ports[0]" -j MARK --set-xmark 0x10000/0x10000',
    );
  });

  it('compile iptables - Deny drops, Pass marks pass, the baseline tier precedes the namespace profile', async () => {
    const run = await runCli(['compile', '-f', CLUSTER, '-o', 'iptables', '--pod', 'app1/web-0', '--pod', 'sandbox/toy-0']);
    const lines = run.stdout.split('\n');
    expect(lines).toContain('-A npe-po-anp.block-metadata -m set --match-set npe4-a-n:0 dst -m comment --comment "rule 0: AdminNetworkPolicy/block-metadata (Admin tier, priority 5) egress[0] \'no-cloud-metadata\' Deny to[0] (any port)" -j DROP');
    expect(lines).toContain('add npe4-a-n:0 169.254.169.254/32');
    expect(lines).toContain('-A npe-pi-anp.sandbox-isolation -m set --match-set npe4-a-s:0 src -m comment --comment "rule 2: AdminNetworkPolicy/sandbox-isolation (Admin tier, priority 20) ingress[0] \'ops-decide-per-namespace\' Pass from[0] (any port)" -j MARK --set-xmark 0x20000/0x20000');
    const web = lines.filter((l) => l.startsWith('-A npe-tw-app1.web-0 '));
    const baseline = web.findIndex((l) => l.includes('Start of tier baselineadminnetworkpolicy'));
    const profile = web.findIndex((l) => l.includes('-j npe-pri-kns.app1'));
    expect(baseline).toBeGreaterThan(0);
    expect(profile).toBeGreaterThan(baseline);
  });

  it('compile table - each pod lists its tiers, the baseline marked where a NetworkPolicy shadows it', async () => {
    const run = await runCli(['compile', '-f', CLUSTER, '--pod', 'app1/db-0']);
    expect(run.stdout).toContain('  admin tier ingress: AdminNetworkPolicy/allow-monitoring (in order)\n');
    expect(run.stdout).toContain('  baseline tier ingress: BaselineAdminNetworkPolicy/default (not consulted: a NetworkPolicy isolates the pod)\n');
    expect(run.stdout).toContain('\nadmin tier: 5 rule entries, 6 tables\nbaseline tier: 2 rule entries, 1 tables\n');
  });

  it('compile json - tier tables are listed beside the NetworkPolicy tables', async () => {
    const json = JSON.parse((await runCli(['compile', '-f', CLUSTER, '-o', 'json'])).stdout);
    expect(json.adminTiers.admin.tables.map((t: { policies: string[] }) => t.policies)).toContainEqual(['AdminNetworkPolicy/block-metadata', 'AdminNetworkPolicy/sandbox-isolation']);
    expect(json.adminTiers.baseline.rules[0]).toMatchObject({ id: 0, text: 'BaselineAdminNetworkPolicy/default ingress[0] "production-to-itself" Allow from[0] (any port)', action: 'Allow' });
  });
});
