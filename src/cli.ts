/**
 * `cli(argv, io)`: the whole command line as a function, so tests drive the real thing
 * in-process. User mistakes become one line on stderr and a documented exit code; anything else
 * is a bug and keeps its stack trace.
 */
import { ExitCode, InvalidInputError, UserError, formatDiagnostic } from './diagnostics.js';
import type { CliIo } from './cli/io.js';

export type { CliIo } from './cli/io.js';

type Command = (args: readonly string[], io: CliIo) => number | Promise<number>;

/**
 * A command whose module is imported when it runs: start-up then loads one command's code, not
 * all eleven (and their dependencies), which a replay's time to first packet would pay.
 */
function lazy<M>(load: () => Promise<M>, pick: (module: M) => Command): Command {
  return async (args, io) => pick(await load())(args, io);
}

const COMMANDS: Readonly<Record<string, { run: Command; summary: string }>> = {
  replay: { run: lazy(() => import('./cli/command-replay.js'), (m) => m.runReplay), summary: 'replay a pcap/pcapng capture through the dataplane: verdicts, counters, flows' },
  query: { run: lazy(() => import('./cli/command-query.js'), (m) => m.runQuery), summary: 'explain the verdict for one flow (exit 0 allowed, 1 denied)' },
  matrix: { run: lazy(() => import('./cli/command-matrix.js'), (m) => m.runMatrix), summary: 'all-pairs pod reachability for one or more probes' },
  diff: { run: lazy(() => import('./cli/command-diff.js'), (m) => m.runDiff), summary: 'the same capture or matrix under two clusters or two CNI profiles: what differs' },
  compile: { run: lazy(() => import('./cli/command-compile.js'), (m) => m.runCompile), summary: 'lower policies into per-pod rule tables (table, json, iptables)' },
  profiles: { run: lazy(() => import('./cli/command-profiles.js'), (m) => m.runProfiles), summary: 'per-CNI behaviour switches (SEMANTICS.md §4) with the source of every value' },
  snapshot: { run: lazy(() => import('./cli/command-snapshot.js'), (m) => m.runSnapshot), summary: 'capture a live cluster as a YAML List for offline replay with -f' },
  split: { run: lazy(() => import('./cli/command-split.js'), (m) => m.runSplit), summary: 'cut a capture into parts (by connection, or per node) to replay apart' },
  merge: { run: lazy(() => import('./cli/command-merge.js'), (m) => m.runMerge), summary: 'combine replay summaries or flow logs of several nodes or parts into one' },
  synth: { run: lazy(() => import('./cli/command-synth.js'), (m) => m.runSynth), summary: 'write a seeded synthetic cluster as manifests, and traffic as pcap and JSONL' },
  advise: { run: lazy(() => import('./cli/command-advise.js'), (m) => m.runAdvise), summary: 'least-privilege NetworkPolicies from a capture, with the replay that proves them' },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, { summary }]) => `  ${name.padEnd(width)}  ${summary}`);
  return `Usage: netpol-emu <command> [options]

Emulates a Kubernetes NetworkPolicy dataplane offline.

Commands:
${lines.join('\n')}

Run 'netpol-emu <command> --help' for a command's options.
Exit status: 0 ok (query: allowed), 1 query denied or diff found differences, 2 usage error, 3 invalid input,
4 capture error, 5 cluster access error, 70 internal error.
`;
}

export async function cli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    io.stdout.write(usage());
    return command === undefined ? ExitCode.USAGE : ExitCode.OK;
  }
  const entry = COMMANDS[command];
  if (!entry) {
    io.stderr.write(`netpol-emu: unknown command ${JSON.stringify(command)}\n\n${usage()}`);
    return ExitCode.USAGE;
  }
  try {
    return await entry.run(rest, io);
  } catch (error) {
    if (error instanceof UserError) {
      io.stderr.write(`netpol-emu: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof InvalidInputError) {
      const errors = error.diagnostics.filter((d) => d.severity === 'error');
      for (const d of error.diagnostics) {
        if (d.severity !== 'info') io.stderr.write(`${d.severity}: ${formatDiagnostic(d)}\n`);
      }
      io.stderr.write(`netpol-emu: ${errors.length} error(s) in the input; nothing was evaluated\n`);
      return ExitCode.INVALID_INPUT;
    }
    io.stderr.write(`netpol-emu: internal error (a bug; please report it with the command line):\n${error instanceof Error ? error.stack : String(error)}\n`);
    return ExitCode.INTERNAL;
  }
}
