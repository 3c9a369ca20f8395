/**
 * Test helpers for src/live: a loopback HTTPS server that answers the Kubernetes list endpoints
 * the way kube-apiserver does (typed List JSON, items without kind/apiVersion, `limit`/`continue`
 * paging, Status bodies for 401/403/404/410, bearer-token auth), certificates made with openssl
 * at test time, and a kubeconfig pointing at it. Not a test file: vitest only runs *.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import type { Cluster, IpAddress } from '../../compiler/model.js';
import { IP_PROTOCOL } from '../../compiler/model.js';
import { NaiveEvaluator } from '../../src/naive/naive-evaluator.js';
import { parseIp } from '../../src/load/parse-ip.js';

type JsonObject = Record<string, unknown>;

export const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'live', 'cluster.yaml');

export interface Certificates {
  readonly dir: string;
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** A CA that did not sign the server certificate. */
  readonly otherCaFile: string;
  cleanup(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** An EC P-256 CA, a server certificate for 127.0.0.1 and localhost signed by it, and an unrelated CA. */
export function generateCertificates(): Certificates {
  const dir = mkdtempSync(join(tmpdir(), 'netpol-emu-live-'));
  const key = (name: string): void => openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', name]);
  const ca = (name: string, cn: string): void => {
    key(`${name}.key`);
    openssl(dir, ['req', '-x509', '-new', '-key', `${name}.key`, '-subj', `/CN=${cn}`, '-days', '2', '-out', `${name}.crt`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  };
  ca('ca', 'netpol-emu test CA');
  ca('other-ca', 'some other CA');
  key('server.key');
  openssl(dir, ['req', '-new', '-key', 'server.key', '-subj', '/CN=kube-apiserver', '-out', 'server.csr']);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  openssl(dir, ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-out', 'server.crt', '-extfile', 'server.ext']);
  return {
    dir,
    caFile: join(dir, 'ca.crt'),
    certFile: join(dir, 'server.crt'),
    keyFile: join(dir, 'server.key'),
    otherCaFile: join(dir, 'other-ca.crt'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface FakeClusterObjects {
  readonly namespaces: JsonObject[];
  readonly pods: JsonObject[];
  readonly policies: JsonObject[];
  readonly services?: JsonObject[];
  readonly endpointSlices?: JsonObject[];
}

/** The fixture's objects, by kind, as the API server stores them. */
export function readFixtureObjects(path = FIXTURE): FakeClusterObjects {
  const objects = parseAllDocuments(readFileSync(path, 'utf8')).map((d) => d.toJS() as JsonObject);
  return {
    namespaces: objects.filter((o) => o['kind'] === 'Namespace'),
    pods: objects.filter((o) => o['kind'] === 'Pod'),
    policies: objects.filter((o) => o['kind'] === 'NetworkPolicy'),
    services: objects.filter((o) => o['kind'] === 'Service'),
    endpointSlices: objects.filter((o) => o['kind'] === 'EndpointSlice'),
  };
}

export interface FakeApiServerOptions {
  readonly objects: FakeClusterObjects;
  readonly token: string;
  readonly certs: Certificates;
  /** `resource` (cluster scope) or `resource/namespace` keys answered 403, e.g. `namespaces`, `pods/web`. */
  readonly forbidden?: readonly string[];
  /** Keys (as for forbidden) never answered. */
  readonly hang?: readonly string[];
  /** Answer the first request that carries a continue token with 410 Expired. */
  readonly expireFirstContinue?: boolean;
  /** Cluster-scoped lists served whole at these paths (`/api/v1/nodes`, custom resources); other paths 404. */
  readonly clusterLists?: Readonly<Record<string, { readonly listKind: string; readonly apiVersion: string; readonly items: readonly JsonObject[]; readonly forbidden?: boolean }>>;
}

export interface FakeApiServer {
  readonly url: string;
  /** Every request's path and query, in order. */
  readonly requests: string[];
  close(): Promise<void>;
}

const RESOURCE_VERSION = '48213';

interface Route {
  readonly resource: 'namespaces' | 'pods' | 'networkpolicies' | 'services' | 'endpointslices';
  readonly namespace: string | null;
  readonly group: string;
  readonly listKind: string;
  readonly apiVersion: string;
}

function route(pathname: string): Route | null {
  let m: RegExpExecArray | null;
  if (pathname === '/api/v1/namespaces') return { resource: 'namespaces', namespace: null, group: '', listKind: 'NamespaceList', apiVersion: 'v1' };
  if (pathname === '/api/v1/pods') return { resource: 'pods', namespace: null, group: '', listKind: 'PodList', apiVersion: 'v1' };
  if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(pathname))) {
    return { resource: 'pods', namespace: m[1] ?? null, group: '', listKind: 'PodList', apiVersion: 'v1' };
  }
  if (pathname === '/api/v1/services') return { resource: 'services', namespace: null, group: '', listKind: 'ServiceList', apiVersion: 'v1' };
  if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/services$/.exec(pathname))) {
    return { resource: 'services', namespace: m[1] ?? null, group: '', listKind: 'ServiceList', apiVersion: 'v1' };
  }
  const es = { resource: 'endpointslices', group: 'discovery.k8s.io', listKind: 'EndpointSliceList', apiVersion: 'discovery.k8s.io/v1' } as const;
  if (pathname === '/apis/discovery.k8s.io/v1/endpointslices') return { ...es, namespace: null };
  if ((m = /^\/apis\/discovery\.k8s\.io\/v1\/namespaces\/([^/]+)\/endpointslices$/.exec(pathname))) return { ...es, namespace: m[1] ?? null };
  const np = { resource: 'networkpolicies', group: 'networking.k8s.io', listKind: 'NetworkPolicyList', apiVersion: 'networking.k8s.io/v1' } as const;
  if (pathname === '/apis/networking.k8s.io/v1/networkpolicies') return { ...np, namespace: null };
  if ((m = /^\/apis\/networking\.k8s\.io\/v1\/namespaces\/([^/]+)\/networkpolicies$/.exec(pathname))) return { ...np, namespace: m[1] ?? null };
  return null;
}

function status(code: number, reason: string, message: string, details?: JsonObject): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code });
}

function meta(o: JsonObject): { name: string; namespace: string } {
  const m = o['metadata'] as { name: string; namespace?: string };
  return { name: m.name, namespace: m.namespace ?? '' };
}

export async function startFakeApiServer(options: FakeApiServerOptions): Promise<FakeApiServer> {
  const requests: string[] = [];
  let continueSeen = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer({ cert: readFileSync(options.certs.certFile), key: readFileSync(options.certs.keyFile) }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    requests.push(`${url.pathname}${url.search}`);
    const send = (code: number, body: string): void => {
      res.writeHead(code, { 'Content-Type': 'application/json', 'Audit-Id': '5e1f6c2a-7b9d-4e3f-8a1b-2c3d4e5f6a7b' });
      res.end(body);
    };
    if (req.headers.authorization !== `Bearer ${options.token}`) {
      return send(401, status(401, 'Unauthorized', 'Unauthorized'));
    }
    const extra = options.clusterLists?.[url.pathname];
    if (extra?.forbidden) return send(403, status(403, 'Forbidden', `forbidden: User "system:serviceaccount:netpol:viewer" cannot list resource at ${url.pathname}`));
    if (extra) {
      const items = extra.items.map(({ kind: _k, apiVersion: _a, ...rest }) => rest);
      return send(200, JSON.stringify({ kind: extra.listKind, apiVersion: extra.apiVersion, metadata: { resourceVersion: RESOURCE_VERSION }, items }));
    }
    const r = route(url.pathname);
    if (req.method !== 'GET' || r === null) return send(404, status(404, 'NotFound', 'the server could not find the requested resource'));
    const key = r.namespace === null ? r.resource : `${r.resource}/${r.namespace}`;
    if (options.forbidden?.includes(key)) {
      const scope = r.namespace === null ? 'at the cluster scope' : `in the namespace "${r.namespace}"`;
      return send(403, status(403, 'Forbidden', `${r.resource}${r.group ? `.${r.group}` : ''} is forbidden: User "system:serviceaccount:netpol:viewer" cannot list resource "${r.resource}" in API group "${r.group}" ${scope}`, { kind: r.resource }));
    }
    if (options.hang?.includes(key)) return; // never answered

    const byResource = {
      namespaces: options.objects.namespaces,
      pods: options.objects.pods,
      networkpolicies: options.objects.policies,
      services: options.objects.services ?? [],
      endpointslices: options.objects.endpointSlices ?? [],
    };
    const all = byResource[r.resource];
    const fieldSelector = url.searchParams.get('fieldSelector');
    const items = all
      .filter((o) => r.namespace === null || meta(o).namespace === r.namespace)
      .filter((o) => fieldSelector === null || fieldSelector === `metadata.name=${meta(o).name}`)
      // etcd order: by key, /registry/<resource>/<namespace>/<name>.
      .sort((a, b) => {
        const ka = `${meta(a).namespace}/${meta(a).name}`;
        const kb = `${meta(b).namespace}/${meta(b).name}`;
        return ka < kb ? -1 : ka > kb ? 1 : 0;
      });

    let start = 0;
    const token = url.searchParams.get('continue');
    if (token !== null) {
      if (options.expireFirstContinue && !continueSeen) {
        continueSeen = true;
        return send(410, status(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.'));
      }
      const decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { key: string; start: number };
      if (decoded.key !== key) return send(400, status(400, 'BadRequest', 'continue key is not valid: mismatched key'));
      start = decoded.start;
    }
    const limitText = url.searchParams.get('limit');
    const limit = limitText === null ? items.length : Number.parseInt(limitText, 10);
    const page = items.slice(start, start + limit);
    const next = start + limit < items.length ? start + limit : null;
    const listMeta: JsonObject = { resourceVersion: RESOURCE_VERSION };
    if (next !== null) {
      listMeta['continue'] = Buffer.from(JSON.stringify({ key, start: next })).toString('base64url');
      listMeta['remainingItemCount'] = items.length - next;
    }
    // The API server's typed lists carry kind/apiVersion once, on the List.
    const stripped = page.map(({ kind: _k, apiVersion: _a, ...rest }) => rest);
    send(200, JSON.stringify({ kind: r.listKind, apiVersion: r.apiVersion, metadata: listMeta, items: stripped }));
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface KubeconfigSpec {
  readonly server: string;
  readonly token: string;
  readonly caFile?: string;
  readonly caData?: string;
  readonly tlsServerName?: string;
  readonly context?: string;
  readonly currentContext?: string | null;
}

/** A kubeconfig with one cluster, one bearer-token user and one context (named `test` unless told). */
export function kubeconfigText(spec: KubeconfigSpec): string {
  const context = spec.context ?? 'test';
  const cluster: JsonObject = { server: spec.server };
  if (spec.caFile !== undefined) cluster['certificate-authority'] = spec.caFile;
  if (spec.caData !== undefined) cluster['certificate-authority-data'] = spec.caData;
  if (spec.tlsServerName !== undefined) cluster['tls-server-name'] = spec.tlsServerName;
  const config: JsonObject = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'fake', cluster }],
    users: [{ name: 'viewer', user: { token: spec.token } }],
    contexts: [{ name: context, context: { cluster: 'fake', user: 'viewer' } }],
  };
  if (spec.currentContext !== null) config['current-context'] = spec.currentContext ?? context;
  return stringify(config);
}

/** Pod-to-pod verdicts of the naive evaluator, keyed by names, over a fixed set of ports. */
export function verdictMatrix(cluster: Cluster): string[] {
  const endpoints: { name: string; ip: IpAddress }[] = [];
  for (const pod of cluster.pods) for (const ip of pod.ips) endpoints.push({ name: `${pod.namespace}/${pod.name}`, ip });
  for (const text of ['172.18.0.2', '8.8.8.8']) {
    const parsed = parseIp(text);
    if (parsed.ok) endpoints.push({ name: text, ip: parsed.value });
  }
  const ports: [number, number][] = [
    [IP_PROTOCOL.TCP, 80],
    [IP_PROTOCOL.TCP, 5432],
    [IP_PROTOCOL.TCP, 8080],
    [IP_PROTOCOL.TCP, 9000],
    [IP_PROTOCOL.TCP, 9090],
    [IP_PROTOCOL.UDP, 53],
  ];
  const engine = new NaiveEvaluator(cluster);
  const out: string[] = [];
  for (const src of endpoints) {
    for (const dst of endpoints) {
      if (src.ip.family !== dst.ip.family) continue;
      for (const [protocol, dstPort] of ports) {
        const v = engine.evaluate({ src: src.ip, dst: dst.ip, protocol, dstPort });
        out.push(`${src.name} -> ${dst.name} ${protocol}/${dstPort}: ${v.allowed ? 'allow' : 'deny'} ${v.reason}`);
      }
    }
  }
  return out;
}
