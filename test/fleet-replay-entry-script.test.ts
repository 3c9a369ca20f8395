/**
 * The fleet image's entry script (deploy/fleet-replay/fleet-replay.mjs), run locally the way the
 * Jobs run it: `split` cuts the bundled capture into two chunks, `replay` runs once per Job index,
 * `merge` combines them — and the merged summary and flows equal the single replay. It runs the
 * built CLI (dist/), which `npm test` compiles first.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';

const SCRIPT = 'deploy/fleet-replay/fleet-replay.mjs';
const CAPTURE = 'examples/three-tier/capture.pcap';
const CLUSTER = 'examples/three-tier';

function entry(mode: string, env: Record<string, string>): { code: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [SCRIPT, mode], { env: { PATH: process.env['PATH'] ?? '', ...env }, encoding: 'utf8' });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

function withoutProvenance(s: Record<string, unknown>): Record<string, unknown> {
  const { capture, mergeable, merged, ...rest } = s;
  return rest;
}

describe('fleet replay - entry script', () => {
  it('fleet replay - split into two chunks, one replay per index, merge: equal to the single replay', async () => {
    const data = mkdtempSync(join(tmpdir(), 'npe-fleet-'));
    const env = { FLEET_CAPTURE: CAPTURE, FLEET_CHUNKS: '2', FLEET_CAPTURES: join(data, 'captures'), FLEET_CLUSTER: CLUSTER, FLEET_OUT: join(data, 'out'), FLEET_EXPECT: '2' };
    const split = entry('split', env);
    expect(split.code).toBe(0);
    expect(readdirSync(join(data, 'captures')).sort()).toEqual(['part-0.pcap', 'part-1.pcap']);
    for (const index of ['0', '1']) {
      const replay = entry('replay', { ...env, JOB_COMPLETION_INDEX: index });
      expect(replay.stderr).toContain(`fleet-replay: index ${index}: netpol-emu replay`);
      expect(replay.code).toBe(0);
    }
    expect(readdirSync(join(data, 'out')).sort()).toEqual(['part-0.flows.jsonl', 'part-0.summary.json', 'part-1.flows.jsonl', 'part-1.summary.json']);
    const merge = entry('merge', env);
    expect(merge.code).toBe(0);

    const single = await runCli(['replay', CAPTURE, '-f', CLUSTER, '-o', 'json', '--flows', '-']);
    const singleSummary = JSON.parse(single.stderr) as Record<string, unknown>;
    const merged = JSON.parse(readFileSync(join(data, 'out', 'merged.summary.json'), 'utf8')) as Record<string, unknown>;
    expect(withoutProvenance(merged)).toEqual(withoutProvenance(singleSummary));
    const singleText = (await runCli(['replay', CAPTURE, '-f', CLUSTER])).stdout;
    expect(readFileSync(join(data, 'out', 'merged.summary.txt'), 'utf8').split('\n').slice(1)).toEqual(singleText.split('\n').slice(1));
    expect(merge.stdout).toBe(readFileSync(join(data, 'out', 'merged.summary.txt'), 'utf8'));

    const sortLines = (lines: string[]): string[] => [...lines].sort();
    const joined = readFileSync(join(data, 'out', 'merged.flows.jsonl'), 'utf8').trim().split('\n').map((l) => {
      const { seenOn, ...flow } = JSON.parse(l) as Record<string, unknown>;
      expect(seenOn).toHaveLength(1);
      return JSON.stringify(flow);
    });
    expect(sortLines(joined)).toEqual(sortLines(single.stdout.trim().split('\n')));
    const flowSummary = JSON.parse(readFileSync(join(data, 'out', 'merged.flows-summary.json'), 'utf8')) as Record<string, unknown>;
    expect(flowSummary['flows']).toEqual(singleSummary['flows']);
  });

  it('fleet replay - an index beyond the captures is a configuration error; a missing part fails the merge', () => {
    const data = mkdtempSync(join(tmpdir(), 'npe-fleet-bad-'));
    const env = { FLEET_CAPTURE: CAPTURE, FLEET_CHUNKS: '2', FLEET_CAPTURES: join(data, 'captures'), FLEET_CLUSTER: CLUSTER, FLEET_OUT: join(data, 'out'), FLEET_EXPECT: '2' };
    expect(entry('split', env).code).toBe(0);
    const beyond = entry('replay', { ...env, JOB_COMPLETION_INDEX: '2' });
    expect(beyond.code).toBe(2);
    expect(beyond.stderr).toBe(`fleet-replay: replay: index 2 but ${join(data, 'captures')} holds 2 capture(s); set the Job's completions to 2\n`);
    expect(entry('replay', { ...env, JOB_COMPLETION_INDEX: '0' }).code).toBe(0);
    const merge = entry('merge', env);
    expect(merge.code).toBe(3);
    expect(merge.stderr).toContain('merge: expected 2 parts');
    const badCluster = entry('replay', { ...env, JOB_COMPLETION_INDEX: '1', FLEET_CLUSTER: 'test/fixtures/bad' });
    expect(badCluster.code).toBe(3);
  });
});
