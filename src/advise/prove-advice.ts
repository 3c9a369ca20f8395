/**
 * The proof `advise` prints: the same capture replayed against the cluster plus the advised
 * policies (read back from the YAML text written, through the loader and its validation) must
 * allow every connection that worked and should deny every refused one (a refusal on the same
 * peer and port as a working connection stays allowed: the proof lists those). Connections are
 * matched across the two replays by their 5-tuple (observe-connections.ts connectionKey). Under a
 * CNI profile, connections that no NetworkPolicy can allow there (judge-profile-reach.ts) are
 * listed apart with what the CNI needs instead: the advice says so, it is not a broken proof.
 */
import type { Readable } from 'node:stream';
import type { Cluster } from '../../compiler/model.js';
import type { Diagnostic } from '../diagnostics.js';
import { formatDiagnostic } from '../diagnostics.js';
import { buildCluster } from '../load/build-cluster.js';
import { readManifestText, type RawObject } from '../load/read-manifests.js';
import { flowReport } from '../replay/flow-report.js';
import { replayCapture } from '../replay/replay-capture.js';
import { connectionKey, replayOptions, type Observation, type ReplaySetup } from './observe-connections.js';

export interface ProofItem {
  readonly connection: string;
  /** How the capture showed it answered (classify-answer.ts describeAnswer). */
  readonly why: string;
  /** The replay's reason and the rule or policy behind it. */
  readonly reason: string;
  readonly policy: string | null;
  readonly rule: string | null;
}

export interface BeyondItem extends ProofItem {
  /** Why no NetworkPolicy can allow it under the profile, and what the CNI needs instead. */
  readonly needs: string;
}

export interface AdviceProof {
  readonly worked: number;
  readonly workedAllowed: number;
  /** Connections that worked and the advice would deny: must be empty. */
  readonly workedDenied: readonly ProofItem[];
  /** Connections that worked, denied because no NetworkPolicy can allow them under the CNI profile (the advice says what can). */
  readonly workedBeyondPolicy: readonly BeyondItem[];
  readonly refused: number;
  readonly refusedDenied: number;
  /** Refused connections still allowed (by the current policies, or a rule a working connection of the same workloads needed). */
  readonly refusedAllowed: readonly ProofItem[];
}

/** The cluster's objects plus the advised YAML files, loaded and validated like any input. */
export function clusterWithAdvice(objects: readonly RawObject[], files: ReadonlyMap<string, string>): Cluster {
  const all: RawObject[] = [...objects];
  const diagnostics: Diagnostic[] = [];
  for (const [name, text] of files) readManifestText(name, text, all, diagnostics);
  const built = buildCluster(all, diagnostics);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  // The advice is generated: an invalid policy is a bug, never a user mistake.
  if (errors.length > 0) throw new Error(`internal: the advised policies do not load: ${errors.map(formatDiagnostic).join('; ')}`);
  return built.cluster;
}

function byKey(a: readonly [string, string], b: readonly [string, string]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

export async function proveAdvice(
  cluster: Cluster,
  source: string | Readable,
  sourceName: string,
  setup: ReplaySetup,
  observation: Observation,
  beyond: ReadonlyMap<string, string> = new Map(),
): Promise<AdviceProof> {
  const verdicts = new Map<string, ProofItem & { allowed: boolean }>();
  await replayCapture(cluster, source, sourceName, {
    ...replayOptions(setup),
    onFlow: (r, f, provenances) => {
      // Records that never reached policy (a stray packet after its connection ended) are not connections.
      if (r.reason(f) >= 128) return;
      const report = flowReport(r, provenances, f);
      const key = connectionKey(report.protocol, report.src, report.sport ?? report.icmpId ?? null, report.dst, report.dport ?? report.icmpType ?? null);
      const allowed = report.verdict === 'allowed';
      const known = verdicts.get(key);
      // A connection with several records counts as denied when any of them was.
      if (known && !known.allowed) return;
      verdicts.set(key, { connection: key, why: '', reason: report.reason, policy: report.policy, rule: report.rule, allowed });
    },
  });
  // A 5-tuple that worked once (a retried connection) counts as working.
  const workedWhy = new Map<string, string>();
  const refusedWhy = new Map<string, string>();
  for (const c of observation.connections) if (c.worked && !workedWhy.has(c.key)) workedWhy.set(c.key, c.why);
  for (const c of observation.connections) if (!c.worked && !workedWhy.has(c.key) && !refusedWhy.has(c.key)) refusedWhy.set(c.key, c.why);
  const workedDenied: ProofItem[] = [];
  const workedBeyondPolicy: BeyondItem[] = [];
  const refusedAllowed: ProofItem[] = [];
  let workedAllowed = 0;
  let refusedDenied = 0;
  const item = (key: string, why: string): ProofItem => {
    const v = verdicts.get(key);
    return v ? { connection: key, why, reason: v.reason, policy: v.policy, rule: v.rule } : { connection: key, why, reason: 'not in the second replay', policy: null, rule: null };
  };
  for (const [key, why] of [...workedWhy].sort(byKey)) {
    const needs = beyond.get(key);
    if (verdicts.get(key)?.allowed === true) workedAllowed++;
    else if (needs !== undefined) workedBeyondPolicy.push({ ...item(key, why), needs });
    else workedDenied.push(item(key, why));
  }
  for (const [key, why] of [...refusedWhy].sort(byKey)) {
    const v = verdicts.get(key);
    if (v !== undefined && !v.allowed) refusedDenied++;
    else refusedAllowed.push(item(key, why));
  }
  return { worked: workedWhy.size, workedAllowed, workedDenied, workedBeyondPolicy, refused: refusedWhy.size, refusedDenied, refusedAllowed };
}
