/**
 * The fast paths of parseIp (canonical IPv4, plain IPv6) and the address formatting used by flow
 * reports must give exactly what the full ip-num based parser gives: differential tests on
 * random and tricky inputs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IPv4, IPv6, collapseIPv6Number } from 'ip-num';
import { formatIp, formatIpv4Word, formatIpv6Words, parseIp, parseIpFully } from '../src/load/parse-ip.js';

const octet = fc.integer({ min: 0, max: 255 });
const group = fc.integer({ min: 0, max: 0xffff });

describe('load - fast address parsing', () => {
  it('load - parseIp equals the full parser on random IPv4 and IPv6 texts, canonical or not', () => {
    const v4 = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'));
    const v6Full = fc.array(group, { minLength: 8, maxLength: 8 }).map((g) => g.map((x) => x.toString(16)).join(':'));
    const v6Upper = v6Full.map((t) => t.toUpperCase());
    const v6Padded = fc.array(group, { minLength: 8, maxLength: 8 }).map((g) => g.map((x) => x.toString(16).padStart(4, '0')).join(':'));
    // Zero runs of every length and place, written with `::`.
    const v6Gap = fc.tuple(fc.array(group, { minLength: 0, maxLength: 7 }), fc.array(group, { minLength: 0, maxLength: 7 })).filter(([h, t]) => h.length + t.length <= 7).map(([h, t]) => `${h.map((x) => x.toString(16)).join(':')}::${t.map((x) => x.toString(16)).join(':')}`);
    const junk = fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF:.x /-'.split('')), maxLength: 42 });
    const tricky = fc.constantFrom('01.2.3.4', '1.2.3.04', '256.1.1.1', '1.2.3', '1.2.3.4.5', '::', '::1', '1::', ':::', '1:::2', '1::2::3', '::ffff:1.2.3.4', '::ffff:0102:0304', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '1:2:3:4::5:6:7:8', '1:2:3:4:5:6:7:8:9', '12345::', 'g::1', ' 1.2.3.4', '1.2.3.4 ', '', ':', '1:', ':1', '0.0.0.0', '255.255.255.255', '00.0.0.0');
    fc.assert(
      fc.property(fc.oneof(v4, v6Full, v6Upper, v6Padded, v6Gap, junk, tricky), (text) => {
        expect(parseIp(text)).toEqual(parseIpFully(text));
      }),
      { numRuns: 20_000 },
    );
  });

  it('load - the word formatters (and formatIp) equal ip-num formatting', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (w) => {
        expect(formatIpv4Word(w)).toBe(IPv4.fromNumber(BigInt(w)).toString());
        expect(formatIp(4, BigInt(w))).toBe(formatIpv4Word(w));
      }),
      { numRuns: 5_000 },
    );
    // Words with many zero groups, so every compression case appears.
    const word = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }).map((x) => x * 65536), fc.integer({ min: 0, max: 0xffffffff }));
    fc.assert(
      fc.property(word, word, word, word, (a, b, c, d) => {
        const value = (BigInt(a) << 96n) | (BigInt(b) << 64n) | (BigInt(c) << 32n) | BigInt(d);
        expect(formatIpv6Words(a, b, c, d)).toBe(collapseIPv6Number(IPv6.fromBigInt(value).toString()));
        expect(formatIp(6, value)).toBe(formatIpv6Words(a, b, c, d));
      }),
      { numRuns: 20_000 },
    );
  });
});
