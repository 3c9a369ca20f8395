/**
 * Test-only frame builder: concatenates headers written byte by byte, so each test states the
 * packet it decodes. Checksums are left 0 (the decoder never validates them).
 */

export type Bytes = Uint8Array;

function concat(...parts: ArrayLike<number>[]): Bytes {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function u16(v: number): number[] {
  return [(v >> 8) & 0xff, v & 0xff];
}

function u32(v: number): number[] {
  return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}

/** Dotted quad → the big-endian u32 the decoder stores in word 0. */
export function ipv4Word(address: string): number {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4) throw new Error(`bad IPv4 address ${address}`);
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

/** IPv6 text (with `::`, no embedded IPv4) → 4 big-endian u32 words. */
export function ipv6Words(address: string): number[] {
  const [head, tail] = address.includes('::') ? address.split('::') : [address, undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail === undefined ? [] : tail ? tail.split(':') : [];
  const zeros = 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(tail === undefined ? 0 : zeros).fill('0'), ...tailGroups].map((g) => parseInt(g, 16));
  if (groups.length !== 8) throw new Error(`bad IPv6 address ${address}`);
  return [0, 1, 2, 3].map((w) => ((groups[w * 2]! << 16) | groups[w * 2 + 1]!) >>> 0);
}

function ipv6Bytes(address: string): number[] {
  return ipv6Words(address).flatMap(u32);
}

// ---- link layers ----

export interface VlanTag {
  tpid: number;
  vid: number;
  pcp?: number;
}

export function ethernet(etherType: number, payload: Bytes, vlans: VlanTag[] = []): Bytes {
  const macs = [0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01];
  // Each tag is TPID + TCI, outermost first; the last TCI is followed by the real EtherType.
  const tags = vlans.flatMap((t) => [...u16(t.tpid), ...u16(((t.pcp ?? 0) << 13) | t.vid)]);
  return concat(macs, tags, u16(etherType), payload);
}

export function linuxSll(pktType: number, protocol: number, payload: Bytes): Bytes {
  return concat(u16(pktType), u16(1), u16(6), [2, 0, 0, 0, 0, 1, 0, 0], u16(protocol), payload);
}

export function linuxSll2(protocol: number, ifIndex: number, pktType: number, payload: Bytes): Bytes {
  return concat(u16(protocol), u16(0), u32(ifIndex), u16(1), [pktType, 6], [2, 0, 0, 0, 0, 1, 0, 0], payload);
}

/** NULL/LOOP header: family as a u32, little- or big-endian. */
export function loopback(family: number, littleEndian: boolean, payload: Bytes): Bytes {
  const be = u32(family);
  return concat(littleEndian ? be.reverse() : be, payload);
}

export function arp(): Bytes {
  // Request who-has 10.0.0.2 tell 10.0.0.1.
  return concat(u16(1), u16(0x0800), [6, 4], u16(1), [2, 0, 0, 0, 0, 1], u32(ipv4Word('10.0.0.1')), [0, 0, 0, 0, 0, 0], u32(ipv4Word('10.0.0.2')));
}

// ---- network layers ----

export interface Ipv4Options {
  src: string;
  dst: string;
  protocol: number;
  ttl?: number;
  id?: number;
  dontFragment?: boolean;
  moreFragments?: boolean;
  /** In bytes, a multiple of 8. */
  fragmentOffset?: number;
  /** Raw option bytes, padded by the caller to a multiple of 4. */
  options?: number[];
  /** Overrides the computed total length (0 for TSO, a lie for GRO tests). */
  totalLength?: number;
  /** Overrides the IHL nibble (in 4-byte words). */
  ihl?: number;
  version?: number;
}

export function ipv4(o: Ipv4Options, payload: Bytes): Bytes {
  const options = o.options ?? [];
  if (options.length % 4 !== 0) throw new Error('IPv4 options must be padded to 4 bytes');
  const headerBytes = 20 + options.length;
  const flags = (o.dontFragment ? 0x4000 : 0) | (o.moreFragments ? 0x2000 : 0) | ((o.fragmentOffset ?? 0) / 8);
  return concat(
    [((o.version ?? 4) << 4) | (o.ihl ?? headerBytes / 4), 0],
    u16(o.totalLength ?? headerBytes + payload.length),
    u16(o.id ?? 0x1234),
    u16(flags),
    [o.ttl ?? 64, o.protocol],
    u16(0),
    u32(ipv4Word(o.src)),
    u32(ipv4Word(o.dst)),
    options,
    payload,
  );
}

export type Ipv6Ext =
  /** Hop-by-hop (0), routing (43), destination options (60), mobility (135): `length` bytes, a multiple of 8. */
  | { type: 0 | 43 | 60 | 135; length?: number }
  | { type: 51; length?: number }
  | { type: 44; fragmentOffset?: number; moreFragments?: boolean; id?: number };

function ipv6ExtBytes(ext: Ipv6Ext, next: number): number[] {
  if (ext.type === 44) {
    return [next, 0, ...u16(((ext.fragmentOffset ?? 0) & 0xfff8) | (ext.moreFragments ? 1 : 0)), ...u32(ext.id ?? 0xcafe)];
  }
  if (ext.type === 51) {
    const length = ext.length ?? 24;
    return [next, length / 4 - 2, ...Array<number>(length - 2).fill(0)];
  }
  const length = ext.length ?? 8;
  // Hop-by-hop/destination options padded with a PadN option, as the kernel does.
  const body = Array<number>(length - 2).fill(0);
  if (ext.type === 0 || ext.type === 60) {
    body[0] = 1;
    body[1] = length - 4;
  }
  return [next, length / 8 - 1, ...body];
}

export interface Ipv6Options {
  src: string;
  dst: string;
  /** The upper-layer protocol after the extension headers. */
  nextHeader: number;
  hopLimit?: number;
  ext?: Ipv6Ext[];
  /** Overrides the computed payload length. */
  payloadLength?: number;
  version?: number;
}

export function ipv6(o: Ipv6Options, payload: Bytes): Bytes {
  const ext = o.ext ?? [];
  const extBytes = ext.flatMap((e, i) => ipv6ExtBytes(e, i + 1 < ext.length ? ext[i + 1]!.type : o.nextHeader));
  const first = ext.length > 0 ? ext[0]!.type : o.nextHeader;
  return concat(
    [(o.version ?? 6) << 4, 0, 0, 0],
    u16(o.payloadLength ?? extBytes.length + payload.length),
    [first, o.hopLimit ?? 64],
    ipv6Bytes(o.src),
    ipv6Bytes(o.dst),
    extBytes,
    payload,
  );
}

// ---- transport layers ----

export interface TcpOptions {
  srcPort: number;
  dstPort: number;
  seq?: number;
  ack?: number;
  flags?: number;
  window?: number;
  /** Raw option bytes, padded by the caller to a multiple of 4. */
  options?: number[];
  /** Overrides the data offset nibble (in 4-byte words). */
  dataOffset?: number;
}

export function tcp(o: TcpOptions, payload: Bytes = new Uint8Array(0)): Bytes {
  const options = o.options ?? [];
  return concat(
    u16(o.srcPort),
    u16(o.dstPort),
    u32(o.seq ?? 0),
    u32(o.ack ?? 0),
    [(o.dataOffset ?? (20 + options.length) / 4) << 4, o.flags ?? 0],
    u16(o.window ?? 0),
    u16(0),
    u16(0),
    options,
    payload,
  );
}

export function udp(srcPort: number, dstPort: number, payload: Bytes = new Uint8Array(0)): Bytes {
  return concat(u16(srcPort), u16(dstPort), u16(8 + payload.length), u16(0), payload);
}

export function sctp(srcPort: number, dstPort: number, verificationTag: number, chunks: Bytes = new Uint8Array(0)): Bytes {
  return concat(u16(srcPort), u16(dstPort), u32(verificationTag), u32(0), chunks);
}

/** ICMP or ICMPv6: type, code, checksum, then the 4 "rest of header" bytes (id, sequence for echo). */
export function icmp(type: number, code: number, restOfHeader: number, payload: Bytes = new Uint8Array(0)): Bytes {
  return concat([type, code], u16(0), u32(restOfHeader), payload);
}

/** Echo-style rest of header: identifier then sequence. */
export function echoRest(id: number, sequence: number): number {
  return ((id << 16) | sequence) >>> 0;
}

export function bytes(count: number, fill = 0xab): Bytes {
  return new Uint8Array(count).fill(fill);
}

export { concat };
