/**
 * One line for each way a list call can fail, naming the server URL and what was refused, so the
 * user knows whether to fix the network, the CA, the credentials or the RBAC. The raw errors
 * come from node-fetch (`FetchError` with a system or TLS `code`, `AbortError`) and from the
 * generated client (`ApiException` with the HTTP `code`).
 */
import { isJsonObject } from '../load/object-reader.js';

/** What was being done when the failure happened. */
export interface RequestTarget {
  readonly context: string;
  readonly server: string;
  /** e.g. `list pods in all namespaces`. */
  readonly action: string;
  /** e.g. `https://10.0.0.1:6443/api/v1/pods?limit=500`. */
  readonly url: string;
  readonly timeoutMs: number;
}

/** A failed HTTP answer: status and the `message` of the Kubernetes Status body, if any. */
export interface HttpFailure {
  readonly status: number;
  readonly body: string;
}

const CONNECT_ERRORS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset by the server',
  EPIPE: 'connection closed by the server',
  ETIMEDOUT: 'connection timed out',
};

const TLS_ERRORS: Readonly<Record<string, string>> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "the server's certificate is not signed by the certificate-authority of the kubeconfig",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "the server's certificate is not signed by the certificate-authority of the kubeconfig",
  SELF_SIGNED_CERT_IN_CHAIN: "the server's certificate chain ends in a CA that the kubeconfig does not trust",
  DEPTH_ZERO_SELF_SIGNED_CERT: "the server's certificate is self-signed and not the kubeconfig's certificate-authority",
  ERR_TLS_CERT_ALTNAME_INVALID: "the server's certificate is not valid for the host name used (check server and tls-server-name in the kubeconfig)",
  CERT_HAS_EXPIRED: "the server's certificate has expired",
  CERT_NOT_YET_VALID: "the server's certificate is not yet valid (clock skew?)",
};

/** The Kubernetes Status `message` of an error body, else the body's first line, shortened. */
export function statusMessage(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (isJsonObject(parsed) && typeof parsed['message'] === 'string' && parsed['message'] !== '') return parsed['message'];
  } catch {
    // Not JSON: a proxy's HTML page, say.
  }
  const line = (body.split('\n')[0] ?? '').trim();
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}

export function describeHttpFailure(failure: HttpFailure, target: RequestTarget): string {
  const said = statusMessage(failure.body);
  const saidText = said ? `: ${said}` : '';
  const where = `the API server ${target.server} (context ${JSON.stringify(target.context)})`;
  if (failure.status === 401) {
    return `${where} refused the credentials (401 Unauthorized) when asked to ${target.action}: the token or client certificate is missing, expired or wrong`;
  }
  if (failure.status === 403) {
    return `${where} forbids to ${target.action} (403 Forbidden${saidText}); netpol-emu needs RBAC "list" on namespaces, pods and networkpolicies.networking.k8s.io`;
  }
  if (failure.status === 404) {
    return `${where} has no ${target.url} (404 Not Found${saidText}) when asked to ${target.action}`;
  }
  return `${where} answered ${failure.status} when asked to ${target.action}${saidText}`;
}

/** A transport failure: refused, unresolvable, TLS, or no answer within the timeout. */
export function describeTransportFailure(error: unknown, target: RequestTarget): string {
  const name = (error as { name?: unknown }).name;
  const type = (error as { type?: unknown }).type;
  const code = (error as { code?: unknown }).code;
  if (name === 'AbortError' || type === 'aborted' || name === 'TimeoutError') {
    return `no answer from ${target.url} within ${target.timeoutMs / 1000} s (context ${JSON.stringify(target.context)}) when asked to ${target.action}: the API server is unreachable or overloaded`;
  }
  if (typeof code === 'string' && code in TLS_ERRORS) {
    return `TLS failure talking to ${target.server} (context ${JSON.stringify(target.context)}): ${TLS_ERRORS[code]} (${code})`;
  }
  if (typeof code === 'string' && (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || code.includes('CERT'))) {
    return `TLS failure talking to ${target.server} (context ${JSON.stringify(target.context)}): ${code}`;
  }
  if (typeof code === 'string' && code in CONNECT_ERRORS) {
    return `cannot reach the API server ${target.server} (context ${JSON.stringify(target.context)}): ${CONNECT_ERRORS[code]}`;
  }
  const message = error instanceof Error ? error.message : String(error);
  return `cannot ${target.action} from ${target.server} (context ${JSON.stringify(target.context)}): ${message.split('\n')[0] ?? message}`;
}
