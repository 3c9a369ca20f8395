import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode, UserError } from '../src/diagnostics.js';
import { loadCluster } from '../src/load/load-cluster.js';
import { readLiveCluster } from '../src/live/read-live-cluster.js';
import { generateCertificates, kubeconfigText, readFixtureObjects, startFakeApiServer, verdictMatrix, type Certificates, type FakeApiServer } from './helpers/live-api-server.js';

const TOKEN = 'ns-token';

function kinds(objects: readonly { object: Record<string, unknown> }[]): string[] {
  return objects.map((o) => {
    const m = o.object['metadata'] as { name: string; namespace?: string };
    return `${String(o.object['kind'])} ${m.namespace ? `${m.namespace}/` : ''}${m.name}`;
  });
}

describe('readLiveCluster - namespace-limited reads (-n)', () => {
  let certs: Certificates;
  let open: FakeApiServer;
  let restricted: FakeApiServer;
  let dir: string;
  let openConfig: string;
  let restrictedConfig: string;

  beforeAll(async () => {
    certs = generateCertificates();
    open = await startFakeApiServer({ objects: readFixtureObjects(), token: TOKEN, certs });
    // A user with only a namespaced Role in `web`: no cluster-scope lists at all.
    restricted = await startFakeApiServer({ objects: readFixtureObjects(), token: TOKEN, certs, forbidden: ['namespaces', 'pods', 'networkpolicies', 'pods/db'] });
    dir = mkdtempSync(join(tmpdir(), 'netpol-emu-live-ns-'));
    openConfig = join(dir, 'open');
    restrictedConfig = join(dir, 'restricted');
    writeFileSync(openConfig, kubeconfigText({ server: open.url, token: TOKEN, caFile: certs.caFile }));
    writeFileSync(restrictedConfig, kubeconfigText({ server: restricted.url, token: TOKEN, caFile: certs.caFile }));
  });
  afterAll(async () => {
    await open.close();
    await restricted.close();
    certs.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('readLiveCluster - -n reads that namespace, its pods and policies through namespaced calls, and warns', async () => {
    open.requests.length = 0;
    const read = await readLiveCluster({ kubeconfigPath: openConfig, namespace: 'web', env: {}, homeDir: dir });
    expect(open.requests).toEqual([
      '/api/v1/namespaces?fieldSelector=metadata.name%3Dweb&limit=500',
      '/api/v1/namespaces/web/pods?limit=500',
      '/apis/networking.k8s.io/v1/namespaces/web/networkpolicies?limit=500',
      '/api/v1/namespaces/web/services?limit=500',
      '/apis/discovery.k8s.io/v1/namespaces/web/endpointslices?limit=500',
    ]);
    expect(kinds(read.objects)).toEqual([
      'Namespace web',
      'Pod web/api-5c6d7-klmno',
      'Pod web/frontend-7d9f8-abcde',
      'Pod web/frontend-7d9f8-fghij',
      'NetworkPolicy web/allow-api-from-frontend',
      'NetworkPolicy web/allow-frontend-http',
      'NetworkPolicy web/allow-prometheus-scrape',
      'NetworkPolicy web/default-deny-ingress',
    ]);
    expect(read.namespace).toBe('web');
    expect(read.diagnostics.map((d) => [d.severity, d.code])).toEqual([
      ['warning', 'limited-scope'],
      ['warning', 'limited-scope'],
    ]);
    expect(read.diagnostics[0]?.message).toContain('cross-namespace peers cannot be resolved');
    // The cluster-scoped objects a full read would list are named as not read.
    expect(read.diagnostics[1]?.message).toBe(
      'cluster-scoped objects were not read with -n: AdminNetworkPolicies, BaselineAdminNetworkPolicies, ClusterNetworkPolicies and Nodes are unknown, so no admin or baseline tier applies and nodes peers match no node; read without -n, or give them with -f',
    );
  });

  it('readLiveCluster - -n gives the full read\'s verdicts for traffic between pods of that namespace', async () => {
    const scoped = loadCluster({ objects: (await readLiveCluster({ kubeconfigPath: openConfig, namespace: 'web', env: {}, homeDir: dir })).objects });
    const full = loadCluster({ objects: (await readLiveCluster({ kubeconfigPath: openConfig, env: {}, homeDir: dir })).objects });
    const withinWeb = (lines: string[]): string[] => lines.filter((l) => /^web\/\S+ -> web\//.test(l));
    const expected = withinWeb(verdictMatrix(full.cluster));
    expect(expected.length).toBeGreaterThan(50);
    expect(withinWeb(verdictMatrix(scoped.cluster))).toEqual(expected);
  });

  it('readLiveCluster - a forbidden namespace list falls back to name-only namespaces with a warning', async () => {
    const read = await readLiveCluster({ kubeconfigPath: restrictedConfig, namespace: 'web', env: {}, homeDir: dir });
    expect(kinds(read.objects).filter((k) => k.startsWith('Namespace'))).toEqual([]);
    expect(kinds(read.objects).filter((k) => k.startsWith('Pod'))).toHaveLength(3);
    expect(read.diagnostics.map((d) => d.code)).toEqual(['limited-scope', 'limited-scope', 'limited-scope']);
    expect(read.diagnostics[0]?.message).toBe(
      'context "test" may not list namespaces (403 Forbidden), so namespace labels are unknown: namespaceSelector peers see only the label kubernetes.io/metadata.name; grant "list" on namespaces for exact results',
    );
    const loaded = loadCluster({ objects: read.objects });
    expect(loaded.cluster.namespaces.map((n) => [n.name, n.declared, n.labels])).toEqual([['web', false, { 'kubernetes.io/metadata.name': 'web' }]]);
  });

  it('readLiveCluster - all namespaces with namespaces forbidden: pods and policies read, one warning', async () => {
    const noNamespaces = await startFakeApiServer({ objects: readFixtureObjects(), token: TOKEN, certs, forbidden: ['namespaces'] });
    try {
      const path = join(dir, 'no-namespaces');
      writeFileSync(path, kubeconfigText({ server: noNamespaces.url, token: TOKEN, caFile: certs.caFile }));
      const read = await readLiveCluster({ kubeconfigPath: path, env: {}, homeDir: dir });
      expect(read.diagnostics.map((d) => [d.code, d.message.startsWith('context "test" may not list namespaces (403 Forbidden)')])).toEqual([['limited-scope', true]]);
      const loaded = loadCluster({ objects: read.objects });
      expect(loaded.cluster.pods).toHaveLength(8);
      expect(loaded.cluster.policies).toHaveLength(6);
      expect(loaded.cluster.namespaces.every((n) => !n.declared)).toBe(true);
    } finally {
      await noNamespaces.close();
    }
  });

  it('readLiveCluster - a forbidden pod list is an error even when namespaces degrade', async () => {
    await expect(readLiveCluster({ kubeconfigPath: restrictedConfig, namespace: 'db', env: {}, homeDir: dir })).rejects.toThrow(
      new UserError(
        `the API server ${restricted.url} (context "test") forbids to list pods in namespace "db" (403 Forbidden: pods is forbidden: User "system:serviceaccount:netpol:viewer" cannot list resource "pods" in API group "" in the namespace "db"); netpol-emu needs RBAC "list" on namespaces, pods and networkpolicies.networking.k8s.io`,
        ExitCode.CLUSTER_ACCESS,
      ),
    );
    await expect(readLiveCluster({ kubeconfigPath: restrictedConfig, env: {}, homeDir: dir })).rejects.toThrow(/forbids to list pods in all namespaces/);
  });

  it('readLiveCluster - -n of a namespace that does not exist warns', async () => {
    const read = await readLiveCluster({ kubeconfigPath: openConfig, namespace: 'nope', env: {}, homeDir: dir });
    expect(read.objects).toEqual([]);
    expect(read.diagnostics[0]?.message).toBe('namespace "nope" does not exist in context "test"; it is created with only the label kubernetes.io/metadata.name');
  });
});
