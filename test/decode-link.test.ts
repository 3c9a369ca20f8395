import { describe, it, expect } from 'vitest';
import { decodeFrame } from '../dataplane/decode/decode-frame.js';
import { DecodeStatus, PacketMeta } from '../dataplane/packet-meta.js';
import { arp, bytes, concat, ethernet, ipv4, ipv4Word, ipv6, ipv6Words, linuxSll, linuxSll2, loopback, udp } from './helpers/build-frame.js';

const v4Udp = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 17 }, udp(40000, 53, bytes(4)));
const v6Udp = ipv6({ src: 'fd00::1', dst: 'fd00::2', nextHeader: 17 }, udp(40000, 53, bytes(4)));

function decode(frame: Uint8Array, linkType: number, meta = new PacketMeta()): [DecodeStatus, PacketMeta] {
  return [decodeFrame(frame, 0, frame.length, frame.length, linkType, meta), meta];
}

function expectV4Udp(meta: PacketMeta, l3Offset: number): void {
  expect(meta.l3Offset).toBe(l3Offset);
  expect(meta.ipVersion).toBe(4);
  expect(meta.src[0]).toBe(ipv4Word('10.0.0.1'));
  expect(meta.dst[0]).toBe(ipv4Word('10.0.0.2'));
  expect([meta.protocol, meta.srcPort, meta.dstPort, meta.l4Offset]).toEqual([17, 40000, 53, l3Offset + 20]);
}

describe('decodeFrame link layer', () => {
  it('decodeFrame - Ethernet IPv4', () => {
    const [status, meta] = decode(ethernet(0x0800, v4Udp), 1);
    expect(status).toBe(DecodeStatus.OK);
    expect([meta.linkType, meta.etherType, meta.pktType, meta.ifIndex, meta.vlanCount, meta.vlanId]).toEqual([1, 0x0800, -1, -1, 0, -1]);
    expectV4Udp(meta, 14);
  });

  it('decodeFrame - Ethernet IPv6', () => {
    const [status, meta] = decode(ethernet(0x86dd, v6Udp), 1);
    expect(status).toBe(DecodeStatus.OK);
    expect(meta.etherType).toBe(0x86dd);
    expect(Array.from(meta.src)).toEqual(ipv6Words('fd00::1'));
    expect(Array.from(meta.dst)).toEqual(ipv6Words('fd00::2'));
    expect([meta.protocol, meta.srcPort, meta.dstPort, meta.l4Offset]).toEqual([17, 40000, 53, 54]);
  });

  it('decodeFrame - Ethernet with one 802.1Q tag', () => {
    const [status, meta] = decode(ethernet(0x0800, v4Udp, [{ tpid: 0x8100, vid: 100, pcp: 5 }]), 1);
    expect(status).toBe(DecodeStatus.OK);
    expect([meta.vlanCount, meta.vlanId]).toEqual([1, 100]);
    expectV4Udp(meta, 18);
  });

  it('decodeFrame - Ethernet with stacked 802.1ad + 802.1Q + legacy 0x9100 tags', () => {
    const tags = [
      { tpid: 0x88a8, vid: 4001 },
      { tpid: 0x8100, vid: 7 },
      { tpid: 0x9100, vid: 12 },
    ];
    const [status, meta] = decode(ethernet(0x86dd, v6Udp, tags), 1);
    expect(status).toBe(DecodeStatus.OK);
    expect([meta.vlanCount, meta.vlanId, meta.etherType, meta.l3Offset]).toEqual([3, 4001, 0x86dd, 26]);
    expect([meta.srcPort, meta.dstPort]).toEqual([40000, 53]);
  });

  it('decodeFrame - Ethernet cut inside a VLAN tag is TRUNCATED', () => {
    const frame = ethernet(0x0800, v4Udp, [{ tpid: 0x8100, vid: 100 }, { tpid: 0x8100, vid: 200 }]);
    const meta = new PacketMeta();
    expect(decodeFrame(frame, 0, 20, frame.length, 1, meta)).toBe(DecodeStatus.TRUNCATED);
    expect(meta.vlanCount).toBe(1);
  });

  it('decodeFrame - ARP over Ethernet is NOT_IP', () => {
    const [status, meta] = decode(ethernet(0x0806, arp()), 1);
    expect(status).toBe(DecodeStatus.NOT_IP);
    expect(meta.etherType).toBe(0x0806);
    expect(meta.ipVersion).toBe(0);
  });

  it('decodeFrame - 802.3 LLC frame (length in the EtherType field) is NOT_IP', () => {
    const [status] = decode(ethernet(38, concat([0x42, 0x42, 0x03], bytes(35))), 1);
    expect(status).toBe(DecodeStatus.NOT_IP);
  });

  it('decodeFrame - Linux SLL keeps pkttype and has no ifindex', () => {
    const [status, meta] = decode(linuxSll(4, 0x0800, v4Udp), 113);
    expect(status).toBe(DecodeStatus.OK);
    expect([meta.pktType, meta.ifIndex, meta.etherType]).toEqual([4, -1, 0x0800]);
    expectV4Udp(meta, 16);
  });

  it('decodeFrame - Linux SLL with a reinserted VLAN tag', () => {
    const tagged = concat([0x00, 0x0a, 0x08, 0x00], v4Udp);
    const [status, meta] = decode(linuxSll(0, 0x8100, tagged), 113);
    expect(status).toBe(DecodeStatus.OK);
    expect([meta.vlanCount, meta.vlanId]).toEqual([1, 10]);
    expectV4Udp(meta, 20);
  });

  it('decodeFrame - Linux SLL2 keeps pkttype and ifindex', () => {
    const [status, meta] = decode(linuxSll2(0x86dd, 0x01020304, 3, v6Udp), 276);
    expect(status).toBe(DecodeStatus.OK);
    expect([meta.pktType, meta.ifIndex, meta.etherType, meta.l3Offset, meta.dstPort]).toEqual([3, 0x01020304, 0x86dd, 20, 53]);
  });

  it('decodeFrame - Linux SLL2 ARP is NOT_IP with pkttype set', () => {
    const [status, meta] = decode(linuxSll2(0x0806, 7, 1, arp()), 276);
    expect(status).toBe(DecodeStatus.NOT_IP);
    expect([meta.pktType, meta.ifIndex]).toEqual([1, 7]);
  });

  it('decodeFrame - raw IP (101) takes the version from the first nibble', () => {
    const [s4, m4] = decode(v4Udp, 101);
    expect(s4).toBe(DecodeStatus.OK);
    expect([m4.etherType, m4.l3Offset]).toEqual([0x0800, 0]);
    expectV4Udp(m4, 0);
    const [s6, m6] = decode(v6Udp, 101);
    expect(s6).toBe(DecodeStatus.OK);
    expect([m6.ipVersion, m6.etherType, m6.dstPort]).toEqual([6, 0x86dd, 53]);
    const [s5] = decode(concat([0x50], bytes(30)), 101);
    expect(s5).toBe(DecodeStatus.MALFORMED);
  });

  it('decodeFrame - LINKTYPE_IPV4 (228) and LINKTYPE_IPV6 (229) reject the other version', () => {
    expect(decode(v4Udp, 228)[0]).toBe(DecodeStatus.OK);
    expect(decode(v6Udp, 229)[0]).toBe(DecodeStatus.OK);
    expect(decode(v6Udp, 228)[0]).toBe(DecodeStatus.MALFORMED);
    expect(decode(v4Udp, 229)[0]).toBe(DecodeStatus.MALFORMED);
  });

  it('decodeFrame - NULL (0) reads the family in either host byte order', () => {
    const [sLe, mLe] = decode(loopback(2, true, v4Udp), 0);
    expect(sLe).toBe(DecodeStatus.OK);
    expectV4Udp(mLe, 4);
    const [sBe, mBe] = decode(loopback(2, false, v4Udp), 0);
    expect(sBe).toBe(DecodeStatus.OK);
    expectV4Udp(mBe, 4);
    for (const family of [24, 28, 30]) {
      const [s, m] = decode(loopback(family, true, v6Udp), 0);
      expect(s).toBe(DecodeStatus.OK);
      expect([m.ipVersion, m.dstPort]).toEqual([6, 53]);
    }
  });

  it('decodeFrame - LOOP (108) reads the family in network order', () => {
    const [s, m] = decode(loopback(30, false, v6Udp), 108);
    expect(s).toBe(DecodeStatus.OK);
    expect([m.ipVersion, m.l3Offset]).toEqual([6, 4]);
    // Little-endian 2 read in network order is 0x02000000: not a family.
    expect(decode(loopback(2, true, v4Udp), 108)[0]).toBe(DecodeStatus.NOT_IP);
  });

  it('decodeFrame - NULL with an unknown family is NOT_IP', () => {
    expect(decode(loopback(7, true, v4Udp), 0)[0]).toBe(DecodeStatus.NOT_IP);
  });

  it('decodeFrame - an unknown link type is UNSUPPORTED_LINK', () => {
    const [status, meta] = decode(ethernet(0x0800, v4Udp), 147);
    expect(status).toBe(DecodeStatus.UNSUPPORTED_LINK);
    expect([meta.linkType, meta.ipVersion]).toEqual([147, 0]);
  });

  it('decodeFrame - a frame at a non-zero offset of a larger buffer', () => {
    const frame = linuxSll2(0x0800, 2, 0, v4Udp);
    const buf = concat(bytes(37, 0xff), frame, bytes(50, 0xee));
    const meta = new PacketMeta();
    expect(decodeFrame(buf, 37, frame.length, frame.length, 276, meta)).toBe(DecodeStatus.OK);
    expectV4Udp(meta, 37 + 20);
    expect(meta.payloadLength).toBe(4);
  });

  it('decodeFrame - resets fields a previous frame set', () => {
    const meta = new PacketMeta();
    decode(linuxSll2(0x86dd, 9, 4, v6Udp), 276, meta);
    const [status] = decode(ethernet(0x0806, arp()), 1, meta);
    expect(status).toBe(DecodeStatus.NOT_IP);
    expect([meta.pktType, meta.ifIndex, meta.ipVersion, meta.srcPort, meta.l4Offset]).toEqual([-1, -1, 0, 0, -1]);
    expect(Array.from(meta.src)).toEqual([0, 0, 0, 0]);
  });
});
