/**
 * CNI profiles on the replay of the bundled capture: flannel allows everything, Cilium's ipBlock
 * ignores pod IPs, kube-router rejects (and the rejections are in the written pcap) and lets
 * ICMP echo through.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DecodeStatus, PacketMeta, decodeFrame, readCapture } from '../src/index.js';
import { runCli } from './helpers/run-cli.js';

const CAPTURE = 'examples/three-tier/capture.pcap';

interface Flow {
  src: string;
  sport: number | null;
  dst: string;
  dport: number | null;
  protocol: string;
  verdict: string;
  reason: string;
}

async function replay(extra: string[]): Promise<{ flows: Flow[]; summary: { packets: Record<string, number>; flows: { allowed: number; denied: number }; rejectsSent: number; profile: string } }> {
  const run = await runCli(['replay', CAPTURE, '-f', 'examples/three-tier', '--flows', '-', '-o', 'json', ...extra]);
  expect(run.code, run.stderr).toBe(0);
  return { flows: run.stdout.trim().split('\n').map((l) => JSON.parse(l)), summary: JSON.parse(run.stderr) };
}

function flow(flows: Flow[], sport: number): Flow {
  return flows.find((f) => f.sport === sport) as Flow;
}

describe('cni profiles - replay', () => {
  it('flannel - nothing is dropped', async () => {
    const { summary } = await replay(['--cni', 'flannel']);
    expect(summary.flows.denied).toBe(0);
    for (const key of ['droppedEgress', 'droppedIngress', 'droppedInvalid', 'droppedTableFull', 'droppedFragment']) expect(summary.packets[key], key).toBe(0);
    expect(summary.profile).toBe('flannel');
  });

  it('cilium - the ingress controller no longer reaches the frontend through ipBlock 0.0.0.0/0', async () => {
    const upstream = await replay([]);
    const cilium = await replay(['--cni', 'cilium']);
    expect(flow(upstream.flows, 40017)).toMatchObject({ src: '10.244.2.30', verdict: 'allowed' });
    expect(flow(cilium.flows, 40017)).toMatchObject({ src: '10.244.2.30', verdict: 'denied', reason: 'drop-ingress-default-deny' });
    // External clients are unaffected.
    expect(flow(cilium.flows, 40001).verdict).toBe('allowed');
  });

  it('kube-router - rejections are written after the packets they answer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'npe-reject-'));
    const allowed = join(dir, 'allowed.pcap');
    const run = await runCli(['replay', CAPTURE, '-f', 'examples/three-tier', '--cni', 'kube-router', '--write-allowed', allowed, '-o', 'json']);
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary.rejectsSent).toBeGreaterThan(0);
    const meta = new PacketMeta();
    let rejects = 0;
    const answered = new Set<string>();
    await readCapture(allowed, (r) => {
      const status = decodeFrame(r.buffer, r.offset, r.capturedLength, r.wireLength, r.linkType, meta);
      expect([DecodeStatus.OK, DecodeStatus.NOT_IP]).toContain(status);
      if (status === DecodeStatus.OK && meta.protocol === 1 && meta.icmpType === 3 && meta.icmpCode === 3) {
        rejects++;
        // The quoted packet is the rejected one: the answer goes back to its source.
        expect(meta.hasInner).toBe(true);
        expect(meta.dst[0]).toBe(meta.innerSrc[0]);
        answered.add(`${meta.innerSrc[0]}:${meta.innerSrcPort}`);
      }
    });
    expect(rejects).toBe(summary.rejectsSent);
    // 198.51.100.7:40002 (F02) is among the rejected sources.
    expect(answered.has(`${(198 << 24 >>> 0) + (51 << 16) + (100 << 8) + 7}:40002`)).toBe(true);
  });

  it('kube-router - ICMP echo passes (icmpPolicy=allow-echo-errors), upstream drops it', async () => {
    const upstream = await replay([]);
    const kubeRouter = await replay(['--cni', 'kube-router']);
    const ping = (flows: Flow[]) => flows.find((f) => f.protocol === 'ICMP') as Flow;
    expect(ping(upstream.flows).verdict).toBe('denied');
    expect(ping(kubeRouter.flows)).toMatchObject({ verdict: 'allowed', reason: 'allow-icmp-exempt' });
  });

  it('dropInvalidCt=false - INVALID packets are evaluated like new flows instead', async () => {
    const strict = await replay([]);
    const loose = await replay(['--cni-opt', 'dropInvalidCt=false']);
    expect(strict.summary.packets['droppedInvalid']).toBeGreaterThan(0);
    expect(loose.summary.packets['droppedInvalid']).toBe(0);
    expect(loose.summary.profile).toBe('upstream (dropInvalidCt=false)');
  });
});
