import { describe, it, expect } from 'vitest';
import {
  expectedFor,
  FIXTURES,
  fixtureBytes,
  fixturePath,
  parseBytes,
  pcapngToBigEndian,
  pcapToBigEndian,
  readAll,
  type SeenPacket,
} from './capture-helpers.js';

/** Link type of every packet, by how each fixture was recorded (test/fixtures/captures/README.md). */
function expectedLinkType(file: string, p: SeenPacket): number {
  if (file.startsWith('eth-')) return 1;
  if (file.startsWith('any-sll2-')) return 276;
  if (file.startsWith('any-sll-')) return 113;
  if (file === 'mixed-eth-sll.pcapng') return p.interfaceId === 0 ? 1 : 113;
  if (file === 'two-sections.pcapng') return p.sectionIndex === 0 ? 1 : 276;
  throw new Error(`no expectation for ${file}`);
}

function withoutExtras(p: SeenPacket): object {
  return { time: p.time, wireLength: p.wireLength, capturedLength: p.capturedLength, interfaceId: p.interfaceId, sha256: p.sha256 };
}

describe('readCapture fixtures', () => {
  for (const file of FIXTURES) {
    it(`openCapture - ${file} matches tshark (count, times, lengths, interface, bytes)`, async () => {
      const expected = expectedFor(file);
      const { end, packets } = await readAll(fixturePath(file));
      expect(end.kind).toBe('complete');
      expect(end.message).toBeNull();
      expect(end.records).toBe(expected.count);
      expect(end.bytesRead).toBe(fixtureBytes(file).length);
      expect(end.format).toBe(file.endsWith('.pcapng') ? 'pcapng' : 'pcap');
      expect(packets.map(withoutExtras)).toEqual(expected.packets);
      for (const p of packets) expect(p.linkType).toBe(expectedLinkType(file, p));
      // two-sections = eth-nsec.pcapng (if_tsresol 9) followed by a µs section.
      for (const p of packets) {
        expect(p.nanosecondResolution).toBe(file.includes('nsec') || (file === 'two-sections.pcapng' && p.sectionIndex === 0));
      }
    });

    it(`CaptureParser - ${file} gives the same packets when pushed in 7-byte and 1-byte chunks`, () => {
      const bytes = fixtureBytes(file);
      const expected = expectedFor(file);
      const whole = parseBytes(bytes);
      const sevens = parseBytes(bytes, 7);
      const ones = parseBytes(bytes, 1);
      expect(whole.packets.map(withoutExtras)).toEqual(expected.packets);
      expect(sevens.packets).toEqual(whole.packets);
      expect(ones.packets).toEqual(whole.packets);
      expect(sevens.end).toEqual(whole.end);
      expect(ones.end).toEqual(whole.end);
    });
  }

  it('openCapture - small file chunks (chunkSize 100) cut records and still match tshark', async () => {
    for (const file of ['eth-usec.pcap', 'mixed-eth-sll.pcapng']) {
      const { end, packets } = await readAll(fixturePath(file), 100);
      expect(end.kind).toBe('complete');
      expect(packets.map(withoutExtras)).toEqual(expectedFor(file).packets);
    }
  });

  it('CaptureParser - big-endian classic pcap (µs and ns) reads like the little-endian original', () => {
    for (const file of ['eth-usec.pcap', 'any-sll2-nsec.pcap']) {
      const le = fixtureBytes(file);
      const be = pcapToBigEndian(le);
      expect(be.readUInt32BE(0)).toBe(file.includes('nsec') ? 0xa1b23c4d : 0xa1b2c3d4);
      const a = parseBytes(le);
      const b = parseBytes(be, 13);
      expect(b.end.kind).toBe('complete');
      expect(b.packets).toEqual(a.packets);
    }
  });

  it('CaptureParser - big-endian pcapng reads like the little-endian original', () => {
    for (const file of ['eth-nsec.pcapng', 'mixed-eth-sll.pcapng']) {
      const le = fixtureBytes(file);
      const be = pcapngToBigEndian(le);
      expect(be.readUInt32BE(8)).toBe(0x1a2b3c4d);
      const a = parseBytes(le);
      const b = parseBytes(be, 13);
      expect(b.end.kind).toBe('complete');
      const strip = (p: SeenPacket): object => ({ ...p, fileOffset: 0 });
      expect(b.packets.map(strip)).toEqual(a.packets.map(strip));
      expect(b.packets.length).toBe(expectedFor(file).count);
    }
  });

  it('CaptureParser - record.fileOffset points at each record header', () => {
    const bytes = fixtureBytes('eth-usec.pcap');
    const { packets } = parseBytes(bytes, 50);
    let offset = 24;
    for (const p of packets) {
      expect(p.fileOffset).toBe(offset);
      expect(bytes.readUInt32LE(offset + 8)).toBe(p.capturedLength);
      offset += 16 + p.capturedLength;
    }
    expect(offset).toBe(bytes.length);
  });
});
