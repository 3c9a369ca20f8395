import type { Cluster } from '../../compiler/model.js';
import { ExitCode, UserError } from '../diagnostics.js';
import { NaiveEvaluator, type FlowEngine } from '../naive/naive-evaluator.js';

export const ENGINES = ['naive', 'compiled'] as const;
export type EngineName = (typeof ENGINES)[number];

export const ENGINE_OPTION_HELP = `  --engine naive|compiled   evaluator: the literal spec (naive) or the compiled tables`;

export function selectEngine(command: string, name: EngineName, cluster: Cluster): FlowEngine {
  if (name === 'naive') return new NaiveEvaluator(cluster);
  throw new UserError(`${command}: --engine compiled is not available in this build; use --engine naive`, ExitCode.USAGE);
}
