import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';

const EXAMPLE = 'examples/three-tier';

describe('compile - renderers on the bundled example', () => {
  it('compile - table summarises isolation per pod', async () => {
    const run = await runCli(['compile', '-f', EXAMPLE]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('app1-ns/db-sts-0  10.244.2.12');
    expect(run.stdout).toMatch(/app1-ns\/db-sts-0[^\n]*\n {2}ingress: isolated by 2 policies[^\n]*app1-ns\/db-policy, app1-ns\/default-deny-all/);
    expect(run.stdout).toMatch(/kube-system\/coredns-6f6b-a[^\n]*\n {2}ingress: open \(not isolated\)/);
    await expect(run.stdout).toMatchFileSnapshot('./fixtures/snapshots/three-tier.compile.txt');
  });

  it('compile - json names rules, selectors and per-pod bindings', async () => {
    const run = await runCli(['compile', '-f', EXAMPLE, '-o', 'json']);
    const json = JSON.parse(run.stdout);
    const db = json.pods.find((p: { pod: string }) => p.pod === 'app1-ns/db-sts-0');
    expect(db.ingress).toEqual({ isolated: true, table: expect.any(Number), policies: ['app1-ns/db-policy', 'app1-ns/default-deny-all'] });
    const dbIngressRule = json.rules.find((r: { policy: string; direction: string }) => r.policy === 'app1-ns/db-policy' && r.direction === 'ingress');
    expect(dbIngressRule.matches).toEqual({ peer: expect.stringMatching(/^selector:\d+$/), protocol: 'TCP', port: 3306 });
    const selector = json.selectors[Number(dbIngressRule.matches.peer.split(':')[1])];
    expect(selector.selects).toBe("pods(app == 'app1' && role == 'backend') in namespace == 'app1-ns'");
    expect(json.cidrSets).toEqual([{ id: 0, cidr: '0.0.0.0/0', except: ['198.51.100.0/24'] }]);
    await expect(run.stdout).toMatchFileSnapshot('./fixtures/snapshots/three-tier.compile.json');
  });

  it('compile - iptables rendering has Calico shape', async () => {
    const run = await runCli(['compile', '-f', EXAMPLE, '-o', 'iptables']);
    const lines = run.stdout.split('\n');
    const chain = lines.filter((l) => l.startsWith('-A npe-tw-app1-ns.db-sts-0 '));
    // conntrack accept first, INVALID drop, then policies, final drop when isolated.
    expect(chain[0]).toBe('-A npe-tw-app1-ns.db-sts-0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT');
    expect(chain[1]).toBe('-A npe-tw-app1-ns.db-sts-0 -m conntrack --ctstate INVALID -j DROP');
    expect(chain.at(-1)).toContain('Drop if no policies passed packet');
    expect(lines).toContain('-A npe-pi-app1-ns.db-policy -p tcp --dport 3306 -m set --match-set npe4-s:5 src -m comment --comment "rule 8: app1-ns/db-policy ingress[0] from[0] ports[0]" -j MARK --set-xmark 0x10000/0x10000');
    // Every chain jumped to is declared.
    const declared = new Set(lines.filter((l) => l.startsWith(':')).map((l) => l.slice(1).split(' ')[0]));
    for (const l of lines) {
      const target = / -[jg] (npe-\S+)/.exec(l)?.[1];
      if (target) expect(declared.has(target), target).toBe(true);
    }
    // The ipBlock except lands in its own set.
    expect(lines).toContain('add npe4-x:0 198.51.100.0/24');
    await expect(run.stdout).toMatchFileSnapshot('./fixtures/snapshots/three-tier.compile.iptables');
  });

  it('compile - --pod limits the output and rejects unknown pods', async () => {
    const run = await runCli(['compile', '-f', EXAMPLE, '--pod', 'app1-ns/db-sts-0']);
    expect(run.stdout).not.toContain('frontend-7c9d5');
    const bad = await runCli(['compile', '-f', EXAMPLE, '--pod', 'app1-ns/nope']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--pod app1-ns/nope: no such pod');
  });
});
