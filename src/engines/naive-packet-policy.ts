/**
 * The naive evaluator behind the dataplane's NewFlowPolicy interface (`--engine naive`): each new
 * flow's addresses are turned back into model addresses and the spec is applied literally. Slow
 * on purpose — it is the baseline the compiled tables are measured against — but not slowed
 * artificially: the conversion is what any straightforward implementation would do.
 */
import type { Cluster, IpAddress, IpFamily, Pod } from '../../compiler/model.js';
import { DirectionReason, type Reason, type RuleRef } from '../../compiler/verdict.js';
import type { NewFlowPolicy } from '../../dataplane/new-flow-policy.js';
import type { PacketMeta } from '../../dataplane/packet-meta.js';
import { NaiveEvaluator } from '../naive/naive-evaluator.js';
import { UPSTREAM_SEMANTICS, type PolicySemantics } from '../../compiler/policy-semantics.js';
import type { FlowProvenance } from './flow-provenance.js';

function toAddress(family: number, words: Uint32Array, offset = 0): IpAddress {
  if (family === 4) return { family: 4, value: BigInt(words[offset] as number), text: '' };
  let value = 0n;
  for (let i = 0; i < 4; i++) value = (value << 32n) | BigInt(words[offset + i] as number);
  return { family: family as IpFamily, value, text: '' };
}

export class NaivePacketPolicy implements NewFlowPolicy, FlowProvenance {
  egressRule = -1;
  ingressRule = -1;
  egressPassRule = -1;
  ingressPassRule = -1;
  srcEndpoint = -1;
  dstEndpoint = -1;
  /** Set by `listAllowRules` (classifyPacket does not need them). */
  egressReason: DirectionReason = DirectionReason.NOT_A_POD;
  ingressReason: DirectionReason = DirectionReason.NOT_A_POD;
  /** Rule ids listed by the last `listAllowRules`: [0, allowRuleCount). */
  allowRules = new Int32Array(16);
  allowRuleCount = 0;
  private readonly evaluator: NaiveEvaluator;
  private readonly podIndex = new Map<Pod, number>();
  private readonly rules: RuleRef[] = [];
  private readonly ruleIds = new Map<string, number>();
  private readonly isolation = new Map<string, readonly string[]>();

  constructor(
    private readonly cluster: Cluster,
    semantics: PolicySemantics = UPSTREAM_SEMANTICS,
  ) {
    this.evaluator = new NaiveEvaluator(cluster, semantics);
    cluster.pods.forEach((pod, i) => this.podIndex.set(pod, i));
  }

  classifyPacket(meta: PacketMeta): Reason {
    const p = meta.protocol;
    const verdict = this.evaluator.evaluate({
      src: toAddress(meta.ipVersion, meta.src),
      dst: toAddress(meta.ipVersion, meta.dst),
      protocol: p,
      dstPort: p === 6 || p === 17 || p === 132 ? meta.dstPort : 0,
    });
    this.srcEndpoint = verdict.srcPod ? (this.podIndex.get(verdict.srcPod) ?? -1) : -1;
    this.dstEndpoint = verdict.dstPod ? (this.podIndex.get(verdict.dstPod) ?? -1) : -1;
    this.egressRule = this.internRule(verdict.egress.rule);
    this.ingressRule = this.internRule(verdict.ingress.rule);
    this.egressPassRule = this.internRule(verdict.egress.passedBy ?? null);
    this.ingressPassRule = this.internRule(verdict.ingress.passedBy ?? null);
    if (this.srcEndpoint >= 0) this.isolation.set(`${this.srcEndpoint}/egress`, verdict.egress.isolatedBy);
    if (this.dstEndpoint >= 0) this.isolation.set(`${this.dstEndpoint}/ingress`, verdict.ingress.isolatedBy);
    return verdict.reason;
  }

  /**
   * Every allow rule that would let the flow through (rule coverage; NaiveEvaluator.allowRules),
   * as interned rule ids in `allowRules`; the other fields as after `classifyPacket`.
   */
  listAllowRules(family: number, src: Uint32Array, srcOffset: number, dst: Uint32Array, dstOffset: number, protocol: number, dstPort: number): number {
    const { verdict, rules } = this.evaluator.allowRules({ src: toAddress(family, src, srcOffset), dst: toAddress(family, dst, dstOffset), protocol, dstPort });
    this.srcEndpoint = verdict.srcPod ? (this.podIndex.get(verdict.srcPod) ?? -1) : -1;
    this.dstEndpoint = verdict.dstPod ? (this.podIndex.get(verdict.dstPod) ?? -1) : -1;
    this.egressRule = this.internRule(verdict.egress.rule);
    this.ingressRule = this.internRule(verdict.ingress.rule);
    this.egressReason = verdict.egress.reason;
    this.ingressReason = verdict.ingress.reason;
    if (this.allowRules.length < rules.length) this.allowRules = new Int32Array(rules.length * 2);
    this.allowRuleCount = rules.length;
    rules.forEach((ref, i) => (this.allowRules[i] = this.internRule(ref)));
    return rules.length;
  }

  private internRule(ref: RuleRef | null): number {
    if (ref === null) return -1;
    const key = `${ref.policyKind ?? ''}/${ref.policyNamespace}/${ref.policyName}/${ref.direction}/${ref.ruleIndex}/${ref.peerIndex}/${ref.portIndex}`;
    let id = this.ruleIds.get(key);
    if (id === undefined) {
      id = this.rules.length;
      this.rules.push(ref);
      this.ruleIds.set(key, id);
    }
    return id;
  }

  pod(endpoint: number): Pod | null {
    return endpoint >= 0 ? (this.cluster.pods[endpoint] ?? null) : null;
  }

  rule(id: number): RuleRef | null {
    return id >= 0 ? (this.rules[id] ?? null) : null;
  }

  isolatedBy(endpoint: number, direction: 'ingress' | 'egress'): readonly string[] {
    return this.isolation.get(`${endpoint}/${direction}`) ?? [];
  }
}
