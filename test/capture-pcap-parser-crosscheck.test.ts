import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { CaptureEnd } from '../src/capture/capture-record.js';
import { openCaptureWithPcapParser } from '../src/capture/read-with-pcap-parser.js';
import { fixtureBytes, fixturePath, pcapToBigEndian, readAll, snapshot, type SeenPacket } from './capture-helpers.js';

async function readWithPcapParser(source: string | Readable): Promise<{ end: CaptureEnd; packets: SeenPacket[] }> {
  const reader = await openCaptureWithPcapParser(source);
  const packets: SeenPacket[] = [];
  const end = await reader.forEach((r) => {
    packets.push(snapshot(r));
  });
  return { end, packets };
}

const CLASSIC_USEC = ['eth-usec.pcap', 'any-sll2-usec.pcap', 'any-sll-usec.pcap'] as const;

describe('pcap-parser cross-check', () => {
  for (const file of CLASSIC_USEC) {
    it(`openCaptureWithPcapParser - ${file}: identical packets, timestamps, bytes and end as the built-in reader`, async () => {
      const ours = await readAll(fixturePath(file));
      const theirs = await readWithPcapParser(fixturePath(file));
      expect(ours.packets.length).toBeGreaterThan(0);
      expect(theirs.packets).toEqual(ours.packets);
      expect(theirs.end).toEqual(ours.end);
    });
  }

  it('openCaptureWithPcapParser - a big-endian µs pcap from a Readable matches too', async () => {
    const be = pcapToBigEndian(fixtureBytes('any-sll2-usec.pcap'));
    const ours = await readAll(Readable.from([be]));
    const theirs = await readWithPcapParser(Readable.from([be]));
    expect(theirs.packets).toEqual(ours.packets);
    expect(theirs.end.kind).toBe('complete');
  });

  it('openCaptureWithPcapParser - ns pcap and pcapng are rejected with a message naming the format', async () => {
    const ns = await readWithPcapParser(fixturePath('eth-nsec.pcap'));
    expect(ns.end).toMatchObject({ kind: 'unsupported', records: 0 });
    expect(ns.end.message).toContain('nanosecond pcap');
    const ng = await readWithPcapParser(fixturePath('eth-usec.pcapng'));
    expect(ng.end).toMatchObject({ kind: 'unsupported', records: 0 });
    expect(ng.end.message).toContain('pcapng');
  });

  it('openCaptureWithPcapParser - truncation and a corrupt caplen end like the built-in reader instead of silently', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'npcap-cross-'));
    const bytes = fixtureBytes('eth-usec.pcap');
    const cutPath = join(dir, 'cut.pcap');
    writeFileSync(cutPath, bytes.subarray(0, 3001));
    const oursCut = await readAll(cutPath);
    const theirsCut = await readWithPcapParser(cutPath);
    expect(oursCut.end.kind).toBe('truncated');
    expect(theirsCut.end).toMatchObject({ kind: 'truncated', records: oursCut.end.records, byteOffset: oursCut.end.byteOffset });
    expect(theirsCut.packets).toEqual(oursCut.packets);

    const corrupt = Buffer.from(bytes);
    let p = 24;
    for (let i = 0; i < 7; i++) p += 16 + corrupt.readUInt32LE(p + 8);
    corrupt.writeUInt32LE(0x7fffffff, p + 8);
    const corruptPath = join(dir, 'corrupt.pcap');
    writeFileSync(corruptPath, corrupt);
    const theirs = await readWithPcapParser(corruptPath);
    expect(theirs.end).toMatchObject({ kind: 'corrupt', records: 7, byteOffset: p });
    expect(theirs.end).toEqual((await readAll(corruptPath)).end);
  });

  it('openCaptureWithPcapParser - a missing file and garbage end with an error result, not an exception', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'npcap-cross-'));
    const missing = await readWithPcapParser(join(dir, 'absent.pcap'));
    expect(missing.end.kind).toBe('read-failed');
    expect(missing.end.message).toContain('ENOENT');
    const garbage = await readWithPcapParser(Readable.from([Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')]));
    expect(garbage.end).toMatchObject({ kind: 'unsupported', records: 0 });
    expect(garbage.end.message).toContain('47455420');
  });

  it('openCaptureWithPcapParser - the callback returning false stops at that record', async () => {
    let n = 0;
    const reader = await openCaptureWithPcapParser(fixturePath('eth-usec.pcap'));
    const end = await reader.forEach(() => ++n < 3);
    expect(end).toMatchObject({ kind: 'stopped', records: 3 });
    expect(n).toBe(3);
  });
});
