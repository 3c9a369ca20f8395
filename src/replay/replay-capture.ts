/**
 * One replay: a capture through the dataplane with the chosen engine, writing flows and packets
 * as asked. The per-packet callback only forwards the reused record to `Dataplane.next` and, when
 * asked, to the output writers; it allocates nothing.
 */
import type { Readable } from 'node:stream';
import type { Cluster } from '../../compiler/model.js';
import { restrictToProfile } from '../../compiler/cni-admin-support.js';
import type { CniProfileName } from '../../compiler/cni-profiles.js';
import type { IncrementalCompiler } from '../../compiler/incremental-compile.js';
import { UPSTREAM_SEMANTICS, type PolicySemantics } from '../../compiler/policy-semantics.js';
import type { CompiledTables } from '../../compiler/tables.js';
import { Dataplane, type DataplaneOptions } from '../../dataplane/dataplane.js';
import { FlowClassifier } from '../../dataplane/classify-flow.js';
import { readCapture, type OpenCaptureOptions } from '../capture/open-capture.js';
import type { CaptureEnd, CaptureRecord } from '../capture/capture-record.js';
import { compiledProvenance, type FlowProvenance } from '../engines/flow-provenance.js';
import type { RawObject } from '../load/read-manifests.js';
import type { TimelineEvent } from '../timeline/load-timeline.js';
import type { AppliedEvent, TimelineRunner } from '../timeline/run-timeline.js';
import type { EngineBuilders } from './create-engine.js';
import type { CaptureInfo } from './summarize.js';
import { FlowSummary } from './flow-summary.js';
import { CaptureStats } from './capture-stats.js';
import type { FlowRecords } from '../../dataplane/flow-records.js';
import { buildServiceNat, type ServiceNatOptions } from './build-service-nat.js';
import { asAllowRuleLister, RuleCoverage } from './rule-coverage.js';
import type { RecordedVerdicts } from './compare-recorded-verdicts.js';

export interface ReplayOptions {
  readonly engine: 'compiled' | 'naive';
  readonly dataplane?: DataplaneOptions;
  /** Called for every record after its verdict (category), e.g. to write it out. Must not keep `record`. */
  readonly onPacket?: (record: CaptureRecord, category: number, dataplane: Dataplane) => void;
  /** Policy-level CNI switches for the engine (default: the spec). */
  readonly semantics?: PolicySemantics;
  /** Called now and then (every 64K records) for a progress display. */
  readonly onProgress?: (records: number, bytes: number) => void;
  /** Cluster changes to apply as the capture's time reaches them (--timeline). */
  /**
   * Policy changes during the replay. `profile`: the `--cni` profile, whose unimplemented
   * cluster-scoped policies each new version leaves out as the loaded cluster did (restrictToProfile).
   */
  readonly timeline?: { readonly events: readonly TimelineEvent[]; readonly objects: readonly RawObject[]; readonly profile?: CniProfileName };
  /** Read the capture with this function instead of the built-in reader (e.g. pcap-parser). */
  readonly reader?: (source: string | Readable, callback: (record: CaptureRecord) => void, options: OpenCaptureOptions) => Promise<CaptureEnd>;
  /**
   * Called once per flow when it is over (in the order flows end; those still open at the end
   * of the capture follow in start order). The record is valid only during the call: build what
   * you need (e.g. `flowReport(flows, provenances, f)`) then.
   */
  readonly onFlow?: (flows: FlowRecords, f: number, provenances: readonly FlowProvenance[]) => void;
  /** Between capture chunks: a promise delays the next read (an output's backpressure). */
  readonly betweenChunks?: () => Promise<void> | undefined;
  /** Denied flows kept in the summary's ranking (default 10). */
  readonly topN?: number;
  /** Service translation (seed, `--service-endpoint`); the cluster's Services are translated whenever it has any. */
  readonly services?: ServiceNatOptions;
  /** Count, per allow rule, the flows it matched and those it decided (`--coverage`; rule-coverage.ts). Off: no cost. */
  readonly coverage?: boolean;
  /** Compare each packet's verdict with the one its input recorded (a Hubble export: compare-recorded-verdicts.ts). */
  readonly recorded?: RecordedVerdicts;
  /**
   * The compiled engine's tables for this cluster and semantics, compiled or read from the cache
   * beforehand (src/cache/compiled-table-cache.ts); compiled here when absent. Not used with a
   * timeline (its incremental compiler builds its own).
   */
  readonly tables?: CompiledTables;
}

export interface ReplayResult {
  readonly dataplane: Dataplane;
  /** Provenance per policy version (index 0 before any timeline event). */
  readonly provenance: readonly FlowProvenance[];
  readonly timeline: readonly AppliedEvent[];
  readonly capture: CaptureInfo;
  readonly end: CaptureEnd;
  /** Flows allowed/denied, rules used and the top denied flows, accumulated as flows ended. */
  readonly flows: FlowSummary;
  /** Rule coverage, when `coverage` was asked. */
  readonly coverage?: RuleCoverage | null;
}

/** What a replay needs besides the capture: engine, dataplane and the per-flow accounting. */
export type ReplayMachineOptions = Pick<ReplayOptions, 'engine' | 'dataplane' | 'semantics' | 'timeline' | 'onFlow' | 'topN' | 'services' | 'coverage' | 'recorded' | 'tables'>;

/**
 * The engine, the dataplane and the accounting of one replay, wired together: flows that end
 * are counted in `flows` (and `coverage`) and handed to `onFlow`. Shared by the single-threaded
 * replay below and by each worker of a sharded one (src/parallel/replay-worker.ts), so both run
 * the same code on every packet.
 */
function restrictTo(cluster: Cluster, profile: CniProfileName | undefined): Cluster {
  return profile === undefined ? cluster : restrictToProfile(cluster, profile).cluster;
}

export class ReplayMachine {
  readonly dataplane: Dataplane;
  readonly provenances: FlowProvenance[];
  readonly flows: FlowSummary;
  readonly coverage: RuleCoverage | null;
  readonly timeline: TimelineRunner | null;
  private timelineStarted = false;

  /** `builders`: from `engineBuilders(options)`; null only when that says nothing needs building. */
  constructor(cluster: Cluster, options: ReplayMachineOptions, builders: EngineBuilders | null) {
    const semantics = options.semantics ?? UPSTREAM_SEMANTICS;
    const precompiled = options.engine === 'compiled' && !options.timeline ? options.tables : undefined;
    if (!precompiled && !builders) throw new Error('ReplayMachine: an engine to build but no builders');
    // With a timeline, each change recompiles only what it touched (compiler/incremental-compile.ts).
    const compiler: IncrementalCompiler | undefined = options.timeline && options.engine === 'compiled' && builders ? new builders.IncrementalCompiler(semantics) : undefined;
    const { policy, provenance } = precompiled ? { policy: new FlowClassifier(precompiled), provenance: compiledProvenance(precompiled) } : (builders as EngineBuilders).createEngine(cluster, options.engine, semantics, compiler);
    const services = buildServiceNat(cluster, options.services);
    const dataplane = new Dataplane(policy, services ? { ...options.dataplane, services } : options.dataplane);
    this.dataplane = dataplane;
    const provenances: FlowProvenance[] = [provenance];
    this.provenances = provenances;
    const flowSummary = new FlowSummary(provenances, options.topN ?? 10);
    this.flows = flowSummary;
    const records = dataplane.flows;
    const coverage = options.coverage ? new RuleCoverage(provenances) : null;
    this.coverage = coverage;
    coverage?.addVersion(asAllowRuleLister(policy), cluster);
    const account = coverage
      ? (f: number): void => {
          flowSummary.add(records, f);
          coverage.add(records, f);
        }
      : (f: number): void => flowSummary.add(records, f);
    const onFlow = options.onFlow;
    const recorded = options.recorded;
    const report = onFlow
      ? (f: number): void => {
          account(f);
          onFlow(records, f, provenances);
        }
      : account;
    dataplane.onFlowEnd = recorded
      ? (f) => {
          recorded.flowEnded(records, f, dataplane, provenances);
          report(f);
        }
      : report;
    this.timeline = options.timeline && builders
      ? new builders.TimelineRunner(options.timeline.events, options.timeline.objects, cluster, semantics, (c, s) => builders.createEngine(restrictTo(c, options.timeline?.profile), options.engine, s, compiler), () => performance.now())
      : null;
  }

  /**
   * Apply the timeline events due at `now` (the capture time of the packet about to be
   * replayed; the first call fixes relative event times).
   */
  applyTimeline(now: number): void {
    const timeline = this.timeline;
    if (!timeline) return;
    if (!this.timelineStarted) {
      timeline.start(now);
      this.timelineStarted = true;
    }
    if (now >= timeline.nextTime) {
      const next = timeline.applyDue(now);
      if (next && timeline.provenance) {
        this.dataplane.setPolicy(next);
        this.provenances.push(timeline.provenance);
        this.coverage?.addVersion(asAllowRuleLister(next), timeline.cluster);
      }
    }
  }
}

/**
 * The compiler, the naive evaluator and the timeline, loaded only when this replay builds an
 * engine: a replay with tables given (compiled once, or read from the cache) starts without
 * their code (docs/performance.md "Start-up").
 */
export async function engineBuilders(options: Pick<ReplayMachineOptions, 'engine' | 'tables' | 'timeline'>): Promise<EngineBuilders | null> {
  if (options.engine === 'compiled' && options.tables && !options.timeline) return null;
  return (await import('./create-engine.js')).ENGINE_BUILDERS;
}

export async function replayCapture(cluster: Cluster, source: string | Readable, sourceName: string, options: ReplayOptions): Promise<ReplayResult> {
  const machine = new ReplayMachine(cluster, options, await engineBuilders(options));
  const { dataplane, provenances, coverage, timeline } = machine;
  const flowSummary = machine.flows;
  const stats = new CaptureStats();
  const onPacket = options.onPacket;
  const onProgress = options.onProgress;
  const recorded = options.recorded;
  const callback = (record: CaptureRecord): void => {
    const now = record.tsSec + record.tsNsec * 1e-9;
    if (timeline) machine.applyTimeline(now);
    stats.add(record, now);
    if (recorded) recorded.beforePacket();
    if (record.endpointPort >= 0) dataplane.followEndpoint(record.endpoint, record.endpointPort);
    const category = dataplane.next(record.buffer, record.offset, record.capturedLength, record.wireLength, record.linkType, now);
    if (recorded) recorded.afterPacket(category, dataplane);
    if (onPacket) onPacket(record, category, dataplane);
    if (onProgress && (record.index & 0xffff) === 0xffff) onProgress(record.index + 1, stats.bytes);
  };
  const readOptions: OpenCaptureOptions = options.betweenChunks ? { betweenChunks: options.betweenChunks } : {};
  const end = await (options.reader ? options.reader(source, callback, readOptions) : readCapture(source, callback, readOptions));
  // The flows still open are reported now, in start order, pausing for a slow output.
  const open = dataplane.beginFinish();
  const between = options.betweenChunks;
  for (let i = 0; i < open.length; i++) {
    dataplane.endOpenFlow(open[i] as number);
    if (between) {
      const wait = between();
      if (wait) await wait;
    }
  }
  const capture = stats.info(sourceName, end);
  return { dataplane, provenance: provenances, timeline: timeline?.applied ?? [], capture, end, flows: flowSummary, coverage };
}
