/**
 * Writing packet headers by hand (the REJECT answer, synthetic frames, the packet an ICMP error
 * quotes): big-endian fields and the Internet checksum (RFC 1071: the one's-complement sum of
 * 16-bit words, folded and inverted). Shared so every frame the project builds checksums the same way.
 */

export function put16(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >>> 8) & 0xff;
  b[at + 1] = v & 0xff;
}

export function put32(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >>> 24) & 0xff;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

/** One's-complement sum of 16-bit words over [from, to) added to `initial` (an odd tail padded with zero). */
export function sum16(b: Uint8Array, from: number, to: number, initial: number): number {
  let s = initial;
  let i = from;
  for (; i + 1 < to; i += 2) s += ((b[i] as number) << 8) | (b[i + 1] as number);
  if (i < to) s += (b[i] as number) << 8;
  return s;
}

/** The checksum field of a sum: carries folded in (division, not `>>>`: a sum may pass 2^32), inverted. */
export function foldChecksum(s: number): number {
  let x = s;
  while (x > 0xffff) x = (x & 0xffff) + Math.floor(x / 0x10000);
  return ~x & 0xffff;
}
