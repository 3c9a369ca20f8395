/**
 * Phase 3a: CIDR classes. Every ipBlock `cidr` and `except` cuts the address space at its first
 * address and one past its last; the pieces between cuts are the classes. Every address of a
 * class is inside or outside each ipBlock alike, so an ipBlock becomes a bitset over classes and
 * matching an address is one binary search (done once per endpoint at compile time, once per new
 * external flow in the dataplane).
 */
import { Bitset } from './bitset.js';
import { ipsetNetEntries, ipsetNetMatches } from './ipset-net-match.js';
import type { Cidr, IpBlock, IpFamily } from './model.js';
import type { PolicySemantics } from './policy-semantics.js';

const SPACE: Readonly<Record<IpFamily, bigint>> = { 4: 1n << 32n, 6: 1n << 128n };

function cidrEnd(cidr: Cidr): bigint {
  return cidr.network + (1n << BigInt((cidr.family === 4 ? 32 : 128) - cidr.prefixLength));
}

function inCidr(cidr: Cidr, family: IpFamily, address: bigint): boolean {
  return cidr.family === family && address >= cidr.network && address < cidrEnd(cidr);
}

export interface CidrClasses {
  readonly v4Starts: readonly bigint[];
  readonly v6Starts: readonly bigint[];
  readonly classCount: number;
  readonly sets: readonly Bitset[];
  readonly sources: readonly { readonly cidr: string; readonly except: readonly string[] }[];
  /** Id of an ipBlock's class set (identical ipBlocks share one). */
  setId(block: IpBlock): number;
  /**
   * ipBlockMatch=kube-router-ipset: id of the class set of a rule's ipBlocks written as one
   * hash:net ipset (kube-router policy.go buildNetworkPoliciesInfo appends every peer's
   * evalIPBlockPeer entries to the rule's set), where an except of one block also removes what
   * another block covers with a shorter prefix. One block: its own set.
   */
  ruleSetId(blocks: readonly IpBlock[]): number;
  /** Class of an address (compile time; the dataplane has its own typed-array search). */
  classOf(family: IpFamily, address: bigint): number;
}

function findClass(starts: readonly bigint[], address: bigint): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] as bigint) <= address) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Whether the class starting at an address is in the block, under the profile's ipBlock matching. */
function blockMembership(block: IpBlock, match: PolicySemantics['ipBlockMatch']): (start: bigint) => boolean {
  const family = block.cidr.family;
  if (match === 'kube-router-ipset') {
    const entries = ipsetNetEntries(block);
    return (start) => ipsetNetMatches(entries, family, start);
  }
  return (start) => inCidr(block.cidr, family, start) && !block.except.some((except) => inCidr(except, family, start));
}

export function buildCidrClasses(blocks: readonly IpBlock[], match: PolicySemantics['ipBlockMatch'] = 'cidr-except'): CidrClasses {
  const cuts: Record<IpFamily, Set<bigint>> = { 4: new Set([0n]), 6: new Set([0n]) };
  for (const block of blocks) {
    // kube-router's entries (2000::/3, fd00::/8 for ::/0) bound classes of their own.
    const cidrs = match === 'kube-router-ipset' ? ipsetNetEntries(block).map((e) => e.cidr) : [block.cidr, ...block.except];
    for (const cidr of cidrs) {
      cuts[cidr.family].add(cidr.network);
      const end = cidrEnd(cidr);
      if (end < SPACE[cidr.family]) cuts[cidr.family].add(end);
    }
  }
  const sort = (values: Set<bigint>): bigint[] => [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const v4Starts = sort(cuts[4]);
  const v6Starts = sort(cuts[6]);
  const classCount = v4Starts.length + v6Starts.length;
  const sets: Bitset[] = [];
  const sources: { cidr: string; except: string[] }[] = [];
  const idByKey = new Map<string, number>();
  const blockKey = (block: IpBlock): string => [block.cidr.text, ...block.except.map((c) => c.text)].join(' ');
  /** The set of classes `has` holds, among those of the families in `families`. */
  const addSet = (key: string, families: ReadonlySet<IpFamily>, has: (family: IpFamily, start: bigint) => boolean, source: { cidr: string; except: string[] }): number => {
    let id = idByKey.get(key);
    if (id !== undefined) return id;
    const set = new Bitset(classCount);
    for (const family of families) {
      const starts = family === 4 ? v4Starts : v6Starts;
      const offset = family === 4 ? 0 : v4Starts.length;
      starts.forEach((start, i) => {
        if (has(family, start)) set.add(offset + i);
      });
    }
    id = sets.length;
    sets.push(set);
    sources.push(source);
    idByKey.set(key, id);
    return id;
  };
  const setId = (block: IpBlock): number => {
    const has = blockMembership(block, match);
    return addSet(blockKey(block), new Set([block.cidr.family]), (_family, start) => has(start), { cidr: block.cidr.text, except: block.except.map((c) => c.text) });
  };
  return {
    v4Starts,
    v6Starts,
    classCount,
    sets,
    sources,
    setId,
    ruleSetId(blocks) {
      if (blocks.length === 1) return setId(blocks[0] as IpBlock);
      const entries = blocks.flatMap((block) => ipsetNetEntries(block));
      const source = { cidr: blocks.map((b) => b.cidr.text).join(' + '), except: blocks.flatMap((b) => b.except.map((c) => c.text)) };
      return addSet(`rule:${blocks.map(blockKey).join(' | ')}`, new Set(blocks.map((b) => b.cidr.family)), (family, start) => ipsetNetMatches(entries, family, start), source);
    },
    classOf(family, address) {
      return family === 4 ? findClass(v4Starts, address) : v4Starts.length + findClass(v6Starts, address);
    },
  };
}
