/** The Service example (examples/service): what its README says, replayed through the CLI. */
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';

const DIR = 'examples/service';

describe('example service - client to backend through a ClusterIP', () => {
  it('example service - client capture: every connection translated, allowed by label rules both ways', async () => {
    const run = await runCli(['replay', `${DIR}/capture-client.pcap`, '-f', DIR, '--flows', '-']);
    expect(run.code).toBe(0);
    const flows = run.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(flows).toHaveLength(3);
    for (const f of flows) {
      expect(f).toMatchObject({ src: '10.244.2.10', dport: 8080, verdict: 'allowed', service: 'shop/backend:http', egressRule: 'shop/client-to-backend egress[0] to[0] ports[0]', ingressRule: 'shop/backend-from-client ingress[0] from[0] ports[0]', packets: { forward: 5, reply: 5, dropped: 0 } });
    }
    expect(flows[0].endpoint).toBe('shop/backend-v2 10.244.3.21:8080');
    expect(run.stderr).toContain('flows: 3 allowed, 0 denied');
  });

  it('example service - the query names the Service and both endpoints allowed', async () => {
    const run = await runCli(['query', '-f', DIR, '--from', 'shop/client', '--to', 'svc/shop/backend', '--port', '80']);
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')[0]).toBe('ALLOWED  Service shop/backend:http: 2 endpoints');
  });

  it('example service - node -i any capture with the pinned endpoint: 20 duplicates', async () => {
    const run = await runCli(['replay', `${DIR}/capture-node-any.pcap`, '-f', DIR, '--service-endpoint', 'shop/backend=10.244.1.20', '-o', 'json']);
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary.packets.duplicate).toBe(20);
    expect(summary.flows).toEqual({ allowed: 4, denied: 0 });
  });
});
