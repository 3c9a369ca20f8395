/**
 * Phase 4: per (pod, direction) tables. Pods selected by the same policies share a table (the
 * same identity always does); an ingress table also depends on the pod's own named ports, which
 * resolve on the destination pod (SEMANTICS.md §1.3), so those are part of its key. Each table
 * splits every protocol's port space into classes cut at rule boundaries; a class lists the
 * entries that can match there, in rule order.
 */
import type { ContainerPort, Pod } from './model.js';
import { POLICY_PROTOCOL_NUMBER } from './model.js';
import type { LoweredPolicy, RuleEntry } from './lower-rules.js';
import { PROTO_SLOT, PROTO_SLOTS, type TableInfo } from './tables.js';

export interface BuiltTable {
  readonly info: TableInfo;
  /** Per protocol slot: class low ports and each class's entries. */
  readonly portMaps: readonly { readonly lows: readonly number[]; readonly entries: readonly (readonly RuleEntry[])[] }[];
  /** Egress only: entries whose port is a name, resolved per destination at lookup time. */
  readonly named: readonly RuleEntry[];
  /**
   * bothTypesRules=both-directions: the other direction's entries of each policy with both types,
   * in rule order, consulted when no entry above matched. Such an entry is the rule as its own
   * direction reads it: its peer is this table's pod (the source of an ingress rule, the
   * destination of an egress rule), the remote end must be among `targets` (a selector id: the
   * policy's pods), and a named port resolves on the destination pod at lookup time.
   */
  readonly cross: readonly CrossEntry[];
}

export interface CrossEntry {
  readonly entry: RuleEntry;
  readonly targets: number;
}

interface Range {
  readonly low: number;
  readonly high: number;
}

/** The port ranges an entry covers in one protocol slot; an empty list means it never matches there. */
function rangesInSlot(entry: RuleEntry, slot: number, subject: Pod | null): Range[] {
  const port = entry.port;
  if (port.kind === 'any') return [{ low: 0, high: 65535 }];
  if (port.slot !== slot) return [];
  if (port.kind === 'range') return [{ low: port.low, high: port.high }];
  // Ingress named port: resolved on the subject pod, which is the destination.
  if (subject === null) return [];
  return subject.containerPorts
    .filter((c: ContainerPort) => c.name === port.name && POLICY_PROTOCOL_NUMBER[c.protocol] === port.protocol)
    .map((c) => ({ low: c.containerPort, high: c.containerPort }));
}

function buildPortMap(entries: readonly RuleEntry[], slot: number, subject: Pod | null): BuiltTable['portMaps'][number] {
  const covered = entries.map((entry) => ({ entry, ranges: rangesInSlot(entry, slot, subject) })).filter((c) => c.ranges.length > 0);
  const cuts = new Set<number>([0]);
  for (const { ranges } of covered) {
    for (const range of ranges) {
      cuts.add(range.low);
      if (range.high < 65535) cuts.add(range.high + 1);
    }
  }
  const lows = [...cuts].sort((a, b) => a - b);
  const classEntries = lows.map((low) => covered.filter(({ ranges }) => ranges.some((r) => low >= r.low && low <= r.high)).map(({ entry }) => entry));
  return { lows, entries: classEntries };
}

/** What a table needs of a policy (a LoweredPolicy, or a cluster-scoped policy named `Kind/name`). */
export type TableSourcePolicy = Pick<LoweredPolicy, 'ingress' | 'egress'> & { readonly policy: { readonly namespace: string; readonly name: string }; readonly podsSelector?: number };

export function buildTable(direction: 'ingress' | 'egress', policies: readonly TableSourcePolicy[], subject: Pod | null, endpoints: number[]): BuiltTable {
  const all = policies.flatMap((p) => (direction === 'ingress' ? p.ingress : p.egress));
  const positional = direction === 'egress' ? all.filter((e) => e.port.kind !== 'named') : all;
  const named = direction === 'egress' ? all.filter((e) => e.port.kind === 'named') : [];
  const portMaps: BuiltTable['portMaps'][number][] = [];
  for (let slot = 0; slot < PROTO_SLOTS; slot++) {
    if (slot === PROTO_SLOT.OTHER) {
      // Protocols without ports (ICMP...) match only rules without `ports`.
      portMaps.push({ lows: [0], entries: [positional.filter((e) => e.port.kind === 'any')] });
    } else {
      portMaps.push(buildPortMap(positional, slot, subject));
    }
  }
  const cross = policies.flatMap((p) => {
    const targets = p.podsSelector ?? -1;
    return targets < 0 ? [] : (direction === 'ingress' ? p.egress : p.ingress).map((entry) => ({ entry, targets }));
  });
  return {
    info: { direction, policies: policies.map((p) => `${p.policy.namespace}/${p.policy.name}`), endpoints },
    portMaps,
    named,
    cross,
  };
}

/** Signature of a pod's named container ports, part of an ingress table's key when its rules use names. */
export function namedPortSignature(pod: Pod): string {
  return pod.containerPorts
    .filter((c) => c.name !== null)
    .map((c) => `${c.name}/${c.protocol}/${c.containerPort}`)
    .sort()
    .join(',');
}

/**
 * Tables shared by every endpoint whose (direction, selecting policies, named-port signature) key
 * is the same: `assign` finds the endpoint's table by key or builds it once. Used by the
 * NetworkPolicy compile and by each admin tier (lower-admin-policies.ts).
 */
export class SharedTables {
  readonly tables: BuiltTable[] = [];
  readonly endpointTable: { readonly ingress: Int32Array; readonly egress: Int32Array };
  private readonly byKey = new Map<string, number>();
  private readonly endpointLists: number[][] = [];

  constructor(endpointCount: number) {
    this.endpointTable = { ingress: new Int32Array(endpointCount).fill(-1), egress: new Int32Array(endpointCount).fill(-1) };
  }

  assign(direction: 'ingress' | 'egress', endpoint: number, key: string, policies: readonly TableSourcePolicy[], subject: Pod): void {
    let table = this.byKey.get(key);
    if (table === undefined) {
      table = this.tables.length;
      this.byKey.set(key, table);
      const list: number[] = [];
      this.endpointLists.push(list);
      this.tables.push(buildTable(direction, policies, direction === 'ingress' ? subject : null, list));
    }
    this.endpointLists[table]?.push(endpoint);
    this.endpointTable[direction][endpoint] = table;
  }
}
