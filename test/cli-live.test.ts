import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FIXTURE, generateCertificates, kubeconfigText, readFixtureObjects, startFakeApiServer, type Certificates, type FakeApiServer } from './helpers/live-api-server.js';
import { runCli } from './helpers/run-cli.js';

const TOKEN = 'cli-token';
const PROBES = ['--probe', '80/TCP', '--probe', '5432/TCP', '--probe', '8080/TCP', '--probe', '9000/TCP', '--probe', '9090/TCP', '--probe', '53/UDP'];

describe('cli - live cluster input and snapshot', () => {
  let certs: Certificates;
  let server: FakeApiServer;
  let forbidding: FakeApiServer;
  let dir: string;
  let kubeconfig: string;
  let forbiddenConfig: string;
  let home: string;

  beforeAll(async () => {
    certs = generateCertificates();
    server = await startFakeApiServer({ objects: readFixtureObjects(), token: TOKEN, certs });
    forbidding = await startFakeApiServer({ objects: readFixtureObjects(), token: TOKEN, certs, forbidden: ['networkpolicies'] });
    dir = mkdtempSync(join(tmpdir(), 'netpol-emu-cli-live-'));
    kubeconfig = join(dir, 'config');
    forbiddenConfig = join(dir, 'forbidden');
    writeFileSync(kubeconfig, kubeconfigText({ server: server.url, token: TOKEN, caFile: certs.caFile, context: 'kind-test' }));
    writeFileSync(forbiddenConfig, kubeconfigText({ server: forbidding.url, token: TOKEN, caFile: certs.caFile }));
    home = join(dir, 'home');
    mkdirSync(home);
  });
  afterAll(async () => {
    await server.close();
    await forbidding.close();
    certs.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('matrix - on the served cluster equals matrix on the same objects from files', async () => {
    const live = await runCli(['matrix', '--kubeconfig', kubeconfig, '-o', 'json', ...PROBES], { HOME: home });
    const files = await runCli(['matrix', '-f', FIXTURE, '-o', 'json', ...PROBES], { HOME: home });
    expect([live.code, live.stderr]).toEqual([0, '']);
    expect(files.code).toBe(0);
    expect(live.stdout).toBe(files.stdout);
    expect(JSON.parse(live.stdout).pods).toHaveLength(7);
  });

  it('matrix - $KUBECONFIG is used when no -f is given', async () => {
    const run = await runCli(['matrix', '-o', 'csv', '-v'], { KUBECONFIG: kubeconfig, HOME: home });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`read 5 Namespace, 8 Pod, 6 NetworkPolicy from context "kind-test" (${server.url})`);
    expect(run.stdout).toBe((await runCli(['matrix', '-f', FIXTURE, '-o', 'csv'], { HOME: home })).stdout);
  });

  it('snapshot - writes a List that replays to the same matrix, and says what it wrote', async () => {
    const path = join(dir, 'cluster.yaml');
    const run = await runCli(['snapshot', '--kubeconfig', kubeconfig, '-o', path], { HOME: home });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(`wrote 5 Namespace, 8 Pod, 6 NetworkPolicy from context "kind-test" (${server.url}) to ${path}\n`);
    const list = parse(readFileSync(path, 'utf8')) as { kind: string; metadata: { annotations: Record<string, string> }; items: unknown[] };
    expect(list.kind).toBe('List');
    expect(list.items).toHaveLength(19);
    expect(list.metadata.annotations['netpol-emu.io/context']).toBe('kind-test');
    const replay = await runCli(['matrix', '-f', path, '-o', 'json', ...PROBES], { HOME: home });
    const live = await runCli(['matrix', '--context', 'kind-test', '-o', 'json', ...PROBES], { KUBECONFIG: kubeconfig, HOME: home });
    expect(replay.stdout).toBe(live.stdout);
  });

  it('snapshot - without -o writes the YAML to standard output; -n is recorded', async () => {
    const run = await runCli(['snapshot', '--kubeconfig', kubeconfig, '-n', 'db'], { HOME: home });
    expect(run.code).toBe(0);
    const list = parse(run.stdout) as { metadata: { annotations: Record<string, string> }; items: { kind: string; metadata: { name: string } }[] };
    expect(list.metadata.annotations['netpol-emu.io/namespace']).toBe('db');
    expect(list.items.map((o) => `${o.kind} ${o.metadata.name}`)).toEqual(['Namespace db', 'Pod backup-29000000-xyz12', 'Pod postgres-0', 'NetworkPolicy postgres']);
    expect(run.stderr).toContain('warning: only namespace "db" was read');
    expect(run.stderr).toContain('warning: cluster-scoped objects were not read with -n: AdminNetworkPolicies, BaselineAdminNetworkPolicies, ClusterNetworkPolicies and Nodes are unknown');
  });

  it('matrix - -f objects replace live ones with a warning and change the verdicts', async () => {
    const edit = join(dir, 'edit.yaml');
    // Open the api to every peer, not only the frontend.
    writeFileSync(edit, 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: allow-api-from-frontend, namespace: web}\nspec:\n  podSelector: {matchLabels: {app: api}}\n  ingress: [{ports: [{port: 9000}]}]\n');
    const query = ['query', '--from', 'default/debug', '--to', 'web/api-5c6d7-klmno', '--port', '9000'];
    const before = await runCli([...query, '--kubeconfig', kubeconfig], { HOME: home });
    const after = await runCli([...query, '--kubeconfig', kubeconfig, '-f', edit], { HOME: home });
    expect(before.code).toBe(1);
    expect(after.code).toBe(0);
    expect(after.stderr).toBe(
      `warning: ${edit}: document 1 (NetworkPolicy web/allow-api-from-frontend): replaces the live object read from cluster kind-test /apis/networking.k8s.io/v1/networkpolicies document 1 items[2], which differs from it\n`,
    );
  });

  it('matrix - a 403 exits 5 with one line naming the refused list', async () => {
    const run = await runCli(['matrix', '--kubeconfig', forbiddenConfig], { HOME: home });
    expect(run.code).toBe(5);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      `netpol-emu: the API server ${forbidding.url} (context "test") forbids to list networkpolicies.networking.k8s.io in all namespaces (403 Forbidden: networkpolicies.networking.k8s.io is forbidden: User "system:serviceaccount:netpol:viewer" cannot list resource "networkpolicies" in API group "networking.k8s.io" at the cluster scope); netpol-emu needs RBAC "list" on namespaces, pods and networkpolicies.networking.k8s.io\n`,
    );
  });

  it('snapshot - objects the loader rejects are still written, and the exit code says 3', async () => {
    const objects = readFixtureObjects();
    const bad = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'weird', namespace: 'web' }, status: { phase: 'Running', podIP: '10.244.1.10' } };
    const duplicateIp = await startFakeApiServer({ objects: { ...objects, pods: [...objects.pods, bad] }, token: TOKEN, certs });
    try {
      const config = join(dir, 'dup');
      writeFileSync(config, kubeconfigText({ server: duplicateIp.url, token: TOKEN, caFile: certs.caFile }));
      const path = join(dir, 'dup.yaml');
      const run = await runCli(['snapshot', '--kubeconfig', config, '-o', path], { HOME: home });
      expect(run.code).toBe(3);
      expect(run.stderr).toContain('error: cluster test /api/v1/pods: document 1 items[');
      expect(run.stderr).toContain('IP 10.244.1.10 is also the IP of pod web/frontend-7d9f8-abcde');
      expect(run.stderr).toContain(`netpol-emu: wrote 5 Namespace, 9 Pod, 6 NetworkPolicy from context "test" to ${path}, but they do not load: 1 error(s)\n`);
      expect((parse(readFileSync(path, 'utf8')) as { items: unknown[] }).items).toHaveLength(20);
    } finally {
      await duplicateIp.close();
    }
  });

  it('cli - usage errors: -n with -A, no cluster at all, a missing kubeconfig', async () => {
    const both = await runCli(['matrix', '--kubeconfig', kubeconfig, '-n', 'web', '-A'], { HOME: home });
    expect([both.code, both.stderr]).toEqual([2, 'netpol-emu: matrix: -n web and -A contradict each other: give one\n']);
    const none = await runCli(['matrix'], { HOME: home });
    expect([none.code, none.stderr]).toEqual([2, 'netpol-emu: matrix: no cluster given: pass manifests with -f PATH, or a live cluster with --kubeconfig PATH ($KUBECONFIG, ~/.kube/config)\n']);
    const missing = await runCli(['snapshot', '--kubeconfig', join(dir, 'nope')], { HOME: home });
    expect([missing.code, missing.stderr]).toEqual([5, `netpol-emu: cannot read kubeconfig ${join(dir, 'nope')}: no such file or directory (pass --kubeconfig PATH or set $KUBECONFIG)\n`]);
  });
});
