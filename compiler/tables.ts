/**
 * The compiled tables: the contract between `compiler/` and `dataplane/`. Plain typed arrays
 * the dataplane walks without allocating, plus provenance (pods, rule references, policy names)
 * that only reports read. Shaped after Cilium's identities + per-endpoint policy map and
 * Calico's per-endpoint chains (SEMANTICS.md §3):
 *
 * - every pod endpoint has a numeric identity (one per distinct namespace + pod labels);
 * - every peer selector is a bitset over identities, every ipBlock a bitset over CIDR classes
 *   (the intervals cut by all ipBlock boundaries);
 * - every isolated (pod, direction) points to a table, shared by all pods whose policies and
 *   resolved named ports are the same; a table maps (protocol, port class) to the rule entries
 *   that can match there, in rule order, so the first entry whose peer matches is the rule the
 *   spec reports (compiler/verdict.ts RuleRef ordering).
 *
 * Addresses are 4 big-endian u32 words (IPv4 in word 0), as in dataplane/packet-meta.ts.
 */
import type { LabelSelector, Pod } from './model.js';
import type { RuleRef } from './verdict.js';

/** Protocol slots of a table: the three policy protocols and everything else (ICMP...). */
export const PROTO_SLOT = { TCP: 0, UDP: 1, SCTP: 2, OTHER: 3 } as const;
export const PROTO_SLOTS = 4;
/** A cross entry's slot when it matches every protocol and port (a rule without `ports`). */
export const CROSS_ANY_PORT = 255;

export function protocolSlot(protocol: number): number {
  return protocol === 6 ? PROTO_SLOT.TCP : protocol === 17 ? PROTO_SLOT.UDP : protocol === 132 ? PROTO_SLOT.SCTP : PROTO_SLOT.OTHER;
}

/** How an entry's peer is matched. */
export const PEER_KIND = {
  /** The rule has no `from`/`to`: every source or destination, external ones included. */
  ANY: 0,
  /** A pod/namespace selector: `peerArg` is a selector id (bitset over identities). */
  SELECTOR: 1,
  /** An ipBlock: `peerArg` is a CIDR set id (bitset over CIDR classes). */
  CIDR_SET: 2,
} as const;

/** Layout of an address-index record: family, 4 address words (as int32), endpoint, CIDR class. */
export const ADDRESS_RECORD = { FAMILY: 0, WORDS: 1, ENDPOINT: 5, CIDR_CLASS: 6 } as const;
export const ADDRESS_RECORD_WORDS = 8;

/** Identity of everything that is not a pod endpoint (external addresses, nodes, hostNetwork pods). */
export const WORLD_IDENTITY = -1;

export interface IdentityInfo {
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** A table's provenance: which policies made it and what they isolate. */
export interface TableInfo {
  readonly direction: 'ingress' | 'egress';
  /** `ns/name` of the policies selecting the pods that use this table, in evaluation order. */
  readonly policies: readonly string[];
  /** Pods (endpoint indexes) using this table. */
  readonly endpoints: readonly number[];
}

export interface CompiledTables {
  /** False under a profile that enforces nothing (flannel): every flow passes. */
  readonly enforced: boolean;
  /** Ingress from the pod's own node passes whatever the policies say (the spec's exemption). */
  readonly localNodeIngressExempt: boolean;
  /** Egress to the pod's own node passes unpoliced (profiles with podToLocalNodeEgressPoliced=false). */
  readonly localNodeEgressExempt: boolean;
  readonly identities: readonly IdentityInfo[];

  // Endpoints: pods with an IP, not hostNetwork, not finished; indexed 0..endpointCount-1.
  readonly endpointCount: number;
  readonly endpointPods: readonly Pod[];
  readonly endpointIdentity: Int32Array;
  /** Table index, or -1 when no policy isolates the pod in that direction. */
  readonly endpointIngressTable: Int32Array;
  readonly endpointEgressTable: Int32Array;
  /** The pod's node address (for the local-node exemption): family (0 unknown) and 4 words. */
  readonly endpointHostFamily: Uint8Array;
  readonly endpointHostWords: Uint32Array;
  /** Named container ports: entries [start[e], start[e+1]) of the three columns below. */
  readonly endpointNamedPortStart: Int32Array;
  readonly namedPortName: Int32Array;
  readonly namedPortProtocol: Uint8Array;
  readonly namedPortNumber: Uint16Array;
  /** Interned container-port names (ids used by namedPortName and entryPortName). */
  readonly portNames: readonly string[];

  // Address index: open addressing, capacity = mask + 1 (a power of two). One 32-byte record per
  // slot (ADDRESS_RECORD layout) so a probe touches one cache line; family 0 = empty slot.
  // Pod endpoint addresses, and — when ipBlock must not match them — node addresses with
  // endpoint -1. A CIDR class of -1 is in no CIDR set: ipBlock never matches that address.
  readonly addressMask: number;
  readonly addressRecords: Int32Array;

  // CIDR classes: IPv4 classes 0..v4Bounds.length-1 start at v4Bounds[i]; IPv6 classes follow,
  // class v4Bounds.length + i starts at the 4 words v6Bounds[4i..4i+3].
  readonly v4Bounds: Uint32Array;
  readonly v6Bounds: Uint32Array;
  readonly cidrSetWords: number;
  /** CIDR set s is the bitset cidrSetBits[s*cidrSetWords .. +cidrSetWords). */
  readonly cidrSetBits: Uint32Array;

  readonly selectorWords: number;
  /** Selector s is the bitset selectorBits[s*selectorWords .. +selectorWords) over identities. */
  readonly selectorBits: Uint32Array;

  // Tables. For table t and protocol slot p, m = t*PROTO_SLOTS+p: port classes
  // [portMapStart[m], portMapStart[m+1]) of portClassLow (sorted lowest port of each class; the
  // first is 0); class k's entries are [classEntryStart[k], classEntryStart[k+1]) of entry*.
  readonly tableCount: number;
  readonly tables: readonly TableInfo[];
  readonly portMapStart: Int32Array;
  readonly portClassLow: Int32Array;
  readonly classEntryStart: Int32Array;
  /** Egress named-port entries of table t: [namedEntryStart[t], namedEntryStart[t+1]). */
  readonly namedEntryStart: Int32Array;

  /**
   * bothTypesRules=both-directions (compiler/build-tables.ts `cross`): table t's entries of the
   * other direction's rules are [crossEntryStart[t], crossEntryStart[t+1]) of cross*. The peer
   * is matched against the table's own pod, `crossTargets` (a selector id) against the remote
   * end; the port is any (slot CROSS_ANY_PORT), a range of a protocol slot, or a name
   * (crossPortName ≥ 0) resolved on the destination pod.
   */
  readonly crossEntryStart: Int32Array;
  readonly crossRule: Int32Array;
  readonly crossPeerKind: Uint8Array;
  readonly crossPeerArg: Int32Array;
  readonly crossTargets: Int32Array;
  readonly crossPortSlot: Uint8Array;
  readonly crossPortLow: Uint16Array;
  readonly crossPortHigh: Uint16Array;
  readonly crossPortName: Int32Array;

  readonly entryRule: Int32Array;
  readonly entryPeerKind: Uint8Array;
  readonly entryPeerArg: Int32Array;
  /** Named-port entries only: port name id and protocol number. */
  readonly entryPortName: Int32Array;
  readonly entryPortProtocol: Uint8Array;

  /** Rule id → where it came from (policy, direction, rule, peer, port). Ids grow in RuleRef order. */
  readonly rules: readonly RuleRef[];
  /** Rule id → what it matches, for renderers (not walked by the dataplane). */
  readonly ruleMatches: readonly RuleMatch[];
  /** Selector id → the selector it was resolved from. */
  readonly selectorSources: readonly SelectorSource[];
  /** CIDR set id → the ipBlock it was built from. */
  readonly cidrSetSources: readonly { readonly cidr: string; readonly except: readonly string[] }[];

  /**
   * Cluster-scoped policies (SEMANTICS.md §5), absent when the cluster has none: the Admin tier,
   * consulted before the tables above, and the Baseline tier, consulted only where no
   * NetworkPolicy isolates the pod. Each tier is tables of its own over the same endpoints and
   * identities (its own selectors, CIDR classes and rule ids); its entries are in evaluation
   * order, so the first match decides and `ruleAction` says what it does. The dataplane reports
   * a tier's rule as a global id: `rules.length + id` for Admin, after those for Baseline
   * (`ruleRefOf`).
   */
  readonly admin?: CompiledTier | null;
  readonly baseline?: CompiledTier | null;
}

/** What a tier rule does when it matches (CompiledTier.ruleAction). */
export const TIER_ACTION = { ALLOW: 1, DENY: 2, PASS: 3 } as const;

export interface CompiledTier {
  readonly tables: CompiledTables;
  /** Per rule id of `tables.rules`: a TIER_ACTION. */
  readonly ruleAction: Uint8Array;
}

/** The RuleRef of a global rule id (NetworkPolicy ids, then Admin, then Baseline), or null. */
export function ruleRefOf(t: CompiledTables, id: number): RuleRef | null {
  if (id < 0) return null;
  if (id < t.rules.length) return t.rules[id] ?? null;
  let rest = id - t.rules.length;
  const admin = t.admin?.tables.rules ?? [];
  if (rest < admin.length) return admin[rest] ?? null;
  rest -= admin.length;
  return t.baseline?.tables.rules[rest] ?? null;
}

export interface SelectorSource {
  readonly podSelector: LabelSelector | null;
  /** null: the policy's own namespace (`namespace` says which). */
  readonly namespaceSelector: LabelSelector | null;
  readonly namespace: string;
}

export interface RuleMatch {
  readonly peerKind: number;
  readonly peerArg: number;
  /** Protocol name, or null when the rule has no ports (every protocol). */
  readonly protocol: string | null;
  /** Port number or name; null for every port of the protocol. */
  readonly port: number | string | null;
  readonly endPort: number | null;
}

/** Direction-independent mixing of an address for the address index (shared by build and lookup). */
export function hashAddress(family: number, w0: number, w1: number, w2: number, w3: number): number {
  let h = Math.imul(family ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ w0, 0xcc9e2d51);
  h = (h << 13) | (h >>> 19);
  h = Math.imul(h ^ w1, 0x1b873593);
  h = (h << 15) | (h >>> 17);
  h = Math.imul(h ^ w2, 0xcc9e2d51);
  h = Math.imul(h ^ w3, 0x85ebca6b);
  h ^= h >>> 16;
  return h >>> 0;
}
