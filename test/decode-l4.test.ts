import { describe, it, expect } from 'vitest';
import { decodeFrame } from '../dataplane/decode/decode-frame.js';
import { DecodeStatus, PacketMeta, TcpFlag } from '../dataplane/packet-meta.js';
import { bytes, concat, ipv4, ipv6, linuxSll2, sctp, tcp, udp } from './helpers/build-frame.js';

function decodeRaw(packet: Uint8Array): [DecodeStatus, PacketMeta] {
  const meta = new PacketMeta();
  return [decodeFrame(packet, 0, packet.length, packet.length, 101, meta), meta];
}

const v4 = { src: '10.1.0.5', dst: '10.2.0.9' };

describe('decodeTransport', () => {
  it('decodeTcp - ports, seq, ack, flags, window, payload', () => {
    const segment = tcp({ srcPort: 0xfffe, dstPort: 8080, seq: 0xf0000001, ack: 0x80000000, flags: TcpFlag.PSH | TcpFlag.ACK, window: 0xffff }, bytes(300));
    const [status, meta] = decodeRaw(ipv4({ ...v4, protocol: 6 }, segment));
    expect(status).toBe(DecodeStatus.OK);
    expect([meta.l4Offset, meta.srcPort, meta.dstPort]).toEqual([20, 0xfffe, 8080]);
    expect([meta.tcpSeq, meta.tcpAck, meta.tcpFlags, meta.tcpWindow, meta.payloadLength]).toEqual([0xf0000001, 0x80000000, 0x18, 0xffff, 300]);
  });

  it('decodeTcp - options shorten the payload', () => {
    const options = [2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7]; // MSS, NOP, NOP, SACK-permitted, NOP, WS
    const [status, meta] = decodeRaw(ipv6({ src: 'fd00::1', dst: 'fd00::2', nextHeader: 6 }, tcp({ srcPort: 1, dstPort: 2, flags: TcpFlag.SYN, options }, bytes(10))));
    expect(status).toBe(DecodeStatus.OK);
    expect([meta.tcpFlags, meta.payloadLength]).toEqual([TcpFlag.SYN, 10]);
  });

  it('decodeTcp - data offset below 5 is MALFORMED', () => {
    expect(decodeRaw(ipv4({ ...v4, protocol: 6 }, tcp({ srcPort: 1, dstPort: 2, dataOffset: 4 })))[0]).toBe(DecodeStatus.MALFORMED);
  });

  it('decodeTcp - data offset past the packet end is MALFORMED', () => {
    expect(decodeRaw(ipv4({ ...v4, protocol: 6 }, tcp({ srcPort: 1, dstPort: 2, dataOffset: 15 })))[0]).toBe(DecodeStatus.MALFORMED);
  });

  it('decodeTcp - options need not be captured', () => {
    const packet = ipv4({ ...v4, protocol: 6 }, tcp({ srcPort: 1, dstPort: 2, flags: TcpFlag.SYN, options: Array<number>(20).fill(1) }));
    const meta = new PacketMeta();
    expect(decodeFrame(packet, 0, 44, packet.length, 101, meta)).toBe(DecodeStatus.OK);
    expect([meta.tcpFlags, meta.payloadLength]).toEqual([TcpFlag.SYN, 0]);
  });

  it('decodeUdp - ports and payload from the IP length, not the UDP length', () => {
    const datagram = udp(4789, 4789, bytes(50));
    datagram[5] = 9; // UDP length lies (9): the IP-derived extent wins
    const [status, meta] = decodeRaw(ipv4({ ...v4, protocol: 17 }, datagram));
    expect(status).toBe(DecodeStatus.OK);
    expect([meta.l4Offset, meta.srcPort, meta.dstPort, meta.payloadLength]).toEqual([20, 4789, 4789, 50]);
  });

  it('decodeSctp - ports from the common header', () => {
    const initChunk = concat([1, 0, 0, 20], bytes(16));
    const [status, meta] = decodeRaw(ipv6({ src: 'fd00::1', dst: 'fd00::2', nextHeader: 132 }, sctp(36412, 38412, 0, initChunk)));
    expect(status).toBe(DecodeStatus.OK);
    expect([meta.protocol, meta.l4Offset, meta.srcPort, meta.dstPort, meta.payloadLength]).toEqual([132, 40, 36412, 38412, 20]);
  });

  it('decodeTransport - ports of UDP in SLL2 are found after a 20-byte link header', () => {
    const frame = linuxSll2(0x0800, 3, 4, ipv4({ ...v4, protocol: 17 }, udp(53, 33333)));
    const meta = new PacketMeta();
    expect(decodeFrame(frame, 0, frame.length, frame.length, 276, meta)).toBe(DecodeStatus.OK);
    expect([meta.l4Offset, meta.srcPort, meta.dstPort, meta.payloadLength]).toEqual([40, 53, 33333, 0]);
  });
});
