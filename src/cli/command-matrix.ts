import { IP_PROTOCOL } from '../../compiler/model.js';
import { ExitCode, UserError } from '../diagnostics.js';
import { computeMatrix, type Probe } from '../report/compute-matrix.js';
import { MATRIX_FORMATS, matrixCsv, matrixJson, matrixMarkdown, matrixTable } from '../report/format-matrix.js';
import type { CliIo } from './io.js';
import { loadClusterInput } from './load-cluster-input.js';
import { CLUSTER_OPTIONS, CLUSTER_OPTIONS_HELP, choiceOption, flagOption, listOption, parseCommandArgs, stringOption } from './parse-options.js';
import { hasPorts, protocolName } from '../replay/name-protocol.js';
import { parsePort, parseProtocol } from './resolve-endpoint.js';
import { ENGINES, ENGINE_OPTION_HELP, selectEngine } from './select-engine.js';
import { CNI_OPTIONS, CNI_OPTIONS_HELP, readCniProfile } from './read-cni-profile.js';
import { policySemantics } from '../../compiler/policy-semantics.js';
import { matrixReportData, renderMatrixReport } from '../report/render-matrix-report.js';
import { writeHtmlReport } from './write-html-report.js';

export const MATRIX_HELP = `Usage: netpol-emu matrix [-f PATH]... [--kubeconfig PATH] [--context NAME] [-n NS|-A]
                          [--probe PORT/PROTOCOL]... [-o table|json|csv|md] [--report FILE.html]

All-pairs pod reachability for each probe (default 80/TCP). Rows are the source pod, columns
the destination. Pods without an IP and finished pods are left out; hostNetwork pods are shown
and behave as their node. A pod-to-itself cell is always allowed: that traffic never leaves the
pod's network namespace, and a pod cannot block access to itself.

  --probe PORT/PROTOCOL   e.g. 80/TCP, 53/UDP, 3306 (TCP), ICMP; repeatable
  -o, --output FORMAT     table (default: . allowed, X denied), json, csv, md
  --report FILE.html      also write a self-contained HTML page: a pod x pod heatmap per probe
                          grouped by namespace, filterable by namespace; a cell shows from/to
                          and, when denied, why (flow reason, each direction's verdict)
${ENGINE_OPTION_HELP}
${CNI_OPTIONS_HELP}
${CLUSTER_OPTIONS_HELP}
`;

export function parseProbe(text: string): Probe {
  const [portText, protocolText, extra] = text.split('/');
  if (extra !== undefined || portText === undefined) throw new UserError(`matrix: --probe ${JSON.stringify(text)} must look like PORT/PROTOCOL (80/TCP)`, ExitCode.USAGE);
  if (protocolText === undefined && /^[A-Za-z]/.test(portText)) {
    const protocol = parseProtocol('matrix', portText);
    if (hasPorts(protocol)) throw new UserError(`matrix: --probe ${JSON.stringify(text)} needs a port for ${protocolName(protocol)}`, ExitCode.USAGE);
    return { port: 0, protocol, label: protocolName(protocol) };
  }
  const protocol = parseProtocol('matrix', protocolText ?? 'TCP');
  if (!hasPorts(protocol)) throw new UserError(`matrix: --probe ${JSON.stringify(text)}: ${protocolName(protocol)} has no ports; write just ${protocolName(protocol)}`, ExitCode.USAGE);
  const port = parsePort('matrix', '--probe', portText);
  return { port, protocol, label: `${port}/${protocolName(protocol)}` };
}

export async function runMatrix(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs('matrix', args, {
    ...CLUSTER_OPTIONS,
    probe: { type: 'string', multiple: true },
    output: { type: 'string', short: 'o' },
    engine: { type: 'string' },
    report: { type: 'string' },
    ...CNI_OPTIONS,
  });
  if (flagOption(parsed, 'help')) {
    io.stdout.write(MATRIX_HELP);
    return ExitCode.OK;
  }
  const output = choiceOption('matrix', parsed, 'output', MATRIX_FORMATS, 'table');
  const engineName = choiceOption('matrix', parsed, 'engine', ENGINES, 'compiled');
  const profile = readCniProfile('matrix', parsed);
  const semantics = policySemantics(profile.values);
  const reportPath = stringOption(parsed, 'report');
  const probeTexts = listOption(parsed, 'probe');
  const probes = probeTexts.length ? probeTexts.map(parseProbe) : [{ port: 80, protocol: IP_PROTOCOL.TCP, label: '80/TCP' }];
  const { cluster } = await loadClusterInput('matrix', parsed, io);
  const engine = selectEngine(engineName, cluster, semantics);
  const matrix = computeMatrix(cluster, engine, probes);
  switch (output) {
    case 'json':
      io.stdout.write(`${JSON.stringify(matrixJson(matrix), null, 2)}\n`);
      break;
    case 'csv':
      io.stdout.write(matrixCsv(matrix));
      break;
    case 'md':
      io.stdout.write(matrixMarkdown(matrix));
      break;
    case 'table':
      io.stdout.write(matrixTable(matrix));
      break;
  }
  if (reportPath !== undefined) {
    const files = listOption(parsed, 'filename');
    const facts: [string, string | number][] = [
      ['cluster', files.length ? files.join(', ') : 'live cluster'],
      ['engine', engineName],
      ['CNI profile', profileLabel(profile)],
      ['pods', matrix.pods.length],
      ['probes', probes.map((p) => p.label).join(', ')],
    ];
    writeHtmlReport('matrix', reportPath, renderMatrixReport(matrixReportData(`netpol-emu matrix: ${facts[0]?.[1]}`, facts, matrix, engine)));
  }
  return ExitCode.OK;
}

/** `calico`, or `calico (key=value, ...)` with the overrides given. */
export function profileLabel(profile: ReturnType<typeof readCniProfile>): string {
  return profile.overrides.length ? `${profile.name} (${profile.overrides.map((k) => `${k}=${String(profile.values[k])}`).join(', ')})` : profile.name;
}
