/**
 * The nf_conntrack TCP tables as typed arrays (SEMANTICS.md §2.2, from
 * net/netfilter/nf_conntrack_proto_tcp.c): flag validity (tcp_valid_flags), the packet class
 * (get_conntrack_index) and the transition table tcp_conntracks[dir][class][old state].
 */
import { TcpFlag } from '../packet-meta.js';
import { TcpCtState as S } from './ct-constants.js';

/** Packet classes, numbered as the kernel's TCP_*_SET. */
export const TcpClass = { SYN: 0, SYNACK: 1, FIN: 2, ACK: 3, RST: 4, NONE: 5 } as const;
export type TcpClass = (typeof TcpClass)[keyof typeof TcpClass];
const CLASS_COUNT = 6;
const STATE_COUNT = 10;

/**
 * tcp_valid_flags[], indexed by flags & (FIN|SYN|RST|ACK|URG) (PSH, ECE, CWR are ignored by
 * tcp_error). 1 = valid.
 */
export const TCP_VALID_FLAGS: Uint8Array = (() => {
  const t = new Uint8Array(64);
  const { FIN, SYN, RST, ACK, URG } = TcpFlag;
  for (const f of [SYN, SYN | URG, SYN | ACK, RST, RST | ACK, FIN | ACK, FIN | ACK | URG, ACK, ACK | URG]) t[f] = 1;
  return t;
})();

/** Mask applied before TCP_VALID_FLAGS: drop PSH (0x08), ECE (0x40), CWR (0x80). */
export const TCP_FLAGS_CHECKED_MASK = TcpFlag.FIN | TcpFlag.SYN | TcpFlag.RST | TcpFlag.ACK | TcpFlag.URG;

/** get_conntrack_index: RST, then SYN(+ACK), then FIN, then ACK, else none. */
export function tcpClassOf(flags: number): TcpClass {
  if ((flags & TcpFlag.RST) !== 0) return TcpClass.RST;
  if ((flags & TcpFlag.SYN) !== 0) return (flags & TcpFlag.ACK) !== 0 ? TcpClass.SYNACK : TcpClass.SYN;
  if ((flags & TcpFlag.FIN) !== 0) return TcpClass.FIN;
  if ((flags & TcpFlag.ACK) !== 0) return TcpClass.ACK;
  return TcpClass.NONE;
}

const sNO = S.NONE, sSS = S.SYN_SENT, sSR = S.SYN_RECV, sES = S.ESTABLISHED, sFW = S.FIN_WAIT;
const sCW = S.CLOSE_WAIT, sLA = S.LAST_ACK, sTW = S.TIME_WAIT, sCL = S.CLOSE, sS2 = S.SYN_SENT2;
const sIV = S.INVALID, sIG = S.IGNORE;
void sNO;

/* Rows: class; columns: old state  NO   SS   SR   ES   FW   CW   LA   TW   CL   S2 */
const ORIGINAL_ROWS: readonly (readonly number[])[] = [
  /* syn    */ [sSS, sSS, sIG, sIG, sIG, sIG, sIG, sSS, sSS, sS2],
  /* synack */ [sIV, sIV, sSR, sIV, sIV, sIV, sIV, sIV, sIV, sSR],
  /* fin    */ [sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV],
  /* ack    */ [sES, sIV, sES, sES, sCW, sCW, sTW, sTW, sCL, sIV],
  /* rst    */ [sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL],
  /* none   */ [sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV],
];
const REPLY_ROWS: readonly (readonly number[])[] = [
  /* syn    */ [sIV, sS2, sIV, sIV, sIV, sIV, sIV, sSS, sIV, sS2],
  /* synack */ [sIV, sSR, sIG, sIG, sIG, sIG, sIG, sIG, sIG, sSR],
  /* fin    */ [sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV],
  /* ack    */ [sIV, sIG, sSR, sES, sCW, sCW, sTW, sTW, sCL, sIG],
  /* rst    */ [sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL],
  /* none   */ [sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV],
];

/** tcp_conntracks flattened: index (dir * 6 + class) * 10 + oldState. */
export const TCP_TRANSITIONS: Uint8Array = (() => {
  const t = new Uint8Array(2 * CLASS_COUNT * STATE_COUNT);
  [ORIGINAL_ROWS, REPLY_ROWS].forEach((rows, dir) => {
    rows.forEach((row, cls) => row.forEach((next, old) => { t[(dir * CLASS_COUNT + cls) * STATE_COUNT + old] = next; }));
  });
  return t;
})();

export function tcpNextState(dir: number, cls: number, old: number): number {
  return TCP_TRANSITIONS[(dir * CLASS_COUNT + cls) * STATE_COUNT + old]!;
}
