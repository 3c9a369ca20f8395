/**
 * Can an advised rule allow a connection under the chosen CNI profile (`advise --cni`)? The
 * profile's switches decide what a NetworkPolicy peer or port can match (compiler/cni-profiles.ts,
 * SEMANTICS.md §4), so a rule that allows a connection under one CNI can match nothing under
 * another. Per end of a connection that worked, one of:
 * - `rule`: write the rule, with the port as it must be written;
 * - `exempt`: the profile lets it through without any rule (the spec's exemption for traffic
 *   from the pod's own node; a pod reaching its own node where egress to it is not policed);
 * - `beyond`: no NetworkPolicy can allow it under this profile (an ipBlock that may not match
 *   node addresses, SCTP ports that match nothing); the note says what the CNI needs instead.
 * The proof (prove-advice.ts) replays the advice under the same profile: `rule` and `exempt`
 * connections must come out allowed there, `beyond` ones are listed apart.
 */
import { conflictingPortNames } from '../../compiler/compile.js';
import type { CniProfileName } from '../../compiler/cni-profiles.js';
import type { Pod } from '../../compiler/model.js';
import type { PolicySemantics } from '../../compiler/policy-semantics.js';
import { formatIp } from '../load/parse-ip.js';
import type { Connection } from './observe-connections.js';

export type Reach =
  | { readonly kind: 'rule'; readonly port: string }
  | { readonly kind: 'exempt'; readonly note: string }
  | { readonly kind: 'beyond'; readonly note: string };

export interface ReachProfile {
  readonly name: CniProfileName;
  readonly semantics: PolicySemantics;
}

export interface ProfileReach {
  /**
   * The end `direction` of `c` (egress: the source pod's policy, ingress: the destination's);
   * `peerIsWorkload` when the rule's peer is a selector, else an ipBlock of the other address;
   * `port` as advise-policies.ts writes it (`TCP/http`, `UDP/53`, `*` for portless protocols).
   */
  judge(c: Connection, direction: 'ingress' | 'egress', peerIsWorkload: boolean, port: string): Reach;
}

function isEndpoint(pod: Pod): boolean {
  return !pod.hostNetwork && pod.ips.length > 0 && pod.phase !== 'Succeeded' && pod.phase !== 'Failed';
}

/** Node addresses as the engines know them (every pod's hostIP, hostNetwork pods' IPs), with their node. */
function nodeAddresses(pods: readonly Pod[]): Map<string, string | null> {
  const nodes = new Map<string, string | null>();
  for (const pod of pods) {
    for (const ip of [...(pod.hostIP ? [pod.hostIP] : []), ...(pod.hostNetwork ? pod.ips : [])]) {
      const text = formatIp(ip.family, ip.value);
      if (!nodes.has(text) || nodes.get(text) === null) nodes.set(text, pod.nodeName);
    }
  }
  return nodes;
}

function isHostOf(pod: Pod | null, address: string): boolean {
  return pod?.hostIP !== null && pod?.hostIP !== undefined && formatIp(pod.hostIP.family, pod.hostIP.value) === address;
}

export function profileReach(pods: readonly Pod[], profile: ReachProfile): ProfileReach {
  const { name, semantics } = profile;
  const nodes = semantics.ipBlockMatchesNodeIps ? new Map<string, string | null>() : nodeAddresses(pods);
  // Cilium skips an egress rule whose port name stands for several numbers (SEMANTICS.md §1.3).
  const conflicts = semantics.namedPortConflict === 'skip-rule' ? conflictingPortNames(pods.filter(isEndpoint)) : new Set<string>();
  const cilium = name === 'cilium';

  const nodePeer = (c: Connection, direction: 'ingress' | 'egress'): Reach | null => {
    const address = direction === 'ingress' ? c.src : c.dst;
    const pod = direction === 'ingress' ? c.dstPod : c.srcPod;
    if (!nodes.has(address)) return null;
    if (direction === 'ingress' && semantics.localNodeToPodAllowed && isHostOf(pod, address)) {
      return { kind: 'exempt', note: `traffic from the pod's own node passes under ${name} (localNodeToPodAllowed=true)` };
    }
    if (direction === 'egress' && !semantics.podToLocalNodeEgressPoliced && isHostOf(pod, address)) {
      return { kind: 'exempt', note: `a pod reaches its own node unpoliced under ${name} (podToLocalNodeEgressPoliced=false)` };
    }
    const node = nodes.get(address) ?? null;
    const own = isHostOf(pod, address) || (node !== null && node === pod?.nodeName);
    // Cilium gives node addresses the reserved identities host (the local node) and remote-node
    // (cilium/cilium:pkg/identity/numericidentity.go), which only entity selectors name.
    const needs = cilium
      ? `allow it with a CiliumNetworkPolicy ${direction === 'ingress' ? 'fromEntities' : 'toEntities'}: [${own ? 'host' : 'remote-node'}] (or set policy-cidr-match-mode=nodes, Cilium 1.15+, and advise with --cni-opt ipBlockMatchesNodeIps=true)`
      : 'no NetworkPolicy rule can allow it; allow it with the CNI\'s own policy';
    return { kind: 'beyond', note: `an ipBlock does not match node addresses under ${name} (ipBlockMatchesNodeIps=false): ${needs}` };
  };

  return {
    judge(c, direction, peerIsWorkload, port) {
      const peer = peerIsWorkload ? null : nodePeer(c, direction);
      if (peer !== null) return peer;
      if (c.protocol === 132 && !semantics.sctpSupported) {
        const needs = cilium ? `Cilium polices SCTP only with sctp.enabled=true; then a rule with port ${port} allows it` : 'no NetworkPolicy rule can allow it';
        return { kind: 'beyond', note: `SCTP ports match nothing under ${name} (sctpSupported=false): ${needs}` };
      }
      const [protocol, portName] = port.split('/') as [string, string | undefined];
      if (direction === 'egress' && portName !== undefined && conflicts.has(`${portName}/${protocol}`)) return { kind: 'rule', port: `${protocol}/${c.dport}` };
      return { kind: 'rule', port };
    },
  };
}
