/**
 * fast-check generators of cluster-scoped policies (AdminNetworkPolicy, the `default`
 * BaselineAdminNetworkPolicy, ClusterNetworkPolicy) and Nodes as raw manifests, added to the
 * random clusters of random-cluster.ts. Priorities come from a small pool so equal priorities
 * (and their tie-break) occur; every peer kind and port form appears, including fail-closed
 * peers and domainNames; shapes the API rejects (named ports with networks, domainNames in a
 * Deny rule) are repaired rather than generated.
 */
import fc from 'fast-check';
import type { JsonObject } from '../../src/load/object-reader.js';
import type { RawObject } from '../../src/load/read-manifests.js';
import { NAMESPACES, NS_LABELS, POD_LABELS, clusterArb, labelsArb, type RandomCluster } from './random-cluster.js';

const NODE_LABELS: Record<string, string[]> = { zone: ['a', 'b'], role: ['worker', 'cp'] };
/** Node addresses: node-0 and node-1 are the pods' hosts (random-cluster.ts NODES, NODES_V6). */
const NODE_ADDRESSES = [['172.16.0.1', 'fd00:ffff::1'], ['172.16.0.2'], ['172.16.0.9']];
const NETWORKS = ['10.0.0.0/30', '10.0.0.0/24', '0.0.0.0/0', '10.0.0.4/32', '172.16.0.0/24', '8.8.8.0/24', 'fd00::/64', '::/0', 'fd00::2/127'];
const PORT_NAMES = ['http', 'dns', 'sig', 'metrics', 'nope'];

const selectorArb = (pool: Record<string, string[]>): fc.Arbitrary<JsonObject> =>
  fc.oneof(
    { arbitrary: fc.constant({}), weight: 2 },
    { arbitrary: fc.record({ matchLabels: labelsArb(pool).map((l) => Object.fromEntries(Object.entries(l).slice(0, 1))) }), weight: 3 },
    {
      arbitrary: fc.constantFrom(...Object.keys(pool)).chain((key) =>
        fc.record({ matchExpressions: fc.constant([{ key, operator: 'In', values: [(pool[key] as string[])[0] as string] }]) }),
      ),
      weight: 1,
    },
  ) as fc.Arbitrary<JsonObject>;

const namespacesArb: fc.Arbitrary<JsonObject> = fc.oneof(
  selectorArb(NS_LABELS),
  fc.constantFrom(...NAMESPACES).map((n) => ({ matchLabels: { 'kubernetes.io/metadata.name': n } })),
);
// The CRD requires both selectors of a pods peer or subject (SEMANTICS.md §5.1).
const podsArb: fc.Arbitrary<JsonObject> = fc.record({ namespaceSelector: namespacesArb, podSelector: selectorArb(POD_LABELS) }) as fc.Arbitrary<JsonObject>;

type PeerShape = { kind: 'namespaces' | 'pods' | 'nodes' | 'networks' | 'domainNames' | 'unknown'; value: JsonObject };

const peerArb = (direction: 'ingress' | 'egress'): fc.Arbitrary<PeerShape> => {
  const common: fc.Arbitrary<PeerShape>[] = [
    namespacesArb.map((value) => ({ kind: 'namespaces' as const, value: { namespaces: value } })),
    podsArb.map((value) => ({ kind: 'pods' as const, value: { pods: value } })),
    podsArb.map((value) => ({ kind: 'pods' as const, value: { pods: value } })),
  ];
  const unknown = fc.constantFrom<PeerShape>({ kind: 'unknown', value: {} }, { kind: 'unknown', value: { services: { name: 'x' } } });
  if (direction === 'ingress') return fc.oneof(...common, ...common, ...common, unknown);
  return fc.oneof(
    ...common,
    ...common,
    ...common,
    selectorArb(NODE_LABELS).map((value) => ({ kind: 'nodes' as const, value: { nodes: value } })),
    fc.subarray(NETWORKS, { minLength: 1, maxLength: 3 }).map((value) => ({ kind: 'networks' as const, value: { networks: value } })),
    fc.subarray(NETWORKS, { minLength: 1, maxLength: 3 }).map((value) => ({ kind: 'networks' as const, value: { networks: value } })),
    fc.constant<PeerShape>({ kind: 'domainNames', value: { domainNames: ['*.example.com'] } }),
    unknown,
  );
};

type PortShape = { named: boolean; v1: JsonObject; v2: JsonObject };

const portArb: fc.Arbitrary<PortShape> = fc.oneof(
  fc.record({ protocol: fc.constantFrom('TCP', 'UDP', 'SCTP', undefined), port: fc.constantFrom(53, 80, 81, 8080, 9000, 9090) }).map(({ protocol, port }): PortShape => ({
    named: false,
    v1: { portNumber: protocol ? { protocol, port } : { port } },
    v2: { [(protocol ?? 'TCP').toLowerCase()]: { destinationPort: { number: port } } },
  })),
  fc.record({ protocol: fc.constantFrom('TCP', 'UDP', 'SCTP'), start: fc.constantFrom(53, 80, 8000), width: fc.constantFrom(1, 10, 1100) }).map(({ protocol, start, width }) => ({
    named: false,
    v1: { portRange: { protocol, start, end: start + width } },
    v2: { [protocol.toLowerCase()]: { destinationPort: { range: { start, end: start + width } } } },
  })),
  fc.constantFrom(...PORT_NAMES).map((name) => ({ named: true, v1: { namedPort: name }, v2: { destinationNamedPort: name } })),
);

const ruleArb = (direction: 'ingress' | 'egress', actions: readonly string[], v2: boolean): fc.Arbitrary<JsonObject> =>
  fc
    .record({
      name: fc.constantFrom(undefined, 'r'),
      action: fc.constantFrom(...actions),
      peers: fc.array(peerArb(direction), { minLength: 1, maxLength: 3 }),
      ports: fc.option(fc.array(portArb, { minLength: 1, maxLength: 3 }), { nil: undefined }),
    })
    .map(({ name, action, peers, ports }) => {
      // domainNames only in Allow/Accept rules; named ports only with pod peers (CEL rules).
      let fixed = peers.map((p) => (p.kind === 'domainNames' && action !== 'Allow' && action !== 'Accept' ? { kind: 'namespaces' as const, value: { namespaces: {} } } : p));
      const hasNamed = (ports ?? []).some((p) => p.named);
      if (hasNamed) fixed = fixed.filter((p) => p.kind !== 'networks' && p.kind !== 'nodes' && p.kind !== 'domainNames');
      if (fixed.length === 0) fixed = [{ kind: 'namespaces', value: { namespaces: {} } }];
      const rule: JsonObject = { action, [direction === 'ingress' ? 'from' : 'to']: fixed.map((p) => p.value) };
      if (name) rule['name'] = name;
      if (ports) rule[v2 ? 'protocols' : 'ports'] = ports.map((p) => (v2 ? p.v2 : p.v1));
      return rule;
    });

const subjectArb: fc.Arbitrary<JsonObject> = fc.oneof(
  namespacesArb.map((namespaces) => ({ namespaces })),
  podsArb.map((pods) => ({ pods })),
);

const anpArb = (i: number): fc.Arbitrary<JsonObject> =>
  fc
    .record({
      priority: fc.constantFrom(1, 2, 2, 5, 10),
      subject: subjectArb,
      ingress: fc.array(ruleArb('ingress', ['Allow', 'Allow', 'Deny', 'Pass'], false), { maxLength: 3 }),
      egress: fc.array(ruleArb('egress', ['Allow', 'Allow', 'Deny', 'Pass'], false), { maxLength: 3 }),
    })
    .map((spec) => ({ apiVersion: 'policy.networking.k8s.io/v1alpha1', kind: 'AdminNetworkPolicy', metadata: { name: `anp-${i}` }, spec: spec as JsonObject }));

const banpArb: fc.Arbitrary<JsonObject> = fc
  .record({
    subject: subjectArb,
    ingress: fc.array(ruleArb('ingress', ['Allow', 'Allow', 'Deny'], false), { maxLength: 3 }),
    egress: fc.array(ruleArb('egress', ['Allow', 'Allow', 'Deny'], false), { maxLength: 3 }),
  })
  .map((spec) => ({ apiVersion: 'policy.networking.k8s.io/v1alpha1', kind: 'BaselineAdminNetworkPolicy', metadata: { name: 'default' }, spec: spec as JsonObject }));

const cnpArb = (i: number): fc.Arbitrary<JsonObject> =>
  fc
    .record({
      tier: fc.constantFrom('Admin', 'Baseline'),
      priority: fc.constantFrom(1, 2, 5),
      subject: subjectArb,
      ingress: fc.array(ruleArb('ingress', ['Accept', 'Accept', 'Deny', 'Pass'], true), { maxLength: 3 }),
      egress: fc.array(ruleArb('egress', ['Accept', 'Accept', 'Deny', 'Pass'], true), { maxLength: 3 }),
    })
    .map((spec) => ({ apiVersion: 'policy.networking.k8s.io/v1alpha2', kind: 'ClusterNetworkPolicy', metadata: { name: `cnp-${i}` }, spec: spec as JsonObject }));

const nodesArb: fc.Arbitrary<JsonObject[]> = fc.tuple(...NODE_ADDRESSES.map(() => labelsArb(NODE_LABELS))).map((labels) =>
  labels.map((l, i) => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: `node-${i}`, labels: l },
    status: { addresses: [...(NODE_ADDRESSES[i] as string[]).map((address) => ({ type: 'InternalIP', address })), { type: 'Hostname', address: `node-${i}` }] },
  })),
);

export const adminClusterArb: fc.Arbitrary<RandomCluster> = fc
  .record({
    base: clusterArb,
    nodes: nodesArb,
    anps: fc.integer({ min: 0, max: 4 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => anpArb(i)))),
    banp: fc.option(banpArb, { nil: undefined }),
    cnps: fc.integer({ min: 0, max: 2 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => cnpArb(i)))),
  })
  .map(({ base, nodes, anps, banp, cnps }) => {
    const extra: JsonObject[] = [...nodes, ...anps, ...(banp ? [banp] : []), ...cnps];
    let doc = base.objects.length + 1;
    const objects: RawObject[] = [...base.objects, ...extra.map((object) => ({ origin: { source: 'random-admin.yaml', document: doc++, itemPath: '' }, object }))];
    return { objects, addresses: { 4: { pods: base.addresses[4].pods, others: [...base.addresses[4].others] }, 6: base.addresses[6] } };
  });
