/**
 * Policy changes during a replay (--timeline): new flows see the new policy at once; established
 * connections keep their verdict under Calico, lose their forward packets under Cilium and are
 * cut both ways under OVN-Kubernetes; the flow output says when a verdict changed.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';

const BASE = ['examples/three-tier/capture.pcap', '-f', 'examples/three-tier', '--flows', '-', '-o', 'json'];

interface Flow {
  sport: number | null;
  verdict: string;
  reason: string;
  packets: { forward: number; reply: number; dropped: number };
  verdictChange?: { at: string; reason: string };
}

async function replay(timeline: string, cni: string): Promise<{ flows: Flow[]; summary: { timeline: { event: string; rebuildMs: number }[]; verdictChanges: number } }> {
  const run = await runCli(['replay', ...BASE, '--timeline', timeline, '--cni', cni]);
  expect(run.code, run.stderr).toBe(0);
  return { flows: run.stdout.trim().split('\n').map((l) => JSON.parse(l)), summary: JSON.parse(run.stderr) };
}

const f01 = (flows: Flow[]) => flows.find((f) => f.sport === 40001) as Flow;

describe('replay - timeline', () => {
  it('timeline - Calico keeps an established connection when its allow goes away', async () => {
    const { flows, summary } = await replay('test/fixtures/timelines/delete-frontend-policy.yaml', 'calico');
    expect(f01(flows)).toMatchObject({ verdict: 'allowed', packets: { forward: 6, reply: 6, dropped: 0 } });
    expect(f01(flows).verdictChange).toBeUndefined();
    expect(summary.timeline.map((t) => t.event)).toEqual(['delete NetworkPolicy app1-ns/frontend-policy']);
    expect(summary.verdictChanges).toBe(0);
  });

  it('timeline - Cilium drops the forward packets after the change, replies still pass', async () => {
    const { flows, summary } = await replay('test/fixtures/timelines/delete-frontend-policy.yaml', 'cilium');
    const flow = f01(flows);
    expect(flow.verdictChange).toMatchObject({ reason: 'drop-ingress-default-deny' });
    expect(flow.verdictChange?.at.startsWith('2026-11-21T05:12:59.63')).toBe(true);
    // 3 of the 6 client packets came after the change; the server's 6 all pass.
    expect(flow.packets).toEqual({ forward: 6, reply: 6, dropped: 3 });
    expect(summary.verdictChanges).toBe(1);
  });

  it('timeline - OVN-Kubernetes cuts the connection in both directions', async () => {
    const { flows } = await replay('test/fixtures/timelines/delete-frontend-policy.yaml', 'ovn-kubernetes');
    expect(f01(flows).packets.dropped).toBe(6);
  });

  it('timeline - new flows see applied policies and relabelled pods', async () => {
    const { flows, summary } = await replay('test/fixtures/timelines/allow-and-relabel.yaml', 'upstream');
    expect(summary.timeline).toHaveLength(3);
    const bySport = (p: number) => flows.find((f) => f.sport === p) as Flow;
    expect(bySport(40005)).toMatchObject({ verdict: 'allowed', reason: 'allow-policy' }); // frontend -> db:3306
    expect(bySport(40003)).toMatchObject({ verdict: 'denied' }); // frontend -> backend: no role=backend pod any more
    expect(bySport(40004)).toMatchObject({ verdict: 'denied' }); // backend -> db: backend is not role=backend
  });

  it('timeline - a bad timeline names the event and field, exit 3', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'npe-tl-'));
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, 'events:\n- at: soon\n  delete: {kind: NetworkPolicy, namespace: a, name: b}\n- at: 1\n  delete: {kind: Deployment, name: x}\n- at: 2\n');
    const run = await runCli(['replay', ...BASE, '--timeline', path]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('events[0].at: "soon" is not a time');
    expect(run.stderr).toContain('events[1].delete.kind: must be one of NetworkPolicy, Pod, Namespace');
    expect(run.stderr).toContain('events[2]: needs exactly one of apply, delete, label; got none');
  });

  it('timeline - deleting an object that does not exist is an error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'npe-tl-'));
    const path = join(dir, 'missing.yaml');
    writeFileSync(path, 'events:\n- at: 1\n  delete: {kind: NetworkPolicy, namespace: app1-ns, name: nope}\n');
    const run = await runCli(['replay', ...BASE, '--timeline', path]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('no NetworkPolicy app1-ns/nope in the cluster');
  });

  it('timeline - an AdminNetworkPolicy applied by the timeline is left out under a profile that implements none (kube-router), as in the loaded cluster', async () => {
    const args = (cni: string): string[] => ['replay', '-f', 'examples/admin-tiers', '--flows-in', 'examples/admin-tiers/flows.jsonl', '--timeline', 'test/fixtures/timelines/admin-apply-delete.yaml', '--cni', cni];
    const calico = await runCli(args('calico'));
    expect(calico.code, calico.stderr).toBe(0);
    expect(calico.stdout).toContain('drop-egress-admin-deny');
    const kubeRouter = await runCli(args('kube-router'));
    expect(kubeRouter.code, kubeRouter.stderr).toBe(0);
    expect(kubeRouter.stdout).not.toMatch(/admin (deny|allow)|-admin-/);
  });
});
