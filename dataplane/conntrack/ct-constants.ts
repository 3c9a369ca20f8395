/**
 * Numbers shared by the conntrack table and its callers: result codes, ctinfo, directions, TCP
 * states (the kernel's own numbering, so the transition table reads like nf_conntrack_proto_tcp.c),
 * invalid causes and counter indexes. All stable: they index typed arrays and appear in reports.
 */

/** What `ConntrackTable.lookup` found. The entry index is in `table.index` (−1 when none). */
export const CtResult = {
  /** No entry and the packet may start one (SYN, tcpLoose ACK pickup, UDP, ICMP request, other L4): run policy, then `create()` on allow. */
  MISS_NEW: 0,
  /** Entry hit in its ORIGINAL direction. `ctinfo` is NEW until a reply was seen, then ESTABLISHED (SEMANTICS.md §2.1). */
  HIT_ORIGINAL: 1,
  /** Entry hit in its REPLY direction (ctinfo ESTABLISHED). */
  HIT_REPLY: 2,
  /** ICMP error quoting a tracked flow (SEMANTICS.md §2.4); `direction` says which side it travels. */
  RELATED: 3,
  /** Could not be tracked; the cause is in `table.invalidCause`. The entry, if any, is unchanged. */
  INVALID: 4,
  /** ICMPv6 neighbour discovery / MLD: the kernel marks it UNTRACKED, not INVALID (nf_conntrack_proto_icmpv6.c noct_valid_new). */
  UNTRACKED: 5,
} as const;
export type CtResult = (typeof CtResult)[keyof typeof CtResult];

/** iptables `ctstate` of the packet just looked up (SEMANTICS.md §2.1). */
export const CtInfo = { NEW: 0, ESTABLISHED: 1, RELATED: 2, INVALID: 3, UNTRACKED: 4 } as const;
export type CtInfo = (typeof CtInfo)[keyof typeof CtInfo];

export const CtDirection = { ORIGINAL: 0, REPLY: 1 } as const;
export type CtDirection = (typeof CtDirection)[keyof typeof CtDirection];

/** enum tcp_conntrack, same numbers as the kernel (0..9 real states, 10 = sIV, 11 = sIG). */
export const TcpCtState = {
  NONE: 0,
  SYN_SENT: 1,
  SYN_RECV: 2,
  ESTABLISHED: 3,
  FIN_WAIT: 4,
  CLOSE_WAIT: 5,
  LAST_ACK: 6,
  TIME_WAIT: 7,
  CLOSE: 8,
  SYN_SENT2: 9,
  /** Pseudo-state sIV (TCP_CONNTRACK_MAX): the packet is INVALID. */
  INVALID: 10,
  /** Pseudo-state sIG: accept, no state change. */
  IGNORE: 11,
} as const;
export type TcpCtState = (typeof TcpCtState)[keyof typeof TcpCtState];

export const TCP_CT_STATE_NAME: readonly string[] = [
  'NONE', 'SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'FIN_WAIT', 'CLOSE_WAIT', 'LAST_ACK', 'TIME_WAIT', 'CLOSE', 'SYN_SENT2',
];

/** Why a packet was INVALID. Index into the counters after `CtCounter.INVALID_BASE`. */
export const CtInvalidCause = {
  NONE: 0,
  /** tcp_error: a flag combination outside tcp_valid_flags (bare FIN, SYN|FIN, NULL, XMAS, SYN|RST...). */
  TCP_BAD_FLAGS: 1,
  /** tcp_new: no entry and the packet cannot start one (SYN/ACK, FIN, RST, none; ACK with tcpLoose off). */
  TCP_INVALID_NEW: 2,
  /** The transition table says sIV for this class in this state and direction. */
  TCP_INVALID_TRANSITION: 3,
  /** RST with seq before the peer's highest ACK ("invalid rst"), unless tcpIgnoreInvalidRst. */
  TCP_INVALID_RST: 4,
  /** ICMP/ICMPv6 non-error type that cannot create an entry and matches none. */
  ICMP_INVALID_NEW: 5,
  /** ICMP error whose inverted inner tuple matches no entry (or without an inner header). */
  ICMP_ERROR_NO_FLOW: 6,
  /** ICMP error whose flow exists but whose outer destination is not that flow's destination. */
  ICMP_ERROR_WRONG_DST: 7,
  /** TCP/UDP/ICMP without an L4 header (non-first fragment, truncated). */
  NO_L4_HEADER: 8,
  /**
   * SCTP without an entry that cannot start one (net/netfilter/nf_conntrack_proto_sctp.c
   * sctp_packet / sctp_new): an out-of-the-blue ABORT, SHUTDOWN COMPLETE or COOKIE ACK (RFC 9260
   * §8.4), or a chunk that moves no state from NONE (DATA, SACK…).
   */
  SCTP_INVALID_NEW: 9,
} as const;
export type CtInvalidCause = (typeof CtInvalidCause)[keyof typeof CtInvalidCause];
export const CT_INVALID_CAUSE_COUNT = 10;

export const CT_INVALID_CAUSE_NAME: readonly string[] = [
  'none', 'tcp-bad-flags', 'tcp-invalid-new', 'tcp-invalid-transition', 'tcp-invalid-rst',
  'icmp-invalid-new', 'icmp-error-no-flow', 'icmp-error-wrong-dst', 'no-l4-header', 'sctp-invalid-new',
];

/** Why an entry left the table; passed to the `onRemove` hook and counted. */
export const CtRemoveReason = {
  EXPIRED: 0,
  /** Not-yet-replied TCP entry hit by an RST (SEMANTICS.md §2.2 "an RST deletes the entry"). */
  RST_UNREPLIED: 1,
  /** SYN on TIME_WAIT/CLOSE after a close: the old entry is killed, the SYN starts a new one. */
  PORT_REUSE: 2,
  /** Evicted to make room for a new entry (SEMANTICS.md §2.5). */
  EARLY_DROP: 3,
  /** `clear()`. */
  CLEARED: 4,
} as const;
export type CtRemoveReason = (typeof CtRemoveReason)[keyof typeof CtRemoveReason];

/** Indexes into `ConntrackTable.counters` (a Float64Array, so counts never wrap). */
export const CtCounter = {
  CREATED: 0,
  EARLY_DROPPED: 1,
  /** create() refused: table full and no non-ASSURED entry in the early-drop window. */
  TABLE_FULL: 2,
  EXPIRED: 3,
  KILLED_RST_UNREPLIED: 4,
  KILLED_PORT_REUSE: 5,
  HIT_ORIGINAL: 6,
  HIT_REPLY: 7,
  RELATED: 8,
  MISS_NEW: 9,
  UNTRACKED: 10,
  /** Packets accepted on an entry without a state change (sIG). */
  TCP_IGNORED: 11,
  /** Counters INVALID_BASE + CtInvalidCause.* count INVALID packets by cause. */
  INVALID_BASE: 12,
} as const;
export const CT_COUNTER_COUNT = CtCounter.INVALID_BASE + CT_INVALID_CAUSE_COUNT;

export const CT_COUNTER_NAME: readonly string[] = [
  'created', 'early-dropped', 'table-full', 'expired', 'killed-rst-unreplied', 'killed-port-reuse',
  'hit-original', 'hit-reply', 'related', 'miss-new', 'untracked', 'tcp-ignored',
  ...CT_INVALID_CAUSE_NAME.map((n) => `invalid-${n}`),
];

/**
 * Per-entry status bits (the slot's status word, bits 4–18; bits 0–3 hold the TCP state and
 * bits 24–31 the TCP last-packet tracker, see conntrack-table.ts).
 */
export const CtStatus = {
  SEEN_REPLY: 1 << 4,
  ASSURED: 1 << 5,
  /** Killed during the current call; the slot is reclaimed at the start of the next call. */
  DYING: 1 << 6,
  /** IP_CT_TCP_SIMULTANEOUS_OPEN (set on SYN_SENT2). */
  TCP_SIMULTANEOUS_OPEN: 1 << 7,
  /** IP_CT_EXP_CHALLENGE_ACK: a SYN was ignored in LAST_ACK, expect an RFC 5961 challenge ACK. */
  TCP_EXP_CHALLENGE_ACK: 1 << 8,
  /** Per-direction TCP flags: ORIGINAL at these bits, REPLY at these bits << 5. */
  TCP_CLOSE_INIT: 1 << 9,
  TCP_BE_LIBERAL: 1 << 10,
  TCP_MAXACK_SET: 1 << 11,
  TCP_DATA_UNACK: 1 << 12,
  /** The sender's window data is initialised (the kernel tests td_maxwin != 0). */
  TCP_SEEN_INIT: 1 << 13,
} as const;
/** Shift from an ORIGINAL per-direction bit to the REPLY one. */
export const CT_STATUS_DIR_SHIFT = 5;
