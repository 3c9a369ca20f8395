/**
 * The generated cluster has the counts asked for and the shapes the issue lists, and the loader
 * takes it without a single diagnostic.
 */
import { describe, expect, it } from 'vitest';
import { buildCluster, type Cluster, type Diagnostic, type LabelSelector, type NetworkPolicy, type PolicyRule } from '../src/index.js';
import { PODS_PER_NODE, buildSyntheticCluster, generateCluster, synthRawObjects, type ClusterShape } from '../src/synth/generate-cluster.js';

function load(shape: ClusterShape): { cluster: Cluster; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const { cluster } = buildCluster(synthRawObjects(generateCluster(shape)), diagnostics);
  return { cluster, diagnostics };
}

const rules = (p: NetworkPolicy): PolicyRule[] => [...p.ingress, ...p.egress];
const selectors = (p: NetworkPolicy): LabelSelector[] => [p.podSelector, ...rules(p).flatMap((r) => r.peers.flatMap((peer) => [peer.podSelector, peer.namespaceSelector]))].filter((s): s is LabelSelector => s !== null);

describe('synth - shapes', () => {
  for (const shape of [
    { seed: 1, pods: 0, namespaces: 3, policies: 0 },
    { seed: 2, pods: 7, namespaces: 5, policies: 3 },
    { seed: 3, pods: 250, namespaces: 9, policies: 77 },
    { seed: 4, pods: 40, namespaces: 3, policies: 400 },
    { seed: 5, pods: 1000, namespaces: 22, policies: 200, dualStack: true },
  ] satisfies ClusterShape[]) {
    it(`synth - exact counts, no diagnostics: ${shape.pods} pods, ${shape.namespaces} namespaces, ${shape.policies} policies`, () => {
      const { cluster, diagnostics } = load(shape);
      expect(diagnostics).toEqual([]);
      expect(cluster.pods.length).toBe(shape.pods);
      expect(cluster.namespaces.length).toBe(shape.namespaces);
      expect(cluster.namespaces.every((ns) => ns.declared)).toBe(true);
      expect(cluster.policies.length).toBe(shape.policies);
    });
  }

  it('synth - every policy shape of the issue appears', () => {
    const cluster = buildSyntheticCluster({ seed: 1, pods: 200, namespaces: 6, policies: 60 });
    const policies = cluster.policies;
    const allRules = policies.flatMap(rules);
    const ports = allRules.flatMap((r) => r.ports);
    const peers = allRules.flatMap((r) => r.peers);
    // Default deny: selects every pod, isolates both directions, allows nothing.
    expect(policies.some((p) => Object.keys(p.podSelector.matchLabels).length === 0 && p.podSelector.matchExpressions.length === 0 && p.policyTypes.length === 2 && rules(p).length === 0)).toBe(true);
    // DNS egress to kube-dns in kube-system, UDP and TCP 53.
    expect(
      policies.some((p) =>
        p.egress.some(
          (r) =>
            r.peers.some((peer) => peer.namespaceSelector?.matchLabels['kubernetes.io/metadata.name'] === 'kube-system' && peer.podSelector?.matchLabels['k8s-app'] === 'kube-dns') &&
            r.ports.some((port) => port.protocol === 'UDP' && port.port === 53),
        ),
      ),
    ).toBe(true);
    expect(policies.some((p) => p.egress.some((r) => r.peers.some((peer) => peer.ipBlock !== null && peer.ipBlock.except.length > 0)))).toBe(true);
    expect(policies.some((p) => p.ingress.some((r) => r.peers.some((peer) => peer.ipBlock !== null && peer.ipBlock.except.length > 0)))).toBe(true);
    expect(ports.some((p) => p.endPort !== null && typeof p.port === 'number' && p.endPort > p.port)).toBe(true);
    expect(policies.some((p) => p.ingress.some((r) => r.ports.some((port) => typeof port.port === 'string')))).toBe(true);
    expect(policies.some((p) => p.egress.some((r) => r.ports.some((port) => typeof port.port === 'string')))).toBe(true);
    expect(allRules.some((r) => r.ports.length > 1)).toBe(true);
    expect(allRules.some((r) => r.peers.length > 1)).toBe(true);
    const operators = new Set(policies.flatMap(selectors).flatMap((s) => s.matchExpressions.map((e) => e.operator)));
    expect([...operators].sort()).toEqual(['Exists', 'In', 'NotIn']);
    // namespaceSelector alone, with podSelector (AND), and empty (every namespace).
    expect(peers.some((peer) => peer.namespaceSelector !== null && peer.podSelector === null)).toBe(true);
    expect(peers.some((peer) => peer.namespaceSelector !== null && peer.podSelector !== null)).toBe(true);
    expect(peers.some((peer) => peer.namespaceSelector !== null && Object.keys(peer.namespaceSelector.matchLabels).length === 0 && peer.namespaceSelector.matchExpressions.length === 0)).toBe(true);
    expect(policies.some((p) => p.policyTypes.length === 1 && p.policyTypes[0] === 'Egress')).toBe(true);
    expect(policies.some((p) => p.policyTypes.length === 1 && p.policyTypes[0] === 'Ingress')).toBe(true);
  });

  it('synth - named container ports per tier, kube-dns, node agents on the host network', () => {
    const cluster = buildSyntheticCluster({ seed: 1, pods: 200, namespaces: 6, policies: 0 });
    const portsOf = (tier: string) => new Set(cluster.pods.filter((p) => p.labels['tier'] === tier).flatMap((p) => p.containerPorts.map((c) => `${c.name}/${c.containerPort}/${c.protocol}`)));
    expect(portsOf('web').has('http/80/TCP')).toBe(true);
    expect([...portsOf('api')].sort()).toEqual(['http-api/8080/TCP', 'metrics/9090/TCP']);
    expect([...portsOf('db')]).toEqual(['postgres/5432/TCP']);
    expect([...portsOf('cache')]).toEqual(['redis/6379/TCP']);
    const dns = cluster.pods.filter((p) => p.namespace === 'kube-system' && p.labels['k8s-app'] === 'kube-dns');
    expect(dns.length).toBeGreaterThanOrEqual(2);
    expect(dns.every((p) => p.containerPorts.some((c) => c.name === 'dns' && c.protocol === 'UDP' && c.containerPort === 53))).toBe(true);
    const nodes = new Set(cluster.pods.map((p) => p.nodeName));
    expect(nodes.size).toBe(Math.ceil(200 / PODS_PER_NODE));
    for (const node of nodes) {
      const onNode = cluster.pods.filter((p) => p.nodeName === node);
      expect(onNode.length).toBeLessThanOrEqual(PODS_PER_NODE + 1);
      // One kube-proxy and one node-exporter per node, with the node's address as their IP.
      const agents = onNode.filter((p) => p.hostNetwork);
      expect(agents.map((p) => p.labels['k8s-app'] ?? p.labels['app']).sort()).toEqual(['kube-proxy', 'node-exporter']);
      const hostIps = new Set(onNode.map((p) => p.hostIP?.text));
      expect(hostIps.size).toBe(1);
      expect(agents.every((p) => p.ips[0]?.text === onNode[0]?.hostIP?.text)).toBe(true);
    }
  });

  it('synth - namespace sizes are skewed and labels make selectors overlap', () => {
    const cluster = buildSyntheticCluster({ seed: 9, pods: 2000, namespaces: 22, policies: 0 });
    const sizes = cluster.namespaces
      .filter((ns) => ns.name !== 'kube-system' && ns.name !== 'monitoring')
      .map((ns) => cluster.pods.filter((p) => p.namespace === ns.name).length)
      .sort((a, b) => b - a);
    // Zipf-like: the largest namespace holds several times the median one.
    expect(sizes[0]).toBeGreaterThan(4 * (sizes[Math.floor(sizes.length / 2)] as number));
    expect(sizes.every((n) => n >= 1)).toBe(true);
    // Many pods share each label set: far fewer distinct (namespace, labels) than pods.
    const identities = new Set(cluster.pods.map((p) => `${p.namespace} ${JSON.stringify(p.labels)}`));
    expect(identities.size).toBeLessThan(cluster.pods.length / 4);
    const tiers = new Set(cluster.pods.map((p) => p.labels['tier']).filter((t) => t !== undefined));
    expect([...tiers].sort()).toEqual(['api', 'cache', 'db', 'web', 'worker']);
  });

  it('synth - dual-stack gives every pod endpoint an IPv4 then an IPv6 address', () => {
    const single = buildSyntheticCluster({ seed: 3, pods: 120, namespaces: 4, policies: 30 });
    expect(single.pods.every((p) => p.ips.length === 1 && p.ips[0]?.family === 4)).toBe(true);
    const dual = buildSyntheticCluster({ seed: 3, pods: 120, namespaces: 4, policies: 30, dualStack: true });
    const endpoints = dual.pods.filter((p) => !p.hostNetwork);
    expect(endpoints.length).toBeGreaterThan(100);
    expect(endpoints.every((p) => p.ips.length === 2 && p.ips[0]?.family === 4 && p.ips[1]?.family === 6)).toBe(true);
    expect(dual.policies.some((p) => rules(p).some((r) => r.peers.some((peer) => peer.ipBlock?.cidr.family === 6)))).toBe(true);
  });
});
