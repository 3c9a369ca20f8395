/**
 * `split`: by connection, every record lands in exactly one part and both directions of a
 * connection in the same one; per node, a packet is in the file of every node it touches and
 * nowhere else. Usage mistakes are exit 2.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCapture } from '../src/index.js';
import { runCli } from './helpers/run-cli.js';

const CAPTURE = 'examples/three-tier/capture.pcap';

/** Each record's bytes as hex, in order. */
async function frames(path: string): Promise<string[]> {
  const out: string[] = [];
  const end = await readCapture(path, (r) => {
    out.push(`${r.tsSec}.${r.tsNsec}:${r.buffer.subarray(r.offset, r.offset + r.capturedLength).toString('hex')}`);
  });
  expect(end.kind).toBe('complete');
  return out;
}

describe('split - parts of a capture', () => {
  it('split - by connection: a partition, in capture order, each address pair in one part', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'npe-split-'));
    const run = await runCli(['split', CAPTURE, '-o', dir, '--parts', '3']);
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split('\n').map((l) => l.split('\t')[0])).toEqual([0, 1, 2].map((i) => join(dir, `part-${i}.pcap`)));
    const all = await frames(CAPTURE);
    const parts = await Promise.all([0, 1, 2].map((i) => frames(join(dir, `part-${i}.pcap`))));
    expect(parts.flat().sort()).toEqual([...all].sort());
    // Each part keeps the capture's order.
    for (const part of parts) expect(part).toEqual(all.filter((f) => part.includes(f)));
    // IPv4 over Ethernet: the address pair (bytes 26..33 of the frame) never spans two parts.
    const pairOf = (f: string): string | null => {
      const hex = f.slice(f.indexOf(':') + 1);
      if (hex.slice(24, 28) !== '0800') return null;
      const [a, b] = [hex.slice(52, 60), hex.slice(60, 68)].sort();
      return `${a}-${b}`;
    };
    const home = new Map<string, number>();
    parts.forEach((part, i) =>
      part.forEach((f) => {
        const pair = pairOf(f);
        if (pair === null) return;
        expect(home.get(pair) ?? i, pair).toBe(i);
        home.set(pair, i);
      }),
    );
    expect(new Set(home.values()).size).toBeGreaterThan(1);
  });

  it('split - per node: cross-node packets in both nodes, the rest once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'npe-split-node-'));
    const run = await runCli(['split', CAPTURE, '--by', 'node', '-f', 'examples/three-tier', '-o', dir]);
    expect(run.code).toBe(0);
    const all = await frames(CAPTURE);
    const node1 = await frames(join(dir, 'node1.pcap'));
    const node2 = await frames(join(dir, 'node2.pcap'));
    const unassigned = await frames(join(dir, 'unassigned.pcap'));
    const both = node1.filter((f) => node2.includes(f));
    expect(both.length).toBeGreaterThan(0);
    expect(new Set([...node1, ...node2, ...unassigned]).size).toBe(all.length);
    expect(node1.length + node2.length + unassigned.length).toBe(all.length + both.length);
    expect(unassigned.some((f) => node1.includes(f) || node2.includes(f))).toBe(false);
  });

  it('split - usage errors', async () => {
    expect((await runCli(['split', CAPTURE])).stderr).toBe('netpol-emu: split: -o DIR is required\n');
    expect((await runCli(['split', CAPTURE, '-o', '/tmp/x', '--by', 'node'])).code).toBe(2);
    expect((await runCli(['split', CAPTURE, '-o', '/tmp/x', '--parts', '0'])).code).toBe(2);
    expect((await runCli(['split', CAPTURE, '-o', '/tmp/x', '--by', 'node', '-f', 'examples/three-tier', '--parts', '2'])).code).toBe(2);
    expect((await runCli(['split', '--help'])).stdout).toContain('Usage: netpol-emu split');
  });
});
