/**
 * Services and EndpointSlices from a live cluster: listed after the policies, kept by the
 * snapshot (only the fields the translation reads), loaded the same from both; a user who may
 * not list them gets a warning and the policy verdicts.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { loadCluster } from '../src/load/load-cluster.js';
import { readLiveCluster } from '../src/live/read-live-cluster.js';
import { writeSnapshot } from '../src/live/write-snapshot.js';
import type { JsonObject } from '../src/load/object-reader.js';
import { generateCertificates, kubeconfigText, readFixtureObjects, startFakeApiServer, type Certificates, type FakeApiServer } from './helpers/live-api-server.js';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.test-token';

function serviceObjects(): JsonObject[] {
  const list = parseAllDocuments(readFileSync('test/fixtures/services/slices-list.yaml', 'utf8'))[0]?.toJS() as { items: JsonObject[] };
  // What the API server adds and the snapshot must drop.
  return list.items.map((o) => ({ ...o, metadata: { ...(o['metadata'] as JsonObject), uid: 'u-1', resourceVersion: '7', annotations: { secret: 'x' } } }));
}

describe('readLiveCluster - Services and EndpointSlices', () => {
  let certs: Certificates;
  let open: FakeApiServer;
  let forbidden: FakeApiServer;
  let dir: string;

  beforeAll(async () => {
    certs = generateCertificates();
    const objects = { ...readFixtureObjects(), services: serviceObjects().filter((o) => o['kind'] === 'Service'), endpointSlices: serviceObjects().filter((o) => o['kind'] === 'EndpointSlice') };
    open = await startFakeApiServer({ objects, token: TOKEN, certs });
    forbidden = await startFakeApiServer({ objects, token: TOKEN, certs, forbidden: ['services', 'endpointslices'] });
    dir = mkdtempSync(join(tmpdir(), 'netpol-emu-live-svc-'));
    writeFileSync(join(dir, 'open'), kubeconfigText({ server: open.url, token: TOKEN, caFile: certs.caFile }));
    writeFileSync(join(dir, 'forbidden'), kubeconfigText({ server: forbidden.url, token: TOKEN, caFile: certs.caFile }));
  });
  afterAll(async () => {
    await open.close();
    await forbidden.close();
    certs.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('readLiveCluster services - read, snapshotted without server fields, and loaded alike', async () => {
    const read = await readLiveCluster({ kubeconfigPath: join(dir, 'open'), env: {}, homeDir: dir });
    expect(open.requests).toEqual(expect.arrayContaining(['/api/v1/services?limit=500', '/apis/discovery.k8s.io/v1/endpointslices?limit=500']));
    const live = loadCluster({ objects: read.objects });
    expect(live.cluster.services?.map((s) => `${s.namespace}/${s.name} ${s.clusterIPs.map((ip) => ip.text).join(',')}`)).toEqual(['web/front 10.96.1.1,fd00:96::1']);
    expect(live.cluster.endpointSlices?.map((s) => s.name)).toEqual(['front-abcde', 'front-v6']);
    const text = writeSnapshot({ ...read, namespace: null });
    const items = (parse(text) as { items: JsonObject[] }).items;
    const service = items.find((o) => o['kind'] === 'Service') as JsonObject;
    expect(service['metadata']).toEqual({ name: 'front', namespace: 'web' });
    expect(text).not.toContain('secret');
    const path = join(dir, 'snapshot.yaml');
    writeFileSync(path, text);
    const replayed = loadCluster({ paths: [path] });
    expect(replayed.cluster.services).toEqual(live.cluster.services?.map((s) => ({ ...s, origin: expect.anything() })));
    expect(replayed.cluster.endpointSlices?.map((s) => s.endpoints)).toEqual(live.cluster.endpointSlices?.map((s) => s.endpoints));
  });

  it('readLiveCluster services - forbidden: a warning per list, and the rest of the read', async () => {
    const read = await readLiveCluster({ kubeconfigPath: join(dir, 'forbidden'), env: {}, homeDir: dir });
    expect(read.objects.some((o) => o.object['kind'] === 'Pod')).toBe(true);
    expect(read.objects.some((o) => o.object['kind'] === 'Service')).toBe(false);
    expect(read.diagnostics.map((d) => d.message)).toEqual([
      'context "test" may not list services in all namespaces (403 Forbidden): traffic to Service addresses is not translated to endpoints; grant "list" on services and endpointslices.discovery.k8s.io',
      'context "test" may not list endpointslices.discovery.k8s.io in all namespaces (403 Forbidden): traffic to Service addresses is not translated to endpoints; grant "list" on services and endpointslices.discovery.k8s.io',
    ]);
  });
});
