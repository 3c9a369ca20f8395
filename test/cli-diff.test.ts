import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';

const CAPTURE = 'examples/three-tier/capture.pcap';
const CLUSTER = ['-f', 'examples/three-tier'];

describe('cli diff', () => {
  it('diff - upstream vs cilium on the capture: the ipBlock-on-pod-IP flow differs, with both rules', async () => {
    const run = await runCli(['diff', CAPTURE, ...CLUSTER, '--left-cni', 'upstream', '--right-cni', 'cilium', '-o', 'json']);
    expect(run.code).toBe(1);
    const diff = JSON.parse(run.stdout);
    expect(diff.compared).toBe(20);
    expect(diff.differences).toHaveLength(1);
    expect(diff.differences[0]).toMatchObject({
      src: '10.244.2.30',
      sport: 40017,
      dst: '10.244.1.10',
      dport: 80,
      left: { verdict: 'allowed', rule: 'app1-ns/frontend-policy ingress[0] from[0] ports[0]' },
      right: { verdict: 'denied', reason: 'drop-ingress-default-deny', isolatedBy: ['app1-ns/default-deny-all', 'app1-ns/frontend-policy'] },
    });
  });

  it('diff - the same side twice differs nowhere and exits 0', async () => {
    const run = await runCli(['diff', CAPTURE, ...CLUSTER, '--left-cni', 'calico', '--right-cni', 'calico']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('flows compared: 20; verdict differs: 0');
  });

  it('diff - --left/--right side options: flannel lets every denied flow through', async () => {
    const run = await runCli(['diff', CAPTURE, ...CLUSTER, '-o', 'json', '--left', '--cni', 'calico', '--right', '--cni', 'flannel']);
    const diff = JSON.parse(run.stdout);
    expect(diff.differences).toHaveLength(9);
    for (const d of diff.differences) expect([d.left.verdict, d.right.verdict]).toEqual(['denied', 'allowed']);
  });

  it('diff - matrix cells that differ between calico and cilium', async () => {
    const run = await runCli(['diff', '--matrix', ...CLUSTER, '--left-cni', 'calico', '--right-cni', 'cilium', '-o', 'json']);
    expect(run.code).toBe(1);
    const cells = JSON.parse(run.stdout).cells;
    expect(cells).toContainEqual({ probe: '80/TCP', from: 'ingress-nginx/ingress-nginx-controller-7d', to: 'app1-ns/frontend-7c9d5', left: true, right: false });
    for (const c of cells) expect(c.to).toBe('app1-ns/frontend-7c9d5');
  });

  it('diff - without sides is a usage error', async () => {
    const run = await runCli(['diff', CAPTURE, ...CLUSTER]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--left-cni');
  });
});
