/**
 * Shared helpers for the capture tests: fixture access, collecting what a reader delivers into
 * plain objects (copies, since the record is reused), byte-order swapping to make big-endian
 * variants of the real fixtures, and a tiny pcapng block builder for hand-made edge cases.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import { CaptureParser } from '../src/capture/capture-parser.js';
import type { CaptureEnd, CaptureRecord } from '../src/capture/capture-record.js';
import { openCapture } from '../src/capture/open-capture.js';

export const FIXTURE_DIR = fileURLToPath(new URL('./fixtures/captures/', import.meta.url));

export interface ExpectedPacket {
  readonly time: string;
  readonly wireLength: number;
  readonly capturedLength: number;
  readonly interfaceId: number;
  readonly sha256: string;
}

export interface ExpectedFixture {
  readonly file: string;
  readonly count: number;
  readonly packets: readonly ExpectedPacket[];
}

export interface SeenPacket extends ExpectedPacket {
  readonly linkType: number;
  readonly fileOffset: number;
  readonly sectionIndex: number;
  readonly nanosecondResolution: boolean;
}

export const FIXTURES = [
  'eth-usec.pcap',
  'eth-nsec.pcap',
  'any-sll2-usec.pcap',
  'any-sll2-nsec.pcap',
  'any-sll-usec.pcap',
  'eth-usec.pcapng',
  'eth-nsec.pcapng',
  'mixed-eth-sll.pcapng',
  'two-sections.pcapng',
] as const;

export function fixturePath(name: string): string {
  return join(FIXTURE_DIR, name);
}

export function fixtureBytes(name: string): Buffer {
  return readFileSync(fixturePath(name));
}

export function expectedFor(name: string): ExpectedFixture {
  return JSON.parse(readFileSync(fixturePath(`${name}.expected.json`), 'utf8')) as ExpectedFixture;
}

/** tshark's frame.time_epoch format: seconds, a dot, 9 digits. */
export function formatTime(sec: number, nsec: number): string {
  return `${sec}.${String(nsec).padStart(9, '0')}`;
}

export function snapshot(r: CaptureRecord): SeenPacket {
  const bytes = r.buffer.subarray(r.offset, r.offset + r.capturedLength);
  return {
    time: formatTime(r.tsSec, r.tsNsec),
    wireLength: r.wireLength,
    capturedLength: r.capturedLength,
    interfaceId: r.interfaceId,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    linkType: r.linkType,
    fileOffset: r.fileOffset,
    sectionIndex: r.sectionIndex,
    nanosecondResolution: r.nanosecondResolution,
  };
}

export interface Collected {
  readonly end: CaptureEnd;
  readonly packets: SeenPacket[];
}

/** Feeds `bytes` to a CaptureParser in chunks of `chunkSize` (1 = byte by byte). */
export function parseBytes(bytes: Uint8Array, chunkSize = bytes.length || 1): Collected {
  const packets: SeenPacket[] = [];
  const parser = new CaptureParser((r) => {
    packets.push(snapshot(r));
  });
  for (let at = 0; at < bytes.length; at += chunkSize) {
    // A fresh copy per chunk, then scribbled over after the push: proves nothing kept a reference.
    const chunk = Buffer.from(bytes.subarray(at, Math.min(at + chunkSize, bytes.length)));
    const more = parser.push(chunk);
    chunk.fill(0xee);
    if (!more) break;
  }
  return { end: parser.end(), packets };
}

export async function readAll(source: string | Readable, chunkSize?: number): Promise<Collected> {
  const reader = await openCapture(source, chunkSize === undefined ? {} : { chunkSize });
  const packets: SeenPacket[] = [];
  const end = await reader.forEach((r) => {
    packets.push(snapshot(r));
  });
  return { end, packets };
}

// ---- big-endian variants ------------------------------------------------------------------

function swap32(b: Buffer, at: number): void {
  b.writeUInt32BE(b.readUInt32LE(at), at);
}
function swap16(b: Buffer, at: number): void {
  b.writeUInt16BE(b.readUInt16LE(at), at);
}

/** A little-endian classic pcap rewritten big-endian (header and record headers; frames untouched). */
export function pcapToBigEndian(le: Buffer): Buffer {
  const b = Buffer.from(le);
  swap32(b, 0);
  swap16(b, 4);
  swap16(b, 6);
  for (const at of [8, 12, 16, 20]) swap32(b, at);
  let p = 24;
  while (p + 16 <= b.length) {
    const caplen = b.readUInt32LE(p + 8);
    for (const at of [0, 4, 8, 12]) swap32(b, p + at);
    p += 16 + caplen;
  }
  return b;
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** Swaps the option headers in [start, end) and the numeric option values this reader uses. */
function swapOptions(b: Buffer, start: number, end: number, wideOptions: ReadonlySet<number>): void {
  let p = start;
  while (p + 4 <= end) {
    const code = b.readUInt16LE(p);
    const len = b.readUInt16LE(p + 2);
    swap16(b, p);
    swap16(b, p + 2);
    if (code === 0) return;
    if (wideOptions.has(code) && len === 8) b.writeBigUInt64BE(b.readBigUInt64LE(p + 4), p + 4);
    if (wideOptions.has(code) && len === 4) swap32(b, p + 4);
    p += 4 + pad4(len);
  }
}

/**
 * A little-endian pcapng rewritten big-endian: SHB, IDB, EPB fields and options are swapped;
 * other blocks (statistics, name resolution) are dropped because their bodies are not needed.
 */
export function pcapngToBigEndian(le: Buffer): Buffer {
  const out: Buffer[] = [];
  let p = 0;
  while (p + 12 <= le.length) {
    const type = le.readUInt32LE(p);
    const len = le.readUInt32LE(p + 4);
    const b = Buffer.from(le.subarray(p, p + len));
    p += len;
    if (type !== 0x0a0d0d0a && type !== 1 && type !== 6) continue;
    swap32(b, 0);
    swap32(b, 4);
    swap32(b, len - 4);
    if (type === 0x0a0d0d0a) {
      swap32(b, 8);
      swap16(b, 12);
      swap16(b, 14);
      b.writeBigInt64BE(b.readBigInt64LE(16), 16);
      swapOptions(b, 24, len - 4, new Set());
    } else if (type === 1) {
      swap16(b, 8);
      swap16(b, 10);
      swap32(b, 12);
      swapOptions(b, 16, len - 4, new Set([14]));
    } else {
      for (const at of [8, 12, 16, 20, 24]) swap32(b, at);
      const caplen = b.readUInt32BE(20);
      swapOptions(b, 28 + pad4(caplen), len - 4, new Set([2]));
    }
    out.push(b);
  }
  return Buffer.concat(out);
}

// ---- hand-made pcapng ---------------------------------------------------------------------

export interface OptionSpec {
  readonly code: number;
  readonly value: Buffer;
}

/** One pcapng block: `body` is everything between the length and the trailing length. */
export function block(type: number, body: Buffer, littleEndian = true): Buffer {
  const len = 12 + pad4(body.length);
  const b = Buffer.alloc(len);
  if (littleEndian) {
    b.writeUInt32LE(type, 0);
    b.writeUInt32LE(len, 4);
    b.writeUInt32LE(len, len - 4);
  } else {
    b.writeUInt32BE(type, 0);
    b.writeUInt32BE(len, 4);
    b.writeUInt32BE(len, len - 4);
  }
  body.copy(b, 8);
  return b;
}

export function options(specs: readonly OptionSpec[], littleEndian = true): Buffer {
  const parts: Buffer[] = [];
  for (const o of specs) {
    const h = Buffer.alloc(4);
    if (littleEndian) {
      h.writeUInt16LE(o.code, 0);
      h.writeUInt16LE(o.value.length, 2);
    } else {
      h.writeUInt16BE(o.code, 0);
      h.writeUInt16BE(o.value.length, 2);
    }
    parts.push(h, o.value, Buffer.alloc(pad4(o.value.length) - o.value.length));
  }
  if (specs.length > 0) parts.push(Buffer.alloc(4));
  return Buffer.concat(parts);
}

export function shb(littleEndian = true, opts: Buffer = Buffer.alloc(0), major = 1): Buffer {
  const body = Buffer.alloc(16);
  if (littleEndian) {
    body.writeUInt32LE(0x1a2b3c4d, 0);
    body.writeUInt16LE(major, 4);
    body.writeUInt16LE(0, 6);
  } else {
    body.writeUInt32BE(0x1a2b3c4d, 0);
    body.writeUInt16BE(major, 4);
    body.writeUInt16BE(0, 6);
  }
  body.writeBigInt64LE(-1n, 8);
  return block(0x0a0d0d0a, Buffer.concat([body, opts]), littleEndian);
}

export function idb(linkType: number, snaplen: number, opts: readonly OptionSpec[] = [], littleEndian = true): Buffer {
  const body = Buffer.alloc(8);
  if (littleEndian) {
    body.writeUInt16LE(linkType, 0);
    body.writeUInt32LE(snaplen, 4);
  } else {
    body.writeUInt16BE(linkType, 0);
    body.writeUInt32BE(snaplen, 4);
  }
  return block(1, Buffer.concat([body, options(opts, littleEndian)]), littleEndian);
}

/** EPB with a 64-bit timestamp in interface units. */
export function epb(interfaceId: number, ts: bigint, frame: Buffer, wireLength = frame.length, littleEndian = true, opts: readonly OptionSpec[] = []): Buffer {
  const head = Buffer.alloc(20);
  const w = (v: number, at: number): void => {
    if (littleEndian) head.writeUInt32LE(v, at);
    else head.writeUInt32BE(v, at);
  };
  w(interfaceId, 0);
  w(Number(ts >> 32n), 4);
  w(Number(ts & 0xffffffffn), 8);
  w(frame.length, 12);
  w(wireLength, 16);
  const data = Buffer.concat([frame, Buffer.alloc(pad4(frame.length) - frame.length)]);
  return block(6, Buffer.concat([head, data, options(opts, littleEndian)]), littleEndian);
}

export function u8(v: number): Buffer {
  return Buffer.from([v]);
}

export function i64le(v: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(v);
  return b;
}
