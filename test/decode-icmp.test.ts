import { describe, it, expect } from 'vitest';
import { decodeFrame } from '../dataplane/decode/decode-frame.js';
import { DecodeStatus, PacketMeta, TcpFlag } from '../dataplane/packet-meta.js';
import { bytes, echoRest, ethernet, icmp, ipv4, ipv4Word, ipv6, ipv6Words, sctp, tcp, udp } from './helpers/build-frame.js';

function decodeEth(etherType: number, packet: Uint8Array, capturedLength?: number): [DecodeStatus, PacketMeta] {
  const frame = ethernet(etherType, packet);
  const meta = new PacketMeta();
  return [decodeFrame(frame, 0, capturedLength ?? frame.length, frame.length, 1, meta), meta];
}

/** What a router sends back: the offending IPv4 packet cut to its header + 8 bytes (RFC 792). */
function quoteV4(packet: Uint8Array): Uint8Array {
  return packet.subarray(0, ((packet[0]! & 0x0f) * 4) + 8);
}

describe('decodeIcmp', () => {
  it('decodeIcmpv4 - echo request id', () => {
    const [status, meta] = decodeEth(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 1 }, icmp(8, 0, echoRest(0x4242, 7), bytes(56))));
    expect(status).toBe(DecodeStatus.OK);
    expect([meta.l4Offset, meta.icmpType, meta.icmpCode, meta.icmpId, meta.payloadLength, meta.hasInner]).toEqual([34, 8, 0, 0x4242, 56, false]);
    expect([meta.srcPort, meta.dstPort]).toEqual([0, 0]);
  });

  it('decodeIcmpv4 - every query type carries an id (0, 8, 13–18)', () => {
    for (const type of [0, 8, 13, 14, 15, 16, 17, 18]) {
      const [status, meta] = decodeEth(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 1 }, icmp(type, 0, echoRest(type + 100, 1), bytes(12))));
      expect(status).toBe(DecodeStatus.OK);
      expect(meta.icmpId).toBe(type + 100);
    }
    const [, redirectLike] = decodeEth(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 1 }, icmp(9, 0, echoRest(555, 1))));
    expect(redirectLike.icmpId).toBe(0); // router advertisement: no id
  });

  it('decodeIcmpv4 - port unreachable embeds the UDP flow', () => {
    const offending = ipv4({ src: '10.0.0.2', dst: '10.0.0.9', protocol: 17 }, udp(41000, 9999, bytes(100)));
    const [status, meta] = decodeEth(0x0800, ipv4({ src: '10.0.0.9', dst: '10.0.0.2', protocol: 1 }, icmp(3, 3, 0, offending)));
    expect(status).toBe(DecodeStatus.OK);
    expect([meta.icmpType, meta.icmpCode, meta.icmpId, meta.hasInner, meta.innerIpVersion, meta.innerProtocol]).toEqual([3, 3, 0, true, 4, 17]);
    expect(Array.from(meta.innerSrc)).toEqual([ipv4Word('10.0.0.2'), 0, 0, 0]);
    expect(Array.from(meta.innerDst)).toEqual([ipv4Word('10.0.0.9'), 0, 0, 0]);
    expect([meta.innerSrcPort, meta.innerDstPort]).toEqual([41000, 9999]);
  });

  it('decodeIcmpv4 - time exceeded quoting a TCP SYN cut to 8 bytes (RFC 792)', () => {
    const offending = ipv4({ src: '10.0.0.2', dst: '8.8.8.8', protocol: 6, ttl: 1, options: [1, 1, 1, 0] }, tcp({ srcPort: 50123, dstPort: 443, flags: TcpFlag.SYN }));
    const [status, meta] = decodeEth(0x0800, ipv4({ src: '192.0.2.1', dst: '10.0.0.2', protocol: 1 }, icmp(11, 0, 0, quoteV4(offending))));
    expect(status).toBe(DecodeStatus.OK);
    expect([meta.hasInner, meta.innerProtocol, meta.innerSrcPort, meta.innerDstPort]).toEqual([true, 6, 50123, 443]);
    expect(meta.innerDst[0]).toBe(ipv4Word('8.8.8.8'));
  });

  it('decodeIcmpv4 - error quoting an echo request gives the inner type and id', () => {
    const offending = ipv4({ src: '10.0.0.2', dst: '10.9.9.9', protocol: 1 }, icmp(8, 0, echoRest(0x0777, 3), bytes(56)));
    const [status, meta] = decodeEth(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 1 }, icmp(3, 1, 0, quoteV4(offending))));
    expect(status).toBe(DecodeStatus.OK);
    expect([meta.innerProtocol, meta.innerIcmpType, meta.innerIcmpId]).toEqual([1, 8, 0x0777]);
  });

  it('decodeIcmpv4 - error quoting SCTP gives the inner ports', () => {
    const offending = ipv4({ src: '10.0.0.2', dst: '10.0.0.3', protocol: 132 }, sctp(5000, 36412, 0));
    const [status, meta] = decodeEth(0x0800, ipv4({ src: '10.0.0.3', dst: '10.0.0.2', protocol: 1 }, icmp(3, 2, 0, quoteV4(offending))));
    expect(status).toBe(DecodeStatus.OK);
    expect([meta.innerProtocol, meta.innerSrcPort, meta.innerDstPort]).toEqual([132, 5000, 36412]);
  });

  it('decodeIcmpv4 - error quoting a non-first fragment has no inner ports', () => {
    const offending = ipv4({ src: '10.0.0.2', dst: '10.0.0.3', protocol: 17, fragmentOffset: 1480 }, bytes(20, 7));
    const [status, meta] = decodeEth(0x0800, ipv4({ src: '10.0.0.3', dst: '10.0.0.2', protocol: 1 }, icmp(11, 1, 0, quoteV4(offending))));
    expect(status).toBe(DecodeStatus.OK);
    expect([meta.hasInner, meta.innerProtocol, meta.innerSrcPort, meta.innerDstPort]).toEqual([true, 17, 0, 0]);
  });

  it('decodeIcmpv4 - an error cut inside the quoted L4 ports is TRUNCATED with the inner addresses', () => {
    const offending = ipv4({ src: '10.0.0.2', dst: '10.0.0.9', protocol: 17 }, udp(41000, 9999));
    const packet = ipv4({ src: '10.0.0.9', dst: '10.0.0.2', protocol: 1 }, icmp(3, 3, 0, offending));
    const [status, meta] = decodeEth(0x0800, packet, 14 + 20 + 8 + 20 + 2);
    expect(status).toBe(DecodeStatus.TRUNCATED);
    expect([meta.icmpType, meta.hasInner, meta.innerProtocol, meta.innerSrcPort]).toEqual([3, true, 17, 0]);
  });

  it('decodeIcmpv4 - an error whose message has no room for the quoted header is MALFORMED', () => {
    const [status, meta] = decodeEth(0x0800, ipv4({ src: '10.0.0.9', dst: '10.0.0.2', protocol: 1 }, icmp(3, 3, 0, bytes(12, 0x45))));
    expect(status).toBe(DecodeStatus.MALFORMED);
    expect(meta.hasInner).toBe(false);
  });

  it('decodeIcmpv4 - an error quoting an IPv6 header is MALFORMED', () => {
    const offending = ipv6({ src: 'fd00::1', dst: 'fd00::2', nextHeader: 17 }, udp(1, 2));
    expect(decodeEth(0x0800, ipv4({ src: '10.0.0.9', dst: '10.0.0.2', protocol: 1 }, icmp(3, 3, 0, offending)))[0]).toBe(DecodeStatus.MALFORMED);
  });

  it('decodeIcmpv6 - echo request and reply ids', () => {
    for (const type of [128, 129]) {
      const [status, meta] = decodeEth(0x86dd, ipv6({ src: 'fd00::1', dst: 'fd00::2', nextHeader: 58 }, icmp(type, 0, echoRest(0x1d1d, 1), bytes(16))));
      expect(status).toBe(DecodeStatus.OK);
      expect([meta.protocol, meta.l4Offset, meta.icmpType, meta.icmpCode, meta.icmpId, meta.payloadLength]).toEqual([58, 54, type, 0, 0x1d1d, 16]);
    }
  });

  it('decodeIcmpv6 - MLDv2 report behind a hop-by-hop header has a type and no id', () => {
    const [status, meta] = decodeEth(0x86dd, ipv6({ src: 'fe80::1', dst: 'ff02::16', nextHeader: 58, hopLimit: 1, ext: [{ type: 0 }] }, icmp(143, 0, 1, bytes(20))));
    expect(status).toBe(DecodeStatus.OK);
    expect([meta.l4Offset, meta.icmpType, meta.icmpId, meta.hasInner]).toEqual([62, 143, 0, false]);
  });

  it('decodeIcmpv6 - port unreachable quoting UDP behind a fragment header', () => {
    const offending = ipv6({ src: 'fd00::2', dst: 'fd00::9', nextHeader: 17, ext: [{ type: 60 }, { type: 44, moreFragments: true, id: 3 }] }, udp(41000, 9999, bytes(64)));
    const [status, meta] = decodeEth(0x86dd, ipv6({ src: 'fd00::9', dst: 'fd00::2', nextHeader: 58 }, icmp(1, 4, 0, offending)));
    expect(status).toBe(DecodeStatus.OK);
    expect([meta.icmpType, meta.icmpCode, meta.hasInner, meta.innerIpVersion, meta.innerProtocol, meta.innerSrcPort, meta.innerDstPort]).toEqual([1, 4, true, 6, 17, 41000, 9999]);
    expect(Array.from(meta.innerSrc)).toEqual(ipv6Words('fd00::2'));
    expect(Array.from(meta.innerDst)).toEqual(ipv6Words('fd00::9'));
  });

  it('decodeIcmpv6 - packet too big quoting a TCP segment', () => {
    const offending = ipv6({ src: 'fd00::2', dst: 'fd00::9', nextHeader: 6 }, tcp({ srcPort: 1111, dstPort: 2222, flags: TcpFlag.ACK }, bytes(1400)));
    const [status, meta] = decodeEth(0x86dd, ipv6({ src: 'fd00::1', dst: 'fd00::2', nextHeader: 58 }, icmp(2, 0, 1280, offending.subarray(0, 1232))));
    expect(status).toBe(DecodeStatus.OK);
    expect([meta.icmpType, meta.innerProtocol, meta.innerSrcPort, meta.innerDstPort]).toEqual([2, 6, 1111, 2222]);
  });

  it('decodeIcmpv6 - error quoting an echo request gives the inner id', () => {
    const offending = ipv6({ src: 'fd00::2', dst: 'fd00::9', nextHeader: 58 }, icmp(128, 0, echoRest(0x0abc, 1), bytes(8)));
    const [status, meta] = decodeEth(0x86dd, ipv6({ src: 'fd00::1', dst: 'fd00::2', nextHeader: 58 }, icmp(3, 0, 0, offending)));
    expect(status).toBe(DecodeStatus.OK);
    expect([meta.innerProtocol, meta.innerIcmpType, meta.innerIcmpId]).toEqual([58, 128, 0x0abc]);
  });

  it('decodeIcmp - ICMPv6 inside IPv4 is not decoded as ICMP', () => {
    const [status, meta] = decodeEth(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 58 }, icmp(128, 0, echoRest(1, 1))));
    expect(status).toBe(DecodeStatus.OK);
    expect([meta.protocol, meta.l4Offset, meta.icmpType]).toEqual([58, -1, -1]);
  });
});
