/** Shared by every command that reads a cluster: -f paths → Cluster, warnings printed to stderr. */
import type { Cluster } from '../../compiler/model.js';
import { ExitCode, formatDiagnostic, UserError } from '../diagnostics.js';
import { loadCluster, type LoadResult } from '../load/load-cluster.js';
import type { CliIo } from './io.js';
import { flagOption, listOption, type ParsedArgs } from './parse-options.js';

export function loadClusterInput(command: string, parsed: ParsedArgs, io: CliIo): { cluster: Cluster; result: LoadResult } {
  const paths = listOption(parsed, 'filename');
  if (paths.length === 0) throw new UserError(`${command}: no cluster given: pass manifests with -f PATH`, ExitCode.USAGE);
  const result = loadCluster({ paths });
  const verbose = flagOption(parsed, 'verbose');
  for (const d of result.diagnostics) {
    if (d.severity === 'warning' || verbose) io.stderr.write(`${d.severity}: ${formatDiagnostic(d)}\n`);
  }
  if (verbose) {
    const used = Object.entries(result.stats.used).map(([k, n]) => `${n} ${k}`).join(', ') || 'nothing';
    const skipped = Object.entries(result.stats.skipped).map(([k, n]) => `${n} ${k}`).join(', ');
    io.stderr.write(`loaded ${used} from ${result.stats.files.length} file(s)${skipped ? `; skipped ${skipped}` : ''}\n`);
  }
  return { cluster: result.cluster, result };
}
