/**
 * Building a replay's policy engine from a cluster: compiled tables (one-shot or incremental) or
 * the naive evaluator, and the timeline runner that rebuilds it. Apart from replay-capture.ts so
 * that a replay whose tables are given never loads this code.
 */
import type { Cluster } from '../../compiler/model.js';
import { compile } from '../../compiler/compile.js';
import { IncrementalCompiler } from '../../compiler/incremental-compile.js';
import { UPSTREAM_SEMANTICS, type PolicySemantics } from '../../compiler/policy-semantics.js';
import { FlowClassifier } from '../../dataplane/classify-flow.js';
import type { NewFlowPolicy } from '../../dataplane/new-flow-policy.js';
import { compiledProvenance, type FlowProvenance } from '../engines/flow-provenance.js';
import { NaivePacketPolicy } from '../engines/naive-packet-policy.js';
import { TimelineRunner } from '../timeline/run-timeline.js';

/**
 * `compiler`, when given, compiles instead of the one-shot `compile` (it must have been made with
 * the same semantics): replays with a timeline pass one IncrementalCompiler to every compile.
 */
export function createEngine(
  cluster: Cluster,
  engine: 'compiled' | 'naive',
  semantics: PolicySemantics = UPSTREAM_SEMANTICS,
  compiler?: IncrementalCompiler,
): { policy: NewFlowPolicy; provenance: FlowProvenance } {
  if (engine === 'naive') {
    const naive = new NaivePacketPolicy(cluster, semantics);
    return { policy: naive, provenance: naive };
  }
  const tables = compiler ? compiler.compile(cluster) : compile(cluster, semantics);
  return { policy: new FlowClassifier(tables), provenance: compiledProvenance(tables) };
}

export const ENGINE_BUILDERS = { createEngine, IncrementalCompiler, TimelineRunner } as const;
export type EngineBuilders = typeof ENGINE_BUILDERS;
