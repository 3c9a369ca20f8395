/**
 * `compile -o iptables --cni kube-router` and `compile -o nftables`: picks the kernel rendering
 * (compiler/kernel-ruleset.ts) for the output and profile, and prints it — every part after a
 * header comment naming its file and the command that loads it — or writes the parts as files
 * into `--out-dir`, ready for `ipset restore`, `iptables-restore`, `ip6tables-restore`, `nft -f`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CniProfileName } from '../../compiler/cni-profiles.js';
import type { KernelLoader, KernelRuleset } from '../../compiler/kernel-ruleset.js';
import { renderKubeRouter } from '../../compiler/render-kube-router.js';
import { renderNftables } from '../../compiler/render-nftables.js';
import type { CompiledTables } from '../../compiler/tables.js';
import { ExitCode, UserError } from '../diagnostics.js';
import type { CliIo } from './io.js';

/** The command that loads a part from `file` into the current network namespace. */
export function loadCommand(loader: KernelLoader, file: string): string {
  return loader === 'nft' ? `nft -f ${file}` : `${loader === 'ipset' ? 'ipset restore' : `${loader}-restore`} < ${file}`;
}

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

/** Every part after a `#` header line (all four loaders skip `#` comments). */
export function kernelRulesetText(ruleset: KernelRuleset): string {
  return ruleset.parts
    .map((part) => `# ---- ${part.fileName}: ${loadCommand(part.loader, part.fileName)}  (shape ${ruleset.shape}, verified against --cni ${ruleset.profile})\n${part.text}`)
    .join('');
}

export function emitKernelRuleset(ruleset: KernelRuleset, outDir: string | undefined, io: CliIo): void {
  if (outDir === undefined) {
    io.stdout.write(kernelRulesetText(ruleset));
    return;
  }
  try {
    mkdirSync(outDir, { recursive: true });
    for (const part of ruleset.parts) writeFileSync(join(outDir, part.fileName), part.text);
  } catch (error) {
    throw new UserError(`compile: --out-dir ${JSON.stringify(outDir)}: cannot write: ${(error as Error).message}`, ExitCode.USAGE);
  }
  io.stderr.write(`wrote ${ruleset.parts.map((p) => join(outDir, p.fileName)).join(', ')}; load in this order: ${ruleset.parts.map((p) => loadCommand(p.loader, p.fileName)).join('; ')}\n`);
}
