/**
 * `diff CAPTURE --cni all` / `--cni calico,cilium,...`: the capture replayed once per profile,
 * then, for each profile that disagrees somewhere with the reference (upstream), the reference
 * replayed with each of that profile's differing switches alone, to attribute every difference
 * (src/report/diff-profiles.ts). Replays are cached by switch: profiles that share a value share
 * its replay. Every replay's flows are kept for the join: memory grows with flows × replays.
 */
import { mergeRestrictionNotes, restrictToProfile, type AdminRestriction } from '../../compiler/cni-admin-support.js';
import { CNI_PROFILE_NAMES, CNI_SWITCH_NAMES, DEFAULT_CNI_PROFILE, isCniProfileName, resolveProfile, type CniProfileName, type ResolvedProfile } from '../../compiler/cni-profiles.js';
import type { Cluster } from '../../compiler/model.js';
import { policySemantics } from '../../compiler/policy-semantics.js';
import { ExitCode, UserError } from '../diagnostics.js';
import { diffProfiles, formatProfilesDiff, type ProfileColumn, type ProfileReplay } from '../report/diff-profiles.js';
import { renderDiffReport } from '../report/render-diff-report.js';
import { flowReport, type FlowReport } from '../replay/flow-report.js';
import { replayCapture } from '../replay/replay-capture.js';
import { profileDataplaneOptions } from './command-replay.js';
import type { CliIo } from './io.js';
import type { FlowsReader } from './read-flows-input.js';
import type { EngineName } from './select-engine.js';
import { writeHtmlReport } from './write-html-report.js';

/** `--cni` values that ask for several profiles side by side. */
export function isProfileList(cni: string | undefined): cni is string {
  return cni !== undefined && (cni === 'all' || cni.includes(','));
}

/** The profiles of `all` or a comma-separated list, each checked; duplicates are an error. */
export function readProfileList(cni: string): CniProfileName[] {
  if (cni === 'all') return [...CNI_PROFILE_NAMES];
  const names = cni.split(',').map((n) => n.trim());
  const out: CniProfileName[] = [];
  for (const name of names) {
    if (!isCniProfileName(name)) {
      const result = resolveProfile(name, []);
      throw new UserError(`diff: ${result.ok ? `--cni: ${JSON.stringify(name)} is not a profile` : result.error}`, ExitCode.USAGE);
    }
    if (out.includes(name)) throw new UserError(`diff: --cni ${JSON.stringify(cni)} names ${name} twice`, ExitCode.USAGE);
    out.push(name);
  }
  if (out.length < 2) throw new UserError(`diff: --cni ${JSON.stringify(cni)} names one profile; give two or more, or all`, ExitCode.USAGE);
  return out;
}

function resolved(name: string, overrides: readonly string[] = []): ResolvedProfile {
  const result = resolveProfile(name, overrides);
  if (!result.ok) throw new Error(`internal: ${result.error}`);
  return result.profile;
}

async function replayFlows(cluster: Cluster, capture: string, profile: ResolvedProfile, engine: EngineName, io: CliIo, reader: DiffProfilesOptions['reader']): Promise<FlowReport[]> {
  const flows: FlowReport[] = [];
  const result = await replayCapture(cluster, capture, capture, {
    engine,
    semantics: policySemantics(profile.values),
    dataplane: profileDataplaneOptions(profile),
    services: { externalSource: profile.values.externalSource },
    onFlow: (records, f, provenances) => flows.push(flowReport(records, provenances, f)),
    // A fresh reader per replay (a Hubble reader's order buffer and counts are per read).
    ...(reader ? { reader: reader(cluster) } : {}),
  });
  if (result.end.kind !== 'complete') {
    if (result.end.records === 0) throw new UserError(`diff: ${result.end.message ?? result.end.kind}`, ExitCode.CAPTURE_ERROR);
    io.stderr.write(`netpol-emu: diff: ${result.end.message ?? result.end.kind}\n`);
  }
  return flows;
}

/** The cluster-scoped policies as text, to tell whether a profile's restriction changed them. */
function adminText(cluster: Cluster): string {
  return JSON.stringify(cluster.adminPolicies ?? [], (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
}

export interface DiffProfilesOptions {
  readonly capture: string;
  readonly profiles: readonly CniProfileName[];
  readonly cluster: Cluster;
  readonly engine: EngineName;
  readonly output: 'text' | 'json';
  readonly reportPath: string | undefined;
  /** `--flows-in`: the reader for the flow file, made per replay (read-flows-input.ts); else the capture reader. */
  readonly reader?: (cluster: Cluster) => FlowsReader;
}

export async function runDiffProfiles(options: DiffProfilesOptions, io: CliIo): Promise<number> {
  const { capture, cluster, engine } = options;
  const referenceName = DEFAULT_CNI_PROFILE;
  const reference = resolved(referenceName);
  const referenceCluster = restrictToProfile(cluster, referenceName).cluster;
  const cache = new Map<string, Promise<FlowReport[]>>();
  const replayOnce = (key: string, run: () => Promise<FlowReport[]>): Promise<FlowReport[]> => {
    let flows = cache.get(key);
    if (flows === undefined) {
      flows = run();
      cache.set(key, flows);
    }
    return flows;
  };
  // One at a time (each replay is CPU-bound): the cache holds settled results.
  const referenceFlows = await replayOnce('profile upstream', () => replayFlows(referenceCluster, capture, reference, engine, io, options.reader));
  const columns: { name: CniProfileName; profile: ResolvedProfile; cluster: Cluster; flows: FlowReport[] }[] = [];
  const restrictions: { profile: CniProfileName; restrictions: AdminRestriction[] }[] = [];
  for (const name of options.profiles) {
    const profile = resolved(name);
    const restricted = restrictToProfile(cluster, name);
    restrictions.push({ profile: name, restrictions: restricted.restrictions });
    columns.push({ name, profile, cluster: restricted.cluster, flows: await replayOnce(`profile ${name}`, () => replayFlows(restricted.cluster, capture, profile, engine, io, options.reader)) });
  }
  for (const note of mergeRestrictionNotes(restrictions)) io.stderr.write(`warning: ${note}\n`);
  // A first join without attribution says which profiles differ from the reference anywhere.
  const plain = diffProfiles({ name: referenceName, flows: referenceFlows }, columns.map((c) => ({ name: c.name, flows: c.flows, switches: [], flips: [] })));
  const disagreeing = new Set(plain.differences.flatMap((d) => Object.keys(d.causes)));
  const withFlips: ProfileColumn[] = [];
  for (const c of columns) {
    const switches = CNI_SWITCH_NAMES.filter((k) => c.profile.values[k] !== reference.values[k]).map((k) => `${k}=${String(c.profile.values[k])}`);
    const adminLabel = `admin tiers as ${c.name} implements them`;
    const adminDiffers = c.cluster !== referenceCluster && adminText(c.cluster) !== adminText(referenceCluster);
    const labels = adminDiffers ? [...switches, adminLabel] : switches;
    const flips: ProfileReplay[] = [];
    if (disagreeing.has(c.name)) {
      for (const label of switches) flips.push({ name: label, flows: await replayOnce(`switch ${label}`, () => replayFlows(referenceCluster, capture, resolved(referenceName, [label]), engine, io, options.reader)) });
      if (adminDiffers) flips.push({ name: adminLabel, flows: await replayOnce(`admin ${c.name}`, () => replayFlows(c.cluster, capture, reference, engine, io, options.reader)) });
    }
    withFlips.push({ name: c.name, flows: c.flows, switches: labels, flips });
  }
  const diff = diffProfiles({ name: referenceName, flows: referenceFlows }, withFlips);
  if (options.output === 'json') io.stdout.write(`${JSON.stringify({ capture, ...diff }, null, 2)}\n`);
  else io.stdout.write(formatProfilesDiff(diff, capture));
  if (options.reportPath !== undefined) {
    writeHtmlReport('diff', options.reportPath, renderDiffReport({ title: `netpol-emu diff: ${capture} under ${diff.profiles.join(', ')}`, mode: 'profiles', capture, result: { capture, ...diff } }));
  }
  return diff.differences.length > 0 ? 1 : ExitCode.OK;
}
