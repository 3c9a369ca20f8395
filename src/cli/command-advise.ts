/**
 * `advise`: NetworkPolicies that allow exactly the connections a capture shows answered, per
 * workload, written one file per namespace; then the proof, a replay of the same capture against
 * the cluster plus that advice (src/advise/).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { restrictToProfile } from '../../compiler/cni-admin-support.js';
import { isCniProfileName } from '../../compiler/cni-profiles.js';
import { policySemantics } from '../../compiler/policy-semantics.js';
import { adviceFileName, advisePolicies, renderAdvisedYaml } from '../advise/advise-policies.js';
import { observeConnections, type ReplaySetup } from '../advise/observe-connections.js';
import { clusterWithAdvice, proveAdvice, type AdviceProof, type ProofItem } from '../advise/prove-advice.js';
import { ExitCode, UserError } from '../diagnostics.js';
import { FLOWS_INPUT_HELP, FLOWS_INPUT_OPTIONS, readFlowsInput, rejectFlowsOptionsWithoutInput } from './read-flows-input.js';
import { profileDataplaneOptions } from './command-replay.js';
import type { CliIo } from './io.js';
import { loadClusterInput } from './load-cluster-input.js';
import { CLUSTER_OPTIONS, CLUSTER_OPTIONS_HELP, flagOption, parseCommandArgs, stringOption } from './parse-options.js';
import { CNI_OPTIONS, CNI_OPTIONS_HELP, readCniProfile } from './read-cni-profile.js';

export const ADVISE_HELP = `Usage: netpol-emu advise CAPTURE -f PATH... [-o DIR] [options]
       netpol-emu advise --flows-in FILE -f PATH... [-o DIR] [options]

Writes least-privilege NetworkPolicies from traffic: the capture is replayed with every policy
removed, and each connection that got an answer becomes a rule. Pods are grouped into workloads
(the labels their replicas share; never a pod name); each workload seen in the capture gets one
policy that isolates it in the directions it was seen in and allows, per peer workload or
external address, the ports it used (by name where the destination pod names the port). DNS to
the cluster DNS pods is a rule like any other. Attempts that were never answered get no rule.

Then the proof: the capture is replayed against the cluster plus the advised policies; every
answered connection must be allowed, and the never-answered attempts still allowed (by the
current policies, or by a rule an answered connection needed) are listed.

  -o, --output DIR        write one file per namespace (DIR/NAMESPACE.yaml) and print the
                          proof; without it the policies go to standard output and the proof
                          to standard error
  --default-deny          also write a default deny (every pod, both directions) per namespace
  --flows-in FILE         read flow records instead of a capture: a Hubble export or a JSONL
                          flow file (see replay --help)
${FLOWS_INPUT_HELP}
${CNI_OPTIONS_HELP}
${CLUSTER_OPTIONS_HELP}

To see what tightening would drop compared with the current policies, diff the capture under
both: netpol-emu diff CAPTURE -f PODS... --left -f CURRENT-POLICIES --right -f DIR

Exit status: 0 the proof holds, 1 an answered connection would be denied (a bug: please report
it), 2 usage error, 3 invalid manifests, 4 capture error.
`;

function listItems(title: string, items: readonly ProofItem[]): string[] {
  if (items.length === 0) return [];
  return [`  ${title} (${items.length}):`, ...items.map((i) => `    ${i.connection}: ${i.reason}${i.rule ? ` by ${i.rule}` : i.policy ? ` (${i.policy})` : ''}`)];
}

export function formatProof(proof: AdviceProof, capture: string): string {
  return [
    `proof: ${capture} replayed against the cluster plus the advised policies:`,
    `  answered connections allowed: ${proof.answeredAllowed} of ${proof.answered}`,
    `  never-answered attempts denied: ${proof.unansweredDenied} of ${proof.unanswered}`,
    ...listItems('answered but denied', proof.answeredDenied),
    ...listItems('never answered but allowed', proof.unansweredAllowed),
    '',
  ].join('\n');
}

export async function runAdvise(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(
    'advise',
    args,
    { ...CLUSTER_OPTIONS, ...CNI_OPTIONS, output: { type: 'string', short: 'o' }, 'default-deny': { type: 'boolean' }, 'flows-in': { type: 'string' }, ...FLOWS_INPUT_OPTIONS },
    true,
  );
  if (flagOption(parsed, 'help')) {
    io.stdout.write(ADVISE_HELP);
    return ExitCode.OK;
  }
  const flowsIn = stringOption(parsed, 'flows-in');
  if (flowsIn !== undefined && parsed.positionals.length !== 0) throw new UserError('advise: give either a capture file or --flows-in FILE, not both', ExitCode.USAGE);
  if (flowsIn === undefined && parsed.positionals.length !== 1) throw new UserError(`advise: expected exactly one capture file, got ${parsed.positionals.length} (see netpol-emu advise --help)`, ExitCode.USAGE);
  const capture = flowsIn ?? (parsed.positionals[0] as string);
  if (flowsIn === undefined) rejectFlowsOptionsWithoutInput('advise', parsed);
  const flowsInput = flowsIn !== undefined ? readFlowsInput('advise', parsed, flowsIn) : null;
  // The capture is read twice (observation, proof): standard input cannot be.
  if (capture === '-') throw new UserError('advise: the capture is read twice, so it must be a file, not standard input', ExitCode.USAGE);
  const outDir = stringOption(parsed, 'output');
  const profile = readCniProfile('advise', parsed);
  const { cluster, result: loaded } = await loadClusterInput('advise', parsed, io);
  const setup: ReplaySetup = {
    semantics: policySemantics(profile.values),
    dataplane: profileDataplaneOptions(profile),
    services: { seed: 0, endpointOverrides: new Map() },
    // Read twice (observation, proof): a fresh reader each time.
    ...(flowsInput ? { reader: (source, callback, options) => flowsInput.reader(cluster)(source, callback, options) } : {}),
  };

  const observation = await observeConnections(cluster, capture, capture, setup);
  if (observation.end.kind === 'read-failed' && observation.records === 0) throw new UserError(`advise: ${observation.end.message ?? 'cannot read the capture'}`, ExitCode.CAPTURE_ERROR);
  const policies = advisePolicies(cluster.pods, observation.connections, { defaultDeny: flagOption(parsed, 'default-deny') });
  const answered = observation.connections.filter((c) => c.answered).length;
  const header = [`generated by: netpol-emu advise ${capture}`, `from ${observation.connections.length} connections in the capture (${answered} answered): apply after review`];
  const files = renderAdvisedYaml(policies, header);

  const report: string[] = [
    `advise: ${observation.connections.length} connections in ${capture} (${answered} answered, ${observation.connections.length - answered} never answered; ${observation.notConnections} records were not connections)`,
    `advised ${policies.length} NetworkPolic${policies.length === 1 ? 'y' : 'ies'} in ${files.size} namespace${files.size === 1 ? '' : 's'}`,
  ];
  if (outDir !== undefined) {
    mkdirSync(outDir, { recursive: true });
    for (const [namespace, text] of files) {
      const path = join(outDir, adviceFileName(namespace));
      writeFileSync(path, text);
      report.push(`wrote ${path} (${policies.filter((p) => p.namespace === namespace).length} policies)`);
    }
  } else {
    io.stdout.write([...files.values()].join(''));
  }

  let withAdvice = clusterWithAdvice(loaded.objects, files);
  const cni = stringOption(parsed, 'cni');
  if (cni !== undefined && isCniProfileName(cni)) withAdvice = restrictToProfile(withAdvice, cni).cluster;
  const proof = await proveAdvice(withAdvice, capture, capture, setup, observation);
  const out = outDir !== undefined ? io.stdout : io.stderr;
  out.write(`${report.join('\n')}\n${formatProof(proof, capture)}`);
  if (observation.end.kind !== 'complete') {
    io.stderr.write(`netpol-emu: advise: ${observation.end.message ?? observation.end.kind}\n`);
    return ExitCode.CAPTURE_ERROR;
  }
  return proof.answeredDenied.length > 0 ? ExitCode.DENIED : ExitCode.OK;
}
