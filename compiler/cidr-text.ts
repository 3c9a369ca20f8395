/**
 * CIDR text (the canonical masked form the loader writes, e.g. `10.0.0.0/24`, `fd00::/64`) to
 * numbers, for renderers that must know which prefixes contain which: an nftables interval set
 * refuses overlapping elements, so a set of ipBlock excepts keeps only the outermost ones.
 */

interface ParsedCidr {
  readonly family: 4 | 6;
  readonly network: bigint;
  readonly prefix: number;
}

function parseV6(text: string): bigint {
  const [head = '', tail] = text.split('::');
  const groups = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...Array.from({ length: 8 - left.length - right.length }, () => '0'), ...right];
  return all.reduce((value, group) => (value << 16n) | BigInt(parseInt(group, 16)), 0n);
}

export function parseCidrText(text: string): ParsedCidr {
  const [address = '', prefix = ''] = text.split('/');
  if (address.includes(':')) return { family: 6, network: parseV6(address), prefix: Number(prefix) };
  const value = address.split('.').reduce((v, octet) => (v << 8n) | BigInt(Number(octet)), 0n);
  return { family: 4, network: value, prefix: Number(prefix) };
}

function contains(outer: ParsedCidr, inner: ParsedCidr): boolean {
  if (outer.family !== inner.family || outer.prefix > inner.prefix) return false;
  const bits = BigInt(outer.family === 4 ? 32 : 128);
  const shift = bits - BigInt(outer.prefix);
  return outer.network >> shift === inner.network >> shift;
}

/** The CIDRs no other CIDR of the list contains (the first of equal ones), in input order. */
export function outermostCidrs(cidrs: readonly string[]): string[] {
  const parsed = cidrs.map(parseCidrText);
  return cidrs.filter((_, i) => !parsed.some((other, j) => j !== i && contains(other, parsed[i] as ParsedCidr) && (other.prefix < (parsed[i] as ParsedCidr).prefix || j < i)));
}
