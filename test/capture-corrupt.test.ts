import { describe, it, expect } from 'vitest';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { block, epb, fixtureBytes, idb, options, parseBytes, readAll, shb, u8 } from './capture-helpers.js';

/** Offset of the n-th record header of a little-endian classic pcap. */
function pcapRecordOffset(bytes: Buffer, n: number): number {
  let p = 24;
  for (let i = 0; i < n; i++) p += 16 + bytes.readUInt32LE(p + 8);
  return p;
}

describe('capture corrupt input', () => {
  it('CaptureParser - an impossible caplen is one corrupt error at that record, after the records before it', () => {
    const bytes = Buffer.from(fixtureBytes('eth-usec.pcap'));
    const at = pcapRecordOffset(bytes, 5);
    bytes.writeUInt32LE(0x7fffffff, at + 8);
    for (const chunk of [bytes.length, 100, 1]) {
      const { end, packets } = parseBytes(bytes, chunk);
      expect(packets.length).toBe(5);
      expect(end).toMatchObject({ kind: 'corrupt', records: 5, byteOffset: at, format: 'pcap' });
      expect(end.message).toContain(`byte ${at}`);
      expect(end.message).toContain('2147483647');
    }
  });

  it('CaptureParser - caplen just above max(snaplen, 262144) is corrupt, at the limit it is accepted', () => {
    const header = Buffer.from(fixtureBytes('eth-usec.pcap').subarray(0, 24));
    header.writeUInt32LE(65535, 16);
    const record = (caplen: number): Buffer => {
      const h = Buffer.alloc(16);
      h.writeUInt32LE(caplen, 8);
      h.writeUInt32LE(caplen, 12);
      return Buffer.concat([h, Buffer.alloc(caplen)]);
    };
    const ok = parseBytes(Buffer.concat([header, record(262144)]));
    expect(ok.end.kind).toBe('complete');
    expect(ok.packets[0]?.capturedLength).toBe(262144);
    const bad = parseBytes(Buffer.concat([header, record(262145)]));
    expect(bad.end).toMatchObject({ kind: 'corrupt', byteOffset: 24, records: 0 });
  });

  it('CaptureParser - a pcap header with version 1.4 or reserved link-type bits is corrupt; FCS bits are decoded', () => {
    const good = fixtureBytes('eth-usec.pcap');
    const v14 = Buffer.from(good);
    v14.writeUInt16LE(1, 4);
    expect(parseBytes(v14).end).toMatchObject({ kind: 'corrupt', byteOffset: 0, records: 0 });
    const reserved = Buffer.from(good);
    reserved.writeUInt32LE(0x00010001, 20);
    const r = parseBytes(reserved).end;
    expect(r).toMatchObject({ kind: 'corrupt', records: 0 });
    expect(r.message).toContain('reserved bits');
    const fcs = Buffer.from(good);
    fcs.writeUInt32LE(0x24000001, 20); // P bit, FCS length 2 × 16 bits
    const f = parseBytes(fcs);
    expect(f.end.kind).toBe('complete');
    expect(f.packets[0]).toMatchObject({ linkType: 1 });
    expect(parseBytes(fcs, 9).packets.length).toBe(44);
  });

  it('CaptureParser - unknown magic names itself; compressed files are recognised', () => {
    const text = parseBytes(Buffer.from('hello, this is not a capture'));
    expect(text.end).toMatchObject({ kind: 'unsupported', byteOffset: 0, records: 0, format: null });
    expect(text.end.message).toContain('68656c6c');
    const gz = parseBytes(Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0]));
    expect(gz.end.kind).toBe('unsupported');
    expect(gz.end.message).toContain('gzip');
  });

  it('CaptureParser - pcapng block lengths below 12, not a multiple of 4, or huge are corrupt at that block', () => {
    const good = fixtureBytes('eth-nsec.pcapng');
    const shbLen = good.readUInt32LE(4);
    const idbLen = good.readUInt32LE(shbLen + 4);
    const firstEpb = shbLen + idbLen;
    const secondEpb = firstEpb + good.readUInt32LE(firstEpb + 4);
    for (const bad of [8, 4 * 25 + 2, 0xfffffff0]) {
      const bytes = Buffer.from(good);
      bytes.writeUInt32LE(bad, secondEpb + 4);
      for (const chunk of [bytes.length, 64]) {
        const { end, packets } = parseBytes(bytes, chunk);
        expect(packets.length).toBe(1);
        expect(end).toMatchObject({ kind: 'corrupt', byteOffset: secondEpb, records: 1, format: 'pcapng' });
        expect(end.message).toContain(`block length ${bad}`);
      }
    }
  });

  it('CaptureParser - a trailing block length different from the leading one is corrupt', () => {
    const good = fixtureBytes('eth-nsec.pcapng');
    const shbLen = good.readUInt32LE(4);
    const idbLen = good.readUInt32LE(shbLen + 4);
    const epbAt = shbLen + idbLen;
    const bytes = Buffer.from(good);
    const len = bytes.readUInt32LE(epbAt + 4);
    bytes.writeUInt32LE(len + 4, epbAt + len - 4);
    const { end } = parseBytes(bytes);
    expect(end).toMatchObject({ kind: 'corrupt', byteOffset: epbAt, records: 0 });
    expect(end.message).toContain('trailing length');
  });

  it('CaptureParser - undefined interface ids, options past the block and oversized caplen in pcapng are corrupt', () => {
    const frame = Buffer.alloc(60, 1);
    const head = Buffer.concat([shb(), idb(1, 262144)]);
    const undefinedIf = parseBytes(Buffer.concat([head, epb(0, 5n, frame), epb(1, 6n, frame)]));
    expect(undefinedIf.end).toMatchObject({ kind: 'corrupt', records: 1 });
    expect(undefinedIf.end.message).toContain('interface id 1 is not defined');

    const opts = options([{ code: 2, value: Buffer.from('eth0') }]);
    opts.writeUInt16LE(200, 2); // if_name claims 200 bytes
    const idbBody = Buffer.alloc(8);
    idbBody.writeUInt16LE(1, 0);
    const badIdb = parseBytes(Buffer.concat([shb(), block(1, Buffer.concat([idbBody, opts]))]));
    expect(badIdb.end).toMatchObject({ kind: 'corrupt', byteOffset: 28 });
    expect(badIdb.end.message).toContain('runs past the end of the block');

    const big = epb(0, 1n, frame);
    big.writeUInt32LE(1000, 20); // caplen 1000 in a block that holds 60 bytes
    const badEpb = parseBytes(Buffer.concat([head, big]));
    expect(badEpb.end.kind).toBe('corrupt');
    expect(badEpb.end.message).toContain('does not fit');
  });

  it('CaptureParser - a bad byte-order magic and a pcapng version 2 section are reported', () => {
    const badMagic = shb();
    badMagic.writeUInt32LE(0x12345678, 8);
    expect(parseBytes(badMagic).end).toMatchObject({ kind: 'corrupt', byteOffset: 0 });
    const v2 = parseBytes(Buffer.concat([shb(true, Buffer.alloc(0), 2), idb(1, 0)]));
    expect(v2.end).toMatchObject({ kind: 'unsupported', byteOffset: 0 });
    expect(v2.end.message).toContain('version 2.0');
  });

  it('openCapture - a missing file and a directory end read-failed without throwing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'npcap-corrupt-'));
    const missing = await readAll(join(dir, 'nope.pcap'));
    expect(missing.end).toMatchObject({ kind: 'read-failed', records: 0 });
    expect(missing.end.message).toContain('ENOENT');
    mkdirSync(join(dir, 'sub'));
    const directory = await readAll(join(dir, 'sub'));
    expect(directory.end.kind).toBe('read-failed');
  });

  it('CaptureParser - a record with an out-of-range microsecond field carries into the seconds', () => {
    const header = Buffer.from(fixtureBytes('eth-usec.pcap').subarray(0, 24));
    const h = Buffer.alloc(16);
    h.writeUInt32LE(100, 0);
    h.writeUInt32LE(1_500_000, 4);
    h.writeUInt32LE(4, 8);
    h.writeUInt32LE(4, 12);
    const { packets } = parseBytes(Buffer.concat([header, h, u8(1), Buffer.alloc(3)]));
    expect(packets[0]?.time).toBe('101.500000000');
  });
});
