/**
 * `diff`: the same traffic (a capture, or the all-pairs matrix) under two clusters or two CNI
 * profiles, listing what differs with the deciding rule on each side.
 */
import { policySemantics } from '../../compiler/policy-semantics.js';
import { ExitCode, UserError } from '../diagnostics.js';
import { computeMatrix, type Probe } from '../report/compute-matrix.js';
import { diffFlows, formatFlowDiff } from '../report/diff-flows.js';
import { flowReport, type FlowReport } from '../replay/flow-report.js';
import { replayCapture } from '../replay/replay-capture.js';
import { IP_PROTOCOL } from '../../compiler/model.js';
import type { CliIo } from './io.js';
import { loadClusterInput } from './load-cluster-input.js';
import { CLUSTER_OPTIONS, CLUSTER_OPTIONS_HELP, choiceOption, flagOption, listOption, parseCommandArgs, stringOption, type ParsedArgs } from './parse-options.js';
import { CNI_OPTIONS, readCniProfile } from './read-cni-profile.js';
import { parseProbe } from './command-matrix.js';
import { profileDataplaneOptions } from './command-replay.js';
import { ENGINES, selectEngine } from './select-engine.js';
import { renderDiffReport } from '../report/render-diff-report.js';
import { writeHtmlReport } from './write-html-report.js';
import { FLOWS_INPUT_HELP, FLOWS_INPUT_OPTIONS, readFlowsInput, rejectFlowsOptionsWithoutInput } from './read-flows-input.js';
import { isProfileList, readProfileList, runDiffProfiles } from './run-diff-profiles.js';

export const DIFF_HELP = `Usage: netpol-emu diff CAPTURE [options] --left SIDE-OPTIONS --right SIDE-OPTIONS
       netpol-emu diff CAPTURE -f PATH... --left-cni NAME --right-cni NAME
       netpol-emu diff CAPTURE -f PATH... --cni all|NAME,NAME,...
       netpol-emu diff --flows-in FILE [options] --left SIDE-OPTIONS --right SIDE-OPTIONS
       netpol-emu diff --flows-in FILE -f PATH... --cni all|NAME,NAME,...
       netpol-emu diff --matrix [--probe PORT/PROTOCOL]... [options] --left ... --right ...

Replays the same capture (or computes the same reachability matrix) twice and lists the flows
(or cells) whose verdict differs, with the deciding rule on each side.

With --cni all (every profile) or a comma-separated list, the capture is replayed once per CNI
profile and each flow whose verdict differs between any of them is one row, with one column
per profile; each profile's difference from upstream is attributed to the switch(es) causing it,
found by replaying upstream with one switch flipped at a time ("kube-router: denied —
sctpSupported=false"; "a + b (only together)" when no single switch explains it).

Options before --left apply to both sides; SIDE-OPTIONS are -f PATH (added to the common
ones), --cni NAME, --cni-opt KEY=VALUE and the live-cluster flags.

  --left-cni NAME         shorthand for --left --cni NAME
  --right-cni NAME        shorthand for --right --cni NAME
  --matrix                compare all-pairs pod reachability instead of a capture
  --flows-in FILE         replay flow records instead of a capture: a Hubble export or a JSONL
                          flow file (see replay --help); with --cni all|LIST too
${FLOWS_INPUT_HELP}
  --probe PORT/PROTOCOL   matrix probes (default 80/TCP); repeatable
  -o, --output FORMAT     text (default) or json
  --report FILE.html      also write a self-contained HTML page: the counts and a sortable,
                          filterable table of the differing flows with both sides' verdict,
                          reason and rule (with --matrix: the differing cells, also as a
                          heatmap per probe)
  --engine compiled|naive evaluator for new flows (default compiled)
${CLUSTER_OPTIONS_HELP}

Exit status: 0 no verdict differs, 1 some verdict differs, 2 usage error, 3 invalid manifests,
4 capture error.
`;

const SIDE_OPTIONS = { ...CLUSTER_OPTIONS, ...CNI_OPTIONS };

/** Split argv at `--left` / `--right`: common tokens first, then each side's. */
function splitSides(args: readonly string[]): { common: string[]; left: string[]; right: string[] } {
  const common: string[] = [];
  const left: string[] = [];
  const right: string[] = [];
  let target = common;
  for (const arg of args) {
    if (arg === '--left') target = left;
    else if (arg === '--right') target = right;
    else target.push(arg);
  }
  return { common, left, right };
}

/** A side's options: the common ones plus its own, its own winning for single values. */
function mergeSide(common: ParsedArgs, own: ParsedArgs, cniShorthand: string | undefined): ParsedArgs {
  const values: ParsedArgs['values'] = { ...common.values };
  for (const [name, value] of Object.entries(own.values)) {
    if (value === undefined) continue;
    const before = values[name];
    values[name] = Array.isArray(value) && Array.isArray(before) ? [...before, ...value] : value;
  }
  if (own.values['cni'] === undefined && cniShorthand !== undefined) values['cni'] = cniShorthand;
  return { values, positionals: [] };
}

function sideLabel(parsed: ParsedArgs): string {
  const files = listOption(parsed, 'filename');
  const cni = stringOption(parsed, 'cni') ?? 'upstream';
  const opts = listOption(parsed, 'cni-opt');
  return `${files.length ? `-f ${files.join(' -f ')}` : 'live cluster'}, CNI ${cni}${opts.length ? ` (${opts.join(', ')})` : ''}`;
}

export async function runDiff(args: readonly string[], io: CliIo): Promise<number> {
  const split = splitSides(args);
  const common = parseCommandArgs(
    'diff',
    split.common,
    {
      ...SIDE_OPTIONS,
      'left-cni': { type: 'string' },
      'right-cni': { type: 'string' },
      matrix: { type: 'boolean' },
      probe: { type: 'string', multiple: true },
      output: { type: 'string', short: 'o' },
      engine: { type: 'string' },
      report: { type: 'string' },
      'flows-in': { type: 'string' },
      ...FLOWS_INPUT_OPTIONS,
    },
    true,
  );
  if (flagOption(common, 'help')) {
    io.stdout.write(DIFF_HELP);
    return ExitCode.OK;
  }
  const output = choiceOption('diff', common, 'output', ['text', 'json'] as const, 'text');
  const engine = choiceOption('diff', common, 'engine', ENGINES, 'compiled');
  const matrixMode = flagOption(common, 'matrix');
  const reportPath = stringOption(common, 'report');
  const cniList = stringOption(common, 'cni');
  if (isProfileList(cniList)) {
    if (split.left.length > 0 || split.right.length > 0 || stringOption(common, 'left-cni') !== undefined || stringOption(common, 'right-cni') !== undefined) {
      throw new UserError(`diff: --cni ${cniList} compares profiles side by side: give no --left/--right`, ExitCode.USAGE);
    }
    if (matrixMode) throw new UserError(`diff: --cni ${cniList} compares replays of a capture, not --matrix`, ExitCode.USAGE);
    if (listOption(common, 'cni-opt').length > 0) throw new UserError(`diff: --cni-opt cannot be combined with --cni ${cniList} (each profile is taken as it is)`, ExitCode.USAGE);
    const profiles = readProfileList(cniList);
    const flowsIn = stringOption(common, 'flows-in');
    if (flowsIn !== undefined && common.positionals.length !== 0) throw new UserError('diff: give either a capture file or --flows-in FILE, not both', ExitCode.USAGE);
    if (flowsIn === undefined) {
      rejectFlowsOptionsWithoutInput('diff', common);
      if (common.positionals.length !== 1) throw new UserError('diff: expected one capture file (or --flows-in FILE)', ExitCode.USAGE);
    }
    const capture = flowsIn ?? (common.positionals[0] as string);
    if (capture === '-') throw new UserError('diff: the capture is read once per profile, so it cannot come from standard input', ExitCode.USAGE);
    const flowsInput = flowsIn !== undefined ? readFlowsInput('diff', common, flowsIn) : null;
    const clusterValues = { ...common.values };
    for (const name of ['cni', 'left-cni', 'right-cni', 'matrix', 'probe', 'output', 'engine', 'report', 'flows-in', ...Object.keys(FLOWS_INPUT_OPTIONS)]) delete clusterValues[name];
    const { cluster } = await loadClusterInput('diff', { values: clusterValues, positionals: [] }, io);
    return runDiffProfiles({ capture, profiles, cluster, engine, output, reportPath, ...(flowsInput ? { reader: (c) => flowsInput.reader(c) } : {}) }, io);
  }
  const leftOwn = parseCommandArgs('diff --left', split.left, SIDE_OPTIONS);
  const rightOwn = parseCommandArgs('diff --right', split.right, SIDE_OPTIONS);
  const sharedValues = { ...common.values };
  for (const name of ['left-cni', 'right-cni', 'matrix', 'probe', 'output', 'engine', 'report', 'flows-in', ...Object.keys(FLOWS_INPUT_OPTIONS)]) delete sharedValues[name];
  const shared: ParsedArgs = { values: sharedValues, positionals: [] };
  const left = mergeSide(shared, leftOwn, stringOption(common, 'left-cni'));
  const right = mergeSide(shared, rightOwn, stringOption(common, 'right-cni'));
  if (split.left.length === 0 && split.right.length === 0 && stringOption(common, 'left-cni') === undefined && stringOption(common, 'right-cni') === undefined) {
    throw new UserError('diff: give what differs: --left ... --right ..., or --left-cni NAME --right-cni NAME (see netpol-emu diff --help)', ExitCode.USAGE);
  }
  const sides = [left, right].map((parsed, i) => ({ parsed, profile: readCniProfile(i === 0 ? 'diff --left' : 'diff --right', parsed), label: sideLabel(parsed) }));

  const flowsIn = stringOption(common, 'flows-in');
  if (matrixMode) {
    if (common.positionals.length > 0 || flowsIn !== undefined) throw new UserError('diff --matrix takes no capture', ExitCode.USAGE);
    const probeTexts = listOption(common, 'probe');
    const probes: Probe[] = probeTexts.length ? probeTexts.map(parseProbe) : [{ port: 80, protocol: IP_PROTOCOL.TCP, label: '80/TCP' }];
    const matrices = [];
    for (const s of sides) {
      const { cluster } = await loadClusterInput('diff', s.parsed, io);
      matrices.push(computeMatrix(cluster, selectEngine(engine, cluster, policySemantics(s.profile.values)), probes));
    }
    const cells: { probe: string; from: string; to: string; left: boolean | null; right: boolean | null }[] = [];
    const [l, r] = matrices as [ReturnType<typeof computeMatrix>, ReturnType<typeof computeMatrix>];
    const names = (m: typeof l) => m.pods.map((p) => `${p.namespace}/${p.name}`);
    const union = [...new Set([...names(l), ...names(r)])].sort();
    probes.forEach((probe, k) => {
      const cell = (m: typeof l, from: string, to: string): boolean | null => {
        const i = names(m).indexOf(from);
        const j = names(m).indexOf(to);
        return i < 0 || j < 0 ? null : (m.probes[k]?.allowed[i]?.[j] ?? null);
      };
      for (const from of union) for (const to of union) {
        const a = cell(l, from, to);
        const b = cell(r, from, to);
        if (a !== b) cells.push({ probe: probe.label, from, to, left: a, right: b });
      }
    });
    if (output === 'json') io.stdout.write(`${JSON.stringify({ left: sides[0]?.label, right: sides[1]?.label, cells }, null, 2)}\n`);
    else {
      const text = (v: boolean | null) => (v === null ? 'absent' : v ? 'allowed' : 'denied');
      const lines = [`left:  ${sides[0]?.label}`, `right: ${sides[1]?.label}`, `cells that differ: ${cells.length}`];
      for (const c of cells) lines.push(`  ${c.probe}  ${c.from} -> ${c.to}: left ${text(c.left)}, right ${text(c.right)}`);
      io.stdout.write(`${lines.join('\n')}\n`);
    }
    if (reportPath !== undefined) {
      const result = { left: sides[0]?.label ?? '', right: sides[1]?.label ?? '', cells };
      writeHtmlReport('diff', reportPath, renderDiffReport({ title: `netpol-emu diff --matrix: ${result.left} vs ${result.right}`, mode: 'matrix', probes: probes.map((p) => p.label), result }));
    }
    return cells.length ? 1 : ExitCode.OK;
  }

  if (flowsIn !== undefined && common.positionals.length !== 0) throw new UserError('diff: give either a capture file or --flows-in FILE, not both', ExitCode.USAGE);
  if (flowsIn === undefined && common.positionals.length !== 1) throw new UserError('diff: expected one capture file (or --flows-in FILE, or --matrix)', ExitCode.USAGE);
  if (flowsIn === undefined) rejectFlowsOptionsWithoutInput('diff', common);
  const capture = flowsIn ?? (common.positionals[0] as string);
  if (capture === '-') throw new UserError('diff: the capture is read twice, so it cannot come from standard input', ExitCode.USAGE);
  const flowsInput = flowsIn !== undefined ? readFlowsInput('diff', common, flowsIn, io.env) : null;
  const reports: FlowReport[][] = [];
  for (const s of sides) {
    const { cluster } = await loadClusterInput('diff', s.parsed, io);
    // Both sides' flows are joined, so they are all kept: memory grows with the flows here.
    const flows: FlowReport[] = [];
    const result = await replayCapture(cluster, capture, capture, {
      engine,
      semantics: policySemantics(s.profile.values),
      dataplane: profileDataplaneOptions(s.profile),
      services: { externalSource: s.profile.values.externalSource },
      onFlow: (records, f, provenances) => flows.push(flowReport(records, provenances, f)),
      ...(flowsInput ? { reader: flowsInput.reader(cluster) } : {}),
    });
    if (result.end.kind !== 'complete') {
      io.stderr.write(`netpol-emu: diff: ${result.end.message ?? result.end.kind}\n`);
      if (result.end.records === 0) return ExitCode.CAPTURE_ERROR;
    }
    reports.push(flows);
  }
  const diff = diffFlows(reports[0] ?? [], reports[1] ?? []);
  if (output === 'json') io.stdout.write(`${JSON.stringify({ left: sides[0]?.label, right: sides[1]?.label, ...diff }, null, 2)}\n`);
  else io.stdout.write(formatFlowDiff(diff, sides[0]?.label ?? '', sides[1]?.label ?? ''));
  if (reportPath !== undefined) {
    const result = { left: sides[0]?.label ?? '', right: sides[1]?.label ?? '', ...diff };
    writeHtmlReport('diff', reportPath, renderDiffReport({ title: `netpol-emu diff: ${capture}: ${result.left} vs ${result.right}`, mode: 'capture', capture, result }));
  }
  return diff.differences.length ? 1 : ExitCode.OK;
}
