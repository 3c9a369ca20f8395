import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureBytes, parseBytes, readAll } from './capture-helpers.js';

/** Offsets where a header, record or block starts or the file ends, walked independently of the reader. */
function unitBoundaries(bytes: Buffer): number[] {
  const out = [0];
  if (bytes.readUInt32BE(0) === 0x0a0d0d0a) {
    let p = 0;
    while (p < bytes.length) {
      p += bytes.readUInt32LE(p + 4);
      out.push(p);
    }
  } else {
    let p = 24;
    out.push(p);
    while (p < bytes.length) {
      p += 16 + bytes.readUInt32LE(p + 8);
      out.push(p);
    }
  }
  return out;
}

function checkCut(file: string, bytes: Buffer, cut: number, chunkSize: number): void {
  const full = parseBytes(bytes).packets;
  const boundaries = unitBoundaries(bytes);
  const { end, packets } = parseBytes(bytes.subarray(0, cut), chunkSize);
  const lastBoundary = Math.max(...boundaries.filter((b) => b <= cut));
  // Every record that ends at or before the cut is delivered, identical to the full read.
  const whole = full.filter((p) => boundaries.some((b) => b > p.fileOffset && b <= cut));
  expect(packets, `${file} cut at ${cut}`).toEqual(whole);
  expect(end.records).toBe(whole.length);
  if (cut > 0 && lastBoundary === cut) {
    expect(end.kind, `${file} cut at ${cut}`).toBe('complete');
  } else {
    expect(end.kind, `${file} cut at ${cut}`).toBe('truncated');
    expect(end.byteOffset).toBe(lastBoundary);
    expect(end.bytesRead).toBe(lastBoundary);
    expect(end.message).toContain(`byte ${lastBoundary}`);
  }
}

describe('capture truncation', () => {
  it('CaptureParser - classic pcap cut at every byte delivers every whole record and names the cut record', () => {
    const bytes = fixtureBytes('eth-usec.pcap');
    for (let cut = 0; cut <= bytes.length; cut++) checkCut('eth-usec.pcap', bytes, cut, 997);
  });

  it('CaptureParser - pcapng cut at every 5th byte (and each block edge ±1) is handled the same way', () => {
    for (const file of ['mixed-eth-sll.pcapng', 'two-sections.pcapng']) {
      const bytes = fixtureBytes(file);
      const cuts = new Set<number>();
      for (let c = 0; c <= bytes.length; c += 5) cuts.add(c);
      for (const b of unitBoundaries(bytes)) for (const d of [-1, 0, 1]) if (b + d >= 0 && b + d <= bytes.length) cuts.add(b + d);
      for (const cut of cuts) checkCut(file, bytes, cut, 1024);
    }
  });

  it('CaptureParser - empty input and a partial file header end truncated at byte 0', () => {
    const empty = parseBytes(Buffer.alloc(0));
    expect(empty.end).toMatchObject({ kind: 'truncated', byteOffset: 0, records: 0, format: null });
    expect(empty.end.message).toContain('empty');
    const partial = parseBytes(fixtureBytes('eth-nsec.pcap').subarray(0, 20));
    expect(partial.end).toMatchObject({ kind: 'truncated', byteOffset: 0, records: 0 });
    expect(partial.end.message).toContain('file header');
  });

  it('openCapture - a truncated file on disk reports the records before the cut and the offset', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'npcap-trunc-'));
    const bytes = fixtureBytes('any-sll2-nsec.pcap');
    const boundaries = unitBoundaries(bytes);
    const tenth = boundaries[11] ?? 0; // end of record 10
    const path = join(dir, 'cut.pcap');
    writeFileSync(path, bytes.subarray(0, tenth + 9));
    const { end, packets } = await readAll(path, 64);
    expect(packets.length).toBe(10);
    expect(end).toMatchObject({ kind: 'truncated', records: 10, byteOffset: tenth, format: 'pcap' });
  });
});
