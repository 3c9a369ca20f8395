/**
 * Address and CIDR parsing at the edge, with ip-num doing the syntax work. The API server's
 * legacy validation (SEMANTICS.md §1.5) accepts host bits set, leading zeros and IPv4-mapped
 * IPv6 with a warning; we accept the same and say what we did.
 */
import { createRequire } from 'node:module';
import type { Cidr, IpAddress, IpFamily } from '../../compiler/model.js';

export type ParseResult<T> =
  | { readonly ok: true; readonly value: T; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly error: string };

const V4_WITH_LEADING_ZEROS = /^\d{1,3}(\.\d{1,3}){3}$/;

function stripLeadingZeros(v4: string): string {
  return v4
    .split('.')
    .map((octet) => String(Number.parseInt(octet, 10)))
    .join('.');
}

type IpNum = typeof import('ip-num');
let ipNumModule: IpNum | null = null;

/** ip-num, loaded on first use: only addresses off the fast paths below need it. */
function ipNum(): IpNum {
  ipNumModule ??= createRequire(import.meta.url)('ip-num') as IpNum;
  return ipNumModule;
}

const WORD = 0xffffffffn;

export function formatIp(family: IpFamily, value: bigint): string {
  if (family === 4) return formatIpv4Word(Number(value & WORD));
  return formatIpv6Words(Number((value >> 96n) & WORD), Number((value >> 64n) & WORD), Number((value >> 32n) & WORD), Number(value & WORD));
}

/** IPv4 as dotted decimal, from its 32-bit value. */
export function formatIpv4Word(word: number): string {
  return `${word >>> 24}.${(word >>> 16) & 0xff}.${(word >>> 8) & 0xff}.${word & 0xff}`;
}

/**
 * IPv6 from four 32-bit words, in RFC 5952 form (ip-num's `collapseIPv6Number` output): lowercase
 * hex without leading zeros, the longest run of two or more zero groups (the first of equal runs)
 * as `::`.
 */
export function formatIpv6Words(w0: number, w1: number, w2: number, w3: number): string {
  const groups = [w0 >>> 16, w0 & 0xffff, w1 >>> 16, w1 & 0xffff, w2 >>> 16, w2 & 0xffff, w3 >>> 16, w3 & 0xffff];
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return groups.map((g) => g.toString(16)).join(':');
  const head = groups.slice(0, bestStart).map((g) => g.toString(16)).join(':');
  const tail = groups.slice(bestStart + bestLength).map((g) => g.toString(16)).join(':');
  return `${head}::${tail}`;
}

/**
 * The fast path of `parseIp` for canonical dotted-quad IPv4 (no leading zeros), which is what
 * pod and host IPs are: one pass over the characters, no regex, no ip-num. -1 when the text is
 * anything else (then the full parser decides, with its warnings and errors).
 */
function canonicalIpv4Value(text: string): number {
  const n = text.length;
  if (n < 7 || n > 15) return -1;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && octet === 0) return -1; // a leading zero
      octet = octet * 10 + (c - 0x30);
      if (++digits > 3 || octet > 255) return -1;
    } else if (c === 0x2e) {
      if (digits === 0 || ++dots > 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
    } else return -1;
  }
  if (digits === 0 || dots !== 3) return -1;
  return value * 256 + octet;
}

/**
 * The fast path for IPv6 written as hex groups with at most one `::` (no embedded IPv4): the four
 * words, or null for anything else (the full parser then decides).
 */
function plainIpv6Words(text: string): Uint32Array | null {
  if (text.length < 2 || text.length > 39) return null;
  const gapAt = text.indexOf('::');
  if (gapAt >= 0 && text.indexOf('::', gapAt + 1) >= 0) return null;
  let all: number[];
  if (gapAt < 0) {
    const groups = hexGroups(text);
    if (!groups || groups.length !== 8) return null;
    all = groups;
  } else {
    const head = hexGroups(text.slice(0, gapAt));
    const tail = hexGroups(text.slice(gapAt + 2));
    // `::` standing for a single zero group is left to the full parser.
    if (!head || !tail || head.length + tail.length > 6) return null;
    all = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  const words = new Uint32Array(4);
  for (let i = 0; i < 4; i++) words[i] = (((all[2 * i] as number) << 16) | (all[2 * i + 1] as number)) >>> 0;
  return words;
}

/** `a:b:c` → the group values ('' → none), or null unless every group is 1–4 hex digits. */
function hexGroups(part: string): number[] | null {
  if (part === '') return [];
  const groups: number[] = [];
  for (const g of part.split(':')) {
    if (g.length < 1 || g.length > 4) return null;
    let v = 0;
    for (let i = 0; i < g.length; i++) {
      const c = g.charCodeAt(i);
      if (c >= 0x30 && c <= 0x39) v = v * 16 + (c - 0x30);
      else if (c >= 0x61 && c <= 0x66) v = v * 16 + (c - 0x57);
      else if (c >= 0x41 && c <= 0x46) v = v * 16 + (c - 0x37);
      else return null;
    }
    groups.push(v);
  }
  return groups;
}

export function parseIp(text: string): ParseResult<IpAddress> {
  const v4 = canonicalIpv4Value(text);
  if (v4 >= 0) return { ok: true, value: { family: 4, value: BigInt(v4), text }, warnings: NO_WARNINGS };
  if (text.includes(':') && !text.includes('.')) {
    const w = plainIpv6Words(text);
    if (w) {
      const value = (BigInt(w[0] as number) << 96n) | (BigInt(w[1] as number) << 64n) | (BigInt(w[2] as number) << 32n) | BigInt(w[3] as number);
      const warnings = w[0] === 0 && w[1] === 0 && w[2] === 0xffff ? [IPV4_MAPPED_WARNING] : NO_WARNINGS;
      return { ok: true, value: { family: 6, value, text: formatIpv6Words(w[0] as number, w[1] as number, w[2] as number, w[3] as number) }, warnings };
    }
  }
  return parseIpFully(text);
}

const NO_WARNINGS: readonly string[] = [];
const IPV4_MAPPED_WARNING = 'is an IPv4-mapped IPv6 address; it is kept as IPv6 and matches only IPv6 traffic';

/** Every form the API server's legacy validation accepts, through ip-num (exported for tests). */
export function parseIpFully(text: string): ParseResult<IpAddress> {
  const { IPv4, IPv6, Validator } = ipNum();
  const warnings: string[] = [];
  let input = text;
  if (V4_WITH_LEADING_ZEROS.test(input) && /(^|\.)0\d/.test(input)) {
    input = stripLeadingZeros(input);
    warnings.push(`has leading 0s; read as ${input}`);
  }
  if (!input.includes(':')) {
    const [valid] = Validator.isValidIPv4String(input);
    if (!valid) return { ok: false, error: 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)' };
    const value = IPv4.fromString(input).value;
    return { ok: true, value: { family: 4, value, text: formatIp(4, value) }, warnings };
  }
  const [valid] = Validator.isValidIPv6String(input);
  if (!valid) return { ok: false, error: 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)' };
  const value = IPv6.fromString(input).value;
  if (value >> 32n === 0xffffn) warnings.push(IPV4_MAPPED_WARNING);
  return { ok: true, value: { family: 6, value, text: formatIp(6, value) }, warnings };
}

export function parseCidr(text: string): ParseResult<Cidr> {
  const invalid = { ok: false, error: 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)' } as const;
  const slash = text.indexOf('/');
  if (slash < 0 || slash !== text.lastIndexOf('/')) return invalid;
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return invalid;
  const address = parseIp(text.slice(0, slash));
  if (!address.ok) return invalid;
  const warnings = [...address.warnings];
  const prefixLength = Number.parseInt(prefixText, 10);
  const bits = address.value.family === 4 ? 32 : 128;
  if (prefixLength > bits) return invalid;
  if (prefixText.length > 1 && prefixText.startsWith('0')) warnings.push('has a leading 0 in the prefix length');
  const hostBits = BigInt(bits - prefixLength);
  const network = (address.value.value >> hostBits) << hostBits;
  const canonical = `${formatIp(address.value.family, network)}/${prefixLength}`;
  if (network !== address.value.value) warnings.push(`has bits set beyond the prefix length; read as ${canonical}`);
  return { ok: true, value: { family: address.value.family, network, prefixLength, text: canonical }, warnings };
}
