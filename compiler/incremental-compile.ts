/**
 * `new IncrementalCompiler(semantics).compile(cluster)`: the compiler's incremental entry. Each
 * call returns exactly what `compile(cluster, semantics)` returns (deep-equal typed arrays and
 * provenance; test/compiler-incremental-matches-full.test.ts) but reuses what the previous calls
 * computed and is still valid, so applying one change to a large cluster costs a fraction of a
 * full compile (SEMANTICS.md §1.2, policy changes during a replay).
 *
 * What is kept, and what invalidates it:
 * - identity keys, per Pod object (a pod whose labels change is a new object);
 * - resolved selectors and policy subjects, by selector key, while the identity list (keys, in
 *   order) and the namespaces (names and labels) are unchanged; otherwise all are resolved again;
 * - lowered policies, per NetworkPolicy object, in a *local* form: rule ids count from 0 in the
 *   policy and peers are slots, not selector or CIDR-set ids (both ids are first-use numbers over
 *   the whole cluster, so an earlier policy's insertion or removal moves them). Dropped when the
 *   set of conflicting named ports changes (skip-rule profiles read it while lowering);
 * - built tables, by (direction, policy objects, named-port signature), holding local entries.
 *
 * Every call then renumbers: walking policies in cluster order gives each its first global rule
 * id and maps its peer slots to selector and CIDR-set ids in the same first-use order as the
 * one-shot lowering, and the flatten pass writes `ruleBase + localRule` — so rule ids still grow
 * in (policy namespace/name, rule, peer, port) order and the first matching rule is unchanged
 * (compiler/verdict.ts). Identities, endpoint columns, CIDR classes and the address index are
 * rebuilt every call (linear in pods), with each address's words, key and CIDR class memoized
 * per IpAddress object (the class only while the class cuts are unchanged).
 */
import { Bitset } from './bitset.js';
import { buildTable, namedPortSignature, type BuiltTable } from './build-tables.js';
import { buildCidrClasses, type CidrClasses } from './cidr-classes.js';
import { assembleTables, type AddressMemo, type EntryNumbering } from './assemble-tables.js';
import { conflictingPortNames } from './compile.js';
import { addressWords, internIdentities, labelKey, type Endpoints } from './intern-identities.js';
import { lowerPolicies, type LoweredPolicy, type RuleEntry } from './lower-rules.js';
import { compileAdminTiers } from './lower-admin-policies.js';
import type { Cluster, IpAddress, IpBlock, LabelSelector, Namespace, NetworkPolicy, Pod, PolicyPeer } from './model.js';
import { UPSTREAM_SEMANTICS, type PolicySemantics } from './policy-semantics.js';
import { needsPortScope, resolvePortScope, type PortScope, type PortScopeInput } from './resolve-port-scopes.js';
import { createSelectorResolver, peerSelectorKey, type SelectorCache, type SelectorResolver } from './resolve-selectors.js';
import { PEER_KIND, type CompiledTables, type RuleMatch, type SelectorSource, type TableInfo } from './tables.js';
import type { RuleRef } from './verdict.js';

/** A peer as lowering met it: a selector (resolved per identity epoch) or an ipBlock. */
type PeerSlot =
  | { readonly kind: 'selector'; readonly peer: PolicyPeer; readonly key: string }
  | { readonly kind: 'cidr'; readonly block: IpBlock }
  | { readonly kind: 'rule-cidrs'; readonly blocks: readonly IpBlock[] };

/** One policy lowered alone: rule ids from 0, peerArg = index into `slots`. */
interface LocalPolicy {
  readonly lowered: LoweredPolicy;
  readonly slots: readonly PeerSlot[];
  readonly rules: readonly RuleRef[];
  readonly ruleMatches: readonly RuleMatch[];
  /** Every ipBlock of the policy, both directions (all of them cut CIDR classes, as in compile). */
  readonly blocks: readonly IpBlock[];
  readonly subjectKey: string;
  /** PortScope key the policy was lowered with ('' without one). */
  readonly scopeKey: string;
  /** Stable number of the policy object (and scope), used in table keys. */
  readonly serial: number;
  // Renumbering of the current call.
  ruleBase: number;
  slotIds: Int32Array;
}

interface CachedTable {
  readonly built: Pick<BuiltTable, 'portMaps' | 'named' | 'cross'>;
  readonly policies: readonly string[];
}

function sameNamespaces(a: readonly Namespace[], b: readonly Namespace[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as Namespace;
    const y = b[i] as Namespace;
    if (x.name !== y.name) return false;
    if (x.labels !== y.labels && JSON.stringify(x.labels) !== JSON.stringify(y.labels)) return false;
  }
  return true;
}

function sameCuts(a: readonly bigint[], b: readonly bigint[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class IncrementalCompiler {
  private readonly identityKeyOfPod = new WeakMap<Pod, string>();
  private readonly namedSignatureOfPod = new WeakMap<Pod, string>();
  private locals = new WeakMap<NetworkPolicy, LocalPolicy>();
  private readonly ownerOfEntry = new WeakMap<RuleEntry, LocalPolicy>();
  private nextSerial = 0;
  private tableCache = new Map<string, CachedTable>();
  private conflictKey = '';
  // Identity epoch: valid while identity keys and namespaces are unchanged.
  private epochKeys: readonly string[] | null = null;
  private epochNamespaces: readonly Namespace[] = [];
  private resolver: SelectorResolver | null = null;
  private selectorMemo = new Map<string, Bitset>();
  private subjectMemo = new Map<string, readonly number[]>();

  // Per IpAddress object: its words and key for good, its CIDR class while the class cuts stay the same.
  private readonly wordsOfAddress = new WeakMap<IpAddress, readonly [number, number, number, number]>();
  private readonly keyOfAddress = new WeakMap<IpAddress, string>();
  private classOfAddress = new WeakMap<IpAddress, number>();
  private classCuts: { v4: readonly bigint[]; v6: readonly bigint[] } = { v4: [], v6: [] };
  private readonly addresses: AddressMemo = {
    words: (ip) => {
      let words = this.wordsOfAddress.get(ip);
      if (!words) {
        words = addressWords(ip);
        this.wordsOfAddress.set(ip, words);
      }
      return words;
    },
    key: (ip) => {
      let key = this.keyOfAddress.get(ip);
      if (key === undefined) {
        key = `${ip.family}/${ip.value}`;
        this.keyOfAddress.set(ip, key);
      }
      return key;
    },
    classOf: (ip, cidrs) => {
      let cls = this.classOfAddress.get(ip);
      if (cls === undefined) {
        cls = cidrs.classOf(ip.family, ip.value);
        this.classOfAddress.set(ip, cls);
      }
      return cls;
    },
  };

  constructor(private readonly semantics: PolicySemantics = UPSTREAM_SEMANTICS) {}

  compile(cluster: Cluster): CompiledTables {
    const semantics = this.semantics;
    const endpoints = internIdentities(cluster, (pod) => this.identityKey(pod));
    this.checkEpoch(cluster, endpoints);
    const resolver = (): SelectorResolver => (this.resolver ??= createSelectorResolver(cluster, endpoints));

    const conflicts = semantics.namedPortConflict === 'skip-rule' ? conflictingPortNames(endpoints.pods) : new Set<string>();
    const conflictKey = [...conflicts].sort().join(',');
    if (conflictKey !== this.conflictKey) {
      // Skip-rule profiles drop egress rules by these names while lowering (lower-rules.ts).
      this.conflictKey = conflictKey;
      this.locals = new WeakMap();
      this.tableCache = new Map();
    }
    const scopeInput: PortScopeInput = {
      pods: endpoints.pods,
      identityOf: endpoints.identityOf,
      subjects: (policy) => resolver().subjects(policy.namespace, policy.podSelector),
      peerMembers: (peer, policy) => resolver().peer(peer, policy.namespace),
    };
    const locals = cluster.policies.map((policy) => this.local(policy, conflicts, needsPortScope(policy, semantics) ? resolvePortScope(policy, semantics, scopeInput) : null));

    const blocks: IpBlock[] = [];
    for (const local of locals) for (const block of local.blocks) blocks.push(block);
    const cidrs = buildCidrClasses(blocks, semantics.ipBlockMatch);
    if (!sameCuts(this.classCuts.v4, cidrs.v4Starts) || !sameCuts(this.classCuts.v6, cidrs.v6Starts)) {
      this.classCuts = { v4: cidrs.v4Starts, v6: cidrs.v6Starts };
      this.classOfAddress = new WeakMap();
    }

    // Renumber: global rule ids, selector ids and CIDR-set ids in the one-shot lowering's order.
    const rules: RuleRef[] = [];
    const ruleMatches: RuleMatch[] = [];
    const selectorSets: Bitset[] = [];
    const selectorSources: SelectorSource[] = [];
    const selectorIdByKey = new Map<string, number>();
    const selectorMemo = this.selectorMemo;
    locals.forEach((local, p) => {
      const policy = cluster.policies[p] as NetworkPolicy;
      local.ruleBase = rules.length;
      local.slots.forEach((slot, s) => {
        if (slot.kind === 'cidr') {
          local.slotIds[s] = cidrs.setId(slot.block);
          return;
        }
        if (slot.kind === 'rule-cidrs') {
          local.slotIds[s] = cidrs.ruleSetId(slot.blocks);
          return;
        }
        let id = selectorIdByKey.get(slot.key);
        if (id === undefined) {
          id = selectorSets.length;
          let bits = selectorMemo.get(slot.key);
          if (!bits) {
            bits = resolver().peer(slot.peer, policy.namespace);
            selectorMemo.set(slot.key, bits);
          }
          selectorSets.push(bits);
          selectorSources.push({ podSelector: slot.peer.podSelector, namespaceSelector: slot.peer.namespaceSelector, namespace: policy.namespace });
          selectorIdByKey.set(slot.key, id);
        }
        local.slotIds[s] = id;
      });
      for (const rule of local.rules) rules.push(rule);
      for (const match of local.ruleMatches) ruleMatches.push(match.peerKind === PEER_KIND.ANY ? match : { ...match, peerArg: local.slotIds[match.peerArg] as number });
    });

    // Which policies select each identity, per direction, in policy order.
    const identityCount = endpoints.identities.length;
    const selecting = { ingress: endpoints.identities.map(() => [] as number[]), egress: endpoints.identities.map(() => [] as number[]) };
    locals.forEach((local, index) => {
      const policy = local.lowered.policy;
      let members = this.subjectMemo.get(local.subjectKey);
      if (!members) {
        members = resolver().subjects(policy.namespace, policy.podSelector).members();
        this.subjectMemo.set(local.subjectKey, members);
      }
      const ingress = policy.policyTypes.includes('Ingress');
      const egress = policy.policyTypes.includes('Egress');
      for (const identity of members) {
        if (identity >= identityCount) continue;
        if (ingress) selecting.ingress[identity]?.push(index);
        if (egress) selecting.egress[identity]?.push(index);
      }
    });

    // Tables, numbered by first use over (direction, endpoint) as in compile; built ones reused by key.
    const previousTables = this.tableCache;
    const usedTables = new Map<string, CachedTable>();
    const tables: CachedTable['built'][] = [];
    const tableInfos: TableInfo[] = [];
    const tableByKey = new Map<string, number>();
    const endpointCount = endpoints.pods.length;
    const endpointTable = { ingress: new Int32Array(endpointCount).fill(-1), egress: new Int32Array(endpointCount).fill(-1) };
    for (const direction of ['ingress', 'egress'] as const) {
      // Per identity: the key without the named-port part, and whether that part is needed.
      const baseKey: (string | null)[] = [];
      const namedDependent: boolean[] = [];
      selecting[direction].forEach((indexes, identity) => {
        if (indexes.length === 0) {
          baseKey[identity] = null;
          return;
        }
        baseKey[identity] = `${direction}|${indexes.map((i) => (locals[i] as LocalPolicy).serial).join(',')}|`;
        namedDependent[identity] = direction === 'ingress' && indexes.some((i) => (locals[i] as LocalPolicy).lowered.hasNamedPorts.ingress);
      });
      endpoints.pods.forEach((pod, e) => {
        const identity = endpoints.identityOf[e] as number;
        const base = baseKey[identity];
        if (base === null || base === undefined) return;
        const key = namedDependent[identity] === true ? base + this.namedSignature(pod) : base;
        let table = tableByKey.get(key);
        if (table === undefined) {
          table = tables.length;
          tableByKey.set(key, table);
          let cached = usedTables.get(key) ?? previousTables.get(key);
          if (!cached) {
            const policies = (selecting[direction][identity] as number[]).map((i) => (locals[i] as LocalPolicy).lowered);
            const built = buildTable(direction, policies, direction === 'ingress' ? pod : null, []);
            cached = { built: { portMaps: built.portMaps, named: built.named, cross: built.cross }, policies: built.info.policies };
          }
          usedTables.set(key, cached);
          tables.push(cached.built);
          tableInfos.push({ direction, policies: cached.policies, endpoints: [] });
        }
        (tableInfos[table]?.endpoints as number[]).push(e);
        endpointTable[direction][e] = table;
      });
    }
    this.tableCache = usedTables;

    const owner = this.ownerOfEntry;
    const numbering: EntryNumbering = {
      rule: (entry) => (owner.get(entry) as LocalPolicy).ruleBase + entry.rule,
      peerArg: (entry) => (entry.peerKind === PEER_KIND.ANY ? entry.peerArg : ((owner.get(entry) as LocalPolicy).slotIds[entry.peerArg] as number)),
      selector: (entry, slot) => (owner.get(entry) as LocalPolicy).slotIds[slot] as number,
    };
    const assembled = assembleTables({ cluster, semantics, endpoints, cidrs, selectorSets, selectorSources, tables, tableInfos, endpointTable, numbering, rules, ruleMatches, addresses: this.addresses });
    // Cluster-scoped policies are few: their tiers are compiled whole on every call.
    return cluster.adminPolicies && cluster.adminPolicies.length > 0 ? { ...assembled, ...compileAdminTiers(cluster, endpoints, semantics) } : assembled;
  }

  private identityKey(pod: Pod): string {
    let key = this.identityKeyOfPod.get(pod);
    if (key === undefined) {
      key = labelKey(pod.namespace, pod.labels);
      this.identityKeyOfPod.set(pod, key);
    }
    return key;
  }

  private namedSignature(pod: Pod): string {
    let signature = this.namedSignatureOfPod.get(pod);
    if (signature === undefined) {
      signature = namedPortSignature(pod);
      this.namedSignatureOfPod.set(pod, signature);
    }
    return signature;
  }

  /** Selector results are bitsets over identity ids: any change to identities or namespaces drops them all. */
  private checkEpoch(cluster: Cluster, endpoints: Endpoints): void {
    if (this.epochKeys !== null && sameKeys(this.epochKeys, endpoints.identityKeys) && sameNamespaces(this.epochNamespaces, cluster.namespaces)) {
      // Same identities, but the resolver's inverted index was built from the previous cluster's objects: equal content, still valid.
      return;
    }
    this.epochKeys = endpoints.identityKeys;
    this.epochNamespaces = cluster.namespaces;
    this.resolver = null;
    this.selectorMemo = new Map();
    this.subjectMemo = new Map();
  }

  private local(policy: NetworkPolicy, conflicts: ReadonlySet<string>, scope: PortScope | null): LocalPolicy {
    const cached = this.locals.get(policy);
    // A policy whose lowering read pods (its PortScope) is lowered again when they changed it.
    if (cached && cached.scopeKey === (scope?.key ?? '')) return cached;
    // Lower the policy alone, with slot-recording stand-ins for the selector cache and CIDR
    // classes: the same lowering code as compile, with local ids.
    const slots: PeerSlot[] = [];
    const selectors: SelectorCache = {
      selectors: [],
      sources: [],
      peerSelectorId(peer, owner) {
        slots.push({ kind: 'selector', peer, key: peerSelectorKey(peer, owner.namespace) });
        return slots.length - 1;
      },
      policySubjects() {
        throw new Error('not used while lowering');
      },
    };
    const cidrs: CidrClasses = {
      v4Starts: [],
      v6Starts: [],
      classCount: 0,
      sets: [],
      sources: [],
      setId(block) {
        slots.push({ kind: 'cidr', block });
        return slots.length - 1;
      },
      ruleSetId(blocks) {
        slots.push({ kind: 'rule-cidrs', blocks });
        return slots.length - 1;
      },
      classOf() {
        throw new Error('not used while lowering');
      },
    };
    const { lowered, rules, ruleMatches } = lowerPolicies([policy], selectors, cidrs, this.semantics, conflicts, () => scope);
    const blocks: IpBlock[] = [];
    for (const rule of [...policy.ingress, ...policy.egress]) for (const peer of rule.peers) if (peer.ipBlock) blocks.push(peer.ipBlock);
    const local: LocalPolicy = {
      lowered: lowered[0] as LoweredPolicy,
      slots,
      rules,
      ruleMatches,
      blocks,
      subjectKey: subjectKey(policy.namespace, policy.podSelector),
      scopeKey: scope?.key ?? '',
      serial: this.nextSerial++,
      ruleBase: 0,
      slotIds: new Int32Array(slots.length),
    };
    for (const entry of [...local.lowered.ingress, ...local.lowered.egress]) this.ownerOfEntry.set(entry, local);
    this.locals.set(policy, local);
    return local;
  }
}

function subjectKey(namespace: string, podSelector: LabelSelector): string {
  return JSON.stringify([namespace, podSelector]);
}
