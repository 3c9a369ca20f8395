/**
 * Least-privilege NetworkPolicies from observed connections (`advise`): one policy per workload
 * (group-workloads.ts) that took part in the capture, isolating it in each direction it was
 * seen in, with one rule per peer it really talked to, on the ports it used. Peers are workloads
 * (pod selector, plus the namespace's `kubernetes.io/metadata.name` when it is another
 * namespace) or, for addresses that are not pods, a /32 (/128) ipBlock. A port is written by
 * name when the destination pod names that container port. Only connections that worked are
 * allowed (classify-answer.ts); the refused ones (a RST, an ICMP destination unreachable, no
 * answer) get no rule and are listed as refused in the comments of the policies of both ends.
 * NetworkPolicy cannot name ICMP: a peer
 * reached by ICMP (or another portless protocol) gets a rule without ports, said in its comment.
 * Under a CNI profile (`--cni`), a connection the profile lets through without a rule, or that no
 * NetworkPolicy can allow there, gets a note instead of a rule (judge-profile-reach.ts).
 */
import type { LabelSelector, Pod } from '../../compiler/model.js';
import type { Connection } from './observe-connections.js';
import { groupWorkloads, nameSafe, type Workload } from './group-workloads.js';
import type { ProfileReach, Reach } from './judge-profile-reach.js';

/** Connections listed in a rule's comment before "... and N more". */
const COMMENT_CONNECTIONS = 4;
/** Refused connections listed in a policy's comment before "... and N more". */
const COMMENT_REFUSED = 8;

export interface AdvisedRule {
  /** The rule as it goes into `spec.ingress[]` / `spec.egress[]`. */
  readonly rule: Record<string, unknown>;
  /** Which connections it is for (comment lines). */
  readonly comments: readonly string[];
}

export interface AdvisedPolicy {
  readonly namespace: string;
  readonly name: string;
  /** The workload it is for (or null: a namespace's default deny). */
  readonly workload: string | null;
  readonly podSelector: LabelSelector;
  readonly policyTypes: readonly ('Ingress' | 'Egress')[];
  readonly ingress: readonly AdvisedRule[];
  readonly egress: readonly AdvisedRule[];
  readonly comments: readonly string[];
  /** Connections of the workload that got a note instead of a rule (judge-profile-reach.ts). */
  readonly notes: readonly AdvisedNote[];
}

export interface AdvisedNote {
  /** `exempt`: the profile allows it without a rule; `beyond`: no NetworkPolicy can allow it under the profile. */
  readonly kind: 'exempt' | 'beyond';
  /** `ns/pod -> address TCP/8080` (connections that differ only in the source port are one note). */
  readonly connection: string;
  readonly note: string;
}

/** The advice, and the connections that worked but that no advised policy can allow under the profile (key → why). */
export interface Advice {
  readonly policies: AdvisedPolicy[];
  readonly beyond: ReadonlyMap<string, string>;
}

export interface AdviseOptions {
  /** Add a `default-deny` policy (every pod, both directions) per namespace that gets advice. */
  readonly defaultDeny?: boolean;
  /** What rules can match under the chosen CNI profile; without it, every connection gets a rule. */
  readonly reach?: ProfileReach;
}

function selectorJson(selector: LabelSelector): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (Object.keys(selector.matchLabels).length > 0) out['matchLabels'] = { ...selector.matchLabels };
  if (selector.matchExpressions.length > 0) out['matchExpressions'] = selector.matchExpressions.map((r) => ({ key: r.key, operator: r.operator }));
  return out;
}

interface PeerUse {
  readonly peer: Record<string, unknown>;
  readonly label: string;
  /** `TCP/http`, `UDP/53`; `*` when a portless protocol (ICMP) was used. */
  readonly ports: Set<string>;
  readonly connections: string[];
  count: number;
}

function portOf(dstPod: Pod | null, protocol: number, protocolName: string, port: number): string {
  if (protocol !== 6 && protocol !== 17 && protocol !== 132) return '*';
  const named = dstPod?.containerPorts.find((c) => c.containerPort === port && c.protocol === protocolName && c.name !== null);
  return `${protocolName}/${named?.name ?? port}`;
}

function portsJson(ports: Set<string>): Record<string, unknown>[] | null {
  if (ports.has('*')) return null;
  return [...ports].sort(comparePorts).map((p) => {
    const [protocol, port] = p.split('/') as [string, string];
    return { protocol, port: /^\d+$/.test(port) ? Number(port) : port };
  });
}

function comparePorts(a: string, b: string): number {
  const [pa, na] = a.split('/') as [string, string];
  const [pb, nb] = b.split('/') as [string, string];
  if (pa !== pb) return pa < pb ? -1 : 1;
  const da = /^\d+$/.test(na);
  const db = /^\d+$/.test(nb);
  if (da && db) return Number(na) - Number(nb);
  if (da !== db) return da ? -1 : 1;
  return na < nb ? -1 : na > nb ? 1 : 0;
}

function hostCidr(address: string): string {
  return address.includes(':') ? `${address}/128` : `${address}/32`;
}

function describeEnd(pod: Pod | null, address: string): string {
  return pod ? `${pod.namespace}/${pod.name}` : address;
}

function listComments(title: string, list: readonly string[]): string[] {
  if (list.length === 0) return [];
  const shown = list.slice(0, COMMENT_REFUSED);
  return [
    `${title} (${list.length}):`,
    ...shown.map((t) => `  ${t}`),
    ...(list.length > shown.length ? [`  ... and ${list.length - shown.length} more`] : []),
  ];
}

/** Policies for the connections that worked (and isolation for every workload seen). */
export function advisePolicies(pods: readonly Pod[], connections: readonly Connection[], options: AdviseOptions = {}): AdvisedPolicy[] {
  return adviseConnections(pods, connections, options).policies;
}

/** The policies, and which connections that worked no NetworkPolicy can allow under the profile. */
export function adviseConnections(pods: readonly Pod[], connections: readonly Connection[], options: AdviseOptions = {}): Advice {
  const workloads = groupWorkloads(pods);
  const workloadOf = new Map<Pod, Workload>();
  for (const w of workloads) for (const p of w.pods) workloadOf.set(p, w);
  const seen = new Map<Workload, { ingress: boolean; egress: boolean }>();
  const rules = new Map<Workload, { ingress: Map<string, PeerUse>; egress: Map<string, PeerUse> }>();
  const refused = new Map<Workload, string[]>();
  const notes = new Map<Workload, AdvisedNote[]>();
  const beyond = new Map<string, string>();
  const addNote = (w: Workload, reach: Exclude<Reach, { kind: 'rule' }>, c: Connection, port: string): void => {
    if (reach.kind === 'beyond' && !beyond.has(c.key)) beyond.set(c.key, reach.note);
    const list = notes.get(w) ?? [];
    notes.set(w, list);
    const connection = `${describeEnd(c.srcPod, c.src)} -> ${describeEnd(c.dstPod, c.dst)} ${port === '*' ? c.protocolName : port}`;
    if (!list.some((n) => n.connection === connection && n.note === reach.note)) list.push({ kind: reach.kind, connection, note: reach.note });
  };
  const judge = (c: Connection, direction: 'ingress' | 'egress', peerIsWorkload: boolean, port: string): Reach => options.reach?.judge(c, direction, peerIsWorkload, port) ?? { kind: 'rule', port };
  const addRefused = (w: Workload, text: string): void => {
    const list = refused.get(w) ?? [];
    refused.set(w, list);
    if (!list.includes(text)) list.push(text);
  };
  const mark = (w: Workload, direction: 'ingress' | 'egress'): void => {
    const s = seen.get(w) ?? { ingress: false, egress: false };
    s[direction] = true;
    seen.set(w, s);
  };
  const peerFor = (pod: Pod | null, address: string, policyNamespace: string): { key: string; peer: Record<string, unknown>; label: string } => {
    const w = pod ? workloadOf.get(pod) : undefined;
    if (w === undefined) return { key: `ip ${address}`, peer: { ipBlock: { cidr: hostCidr(address) } }, label: address };
    const podSelector = selectorJson(w.selector);
    if (w.namespace === policyNamespace) return { key: `w ${w.namespace}/${w.name}`, peer: { podSelector }, label: `${w.namespace}/${w.name}` };
    return {
      key: `w ${w.namespace}/${w.name}`,
      peer: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': w.namespace } }, podSelector },
      label: `${w.namespace}/${w.name}`,
    };
  };
  const addUse = (w: Workload, direction: 'ingress' | 'egress', peer: { key: string; peer: Record<string, unknown>; label: string }, port: string, c: Connection): void => {
    const byDirection = rules.get(w) ?? { ingress: new Map(), egress: new Map() };
    rules.set(w, byDirection);
    const map = byDirection[direction];
    const use = map.get(peer.key) ?? { peer: peer.peer, label: peer.label, ports: new Set<string>(), connections: [], count: 0 };
    map.set(peer.key, use);
    use.ports.add(port);
    use.count++;
    const text = `${describeEnd(c.srcPod, c.src)} -> ${describeEnd(c.dstPod, c.dst)} ${port === '*' ? c.protocolName : port}`;
    if (!use.connections.includes(text)) use.connections.push(text);
  };

  for (const c of connections) {
    if (c.srcPod !== null && c.srcPod === c.dstPod) continue; // a pod to itself is never policed
    const src = c.srcPod ? workloadOf.get(c.srcPod) : undefined;
    const dst = c.dstPod ? workloadOf.get(c.dstPod) : undefined;
    if (src) mark(src, 'egress');
    if (dst) mark(dst, 'ingress');
    const port = portOf(c.dstPod, c.protocol, c.protocolName, c.dport);
    if (!c.worked) {
      const text = `${describeEnd(c.srcPod, c.src)} -> ${describeEnd(c.dstPod, c.dst)} ${port === '*' ? c.protocolName : port}: ${c.why}`;
      if (src) addRefused(src, text);
      if (dst && dst !== src) addRefused(dst, text);
      continue;
    }
    if (src) {
      const reach = judge(c, 'egress', dst !== undefined, port);
      if (reach.kind === 'rule') addUse(src, 'egress', peerFor(c.dstPod, c.dst, src.namespace), reach.port, c);
      else addNote(src, reach, c, port);
    }
    if (dst) {
      const reach = judge(c, 'ingress', src !== undefined, port);
      if (reach.kind === 'rule') addUse(dst, 'ingress', peerFor(c.srcPod, c.src, dst.namespace), reach.port, c);
      else addNote(dst, reach, c, port);
    }
  }

  const policies: AdvisedPolicy[] = [];
  const namespaces = new Set<string>();
  for (const w of workloads) {
    const s = seen.get(w);
    if (s === undefined) continue;
    namespaces.add(w.namespace);
    const byDirection = rules.get(w);
    const render = (direction: 'ingress' | 'egress'): AdvisedRule[] => {
      const map = byDirection?.[direction];
      if (!map) return [];
      return [...map.keys()].sort().map((key) => {
        const use = map.get(key) as PeerUse;
        const ports = portsJson(use.ports);
        const rule: Record<string, unknown> = { [direction === 'ingress' ? 'from' : 'to']: [use.peer] };
        if (ports !== null) rule['ports'] = ports;
        const shown = use.connections.slice(0, COMMENT_CONNECTIONS);
        const comments = [
          `${direction === 'ingress' ? 'from' : 'to'} ${use.label}: ${use.count} connection${use.count === 1 ? '' : 's'}`,
          ...shown.map((t) => `  ${t}`),
          ...(use.connections.length > shown.length ? [`  ... and ${use.connections.length - shown.length} more`] : []),
          ...(ports === null ? ['  NetworkPolicy cannot name ICMP: this rule allows every protocol and port of this peer'] : []),
        ];
        return { rule, comments };
      });
    };
    const ingress = render('ingress');
    const egress = render('egress');
    const policyTypes = [...(s.ingress ? (['Ingress'] as const) : []), ...(s.egress ? (['Egress'] as const) : [])];
    const workloadNotes = notes.get(w) ?? [];
    const noteLines = (kind: AdvisedNote['kind']): string[] => workloadNotes.filter((n) => n.kind === kind).map((n) => `${n.connection}: ${n.note}`);
    policies.push({
      namespace: w.namespace,
      name: `advised-${w.name}`,
      workload: `${w.namespace}/${w.name}`,
      podSelector: w.selector,
      policyTypes,
      ingress,
      egress,
      comments: [
        `workload ${w.namespace}/${w.name}: ${w.pods.length} pod${w.pods.length === 1 ? '' : 's'} (${w.pods.map((p) => p.name).join(', ')})`,
        `isolated for ${policyTypes.map((t) => t.toLowerCase()).join(' and ')}: only the connections the capture showed working are allowed`,
        ...listComments('refused, not allowed', refused.get(w) ?? []),
        ...listComments('worked, allowed by the CNI profile without a rule', noteLines('exempt')),
        ...listComments('worked, but no NetworkPolicy can allow it under the CNI profile', noteLines('beyond')),
      ],
      notes: workloadNotes,
    });
  }
  if (options.defaultDeny) {
    for (const namespace of [...namespaces].sort()) {
      policies.push({
        namespace,
        name: 'advised-default-deny',
        workload: null,
        podSelector: { matchLabels: {}, matchExpressions: [] },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [],
        egress: [],
        comments: [`every pod of ${namespace} isolated both ways: what no advised rule allows is denied`],
        notes: [],
      });
    }
  }
  policies.sort((a, b) => (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { policies, beyond };
}

/** The manifest of an advised policy (what the YAML says, without the comments). */
export function policyObject(p: AdvisedPolicy): Record<string, unknown> {
  const spec: Record<string, unknown> = { podSelector: selectorJson(p.podSelector), policyTypes: [...p.policyTypes] };
  if (p.policyTypes.includes('Ingress')) spec['ingress'] = p.ingress.map((r) => r.rule);
  if (p.policyTypes.includes('Egress')) spec['egress'] = p.egress.map((r) => r.rule);
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: p.name, namespace: p.namespace, labels: { 'app.kubernetes.io/managed-by': 'netpol-emu-advise' } }, spec };
}

const PLAIN_KEY = /^[A-Za-z][A-Za-z0-9]*$/;

/** Block YAML of a JSON value; every scalar JSON-quoted (valid YAML), keys plain when they can be. */
function yamlLines(value: unknown, indent: string): string[] {
  if (Array.isArray(value)) {
    if (value.length === 0) return [`${indent}[]`];
    return value.flatMap((item) => {
      if (item === null || typeof item !== 'object' || (Array.isArray(item) ? item.length === 0 : Object.keys(item).length === 0)) return [`${indent}- ${scalar(item)}`];
      const lines = yamlLines(item, `${indent}  `);
      lines[0] = `${indent}- ${(lines[0] as string).slice(indent.length + 2)}`;
      return lines;
    });
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return [`${indent}{}`];
    return entries.flatMap(([key, v]) => {
      const k = PLAIN_KEY.test(key) ? key : JSON.stringify(key);
      if (v === null || typeof v !== 'object' || (Array.isArray(v) ? v.length === 0 : Object.keys(v).length === 0)) return [`${indent}${k}: ${scalar(v)}`];
      return [`${indent}${k}:`, ...yamlLines(v, `${indent}  `)];
    });
  }
  return [`${indent}${scalar(value)}`];
}

function scalar(v: unknown): string {
  if (Array.isArray(v)) return '[]';
  if (v !== null && typeof v === 'object') return '{}';
  return JSON.stringify(v);
}

function commentLines(comments: readonly string[], indent: string): string[] {
  return comments.map((c) => `${indent}# ${c}`);
}

/** One YAML file per namespace: the namespace's advised policies, each rule with its comment. */
export function renderAdvisedYaml(policies: readonly AdvisedPolicy[], header: readonly string[]): Map<string, string> {
  const files = new Map<string, string[]>();
  for (const p of policies) {
    const lines = files.get(p.namespace) ?? [...commentLines(header, ''), ...commentLines([`namespace ${p.namespace}`], '')];
    files.set(p.namespace, lines);
    const object = policyObject(p);
    const spec = object['spec'] as Record<string, unknown>;
    lines.push('---', ...commentLines(p.comments, ''));
    lines.push(...yamlLines({ apiVersion: object['apiVersion'], kind: object['kind'], metadata: object['metadata'] }, ''));
    lines.push('spec:', ...yamlLines({ podSelector: spec['podSelector'], policyTypes: spec['policyTypes'] }, '  '));
    for (const direction of ['ingress', 'egress'] as const) {
      if (!p.policyTypes.includes(direction === 'ingress' ? 'Ingress' : 'Egress')) continue;
      const rules = direction === 'ingress' ? p.ingress : p.egress;
      if (rules.length === 0) {
        lines.push(`  ${direction}: []  # nothing ${direction === 'ingress' ? 'came in' : 'went out'} that worked: all ${direction} denied`);
        continue;
      }
      lines.push(`  ${direction}:`);
      for (const r of rules) lines.push(...commentLines(r.comments, '    '), ...yamlLines([r.rule], '    '));
    }
  }
  return new Map([...files.entries()].map(([ns, lines]) => [ns, `${lines.join('\n')}\n`]));
}

/** The file name of a namespace's advice. */
export function adviceFileName(namespace: string): string {
  return `${nameSafe(namespace)}.yaml`;
}
