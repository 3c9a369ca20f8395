/**
 * Synthetic flows: deterministic bytes per seed, realistic exchanges (every answered TCP flow
 * closes cleanly in conntrack, nothing is INVALID), overlapping flows with increasing
 * timestamps, and a denied share near the target that the replay confirms.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCapture } from '../src/capture/open-capture.js';
import { buildSyntheticCluster, defaultShape } from '../src/synth/generate-cluster.js';
import { generateFlows, type FlowStats } from '../src/synth/generate-flows.js';
import { runCli } from './helpers/run-cli.js';

const SHAPE = ['--seed', '7', '--pods', '150'];
const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

async function synth(dir: string, extra: readonly string[] = []): Promise<{ pcap: string; jsonl: string; cluster: string; stderr: string }> {
  const pcap = join(dir, 'f.pcap');
  const jsonl = join(dir, 'f.jsonl');
  const cluster = join(dir, 'cluster');
  const run = await runCli(['synth', ...SHAPE, '-o', cluster, '--flows', '800', '--pcap', pcap, '--flows-out', jsonl, ...extra]);
  expect(run.code, run.stderr).toBe(0);
  return { pcap, jsonl, cluster, stderr: run.stderr };
}

describe('synth - flows', () => {
  it('synth - the same seed gives the same pcap and JSONL bytes; another seed does not', async () => {
    const a = await synth(mkdtempSync(join(tmpdir(), 'npe-fa-')));
    const b = await synth(mkdtempSync(join(tmpdir(), 'npe-fb-')));
    const c = await synth(mkdtempSync(join(tmpdir(), 'npe-fc-')), ['--seed', '8']);
    expect(sha(a.pcap)).toBe(sha(b.pcap));
    expect(sha(a.jsonl)).toBe(sha(b.jsonl));
    expect(sha(a.pcap)).not.toBe(sha(c.pcap));
    expect(a.stderr).toMatch(/wrote 800 flows, \d+ packets .* share 0\.\d{3} \(target 0\.2\)/);
  });

  it('synth - timestamps strictly increase and flows overlap in time', async () => {
    const { pcap } = await synth(mkdtempSync(join(tmpdir(), 'npe-ft-')));
    let last = -1;
    let increasing = true;
    const open = new Map<string, number>();
    let interleaved = 0;
    let previousKey = '';
    const end = await readCapture(pcap, (r) => {
      const t = r.tsSec * 1e6 + r.tsNsec / 1000;
      if (t <= last) increasing = false;
      last = t;
      // Ethernet + IPv4/IPv6: key by the unordered address pair and the ports region.
      const key = Buffer.from(r.buffer.subarray(r.offset + 26, r.offset + 38)).toString('hex');
      if (previousKey !== '' && key !== previousKey && open.has(previousKey)) interleaved++;
      open.set(key, t);
      previousKey = key;
    });
    expect(end.kind).toBe('complete');
    expect(increasing).toBe(true);
    // Consecutive packets very often belong to different flows.
    expect(interleaved).toBeGreaterThan(end.records / 4);
  });

  it('synth - every kind of flow is made and the denied share is near the target', () => {
    const cluster = buildSyntheticCluster(defaultShape(300, 5));
    for (const target of [0, 0.2, 0.6]) {
      let packets = 0;
      const stats: FlowStats = generateFlows(cluster, { seed: 5, flows: 3000, packetsPerFlow: 10, denyShare: target }, () => packets++);
      expect(stats.packets).toBe(packets);
      expect(stats.flows).toBe(3000);
      expect(Math.abs(stats.deniedShare - target)).toBeLessThan(0.03);
      for (const kind of ['pod-to-pod', 'pod-to-external', 'external-to-pod', 'dns', 'icmp'] as const) expect(stats.flowsByKind[kind]).toBeGreaterThan(0);
      expect(stats.allowedPairs).toBeGreaterThan(0);
      expect(stats.deniedPairs).toBeGreaterThan(0);
    }
  });

  it('synth - replay confirms the denied share, finds nothing INVALID and every answered TCP flow closed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'npe-fr-'));
    const { pcap, cluster, stderr } = await synth(dir, ['--packets-per-flow', '12', '--deny-share', '0.3']);
    const denied = Number(/denied (\d+) flows/.exec(stderr)?.[1]);
    const flowsFile = join(dir, 'flows.jsonl');
    const run = await runCli(['replay', pcap, '-f', cluster, '-o', 'json', '--flows', flowsFile]);
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary.packets.droppedInvalid).toBe(0);
    expect(summary.packets.droppedTableFull).toBe(0);
    // Denied attempts that reuse a 5-tuple share one flow record; nearly all are distinct.
    expect(summary.flows.denied).toBeLessThanOrEqual(denied);
    expect(summary.flows.denied).toBeGreaterThan(denied * 0.95);
    const flows = readFileSync(flowsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const tcpAllowed = flows.filter((f) => f.protocol === 'TCP' && f.verdict === 'allowed');
    expect(tcpAllowed.length).toBeGreaterThan(50);
    for (const f of tcpAllowed) expect(f.state, JSON.stringify(f)).toBe('TIME_WAIT');
  });

  it('synth - flow options need --flows and a supported link type', async () => {
    expect((await runCli(['synth', '--pcap', '/tmp/x.pcap', '-o', '/tmp/npe-x'])).stderr).toMatch(/--pcap needs --flows/);
    expect((await runCli(['synth', '--flows', '10', '--pcap', '/tmp/x.pcap', '--link-type', '105'])).stderr).toMatch(/--link-type must be one of 1, 113, 276, 101/);
    expect((await runCli(['synth', '--flows', '10'])).stderr).toMatch(/--flows needs an output/);
    expect((await runCli(['synth', '--flows', '10', '--pcap', '/tmp/x.pcap', '--deny-share', '1.5'])).stderr).toMatch(/--deny-share must be a number from 0 to 1/);
  });
});
