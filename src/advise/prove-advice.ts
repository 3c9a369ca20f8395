/**
 * The proof `advise` prints: the same capture replayed against the cluster plus the advised
 * policies (read back from the YAML text written, through the loader and its validation) must
 * allow every connection that was answered and deny every attempt nobody answered. Connections
 * are matched across the two replays by their 5-tuple (observe-connections.ts connectionKey).
 */
import type { Readable } from 'node:stream';
import type { Cluster } from '../../compiler/model.js';
import type { Diagnostic } from '../diagnostics.js';
import { formatDiagnostic } from '../diagnostics.js';
import { buildCluster } from '../load/build-cluster.js';
import { readManifestText, type RawObject } from '../load/read-manifests.js';
import { flowReport } from '../replay/flow-report.js';
import { replayCapture } from '../replay/replay-capture.js';
import { connectionKey, type Observation, type ReplaySetup } from './observe-connections.js';

export interface ProofItem {
  readonly connection: string;
  /** The replay's reason and the rule or policy behind it. */
  readonly reason: string;
  readonly policy: string | null;
  readonly rule: string | null;
}

export interface AdviceProof {
  readonly answered: number;
  readonly answeredAllowed: number;
  /** Answered connections the advice would deny: must be empty. */
  readonly answeredDenied: readonly ProofItem[];
  readonly unanswered: number;
  readonly unansweredDenied: number;
  /** Never-answered attempts still allowed (by the current policies, or a rule another answered connection of the same workloads needed). */
  readonly unansweredAllowed: readonly ProofItem[];
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

export async function proveAdvice(cluster: Cluster, source: string | Readable, sourceName: string, setup: ReplaySetup, observation: Observation): Promise<AdviceProof> {
  const verdicts = new Map<string, ProofItem & { allowed: boolean }>();
  await replayCapture(cluster, source, sourceName, {
    engine: 'compiled',
    semantics: setup.semantics,
    dataplane: setup.dataplane,
    ...(setup.services ? { services: setup.services } : {}),
    ...(setup.reader ? { reader: setup.reader } : {}),
    topN: 0,
    onFlow: (r, f, provenances) => {
      // Records that never reached policy (a stray packet after its connection ended) are not connections.
      if (r.reason(f) >= 128) return;
      const report = flowReport(r, provenances, f);
      const key = connectionKey(report.protocol, report.src, report.sport ?? report.icmpId ?? null, report.dst, report.dport ?? report.icmpType ?? null);
      const allowed = report.verdict === 'allowed';
      const known = verdicts.get(key);
      // A connection with several records counts as denied when any of them was.
      if (known && !known.allowed) return;
      verdicts.set(key, { connection: key, reason: report.reason, policy: report.policy, rule: report.rule, allowed });
    },
  });
  const answeredKeys = new Set<string>();
  const unansweredKeys = new Set<string>();
  for (const c of observation.connections) (c.answered ? answeredKeys : unansweredKeys).add(c.key);
  for (const key of answeredKeys) unansweredKeys.delete(key);
  const answeredDenied: ProofItem[] = [];
  const unansweredAllowed: ProofItem[] = [];
  let answeredAllowed = 0;
  let unansweredDenied = 0;
  const item = (key: string): ProofItem => {
    const v = verdicts.get(key);
    return v ? { connection: key, reason: v.reason, policy: v.policy, rule: v.rule } : { connection: key, reason: 'not in the second replay', policy: null, rule: null };
  };
  for (const key of [...answeredKeys].sort()) {
    if (verdicts.get(key)?.allowed === true) answeredAllowed++;
    else answeredDenied.push(item(key));
  }
  for (const key of [...unansweredKeys].sort()) {
    const v = verdicts.get(key);
    if (v !== undefined && !v.allowed) unansweredDenied++;
    else unansweredAllowed.push(item(key));
  }
  return { answered: answeredKeys.size, answeredAllowed, answeredDenied, unanswered: unansweredKeys.size, unansweredDenied, unansweredAllowed };
}
