import type { Cluster } from '../../compiler/model.js';
import type { PolicySemantics } from '../../compiler/policy-semantics.js';
import { NaiveEvaluator, type FlowEngine } from '../naive/naive-evaluator.js';
import { CompiledEngine } from '../engines/compiled-engine.js';
import type { EngineName } from './engine-names.js';

export { ENGINES, type EngineName } from './engine-names.js';

export const ENGINE_OPTION_HELP = `  --engine compiled|naive  evaluator: the compiled tables (default) or the literal spec (naive)`;

export function selectEngine(name: EngineName, cluster: Cluster, semantics: PolicySemantics): FlowEngine {
  return name === 'naive' ? new NaiveEvaluator(cluster, semantics) : new CompiledEngine(cluster, semantics);
}
