/**
 * Can this machine run the kernel check? Root (network namespaces, netfilter), the programs the
 * lab and the loaders need, and a namespace that can actually be made (containers may forbid it).
 * Returns null when it can, else the one-line reason.
 */
import { tryCommand } from './run-command.js';

const PROGRAMS = [
  ['ip', '-V'],
  ['ipset', '--version'],
  ['iptables-restore', '--version'],
  ['ip6tables-restore', '--version'],
  ['nft', '--version'],
  ['python3', '--version'],
] as const;

export function kernelCheckUnavailable(): string | null {
  if (process.platform !== 'linux') return `needs Linux network namespaces (this is ${process.platform})`;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'needs root (network namespaces, ipset and iptables); run as root, e.g. with sudo';
  for (const argv of PROGRAMS) {
    if (tryCommand(argv).status !== 0) return `needs ${argv[0]} (apt-get install ipset iptables nftables iproute2 python3)`;
  }
  const probe = `npek-probe-${process.pid}`;
  const made = tryCommand(['ip', 'netns', 'add', probe]);
  if (made.status !== 0) return `cannot create a network namespace: ${made.stderr.trim().split('\n')[0] ?? ''}`;
  const set = tryCommand(['ip', 'netns', 'exec', probe, 'ipset', 'create', 'npek-probe', 'hash:ip', 'comment']);
  tryCommand(['ip', 'netns', 'del', probe]);
  if (set.status !== 0) return `ipset does not work in a network namespace: ${set.stderr.trim().split('\n')[0] ?? ''}`;
  return null;
}
