/**
 * Which kernel rendering `compile -o iptables|nftables` emits for the profile: kube-router's
 * iptables shape under `--cni kube-router`, Calico's nftables shape for `-o nftables`, else null
 * (Calico's iptables shape, compiler/render-iptables.ts). Printing and writing are shape-independent
 * (compiler/format-kernel-ruleset.ts, write-kernel-ruleset.ts).
 */
import type { CniProfileName } from '../../compiler/cni-profiles.js';
import type { KernelRuleset } from '../../compiler/kernel-ruleset.js';
import { renderKubeRouter } from '../../compiler/render-kube-router.js';
import { renderNftables } from '../../compiler/render-nftables.js';
import type { CompiledTables } from '../../compiler/tables.js';
import { ExitCode, UserError } from '../diagnostics.js';
/** Profiles whose policy semantics the nftables (Calico) rendering stands for. */
const NFTABLES_PROFILES: readonly CniProfileName[] = ['upstream', 'calico'];

/**
 * The rendering of these shapes, or null when `-o iptables` keeps Calico's iptables shape
 * (compiler/render-iptables.ts). A profile without an nftables rendering is a usage error.
 */
export function kernelRulesetFor(output: string, profile: CniProfileName, tables: CompiledTables, pods: readonly string[]): KernelRuleset | null {
  if (output === 'iptables' && profile === 'kube-router') return renderKubeRouter(tables, pods);
  if (output !== 'nftables') return null;
  if (!NFTABLES_PROFILES.includes(profile)) {
    throw new UserError(`compile: -o nftables renders Calico's nftables dataplane (--cni calico); --cni ${profile} has no nftables rendering`, ExitCode.USAGE);
  }
  return renderNftables(tables, pods);
}
