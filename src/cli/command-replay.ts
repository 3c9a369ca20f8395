import type { Readable } from 'node:stream';
import { CT_TIMEOUT_PROFILES, type CtTimeoutProfileName } from '../../dataplane/conntrack/index.js';
import { isDropped, isForwarded } from '../../dataplane/packet-category.js';
import type { CaptureRecord } from '../capture/capture-record.js';
import { PcapWriter } from '../capture/pcap-writer.js';
import { ExitCode, UserError } from '../diagnostics.js';
import { flowReport } from '../replay/flow-report.js';
import type { ReportCollector } from '../report/collect-report-data.js';
import { readFlowsJsonl } from '../replay/read-flows-jsonl.js';
import { replayCapture, type ReplayOptions, type ReplayResult } from '../replay/replay-capture.js';
import type { ParallelReplayOptions, ParallelReplayResult } from '../parallel/replay-parallel.js';
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { FlowLineWriter } from '../replay/write-flow-lines.js';
import { DEFAULT_DENIED_FLOWS_MAX } from '../../dataplane/dataplane.js';
import { formatSummary, summarize, type ReplaySummary } from '../replay/summarize.js';
import { formatCoverage } from '../replay/rule-coverage.js';
import type { CliIo } from './io.js';
import type { Cluster } from '../../compiler/model.js';
import type { RawObject } from '../load/read-manifests.js';
import type { Dataplane } from '../../dataplane/dataplane.js';
import { CNI_OPTIONS, CNI_OPTIONS_HELP, readCniProfile } from './read-cni-profile.js';
import { policySemantics } from '../../compiler/policy-semantics.js';
import { CACHE_OPTIONS, CACHE_OPTIONS_HELP, resolveCacheDir } from './resolve-cache-dir.js';
import { encodeTables, podIndexer } from '../../compiler/serialize-tables.js';
import { loadCompiledInput } from './load-compiled-input.js';
import { CLUSTER_OPTIONS, CLUSTER_OPTIONS_HELP, choiceOption, flagOption, parseCommandArgs, stringOption } from './parse-options.js';
import { ENGINES } from './engine-names.js';
import { profileDataplaneOptions } from '../replay/profile-dataplane-options.js';

export { profileDataplaneOptions };
import type { ServiceNatOptions } from '../replay/build-service-nat.js';
import { RecordedVerdicts } from '../replay/compare-recorded-verdicts.js';
import type { HubbleFlowReader } from '../replay/read-hubble-flows.js';
import { FLOWS_INPUT_HELP, FLOWS_INPUT_OPTIONS, readFlowsInput, rejectFlowsOptionsWithoutInput } from './read-flows-input.js';

/** `--workers auto` uses several workers only for captures this large (MB): below it the threads' start costs more than they save. */
const AUTO_WORKERS_MIN_MB = 64;
/** ... and only on machines with this many cores (see autoWorkers). */
const AUTO_WORKERS_MIN_CORES = 4;

const TIMEOUT_PROFILES = Object.keys(CT_TIMEOUT_PROFILES) as CtTimeoutProfileName[];

export const REPLAY_HELP = `Usage: netpol-emu replay CAPTURE -f PATH... [options]
       netpol-emu replay --flows-in FILE -f PATH... [options]

Replays a pcap or pcapng capture (or '-' for standard input) through the emulated dataplane:
every packet is decoded, looked up in conntrack and, when it starts a connection, checked
against the compiled policies (source egress, then destination ingress). Prints packets and
bytes per verdict, flows allowed and denied, the top denied flows and the rules that allowed
traffic. Every record lands in exactly one category; the categories add up to the records read.

  -o, --output FORMAT     text (default) or json (the same summary)
  --flows FILE            one JSON line per flow (both directions of a connection), written
                          as each flow ends (then the flows still open, in start order);
                          '-' = stdout
  --write-allowed FILE    the packets that pass (allowed, and non-IP frames) as pcap
  --write-dropped FILE    the packets the dataplane drops as pcap (same link type and timestamps)
  --flows-in FILE         replay flow records instead of a capture: a Hubble export
                          ('hubble observe -o json', the exporter's file: every L3/L4 event a
                          packet, each packet once; recorded verdicts compared with the
                          emulated ones; docs/hubble.md) or a JSONL flow file ('synth
                          --flows-out'; format: docs/jsonl-flow-format.md)
${FLOWS_INPUT_HELP}
  --reader NAME           default (built-in streaming reader: pcap and pcapng) or pcap-parser
                          (the npm package, classic microsecond pcap only: a cross-check)
  --top N                 denied flows listed in the summary (default 10)
  --workers N|auto        replay on N threads, sharded by connection (results identical to
                          --workers 1: same summary, flow lines in the same order, packets
                          written in capture order). auto (default): the number of cores for
                          captures of ${AUTO_WORKERS_MIN_MB} MB and more on machines with ${AUTO_WORKERS_MIN_CORES}+ cores,
                          else 1. Not with --report, --reader pcap-parser, --flows-in or a
                          capture on standard input
  --coverage              rule coverage: every allow rule of every policy with the allowed flows
                          and packets it matched and those it decided (was the first matching
                          allow for); policies whose rules matched nothing; pods no allowed flow
                          reached (json: under "coverage")
  --report FILE.html      also write a self-contained HTML report: run facts and counters,
                          namespace/pod heatmaps, verdicts over time, the flow table
                          (sortable, filterable), rule coverage (implies --coverage)
  --timeline FILE         cluster changes at given times (YAML, see docs/replay.md): apply, replace
                          or delete objects, relabel pods and namespaces; established
                          connections then behave as the profile's reevaluateEstablished says
  --engine compiled|naive evaluator for new flows (default compiled)
  --dedupe auto|on|off    drop the second copy of packets a 'tcpdump -i any' capture records
                          twice (auto: for Linux cooked captures, link types 113 and 276)
  --decap auto|on|off     open overlay tunnels and replay the inner packet: VXLAN (UDP 4789,
                          8472), Geneve (UDP 6081, options skipped), IP-in-IP (protocol 4),
                          IPv6-in-IP (41); WireGuard (UDP 51820, 51821, 51871) and IPsec ESP
                          (50) are counted as encrypted. auto (default): UDP tunnels only with a
                          valid VXLAN/Geneve header; on: every datagram to a tunnel port; off: none
  --service-endpoint NS/NAME=IP
                          send every connection to Service NS/NAME to its endpoint IP (repeatable;
                          default: a seeded hash of the connection picks one ready endpoint)
  --service-seed N        seed of that endpoint choice (default 0)
  --timeouts NAME         conntrack timeouts: ${TIMEOUT_PROFILES.join(', ')}
                          (default: the profile's conntrackTimeouts)
  --conntrack-max N       conntrack entries before early drop / table full (default 196608)
  --denied-flows-max N    denied attempts remembered at once for the reports (default ${DEFAULT_DENIED_FLOWS_MAX});
                          beyond it the oldest is reported early (counted in the summary)
${CACHE_OPTIONS_HELP}
${CNI_OPTIONS_HELP}
                          The profile also decides INVALID handling (dropInvalidCt), the deny
                          action (denyAction=reject answers with ICMP port unreachable, written
                          to --write-allowed) and ICMP exemptions (icmpPolicy).
${CLUSTER_OPTIONS_HELP}

Exit status: 0 replayed the whole capture, 2 usage error, 3 invalid manifests,
4 the capture is truncated, corrupt or unreadable (every whole record before the problem is
still replayed and reported).
`;

function positiveInteger(command: string, flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new UserError(`${command}: ${flag} must be a positive integer, got ${JSON.stringify(text)}`, ExitCode.USAGE);
  return Number(text);
}

export async function runReplay(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(
    'replay',
    args,
    {
      ...CLUSTER_OPTIONS,
      output: { type: 'string', short: 'o' },
      flows: { type: 'string' },
      top: { type: 'string' },
      workers: { type: 'string' },
      engine: { type: 'string' },
      dedupe: { type: 'string' },
      decap: { type: 'string' },
      'service-endpoint': { type: 'string', multiple: true },
      'service-seed': { type: 'string' },
      timeouts: { type: 'string' },
      'conntrack-max': { type: 'string' },
      'denied-flows-max': { type: 'string' },
      ...CNI_OPTIONS,
      'write-allowed': { type: 'string' },
      'write-dropped': { type: 'string' },
      reader: { type: 'string' },
      timeline: { type: 'string' },
      'flows-in': { type: 'string' },
      ...FLOWS_INPUT_OPTIONS,
      coverage: { type: 'boolean' },
      report: { type: 'string' },
      ...CACHE_OPTIONS,
    },
    true,
  );
  if (flagOption(parsed, 'help')) {
    io.stdout.write(REPLAY_HELP);
    return ExitCode.OK;
  }
  const flowsIn = stringOption(parsed, 'flows-in');
  if (flowsIn !== undefined) {
    if (parsed.positionals.length !== 0) throw new UserError('replay: give either a capture file or --flows-in FILE, not both', ExitCode.USAGE);
    if (stringOption(parsed, 'reader') !== undefined) throw new UserError('replay: --reader applies to captures, not to --flows-in', ExitCode.USAGE);
  } else if (parsed.positionals.length !== 1) {
    throw new UserError(`replay: expected exactly one capture file (or '-'), got ${parsed.positionals.length} (see netpol-emu replay --help)`, ExitCode.USAGE);
  } else rejectFlowsOptionsWithoutInput('replay', parsed);
  const flowsInput = flowsIn !== undefined ? readFlowsInput('replay', parsed, flowsIn, io.env) : null;
  const captureArg = flowsIn ?? (parsed.positionals[0] as string);
  const output = choiceOption('replay', parsed, 'output', ['text', 'json'] as const, 'text');
  const engine = choiceOption('replay', parsed, 'engine', ENGINES, 'compiled');
  const dedupe = choiceOption('replay', parsed, 'dedupe', ['auto', 'on', 'off'] as const, 'auto');
  const decap = choiceOption('replay', parsed, 'decap', ['auto', 'on', 'off'] as const, 'auto');
  const profile = readCniProfile('replay', parsed);
  const timeouts = choiceOption('replay', parsed, 'timeouts', TIMEOUT_PROFILES, profile.values.conntrackTimeouts);
  const top = positiveInteger('replay', '--top', stringOption(parsed, 'top'), 10);
  const conntrackMax = positiveInteger('replay', '--conntrack-max', stringOption(parsed, 'conntrack-max'), 196_608);
  const deniedFlowsMax = positiveInteger('replay', '--denied-flows-max', stringOption(parsed, 'denied-flows-max'), DEFAULT_DENIED_FLOWS_MAX);
  const flowsPath = stringOption(parsed, 'flows');
  const readerName = choiceOption('replay', parsed, 'reader', ['default', 'pcap-parser'] as const, 'default');
  const allowedPath = stringOption(parsed, 'write-allowed');
  const droppedPath = stringOption(parsed, 'write-dropped');
  const workersText = stringOption(parsed, 'workers') ?? 'auto';
  const explicitWorkers = workersText === 'auto' ? null : positiveInteger('replay', '--workers', workersText, 1);
  const reportWanted = stringOption(parsed, 'report') !== undefined;
  const sequentialOnly = reportWanted ? '--report' : readerName !== 'default' ? '--reader pcap-parser' : flowsIn !== undefined ? '--flows-in' : captureArg === '-' ? 'a capture on standard input' : null;
  if (explicitWorkers !== null && explicitWorkers > 1 && sequentialOnly !== null) throw new UserError(`replay: --workers ${explicitWorkers} cannot be combined with ${sequentialOnly} (use --workers 1)`, ExitCode.USAGE);
  const workers = explicitWorkers ?? (sequentialOnly === null ? autoWorkers(captureArg) : 1);
  if (captureArg === '-' && !io.stdin) throw new UserError('replay: standard input is not available', ExitCode.USAGE);

  const cacheDir = resolveCacheDir('replay', parsed, io.env);
  const timelinePath = stringOption(parsed, 'timeline');
  // Modules only some runs need are loaded when asked for: every start would pay for them.
  const events = timelinePath !== undefined ? (await import('../timeline/load-timeline.js')).loadTimeline(timelinePath) : null;
  // Workers start loading their code now, while this thread loads the cluster.
  const spawned = workers > 1 ? (await import('../parallel/replay-parallel.js')).spawnReplayWorkers(workers) : undefined;
  const semantics = policySemantics(profile.values);
  // Compiled once here (or read from the cache with the cluster), for this thread or for every
  // worker; a timeline compiles incrementally from the raw objects instead.
  const { cluster, compiled, objects } = engine === 'compiled' && !events ? { ...(await loadCompiledInput('replay', parsed, io, semantics, cacheDir)), objects: [] } : await loadUncompiled(parsed, io);
  const progress = io.stderr.isTTY === true && !io.env['CI'];
  const flowWriter = flowsPath === undefined ? null : flowsPath === '-' ? FlowLineWriter.toStream(io.stdout, 'standard output') : FlowLineWriter.toFile(flowsPath);
  const allowedWriter = allowedPath !== undefined ? new PcapWriter(allowedPath) : null;
  const droppedWriter = droppedPath !== undefined ? new PcapWriter(droppedPath) : null;
  const reportPath = stringOption(parsed, 'report');
  const collector = reportPath !== undefined ? new (await import('../report/collect-report-data.js')).ReportCollector() : null;
  const hubble: HubbleFlowReader | null = flowsInput?.format === 'hubble' ? flowsInput.hubbleReader(cluster) : null;
  const recorded = hubble ? new RecordedVerdicts(hubble, top) : null;
  const writePackets =
    allowedWriter || droppedWriter
      ? (record: CaptureRecord, category: number, dataplane: Dataplane): void => {
          if (allowedWriter && isForwarded(category)) allowedWriter.append(record);
          else if (droppedWriter && isDropped(category)) droppedWriter.append(record);
          // A rejecting profile answers the dropped packet: the answer is traffic that flows.
          if (allowedWriter && dataplane.rejected) {
            const reject = dataplane.rejectFrame;
            allowedWriter.appendFrame(reject.buffer, 0, reject.length, reject.length, record.tsSec, record.tsNsec, record.linkType, record.nanosecondResolution, 'a REJECT answer (');
          }
        }
      : undefined;
  const onPacket = collector ? withTimeline(collector, writePackets) : writePackets;
  const onFlow = flowWriter || collector ? flowOutputs(flowWriter, collector, recorded) : undefined;
  const options: ReplayOptions = {
    engine,
    semantics,
    ...(compiled ? { tables: compiled.tables } : {}),
    dataplane: { ...profileDataplaneOptions(profile, conntrackMax, timeouts, dedupe, decap), deniedFlowsMax },
    topN: top,
    ...(onFlow ? { onFlow } : {}),
    ...(flowWriter ? { betweenChunks: flowWriter.betweenChunks } : {}),
    ...(progress ? { onProgress: (records: number, bytes: number) => io.stderr.write(`\r${records} packets, ${(bytes / 1e6).toFixed(1)} MB`) } : {}),
    ...(onPacket ? { onPacket } : {}),
    ...(events ? { timeline: { events, objects, profile: profile.name } } : {}),
    ...(readerName === 'pcap-parser' ? { reader: async (source, callback) => (await (await import('../capture/read-with-pcap-parser.js')).openCaptureWithPcapParser(source)).forEach(callback) } : {}),
    ...(flowsIn !== undefined ? { reader: hubble ? hubble.read : readFlowsJsonl } : {}),
    ...(recorded ? { recorded } : {}),
    services: { ...serviceOptions(parsed), externalSource: profile.values.externalSource },
    ...(flagOption(parsed, 'coverage') || collector ? { coverage: true } : {}),
  };
  const profileLabel = profile.overrides.length ? `${profile.name} (${profile.overrides.map((k) => `${k}=${String(profile.values[k])}`).join(', ')})` : profile.name;
  // With --flows -, stdout carries the flows; the summary goes to stderr so both stay parseable.
  const summaryOut = flowsPath === '-' ? io.stderr : io.stdout;
  const stdin = io.stdin as Readable | undefined;
  let parallel: ParallelReplayResult | null = null;
  let result: ReplayResult | null = null;
  try {
    if (workers > 1) {
      const { onFlow: _unused, onPacket: _packets, betweenChunks: _between, onProgress: _progress, reader: _reader, tables: _tables, ...machine } = options;
      // Loaded only when used: a one-thread replay does not pay for it at start.
      const { replayParallel } = await import('../parallel/replay-parallel.js');
      parallel = await replayParallel(cluster, captureArg, captureArg, {
        workers,
        ...(spawned ? { spawned } : {}),
        machine,
        ...(compiled ? { tables: compiled.encoded ?? encodeTables(compiled.tables, podIndexer(cluster.pods)) } : {}),
        engineLabel: engine,
        profileLabel,
        ...(flowWriter ? { onFlowLine: (bytes: Buffer, offset: number, length: number) => flowWriter.addEncoded(bytes, offset, length), betweenChunks: flowWriter.betweenChunks } : {}),
        ...(allowedWriter || droppedWriter ? { onPacket: retainedPacketWriter(allowedWriter, droppedWriter) } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      });
    } else {
      result = await replayCapture(cluster, captureArg === '-' ? (stdin as Readable) : captureArg, captureArg === '-' ? '<stdin>' : captureArg, options);
    }
  } finally {
    allowedWriter?.close();
    droppedWriter?.close();
    await flowWriter?.end();
  }
  const end = parallel ? parallel.end : (result as ReplayResult).end;
  if (progress) io.stderr.write('\r\x1b[K');
  if (end.kind === 'read-failed' && end.records === 0) throw new UserError(`replay: ${end.message ?? 'cannot read the capture'}`, ExitCode.CAPTURE_ERROR);

  if (flowWriter?.closedEarly) io.stderr.write(`netpol-emu: replay: the flow output was closed by its reader after ${flowWriter.lines} line(s); the replay went on\n`);
  if (parallel?.limitsReached.length) io.stderr.write(`netpol-emu: replay: the ${workers} workers together held more than the limit of ${parallel.limitsReached.join(' and ')}: a replay with --workers 1 could have evicted where these did not; raise the limit or use --workers 1 for exact results\n`);
  const one = result;
  const replayed = one ? summarize(one.dataplane, one.flows, one.capture, engine, profileLabel, one.timeline) : (parallel as ParallelReplayResult).summary;
  const summary = hubble ? withHubble(replayed, hubble, recorded, io, stringOption(parsed, 'cni') === undefined) : replayed;
  const coverage = one ? (one.coverage?.report() ?? null) : (parallel as ParallelReplayResult).coverage;
  if (output === 'json') summaryOut.write(`${JSON.stringify(coverage ? { ...summary, coverage } : summary, null, 2)}\n`);
  else summaryOut.write(coverage && flagOption(parsed, 'coverage') ? formatSummary(summary) + formatCoverage(coverage) : formatSummary(summary));
  if (collector && reportPath !== undefined) {
    const counts = { namespaces: cluster.namespaces.length, pods: cluster.pods.length, policies: cluster.policies.length, adminPolicies: cluster.adminPolicies?.length ?? 0, services: cluster.services?.length ?? 0 };
    const [{ renderHtmlReport, reportData }, { writeHtmlReport }] = await Promise.all([import('../report/render-html-report.js'), import('./write-html-report.js')]);
    writeHtmlReport('replay', reportPath, renderHtmlReport(reportData(`netpol-emu replay: ${captureArg}`, summary, counts, collector, coverage)));
  }
  if (end.kind !== 'complete') {
    io.stderr.write(`netpol-emu: replay: ${end.message ?? end.kind}\n`);
    return ExitCode.CAPTURE_ERROR;
  }
  return ExitCode.OK;
}

/** The cluster for the naive engine or a timeline (which also needs the raw objects): nothing compiled here. */
async function loadUncompiled(parsed: ReturnType<typeof parseCommandArgs>, io: CliIo): Promise<{ cluster: Cluster; compiled: null; objects: readonly RawObject[] }> {
  const { cluster, result } = await (await import('./load-cluster-input.js')).loadClusterInput('replay', parsed, io);
  return { cluster, compiled: null, objects: result.objects };
}

/**
 * `--workers auto`: every core for a large capture file on a machine with AUTO_WORKERS_MIN_CORES
 * cores or more, one thread otherwise. Below that the reader thread and the workers share too
 * few cores: measured on 2 vCPUs, two workers were slower than one (docs/multi-core-and-merging.md).
 */
function autoWorkers(capturePath: string): number {
  const cores = availableParallelism();
  if (cores < AUTO_WORKERS_MIN_CORES) return 1;
  try {
    if (statSync(capturePath).size < AUTO_WORKERS_MIN_MB * 1e6) return 1;
  } catch {
    return 1; // the reader reports a missing file with its own message
  }
  return cores;
}

/** --write-allowed / --write-dropped for a sharded replay: records come back with their verdict, in capture order. */
function retainedPacketWriter(allowedWriter: PcapWriter | null, droppedWriter: PcapWriter | null): NonNullable<ParallelReplayOptions['onPacket']> {
  return (record, category, reject, rejectLength) => {
    const what = `record ${record.index} (interface ${record.interfaceId}`;
    if (allowedWriter && isForwarded(category)) allowedWriter.appendFrame(record.buffer, record.offset, record.capturedLength, record.wireLength, record.tsSec, record.tsNsec, record.linkType, record.nanosecondResolution, what);
    else if (droppedWriter && isDropped(category)) droppedWriter.appendFrame(record.buffer, record.offset, record.capturedLength, record.wireLength, record.tsSec, record.tsNsec, record.linkType, record.nanosecondResolution, what);
    if (allowedWriter && reject !== null) allowedWriter.appendFrame(reject, 0, rejectLength, rejectLength, record.tsSec, record.tsNsec, record.linkType, record.nanosecondResolution, 'a REJECT answer (');
  };
}

/** The per-packet hook with the report's timeline in front (allocation-free). */
function withTimeline(collector: ReportCollector, next: ReplayOptions['onPacket']): NonNullable<ReplayOptions['onPacket']> {
  const timeline = collector.timeline;
  return (record, category, dataplane) => {
    const now = record.tsSec + record.tsNsec * 1e-9;
    timeline.add(now, category);
    const revised = dataplane.revised;
    for (let k = 0; k < dataplane.revisedMoves; k++) timeline.revise(now, revised[k * 3] as number, revised[k * 3 + 1] as number, revised[k * 3 + 2] as number);
    if (next) next(record, category, dataplane);
  };
}

/**
 * A Hubble input's part of the summary (what was read; the recorded verdicts when it has any),
 * and its notes on stderr: pods the cluster lacks, and the CNI profile to compare with Cilium.
 */
function withHubble(summary: ReplaySummary, hubble: HubbleFlowReader, recorded: RecordedVerdicts | null, io: CliIo, noProfile: boolean): ReplaySummary {
  const stats = hubble.stats();
  const missing = stats.podsNotInCluster;
  if (missing.pods > 0) io.stderr.write(`netpol-emu: replay: warning: ${missing.pods} pod${missing.pods === 1 ? '' : 's'} named in the Hubble input ${missing.pods === 1 ? 'is' : 'are'} not in the cluster (${missing.observations} observations; e.g. ${missing.examples.join(', ')}): their addresses are replayed as what the cluster says they are\n`);
  if (noProfile && stats.hasVerdicts) io.stderr.write(`netpol-emu: replay: note: the input is Hubble (Cilium): add --cni cilium to emulate Cilium's dataplane when comparing with its recorded verdicts\n`);
  return { ...summary, hubble: stats, ...(recorded && stats.hasVerdicts ? { recorded: recorded.summary() } : {}) };
}

/** The per-flow hook: `--flows` lines and the report's rows, as asked. */
function flowOutputs(writer: FlowLineWriter | null, collector: ReportCollector | null, recorded: RecordedVerdicts | null): NonNullable<ReplayOptions['onFlow']> {
  return (flows, f, provenances) => {
    if (writer) writer.addFlow(flows, provenances, f, recorded ? recorded.lastFlowMembers : '');
    if (collector) collector.addFlow(flowReport(flows, provenances, f));
  };
}

/** `--service-endpoint NS/NAME=IP` (repeatable) and `--service-seed N`. */
function serviceOptions(parsed: ReturnType<typeof parseCommandArgs>): ServiceNatOptions {
  const overrides = new Map<string, string>();
  const raw = parsed.values['service-endpoint'];
  for (const text of Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]) {
    const match = /^([^/=\s]+)\/([^/=\s]+)=(\S+)$/.exec(String(text));
    if (!match) throw new UserError(`replay: --service-endpoint must be NS/NAME=IP, got ${JSON.stringify(text)}`, ExitCode.USAGE);
    overrides.set(`${match[1]}/${match[2]}`, match[3] as string);
  }
  const seedText = stringOption(parsed, 'service-seed');
  if (seedText !== undefined && !/^\d+$/.test(seedText)) throw new UserError(`replay: --service-seed must be a non-negative integer, got ${JSON.stringify(seedText)}`, ExitCode.USAGE);
  return { seed: seedText === undefined ? 0 : Number(seedText) >>> 0, endpointOverrides: overrides };
}
