/**
 * A live cluster → raw objects for loadCluster, through `@kubernetes/client-node`'s list calls
 * (paged with `limit`/`continue`). The client does the kubeconfig, auth and TLS work; a
 * middleware on every call sets the timeout and keeps the response body as the server sent it,
 * so the loader sees wire JSON (the client's typed models rename fields, e.g. `from` → `_from`,
 * and drop those they do not know).
 *
 * All or nothing: any failed page fails the whole read with one UserError line (exit code 5),
 * except a forbidden namespace list, which degrades to namespaces known by name only, with a
 * warning. A `continue` token that expired mid-way (410) restarts that list once from the top.
 */
import {
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  NetworkingV1Api,
  Observable,
  ResponseContext,
  SelfDecodingBody,
  type ConfigurationOptions,
  type ObservableMiddleware,
  type RequestContext,
} from '@kubernetes/client-node';
import type { Origin } from '../../compiler/model.js';
import { ExitCode, UserError, type Diagnostic } from '../diagnostics.js';
import { isJsonObject, type JsonObject } from '../load/object-reader.js';
import type { RawObject } from '../load/read-manifests.js';
import { describeHttpFailure, describeTransportFailure, statusMessage, type RequestTarget } from './describe-request-failure.js';
import { loadKubeconfig, type KubeconfigOptions } from './load-kubeconfig.js';
import { LIVE_API_VERSIONS, type LiveKind } from '../load/prune-object.js';

/** Per request, connection to last byte; kubectl has no default, but a CLI must not hang. */
export const LIVE_REQUEST_TIMEOUT_MS = 30_000;
/** kubectl's chunk size for `get`. */
export const LIVE_PAGE_SIZE = 500;

export interface LiveReadOptions extends KubeconfigOptions {
  /** `-n`: read only this namespace's pods and policies. Absent (or `-A`): every namespace. */
  readonly namespace?: string | undefined;
  readonly timeoutMs?: number | undefined;
  readonly pageSize?: number | undefined;
  /** The clock for `readAt`; tests pass a fixed one. */
  readonly now?: (() => Date) | undefined;
}

export interface LiveRead {
  /** Namespaces, then pods, then policies, each in the server's order; wire JSON with apiVersion and kind. */
  readonly objects: readonly RawObject[];
  readonly context: string;
  readonly server: string;
  /** ISO 8601 time the first request was sent. */
  readonly readAt: string;
  /** The `-n` namespace, or null for all namespaces. */
  readonly namespace: string | null;
  /** Warnings about what could not be read (`limited-scope`). */
  readonly diagnostics: readonly Diagnostic[];
}

/** A list call that failed with an HTTP status; turned into a UserError unless the caller can degrade. */
class ListFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly target: RequestTarget,
  ) {
    super(describeHttpFailure({ status, body }, target));
  }
}

interface Page {
  readonly items: JsonObject[];
  readonly continueToken: string | undefined;
}

interface ListParams {
  readonly limit: number;
  readonly _continue?: string;
  readonly fieldSelector?: string;
}

interface ListSpec {
  readonly kind: LiveKind;
  /** The API path, for origins: `/api/v1/namespaces/web/pods`. */
  readonly path: string;
  /** For messages: `list pods in namespace "web"`. */
  readonly action: string;
  readonly fieldSelector?: string;
  readonly call: (params: ListParams, options: ConfigurationOptions) => Promise<unknown>;
}

/** What the middleware saw of one request: the body as sent, before the client's typed decoding. */
class Exchange {
  url = '';
  status = 0;
  body = '';
}

function exchangeMiddleware(exchange: Exchange, timeoutMs: number): ObservableMiddleware {
  return {
    pre(context: RequestContext): Observable<RequestContext> {
      exchange.url = context.getUrl();
      context.setSignal(AbortSignal.timeout(timeoutMs));
      return new Observable(Promise.resolve(context));
    },
    post(response: ResponseContext): Observable<ResponseContext> {
      const kept = (async () => {
        const bytes = await response.body.binary();
        exchange.status = response.httpStatusCode;
        exchange.body = bytes.toString('utf8');
        return new ResponseContext(response.httpStatusCode, response.headers, new SelfDecodingBody(Promise.resolve(bytes)));
      })();
      return new Observable(kept);
    },
  };
}

function fail(message: string): never {
  throw new UserError(message, ExitCode.CLUSTER_ACCESS);
}

class LiveReader {
  constructor(
    private readonly context: string,
    private readonly server: string,
    private readonly timeoutMs: number,
    private readonly pageSize: number,
  ) {}

  private target(spec: ListSpec, url: string): RequestTarget {
    return { context: this.context, server: this.server, action: spec.action, url: url || `${this.server}${spec.path}`, timeoutMs: this.timeoutMs };
  }

  private async page(spec: ListSpec, continueToken: string | undefined): Promise<Page> {
    const exchange = new Exchange();
    const params: ListParams = {
      limit: this.pageSize,
      ...(continueToken !== undefined ? { _continue: continueToken } : {}),
      ...(spec.fieldSelector !== undefined ? { fieldSelector: spec.fieldSelector } : {}),
    };
    try {
      await spec.call(params, { middleware: [exchangeMiddleware(exchange, this.timeoutMs)], middlewareMergeStrategy: 'append' });
    } catch (error) {
      // A 2xx body the typed decoder disliked is still read below, from the wire JSON.
      if (exchange.status === 0) fail(describeTransportFailure(error, this.target(spec, exchange.url)));
      if (exchange.status < 200 || exchange.status > 299) throw new ListFailure(exchange.status, exchange.body, this.target(spec, exchange.url));
    }
    const target = this.target(spec, exchange.url);
    let parsed: unknown;
    try {
      parsed = JSON.parse(exchange.body);
    } catch {
      fail(`the API server ${this.server} (context ${JSON.stringify(this.context)}) answered the request to ${target.action} with a body that is not JSON: ${statusMessage(exchange.body)}`);
    }
    if (!isJsonObject(parsed)) fail(`the API server ${this.server} (context ${JSON.stringify(this.context)}) answered the request to ${target.action} with JSON that is not a list object`);
    const items = parsed['items'] ?? [];
    if (!Array.isArray(items)) fail(`the API server ${this.server} (context ${JSON.stringify(this.context)}) answered the request to ${target.action} with a list whose items is not a list`);
    const objects: JsonObject[] = [];
    items.forEach((item, i) => {
      if (!isJsonObject(item)) fail(`the API server ${this.server} (context ${JSON.stringify(this.context)}) answered the request to ${target.action} with items[${i}] that is not an object`);
      objects.push(item);
    });
    const metadata = parsed['metadata'];
    const next = isJsonObject(metadata) ? metadata['continue'] : undefined;
    return { items: objects, continueToken: typeof next === 'string' && next !== '' ? next : undefined };
  }

  /** Every page of one list; restarts once when a `continue` token expired (410 Gone), as client-go's pager does. */
  async list(spec: ListSpec): Promise<RawObject[]> {
    for (let attempt = 0; ; attempt++) {
      const items: JsonObject[] = [];
      let continueToken: string | undefined;
      let expired = false;
      do {
        let page: Page;
        try {
          page = await this.page(spec, continueToken);
        } catch (error) {
          if (error instanceof ListFailure && error.status === 410 && continueToken !== undefined && attempt === 0) {
            expired = true;
            break;
          }
          throw error;
        }
        items.push(...page.items);
        // A server handing back the token it was given would page forever.
        if (page.continueToken !== undefined && page.continueToken === continueToken) {
          fail(`the API server ${this.server} (context ${JSON.stringify(this.context)}) returned the same continue token twice when asked to ${spec.action}`);
        }
        continueToken = page.continueToken;
      } while (continueToken !== undefined);
      if (expired) continue;
      const source = `cluster ${this.context} ${spec.path}`;
      return items.map((item, i) => {
        const origin: Origin = { source, document: 1, itemPath: `items[${i}]` };
        // List items come without apiVersion and kind (they are on the List); the loader needs them.
        return { origin, object: { apiVersion: LIVE_API_VERSIONS[spec.kind], kind: spec.kind, ...item } };
      });
    }
  }
}

function toUserError(error: unknown): never {
  if (error instanceof ListFailure) fail(error.message);
  throw error;
}

export async function readLiveCluster(options: LiveReadOptions): Promise<LiveRead> {
  const selected = loadKubeconfig(options);
  const { kubeConfig, context, server } = selected;
  try {
    // Reads CA, certificate and key files and runs auth plugins now, so their failures (and an
    // http:// server without insecure-skip-tls-verify, which the client refuses) name the kubeconfig.
    await kubeConfig.applyToHTTPSOptions({});
  } catch (error) {
    fail(`cannot set up the connection of context ${JSON.stringify(context)} (${selected.files.join(', ')}): ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  const timeoutMs = options.timeoutMs ?? LIVE_REQUEST_TIMEOUT_MS;
  const reader = new LiveReader(context, server, timeoutMs, options.pageSize ?? LIVE_PAGE_SIZE);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const networking = kubeConfig.makeApiClient(NetworkingV1Api);
  const namespace = options.namespace !== undefined && options.namespace !== '' ? options.namespace : null;
  const readAt = (options.now ?? (() => new Date()))().toISOString();
  const diagnostics: Diagnostic[] = [];
  const warn = (message: string): void => {
    diagnostics.push({ severity: 'warning', code: 'limited-scope', origin: null, object: null, path: null, message });
  };

  const ns = namespace === null ? '' : JSON.stringify(namespace);
  const namespaces: ListSpec = {
    kind: 'Namespace',
    path: '/api/v1/namespaces',
    // With -n only that namespace's labels matter: the pods of every other namespace are unknown.
    action: namespace === null ? 'list namespaces' : `list namespaces (fieldSelector metadata.name=${namespace})`,
    ...(namespace !== null ? { fieldSelector: `metadata.name=${namespace}` } : {}),
    call: (p, o) => core.listNamespace(p, o),
  };
  const pods: ListSpec =
    namespace === null
      ? { kind: 'Pod', path: '/api/v1/pods', action: 'list pods in all namespaces', call: (p, o) => core.listPodForAllNamespaces(p, o) }
      : {
          kind: 'Pod',
          path: `/api/v1/namespaces/${namespace}/pods`,
          action: `list pods in namespace ${ns}`,
          call: (p, o) => core.listNamespacedPod({ namespace, ...p }, o),
        };
  const policies: ListSpec =
    namespace === null
      ? {
          kind: 'NetworkPolicy',
          path: '/apis/networking.k8s.io/v1/networkpolicies',
          action: 'list networkpolicies.networking.k8s.io in all namespaces',
          call: (p, o) => networking.listNetworkPolicyForAllNamespaces(p, o),
        }
      : {
          kind: 'NetworkPolicy',
          path: `/apis/networking.k8s.io/v1/namespaces/${namespace}/networkpolicies`,
          action: `list networkpolicies.networking.k8s.io in namespace ${ns}`,
          call: (p, o) => networking.listNamespacedNetworkPolicy({ namespace, ...p }, o),
        };

  let namespaceObjects: RawObject[] = [];
  try {
    namespaceObjects = await reader.list(namespaces);
    if (namespace !== null && namespaceObjects.length === 0) {
      warn(`namespace ${ns} does not exist in context ${JSON.stringify(context)}; it is created with only the label kubernetes.io/metadata.name`);
    }
  } catch (error) {
    if (!(error instanceof ListFailure) || error.status !== 403) toUserError(error);
    // Namespaces are cluster-scoped: a user with only a namespaced Role can never list them.
    warn(
      `context ${JSON.stringify(context)} may not list namespaces (403 Forbidden), so namespace labels are unknown: namespaceSelector peers see only the label kubernetes.io/metadata.name; grant "list" on namespaces for exact results`,
    );
  }
  let podObjects: RawObject[];
  let policyObjects: RawObject[];
  try {
    podObjects = await reader.list(pods);
    policyObjects = await reader.list(policies);
  } catch (error) {
    toUserError(error);
  }
  // Services and EndpointSlices are read for the Service translation; a user who may not list
  // them still gets the policy verdicts, with a warning that Service traffic is not translated.
  const discovery = kubeConfig.makeApiClient(DiscoveryV1Api);
  const serviceLists: ListSpec[] = [
    namespace === null
      ? { kind: 'Service', path: '/api/v1/services', action: 'list services in all namespaces', call: (p, o) => core.listServiceForAllNamespaces(p, o) }
      : { kind: 'Service', path: `/api/v1/namespaces/${namespace}/services`, action: `list services in namespace ${ns}`, call: (p, o) => core.listNamespacedService({ namespace, ...p }, o) },
    namespace === null
      ? {
          kind: 'EndpointSlice',
          path: '/apis/discovery.k8s.io/v1/endpointslices',
          action: 'list endpointslices.discovery.k8s.io in all namespaces',
          call: (p, o) => discovery.listEndpointSliceForAllNamespaces(p, o),
        }
      : {
          kind: 'EndpointSlice',
          path: `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`,
          action: `list endpointslices.discovery.k8s.io in namespace ${ns}`,
          call: (p, o) => discovery.listNamespacedEndpointSlice({ namespace, ...p }, o),
        },
  ];
  const serviceObjects: RawObject[] = [];
  for (const spec of serviceLists) {
    try {
      serviceObjects.push(...(await reader.list(spec)));
    } catch (error) {
      if (!(error instanceof ListFailure) || error.status !== 403) toUserError(error);
      warn(`context ${JSON.stringify(context)} may not ${spec.action} (403 Forbidden): traffic to Service addresses is not translated to endpoints; grant "list" on services and endpointslices.discovery.k8s.io`);
    }
  }
  if (namespace !== null) {
    warn(
      `only namespace ${ns} was read: pods and policies of other namespaces are unknown, so cross-namespace peers cannot be resolved and traffic from or to other namespaces' pods is treated as traffic from or to outside the cluster`,
    );
  }
  const clusterScoped = namespace === null ? await readClusterScoped(reader, kubeConfig.makeApiClient(CoreV1Api), kubeConfig.makeApiClient(CustomObjectsApi), context, warn) : [];
  return { objects: [...namespaceObjects, ...podObjects, ...policyObjects, ...serviceObjects, ...clusterScoped], context, server, readAt, namespace, diagnostics };
}

/** The custom resources of sig-network's network-policy-api, as `[kind, version, plural]`. */
const ADMIN_POLICY_RESOURCES = [
  ['AdminNetworkPolicy', 'v1alpha1', 'adminnetworkpolicies'],
  ['BaselineAdminNetworkPolicy', 'v1alpha1', 'baselineadminnetworkpolicies'],
  ['ClusterNetworkPolicy', 'v1alpha2', 'clusternetworkpolicies'],
] as const;

/**
 * Nodes (for `nodes` peers) and the cluster-scoped policies, on full reads only (with `-n` the
 * read is namespaced: they are not read). A resource the server does not serve (404: the CRD is
 * not installed) is simply absent; one the context may not list (403) is a warning.
 */
async function readClusterScoped(reader: LiveReader, core: CoreV1Api, custom: CustomObjectsApi, context: string, warn: (message: string) => void): Promise<RawObject[]> {
  const specs: ListSpec[] = [
    { kind: 'Node', path: '/api/v1/nodes', action: 'list nodes', call: (p, o) => core.listNode(p, o) },
    ...ADMIN_POLICY_RESOURCES.map(([kind, version, plural]): ListSpec => ({
      kind,
      path: `/apis/policy.networking.k8s.io/${version}/${plural}`,
      action: `list ${plural}.policy.networking.k8s.io`,
      call: (p, o) => custom.listClusterCustomObject({ group: 'policy.networking.k8s.io', version, plural, ...p }, o),
    })),
  ];
  const objects: RawObject[] = [];
  for (const spec of specs) {
    try {
      objects.push(...(await reader.list(spec)));
    } catch (error) {
      if (error instanceof ListFailure && error.status === 404) continue;
      if (error instanceof ListFailure && error.status === 403) {
        warn(`context ${JSON.stringify(context)} may not ${spec.action} (403 Forbidden): ${spec.kind === 'Node' ? 'nodes peers of admin policies match no node' : `${spec.kind} objects are not read`}`);
        continue;
      }
      toUserError(error);
    }
  }
  return objects;
}
