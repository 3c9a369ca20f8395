/**
 * `merge SUMMARY.json…` of the parts of a capture cut by connection (`split --by flow`) equals
 * the single replay: every counter, the top denied flows (also when each part kept fewer than
 * there are denied flows), the rules that allowed traffic, the per-rule counters with zeros, and
 * the text summary below its first line. Merging is associative when parts keep their order.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';

const CAPTURE = 'examples/three-tier/capture.pcap';
const CLUSTER = ['-f', 'examples/three-tier'];

type Summary = Record<string, unknown> & { capture: { records: number }; mergeable: { rules: unknown[]; topN: number } };

function withoutProvenance(s: Summary): Record<string, unknown> {
  const { capture, mergeable, merged, ...rest } = s as Summary & { merged?: unknown };
  return rest;
}

async function json(argv: string[]): Promise<Summary> {
  const run = await runCli(argv);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as Summary;
}

/** Splits `capture` into `parts` by connection, replays each part, and writes its summary; returns the summary files. */
async function replayParts(capture: string, cluster: string[], parts: number, extra: string[] = []): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'npe-merge-'));
  const split = await runCli(['split', capture, '-o', join(dir, 'parts'), '--parts', String(parts)]);
  expect(split.code).toBe(0);
  const files: string[] = [];
  for (const pcap of readdirSync(join(dir, 'parts')).sort()) {
    const summary = await runCli(['replay', join(dir, 'parts', pcap), ...cluster, '-o', 'json', ...extra]);
    expect(summary.code).toBe(0);
    const file = join(dir, `${pcap.replace('.pcap', '')}.json`);
    writeFileSync(file, summary.stdout);
    files.push(file);
  }
  return files;
}

describe('merge - summaries of a capture split by connection', () => {
  it('merge - two, three and five parts of the bundled capture merge to the single replay', async () => {
    const single = await json(['replay', CAPTURE, ...CLUSTER, '-o', 'json']);
    const singleText = (await runCli(['replay', CAPTURE, ...CLUSTER])).stdout;
    for (const parts of [2, 3, 5]) {
      const files = await replayParts(CAPTURE, CLUSTER, parts);
      const records = await Promise.all(files.map(async (f) => (await json(['merge', f, '-o', 'json'])).capture.records));
      // A real split: more than one part holds traffic.
      expect(records.filter((n) => n > 0).length).toBeGreaterThan(1);
      const merged = await json(['merge', ...files, '-o', 'json']);
      expect(withoutProvenance(merged)).toEqual(withoutProvenance(single));
      expect(merged.mergeable.rules).toEqual(single.mergeable.rules);
      expect(merged.capture.records).toBe(single.capture.records);
      const text = (await runCli(['merge', ...files])).stdout;
      expect(text.split('\n').slice(1)).toEqual(singleText.split('\n').slice(1));
    }
  });

  it('merge - parts that keep only their top 3 denied flows still give the exact top 3', async () => {
    const single = await json(['replay', CAPTURE, ...CLUSTER, '-o', 'json', '--top', '3']);
    const files = await replayParts(CAPTURE, CLUSTER, 3, ['--top', '3']);
    const merged = await json(['merge', ...files, '-o', 'json']);
    expect(merged['topDenied']).toEqual(single['topDenied']);
    expect(merged.mergeable.topN).toBe(3);
    // --top on merge lists fewer, never more than the parts kept.
    const fewer = await json(['merge', ...files, '-o', 'json', '--top', '2']);
    expect(fewer['topDenied']).toEqual((single['topDenied'] as unknown[]).slice(0, 2));
  });

  it('merge - per-rule counters list every rule, those that allowed nothing with 0', async () => {
    const single = await json(['replay', CAPTURE, ...CLUSTER, '-o', 'json']);
    const rules = single.mergeable.rules as { rule: string; flows: number; packets: number }[];
    expect(rules.some((r) => r.flows === 0)).toBe(true);
    expect(rules.filter((r) => r.flows > 0).length).toBe((single['allowedBy'] as unknown[]).length);
  });

  it('merge - merging merged summaries is the same as merging the parts at once', async () => {
    const files = await replayParts(CAPTURE, CLUSTER, 3);
    const dir = mkdtempSync(join(tmpdir(), 'npe-merge-nested-'));
    const inner = join(dir, 'first-two.json');
    writeFileSync(inner, (await runCli(['merge', files[0] as string, files[1] as string, '-o', 'json'])).stdout);
    const nested = await json(['merge', inner, files[2] as string, '-o', 'json']);
    const flat = await json(['merge', ...files, '-o', 'json']);
    expect(withoutProvenance(nested)).toEqual(withoutProvenance(flat));
    expect(nested.mergeable).toEqual(flat.mergeable);
  });

  it('merge - a seeded synthetic capture split four ways merges to its single replay', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'npe-merge-synth-'));
    const synth = await runCli(['synth', '--seed', '11', '--pods', '120', '--namespaces', '6', '--policies', '30', '-o', join(dir, 'cluster'), '--flows', '400', '--deny-share', '0.3', '--pcap', join(dir, 'flows.pcap')]);
    expect(synth.code).toBe(0);
    const cluster = ['-f', join(dir, 'cluster')];
    const single = await json(['replay', join(dir, 'flows.pcap'), ...cluster, '-o', 'json']);
    const files = await replayParts(join(dir, 'flows.pcap'), cluster, 4);
    const merged = await json(['merge', ...files, '-o', 'json']);
    // conntrack `expired` is housekeeping (entries the GC found expired before the end), which
    // depends on how many packets walk each part's table (docs/multi-core-and-merging.md, Merging results).
    const { conntrack: mergedCt, ...mergedRest } = withoutProvenance(merged) as { conntrack: Record<string, number> };
    const { conntrack: singleCt, ...singleRest } = withoutProvenance(single) as { conntrack: Record<string, number> };
    expect(mergedRest).toEqual(singleRest);
    const { expired: _m, ...mergedCounters } = mergedCt;
    const { expired: _s, ...singleCounters } = singleCt;
    expect(mergedCounters).toEqual(singleCounters);
    expect(merged.mergeable.rules).toEqual(single.mergeable.rules);
    expect((single['flows'] as { denied: number }).denied).toBeGreaterThan(50);
  });
});

describe('merge - summaries that cannot be merged', () => {
  it('merge - a file without a mergeable section, or not a summary, is invalid input (exit 3)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'npe-merge-bad-'));
    const single = await json(['replay', CAPTURE, ...CLUSTER, '-o', 'json']);
    const old = join(dir, 'old.json');
    const { mergeable, ...rest } = single;
    writeFileSync(old, JSON.stringify(rest));
    const run = await runCli(['merge', old]);
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(`netpol-emu: merge: old: has no "mergeable" section (written by an older netpol-emu? replay again with this version)\n`);
    const notJson = join(dir, 'x.json');
    writeFileSync(notJson, 'hello');
    expect((await runCli(['merge', notJson])).code).toBe(3);
  });

  it('merge - summaries of different engines or CNI profiles are refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'npe-merge-mixed-'));
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    writeFileSync(a, (await runCli(['replay', CAPTURE, ...CLUSTER, '-o', 'json'])).stdout);
    writeFileSync(b, (await runCli(['replay', CAPTURE, ...CLUSTER, '-o', 'json', '--cni', 'cilium'])).stdout);
    const run = await runCli(['merge', a, b]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('merge: b was replayed with CNI profile cilium, a with upstream');
  });

  it('merge - no files, or flow-log options without --flows, are usage errors', async () => {
    expect((await runCli(['merge'])).code).toBe(2);
    expect((await runCli(['merge', 'a.json', '--join-window', '2'])).code).toBe(2);
    expect((await runCli(['merge', '--help'])).stdout).toContain('Usage: netpol-emu merge');
  });
});
