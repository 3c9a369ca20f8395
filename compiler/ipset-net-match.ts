/**
 * kube-router's ipBlock as the kernel matches it (`ipBlockMatch=kube-router-ipset`): one
 * `hash:net` ipset per ipBlock peer (cloudnativelabs/kube-router@7c2c2779
 * pkg/controllers/netpol/policy.go evalIPBlockPeer), whose entries are the cidr and, flagged
 * `nomatch`, each except; a /0 is written as entries the set can hold (0.0.0.0/1 + 128.0.0.0/1,
 * and for IPv6 2000::/3 + fd00::/8, which covers less than ::/0). The kernel's hash:net lookup
 * tries prefixes from the longest down and the first entry found decides (ipset(8) "nomatch"),
 * so an address matches when the longest entry containing it is not `nomatch`. An entry added
 * twice keeps the later flag (`add -exist`): the except.
 */
import type { Cidr, IpBlock, IpFamily } from './model.js';

export interface IpsetNetEntry {
  readonly cidr: Cidr;
  readonly nomatch: boolean;
}

const V4_WHOLE: readonly Cidr[] = [
  { family: 4, network: 0n, prefixLength: 1, text: '0.0.0.0/1' },
  { family: 4, network: 1n << 31n, prefixLength: 1, text: '128.0.0.0/1' },
];
const V6_WHOLE: readonly Cidr[] = [
  { family: 6, network: 0x2n << 124n, prefixLength: 3, text: '2000::/3' },
  { family: 6, network: 0xfdn << 120n, prefixLength: 8, text: 'fd00::/8' },
];

function expandWhole(cidr: Cidr): readonly Cidr[] {
  if (cidr.prefixLength !== 0) return [cidr];
  return cidr.family === 4 ? V4_WHOLE : V6_WHOLE;
}

/** The set's entries, cidr first, excepts after (the order evalIPBlockPeer adds them). */
export function ipsetNetEntries(block: IpBlock): IpsetNetEntry[] {
  const entries: IpsetNetEntry[] = [];
  for (const cidr of expandWhole(block.cidr)) entries.push({ cidr, nomatch: false });
  for (const except of block.except) for (const cidr of expandWhole(except)) entries.push({ cidr, nomatch: true });
  return entries;
}

function contains(cidr: Cidr, family: IpFamily, address: bigint): boolean {
  if (cidr.family !== family) return false;
  const bits = BigInt((family === 4 ? 32 : 128) - cidr.prefixLength);
  return address >> bits === cidr.network >> bits;
}

/** Longest containing entry decides; on equal prefixes the later entry (an except) wins. */
export function ipsetNetMatches(entries: readonly IpsetNetEntry[], family: IpFamily, address: bigint): boolean {
  let best: IpsetNetEntry | null = null;
  for (const entry of entries) {
    if (!contains(entry.cidr, family, address)) continue;
    if (best === null || entry.cidr.prefixLength >= best.cidr.prefixLength) best = entry;
  }
  return best !== null && !best.nomatch;
}
