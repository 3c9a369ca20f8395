/**
 * `netpol-emu snapshot`: capture a live cluster for offline replay with -f. The file holds what
 * was read, cut to the fields the emulator uses (src/live/write-snapshot.ts), so replaying it
 * reproduces every verdict; it is checked with the loader before the command reports success.
 */
import { writeFileSync } from 'node:fs';
import { ExitCode, InvalidInputError, UserError, formatDiagnostic } from '../diagnostics.js';
import { loadCluster } from '../load/load-cluster.js';
import { writeSnapshot } from '../live/write-snapshot.js';
import type { CliIo } from './io.js';
import { LIVE_OPTIONS, LIVE_OPTIONS_HELP, flagOption, parseCommandArgs, stringOption } from './parse-options.js';
import { liveReadOptions } from './read-live-input.js';

export const SNAPSHOT_HELP = `Usage: netpol-emu snapshot [--kubeconfig PATH] [--context NAME] [-n NS|-A] [-o FILE]

Reads the Namespaces, Pods, NetworkPolicies, Services and EndpointSlices of a live cluster (and,
reading every namespace, Nodes, AdminNetworkPolicies, BaselineAdminNetworkPolicies and
ClusterNetworkPolicies) and writes them as one YAML List, cut to the fields netpol-emu uses,
sorted, with the context, server and time of the read in the List's annotations
(netpol-emu.io/context, /server, /read-at). Replay it offline with -f FILE: every command then
gives the same result as on the live cluster at that time.

  -o, --output FILE       where to write (default, or -: standard output)
${LIVE_OPTIONS_HELP}

Exit status: 0 written, 2 usage error, 3 written but not loadable, 5 cluster access error.
`;

function writeError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'ENOENT') return 'no such directory';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return error instanceof Error ? error.message : String(error);
}

export async function runSnapshot(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs('snapshot', args, {
    ...LIVE_OPTIONS,
    output: { type: 'string', short: 'o' },
    help: { type: 'boolean', short: 'h' },
  });
  if (flagOption(parsed, 'help')) {
    io.stdout.write(SNAPSHOT_HELP);
    return ExitCode.OK;
  }
  const output = stringOption(parsed, 'output') ?? '-';
  // On demand, as in read-live-input.ts: the Kubernetes client is slow to import.
  const { readLiveCluster } = await import('../live/read-live-cluster.js');
  const read = await readLiveCluster(liveReadOptions('snapshot', parsed, io));
  for (const d of read.diagnostics) io.stderr.write(`${d.severity}: ${formatDiagnostic(d)}\n`);
  const text = writeSnapshot(read);
  if (output === '-') {
    io.stdout.write(text);
  } else {
    try {
      writeFileSync(output, text);
    } catch (error) {
      throw new UserError(`snapshot: cannot write ${output}: ${writeError(error)}`, ExitCode.USAGE);
    }
  }
  const where = output === '-' ? 'standard output' : output;
  const counts = ['Namespace', 'Pod', 'NetworkPolicy'].map((kind) => `${read.objects.filter((o) => o.object['kind'] === kind).length} ${kind}`).join(', ');
  // The capture is written either way: it is what the cluster held. Say whether it replays.
  try {
    const loaded = loadCluster({ objects: read.objects });
    for (const d of loaded.diagnostics) if (d.severity === 'warning') io.stderr.write(`warning: ${formatDiagnostic(d)}\n`);
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    for (const d of error.diagnostics) if (d.severity !== 'info') io.stderr.write(`${d.severity}: ${formatDiagnostic(d)}\n`);
    io.stderr.write(`netpol-emu: wrote ${counts} from context ${JSON.stringify(read.context)} to ${where}, but they do not load: ${error.diagnostics.filter((d) => d.severity === 'error').length} error(s)\n`);
    return ExitCode.INVALID_INPUT;
  }
  io.stderr.write(`wrote ${counts} from context ${JSON.stringify(read.context)} (${read.server}) to ${where}\n`);
  return ExitCode.OK;
}
