/**
 * Shared by every command that reads a cluster: -f paths and/or a live cluster → Cluster,
 * warnings printed to stderr. File objects override live ones (src/load/merge-live-objects.ts).
 */
import type { Cluster } from '../../compiler/model.js';
import { formatDiagnostic } from '../diagnostics.js';
import { loadCluster, type LoadResult } from '../load/load-cluster.js';
import type { CliIo } from './io.js';
import { flagOption, listOption, stringOption, type ParsedArgs } from './parse-options.js';
import { restrictToProfile } from '../../compiler/cni-admin-support.js';
import { readLiveInput } from './read-live-input.js';
import { printLoadReport } from './print-load-report.js';
import { restrictedProfile } from './read-cni-profile.js';

function countByKind(objects: readonly { object: Record<string, unknown> }[]): string {
  const counts = new Map<string, number>();
  for (const { object } of objects) counts.set(String(object['kind']), (counts.get(String(object['kind'])) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${n} ${k}`).join(', ') || 'nothing';
}

export async function loadClusterInput(command: string, parsed: ParsedArgs, io: CliIo): Promise<{ cluster: Cluster; result: LoadResult }> {
  const paths = listOption(parsed, 'filename');
  const live = await readLiveInput(command, parsed, io, paths.length > 0);
  const verbose = flagOption(parsed, 'verbose');
  if (live) {
    for (const d of live.diagnostics) io.stderr.write(`${d.severity}: ${formatDiagnostic(d)}\n`);
    if (verbose) io.stderr.write(`read ${countByKind(live.objects)} from context ${JSON.stringify(live.context)} (${live.server}) at ${live.readAt}\n`);
  }
  const result = loadCluster(live ? { paths, objects: live.objects } : { paths });
  // Under a CNI profile, cluster-scoped policies the CNI does not implement are ignored (or fail
  // closed) as that CNI would (compiler/cni-admin-support.ts).
  const profile = restrictedProfile(parsed);
  const restricted = profile !== null ? restrictToProfile(result.cluster, profile) : { cluster: result.cluster, notes: [] };
  const from = [paths.length > 0 ? `${result.stats.files.length} file(s)` : '', live ? `context ${JSON.stringify(live.context)}` : ''].filter(Boolean).join(' and ');
  printLoadReport(io, verbose, { diagnostics: result.diagnostics, stats: result.stats, notes: restricted.notes }, from);
  return { cluster: restricted.cluster, result };
}
