/**
 * The renderings the kernel check knows, by shape: each is verified against its own profile.
 * Another shape plugs in by adding its renderer here (and nothing else).
 *
 * KERNEL_RENDERERS are the shapes the test suite holds to 0 disagreements. kube-router's shape is
 * checked on demand only (`npm run check:kernel -- --shape kube-router-iptables`): the rendering
 * is faithful to kube-router, and the kernel shows behaviours of kube-router that the
 * `kube-router` profile does not model yet (docs/kernel-renderings.md, "kube-router behaviours
 * the profile does not model"), so its frame-by-frame check has known disagreements.
 */
import { renderIptables, renderKubeRouter, renderNftables } from '../../src/index.js';
import type { KernelRenderer } from './check-capture.js';

export const KERNEL_RENDERERS: readonly KernelRenderer[] = [
  { shape: 'calico-iptables', profile: 'calico', render: (tables) => renderIptables(tables) },
  { shape: 'nftables', profile: 'calico', render: (tables) => renderNftables(tables) },
];

/** Every shape the harness can load, the on-demand ones included. */
export const ALL_KERNEL_RENDERERS: readonly KernelRenderer[] = [...KERNEL_RENDERERS, { shape: 'kube-router-iptables', profile: 'kube-router', render: (tables) => renderKubeRouter(tables) }];

/** The renderer for `--shape NAME` or `--cni PROFILE`, or null. */
export function findRenderer(name: string): KernelRenderer | null {
  return ALL_KERNEL_RENDERERS.find((r) => r.shape === name) ?? ALL_KERNEL_RENDERERS.find((r) => r.profile === name) ?? null;
}
