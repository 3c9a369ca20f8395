/**
 * The cluster and its compiled tables for `replay`: from manifest files through the cache keyed
 * by their bytes (src/cache/load-compiled-cached.ts: a warm start neither parses nor compiles),
 * else loaded as every command loads (load-cluster-input.ts) and compiled through the table cache
 * keyed by the decoded cluster. The second way serves a live cluster (its objects are read anew
 * at every start: there are no bytes to key on before reading them) and a path that cannot be
 * listed (the loader reports it). Either way stderr gets the same lines.
 */
import type { Cluster } from '../../compiler/model.js';
import type { PolicySemantics } from '../../compiler/policy-semantics.js';
import type { CachedTables } from '../cache/compiled-table-cache.js';
import { loadCompiledCached } from '../cache/load-compiled-cached.js';
import type { Diagnostic } from '../diagnostics.js';
import { listManifestFiles } from '../load/list-manifest-files.js';
import type { CliIo } from './io.js';
import { printLoadReport } from './print-load-report.js';
import { restrictedProfile } from './read-cni-profile.js';
import { flagOption, listOption, type ParsedArgs } from './parse-options.js';
import { wantsLive } from './read-live-input.js';

export async function loadCompiledInput(command: string, parsed: ParsedArgs, io: CliIo, semantics: PolicySemantics, cacheDir: string | null): Promise<{ cluster: Cluster; compiled: CachedTables }> {
  const verbose = flagOption(parsed, 'verbose');
  const note = (text: string): void => void io.stderr.write(`note: ${text}\n`);
  const paths = listOption(parsed, 'filename');
  const listing: Diagnostic[] = [];
  const files = paths.length > 0 && !wantsLive(parsed) ? listManifestFiles(paths, listing) : null;
  if (files !== null && files.length > 0 && listing.length === 0) {
    const { loaded, compiled, notes } = await loadCompiledCached({ files, restrictTo: restrictedProfile(parsed), semantics, dir: cacheDir });
    printLoadReport(io, verbose, loaded, `${loaded.stats.files.length} file(s)`);
    if (verbose) notes.forEach(note);
    return { cluster: loaded.cluster, compiled };
  }
  const [{ loadClusterInput }, { compiledTablesFor }] = await Promise.all([import('./load-cluster-input.js'), import('../cache/compiled-table-cache.js')]);
  const { cluster } = await loadClusterInput(command, parsed, io);
  return { cluster, compiled: compiledTablesFor(cluster, semantics, { dir: cacheDir, ...(verbose ? { note } : {}) }) };
}
