/**
 * netpol-emu's library entry point. Layers: `src/` is the edge (loading, CLI, reports),
 * `compiler/` lowers a cluster model into rule tables, `dataplane/` filters packets.
 */
export type * from '../compiler/model.js';
export * from '../compiler/verdict.js';
export { ExitCode, formatDiagnostic, InvalidInputError, UserError, type Diagnostic } from './diagnostics.js';
export { loadCluster, type LoadOptions, type LoadResult } from './load/load-cluster.js';
export { readManifestText, type RawObject } from './load/read-manifests.js';
export { parseCidr, parseIp } from './load/parse-ip.js';
export { NaiveEvaluator, type Flow, type FlowEngine, type FlowVerdict, type DirectionVerdict } from './naive/naive-evaluator.js';
export { cli, type CliIo } from './cli.js';
export { compile } from '../compiler/compile.js';
export type { CompiledTables, TableInfo, IdentityInfo } from '../compiler/tables.js';
export { ruleRefOf, TIER_ACTION, type CompiledTier } from '../compiler/tables.js';
export { ADMIN_FEATURES, ADMIN_FEATURE_NAMES, CNI_ADMIN_SUPPORT, restrictToProfile, type AdminFeature, type AdminSupport } from '../compiler/cni-admin-support.js';
export { adminPolicyName } from '../compiler/model.js';
export { FlowClassifier } from '../dataplane/classify-flow.js';
export { CompiledEngine } from './engines/compiled-engine.js';
export { buildCluster } from './load/build-cluster.js';
export { readLiveCluster, type LiveRead, type LiveReadOptions } from './live/read-live-cluster.js';
export { writeSnapshot } from './live/write-snapshot.js';
export { mergeLiveObjects } from './live/merge-live-objects.js';
export { decodeFrame } from '../dataplane/decode/index.js';
export { PacketMeta, DecodeStatus } from '../dataplane/packet-meta.js';
export * from './capture/index.js';
export { generateCluster, buildSyntheticCluster, synthRawObjects, defaultShape, SYNTH_LIMITS, type ClusterShape } from './synth/generate-cluster.js';
export { renderClusterManifests, writeClusterManifests } from './synth/write-manifests.js';
export { SeededRandom } from './synth/seeded-random.js';
export { Dataplane, type DataplaneOptions } from '../dataplane/dataplane.js';
export { PacketCategory, PACKET_CATEGORY_NAME } from '../dataplane/packet-category.js';
export { replayCapture, createEngine, type ReplayOptions, type ReplayResult } from './replay/replay-capture.js';
export { flowReport, flowLine, type FlowReport } from './replay/flow-report.js';
export { generateFlows, type FlowOptions, type FlowStats } from './synth/generate-flows.js';
export { buildFrame, type FrameFields } from './synth/build-frames.js';
export { readFlowsJsonl } from './replay/read-flows-jsonl.js';
export { resolveProfile, CNI_PROFILES, CNI_SWITCHES, CNI_PROFILE_NAMES, type ResolvedProfile, type CniProfileName } from '../compiler/cni-profiles.js';
export { policySemantics, UPSTREAM_SEMANTICS, type PolicySemantics } from '../compiler/policy-semantics.js';
export { parseTimeline, loadTimeline, type TimelineEvent } from './timeline/load-timeline.js';
export { IncrementalCompiler } from '../compiler/incremental-compile.js';
export { buildServiceNat, serviceEndpoints, type ServiceNatOptions, type ServiceEndpoint } from './replay/build-service-nat.js';
export { ServiceNat, NatResult } from '../dataplane/service-nat.js';
export { TunnelDecoder, TunnelKind, TUNNEL_KIND_NAME } from '../dataplane/decode/index.js';
