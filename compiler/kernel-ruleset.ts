/**
 * A rendering of the compiled tables that a Linux kernel loads as written: the inputs of
 * `ipset restore`, `iptables-restore`, `ip6tables-restore` and `nft -f`, in load order, plus the
 * CNI profile whose emulation the kernel must agree with. Renderers (render-iptables.ts for
 * Calico's chain shape, and the kube-router and nftables shapes) produce one; the CLI prints or
 * writes it, and scripts/kernel-check loads it into network namespaces and compares the kernel's
 * verdicts with the emulator's, frame by frame (the Calico fv/ habit: a rendering is judged by
 * the kernel that runs it).
 *
 * Loading every part, in order, into a fresh network namespace that forwards between pods must
 * enforce the policies on forwarded traffic: a part includes the hooks its shape needs (the jump
 * from the built-in chain or the base chain), the way the CNI installs them.
 */
import type { CniProfileName } from './cni-profiles.js';

export type KernelRulesetShape = 'calico-iptables' | 'kube-router-iptables' | 'nftables';

export type KernelLoader = 'ipset' | 'iptables' | 'ip6tables' | 'nft';

export interface KernelRulesetPart {
  /** The program that loads this text: `ipset restore`, `iptables-restore`, `ip6tables-restore`, `nft -f`. */
  readonly loader: KernelLoader;
  /** File name when written to a directory, e.g. `ipset.restore`, `iptables.rules`, `ruleset.nft`. */
  readonly fileName: string;
  readonly text: string;
}

export interface KernelRuleset {
  readonly shape: KernelRulesetShape;
  /** The `--cni` profile this rendering is verified against. */
  readonly profile: CniProfileName;
  /** In load order (ipsets before the rules that name them). Parts with nothing to load are left out. */
  readonly parts: readonly KernelRulesetPart[];
}
