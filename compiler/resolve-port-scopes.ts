/**
 * Named ports that kube-router resolves on a set of pods when it writes a policy, not on the
 * destination pod when a packet comes (cloudnativelabs/kube-router@7c2c2779
 * pkg/controllers/netpol/policy.go buildNetworkPoliciesInfo, grabNamedPortFromPod,
 * processNetworkPolicyPorts). Two profile switches read that resolution, so lowering a policy
 * under them depends on the pods, which this phase computes before lowering:
 *
 * - unresolvedNamedPorts=all-ports: a rule whose ports are all named and resolve on none of the
 *   pods it could name them on (ingress: the policy's pods; egress: its peer pods) is written
 *   with "no ports and no named ports" (processIngressRules, processEgressRules): its pod peers
 *   match every port.
 * - egressNamedPorts=kube-router: an egress rule without `to` resolves its named ports on every
 *   pod of the policy's namespace, and the numbers found match any destination.
 *
 * Pods are the compiler's endpoints (isNetPolActionable: an IP, not hostNetwork, not finished).
 */
import type { Bitset } from './bitset.js';
import type { NetworkPolicy, Pod, PolicyPeer, PolicyRule } from './model.js';
import type { PolicySemantics } from './policy-semantics.js';

export interface PortScope {
  /** `ingress:<rule>` / `egress:<rule>` of rules whose pod peers match every port. */
  readonly unresolvedRules: ReadonlySet<string>;
  /** `<rule>:<port>` of an egress rule without `to` → the numbers its named port has in the namespace, ascending. */
  readonly namespaceNumbers: ReadonlyMap<string, readonly number[]>;
  /** Equal keys, equal scope: what the incremental compiler compares to keep a lowered policy. */
  readonly key: string;
}

const allNamed = (rule: PolicyRule): boolean => rule.ports.length > 0 && rule.ports.every((port) => typeof port.port === 'string');
const hasPodPeer = (rule: PolicyRule): boolean => rule.peers.some((peer) => peer.ipBlock === null);

/** Whether lowering `policy` under `semantics` needs a PortScope (cheap: the policy alone). */
export function needsPortScope(policy: NetworkPolicy, semantics: PolicySemantics): boolean {
  const unresolved = semantics.unresolvedNamedPorts === 'all-ports';
  const namespaceWide = semantics.egressNamedPorts === 'kube-router';
  if (!unresolved && !namespaceWide) return false;
  const ingress = policy.policyTypes.includes('Ingress') ? policy.ingress : [];
  const egress = policy.policyTypes.includes('Egress') ? policy.egress : [];
  if (unresolved && [...ingress, ...egress].some((rule) => allNamed(rule) && hasPodPeer(rule))) return true;
  return namespaceWide && egress.some((rule) => rule.peers.length === 0 && rule.ports.some((port) => typeof port.port === 'string'));
}

/** What resolving needs: the endpoints, their identities, and selector membership over identities. */
export interface PortScopeInput {
  readonly pods: readonly Pod[];
  readonly identityOf: Int32Array;
  /** Identities the policy's podSelector selects. */
  subjects(policy: NetworkPolicy): Bitset;
  /** Identities a pod peer of the policy selects. */
  peerMembers(peer: PolicyPeer, policy: NetworkPolicy): Bitset;
}

function declares(pods: readonly Pod[], name: string, protocol: string): boolean {
  return pods.some((pod) => pod.containerPorts.some((c) => c.name === name && c.protocol === protocol));
}

export function resolvePortScope(policy: NetworkPolicy, semantics: PolicySemantics, input: PortScopeInput): PortScope {
  const podsIn = (identities: Bitset): Pod[] => input.pods.filter((_, e) => identities.has(input.identityOf[e] as number));
  const unresolvedRules = new Set<string>();
  const namespaceNumbers = new Map<string, number[]>();
  if (semantics.unresolvedNamedPorts === 'all-ports') {
    for (const direction of ['ingress', 'egress'] as const) {
      if (!policy.policyTypes.includes(direction === 'ingress' ? 'Ingress' : 'Egress')) continue;
      const rules = direction === 'ingress' ? policy.ingress : policy.egress;
      let targets: Pod[] | null = null;
      rules.forEach((rule, r) => {
        if (!allNamed(rule) || !hasPodPeer(rule)) return;
        let candidates: Pod[];
        if (direction === 'ingress') candidates = targets ??= podsIn(input.subjects(policy));
        else {
          const seen = new Set<Pod>();
          for (const peer of rule.peers) if (peer.ipBlock === null) for (const pod of podsIn(input.peerMembers(peer, policy))) seen.add(pod);
          candidates = [...seen];
        }
        if (!rule.ports.some((port) => declares(candidates, port.port as string, port.protocol))) unresolvedRules.add(`${direction}:${r}`);
      });
    }
  }
  if (semantics.egressNamedPorts === 'kube-router' && policy.policyTypes.includes('Egress')) {
    const namespacePods = input.pods.filter((pod) => pod.namespace === policy.namespace);
    policy.egress.forEach((rule, r) => {
      if (rule.peers.length > 0) return;
      rule.ports.forEach((port, p) => {
        if (typeof port.port !== 'string') return;
        const numbers = new Set<number>();
        for (const pod of namespacePods) for (const c of pod.containerPorts) if (c.name === port.port && c.protocol === port.protocol) numbers.add(c.containerPort);
        namespaceNumbers.set(`${r}:${p}`, [...numbers].sort((a, b) => a - b));
      });
    });
  }
  const key = JSON.stringify([[...unresolvedRules], [...namespaceNumbers]]);
  return { unresolvedRules, namespaceNumbers, key };
}
