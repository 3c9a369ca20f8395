/**
 * The naive evaluator: NetworkPolicy v1 (SEMANTICS.md §0–§1) written as plainly as possible and
 * applied literally to one flow at a time. It is the executable statement of the spec that the
 * compiled dataplane is tested against, so it shares no matching code with `compiler/`: selectors,
 * CIDRs and ports are matched here with nothing cleverer than loops and bigint arithmetic.
 *
 * Two plain indexes (pod by IP, namespace by name) stand in for the API server's lookups; every
 * policy, rule, peer and port is still visited for every flow.
 */
import type { AdminPeer, AdminPolicy, AdminPort, AdminRule, AdminTier, Cidr, Cluster, IpAddress, LabelSelector, Labels, Namespace, NetworkPolicy, Pod, PolicyPeer, PolicyPort, PolicyRule } from '../../compiler/model.js';
import { POLICY_PROTOCOL_NUMBER } from '../../compiler/model.js';
import { DirectionReason, Reason, combineDirections, isAllowReason, type RuleRef } from '../../compiler/verdict.js';
import { UPSTREAM_SEMANTICS, type PolicySemantics } from '../../compiler/policy-semantics.js';

/** One connection attempt: the first packet of a flow. */
export interface Flow {
  readonly src: IpAddress;
  readonly dst: IpAddress;
  /** IANA protocol number (6 TCP, 17 UDP, 132 SCTP, 1 ICMP...). */
  readonly protocol: number;
  /** Destination port; 0 for protocols without ports. */
  readonly dstPort: number;
}

export interface DirectionVerdict {
  readonly direction: 'egress' | 'ingress';
  /** The pod whose policies were consulted: the source for egress, the destination for ingress. */
  readonly pod: Pod | null;
  /** `namespace/name` of every policy that isolates the pod in this direction, sorted. */
  readonly isolatedBy: readonly string[];
  readonly reason: DirectionReason;
  readonly allowed: boolean;
  /**
   * The rule that decided: the first NetworkPolicy rule that allowed the flow (reason RULE), or
   * the admin or baseline rule that allowed or denied it (ADMIN_*, BASELINE_*).
   */
  readonly rule: RuleRef | null;
  /** The Pass rule that handed the decision to the next tier, when one matched (SEMANTICS.md §5.2). */
  readonly passedBy?: RuleRef;
}

export interface FlowVerdict {
  readonly allowed: boolean;
  readonly reason: Reason;
  readonly srcPod: Pod | null;
  readonly dstPod: Pod | null;
  readonly egress: DirectionVerdict;
  readonly ingress: DirectionVerdict;
}

/** What the CLI commands need from an engine: the naive evaluator or the compiled tables. */
export interface FlowEngine {
  evaluate(flow: Flow): FlowVerdict;
  /** The pod endpoint owning an IP, or null (external address, node, hostNetwork pod). */
  podByIp(ip: IpAddress): Pod | null;
}

export function labelsMatch(selector: LabelSelector, labels: Labels): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels)) {
    if (!Object.hasOwn(labels, key) || labels[key] !== value) return false;
  }
  for (const requirement of selector.matchExpressions) {
    const has = Object.hasOwn(labels, requirement.key);
    const value = labels[requirement.key];
    switch (requirement.operator) {
      case 'In':
        if (!has || !requirement.values.includes(value as string)) return false;
        break;
      case 'NotIn':
        // An absent key satisfies NotIn (SEMANTICS.md §1.4).
        if (has && requirement.values.includes(value as string)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}

function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  if (cidr.family !== ip.family) return false;
  const hostBits = BigInt((cidr.family === 4 ? 32 : 128) - cidr.prefixLength);
  return ip.value >> hostBits === cidr.network >> hostBits;
}

/** What kube-router writes into an ipBlock's hash:net ipset for a /0 (policy.go evalIPBlockPeer). */
const KUBE_ROUTER_WHOLE: Readonly<Record<4 | 6, readonly Cidr[]>> = {
  4: [
    { family: 4, network: 0n, prefixLength: 1, text: '0.0.0.0/1' },
    { family: 4, network: 0x80000000n, prefixLength: 1, text: '128.0.0.0/1' },
  ],
  6: [
    { family: 6, network: 0x20000000000000000000000000000000n, prefixLength: 3, text: '2000::/3' },
    { family: 6, network: 0xfd000000000000000000000000000000n, prefixLength: 8, text: 'fd00::/8' },
  ],
};

/**
 * kube-router's ipBlocks (ipBlockMatch=kube-router-ipset): every ipBlock of a rule goes into one
 * hash:net ipset, the cidrs as entries and the excepts flagged nomatch, a /0 written as the
 * entries above, in order (policy.go buildNetworkPoliciesInfo, evalIPBlockPeer). The kernel
 * answers with the longest entry holding the address; of equal ones (the same cidr written
 * twice) the last written is the one the set keeps.
 */
function kubeRouterIpsetContains(blocks: readonly { readonly cidr: Cidr; readonly except: readonly Cidr[] }[], ip: IpAddress): boolean {
  const entries = (cidr: Cidr): readonly Cidr[] => (cidr.prefixLength === 0 ? KUBE_ROUTER_WHOLE[cidr.family] : [cidr]);
  let longest = -1;
  let nomatch = true;
  for (const block of blocks) {
    for (const cidr of entries(block.cidr)) {
      if (cidrContains(cidr, ip) && cidr.prefixLength >= longest) {
        longest = cidr.prefixLength;
        nomatch = false;
      }
    }
    for (const except of block.except) {
      for (const cidr of entries(except)) {
        if (cidrContains(cidr, ip) && cidr.prefixLength >= longest) {
          longest = cidr.prefixLength;
          nomatch = true;
        }
      }
    }
  }
  return longest >= 0 && !nomatch;
}

function isFinished(pod: Pod): boolean {
  return pod.phase === 'Succeeded' || pod.phase === 'Failed';
}

export class NaiveEvaluator implements FlowEngine {
  private readonly podsByIp = new Map<string, Pod>();
  private readonly namespaces = new Map<string, Namespace>();
  /** Node addresses: every pod's hostIP, and the IPs of hostNetwork pods (which are the node's). */
  private readonly nodeIps = new Set<string>();

  constructor(
    private readonly cluster: Cluster,
    private readonly semantics: PolicySemantics = UPSTREAM_SEMANTICS,
  ) {
    for (const ns of cluster.namespaces) this.namespaces.set(ns.name, ns);
    for (const pod of cluster.pods) {
      if (pod.hostIP) this.nodeIps.add(`${pod.hostIP.family}/${pod.hostIP.value}`);
      if (pod.hostNetwork) for (const ip of pod.ips) this.nodeIps.add(`${ip.family}/${ip.value}`);
      // Pods without an IP, finished pods and hostNetwork pods are not pod endpoints: they match
      // no pod peer and are selected by no policy (SEMANTICS.md §1.3 hostNetwork option (b), §4 #15).
      if (pod.hostNetwork || isFinished(pod)) continue;
      for (const ip of pod.ips) this.podsByIp.set(`${ip.family}/${ip.value}`, pod);
    }
  }

  podByIp(ip: IpAddress): Pod | null {
    return this.podsByIp.get(`${ip.family}/${ip.value}`) ?? null;
  }

  evaluate(flow: Flow): FlowVerdict {
    const srcPod = this.podByIp(flow.src);
    const dstPod = this.podByIp(flow.dst);
    let egress: DirectionVerdict;
    let ingress: DirectionVerdict;
    if (!this.semantics.enforce) {
      // flannel: no NetworkPolicy is enforced at all.
      egress = { direction: 'egress', pod: srcPod, isolatedBy: [], reason: DirectionReason.NOT_ENFORCED, allowed: true, rule: null };
      ingress = { direction: 'ingress', pod: dstPod, isolatedBy: [], reason: DirectionReason.NOT_ENFORCED, allowed: true, rule: null };
    } else if (srcPod !== null && srcPod === dstPod) {
      // "A pod cannot block access to itself": the traffic never leaves its network namespace.
      egress = { direction: 'egress', pod: srcPod, isolatedBy: [], reason: DirectionReason.SELF, allowed: true, rule: null };
      ingress = { direction: 'ingress', pod: dstPod, isolatedBy: [], reason: DirectionReason.SELF, allowed: true, rule: null };
    } else {
      egress = this.evaluateDirection('egress', srcPod, flow, dstPod);
      ingress = this.evaluateDirection('ingress', dstPod, flow, dstPod);
    }
    const reason = combineDirections(egress.reason, ingress.reason);
    return { allowed: isAllowReason(reason), reason, srcPod, dstPod, egress, ingress };
  }

  /**
   * Every allow rule that would let `flow` through, for rule coverage: in a direction a
   * NetworkPolicy rule decided, every (rule, peer, port) of the isolating policies that matches,
   * not only the first; in a direction an admin or baseline Allow decided, that rule (in a tier
   * the first match decides and nothing after it is consulted). Directions decided otherwise
   * list nothing. Egress rules come first.
   */
  allowRules(flow: Flow): { readonly verdict: FlowVerdict; readonly rules: readonly RuleRef[] } {
    const verdict = this.evaluate(flow);
    const rules: RuleRef[] = [];
    for (const side of [verdict.egress, verdict.ingress]) {
      if (side.reason === DirectionReason.ADMIN_ALLOW || side.reason === DirectionReason.BASELINE_ALLOW) {
        if (side.rule !== null) rules.push(side.rule);
      } else if (side.reason === DirectionReason.RULE && side.pod !== null) {
        rules.push(...this.matchingRules(side.direction, side.pod, flow, verdict.dstPod));
      }
    }
    // Under bothTypesRules=both-directions one rule can allow both directions: list it once.
    const seen = new Set<string>();
    const unique = rules.filter((rule) => {
      const key = JSON.stringify(rule);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    return { verdict, rules: unique };
  }

  /**
   * Every (rule, peer, port) of the policies isolating `pod` in `direction` that matches the flow;
   * under bothTypesRules=both-directions also those of the other direction's rules that match
   * (the order of `evaluateDirection`).
   */
  private matchingRules(direction: 'egress' | 'ingress', pod: Pod, flow: Flow, dstPod: Pod | null): RuleRef[] {
    const found: RuleRef[] = [];
    const policyType = direction === 'ingress' ? 'Ingress' : 'Egress';
    const isolating = this.cluster.policies.filter((policy) => policy.namespace === pod.namespace && policy.policyTypes.includes(policyType) && labelsMatch(policy.podSelector, pod.labels));
    for (const { policy, ruleDirection } of this.consultedRuleLists(direction, isolating, flow)) {
      const rules = ruleDirection === 'ingress' ? policy.ingress : policy.egress;
      for (let ruleIndex = 0; ruleIndex < rules.length; ruleIndex++) {
        for (const pair of this.matchingPairs(policy, ruleDirection, rules[ruleIndex] as PolicyRule, flow, dstPod, false)) {
          found.push({ policyNamespace: policy.namespace, policyName: policy.name, direction: ruleDirection, ruleIndex, ...pair });
        }
      }
    }
    return found;
  }

  /**
   * The rule lists consulted for `pod` in `direction`, in order: each isolating policy's own list;
   * then, under bothTypesRules=both-directions (kube-router jumps to a policy with both types
   * without an address match: pod.go setupPodNetpolRules), the other list of each isolating
   * policy with both types whose pods include the flow's other end, since that list matches on
   * its own ends (ingress rules: destination among the policy's pods; egress rules: source).
   */
  private consultedRuleLists(direction: 'egress' | 'ingress', isolating: readonly NetworkPolicy[], flow: Flow): { policy: NetworkPolicy; ruleDirection: 'egress' | 'ingress' }[] {
    const lists = isolating.map((policy) => ({ policy, ruleDirection: direction }));
    if (this.semantics.bothTypesRules !== 'both-directions') return lists;
    const other = direction === 'ingress' ? 'egress' : 'ingress';
    const otherEnd = this.podByIp(direction === 'ingress' ? flow.src : flow.dst);
    for (const policy of isolating) {
      if (!policy.policyTypes.includes('Ingress') || !policy.policyTypes.includes('Egress')) continue;
      if (otherEnd === null || otherEnd.namespace !== policy.namespace || !labelsMatch(policy.podSelector, otherEnd.labels)) continue;
      lists.push({ policy, ruleDirection: other });
    }
    return lists;
  }

  /**
   * The (peer, port) index pairs of one rule, read in its own direction, that match the flow, in
   * order; with `firstOnly` at most one.
   */
  private matchingPairs(policy: NetworkPolicy, direction: 'egress' | 'ingress', rule: PolicyRule, flow: Flow, dstPod: Pod | null, firstOnly: boolean): { peerIndex: number | null; portIndex: number | null }[] {
    const pairs: { peerIndex: number | null; portIndex: number | null }[] = [];
    if (direction === 'egress' && this.hasConflictingNamedPort(rule)) return pairs;
    const remote = direction === 'ingress' ? flow.src : flow.dst;
    const peers: (number | null)[] = rule.peers.length === 0 ? [null] : rule.peers.map((_, i) => i);
    const ports: (number | null)[] = rule.ports.length === 0 ? [null] : rule.ports.map((_, i) => i);
    for (const peerIndex of peers) {
      const peer = peerIndex === null ? null : (rule.peers[peerIndex] as PolicyPeer);
      if (peer !== null && !this.peerMatches(peer, remote, policy, rule)) continue;
      // kube-router writes a pod-peer rule whose named ports resolve on none of its pods with no
      // port match at all (unresolvedNamedPorts=all-ports); the first port stands for it.
      if (peer !== null && peer.ipBlock === null && this.namedPortsUnresolved(policy, direction, rule)) {
        pairs.push({ peerIndex, portIndex: 0 });
        if (firstOnly) return pairs;
        continue;
      }
      for (const portIndex of ports) {
        if (portIndex !== null && !this.portMatchesIn(rule.ports[portIndex] as PolicyPort, flow, dstPod, direction, peer, policy)) continue;
        pairs.push({ peerIndex, portIndex });
        if (firstOnly) return pairs;
      }
    }
    return pairs;
  }

  private evaluateDirection(direction: 'egress' | 'ingress', pod: Pod | null, flow: Flow, dstPod: Pod | null): DirectionVerdict {
    if (pod === null) return { direction, pod, isolatedBy: [], reason: DirectionReason.NOT_A_POD, allowed: true, rule: null };
    const policyType = direction === 'ingress' ? 'Ingress' : 'Egress';
    const isolating = this.cluster.policies.filter(
      (policy) => policy.namespace === pod.namespace && policy.policyTypes.includes(policyType) && labelsMatch(policy.podSelector, pod.labels),
    );
    const isolatedBy = isolating.map((policy) => `${policy.namespace}/${policy.name}`);
    // Traffic from the pod's own node is always allowed in (types.go ingress comment); some CNIs
    // also let a pod reach its own node whatever its egress policy says.
    const nodeEnd = direction === 'ingress' ? flow.src : flow.dst;
    const exempt = direction === 'ingress' ? this.semantics.localNodeToPodAllowed : !this.semantics.podToLocalNodeEgressPoliced;
    if (exempt && pod.hostIP !== null && pod.hostIP.family === nodeEnd.family && pod.hostIP.value === nodeEnd.value) {
      return { direction, pod, isolatedBy, reason: DirectionReason.LOCAL_NODE, allowed: true, rule: null };
    }
    // The tiers, per direction (SEMANTICS.md §5.2): Admin by priority, then NetworkPolicy, then
    // Baseline, then the default allow. Allow and Deny are final; Pass goes to the next tier.
    let passedBy: RuleRef | undefined;
    const passed = (): { passedBy?: RuleRef } => (passedBy ? { passedBy } : {});
    const admin = this.tierDecision('Admin', direction, pod, flow, dstPod);
    if (admin !== null) {
      if (admin.action === 'Allow') return { direction, pod, isolatedBy, reason: DirectionReason.ADMIN_ALLOW, allowed: true, rule: admin };
      if (admin.action === 'Deny') return { direction, pod, isolatedBy, reason: DirectionReason.ADMIN_DENY, allowed: false, rule: admin };
      passedBy = admin;
    }
    if (isolating.length === 0) {
      const baseline = this.tierDecision('Baseline', direction, pod, flow, dstPod);
      if (baseline !== null && baseline.action === 'Allow') return { direction, pod, isolatedBy, reason: DirectionReason.BASELINE_ALLOW, allowed: true, rule: baseline, ...passed() };
      if (baseline !== null && baseline.action === 'Deny') return { direction, pod, isolatedBy, reason: DirectionReason.BASELINE_DENY, allowed: false, rule: baseline, ...passed() };
      // A Baseline-tier Pass (ClusterNetworkPolicy) leaves the default allow.
      if (baseline !== null) passedBy = baseline;
      return { direction, pod, isolatedBy, reason: DirectionReason.NOT_ISOLATED, allowed: true, rule: null, ...passed() };
    }
    for (const { policy, ruleDirection } of this.consultedRuleLists(direction, isolating, flow)) {
      const rules = ruleDirection === 'ingress' ? policy.ingress : policy.egress;
      for (let ruleIndex = 0; ruleIndex < rules.length; ruleIndex++) {
        // Named ports resolve on the destination pod in both directions (SEMANTICS.md §1.3).
        const [pair] = this.matchingPairs(policy, ruleDirection, rules[ruleIndex] as PolicyRule, flow, dstPod, true);
        if (pair === undefined) continue;
        const ref: RuleRef = { policyNamespace: policy.namespace, policyName: policy.name, direction: ruleDirection, ruleIndex, ...pair };
        return { direction, pod, isolatedBy, reason: DirectionReason.RULE, allowed: true, rule: ref, ...passed() };
      }
    }
    return { direction, pod, isolatedBy, reason: DirectionReason.NO_RULE_MATCHED, allowed: false, rule: null, ...passed() };
  }

  /**
   * The first rule of a tier's policies that selects `pod` and matches the flow, in evaluation
   * order (the loader sorts adminPolicies by tier, priority, kind, name), or null.
   */
  private tierDecision(tier: AdminTier, direction: 'egress' | 'ingress', pod: Pod, flow: Flow, dstPod: Pod | null): RuleRef | null {
    const remote = direction === 'ingress' ? flow.src : flow.dst;
    for (const policy of this.cluster.adminPolicies ?? []) {
      if (policy.tier !== tier) continue;
      if (!this.isAdminSubject(policy, pod)) continue;
      const rules = direction === 'ingress' ? policy.ingress : policy.egress;
      for (let ruleIndex = 0; ruleIndex < rules.length; ruleIndex++) {
        const rule = rules[ruleIndex] as AdminRule;
        const ref = (peerIndex: number, portIndex: number | null, action: AdminRule['action']): RuleRef => ({
          policyNamespace: '',
          policyName: policy.name,
          direction,
          ruleIndex,
          peerIndex,
          portIndex,
          policyKind: policy.kind,
          tier: policy.tier,
          priority: policy.priority,
          ruleName: rule.name,
          action,
        });
        // A peer this version does not know fails closed (SEMANTICS.md §5.1): an Allow rule then
        // matches nothing through it, a Deny or Pass rule becomes deny-all.
        const unknown = rule.peers.findIndex((peer) => peer.kind === 'unknown');
        if (unknown >= 0 && rule.action !== 'Allow') return ref(unknown, null, 'Deny');
        let peerIndex = -1;
        for (let i = 0; i < rule.peers.length; i++) {
          if (this.adminPeerMatches(rule.peers[i] as AdminPeer, remote)) {
            peerIndex = i;
            break;
          }
        }
        if (peerIndex < 0) continue;
        if (rule.ports === null) return ref(peerIndex, null, rule.action);
        for (let portIndex = 0; portIndex < rule.ports.length; portIndex++) {
          if (this.adminPortMatches(rule.ports[portIndex] as AdminPort, flow, dstPod)) return ref(peerIndex, portIndex, rule.action);
        }
      }
    }
    return null;
  }

  /** hostNetwork pods are never subjects; here they are not pods at all. */
  private isAdminSubject(policy: AdminPolicy, pod: Pod): boolean {
    const namespace = this.namespaces.get(pod.namespace);
    if (namespace === undefined || !labelsMatch(policy.subject.namespaceSelector, namespace.labels)) return false;
    return policy.subject.podSelector === null || labelsMatch(policy.subject.podSelector, pod.labels);
  }

  private adminPeerMatches(peer: AdminPeer, address: IpAddress): boolean {
    switch (peer.kind) {
      case 'pods': {
        const pod = this.podByIp(address);
        if (pod === null) return false;
        const namespace = this.namespaces.get(pod.namespace);
        if (namespace === undefined || !labelsMatch(peer.namespaceSelector, namespace.labels)) return false;
        return peer.podSelector === null || labelsMatch(peer.podSelector, pod.labels);
      }
      case 'nodes':
        return (this.cluster.nodes ?? []).some(
          (node) => labelsMatch(peer.nodeSelector, node.labels) && node.addresses.some((a) => a.family === address.family && a.value === address.value),
        );
      case 'networks':
        // Networks match pod and node addresses too: "Deny 0.0.0.0/0 denies all pod-to-pod traffic".
        return peer.cidrs.some((cidr) => cidrContains(cidr, address));
      case 'domainNames':
        // Not emulated (no DNS answers are used): matches nothing; such rules are Allow-only.
        return false;
      case 'unknown':
        return false;
    }
  }

  /** Ports match the destination port; a named port resolves on the destination pod. */
  private adminPortMatches(port: AdminPort, flow: Flow, dstPod: Pod | null): boolean {
    switch (port.kind) {
      case 'number':
        return POLICY_PROTOCOL_NUMBER[port.protocol] === flow.protocol && flow.dstPort === port.port;
      case 'range':
        return POLICY_PROTOCOL_NUMBER[port.protocol] === flow.protocol && flow.dstPort >= port.start && flow.dstPort <= port.end;
      case 'named':
        return dstPod !== null && dstPod.containerPorts.some((c) => c.name === port.name && POLICY_PROTOCOL_NUMBER[c.protocol] === flow.protocol && c.containerPort === flow.dstPort);
    }
  }

  /** `rule`: the peer's rule, whose ipBlocks kube-router matches as one set (null: the peer alone). */
  private peerMatches(peer: PolicyPeer, address: IpAddress, policy: NetworkPolicy, rule: PolicyRule | null = null): boolean {
    if (peer.ipBlock !== null) {
      // Profiles differ on whether ipBlock can name pod IPs (Cilium: no) and node IPs.
      if (!this.semantics.ipBlockMatchesPodIps && this.podByIp(address) !== null) return false;
      if (!this.semantics.ipBlockMatchesNodeIps && this.nodeIps.has(`${address.family}/${address.value}`)) return false;
      if (this.semantics.ipBlockMatch === 'kube-router-ipset') return kubeRouterIpsetContains(rule === null ? [peer.ipBlock] : rule.peers.flatMap((p) => (p.ipBlock ? [p.ipBlock] : [])), address);
      return cidrContains(peer.ipBlock.cidr, address) && !peer.ipBlock.except.some((except) => cidrContains(except, address));
    }
    const pod = this.podByIp(address);
    if (pod === null) return false;
    if (peer.podSelector !== null && !labelsMatch(peer.podSelector, pod.labels)) return false;
    if (peer.namespaceSelector === null) return pod.namespace === policy.namespace;
    const namespace = this.namespaces.get(pod.namespace);
    return namespace !== undefined && labelsMatch(peer.namespaceSelector, namespace.labels);
  }

  /**
   * A port of a rule read in `direction`, whose peer (null: no `from`/`to`) matched. Under
   * egressNamedPorts=kube-router an egress named port resolves as kube-router resolves it
   * (policy.go buildNetworkPoliciesInfo, processEgressRules): without `to`, on every pod of the
   * policy's namespace, any destination then matching on those numbers; with an ipBlock peer,
   * never (only numeric ports are written for ipBlocks).
   */
  private portMatchesIn(port: PolicyPort, flow: Flow, dstPod: Pod | null, direction: 'ingress' | 'egress', peer: PolicyPeer | null, policy: NetworkPolicy): boolean {
    if (typeof port.port !== 'string' || direction !== 'egress' || this.semantics.egressNamedPorts !== 'kube-router') return this.portMatches(port, flow, dstPod);
    if (peer !== null && peer.ipBlock !== null) return false;
    if (peer !== null) return this.portMatches(port, flow, dstPod);
    if (port.protocol === 'SCTP' && !this.semantics.sctpSupported) return false;
    if (POLICY_PROTOCOL_NUMBER[port.protocol] !== flow.protocol) return false;
    const name = port.port;
    return this.endpointPods().some((pod) => pod.namespace === policy.namespace && pod.containerPorts.some((c) => c.name === name && c.protocol === port.protocol && c.containerPort === flow.dstPort));
  }

  /**
   * unresolvedNamedPorts=all-ports: the rule's ports are all named and none of them is declared
   * by a pod the rule could name them on: for ingress the policy's pods, for egress the pods of
   * its pod peers (policy.go buildNetworkPoliciesInfo, grabNamedPortFromPod). kube-router then
   * writes its pod peers with "no ports and no named ports" (processIngressRules,
   * processEgressRules): every port and protocol.
   */
  private namedPortsUnresolved(policy: NetworkPolicy, direction: 'ingress' | 'egress', rule: PolicyRule): boolean {
    if (this.semantics.unresolvedNamedPorts !== 'all-ports') return false;
    if (rule.ports.length === 0 || rule.ports.some((port) => typeof port.port !== 'string')) return false;
    const candidates = this.endpointPods().filter((pod) =>
      direction === 'ingress'
        ? pod.namespace === policy.namespace && labelsMatch(policy.podSelector, pod.labels)
        : rule.peers.some((peer) => peer.ipBlock === null && this.peerMatches(peer, pod.ips[0] as IpAddress, policy)),
    );
    return !rule.ports.some((port) => candidates.some((pod) => pod.containerPorts.some((c) => c.name === port.port && c.protocol === port.protocol)));
  }

  /** The pod endpoints: pods with an IP, not hostNetwork, not finished. */
  private endpointPods(): Pod[] {
    return [...new Set(this.podsByIp.values())];
  }

  private portMatches(port: PolicyPort, flow: Flow, dstPod: Pod | null): boolean {
    // A CNI without SCTP support fails closed: its SCTP entries match nothing (SEMANTICS.md §1.3).
    if (port.protocol === 'SCTP' && !this.semantics.sctpSupported) return false;
    if (POLICY_PROTOCOL_NUMBER[port.protocol] !== flow.protocol) return false;
    if (port.port === null) return true;
    if (typeof port.port === 'number') {
      // Without endPort support "the policy will be applied only for the single port field".
      const end = this.semantics.endPortSupported ? (port.endPort ?? port.port) : port.port;
      return flow.dstPort >= port.port && flow.dstPort <= end;
    }
    const name = port.port;
    return dstPod !== null && dstPod.containerPorts.some((c) => c.name === name && c.protocol === port.protocol && c.containerPort === flow.dstPort);
  }

  /**
   * Cilium's "duplicate named ports": when a port name of an egress rule stands for different
   * numbers on different pods, the whole rule is skipped (SEMANTICS.md §1.3, §4 #12; inferred).
   */
  private hasConflictingNamedPort(rule: PolicyRule): boolean {
    if (this.semantics.namedPortConflict !== 'skip-rule') return false;
    return rule.ports.some((port) => typeof port.port === 'string' && this.namedPortNumbers(port.port, port.protocol).size > 1);
  }

  /** Every number a port name (with a protocol) stands for on some pod endpoint of the cluster. */
  private namedPortNumbers(name: string, protocol: string): Set<number> {
    const numbers = new Set<number>();
    for (const pod of this.cluster.pods) {
      if (pod.hostNetwork || isFinished(pod) || pod.ips.length === 0) continue;
      for (const c of pod.containerPorts) if (c.name === name && c.protocol === protocol) numbers.add(c.containerPort);
    }
    return numbers;
  }
}
