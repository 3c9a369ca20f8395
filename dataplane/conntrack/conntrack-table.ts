/**
 * The conntrack table: nf_conntrack's behaviour (SEMANTICS.md §2) over typed-array columns.
 *
 * Layout. One slot per column index; `capacity` slots, a power of two, fixed at construction.
 * Open addressing with linear probing; deletion by backward shift (no tombstones, so probe
 * lengths depend only on the load, which `maxEntries` caps at 3/4 of the slots by default).
 * Each slot stores the ORIGINAL tuple once. The hash is direction independent (the two
 * endpoints (address, port) are mixed separately and added), so a reply packet probes the same
 * chain and matches the stored tuple with addresses and ports swapped: one tuple per entry
 * instead of the kernel's two tuplehash nodes.
 *
 * IPv6: the `src`/`dst` columns hold an IPv4 address, or a 32-bit fold of an IPv6 address that
 * rejects mismatches during probing; the full IPv6 words live in side columns (`v6Src`,
 * `v6Dst`, 16 B each per slot) allocated on the first IPv6 entry, so IPv4-only replays do not
 * pay 24 extra bytes per slot.
 *
 * Size: 115 B per slot (IPv4; +32 B once the IPv6 side columns exist), i.e. ≥ 153 B per live
 * entry at the default 3/4 load. Key 16 (keyInfo, src, dst, ports), status 4, times 24 (expiry,
 * first/last seen as float64 seconds), accounting 24 (u32 packets and float64 bytes per
 * direction), dataplane 16 (verdict, egress/ingress rule, flow id), TCP tracking 31 (td_end and
 * td_maxack per side, last seq/ack/end/window, last index/dir/retrans). The 64 B target cannot
 * hold the required accounting, times and dataplane fields (64 B alone) next to a key.
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
 * failures are accepted). The bookkeeping that feeds the timeout rules of §2.3 (highest seq end
 * and highest ACK per side, DATA_UNACKNOWLEDGED, retransmission count, last window) is kept, but
 * updated on every packet; the kernel skips it for out-of-window packets even when liberal.
 * Strict mode is not implemented.
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

/** keyInfo layout: proto bits 0–7, IPv6 bit 8, occupied bit 9, ICMP type 16–23, ICMP code 24–31. 0 = empty slot. */
const KEY_V6 = 1 << 8;
const KEY_OCCUPIED = 1 << 9;
/** NF_CT_EVICTION_RANGE: early drop looks at this many slots from the new tuple's home (§2.5). */
export const CT_EVICTION_RANGE = 8;

/** Packed `tcpLast` column: last_index bits 0–2, last_dir bit 3, retrans bits 4–7 (saturating). */
const LAST_DIR_BIT = 1 << 3;
const RETRANS_SHIFT = 4;
const RETRANS_MAX = 15;

/** Per-direction status bits: ORIGINAL at the CtStatus value, REPLY shifted by CT_STATUS_DIR_SHIFT. */
const DIR_BITS_ALL = CtStatus.TCP_CLOSE_INIT | CtStatus.TCP_BE_LIBERAL | CtStatus.TCP_MAXACK_SET
  | CtStatus.TCP_DATA_UNACK | CtStatus.TCP_SEEN_INIT;

/** Outcome of the TCP handler. */
const TcpVerdict = { ACCEPT: 0, IGNORE: 1, INVALID: 2, REPEAT: 3 } as const;

export interface ConntrackOptions {
  /** Number of slots; a power of two ≥ 16. */
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
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** 32-bit fold of an IPv6 address, stored in the src/dst columns as a probe filter. */
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
  private readonly tcpTimeouts: Float64Array;

  // ---- key columns (probed) ----
  private readonly keyInfo: Uint32Array;
  private readonly src: Uint32Array;
  private readonly dst: Uint32Array;
  /** sport << 16 | dport of the ORIGINAL tuple; the ICMP id for ICMP. */
  private readonly ports: Uint32Array;
  private v6Src: Uint32Array | null = null;
  private v6Dst: Uint32Array | null = null;

  // ---- entry state ----
  /** Bits 0–3 TCP state, then CtStatus flags. */
  private readonly status: Uint32Array;
  private readonly expiry: Float64Array;
  private readonly firstSeen: Float64Array;
  private readonly lastSeen: Float64Array;
  /** [2i] ORIGINAL, [2i+1] REPLY. */
  private readonly packets: Uint32Array;
  private readonly bytes: Float64Array;
  private readonly verdict: Uint32Array;
  private readonly egressRule: Uint32Array;
  private readonly ingressRule: Uint32Array;
  private readonly flowId: Uint32Array;

  // ---- TCP tracking (ip_ct_tcp) ----
  /** td_end per direction ([2i+dir]). */
  private readonly tdEnd: Uint32Array;
  /** td_maxack per direction. */
  private readonly tdMaxack: Uint32Array;
  private readonly lastSeq: Uint32Array;
  private readonly lastAck: Uint32Array;
  private readonly lastEnd: Uint32Array;
  private readonly lastWin: Uint16Array;
  private readonly tcpLast: Uint8Array;

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
  private foundDir = 0;

  constructor(opts: ConntrackOptions) {
    const cap = opts.capacity;
    if (!Number.isInteger(cap) || cap < 16 || (cap & (cap - 1)) !== 0 || cap > 1 << 28) {
      throw new RangeError(`conntrack capacity must be a power of two in [16, 2^28], got ${cap}`);
    }
    this.capacity = cap;
    this.mask = cap - 1;
    const max = opts.maxEntries ?? (cap >>> 2) * 3;
    if (!Number.isInteger(max) || max < 1 || max >= cap) {
      throw new RangeError(`conntrack maxEntries must be an integer in [1, capacity - 1], got ${max}`);
    }
    this.maxEntries = max;
    this.timeouts = opts.timeouts ?? CT_TIMEOUTS_LINUX;
    this.tcpTimeouts = tcpTimeoutsByState(this.timeouts);
    this.tcpLoose = opts.tcpLoose ?? true;
    this.tcpIgnoreInvalidRst = opts.tcpIgnoreInvalidRst ?? false;
    this.onRemove = opts.onRemove;

    this.keyInfo = new Uint32Array(cap);
    this.src = new Uint32Array(cap);
    this.dst = new Uint32Array(cap);
    this.ports = new Uint32Array(cap);
    this.status = new Uint32Array(cap);
    this.expiry = new Float64Array(cap);
    this.firstSeen = new Float64Array(cap);
    this.lastSeen = new Float64Array(cap);
    this.packets = new Uint32Array(cap * 2);
    this.bytes = new Float64Array(cap * 2);
    this.verdict = new Uint32Array(cap);
    this.egressRule = new Uint32Array(cap);
    this.ingressRule = new Uint32Array(cap);
    this.flowId = new Uint32Array(cap);
    this.tdEnd = new Uint32Array(cap * 2);
    this.tdMaxack = new Uint32Array(cap * 2);
    this.lastSeq = new Uint32Array(cap);
    this.lastAck = new Uint32Array(cap);
    this.lastEnd = new Uint32Array(cap);
    this.lastWin = new Uint16Array(cap);
    this.tcpLast = new Uint8Array(cap);
    const empty = new Uint32Array(4);
    this.kSrcWords = empty;
    this.kDstWords = empty;
  }

  /** Live entries (including one DYING entry until the next call). */
  get size(): number {
    return this.liveCount;
  }

  /** Bytes of column storage per slot (IPv6 side columns counted once allocated). */
  bytesPerSlot(): number {
    let total = 0;
    for (const col of [
      this.keyInfo, this.src, this.dst, this.ports, this.status, this.expiry, this.firstSeen, this.lastSeen,
      this.packets, this.bytes, this.verdict, this.egressRule, this.ingressRule, this.flowId, this.tdEnd,
      this.tdMaxack, this.lastSeq, this.lastAck, this.lastEnd, this.lastWin, this.tcpLast, this.v6Src, this.v6Dst,
    ]) {
      if (col !== null) total += col.byteLength;
    }
    return total / this.capacity;
  }

  // ===================================================================== lookup

  /**
   * Classify one packet (nf_conntrack_in up to, not including, confirmation). On a hit the
   * entry's L4 state, timer and counters are updated here, before any policy. On MISS_NEW
   * nothing is stored: call `create` if policy allows the packet.
   */
  lookup(meta: PacketMeta, nowSec: number): CtResult {
    this.flushPending();
    this.index = -1;
    this.direction = CtDirection.ORIGINAL;
    this.invalidCause = CtInvalidCause.NONE;
    this.tcpStateBefore = 0;
    const proto = meta.protocol;
    const v6 = meta.ipVersion === 6;

    if (proto === PROTO_TCP) {
      if (meta.l4Offset < 0) return this.invalid(CtInvalidCause.NO_L4_HEADER);
      if (TCP_VALID_FLAGS[meta.tcpFlags & TCP_FLAGS_CHECKED_MASK] !== 1) return this.invalid(CtInvalidCause.TCP_BAD_FLAGS);
    } else if (proto === PROTO_UDP) {
      if (meta.l4Offset < 0) return this.invalid(CtInvalidCause.NO_L4_HEADER);
    } else if ((proto === PROTO_ICMP && !v6) || (proto === PROTO_ICMPV6 && v6)) {
      if (meta.l4Offset < 0) return this.invalid(CtInvalidCause.NO_L4_HEADER);
      const type = meta.icmpType;
      if (v6 ? isIcmp6Error(type) : isIcmp4Error(type)) return this.lookupIcmpError(meta, nowSec);
      if (v6 && isIcmp6Untracked(type)) {
        this.ctinfo = CtInfo.UNTRACKED;
        this.counters[CtCounter.UNTRACKED]!++;
        return CtResult.UNTRACKED;
      }
    }
    this.setKeyFromPacket(meta);
    const i = this.probe(nowSec);
    if (i < 0) return this.miss(meta);
    return this.hit(i, meta, nowSec);
  }

  private hit(i: number, meta: PacketMeta, now: number): CtResult {
    const dir = this.foundDir;
    const st = this.status[i]!;
    this.index = i;
    this.direction = dir as CtDirection;
    this.ctinfo = dir === 1 || (st & CtStatus.SEEN_REPLY) !== 0 ? CtInfo.ESTABLISHED : CtInfo.NEW;
    const proto = this.keyInfo[i]! & 0xff;
    if (proto === PROTO_TCP) {
      this.tcpStateBefore = st & 15;
      const v = this.tcpPacket(i, dir, meta, now);
      if (v === TcpVerdict.INVALID) {
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
      if (v === TcpVerdict.IGNORE) this.counters[CtCounter.TCP_IGNORED]!++;
    } else if (proto === PROTO_UDP) {
      this.udpPacket(i, now);
    } else if (proto === PROTO_ICMP) {
      this.expiry[i] = now + this.timeouts.icmp;
    } else if (proto === PROTO_ICMPV6) {
      this.expiry[i] = now + this.timeouts.icmpv6;
    } else {
      this.expiry[i] = now + this.timeouts.generic;
    }
    // IPS_SEEN_REPLY is set after the L4 handler (nf_conntrack_in), so the first reply's handler saw "not replied".
    if (dir === 1) this.status[i]! |= CtStatus.SEEN_REPLY;
    const k = 2 * i + dir;
    this.packets[k]!++;
    this.bytes[k]! += meta.ipLength;
    this.lastSeen[i] = now;
    this.counters[dir === 0 ? CtCounter.HIT_ORIGINAL : CtCounter.HIT_REPLY]!++;
    return dir === 0 ? CtResult.HIT_ORIGINAL : CtResult.HIT_REPLY;
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
   * and the outer destination is the found direction's destination. No refresh, no accounting.
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
      this.setKey(v6, meta.innerDst, meta.innerSrc, p, meta.innerIcmpId, meta.innerIcmpId, inv, 0, true);
    } else if (p === PROTO_TCP || p === PROTO_UDP) {
      this.setKey(v6, meta.innerDst, meta.innerSrc, p, meta.innerDstPort, meta.innerSrcPort, 0, 0, false);
    } else {
      this.setKey(v6, meta.innerDst, meta.innerSrc, p, 0, 0, 0, 0, false);
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
      ok = (dir === 0 ? this.dst[i] : this.src[i]) === outer[0] && meta.ipVersion === 4;
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
   * `flowId` defaults to a table-assigned serial number (1, 2, ...).
   */
  create(meta: PacketMeta, nowSec: number, verdict: number, egressRule: number, ingressRule: number, flowId = -1): number {
    this.flushPending();
    this.index = -1;
    if (this.lookupClassOnly(meta) !== CtResult.MISS_NEW) return -1;
    this.setKeyFromPacket(meta);
    const existing = this.probe(nowSec);
    if (existing >= 0) {
      this.index = existing;
      return existing;
    }
    const home = this.kHash & this.mask;
    if (this.liveCount >= this.maxEntries && !this.earlyDrop(home, nowSec)) {
      this.counters[CtCounter.TABLE_FULL]!++;
      return -1;
    }
    let i = home;
    while (this.keyInfo[i] !== 0) i = (i + 1) & this.mask;
    this.initSlot(i, meta, nowSec, verdict, egressRule, ingressRule, flowId);
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
    } else if (proto === PROTO_UDP && meta.l4Offset < 0) {
      return CtResult.INVALID;
    }
    return CtResult.MISS_NEW;
  }

  private initSlot(i: number, meta: PacketMeta, now: number, verdict: number, eg: number, ing: number, flowId: number): void {
    const v6 = this.kV6;
    this.keyInfo[i] = this.kInfo;
    this.src[i] = this.kSrc;
    this.dst[i] = this.kDst;
    this.ports[i] = this.kPorts;
    if (v6) {
      if (this.v6Src === null || this.v6Dst === null) {
        this.v6Src = new Uint32Array(this.capacity * 4);
        this.v6Dst = new Uint32Array(this.capacity * 4);
      }
      this.v6Src.set(this.kSrcWords, i * 4);
      this.v6Dst.set(this.kDstWords, i * 4);
    }
    this.status[i] = 0;
    this.firstSeen[i] = now;
    this.lastSeen[i] = now;
    this.packets[2 * i] = 1;
    this.packets[2 * i + 1] = 0;
    this.bytes[2 * i] = meta.ipLength;
    this.bytes[2 * i + 1] = 0;
    this.verdict[i] = verdict >>> 0;
    this.egressRule[i] = eg >>> 0;
    this.ingressRule[i] = ing >>> 0;
    this.flowId[i] = flowId >= 0 ? flowId >>> 0 : this.nextFlowId++ >>> 0;
    this.tdEnd[2 * i] = 0;
    this.tdEnd[2 * i + 1] = 0;
    this.tdMaxack[2 * i] = 0;
    this.tdMaxack[2 * i + 1] = 0;
    this.lastSeq[i] = 0;
    this.lastAck[i] = 0;
    this.lastEnd[i] = 0;
    this.lastWin[i] = 0;
    this.tcpLast[i] = TcpClass.NONE;

    const proto = this.kInfo & 0xff;
    if (proto === PROTO_TCP) {
      this.tcpNew(i, meta);
      this.tcpPacket(i, CtDirection.ORIGINAL, meta, now);
    } else if (proto === PROTO_UDP) {
      this.udpPacket(i, now);
    } else if (proto === PROTO_ICMP) {
      this.expiry[i] = now + this.timeouts.icmp;
    } else if (proto === PROTO_ICMPV6) {
      this.expiry[i] = now + this.timeouts.icmpv6;
    } else {
      this.expiry[i] = now + this.timeouts.generic;
    }
  }

  /**
   * Early drop (§2.5, early_drop with NF_CT_EVICTION_RANGE): look at the CT_EVICTION_RANGE slots
   * starting at the new tuple's home slot. An expired entry there is reclaimed first; otherwise
   * the non-ASSURED entry with the oldest firstSeen (ties: nearest to home) is evicted.
   * Deterministic, unlike the kernel's hash-bucket walk. Returns whether a slot was freed.
   */
  private earlyDrop(home: number, now: number): boolean {
    let victim = -1;
    let victimFirst = Number.POSITIVE_INFINITY;
    for (let k = 0; k < CT_EVICTION_RANGE; k++) {
      const j = (home + k) & this.mask;
      if (this.keyInfo[j] === 0) continue;
      if (this.expiry[j]! <= now) {
        this.removeAt(j, CtRemoveReason.EXPIRED);
        return true;
      }
      if ((this.status[j]! & CtStatus.ASSURED) === 0 && this.firstSeen[j]! < victimFirst) {
        victim = j;
        victimFirst = this.firstSeen[j]!;
      }
    }
    if (victim < 0) return false;
    this.removeAt(victim, CtRemoveReason.EARLY_DROP);
    return true;
  }

  // ===================================================================== L4 handlers

  /** tcp_new: initial window data of the ORIGINAL side; picked-up connections are liberal on both sides. */
  private tcpNew(i: number, meta: PacketMeta): void {
    const flags = meta.tcpFlags;
    this.tdEnd[2 * i] = this.segmentEnd(meta);
    let st = CtStatus.TCP_SEEN_INIT;
    if ((flags & TcpFlag.SYN) === 0) {
      st |= CtStatus.TCP_BE_LIBERAL | dirBit(CtStatus.TCP_BE_LIBERAL, 1);
    }
    this.status[i] = st; // state NONE; the packet handler moves it
  }

  private segmentEnd(meta: PacketMeta): number {
    const f = meta.tcpFlags;
    return (meta.tcpSeq + meta.payloadLength + ((f & TcpFlag.SYN) !== 0 ? 1 : 0) + ((f & TcpFlag.FIN) !== 0 ? 1 : 0)) >>> 0;
  }

  /** nf_conntrack_tcp_packet after tcp_error/tcp_new (§2.2 special handling, §2.3 timeouts). */
  private tcpPacket(i: number, dir: number, meta: PacketMeta, now: number): number {
    const flags = meta.tcpFlags;
    const cls = tcpClassOf(flags);
    let st = this.status[i]!;
    let old = st & 15;
    let next = tcpNextState(dir, cls, old);
    const lastPacked = this.tcpLast[i]!;
    const lastIndex = lastPacked & 7;
    const lastDir = (lastPacked & LAST_DIR_BIT) !== 0 ? 1 : 0;
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
        if (cls === TcpClass.SYNACK && lastIndex === TcpClass.SYN && lastDir !== dir && (meta.tcpAck >>> 0) === this.lastEnd[i]) {
          // b) SYN/ACK acknowledging a SYN we ignored: resync from the remembered SYN.
          old = TcpCtState.SYN_SENT;
          next = TcpCtState.SYN_RECV;
          const ld = lastDir;
          this.tdEnd[2 * i + ld] = this.lastEnd[i]!;
          st |= dirBit(CtStatus.TCP_SEEN_INIT, ld);
          st &= ~(CtStatus.TCP_EXP_CHALLENGE_ACK | dirBit(CtStatus.TCP_MAXACK_SET | CtStatus.TCP_DATA_UNACK | CtStatus.TCP_CLOSE_INIT, ld));
          // nf_ct_tcp_state_reset(seen[dir])
          st &= ~dirBit(DIR_BITS_ALL & ~CtStatus.TCP_BE_LIBERAL, dir);
          this.tdEnd[2 * i + dir] = 0;
          this.tdMaxack[2 * i + dir] = 0;
          break;
        }
        this.lastSeq[i] = meta.tcpSeq >>> 0;
        this.lastEnd[i] = this.segmentEnd(meta);
        this.lastWin[i] = meta.tcpWindow;
        if (cls === TcpClass.SYN && dir === CtDirection.ORIGINAL) {
          st &= ~CtStatus.TCP_EXP_CHALLENGE_ACK;
          if (old === TcpCtState.LAST_ACK) st |= CtStatus.TCP_EXP_CHALLENGE_ACK;
        }
        if (old === TcpCtState.SYN_SENT && cls === TcpClass.ACK && dir === CtDirection.REPLY) this.lastAck[i] = meta.tcpAck >>> 0;
        this.tcpLast[i] = (lastPacked & ~(7 | LAST_DIR_BIT)) | cls | (dir === 1 ? LAST_DIR_BIT : 0);
        this.status[i] = st;
        return TcpVerdict.IGNORE;
      }
      case TcpCtState.INVALID:
        this.invalidCause = CtInvalidCause.TCP_INVALID_TRANSITION;
        return TcpVerdict.INVALID;
      case TcpCtState.TIME_WAIT:
        // RFC 5961 challenge ACK answering a SYN we let through in LAST_ACK: not the last ACK.
        if (old === TcpCtState.LAST_ACK && cls === TcpClass.ACK && lastDir !== dir && lastIndex === TcpClass.SYN
          && (st & CtStatus.TCP_EXP_CHALLENGE_ACK) !== 0) {
          this.status[i] = st & ~CtStatus.TCP_EXP_CHALLENGE_ACK;
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
          const maxack = this.tdMaxack[2 * i + other]!;
          if (seq === 0 && !established) break rstSeq;
          if (before(seq, maxack) && !this.tcpIgnoreInvalidRst) {
            this.invalidCause = CtInvalidCause.TCP_INVALID_RST;
            return TcpVerdict.INVALID;
          }
          if (!established || seq === maxack) break rstSeq;
          if (lastIndex === TcpClass.ACK && lastDir === dir && seq === this.lastEnd[i]) break rstSeq;
          // Not exactly in sequence: keep the state to allow a challenge ACK.
          next = old;
        }
        if ((((st & CtStatus.SEEN_REPLY) !== 0 && lastIndex === TcpClass.SYN)
          || ((st & CtStatus.ASSURED) === 0 && lastIndex === TcpClass.ACK))
          && (meta.tcpAck >>> 0) === this.lastEnd[i]) {
          skipWindow = true; // RST answering a SYN/ACK we let through: no window check
        } else if (old === TcpCtState.SYN_SENT && lastIndex === TcpClass.ACK && lastDir === CtDirection.REPLY
          && seq === this.lastAck[i]) {
          skipWindow = true; // RST answering a challenge ACK
        }
        break;
      }
      default:
        break;
    }

    if (!skipWindow) st = this.tcpTrackWindow(i, dir, old, cls, meta, st);

    // in_window:
    let last = this.tcpLast[i]!;
    last = (last & ~(7 | LAST_DIR_BIT)) | cls | (dir === 1 ? LAST_DIR_BIT : 0);
    this.tcpLast[i] = last;
    if (old !== next && next === TcpCtState.FIN_WAIT) st |= dirBit(CtStatus.TCP_CLOSE_INIT, dir);
    st = (st & ~15) | next;

    const t = this.tcpTimeouts;
    const p = this.timeouts;
    const tNext = t[next]!;
    let timeout: number;
    if ((last >>> RETRANS_SHIFT) >= p.tcpMaxRetrans && tNext > p.tcpRetrans) timeout = p.tcpRetrans;
    else if (cls === TcpClass.RST) timeout = t[TcpCtState.CLOSE]!;
    else if ((st & (CtStatus.TCP_DATA_UNACK | dirBit(CtStatus.TCP_DATA_UNACK, 1))) !== 0 && tNext > p.tcpUnack) timeout = p.tcpUnack;
    else if (this.lastWin[i] === 0 && tNext > p.tcpRetrans) timeout = p.tcpRetrans;
    else timeout = tNext;

    if ((st & CtStatus.SEEN_REPLY) === 0) {
      this.status[i] = st;
      // Only reply so far is an RST: delete the entry now (the packet is still accepted).
      if ((flags & TcpFlag.RST) !== 0) {
        this.kill(i, CtRemoveReason.RST_UNREPLIED);
        return TcpVerdict.ACCEPT;
      }
      // A retransmitted SYN does not refresh the timer (else port reuse keeps the entry alive).
      if (cls === TcpClass.SYN && old === TcpCtState.SYN_SENT) return TcpVerdict.ACCEPT;
      // Picked up and never answered: no 5-day timer.
      if (next === TcpCtState.ESTABLISHED && timeout > p.tcpUnack) timeout = p.tcpUnack;
    } else if ((st & CtStatus.ASSURED) === 0 && (old === TcpCtState.SYN_RECV || old === TcpCtState.ESTABLISHED)
      && next === TcpCtState.ESTABLISHED) {
      st |= CtStatus.ASSURED;
    }
    this.status[i] = st;
    this.expiry[i] = now + timeout;
    return TcpVerdict.ACCEPT;
  }

  /**
   * tcp_in_window bookkeeping in liberal mode: every packet is accepted and updates td_end,
   * td_maxack, DATA_UNACKNOWLEDGED and the retransmission detector. Returns the new status.
   */
  private tcpTrackWindow(i: number, dir: number, old: number, cls: number, meta: PacketMeta, st: number): number {
    const flags = meta.tcpFlags;
    const s = 2 * i + dir;
    const r = 2 * i + (dir ^ 1);
    const rdir = dir ^ 1;
    let seq = meta.tcpSeq >>> 0;
    let ack = meta.tcpAck >>> 0;
    const win = meta.tcpWindow;
    let end = this.segmentEnd(meta);

    if ((st & dirBit(CtStatus.TCP_SEEN_INIT, dir)) === 0) {
      this.tdEnd[s] = end;
      st |= dirBit(CtStatus.TCP_SEEN_INIT, dir);
      if ((flags & TcpFlag.SYN) === 0) {
        // Mid-connection: history lost; make III and IV pass until the other side is seen.
        if ((st & dirBit(CtStatus.TCP_SEEN_INIT, rdir)) === 0) this.tdEnd[r] = ack;
        else if (ack === ((this.tdEnd[r]! + 1) >>> 0)) this.tdEnd[r] = ack;
      }
    } else if (((old === TcpCtState.SYN_SENT && dir === 0) || (old === TcpCtState.SYN_RECV && dir === 1))
      && after(end, this.tdEnd[s]!)) {
      this.tdEnd[s] = end; // a reinitialised sender (RFC 793)
    }
    if ((flags & TcpFlag.ACK) === 0) {
      ack = this.tdEnd[r]!;
    } else if ((flags & (TcpFlag.ACK | TcpFlag.RST)) === (TcpFlag.ACK | TcpFlag.RST) && ack === 0) {
      ack = this.tdEnd[r]!; // broken stacks: RST|ACK with ack 0
    }
    if ((flags & TcpFlag.RST) !== 0 && seq === 0 && old === TcpCtState.SYN_SENT) {
      seq = end = this.tdEnd[s]!; // RST answering a SYN
    }
    if (after(end, this.tdEnd[s]!)) {
      this.tdEnd[s] = end;
      st |= dirBit(CtStatus.TCP_DATA_UNACK, dir);
    }
    if ((flags & TcpFlag.ACK) !== 0) {
      if ((st & dirBit(CtStatus.TCP_MAXACK_SET, dir)) === 0) {
        this.tdMaxack[s] = ack;
        st |= dirBit(CtStatus.TCP_MAXACK_SET, dir);
      } else if (after(ack, this.tdMaxack[s]!)) {
        this.tdMaxack[s] = ack;
      }
    }
    if (ack === this.tdEnd[r]) st &= ~dirBit(CtStatus.TCP_DATA_UNACK, rdir);
    if (cls === TcpClass.ACK) {
      const last = this.tcpLast[i]!;
      const lastDir = (last & LAST_DIR_BIT) !== 0 ? 1 : 0;
      if (lastDir === dir && this.lastSeq[i] === seq && this.lastAck[i] === ack && this.lastEnd[i] === end && this.lastWin[i] === win) {
        const n = Math.min(RETRANS_MAX, (last >>> RETRANS_SHIFT) + 1);
        this.tcpLast[i] = (last & 0x0f) | (n << RETRANS_SHIFT);
      } else {
        this.lastSeq[i] = seq;
        this.lastAck[i] = ack;
        this.lastEnd[i] = end;
        this.lastWin[i] = win;
        this.tcpLast[i] = (last & 7) | (dir === 1 ? LAST_DIR_BIT : 0);
      }
    }
    return st;
  }

  /** nf_conntrack_udp_packet (§2.4): stream_ts = creation + udpStreamDelay. */
  private udpPacket(i: number, now: number): void {
    const p = this.timeouts;
    const st = this.status[i]!;
    if ((st & CtStatus.SEEN_REPLY) !== 0) {
      if (now > this.firstSeen[i]! + p.udpStreamDelay) {
        this.expiry[i] = now + p.udpStream;
        this.status[i] = st | CtStatus.ASSURED;
      } else {
        this.expiry[i] = now + p.udpUnreplied;
      }
    } else {
      this.expiry[i] = now + p.udpUnreplied;
    }
  }

  // ===================================================================== keys and probing

  private setKeyFromPacket(meta: PacketMeta): void {
    const v6 = meta.ipVersion === 6;
    if (this.isIcmpProto(meta)) {
      const t = meta.icmpType & 0xff;
      const inv = (v6 ? ICMP6_INVMAP : ICMP4_INVMAP)[t]!;
      this.setKey(v6, meta.src, meta.dst, meta.protocol, meta.icmpId, meta.icmpId, t, meta.icmpCode & 0xff, true, inv);
    } else if (meta.protocol === PROTO_TCP || meta.protocol === PROTO_UDP) {
      this.setKey(v6, meta.src, meta.dst, meta.protocol, meta.srcPort, meta.dstPort, 0, 0, false);
    } else {
      this.setKey(v6, meta.src, meta.dst, meta.protocol, 0, 0, 0, 0, false);
    }
  }

  /**
   * Stage the packet's ORIGINAL-candidate key and its REPLY-candidate key. For ICMP the stored
   * type is the requester's; a packet of type t matches an entry in the REPLY direction when the
   * entry's type is invmap[t]. `inv` defaults to invmap of `icmpType` computed by the caller.
   */
  private setKey(
    v6: boolean, srcW: Uint32Array, dstW: Uint32Array, proto: number, sport: number, dport: number,
    icmpType: number, icmpCode: number, icmp: boolean, inv = -2,
  ): void {
    this.kV6 = v6;
    this.kSrcWords = srcW;
    this.kDstWords = dstW;
    const a = v6 ? foldV6(srcW) : srcW[0]!;
    const b = v6 ? foldV6(dstW) : dstW[0]!;
    this.kSrc = a;
    this.kDst = b;
    const base = (proto & 0xff) | (v6 ? KEY_V6 : 0) | KEY_OCCUPIED;
    if (icmp) {
      const id = sport & 0xffff;
      this.kPorts = id;
      this.rPorts = id;
      const code = (icmpCode & 0xff) << 24;
      this.kInfo = (base | (icmpType << 16) | code) >>> 0;
      const pair = inv === -2 ? (v6 ? ICMP6_INVMAP : ICMP4_INVMAP)[icmpType]! : inv;
      this.rInfo = pair < 0 ? -1 : (base | (pair << 16) | code) >>> 0;
      // Hash both directions with the smaller type of the pair (8/0 → 0, 128/129 → 128).
      const canon = pair >= 0 && pair < icmpType ? pair : icmpType;
      this.kHash = hashTuple(a, id, b, id, (base | (canon << 16) | code) >>> 0);
    } else {
      const sp = sport & 0xffff;
      const dp = dport & 0xffff;
      this.kPorts = ((sp << 16) | dp) >>> 0;
      this.rPorts = ((dp << 16) | sp) >>> 0;
      this.kInfo = base;
      this.rInfo = base;
      this.kHash = hashTuple(a, sp, b, dp, base);
    }
  }

  /** Home slot of a packet's tuple, the start of its early-drop window (tests, diagnostics). */
  homeSlotOf(meta: PacketMeta): number {
    this.setKeyFromPacket(meta);
    return this.kHash & this.mask;
  }

  /** Home slot of a stored entry (recomputed from its key; no hash column). */
  private homeOf(j: number): number {
    const info = this.keyInfo[j]!;
    const proto = info & 0xff;
    const a = this.src[j]!;
    const b = this.dst[j]!;
    const ports = this.ports[j]!;
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
    const mask = this.mask;
    const kInfo = this.kInfo;
    const rInfo = this.rInfo;
    const kSrc = this.kSrc;
    const kDst = this.kDst;
    let i = this.kHash & mask;
    for (;;) {
      const info = this.keyInfo[i]!;
      if (info === 0) return -1;
      let dir = -1;
      if (info === kInfo && this.src[i] === kSrc && this.dst[i] === kDst && this.ports[i] === this.kPorts
        && (!this.kV6 || this.v6Equal(i, this.kSrcWords, this.kDstWords))) {
        dir = 0;
      } else if (info === rInfo && this.src[i] === kDst && this.dst[i] === kSrc && this.ports[i] === this.rPorts
        && (!this.kV6 || this.v6Equal(i, this.kDstWords, this.kSrcWords))) {
        dir = 1;
      }
      if (this.expiry[i]! <= now) {
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

  // ===================================================================== removal

  /** Mark an entry killed by the current packet; it is removed at the start of the next call. */
  private kill(i: number, reason: CtRemoveReason): void {
    this.counters[reason === CtRemoveReason.RST_UNREPLIED ? CtCounter.KILLED_RST_UNREPLIED : CtCounter.KILLED_PORT_REUSE]!++;
    this.onRemove?.(i, reason);
    this.status[i]! |= CtStatus.DYING;
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
    const mask = this.mask;
    let hole = i;
    let j = (i + 1) & mask;
    while (this.keyInfo[j] !== 0) {
      const home = this.homeOf(j);
      // The entry at j may fill the hole when the hole lies on its probe path [home, j).
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        this.moveSlot(j, hole);
        hole = j;
      }
      j = (j + 1) & mask;
    }
    this.keyInfo[hole] = 0;
    this.status[hole] = 0;
    this.liveCount--;
  }

  private moveSlot(from: number, to: number): void {
    this.keyInfo[to] = this.keyInfo[from]!;
    this.src[to] = this.src[from]!;
    this.dst[to] = this.dst[from]!;
    this.ports[to] = this.ports[from]!;
    if (this.v6Src !== null && this.v6Dst !== null) {
      this.v6Src.copyWithin(to * 4, from * 4, from * 4 + 4);
      this.v6Dst.copyWithin(to * 4, from * 4, from * 4 + 4);
    }
    this.status[to] = this.status[from]!;
    this.expiry[to] = this.expiry[from]!;
    this.firstSeen[to] = this.firstSeen[from]!;
    this.lastSeen[to] = this.lastSeen[from]!;
    this.packets[2 * to] = this.packets[2 * from]!;
    this.packets[2 * to + 1] = this.packets[2 * from + 1]!;
    this.bytes[2 * to] = this.bytes[2 * from]!;
    this.bytes[2 * to + 1] = this.bytes[2 * from + 1]!;
    this.verdict[to] = this.verdict[from]!;
    this.egressRule[to] = this.egressRule[from]!;
    this.ingressRule[to] = this.ingressRule[from]!;
    this.flowId[to] = this.flowId[from]!;
    this.tdEnd[2 * to] = this.tdEnd[2 * from]!;
    this.tdEnd[2 * to + 1] = this.tdEnd[2 * from + 1]!;
    this.tdMaxack[2 * to] = this.tdMaxack[2 * from]!;
    this.tdMaxack[2 * to + 1] = this.tdMaxack[2 * from + 1]!;
    this.lastSeq[to] = this.lastSeq[from]!;
    this.lastAck[to] = this.lastAck[from]!;
    this.lastEnd[to] = this.lastEnd[from]!;
    this.lastWin[to] = this.lastWin[from]!;
    this.tcpLast[to] = this.tcpLast[from]!;
  }

  /** Remove every entry expired at `nowSec` (a GC sweep for tests and reports). Returns how many. */
  expire(nowSec: number): number {
    this.flushPending();
    let removed = 0;
    for (let i = 0; i < this.capacity; i++) {
      // Re-examine slot i after a removal: backward shift may have moved another entry into it.
      while (this.keyInfo[i] !== 0 && this.expiry[i]! <= nowSec) {
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
      if (this.keyInfo[i] !== 0) this.onRemove?.(i, CtRemoveReason.CLEARED);
    }
    this.keyInfo.fill(0);
    this.status.fill(0);
    this.liveCount = 0;
  }

  // ===================================================================== accessors (reports)

  /** Call `fn` for every live, non-dying entry in slot order. Do not mutate the table inside. */
  forEachEntry(fn: (index: number) => void): void {
    for (let i = 0; i < this.capacity; i++) {
      if (this.keyInfo[i] !== 0 && (this.status[i]! & CtStatus.DYING) === 0) fn(i);
    }
  }

  isLive(i: number): boolean {
    return this.keyInfo[i] !== 0 && (this.status[i]! & CtStatus.DYING) === 0;
  }
  /** TcpCtState of a TCP entry (0 for other protocols). */
  stateOf(i: number): number {
    return this.status[i]! & 15;
  }
  statusOf(i: number): number {
    return this.status[i]! & ~15;
  }
  isAssured(i: number): boolean {
    return (this.status[i]! & CtStatus.ASSURED) !== 0;
  }
  seenReply(i: number): boolean {
    return (this.status[i]! & CtStatus.SEEN_REPLY) !== 0;
  }
  isDying(i: number): boolean {
    return (this.status[i]! & CtStatus.DYING) !== 0;
  }
  protocolOf(i: number): number {
    return this.keyInfo[i]! & 0xff;
  }
  ipVersionOf(i: number): 4 | 6 {
    return (this.keyInfo[i]! & KEY_V6) !== 0 ? 6 : 4;
  }
  /** ORIGINAL source port (ICMP: the id). */
  srcPortOf(i: number): number {
    const info = this.keyInfo[i]!;
    const p = info & 0xff;
    return p === PROTO_ICMP || p === PROTO_ICMPV6 ? this.ports[i]! : this.ports[i]! >>> 16;
  }
  /** ORIGINAL destination port (ICMP: 0; see icmpTypeOf). */
  dstPortOf(i: number): number {
    const info = this.keyInfo[i]!;
    const p = info & 0xff;
    return p === PROTO_ICMP || p === PROTO_ICMPV6 ? 0 : this.ports[i]! & 0xffff;
  }
  icmpTypeOf(i: number): number {
    return (this.keyInfo[i]! >>> 16) & 0xff;
  }
  /** Copy the ORIGINAL addresses (4 words each, IPv4 in word 0) into caller-owned arrays. */
  addressesOf(i: number, outSrc: Uint32Array, outDst: Uint32Array): void {
    if ((this.keyInfo[i]! & KEY_V6) !== 0) {
      for (let w = 0; w < 4; w++) {
        outSrc[w] = this.v6Src![i * 4 + w]!;
        outDst[w] = this.v6Dst![i * 4 + w]!;
      }
    } else {
      outSrc.fill(0);
      outDst.fill(0);
      outSrc[0] = this.src[i]!;
      outDst[0] = this.dst[i]!;
    }
  }
  expiryOf(i: number): number {
    return this.expiry[i]!;
  }
  firstSeenOf(i: number): number {
    return this.firstSeen[i]!;
  }
  lastSeenOf(i: number): number {
    return this.lastSeen[i]!;
  }
  packetsOf(i: number, dir: CtDirection): number {
    return this.packets[2 * i + dir]!;
  }
  bytesOf(i: number, dir: CtDirection): number {
    return this.bytes[2 * i + dir]!;
  }
  verdictOf(i: number): number {
    return this.verdict[i]!;
  }
  egressRuleOf(i: number): number {
    return this.egressRule[i]!;
  }
  ingressRuleOf(i: number): number {
    return this.ingressRule[i]!;
  }
  flowIdOf(i: number): number {
    return this.flowId[i]!;
  }
  /** Replace the stored verdict and rule ids (re-evaluated established flows, SEMANTICS.md §6.3). */
  setVerdict(i: number, verdict: number, egressRule: number, ingressRule: number): void {
    this.verdict[i] = verdict >>> 0;
    this.egressRule[i] = egressRule >>> 0;
    this.ingressRule[i] = ingressRule >>> 0;
  }
}
