/**
 * Cluster-scoped policies (AdminNetworkPolicy, BaselineAdminNetworkPolicy, ClusterNetworkPolicy;
 * SEMANTICS.md §5) lowered into tier tables: the same per-pod (protocol, port class) → entries
 * structure as NetworkPolicy tables (compiler/tables.ts), one set per tier, with an action per
 * rule. Rule ids grow in evaluation order — policies as the loader ordered them (tier, priority,
 * kind, name), then rule, peer, port — so the first matching entry of a table is the rule the
 * tier applies, exactly as the first matching NetworkPolicy entry is the reported one.
 *
 * Peers: `namespaces`/`pods` become identity bitsets; `networks` become CIDR sets over the
 * tier's own CIDR classes (which cut at every pod address's class too, so they match pod IPs as
 * the API says); `nodes` become CIDR sets of the matching nodes' addresses (host routes);
 * `domainNames` match nothing (not emulated); a rule with a peer of unknown shape fails closed:
 * an Allow rule loses that peer, a Deny or Pass rule becomes one deny-all entry.
 */
import type { Bitset } from './bitset.js';
import { SharedTables, namedPortSignature } from './build-tables.js';
import { buildCidrClasses } from './cidr-classes.js';
import { assembleTables, DIRECT_NUMBERING } from './assemble-tables.js';
import type { Endpoints } from './intern-identities.js';
import type { RuleEntry, PortMatch } from './lower-rules.js';
import type { AdminPeer, AdminPolicy, AdminPort, AdminTier, Cidr, Cluster, IpBlock, PolicyPeer } from './model.js';
import { POLICY_PROTOCOL_NUMBER, POLICY_PROTOCOLS } from './model.js';
import type { PolicySemantics } from './policy-semantics.js';
import { LabelIndex, createSelectorResolver, peerSelectorKey } from './resolve-selectors.js';
import { PEER_KIND, TIER_ACTION, protocolSlot, type CompiledTier, type RuleMatch, type SelectorSource, type TableInfo } from './tables.js';
import type { RuleRef } from './verdict.js';

const ACTION_CODE = { Allow: TIER_ACTION.ALLOW, Deny: TIER_ACTION.DENY, Pass: TIER_ACTION.PASS } as const;

/** What buildTable reads of a policy: its display name and its entries per direction. */
interface TierPolicy {
  readonly policy: { readonly namespace: string; readonly name: string };
  readonly ingress: readonly RuleEntry[];
  readonly egress: readonly RuleEntry[];
  readonly subjects: Bitset;
}

function hostCidr(address: { readonly family: 4 | 6; readonly value: bigint; readonly text: string }): Cidr {
  return { family: address.family, network: address.value, prefixLength: address.family === 4 ? 32 : 128, text: `${address.text}/${address.family === 4 ? 32 : 128}` };
}

function lowerAdminPort(port: AdminPort): PortMatch[] {
  if (port.kind === 'named') {
    // The name carries no protocol: it matches the container port of that name, whatever its protocol.
    return POLICY_PROTOCOLS.map((p) => ({ kind: 'named', slot: protocolSlot(POLICY_PROTOCOL_NUMBER[p]), protocol: POLICY_PROTOCOL_NUMBER[p], name: port.name }) as const);
  }
  const slot = protocolSlot(POLICY_PROTOCOL_NUMBER[port.protocol]);
  return port.kind === 'number' ? [{ kind: 'range', slot, low: port.port, high: port.port }] : [{ kind: 'range', slot, low: port.start, high: port.end }];
}

function portMatchText(port: AdminPort): Pick<RuleMatch, 'protocol' | 'port' | 'endPort'> {
  if (port.kind === 'named') return { protocol: null, port: port.name, endPort: null };
  if (port.kind === 'number') return { protocol: port.protocol, port: port.port, endPort: null };
  return { protocol: port.protocol, port: port.start, endPort: port.end };
}

/** The tier's tables, or null when no policy of the cluster is in that tier. */
export function compileTier(cluster: Cluster, tier: AdminTier, endpoints: Endpoints, semantics: PolicySemantics): CompiledTier | null {
  const policies = (cluster.adminPolicies ?? []).filter((p) => p.tier === tier);
  if (policies.length === 0) return null;
  const resolver = createSelectorResolver(cluster, endpoints);
  const nodes = cluster.nodes ?? [];
  const nodeIndex = new LabelIndex(nodes.length, nodes.map((n) => n.labels));

  // CIDR classes cut by every `networks` CIDR and every selected node address.
  const blocksOf = (peer: AdminPeer): IpBlock[] => {
    if (peer.kind === 'networks') return peer.cidrs.map((cidr) => ({ cidr, except: [] }));
    if (peer.kind === 'nodes') return nodeIndex.resolve(peer.nodeSelector).members().flatMap((n) => (nodes[n]?.addresses ?? []).map((a) => ({ cidr: hostCidr(a), except: [] })));
    return [];
  };
  const peerBlocks = new Map<AdminPeer, IpBlock[]>();
  for (const policy of policies) for (const rule of [...policy.ingress, ...policy.egress]) for (const peer of rule.peers) peerBlocks.set(peer, blocksOf(peer));
  const cidrs = buildCidrClasses([...peerBlocks.values()].flat());

  const selectorSets: Bitset[] = [];
  const selectorSources: SelectorSource[] = [];
  const selectorIds = new Map<string, number>();
  const selectorId = (peer: PolicyPeer): number => {
    const key = peerSelectorKey(peer, '');
    let id = selectorIds.get(key);
    if (id === undefined) {
      id = selectorSets.length;
      selectorSets.push(resolver.peer(peer, ''));
      selectorSources.push({ podSelector: peer.podSelector, namespaceSelector: peer.namespaceSelector, namespace: '' });
      selectorIds.set(key, id);
    }
    return id;
  };

  const rules: RuleRef[] = [];
  const ruleMatches: RuleMatch[] = [];
  const actions: number[] = [];
  const lowerPolicy = (policy: AdminPolicy): TierPolicy => {
    const entriesFor = (direction: 'ingress' | 'egress'): RuleEntry[] => {
      const entries: RuleEntry[] = [];
      (direction === 'ingress' ? policy.ingress : policy.egress).forEach((rule, ruleIndex) => {
        const refFor = (peerIndex: number, portIndex: number | null, action: AdminRule['action']): number => {
          rules.push({ policyNamespace: '', policyName: policy.name, direction, ruleIndex, peerIndex, portIndex, policyKind: policy.kind, tier: policy.tier, priority: policy.priority, ruleName: rule.name, action });
          actions.push(ACTION_CODE[action]);
          return rules.length - 1;
        };
        const unknown = rule.peers.findIndex((peer) => peer.kind === 'unknown');
        if (unknown >= 0 && rule.action !== 'Allow') {
          // Fail closed (SEMANTICS.md §5.1): the whole rule denies everything.
          const id = refFor(unknown, null, 'Deny');
          ruleMatches.push({ peerKind: PEER_KIND.ANY, peerArg: -1, protocol: null, port: null, endPort: null });
          entries.push({ rule: id, peerKind: PEER_KIND.ANY, peerArg: -1, port: { kind: 'any' } });
          return;
        }
        rule.peers.forEach((peer, peerIndex) => {
          // Each peer becomes one or more (kind, arg) matches sharing its rule ids.
          let matches: { kind: number; arg: number }[];
          if (peer.kind === 'pods') matches = [{ kind: PEER_KIND.SELECTOR, arg: selectorId({ podSelector: peer.podSelector, namespaceSelector: peer.namespaceSelector, ipBlock: null }) }];
          else if (peer.kind === 'networks' || peer.kind === 'nodes') matches = (peerBlocks.get(peer) ?? []).map((block) => ({ kind: PEER_KIND.CIDR_SET, arg: cidrs.setId(block) }));
          else matches = [];
          const ports = rule.ports === null ? [null] : rule.ports;
          ports.forEach((port, portIndex) => {
            const id = refFor(peerIndex, port === null ? null : portIndex, rule.action);
            const first = matches[0];
            // A peer that matches nothing (domainNames, an Allow's unknown peer, nodes selecting no Node): CIDR set -1.
            ruleMatches.push({ peerKind: first?.kind ?? PEER_KIND.CIDR_SET, peerArg: first?.arg ?? -1, ...(port === null ? { protocol: null, port: null, endPort: null } : portMatchText(port)) });
            const portMatches: PortMatch[] = port === null ? [{ kind: 'any' }] : lowerAdminPort(port);
            for (const m of matches) for (const pm of portMatches) entries.push({ rule: id, peerKind: m.kind, peerArg: m.arg, port: pm });
          });
        });
      });
      return entries;
    };
    const subject = resolver.peer({ podSelector: policy.subject.podSelector, namespaceSelector: policy.subject.namespaceSelector, ipBlock: null }, '');
    return { policy: { namespace: policy.kind, name: policy.name }, ingress: entriesFor('ingress'), egress: entriesFor('egress'), subjects: subject };
  };
  const lowered = policies.map(lowerPolicy);

  const shared = new SharedTables(endpoints.pods.length);
  const { tables, endpointTable } = shared;
  for (const direction of ['ingress', 'egress'] as const) {
    endpoints.pods.forEach((pod, e) => {
      const identity = endpoints.identityOf[e] as number;
      const indexes = lowered.flatMap((lp, i) => (lp.subjects.has(identity) && lp[direction].length > 0 ? [i] : []));
      if (indexes.length === 0) return;
      const selected = indexes.map((i) => lowered[i] as TierPolicy);
      const named = direction === 'ingress' && selected.some((lp) => lp.ingress.some((entry) => entry.port.kind === 'named'));
      shared.assign(direction, e, `${direction}|${indexes.join(',')}|${named ? namedPortSignature(pod) : ''}`, selected, pod);
    });
  }
  const tableInfos: TableInfo[] = tables.map((t) => t.info);
  // The API's networks match pod and node addresses whatever the CNI does for NetworkPolicy ipBlock.
  const tierSemantics: PolicySemantics = { ...semantics, ipBlockMatchesPodIps: true, ipBlockMatchesNodeIps: true };
  const assembled = assembleTables({ cluster, semantics: tierSemantics, endpoints, cidrs, selectorSets, selectorSources, tables, tableInfos, endpointTable, numbering: DIRECT_NUMBERING, rules, ruleMatches });
  return { tables: assembled, ruleAction: Uint8Array.from(actions) };
}

type AdminRule = AdminPolicy['ingress'][number];

/** The tier fields of CompiledTables, or nothing when the cluster has no cluster-scoped policy. */
export function compileAdminTiers(cluster: Cluster, endpoints: Endpoints, semantics: PolicySemantics): { admin: CompiledTier | null; baseline: CompiledTier | null } | Record<string, never> {
  if ((cluster.adminPolicies ?? []).length === 0) return {};
  return { admin: compileTier(cluster, 'Admin', endpoints, semantics), baseline: compileTier(cluster, 'Baseline', endpoints, semantics) };
}
