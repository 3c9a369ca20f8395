/**
 * Phase 3b: every rule of every policy, expanded into one entry per (peer, port) pair with a
 * rule id that grows in (policy, rule, peer, port) order — the order in which the spec reports
 * "the first rule that allowed" (compiler/verdict.ts). Peers are resolved to selector ids or CIDR
 * set ids; ports stay symbolic until a table knows its destination pods.
 */
import type { CidrClasses } from './cidr-classes.js';
import type { NetworkPolicy, PolicyPort } from './model.js';
import { POLICY_PROTOCOL_NUMBER } from './model.js';
import type { SelectorCache } from './resolve-selectors.js';
import { PEER_KIND, PROTO_SLOT, protocolSlot, type RuleMatch } from './tables.js';
import type { PolicySemantics } from './policy-semantics.js';
import type { PortScope } from './resolve-port-scopes.js';
import type { RuleRef } from './verdict.js';

export type PortMatch =
  | { readonly kind: 'any' }
  | { readonly kind: 'range'; readonly slot: number; readonly low: number; readonly high: number }
  | { readonly kind: 'named'; readonly slot: number; readonly protocol: number; readonly name: string };

export interface RuleEntry {
  readonly rule: number;
  readonly peerKind: number;
  readonly peerArg: number;
  readonly port: PortMatch;
}

export interface LoweredPolicy {
  readonly policy: NetworkPolicy;
  readonly ingress: readonly RuleEntry[];
  readonly egress: readonly RuleEntry[];
  readonly hasNamedPorts: { readonly ingress: boolean; readonly egress: boolean };
  /**
   * bothTypesRules=both-directions, a policy with both types: the selector id of its own pods,
   * which the other end of a packet must be among for a rule of the other list to apply (see
   * build-tables.ts `cross`); -1 otherwise.
   */
  readonly podsSelector: number;
}

function lowerPort(port: PolicyPort | null, semantics: PolicySemantics): PortMatch {
  if (port === null) return { kind: 'any' };
  const protocol = POLICY_PROTOCOL_NUMBER[port.protocol];
  const slot = protocolSlot(protocol);
  if (port.port === null) return { kind: 'range', slot, low: 0, high: 65535 };
  if (typeof port.port === 'string') return { kind: 'named', slot, protocol, name: port.port };
  // Without endPort support only `port` applies (SEMANTICS.md §1.3).
  return { kind: 'range', slot, low: port.port, high: semantics.endPortSupported ? (port.endPort ?? port.port) : port.port };
}

export function lowerPolicies(
  policies: readonly NetworkPolicy[],
  selectors: SelectorCache,
  cidrs: CidrClasses,
  semantics: PolicySemantics,
  conflictingPortNames: ReadonlySet<string>,
  /** Named ports resolved on pods, for policies that need it (compiler/resolve-port-scopes.ts). */
  scopeOf: (policy: NetworkPolicy) => PortScope | null = () => null,
): { lowered: LoweredPolicy[]; rules: RuleRef[]; ruleMatches: RuleMatch[] } {
  const rules: RuleRef[] = [];
  const ruleMatches: RuleMatch[] = [];
  const lowered = policies.map((policy) => {
    const scope = scopeOf(policy);
    const entriesFor = (direction: 'ingress' | 'egress'): RuleEntry[] => {
      if (!policy.policyTypes.includes(direction === 'ingress' ? 'Ingress' : 'Egress')) return [];
      const entries: RuleEntry[] = [];
      (direction === 'ingress' ? policy.ingress : policy.egress).forEach((rule, ruleIndex) => {
        // Cilium-like profiles skip an egress rule whose named port means different numbers on different pods.
        const skipped = direction === 'egress' && rule.ports.some((p) => typeof p.port === 'string' && conflictingPortNames.has(`${p.port}/${p.protocol}`));
        // unresolvedNamedPorts=all-ports: pod peers match every port, under the first port's rule id.
        const unresolved = scope?.unresolvedRules.has(`${direction}:${ruleIndex}`) ?? false;
        const peers = rule.peers.length === 0 ? [null] : rule.peers;
        const ports = rule.ports.length === 0 ? [null] : rule.ports;
        // kube-router writes all of a rule's ipBlocks into one hash:net ipset (cidr-classes.ts ruleSetId).
        const ruleBlocks = semantics.ipBlockMatch === 'kube-router-ipset' ? rule.peers.flatMap((p) => (p.ipBlock ? [p.ipBlock] : [])) : [];
        peers.forEach((peer, peerIndex) => {
          let peerKind: number = PEER_KIND.ANY;
          let peerArg = -1;
          /** What the entry matches; `peerArg` stays the block's own set, which renderers read. */
          let entryArg = -1;
          if (peer?.ipBlock) {
            peerKind = PEER_KIND.CIDR_SET;
            peerArg = cidrs.setId(peer.ipBlock);
            entryArg = ruleBlocks.length > 1 ? cidrs.ruleSetId(ruleBlocks) : peerArg;
          } else if (peer) {
            peerKind = PEER_KIND.SELECTOR;
            peerArg = selectors.peerSelectorId(peer, policy);
            entryArg = peerArg;
          }
          ports.forEach((port, portIndex) => {
            const id = rules.length;
            rules.push({
              policyNamespace: policy.namespace,
              policyName: policy.name,
              direction,
              ruleIndex,
              peerIndex: peer === null ? null : peerIndex,
              portIndex: port === null ? null : portIndex,
            });
            ruleMatches.push({ peerKind, peerArg, protocol: port?.protocol ?? null, port: port?.port ?? null, endPort: port?.endPort ?? null });
            if (skipped) return;
            if (unresolved && peerKind === PEER_KIND.SELECTOR) {
              if (portIndex === 0) entries.push({ rule: id, peerKind, peerArg: entryArg, port: { kind: 'any' } });
              return;
            }
            // An unsupported SCTP entry fails closed: it matches nothing, the pod stays isolated.
            if (port !== null && port.protocol === 'SCTP' && !semantics.sctpSupported) return;
            if (port !== null && typeof port.port === 'string' && direction === 'egress' && semantics.egressNamedPorts === 'kube-router') {
              // kube-router writes egress ipBlocks with numeric ports only, and resolves a named
              // port without `to` on the namespace's pods, for any destination (resolve-port-scopes.ts).
              if (peerKind === PEER_KIND.CIDR_SET) return;
              if (peerKind === PEER_KIND.ANY) {
                const slot = protocolSlot(POLICY_PROTOCOL_NUMBER[port.protocol]);
                for (const n of scope?.namespaceNumbers.get(`${ruleIndex}:${portIndex}`) ?? []) entries.push({ rule: id, peerKind, peerArg: entryArg, port: { kind: 'range', slot, low: n, high: n } });
                return;
              }
            }
            entries.push({ rule: id, peerKind, peerArg: entryArg, port: lowerPort(port, semantics) });
          });
        });
      });
      return entries;
    };
    const ingress = entriesFor('ingress');
    const egress = entriesFor('egress');
    const bothTypes = policy.policyTypes.includes('Ingress') && policy.policyTypes.includes('Egress');
    // After the rules' peers, so selector ids keep their first-use order without the switch.
    const podsSelector = semantics.bothTypesRules === 'both-directions' && bothTypes ? selectors.peerSelectorId({ podSelector: policy.podSelector, namespaceSelector: null, ipBlock: null }, policy) : -1;
    return {
      policy,
      ingress,
      egress,
      hasNamedPorts: { ingress: ingress.some((e) => e.port.kind === 'named'), egress: egress.some((e) => e.port.kind === 'named') },
      podsSelector,
    };
  });
  return { lowered, rules, ruleMatches };
}

export { PROTO_SLOT };
