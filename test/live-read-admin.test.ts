/**
 * A live cluster's Nodes and cluster-scoped policies (AdminNetworkPolicy,
 * BaselineAdminNetworkPolicy, ClusterNetworkPolicy custom resources) are read on full reads,
 * kept by `snapshot` and give the same verdicts offline; a server without the CRDs (404) reads
 * as a cluster without them, a forbidden list is a warning.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { CompiledEngine, NaiveEvaluator, loadCluster, parseIp, readLiveCluster, writeSnapshot, type RawObject } from '../src/index.js';
import type { JsonObject } from '../src/load/object-reader.js';
import { generateCertificates, kubeconfigText, readFixtureObjects, startFakeApiServer, type Certificates, type FakeApiServer } from './helpers/live-api-server.js';

const TOKEN = 'admin-token';
const ANP: JsonObject = {
  apiVersion: 'policy.networking.k8s.io/v1alpha1',
  kind: 'AdminNetworkPolicy',
  metadata: { name: 'deny-to-nodes', uid: 'x', resourceVersion: '7', managedFields: [] },
  spec: { priority: 3, subject: { namespaces: {} }, egress: [{ name: 'no-nodes', action: 'Deny', to: [{ nodes: { matchLabels: { 'node-role.kubernetes.io/worker': '' } } }] }] },
  status: { conditions: [] },
};
const NODE: JsonObject = {
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'worker-1', labels: { 'node-role.kubernetes.io/worker': '' } },
  spec: { podCIDR: '10.244.1.0/24' },
  status: { addresses: [{ type: 'InternalIP', address: '172.18.0.42' }, { type: 'Hostname', address: 'worker-1' }], capacity: { cpu: '4' } },
};

describe('readLiveCluster - cluster-scoped policies and nodes', () => {
  let certs: Certificates;
  let withCrds: FakeApiServer;
  let forbidden: FakeApiServer;
  let dir: string;

  beforeAll(async () => {
    certs = generateCertificates();
    withCrds = await startFakeApiServer({
      objects: readFixtureObjects(),
      token: TOKEN,
      certs,
      clusterLists: {
        '/api/v1/nodes': { listKind: 'NodeList', apiVersion: 'v1', items: [NODE] },
        '/apis/policy.networking.k8s.io/v1alpha1/adminnetworkpolicies': { listKind: 'AdminNetworkPolicyList', apiVersion: 'policy.networking.k8s.io/v1alpha1', items: [ANP] },
      },
    });
    forbidden = await startFakeApiServer({
      objects: readFixtureObjects(),
      token: TOKEN,
      certs,
      clusterLists: { '/api/v1/nodes': { listKind: 'NodeList', apiVersion: 'v1', items: [], forbidden: true } },
    });
    dir = mkdtempSync(join(tmpdir(), 'netpol-emu-live-admin-'));
    writeFileSync(join(dir, 'crds'), kubeconfigText({ server: withCrds.url, token: TOKEN, caFile: certs.caFile }));
    writeFileSync(join(dir, 'forbidden'), kubeconfigText({ server: forbidden.url, token: TOKEN, caFile: certs.caFile }));
  });
  afterAll(async () => {
    await withCrds.close();
    await forbidden.close();
    certs.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('live admin - nodes and admin policies are read, snapshotted without server fields, and replayed alike', async () => {
    const read = await readLiveCluster({ kubeconfigPath: join(dir, 'crds'), env: {}, homeDir: dir });
    expect(read.objects.filter((o) => o.object['kind'] === 'Node' || o.object['kind'] === 'AdminNetworkPolicy').map((o) => `${String(o.object['apiVersion'])} ${String(o.object['kind'])} ${o.origin.source}`)).toEqual([
      `v1 Node cluster test /api/v1/nodes`,
      `policy.networking.k8s.io/v1alpha1 AdminNetworkPolicy cluster test /apis/policy.networking.k8s.io/v1alpha1/adminnetworkpolicies`,
    ]);
    expect(withCrds.requests.filter((r) => r.startsWith('/apis/policy.networking.k8s.io/'))).toEqual([
      '/apis/policy.networking.k8s.io/v1alpha1/adminnetworkpolicies?limit=500',
      '/apis/policy.networking.k8s.io/v1alpha1/baselineadminnetworkpolicies?limit=500',
      '/apis/policy.networking.k8s.io/v1alpha2/clusternetworkpolicies?limit=500',
    ]);
    const live = loadCluster({ objects: read.objects });
    expect(live.cluster.adminPolicies?.map((p) => p.name)).toEqual(['deny-to-nodes']);
    expect(live.cluster.nodes?.map((n) => n.addresses.map((a) => a.text))).toEqual([['172.18.0.42']]);

    const text = writeSnapshot(read);
    expect(text).not.toContain('managedFields');
    expect(text).not.toContain('capacity');
    const snapshotObjects: RawObject[] = parseAllDocuments(text)
      .flatMap((d) => ((d.toJS() as { items?: JsonObject[] }).items ?? []))
      .map((object, i) => ({ origin: { source: 'snapshot', document: 1, itemPath: `items[${i}]` }, object }));
    const offline = loadCluster({ objects: snapshotObjects });
    const pod = live.cluster.pods.find((p) => p.ips.length > 0 && !p.hostNetwork && p.phase === 'Running');
    if (!pod) throw new Error('fixture has no pod');
    const toNode = parseIp('172.18.0.42');
    if (!toNode.ok) throw new Error('bad ip');
    for (const cluster of [live.cluster, offline.cluster]) {
      for (const engine of [new NaiveEvaluator(cluster), new CompiledEngine(cluster)]) {
        const verdict = engine.evaluate({ src: pod.ips[0] as NonNullable<(typeof pod.ips)[0]>, dst: toNode.value, protocol: 6, dstPort: 10250 });
        expect(verdict.reason).toBe(66);
        expect(verdict.egress.rule).toMatchObject({ policyName: 'deny-to-nodes', ruleName: 'no-nodes', action: 'Deny' });
      }
    }
  });

  it('live admin - a server without the CRDs reads as before; a forbidden node list is a warning', async () => {
    const read = await readLiveCluster({ kubeconfigPath: join(dir, 'forbidden'), env: {}, homeDir: dir });
    expect(read.objects.some((o) => o.object['kind'] === 'AdminNetworkPolicy')).toBe(false);
    expect(read.diagnostics.map((d) => [d.severity, d.code, d.message])).toEqual([
      ['warning', 'limited-scope', 'context "test" may not list nodes (403 Forbidden): nodes peers of admin policies match no node'],
    ]);
    expect(loadCluster({ objects: read.objects }).cluster.adminPolicies).toBeUndefined();
  });
});
