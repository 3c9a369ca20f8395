/**
 * Loading kernel renderings (compiler/kernel-ruleset.ts) into throw-away network namespaces and
 * reading back what the kernel holds: `ipset save`, `iptables-save`, `ip6tables-save`,
 * `nft list ruleset`, normalised so a rendering can be compared with its own round trip.
 * Namespaces are named `npe-kmore-<pid>-<n>` and always deleted, even when a loader fails.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KernelLoader, KernelRuleset } from '../../compiler/kernel-ruleset.js';

const LOADER_ARGV: Readonly<Record<KernelLoader, readonly string[]>> = {
  ipset: ['ipset', 'restore'],
  iptables: ['iptables-restore'],
  ip6tables: ['ip6tables-restore'],
  nft: ['nft', '-f', '-'],
};

let counter = 0;

function run(argv: readonly string[], input?: string): { code: number; stdout: string; stderr: string } {
  const result = spawnSync(argv[0] as string, argv.slice(1), { input, encoding: 'utf8' });
  return { code: result.status ?? -1, stdout: result.stdout ?? '', stderr: result.stderr ?? (result.error?.message ?? '') };
}

/** Why the kernel tests cannot run here, or null when they can. */
export function kernelSkipReason(tools: readonly string[]): string | null {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'not running as root';
  for (const tool of ['ip', ...tools]) if (run(['sh', '-c', `command -v ${tool}`]).code !== 0) return `${tool} is not installed`;
  const probe = `npe-kmore-${process.pid}-probe`;
  const added = run(['ip', 'netns', 'add', probe]);
  if (added.code !== 0) return `cannot create a network namespace: ${added.stderr.trim()}`;
  run(['ip', 'netns', 'del', probe]);
  return null;
}

export interface KernelState {
  readonly ipset: string;
  readonly iptables: string;
  readonly ip6tables: string;
  readonly nft: string;
}

/**
 * Loads every part of `ruleset`, in order, into a fresh namespace and returns what the kernel
 * then holds; throws with the loader's message when a part does not load.
 */
export function loadAndSave(ruleset: KernelRuleset): KernelState {
  const ns = `npe-kmore-${process.pid}-${counter++}`;
  const added = run(['ip', 'netns', 'add', ns]);
  if (added.code !== 0) throw new Error(`ip netns add ${ns}: ${added.stderr}`);
  const dir = mkdtempSync(join(tmpdir(), 'npe-kmore-'));
  try {
    for (const part of ruleset.parts) {
      writeFileSync(join(dir, part.fileName), part.text);
      const loaded = run(['ip', 'netns', 'exec', ns, ...LOADER_ARGV[part.loader]], part.text);
      if (loaded.code !== 0) throw new Error(`${LOADER_ARGV[part.loader].join(' ')} < ${part.fileName} failed: ${loaded.stderr.trim()}`);
    }
    const read = (argv: readonly string[]): string => execFileSync('ip', ['netns', 'exec', ns, ...argv], { encoding: 'utf8' });
    return { ipset: read(['ipset', 'save']), iptables: read(['iptables-save']), ip6tables: read(['ip6tables-save']), nft: read(['nft', 'list', 'ruleset']) };
  } finally {
    run(['ip', 'netns', 'del', ns]);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `iptables-save` text as chain → its rules in order (declarations give empty chains). */
export function iptablesChains(text: string): Map<string, string[]> {
  const chains = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    if (line.startsWith(':')) {
      const name = line.slice(1).split(' ')[0] as string;
      if (!chains.has(name)) chains.set(name, []);
    } else if (line.startsWith('-A ')) {
      const name = line.split(' ')[1] as string;
      chains.set(name, [...(chains.get(name) ?? []), line]);
    }
  }
  return new Map([...chains].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** `ipset save` text as set → its create line (without the kernel's bucketsize/initval) and sorted entries. */
export function ipsetSets(text: string): Map<string, { create: string; entries: string[] }> {
  const sets = new Map<string, { create: string; entries: string[] }>();
  for (const line of text.split('\n')) {
    const [verb, name] = line.split(' ');
    if (verb === 'create' && name) sets.set(name, { create: line.replace(/ bucketsize \d+/, '').replace(/ initval 0x[0-9a-f]+/, ''), entries: [] });
    else if (verb === 'add' && name) sets.get(name)?.entries.push(line);
  }
  for (const set of sets.values()) set.entries.sort();
  return new Map([...sets].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * `nft list ruleset` text as `table … / set|map|chain …` → its lines, with set elements as one
 * sorted line (nft re-wraps and re-orders them when it prints).
 */
export function nftBlocks(text: string): Map<string, string[]> {
  const joined = text.replace(/elements = \{([^}]*)\}/g, (_, body: string) => `elements = { ${body.split(',').map((e) => e.trim().replace(/\s+/g, ' ')).sort().join(', ')} }`);
  const blocks = new Map<string, string[]>();
  let table = '';
  let block: string | null = null;
  for (const raw of joined.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('table ')) table = line.replace(/ \{$/, '');
    else if (/^(set|map|chain) .* \{$/.test(line)) {
      block = `${table} / ${line.replace(/ \{$/, '')}`;
      blocks.set(block, []);
    } else if (line === '}') block = null;
    else if (block !== null) blocks.get(block)?.push(line);
  }
  return new Map([...blocks].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
