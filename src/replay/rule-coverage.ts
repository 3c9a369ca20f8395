/**
 * Rule coverage (`replay --coverage`): for every allow rule of every policy — each (policy,
 * direction, rule, peer, port) as `query` names it — the allowed flows and packets it matched
 * and those it was the first matching allow for (the rule that decided), the policies none of
 * whose rules matched, and the pods no allowed flow reached.
 *
 * Kept like FlowSummary: numbers while flows end, strings only at the end. Each flow that ends is
 * classified once more, from its record's addresses, by the engine of the policy version it was
 * created under, which lists every matching allow rule into a reused buffer
 * (FlowClassifier.listAllowRules, NaivePacketPolicy.listAllowRules); the counters are typed
 * arrays indexed by that engine's rule ids and endpoints. Engines number rules differently, so
 * the report keys rules by their RuleRef and lists them in the cluster's order: policies sorted
 * by namespace and name, ingress then egress, rule, peer, port; then the admin and baseline
 * policies in evaluation order. Both engines therefore print the same report.
 *
 * Only flows that got through are counted for allow rules (denied flows allowed nothing); tier
 * rules (AdminNetworkPolicy, BaselineAdminNetworkPolicy, ClusterNetworkPolicy) are first-match,
 * so an Allow rule there counts only where it decided. The tiers' Deny and Pass rules are covered
 * too, where they decided: a Deny from the denied flow's deciding rule, a Pass from the rule that
 * handed a direction on (both kept on the flow record, as `--flows` names them).
 */
import type { Cluster } from '../../compiler/model.js';
import { DirectionReason, formatRuleRef, isAllowReason, isEgressDrop, isTierDrop, rulePolicyName, type RuleRef } from '../../compiler/verdict.js';
import type { AdminAction } from '../../compiler/model.js';
import type { FlowRecords } from '../../dataplane/flow-records.js';
import type { FlowProvenance } from '../engines/flow-provenance.js';

/** What coverage needs from an engine (dataplane/classify-flow.ts FlowClassifier, the naive adapter). */
export interface AllowRuleLister {
  listAllowRules(family: number, src: Uint32Array, srcOffset: number, dst: Uint32Array, dstOffset: number, protocol: number, dstPort: number): number;
  readonly allowRules: Int32Array;
  readonly egressRule: number;
  readonly ingressRule: number;
  readonly egressReason: DirectionReason;
  readonly ingressReason: DirectionReason;
}

export interface RuleCoverageRow {
  /** As `query` and the summary print it (compiler/verdict.ts formatRuleRef). */
  readonly rule: string;
  /** `namespace/name`, or `Kind/name` for a cluster-scoped policy. */
  readonly policy: string;
  readonly direction: 'ingress' | 'egress';
  readonly ruleIndex: number;
  readonly peerIndex: number | null;
  readonly portIndex: number | null;
  /** Cluster-scoped policies' rules only: Allow, Deny or Pass. */
  readonly action?: AdminAction;
  /** Allowed flows (and their packets, both directions) the rule matched; for a Deny or Pass rule, the flows it decided. */
  readonly flows: number;
  readonly packets: number;
  /** Those it was the first matching allow for: the rule that decided (the summary's allowedBy). */
  readonly firstFlows: number;
  readonly firstPackets: number;
}

export interface PolicyCoverageRow {
  readonly policy: string;
  /** Allow rules (peer × port entries) of the policy; for a cluster-scoped policy its Deny and Pass rules too. */
  readonly rules: number;
  readonly rulesMatched: number;
  /** Allowed flows a rule of this policy decided, per direction (each flow has one deciding rule per direction). */
  readonly flows: number;
  readonly packets: number;
}

export interface PodCoverageRow {
  readonly pod: string;
  /** Flows with the pod as destination (ingress) or source (egress), allowed and denied. */
  readonly ingressFlows: number;
  readonly egressFlows: number;
  readonly deniedIngressFlows: number;
  readonly deniedEgressFlows: number;
}

export interface CoverageReport {
  readonly rules: readonly RuleCoverageRow[];
  readonly policies: readonly PolicyCoverageRow[];
  /** Rules that matched no allowed flow, and Deny and Pass rules that decided none (their `rule` text). */
  readonly unmatchedRules: readonly string[];
  /** Policies with allow rules none of which matched an allowed flow. */
  readonly unmatchedPolicies: readonly string[];
  /** Policies with no rule to cover (NetworkPolicies without allow rules: they only isolate, default deny). */
  readonly isolationOnlyPolicies: readonly string[];
  readonly pods: readonly PodCoverageRow[];
  /** Pods (policed endpoints) that no allowed flow reached as destination. */
  readonly unreachedPods: readonly string[];
}

/** Rule counters: [4id] matched flows, [4id+1] matched packets, [4id+2] first flows, [4id+3] first packets. */
const RULE_COLUMNS = 4;
/** Pod counters: allowed in, allowed out, denied in, denied out. */
const POD_COLUMNS = 4;

function ruleKey(ref: RuleRef): string {
  return `${ref.policyKind ?? ''}\u0000${ref.policyNamespace}\u0000${ref.policyName}\u0000${ref.direction}\u0000${ref.ruleIndex}\u0000${ref.peerIndex}\u0000${ref.portIndex}`;
}

function isFinished(phase: string): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}

/**
 * Every allow rule of the cluster as a RuleRef, in report order, with the cluster-scoped
 * policies' Deny and Pass rules; and every policy name. Written from the model (not from an
 * engine's tables) so both engines report the same universe.
 */
export function enumerateAllowRules(cluster: Cluster): { rules: RuleRef[]; policies: string[] } {
  const rules: RuleRef[] = [];
  const policies: string[] = [];
  for (const policy of cluster.policies) {
    policies.push(`${policy.namespace}/${policy.name}`);
    for (const direction of ['ingress', 'egress'] as const) {
      if (!policy.policyTypes.includes(direction === 'ingress' ? 'Ingress' : 'Egress')) continue;
      (direction === 'ingress' ? policy.ingress : policy.egress).forEach((rule, ruleIndex) => {
        const peers = rule.peers.length === 0 ? [null] : rule.peers.map((_, i) => i);
        const ports = rule.ports.length === 0 ? [null] : rule.ports.map((_, i) => i);
        for (const peerIndex of peers) {
          for (const portIndex of ports) rules.push({ policyNamespace: policy.namespace, policyName: policy.name, direction, ruleIndex, peerIndex, portIndex });
        }
      });
    }
  }
  for (const policy of cluster.adminPolicies ?? []) {
    policies.push(`${policy.kind}/${policy.name}`);
    for (const direction of ['ingress', 'egress'] as const) {
      (direction === 'ingress' ? policy.ingress : policy.egress).forEach((rule, ruleIndex) => {
        const ports = rule.ports === null ? [null] : rule.ports.map((_, i) => i);
        rule.peers.forEach((_, peerIndex) => {
          for (const portIndex of ports) {
            rules.push({ policyNamespace: '', policyName: policy.name, direction, ruleIndex, peerIndex, portIndex, policyKind: policy.kind, tier: policy.tier, priority: policy.priority, ruleName: rule.name, action: rule.action });
          }
        });
      });
    }
  }
  return { rules, policies };
}

/** RuleCoverage's counters in a form another worker's RuleCoverage can add (`absorb`). */
export interface CoverageCounts {
  readonly rules: readonly { readonly ref: RuleRef; readonly counts: readonly number[] }[];
  readonly pods: readonly (Float64Array | undefined)[];
}

export class RuleCoverage {
  /** Rule counters of other workers (`absorb`), added by RuleRef when reporting. */
  private readonly absorbedRules: { readonly ref: RuleRef; readonly counts: readonly number[] }[] = [];
  private readonly listers: AllowRuleLister[] = [];
  private readonly clusters: Cluster[] = [];
  private readonly ruleCounts: Float64Array[] = [];
  private readonly podCounts: Float64Array[] = [];

  /** `provenances[v]` names the rule ids and endpoints of policy version v (ReplayResult.provenance). */
  constructor(private readonly provenances: readonly FlowProvenance[]) {}

  /** The engine and cluster of the next policy version (0 first, then one per timeline change). */
  addVersion(lister: AllowRuleLister, cluster: Cluster): void {
    this.listers.push(lister);
    this.clusters.push(cluster);
  }

  /** Account for flow `f`, which just ended (Dataplane.onFlowEnd; the record is still live). */
  add(r: FlowRecords, f: number): void {
    const reason = r.reason(f);
    // Flows that never reached policy (conntrack INVALID, table full, no Service endpoint).
    if (reason >= 128) return;
    const version = r.createdVersion(f);
    const allowed = isAllowReason(reason);
    this.countPod(version, r.srcEndpoint(f), allowed ? 1 : 3);
    this.countPod(version, r.dstEndpoint(f), allowed ? 0 : 2);
    const packets = r.packets(f, 0) + r.packets(f, 1);
    // Pass rules that handed a direction on, and a tier's Deny that decided: first-match, so matched = decided.
    this.countDecided(version, r.egressPassRule(f), packets);
    this.countDecided(version, r.ingressPassRule(f), packets);
    if (!allowed) {
      if (isTierDrop(reason)) this.countDecided(version, isEgressDrop(reason) ? r.egressRule(f) : r.ingressRule(f), packets);
      return;
    }
    const lister = this.listers[version];
    if (lister === undefined) return;
    const protocol = r.protocol(f);
    const port = protocol === 6 || protocol === 17 || protocol === 132 ? r.dstPort(f) : 0;
    const n = lister.listAllowRules(r.family(f), r.words, r.srcAt(f), r.words, r.dstAt(f), protocol, port);
    const rules = lister.allowRules;
    for (let i = 0; i < n; i++) this.countRule(version, rules[i] as number, 0, packets);
    if (decidedByAllowRule(lister.egressReason)) this.countRule(version, lister.egressRule, 2, packets);
    if (decidedByAllowRule(lister.ingressReason)) this.countRule(version, lister.ingressRule, 2, packets);
  }

  private countDecided(version: number, rule: number, packets: number): void {
    this.countRule(version, rule, 0, packets);
    this.countRule(version, rule, 2, packets);
  }

  private countRule(version: number, rule: number, column: number, packets: number): void {
    if (rule < 0) return;
    const counts = this.grown(this.ruleCounts, version, (rule + 1) * RULE_COLUMNS);
    const at = rule * RULE_COLUMNS + column;
    counts[at] = (counts[at] as number) + 1;
    counts[at + 1] = (counts[at + 1] as number) + packets;
  }

  private countPod(version: number, endpoint: number, column: number): void {
    if (endpoint < 0) return;
    const counts = this.grown(this.podCounts, version, (endpoint + 1) * POD_COLUMNS);
    const at = endpoint * POD_COLUMNS + column;
    counts[at] = (counts[at] as number) + 1;
  }

  /**
   * The counters, for combining a sharded replay's workers (`absorb`): rules by RuleRef (rule ids
   * are an engine's own numbering — the naive engine's follow the order it met them), pods by
   * endpoint id per policy version (the cluster's, the same in every worker).
   */
  exportCounts(): CoverageCounts {
    const rules: { ref: RuleRef; counts: number[] }[] = [];
    this.ruleCounts.forEach((counts, version) => {
      const provenance = this.provenances[version] ?? this.provenances[0];
      for (let id = 0; id * RULE_COLUMNS < counts.length; id++) {
        const at = id * RULE_COLUMNS;
        if (counts[at] === 0 && counts[at + 2] === 0) continue;
        const ref = provenance?.rule(id) ?? null;
        if (ref !== null) rules.push({ ref, counts: Array.from(counts.subarray(at, at + RULE_COLUMNS)) });
      }
    });
    return { rules, pods: this.podCounts };
  }

  /** Add another shard's counters (same replay, same policy versions). */
  absorb(counts: CoverageCounts): void {
    this.absorbedRules.push(...counts.rules);
    counts.pods.forEach((source, version) => {
      if (!source) return;
      const target = this.grown(this.podCounts, version, source.length);
      for (let i = 0; i < source.length; i++) target[i] = (target[i] as number) + (source[i] as number);
    });
  }

  /** The counter array of `version`, at least `size` long (doubling: rare, never per flow once grown). */
  private grown(arrays: Float64Array[], version: number, size: number): Float64Array {
    const current = arrays[version];
    if (current !== undefined && current.length >= size) return current;
    let length = Math.max(64, current?.length ?? 0);
    while (length < size) length *= 2;
    const next = new Float64Array(length);
    if (current) next.set(current);
    arrays[version] = next;
    return next;
  }

  /** The report: strings are made here, once per rule and pod. */
  report(): CoverageReport {
    // The universe: every version's cluster, in order; a rule only an engine knows is appended.
    const rows = new Map<string, { ref: RuleRef; counts: [number, number, number, number] }>();
    const policyNames: string[] = [];
    const seenPolicies = new Set<string>();
    const podRows = new Map<string, [number, number, number, number]>();
    const addRule = (ref: RuleRef): { ref: RuleRef; counts: [number, number, number, number] } => {
      const key = ruleKey(ref);
      let row = rows.get(key);
      if (row === undefined) {
        row = { ref, counts: [0, 0, 0, 0] };
        rows.set(key, row);
      }
      return row;
    };
    const addPolicy = (name: string): void => {
      if (seenPolicies.has(name)) return;
      seenPolicies.add(name);
      policyNames.push(name);
    };
    for (const cluster of this.clusters) {
      const { rules, policies } = enumerateAllowRules(cluster);
      for (const name of policies) addPolicy(name);
      for (const ref of rules) addRule(ref);
      for (const pod of cluster.pods) {
        if (pod.hostNetwork || isFinished(pod.phase) || pod.ips.length === 0) continue;
        const name = `${pod.namespace}/${pod.name}`;
        if (!podRows.has(name)) podRows.set(name, [0, 0, 0, 0]);
      }
    }
    // This replay's counted rules (by version and id), then other workers' (absorb).
    for (const { ref, counts } of [...this.exportCounts().rules, ...this.absorbedRules]) {
      addPolicy(rulePolicyName(ref));
      const row = addRule(ref);
      for (let c = 0; c < RULE_COLUMNS; c++) row.counts[c] = (row.counts[c] as number) + (counts[c] as number);
    }
    this.podCounts.forEach((counts, version) => {
      const provenance = this.provenances[version] ?? this.provenances[0];
      for (let e = 0; e * POD_COLUMNS < counts.length; e++) {
        const at = e * POD_COLUMNS;
        if (counts[at] === 0 && counts[at + 1] === 0 && counts[at + 2] === 0 && counts[at + 3] === 0) continue;
        const pod = provenance?.pod(e) ?? null;
        if (pod === null) continue;
        const name = `${pod.namespace}/${pod.name}`;
        const row = podRows.get(name) ?? [0, 0, 0, 0];
        for (let c = 0; c < POD_COLUMNS; c++) row[c] = (row[c] as number) + (counts[e * POD_COLUMNS + c] as number);
        podRows.set(name, row);
      }
    });

    const ruleRows: RuleCoverageRow[] = [...rows.values()].map(({ ref, counts }) => ({
      rule: formatRuleRef(ref),
      policy: rulePolicyName(ref),
      direction: ref.direction,
      ruleIndex: ref.ruleIndex,
      peerIndex: ref.peerIndex,
      portIndex: ref.portIndex,
      ...(ref.action !== undefined ? { action: ref.action } : {}),
      flows: counts[0],
      packets: counts[1],
      firstFlows: counts[2],
      firstPackets: counts[3],
    }));
    const byPolicy = new Map<string, RuleCoverageRow[]>();
    for (const row of ruleRows) {
      const own = byPolicy.get(row.policy);
      if (own) own.push(row);
      else byPolicy.set(row.policy, [row]);
    }
    const policies: PolicyCoverageRow[] = policyNames.map((policy) => {
      const own = byPolicy.get(policy) ?? [];
      return {
        policy,
        rules: own.length,
        rulesMatched: own.filter((row) => row.flows > 0).length,
        flows: own.reduce((sum, row) => sum + row.firstFlows, 0),
        packets: own.reduce((sum, row) => sum + row.firstPackets, 0),
      };
    });
    const pods: PodCoverageRow[] = [...podRows.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([pod, c]) => ({ pod, ingressFlows: c[0], egressFlows: c[1], deniedIngressFlows: c[2], deniedEgressFlows: c[3] }));
    return {
      rules: ruleRows,
      policies,
      unmatchedRules: ruleRows.filter((row) => row.flows === 0).map((row) => row.rule),
      unmatchedPolicies: policies.filter((p) => p.rules > 0 && p.rulesMatched === 0).map((p) => p.policy),
      isolationOnlyPolicies: policies.filter((p) => p.rules === 0).map((p) => p.policy),
      pods,
      unreachedPods: pods.filter((p) => p.ingressFlows === 0).map((p) => p.pod),
    };
  }
}

function decidedByAllowRule(reason: DirectionReason): boolean {
  return reason === DirectionReason.RULE || reason === DirectionReason.ADMIN_ALLOW || reason === DirectionReason.BASELINE_ALLOW;
}

/** The coverage as text, after the replay summary. */
export function formatCoverage(c: CoverageReport): string {
  const allowRules = c.rules.filter((r) => r.action === undefined || r.action === 'Allow');
  const matched = allowRules.filter((r) => r.flows > 0).length;
  const tierRules = c.rules.length - allowRules.length;
  const decided = c.rules.filter((r) => r.action !== undefined && r.action !== 'Allow' && r.flows > 0).length;
  const reached = c.pods.length - c.unreachedPods.length;
  const out: string[] = [
    '',
    `rule coverage: ${matched} of ${allowRules.length} allow rules matched allowed traffic; ${tierRules > 0 ? `${decided} of ${tierRules} admin/baseline Deny and Pass rules decided a flow; ` : ''}${c.unmatchedPolicies.length} of ${c.policies.length - c.isolationOnlyPolicies.length} policies with ${tierRules > 0 ? 'rules' : 'allow rules'} matched nothing; ${reached} of ${c.pods.length} pods reached by an allowed flow`,
  ];
  if (c.rules.length > 0) {
    out.push(`  ${'flows'.padStart(7)} ${'packets'.padStart(9)} ${'first'.padStart(7)} ${'packets'.padStart(9)}  rule (first: the rule that decided)`);
    for (const r of c.rules) {
      const unused = r.action === 'Deny' || r.action === 'Pass' ? '  (decided nothing)' : '  (matched nothing)';
      out.push(`  ${String(r.flows).padStart(7)} ${String(r.packets).padStart(9)} ${String(r.firstFlows).padStart(7)} ${String(r.firstPackets).padStart(9)}  ${r.rule}${r.flows === 0 ? unused : ''}`);
    }
  }
  if (c.unmatchedPolicies.length > 0) {
    out.push('', 'policies whose rules matched nothing:');
    for (const p of c.unmatchedPolicies) out.push(`  ${p}`);
  }
  if (c.unreachedPods.length > 0) {
    out.push('', 'pods no allowed flow reached:');
    for (const p of c.pods) {
      if (p.ingressFlows > 0) continue;
      out.push(`  ${p.pod}${p.deniedIngressFlows > 0 ? ` (${p.deniedIngressFlows} denied flow${p.deniedIngressFlows === 1 ? '' : 's'})` : ''}`);
    }
  }
  return `${out.join('\n')}\n`;
}

/** The engine as a lister (both engines implement it; a bug otherwise). */
export function asAllowRuleLister(policy: object): AllowRuleLister {
  if (!('listAllowRules' in policy)) throw new Error('internal: the engine cannot list allow rules for coverage');
  return policy as AllowRuleLister;
}
