/**
 * The live-cluster flags every cluster-reading command shares (--kubeconfig, --context, -n, -A)
 * and when they apply: a live cluster is read when any of them is given, or when no -f is given
 * and a kubeconfig exists ($KUBECONFIG or ~/.kube/config), as kubectl would find one.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ExitCode, UserError } from '../diagnostics.js';
import type { LiveRead, LiveReadOptions } from '../live/read-live-cluster.js';
import type { CliIo } from './io.js';
import { flagOption, stringOption, type ParsedArgs } from './parse-options.js';

function homeDir(io: CliIo): string {
  return io.env['HOME'] || io.env['USERPROFILE'] || homedir();
}

export function liveReadOptions(command: string, parsed: ParsedArgs, io: CliIo): LiveReadOptions {
  const namespace = stringOption(parsed, 'namespace');
  if (namespace !== undefined && flagOption(parsed, 'all-namespaces')) {
    throw new UserError(`${command}: -n ${namespace} and -A contradict each other: give one`, ExitCode.USAGE);
  }
  if (namespace === '') throw new UserError(`${command}: -n needs a namespace name`, ExitCode.USAGE);
  return { kubeconfigPath: stringOption(parsed, 'kubeconfig'), context: stringOption(parsed, 'context'), namespace, env: io.env, homeDir: homeDir(io) };
}

/** Any live flag given explicitly. */
export function wantsLive(parsed: ParsedArgs): boolean {
  return ['kubeconfig', 'context', 'namespace', 'all-namespaces'].some((name) => parsed.values[name] !== undefined);
}

/** Whether kubectl would find a kubeconfig without flags. */
export function hasDefaultKubeconfig(io: CliIo): boolean {
  const env = io.env['KUBECONFIG'];
  return (env !== undefined && env !== '') || existsSync(join(homeDir(io), '.kube', 'config'));
}

/** The live read for a cluster-reading command, or null when only -f files are to be used. */
export async function readLiveInput(command: string, parsed: ParsedArgs, io: CliIo, hasFiles: boolean): Promise<LiveRead | null> {
  if (!wantsLive(parsed)) {
    if (hasFiles) return null;
    if (!hasDefaultKubeconfig(io)) {
      throw new UserError(`${command}: no cluster given: pass manifests with -f PATH, or a live cluster with --kubeconfig PATH ($KUBECONFIG, ~/.kube/config)`, ExitCode.USAGE);
    }
  }
  // Loaded on demand: @kubernetes/client-node takes half a second to import, which every
  // file-only run would otherwise pay at start-up.
  const { readLiveCluster } = await import('../live/read-live-cluster.js');
  return readLiveCluster(liveReadOptions(command, parsed, io));
}
