/**
 * The renderings the kernel check knows, by shape: each is verified against its own profile.
 * Another shape plugs in by adding its renderer here (and nothing else).
 */
import { renderIptables } from '../../src/index.js';
import type { KernelRenderer } from './check-capture.js';

export const KERNEL_RENDERERS: readonly KernelRenderer[] = [{ shape: 'calico-iptables', profile: 'calico', render: (tables) => renderIptables(tables) }];

/** The renderer for `--shape NAME` or `--cni PROFILE`, or null. */
export function findRenderer(name: string): KernelRenderer | null {
  return KERNEL_RENDERERS.find((r) => r.shape === name) ?? KERNEL_RENDERERS.find((r) => r.profile === name) ?? null;
}
