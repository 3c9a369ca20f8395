/**
 * `compile --out-dir DIR`: a KernelRuleset's parts as files that load unmodified (ipset.restore,
 * iptables.rules, …) and LOAD.txt with the commands that load them, in order.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KernelRuleset } from '../../compiler/kernel-ruleset.js';
import { formatLoadInstructions } from '../../compiler/format-kernel-ruleset.js';
import { ExitCode, UserError } from '../diagnostics.js';

export const LOAD_INSTRUCTIONS_FILE = 'LOAD.txt';

/** Writes the parts and LOAD.txt into `dir` (created if missing); returns the paths written. */
export function writeKernelRuleset(command: string, dir: string, ruleset: KernelRuleset): string[] {
  const written: string[] = [];
  try {
    mkdirSync(dir, { recursive: true });
    for (const part of ruleset.parts) {
      const path = join(dir, part.fileName);
      writeFileSync(path, part.text);
      written.push(path);
    }
    const path = join(dir, LOAD_INSTRUCTIONS_FILE);
    writeFileSync(path, formatLoadInstructions(ruleset));
    written.push(path);
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new UserError(`${command}: cannot write --out-dir ${JSON.stringify(dir)}: ${code ?? (error instanceof Error ? error.message : String(error))}`, ExitCode.USAGE);
  }
  return written;
}
