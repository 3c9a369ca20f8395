/**
 * The compiler's last phase, shared by the one-shot `compile` (compiler/compile.ts), the tier
 * tables of cluster-scoped policies (compiler/lower-admin-policies.ts) and the incremental
 * compiler (compiler/incremental-compile.ts): built tables, endpoints and CIDR classes → the typed
 * arrays of compiler/tables.ts. A module of its own so that those three import it and not each
 * other (compile.ts imports lower-admin-policies.ts).
 */
import type { Bitset } from './bitset.js';
import type { BuiltTable } from './build-tables.js';
import type { CidrClasses } from './cidr-classes.js';
import { addressWords, type Endpoints } from './intern-identities.js';
import type { RuleEntry } from './lower-rules.js';
import type { Cluster, IpAddress } from './model.js';
import { POLICY_PROTOCOL_NUMBER } from './model.js';
import type { PolicySemantics } from './policy-semantics.js';
import { ADDRESS_RECORD, ADDRESS_RECORD_WORDS, CROSS_ANY_PORT, PROTO_SLOTS, hashAddress, type CompiledTables, type RuleMatch, type SelectorSource, type TableInfo } from './tables.js';
import type { RuleRef } from './verdict.js';

function flattenBitsets(sets: readonly Bitset[], size: number): { words: number; bits: Uint32Array } {
  const words = Math.max(1, Math.ceil(size / 32));
  const bits = new Uint32Array(words * sets.length);
  sets.forEach((set, i) => bits.set(set.words.subarray(0, words), i * words));
  return { words, bits };
}

function nextPowerOfTwo(n: number): number {
  let p = 16;
  while (p < n) p *= 2;
  return p;
}

/** How a table entry's rule id and peer argument are read: directly, or renumbered (compiler/incremental-compile.ts). */
export interface EntryNumbering {
  rule(entry: RuleEntry): number;
  peerArg(entry: RuleEntry): number;
  /** A selector id lowered with `entry`'s policy (a cross entry's targets). */
  selector(entry: RuleEntry, id: number): number;
}

export const DIRECT_NUMBERING: EntryNumbering = { rule: (entry) => entry.rule, peerArg: (entry) => entry.peerArg, selector: (_entry, id) => id };

export interface AssembleInput {
  readonly cluster: Cluster;
  readonly semantics: PolicySemantics;
  readonly endpoints: Endpoints;
  readonly cidrs: CidrClasses;
  readonly selectorSets: readonly Bitset[];
  readonly selectorSources: readonly SelectorSource[];
  readonly tables: readonly Pick<BuiltTable, 'portMaps' | 'named' | 'cross'>[];
  readonly tableInfos: readonly TableInfo[];
  readonly endpointTable: { readonly ingress: Int32Array; readonly egress: Int32Array };
  readonly numbering: EntryNumbering;
  readonly rules: readonly RuleRef[];
  readonly ruleMatches: readonly RuleMatch[];
  /** Per-address work, memoized across calls by the incremental compiler; computed directly when absent. */
  readonly addresses?: AddressMemo;
}

export interface AddressMemo {
  words(ip: IpAddress): readonly [number, number, number, number];
  key(ip: IpAddress): string;
  classOf(ip: IpAddress, cidrs: CidrClasses): number;
}

const DIRECT_ADDRESSES: AddressMemo = {
  words: addressWords,
  key: (ip) => `${ip.family}/${ip.value}`,
  classOf: (ip, cidrs) => cidrs.classOf(ip.family, ip.value),
};

/** Last phase: built tables, endpoints and CIDR classes → the typed arrays of compiler/tables.ts. */
export function assembleTables(input: AssembleInput): CompiledTables {
  const { cluster, semantics, endpoints, cidrs, tables, endpointTable, numbering } = input;
  const addresses = input.addresses ?? DIRECT_ADDRESSES;
  const endpointCount = endpoints.pods.length;
  const identityCount = endpoints.identities.length;
  // Flatten tables.
  const portMapStart: number[] = [0];
  const portClassLow: number[] = [];
  const classEntryStart: number[] = [0];
  const namedEntryStart: number[] = [];
  const entryRule: number[] = [];
  const entryPeerKind: number[] = [];
  const entryPeerArg: number[] = [];
  const entryPortName: number[] = [];
  const entryPortProtocol: number[] = [];
  const portNames: string[] = [];
  const portNameId = new Map<string, number>();
  const internName = (name: string): number => {
    let id = portNameId.get(name);
    if (id === undefined) {
      id = portNames.length;
      portNames.push(name);
      portNameId.set(name, id);
    }
    return id;
  };
  const pushEntry = (entry: RuleEntry): void => {
    entryRule.push(numbering.rule(entry));
    entryPeerKind.push(entry.peerKind);
    entryPeerArg.push(numbering.peerArg(entry));
    entryPortName.push(entry.port.kind === 'named' ? internName(entry.port.name) : -1);
    entryPortProtocol.push(entry.port.kind === 'named' ? entry.port.protocol : 0);
  };
  // Plain (positional) entries first, then named entries, so each range is contiguous.
  for (const table of tables) {
    for (let slot = 0; slot < PROTO_SLOTS; slot++) {
      const map = table.portMaps[slot] as BuiltTable['portMaps'][number];
      map.lows.forEach((low, k) => {
        portClassLow.push(low);
        for (const entry of map.entries[k] ?? []) pushEntry(entry);
        classEntryStart.push(entryRule.length);
      });
      portMapStart.push(portClassLow.length);
    }
  }
  for (const table of tables) {
    namedEntryStart.push(entryRule.length);
    for (const entry of table.named) pushEntry(entry);
  }
  namedEntryStart.push(entryRule.length);
  const cross = { start: [0], rule: [] as number[], peerKind: [] as number[], peerArg: [] as number[], targets: [] as number[], slot: [] as number[], low: [] as number[], high: [] as number[], name: [] as number[] };
  for (const table of tables) {
    for (const { entry, targets } of table.cross) {
      const port = entry.port;
      cross.rule.push(numbering.rule(entry));
      cross.peerKind.push(entry.peerKind);
      cross.peerArg.push(numbering.peerArg(entry));
      cross.targets.push(numbering.selector(entry, targets));
      cross.slot.push(port.kind === 'any' ? CROSS_ANY_PORT : port.slot);
      cross.low.push(port.kind === 'range' ? port.low : 0);
      cross.high.push(port.kind === 'range' ? port.high : 0);
      cross.name.push(port.kind === 'named' ? internName(port.name) : -1);
    }
    cross.start.push(cross.rule.length);
  }

  // Endpoint columns.
  const endpointHostFamily = new Uint8Array(endpointCount);
  const endpointHostWords = new Uint32Array(endpointCount * 4);
  const namedPortStart: number[] = [0];
  const namedPortName: number[] = [];
  const namedPortProtocol: number[] = [];
  const namedPortNumber: number[] = [];
  endpoints.pods.forEach((pod, e) => {
    if (pod.hostIP) {
      endpointHostFamily[e] = pod.hostIP.family;
      endpointHostWords.set(addresses.words(pod.hostIP), e * 4);
    }
    for (const port of pod.containerPorts) {
      if (port.name === null || !portNameId.has(port.name)) continue;
      namedPortName.push(portNameId.get(port.name) as number);
      namedPortProtocol.push(POLICY_PROTOCOL_NUMBER[port.protocol]);
      namedPortNumber.push(port.containerPort);
    }
    namedPortStart.push(namedPortName.length);
  });

  // Address index: every endpoint address → endpoint and CIDR class; node addresses too when
  // ipBlock must not match them (endpoint -1, class -1).
  const endpointKeys = new Set(endpoints.pods.flatMap((pod) => pod.ips.map((ip) => addresses.key(ip))));
  const nodeAddresses = new Map<string, IpAddress>();
  if (!semantics.ipBlockMatchesNodeIps) {
    for (const pod of cluster.pods) {
      for (const ip of [...(pod.hostIP ? [pod.hostIP] : []), ...(pod.hostNetwork ? pod.ips : [])]) {
        const key = addresses.key(ip);
        if (!endpointKeys.has(key)) nodeAddresses.set(key, ip);
      }
    }
  }
  const addressCount = endpointKeys.size + nodeAddresses.size;
  const capacity = nextPowerOfTwo(addressCount * 2);
  const mask = capacity - 1;
  const addressRecords = new Int32Array(capacity * ADDRESS_RECORD_WORDS);
  const insertAddress = (ip: IpAddress, endpoint: number, cidrClass: number): void => {
    const w = addresses.words(ip);
    let slot = hashAddress(ip.family, w[0], w[1], w[2], w[3]) & mask;
    while (addressRecords[slot * ADDRESS_RECORD_WORDS] !== 0) slot = (slot + 1) & mask;
    const at = slot * ADDRESS_RECORD_WORDS;
    addressRecords[at + ADDRESS_RECORD.FAMILY] = ip.family;
    for (let i = 0; i < 4; i++) addressRecords[at + ADDRESS_RECORD.WORDS + i] = w[i] as number;
    addressRecords[at + ADDRESS_RECORD.ENDPOINT] = endpoint;
    addressRecords[at + ADDRESS_RECORD.CIDR_CLASS] = cidrClass;
  };
  endpoints.pods.forEach((pod, e) => {
    // Profiles where ipBlock cannot name pods (Cilium) give pod addresses no CIDR class.
    for (const ip of pod.ips) insertAddress(ip, e, semantics.ipBlockMatchesPodIps ? addresses.classOf(ip, cidrs) : -1);
  });
  for (const ip of nodeAddresses.values()) insertAddress(ip, -1, -1);

  const v6Bounds = new Uint32Array(cidrs.v6Starts.length * 4);
  cidrs.v6Starts.forEach((start, i) => v6Bounds.set(addressWords({ family: 6, value: start }), i * 4));
  const cidrSets = flattenBitsets(cidrs.sets, cidrs.classCount);
  const selectorSets = flattenBitsets(input.selectorSets, identityCount);

  return {
    enforced: semantics.enforce,
    localNodeIngressExempt: semantics.localNodeToPodAllowed,
    localNodeEgressExempt: !semantics.podToLocalNodeEgressPoliced,
    identities: endpoints.identities,
    endpointCount,
    endpointPods: endpoints.pods,
    endpointIdentity: endpoints.identityOf,
    endpointIngressTable: endpointTable.ingress,
    endpointEgressTable: endpointTable.egress,
    endpointHostFamily,
    endpointHostWords,
    endpointNamedPortStart: Int32Array.from(namedPortStart),
    namedPortName: Int32Array.from(namedPortName),
    namedPortProtocol: Uint8Array.from(namedPortProtocol),
    namedPortNumber: Uint16Array.from(namedPortNumber),
    portNames,
    addressMask: mask,
    addressRecords,
    v4Bounds: Uint32Array.from(cidrs.v4Starts, (b) => Number(b)),
    v6Bounds,
    cidrSetWords: cidrSets.words,
    cidrSetBits: cidrSets.bits,
    selectorWords: selectorSets.words,
    selectorBits: selectorSets.bits,
    tableCount: tables.length,
    tables: input.tableInfos,
    portMapStart: Int32Array.from(portMapStart),
    portClassLow: Int32Array.from(portClassLow),
    classEntryStart: Int32Array.from(classEntryStart),
    namedEntryStart: Int32Array.from(namedEntryStart),
    crossEntryStart: Int32Array.from(cross.start),
    crossRule: Int32Array.from(cross.rule),
    crossPeerKind: Uint8Array.from(cross.peerKind),
    crossPeerArg: Int32Array.from(cross.peerArg),
    crossTargets: Int32Array.from(cross.targets),
    crossPortSlot: Uint8Array.from(cross.slot),
    crossPortLow: Uint16Array.from(cross.low),
    crossPortHigh: Uint16Array.from(cross.high),
    crossPortName: Int32Array.from(cross.name),
    entryRule: Int32Array.from(entryRule),
    entryPeerKind: Uint8Array.from(entryPeerKind),
    entryPeerArg: Int32Array.from(entryPeerArg),
    entryPortName: Int32Array.from(entryPortName),
    entryPortProtocol: Uint8Array.from(entryPortProtocol),
    rules: input.rules,
    ruleMatches: input.ruleMatches,
    selectorSources: input.selectorSources,
    cidrSetSources: cidrs.sources,
  };
}
