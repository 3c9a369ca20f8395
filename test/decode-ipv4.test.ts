import { describe, it, expect } from 'vitest';
import { decodeFrame } from '../dataplane/decode/decode-frame.js';
import { DecodeStatus, PacketMeta } from '../dataplane/packet-meta.js';
import { bytes, concat, ethernet, ipv4, ipv4Word, tcp, udp } from './helpers/build-frame.js';

function decodeEth(packet: Uint8Array, wireLength?: number): [DecodeStatus, PacketMeta] {
  const frame = ethernet(0x0800, packet);
  const meta = new PacketMeta();
  return [decodeFrame(frame, 0, frame.length, wireLength ?? frame.length, 1, meta), meta];
}

describe('decodeIpv4', () => {
  it('decodeIpv4 - header fields', () => {
    const [status, meta] = decodeEth(ipv4({ src: '192.168.1.10', dst: '172.16.0.255', protocol: 17, ttl: 63, id: 0xbeef, dontFragment: true }, udp(1, 2, bytes(10))));
    expect(status).toBe(DecodeStatus.OK);
    expect(Array.from(meta.src)).toEqual([ipv4Word('192.168.1.10'), 0, 0, 0]);
    expect(Array.from(meta.dst)).toEqual([ipv4Word('172.16.0.255'), 0, 0, 0]);
    expect([meta.ipVersion, meta.ttl, meta.fragmentId, meta.ipLength, meta.protocol]).toEqual([4, 63, 0xbeef, 38, 17]);
    expect([meta.isFragment, meta.moreFragments, meta.fragmentOffset]).toEqual([false, false, 0]);
    expect(meta.payloadLength).toBe(10);
  });

  it('decodeIpv4 - options move the L4 header', () => {
    // Router alert (4 bytes) + record route with room for 2 addresses (11 bytes) + EOL padding.
    const options = [0x94, 0x04, 0x00, 0x00, 0x07, 0x0b, 0x04, ...Array<number>(8).fill(0), 0x00];
    const [status, meta] = decodeEth(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 6, options }, tcp({ srcPort: 1234, dstPort: 80, flags: 0x02 })));
    expect(status).toBe(DecodeStatus.OK);
    expect(meta.l4Offset).toBe(14 + 36);
    expect([meta.srcPort, meta.dstPort, meta.tcpFlags]).toEqual([1234, 80, 0x02]);
  });

  it('decodeIpv4 - first fragment has the L4 header', () => {
    const [status, meta] = decodeEth(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 17, id: 77, moreFragments: true }, udp(5000, 6000, bytes(1472))));
    expect(status).toBe(DecodeStatus.OK);
    expect([meta.isFragment, meta.moreFragments, meta.fragmentOffset, meta.fragmentId]).toEqual([true, true, 0, 77]);
    expect([meta.l4Offset, meta.srcPort, meta.dstPort]).toEqual([34, 5000, 6000]);
  });

  it('decodeIpv4 - non-first fragment has no L4 header', () => {
    // The payload starts with bytes that would read as ports 0x0102/0x0304 if decoded.
    const payload = concat([1, 2, 3, 4], bytes(96));
    const [status, meta] = decodeEth(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 17, id: 77, fragmentOffset: 1480 }, payload));
    expect(status).toBe(DecodeStatus.OK);
    expect([meta.isFragment, meta.moreFragments, meta.fragmentOffset, meta.fragmentId, meta.protocol]).toEqual([true, false, 1480, 77, 17]);
    expect([meta.l4Offset, meta.srcPort, meta.dstPort]).toEqual([-1, 0, 0]);
    expect(meta.payloadLength).toBe(100);
  });

  it('decodeIpv4 - Ethernet padding after a short packet is not payload', () => {
    const packet = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 6 }, tcp({ srcPort: 1, dstPort: 2, flags: 0x10 }));
    const [status, meta] = decodeEth(concat(packet, bytes(6, 0)));
    expect(status).toBe(DecodeStatus.OK);
    expect([meta.ipLength, meta.payloadLength]).toEqual([40, 0]);
  });

  it('decodeIpv4 - total length 0 (TSO) falls back to the frame length', () => {
    const [status, meta] = decodeEth(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 6, totalLength: 0 }, tcp({ srcPort: 1, dstPort: 2 }, bytes(5000))));
    expect(status).toBe(DecodeStatus.OK);
    expect([meta.ipLength, meta.payloadLength]).toEqual([0, 5000]);
  });

  it('decodeIpv4 - total length beyond the frame (GRO) is clamped to the wire length', () => {
    const packet = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 6, totalLength: 60000 }, tcp({ srcPort: 1, dstPort: 2 }, bytes(100)));
    const [status, meta] = decodeEth(packet);
    expect(status).toBe(DecodeStatus.OK);
    expect([meta.ipLength, meta.payloadLength]).toEqual([60000, 100]);
  });

  it('decodeIpv4 - payload length follows the wire length when the capture is cut (snaplen)', () => {
    const frame = ethernet(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 6 }, tcp({ srcPort: 1, dstPort: 2 }, bytes(1000))));
    const meta = new PacketMeta();
    expect(decodeFrame(frame, 0, 96, frame.length, 1, meta)).toBe(DecodeStatus.OK);
    expect([meta.capturedLength, meta.wireLength, meta.payloadLength]).toEqual([96, frame.length, 1000]);
  });

  it('decodeIpv4 - IHL below 5 is MALFORMED', () => {
    expect(decodeEth(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 17, ihl: 4 }, udp(1, 2)))[0]).toBe(DecodeStatus.MALFORMED);
  });

  it('decodeIpv4 - version 6 under an IPv4 EtherType is MALFORMED', () => {
    expect(decodeEth(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 17, version: 6 }, udp(1, 2)))[0]).toBe(DecodeStatus.MALFORMED);
  });

  it('decodeIpv4 - total length shorter than the header is MALFORMED', () => {
    expect(decodeEth(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 17, totalLength: 19 }, udp(1, 2)))[0]).toBe(DecodeStatus.MALFORMED);
  });

  it('decodeIpv4 - options longer than the total length is MALFORMED', () => {
    const options = Array<number>(20).fill(1);
    expect(decodeEth(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 17, options, totalLength: 30 }, udp(1, 2)))[0]).toBe(DecodeStatus.MALFORMED);
  });

  it('decodeIpv4 - an L4 header beyond the total length is MALFORMED', () => {
    expect(decodeEth(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 6, totalLength: 30 }, tcp({ srcPort: 1, dstPort: 2 })))[0]).toBe(DecodeStatus.MALFORMED);
  });

  it('decodeIpv4 - unknown protocol has no L4 offset', () => {
    const [status, meta] = decodeEth(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 47 }, bytes(24)));
    expect(status).toBe(DecodeStatus.OK);
    expect([meta.protocol, meta.l4Offset, meta.payloadLength, meta.srcPort]).toEqual([47, -1, 24, 0]);
  });
});
