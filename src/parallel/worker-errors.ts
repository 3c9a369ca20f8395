/**
 * Errors cross the thread boundary as plain data and are rebuilt on the main thread with their
 * class, so a user mistake found inside a worker (a timeline event that deletes a missing
 * object) still ends with its exit code and message, and a bug still prints its stack.
 */
import { InvalidInputError, UserError, type Diagnostic, type ExitCode } from '../diagnostics.js';

export type SerializedError =
  | { readonly kind: 'user'; readonly message: string; readonly exitCode: ExitCode }
  | { readonly kind: 'invalid-input'; readonly diagnostics: readonly Diagnostic[] }
  | { readonly kind: 'internal'; readonly message: string; readonly stack: string };

export function serializeError(error: unknown): SerializedError {
  if (error instanceof UserError) return { kind: 'user', message: error.message, exitCode: error.exitCode };
  if (error instanceof InvalidInputError) return { kind: 'invalid-input', diagnostics: error.diagnostics };
  const e = error instanceof Error ? error : new Error(String(error));
  return { kind: 'internal', message: e.message, stack: e.stack ?? e.message };
}

export function rebuildError(error: SerializedError, shard: number): Error {
  if (error.kind === 'user') return new UserError(error.message, error.exitCode);
  if (error.kind === 'invalid-input') return new InvalidInputError(error.diagnostics);
  const rebuilt = new Error(`replay worker ${shard}: ${error.message}`);
  rebuilt.stack = `${error.stack}\n    (in replay worker ${shard})`;
  return rebuilt;
}
