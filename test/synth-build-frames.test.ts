/**
 * Synthetic frames decode back to exactly the fields they were built from, for every link type,
 * both IP versions and every protocol the flow generator uses; checksums verify.
 */
import { describe, expect, it } from 'vitest';
import { decodeFrame } from '../dataplane/decode/index.js';
import { DecodeStatus, PacketMeta, TcpFlag } from '../dataplane/packet-meta.js';
import { FrameFields, SYNTH_LINK_TYPES, buildFrame, formatTcpFlags, frameLength, parseTcpFlags } from '../src/synth/build-frames.js';
import { ipv4Word, ipv6Words } from './helpers/build-frame.js';

function onesComplement(bytes: Uint8Array, from: number, to: number, initial = 0): number {
  let s = initial;
  for (let i = from; i < to; i += 2) s += (bytes[i]! << 8) | (i + 1 < to ? bytes[i + 1]! : 0);
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

function pseudoSum(meta: PacketMeta, length: number): number {
  let s = meta.protocol + length;
  const words = meta.ipVersion === 4 ? 1 : 4;
  for (let w = 0; w < words; w++) s += (meta.src[w]! >>> 16) + (meta.src[w]! & 0xffff) + (meta.dst[w]! >>> 16) + (meta.dst[w]! & 0xffff);
  return s;
}

function fields(version: 4 | 6, protocol: number): FrameFields {
  const f = new FrameFields();
  f.ipVersion = version;
  if (version === 4) {
    f.src[0] = ipv4Word('10.64.1.17');
    f.dst[0] = ipv4Word('203.0.113.9');
  } else {
    f.src.set(ipv6Words('fd00:10:64::1:11'));
    f.dst.set(ipv6Words('2001:db8::9'));
  }
  f.protocol = protocol;
  f.srcPort = 40123;
  f.dstPort = 8080;
  f.tcpFlags = TcpFlag.PSH | TcpFlag.ACK;
  f.tcpSeq = 0xfffffff0;
  f.tcpAck = 123456789;
  f.tcpWindow = 502;
  f.icmpType = version === 4 ? 8 : 128;
  f.icmpCode = 0;
  f.icmpId = 4242;
  f.icmpSeq = 7;
  f.payloadLength = 333;
  f.payloadTag = 0xa55a;
  f.ttl = 63;
  f.ipId = 0xbeef;
  f.pktType = 4;
  f.ifIndex = 9;
  return f;
}

const CASES = [4, 6].flatMap((v) => [6, 17, v === 4 ? 1 : 58].map((p) => [v as 4 | 6, p] as const));

describe('synth - buildFrame', () => {
  for (const linkType of SYNTH_LINK_TYPES) {
    for (const [version, protocol] of CASES) {
      it(`synth - link ${linkType}, IPv${version}, protocol ${protocol} decodes to the fields written`, () => {
        const f = fields(version, protocol);
        const buf = new Uint8Array(2048).fill(0xaa);
        const length = buildFrame(buf, 100, linkType, f);
        expect(length).toBe(frameLength(linkType, f));
        const meta = new PacketMeta();
        expect(decodeFrame(buf, 100, length, length, linkType, meta)).toBe(DecodeStatus.OK);
        expect(meta.ipVersion).toBe(version);
        expect([...meta.src]).toEqual([...f.src]);
        expect([...meta.dst]).toEqual([...f.dst]);
        expect(meta.protocol).toBe(protocol);
        expect(meta.ttl).toBe(63);
        expect(meta.isFragment).toBe(false);
        expect(meta.payloadLength).toBe(333);
        expect(meta.ipLength).toBe(length - (meta.l3Offset - 100));
        if (version === 4) expect(meta.fragmentId).toBe(0xbeef);
        if (linkType === 113 || linkType === 276) expect(meta.pktType).toBe(4);
        if (linkType === 276) expect(meta.ifIndex).toBe(9);
        if (protocol === 6 || protocol === 17) {
          expect([meta.srcPort, meta.dstPort]).toEqual([40123, 8080]);
        }
        if (protocol === 6) {
          expect([meta.tcpFlags, meta.tcpSeq, meta.tcpAck, meta.tcpWindow]).toEqual([TcpFlag.PSH | TcpFlag.ACK, 0xfffffff0, 123456789, 502]);
        }
        if (protocol === 1 || protocol === 58) {
          expect([meta.icmpType, meta.icmpCode, meta.icmpId]).toEqual([version === 4 ? 8 : 128, 0, 4242]);
          expect((buf[meta.l4Offset + 6]! << 8) | buf[meta.l4Offset + 7]!).toBe(7);
        }
        // Checksums: the IPv4 header, and L4 with its pseudo-header (none for ICMPv4) sum to 0xffff.
        const end = 100 + length;
        if (version === 4) expect(onesComplement(buf, meta.l3Offset, meta.l3Offset + 20)).toBe(0xffff);
        const l4Length = end - meta.l4Offset;
        expect(onesComplement(buf, meta.l4Offset, end, protocol === 1 ? 0 : pseudoSum(meta, l4Length))).toBe(0xffff);
        const payloadAt = end - 333;
        expect([buf[payloadAt], buf[payloadAt + 1], buf[payloadAt + 2], buf[end - 1]]).toEqual([0xa5, 0x5a, 0, 0]);
        // Nothing written past the frame.
        expect(buf[end]).toBe(0xaa);
        expect(buf[99]).toBe(0xaa);
      });
    }
  }

  it('synth - a frame that does not fit is refused', () => {
    expect(() => buildFrame(new Uint8Array(60), 0, 1, fields(4, 6))).toThrow(RangeError);
    expect(() => buildFrame(new Uint8Array(2048), 0, 105, fields(4, 6))).toThrow(/link type 105/);
  });

  it('synth - TCP flag letters round-trip', () => {
    expect(formatTcpFlags(TcpFlag.SYN)).toBe('S');
    expect(formatTcpFlags(TcpFlag.SYN | TcpFlag.ACK)).toBe('SA');
    expect(formatTcpFlags(TcpFlag.FIN | TcpFlag.ACK)).toBe('FA');
    expect(formatTcpFlags(TcpFlag.PSH | TcpFlag.ACK)).toBe('PA');
    for (let flags = 0; flags < 256; flags++) expect(parseTcpFlags(formatTcpFlags(flags))).toBe(flags);
    expect(parseTcpFlags('SS')).toBe(-1);
    expect(parseTcpFlags('X')).toBe(-1);
  });
});
