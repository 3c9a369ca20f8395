import { describe, it, expect } from 'vitest';
import { decodeFrame } from '../dataplane/decode/decode-frame.js';
import { DecodeStatus, PacketMeta } from '../dataplane/packet-meta.js';
import { bytes, concat, ethernet, ipv6, ipv6Words, tcp, udp, type Ipv6Ext } from './helpers/build-frame.js';

function decodeEth(packet: Uint8Array): [DecodeStatus, PacketMeta] {
  const frame = ethernet(0x86dd, packet);
  const meta = new PacketMeta();
  return [decodeFrame(frame, 0, frame.length, frame.length, 1, meta), meta];
}

const addrs = { src: '2001:db8::a', dst: 'fe80::1:2:3:4' };

describe('decodeIpv6', () => {
  it('decodeIpv6 - header fields', () => {
    const [status, meta] = decodeEth(ipv6({ ...addrs, nextHeader: 6, hopLimit: 255 }, tcp({ srcPort: 443, dstPort: 50000, flags: 0x12 }, bytes(7))));
    expect(status).toBe(DecodeStatus.OK);
    expect(Array.from(meta.src)).toEqual(ipv6Words('2001:db8::a'));
    expect(Array.from(meta.dst)).toEqual([0xfe800000, 0, 0x00010002, 0x00030004]);
    expect([meta.ipVersion, meta.ttl, meta.ipLength, meta.protocol, meta.l4Offset]).toEqual([6, 255, 67, 6, 54]);
    expect([meta.srcPort, meta.dstPort, meta.tcpFlags, meta.payloadLength, meta.isFragment]).toEqual([443, 50000, 0x12, 7, false]);
  });

  it('decodeIpv6 - hop-by-hop + fragment header (first fragment) reach UDP', () => {
    const ext: Ipv6Ext[] = [{ type: 0, length: 16 }, { type: 44, moreFragments: true, id: 0xdeadbeef }];
    const [status, meta] = decodeEth(ipv6({ ...addrs, nextHeader: 17, ext }, udp(546, 547, bytes(1200))));
    expect(status).toBe(DecodeStatus.OK);
    expect([meta.protocol, meta.l4Offset, meta.srcPort, meta.dstPort]).toEqual([17, 14 + 40 + 24, 546, 547]);
    expect([meta.isFragment, meta.moreFragments, meta.fragmentOffset, meta.fragmentId]).toEqual([true, true, 0, 0xdeadbeef]);
    expect(meta.payloadLength).toBe(1200);
  });

  it('decodeIpv6 - non-first fragment stops at the fragment header, no ports', () => {
    const ext: Ipv6Ext[] = [{ type: 0 }, { type: 44, fragmentOffset: 1448, id: 9 }];
    const [status, meta] = decodeEth(ipv6({ ...addrs, nextHeader: 17, ext }, concat([1, 2, 3, 4], bytes(60))));
    expect(status).toBe(DecodeStatus.OK);
    expect([meta.protocol, meta.isFragment, meta.moreFragments, meta.fragmentOffset, meta.fragmentId]).toEqual([17, true, false, 1448, 9]);
    expect([meta.l4Offset, meta.srcPort, meta.dstPort, meta.payloadLength]).toEqual([-1, 0, 0, 64]);
  });

  it('decodeIpv6 - atomic fragment (offset 0, no M flag) is a whole packet', () => {
    const [status, meta] = decodeEth(ipv6({ ...addrs, nextHeader: 6, ext: [{ type: 44, id: 5 }] }, tcp({ srcPort: 1, dstPort: 2 })));
    expect(status).toBe(DecodeStatus.OK);
    expect([meta.isFragment, meta.fragmentId, meta.dstPort]).toEqual([false, 5, 2]);
  });

  it('decodeIpv6 - routing, destination options, AH and mobility headers are skipped', () => {
    const ext: Ipv6Ext[] = [{ type: 0 }, { type: 60, length: 24 }, { type: 43, length: 40 }, { type: 51, length: 24 }, { type: 135, length: 16 }, { type: 60 }];
    const [status, meta] = decodeEth(ipv6({ ...addrs, nextHeader: 6, ext }, tcp({ srcPort: 22, dstPort: 33 })));
    expect(status).toBe(DecodeStatus.OK);
    expect([meta.protocol, meta.l4Offset, meta.srcPort, meta.dstPort]).toEqual([6, 14 + 40 + 8 + 24 + 40 + 24 + 16 + 8, 22, 33]);
  });

  it('decodeIpv6 - 8 extension headers are walked, a 9th is MALFORMED', () => {
    const eight: Ipv6Ext[] = Array.from({ length: 8 }, () => ({ type: 60 }) as const);
    const [okStatus, okMeta] = decodeEth(ipv6({ ...addrs, nextHeader: 17, ext: eight }, udp(1, 2)));
    expect(okStatus).toBe(DecodeStatus.OK);
    expect([okMeta.l4Offset, okMeta.dstPort]).toEqual([14 + 40 + 64, 2]);
    const nine: Ipv6Ext[] = [...eight, { type: 60 }];
    const [status, meta] = decodeEth(ipv6({ ...addrs, nextHeader: 17, ext: nine }, udp(1, 2)));
    expect(status).toBe(DecodeStatus.MALFORMED);
    expect(meta.ipVersion).toBe(6);
    expect(meta.dstPort).toBe(0);
  });

  it('decodeIpv6 - ESP ends the walk', () => {
    const [status, meta] = decodeEth(ipv6({ ...addrs, nextHeader: 50, ext: [{ type: 60 }] }, bytes(40)));
    expect(status).toBe(DecodeStatus.OK);
    expect([meta.protocol, meta.l4Offset, meta.payloadLength]).toEqual([50, -1, 40]);
  });

  it('decodeIpv6 - no next header (59) ends the walk', () => {
    const [status, meta] = decodeEth(ipv6({ ...addrs, nextHeader: 59, ext: [{ type: 0 }] }, new Uint8Array(0)));
    expect(status).toBe(DecodeStatus.OK);
    expect([meta.protocol, meta.l4Offset, meta.payloadLength]).toEqual([59, -1, 0]);
  });

  it('decodeIpv6 - an extension header longer than the packet is MALFORMED', () => {
    const packet = ipv6({ ...addrs, nextHeader: 17, ext: [{ type: 43, length: 8 }] }, udp(1, 2));
    packet[41] = 10; // routing header length: 88 bytes, the packet has 16 after the fixed header
    expect(decodeEth(packet)[0]).toBe(DecodeStatus.MALFORMED);
  });

  it('decodeIpv6 - payload length 0 (jumbo / BIG TCP) falls back to the frame', () => {
    const [status, meta] = decodeEth(ipv6({ ...addrs, nextHeader: 6, payloadLength: 0 }, tcp({ srcPort: 1, dstPort: 2 }, bytes(70000))));
    expect(status).toBe(DecodeStatus.OK);
    expect([meta.ipLength, meta.payloadLength, meta.dstPort]).toEqual([40, 70000, 2]);
  });

  it('decodeIpv6 - version 4 under an IPv6 EtherType is MALFORMED', () => {
    expect(decodeEth(ipv6({ ...addrs, nextHeader: 17, version: 4 }, udp(1, 2)))[0]).toBe(DecodeStatus.MALFORMED);
  });
});
