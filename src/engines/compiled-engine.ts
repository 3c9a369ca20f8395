/** The compiled tables behind the same FlowEngine interface as the naive evaluator (query, matrix). */
import { compile } from '../../compiler/compile.js';
import { UPSTREAM_SEMANTICS, type PolicySemantics } from '../../compiler/policy-semantics.js';
import { addressWords } from '../../compiler/intern-identities.js';
import type { Cluster, IpAddress, Pod } from '../../compiler/model.js';
import { ruleRefOf, type CompiledTables } from '../../compiler/tables.js';
import { DirectionReason, isAllowDirection, isAllowReason } from '../../compiler/verdict.js';
import { FlowClassifier } from '../../dataplane/classify-flow.js';
import type { DirectionVerdict, Flow, FlowEngine, FlowVerdict } from '../naive/naive-evaluator.js';
import type { RuleRef } from '../../compiler/verdict.js';

export class CompiledEngine implements FlowEngine {
  readonly tables: CompiledTables;
  private readonly classifier: FlowClassifier;
  private readonly src = new Uint32Array(4);
  private readonly dst = new Uint32Array(4);

  constructor(clusterOrTables: Cluster | CompiledTables, semantics: PolicySemantics = UPSTREAM_SEMANTICS) {
    this.tables = 'rules' in clusterOrTables ? clusterOrTables : compile(clusterOrTables, semantics);
    this.classifier = new FlowClassifier(this.tables);
  }

  podByIp(ip: IpAddress): Pod | null {
    this.src.set(addressWords(ip));
    const e = this.classifier.endpointOf(ip.family, this.src, 0);
    return e < 0 ? null : (this.tables.endpointPods[e] as Pod);
  }

  evaluate(flow: Flow): FlowVerdict {
    this.src.set(addressWords(flow.src));
    this.dst.set(addressWords(flow.dst));
    const c = this.classifier;
    // A packet has one IP version; a mixed flow is a caller bug, not a user mistake.
    if (flow.src.family !== flow.dst.family) throw new Error(`flow mixes IPv${flow.src.family} and IPv${flow.dst.family}`);
    const reason = c.classify(flow.src.family, this.src, 0, this.dst, 0, flow.protocol, flow.dstPort);
    const srcPod = c.srcEndpoint < 0 ? null : (this.tables.endpointPods[c.srcEndpoint] as Pod);
    const dstPod = c.dstEndpoint < 0 ? null : (this.tables.endpointPods[c.dstEndpoint] as Pod);
    return {
      allowed: isAllowReason(reason),
      reason,
      srcPod,
      dstPod,
      egress: this.direction('egress', srcPod, c.srcEndpoint, c.egressReason, c.egressRule, c.egressPassRule),
      ingress: this.direction('ingress', dstPod, c.dstEndpoint, c.ingressReason, c.ingressRule, c.ingressPassRule),
    };
  }

  private direction(direction: 'egress' | 'ingress', pod: Pod | null, endpoint: number, reason: DirectionReason, rule: number, pass: number): DirectionVerdict {
    const table = endpoint < 0 || reason === DirectionReason.SELF || reason === DirectionReason.NOT_ENFORCED ? -1 : ((direction === 'egress' ? this.tables.endpointEgressTable : this.tables.endpointIngressTable)[endpoint] as number);
    return {
      direction,
      pod,
      isolatedBy: table < 0 ? [] : (this.tables.tables[table]?.policies ?? []),
      reason,
      allowed: isAllowDirection(reason),
      rule: ruleRefOf(this.tables, rule),
      ...(pass >= 0 ? { passedBy: ruleRefOf(this.tables, pass) as RuleRef } : {}),
    };
  }
}
