/**
 * The lines a cluster load prints on stderr, from what the load reported: the same whether the
 * load ran now or its report came back from the cache (src/cache/load-compiled-cached.ts).
 */
import { formatDiagnostic, type Diagnostic } from '../diagnostics.js';
import type { LoadStats } from '../load/build-cluster.js';
import type { CliIo } from './io.js';

/** What a load printed: warnings (every diagnostic under -v), the counts under -v, the CNI profile's notes. */
export function printLoadReport(io: CliIo, verbose: boolean, report: { readonly diagnostics: readonly Diagnostic[]; readonly stats: LoadStats; readonly notes: readonly string[] }, from: string): void {
  for (const d of report.diagnostics) {
    if (d.severity === 'warning' || verbose) io.stderr.write(`${d.severity}: ${formatDiagnostic(d)}\n`);
  }
  if (verbose) {
    const used = Object.entries(report.stats.used).map(([k, n]) => `${n} ${k}`).join(', ') || 'nothing';
    const skipped = Object.entries(report.stats.skipped).map(([k, n]) => `${n} ${k}`).join(', ');
    io.stderr.write(`loaded ${used} from ${from}${skipped ? `; skipped ${skipped}` : ''}\n`);
  }
  for (const note of report.notes) io.stderr.write(`warning: ${note}\n`);
}
