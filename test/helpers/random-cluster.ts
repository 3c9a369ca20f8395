/**
 * fast-check generators of random clusters as raw manifests (so the loader's defaulting runs
 * too) and of random flows over their addresses. Pools are small on purpose: selectors,
 * CIDRs, ports and names collide often, which is where engines disagree if they ever do.
 */
import fc from 'fast-check';
import type { JsonObject } from '../../src/load/object-reader.js';
import type { RawObject } from '../../src/load/read-manifests.js';
import { UPSTREAM_SEMANTICS, policySemantics, type PolicySemantics } from '../../compiler/policy-semantics.js';
import { resolveProfile } from '../../compiler/cni-profiles.js';
import type { Cluster } from '../../compiler/model.js';
import { buildCluster } from '../../src/load/build-cluster.js';
import { formatDiagnostic, type Diagnostic } from '../../src/diagnostics.js';
import { parseIp } from '../../src/load/parse-ip.js';
import type { Flow } from '../../src/naive/naive-evaluator.js';

export const NAMESPACES = ['alpha', 'beta', 'gamma'];
export const NS_LABELS: Record<string, string[]> = { team: ['x', 'y'], env: ['prod', 'dev'] };
export const POD_LABELS: Record<string, string[]> = { app: ['web', 'db', 'api'], tier: ['fe', 'be'], role: ['r'] };
const NODES = ['172.16.0.1', '172.16.0.2'];
const NODES_V6 = ['fd00:ffff::1'];
const CONTAINER_PORTS = [
  { name: 'http', containerPort: 80, protocol: 'TCP' },
  { name: 'http', containerPort: 8080, protocol: 'TCP' },
  { name: 'dns', containerPort: 53, protocol: 'UDP' },
  { name: 'dns', containerPort: 53, protocol: 'TCP' },
  { name: 'sig', containerPort: 9000, protocol: 'SCTP' },
  { name: 'metrics', containerPort: 9090 },
  { containerPort: 81 },
];
const CIDRS: Record<string, string[]> = {
  '10.0.0.0/24': ['10.0.0.4/30', '10.0.0.1/32', '10.0.0.0/25'],
  '10.0.0.0/29': ['10.0.0.4/31', '10.0.0.2/32'],
  '0.0.0.0/0': ['10.0.0.0/24', '172.16.0.0/16', '8.8.8.8/32'],
  '172.16.0.0/24': ['172.16.0.2/32'],
  '192.168.0.0/16': [],
  '10.0.0.5/24': [],
  'fd00::/64': ['fd00::4/126', 'fd00::1/128'],
  // fc00::/7: kube-router's ::/0 (2000::/3 + fd00::/8) outranks it on fd00:ffff::1 (ipBlockMatch).
  '::/0': ['fd00::/64', 'fc00::/7'],
  'fd00:ffff::/112': [],
};
const EXTERNAL_V4 = ['10.0.0.200', '192.168.1.1', '8.8.8.8', '10.0.0.5', '172.16.0.9'];
// fc00::1 is outside kube-router's ::/0 (2000::/3 + fd00::/8): ipBlockMatch=kube-router-ipset.
const EXTERNAL_V6 = ['fd00::99', '2001:db8::1', 'fd00::5', 'fc00::1'];
export const FLOW_PROTOCOLS = [6, 6, 6, 17, 17, 132, 1, 58];
export const FLOW_PORTS = [0, 53, 53, 80, 80, 80, 81, 82, 100, 8080, 9000, 9090, 65535];

export const labelsArb = (pool: Record<string, string[]>): fc.Arbitrary<Record<string, string>> =>
  fc.subarray(Object.keys(pool)).chain((keys) =>
    fc.tuple(...keys.map((k) => fc.constantFrom(...(pool[k] as string[])))).map((values) => Object.fromEntries(keys.map((k, i) => [k, values[i] as string]))),
  );

const requirementArb = (pool: Record<string, string[]>): fc.Arbitrary<JsonObject> =>
  fc.constantFrom(...Object.keys(pool)).chain((key) =>
    fc.oneof(
      fc.record({ key: fc.constant(key), operator: fc.constantFrom('In', 'NotIn'), values: fc.subarray(pool[key] as string[], { minLength: 1 }) }),
      fc.record({ key: fc.constant(key), operator: fc.constantFrom('Exists', 'DoesNotExist') }),
    ),
  );

const selectorArb = (pool: Record<string, string[]>): fc.Arbitrary<JsonObject> =>
  fc.oneof(
    // `{}` selects everything: common in real policies and it keeps random policies relevant.
    { arbitrary: fc.constant({}), weight: 2 },
    { arbitrary: fc.record({ matchLabels: labelsArb(pool).map((l) => Object.fromEntries(Object.entries(l).slice(0, 1))) }), weight: 2 },
    {
      arbitrary: fc.record({ matchLabels: labelsArb(pool), matchExpressions: fc.array(requirementArb(pool), { maxLength: 2 }) }, { requiredKeys: [] }),
      weight: 2,
    },
  ) as fc.Arbitrary<JsonObject>;

const ipBlockArb: fc.Arbitrary<JsonObject> = fc
  .constantFrom(...Object.keys(CIDRS))
  .chain((cidr) => fc.record({ cidr: fc.constant(cidr), except: fc.subarray(CIDRS[cidr] as string[]) }, { requiredKeys: ['cidr'] }) as fc.Arbitrary<JsonObject>);

const peerArb: fc.Arbitrary<JsonObject> = fc.oneof(
  fc.record({ podSelector: selectorArb(POD_LABELS) }),
  fc.record({ namespaceSelector: selectorArb(NS_LABELS) }),
  fc.record({ podSelector: selectorArb(POD_LABELS), namespaceSelector: selectorArb(NS_LABELS) }),
  fc.record({ namespaceSelector: fc.record({ matchLabels: fc.constantFrom(...NAMESPACES).map((n) => ({ 'kubernetes.io/metadata.name': n })) }) }),
  fc.record({ ipBlock: ipBlockArb }),
) as fc.Arbitrary<JsonObject>;

const portArb: fc.Arbitrary<JsonObject> = fc
  .record(
    {
      protocol: fc.constantFrom('TCP', 'UDP', 'SCTP'),
      port: fc.oneof(fc.constantFrom(53, 80, 81, 8080, 9000, 9090), fc.constantFrom('http', 'dns', 'sig', 'metrics', 'nope')),
      endPort: fc.constantFrom(0, 1, 19, 100, 1000),
    },
    { requiredKeys: [] },
  )
  .map((p) => {
    const port: JsonObject = { ...p } as JsonObject;
    // endPort only with a numeric port; here it is an offset from the port.
    if (typeof port['port'] === 'number' && typeof port['endPort'] === 'number') port['endPort'] = Math.min(65535, (port['port'] as number) + (port['endPort'] as number));
    else delete port['endPort'];
    return port;
  });

const ruleArb = (peerField: 'from' | 'to'): fc.Arbitrary<JsonObject> =>
  fc.record({ [peerField]: fc.array(peerArb, { maxLength: 3 }), ports: fc.array(portArb, { maxLength: 3 }) }, { requiredKeys: [] }) as fc.Arbitrary<JsonObject>;

export const policyArb = (index: number): fc.Arbitrary<JsonObject> =>
  fc
    .record(
      {
        namespace: fc.constantFrom(...NAMESPACES, 'delta'),
        podSelector: selectorArb(POD_LABELS),
        policyTypes: fc.constantFrom(['Ingress'], ['Egress'], ['Ingress', 'Egress'], ['Egress', 'Ingress'], []),
        ingress: fc.array(ruleArb('from'), { maxLength: 3 }),
        egress: fc.array(ruleArb('to'), { maxLength: 3 }),
      },
      { requiredKeys: ['namespace'] },
    )
    .map(({ namespace, ...spec }) => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: `np-${index}`, namespace },
      spec: spec as JsonObject,
    }));

export interface PodShape {
  namespace: string;
  labels: Record<string, string>;
  ipMode: 'v4' | 'v6' | 'dual' | 'none';
  hostNetwork: boolean;
  phase: string;
  node: number;
  ports: JsonObject[];
}

export const podArb: fc.Arbitrary<PodShape> = fc.record({
  namespace: fc.constantFrom(...NAMESPACES, 'delta'),
  labels: labelsArb(POD_LABELS),
  ipMode: fc.constantFrom('v4', 'v4', 'v4', 'v6', 'dual', 'dual', 'none'),
  hostNetwork: fc.constantFrom(false, false, false, false, false, true),
  phase: fc.constantFrom('Running', 'Running', 'Running', 'Running', 'Running', 'Pending', 'Succeeded', 'Failed'),
  node: fc.integer({ min: 0, max: 1 }),
  ports: fc.subarray(CONTAINER_PORTS as JsonObject[]),
});

export interface RandomCluster {
  readonly objects: RawObject[];
  /** Pod endpoint addresses and other addresses (nodes, external), by family. */
  readonly addresses: Readonly<Record<4 | 6, { readonly pods: readonly string[]; readonly others: readonly string[] }>>;
}

function raw(object: JsonObject, document: number): RawObject {
  return { origin: { source: 'random.yaml', document, itemPath: '' }, object };
}

/** Pod `pod-<i>` as a manifest; its IPs (10.0.0.<i+1>, fd00::<i+1>) are unique per index. */
export function podObject(pod: PodShape, i: number): { object: JsonObject; ips: string[] } {
  const status: JsonObject = { phase: pod.phase, hostIP: NODES[pod.node] as string };
  const ips: string[] = [];
  if (pod.hostNetwork) {
    status['podIP'] = NODES[pod.node] as string;
  } else if (pod.ipMode !== 'none') {
    if (pod.ipMode === 'v4' || pod.ipMode === 'dual') ips.push(`10.0.0.${i + 1}`);
    if (pod.ipMode === 'v6' || pod.ipMode === 'dual') ips.push(`fd00::${i + 1}`);
    status['podIPs'] = ips.map((ip) => ({ ip }));
    status['podIP'] = ips[0] as string;
  }
  return {
    object: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `pod-${i}`, namespace: pod.namespace, labels: pod.labels },
      spec: { nodeName: `node-${pod.node}`, hostNetwork: pod.hostNetwork, containers: [{ name: 'c', ports: pod.ports }] },
      status,
    },
    ips,
  };
}

const namedPortArb: fc.Arbitrary<JsonObject> = fc.record({ protocol: fc.constantFrom('TCP', 'TCP', 'UDP', 'SCTP'), port: fc.constantFrom('http', 'dns', 'sig', 'metrics', 'nope') }, { requiredKeys: ['port'] }) as fc.Arbitrary<JsonObject>;
const podPeerArb: fc.Arbitrary<JsonObject> = fc.oneof(
  fc.record({ podSelector: selectorArb(POD_LABELS) }),
  fc.record({ namespaceSelector: selectorArb(NS_LABELS) }),
  fc.record({ podSelector: selectorArb(POD_LABELS), namespaceSelector: selectorArb(NS_LABELS) }),
) as fc.Arbitrary<JsonObject>;

/**
 * Policies shaped for the switches that deviate from the spec (kube-router's), which random
 * policies rarely meet: both policy types; rules whose ports are all named (often a name no
 * pod has); egress named ports without `to` or with ipBlock peers; ::/0 except fc00::/7.
 */
export const deviationPolicyArb = (index: number): fc.Arbitrary<JsonObject> =>
  fc
    .record({
      namespace: fc.constantFrom('alpha', 'alpha', 'beta'),
      podSelector: selectorArb(POD_LABELS),
      policyTypes: fc.constantFrom<string[]>(['Ingress', 'Egress'], ['Ingress', 'Egress'], ['Egress'], ['Ingress']),
      ingress: fc.array(
        fc.oneof(
          ruleArb('from'),
          fc.record({ from: fc.array(podPeerArb, { minLength: 1, maxLength: 2 }), ports: fc.array(namedPortArb, { minLength: 1, maxLength: 2 }) }),
          fc.constant({ from: [{ ipBlock: { cidr: '::/0', except: ['fc00::/7'] } }] }),
        ),
        { maxLength: 2 },
      ),
      egress: fc.array(
        fc.oneof(
          { arbitrary: ruleArb('to'), weight: 1 },
          { arbitrary: fc.record({ to: fc.array(podPeerArb, { minLength: 1, maxLength: 2 }), ports: fc.array(namedPortArb, { minLength: 1, maxLength: 2 }) }), weight: 2 },
          { arbitrary: fc.record({ ports: fc.array(fc.oneof(namedPortArb, portArb), { minLength: 1, maxLength: 2 }) }), weight: 3 },
          { arbitrary: fc.record({ to: fc.array(fc.oneof(podPeerArb, fc.record({ ipBlock: ipBlockArb })), { minLength: 1, maxLength: 2 }), ports: fc.array(fc.oneof(namedPortArb, portArb), { minLength: 1, maxLength: 2 }) }), weight: 2 },
          { arbitrary: fc.constant({ to: [{ ipBlock: { cidr: '::/0', except: ['fc00::/7'] } }] }), weight: 1 },
        ),
        { maxLength: 2 },
      ),
    })
    .map(({ namespace, ...spec }) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: `np-${index}`, namespace }, spec: spec as JsonObject }));

const clusterOf = (policy: (index: number) => fc.Arbitrary<JsonObject>, pod: fc.Arbitrary<PodShape> = podArb): fc.Arbitrary<RandomCluster> => fc
  .record({
    namespaces: fc.subarray(NAMESPACES).chain((names) => fc.tuple(...names.map((name) => labelsArb(NS_LABELS).map((labels) => ({ name, labels }))))),
    pods: fc.array(pod, { minLength: 2, maxLength: 8 }),
    policies: fc.integer({ min: 0, max: 6 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => policy(i)))),
  })
  .map(({ namespaces, pods, policies }) => {
    const objects: RawObject[] = [];
    let doc = 1;
    for (const ns of namespaces) objects.push(raw({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns.name, labels: ns.labels } }, doc++));
    const pods4: string[] = [];
    const pods6: string[] = [];
    pods.forEach((pod, i) => {
      const made = podObject(pod, i);
      for (const ip of made.ips) (ip.includes(':') ? pods6 : pods4).push(ip);
      objects.push(raw(made.object, doc++));
    });
    for (const policy of policies) objects.push(raw(policy, doc++));
    return { objects, addresses: { 4: { pods: pods4, others: [...NODES, ...EXTERNAL_V4] }, 6: { pods: pods6, others: [...NODES_V6, ...EXTERNAL_V6] } } };
  });

export const clusterArb: fc.Arbitrary<RandomCluster> = clusterOf(policyArb);
/** Clusters whose policies are mostly shaped for the deviating switches (deviationPolicyArb). */
export const deviationClusterArb: fc.Arbitrary<RandomCluster> = clusterOf(
  (i) => fc.oneof({ arbitrary: deviationPolicyArb(i), weight: 3 }, { arbitrary: policyArb(i), weight: 1 }),
  // Pods mostly where those policies are, so that they select both ends of flows.
  podArb.chain((pod) => fc.constantFrom('alpha', 'alpha', 'beta', 'delta').map((namespace) => ({ ...pod, namespace }))),
);

export interface RandomFlow {
  readonly family: 4 | 6;
  /** Mostly pods: flows between two external addresses say nothing about policies. */
  readonly srcIsPod: boolean;
  readonly dstIsPod: boolean;
  readonly src: number;
  readonly dst: number;
  readonly protocol: number;
  readonly port: number;
}

/** Flows as indexes into the cluster's address lists (resolved by the test). */
export const flowArb: fc.Arbitrary<RandomFlow> = fc.record({
  family: fc.constantFrom(4 as const, 4 as const, 6 as const),
  srcIsPod: fc.constantFrom(true, true, true, false),
  dstIsPod: fc.constantFrom(true, true, true, false),
  src: fc.nat(),
  dst: fc.nat(),
  protocol: fc.constantFrom(...FLOW_PROTOCOLS),
  port: fc.constantFrom(...FLOW_PORTS),
});

/** Flows for deviationClusterArb: both families alike, mostly TCP, mostly the named ports' numbers. */
export const deviationFlowArb: fc.Arbitrary<RandomFlow> = fc.record({
  family: fc.constantFrom(4 as const, 6 as const),
  srcIsPod: fc.constantFrom(true, true, true, false),
  dstIsPod: fc.constantFrom(true, false),
  src: fc.nat(),
  dst: fc.nat(),
  protocol: fc.constantFrom(6, 6, 6, 6, 17, 132, 1),
  port: fc.constantFrom(53, 80, 80, 8080, 9090, 81),
});

/** The addresses of a random flow; pods fall back to other addresses when the family has none. */
export function flowAddresses(cluster: RandomCluster, flow: RandomFlow): { src: string; dst: string } {
  const pick = (isPod: boolean, index: number): string => {
    const { pods, others } = cluster.addresses[flow.family];
    const pool = isPod && pods.length > 0 ? pods : others;
    return pool[index % pool.length] as string;
  };
  // fast-check favours small numbers, so an independent dst index would often equal src: offset it.
  return { src: pick(flow.srcIsPod, flow.src), dst: pick(flow.dstIsPod, flow.src + flow.dst) };
}

const kubeRouter = resolveProfile('kube-router', []);
if (!kubeRouter.ok) throw new Error(kubeRouter.error);
/** kube-router's switches together: the profile that deviates from the spec the most. */
export const KUBE_ROUTER_SEMANTICS = policySemantics(kubeRouter.profile.values);

/** Every policy-level switch drawn at random. */
export const randomSemanticsArb: fc.Arbitrary<PolicySemantics> = fc.record({
  enforce: fc.constantFrom(true, true, true, false),
  ipBlockMatchesPodIps: fc.boolean(),
  ipBlockMatchesNodeIps: fc.boolean(),
  ipBlockMatch: fc.constantFrom('cidr-except' as const, 'kube-router-ipset' as const),
  localNodeToPodAllowed: fc.boolean(),
  podToLocalNodeEgressPoliced: fc.boolean(),
  sctpSupported: fc.boolean(),
  endPortSupported: fc.boolean(),
  namedPortConflict: fc.constantFrom('per-destination' as const, 'skip-rule' as const),
  bothTypesRules: fc.constantFrom('own-direction' as const, 'both-directions' as const),
  unresolvedNamedPorts: fc.constantFrom('match-nothing' as const, 'all-ports' as const),
  egressNamedPorts: fc.constantFrom('destination-pod' as const, 'kube-router' as const),
});

/**
 * Policy-level CNI switches: the spec most of the time (so the baseline semantics get most
 * runs), otherwise kube-router's (whose switches meet one another) or a random combination,
 * covering every switch the engines implement.
 */
export const semanticsArb: fc.Arbitrary<PolicySemantics> = fc.oneof(
  { arbitrary: fc.constant(UPSTREAM_SEMANTICS), weight: 3 },
  { arbitrary: fc.constant(KUBE_ROUTER_SEMANTICS), weight: 1 },
  { arbitrary: randomSemanticsArb, weight: 2 },
);

/** A random ClusterIP Service: selector, port 80 → a target port by number or container-port name. */
/** The random cluster's objects loaded; throws with every error if the generator made any. */
export function loadRandomCluster(random: RandomCluster): Cluster {
  const diagnostics: Diagnostic[] = [];
  const { cluster } = buildCluster(random.objects, diagnostics);
  const errors = diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
  if (errors.length) throw new Error(`the generator made an invalid cluster:\n${errors.join('\n')}`);
  return cluster;
}

/** A random flow as the engines take it (port 0 for protocols without ports). */
export function engineFlow(random: RandomCluster, f: RandomFlow): Flow {
  const addresses = flowAddresses(random, f);
  const src = parseIp(addresses.src);
  const dst = parseIp(addresses.dst);
  if (!src.ok || !dst.ok) throw new Error('generator produced a bad address');
  const hasPorts = f.protocol === 6 || f.protocol === 17 || f.protocol === 132;
  return { src: src.value, dst: dst.value, protocol: f.protocol, dstPort: hasPorts ? f.port : 0 };
}

export interface ServiceShape {
  readonly namespace: string;
  readonly selector: Record<string, string>;
  readonly protocol: 'TCP' | 'UDP';
  readonly targetPort: number | string;
  readonly affinity: boolean;
}

export const serviceArb: fc.Arbitrary<ServiceShape> = fc.record({
  namespace: fc.constantFrom(...NAMESPACES, 'delta'),
  // One label mostly (so Services often have endpoints), sometimes none (no endpoints at all).
  selector: fc.oneof(
    { arbitrary: fc.constantFrom(...Object.entries(POD_LABELS).flatMap(([k, vs]) => vs.map((v) => ({ [k]: v })))), weight: 5 },
    { arbitrary: labelsArb(POD_LABELS), weight: 1 },
  ),
  protocol: fc.constantFrom('TCP' as const, 'TCP' as const, 'UDP' as const),
  targetPort: fc.constantFrom<number | string>(80, 8080, 53, 'http', 'http', 'dns', 'metrics', 'nope'),
  affinity: fc.boolean(),
});

/** Service `svc-<i>` with ClusterIP 10.96.0.<i+1>, port 80. */
export function serviceObject(s: ServiceShape, i: number, document: number): RawObject {
  return raw(
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: `svc-${i}`, namespace: s.namespace },
      spec: {
        clusterIP: `10.96.0.${i + 1}`,
        selector: s.selector,
        sessionAffinity: s.affinity ? 'ClientIP' : 'None',
        ports: [{ name: 'p', protocol: s.protocol, port: 80, targetPort: s.targetPort }],
      },
    },
    document,
  );
}
