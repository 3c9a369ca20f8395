/**
 * `advise`: NetworkPolicies that allow exactly the connections a capture shows working, per
 * workload, written one file per namespace; then the proof, a replay of the same capture against
 * the cluster plus that advice (src/advise/). The capture is read twice, so standard input is
 * spooled once to a temporary file (spool-stdin.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Cluster } from '../../compiler/model.js';
import type { ResolvedProfile } from '../../compiler/cni-profiles.js';
import type { RawObject } from '../load/read-manifests.js';
import { buildAdviceDocument } from '../advise/build-advice-document.js';
import { restrictToProfile } from '../../compiler/cni-admin-support.js';
import { isCniProfileName } from '../../compiler/cni-profiles.js';
import { policySemantics } from '../../compiler/policy-semantics.js';
import { adviceFileName, adviseConnections, renderAdvisedYaml } from '../advise/advise-policies.js';
import { profileReach } from '../advise/judge-profile-reach.js';
import { observeConnections, type ReplaySetup } from '../advise/observe-connections.js';
import { clusterWithAdvice, proveAdvice, type AdviceProof, type BeyondItem, type ProofItem } from '../advise/prove-advice.js';
import { ExitCode, UserError } from '../diagnostics.js';
import { FLOWS_INPUT_HELP, FLOWS_INPUT_OPTIONS, readFlowsInput, rejectFlowsOptionsWithoutInput } from './read-flows-input.js';
import { profileDataplaneOptions } from './command-replay.js';
import type { CliIo } from './io.js';
import { loadClusterInput } from './load-cluster-input.js';
import { CLUSTER_OPTIONS, CLUSTER_OPTIONS_HELP, flagOption, parseCommandArgs, stringOption, type ParsedArgs } from './parse-options.js';
import { CNI_OPTIONS, CNI_OPTIONS_HELP, readCniProfile } from './read-cni-profile.js';
import { spoolStdin } from './spool-stdin.js';

export const ADVISE_HELP = `Usage: netpol-emu advise CAPTURE -f PATH... [--dir DIR] [-o yaml|json] [options]
       netpol-emu advise --flows-in FILE -f PATH... [--dir DIR] [-o yaml|json] [options]

Writes least-privilege NetworkPolicies from traffic: the capture (or '-' for standard input) is
replayed with every policy removed, and each connection that worked becomes a rule. Pods are
grouped into workloads (the labels their replicas share; never a pod name); each workload seen
in the capture gets one policy that isolates it in the directions it was seen in and allows, per
peer workload or external address, the ports it used (by name where the destination pod names
the port). DNS to the cluster DNS pods is a rule like any other.

A connection worked when the destination accepted it: TCP a SYN-ACK (or, picked up mid-stream,
any segment back that is not a RST), SCTP an INIT ACK, UDP/ICMP/other a packet back. A RST (SCTP
ABORT), an ICMP/ICMPv6 destination unreachable or no answer at all is a refusal: never allowed,
listed in the report and in the policies' comments as refused.

Then the proof: the capture is replayed against the cluster plus the advised policies; every
connection that worked must be allowed, and the refused ones still allowed (by the current
policies, or by a rule a working connection needed) are listed.

With --cni the advice is for that CNI: only rules its switches let match (Cilium: no ipBlock for
node addresses, no SCTP ports, egress ports by number where a name means several). A connection
the profile allows without a rule, or that no NetworkPolicy can allow under it, gets a note in
the policy's comments instead (with what the CNI needs), and the proof lists the latter apart.

  -o, --output FORMAT     yaml (default): the policies, on standard output unless --dir;
                          json: the advice and the proof as one JSON document on standard
                          output (docs/advise.md). Any other value is taken as --dir DIR.
  --dir DIR               write one file per namespace (DIR/NAMESPACE.yaml) and print the
                          report and proof; without it (and -o yaml) the policies go to
                          standard output and the report and proof to standard error
  --default-deny          also write a default deny (every pod, both directions) per namespace
  --allow-unanswered-udp  UDP that got no answer at all (no reply, no ICMP error) counts as
                          working: one-way UDP such as syslog or statsd is silent by design
  --flows-in FILE         read flow records instead of a capture: a Hubble export or a JSONL
                          flow file (see replay --help); '-' for standard input
${FLOWS_INPUT_HELP}
${CNI_OPTIONS_HELP}
${CLUSTER_OPTIONS_HELP}

To see what tightening would drop compared with the current policies, diff the capture under
both: netpol-emu diff CAPTURE -f PODS... --left -f CURRENT-POLICIES --right -f DIR

Exit status: 0 the proof holds, 1 a connection that worked would be denied (a bug: please
report it), 2 usage error, 3 invalid manifests, 4 capture error.
`;

function listItems(title: string, items: readonly ProofItem[]): string[] {
  if (items.length === 0) return [];
  return [`  ${title} (${items.length}):`, ...items.map((i) => `    ${i.connection} (${i.why}): ${i.reason}${i.rule ? ` by ${i.rule}` : i.policy ? ` (${i.policy})` : ''}`)];
}

function listBeyond(items: readonly BeyondItem[]): string[] {
  if (items.length === 0) return [];
  return [`  worked, but no NetworkPolicy can allow them under this CNI profile (${items.length}):`, ...items.map((i) => `    ${i.connection} (${i.why}): ${i.needs}`)];
}

export function formatProof(proof: AdviceProof, capture: string): string {
  return [
    `proof: ${capture} replayed against the cluster plus the advised policies:`,
    `  connections that worked, allowed: ${proof.workedAllowed} of ${proof.worked}`,
    `  refused connections, denied: ${proof.refusedDenied} of ${proof.refused}`,
    ...listItems('worked but denied', proof.workedDenied),
    ...listBeyond(proof.workedBeyondPolicy),
    ...listItems('refused but still allowed', proof.refusedAllowed),
    '',
  ].join('\n');
}

/** Refused connections listed in the report before "... and N more" (all are in -o json). */
const REPORT_REFUSED = 20;

interface AdviseArgs {
  readonly capture: string;
  readonly flowsIn: boolean;
  readonly format: 'yaml' | 'json';
  readonly dir: string | undefined;
}

function readAdviseArgs(parsed: ParsedArgs): AdviseArgs {
  const flowsIn = stringOption(parsed, 'flows-in');
  if (flowsIn !== undefined && parsed.positionals.length !== 0) throw new UserError('advise: give either a capture file or --flows-in FILE, not both', ExitCode.USAGE);
  if (flowsIn === undefined && parsed.positionals.length !== 1) throw new UserError(`advise: expected exactly one capture file (or '-'), got ${parsed.positionals.length} (see netpol-emu advise --help)`, ExitCode.USAGE);
  const output = stringOption(parsed, 'output');
  let dir = stringOption(parsed, 'dir');
  // Before -o took a format it named the directory: a value that is not a format still does.
  const format = output === 'json' ? 'json' : 'yaml';
  if (output !== undefined && output !== 'json' && output !== 'yaml') {
    if (dir !== undefined) throw new UserError(`advise: -o must be yaml or json when --dir is given; got ${JSON.stringify(output)}`, ExitCode.USAGE);
    dir = output;
  }
  return { capture: flowsIn ?? (parsed.positionals[0] as string), flowsIn: flowsIn !== undefined, format, dir };
}

export async function runAdvise(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(
    'advise',
    args,
    {
      ...CLUSTER_OPTIONS,
      ...CNI_OPTIONS,
      output: { type: 'string', short: 'o' },
      dir: { type: 'string' },
      'default-deny': { type: 'boolean' },
      'allow-unanswered-udp': { type: 'boolean' },
      'flows-in': { type: 'string' },
      ...FLOWS_INPUT_OPTIONS,
    },
    true,
  );
  if (flagOption(parsed, 'help')) {
    io.stdout.write(ADVISE_HELP);
    return ExitCode.OK;
  }
  const options = readAdviseArgs(parsed);
  if (!options.flowsIn) rejectFlowsOptionsWithoutInput('advise', parsed);
  if (options.capture === '-' && !io.stdin) throw new UserError('advise: standard input is not available', ExitCode.USAGE);
  const profile = readCniProfile('advise', parsed);
  const { cluster, result: loaded } = await loadClusterInput('advise', parsed, io);
  if (options.capture !== '-') return adviseFrom(options.capture, options.capture, options, parsed, io, cluster, loaded.objects, profile);
  const spool = await spoolStdin(io.stdin as Readable, 'advise');
  try {
    return await adviseFrom(spool.path, '<stdin>', options, parsed, io, cluster, loaded.objects, profile);
  } finally {
    spool.remove();
  }
}

async function adviseFrom(
  path: string,
  capture: string,
  options: AdviseArgs,
  parsed: ParsedArgs,
  io: CliIo,
  cluster: Cluster,
  objects: readonly RawObject[],
  profile: ResolvedProfile,
): Promise<number> {
  // Judged on the file actually read (the spooled copy of standard input included).
  const flowsInput = options.flowsIn ? readFlowsInput('advise', parsed, path, io.env) : null;
  const setup: ReplaySetup = {
    semantics: policySemantics(profile.values),
    dataplane: profileDataplaneOptions(profile),
    services: { seed: 0, endpointOverrides: new Map(), externalSource: profile.values.externalSource },
    // Read twice (observation, proof): a fresh reader each time.
    ...(flowsInput ? { reader: (source, callback, readOptions) => flowsInput.reader(cluster)(source, callback, readOptions) } : {}),
  };
  const observation = await observeConnections(cluster, path, capture, setup, { allowUnansweredUdp: flagOption(parsed, 'allow-unanswered-udp') });
  if (observation.end.kind === 'read-failed' && observation.records === 0) throw new UserError(`advise: ${observation.end.message ?? 'cannot read the capture'}`, ExitCode.CAPTURE_ERROR);
  const reach = profileReach(cluster.pods, { name: profile.name, semantics: setup.semantics });
  const { policies, beyond } = adviseConnections(cluster.pods, observation.connections, { defaultDeny: flagOption(parsed, 'default-deny'), reach });
  const worked = observation.connections.filter((c) => c.worked).length;
  const refused = observation.connections.filter((c) => !c.worked);
  const header = [`generated by: netpol-emu advise ${capture}`, `from ${observation.connections.length} connections in the capture (${worked} worked, ${refused.length} refused): apply after review`];
  const files = renderAdvisedYaml(policies, header);

  const report: string[] = [
    `advise: ${observation.connections.length} connections in ${capture} (${worked} worked, ${refused.length} refused; ${observation.notConnections} records were not connections)`,
    ...(refused.length > 0 ? [`refused, not allowed (${refused.length}):`] : []),
    ...refused.slice(0, REPORT_REFUSED).map((c) => `  ${c.key}: ${c.why}`),
    ...(refused.length > REPORT_REFUSED ? [`  ... and ${refused.length - REPORT_REFUSED} more`] : []),
    `advised ${policies.length} NetworkPolic${policies.length === 1 ? 'y' : 'ies'} in ${files.size} namespace${files.size === 1 ? '' : 's'}`,
  ];
  const written = new Map<string, string>();
  if (options.dir !== undefined) {
    mkdirSync(options.dir, { recursive: true });
    for (const [namespace, text] of files) {
      const file = join(options.dir, adviceFileName(namespace));
      writeFileSync(file, text);
      written.set(namespace, file);
      report.push(`wrote ${file} (${policies.filter((p) => p.namespace === namespace).length} policies)`);
    }
  } else if (options.format === 'yaml') {
    io.stdout.write([...files.values()].join(''));
  }

  let withAdvice = clusterWithAdvice(objects, files);
  const cni = stringOption(parsed, 'cni');
  if (cni !== undefined && isCniProfileName(cni)) withAdvice = restrictToProfile(withAdvice, cni).cluster;
  const proof = await proveAdvice(withAdvice, path, capture, setup, observation, beyond);
  if (options.format === 'json') {
    const document = buildAdviceDocument(capture, observation, policies, (namespace) => written.get(namespace) ?? null, proof);
    io.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
  } else {
    const out = options.dir !== undefined ? io.stdout : io.stderr;
    out.write(`${report.join('\n')}\n${formatProof(proof, capture)}`);
  }
  if (observation.end.kind !== 'complete') {
    io.stderr.write(`netpol-emu: advise: ${observation.end.message ?? observation.end.kind}\n`);
    return ExitCode.CAPTURE_ERROR;
  }
  return proof.workedDenied.length > 0 ? ExitCode.DENIED : ExitCode.OK;
}
