/**
 * `diff --cni all` on seeded synthetic clusters and captures (`synth`: named ports, ipBlocks,
 * ICMP, denied and answered flows): every row is a flow on which the profiles' own replays
 * disagree, every cell is that profile's replay verdict, and every single-switch attribution is
 * what upstream replayed with that switch flipped says.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';
import { expectAgreesWithReplays, type ProfilesJson } from './helpers/check-profiles-diff.js';

const root = mkdtempSync(join(tmpdir(), 'netpol-diff-cni-synth-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('diff --cni all - synthetic clusters', () => {
  for (const seed of [7, 20261207]) {
    it(`diff cni all synth - rows, cells and attributions agree with plain replays (seed ${seed})`, async () => {
      const dir = join(root, `s${seed}`);
      const pcap = join(root, `s${seed}.pcap`);
      const synth = await runCli(['synth', '--seed', String(seed), '--pods', '40', '--namespaces', '4', '--policies', '12', '-o', dir, '--flows', '250', '--deny-share', '0.3', '--pcap', pcap]);
      expect(synth.code, synth.stderr).toBe(0);
      const run = await runCli(['diff', pcap, '-f', dir, '--cni', 'all', '-o', 'json']);
      expect([0, 1]).toContain(run.code);
      const diff = JSON.parse(run.stdout) as ProfilesJson;
      // flannel enforces nothing: at least the denied flows differ.
      expect(diff.differences.length).toBeGreaterThan(0);
      await expectAgreesWithReplays(pcap, ['-f', dir], diff);
    }, 180_000);
  }
});
