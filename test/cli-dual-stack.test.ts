import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';

const CLUSTER = ['-f', 'test/fixtures/clusters/dual-stack'];

async function query(from: string, to: string, port: string, engine = 'compiled'): Promise<{ code: number; json: { src: { ip: string }; dst: { ip: string }; reason: string } }> {
  const run = await runCli(['query', ...CLUSTER, '--from', from, '--to', to, '--port', port, '-o', 'json', '--engine', engine]);
  expect([0, 1], run.stderr).toContain(run.code);
  return { code: run.code, json: JSON.parse(run.stdout) };
}

describe('cli - dual-stack', () => {
  it('dual-stack - pod names use the primary family; IPv6 addresses select IPv6', async () => {
    for (const engine of ['compiled', 'naive']) {
      // IPv4 between the pods: no IPv4 ipBlock allows it.
      const v4 = await query('ds/client', 'ds/web', '8080', engine);
      expect(v4.code).toBe(1);
      expect(v4.json.src.ip).toBe('10.2.0.2');
      // The client's IPv6 address is in the except.
      expect((await query('fd00:2::2', 'fd00:2::1', '8080', engine)).code).toBe(1);
      // Another address in fd00:2::/64 is allowed, on the named port only.
      expect((await query('fd00:2::9', 'fd00:2::1', '8080', engine)).code).toBe(0);
      expect((await query('fd00:2::9', 'fd00:2::1', '8081', engine)).code).toBe(1);
      // 2001:db8::/32 may use any port.
      expect((await query('2001:db8::7', 'fd00:2::1', '22', engine)).code).toBe(0);
    }
  });

  it('dual-stack - mixing families is a usage error', async () => {
    const run = await runCli(['query', ...CLUSTER, '--from', '2001:db8::7', '--to', '10.2.0.1', '--port', '22']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no IP family in common');
  });

  it('dual-stack - matrix uses a common family for each pair', async () => {
    const run = await runCli(['matrix', ...CLUSTER, '--probe', '8080/TCP', '-o', 'json']);
    const m = JSON.parse(run.stdout).probes[0].matrix;
    expect(m['ds/client']['ds/web']).toBe(false);
    expect(m['ds/web']['ds/client']).toBe(true);
  });
});
