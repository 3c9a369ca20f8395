/**
 * Calico's rendering of the admin tiers (AdminNetworkPolicy before `default`, the `default`
 * BaselineAdminNetworkPolicy after it; compiler/render-iptables.ts) in the kernel: seeded random
 * clusters with ANPs, a BANP and Nodes (random-admin-cluster.ts), each with a capture of whole
 * exchanges (kernel-random-capture.ts), must be delivered exactly as `replay --cni calico`
 * forwards them (ClusterNetworkPolicy is left out, as --cni calico leaves it out).
 */
import { describe, expect, it } from 'vitest';
import { checkCapture } from '../scripts/kernel-check/check-capture.js';
import { KERNEL_RENDERERS } from '../scripts/kernel-check/kernel-renderers.js';
import { adminClusterArb } from './helpers/random-admin-cluster.js';
import { explain, kernelTestsRun } from './helpers/kernel-check-support.js';
import { kernelRandomCase } from './helpers/kernel-random-capture.js';

const SEEDS = Array.from({ length: 20 }, (_, i) => 500 + i);

describe('kernel check - admin tiers on seeded random clusters', () => {
  if (!kernelTestsRun('kernel check - admin tiers')) return;
  it('kernel check - the seeds make AdminNetworkPolicies and BaselineAdminNetworkPolicies', () => {
    const kinds = SEEDS.flatMap((seed) => (kernelRandomCase(seed, 1, adminClusterArb).cluster.adminPolicies ?? []).map((p) => p.kind));
    expect(kinds.filter((k) => k === 'AdminNetworkPolicy').length).toBeGreaterThanOrEqual(SEEDS.length);
    expect(kinds.filter((k) => k === 'BaselineAdminNetworkPolicy').length).toBeGreaterThanOrEqual(SEEDS.length / 4);
  });
  const calico = KERNEL_RENDERERS.filter((r) => r.profile === 'calico');
  for (const renderer of calico) {
    for (const seed of SEEDS) {
      it(`kernel check - ${renderer.shape}, random ANP/BANP cluster seed ${seed}: the kernel agrees frame by frame`, { timeout: 120_000 }, async () => {
        const c = kernelRandomCase(seed, 40, adminClusterArb);
        const result = await checkCapture(c.cluster, c.capture, renderer, { counterDetails: 3 });
        console.log(explain(result).split('\n')[0]);
        expect(result.disagreements, explain(result)).toEqual([]);
      });
    }
  }
});
