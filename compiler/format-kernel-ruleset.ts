/**
 * A KernelRuleset as people read it and as the loaders take it: the command that loads each
 * part, one text with every part headed by its command (what `compile -o iptables` prints),
 * and the few lines written beside the files (`compile --out-dir`). Shape-independent, so every
 * renderer's output is printed and written the same way.
 */
import type { KernelLoader, KernelRuleset } from './kernel-ruleset.js';

/** The command that loads a part from `file` into the current network namespace. */
export function loadCommand(loader: KernelLoader, file: string): string {
  switch (loader) {
    case 'ipset':
      return `ipset restore < ${file}`;
    // --noflush: the rules join the tables' other chains (FORWARD keeps its rules) as Felix's do.
    case 'iptables':
      return `iptables-restore --noflush < ${file}`;
    case 'ip6tables':
      return `ip6tables-restore --noflush < ${file}`;
    case 'nft':
      return `nft -f ${file}`;
  }
}

/** Every part in load order, each headed by a comment naming its loader command. */
export function formatKernelRuleset(ruleset: KernelRuleset): string {
  return ruleset.parts.map((part) => `# ---- ${loadCommand(part.loader, part.fileName)} ----\n${part.text}`).join('');
}

/** The load instructions written beside the parts: the commands, in order, as a shell comment. */
export function formatLoadInstructions(ruleset: KernelRuleset): string {
  const lines = [
    `# netpol-emu ${ruleset.shape} rendering, verified against --cni ${ruleset.profile}.`,
    '# Load it into a network namespace (as root), from the directory of these files, in this order:',
    ...ruleset.parts.map((part) => `${loadCommand(part.loader, part.fileName)}`),
  ];
  return `${lines.join('\n')}\n`;
}
