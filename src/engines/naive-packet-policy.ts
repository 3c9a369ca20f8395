/**
 * The naive evaluator behind the dataplane's NewFlowPolicy interface (`--engine naive`): each new
 * flow's addresses are turned back into model addresses and the spec is applied literally. Slow
 * on purpose — it is the baseline the compiled tables are measured against — but not slowed
 * artificially: the conversion is what any straightforward implementation would do.
 */
import type { Cluster, IpAddress, IpFamily, Pod } from '../../compiler/model.js';
import type { Reason, RuleRef } from '../../compiler/verdict.js';
import type { NewFlowPolicy } from '../../dataplane/new-flow-policy.js';
import type { PacketMeta } from '../../dataplane/packet-meta.js';
import { NaiveEvaluator } from '../naive/naive-evaluator.js';
import { UPSTREAM_SEMANTICS, type PolicySemantics } from '../../compiler/policy-semantics.js';
import type { FlowProvenance } from './flow-provenance.js';

function toAddress(family: number, words: Uint32Array): IpAddress {
  if (family === 4) return { family: 4, value: BigInt(words[0] as number), text: '' };
  let value = 0n;
  for (let i = 0; i < 4; i++) value = (value << 32n) | BigInt(words[i] as number);
  return { family: family as IpFamily, value, text: '' };
}

export class NaivePacketPolicy implements NewFlowPolicy, FlowProvenance {
  egressRule = -1;
  ingressRule = -1;
  egressPassRule = -1;
  ingressPassRule = -1;
  srcEndpoint = -1;
  dstEndpoint = -1;
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
