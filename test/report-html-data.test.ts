/**
 * `replay --report FILE.html` without a browser: the file is self-contained (no external
 * resource), and the data it embeds adds up to the JSON summary of the same replay: heatmap
 * cells to the flows allowed and denied, the flow table to every flow, the timeline to the
 * policed packets, coverage to `--coverage`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';

const root = mkdtempSync(join(tmpdir(), 'netpol-report-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const ARGS = ['replay', 'examples/three-tier/capture.pcap', '-f', 'examples/three-tier'];

interface Embedded {
  summary: { flows: { allowed: number; denied: number }; packets: Record<string, number> };
  namespaceMatrix: [string, string, number, number, number, number][];
  podMatrix: [string, string, number, number, number, number][];
  timeline: { allowed: number[]; dropped: number[] };
  flowColumns: string[];
  internedColumns: string[];
  strings: string[];
  flows: (string | number | null)[][];
  coverage: unknown;
}

function embeddedData(html: string): Embedded {
  const match = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html);
  if (!match) throw new Error('no report data in the page');
  return JSON.parse(match[1] as string) as Embedded;
}

describe('replay --report - data', () => {
  it('report - self-contained, and its numbers equal the JSON summary', async () => {
    const file = join(root, 'r.html');
    const run = await runCli([...ARGS, '--report', file, '-o', 'json']);
    expect(run.code, run.stderr).toBe(0);
    const html = readFileSync(file, 'utf8');
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/i);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    const summary = JSON.parse(run.stdout) as { flows: { allowed: number; denied: number }; packets: Record<string, number>; coverage: unknown };
    const data = embeddedData(html);
    const sum = (m: Embedded['namespaceMatrix'], i: number): number => m.reduce((s, c) => s + (c[i] as number), 0);
    expect(sum(data.namespaceMatrix, 2)).toBe(summary.flows.allowed);
    expect(sum(data.namespaceMatrix, 3)).toBe(summary.flows.denied);
    expect(sum(data.podMatrix, 2)).toBe(summary.flows.allowed);
    expect(data.flows.length).toBe(summary.flows.allowed + summary.flows.denied);
    const verdict = data.flowColumns.indexOf('verdict');
    expect(data.internedColumns).toContain('verdict');
    expect(data.flows.filter((r) => data.strings[r[verdict] as number] === 'denied').length).toBe(summary.flows.denied);
    const policed = data.timeline.allowed.reduce((s, n) => s + n, 0);
    const dropped = data.timeline.dropped.reduce((s, n) => s + n, 0);
    const p = summary.packets;
    const allowedPackets = Object.keys(p).filter((k) => k.startsWith('allowed')).reduce((s, k) => s + (p[k] as number), 0);
    const droppedPackets = Object.keys(p).filter((k) => k.startsWith('dropped')).reduce((s, k) => s + (p[k] as number), 0);
    expect(dropped).toBe(droppedPackets);
    expect(policed).toBe(allowedPackets);
    expect(data.coverage).toEqual(summary.coverage);
    expect(data.summary.flows).toEqual(summary.flows);
  });

  it('report - --report leaves the text summary as it was (coverage is in the page only)', async () => {
    const plain = await runCli(ARGS);
    const run = await runCli([...ARGS, '--report', join(root, 'r2.html')]);
    expect(run.stdout).toBe(plain.stdout);
  });

  it('report - an unwritable path is a usage error', async () => {
    const run = await runCli([...ARGS, '--report', join(root, 'no', 'such', 'dir', 'r.html')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('cannot write the report');
  });
});
