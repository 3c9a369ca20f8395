/**
 * New-flow classification against the compiled tables (compiler/tables.ts): the source's egress,
 * then the destination's ingress, as the spec orders them (SEMANTICS.md §0 step 2). Called once
 * per new connection; conntrack handles the rest. Allocation-free: results are written to this
 * object's fields, which are valid until the next `classify` call.
 */
import { ADDRESS_RECORD, ADDRESS_RECORD_WORDS, CROSS_ANY_PORT, PEER_KIND, PROTO_SLOT, TIER_ACTION, WORLD_IDENTITY, protocolSlot, hashAddress, type CompiledTables } from '../compiler/tables.js';
import { DirectionReason, combineDirections, type Reason } from '../compiler/verdict.js';
import type { PacketMeta } from './packet-meta.js';

export class FlowClassifier {
  /** Flow verdict (compiler/verdict.ts Reason). */
  reason: Reason = 2;
  egressReason: DirectionReason = 1;
  ingressReason: DirectionReason = 1;
  /**
   * Rule ids that decided each direction, or -1: a NetworkPolicy rule that allowed, or an
   * admin/baseline tier rule that allowed or denied (global ids, compiler/tables.ts ruleRefOf).
   */
  egressRule = -1;
  ingressRule = -1;
  /** The admin or baseline Pass rule that handed each direction on, or -1. */
  egressPassRule = -1;
  ingressPassRule = -1;
  /** Scratch results of `decide`. */
  private decidedRule = -1;
  private decidedPass = -1;
  /** Endpoint indexes of source and destination, or -1 when not a pod endpoint. */
  srcEndpoint = -1;
  dstEndpoint = -1;
  /** Rule ids listed by the last `listAllowRules`: [0, allowRuleCount). Valid until the next call. */
  allowRules = new Int32Array(16);
  allowRuleCount = 0;
  /** Per rule id: the `listStamp` of the last list it joined (no duplicates in a list). */
  private ruleStamps = new Uint32Array(0);
  private listStamp = 0;

  constructor(readonly tables: CompiledTables) {}

  /** Classify a decoded packet as the first of a new flow (ports only for TCP, UDP, SCTP). */
  classifyPacket(meta: PacketMeta): Reason {
    const p = meta.protocol;
    const port = p === 6 || p === 17 || p === 132 ? meta.dstPort : 0;
    return this.classify(meta.ipVersion, meta.src, 0, meta.dst, 0, p, port);
  }

  /** Endpoint owning an address (4 words at `offset`), or -1. */
  endpointOf(family: number, words: Uint32Array, offset: number): number {
    const slot = this.slotOf(this.tables, family, words, offset);
    return slot < 0 ? -1 : (this.tables.addressRecords[slot * ADDRESS_RECORD_WORDS + ADDRESS_RECORD.ENDPOINT] as number);
  }

  private slotOf(t: CompiledTables, family: number, words: Uint32Array, offset: number): number {
    const records = t.addressRecords;
    const w0 = words[offset] as number;
    const w1 = words[offset + 1] as number;
    const w2 = words[offset + 2] as number;
    const w3 = words[offset + 3] as number;
    let slot = hashAddress(family, w0, w1, w2, w3) & t.addressMask;
    for (;;) {
      const at = slot * ADDRESS_RECORD_WORDS;
      const f = records[at] as number;
      if (f === 0) return -1;
      // Records hold the words as int32: compare with `| 0`.
      if (f === family && records[at + 1] === (w0 | 0) && records[at + 2] === (w1 | 0) && records[at + 3] === (w2 | 0) && records[at + 4] === (w3 | 0)) return slot;
      slot = (slot + 1) & t.addressMask;
    }
  }

  /** CIDR class of an address that is not an endpoint (binary search over the class starts). */
  cidrClassOf(family: number, words: Uint32Array, offset: number): number {
    return this.cidrClassIn(this.tables, family, words, offset);
  }

  private cidrClassIn(t: CompiledTables, family: number, words: Uint32Array, offset: number): number {
    if (family === 4) {
      const a = words[offset] as number;
      const bounds = t.v4Bounds;
      let lo = 0;
      let hi = bounds.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if ((bounds[mid] as number) <= a) lo = mid;
        else hi = mid - 1;
      }
      return lo;
    }
    const bounds = t.v6Bounds;
    let lo = 0;
    let hi = bounds.length / 4 - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (compareV6(bounds, mid * 4, words, offset) <= 0) lo = mid;
      else hi = mid - 1;
    }
    return t.v4Bounds.length + lo;
  }

  /**
   * Classify the first packet of a flow. `src`/`dst` hold 4 words each at the given offsets.
   * Returns the flow reason; directional details are left in the fields.
   */
  classify(family: number, src: Uint32Array, srcOffset: number, dst: Uint32Array, dstOffset: number, protocol: number, dstPort: number): Reason {
    const t = this.tables;
    const srcSlot = this.slotOf(t, family, src, srcOffset);
    const dstSlot = this.slotOf(t, family, dst, dstOffset);
    const records = t.addressRecords;
    const se = srcSlot < 0 ? -1 : (records[srcSlot * ADDRESS_RECORD_WORDS + ADDRESS_RECORD.ENDPOINT] as number);
    const de = dstSlot < 0 ? -1 : (records[dstSlot * ADDRESS_RECORD_WORDS + ADDRESS_RECORD.ENDPOINT] as number);
    this.srcEndpoint = se;
    this.dstEndpoint = de;
    this.egressRule = -1;
    this.ingressRule = -1;
    this.egressPassRule = -1;
    this.ingressPassRule = -1;
    if (!t.enforced) {
      this.egressReason = DirectionReason.NOT_ENFORCED;
      this.ingressReason = DirectionReason.NOT_ENFORCED;
      this.reason = combineDirections(DirectionReason.NOT_ENFORCED, DirectionReason.NOT_ENFORCED);
      return this.reason;
    }
    if (se >= 0 && se === de) {
      this.egressReason = DirectionReason.SELF;
      this.ingressReason = DirectionReason.SELF;
      this.reason = combineDirections(DirectionReason.SELF, DirectionReason.SELF);
      return this.reason;
    }

    // Egress at the source: the remote is the destination.
    if (se < 0) {
      this.egressReason = DirectionReason.NOT_A_POD;
    } else if (t.localNodeEgressExempt && this.isOwnNode(se, family, dst, dstOffset)) {
      this.egressReason = DirectionReason.LOCAL_NODE;
    } else {
      const identity = de >= 0 ? (t.endpointIdentity[de] as number) : WORLD_IDENTITY;
      this.egressReason = this.decide(false, se, srcSlot, identity, dstSlot, family, dst, dstOffset, protocol, dstPort, de);
      this.egressRule = this.decidedRule;
      this.egressPassRule = this.decidedPass;
    }

    // Ingress at the destination: the remote is the source.
    if (de < 0) {
      this.ingressReason = DirectionReason.NOT_A_POD;
    } else if (t.localNodeIngressExempt && this.isOwnNode(de, family, src, srcOffset)) {
      this.ingressReason = DirectionReason.LOCAL_NODE;
    } else {
      const identity = se >= 0 ? (t.endpointIdentity[se] as number) : WORLD_IDENTITY;
      this.ingressReason = this.decide(true, de, dstSlot, identity, srcSlot, family, src, srcOffset, protocol, dstPort, de);
      this.ingressRule = this.decidedRule;
      this.ingressPassRule = this.decidedPass;
    }
    this.reason = combineDirections(this.egressReason, this.ingressReason);
    return this.reason;
  }

  /**
   * One direction at a pod endpoint, tier by tier (SEMANTICS.md §5.2): the Admin tier's first
   * matching rule (Allow/Deny final, Pass goes on), then the NetworkPolicy table when one
   * isolates the pod, else the Baseline tier, else not isolated. The remote is `identity` and
   * the address at `offset` (`remoteSlot` its address-index slot, or -1); `subjectSlot` is the
   * subject's own slot. Leaves the deciding and the passing rule ids in `decidedRule` and
   * `decidedPass`.
   */
  private decide(ingress: boolean, subject: number, subjectSlot: number, identity: number, remoteSlot: number, family: number, words: Uint32Array, offset: number, protocol: number, dstPort: number, dstEndpoint: number): DirectionReason {
    const t = this.tables;
    this.decidedRule = -1;
    this.decidedPass = -1;
    const admin = t.admin;
    if (admin) {
      const at = admin.tables;
      const table = (ingress ? at.endpointIngressTable : at.endpointEgressTable)[subject] as number;
      if (table >= 0) {
        const rule = this.matchTable(at, table, identity, this.cidrClassIn(at, family, words, offset), protocol, dstPort, dstEndpoint);
        if (rule >= 0) {
          const action = admin.ruleAction[rule];
          const id = t.rules.length + rule;
          if (action === TIER_ACTION.ALLOW) {
            this.decidedRule = id;
            return DirectionReason.ADMIN_ALLOW;
          }
          if (action === TIER_ACTION.DENY) {
            this.decidedRule = id;
            return DirectionReason.ADMIN_DENY;
          }
          this.decidedPass = id;
        }
      }
    }
    const table = (ingress ? t.endpointIngressTable : t.endpointEgressTable)[subject] as number;
    if (table >= 0) {
      const records = t.addressRecords;
      const cidrClass = remoteSlot >= 0 ? (records[remoteSlot * ADDRESS_RECORD_WORDS + ADDRESS_RECORD.CIDR_CLASS] as number) : this.cidrClassIn(t, family, words, offset);
      let rule = this.matchTable(t, table, identity, cidrClass, protocol, dstPort, dstEndpoint);
      if (rule < 0 && (t.crossEntryStart[table] as number) < (t.crossEntryStart[table + 1] as number)) rule = this.matchCross(table, -1, subject, subjectSlot, identity, protocol, dstPort, dstEndpoint);
      this.decidedRule = rule;
      return rule >= 0 ? DirectionReason.RULE : DirectionReason.NO_RULE_MATCHED;
    }
    const baseline = t.baseline;
    if (baseline) {
      const bt = baseline.tables;
      const btable = (ingress ? bt.endpointIngressTable : bt.endpointEgressTable)[subject] as number;
      if (btable >= 0) {
        const rule = this.matchTable(bt, btable, identity, this.cidrClassIn(bt, family, words, offset), protocol, dstPort, dstEndpoint);
        if (rule >= 0) {
          const action = baseline.ruleAction[rule];
          const id = t.rules.length + (admin ? admin.tables.rules.length : 0) + rule;
          if (action === TIER_ACTION.ALLOW) {
            this.decidedRule = id;
            return DirectionReason.BASELINE_ALLOW;
          }
          if (action === TIER_ACTION.DENY) {
            this.decidedRule = id;
            return DirectionReason.BASELINE_DENY;
          }
          // A Baseline-tier Pass (ClusterNetworkPolicy) leaves the default allow.
          this.decidedPass = id;
        }
      }
    }
    return DirectionReason.NOT_ISOLATED;
  }

  /**
   * Every allow rule that would let the flow through, for rule coverage (`replay --coverage`):
   * classifies the flow as `classify` does (the fields are left as it leaves them), then lists
   * in `allowRules[0..count)`, for a direction a NetworkPolicy rule decided, every entry of the
   * pod's table whose peer and port match (not only the first); for a direction an admin or
   * baseline Allow decided, that rule (a tier is first-match: nothing after it is consulted).
   * Directions decided otherwise add nothing. Called once per flow and only when coverage is
   * asked; allocation-free once the buffers have grown to the rule count.
   */
  listAllowRules(family: number, src: Uint32Array, srcOffset: number, dst: Uint32Array, dstOffset: number, protocol: number, dstPort: number): number {
    this.classify(family, src, srcOffset, dst, dstOffset, protocol, dstPort);
    this.allowRuleCount = 0;
    if (++this.listStamp === 0xffffffff) {
      this.ruleStamps.fill(0);
      this.listStamp = 1;
    }
    const t = this.tables;
    const se = this.srcEndpoint;
    const de = this.dstEndpoint;
    if (this.egressReason === DirectionReason.RULE) {
      const identity = de >= 0 ? (t.endpointIdentity[de] as number) : WORLD_IDENTITY;
      this.listTableMatches(t.endpointEgressTable[se] as number, identity, this.slotOf(t, family, dst, dstOffset), family, dst, dstOffset, protocol, dstPort, de);
      this.matchCross(t.endpointEgressTable[se] as number, 0, se, this.slotOf(t, family, src, srcOffset), identity, protocol, dstPort, de);
    } else if (this.egressReason === DirectionReason.ADMIN_ALLOW || this.egressReason === DirectionReason.BASELINE_ALLOW) {
      this.pushAllowRule(this.egressRule);
    }
    if (this.ingressReason === DirectionReason.RULE) {
      const identity = se >= 0 ? (t.endpointIdentity[se] as number) : WORLD_IDENTITY;
      this.listTableMatches(t.endpointIngressTable[de] as number, identity, this.slotOf(t, family, src, srcOffset), family, src, srcOffset, protocol, dstPort, de);
      this.matchCross(t.endpointIngressTable[de] as number, 0, de, this.slotOf(t, family, dst, dstOffset), identity, protocol, dstPort, de);
    } else if (this.ingressReason === DirectionReason.ADMIN_ALLOW || this.ingressReason === DirectionReason.BASELINE_ALLOW) {
      this.pushAllowRule(this.ingressRule);
    }
    return this.allowRuleCount;
  }

  private pushAllowRule(rule: number): void {
    if (rule < 0) return;
    if (rule >= this.ruleStamps.length) {
      const next = new Uint32Array(Math.max(rule + 1, this.ruleStamps.length * 2, 64));
      next.set(this.ruleStamps);
      this.ruleStamps = next;
    }
    if (this.ruleStamps[rule] === this.listStamp) return;
    this.ruleStamps[rule] = this.listStamp;
    if (this.allowRuleCount === this.allowRules.length) {
      const next = new Int32Array(this.allowRules.length * 2);
      next.set(this.allowRules);
      this.allowRules = next;
    }
    this.allowRules[this.allowRuleCount++] = rule;
  }

  /** `matchTable` without stopping at the first: every matching entry's rule goes to `allowRules`. */
  private listTableMatches(table: number, identity: number, remoteSlot: number, family: number, words: Uint32Array, offset: number, protocol: number, dstPort: number, dstEndpoint: number): void {
    if (table < 0) return;
    const t = this.tables;
    const cidrClass = remoteSlot >= 0 ? (t.addressRecords[remoteSlot * ADDRESS_RECORD_WORDS + ADDRESS_RECORD.CIDR_CLASS] as number) : this.cidrClassIn(t, family, words, offset);
    const slot = protocolSlot(protocol);
    const map = table * 4 + slot;
    let lo = t.portMapStart[map] as number;
    let hi = (t.portMapStart[map + 1] as number) - 1;
    if (slot !== PROTO_SLOT.OTHER) {
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if ((t.portClassLow[mid] as number) <= dstPort) lo = mid;
        else hi = mid - 1;
      }
    }
    const end = t.classEntryStart[lo + 1] as number;
    for (let e = t.classEntryStart[lo] as number; e < end; e++) {
      if (this.peerMatches(t, e, identity, cidrClass)) this.pushAllowRule(t.entryRule[e] as number);
    }
    if (dstEndpoint < 0) return;
    const namedEnd = t.namedEntryStart[table + 1] as number;
    for (let e = t.namedEntryStart[table] as number; e < namedEnd; e++) {
      if (t.entryPortProtocol[e] !== protocol) continue;
      if (!this.hasNamedPort(t, dstEndpoint, t.entryPortName[e] as number, protocol, dstPort)) continue;
      if (this.peerMatches(t, e, identity, cidrClass)) this.pushAllowRule(t.entryRule[e] as number);
    }
  }

  /** Is the address (4 words at `offset`) the endpoint's node (its hostIP)? */
  private isOwnNode(endpoint: number, family: number, src: Uint32Array, offset: number): boolean {
    const t = this.tables;
    if (t.endpointHostFamily[endpoint] !== family) return false;
    const base = endpoint * 4;
    return (
      t.endpointHostWords[base] === src[offset] &&
      t.endpointHostWords[base + 1] === src[offset + 1] &&
      t.endpointHostWords[base + 2] === src[offset + 2] &&
      t.endpointHostWords[base + 3] === src[offset + 3]
    );
  }

  /** First rule (lowest id) of `table` matching the remote peer and the port, or -1. */
  private matchTable(t: CompiledTables, table: number, identity: number, cidrClass: number, protocol: number, dstPort: number, dstEndpoint: number): number {
    const slot = protocolSlot(protocol);
    const map = table * 4 + slot;
    let lo = t.portMapStart[map] as number;
    let hi = (t.portMapStart[map + 1] as number) - 1;
    if (slot !== PROTO_SLOT.OTHER) {
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if ((t.portClassLow[mid] as number) <= dstPort) lo = mid;
        else hi = mid - 1;
      }
    }
    let best = -1;
    const end = t.classEntryStart[lo + 1] as number;
    for (let e = t.classEntryStart[lo] as number; e < end; e++) {
      if (this.peerMatches(t, e, identity, cidrClass)) {
        best = t.entryRule[e] as number;
        break;
      }
    }
    // Egress named ports resolve on the destination pod (SEMANTICS.md §1.3); they never match
    // an external destination.
    const namedEnd = t.namedEntryStart[table + 1] as number;
    if (dstEndpoint >= 0) {
      for (let e = t.namedEntryStart[table] as number; e < namedEnd; e++) {
        const rule = t.entryRule[e] as number;
        if (best >= 0 && rule >= best) break;
        if (t.entryPortProtocol[e] !== protocol) continue;
        if (!this.hasNamedPort(t, dstEndpoint, t.entryPortName[e] as number, protocol, dstPort)) continue;
        if (this.peerMatches(t, e, identity, cidrClass)) {
          best = rule;
          break;
        }
      }
    }
    return best;
  }

  /**
   * The table's cross entries (bothTypesRules=both-directions, compiler/build-tables.ts): the
   * peer is the table's own pod (`subject`, at address-index slot `subjectSlot`), the remote's
   * `identity` must be among the entry's targets. With `list` -1, returns the first matching
   * rule or -1; otherwise adds every matching rule to `allowRules` and returns -1.
   */
  private matchCross(table: number, list: number, subject: number, subjectSlot: number, identity: number, protocol: number, dstPort: number, dstEndpoint: number): number {
    const t = this.tables;
    if (identity < 0) return -1;
    const end = t.crossEntryStart[table + 1] as number;
    const slot = protocolSlot(protocol);
    for (let e = t.crossEntryStart[table] as number; e < end; e++) {
      const targets = t.crossTargets[e] as number;
      if ((((t.selectorBits[targets * t.selectorWords + (identity >>> 5)] as number) >>> (identity & 31)) & 1) !== 1) continue;
      const portSlot = t.crossPortSlot[e] as number;
      if (portSlot !== CROSS_ANY_PORT) {
        if (portSlot !== slot) continue;
        const name = t.crossPortName[e] as number;
        if (name >= 0) {
          if (dstEndpoint < 0 || !this.hasNamedPort(t, dstEndpoint, name, protocol, dstPort)) continue;
        } else if (dstPort < (t.crossPortLow[e] as number) || dstPort > (t.crossPortHigh[e] as number)) continue;
      }
      if (!this.subjectIsPeer(e, subject, subjectSlot)) continue;
      const rule = t.crossRule[e] as number;
      if (list < 0) return rule;
      this.pushAllowRule(rule);
    }
    return -1;
  }

  private subjectIsPeer(e: number, subject: number, subjectSlot: number): boolean {
    const t = this.tables;
    const kind = t.crossPeerKind[e];
    if (kind === PEER_KIND.ANY) return true;
    const arg = t.crossPeerArg[e] as number;
    if (kind === PEER_KIND.SELECTOR) {
      const identity = t.endpointIdentity[subject] as number;
      return (((t.selectorBits[arg * t.selectorWords + (identity >>> 5)] as number) >>> (identity & 31)) & 1) === 1;
    }
    const cidrClass = t.addressRecords[subjectSlot * ADDRESS_RECORD_WORDS + ADDRESS_RECORD.CIDR_CLASS] as number;
    if (cidrClass < 0) return false;
    return (((t.cidrSetBits[arg * t.cidrSetWords + (cidrClass >>> 5)] as number) >>> (cidrClass & 31)) & 1) === 1;
  }

  private peerMatches(t: CompiledTables, entry: number, identity: number, cidrClass: number): boolean {
    const kind = t.entryPeerKind[entry];
    if (kind === PEER_KIND.ANY) return true;
    const arg = t.entryPeerArg[entry] as number;
    if (kind === PEER_KIND.SELECTOR) {
      if (identity < 0) return false;
      return (((t.selectorBits[arg * t.selectorWords + (identity >>> 5)] as number) >>> (identity & 31)) & 1) === 1;
    }
    if (cidrClass < 0) return false;
    return (((t.cidrSetBits[arg * t.cidrSetWords + (cidrClass >>> 5)] as number) >>> (cidrClass & 31)) & 1) === 1;
  }

  private hasNamedPort(t: CompiledTables, endpoint: number, name: number, protocol: number, port: number): boolean {
    const end = t.endpointNamedPortStart[endpoint + 1] as number;
    for (let i = t.endpointNamedPortStart[endpoint] as number; i < end; i++) {
      if (t.namedPortName[i] === name && t.namedPortProtocol[i] === protocol && t.namedPortNumber[i] === port) return true;
    }
    return false;
  }
}

/** Compare 4-word IPv6 addresses: a[ao..] vs b[bo..]; <0, 0, >0. */
function compareV6(a: Uint32Array, ao: number, b: Uint32Array, bo: number): number {
  for (let i = 0; i < 4; i++) {
    const x = a[ao + i] as number;
    const y = b[bo + i] as number;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
