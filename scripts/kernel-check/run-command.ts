/**
 * The lab's programs (ip, ipset, iptables-restore, nft, python3) run synchronously, their
 * failure one line naming the command and what it printed.
 */
import { spawnSync } from 'node:child_process';

export class KernelCheckError extends Error {}

export interface CommandResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function tryCommand(argv: readonly string[], input?: string): CommandResult {
  const [program, ...args] = argv as [string, ...string[]];
  const result = spawnSync(program, args, { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) return { status: null, stdout: '', stderr: result.error.message };
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs `argv`; throws KernelCheckError with its first error line when it fails. */
export function runCommand(argv: readonly string[], input?: string): string {
  const result = tryCommand(argv, input);
  if (result.status !== 0) {
    const why = result.stderr.trim().split('\n').slice(0, 3).join(' / ') || `exit status ${result.status}`;
    throw new KernelCheckError(`${argv.join(' ')}: ${why}`);
  }
  return result.stdout;
}

/** `argv` inside network namespace `ns`. */
export function inNamespace(ns: string, argv: readonly string[]): string[] {
  return ['ip', 'netns', 'exec', ns, ...argv];
}
