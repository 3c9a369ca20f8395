/**
 * Kubeconfig lookup as kubectl does it: `--kubeconfig PATH`, else every file of `$KUBECONFIG`
 * (`:`-separated; missing ones skipped; for each name the first file that defines it wins),
 * else `~/.kube/config`. No fallback to in-cluster config or localhost: reading some other
 * cluster than the one meant would be worse than failing. Every failure is one UserError line.
 */
import { readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { KubeConfig, type Cluster, type Context, type User } from '@kubernetes/client-node';
import { ExitCode, UserError } from '../diagnostics.js';

export interface KubeconfigOptions {
  /** `--kubeconfig`: wins over `$KUBECONFIG`. */
  readonly kubeconfigPath?: string | undefined;
  /** `--context`: wins over the file's `current-context`. */
  readonly context?: string | undefined;
  /** Only `KUBECONFIG` is read from it. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly homeDir: string;
}

export interface SelectedContext {
  /** Ready for `makeApiClient`, its current context set to `context`. */
  readonly kubeConfig: KubeConfig;
  /** The files read, in precedence order. */
  readonly files: readonly string[];
  readonly context: string;
  /** The cluster's `server` URL, without a trailing `/`. */
  readonly server: string;
}

function fail(message: string): never {
  throw new UserError(message, ExitCode.CLUSTER_ACCESS);
}

function readError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return error instanceof Error ? error.message : String(error);
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

/** One file, parsed by the client so its relative certificate paths resolve against the file's folder. */
function loadFile(path: string): KubeConfig {
  try {
    readFileSync(path);
  } catch (error) {
    fail(`cannot read kubeconfig ${path}: ${readError(error)} (pass --kubeconfig PATH or set $KUBECONFIG)`);
  }
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(path);
  } catch (error) {
    fail(`kubeconfig ${path} is not valid: ${firstLine(error)}`);
  }
  return kc;
}

function candidateFiles(options: KubeconfigOptions): { files: string[]; explicit: boolean } {
  if (options.kubeconfigPath !== undefined && options.kubeconfigPath !== '') return { files: [options.kubeconfigPath], explicit: true };
  const env = options.env['KUBECONFIG'];
  if (env !== undefined && env !== '') {
    return { files: env.split(delimiter).filter((f) => f !== ''), explicit: false };
  }
  return { files: [join(options.homeDir, '.kube', 'config')], explicit: true };
}

function mergeByName<T extends { readonly name: string }>(lists: readonly (readonly T[])[]): T[] {
  const seen = new Map<string, T>();
  for (const list of lists) for (const item of list) if (!seen.has(item.name)) seen.set(item.name, item);
  return [...seen.values()];
}

export function loadKubeconfig(options: KubeconfigOptions): SelectedContext {
  const { files: candidates, explicit } = candidateFiles(options);
  let files = candidates;
  if (!explicit && candidates.length > 1) {
    // kubectl skips the files of a $KUBECONFIG list that do not exist, but not all of them.
    files = candidates.filter((f) => {
      try {
        readFileSync(f);
        return true;
      } catch {
        return false;
      }
    });
    if (files.length === 0) fail(`cannot read any kubeconfig of $KUBECONFIG (${candidates.join(delimiter)}): no such file`);
  }
  const configs = files.map(loadFile);
  const where = files.length === 1 ? `kubeconfig ${files[0]}` : `kubeconfigs ${files.join(delimiter)}`;

  const contexts: Context[] = mergeByName(configs.map((kc) => kc.getContexts()));
  const clusters: Cluster[] = mergeByName(configs.map((kc) => kc.getClusters()));
  const users: User[] = mergeByName(configs.map((kc) => kc.getUsers()));
  const known = contexts.map((c) => c.name).sort();
  const knownText = known.length > 0 ? `contexts: ${known.join(', ')}` : 'it defines no contexts';

  let contextName = options.context;
  if (contextName === undefined || contextName === '') {
    contextName = configs.map((kc) => kc.getCurrentContext()).find((c) => typeof c === 'string' && c !== '');
    if (contextName === undefined) fail(`${where} has no current-context: pass --context NAME (${knownText})`);
  }
  const context = contexts.find((c) => c.name === contextName);
  if (!context) fail(`context ${JSON.stringify(contextName)} is not in ${where} (${knownText})`);
  const cluster = clusters.find((c) => c.name === context.cluster);
  if (!cluster) fail(`context ${JSON.stringify(contextName)} names cluster ${JSON.stringify(context.cluster)}, which is not in ${where}`);
  if (context.user && !users.some((u) => u.name === context.user)) {
    fail(`context ${JSON.stringify(contextName)} names user ${JSON.stringify(context.user)}, which is not in ${where}`);
  }

  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({ clusters, users, contexts, currentContext: contextName });
  return { kubeConfig, files, context: contextName, server: cluster.server };
}
