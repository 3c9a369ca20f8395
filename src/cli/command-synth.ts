import { PODS_PER_NODE, SYNTH_LIMITS, defaultShape, generateCluster, type ClusterShape } from '../synth/generate-cluster.js';
import { writeClusterManifests } from '../synth/write-manifests.js';
import { SYNTH_LINK_TYPES } from '../synth/build-frames.js';
import { buildCluster } from '../load/build-cluster.js';
import { synthRawObjects } from '../synth/generate-cluster.js';
import { generateFlows, type FlowOptions, type FlowStats, type PacketSink } from '../synth/generate-flows.js';
import { JsonlPacketSink, PcapPacketSink } from '../synth/write-flows.js';
import type { Diagnostic } from '../diagnostics.js';
import { ExitCode, UserError } from '../diagnostics.js';
import type { CliIo } from './io.js';
import { flagOption, parseCommandArgs, stringOption, type OptionSpec, type ParsedArgs } from './parse-options.js';

export const SYNTH_HELP = `Usage: netpol-emu synth [-o DIR] [--seed N] [--pods N] [--namespaces N] [--policies N] [--dual-stack]
                       [--flows N --pcap FILE --flows-out FILE.jsonl [--packets-per-flow N]
                        [--deny-share F] [--link-type N]]

Writes a seeded synthetic cluster as manifests (DIR/namespaces.yaml, pods.yaml, policies.yaml)
that 'netpol-emu <command> -f DIR' reads back. The same options give byte-identical files.

The cluster: kube-system (kube-dns, a hostNetwork kube-proxy per node), monitoring
(prometheus, a hostNetwork node-exporter per node) and application namespaces of Zipf-like
sizes with web/api/db/cache/worker tiers and named container ports; about ${PODS_PER_NODE} pods per node.
Policies, in this order until the count is reached: per-namespace default deny, DNS egress to
kube-system, system policies, tier-to-tier allows (pod and namespace selectors, matchExpressions,
named ports, port ranges, ipBlock with except), then seeded per-deployment variants.

Cluster shape (counts are exact totals):
  --seed N                PRNG seed, 0..4294967295 (default 1)
  --pods N                pods, system pods included (default 100)
  --namespaces N          namespaces, kube-system and monitoring included, at least 3
                          (default: pods/50 + 2)
  --policies N            NetworkPolicies (default: pods/5)
  --dual-stack            give pods an IPv6 address too, and add IPv6 ipBlocks

Flows over that cluster (seeded from --seed too):
  --flows N               connections: pod to pod on the destination's container ports,
                          pod to/from external addresses, DNS to kube-dns (UDP), ICMP echo;
                          Zipf-like popularity, overlapping in time (500 new flows/s)
  --packets-per-flow N    packets per answered flow (default 10; at least TCP 8, UDP/ICMP 2);
                          denied flows are the client's retries only (3 SYNs, or N/2 requests)
  --deny-share F          target share of flows the policies deny, 0..1 (default 0.2); the
                          share achieved is printed
  --pcap FILE             write the packets as classic pcap
  --flows-out FILE        write them as JSONL, one packet per line ('replay --flows-in')
  --link-type N           1 Ethernet (default), 113 Linux SLL, 276 Linux SLL2, 101 raw IP
  --flow-rate N           mean new flows per second of capture time (default 500)
  --openers-only          every flow is its first packet only (TCP SYN, DNS query, echo
                          request): a capture of connection attempts, e.g. a flood

Output:
  -o, --output DIR        folder to write (created if missing; the three files are replaced)
  -h, --help              this help
`;

/** Option groups: the cluster shape, and the flows generated over it (their own record). */
const CLUSTER_SHAPE_OPTIONS = {
  seed: { type: 'string' },
  pods: { type: 'string' },
  namespaces: { type: 'string' },
  policies: { type: 'string' },
  'dual-stack': { type: 'boolean' },
} as const satisfies OptionSpec;

const FLOW_OPTIONS = {
  flows: { type: 'string' },
  'packets-per-flow': { type: 'string' },
  'deny-share': { type: 'string' },
  pcap: { type: 'string' },
  'flows-out': { type: 'string' },
  'link-type': { type: 'string' },
  'flow-rate': { type: 'string' },
  'openers-only': { type: 'boolean' },
} as const satisfies OptionSpec;

const SYNTH_OPTIONS = {
  ...CLUSTER_SHAPE_OPTIONS,
  ...FLOW_OPTIONS,
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpec;

function integerOption(parsed: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const text = stringOption(parsed, name);
  if (text === undefined) return undefined;
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UserError(`synth: --${name} must be an integer from ${min} to ${max}; got ${JSON.stringify(text)}`, ExitCode.USAGE);
  }
  return value;
}

/** The cluster shape options; absent counts follow `defaultShape(pods)`. */
export function parseClusterShape(parsed: ParsedArgs): ClusterShape {
  const seed = integerOption(parsed, 'seed', 0, 0xffffffff) ?? 1;
  const pods = integerOption(parsed, 'pods', 0, SYNTH_LIMITS.maxPods) ?? 100;
  const defaults = defaultShape(pods, seed);
  return {
    seed,
    pods,
    namespaces: integerOption(parsed, 'namespaces', SYNTH_LIMITS.minNamespaces, SYNTH_LIMITS.maxNamespaces) ?? defaults.namespaces,
    policies: integerOption(parsed, 'policies', 0, SYNTH_LIMITS.maxPolicies) ?? defaults.policies,
    dualStack: flagOption(parsed, 'dual-stack'),
  };
}

/** The command line that reproduces a shape, for the files' header. */
export function shapeCommandLine(shape: ClusterShape): string {
  return `netpol-emu synth --seed ${shape.seed} --pods ${shape.pods} --namespaces ${shape.namespaces} --policies ${shape.policies}${shape.dualStack ? ' --dual-stack' : ''}`;
}

interface FlowRequest {
  readonly options: FlowOptions;
  readonly pcap: string | undefined;
  readonly jsonl: string | undefined;
  readonly linkType: number;
}

/** The flow options, or null without --flows. */
export function parseFlowRequest(parsed: ParsedArgs, seed: number): FlowRequest | null {
  const flows = integerOption(parsed, 'flows', 0, 100_000_000);
  const pcap = stringOption(parsed, 'pcap');
  const jsonl = stringOption(parsed, 'flows-out');
  if (flows === undefined) {
    const stray = ['packets-per-flow', 'deny-share', 'pcap', 'flows-out', 'link-type', 'flow-rate', 'openers-only'].find((name) => parsed.values[name] !== undefined);
    if (stray) throw new UserError(`synth: --${stray} needs --flows N`, ExitCode.USAGE);
    return null;
  }
  if (!pcap && !jsonl) throw new UserError('synth: --flows needs an output: --pcap FILE and/or --flows-out FILE.jsonl', ExitCode.USAGE);
  const shareText = stringOption(parsed, 'deny-share');
  const denyShare = shareText === undefined ? 0.2 : /^(0(\.\d+)?|1(\.0+)?|\.\d+)$/.test(shareText) ? Number(shareText) : Number.NaN;
  if (Number.isNaN(denyShare)) throw new UserError(`synth: --deny-share must be a number from 0 to 1; got ${JSON.stringify(shareText)}`, ExitCode.USAGE);
  const linkType = integerOption(parsed, 'link-type', 0, 0xffff) ?? 1;
  if (!(SYNTH_LINK_TYPES as readonly number[]).includes(linkType)) throw new UserError(`synth: --link-type must be one of ${SYNTH_LINK_TYPES.join(', ')}; got ${linkType}`, ExitCode.USAGE);
  const flowRate = integerOption(parsed, 'flow-rate', 1, 100_000_000);
  const options: FlowOptions = {
    seed,
    flows,
    packetsPerFlow: integerOption(parsed, 'packets-per-flow', 1, 100_000) ?? 10,
    denyShare,
    ...(flowRate !== undefined ? { flowsPerSecond: flowRate } : {}),
    ...(flagOption(parsed, 'openers-only') ? { openersOnly: true } : {}),
  };
  return { options, pcap, jsonl, linkType };
}

function writeFlows(objects: Parameters<typeof synthRawObjects>[0], request: FlowRequest): FlowStats {
  const diagnostics: Diagnostic[] = [];
  const { cluster } = buildCluster(synthRawObjects(objects), diagnostics);
  const pcap = request.pcap ? new PcapPacketSink(request.pcap, request.linkType) : null;
  const jsonl = request.jsonl ? new JsonlPacketSink(request.jsonl, request.linkType) : null;
  const sink: PacketSink = pcap && jsonl ? (t, f) => (pcap.packet(t, f), jsonl.packet(t, f)) : ((pcap ?? jsonl) as PcapPacketSink | JsonlPacketSink).packet;
  try {
    return generateFlows(cluster, request.options, sink);
  } finally {
    pcap?.close();
    jsonl?.close();
  }
}

export function runSynth(args: readonly string[], io: CliIo): number {
  const parsed = parseCommandArgs('synth', args, SYNTH_OPTIONS);
  if (flagOption(parsed, 'help')) {
    io.stdout.write(SYNTH_HELP);
    return ExitCode.OK;
  }
  const shape = parseClusterShape(parsed);
  const flowRequest = parseFlowRequest(parsed, shape.seed);
  const dir = stringOption(parsed, 'output') ?? '';
  if (dir === '' && !flowRequest) throw new UserError(`synth: no output folder: pass -o DIR`, ExitCode.USAGE);
  const objects = generateCluster(shape);
  if (flowRequest) {
    const stats = writeFlows(objects, flowRequest);
    const outputs = [flowRequest.pcap, flowRequest.jsonl].filter((p): p is string => p !== undefined).join(' and ');
    io.stderr.write(
      `synth: wrote ${stats.flows} flows, ${stats.packets} packets to ${outputs}; denied ${stats.deniedFlows} flows, share ${stats.deniedShare.toFixed(3)} (target ${flowRequest.options.denyShare})\n`,
    );
    if (dir === '') return ExitCode.OK;
  }
  let files: string[];
  try {
    files = writeClusterManifests(dir, objects, `generated by: ${shapeCommandLine(shape)}`);
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new UserError(`synth: cannot write ${JSON.stringify(dir)}: ${code ?? (error instanceof Error ? error.message : String(error))}`, ExitCode.USAGE);
  }
  const counts = { Namespace: 0, Pod: 0, NetworkPolicy: 0 } as Record<string, number>;
  for (const o of objects) counts[String(o['kind'])] = (counts[String(o['kind'])] ?? 0) + 1;
  io.stderr.write(`synth: wrote ${counts['Namespace']} namespaces, ${counts['Pod']} pods, ${counts['NetworkPolicy']} policies to ${files.join(', ')}\n`);
  return ExitCode.OK;
}
