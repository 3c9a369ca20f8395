/**
 * The accounting invariant on every capture fixture of every format and link type: each record
 * lands in exactly one category, so the categories add up to the records read, and the
 * per-flow packet counts add up to the packets counted on flows.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';

const FIXTURES = ['test/fixtures/captures', 'test/fixtures/decode', 'examples/three-tier'].flatMap((dir) =>
  readdirSync(dir)
    .filter((name) => /\.pcap(ng)?$/.test(name))
    .map((name) => join(dir, name)),
);

describe('replay - every fixture accounts for every record', () => {
  it.each(FIXTURES)('replay - %s', async (capture) => {
    const run = await runCli(['replay', capture, '-f', 'examples/three-tier', '-o', 'json', '--flows', '-']);
    // Some fixtures mix link types or have odd endings; the replay must still account for all it read.
    expect([0, 4], run.stderr).toContain(run.code);
    const summary = JSON.parse(run.stderr);
    const { total = -1, ...categories } = summary.packets as Record<string, number>;
    expect(total).toBe(summary.capture.records);
    expect(Object.values(categories).reduce((a, b) => a + b, 0)).toBe(total);
    const flows = run.stdout.trim() ? run.stdout.trim().split('\n').map((l) => JSON.parse(l)) : [];
    const onFlows = flows.reduce((n: number, f: { packets: { forward: number; reply: number } }) => n + f.packets.forward + f.packets.reply, 0);
    const policed = total - categories['notIp']! - categories['undecodable']! - categories['unsupportedLink']! - categories['duplicate']! - categories['allowedUntracked']!;
    // Non-first fragments without a first one are counted on no flow.
    expect(onFlows).toBeLessThanOrEqual(policed);
    expect(onFlows).toBeGreaterThanOrEqual(policed - categories['droppedFragment']!);
  });
});
