/**
 * Every policy-level switch on which a CNI profile differs from upstream, shown on a concrete
 * flow through `query` (and `matrix`): the upstream verdict, then the profile's.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';

const SWITCHES = ['-f', 'test/fixtures/clusters/cni-switches'];
const EXAMPLE = ['-f', 'examples/three-tier'];

async function verdict(cluster: string[], from: string, to: string, port: string | null, extra: string[] = [], protocol = 'TCP'): Promise<{ code: number; reason: string }> {
  const args = ['query', ...cluster, '--from', from, '--to', to, '--protocol', protocol, '-o', 'json', ...(port ? ['--port', port] : []), ...extra];
  const run = await runCli(args);
  expect([0, 1], run.stderr).toContain(run.code);
  return { code: run.code, reason: JSON.parse(run.stdout).reason };
}

describe('cni switches - concrete flows', () => {
  it('flannel (enforce=false) - a flow every policy denies is allowed', async () => {
    expect(await verdict(EXAMPLE, 'app1-ns/frontend-7c9d5', 'app1-ns/db-sts-0', '3306')).toEqual({ code: 1, reason: 'drop-egress-default-deny' });
    expect(await verdict(EXAMPLE, 'app1-ns/frontend-7c9d5', 'app1-ns/db-sts-0', '3306', ['--cni', 'flannel'])).toEqual({ code: 0, reason: 'allow-not-enforced' });
    const matrix = await runCli(['matrix', ...EXAMPLE, '--cni', 'flannel', '-o', 'csv']);
    expect(matrix.stdout).not.toContain(',false');
  });

  it('cilium (ipBlockMatchesPodIps=false) - a pod is not reached through ipBlock 0.0.0.0/0', async () => {
    expect((await verdict(EXAMPLE, 'ingress-nginx/ingress-nginx-controller-7d', 'app1-ns/frontend-7c9d5', '80')).code).toBe(0);
    expect(await verdict(EXAMPLE, 'ingress-nginx/ingress-nginx-controller-7d', 'app1-ns/frontend-7c9d5', '80', ['--cni', 'cilium'])).toEqual({ code: 1, reason: 'drop-ingress-default-deny' });
    // External clients are still matched.
    expect((await verdict(EXAMPLE, '203.0.113.50', 'app1-ns/frontend-7c9d5', '80', ['--cni', 'cilium'])).code).toBe(0);
  });

  it('cilium (ipBlockMatchesNodeIps=false) - a node address is not matched by ipBlock', async () => {
    // 172.18.0.3 is node2 (db's hostIP); frontend runs on node1, so no local-node exemption.
    expect((await verdict(EXAMPLE, '172.18.0.3', 'app1-ns/frontend-7c9d5', '80')).code).toBe(0);
    expect((await verdict(EXAMPLE, '172.18.0.3', 'app1-ns/frontend-7c9d5', '80', ['--cni', 'cilium'])).code).toBe(1);
    expect((await verdict(SWITCHES, 'a/client', '172.20.0.2', '10250')).code).toBe(0);
    expect((await verdict(SWITCHES, 'a/client', '172.20.0.2', '10250', ['--cni-opt', 'ipBlockMatchesNodeIps=false'])).code).toBe(1);
  });

  it('localNodeToPodAllowed=false - the own node is policed like any source', async () => {
    expect(await verdict(EXAMPLE, '172.18.0.2', 'app1-ns/backend-5f8b6', '5678')).toEqual({ code: 0, reason: 'allow-local-node' });
    expect((await verdict(EXAMPLE, '172.18.0.2', 'app1-ns/backend-5f8b6', '5678', ['--cni-opt', 'localNodeToPodAllowed=false'])).code).toBe(1);
  });

  it('podToLocalNodeEgressPoliced=false - egress to the own node passes', async () => {
    expect((await verdict(EXAMPLE, 'app1-ns/backend-5f8b6', '172.18.0.2', '10250')).code).toBe(1);
    expect(await verdict(EXAMPLE, 'app1-ns/backend-5f8b6', '172.18.0.2', '10250', ['--cni-opt', 'podToLocalNodeEgressPoliced=false'])).toEqual({ code: 0, reason: 'allow-local-node' });
    // Another node is still policed.
    expect((await verdict(EXAMPLE, 'app1-ns/backend-5f8b6', '172.18.0.3', '10250', ['--cni-opt', 'podToLocalNodeEgressPoliced=false'])).code).toBe(1);
  });

  it('cilium (sctpSupported=false) - SCTP rules fail closed, the pod stays isolated', async () => {
    expect((await verdict(SWITCHES, 'a/client', 'a/server1', '9000', [], 'SCTP')).code).toBe(0);
    expect((await verdict(SWITCHES, 'a/client', 'a/server1', '9000', ['--cni', 'kube-router'], 'SCTP')).code).toBe(0);
    expect(await verdict(SWITCHES, 'a/client', 'a/server1', '9000', ['--cni', 'cilium'], 'SCTP')).toEqual({ code: 1, reason: 'drop-egress-default-deny' });
  });

  it('endPortSupported=false - only the first port of a range is allowed', async () => {
    expect((await verdict(SWITCHES, 'a/client', 'a/server1', '30005')).code).toBe(0);
    expect((await verdict(SWITCHES, 'a/client', 'a/server1', '30005', ['--cni-opt', 'endPortSupported=false'])).code).toBe(1);
    expect((await verdict(SWITCHES, 'a/client', 'a/server1', '30000', ['--cni-opt', 'endPortSupported=false'])).code).toBe(0);
  });

  it('cilium (namedPortConflict=skip-rule) - a port name meaning two numbers drops the rule', async () => {
    expect((await verdict(SWITCHES, 'a/client', 'a/server1', '8080')).code).toBe(0);
    expect((await verdict(SWITCHES, 'a/client', 'a/server2', '8081')).code).toBe(0);
    expect((await verdict(SWITCHES, 'a/client', 'a/server1', '8080', ['--cni', 'cilium'])).code).toBe(1);
  });

  it('kube-router (ipBlockMatch=kube-router-ipset) - ::/0 is 2000::/3 + fd00::/8 and a longer entry beats an except, in both engines', async () => {
    const IPSET = ['-f', 'test/fixtures/clusters/ipset-ipblock'];
    for (const engine of ['naive', 'compiled']) {
      const run = (to: string, extra: string[]): Promise<{ code: number; reason: string }> => verdict(IPSET, 'ns/a', to, '53', ['--engine', engine, ...extra]);
      // The spec: fd00::/8 is inside the except fc00::/7, fe80::1 inside ::/0.
      expect((await run('fd00::99', [])).code).toBe(1);
      expect((await run('fe80::1', [])).code).toBe(0);
      expect((await run('2001:db8::1', [])).code).toBe(0);
      // kube-router: the fd00::/8 entry (prefix 8) outranks the nomatch fc00::/7; fe80::1 is in no entry.
      expect((await run('fd00::99', ['--cni', 'kube-router'])).code).toBe(0);
      expect((await run('fe80::1', ['--cni', 'kube-router'])).code).toBe(1);
      expect((await run('fc00::1', ['--cni', 'kube-router'])).code).toBe(1);
      expect((await run('2001:db8::1', ['--cni', 'kube-router'])).code).toBe(0);
      expect((await run('fd00::99', ['--cni', 'kube-router', '--cni-opt', 'ipBlockMatch=cidr-except'])).code).toBe(1);
    }
  });

  it('kube-router (bothTypesRules, egressNamedPorts, unresolvedNamedPorts, ipBlockMatch) - the rules kube-router writes, in both engines; --cni-opt gives the spec back', async () => {
    const KR = ['-f', 'test/fixtures/clusters/kube-router-rules'];
    for (const engine of ['naive', 'compiled']) {
      const run = (from: string, to: string, port: string, extra: string[] = []): Promise<number> => verdict(KR, from, to, port, ['--engine', engine, ...extra]).then((v) => v.code);
      const cases: readonly (readonly [string, string, string, string, number, number])[] = [
        // switch, from, to, port, spec (upstream), kube-router
        ['bothTypesRules=own-direction', 'ns/web-1', 'ns/web-2', '8080', 1, 0],
        ['egressNamedPorts=destination-pod', 'ns/batch', '192.0.2.1', '80', 1, 0],
        ['egressNamedPorts=destination-pod', 'ns/batch', 'ns/api', '5432', 0, 1],
        ['unresolvedNamedPorts=match-nothing', 'ns/api', 'ns/db', '6379', 1, 0],
        ['ipBlockMatch=cidr-except', 'ns/batch', '192.168.1.5', '443', 0, 1],
        ['ipBlockMatch=cidr-except', 'ns/batch', '192.168.2.1', '443', 0, 0],
      ];
      for (const [option, from, to, port, spec, kubeRouter] of cases) {
        const label = `${engine}: ${from} -> ${to}:${port}`;
        expect(await run(from, to, port), `${label} upstream`).toBe(spec);
        expect(await run(from, to, port, ['--cni', 'kube-router']), `${label} kube-router`).toBe(kubeRouter);
        expect(await run(from, to, port, ['--cni', 'kube-router', '--cni-opt', option]), `${label} kube-router with ${option}`).toBe(spec);
      }
    }
  });

  it('profiles - unknown profile, switch or value is a usage error', async () => {
    const bad = await runCli(['query', ...EXAMPLE, '--from', '1.1.1.1', '--to', '2.2.2.2', '--port', '1', '--cni', 'weave']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown CNI profile "weave"');
    const value = await runCli(['matrix', ...EXAMPLE, '--cni-opt', 'denyAction=explode']);
    expect(value.code).toBe(2);
    const hostNetwork = await runCli(['matrix', ...EXAMPLE, '--cni-opt', 'hostNetworkMode=pod']);
    expect(hostNetwork.code).toBe(2);
    expect(hostNetwork.stderr).toContain('not emulated');
  });
});
