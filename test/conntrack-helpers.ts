import { PacketMeta, TcpFlag } from '../dataplane/packet-meta.js';

export const F = TcpFlag;

/** Parse '10.0.0.1' or an IPv6 literal (full or with ::) into 4 big-endian words. */
export function addrWords(a: string, out: Uint32Array): number {
  out.fill(0);
  if (!a.includes(':')) {
    const p = a.split('.').map(Number);
    out[0] = (((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0);
    return 4;
  }
  const [head, tail] = a.split('::') as [string, string | undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t].map((g) => parseInt(g, 16));
  for (let w = 0; w < 4; w++) out[w] = ((groups[2 * w]! << 16) | groups[2 * w + 1]!) >>> 0;
  return 6;
}

export interface PacketSpec {
  src: string;
  dst: string;
  proto?: number;
  sport?: number;
  dport?: number;
  flags?: number;
  seq?: number;
  ack?: number;
  win?: number;
  len?: number;
  icmpType?: number;
  icmpCode?: number;
  icmpId?: number;
  inner?: { src: string; dst: string; proto: number; sport?: number; dport?: number; icmpType?: number; icmpId?: number };
}

/** Fill a PacketMeta as the decoder would. TCP windows default to 65535 (a zero window triggers the RETRANS cap). */
export function pkt(s: PacketSpec, m: PacketMeta = new PacketMeta()): PacketMeta {
  m.reset();
  m.ipVersion = addrWords(s.src, m.src);
  addrWords(s.dst, m.dst);
  m.protocol = s.proto ?? 6;
  m.l4Offset = m.ipVersion === 6 ? 54 : 34;
  m.srcPort = s.sport ?? 0;
  m.dstPort = s.dport ?? 0;
  m.tcpFlags = s.flags ?? 0;
  m.tcpSeq = s.seq ?? 0;
  m.tcpAck = s.ack ?? 0;
  m.tcpWindow = s.win ?? 65535;
  m.payloadLength = s.len ?? 0;
  m.ipLength = (m.ipVersion === 6 ? 40 : 20) + (m.protocol === 6 ? 20 : 8) + m.payloadLength;
  m.icmpType = s.icmpType ?? -1;
  m.icmpCode = s.icmpCode ?? (s.icmpType !== undefined ? 0 : -1);
  m.icmpId = s.icmpId ?? 0;
  if (s.inner) {
    m.hasInner = true;
    m.innerIpVersion = addrWords(s.inner.src, m.innerSrc);
    addrWords(s.inner.dst, m.innerDst);
    m.innerProtocol = s.inner.proto;
    m.innerSrcPort = s.inner.sport ?? 0;
    m.innerDstPort = s.inner.dport ?? 0;
    m.innerIcmpType = s.inner.icmpType ?? -1;
    m.innerIcmpId = s.inner.icmpId ?? 0;
  }
  return m;
}

export const C = { ip: '10.0.0.1', port: 40000 };
export const S = { ip: '10.0.0.2', port: 80 };

/** Client → server TCP segment. */
export function c2s(flags: number, seq = 0, ack = 0, len = 0): PacketMeta {
  return pkt({ src: C.ip, dst: S.ip, sport: C.port, dport: S.port, flags, seq, ack, len });
}
/** Server → client TCP segment. */
export function s2c(flags: number, seq = 0, ack = 0, len = 0): PacketMeta {
  return pkt({ src: S.ip, dst: C.ip, sport: S.port, dport: C.port, flags, seq, ack, len });
}
