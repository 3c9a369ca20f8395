/**
 * The compiled tables as JSON: identities, the selector cache, CIDR sets, rules with their
 * provenance, tables with their port classes, and per-pod bindings. Deterministic (ids follow
 * the cluster's sorted order) so two compilations diff cleanly.
 */
import { selectorSourceText } from './describe-selector.js';
import { flatBitsetMembers } from './bitset.js';
import { CROSS_ANY_PORT, PEER_KIND, PROTO_SLOTS, TIER_ACTION, type CompiledTables, type CompiledTier } from './tables.js';
import { formatRuleRef, rulePolicyName } from './verdict.js';

const SLOT_NAMES = ['TCP', 'UDP', 'SCTP', 'other'];

function peerText(kind: number, arg: number): string {
  if (kind === PEER_KIND.ANY) return 'any';
  if (arg < 0) return 'nothing';
  return kind === PEER_KIND.SELECTOR ? `selector:${arg}` : `cidr-set:${arg}`;
}

export interface RenderOptions {
  /** Only these pods (`ns/name`) in `pods`; tables and the rest are kept whole. */
  readonly pods?: readonly string[];
}

export function renderJson(t: CompiledTables, options: RenderOptions = {}): object {
  const podName = (e: number): string => `${t.endpointPods[e]?.namespace}/${t.endpointPods[e]?.name}`;
  const wanted = options.pods && options.pods.length > 0 ? new Set(options.pods) : null;
  const tables = t.tables.map((info, table) => {
    const portClasses: Record<string, { ports: string; entries: { rule: number; peer: string }[] }[]> = {};
    for (let slot = 0; slot < PROTO_SLOTS; slot++) {
      const m = table * PROTO_SLOTS + slot;
      const start = t.portMapStart[m] as number;
      const end = t.portMapStart[m + 1] as number;
      const classes: { ports: string; entries: { rule: number; peer: string }[] }[] = [];
      for (let k = start; k < end; k++) {
        const low = t.portClassLow[k] as number;
        const high = k + 1 < end ? (t.portClassLow[k + 1] as number) - 1 : 65535;
        const entries: { rule: number; peer: string }[] = [];
        for (let e = t.classEntryStart[k] as number; e < (t.classEntryStart[k + 1] as number); e++) {
          entries.push({ rule: t.entryRule[e] as number, peer: peerText(t.entryPeerKind[e] as number, t.entryPeerArg[e] as number) });
        }
        if (entries.length > 0) classes.push({ ports: slot === 3 ? 'any' : low === high ? String(low) : `${low}-${high}`, entries });
      }
      if (classes.length > 0) portClasses[SLOT_NAMES[slot] as string] = classes;
    }
    const named: { rule: number; peer: string; port: string }[] = [];
    for (let e = t.namedEntryStart[table] as number; e < (t.namedEntryStart[table + 1] as number); e++) {
      named.push({ rule: t.entryRule[e] as number, peer: peerText(t.entryPeerKind[e] as number, t.entryPeerArg[e] as number), port: `${t.portNames[t.entryPortName[e] as number]}/${t.entryPortProtocol[e]}` });
    }
    // bothTypesRules=both-directions: the other list's rules, peer matched against this table's pod.
    const otherDirection: { rule: number; peer: string; remoteIn: string; port: string }[] = [];
    for (let e = t.crossEntryStart[table] as number; e < (t.crossEntryStart[table + 1] as number); e++) {
      const slot = t.crossPortSlot[e] as number;
      const name = t.crossPortName[e] as number;
      const port = slot === CROSS_ANY_PORT ? 'any' : name >= 0 ? `${t.portNames[name]}/${SLOT_NAMES[slot]}` : `${t.crossPortLow[e]}-${t.crossPortHigh[e]}/${SLOT_NAMES[slot]}`;
      otherDirection.push({ rule: t.crossRule[e] as number, peer: peerText(t.crossPeerKind[e] as number, t.crossPeerArg[e] as number), remoteIn: `selector:${t.crossTargets[e]}`, port });
    }
    return { id: table, direction: info.direction, policies: info.policies, pods: info.endpoints.map(podName), portClasses, ...(named.length ? { namedPorts: named } : {}), ...(otherDirection.length ? { otherDirection } : {}) };
  });
  const pods = t.endpointPods
    .map((pod, e) => ({
      pod: `${pod.namespace}/${pod.name}`,
      ips: pod.ips.map((ip) => ip.text),
      identity: t.endpointIdentity[e] as number,
      ingress: tableBinding(t, t.endpointIngressTable[e] as number),
      egress: tableBinding(t, t.endpointEgressTable[e] as number),
    }))
    .filter((p) => wanted === null || wanted.has(p.pod));
  return {
    identities: t.identities.map((identity, id) => ({ id, namespace: identity.namespace, labels: identity.labels })),
    selectors: t.selectorSources.map((source, id) => ({
      id,
      selects: selectorSourceText(source),
      identities: flatBitsetMembers(t.selectorBits, id * t.selectorWords, t.selectorWords),
    })),
    cidrSets: t.cidrSetSources.map((source, id) => ({ id, cidr: source.cidr, except: source.except })),
    rules: t.rules.map((ref, id) => {
      const m = t.ruleMatches[id];
      return {
        id,
        policy: `${ref.policyNamespace}/${ref.policyName}`,
        direction: ref.direction,
        rule: ref.ruleIndex,
        peer: ref.peerIndex,
        port: ref.portIndex,
        matches: m ? { peer: peerText(m.peerKind, m.peerArg), protocol: m.protocol ?? 'any', port: m.port === null ? 'any' : m.endPort !== null ? `${m.port}-${m.endPort}` : m.port } : null,
        text: formatRuleRef(ref),
      };
    }),
    tables,
    pods,
    // Only with cluster-scoped policies, so other clusters render exactly as before.
    ...(t.admin !== undefined || t.baseline !== undefined ? { adminTiers: { admin: tierJson(t.admin ?? null, options), baseline: tierJson(t.baseline ?? null, options) } } : {}),
  };
}

const TIER_ACTION_NAME: Readonly<Record<number, string>> = { [TIER_ACTION.ALLOW]: 'Allow', [TIER_ACTION.DENY]: 'Deny', [TIER_ACTION.PASS]: 'Pass' };

/** A tier's own tables, rendered like the NetworkPolicy ones, each rule with its action. */
function tierJson(tier: CompiledTier | null, options: RenderOptions): object | null {
  if (tier === null) return null;
  const rendered = renderJson(tier.tables, options) as { rules: { id: number }[] };
  const rules = rendered.rules.map((rule) => {
    const ref = tier.tables.rules[rule.id];
    return { ...rule, policy: ref ? rulePolicyName(ref) : null, action: TIER_ACTION_NAME[tier.ruleAction[rule.id] as number] ?? null };
  });
  return { ...rendered, rules };
}

function tableBinding(t: CompiledTables, table: number): object {
  if (table < 0) return { isolated: false };
  return { isolated: true, table, policies: t.tables[table]?.policies ?? [] };
}
