import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';

const CLUSTER = 'test/fixtures/clusters/two-tier';

describe('cli query', () => {
  it('query - allowed flow exits 0 and names the rule', async () => {
    const run = await runCli(['query', '-f', CLUSTER, '--from', 'app1-ns/fe', '--to', 'app1-ns/be', '--port', '5678']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('ALLOWED  app1-ns/fe (10.0.0.1) -> app1-ns/be (10.0.0.2) TCP/5678');
    expect(run.stdout).toContain('allowed by app1-ns/be ingress[0] from[0] ports[0]');
  });

  it('query - denied flow exits 1 and says default deny', async () => {
    const run = await runCli(['query', '-f', CLUSTER, '--from', '203.0.113.9', '--to', 'app1-ns/be', '--port', '5678']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^DENIED {2}203\.0\.113\.9 -> app1-ns\/be/);
    expect(run.stdout).toContain('reason: drop-ingress-default-deny');
  });

  it('query - named port resolves on the destination pod only', async () => {
    const wrongPort = await runCli(['query', '-f', CLUSTER, '--from', 'app1-ns/fe', '--to', 'app1-ns/be', '--port', '80']);
    expect(wrongPort.code).toBe(1);
  });

  it('query - json output carries both directions', async () => {
    const run = await runCli(['query', '-f', CLUSTER, '--from', 'app1-ns/fe', '--to', 'app1-ns/be', '--port', '5678', '-o', 'json']);
    const json = JSON.parse(run.stdout);
    expect(json).toMatchObject({
      allowed: true,
      reason: 'allow-policy',
      src: { ip: '10.0.0.1', pod: 'app1-ns/fe' },
      dst: { ip: '10.0.0.2', pod: 'app1-ns/be' },
      protocol: 'TCP',
      port: 5678,
      egress: { allowed: true, reason: 'not isolated', rule: null },
      ingress: { allowed: true, isolatedBy: ['app1-ns/be'], rule: { policy: 'app1-ns/be', rule: 0, peer: 0, port: 0 } },
    });
  });

  it('query - usage errors exit 2 with one line', async () => {
    const unknownFlag = await runCli(['query', '-f', CLUSTER, '--frm', 'x']);
    expect(unknownFlag.code).toBe(2);
    expect(unknownFlag.stderr.trim().split('\n')).toHaveLength(1);
    const unknownPod = await runCli(['query', '-f', CLUSTER, '--from', 'app1-ns/nope', '--to', 'app1-ns/be', '--port', '1']);
    expect(unknownPod.code).toBe(2);
    expect(unknownPod.stderr).toContain('no pod app1-ns/nope in the cluster (pods in app1-ns: be, fe)');
    const noPort = await runCli(['query', '-f', CLUSTER, '--from', 'app1-ns/fe', '--to', 'app1-ns/be']);
    expect(noPort.code).toBe(2);
    const badEngine = await runCli(['query', '-f', CLUSTER, '--from', 'app1-ns/fe', '--to', 'app1-ns/be', '--port', '1', '--engine', 'fast']);
    expect(badEngine.stderr).toContain('--engine must be one of naive, compiled');
  });

  it('query - invalid manifests exit 3 without a stack trace', async () => {
    const run = await runCli(['query', '-f', 'test/fixtures/does-not-exist.yaml', '--from', '1.1.1.1', '--to', '2.2.2.2', '--port', '1']);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('test/fixtures/does-not-exist.yaml: no such file or directory');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('query - --help prints usage and exits 0', async () => {
    const run = await runCli(['query', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: netpol-emu query');
  });
});
