import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadCluster } from '../src/load/load-cluster.js';
import { readLiveCluster } from '../src/live/read-live-cluster.js';
import { writeSnapshot } from '../src/live/write-snapshot.js';
import {
  FIXTURE,
  generateCertificates,
  kubeconfigText,
  readFixtureObjects,
  startFakeApiServer,
  verdictMatrix,
  type Certificates,
  type FakeApiServer,
} from './helpers/live-api-server.js';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.test-token';

describe('readLiveCluster - paged read of a served cluster', () => {
  let certs: Certificates;
  let server: FakeApiServer;
  let dir: string;
  let kubeconfig: string;

  beforeAll(async () => {
    certs = generateCertificates();
    server = await startFakeApiServer({ objects: readFixtureObjects(), token: TOKEN, certs });
    dir = mkdtempSync(join(tmpdir(), 'netpol-emu-live-read-'));
    kubeconfig = join(dir, 'config');
    writeFileSync(kubeconfig, kubeconfigText({ server: server.url, token: TOKEN, caFile: certs.caFile, context: 'kind-test' }));
  });
  afterAll(async () => {
    await server.close();
    certs.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('readLiveCluster - follows metadata.continue until the last page', async () => {
    server.requests.length = 0;
    const read = await readLiveCluster({ kubeconfigPath: kubeconfig, env: {}, homeDir: dir, pageSize: 3 });
    const fixture = readFixtureObjects();
    // 5 namespaces, 8 pods, 6 policies in pages of 3: 2 + 3 + 2 requests.
    expect(server.requests.filter((r) => r.startsWith('/api/v1/namespaces'))).toHaveLength(2);
    expect(server.requests.filter((r) => r.startsWith('/api/v1/pods'))).toHaveLength(3);
    expect(server.requests.filter((r) => r.startsWith('/apis/networking.k8s.io/v1/networkpolicies'))).toHaveLength(2);
    expect(server.requests.every((r) => r.includes('limit=3'))).toBe(true);
    expect(server.requests.filter((r) => r.includes('continue='))).toHaveLength(4);
    const count = (kind: string): number => read.objects.filter((o) => o.object['kind'] === kind).length;
    expect([count('Namespace'), count('Pod'), count('NetworkPolicy')]).toEqual([fixture.namespaces.length, fixture.pods.length, fixture.policies.length]);
    expect(read.context).toBe('kind-test');
    expect(read.server).toBe(server.url);
    expect(read.namespace).toBeNull();
    expect(read.diagnostics).toEqual([]);
  });

  it('readLiveCluster - objects keep wire JSON (from, not _from) and name their list call', async () => {
    const read = await readLiveCluster({ kubeconfigPath: kubeconfig, env: {}, homeDir: dir, pageSize: 4 });
    const policy = read.objects.find((o) => o.object['kind'] === 'NetworkPolicy' && (o.object['metadata'] as { name: string }).name === 'allow-api-from-frontend');
    expect(policy?.object['apiVersion']).toBe('networking.k8s.io/v1');
    const ingress = (policy?.object['spec'] as { ingress: Record<string, unknown>[] }).ingress[0];
    expect(Object.keys(ingress ?? {})).toContain('from');
    expect(Object.keys(ingress ?? {})).not.toContain('_from');
    // Pods are listed in etcd key order across all pages: the 6th one is web/api-5c6d7-klmno.
    const sixthPod = read.objects.filter((o) => o.object['kind'] === 'Pod')[5];
    expect(sixthPod?.origin).toEqual({ source: 'cluster kind-test /api/v1/pods', document: 1, itemPath: 'items[5]' });
    expect((sixthPod?.object['metadata'] as { name: string }).name).toBe('api-5c6d7-klmno');
  });

  it('readLiveCluster - the served cluster has the same verdict matrix as the same objects from files', async () => {
    const read = await readLiveCluster({ kubeconfigPath: kubeconfig, env: {}, homeDir: dir, pageSize: 2 });
    const live = loadCluster({ objects: read.objects });
    const files = loadCluster({ paths: [FIXTURE] });
    const matrix = verdictMatrix(live.cluster);
    expect(matrix.length).toBeGreaterThan(500);
    // Policies must actually decide something in this fixture, or the comparison proves little.
    expect(matrix.some((line) => line.includes(': deny'))).toBe(true);
    expect(matrix.some((line) => line.includes(': allow'))).toBe(true);
    expect(matrix).toEqual(verdictMatrix(files.cluster));
    expect(live.cluster.namespaces.map((n) => [n.name, n.labels, n.declared])).toEqual(files.cluster.namespaces.map((n) => [n.name, n.labels, n.declared]));
  });

  it('writeSnapshot - a snapshot replayed from a file reproduces the live verdicts', async () => {
    const read = await readLiveCluster({ kubeconfigPath: kubeconfig, env: {}, homeDir: dir, now: () => new Date('2026-11-21T05:30:00Z') });
    const text = writeSnapshot(read);
    const path = join(dir, 'snapshot.yaml');
    writeFileSync(path, text);
    const replayed = loadCluster({ paths: [path] });
    expect(verdictMatrix(replayed.cluster)).toEqual(verdictMatrix(loadCluster({ objects: read.objects }).cluster));
    expect((parse(text) as { metadata: { annotations: Record<string, string> } }).metadata.annotations).toEqual({
      'netpol-emu.io/context': 'kind-test',
      'netpol-emu.io/server': server.url,
      'netpol-emu.io/read-at': '2026-11-21T05:30:00.000Z',
    });
    // Only the fields the emulator reads are written: no env values, uids or managed metadata.
    expect(text).not.toContain('do-not-copy-me');
    expect(text).not.toContain('uid:');
    expect(text).not.toContain('last-applied-configuration');
  });

  it('readLiveCluster - restarts a list whose continue token expired (410) and returns every object once', async () => {
    const expiring = await startFakeApiServer({ objects: readFixtureObjects(), token: TOKEN, certs, expireFirstContinue: true });
    try {
      const path = join(dir, 'expiring');
      writeFileSync(path, kubeconfigText({ server: expiring.url, token: TOKEN, caFile: certs.caFile }));
      const read = await readLiveCluster({ kubeconfigPath: path, env: {}, homeDir: dir, pageSize: 3 });
      const names = read.objects.filter((o) => o.object['kind'] === 'Namespace').map((o) => (o.object['metadata'] as { name: string }).name);
      expect(names).toEqual(['db', 'default', 'kube-system', 'monitoring', 'web']);
      // First page, the expired continue, then the restarted list's two pages.
      expect(expiring.requests.filter((r) => r.startsWith('/api/v1/namespaces'))).toHaveLength(4);
    } finally {
      await expiring.close();
    }
  });
});
