import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { decodeFrame } from '../dataplane/decode/decode-frame.js';
import { DecodeStatus, PacketMeta, TcpFlag } from '../dataplane/packet-meta.js';
import { bytes, echoRest, ethernet, icmp, ipv4, ipv6, linuxSll, linuxSll2, loopback, sctp, tcp, udp } from './helpers/build-frame.js';

interface Case {
  name: string;
  linkType: number;
  frame: Uint8Array;
  /** Captured bytes needed for OK: every header the decoder reads, nothing more. */
  needed: number;
}

const v4 = { src: '10.0.0.1', dst: '10.0.0.2' };
const v6 = { src: 'fd00::1', dst: 'fd00::2' };
const quotedUdp = ipv4({ src: '10.0.0.2', dst: '10.0.0.9', protocol: 17 }, udp(41000, 9999, bytes(32)));

const cases: Case[] = [
  { name: 'Ethernet/VLAN/IPv4/TCP', linkType: 1, frame: ethernet(0x0800, ipv4({ ...v4, protocol: 6 }, tcp({ srcPort: 1, dstPort: 2, flags: TcpFlag.SYN }, bytes(40))), [{ tpid: 0x8100, vid: 5 }]), needed: 18 + 20 + 20 },
  { name: 'Ethernet/IPv4 options/UDP', linkType: 1, frame: ethernet(0x0800, ipv4({ ...v4, protocol: 17, options: [1, 1, 1, 0] }, udp(1, 2, bytes(40)))), needed: 14 + 24 + 8 },
  { name: 'SLL/IPv4/SCTP', linkType: 113, frame: linuxSll(0, 0x0800, ipv4({ ...v4, protocol: 132 }, sctp(1, 2, 3, bytes(16)))), needed: 16 + 20 + 12 },
  { name: 'SLL2/IPv6 HBH+frag/UDP', linkType: 276, frame: linuxSll2(0x86dd, 1, 0, ipv6({ ...v6, nextHeader: 17, ext: [{ type: 0 }, { type: 44, moreFragments: true }] }, udp(1, 2, bytes(40)))), needed: 20 + 40 + 8 + 8 + 8 },
  { name: 'NULL/IPv6/ICMPv6 echo', linkType: 0, frame: loopback(30, true, ipv6({ ...v6, nextHeader: 58 }, icmp(128, 0, echoRest(1, 1), bytes(40)))), needed: 4 + 40 + 8 },
  { name: 'raw/IPv4/ICMP port unreachable', linkType: 101, frame: ipv4({ ...v4, protocol: 1 }, icmp(3, 3, 0, quotedUdp)), needed: 20 + 8 + 20 + 4 },
];

describe('decodeFrame truncation', () => {
  for (const c of cases) {
    it(`decodeFrame - ${c.name} is TRUNCATED at every cut before its last needed byte, OK from there`, () => {
      const meta = new PacketMeta();
      for (let captured = 0; captured <= c.frame.length; captured++) {
        const status = decodeFrame(c.frame, 0, captured, c.frame.length, c.linkType, meta);
        expect([captured, status]).toEqual([captured, captured < c.needed ? DecodeStatus.TRUNCATED : DecodeStatus.OK]);
      }
    });
  }

  it('decodeFrame - a TCP header cut after the ports is TRUNCATED but keeps addresses and ports', () => {
    const frame = ethernet(0x0800, ipv4({ ...v4, protocol: 6 }, tcp({ srcPort: 5555, dstPort: 443, flags: TcpFlag.SYN })));
    const meta = new PacketMeta();
    expect(decodeFrame(frame, 0, 14 + 20 + 6, frame.length, 1, meta)).toBe(DecodeStatus.TRUNCATED);
    expect([meta.ipVersion, meta.protocol, meta.l4Offset, meta.srcPort, meta.dstPort, meta.tcpFlags]).toEqual([4, 6, 34, 5555, 443, 0]);
    expect(decodeFrame(frame, 0, 14 + 20 + 3, frame.length, 1, meta)).toBe(DecodeStatus.TRUNCATED);
    expect([meta.ipVersion, meta.l4Offset, meta.srcPort]).toEqual([4, -1, 0]);
  });

  it('decodeFrame - a capturedLength past the buffer end is TRUNCATED, not a read out of bounds', () => {
    const frame = ethernet(0x0800, ipv4({ ...v4, protocol: 6 }, tcp({ srcPort: 1, dstPort: 2 })));
    const meta = new PacketMeta();
    expect(decodeFrame(frame.subarray(0, 40), 0, frame.length, frame.length, 1, meta)).toBe(DecodeStatus.TRUNCATED);
  });

  it('decodeFrame - never throws and returns a known status on random bytes', () => {
    const meta = new PacketMeta();
    const statuses = new Set<number>(Object.values(DecodeStatus));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom(0, 1, 101, 108, 113, 228, 229, 276), fc.nat(300), (buf, linkType, wire) => {
        const status = decodeFrame(buf, 0, buf.length, wire, linkType, meta);
        expect(statuses.has(status)).toBe(true);
      }),
      { numRuns: 3000, seed: 42 },
    );
  });

  it('decodeFrame - never throws on valid frames with random bytes overwritten', () => {
    const meta = new PacketMeta();
    fc.assert(
      fc.property(fc.constantFrom(...cases), fc.array(fc.tuple(fc.nat(200), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat(200), (c, edits, cut) => {
        const frame = c.frame.slice();
        for (const [at, value] of edits) frame[at % frame.length] = value;
        const status = decodeFrame(frame, 0, Math.min(cut, frame.length), frame.length, c.linkType, meta);
        expect(status).toBeGreaterThanOrEqual(0);
        expect(status).toBeLessThanOrEqual(4);
        if (status === DecodeStatus.OK && meta.l4Offset >= 0) expect(meta.l4Offset).toBeLessThan(frame.length);
      }),
      { numRuns: 3000, seed: 7 },
    );
  });
});
