/** Runs the real CLI in-process and captures what it prints. */
import { cli } from '../../src/index.js';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function runCli(argv: readonly string[], env: Record<string, string | undefined> = {}, stdin?: NodeJS.ReadableStream): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await cli(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
    ...(stdin ? { stdin } : {}),
  });
  return { code, stdout, stderr };
}
