/**
 * Synthetic frames written in place: one reused `FrameFields` record in, the frame's bytes
 * written into a caller-provided buffer, its length out. No allocation per frame, so generating
 * a 10M-packet capture costs the same memory as generating ten.
 *
 * Layers: Ethernet (1), Linux cooked v1 (113) and v2 (276) as `tcpdump -i any` writes them, and
 * raw IP (101); IPv4 (with its header checksum) or IPv6; TCP (20-byte header, no options), UDP,
 * ICMP/ICMPv6 echo. L4 checksums are computed too, so Wireshark shows clean frames; the
 * payload is zeros (only its length matters to the dataplane).
 *
 * MAC addresses are derived from the IP addresses (02:42 + the address's last 4 bytes, the
 * locally administered range Docker also uses), so the same packet always gives the same bytes.
 */
import { TcpFlag } from '../../dataplane/packet-meta.js';
import { foldChecksum, put16, put32, sum16 } from '../../dataplane/packet-bytes.js';

export const SYNTH_LINK_TYPES = [1, 113, 276, 101] as const;
export type SynthLinkType = (typeof SYNTH_LINK_TYPES)[number];

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const PROTO_ICMP = 1;
const PROTO_TCP = 6;
const PROTO_UDP = 17;
const PROTO_ICMPV6 = 58;
const ARPHRD_ETHER = 1;

/** Link header bytes per link type. */
export function linkHeaderBytes(linkType: number): number {
  switch (linkType) {
    case 1:
      return 14;
    case 113:
      return 16;
    case 276:
      return 20;
    case 101:
      return 0;
    default:
      throw new RangeError(`no frame builder for link type ${linkType}; use one of ${SYNTH_LINK_TYPES.join(', ')}`);
  }
}

/** What one frame carries. Reused: set the fields, call `buildFrame`, set them again. */
export class FrameFields {
  ipVersion: 4 | 6 = 4;
  /** 4 big-endian words, IPv4 in word 0 (PacketMeta's layout). */
  readonly src = new Uint32Array(4);
  readonly dst = new Uint32Array(4);
  /** 6 TCP, 17 UDP, 1 ICMP (IPv4), 58 ICMPv6 (IPv6). */
  protocol = PROTO_TCP;
  srcPort = 0;
  dstPort = 0;
  tcpFlags = 0;
  tcpSeq = 0;
  tcpAck = 0;
  tcpWindow = 64240;
  /** ICMP echo request 8 / reply 0; ICMPv6 128 / 129. */
  icmpType = 8;
  icmpCode = 0;
  icmpId = 0;
  icmpSeq = 0;
  /** L4 payload bytes: zeros, except that the first two hold `payloadTag`. */
  payloadLength = 0;
  /**
   * 16 bits written at the start of the payload (when it has 2 bytes). The generator puts the
   * packet number there, like a DNS id, so two back-to-back requests of an IPv6 flow (no IP id)
   * are not taken for a `tcpdump -i any` duplicate (dataplane/dedupe-filter.ts).
   */
  payloadTag = 0;
  ttl = 64;
  /** IPv4 identification (ignored for IPv6). */
  ipId = 0;
  /** Linux cooked capture packet type: 0 HOST, 4 OUTGOING (link types 113 and 276). */
  pktType = 0;
  /** SLL2 interface index. */
  ifIndex = 1;

  /** Copies every field of `other` (the JSONL reader and the generator share records this way). */
  copyFrom(other: FrameFields): void {
    this.ipVersion = other.ipVersion;
    this.src.set(other.src);
    this.dst.set(other.dst);
    this.protocol = other.protocol;
    this.srcPort = other.srcPort;
    this.dstPort = other.dstPort;
    this.tcpFlags = other.tcpFlags;
    this.tcpSeq = other.tcpSeq;
    this.tcpAck = other.tcpAck;
    this.tcpWindow = other.tcpWindow;
    this.icmpType = other.icmpType;
    this.icmpCode = other.icmpCode;
    this.icmpId = other.icmpId;
    this.icmpSeq = other.icmpSeq;
    this.payloadLength = other.payloadLength;
    this.payloadTag = other.payloadTag;
    this.ttl = other.ttl;
    this.ipId = other.ipId;
    this.pktType = other.pktType;
    this.ifIndex = other.ifIndex;
  }
}

function l4HeaderBytes(f: FrameFields): number {
  if (f.protocol === PROTO_TCP) return 20;
  return 8;
}

/** Bytes `buildFrame` will write for these fields. */
export function frameLength(linkType: number, f: FrameFields): number {
  return linkHeaderBytes(linkType) + (f.ipVersion === 4 ? 20 : 40) + l4HeaderBytes(f) + f.payloadLength;
}

/** 02:42 + the last 4 bytes of the address. */
function putMac(b: Uint8Array, at: number, words: Uint32Array, v6: boolean): void {
  b[at] = 0x02;
  b[at + 1] = 0x42;
  put32(b, at + 2, (v6 ? words[3] : words[0]) as number);
}

function addressSum(words: Uint32Array, v6: boolean): number {
  if (!v6) return ((words[0] as number) >>> 16) + ((words[0] as number) & 0xffff);
  let s = 0;
  for (let i = 0; i < 4; i++) s += ((words[i] as number) >>> 16) + ((words[i] as number) & 0xffff);
  return s;
}

function writeLink(buf: Uint8Array, at: number, linkType: number, f: FrameFields): number {
  const v6 = f.ipVersion === 6;
  const etherType = v6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4;
  switch (linkType) {
    case 1:
      putMac(buf, at, f.dst, v6);
      putMac(buf, at + 6, f.src, v6);
      put16(buf, at + 12, etherType);
      return at + 14;
    case 113:
      put16(buf, at, f.pktType);
      put16(buf, at + 2, ARPHRD_ETHER);
      put16(buf, at + 4, 6);
      putMac(buf, at + 6, f.src, v6);
      put16(buf, at + 12, 0);
      put16(buf, at + 14, etherType);
      return at + 16;
    case 276:
      put16(buf, at, etherType);
      put16(buf, at + 2, 0);
      put32(buf, at + 4, f.ifIndex);
      put16(buf, at + 8, ARPHRD_ETHER);
      buf[at + 10] = f.pktType;
      buf[at + 11] = 6;
      putMac(buf, at + 12, f.src, v6);
      put16(buf, at + 18, 0);
      return at + 20;
    case 101:
      return at;
    default:
      throw new RangeError(`no frame builder for link type ${linkType}; use one of ${SYNTH_LINK_TYPES.join(', ')}`);
  }
}

/**
 * Writes the frame at `buf[offset..]` and returns its length. Throws a RangeError when the
 * buffer is too small or the fields cannot form a frame (a caller bug, not input).
 */
export function buildFrame(buf: Uint8Array, offset: number, linkType: number, f: FrameFields): number {
  const length = frameLength(linkType, f);
  if (offset + length > buf.length) throw new RangeError(`frame of ${length} bytes does not fit at ${offset} in a ${buf.length}-byte buffer`);
  const v6 = f.ipVersion === 6;
  const proto = f.protocol;
  if ((proto === PROTO_ICMP && v6) || (proto === PROTO_ICMPV6 && !v6)) throw new RangeError(`protocol ${proto} does not go with IPv${f.ipVersion}`);
  const l3 = writeLink(buf, offset, linkType, f);
  const l4Length = l4HeaderBytes(f) + f.payloadLength;
  let l4: number;
  if (!v6) {
    buf[l3] = 0x45;
    buf[l3 + 1] = 0;
    put16(buf, l3 + 2, 20 + l4Length);
    put16(buf, l3 + 4, f.ipId & 0xffff);
    // Don't Fragment, as Linux sets on TCP and on UDP under PMTU discovery.
    put16(buf, l3 + 6, 0x4000);
    buf[l3 + 8] = f.ttl;
    buf[l3 + 9] = proto;
    put16(buf, l3 + 10, 0);
    put32(buf, l3 + 12, f.src[0] as number);
    put32(buf, l3 + 16, f.dst[0] as number);
    put16(buf, l3 + 10, foldChecksum(sum16(buf, l3, l3 + 20, 0)));
    l4 = l3 + 20;
  } else {
    put32(buf, l3, 0x60000000);
    put16(buf, l3 + 4, l4Length);
    buf[l3 + 6] = proto;
    buf[l3 + 7] = f.ttl;
    for (let w = 0; w < 4; w++) {
      put32(buf, l3 + 8 + w * 4, f.src[w] as number);
      put32(buf, l3 + 24 + w * 4, f.dst[w] as number);
    }
    l4 = l3 + 40;
  }
  const payload = l4 + l4HeaderBytes(f);
  let checksumAt: number;
  if (proto === PROTO_TCP) {
    put16(buf, l4, f.srcPort);
    put16(buf, l4 + 2, f.dstPort);
    put32(buf, l4 + 4, f.tcpSeq >>> 0);
    put32(buf, l4 + 8, f.tcpAck >>> 0);
    buf[l4 + 12] = 5 << 4;
    buf[l4 + 13] = f.tcpFlags;
    put16(buf, l4 + 14, f.tcpWindow);
    put16(buf, l4 + 16, 0);
    put16(buf, l4 + 18, 0);
    checksumAt = l4 + 16;
  } else if (proto === PROTO_UDP) {
    put16(buf, l4, f.srcPort);
    put16(buf, l4 + 2, f.dstPort);
    put16(buf, l4 + 4, l4Length);
    put16(buf, l4 + 6, 0);
    checksumAt = l4 + 6;
  } else if (proto === PROTO_ICMP || proto === PROTO_ICMPV6) {
    buf[l4] = f.icmpType;
    buf[l4 + 1] = f.icmpCode;
    put16(buf, l4 + 2, 0);
    put16(buf, l4 + 4, f.icmpId);
    put16(buf, l4 + 6, f.icmpSeq);
    checksumAt = l4 + 2;
  } else {
    throw new RangeError(`no frame builder for IP protocol ${proto}`);
  }
  buf.fill(0, payload, payload + f.payloadLength);
  const tag = f.payloadLength >= 2 ? f.payloadTag & 0xffff : 0;
  if (f.payloadLength >= 2) put16(buf, payload, tag);
  // Pseudo-header for TCP, UDP and ICMPv6 (RFC 793, 768, 4443 §2.3); plain ICMP has none. Past
  // the tag (2-byte aligned: the headers are 8 or 20 bytes) the zero payload adds nothing.
  const pseudo = proto === PROTO_ICMP ? 0 : addressSum(f.src, v6) + addressSum(f.dst, v6) + proto + l4Length;
  let checksum = foldChecksum(sum16(buf, l4, payload, pseudo + tag));
  if (proto === PROTO_UDP && checksum === 0) checksum = 0xffff;
  put16(buf, checksumAt, checksum);
  return length;
}

/** TCP flags as letters in a fixed order (S F R P A U E C): "S", "SA", "A", "PA", "FA". */
export function formatTcpFlags(flags: number): string {
  let s = '';
  if (flags & TcpFlag.SYN) s += 'S';
  if (flags & TcpFlag.FIN) s += 'F';
  if (flags & TcpFlag.RST) s += 'R';
  if (flags & TcpFlag.PSH) s += 'P';
  if (flags & TcpFlag.ACK) s += 'A';
  if (flags & TcpFlag.URG) s += 'U';
  if (flags & TcpFlag.ECE) s += 'E';
  if (flags & TcpFlag.CWR) s += 'C';
  return s;
}

const FLAG_OF_LETTER: Readonly<Record<string, number>> = { S: TcpFlag.SYN, F: TcpFlag.FIN, R: TcpFlag.RST, P: TcpFlag.PSH, A: TcpFlag.ACK, U: TcpFlag.URG, E: TcpFlag.ECE, C: TcpFlag.CWR };

/** Letters (any order, each at most once) → flag bits; -1 for an unknown or repeated letter. */
export function parseTcpFlags(text: string): number {
  let flags = 0;
  for (const letter of text) {
    const bit = FLAG_OF_LETTER[letter];
    if (bit === undefined || (flags & bit) !== 0) return -1;
    flags |= bit;
  }
  return flags;
}
