/** `query --to svc/NS/NAME`: the connection as kube-proxy would translate it, for every endpoint. */
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';

const CLUSTER = 'test/fixtures/services/cluster.yaml';

describe('query - to a Service', () => {
  it('query service - each endpoint judged on its own pod and port; denied when any is', async () => {
    const run = await runCli(['query', '-f', CLUSTER, '--from', 'shop/client', '--to', 'svc/shop/backend', '--port', '80', '-o', 'json']);
    expect(run.code).toBe(1);
    const out = JSON.parse(run.stdout);
    expect(out).toMatchObject({ service: 'shop/backend:http', allowed: false, endpointsDiffer: true });
    expect(out.endpoints.map((e: { endpoint: string; allowed: boolean }) => [e.endpoint, e.allowed])).toEqual([
      ['shop/backend-v1 10.244.1.20:8080', true],
      ['shop/backend-v2 10.244.2.20:8081', false],
    ]);
  });

  it('query service - text names the Service and says the endpoints disagree', async () => {
    const run = await runCli(['query', '-f', CLUSTER, '--from', 'shop/client', '--to', 'svc/shop/backend', '--port', '80']);
    expect(run.stdout.split('\n')[0]).toBe('DENIED  Service shop/backend:http: 2 endpoints, and they get different verdicts');
    expect(run.stdout).toContain('ALLOWED  shop/client (10.244.1.10) -> shop/backend-v1 (10.244.1.20) TCP/8080');
    expect(run.stdout).toContain('DENIED  shop/client (10.244.1.10) -> shop/backend-v2 (10.244.2.20) TCP/8081');
  });

  it('query service - no endpoint is a denial; a wrong port or Service is a one-line usage error', async () => {
    const none = await runCli(['query', '-f', CLUSTER, '--from', 'shop/client', '--to', 'svc/shop/nobody', '--port', '80']);
    expect(none.code).toBe(1);
    expect(none.stdout).toBe('DENIED  Service shop/nobody:80 has no ready endpoint: kube-proxy rejects the connection\n');
    const port = await runCli(['query', '-f', CLUSTER, '--from', 'shop/client', '--to', 'svc/shop/backend', '--port', '81']);
    expect([port.code, port.stderr]).toEqual([2, 'netpol-emu: query: --to: Service shop/backend has no port 81/TCP (ports: 80/TCP)\n']);
    const missing = await runCli(['query', '-f', CLUSTER, '--from', 'shop/client', '--to', 'svc/shop/nope', '--port', '80']);
    expect([missing.code, missing.stderr]).toEqual([2, 'netpol-emu: query: --to: no Service shop/nope in the cluster\n']);
  });
});
