import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import { ExitCode, UserError } from '../diagnostics.js';
import { DEFAULT_JOIN_WINDOW_US, type FlowLogPart, type JoinedFlow, formatFlowLogSummary, joinFlowLogs, readFlowLog, summarizeFlowLogs } from '../replay/merge-flow-logs.js';
import { mergeSummaries, readSummaryPart } from '../replay/merge-summaries.js';
import { formatSummary } from '../replay/summarize.js';
import type { CliIo } from './io.js';
import { choiceOption, flagOption, parseCommandArgs, stringOption } from './parse-options.js';

export const MERGE_HELP = `Usage: netpol-emu merge SUMMARY.json... [-o text|json]
       netpol-emu merge --flows FLOWS.jsonl... [-o text|json] [--flows-out FILE]

Combines the results of replays run apart — one per node, or per part of a capture cut with
'netpol-emu split' — into one.

Summaries ('replay -o json'): packets and bytes per category, flows, conntrack counters and
per-rule counters add; the top denied flows are recomputed from each part's ranking (the first
N of all parts' top N under one order: most dropped packets, earlier first packet, then part
order, then start order; N = the smallest --top of the parts). Equal to a single replay when
the parts partition the connections ('split --by flow'); a connection seen on two nodes is
counted by both — merge their flow logs to join it.

Flow logs ('replay --flows'): a connection seen on several parts (source node egress,
destination node ingress) becomes one line with each side's verdict ("seenOn"); denied if any
side denied; packets and bytes the most any side counted. Prints the flow half of the summary
recomputed from the joined flows. Keeps every flow in memory.

  -o, --output FORMAT     text (default) or json
  --top N                 denied flows listed (default: summaries: the parts' smallest --top;
                          flow logs: 10)
  --flows                 the arguments are flow logs, not summaries
  --flows-out FILE        (with --flows) write the joined flow lines; '-' = stdout (the
                          summary then goes to stderr)
  --join-window SECONDS   (with --flows) how far apart two parts' sightings of one connection
                          may be (default 1)

Part names are the file names without .json/.jsonl. Exit status: 0 merged, 2 usage error,
3 a file is not a summary/flow log of this version, or parts of different engines or profiles.
`;

function partName(file: string, taken: Set<string>): string {
  const base = basename(file).replace(/\.(summary\.json|flows\.jsonl|jsonl|json)$/, '');
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}#${i}`;
  taken.add(name);
  return name;
}

function positiveInteger(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new UserError(`merge: ${flag} must be a positive integer, got ${JSON.stringify(text)}`, ExitCode.USAGE);
  return Number(text);
}

/** One line per joined flow, in batches: one string of every line would pass V8's ~512 MB string limit near a million flows. */
function writeFlowLines(flows: readonly JoinedFlow[], path: string, io: CliIo): void {
  let fd = -1;
  if (path !== '-') {
    try {
      fd = openSync(path, 'w');
    } catch (error) {
      throw new UserError(`merge: cannot write ${path}: ${(error as Error).message}`, ExitCode.USAGE);
    }
  }
  try {
    for (let i = 0; i < flows.length; i += 1024) {
      const batch = flows.slice(i, i + 1024).map((f) => `${JSON.stringify(f)}\n`).join('');
      if (fd < 0) io.stdout.write(batch);
      else writeSync(fd, batch);
    }
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

export async function runMerge(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(
    'merge',
    args,
    {
      output: { type: 'string', short: 'o' },
      top: { type: 'string' },
      flows: { type: 'boolean' },
      'flows-out': { type: 'string' },
      'join-window': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (flagOption(parsed, 'help')) {
    io.stdout.write(MERGE_HELP);
    return ExitCode.OK;
  }
  const output = choiceOption('merge', parsed, 'output', ['text', 'json'] as const, 'text');
  const top = positiveInteger('--top', stringOption(parsed, 'top'));
  const files = parsed.positionals;
  if (files.length === 0) throw new UserError("merge: expected one or more files (see 'netpol-emu merge --help')", ExitCode.USAGE);
  const taken = new Set<string>();
  const names = files.map((f) => partName(f, taken));

  if (!flagOption(parsed, 'flows')) {
    for (const flag of ['flows-out', 'join-window'] as const) if (stringOption(parsed, flag) !== undefined) throw new UserError(`merge: --${flag} applies to flow logs (--flows)`, ExitCode.USAGE);
    const parts = files.map((file, i) => {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (error) {
        throw new UserError(`merge: cannot read ${file}: ${(error as Error).message}`, ExitCode.USAGE);
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        throw new UserError(`merge: ${file}: not JSON (a summary is what 'replay -o json' prints)`, ExitCode.INVALID_INPUT);
      }
      return readSummaryPart(names[i] as string, value);
    });
    const merged = mergeSummaries(parts, top);
    io.stdout.write(output === 'json' ? `${JSON.stringify(merged, null, 2)}\n` : formatSummary(merged));
    return ExitCode.OK;
  }

  const windowText = stringOption(parsed, 'join-window');
  if (windowText !== undefined && !/^\d+(\.\d+)?$/.test(windowText)) throw new UserError(`merge: --join-window must be a number of seconds, got ${JSON.stringify(windowText)}`, ExitCode.USAGE);
  const windowUs = windowText === undefined ? DEFAULT_JOIN_WINDOW_US : Math.round(Number(windowText) * 1e6);
  const logs: FlowLogPart[] = [];
  for (let i = 0; i < files.length; i++) logs.push(await readFlowLog(files[i] as string, names[i] as string));
  const joined = joinFlowLogs(logs, windowUs);
  const summary = summarizeFlowLogs(logs, joined, top ?? 10);
  const flowsOut = stringOption(parsed, 'flows-out');
  if (flowsOut !== undefined) writeFlowLines(joined, flowsOut, io);
  const summaryOut = flowsOut === '-' ? io.stderr : io.stdout;
  summaryOut.write(output === 'json' ? `${JSON.stringify(summary, null, 2)}\n` : formatFlowLogSummary(summary));
  return ExitCode.OK;
}
