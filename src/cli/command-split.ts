import type { Readable } from 'node:stream';
import { ExitCode, UserError } from '../diagnostics.js';
import { splitByFlow, splitByNode, type SplitResult } from '../replay/split-capture.js';
import type { CliIo } from './io.js';
import { loadClusterInput } from './load-cluster-input.js';
import { CLUSTER_OPTIONS, CLUSTER_OPTIONS_HELP, choiceOption, flagOption, listOption, parseCommandArgs, stringOption } from './parse-options.js';

export const SPLIT_HELP = `Usage: netpol-emu split CAPTURE -o DIR [--parts N]
       netpol-emu split CAPTURE -o DIR --by node -f PATH...

Cuts a pcap/pcapng capture (or '-' for standard input) into pcap files to replay apart —
on several machines, or as the chunks of a fleet Job (deploy/fleet-replay) — and merge after.

  -o, --output DIR        directory for the parts (created)
  --by flow|node          flow (default): N parts by a symmetric hash of each packet's address
                          pair (both directions, fragments, -i any copies and ICMP errors about
                          a connection stay together): part-0.pcap ... Every record is in one
                          part: 'merge' of the parts' summaries equals the single replay.
                          node: one file per node, as the node's own capture would hold it
                          (packets to or from its pods and host IP; a packet between two nodes
                          is in both), unassigned.pcap for the rest: join with 'merge --flows'.
  --parts N               number of parts for --by flow (default 2)
  --decap auto|on|off     open overlay tunnels to hash or assign by the inner packet (default
                          auto, as replay)
${CLUSTER_OPTIONS_HELP}

Exit status: 0 split the whole capture, 2 usage error, 3 invalid manifests, 4 the capture is
truncated or corrupt (the whole records before the problem are written).
`;

export async function runSplit(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(
    'split',
    args,
    { ...CLUSTER_OPTIONS, output: { type: 'string', short: 'o' }, by: { type: 'string' }, parts: { type: 'string' }, decap: { type: 'string' } },
    true,
  );
  if (flagOption(parsed, 'help')) {
    io.stdout.write(SPLIT_HELP);
    return ExitCode.OK;
  }
  if (parsed.positionals.length !== 1) throw new UserError(`split: expected exactly one capture file (or '-'), got ${parsed.positionals.length} (see netpol-emu split --help)`, ExitCode.USAGE);
  const capture = parsed.positionals[0] as string;
  const outDir = stringOption(parsed, 'output');
  if (outDir === undefined) throw new UserError('split: -o DIR is required', ExitCode.USAGE);
  const by = choiceOption('split', parsed, 'by', ['flow', 'node'] as const, 'flow');
  const decap = choiceOption('split', parsed, 'decap', ['auto', 'on', 'off'] as const, 'auto');
  const partsText = stringOption(parsed, 'parts');
  if (partsText !== undefined && (by !== 'flow' || !/^\d+$/.test(partsText) || Number(partsText) < 1 || Number(partsText) > 4096)) {
    throw new UserError(by !== 'flow' ? 'split: --parts applies to --by flow' : `split: --parts must be an integer from 1 to 4096, got ${JSON.stringify(partsText)}`, ExitCode.USAGE);
  }
  if (capture === '-' && !io.stdin) throw new UserError('split: standard input is not available', ExitCode.USAGE);
  const source = capture === '-' ? (io.stdin as Readable) : capture;
  let result: SplitResult;
  if (by === 'node') {
    if (listOption(parsed, 'filename').length === 0 && stringOption(parsed, 'context') === undefined && stringOption(parsed, 'kubeconfig') === undefined) {
      throw new UserError('split: --by node needs the cluster (-f PATH, or a live cluster) to know which addresses are on which node', ExitCode.USAGE);
    }
    const { cluster } = await loadClusterInput('split', parsed, io);
    result = await splitByNode(source, outDir, cluster, decap);
  } else {
    result = await splitByFlow(source, outDir, partsText === undefined ? 2 : Number(partsText), decap);
  }
  for (const f of result.files) io.stdout.write(`${f.path}\t${f.records} records\n`);
  if (result.end.kind !== 'complete') {
    io.stderr.write(`netpol-emu: split: ${result.end.message ?? result.end.kind}\n`);
    return ExitCode.CAPTURE_ERROR;
  }
  return ExitCode.OK;
}
