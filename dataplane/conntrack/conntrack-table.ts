/**
 * The conntrack table: nf_conntrack's behaviour (SEMANTICS.md §2) over one typed-array slab.
 *
 * Layout. `capacity` slots, a power of two, fixed at construction; each slot is one 64-byte
 * record (16 u32 words) in a single ArrayBuffer read through three views (u32 words, f64, u16),
 * so a hit touches one slot's bytes instead of one cache line per column. Per slot:
 *
 *   word  0     keyInfo: proto bits 0–7, IPv6 bit 8, occupied bit 9, ICMP type 16–23, code 24–31 (0 = empty)
 *   words 1–3   src, dst, ports (sport << 16 | dport of the ORIGINAL tuple; the ICMP id for ICMP)
 *   word  4     status: TCP state bits 0–3, CtStatus flags bits 4–18, TCP last-packet tracker
 *               bits 24–31 (last_index 24–26, last_dir 27, retrans count 28–31, saturating)
 *   word  5     flow id (the dataplane's flow record; per-flow accounting, verdict and rule ids
 *               live there, dataplane/flow-records.ts)
 *   words 6–7   expiry, float64 seconds (the packet clock's own values: no rounding, §2.3 timers
 *               decide exactly as with the packet timestamps)
 *   words 8–15  TCP: td_end per side (8, 9), td_maxack per side (10, 11), last_seq (12),
 *               last_ack (13), last_end (14), last_win u16 + policy version u16 (15).
 *               UDP uses words 8–9 for stream_ts (float64), as the kernel's ct->proto union does.
 *
 * 64 B per IPv4 slot, ≈ 85 B per live entry at the default 3/4 load. IPv6 entries keep a 32-bit
 * fold of each address in words 1–2 (a probe filter) and the full words in side columns
 * (`v6Src`, `v6Dst`, 16 B each per slot) allocated on the first IPv6 entry, so IPv4-only
 * replays do not pay for them (+32 B per slot once they exist).
 *
 * Open addressing with linear probing; deletion by backward shift (no tombstones, so probe
 * lengths depend only on the load, which `maxEntries` caps at 3/4 of the slots by default).
 * Each slot stores the ORIGINAL tuple once. The hash is direction independent (the two
 * endpoints (address, port) are mixed separately and added), so a reply packet probes the same
 * chain and matches the stored tuple with addresses and ports swapped: one tuple per entry
 * instead of the kernel's two tuplehash nodes.
 *
 * Time. `nowSec` is the packet timestamp in seconds (float64, microsecond precision for
 * realistic epochs); the table never reads a clock. An entry is expired when `now >= expiry`
 * (nf_ct_is_expired). Expired entries are reclaimed lazily when a probe walks over them, by
 * `create` in the early-drop window, or by `expire(now)`.
 *
 * Index lifetime. `lookup` leaves the entry index in `index`. It stays valid until the next
 * `lookup`/`create`/`expire`/`clear` call: those may move entries (backward shift). An entry
 * killed by the current packet (RST on an unreplied connection, port reuse) is flagged DYING and
 * physically removed at the start of the next call, so the caller can still read it.
 *
 * Window tracking is the liberal mode only (nf_conntrack_tcp_be_liberal=1 behaviour: window
 * failures are accepted), so td_maxwin, td_maxend and td_scale are not stored: they only feed
 * the in-window bounds. What the state machine and the timeout rules of §2.3 read is kept:
 * td_end per side (DATA_UNACKNOWLEDGED, SYN/ACK resync), td_maxack per side ("invalid rst"),
 * last seq/ack/end/win and the retransmission count (RETRANS cap, zero window, RST and
 * challenge-ACK checks). It is updated on every packet; the kernel skips it for out-of-window
 * packets even when liberal. Strict mode is not implemented.
 */
import type { PacketMeta } from '../packet-meta.js';
import { TcpFlag } from '../packet-meta.js';
import {
  CtCounter, CT_COUNTER_COUNT, CT_STATUS_DIR_SHIFT, CtDirection, CtInfo, CtInvalidCause, CtRemoveReason, CtResult,
  CtStatus, TcpCtState,
} from './ct-constants.js';
import type { CtTimeoutProfile } from './ct-timeouts.js';
import { CT_TIMEOUTS_LINUX, tcpTimeoutsByState } from './ct-timeouts.js';
import {
  ICMP4_INVMAP, ICMP4_VALID_NEW, ICMP6_INVMAP, ICMP6_VALID_NEW, isIcmp4Error, isIcmp6Error, isIcmp6Untracked,
} from './icmp-types.js';
import { TCP_FLAGS_CHECKED_MASK, TCP_VALID_FLAGS, TcpClass, tcpClassOf, tcpNextState } from './tcp-state-table.js';

const PROTO_ICMP = 1;
const PROTO_TCP = 6;
const PROTO_UDP = 17;
const PROTO_ICMPV6 = 58;
/** Keyed by its ports like UDP (nf_conntrack_core.c nf_ct_get_tuple); its states are not modelled: generic timeout. */
const PROTO_SCTP = 132;
/** SCTP chunks that, first on a new association, make it INVALID: ABORT (6), COOKIE ACK (11), SHUTDOWN COMPLETE (14). */
const SCTP_OOTB_DISCARD = (1 << 6) | (1 << 11) | (1 << 14);
/** SCTP chunks that move an entry out of NONE: INIT, INIT ACK, HEARTBEAT, HEARTBEAT ACK, SHUTDOWN, SHUTDOWN ACK, ERROR, COOKIE ECHO. */
const SCTP_STATEFUL = (1 << 1) | (1 << 2) | (1 << 4) | (1 << 5) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10);
const SCTP_INIT = 1 << 1;
/** Chunks exempt from the verification tag check (RFC 9260 §8.5): INIT, COOKIE ECHO, SHUTDOWN ACK, HEARTBEAT, HEARTBEAT ACK. */
const SCTP_NO_VTAG_CHECK = (1 << 1) | (1 << 10) | (1 << 8) | (1 << 4) | (1 << 5);

/**
 * May an SCTP packet without an entry start one? nf_conntrack_proto_sctp.c: an out-of-the-blue
 * ABORT, SHUTDOWN COMPLETE or COOKIE ACK is discarded; sctp_new wants every chunk to move the
 * state out of NONE and an INIT with tag 0 (§8.5.1 A); then the tag check runs against the new
 * entry's original-direction tag, which is still 0, so e.g. an INIT ACK without its INIT fails.
 */
function sctpMayStart(chunks: number, vtag: number): boolean {
  if (chunks === 0 || (chunks & SCTP_OOTB_DISCARD) !== 0 || (chunks & ~SCTP_STATEFUL) !== 0) return false;
  if ((chunks & SCTP_INIT) !== 0 && vtag !== 0) return false;
  return (chunks & SCTP_NO_VTAG_CHECK) !== 0 || vtag === 0;
}

const KEY_V6 = 1 << 8;
const KEY_OCCUPIED = 1 << 9;
/** NF_CT_EVICTION_RANGE: early drop looks at this many slots from the new tuple's home (§2.5). */
export const CT_EVICTION_RANGE = 8;

/** Slot record: 16 u32 words = 64 bytes (one cache line when the slab is line-aligned). */
const SLOT_SHIFT = 4;
const SLOT_WORDS = 1 << SLOT_SHIFT;
const SLOT_BYTES = SLOT_WORDS * 4;
const W_KEY = 0;
const W_SRC = 1;
const W_DST = 2;
const W_PORTS = 3;
const W_STATUS = 4;
const W_FLOW = 5;
/** float64 index inside the slot (words 6–7). */
const F_EXPIRY = 3;
/** UDP stream_ts, float64 index inside the slot (words 8–9, TCP's td_end). */
const F_UDP_STREAM = 4;
const W_TD_END = 8;
const W_TD_MAXACK = 10;
const W_LAST_SEQ = 12;
const W_LAST_ACK = 13;
const W_LAST_END = 14;
/** u16 indexes inside the slot: word 15 holds last_win and the policy version. */
const H_LAST_WIN = 30;
const H_POLICY = 31;

/** The TCP last-packet tracker in the status word: last_index bits 24–26, last_dir bit 27, retrans 28–31. */
const LAST_SHIFT = 24;
const LAST_DIR_SHIFT = 27;
const LAST_INDEX_DIR_MASK = 0xf << LAST_SHIFT;
const RETRANS_SHIFT = 28;
const RETRANS_MAX = 15;
/** CtStatus flags (bits 4–18) without the state and the tracker. */
const STATUS_FLAGS_MASK = 0x7fff0;
/** Largest capacity: 2^26 slots × 64 B = 4 GiB, the largest typed array Node allocates. */
const MAX_CAPACITY = 1 << 26;

/** Per-direction status bits: ORIGINAL at the CtStatus value, REPLY shifted by CT_STATUS_DIR_SHIFT. */
const DIR_BITS_ALL = CtStatus.TCP_CLOSE_INIT | CtStatus.TCP_BE_LIBERAL | CtStatus.TCP_MAXACK_SET
  | CtStatus.TCP_DATA_UNACK | CtStatus.TCP_SEEN_INIT;

/** Outcome of the TCP handler. */
const TcpVerdict = { ACCEPT: 0, IGNORE: 1, INVALID: 2, REPEAT: 3 } as const;

export interface ConntrackOptions {
  /** Number of slots; a power of two in [16, 2^26]. */
  readonly capacity: number;
  /** nf_conntrack_max: live entries allowed before early drop. Default 3/4 of capacity; at most capacity − 1. */
  readonly maxEntries?: number;
  readonly timeouts?: CtTimeoutProfile;
  /** nf_conntrack_tcp_loose (default true): a mid-stream ACK may create an ESTABLISHED entry. */
  readonly tcpLoose?: boolean;
  /** nf_conntrack_tcp_ignore_invalid_rst (default false). */
  readonly tcpIgnoreInvalidRst?: boolean;
  /**
   * Called when an entry leaves the table, before its slot is reused (the entry is still
   * readable at `index`). Must not call back into the table's mutating methods.
   */
  readonly onRemove?: (index: number, reason: CtRemoveReason) => void;
  /**
   * Told the expiry of an entry's flow after every packet that may have changed it (creation,
   * hits): the dataplane's ExpiryQueue ends flows at their exact time (expiry-queue.ts). With it,
   * the table also keeps flow id → slot (`slotOfFlow`), so `expireFlow` finds an entry by flow.
   */
  readonly onExpiry?: (flowId: number, expiry: number) => void;
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** 32-bit fold of an IPv6 address, stored in the src/dst words as a probe filter. */
function foldV6(w: Uint32Array): number {
  return fmix32(w[0]! ^ fmix32(w[1]! ^ fmix32(w[2]! ^ fmix32(w[3]! ^ 0x6a09e667))));
}

/** Direction-independent: the endpoints are mixed separately and combined with +. */
function hashTuple(a: number, aPort: number, b: number, bPort: number, info: number): number {
  const ea = fmix32(a ^ Math.imul(aPort + 1, 0x9e3779b1));
  const eb = fmix32(b ^ Math.imul(bPort + 1, 0x9e3779b1));
  return fmix32(((ea + eb) | 0) ^ Math.imul(info, 0x27d4eb2f));
}

/** Serial-number arithmetic of the kernel's before()/after(). */
function before(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}
function after(a: number, b: number): boolean {
  return ((b - a) | 0) < 0;
}

function dirBit(bit: number, dir: number): number {
  return dir === 0 ? bit : bit << CT_STATUS_DIR_SHIFT;
}

function segmentEnd(meta: PacketMeta): number {
  const f = meta.tcpFlags;
  return (meta.tcpSeq + meta.payloadLength + ((f & TcpFlag.SYN) !== 0 ? 1 : 0) + ((f & TcpFlag.FIN) !== 0 ? 1 : 0)) >>> 0;
}

export class ConntrackTable {
  readonly capacity: number;
  readonly maxEntries: number;
  readonly timeouts: CtTimeoutProfile;
  readonly tcpLoose: boolean;
  readonly tcpIgnoreInvalidRst: boolean;
  /** Indexed by CtCounter.*; INVALID_BASE + CtInvalidCause.* per invalid cause. */
  readonly counters = new Float64Array(CT_COUNTER_COUNT);

  // ---- result of the last lookup (valid until the next call) ----
  /** Entry index of the last lookup/create, −1 when none. */
  index = -1;
  /** CtDirection of the packet relative to the entry. */
  direction: CtDirection = CtDirection.ORIGINAL;
  ctinfo: CtInfo = CtInfo.NEW;
  invalidCause: CtInvalidCause = CtInvalidCause.NONE;
  /** TCP state of the hit entry before the last packet (0 when not TCP or no hit). */
  tcpStateBefore = 0;

  private liveCount = 0;
  private nextFlowId = 1;
  private pendingKill = -1;
  private readonly mask: number;
  private readonly onRemove: ((index: number, reason: CtRemoveReason) => void) | undefined;
  private readonly onExpiry: ((flowId: number, expiry: number) => void) | undefined;
  /** Flow id → slot, -1 when absent (kept only with `onExpiry`; entries move on backward shift). */
  private slotOf: Int32Array | null = null;

  // ---- timeouts copied out of the profile: one hidden class whatever profile object was passed ----
  private readonly tcpTimeouts: Float64Array;
  private readonly tcpRetrans: number;
  private readonly tcpUnack: number;
  private readonly tcpMaxRetrans: number;
  private readonly udpUnreplied: number;
  private readonly udpStream: number;
  private readonly udpStreamDelay: number;
  private readonly icmpTimeout: number;
  private readonly icmpv6Timeout: number;
  private readonly genericTimeout: number;

  // ---- the slot slab: three views of one buffer ----
  private readonly w: Uint32Array;
  private readonly f: Float64Array;
  private readonly h: Uint16Array;
  private v6Src: Uint32Array | null = null;
  private v6Dst: Uint32Array | null = null;

  // ---- the key of the packet being processed (scalars, no allocation) ----
  private kV6 = false;
  private kSrc = 0;
  private kDst = 0;
  private kSrcWords: Uint32Array;
  private kDstWords: Uint32Array;
  private kPorts = 0;
  private kInfo = 0;
  private rPorts = 0;
  /** keyInfo a stored entry must have for the packet to be its reply; −1 = cannot be a reply. */
  private rInfo = 0;
  private kHash = 0;
  /**
   * The empty slot where the last IPv4 fast-path lookup missed, and that tuple: `create` for the
   * same tuple right after (the dataplane's new-flow path) inserts there without walking the
   * chain twice more. Any change to the table's slots forgets it (-1).
   */
  private missSlot = -1;
  private missInfo = 0;
  private missSrc = 0;
  private missDst = 0;
  private missPorts = 0;
  private foundDir = 0;
  /** Scratch for `rekeyDestination`: the entry's words and its addresses. */
  private readonly movedSlot = new Uint32Array(SLOT_WORDS);
  private readonly movedSrc = new Uint32Array(4);
  private readonly movedDst = new Uint32Array(4);

  constructor(opts: ConntrackOptions) {
    const cap = opts.capacity;
    if (!Number.isInteger(cap) || cap < 16 || (cap & (cap - 1)) !== 0 || cap > MAX_CAPACITY) {
      throw new RangeError(`conntrack capacity must be a power of two in [16, 2^26], got ${cap}`);
    }
    this.capacity = cap;
    this.mask = cap - 1;
    const max = opts.maxEntries ?? (cap >>> 2) * 3;
    if (!Number.isInteger(max) || max < 1 || max >= cap) {
      throw new RangeError(`conntrack maxEntries must be an integer in [1, capacity - 1], got ${max}`);
    }
    this.maxEntries = max;
    const p = opts.timeouts ?? CT_TIMEOUTS_LINUX;
    this.timeouts = p;
    this.tcpTimeouts = tcpTimeoutsByState(p);
    this.tcpRetrans = p.tcpRetrans;
    this.tcpUnack = p.tcpUnack;
    this.tcpMaxRetrans = p.tcpMaxRetrans;
    this.udpUnreplied = p.udpUnreplied;
    this.udpStream = p.udpStream;
    this.udpStreamDelay = p.udpStreamDelay;
    this.icmpTimeout = p.icmp;
    this.icmpv6Timeout = p.icmpv6;
    this.genericTimeout = p.generic;
    this.tcpLoose = opts.tcpLoose ?? true;
    this.tcpIgnoreInvalidRst = opts.tcpIgnoreInvalidRst ?? false;
    this.onRemove = opts.onRemove;
    this.onExpiry = opts.onExpiry;
    if (this.onExpiry) this.slotOf = new Int32Array(1024).fill(-1);

    const slab = new ArrayBuffer(cap * SLOT_BYTES);
    this.w = new Uint32Array(slab);
    this.f = new Float64Array(slab);
    this.h = new Uint16Array(slab);
    const empty = new Uint32Array(4);
    this.kSrcWords = empty;
    this.kDstWords = empty;
  }

  /** Live entries (including one DYING entry until the next call). */
  get size(): number {
    return this.liveCount;
  }

  /** Bytes of table storage per slot (IPv6 side columns counted once allocated). */
  bytesPerSlot(): number {
    let total = this.w.byteLength;
    if (this.v6Src !== null) total += this.v6Src.byteLength;
    if (this.v6Dst !== null) total += this.v6Dst.byteLength;
    return total / this.capacity;
  }

  // ===================================================================== lookup

  /**
   * Classify one packet (nf_conntrack_in up to, not including, confirmation). On a hit the
   * entry's L4 state and timer are updated here, before any policy. On MISS_NEW nothing is
   * stored: call `create` if policy allows the packet.
   */
  lookup(meta: PacketMeta, nowSec: number): CtResult {
    if (this.pendingKill >= 0) this.flushPending();
    this.index = -1;
    this.direction = CtDirection.ORIGINAL;
    this.invalidCause = CtInvalidCause.NONE;
    this.tcpStateBefore = 0;
    const proto = meta.protocol;
    const v6 = meta.ipVersion === 6;

    // Fast path: IPv4 TCP/UDP, the key kept in locals (no staging into fields, no IPv6 compare).
    if ((proto === PROTO_TCP || proto === PROTO_UDP) && meta.ipVersion === 4 && meta.l4Offset >= 0) {
      if (proto === PROTO_TCP && TCP_VALID_FLAGS[meta.tcpFlags & TCP_FLAGS_CHECKED_MASK] !== 1) return this.invalid(CtInvalidCause.TCP_BAD_FLAGS);
      const a = meta.src[0]!;
      const b = meta.dst[0]!;
      const sp = meta.srcPort & 0xffff;
      const dp = meta.dstPort & 0xffff;
      const info = proto | KEY_OCCUPIED;
      const i = this.probe4(hashTuple(a, sp, b, dp, info) & this.mask, info, a, b, ((sp << 16) | dp) >>> 0, ((dp << 16) | sp) >>> 0, nowSec);
      if (i < 0) return this.miss(meta);
      if (proto === PROTO_TCP && this.tcpEstablishedAck(i, meta, nowSec)) {
        if (this.onExpiry) this.onExpiry(this.w[(i << SLOT_SHIFT) + W_FLOW]!, this.f[(i << 3) + F_EXPIRY]!);
        return this.foundDir === 0 ? CtResult.HIT_ORIGINAL : CtResult.HIT_REPLY;
      }
      return this.hit(i, meta, nowSec);
    }

    if (proto === PROTO_TCP) {
      if (meta.l4Offset < 0) return this.invalid(CtInvalidCause.NO_L4_HEADER);
      if (TCP_VALID_FLAGS[meta.tcpFlags & TCP_FLAGS_CHECKED_MASK] !== 1) return this.invalid(CtInvalidCause.TCP_BAD_FLAGS);
      this.setKeyL4(v6, meta.src, meta.dst, proto, meta.srcPort, meta.dstPort);
    } else if (proto === PROTO_UDP || proto === PROTO_SCTP) {
      // SCTP is tracked by its ports like UDP (nf_conntrack_proto_sctp.c; found by the kernel check).
      if (meta.l4Offset < 0) return this.invalid(CtInvalidCause.NO_L4_HEADER);
      this.setKeyL4(v6, meta.src, meta.dst, proto, meta.srcPort, meta.dstPort);
    } else if ((proto === PROTO_ICMP && !v6) || (proto === PROTO_ICMPV6 && v6)) {
      if (meta.l4Offset < 0) return this.invalid(CtInvalidCause.NO_L4_HEADER);
      const type = meta.icmpType;
      if (v6 ? isIcmp6Error(type) : isIcmp4Error(type)) return this.lookupIcmpError(meta, nowSec);
      if (v6 && isIcmp6Untracked(type)) {
        this.ctinfo = CtInfo.UNTRACKED;
        this.counters[CtCounter.UNTRACKED]!++;
        return CtResult.UNTRACKED;
      }
      this.setKeyFromPacket(meta);
    } else {
      this.setKeyL4(v6, meta.src, meta.dst, proto, 0, 0);
    }
    const i = this.probe(nowSec);
    if (i < 0) return this.miss(meta);
    return this.hit(i, meta, nowSec);
  }

  private hit(i: number, meta: PacketMeta, now: number): CtResult {
    const w = this.w;
    const b = i << SLOT_SHIFT;
    const dir = this.foundDir;
    const st = w[b + W_STATUS]!;
    this.index = i;
    this.direction = dir as CtDirection;
    this.ctinfo = dir === 1 || (st & CtStatus.SEEN_REPLY) !== 0 ? CtInfo.ESTABLISHED : CtInfo.NEW;
    const proto = w[b + W_KEY]! & 0xff;
    if (proto === PROTO_TCP) {
      this.tcpStateBefore = st & 15;
      const v = this.tcpPacket(i, dir, meta, now);
      if (v !== TcpVerdict.ACCEPT) {
        if (v === TcpVerdict.INVALID) {
          // The handler may have moved the timer even for a packet it then calls invalid.
          if (this.onExpiry) this.onExpiry(w[b + W_FLOW]!, this.f[(i << 3) + F_EXPIRY]!);
          this.index = -1;
          this.ctinfo = CtInfo.INVALID;
          this.counters[CtCounter.INVALID_BASE + this.invalidCause]!++;
          return CtResult.INVALID;
        }
        if (v === TcpVerdict.REPEAT) {
          // Port reuse (§2.2): the old entry dies, the SYN is looked up again and is a new connection.
          this.kill(i, CtRemoveReason.PORT_REUSE);
          this.index = -1;
          this.tcpStateBefore = 0;
          return this.miss(meta);
        }
        this.counters[CtCounter.TCP_IGNORED]!++;
      }
    } else if (proto === PROTO_UDP) {
      this.udpPacket(i, now);
    } else if (proto === PROTO_ICMP) {
      this.f[(i << 3) + F_EXPIRY] = now + this.icmpTimeout;
    } else if (proto === PROTO_ICMPV6) {
      this.f[(i << 3) + F_EXPIRY] = now + this.icmpv6Timeout;
    } else {
      this.f[(i << 3) + F_EXPIRY] = now + this.genericTimeout;
    }
    if (this.onExpiry) this.onExpiry(w[b + W_FLOW]!, this.f[(i << 3) + F_EXPIRY]!);
    // IPS_SEEN_REPLY is set after the L4 handler (nf_conntrack_in), so the first reply's handler saw "not replied".
    if (dir === 1) {
      w[b + W_STATUS] = w[b + W_STATUS]! | CtStatus.SEEN_REPLY;
      this.counters[CtCounter.HIT_REPLY]!++;
      return CtResult.HIT_REPLY;
    }
    this.counters[CtCounter.HIT_ORIGINAL]!++;
    return CtResult.HIT_ORIGINAL;
  }

  /** No entry: may this packet start one? (tcp_new, ICMP valid_new.) */
  private miss(meta: PacketMeta): CtResult {
    const proto = meta.protocol;
    if (proto === PROTO_TCP) {
      const next = tcpNextState(CtDirection.ORIGINAL, tcpClassOf(meta.tcpFlags), TcpCtState.NONE);
      if (next === TcpCtState.INVALID || (next !== TcpCtState.SYN_SENT && !this.tcpLoose)) {
        return this.invalid(CtInvalidCause.TCP_INVALID_NEW);
      }
    } else if (this.isIcmpProto(meta)) {
      const t = meta.icmpType;
      if (t < 0 || t > 255 || (meta.ipVersion === 6 ? ICMP6_VALID_NEW[t] : ICMP4_VALID_NEW[t]) !== 1) {
        return this.invalid(CtInvalidCause.ICMP_INVALID_NEW);
      }
    } else if (proto === PROTO_SCTP && !sctpMayStart(meta.sctpChunks, meta.sctpVtag)) {
      return this.invalid(CtInvalidCause.SCTP_INVALID_NEW);
    }
    this.ctinfo = CtInfo.NEW;
    this.counters[CtCounter.MISS_NEW]!++;
    return CtResult.MISS_NEW;
  }

  private invalid(cause: CtInvalidCause): CtResult {
    this.invalidCause = cause;
    this.ctinfo = CtInfo.INVALID;
    this.index = -1;
    this.counters[CtCounter.INVALID_BASE + cause]!++;
    return CtResult.INVALID;
  }

  /**
   * nf_conntrack_inet_error (§2.4): invert the quoted inner tuple, look it up; RELATED when found
   * and the outer destination is the found direction's destination. No refresh.
   */
  private lookupIcmpError(meta: PacketMeta, now: number): CtResult {
    if (!meta.hasInner) return this.invalid(CtInvalidCause.ICMP_ERROR_NO_FLOW);
    const v6 = (meta.innerIpVersion || meta.ipVersion) === 6;
    const p = meta.innerProtocol;
    if ((p === PROTO_ICMP && !v6) || (p === PROTO_ICMPV6 && v6)) {
      // The inner packet was an echo-like request or reply; the inverted tuple carries the paired type.
      const t = meta.innerIcmpType;
      const inv = t >= 0 && t <= 255 ? (v6 ? ICMP6_INVMAP : ICMP4_INVMAP)[t]! : -1;
      if (inv < 0) return this.invalid(CtInvalidCause.ICMP_ERROR_NO_FLOW);
      this.setKeyIcmp(v6, meta.innerDst, meta.innerSrc, p, meta.innerIcmpId, inv, 0);
    } else if (p === PROTO_TCP || p === PROTO_UDP || p === PROTO_SCTP) {
      this.setKeyL4(v6, meta.innerDst, meta.innerSrc, p, meta.innerDstPort, meta.innerSrcPort);
    } else {
      this.setKeyL4(v6, meta.innerDst, meta.innerSrc, p, 0, 0);
    }
    // An expired flow is gone: the probe reclaims it and the error is INVALID.
    const i = this.probe(now);
    if (i < 0) return this.invalid(CtInvalidCause.ICMP_ERROR_NO_FLOW);
    const dir = this.foundDir;
    const outer = meta.dst;
    let ok: boolean;
    if (v6) {
      const words = dir === 0 ? this.v6Dst! : this.v6Src!;
      const b = i * 4;
      ok = words[b] === outer[0] && words[b + 1] === outer[1] && words[b + 2] === outer[2] && words[b + 3] === outer[3];
    } else {
      ok = this.w[(i << SLOT_SHIFT) + (dir === 0 ? W_DST : W_SRC)] === outer[0] && meta.ipVersion === 4;
    }
    if (!ok) return this.invalid(CtInvalidCause.ICMP_ERROR_WRONG_DST);
    this.index = i;
    this.direction = dir as CtDirection;
    this.ctinfo = CtInfo.RELATED;
    this.counters[CtCounter.RELATED]!++;
    return CtResult.RELATED;
  }

  private isIcmpProto(meta: PacketMeta): boolean {
    return (meta.protocol === PROTO_ICMP && meta.ipVersion !== 6) || (meta.protocol === PROTO_ICMPV6 && meta.ipVersion === 6);
  }

  // ===================================================================== create

  /**
   * Confirm a connection whose first packet was allowed (SEMANTICS.md §2.1: entries exist only
   * for accepted packets). Runs the L4 handler for that packet as the kernel does before
   * confirmation. Returns the entry index, or −1 when the table is full and nothing could be
   * early-dropped (counted as TABLE_FULL), or when the packet cannot start a connection.
   * Creating a tuple that is already tracked returns the existing entry unchanged.
   * `flowId` (u32) defaults to a table-assigned serial number (1, 2, ...); `policyVersion` (u16)
   * is the policy generation the first packet was judged by (SEMANTICS.md §6 verdict caching).
   */
  create(meta: PacketMeta, nowSec: number, flowId = -1, policyVersion = 0): number {
    if (this.pendingKill >= 0) this.flushPending();
    this.index = -1;
    if (this.lookupClassOnly(meta) !== CtResult.MISS_NEW) return -1;
    this.setKeyFromPacket(meta);
    // Right after a fast-path miss of this very tuple (no slot changed since), the tuple is known
    // absent and its chain ends at missSlot: skip both walks.
    const known = this.missSlot >= 0 && !this.kV6 && this.missInfo === this.kInfo && this.missSrc === this.kSrc && this.missDst === this.kDst && this.missPorts === this.kPorts;
    if (!known) {
      const existing = this.probe(nowSec);
      if (existing >= 0) {
        this.index = existing;
        return existing;
      }
    }
    const home = this.kHash & this.mask;
    if (this.liveCount >= this.maxEntries && !this.earlyDrop(home, nowSec)) {
      this.counters[CtCounter.TABLE_FULL]!++;
      return -1;
    }
    let i = this.missSlot;
    if (!known || i < 0) {
      i = home;
      while (this.w[i << SLOT_SHIFT] !== 0) i = (i + 1) & this.mask;
    }
    this.initSlot(i, meta, nowSec, flowId, policyVersion);
    if (this.onExpiry) {
      const id = this.w[(i << SLOT_SHIFT) + W_FLOW]!;
      this.setSlotOf(id, i);
      this.onExpiry(id, this.f[(i << 3) + F_EXPIRY]!);
    }
    this.liveCount++;
    this.counters[CtCounter.CREATED]!++;
    this.index = i;
    this.direction = CtDirection.ORIGINAL;
    this.ctinfo = CtInfo.NEW;
    return i;
  }

  /** The tcp_new / valid_new checks without touching the table. */
  private lookupClassOnly(meta: PacketMeta): CtResult {
    const proto = meta.protocol;
    if (proto === PROTO_TCP) {
      if (meta.l4Offset < 0 || TCP_VALID_FLAGS[meta.tcpFlags & TCP_FLAGS_CHECKED_MASK] !== 1) return CtResult.INVALID;
      const next = tcpNextState(CtDirection.ORIGINAL, tcpClassOf(meta.tcpFlags), TcpCtState.NONE);
      if (next === TcpCtState.INVALID || (next !== TcpCtState.SYN_SENT && !this.tcpLoose)) return CtResult.INVALID;
    } else if (this.isIcmpProto(meta)) {
      const t = meta.icmpType;
      if (meta.l4Offset < 0 || t < 0 || t > 255 || (meta.ipVersion === 6 ? ICMP6_VALID_NEW[t] : ICMP4_VALID_NEW[t]) !== 1) {
        return CtResult.INVALID;
      }
    } else if ((proto === PROTO_UDP || proto === PROTO_SCTP) && meta.l4Offset < 0) {
      return CtResult.INVALID;
    } else if (proto === PROTO_SCTP && !sctpMayStart(meta.sctpChunks, meta.sctpVtag)) {
      return CtResult.INVALID;
    }
    return CtResult.MISS_NEW;
  }

  private initSlot(i: number, meta: PacketMeta, now: number, flowId: number, policyVersion: number): void {
    this.missSlot = -1;
    const w = this.w;
    const b = i << SLOT_SHIFT;
    // A freed slot keeps stale words; every field is written here.
    w[b + W_KEY] = this.kInfo;
    w[b + W_SRC] = this.kSrc;
    w[b + W_DST] = this.kDst;
    w[b + W_PORTS] = this.kPorts;
    if (this.kV6) {
      if (this.v6Src === null || this.v6Dst === null) {
        this.v6Src = new Uint32Array(this.capacity * 4);
        this.v6Dst = new Uint32Array(this.capacity * 4);
      }
      this.v6Src.set(this.kSrcWords, i * 4);
      this.v6Dst.set(this.kDstWords, i * 4);
    }
    w[b + W_STATUS] = 0;
    w[b + W_FLOW] = flowId >= 0 ? flowId >>> 0 : this.nextFlowId++ >>> 0;
    for (let k = W_TD_END; k < SLOT_WORDS; k++) w[b + k] = 0;
    this.h[(i << (SLOT_SHIFT + 1)) + H_POLICY] = policyVersion & 0xffff;

    const proto = this.kInfo & 0xff;
    if (proto === PROTO_TCP) {
      this.tcpNew(i, meta);
      this.tcpPacket(i, CtDirection.ORIGINAL, meta, now);
    } else if (proto === PROTO_UDP) {
      // nf_conntrack_udp: stream_ts = creation + 2 s (§2.4), in the slot's TCP words.
      this.f[(i << 3) + F_UDP_STREAM] = now + this.udpStreamDelay;
      this.udpPacket(i, now);
    } else if (proto === PROTO_ICMP) {
      this.f[(i << 3) + F_EXPIRY] = now + this.icmpTimeout;
    } else if (proto === PROTO_ICMPV6) {
      this.f[(i << 3) + F_EXPIRY] = now + this.icmpv6Timeout;
    } else {
      this.f[(i << 3) + F_EXPIRY] = now + this.genericTimeout;
    }
  }

  /**
   * Early drop (§2.5, early_drop with NF_CT_EVICTION_RANGE): look at the CT_EVICTION_RANGE slots
   * starting at the new tuple's home slot. An expired entry there is reclaimed first; otherwise
   * the non-ASSURED entry with the soonest expiry (ties: nearest to home) is evicted: the one
   * whose timer would free it first, i.e. the least recently refreshed within a timeout class.
   * The kernel takes the first non-ASSURED entry of a hash bucket, which is effectively random;
   * this choice is deterministic. Returns whether a slot was freed.
   */
  private earlyDrop(home: number, now: number): boolean {
    const w = this.w;
    const f = this.f;
    let victim = -1;
    let victimExpiry = Number.POSITIVE_INFINITY;
    for (let k = 0; k < CT_EVICTION_RANGE; k++) {
      const j = (home + k) & this.mask;
      const b = j << SLOT_SHIFT;
      if (w[b + W_KEY] === 0) continue;
      const expiry = f[(j << 3) + F_EXPIRY]!;
      if (expiry <= now) {
        this.removeAt(j, CtRemoveReason.EXPIRED);
        return true;
      }
      if ((w[b + W_STATUS]! & CtStatus.ASSURED) === 0 && expiry < victimExpiry) {
        victim = j;
        victimExpiry = expiry;
      }
    }
    if (victim < 0) return false;
    this.removeAt(victim, CtRemoveReason.EARLY_DROP);
    return true;
  }

  // ===================================================================== L4 handlers

  /** tcp_new: initial window data of the ORIGINAL side; picked-up connections are liberal on both sides. */
  private tcpNew(i: number, meta: PacketMeta): void {
    const b = i << SLOT_SHIFT;
    this.w[b + W_TD_END] = segmentEnd(meta);
    // State NONE and last_index NONE until the handler below records this packet.
    let st = CtStatus.TCP_SEEN_INIT | (TcpClass.NONE << LAST_SHIFT);
    if ((meta.tcpFlags & TcpFlag.SYN) === 0) {
      st |= CtStatus.TCP_BE_LIBERAL | dirBit(CtStatus.TCP_BE_LIBERAL, 1);
    }
    this.w[b + W_STATUS] = st; // the packet handler moves the state
  }

  /**
   * The steady state of a connection in one step: a pure ACK (class ack: no SYN, FIN or RST) on
   * an ESTABLISHED, ASSURED entry whose sender side is initialised (SEEN_INIT, MAXACK_SET). Then
   * the transition is ES → ES in both directions and most of `tcpPacket` cannot apply (no
   * special case, no first-packet window init, no unreplied or assured step, no CLOSE_INIT, no
   * RST timer), so what remains is `tcpTrackWindow`'s bookkeeping and the §2.3 timer choice,
   * inlined. Returns false, touching nothing, when the packet is not in that case; the caller
   * then runs the general `hit`. Same results as `hit` (the slow path is the specification).
   */
  private tcpEstablishedAck(i: number, meta: PacketMeta, now: number): boolean {
    const flags = meta.tcpFlags;
    if ((flags & (TcpFlag.ACK | TcpFlag.SYN | TcpFlag.FIN | TcpFlag.RST)) !== TcpFlag.ACK) return false;
    const w = this.w;
    const b = i << SLOT_SHIFT;
    const dir = this.foundDir;
    let st = w[b + W_STATUS]! | 0;
    const need = TcpCtState.ESTABLISHED | CtStatus.SEEN_REPLY | CtStatus.ASSURED
      | dirBit(CtStatus.TCP_SEEN_INIT | CtStatus.TCP_MAXACK_SET, dir);
    if ((st & (15 | need)) !== need) return false;

    const seq = meta.tcpSeq >>> 0;
    const ack = meta.tcpAck >>> 0;
    const win = meta.tcpWindow;
    const end = (seq + meta.payloadLength) >>> 0;
    const s = b + W_TD_END + dir;
    const r = b + W_TD_END + (dir ^ 1);
    if (after(end, w[s]!)) {
      w[s] = end;
      st |= dirBit(CtStatus.TCP_DATA_UNACK, dir);
    }
    const m = b + W_TD_MAXACK + dir;
    if (after(ack, w[m]!)) w[m] = ack;
    if (ack === w[r]) st &= ~dirBit(CtStatus.TCP_DATA_UNACK, dir ^ 1);
    const hw = (b << 1) + H_LAST_WIN;
    if (((st >>> LAST_DIR_SHIFT) & 1) === dir && w[b + W_LAST_SEQ] === seq && w[b + W_LAST_ACK] === ack
      && w[b + W_LAST_END] === end && this.h[hw] === win) {
      const n = Math.min(RETRANS_MAX, (st >>> RETRANS_SHIFT) + 1);
      st = (st & ~(0xff << LAST_SHIFT)) | (n << RETRANS_SHIFT) | (TcpClass.ACK << LAST_SHIFT) | (dir << LAST_DIR_SHIFT);
    } else {
      w[b + W_LAST_SEQ] = seq;
      w[b + W_LAST_ACK] = ack;
      w[b + W_LAST_END] = end;
      this.h[hw] = win;
      st = (st & ~(0xff << LAST_SHIFT)) | (TcpClass.ACK << LAST_SHIFT) | (dir << LAST_DIR_SHIFT);
    }
    // §2.3 timer rules for next = ESTABLISHED (rule 2 needs an RST; last_win is this packet's window).
    const tEst = this.tcpTimeouts[TcpCtState.ESTABLISHED]!;
    let timeout = tEst;
    if ((st >>> RETRANS_SHIFT) >= this.tcpMaxRetrans && tEst > this.tcpRetrans) timeout = this.tcpRetrans;
    else if ((st & (CtStatus.TCP_DATA_UNACK | dirBit(CtStatus.TCP_DATA_UNACK, 1))) !== 0 && tEst > this.tcpUnack) timeout = this.tcpUnack;
    else if (win === 0 && tEst > this.tcpRetrans) timeout = this.tcpRetrans;
    w[b + W_STATUS] = st;
    this.f[(i << 3) + F_EXPIRY] = now + timeout;

    this.index = i;
    this.direction = dir as CtDirection;
    this.ctinfo = CtInfo.ESTABLISHED;
    this.tcpStateBefore = TcpCtState.ESTABLISHED;
    this.counters[dir === 0 ? CtCounter.HIT_ORIGINAL : CtCounter.HIT_REPLY]!++;
    return true;
  }

  /** nf_conntrack_tcp_packet after tcp_error/tcp_new (§2.2 special handling, §2.3 timeouts). */
  private tcpPacket(i: number, dir: number, meta: PacketMeta, now: number): number {
    const w = this.w;
    const b = i << SLOT_SHIFT;
    const flags = meta.tcpFlags;
    const cls = tcpClassOf(flags);
    let st = w[b + W_STATUS]! | 0;
    let old = st & 15;
    let next = tcpNextState(dir, cls, old);
    const lastIndex = (st >>> LAST_SHIFT) & 7;
    const lastDir = (st >>> LAST_DIR_SHIFT) & 1;
    let skipWindow = false;

    switch (next) {
      case TcpCtState.SYN_SENT:
      case TcpCtState.IGNORE: {
        if (next === TcpCtState.SYN_SENT) {
          if (old < TcpCtState.TIME_WAIT) break;
          // A SYN reopening a closed or reset connection: kill and look up again as new.
          const closeInit = CtStatus.TCP_CLOSE_INIT | dirBit(CtStatus.TCP_CLOSE_INIT, 1);
          if ((st & closeInit) !== 0 || (lastDir === dir && lastIndex === TcpClass.RST)) return TcpVerdict.REPEAT;
          // else: treated as IGNORE (the kernel falls through)
        }
        if (cls === TcpClass.SYNACK && lastIndex === TcpClass.SYN && lastDir !== dir && (meta.tcpAck >>> 0) === w[b + W_LAST_END]) {
          // b) SYN/ACK acknowledging a SYN we ignored: resync from the remembered SYN.
          old = TcpCtState.SYN_SENT;
          next = TcpCtState.SYN_RECV;
          const ld = lastDir;
          w[b + W_TD_END + ld] = w[b + W_LAST_END]!;
          st |= dirBit(CtStatus.TCP_SEEN_INIT, ld);
          st &= ~(CtStatus.TCP_EXP_CHALLENGE_ACK | dirBit(CtStatus.TCP_MAXACK_SET | CtStatus.TCP_DATA_UNACK | CtStatus.TCP_CLOSE_INIT, ld));
          // nf_ct_tcp_state_reset(seen[dir])
          st &= ~dirBit(DIR_BITS_ALL & ~CtStatus.TCP_BE_LIBERAL, dir);
          w[b + W_TD_END + dir] = 0;
          w[b + W_TD_MAXACK + dir] = 0;
          break;
        }
        w[b + W_LAST_SEQ] = meta.tcpSeq >>> 0;
        w[b + W_LAST_END] = segmentEnd(meta);
        this.h[(i << (SLOT_SHIFT + 1)) + H_LAST_WIN] = meta.tcpWindow;
        if (cls === TcpClass.SYN && dir === CtDirection.ORIGINAL) {
          st &= ~CtStatus.TCP_EXP_CHALLENGE_ACK;
          if (old === TcpCtState.LAST_ACK) st |= CtStatus.TCP_EXP_CHALLENGE_ACK;
        }
        if (old === TcpCtState.SYN_SENT && cls === TcpClass.ACK && dir === CtDirection.REPLY) w[b + W_LAST_ACK] = meta.tcpAck >>> 0;
        w[b + W_STATUS] = (st & ~LAST_INDEX_DIR_MASK) | (cls << LAST_SHIFT) | (dir << LAST_DIR_SHIFT);
        return TcpVerdict.IGNORE;
      }
      case TcpCtState.INVALID:
        this.invalidCause = CtInvalidCause.TCP_INVALID_TRANSITION;
        return TcpVerdict.INVALID;
      case TcpCtState.TIME_WAIT:
        // RFC 5961 challenge ACK answering a SYN we let through in LAST_ACK: not the last ACK.
        if (old === TcpCtState.LAST_ACK && cls === TcpClass.ACK && lastDir !== dir && lastIndex === TcpClass.SYN
          && (st & CtStatus.TCP_EXP_CHALLENGE_ACK) !== 0) {
          w[b + W_STATUS] = st & ~CtStatus.TCP_EXP_CHALLENGE_ACK;
          return TcpVerdict.IGNORE;
        }
        break;
      case TcpCtState.SYN_SENT2:
        st |= CtStatus.TCP_SIMULTANEOUS_OPEN;
        break;
      case TcpCtState.SYN_RECV:
        if (dir === CtDirection.REPLY && cls === TcpClass.ACK && (st & CtStatus.TCP_SIMULTANEOUS_OPEN) !== 0) {
          next = TcpCtState.ESTABLISHED;
        }
        break;
      case TcpCtState.CLOSE: {
        if (cls !== TcpClass.RST) break;
        if (old >= TcpCtState.FIN_WAIT && old <= TcpCtState.CLOSE) {
          // tcp_can_early_drop: the tuple may already be reused, skip the checks.
          skipWindow = true;
          break;
        }
        const other = dir ^ 1;
        const seq = meta.tcpSeq >>> 0;
        const established = old === TcpCtState.ESTABLISHED && (st & CtStatus.ASSURED) !== 0;
        rstSeq: if ((st & dirBit(CtStatus.TCP_MAXACK_SET, other)) !== 0 && lastIndex !== TcpClass.SYN) {
          const maxack = w[b + W_TD_MAXACK + other]!;
          if (seq === 0 && !established) break rstSeq;
          if (before(seq, maxack) && !this.tcpIgnoreInvalidRst) {
            this.invalidCause = CtInvalidCause.TCP_INVALID_RST;
            return TcpVerdict.INVALID;
          }
          if (!established || seq === maxack) break rstSeq;
          if (lastIndex === TcpClass.ACK && lastDir === dir && seq === w[b + W_LAST_END]) break rstSeq;
          // Not exactly in sequence: keep the state to allow a challenge ACK.
          next = old;
        }
        if ((((st & CtStatus.SEEN_REPLY) !== 0 && lastIndex === TcpClass.SYN)
          || ((st & CtStatus.ASSURED) === 0 && lastIndex === TcpClass.ACK))
          && (meta.tcpAck >>> 0) === w[b + W_LAST_END]) {
          skipWindow = true; // RST answering a SYN/ACK we let through: no window check
        } else if (old === TcpCtState.SYN_SENT && lastIndex === TcpClass.ACK && lastDir === CtDirection.REPLY
          && seq === w[b + W_LAST_ACK]) {
          skipWindow = true; // RST answering a challenge ACK
        }
        break;
      }
      default:
        break;
    }

    if (!skipWindow) st = this.tcpTrackWindow(b, dir, old, cls, meta, st);

    // in_window: remember this packet's class and direction (the retrans count is kept).
    st = (st & ~LAST_INDEX_DIR_MASK) | (cls << LAST_SHIFT) | (dir << LAST_DIR_SHIFT);
    if (old !== next && next === TcpCtState.FIN_WAIT) st |= dirBit(CtStatus.TCP_CLOSE_INIT, dir);
    st = (st & ~15) | next;

    const tNext = this.tcpTimeouts[next]!;
    let timeout: number;
    if ((st >>> RETRANS_SHIFT) >= this.tcpMaxRetrans && tNext > this.tcpRetrans) timeout = this.tcpRetrans;
    else if (cls === TcpClass.RST) timeout = this.tcpTimeouts[TcpCtState.CLOSE]!;
    else if ((st & (CtStatus.TCP_DATA_UNACK | dirBit(CtStatus.TCP_DATA_UNACK, 1))) !== 0 && tNext > this.tcpUnack) timeout = this.tcpUnack;
    else if (this.h[(b << 1) + H_LAST_WIN] === 0 && tNext > this.tcpRetrans) timeout = this.tcpRetrans;
    else timeout = tNext;

    if ((st & CtStatus.SEEN_REPLY) === 0) {
      w[b + W_STATUS] = st;
      // Only reply so far is an RST: delete the entry now (the packet is still accepted).
      if ((flags & TcpFlag.RST) !== 0) {
        this.kill(i, CtRemoveReason.RST_UNREPLIED);
        return TcpVerdict.ACCEPT;
      }
      // A retransmitted SYN does not refresh the timer (else port reuse keeps the entry alive).
      if (cls === TcpClass.SYN && old === TcpCtState.SYN_SENT) return TcpVerdict.ACCEPT;
      // Picked up and never answered: no 5-day timer.
      if (next === TcpCtState.ESTABLISHED && timeout > this.tcpUnack) timeout = this.tcpUnack;
    } else if ((st & CtStatus.ASSURED) === 0 && (old === TcpCtState.SYN_RECV || old === TcpCtState.ESTABLISHED)
      && next === TcpCtState.ESTABLISHED) {
      st |= CtStatus.ASSURED;
    }
    w[b + W_STATUS] = st;
    this.f[(i << 3) + F_EXPIRY] = now + timeout;
    return TcpVerdict.ACCEPT;
  }

  /**
   * tcp_in_window bookkeeping in liberal mode: every packet is accepted and updates td_end,
   * td_maxack, DATA_UNACKNOWLEDGED and the retransmission detector. `b` is the slot's first
   * word. Returns the new status word.
   */
  private tcpTrackWindow(b: number, dir: number, old: number, cls: number, meta: PacketMeta, st: number): number {
    const w = this.w;
    const flags = meta.tcpFlags;
    const rdir = dir ^ 1;
    const s = b + W_TD_END + dir;
    const r = b + W_TD_END + rdir;
    let seq = meta.tcpSeq >>> 0;
    let ack = meta.tcpAck >>> 0;
    const win = meta.tcpWindow;
    let end = segmentEnd(meta);

    if ((st & dirBit(CtStatus.TCP_SEEN_INIT, dir)) === 0) {
      w[s] = end;
      st |= dirBit(CtStatus.TCP_SEEN_INIT, dir);
      if ((flags & TcpFlag.SYN) === 0) {
        // Mid-connection: history lost; make III and IV pass until the other side is seen.
        if ((st & dirBit(CtStatus.TCP_SEEN_INIT, rdir)) === 0) w[r] = ack;
        else if (ack === ((w[r]! + 1) >>> 0)) w[r] = ack;
      }
    } else if (((old === TcpCtState.SYN_SENT && dir === 0) || (old === TcpCtState.SYN_RECV && dir === 1))
      && after(end, w[s]!)) {
      w[s] = end; // a reinitialised sender (RFC 793)
    }
    if ((flags & TcpFlag.ACK) === 0) {
      ack = w[r]!;
    } else if ((flags & (TcpFlag.ACK | TcpFlag.RST)) === (TcpFlag.ACK | TcpFlag.RST) && ack === 0) {
      ack = w[r]!; // broken stacks: RST|ACK with ack 0
    }
    if ((flags & TcpFlag.RST) !== 0 && seq === 0 && old === TcpCtState.SYN_SENT) {
      seq = end = w[s]!; // RST answering a SYN
    }
    if (after(end, w[s]!)) {
      w[s] = end;
      st |= dirBit(CtStatus.TCP_DATA_UNACK, dir);
    }
    if ((flags & TcpFlag.ACK) !== 0) {
      const m = b + W_TD_MAXACK + dir;
      if ((st & dirBit(CtStatus.TCP_MAXACK_SET, dir)) === 0) {
        w[m] = ack;
        st |= dirBit(CtStatus.TCP_MAXACK_SET, dir);
      } else if (after(ack, w[m]!)) {
        w[m] = ack;
      }
    }
    if (ack === w[r]) st &= ~dirBit(CtStatus.TCP_DATA_UNACK, rdir);
    if (cls === TcpClass.ACK) {
      const hw = (b << 1) + H_LAST_WIN;
      if (((st >>> LAST_DIR_SHIFT) & 1) === dir && w[b + W_LAST_SEQ] === seq && w[b + W_LAST_ACK] === ack
        && w[b + W_LAST_END] === end && this.h[hw] === win) {
        const n = Math.min(RETRANS_MAX, (st >>> RETRANS_SHIFT) + 1);
        st = (st & ~(0xf << RETRANS_SHIFT)) | (n << RETRANS_SHIFT);
      } else {
        w[b + W_LAST_SEQ] = seq;
        w[b + W_LAST_ACK] = ack;
        w[b + W_LAST_END] = end;
        this.h[hw] = win;
        // New segment: last_dir = this direction, retrans count back to 0 (last_index is set by the caller).
        st = (st & ~((1 << LAST_DIR_SHIFT) | (0xf << RETRANS_SHIFT))) | (dir << LAST_DIR_SHIFT);
      }
    }
    return st;
  }

  /** nf_conntrack_udp_packet (§2.4): stream_ts (creation + udpStreamDelay) is in the slot. */
  private udpPacket(i: number, now: number): void {
    const b = i << SLOT_SHIFT;
    const fi = i << 3;
    const st = this.w[b + W_STATUS]!;
    if ((st & CtStatus.SEEN_REPLY) !== 0) {
      if (now > this.f[fi + F_UDP_STREAM]!) {
        this.f[fi + F_EXPIRY] = now + this.udpStream;
        this.w[b + W_STATUS] = st | CtStatus.ASSURED;
      } else {
        this.f[fi + F_EXPIRY] = now + this.udpUnreplied;
      }
    } else {
      this.f[fi + F_EXPIRY] = now + this.udpUnreplied;
    }
  }

  // ===================================================================== keys and probing

  private setKeyFromPacket(meta: PacketMeta): void {
    const v6 = meta.ipVersion === 6;
    if (this.isIcmpProto(meta)) {
      const t = meta.icmpType & 0xff;
      this.setKeyIcmp(v6, meta.src, meta.dst, meta.protocol, meta.icmpId, t, meta.icmpCode & 0xff);
    } else if (meta.protocol === PROTO_TCP || meta.protocol === PROTO_UDP || meta.protocol === PROTO_SCTP) {
      this.setKeyL4(v6, meta.src, meta.dst, meta.protocol, meta.srcPort, meta.dstPort);
    } else {
      this.setKeyL4(v6, meta.src, meta.dst, meta.protocol, 0, 0);
    }
  }

  /** Stage the addresses of a key (IPv6 folded to one word for hashing); returns the key-info base. */
  private stageAddresses(v6: boolean, srcW: Uint32Array, dstW: Uint32Array, proto: number): number {
    this.kV6 = v6;
    this.kSrcWords = srcW;
    this.kDstWords = dstW;
    this.kSrc = v6 ? foldV6(srcW) : srcW[0]!;
    this.kDst = v6 ? foldV6(dstW) : dstW[0]!;
    return (proto & 0xff) | (v6 ? KEY_V6 : 0) | KEY_OCCUPIED;
  }

  /** Stage a port-based (or portless) key; its REPLY candidate has the ports swapped. */
  private setKeyL4(v6: boolean, srcW: Uint32Array, dstW: Uint32Array, proto: number, sport: number, dport: number): void {
    const base = this.stageAddresses(v6, srcW, dstW, proto);
    const a = this.kSrc;
    const b = this.kDst;
    const sp = sport & 0xffff;
    const dp = dport & 0xffff;
    this.kPorts = ((sp << 16) | dp) >>> 0;
    this.rPorts = ((dp << 16) | sp) >>> 0;
    this.kInfo = base;
    this.rInfo = base;
    this.kHash = hashTuple(a, sp, b, dp, base);
  }

  /**
   * Stage an ICMP key. The stored type is the requester's; a packet of type t matches an entry
   * in the REPLY direction when the entry's type is invmap[t].
   */
  private setKeyIcmp(v6: boolean, srcW: Uint32Array, dstW: Uint32Array, proto: number, icmpId: number, icmpType: number, icmpCode: number): void {
    const base = this.stageAddresses(v6, srcW, dstW, proto);
    const a = this.kSrc;
    const b = this.kDst;
    const id = icmpId & 0xffff;
    this.kPorts = id;
    this.rPorts = id;
    const code = (icmpCode & 0xff) << 24;
    this.kInfo = (base | (icmpType << 16) | code) >>> 0;
    const pair = (v6 ? ICMP6_INVMAP : ICMP4_INVMAP)[icmpType]!;
    this.rInfo = pair < 0 ? -1 : (base | (pair << 16) | code) >>> 0;
    // Hash both directions with the smaller type of the pair (8/0 → 0, 128/129 → 128).
    const canon = pair >= 0 && pair < icmpType ? pair : icmpType;
    this.kHash = hashTuple(a, id, b, id, (base | (canon << 16) | code) >>> 0);
  }

  /** Home slot of a packet's tuple, the start of its early-drop window (tests, diagnostics). */
  homeSlotOf(meta: PacketMeta): number {
    this.setKeyFromPacket(meta);
    return this.kHash & this.mask;
  }

  /** Home slot of a stored entry (recomputed from its key; no hash word). */
  private homeOf(j: number): number {
    const w = this.w;
    const bj = j << SLOT_SHIFT;
    const info = w[bj + W_KEY]!;
    const proto = info & 0xff;
    const a = w[bj + W_SRC]!;
    const b = w[bj + W_DST]!;
    const ports = w[bj + W_PORTS]!;
    const icmp = (proto === PROTO_ICMP && (info & KEY_V6) === 0) || (proto === PROTO_ICMPV6 && (info & KEY_V6) !== 0);
    if (icmp) {
      const type = (info >>> 16) & 0xff;
      const pair = ((info & KEY_V6) !== 0 ? ICMP6_INVMAP : ICMP4_INVMAP)[type]!;
      const canon = pair >= 0 && pair < type ? pair : type;
      return hashTuple(a, ports, b, ports, ((info & 0xff00ffff) | (canon << 16)) >>> 0) & this.mask;
    }
    return hashTuple(a, ports >>> 16, b, ports & 0xffff, info) & this.mask;
  }

  private v6Equal(j: number, x: Uint32Array, y: Uint32Array): boolean {
    const s = this.v6Src!;
    const d = this.v6Dst!;
    const o = j * 4;
    return s[o] === x[0] && s[o + 1] === x[1] && s[o + 2] === x[2] && s[o + 3] === x[3]
      && d[o] === y[0] && d[o + 1] === y[1] && d[o + 2] === y[2] && d[o + 3] === y[3];
  }

  /**
   * Walk the chain from the staged key's home. Expired entries met on the way are reclaimed
   * (backward shift refills the current slot, so it is examined again). Returns the slot of the
   * live entry holding the key, with `foundDir` set, or −1.
   */
  private probe(now: number): number {
    const w = this.w;
    const f = this.f;
    const mask = this.mask;
    const kInfo = this.kInfo;
    const rInfo = this.rInfo;
    const kSrc = this.kSrc;
    const kDst = this.kDst;
    const kPorts = this.kPorts;
    const rPorts = this.rPorts;
    const v6 = this.kV6;
    let i = this.kHash & mask;
    for (;;) {
      const b = i << SLOT_SHIFT;
      const info = w[b + W_KEY]!;
      if (info === 0) return -1;
      let dir = -1;
      if (info === kInfo && w[b + W_SRC] === kSrc && w[b + W_DST] === kDst && w[b + W_PORTS] === kPorts
        && (!v6 || this.v6Equal(i, this.kSrcWords, this.kDstWords))) {
        dir = 0;
      } else if (info === rInfo && w[b + W_SRC] === kDst && w[b + W_DST] === kSrc && w[b + W_PORTS] === rPorts
        && (!v6 || this.v6Equal(i, this.kDstWords, this.kSrcWords))) {
        dir = 1;
      }
      if (f[(i << 3) + F_EXPIRY]! <= now) {
        this.removeAt(i, CtRemoveReason.EXPIRED);
        if (dir >= 0) return -1; // tuples are unique: the key is gone
        continue;
      }
      if (dir >= 0) {
        this.foundDir = dir;
        return i;
      }
      i = (i + 1) & mask;
    }
  }

  /** `probe` for an IPv4 TCP/UDP key passed as arguments (the hit path of `lookup`). */
  private probe4(home: number, info: number, a: number, b: number, ports: number, rPorts: number, now: number): number {
    const w = this.w;
    const mask = this.mask;
    let i = home;
    for (;;) {
      const o = i << SLOT_SHIFT;
      const k = w[o + W_KEY]!;
      if (k === 0) {
        this.missSlot = i;
        this.missInfo = info;
        this.missSrc = a;
        this.missDst = b;
        this.missPorts = ports;
        return -1;
      }
      let dir = -1;
      if (k === info) {
        const s = w[o + W_SRC]!;
        const d = w[o + W_DST]!;
        const p = w[o + W_PORTS]!;
        if (s === a && d === b && p === ports) dir = 0;
        else if (s === b && d === a && p === rPorts) dir = 1;
      }
      if (this.f[(i << 3) + F_EXPIRY]! <= now) {
        this.removeAt(i, CtRemoveReason.EXPIRED);
        if (dir >= 0) return -1; // tuples are unique: the key is gone
        continue;
      }
      if (dir >= 0) {
        this.foundDir = dir;
        return i;
      }
      i = (i + 1) & mask;
    }
  }

  /**
   * The entry holding `meta`'s tuple in either direction (`direction` says which), or −1, without
   * touching its state or timer (a probe reclaims expired entries it walks over, as `lookup` does).
   */
  find(meta: PacketMeta, nowSec: number): number {
    if (this.pendingKill >= 0) this.flushPending();
    this.setKeyFromPacket(meta);
    const i = this.probe(nowSec);
    this.index = i;
    this.direction = i >= 0 && this.foundDir === 1 ? CtDirection.REPLY : CtDirection.ORIGINAL;
    return i;
  }

  /**
   * Give flow `flowId`'s entry another ORIGINAL destination (address and port): the Service
   * endpoint a node capture showed for a connection the emulator had translated to another one
   * (dataplane.ts). nf_nat keeps the endpoint it chose in the entry's reply tuple; the emulator
   * keeps the translated tuple as the ORIGINAL one, so re-keying moves the entry to the new
   * tuple's chain with its state, timer, flow id and counters unchanged. Returns the entry's
   * new slot, or −1 (nothing changed) when there is no such entry or the new tuple is tracked.
   */
  rekeyDestination(flowId: number, dst: Uint32Array, dstPort: number): number {
    const i = this.slotOfFlow(flowId);
    if (i < 0) return -1;
    const w = this.w;
    const b = i << SLOT_SHIFT;
    const info = w[b + W_KEY]!;
    const proto = info & 0xff;
    const ported = proto === PROTO_TCP || proto === PROTO_UDP;
    if (!ported && (proto === PROTO_ICMP || proto === PROTO_ICMPV6)) return -1;
    this.addressesOf(i, this.movedSrc, this.movedDst);
    this.setKeyL4((info & KEY_V6) !== 0, this.movedSrc, dst, proto, ported ? w[b + W_PORTS]! >>> 16 : 0, ported ? dstPort : 0);
    // -Infinity: reclaim nothing on the way, so slot i stays where it is.
    if (this.probe(Number.NEGATIVE_INFINITY) >= 0) return -1;
    const slot = this.movedSlot;
    for (let k = 0; k < SLOT_WORDS; k++) slot[k] = w[b + k]!;
    this.deleteSlot(i);
    let j = this.kHash & this.mask;
    while (w[j << SLOT_SHIFT] !== 0) j = (j + 1) & this.mask;
    const d = j << SLOT_SHIFT;
    for (let k = 0; k < SLOT_WORDS; k++) w[d + k] = slot[k]!;
    w[d + W_KEY] = this.kInfo;
    w[d + W_SRC] = this.kSrc;
    w[d + W_DST] = this.kDst;
    w[d + W_PORTS] = this.kPorts;
    if (this.kV6 && this.v6Src !== null && this.v6Dst !== null) {
      this.v6Src.set(this.kSrcWords, j * 4);
      this.v6Dst.set(this.kDstWords, j * 4);
    }
    this.liveCount++;
    if (this.slotOf !== null) this.setSlotOf(slot[W_FLOW]!, j);
    this.index = j;
    return j;
  }

  /**
   * Remove flow `flowId`'s entry as if it had never been created (its first packet's verdict was
   * revised to a drop: dataplane.ts, post-DNAT copies). Not reported through onRemove; the
   * CREATED counter is taken back. Returns whether there was an entry.
   */
  withdraw(flowId: number): boolean {
    const i = this.slotOfFlow(flowId);
    if (i < 0) return false;
    this.deleteSlot(i);
    this.counters[CtCounter.CREATED]!--;
    return true;
  }

  // ===================================================================== removal

  /** Mark an entry killed by the current packet; it is removed at the start of the next call. */
  private kill(i: number, reason: CtRemoveReason): void {
    this.counters[reason === CtRemoveReason.RST_UNREPLIED ? CtCounter.KILLED_RST_UNREPLIED : CtCounter.KILLED_PORT_REUSE]!++;
    this.onRemove?.(i, reason);
    const s = (i << SLOT_SHIFT) + W_STATUS;
    this.w[s] = this.w[s]! | CtStatus.DYING;
    this.pendingKill = i;
  }

  private flushPending(): void {
    const i = this.pendingKill;
    if (i < 0) return;
    this.pendingKill = -1;
    this.deleteSlot(i);
  }

  private removeAt(i: number, reason: CtRemoveReason): void {
    if (reason === CtRemoveReason.EXPIRED) this.counters[CtCounter.EXPIRED]!++;
    else if (reason === CtRemoveReason.EARLY_DROP) this.counters[CtCounter.EARLY_DROPPED]!++;
    this.onRemove?.(i, reason);
    this.deleteSlot(i);
  }

  /** Backward-shift deletion: pull later chain members into the hole while their home allows it. */
  private deleteSlot(i: number): void {
    this.missSlot = -1;
    const w = this.w;
    if (this.slotOf !== null) this.slotOf[w[(i << SLOT_SHIFT) + W_FLOW]!] = -1;
    const mask = this.mask;
    let hole = i;
    let j = (i + 1) & mask;
    while (w[j << SLOT_SHIFT] !== 0) {
      const home = this.homeOf(j);
      // The entry at j may fill the hole when the hole lies on its probe path [home, j).
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        this.moveSlot(j, hole);
        hole = j;
      }
      j = (j + 1) & mask;
    }
    w[(hole << SLOT_SHIFT) + W_KEY] = 0;
    w[(hole << SLOT_SHIFT) + W_STATUS] = 0;
    this.liveCount--;
  }

  private moveSlot(from: number, to: number): void {
    const w = this.w;
    // Word copies: copying through the float64 view could canonicalise NaN bit patterns.
    const s = from << SLOT_SHIFT;
    const d = to << SLOT_SHIFT;
    for (let k = 0; k < SLOT_WORDS; k++) w[d + k] = w[s + k]!;
    if (this.slotOf !== null) this.slotOf[w[d + W_FLOW]!] = to;
    if (this.v6Src !== null && this.v6Dst !== null) {
      this.v6Src.copyWithin(to * 4, from * 4, from * 4 + 4);
      this.v6Dst.copyWithin(to * 4, from * 4, from * 4 + 4);
    }
  }

  /** Record that flow `id`'s entry is at slot `i` (the map grows with the flow ids). */
  private setSlotOf(id: number, i: number): void {
    let map = this.slotOf as Int32Array;
    if (id >= map.length) {
      let size = map.length;
      while (size <= id) size *= 2;
      const next = new Int32Array(size).fill(-1);
      next.set(map);
      this.slotOf = map = next;
    }
    map[id] = i;
  }

  /** Slot of flow `id`'s live entry, or -1 (needs `onExpiry`; a DYING entry counts as gone). */
  slotOfFlow(id: number): number {
    if (this.pendingKill >= 0) this.flushPending();
    const map = this.slotOf;
    if (map === null || id >= map.length) return -1;
    return map[id] as number;
  }

  /**
   * Remove the entry at slot `i` as timed out (the ExpiryQueue found its time reached): counted
   * EXPIRED and reported through onRemove, like the kernel's gc_worker or a probe reclaiming it.
   */
  expireSlot(i: number): void {
    if (this.pendingKill >= 0) this.flushPending();
    this.removeAt(i, CtRemoveReason.EXPIRED);
  }

  /** Next slot `sweep` examines. */
  private sweepCursor = 0;

  /**
   * The kernel's gc_worker in small steps: examine the next `slots` slots (wrapping around) and
   * remove the entries expired at `nowSec`, so a flow is reported soon after it is over even
   * when no packet probes its slot again. Returns how many were removed.
   */
  sweep(nowSec: number, slots: number): number {
    if (this.pendingKill >= 0) this.flushPending();
    if (this.liveCount === 0) return 0;
    const w = this.w;
    const f = this.f;
    const mask = this.mask;
    let i = this.sweepCursor;
    let removed = 0;
    for (let n = 0; n < slots; n++) {
      // Re-examine slot i after a removal: backward shift may have moved another entry into it.
      while (w[i << SLOT_SHIFT] !== 0 && f[(i << 3) + F_EXPIRY]! <= nowSec) {
        this.removeAt(i, CtRemoveReason.EXPIRED);
        removed++;
      }
      i = (i + 1) & mask;
    }
    this.sweepCursor = i;
    return removed;
  }

  /** Remove every entry expired at `nowSec` (a GC sweep for tests and reports). Returns how many. */
  expire(nowSec: number): number {
    this.flushPending();
    const w = this.w;
    const f = this.f;
    let removed = 0;
    for (let i = 0; i < this.capacity; i++) {
      // Re-examine slot i after a removal: backward shift may have moved another entry into it.
      while (w[i << SLOT_SHIFT] !== 0 && f[(i << 3) + F_EXPIRY]! <= nowSec) {
        this.removeAt(i, CtRemoveReason.EXPIRED);
        removed++;
      }
    }
    return removed;
  }

  /** Drop every entry (reported through onRemove with CLEARED). Counters are kept. */
  clear(): void {
    this.flushPending();
    for (let i = 0; i < this.capacity; i++) {
      if (this.w[i << SLOT_SHIFT] !== 0) this.onRemove?.(i, CtRemoveReason.CLEARED);
    }
    this.w.fill(0);
    this.missSlot = -1;
    this.liveCount = 0;
  }

  // ===================================================================== accessors (reports)

  /** Call `fn` for every live, non-dying entry in slot order. Do not mutate the table inside. */
  forEachEntry(fn: (index: number) => void): void {
    // An empty table (an empty capture) skips the scan of every slot: 16 MiB at the default
    // limit, most of it pages never touched, which the scan alone would fault in.
    if (this.liveCount === 0 && this.pendingKill < 0) return;
    const w = this.w;
    for (let i = 0; i < this.capacity; i++) {
      const b = i << SLOT_SHIFT;
      if (w[b + W_KEY] !== 0 && (w[b + W_STATUS]! & CtStatus.DYING) === 0) fn(i);
    }
  }

  isLive(i: number): boolean {
    const b = i << SLOT_SHIFT;
    return this.w[b + W_KEY] !== 0 && (this.w[b + W_STATUS]! & CtStatus.DYING) === 0;
  }
  /** TcpCtState of a TCP entry (0 for other protocols). */
  stateOf(i: number): number {
    return this.w[(i << SLOT_SHIFT) + W_STATUS]! & 15;
  }
  /** CtStatus flags of an entry. */
  statusOf(i: number): number {
    return this.w[(i << SLOT_SHIFT) + W_STATUS]! & STATUS_FLAGS_MASK;
  }
  isAssured(i: number): boolean {
    return (this.w[(i << SLOT_SHIFT) + W_STATUS]! & CtStatus.ASSURED) !== 0;
  }
  seenReply(i: number): boolean {
    return (this.w[(i << SLOT_SHIFT) + W_STATUS]! & CtStatus.SEEN_REPLY) !== 0;
  }
  isDying(i: number): boolean {
    return (this.w[(i << SLOT_SHIFT) + W_STATUS]! & CtStatus.DYING) !== 0;
  }
  protocolOf(i: number): number {
    return this.w[(i << SLOT_SHIFT) + W_KEY]! & 0xff;
  }
  ipVersionOf(i: number): 4 | 6 {
    return (this.w[(i << SLOT_SHIFT) + W_KEY]! & KEY_V6) !== 0 ? 6 : 4;
  }
  /** ORIGINAL source port (ICMP: the id). */
  srcPortOf(i: number): number {
    const p = this.protocolOf(i);
    const ports = this.w[(i << SLOT_SHIFT) + W_PORTS]!;
    return p === PROTO_ICMP || p === PROTO_ICMPV6 ? ports : ports >>> 16;
  }
  /** ORIGINAL destination port (ICMP: 0; see icmpTypeOf). */
  dstPortOf(i: number): number {
    const p = this.protocolOf(i);
    return p === PROTO_ICMP || p === PROTO_ICMPV6 ? 0 : this.w[(i << SLOT_SHIFT) + W_PORTS]! & 0xffff;
  }
  icmpTypeOf(i: number): number {
    return (this.w[(i << SLOT_SHIFT) + W_KEY]! >>> 16) & 0xff;
  }
  /** Copy the ORIGINAL addresses (4 words each, IPv4 in word 0) into caller-owned arrays. */
  addressesOf(i: number, outSrc: Uint32Array, outDst: Uint32Array): void {
    if ((this.w[(i << SLOT_SHIFT) + W_KEY]! & KEY_V6) !== 0) {
      for (let k = 0; k < 4; k++) {
        outSrc[k] = this.v6Src![i * 4 + k]!;
        outDst[k] = this.v6Dst![i * 4 + k]!;
      }
    } else {
      outSrc.fill(0);
      outDst.fill(0);
      outSrc[0] = this.w[(i << SLOT_SHIFT) + W_SRC]!;
      outDst[0] = this.w[(i << SLOT_SHIFT) + W_DST]!;
    }
  }
  /** Expiry time in seconds (float64, the packet clock). */
  expiryOf(i: number): number {
    return this.f[(i << 3) + F_EXPIRY]!;
  }
  flowIdOf(i: number): number {
    return this.w[(i << SLOT_SHIFT) + W_FLOW]!;
  }
  /** Policy generation the entry's verdict was computed with (u16; SEMANTICS.md §6 verdict caching). */
  policyVersionOf(i: number): number {
    return this.h[(i << (SLOT_SHIFT + 1)) + H_POLICY]!;
  }
  /** Record a re-evaluation of an established entry (reevaluateEstablished, SEMANTICS.md §6.3). */
  setPolicyVersion(i: number, policyVersion: number): void {
    this.h[(i << (SLOT_SHIFT + 1)) + H_POLICY] = policyVersion & 0xffff;
  }
}
