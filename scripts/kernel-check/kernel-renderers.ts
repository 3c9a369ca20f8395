/**
 * The renderings the kernel check knows, by shape: each is verified against its own profile.
 * Another shape plugs in by adding its renderer here (and nothing else).
 *
 * KERNEL_RENDERERS are the shapes the test suite holds to 0 disagreements: all of them, since
 * the `kube-router` profile models the kube-router behaviours its rendering keeps
 * (docs/kernel-renderings.md: bothTypesRules, unresolvedNamedPorts, egressNamedPorts,
 * ipBlockMatch). ALL_KERNEL_RENDERERS stays the list `--shape` looks in, for a shape checked on
 * demand only.
 */
import { renderIptables, renderKubeRouter, renderNftables } from '../../src/index.js';
import type { KernelRenderer } from './check-capture.js';

export const KERNEL_RENDERERS: readonly KernelRenderer[] = [
  { shape: 'calico-iptables', profile: 'calico', render: (tables) => renderIptables(tables) },
  { shape: 'nftables', profile: 'calico', render: (tables) => renderNftables(tables) },
  { shape: 'kube-router-iptables', profile: 'kube-router', render: (tables) => renderKubeRouter(tables) },
];

/** Every shape the harness can load, the on-demand ones included. */
export const ALL_KERNEL_RENDERERS: readonly KernelRenderer[] = [...KERNEL_RENDERERS];

/** The renderer for `--shape NAME` or `--cni PROFILE`, or null. */
export function findRenderer(name: string): KernelRenderer | null {
  return ALL_KERNEL_RENDERERS.find((r) => r.shape === name) ?? ALL_KERNEL_RENDERERS.find((r) => r.profile === name) ?? null;
}
