import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode, UserError } from '../src/diagnostics.js';
import { readLiveCluster, type LiveReadOptions } from '../src/live/read-live-cluster.js';
import { generateCertificates, kubeconfigText, readFixtureObjects, startFakeApiServer, type Certificates, type FakeApiServer } from './helpers/live-api-server.js';

const TOKEN = 'test-token-1';

/** The UserError a failed read throws: exit code 5 and a single line. */
async function failure(options: LiveReadOptions): Promise<string> {
  try {
    await readLiveCluster(options);
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).exitCode).toBe(ExitCode.CLUSTER_ACCESS);
    const message = (error as UserError).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('readLiveCluster succeeded');
}

describe('readLiveCluster - failures are one clear line', () => {
  let certs: Certificates;
  let server: FakeApiServer;
  let dir: string;
  const config = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  beforeAll(async () => {
    certs = generateCertificates();
    server = await startFakeApiServer({ objects: readFixtureObjects(), token: TOKEN, certs, forbidden: ['pods'], hang: ['pods/web'] });
    dir = mkdtempSync(join(tmpdir(), 'netpol-emu-live-errors-'));
  });
  afterAll(async () => {
    await server.close();
    certs.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('readLiveCluster - missing kubeconfig names the path it looked at', async () => {
    const message = await failure({ env: {}, homeDir: join(dir, 'nohome') });
    expect(message).toBe(`cannot read kubeconfig ${join(dir, 'nohome', '.kube', 'config')}: no such file or directory (pass --kubeconfig PATH or set $KUBECONFIG)`);
    const fromEnv = await failure({ env: { KUBECONFIG: join(dir, 'absent') }, homeDir: dir });
    expect(fromEnv).toContain(`cannot read kubeconfig ${join(dir, 'absent')}: no such file or directory`);
  });

  it('readLiveCluster - an unreadable kubeconfig says why', async () => {
    // A directory, not a chmod 000 file: root (as in CI containers) reads any file.
    const path = join(dir, 'a-directory');
    mkdirSync(path);
    expect(await failure({ kubeconfigPath: path, env: {}, homeDir: dir })).toBe(`cannot read kubeconfig ${path}: is a directory (pass --kubeconfig PATH or set $KUBECONFIG)`);
  });

  it('readLiveCluster - malformed kubeconfig names the bad entry', async () => {
    const path = config('bad', 'apiVersion: v1\nkind: Config\nclusters:\n  - name: c\n    cluster: {}\n');
    expect(await failure({ kubeconfigPath: path, env: {}, homeDir: dir })).toBe(`kubeconfig ${path} is not valid: clusters[0].cluster.server is missing`);
  });

  it('readLiveCluster - unknown context lists the known ones', async () => {
    const path = config('ctx', kubeconfigText({ server: server.url, token: TOKEN, caFile: certs.caFile, context: 'prod' }));
    expect(await failure({ kubeconfigPath: path, context: 'staging', env: {}, homeDir: dir })).toBe(`context "staging" is not in kubeconfig ${path} (contexts: prod)`);
    const none = config('nocurrent', kubeconfigText({ server: server.url, token: TOKEN, caFile: certs.caFile, context: 'prod', currentContext: null }));
    expect(await failure({ kubeconfigPath: none, env: {}, homeDir: dir })).toBe(`kubeconfig ${none} has no current-context: pass --context NAME (contexts: prod)`);
  });

  it('readLiveCluster - 403 says which verb and resource was refused and what RBAC is needed', async () => {
    const path = config('ok', kubeconfigText({ server: server.url, token: TOKEN, caFile: certs.caFile }));
    const message = await failure({ kubeconfigPath: path, env: {}, homeDir: dir });
    expect(message).toBe(
      `the API server ${server.url} (context "test") forbids to list pods in all namespaces (403 Forbidden: pods is forbidden: User "system:serviceaccount:netpol:viewer" cannot list resource "pods" in API group "" at the cluster scope); netpol-emu needs RBAC "list" on namespaces, pods and networkpolicies.networking.k8s.io`,
    );
  });

  it('readLiveCluster - 401 says the credentials were refused', async () => {
    const path = config('badtoken', kubeconfigText({ server: server.url, token: 'expired', caFile: certs.caFile }));
    expect(await failure({ kubeconfigPath: path, env: {}, homeDir: dir })).toBe(
      `the API server ${server.url} (context "test") refused the credentials (401 Unauthorized) when asked to list namespaces: the token or client certificate is missing, expired or wrong`,
    );
  });

  it('readLiveCluster - a closed port is unreachable, with the URL', async () => {
    const probe = createTcpServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const path = config('closed', kubeconfigText({ server: `https://127.0.0.1:${port}`, token: TOKEN, caFile: certs.caFile }));
    expect(await failure({ kubeconfigPath: path, env: {}, homeDir: dir })).toBe(`cannot reach the API server https://127.0.0.1:${port} (context "test"): connection refused`);
  });

  it('readLiveCluster - a certificate from another CA is a TLS failure', async () => {
    const path = config('otherca', kubeconfigText({ server: server.url, token: TOKEN, caFile: certs.otherCaFile }));
    const message = await failure({ kubeconfigPath: path, env: {}, homeDir: dir });
    expect(message).toMatch(new RegExp(`^TLS failure talking to ${server.url.replace(/\./g, '\\.')} \\(context "test"\\): the server's certificate is not signed by the certificate-authority of the kubeconfig \\(UNABLE_TO_VERIFY_LEAF_SIGNATURE\\)$`));
    // The certificate is for 127.0.0.1 and localhost only.
    const wrongName = config('wrongname', kubeconfigText({ server: server.url, token: TOKEN, caFile: certs.caFile, tlsServerName: 'kubernetes.example' }));
    expect(await failure({ kubeconfigPath: wrongName, env: {}, homeDir: dir })).toContain("the server's certificate is not valid for the host name used (check server and tls-server-name in the kubeconfig) (ERR_TLS_CERT_ALTNAME_INVALID)");
  });

  it('readLiveCluster - a missing certificate-authority file is reported before any request', async () => {
    const path = config('nocafile', kubeconfigText({ server: server.url, token: TOKEN, caFile: join(dir, 'missing-ca.crt') }));
    const message = await failure({ kubeconfigPath: path, env: {}, homeDir: dir });
    expect(message).toContain(`cannot set up the connection of context "test" (${path})`);
    expect(message).toContain('missing-ca.crt');
  });

  it('readLiveCluster - a 200 that is not a list, and a 500, are errors, never an empty cluster', async () => {
    let answer = { status: 200, type: 'text/html', body: '<html><body>Login to the corporate proxy</body></html>' };
    const odd = createHttpsServer({ cert: readFileSync(certs.certFile), key: readFileSync(certs.keyFile) }, (_req, res) => {
      res.writeHead(answer.status, { 'Content-Type': answer.type });
      res.end(answer.body);
    });
    await new Promise<void>((resolve) => odd.listen(0, '127.0.0.1', resolve));
    const url = `https://127.0.0.1:${(odd.address() as AddressInfo).port}`;
    try {
      const path = config('odd', kubeconfigText({ server: url, token: TOKEN, caFile: certs.caFile }));
      expect(await failure({ kubeconfigPath: path, env: {}, homeDir: dir })).toBe(
        `the API server ${url} (context "test") answered the request to list namespaces with a body that is not JSON: <html><body>Login to the corporate proxy</body></html>`,
      );
      answer = { status: 500, type: 'application/json', body: JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'etcdserver: request timed out', code: 500 }) };
      expect(await failure({ kubeconfigPath: path, env: {}, homeDir: dir })).toBe(`the API server ${url} (context "test") answered 500 when asked to list namespaces: etcdserver: request timed out`);
    } finally {
      await new Promise<void>((resolve) => odd.close(() => resolve()));
    }
  });

  it('readLiveCluster - a server that never answers times out, naming the URL', async () => {
    const path = config('hang', kubeconfigText({ server: server.url, token: TOKEN, caFile: certs.caFile }));
    const message = await failure({ kubeconfigPath: path, env: {}, homeDir: dir, namespace: 'web', timeoutMs: 300 });
    expect(message).toBe(`no answer from ${server.url}/api/v1/namespaces/web/pods?limit=500 within 0.3 s (context "test") when asked to list pods in namespace "web": the API server is unreachable or overloaded`);
  });

  it('readLiveCluster - a port that accepts but never speaks TLS times out', async () => {
    const sockets: Socket[] = [];
    const silent = createTcpServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const path = config('silent', kubeconfigText({ server: `https://127.0.0.1:${port}`, token: TOKEN, caFile: certs.caFile }));
      expect(await failure({ kubeconfigPath: path, env: {}, homeDir: dir, timeoutMs: 300 })).toContain(`no answer from https://127.0.0.1:${port}/api/v1/namespaces?limit=500 within 0.3 s`);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
