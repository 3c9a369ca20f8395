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

/** Options every command that reads a cluster accepts. */
export const CLUSTER_OPTIONS = {
  filename: { type: 'string', short: 'f', multiple: true },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpec;

export const CLUSTER_OPTIONS_HELP = `Cluster input:
  -f, --filename PATH     manifest file or directory (recursive: .yaml .yml .json); repeatable.
                          Multi-document YAML, kind: List and *List (kubectl get -o yaml) are read.
  -v, --verbose           also report skipped objects of other kinds`;
