/**
 * The kernel check on the bundled captures: the three-tier example (its Ethernet capture and its
 * `tcpdump -i any` capture, whose second copies are not sent), the admin-tiers example's flows
 * (Calico's AdminNetworkPolicy and BaselineAdminNetworkPolicy tiers in the kernel), and every
 * recorded fixture capture (test/fixtures/captures: real RST and ICMP port-unreachable answers,
 * Ethernet, SLL, SLL2, pcapng) over a two-pod cluster that admits some of that traffic
 * (test/fixtures/kernel/npcap-cluster.yaml). The kernel must deliver exactly the frames
 * `replay --cni PROFILE` forwards, for every shape of KERNEL_RENDERERS under its profile.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadCluster } from '../src/index.js';
import { checkCapture } from '../scripts/kernel-check/check-capture.js';
import { KERNEL_RENDERERS } from '../scripts/kernel-check/kernel-renderers.js';
import { explain, kernelTestsRun } from './helpers/kernel-check-support.js';

const FIXTURES = readdirSync('test/fixtures/captures')
  .filter((f) => /\.pcap(ng)?$/.test(f))
  .map((f) => ['test/fixtures/kernel/npcap-cluster.yaml', `test/fixtures/captures/${f}`] as const);

const CASES: readonly (readonly [string, string])[] = [
  ['examples/three-tier', 'examples/three-tier/capture.pcap'],
  ['examples/three-tier', 'examples/three-tier/capture-any.pcap'],
  ['examples/admin-tiers', 'examples/admin-tiers/flows.jsonl'],
  ...FIXTURES,
];

describe('kernel check - bundled captures', () => {
  if (!kernelTestsRun('kernel check - bundled captures')) return;
  for (const renderer of KERNEL_RENDERERS) {
    it.each(CASES)(`kernel check - ${renderer.shape}: -f %s %s, the kernel agrees frame by frame`, { timeout: 120_000 }, async (clusterPath, capture) => {
      const cluster = (await loadCluster({ paths: [clusterPath] })).cluster;
      const result = await checkCapture(cluster, capture, renderer, { counterDetails: 3 });
      console.log(explain(result));
      expect(result.compared).toBeGreaterThan(0);
      expect(result.kernelDropped).toBeGreaterThan(0);
      expect(result.disagreements, explain(result)).toEqual([]);
    });
  }
});
