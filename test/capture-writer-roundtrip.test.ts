import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../src/diagnostics.js';
import { openCapture } from '../src/capture/open-capture.js';
import { PcapWriter } from '../src/capture/pcap-writer.js';
import { fixturePath, readAll, type SeenPacket } from './capture-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'npcap-writer-'));

async function copyTo(source: string, target: string, options: ConstructorParameters<typeof PcapWriter>[1] = {}): Promise<number> {
  const writer = new PcapWriter(target, options);
  const reader = await openCapture(source);
  const end = await reader.forEach((r) => writer.append(r));
  writer.close();
  expect(end.kind).toBe('complete');
  return writer.records;
}

function comparable(p: SeenPacket): object {
  return { time: p.time, wireLength: p.wireLength, capturedLength: p.capturedLength, sha256: p.sha256, linkType: p.linkType };
}

describe('pcap writer', () => {
  it('PcapWriter - µs pcap round trip: same packets, µs magic, same link type', async () => {
    const out = join(dir, 'eth-usec.pcap');
    const n = await copyTo(fixturePath('any-sll2-usec.pcap'), out);
    const original = await readAll(fixturePath('any-sll2-usec.pcap'));
    const copy = await readAll(out);
    expect(n).toBe(original.packets.length);
    expect(readFileSync(out).readUInt32LE(0)).toBe(0xa1b2c3d4);
    expect(copy.end.kind).toBe('complete');
    expect(copy.packets.map(comparable)).toEqual(original.packets.map(comparable));
    expect(copy.packets.every((p) => p.linkType === 276 && !p.nanosecondResolution)).toBe(true);
  });

  it('PcapWriter - a ns pcapng source is written with the ns magic and keeps every nanosecond digit', async () => {
    const out = join(dir, 'eth-nsec.pcap');
    await copyTo(fixturePath('eth-nsec.pcapng'), out);
    expect(readFileSync(out).readUInt32LE(0)).toBe(0xa1b23c4d);
    const original = await readAll(fixturePath('eth-nsec.pcapng'));
    const copy = await readAll(out);
    expect(copy.packets.map(comparable)).toEqual(original.packets.map(comparable));
    expect(copy.packets.every((p) => p.nanosecondResolution)).toBe(true);
  });

  it('PcapWriter - forcing µs truncates the ns digits; a small snapLength cuts frames but keeps wire lengths', async () => {
    const out = join(dir, 'eth-forced.pcap');
    await copyTo(fixturePath('eth-nsec.pcap'), out, { nanosecond: false, snapLength: 64 });
    const original = await readAll(fixturePath('eth-nsec.pcap'));
    const copy = await readAll(out);
    expect(copy.packets.length).toBe(original.packets.length);
    copy.packets.forEach((p, i) => {
      const o = original.packets[i];
      expect(p.time).toBe(`${o?.time.slice(0, -3)}000`);
      expect(p.capturedLength).toBe(Math.min(64, o?.capturedLength ?? 0));
      expect(p.wireLength).toBe(o?.wireLength);
    });
  });

  it('PcapWriter - mixing link types is rejected with a message naming both link types', async () => {
    const writer = new PcapWriter(join(dir, 'mixed.pcap'));
    const reader = await openCapture(fixturePath('mixed-eth-sll.pcapng'));
    let appended = 0;
    const reading = reader.forEach((r) => {
      writer.append(r);
      appended++;
    });
    await expect(reading).rejects.toBeInstanceOf(UserError);
    await expect(reading).rejects.toThrow(/LINUX_SLL.*ETHERNET|ETHERNET.*LINUX_SLL/);
    writer.close();
    const written = await readAll(join(dir, 'mixed.pcap'));
    expect(written.end.kind).toBe('complete');
    expect(written.packets.length).toBe(appended);
  });

  it('PcapWriter - an unwritable path is a UserError', () => {
    expect(() => new PcapWriter(join(dir, 'no', 'such', 'dir', 'x.pcap'))).toThrow(UserError);
  });
});
