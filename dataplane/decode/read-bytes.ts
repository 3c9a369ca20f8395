/**
 * Big-endian reads by index arithmetic: no DataView or subarray per packet (CAPTURES.md: one view
 * per packet halves a zero-copy reader). Callers check bounds first with `checkSpan`, hence `!`.
 */
import { DecodeStatus } from '../packet-meta.js';

export function readU16(buf: Uint8Array, at: number): number {
  return (buf[at]! << 8) | buf[at + 1]!;
}

export function readU32(buf: Uint8Array, at: number): number {
  return ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0;
}

/**
 * Whether `length` bytes at `at` can be read. `packetEnd` is where the enclosing headers say the
 * packet ends (clamped to the wire length), `capturedEnd` where the captured bytes end: a header
 * running past the packet is MALFORMED, one running only past the capture is TRUNCATED.
 */
export function checkSpan(at: number, length: number, packetEnd: number, capturedEnd: number): DecodeStatus {
  const end = at + length;
  if (end > packetEnd) return DecodeStatus.MALFORMED;
  if (end > capturedEnd) return DecodeStatus.TRUNCATED;
  return DecodeStatus.OK;
}
