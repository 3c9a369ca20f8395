/**
 * Seeded synthetic clusters: raw Namespace, Pod and NetworkPolicy objects shaped like a real
 * multi-tenant cluster, for benchmarks, property checks and `netpol-emu synth`.
 *
 * What it models (and why each matters to the compiler):
 * - kube-system with kube-dns and one hostNetwork kube-proxy per node, monitoring with prometheus
 *   and one hostNetwork node-exporter per node (hostNetwork pods are node traffic, SEMANTICS.md §1.3);
 * - application namespaces whose sizes follow a Zipf-like law, each with tiers (web, api, db,
 *   cache, worker) of deployments whose pods carry overlapping labels (app, tier, version,
 *   monitoring, role), so selectors overlap and identities are shared by many pods;
 * - about 30 pods per node, node addresses in status.hostIP, pod IPs from per-node /24s (and
 *   per-node IPv6 ranges when dual-stack);
 * - named container ports per tier (web 80 `http`, api 8080 `http-api` + 9090 `metrics`, db 5432
 *   `postgres`, cache 6379 `redis`, kube-dns 53 `dns`/`dns-tcp`);
 * - policies a platform team writes: per-namespace default deny, DNS egress to kube-system,
 *   tier-to-tier allows with pod and namespace selectors, ipBlock egress with except, port
 *   lists, endPort ranges, named ports and matchExpressions; past those templates, seeded
 *   per-deployment variants until the requested count is reached.
 *
 * Every count asked for is exact, and the same shape gives the same objects, key order included.
 * Pods, namespaces and policies draw from separate streams of the seed, so changing the policy
 * count leaves the pods as they were.
 */
import { buildCluster } from '../load/build-cluster.js';
import type { Json, JsonObject } from '../load/object-reader.js';
import type { RawObject } from '../load/read-manifests.js';
import type { Cluster } from '../../compiler/model.js';
import { InvalidInputError, type Diagnostic } from '../diagnostics.js';
import { SeededRandom } from './seeded-random.js';

export interface ClusterShape {
  readonly seed: number;
  /** Total namespaces, kube-system and monitoring included (at least 3). */
  readonly namespaces: number;
  /** Total pods, the hostNetwork node agents and kube-dns included. */
  readonly pods: number;
  /** Total NetworkPolicies. */
  readonly policies: number;
  /** Give every non-hostNetwork pod an IPv6 address too (IPv4 first), and add IPv6 ipBlocks. */
  readonly dualStack?: boolean;
}

export const SYNTH_LIMITS = {
  /** kube-system, monitoring and one application namespace. */
  minNamespaces: 3,
  maxNamespaces: 10_000,
  /** Node i's pods live in 10.(64 + i/256).(i%256).0/24: 16384 nodes of 30 pods. */
  maxPods: 400_000,
  maxPolicies: 200_000,
} as const;

/** Pods per node, node agents included: a typical density for general-purpose nodes. */
export const PODS_PER_NODE = 30;

/** Shape defaults derived from the pod count: a namespace per ~50 pods, a policy per 5 pods. */
export function defaultShape(pods: number, seed = 1): ClusterShape {
  return { seed, pods, namespaces: Math.max(SYNTH_LIMITS.minNamespaces, Math.round(pods / 50) + 2), policies: Math.round(pods / 5) };
}

// ---------------------------------------------------------------------------------------------
// Vocabulary

const TIERS = ['web', 'api', 'db', 'cache', 'worker'] as const;
type Tier = (typeof TIERS)[number];

/** Relative pod share of each tier in a namespace. */
const TIER_WEIGHT: Readonly<Record<Tier, number>> = { web: 3, api: 4, db: 1, cache: 1, worker: 2 };
/** Chance that a namespace runs the tier (web and api always). */
const TIER_PRESENCE: Readonly<Record<Tier, number>> = { web: 1, api: 1, db: 0.7, cache: 0.5, worker: 0.45 };
const TIER_DEPLOYMENTS: Readonly<Record<Tier, readonly string[]>> = {
  web: ['frontend', 'storefront', 'admin-ui'],
  api: ['orders-api', 'users-api', 'cart-api', 'search-api', 'auth-api'],
  db: ['postgres'],
  cache: ['redis'],
  worker: ['queue-worker', 'mailer', 'reporter'],
};
const TIER_MAX_DEPLOYMENTS: Readonly<Record<Tier, number>> = { web: 2, api: 3, db: 1, cache: 1, worker: 2 };
/** Stateful tiers name pods `name-0`, `name-1`... instead of `name-<rs hash>-<suffix>`. */
const STATEFUL: ReadonlySet<Tier> = new Set(['db', 'cache']);

interface PortSpec {
  readonly name: string;
  readonly port: number;
  readonly protocol: 'TCP' | 'UDP';
}

const TIER_PORTS: Readonly<Record<Tier, readonly PortSpec[]>> = {
  web: [{ name: 'http', port: 80, protocol: 'TCP' }],
  api: [
    { name: 'http-api', port: 8080, protocol: 'TCP' },
    { name: 'metrics', port: 9090, protocol: 'TCP' },
  ],
  db: [{ name: 'postgres', port: 5432, protocol: 'TCP' }],
  cache: [{ name: 'redis', port: 6379, protocol: 'TCP' }],
  worker: [{ name: 'metrics', port: 9090, protocol: 'TCP' }],
};
const HTTPS_PORT: PortSpec = { name: 'https', port: 443, protocol: 'TCP' };
const KUBE_DNS_PORTS: readonly PortSpec[] = [
  { name: 'dns', port: 53, protocol: 'UDP' },
  { name: 'dns-tcp', port: 53, protocol: 'TCP' },
  { name: 'metrics', port: 9153, protocol: 'TCP' },
];

const NAMESPACE_WORDS = ['shop', 'payments', 'search', 'auth', 'catalog', 'orders', 'billing', 'media', 'ads', 'chat', 'analytics', 'inventory', 'shipping', 'reviews', 'accounts', 'notify'];
const TEAMS = ['team-a', 'team-b', 'team-c', 'team-d', 'team-e', 'platform'];
const ENVS: readonly (readonly [string, number])[] = [
  ['prod', 6],
  ['staging', 2.5],
  ['dev', 1.5],
];

const NAME_LABEL = 'kubernetes.io/metadata.name';
/** Node addresses: node n (1-based) is 172.20.(n/256).(n%256). */
const NODE_CIDR = '172.20.0.0/16';
const PRIVATE_V4 = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'];
const ALPHANUM = 'bcdfghjklmnpqrstvwxz2456789';

// ---------------------------------------------------------------------------------------------
// Cluster layout

interface Deployment {
  readonly name: string;
  readonly tier: Tier;
  readonly ports: readonly PortSpec[];
  /** Carries `monitoring: enabled` (scraped by prometheus). */
  readonly monitored: boolean;
  pods: number;
}

interface AppNamespace {
  readonly name: string;
  readonly team: string;
  readonly env: string;
  /** Meshed namespaces carry `istio-injection: enabled` (some selectors test it with Exists). */
  readonly meshed: boolean;
  /** Legacy namespaces have no default deny and only ingress allows. */
  readonly open: boolean;
  readonly wantedTiers: readonly Tier[];
  tiers: Tier[];
  deployments: Deployment[];
  pods: number;
}

/** Splits `total` into integers proportional to `weights` (largest remainder), each at least `floor` when possible. */
function apportion(total: number, weights: readonly number[], floor: number): number[] {
  const n = weights.length;
  if (n === 0) return [];
  const base = total >= floor * n ? floor : 0;
  const rest = total - base * n;
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (sum > 0 ? (rest * w) / sum : rest / n));
  const counts = exact.map((x) => Math.floor(x));
  let left = rest - counts.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left <= 0) break;
    counts[i] = (counts[i] as number) + 1;
    left--;
  }
  return counts.map((c) => c + base);
}

function namespaceName(index: number): string {
  const word = NAMESPACE_WORDS[index % NAMESPACE_WORDS.length] as string;
  const round = Math.floor(index / NAMESPACE_WORDS.length);
  return round === 0 ? word : `${word}-${round + 1}`;
}

function planNamespaces(shape: ClusterShape, appPods: number): AppNamespace[] {
  const rng = new SeededRandom(shape.seed, 1);
  const count = shape.namespaces - 2;
  const namespaces: AppNamespace[] = [];
  for (let i = 0; i < count; i++) {
    namespaces.push({
      name: namespaceName(i),
      team: rng.pick(TEAMS),
      env: rng.weighted(ENVS),
      meshed: rng.chance(0.4),
      open: count > 1 && rng.chance(0.15),
      wantedTiers: TIERS.filter((t) => rng.chance(TIER_PRESENCE[t])),
      tiers: [],
      deployments: [],
      pods: 0,
    });
  }
  // Zipf-like sizes: the namespace of rank r gets weight 1/(r+1), ranks shuffled by the seed.
  const ranks = rng.shuffle(namespaces.map((_, i) => i));
  const sizes = apportion(
    appPods,
    ranks.map((r) => 1 / (r + 1)),
    1,
  );
  namespaces.forEach((ns, i) => {
    ns.pods = sizes[i] as number;
    ns.tiers = ns.wantedTiers.slice(0, Math.min(ns.wantedTiers.length, ns.pods));
    const tierPods = apportion(
      ns.pods,
      ns.tiers.map((t) => TIER_WEIGHT[t]),
      1,
    );
    ns.tiers.forEach((tier, ti) => {
      const pods = tierPods[ti] as number;
      const names = rng.shuffle([...TIER_DEPLOYMENTS[tier]]).slice(0, Math.max(1, Math.min(pods, rng.between(1, TIER_MAX_DEPLOYMENTS[tier]))));
      const perDeployment = apportion(
        pods,
        names.map(() => 1),
        1,
      );
      names.forEach((name, di) => {
        const ports = tier === 'web' && rng.chance(0.5) ? [...TIER_PORTS[tier], HTTPS_PORT] : TIER_PORTS[tier];
        ns.deployments.push({ name, tier, ports, monitored: tier !== 'db' && rng.chance(0.7), pods: perDeployment[di] as number });
      });
    });
  });
  return namespaces;
}

// ---------------------------------------------------------------------------------------------
// Objects

function containerPorts(ports: readonly PortSpec[]): Json[] {
  return ports.map((p): Json => (p.protocol === 'TCP' ? { name: p.name, containerPort: p.port } : { name: p.name, containerPort: p.port, protocol: p.protocol }));
}

function namespaceObject(name: string, labels: Record<string, string>): JsonObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
}

class PodFactory {
  readonly objects: JsonObject[] = [];
  private endpointCount = 0;
  private readonly names = new Set<string>();

  constructor(
    private readonly rng: SeededRandom,
    readonly nodes: number,
    private readonly dualStack: boolean,
  ) {}

  nodeName(node: number): string {
    return `node-${String(node + 1).padStart(4, '0')}`;
  }

  nodeIp(node: number): string {
    const n = node + 1;
    return `172.20.${n >> 8}.${n & 255}`;
  }

  randomSuffix(length: number): string {
    let s = '';
    for (let i = 0; i < length; i++) s += ALPHANUM[this.rng.int(ALPHANUM.length)];
    return s;
  }

  /** `base-xxxxx`, unique in the namespace (a collision draws again). */
  uniqueName(namespace: string, base: string): string {
    for (;;) {
      const name = `${base}-${this.randomSuffix(5)}`;
      if (!this.names.has(`${namespace}/${name}`)) {
        this.names.add(`${namespace}/${name}`);
        return name;
      }
    }
  }

  /** A pod with its own IP(s): nodes are filled round-robin so a deployment spreads over nodes. */
  endpoint(namespace: string, name: string, labels: Record<string, string>, container: string, ports: readonly PortSpec[]): void {
    const g = this.endpointCount++;
    const node = g % this.nodes;
    const slot = Math.floor(g / this.nodes) + 2;
    const v4 = `10.${64 + (node >> 8)}.${node & 255}.${slot}`;
    const podIPs: Json[] = [{ ip: v4 }];
    if (this.dualStack) podIPs.push({ ip: `fd00:10:244:${node.toString(16)}::${slot.toString(16)}` });
    this.push(namespace, name, labels, container, ports, node, false, { podIP: v4, podIPs });
  }

  /** A node agent: hostNetwork, so its IP is the node's. */
  nodeAgent(namespace: string, name: string, labels: Record<string, string>, container: string, ports: readonly PortSpec[], node: number): void {
    const ip = this.nodeIp(node);
    this.push(namespace, name, labels, container, ports, node, true, { podIP: ip, podIPs: [{ ip }] });
  }

  private push(namespace: string, name: string, labels: Record<string, string>, container: string, ports: readonly PortSpec[], node: number, hostNetwork: boolean, ips: JsonObject): void {
    const spec: JsonObject = { nodeName: this.nodeName(node) };
    if (hostNetwork) spec['hostNetwork'] = true;
    spec['containers'] = [{ name: container, image: `registry.example.com/${container}:1.${this.rng.int(20)}`, ports: containerPorts(ports) }];
    this.objects.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace, labels },
      spec,
      status: { phase: 'Running', hostIP: this.nodeIp(node), ...ips },
    });
  }
}

function generatePods(shape: ClusterShape, namespaces: readonly AppNamespace[], systemBudget: SystemPods): JsonObject[] {
  const rng = new SeededRandom(shape.seed, 2);
  const factory = new PodFactory(rng, systemBudget.nodes, shape.dualStack === true);
  const dnsHash = factory.randomSuffix(10);
  for (let i = 0; i < systemBudget.kubeDns; i++) {
    factory.endpoint('kube-system', factory.uniqueName('kube-system', `coredns-${dnsHash}`), { 'k8s-app': 'kube-dns' }, 'coredns', KUBE_DNS_PORTS);
  }
  for (let node = 0; node < systemBudget.kubeProxy; node++) {
    factory.nodeAgent('kube-system', factory.uniqueName('kube-system', 'kube-proxy'), { 'k8s-app': 'kube-proxy' }, 'kube-proxy', [{ name: 'healthz', port: 10256, protocol: 'TCP' }], node);
  }
  if (systemBudget.prometheus) {
    factory.endpoint('monitoring', 'prometheus-0', { app: 'prometheus', 'app.kubernetes.io/name': 'prometheus' }, 'prometheus', [{ name: 'web', port: 9090, protocol: 'TCP' }]);
  }
  for (let node = 0; node < systemBudget.nodeExporter; node++) {
    factory.nodeAgent('monitoring', factory.uniqueName('monitoring', 'node-exporter'), { app: 'node-exporter' }, 'node-exporter', [{ name: 'metrics', port: 9100, protocol: 'TCP' }], node);
  }
  for (const ns of namespaces) {
    for (const d of ns.deployments) {
      const rsHash = factory.randomSuffix(10);
      for (let i = 0; i < d.pods; i++) {
        const labels: Record<string, string> = { app: d.name, tier: d.tier };
        // A canary track on one pod in five: two identities per deployment, as in real rollouts.
        labels['version'] = rng.chance(0.2) ? 'v2' : 'v1';
        if (d.monitored) labels['monitoring'] = 'enabled';
        if (d.tier === 'db') labels['role'] = i === 0 ? 'primary' : 'replica';
        const name = STATEFUL.has(d.tier) ? `${d.name}-${i}` : factory.uniqueName(ns.name, `${d.name}-${rsHash}`);
        factory.endpoint(ns.name, name, labels, d.name, d.ports);
      }
    }
  }
  return factory.objects;
}

interface SystemPods {
  readonly nodes: number;
  readonly kubeDns: number;
  readonly kubeProxy: number;
  readonly prometheus: boolean;
  readonly nodeExporter: number;
  readonly total: number;
}

/** System pods come first out of the pod budget, in this order, so small clusters still have DNS. */
function planSystemPods(pods: number): SystemPods {
  const nodes = Math.max(1, Math.ceil(pods / PODS_PER_NODE));
  let left = pods;
  const take = (n: number): number => {
    const got = Math.min(n, left);
    left -= got;
    return got;
  };
  const kubeDns = take(2 + Math.floor(pods / 5000));
  const kubeProxy = take(nodes);
  const prometheus = take(1) === 1;
  const nodeExporter = take(nodes);
  return { nodes, kubeDns, kubeProxy, prometheus, nodeExporter, total: pods - left };
}

// ---------------------------------------------------------------------------------------------
// Policies

type Selector = JsonObject;

const match = (labels: Record<string, string>): Selector => ({ matchLabels: labels });
const expr = (key: string, operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist', values?: readonly string[]): JsonObject =>
  values === undefined ? { key, operator } : { key, operator, values: [...values] };
const kubeDnsPeer = (): JsonObject => ({ namespaceSelector: match({ [NAME_LABEL]: 'kube-system' }), podSelector: match({ 'k8s-app': 'kube-dns' }) });
const tcp = (port: number | string, endPort?: number): JsonObject => (endPort === undefined ? { protocol: 'TCP', port } : { protocol: 'TCP', port, endPort });
const udp = (port: number | string): JsonObject => ({ protocol: 'UDP', port });

function policy(namespace: string, name: string, podSelector: Selector, types: readonly ('Ingress' | 'Egress')[], rules: { ingress?: Json[]; egress?: Json[] }): JsonObject {
  const spec: JsonObject = { podSelector, policyTypes: [...types] };
  if (rules.ingress) spec['ingress'] = rules.ingress;
  if (rules.egress) spec['egress'] = rules.egress;
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec };
}

/** One template per (namespace, kind); `null` when the namespace lacks the tiers it is about. */
type Template = (ns: AppNamespace, dualStack: boolean) => JsonObject | null;

const has = (ns: AppNamespace, tier: Tier): boolean => ns.tiers.includes(tier);

const TEMPLATES: Readonly<Record<string, Template>> = {
  defaultDeny: (ns) => (ns.open ? null : policy(ns.name, 'default-deny-all', {}, ['Ingress', 'Egress'], {})),
  dnsEgress: (ns) =>
    ns.open ? null : policy(ns.name, 'allow-dns-egress', {}, ['Egress'], { egress: [{ to: [kubeDnsPeer()], ports: [udp(53), tcp(53)] }] }),
  webIngress: (ns, dualStack) => {
    if (!has(ns, 'web')) return null;
    const from: Json[] = [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } }];
    if (dualStack) from.push({ ipBlock: { cidr: '::/0', except: ['fd00::/8'] } });
    from.push({ namespaceSelector: match({ env: ns.env }), podSelector: match({ tier: 'web' }) });
    return policy(ns.name, 'web-allow-ingress', match({ tier: 'web' }), ['Ingress'], { ingress: [{ from, ports: [tcp('http'), tcp(443)] }] });
  },
  apiFromWeb: (ns) =>
    has(ns, 'api')
      ? policy(ns.name, 'api-allow-from-web', match({ tier: 'api' }), ['Ingress'], {
          ingress: [{ from: [{ podSelector: match({ tier: 'web' }) }, { podSelector: { matchExpressions: [expr('tier', 'In', ['api', 'worker'])] } }], ports: [tcp('http-api')] }],
        })
      : null,
  dbFromApi: (ns) =>
    has(ns, 'db')
      ? policy(ns.name, 'db-allow-from-api', match({ tier: 'db' }), ['Ingress'], {
          ingress: [
            { from: [{ podSelector: match({ tier: 'api' }) }], ports: [tcp(5432)] },
            { from: [{ podSelector: match({ tier: 'db' }) }], ports: [tcp('postgres')] },
          ],
        })
      : null,
  webEgress: (ns) =>
    has(ns, 'web') && !ns.open ? policy(ns.name, 'web-egress-to-api', match({ tier: 'web' }), ['Egress'], { egress: [{ to: [{ podSelector: match({ tier: 'api' }) }], ports: [tcp(8080)] }] }) : null,
  apiEgress: (ns, dualStack) => {
    if (!has(ns, 'api') || ns.open) return null;
    const external: Json[] = [{ ipBlock: { cidr: '0.0.0.0/0', except: PRIVATE_V4 } }];
    if (dualStack) external.push({ ipBlock: { cidr: '::/0', except: ['fc00::/7'] } });
    return policy(ns.name, 'api-egress', match({ tier: 'api' }), ['Egress'], {
      egress: [
        { to: [{ podSelector: { matchExpressions: [expr('tier', 'In', ['db', 'cache'])] } }], ports: [tcp(5432), tcp(6379)] },
        { to: external, ports: [tcp(443), tcp(8000, 8999)] },
        { to: [{ namespaceSelector: match({ team: ns.team }), podSelector: match({ tier: 'api' }) }], ports: [tcp('http-api')] },
      ],
    });
  },
  cacheFromApps: (ns) =>
    has(ns, 'cache')
      ? policy(ns.name, 'cache-allow-from-apps', match({ tier: 'cache' }), ['Ingress'], {
          ingress: [{ from: [{ podSelector: { matchExpressions: [expr('tier', 'In', ['api', 'worker'])] } }], ports: [tcp('redis')] }],
        })
      : null,
  workerEgress: (ns) =>
    has(ns, 'worker') && !ns.open
      ? policy(ns.name, 'worker-egress', match({ tier: 'worker' }), ['Egress'], {
          egress: [
            { to: [{ podSelector: match({ tier: 'api' }) }, { podSelector: match({ tier: 'cache' }) }], ports: [tcp(8080), tcp(6379)] },
            { to: [{ ipBlock: { cidr: '10.128.0.0/16', except: ['10.128.5.0/24', '10.128.6.0/25'] } }], ports: [tcp(30000, 32767)] },
          ],
        })
      : null,
  metricsScrape: (ns) =>
    ns.deployments.some((d) => d.monitored)
      ? policy(ns.name, 'allow-metrics-scrape', { matchExpressions: [expr('monitoring', 'Exists'), expr('tier', 'NotIn', ['db'])] }, ['Ingress'], {
          ingress: [
            {
              from: [{ namespaceSelector: match({ purpose: 'monitoring' }), podSelector: match({ app: 'prometheus' }) }],
              ports: [tcp('metrics'), tcp(9100, 9110)],
            },
          ],
        })
      : null,
  apiCrossNamespace: (ns) =>
    has(ns, 'api')
      ? policy(ns.name, 'api-allow-cross-namespace', match({ tier: 'api' }), ['Ingress'], {
          ingress: [
            {
              from: [{ namespaceSelector: { matchLabels: { team: ns.team }, matchExpressions: [expr('env', 'In', ['prod', 'staging'])] }, podSelector: match({ tier: 'api' }) }],
              ports: [tcp(8080), tcp(9000, 9010)],
            },
          ],
        })
      : null,
  sameNamespace: (ns) => (ns.meshed ? policy(ns.name, 'allow-same-namespace', {}, ['Ingress'], { ingress: [{ from: [{ podSelector: {} }] }] }) : null),
};

/** kube-system and monitoring policies, placed after the application DNS policies. */
function systemPolicies(dualStack: boolean): JsonObject[] {
  const nodes: Json[] = [{ ipBlock: { cidr: NODE_CIDR } }];
  const internet: Json[] = [{ ipBlock: { cidr: '0.0.0.0/0', except: PRIVATE_V4 } }];
  if (dualStack) internet.push({ ipBlock: { cidr: '::/0', except: ['fc00::/7'] } });
  return [
    policy('kube-system', 'kube-dns-allow', match({ 'k8s-app': 'kube-dns' }), ['Ingress'], {
      ingress: [
        { from: [{ namespaceSelector: {} }, ...nodes], ports: [udp('dns'), tcp('dns-tcp')] },
        { from: [{ namespaceSelector: match({ purpose: 'monitoring' }) }], ports: [tcp('metrics')] },
      ],
    }),
    policy('monitoring', 'prometheus-egress', match({ app: 'prometheus' }), ['Egress'], {
      egress: [
        { to: [kubeDnsPeer()], ports: [udp(53)] },
        { to: [{ namespaceSelector: {}, podSelector: { matchExpressions: [expr('monitoring', 'In', ['enabled'])] } }], ports: [tcp('metrics'), tcp(9153)] },
        { to: nodes, ports: [tcp(9100), tcp(10250, 10256)] },
      ],
    }),
    policy('monitoring', 'default-deny-ingress', {}, ['Ingress'], {}),
    policy('monitoring', 'prometheus-ui', match({ app: 'prometheus' }), ['Ingress'], {
      ingress: [{ from: [{ namespaceSelector: match({ team: 'platform' }) }, { ipBlock: { cidr: '192.168.0.0/16', except: ['192.168.100.0/24'] } }], ports: [tcp('web')] }],
    }),
    policy('kube-system', 'kube-dns-upstream', match({ 'k8s-app': 'kube-dns' }), ['Egress'], {
      egress: [{ to: internet, ports: [udp(53), tcp(53)] }],
    }),
  ];
}

/** Template order = priority when the policy count is smaller than what the templates give. */
const LAYERS: readonly (string | 'system')[] = [
  'defaultDeny',
  'dnsEgress',
  'system',
  'webIngress',
  'apiFromWeb',
  'dbFromApi',
  'webEgress',
  'apiEgress',
  'cacheFromApps',
  'workerEgress',
  'metricsScrape',
  'apiCrossNamespace',
  'sameNamespace',
];

/** Past the templates: per-deployment policies a team adds over time. */
function variantPolicy(rng: SeededRandom, namespaces: readonly AppNamespace[], weights: readonly (readonly [AppNamespace, number])[], serial: number, dualStack: boolean): JsonObject {
  const ns = rng.weighted(weights);
  const deployment = ns.deployments.length > 0 ? rng.pick(ns.deployments) : null;
  const name = (kind: string): string => `${kind}-${deployment?.name ?? 'all'}-${serial}`;
  const subject: Selector = deployment ? match({ app: deployment.name }) : {};
  const kind = rng.weighted<'ingress' | 'canary' | 'team' | 'egress-ns' | 'egress-cidr'>([
    ['ingress', 4],
    ['canary', 1],
    ['team', 2],
    ['egress-ns', 2],
    ['egress-cidr', 1],
  ]);
  const ownPorts = (): Json[] => {
    const ports = deployment?.ports ?? [TIER_PORTS.web[0] as PortSpec];
    // Half by name, half by number: both resolve to the same container port.
    return ports.filter(() => rng.chance(0.8)).map((p) => (rng.chance(0.5) ? tcp(p.name) : tcp(p.port)));
  };
  switch (kind) {
    case 'ingress': {
      const peer = rng.pick(ns.deployments.length > 0 ? ns.deployments : [null]);
      const from: Json[] = [{ podSelector: peer ? match({ app: peer.name }) : {} }];
      const ports = ownPorts();
      return policy(ns.name, name('allow-from-peer'), subject, ['Ingress'], { ingress: [ports.length ? { from, ports } : { from }] });
    }
    case 'canary':
      return policy(ns.name, name('allow-canary'), { ...subject, matchExpressions: [expr('version', 'In', ['v2'])] }, ['Ingress'], {
        ingress: [{ from: [{ podSelector: { matchExpressions: [expr('version', 'NotIn', ['v1']), expr('tier', 'Exists')] } }], ports: [tcp(8080, 8090), tcp('http')] }],
      });
    case 'team': {
      const team = rng.pick(TEAMS);
      const from: Json[] = [{ namespaceSelector: { matchLabels: { team }, matchExpressions: [expr('env', 'NotIn', ['dev'])] } }];
      const ports = ownPorts();
      return policy(ns.name, name('allow-team'), subject, ['Ingress'], { ingress: [ports.length ? { from, ports } : { from }] });
    }
    case 'egress-ns': {
      const other = rng.pick(namespaces);
      const tier = rng.pick(TIERS);
      return policy(ns.name, name('egress-to-ns'), subject, ['Egress'], {
        egress: [{ to: [{ namespaceSelector: match({ [NAME_LABEL]: other.name }), podSelector: match({ tier }) }], ports: TIER_PORTS[tier].map((p) => tcp(p.name)) }],
      });
    }
    case 'egress-cidr': {
      const a = rng.between(1, 223);
      const b = rng.int(256);
      const to: Json[] = [{ ipBlock: { cidr: `${a === 10 ? 11 : a}.${b}.0.0/16`, except: [`${a === 10 ? 11 : a}.${b}.${rng.int(256)}.0/24`] } }];
      if (dualStack) to.push({ ipBlock: { cidr: `2001:db8:${b.toString(16)}::/48`, except: [`2001:db8:${b.toString(16)}:${rng.int(65536).toString(16)}::/64`] } });
      const low = rng.pick([443, 5000, 8443, 9000]);
      return policy(ns.name, name('egress-to-cidr'), subject, ['Egress'], { egress: [{ to, ports: [tcp(low, low + rng.int(64)), udp(rng.pick([123, 514, 4789]))] }] });
    }
  }
}

function generatePolicies(shape: ClusterShape, namespaces: readonly AppNamespace[]): JsonObject[] {
  const dualStack = shape.dualStack === true;
  const out: JsonObject[] = [];
  for (const layer of LAYERS) {
    if (out.length >= shape.policies) break;
    const candidates = layer === 'system' ? systemPolicies(dualStack) : namespaces.map((ns) => (TEMPLATES[layer] as Template)(ns, dualStack));
    for (const p of candidates) {
      if (out.length >= shape.policies) break;
      if (p) out.push(p);
    }
  }
  const rng = new SeededRandom(shape.seed, 3);
  const weights = namespaces.map((ns) => [ns, ns.pods + 1] as const);
  for (let serial = 1; out.length < shape.policies; serial++) out.push(variantPolicy(rng, namespaces, weights, serial, dualStack));
  // Grouped by namespace (system first) for whoever reads policies.yaml; the sort is stable, so
  // each namespace keeps the template order.
  const rank = new Map<string, number>([
    ['kube-system', 0],
    ['monitoring', 1],
    ...namespaces.map((ns, i) => [ns.name, i + 2] as const),
  ]);
  const namespaceOf = (p: JsonObject): string => String((p['metadata'] as JsonObject)['namespace']);
  return out.sort((a, b) => (rank.get(namespaceOf(a)) ?? 0) - (rank.get(namespaceOf(b)) ?? 0));
}

// ---------------------------------------------------------------------------------------------
// Entry points

/** Throws a RangeError naming the field when a count is out of range (callers validate user input first). */
export function checkShape(shape: ClusterShape): void {
  const check = (field: string, value: number, min: number, max: number): void => {
    if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${field} must be an integer from ${min} to ${max}; got ${value}`);
  };
  check('seed', shape.seed, 0, 0xffffffff);
  check('namespaces', shape.namespaces, SYNTH_LIMITS.minNamespaces, SYNTH_LIMITS.maxNamespaces);
  check('pods', shape.pods, 0, SYNTH_LIMITS.maxPods);
  check('policies', shape.policies, 0, SYNTH_LIMITS.maxPolicies);
}

/** Namespaces, then pods, then policies, as raw manifests (what `kubectl get -o json` would hold). */
export function generateCluster(shape: ClusterShape): JsonObject[] {
  checkShape(shape);
  const system = planSystemPods(shape.pods);
  const namespaces = planNamespaces(shape, shape.pods - system.total);
  const objects: JsonObject[] = [namespaceObject('kube-system', {}), namespaceObject('monitoring', { purpose: 'monitoring', team: 'platform' })];
  for (const ns of namespaces) {
    const labels: Record<string, string> = { team: ns.team, env: ns.env };
    if (ns.meshed) labels['istio-injection'] = 'enabled';
    objects.push(namespaceObject(ns.name, labels));
  }
  objects.push(...generatePods(shape, namespaces, system));
  objects.push(...generatePolicies(shape, namespaces));
  return objects;
}

/** Raw objects with an origin (`synth` document i), as the loader's `buildCluster` takes them. */
export function synthRawObjects(objects: readonly JsonObject[]): RawObject[] {
  return objects.map((object, i) => ({ origin: { source: 'synth', document: i + 1, itemPath: '' }, object }));
}

/** generateCluster + the loader, in memory; throws InvalidInputError if the loader rejects anything (a generator bug). */
export function buildSyntheticCluster(shape: ClusterShape): Cluster {
  const diagnostics: Diagnostic[] = [];
  const { cluster } = buildCluster(synthRawObjects(generateCluster(shape)), diagnostics);
  if (diagnostics.some((d) => d.severity === 'error')) throw new InvalidInputError(diagnostics);
  return cluster;
}
