import { describe, it, expect } from 'vitest';
import { CaptureParser } from '../src/capture/capture-parser.js';
import { block, epb, i64le, idb, parseBytes, shb, u8 } from './capture-helpers.js';

const NS = 1_795_238_566_975_896_123n; // ns since the epoch: above 2^53

function frame(tag: number, length = 42): Buffer {
  return Buffer.alloc(length, tag);
}

/** A Simple Packet Block: original length then the data. */
function spb(data: Buffer, wireLength = data.length): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32LE(wireLength, 0);
  return block(3, Buffer.concat([head, data]));
}

/** The obsolete Packet Block: 16-bit interface id and drops count. */
function pb(interfaceId: number, ts: bigint, data: Buffer): Buffer {
  const head = Buffer.alloc(20);
  head.writeUInt16LE(interfaceId, 0);
  head.writeUInt32LE(Number(ts >> 32n), 4);
  head.writeUInt32LE(Number(ts & 0xffffffffn), 8);
  head.writeUInt32LE(data.length, 12);
  head.writeUInt32LE(data.length, 16);
  return block(2, Buffer.concat([head, data]));
}

describe('pcapng blocks', () => {
  it('CaptureParser - two link types, two sections of different byte order, every packet block kind, unknown blocks skipped', () => {
    const file = Buffer.concat([
      shb(true),
      idb(1, 262144, [{ code: 2, value: Buffer.from('veth0') }, { code: 9, value: u8(9) }]),
      // 2^-10 s units with a 1000 s offset.
      idb(276, 65535, [{ code: 9, value: u8(0x80 | 10) }, { code: 14, value: i64le(1000n) }]),
      block(4, Buffer.from([1, 0, 8, 0, 10, 0, 0, 1, 0x6e, 0x73, 0x00, 0x00, 0, 0, 0, 0])), // NRB
      epb(0, NS, frame(0xa1)),
      block(5, Buffer.alloc(12)), // ISB
      epb(1, (5n << 10n) + 512n, frame(0xa2, 60), 1500), // 5.5 units-s + offset
      block(0x40000bad, Buffer.alloc(8, 7)), // custom block
      block(0x0000000a, Buffer.alloc(16, 3)), // DSB
      spb(frame(0xa3, 30)),
      pb(0, NS + 1_000_000_000n, frame(0xa4)),
      epb(0, NS, frame(0xa5), 42, true, [{ code: 2, value: Buffer.from([1, 0, 0, 0]) }]),
      shb(false),
      idb(113, 0, [], false),
      epb(0, 1_700_000_000_123_456n, frame(0xa6, 44), 44, false),
    ]);
    for (const chunk of [file.length, 17, 1]) {
      const { end, packets } = parseBytes(file, chunk);
      expect(end).toMatchObject({ kind: 'complete', records: 6, bytesRead: file.length, format: 'pcapng' });
      expect(packets.map((p) => [p.time, p.linkType, p.interfaceId, p.sectionIndex, p.capturedLength, p.wireLength])).toEqual([
        ['1795238566.975896123', 1, 0, 0, 42, 42],
        ['1005.500000000', 276, 1, 0, 60, 1500],
        // SPB: interface 0, no timestamp of its own: keeps the previous record's.
        ['1005.500000000', 1, 0, 0, 30, 30],
        ['1795238567.975896123', 1, 0, 0, 42, 42],
        ['1795238566.975896123', 1, 0, 0, 42, 42],
        ['1700000000.123456000', 113, 0, 1, 44, 44],
      ]);
      expect(packets.map((p) => p.nanosecondResolution)).toEqual([true, false, true, true, true, false]);
    }
  });

  it('CaptureParser - SPB caplen is bounded by the interface snaplen and the block', () => {
    const file = Buffer.concat([shb(), idb(1, 20), spb(frame(0x11, 40), 1400)]);
    const { end, packets } = parseBytes(file);
    expect(end.kind).toBe('complete');
    expect(packets[0]).toMatchObject({ capturedLength: 20, wireLength: 1400 });
  });

  it('CaptureParser - timestamps in µs, ms, s, 2^-20 and picoseconds convert exactly', () => {
    const cases: Array<[number, bigint, string]> = [
      [6, 1_795_238_566_975_896n, '1795238566.975896000'],
      [3, 1_795_238_566_975n, '1795238566.975000000'],
      [0, 1_795_238_566n, '1795238566.000000000'],
      [0x80 | 20, (1_795_238_566n << 20n) + (1n << 19n), '1795238566.500000000'],
      // Picoseconds overflow 64 bits after ~213 days since the epoch: a small time, via the BigInt path.
      [12, 10_000_000_975_896_123_456n, '10000000.975896123'],
    ];
    for (const [tsresol, units, time] of cases) {
      const file = Buffer.concat([shb(), idb(1, 0, [{ code: 9, value: u8(tsresol) }]), epb(0, units, frame(1))]);
      const { end, packets } = parseBytes(file);
      expect(end.kind).toBe('complete');
      expect(packets[0]?.time, `if_tsresol ${tsresol}`).toBe(time);
    }
  });

  it('CaptureParser - the callback returning false stops the read with kind stopped after that record', () => {
    const file = Buffer.concat([shb(), idb(1, 0), epb(0, 1n, frame(1)), epb(0, 2n, frame(2)), epb(0, 3n, frame(3))]);
    let seen = 0;
    const parser = new CaptureParser(() => ++seen < 2);
    parser.push(file);
    const end = parser.end();
    expect(seen).toBe(2);
    expect(end).toMatchObject({ kind: 'stopped', records: 2, message: null });
    expect(end.byteOffset).toBe(file.length - epb(0, 3n, frame(3)).length);
  });
});
