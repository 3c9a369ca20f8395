/**
 * The kernel check on seeded random clusters: each one's rendering (every shape of
 * KERNEL_RENDERERS: Calico iptables, nftables, kube-router) is loaded into a lab of
 * network namespaces and a capture of whole exchanges (test/helpers/kernel-random-capture.ts:
 * ipBlocks with except, named ports, endPort ranges, SCTP, ICMP errors, dual-stack, hostNetwork
 * pods, node-to-pod traffic, INVALID segments) is sent through it frame by frame; the kernel must
 * deliver exactly the frames `replay --cni PROFILE` forwards under the shape's profile.
 */
import { describe, expect, it } from 'vitest';
import { checkCapture } from '../scripts/kernel-check/check-capture.js';
import { KERNEL_RENDERERS } from '../scripts/kernel-check/kernel-renderers.js';
import { explain, kernelTestsRun } from './helpers/kernel-check-support.js';
import { kernelRandomCase } from './helpers/kernel-random-capture.js';

const SEEDS = Array.from({ length: 50 }, (_, i) => 1 + i);

describe('kernel check - seeded random clusters', () => {
  if (!kernelTestsRun('kernel check - random clusters')) return;
  for (const renderer of KERNEL_RENDERERS) {
    for (const seed of SEEDS) {
      it(`kernel check - ${renderer.shape}, random cluster seed ${seed}: the kernel agrees frame by frame`, { timeout: 120_000 }, async () => {
        const c = kernelRandomCase(seed);
        const result = await checkCapture(c.cluster, c.capture, renderer, { counterDetails: 3 });
        console.log(explain(result).split('\n')[0]);
        expect(result.compared).toBeGreaterThan(0);
        expect(result.disagreements, explain(result)).toEqual([]);
      });
    }
  }
});
