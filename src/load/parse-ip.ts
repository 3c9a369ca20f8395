/**
 * Address and CIDR parsing at the edge, with ip-num doing the syntax work. The API server's
 * legacy validation (SEMANTICS.md §1.5) accepts host bits set, leading zeros and IPv4-mapped
 * IPv6 with a warning; we accept the same and say what we did.
 */
import { IPv4, IPv6, Validator, collapseIPv6Number } from 'ip-num';
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

export function formatIp(family: IpFamily, value: bigint): string {
  if (family === 4) return IPv4.fromNumber(value).toString();
  return collapseIPv6Number(IPv6.fromBigInt(value).toString());
}

export function parseIp(text: string): ParseResult<IpAddress> {
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
  if (value >> 32n === 0xffffn) warnings.push('is an IPv4-mapped IPv6 address; it is kept as IPv6 and matches only IPv6 traffic');
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
