/**
 * The packet path: decode → (de-duplicate) → conntrack → policy for new flows → verdict and
 * counters (SEMANTICS.md §0). One instance per replay; `next()` takes one frame and returns its
 * PacketCategory, allocating nothing: the decoded packet lives in the reused `meta`, every table
 * is typed-array columns, time is the packet's timestamp (never a clock).
 *
 * Connections are tracked like Linux nf_conntrack: an entry is created only when policy allows
 * the first packet; replies and ESTABLISHED/RELATED packets pass without policy; INVALID packets
 * (a reply with no entry, a bad TCP flag combination, an ICMP error about nothing) are dropped
 * as Calico and kube-router do. Denied attempts leave no entry (as in the kernel) but keep a flow
 * record, so reports can list them with every retransmission and unanswered reply.
 */
import { isAllowReason, isEgressDrop, isIngressDrop, Reason } from '../compiler/verdict.js';
import { ConntrackTable, CtDirection, CtResult, type CtTimeoutProfile } from './conntrack/index.js';
import { CT_TIMEOUTS_LINUX } from './conntrack/ct-timeouts.js';
import { decodeFrame, TUNNEL_KIND_COUNT, TunnelDecoder, TunnelResult, type DecapMode, type TunnelPorts } from './decode/index.js';
import { DedupeFilter } from './dedupe-filter.js';
import { RejectBuilder } from './build-reject.js';
import { FlowRecords, DeniedFlowIndex, DeniedRemoveReason, F_SEQ, ROW_F64 } from './flow-records.js';
import { openingAnswer, replyAnswer } from './flow-answer.js';
import { FragmentCache } from './fragment-cache.js';
import type { NewFlowPolicy } from './new-flow-policy.js';
import { DecodeStatus, PacketMeta } from './packet-meta.js';
import { ExpiryQueue } from './expiry-queue.js';
import { NatResult, type ServiceNat } from './service-nat.js';
import { ServiceEndpointPins } from './service-endpoint-pins.js';
import { isDropped, isPolicyDrop, PACKET_CATEGORY_COUNT, PacketCategory } from './packet-category.js';

/** Flow reasons the dataplane adds to compiler/verdict.ts's Reason (which stops below 128). */
export const FlowReason = {
  /** The connection's first packet was conntrack INVALID: never evaluated by policy. */
  CT_INVALID: 128,
  /** Allowed by policy but no conntrack entry could be created. */
  CT_TABLE_FULL: 129,
  /** Sent to a Service with no usable endpoint (never reached policy). */
  NO_ENDPOINT: 130,
} as const;

export interface DataplaneOptions {
  /** Conntrack slots (a power of two); entries are limited to 3/4 of it unless `conntrackMax`. */
  readonly conntrackCapacity?: number;
  readonly conntrackMax?: number;
  readonly timeouts?: CtTimeoutProfile;
  /** nf_conntrack_tcp_loose: pick up connections mid-stream (default true). */
  readonly tcpLoose?: boolean;
  /** Drop conntrack INVALID packets (Calico, kube-router); else they are evaluated like new flows. */
  readonly dropInvalid?: boolean;
  /** De-duplicate `tcpdump -i any` copies: `auto` does it for cooked captures (link types 113, 276). */
  readonly dedupe?: 'auto' | 'on' | 'off';
  /** What a policy deny does: drop silently, or also answer with an ICMP port unreachable (kube-router). */
  readonly denyAction?: 'drop' | 'reject';
  /** ICMP types a profile lets through whatever the policies say (SEMANTICS.md §4 #14). */
  readonly icmpPolicy?: 'policed' | 'allow-frag-needed' | 'allow-ndp' | 'allow-echo-errors';
  /**
   * After a policy change (`setPolicy`), established connections keep their verdict (`no`:
   * Calico, Antrea, kube-router), have each forward packet checked again and dropped while denied
   * (`forward`: Cilium), or are cut in both directions once a forward packet is denied (`both`:
   * OVN's ct_label.blocked). SEMANTICS.md §0 step 1, §4 #7.
   */
  readonly reevaluateEstablished?: 'no' | 'forward' | 'both';
  /**
   * Denied attempts remembered at once for the reports (default 65,536): beyond it the oldest is
   * reported early and forgotten (counted), so a flood of denied attempts cannot grow memory.
   */
  readonly deniedFlowsMax?: number;
  /**
   * Open overlay tunnels (VXLAN, Geneve, IP-in-IP, IPv6-in-IP) and replay the inner packet;
   * count WireGuard/ESP as `encrypted` (default auto: by well-known port or protocol and a
   * plausible header; decode/decode-tunnel.ts).
   */
  readonly decap?: DecapMode;
  readonly tunnelPorts?: TunnelPorts;
  /** Service frontends to translate before conntrack and policy (service-nat.ts); none when absent. */
  readonly services?: ServiceNat;
}

export const DEFAULT_DENIED_FLOWS_MAX = 65_536;

/** Is this ICMP(v6) message exempt from policy under `mode`? (conntrack-independent, by type/code) */
export function isIcmpExempt(mode: DataplaneOptions['icmpPolicy'], protocol: number, type: number, code: number): boolean {
  if (mode === undefined || mode === 'policed') return false;
  if (protocol === 1) {
    if (mode === 'allow-frag-needed') return type === 3 && code === 4;
    if (mode === 'allow-echo-errors') return type === 8 || type === 3 || type === 11;
    return false;
  }
  if (protocol !== 58) return false;
  if (mode === 'allow-frag-needed') return type === 2;
  if (mode === 'allow-ndp') return type >= 133 && type <= 137;
  return type === 135 || type === 136 || type === 129 || type === 128 || type === 1 || type === 3;
}

/** ICMPv4 reply types → their request type (echo, timestamp, information, address mask). */
const ICMP_REQUEST_OF: Readonly<Record<number, number>> = { 0: 8, 14: 13, 16: 15, 18: 17 };

const LINKTYPE_LINUX_SLL = 113;
const LINKTYPE_LINUX_SLL2 = 276;

export class Dataplane {
  readonly meta = new PacketMeta();
  /** [2c] packets and [2c+1] bytes (wire length) of category c. */
  readonly counters = new Float64Array(PACKET_CATEGORY_COUNT * 2);
  readonly flows: FlowRecords;
  readonly conntrack: ConntrackTable;
  /** Flow record of the last packet, or -1 (non-IP, undecodable, duplicates). */
  lastFlow = -1;
  /**
   * Category of the packet `next` is processing, once counted (-1 before): an `onFlowEnd`
   * listener called for the packet that ended its flow (lastFlow) reads its verdict here.
   */
  lastCategory = -1;
  /** Its direction relative to the record (CtDirection), when lastFlow >= 0. */
  private lastDirection = 0;
  /** The current first fragment's addresses before Service translation. */
  private readonly fragmentSrc = new Uint32Array(4);
  private readonly fragmentDst = new Uint32Array(4);
  private readonly denied: DeniedFlowIndex;
  private readonly fragments = new FragmentCache();
  private readonly dedupe = new DedupeFilter();
  private readonly dropInvalid: boolean;
  private readonly dedupeMode: 'auto' | 'on' | 'off';
  private readonly reject: boolean;
  private readonly icmpPolicy: DataplaneOptions['icmpPolicy'];
  /** The answer to the last packet when it was rejected (`rejected` true): see RejectBuilder. */
  readonly rejectFrame = new RejectBuilder();
  rejected = false;
  /** Rejections sent (ICMP port unreachable frames built), not part of the record categories. */
  rejectsSent = 0;
  /** Frames opened per TunnelKind (informational: each frame is counted once, in its inner packet's category). */
  readonly decapsulated = new Float64Array(TUNNEL_KIND_COUNT);
  private readonly tunnels: TunnelDecoder;
  readonly services: ServiceNat | null;
  /** Service frontend / endpoint the current packet was translated to (-1 none). */
  private natFrontend = -1;
  private natBackend = -1;
  /** Endpoints node captures showed for connections, where they differ from the seeded choice. */
  private readonly pins = new ServiceEndpointPins();
  private readonly pinClient = new Uint32Array(4);
  /** The endpoint the next packet's Service connection goes to (`followEndpoint`), port -1 none. */
  private readonly followAddress = new Uint32Array(4);
  private followPort = -1;
  /** The current packet set a pin for its connection (frontend id), -1 none. */
  private followedFrontend = -1;
  /**
   * After a packet that re-keyed a Service connection whose verdict changed with its endpoint
   * (see `followPostDnatCopy`): earlier packets of the flow moved between categories, in at most
   * two moves (the first packet; the others), [from, to, packets] each. `revisedMoves` is 0 after
   * any other packet. Per-packet consumers that saw those packets already (the report's
   * timeline) can move them too.
   */
  readonly revised = new Int32Array(6);
  revisedMoves = 0;

  /**
   * Told of every flow once it is over (its conntrack entry expired, was evicted or killed, its
   * denied attempt timed out or was evicted, or the replay ended: `finish`), with the record
   * complete; the record's slot is reused after the call returns. Called at the end of the
   * packet that ended the flow, never in the middle of its accounting.
   */
  onFlowEnd: ((f: number) => void) | null = null;
  /**
   * The capture clock: the latest timestamp seen (captures may step back a little; time never
   * does here). Timeouts are judged against it, each flow at its exact expiry (expiry-queue.ts).
   */
  clock = -Infinity;
  /**
   * Index of the packet `next` processes, in the whole capture (flows record it as their start,
   * and as their end when a packet ended them). `next` counts it up; a sharded replay sets it.
   */
  packetIndex = 0;
  private readonly expiries = new ExpiryQueue();
  /** Records whose flow is over, reported and released at the end of the current packet. */
  private ended = new Int32Array(64);
  private endedCount = 0;

  /** Bumped by every `setPolicy`; flows remember the version their verdict was computed under. */
  policyVersion = 0;
  private readonly reevaluate: 'no' | 'forward' | 'both';

  constructor(
    private policy: NewFlowPolicy,
    options: DataplaneOptions = {},
  ) {
    const capacity = options.conntrackCapacity ?? 1 << 18;
    const deniedFlowsMax = options.deniedFlowsMax ?? DEFAULT_DENIED_FLOWS_MAX;
    // Every live record is a conntrack entry or an indexed denied attempt (or ends with the
    // packet that made it): reserve that many rows, so they never move (flow-records.ts).
    this.flows = new FlowRecords((options.conntrackMax ?? (capacity >>> 2) * 3) + deniedFlowsMax + 64);
    this.conntrack = new ConntrackTable({
      capacity,
      ...(options.conntrackMax !== undefined ? { maxEntries: options.conntrackMax } : {}),
      ...(options.timeouts !== undefined ? { timeouts: options.timeouts } : {}),
      tcpLoose: options.tcpLoose ?? true,
      onExpiry: (flowId, expiry) => this.expiries.schedule(flowId, this.flows.seq(flowId), expiry),
      onRemove: (index) => {
        this.recordFinalState(index);
        this.flowEnded(this.conntrack.flowIdOf(index));
      },
    });
    const timeouts = options.timeouts ?? CT_TIMEOUTS_LINUX;
    this.denied = new DeniedFlowIndex(this.flows, {
      maxEntries: deniedFlowsMax,
      // An unanswered attempt lasts as long as the kernel would keep its unreplied entry.
      timeoutOf: (protocol) =>
        protocol === 6 ? timeouts.tcpSynSent : protocol === 17 ? timeouts.udpUnreplied : protocol === 1 ? timeouts.icmp : protocol === 58 ? timeouts.icmpv6 : timeouts.generic,
      onRemove: (f) => this.flowEnded(f),
    });
    this.dropInvalid = options.dropInvalid ?? true;
    this.dedupeMode = options.dedupe ?? 'auto';
    this.reject = options.denyAction === 'reject';
    this.reevaluate = options.reevaluateEstablished ?? 'no';
    this.icmpPolicy = options.icmpPolicy;
    this.tunnels = new TunnelDecoder(options.decap ?? 'auto', options.tunnelPorts);
    this.services = options.services ?? null;
    this.flows.services = this.services;
  }

  /**
   * Swap in the policy of a changed cluster (a timeline event). New flows use it at once;
   * established ones as `reevaluateEstablished` says; denied attempts are evaluated afresh.
   */
  setPolicy(policy: NewFlowPolicy): void {
    this.policy = policy;
    this.policyVersion++;
  }

  /** Process one frame. `nowSec` is its capture timestamp in seconds. */
  next(buf: Uint8Array, offset: number, capturedLength: number, wireLength: number, linkType: number, nowSec: number): PacketCategory {
    // Flows whose time ran out before this packet end first (the kernel's gc_worker finds them
    // some time after; ending each at its exact expiry keeps the order independent of layout).
    this.lastFlow = -1;
    this.lastCategory = -1;
    const clock = nowSec > this.clock ? nowSec : this.clock;
    if (clock !== this.clock || this.expiries.nextKey <= clock) this.advance(clock);
    const category = this.step(buf, offset, capturedLength, wireLength, linkType, nowSec);
    this.followPort = -1;
    if (this.followedFrontend >= 0) this.settleFollowed();
    if (this.endedCount > 0) this.reportEnded();
    this.packetIndex++;
    return category;
  }

  /**
   * The next packet (only), when it is to a Service frontend with an endpoint at (address,
   * port), goes to that endpoint rather than to the seeded choice: a flow export showed where the
   * datapath sent it (a Hubble pre-DNAT observation merged with its post-DNAT one). Its
   * connection is pinned to the endpoint as a node capture's post-DNAT copy pins it
   * (service-endpoint-pins.ts), so its later packets and replies follow, until its flow ends.
   */
  followEndpoint(address: Uint32Array, port: number): void {
    this.followAddress.set(address);
    this.followPort = port;
  }

  /** Before translation: pin the current packet's connection to the endpoint `followEndpoint` named, when it is one of its frontend's. */
  private pinFollowed(): void {
    const services = this.services;
    const meta = this.meta;
    this.followedFrontend = -1;
    if (services === null || meta.l4Offset < 0 || meta.hasInner) return;
    const frontend = services.frontendAt(meta.ipVersion, meta.dst, meta.protocol, meta.dstPort);
    if (frontend < 0) return;
    const backend = services.backendAt(frontend, this.followAddress, this.followPort);
    if (backend < 0 || services.currentEndpoint(frontend, meta.ipVersion, meta.src, meta.srcPort, this.pins) === backend) return;
    this.pins.set(meta.ipVersion, meta.src, meta.srcPort, meta.protocol, frontend, backend);
    this.pinClient.set(meta.src);
    this.followedFrontend = frontend;
  }

  /** After the packet that set a pin: its flow holds the pin until it ends (`unpin`); without one, the pin goes. */
  private settleFollowed(): void {
    const f = this.lastFlow;
    const frontend = this.followedFrontend;
    this.followedFrontend = -1;
    if (f >= 0 && this.flows.isLive(f) && this.flows.service(f) === frontend) {
      this.flows.setRekeyed(f, 1);
      return;
    }
    const meta = this.meta;
    this.pins.delete(meta.ipVersion, this.pinClient, meta.srcPort, meta.protocol, frontend);
  }

  /**
   * Move the capture clock to `clock` without a packet (a sharded replay's tick: another
   * worker's packets moved time on): flows whose expiry it reaches end and are reported now.
   */
  tick(clock: number): void {
    if (clock > this.clock || this.expiries.nextKey <= clock) this.advance(clock > this.clock ? clock : this.clock);
    if (this.endedCount > 0) this.reportEnded();
  }

  /**
   * End every flow whose expiry is ≤ `clock` (an entry is expired when now >= expiry, as
   * nf_ct_is_expired says), in the order (expiry, start packet, seq), before anything the
   * current packet ends.
   */
  private advance(clock: number): void {
    this.clock = clock;
    const queue = this.expiries;
    if (queue.nextKey > clock) return;
    const flows = this.flows;
    const from = this.endedCount;
    for (;;) {
      const f = queue.popDue(clock, flows.f64, ROW_F64, F_SEQ);
      if (f === -2) break;
      if (f < 0 || !flows.isLive(f)) continue;
      const slot = this.conntrack.slotOfFlow(f);
      const indexed = slot < 0 && this.denied.isIndexed(f);
      if (slot < 0 && !indexed) continue;
      const expiry = slot >= 0 ? this.conntrack.expiryOf(slot) : this.denied.expiryOf(f);
      if (expiry > clock) {
        // Pushed later by packets since it was queued: wait for the new time.
        queue.schedule(f, flows.seq(f), expiry);
        continue;
      }
      if (slot >= 0) this.conntrack.expireSlot(slot);
      else this.denied.expire(f);
      flows.setEndTime(f, expiry);
      flows.setEndPacket(f, -1);
    }
    this.sortEndedByExpiry(from);
  }

  /** Order ended[from..] by (end time, start packet, seq): insertion sort, the runs are short. */
  private sortEndedByExpiry(from: number): void {
    const ended = this.ended;
    const r = this.flows;
    for (let i = from + 1; i < this.endedCount; i++) {
      const f = ended[i] as number;
      const t = r.endTime(f);
      const p = r.startPacket(f);
      const q = r.seq(f);
      let j = i - 1;
      while (j >= from) {
        const g = ended[j] as number;
        const tg = r.endTime(g);
        const pg = r.startPacket(g);
        if (tg < t || (tg === t && (pg < p || (pg === p && r.seq(g) < q)))) break;
        ended[j + 1] = g;
        j--;
      }
      ended[j + 1] = f;
    }
  }

  /** Denied attempts evicted early because the denied-flow index was full. */
  get deniedFlowsEvicted(): number {
    return this.denied.removed[DeniedRemoveReason.EVICTED] as number;
  }

  /** Denied attempts remembered now (live records without a conntrack entry). */
  get deniedFlowsLive(): number {
    return this.denied.size;
  }

  /** Schedule record `f` to be reported and released at the end of the current packet. */
  private flowEnded(f: number): void {
    if (!this.flows.isLive(f)) return;
    // Ended by the current packet (advance overrides both for a timeout).
    this.flows.setEndTime(f, this.clock);
    this.flows.setEndPacket(f, this.packetIndex);
    this.expiries.cancel(f);
    if (this.endedCount === this.ended.length) {
      const next = new Int32Array(this.ended.length * 2);
      next.set(this.ended);
      this.ended = next;
    }
    this.ended[this.endedCount++] = f;
  }

  private reportEnded(): void {
    const flows = this.flows;
    const listener = this.onFlowEnd;
    for (let i = 0; i < this.endedCount; i++) {
      const f = this.ended[i] as number;
      if (!flows.isLive(f)) continue;
      if (listener) listener(f);
      this.unpin(f);
      flows.release(f);
    }
    this.endedCount = 0;
  }

  private step(buf: Uint8Array, offset: number, capturedLength: number, wireLength: number, linkType: number, nowSec: number): PacketCategory {
    const meta = this.meta;
    this.lastFlow = -1;
    this.rejected = false;
    this.revisedMoves = 0;
    const status = decodeFrame(buf, offset, capturedLength, wireLength, linkType, meta);
    if (status !== DecodeStatus.OK) {
      return this.count(status === DecodeStatus.NOT_IP ? PacketCategory.NOT_IP : status === DecodeStatus.UNSUPPORTED_LINK ? PacketCategory.UNSUPPORTED_LINK : PacketCategory.UNDECODABLE, wireLength);
    }
    const tunnel = this.tunnels.decode(buf, Math.min(offset + capturedLength, buf.length), meta);
    if (tunnel === TunnelResult.ENCRYPTED) return this.count(PacketCategory.ENCRYPTED, wireLength);
    if (tunnel === TunnelResult.OPENED) {
      this.decapsulated[meta.tunnel] = (this.decapsulated[meta.tunnel] as number) + 1;
      const inner = this.tunnels.status;
      if (inner !== DecodeStatus.OK) return this.count(inner === DecodeStatus.NOT_IP ? PacketCategory.NOT_IP : PacketCategory.UNDECODABLE, wireLength);
    }
    // Service translation first, so a node capture's pre- and post-DNAT copies fingerprint alike.
    // A first fragment is remembered under its addresses as captured: the later fragments carry
    // no ports, are never translated, and look it up that way (Linux reassembles before NAT).
    if (meta.isFragment && meta.fragmentOffset === 0) {
      this.fragmentSrc.set(meta.src);
      this.fragmentDst.set(meta.dst);
    }
    let nat: NatResult = NatResult.NONE;
    this.natFrontend = -1;
    this.natBackend = -1;
    if (this.services !== null && !(meta.isFragment && meta.fragmentOffset > 0)) {
      if (this.followPort >= 0) this.pinFollowed();
      nat = this.services.translate(meta, this.pins);
      if (nat === NatResult.TRANSLATED || nat === NatResult.NO_ENDPOINT) {
        this.natFrontend = this.services.frontend;
        this.natBackend = this.services.backend;
      }
    }
    if (this.dedupeMode === 'on' || (this.dedupeMode === 'auto' && (linkType === LINKTYPE_LINUX_SLL || linkType === LINKTYPE_LINUX_SLL2))) {
      const frameEnd = offset + capturedLength;
      const end = meta.ipLength > 0 ? Math.min(frameEnd, meta.l3Offset + meta.ipLength) : frameEnd;
      const services = this.services;
      const serviceRelated = nat !== NatResult.NONE || (services !== null && services.touchesBackend(meta));
      // A translated pre-DNAT packet is remembered with its endpoint; a packet to an endpoint of
      // a multi-endpoint Service may be its post-DNAT copy showing another one.
      const remember = nat === NatResult.TRANSLATED && services !== null && !services.lastSnat;
      const seek = serviceRelated && nat === NatResult.NONE && services !== null && services.isMultiEndpoint(meta.ipVersion, meta.dst, meta.protocol, meta.dstPort);
      const tunnelled = meta.tunnel !== 0;
      if (this.dedupe.isDuplicate(buf, meta.l3Offset, end, meta.ipVersion, nowSec, tunnelled, serviceRelated ? meta : null, this.packetIndex, remember ? this.natFrontend : -1, remember ? this.natBackend : -1, seek)) return this.count(PacketCategory.DUPLICATE, wireLength);
      if (seek && this.dedupe.translatedCopy >= 0 && this.followPostDnatCopy(this.dedupe.translatedCopy, tunnelled, nowSec)) return this.count(PacketCategory.DUPLICATE, wireLength);
    }
    if (nat === NatResult.NO_ENDPOINT) {
      const category = this.noEndpoint(wireLength, nowSec);
      // kube-proxy REJECTs in-cluster traffic to a Service without endpoints (ICMP port
      // unreachable from the Service address) and DROPs external traffic without a local one.
      if (this.services !== null && !this.services.lastExternal && meta.tunnel === 0) {
        this.rejected = this.rejectFrame.build(buf, offset, capturedLength, linkType, meta);
        if (this.rejected) this.rejectsSent++;
      }
      return category;
    }
    if (meta.isFragment && meta.fragmentOffset > 0) return this.nonFirstFragment(wireLength, nowSec);
    const category = this.track(nowSec);
    // A tunnelled packet's answer would go back inside the tunnel: not built (decode-tunnel.ts).
    if (this.reject && meta.tunnel === 0 && isPolicyDrop(category)) {
      this.rejected = this.rejectFrame.build(buf, offset, capturedLength, linkType, meta);
      if (this.rejected) this.rejectsSent++;
    }
    if (meta.isFragment) {
      const f = this.lastFlow;
      this.fragments.remember(this.fragmentSrc, this.fragmentDst, meta.protocol, meta.fragmentId, category <= PacketCategory.ALLOWED_FRAGMENT, f, f >= 0 ? this.flows.seq(f) : -1, this.lastDirection);
    }
    return category;
  }

  private track(nowSec: number): PacketCategory {
    const meta = this.meta;
    const ct = this.conntrack;
    const bytes = meta.wireLength;
    switch (ct.lookup(meta, nowSec)) {
      case CtResult.HIT_ORIGINAL:
      case CtResult.HIT_REPLY: {
        const f = ct.flowIdOf(ct.index);
        if (this.reevaluate !== 'no') {
          const verdict = this.recheckEstablished(f, ct.direction, nowSec);
          if (verdict !== PacketCategory.ALLOWED_ESTABLISHED) return this.countOnFlow(f, ct.direction, verdict, bytes, nowSec);
        }
        if (ct.direction === CtDirection.REPLY) this.noteAnswer(f, false);
        return this.countOnFlow(f, ct.direction, PacketCategory.ALLOWED_ESTABLISHED, bytes, nowSec);
      }
      case CtResult.RELATED: {
        const f = ct.flowIdOf(ct.index);
        if (ct.direction === CtDirection.REPLY) this.noteAnswer(f, true);
        return this.countOnFlow(f, ct.direction, PacketCategory.ALLOWED_RELATED, bytes, nowSec);
      }
      case CtResult.UNTRACKED:
        return this.count(PacketCategory.ALLOWED_UNTRACKED, bytes);
      case CtResult.INVALID:
        if (this.dropInvalid && this.touchesPod()) return this.invalid(bytes, nowSec);
        return this.newFlow(nowSec, false);
      default:
        return this.newFlow(nowSec, true);
    }
  }

  /**
   * Is either end of the packet a pod? INVALID packets are dropped only there: the CNI's
   * `ctstate INVALID -j DROP` sits in the per-pod chains (Calico felix/rules/endpoints.go,
   * kube-router's pod firewall chains), so traffic between two non-pod addresses (a node and an
   * external client) is forwarded untracked. Found by the kernel check (docs/kernel-check.md).
   */
  private touchesPod(): boolean {
    this.policy.classifyPacket(this.meta);
    return this.policy.srcEndpoint >= 0 || this.policy.dstEndpoint >= 0;
  }

  /**
   * Re-evaluation of an established connection after a policy change: the first forward packet
   * under a new policy version is classified again; while denied, forward packets (and with
   * `both`, replies too) are dropped. Returns the packet's category.
   */
  private recheckEstablished(f: number, direction: number, nowSec: number): PacketCategory {
    const flows = this.flows;
    if (!flows.isLive(f)) return PacketCategory.ALLOWED_ESTABLISHED;
    if (direction === CtDirection.ORIGINAL && flows.policyVersion(f) !== this.policyVersion) {
      flows.setPolicyVersion(f, this.policyVersion);
      const reason = this.policy.classifyPacket(this.meta);
      if (isAllowReason(reason)) {
        flows.setBlocked(f, 0);
      } else {
        flows.setBlocked(f, this.reevaluate === 'both' ? 2 : 1);
        if (Number.isNaN(flows.changedAt(f))) {
          flows.setChangedAt(f, nowSec);
          flows.setChangedReason(f, reason);
        }
      }
    }
    const blocked = flows.blocked(f);
    if (blocked === 2 || (blocked === 1 && direction === CtDirection.ORIGINAL)) return this.dropCategory(flows.changedReason(f));
    return PacketCategory.ALLOWED_ESTABLISHED;
  }

  /** Record how the reply side answered flow `f` (flow-answer.ts). */
  private noteAnswer(f: number, related: boolean): void {
    const flows = this.flows;
    if (f >= 0 && flows.isLive(f)) flows.setAnswer(f, flows.answer(f) | replyAnswer(this.meta, related));
  }

  /** A flow record's "source port": the TCP/UDP/SCTP port, or the ICMP echo id. */
  private recordSrcPort(): number {
    const m = this.meta;
    return m.protocol === 1 || m.protocol === 58 ? m.icmpId : m.srcPort;
  }

  /** A flow record's "destination port": the port, or the ICMP request type (replies map to it). */
  private recordDstPort(): number {
    const m = this.meta;
    if (m.protocol === 1) return ICMP_REQUEST_OF[m.icmpType] ?? m.icmpType;
    if (m.protocol === 58) return m.icmpType === 129 ? 128 : m.icmpType;
    return m.dstPort;
  }

  private newFlow(nowSec: number, mayTrack: boolean): PacketCategory {
    const meta = this.meta;
    const sport = this.recordSrcPort();
    const dport = this.recordDstPort();
    // A denied attempt seen again in the same direction: same verdict, the policy is static.
    let f = this.denied.find(meta.ipVersion, meta.src, sport, meta.dst, dport, meta.protocol, nowSec);
    if (f >= 0 && this.denied.direction === 0 && this.flows.policyVersion(f) === this.policyVersion) {
      return this.countOnFlow(f, CtDirection.ORIGINAL, this.dropCategory(this.flows.reason(f)), meta.wireLength, nowSec);
    }
    const existingDenied = f;
    let reason: number = this.policy.classifyPacket(meta);
    if (!isAllowReason(reason) && isIcmpExempt(this.icmpPolicy, meta.protocol, meta.icmpType, meta.icmpCode)) reason = Reason.ALLOW_ICMP_EXEMPT;
    if (isAllowReason(reason)) {
      f = this.newRecord(reason, nowSec);
      if (this.natFrontend >= 0) this.flows.setEndpointAllowed(f, this.endpointVerdicts());
      if (!mayTrack) {
        // Allowed but not tracked (INVALID evaluated as new): nothing will find this record again.
        this.flowEnded(f);
        return this.countOnFlow(f, CtDirection.ORIGINAL, PacketCategory.ALLOWED_NEW, meta.wireLength, nowSec);
      }
      if (this.conntrack.create(meta, nowSec, f) < 0) {
        this.flows.setReason(f, FlowReason.CT_TABLE_FULL);
        this.indexDenied(f, nowSec);
        return this.countOnFlow(f, CtDirection.ORIGINAL, PacketCategory.DROPPED_CT_FULL, meta.wireLength, nowSec);
      }
      return this.countOnFlow(f, CtDirection.ORIGINAL, PacketCategory.ALLOWED_NEW, meta.wireLength, nowSec);
    }
    // The same denied attempt, evaluated again under a new policy version: still denied.
    if (existingDenied >= 0 && this.denied.direction === 0) {
      this.flows.setPolicyVersion(existingDenied, this.policyVersion);
      return this.countOnFlow(existingDenied, CtDirection.ORIGINAL, this.dropCategory(reason), meta.wireLength, nowSec);
    }
    // The reverse of a denied attempt, denied too: the unanswered side of the same connection.
    if (existingDenied >= 0) return this.countOnFlow(existingDenied, CtDirection.REPLY, this.dropCategory(reason), meta.wireLength, nowSec);
    f = this.newRecord(reason, nowSec);
    if (this.natFrontend >= 0) this.flows.setEndpointAllowed(f, this.endpointVerdicts());
    this.indexDenied(f, nowSec);
    return this.countOnFlow(f, CtDirection.ORIGINAL, this.dropCategory(reason), meta.wireLength, nowSec);
  }

  /**
   * A node capture's post-DNAT copy (client → endpoint E) of the remembered pre-DNAT packet in
   * dedupe slot `slot`, which was translated to frontend F's endpoint S (the seeded choice). When E
   * is another endpoint of F, the node chose E: the connection is re-keyed to it (one flow, the
   * endpoint the capture shows) and this packet is the duplicate. Returns false when it is not
   * such a copy (it is then replayed as a packet of its own).
   *
   * Re-keying: the connection (client address and port, protocol, F) is pinned to E, so its later
   * packets translate to E; its flow record, conntrack entry or denied-attempt entry move to the
   * tuple client → E; and its verdict is evaluated again for E, as the node's policy hooks saw
   * the packet after DNAT. The verdict of the packets already counted on the flow (the pre-DNAT
   * copy of the first packet, and any resends of it before this copy) is revised: they move to
   * the categories the new verdict gives them (`revised`), and the flow's reason and rules become
   * E's. A flow that already has replies is left alone (the node's choice was settled earlier).
   */
  private followPostDnatCopy(slot: number, tunnelled: boolean, nowSec: number): boolean {
    const services = this.services;
    const meta = this.meta;
    if (services === null || meta.l4Offset < 0) return false;
    const frontend = this.dedupe.frontendOf(slot);
    const shown = services.backendAt(frontend, meta.dst, meta.dstPort);
    if (shown < 0) return false;
    const current = services.currentEndpoint(frontend, meta.ipVersion, meta.src, meta.srcPort, this.pins);
    if (current === shown) {
      // Re-keyed already, by the copy of an earlier packet: this is a copy like any other.
      this.dedupe.claimCopy(slot, tunnelled);
      return true;
    }
    if (current < 0 || this.conntrack.find(meta, nowSec) >= 0) return false;
    // The connection's state under its current endpoint: meta points there while it is looked up.
    services.applyBackend(meta, current);
    let f = -1;
    const entry = this.conntrack.find(meta, nowSec);
    if (entry >= 0 && this.conntrack.direction === CtDirection.ORIGINAL) f = this.conntrack.flowIdOf(entry);
    else if (entry < 0) {
      const denied = this.denied.find(meta.ipVersion, meta.src, meta.srcPort, meta.dst, meta.dstPort, meta.protocol, nowSec);
      if (denied >= 0 && this.denied.direction === 0) f = denied;
    }
    services.applyBackend(meta, shown);
    const flows = this.flows;
    if (f < 0 || !flows.isLive(f) || flows.service(f) !== frontend || flows.packets(f, 1) > 0 || flows.reason(f) >= 128) return false;
    this.rekey(f, frontend, shown, entry >= 0, nowSec);
    this.dedupe.claimCopy(slot, tunnelled);
    return true;
  }

  /** Move flow `f` to endpoint `shown` of `frontend` (meta is the post-DNAT copy) and revise its verdict. */
  private rekey(f: number, frontend: number, shown: number, tracked: boolean, nowSec: number): void {
    const meta = this.meta;
    const flows = this.flows;
    const oldReason = flows.reason(f);
    let reason: number = this.policy.classifyPacket(meta);
    if (!isAllowReason(reason) && isIcmpExempt(this.icmpPolicy, meta.protocol, meta.icmpType, meta.icmpCode)) reason = Reason.ALLOW_ICMP_EXEMPT;
    const allowed = isAllowReason(reason);
    if (!tracked) this.denied.forget(f);
    flows.setDestination(f, meta.dst, this.recordDstPort());
    flows.setEndpoint(f, shown);
    flows.setReason(f, reason);
    this.recordPolicyDecision(f);
    flows.setRekeyed(f, 1);
    this.pins.set(meta.ipVersion, meta.src, meta.srcPort, meta.protocol, frontend, shown);
    let nowTracked = false;
    if (tracked && allowed) nowTracked = this.conntrack.rekeyDestination(f, meta.dst, meta.dstPort) >= 0;
    if (tracked && !nowTracked) this.conntrack.withdraw(f);
    if (!tracked && allowed) nowTracked = this.conntrack.create(meta, nowSec, f) >= 0;
    if (allowed && !nowTracked) flows.setReason(f, FlowReason.CT_TABLE_FULL);
    if (!nowTracked) this.indexDenied(f, nowSec);
    this.revise(f, tracked, oldReason, nowTracked);
  }

  /**
   * Move flow `f`'s packets (forward only: a re-keyed flow has no replies yet) from the
   * categories its old verdict gave them to those of its new one, in the counters and the record.
   */
  private revise(f: number, wasTracked: boolean, oldReason: number, tracked: boolean): void {
    const flows = this.flows;
    const packets = flows.packets(f, 0);
    const bytes = flows.bytes(f, 0);
    const first = flows.firstBytes(f);
    const oldDrop = this.dropCategory(oldReason);
    const newDrop = this.dropCategory(flows.reason(f));
    // An allowed flow's first packet was ALLOWED_NEW, the others ALLOWED_ESTABLISHED; a denied one's all its drop category.
    this.move(wasTracked ? PacketCategory.ALLOWED_NEW : oldDrop, tracked ? PacketCategory.ALLOWED_NEW : newDrop, 1, first);
    if (packets > 1) this.move(wasTracked ? PacketCategory.ALLOWED_ESTABLISHED : oldDrop, tracked ? PacketCategory.ALLOWED_ESTABLISHED : newDrop, packets - 1, bytes - first);
    flows.setDropped(f, tracked ? 0 : packets);
    // A rejecting profile answered each dropped packet (not tunnelled ones): answers the node would (not) have sent.
    if (this.reject && flows.tunnel(f) === 0 && wasTracked !== tracked) this.rejectsSent += tracked ? -packets : packets;
  }

  private move(from: PacketCategory, to: PacketCategory, packets: number, bytes: number): void {
    if (from === to) return;
    const c = this.counters;
    c[from * 2] = (c[from * 2] as number) - packets;
    c[from * 2 + 1] = (c[from * 2 + 1] as number) - bytes;
    c[to * 2] = (c[to * 2] as number) + packets;
    c[to * 2 + 1] = (c[to * 2 + 1] as number) + bytes;
    const k = this.revisedMoves++ * 3;
    this.revised[k] = from;
    this.revised[k + 1] = to;
    this.revised[k + 2] = packets;
  }

  /** Drop the pin of re-keyed flow `f` as it ends. */
  private unpin(f: number): void {
    const flows = this.flows;
    if (flows.rekeyed(f) !== 1) return;
    flows.setRekeyed(f, 0);
    const client = this.pinClient;
    const o = flows.srcAt(f);
    for (let i = 0; i < 4; i++) client[i] = flows.words[o + i] as number;
    this.pins.delete(flows.family(f), client, flows.srcPort(f), flows.protocol(f), flows.service(f));
  }

  /** A packet to a Service with no usable endpoint: counted on a denied record (retransmissions add up). */
  private noEndpoint(bytes: number, nowSec: number): PacketCategory {
    const meta = this.meta;
    let f = this.denied.find(meta.ipVersion, meta.src, this.recordSrcPort(), meta.dst, this.recordDstPort(), meta.protocol, nowSec);
    if (f >= 0) return this.countOnFlow(f, this.denied.direction === 0 ? CtDirection.ORIGINAL : CtDirection.REPLY, PacketCategory.DROPPED_NO_ENDPOINT, bytes, nowSec);
    f = this.newRecord(FlowReason.NO_ENDPOINT, nowSec);
    this.indexDenied(f, nowSec);
    return this.countOnFlow(f, CtDirection.ORIGINAL, PacketCategory.DROPPED_NO_ENDPOINT, bytes, nowSec);
  }

  /**
   * The verdict each endpoint of the flow's Service would get (bit i: endpoint i allowed, first
   * 32), so reports can say when the endpoint choice decided the verdict. New Service flows only.
   */
  private endpointVerdicts(): number {
    const services = this.services;
    if (services === null || this.natFrontend < 0 || this.natBackend < 0) return 0;
    const first = services.firstBackend(this.natFrontend);
    const count = Math.min(services.backendCount(this.natFrontend), 32);
    let mask = 0;
    for (let i = 0; i < count; i++) {
      services.applyBackend(this.meta, first + i);
      if (isAllowReason(this.policy.classifyPacket(this.meta))) mask |= 1 << i;
    }
    services.applyBackend(this.meta, this.natBackend);
    return mask >>> 0;
  }

  private invalid(bytes: number, nowSec: number): PacketCategory {
    const meta = this.meta;
    // An ICMP error about a denied connection (port unreachable for a dropped UDP datagram...).
    if (meta.hasInner) {
      const inner = this.denied.find(meta.innerIpVersion, meta.innerSrc, meta.innerSrcPort, meta.innerDst, meta.innerDstPort, meta.innerProtocol, nowSec);
      if (inner >= 0) return this.countOnFlow(inner, this.denied.direction === 0 ? CtDirection.REPLY : CtDirection.ORIGINAL, PacketCategory.DROPPED_CT_INVALID, bytes, nowSec);
    }
    const sport = this.recordSrcPort();
    const dport = this.recordDstPort();
    // Most INVALID packets in a replay are the replies of a denied connection: count them there.
    let f = this.denied.find(meta.ipVersion, meta.src, sport, meta.dst, dport, meta.protocol, nowSec);
    if (f >= 0) return this.countOnFlow(f, this.denied.direction === 0 ? CtDirection.ORIGINAL : CtDirection.REPLY, PacketCategory.DROPPED_CT_INVALID, bytes, nowSec);
    f = this.newRecord(FlowReason.CT_INVALID, nowSec);
    this.indexDenied(f, nowSec);
    return this.countOnFlow(f, CtDirection.ORIGINAL, PacketCategory.DROPPED_CT_INVALID, bytes, nowSec);
  }

  /** Remember denied attempt `f` and queue its timeout. */
  private indexDenied(f: number, nowSec: number): void {
    this.denied.insert(f, nowSec);
    if (this.denied.isIndexed(f)) this.expiries.schedule(f, this.flows.seq(f), this.denied.expiryOf(f));
  }

  private newRecord(reason: number, nowSec: number): number {
    const meta = this.meta;
    const f = this.flows.add(meta.ipVersion, meta.src, meta.dst, meta.protocol, this.recordSrcPort(), this.recordDstPort(), nowSec);
    const flows = this.flows;
    flows.setStartPacket(f, this.packetIndex);
    flows.setReason(f, reason);
    flows.setPolicyVersion(f, this.policyVersion);
    flows.setCreatedVersion(f, this.policyVersion);
    flows.setTunnel(f, meta.tunnel);
    flows.setAnswer(f, openingAnswer(meta));
    flows.setFirstBytes(f, meta.wireLength);
    if (this.natFrontend >= 0) {
      flows.setService(f, this.natFrontend);
      flows.setEndpoint(f, this.natBackend);
    }
    if (reason < 128) this.recordPolicyDecision(f);
    return f;
  }

  /** The endpoints and deciding rules of the policy's last classification, on flow `f`'s record. */
  private recordPolicyDecision(f: number): void {
    const flows = this.flows;
    const policy = this.policy;
    flows.setSrcEndpoint(f, policy.srcEndpoint);
    flows.setDstEndpoint(f, policy.dstEndpoint);
    flows.setEgressRule(f, policy.egressRule);
    flows.setIngressRule(f, policy.ingressRule);
    flows.setEgressPassRule(f, policy.egressPassRule ?? -1);
    flows.setIngressPassRule(f, policy.ingressPassRule ?? -1);
  }

  private dropCategory(reason: number): PacketCategory {
    switch (reason) {
      case Reason.DROP_EGRESS_ADMIN_DENY:
        return PacketCategory.DROPPED_EGRESS_ADMIN;
      case Reason.DROP_INGRESS_ADMIN_DENY:
        return PacketCategory.DROPPED_INGRESS_ADMIN;
      case Reason.DROP_EGRESS_BASELINE_DENY:
        return PacketCategory.DROPPED_EGRESS_BASELINE;
      case Reason.DROP_INGRESS_BASELINE_DENY:
        return PacketCategory.DROPPED_INGRESS_BASELINE;
    }
    if (reason === Reason.DROP_EGRESS_DEFAULT_DENY || isEgressDrop(reason)) return PacketCategory.DROPPED_EGRESS;
    if (reason === Reason.DROP_INGRESS_DEFAULT_DENY || isIngressDrop(reason)) return PacketCategory.DROPPED_INGRESS;
    if (reason === FlowReason.CT_TABLE_FULL) return PacketCategory.DROPPED_CT_FULL;
    return PacketCategory.DROPPED_CT_INVALID;
  }

  private nonFirstFragment(bytes: number, nowSec: number): PacketCategory {
    const meta = this.meta;
    if (!this.fragments.find(meta.src, meta.dst, meta.protocol, meta.fragmentId)) return this.count(PacketCategory.DROPPED_FRAGMENT, bytes);
    const f = this.fragments.foundFlow;
    const category = this.fragments.foundAllowed ? PacketCategory.ALLOWED_FRAGMENT : PacketCategory.DROPPED_FRAGMENT;
    // The datagram's flow may have ended (and its slot been reused) since the first fragment.
    if (f < 0 || !this.flows.isLive(f) || this.flows.seq(f) !== this.fragments.foundSeq) return this.count(category, bytes);
    // The datagram goes the way its first fragment went.
    return this.countOnFlow(f, this.fragments.foundDirection, category, bytes, nowSec);
  }

  private count(category: PacketCategory, bytes: number): PacketCategory {
    this.lastCategory = category;
    this.counters[category * 2] = (this.counters[category * 2] as number) + 1;
    this.counters[category * 2 + 1] = (this.counters[category * 2 + 1] as number) + bytes;
    return category;
  }

  private countOnFlow(f: number, direction: number, category: PacketCategory, bytes: number, nowSec: number): PacketCategory {
    this.lastFlow = f;
    this.lastDirection = direction;
    if (this.flows.isLive(f)) this.flows.addPacket(f, direction, bytes, nowSec, isDropped(category));
    return this.count(category, bytes);
  }

  private recordFinalState(index: number): void {
    const f = this.conntrack.flowIdOf(index);
    if (this.flows.isLive(f)) this.flows.setState(f, this.conntrack.stateOf(index));
  }

  /**
   * The end of the replay: record the conntrack state of every live entry in its flow record,
   * then report every flow still open, in start order, and release them all. The conntrack and
   * denied-flow tables keep their entries (counters and tables stay readable).
   */
  finish(): void {
    const open = this.beginFinish();
    for (const f of open) this.endOpenFlow(f);
  }

  /**
   * `finish` in steps, for a caller that pauses between them (an output's backpressure): records
   * the final states, reports the flows that already ended, and returns the ids of the flows
   * still open in start order; hand each to `endOpenFlow`.
   */
  beginFinish(): number[] {
    this.conntrack.forEachEntry((index) => this.recordFinalState(index));
    if (this.endedCount > 0) this.reportEnded();
    return this.flows.liveInStartOrder();
  }

  /** Report and release one open flow at the end of the replay (see `beginFinish`). */
  endOpenFlow(f: number): void {
    if (!this.flows.isLive(f)) return;
    this.onFlowEnd?.(f);
    this.unpin(f);
    this.flows.release(f);
  }

  /** Packets counted in all categories together (the accounting invariant's left side). */
  totalPackets(): number {
    let total = 0;
    for (let c = 0; c < PACKET_CATEGORY_COUNT; c++) total += this.counters[c * 2] as number;
    return total;
  }
}
