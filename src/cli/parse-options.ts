/**
 * Command-line parsing on top of node:util parseArgs (strict: unknown flags and missing values
 * are usage errors), plus the option groups several commands share.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ExitCode, UserError } from '../diagnostics.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface ParsedArgs {
  readonly values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  readonly positionals: string[];
}

export function parseCommandArgs(command: string, args: readonly string[], options: OptionSpec, allowPositionals = false): ParsedArgs {
  try {
    const parsed = parseArgs({ args: [...args], options, strict: true, allowPositionals });
    return { values: parsed.values as ParsedArgs['values'], positionals: parsed.positionals };
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new UserError(`${command}: ${message} (see 'netpol-emu ${command} --help')`, ExitCode.USAGE);
  }
}

export function stringOption(parsed: ParsedArgs, name: string): string | undefined {
  const value = parsed.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function listOption(parsed: ParsedArgs, name: string): string[] {
  const value = parsed.values[name];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
}

export function flagOption(parsed: ParsedArgs, name: string): boolean {
  return parsed.values[name] === true;
}

export function choiceOption<T extends string>(command: string, parsed: ParsedArgs, name: string, choices: readonly T[], fallback: T): T {
  const value = stringOption(parsed, name);
  if (value === undefined) return fallback;
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw new UserError(`${command}: --${name} must be one of ${choices.join(', ')}; got ${JSON.stringify(value)}`, ExitCode.USAGE);
}

/** How to reach a live cluster (src/cli/read-live-input.ts decides when one is read). */
export const LIVE_OPTIONS = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  'all-namespaces': { type: 'boolean', short: 'A' },
} as const satisfies OptionSpec;

export const LIVE_OPTIONS_HELP = `Live cluster (read with "list" on namespaces, pods, networkpolicies.networking.k8s.io; see
docs/live-clusters.md for the optional resources and the RBAC):
  --kubeconfig PATH       kubeconfig to use (default: $KUBECONFIG, then ~/.kube/config)
  --context NAME          kubeconfig context (default: its current-context)
  -n, --namespace NS      read only this namespace's pods and policies (peers elsewhere unknown)
  -A, --all-namespaces    read every namespace (the default)`;

/** Options every command that reads a cluster accepts. */
export const CLUSTER_OPTIONS = {
  filename: { type: 'string', short: 'f', multiple: true },
  ...LIVE_OPTIONS,
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpec;

export const CLUSTER_OPTIONS_HELP = `Cluster input:
  -f, --filename PATH     manifest file or directory (recursive: .yaml .yml .json); repeatable.
                          Multi-document YAML, kind: List and *List (kubectl get -o yaml) are read.
                          Combined with a live cluster, a file object replaces the live object
                          of the same kind, namespace and name (with a warning).
  -v, --verbose           also report skipped objects of other kinds
${LIVE_OPTIONS_HELP}`;
