/**
 * Policy changes in the kernel: a `--timeline` replayed by the emulator and, in the lab, by
 * loading the rendering of each new policy version between the frames where it takes effect
 * (ipset restore -exist, iptables-restore --noflush of the changed chains; conntrack keeps its
 * entries). Calico accepts ESTABLISHED/RELATED before any policy (felix/rules/endpoints.go), so
 * its profile says reevaluateEstablished=no: connections set up before a change keep flowing in
 * both directions. The kernel must agree frame by frame, and the cases must contain such frames.
 */
import { describe, expect, it } from 'vitest';
import { loadCluster, loadTimeline } from '../src/index.js';
import { checkCapture } from '../scripts/kernel-check/check-capture.js';
import { KERNEL_RENDERERS } from '../scripts/kernel-check/kernel-renderers.js';
import { explain, kernelTestsRun } from './helpers/kernel-check-support.js';

const CASES: readonly (readonly [string, string, string])[] = [
  ['examples/three-tier', 'examples/three-tier/capture.pcap', 'test/fixtures/timelines/delete-frontend-policy.yaml'],
  ['examples/three-tier', 'examples/three-tier/capture.pcap', 'test/fixtures/timelines/allow-and-relabel.yaml'],
  ['examples/admin-tiers', 'examples/admin-tiers/flows.jsonl', 'test/fixtures/timelines/admin-relabel-sandbox.yaml'],
  ['examples/admin-tiers', 'examples/admin-tiers/flows.jsonl', 'test/fixtures/timelines/admin-apply-delete.yaml'],
];

describe('kernel check - timelines', () => {
  if (!kernelTestsRun('kernel check - timelines')) return;
  for (const renderer of KERNEL_RENDERERS) {
    it.each(CASES)(`kernel check - ${renderer.shape}: -f %s %s --timeline %s, the kernel agrees frame by frame`, { timeout: 120_000 }, async (clusterPath, capture, timeline) => {
      const loaded = await loadCluster({ paths: [clusterPath] });
      const result = await checkCapture(loaded.cluster, capture, renderer, { counterDetails: 3, timeline: { events: loadTimeline(timeline), objects: loaded.objects } });
      console.log(explain(result));
      expect(result.versions).toBeGreaterThan(1);
      expect(result.disagreements, explain(result)).toEqual([]);
    });
  }

  it('kernel check - an established connection keeps flowing after its policy is deleted (Calico: reevaluateEstablished=no)', { timeout: 120_000 }, async () => {
    const loaded = await loadCluster({ paths: ['examples/three-tier'] });
    const calico = KERNEL_RENDERERS.find((r) => r.profile === 'calico');
    if (!calico) throw new Error('no Calico rendering');
    const events = loadTimeline('test/fixtures/timelines/delete-frontend-policy.yaml');
    const result = await checkCapture(loaded.cluster, 'examples/three-tier/capture.pcap', calico, { timeline: { events, objects: loaded.objects } });
    expect(result.establishedAfterChange).toBeGreaterThan(0);
    expect(result.disagreements, explain(result)).toEqual([]);
  });
});
