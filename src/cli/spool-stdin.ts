/**
 * Standard input to a temporary file, for a command that reads its capture more than once
 * (`advise`: the observation, then the proof). Read once, to the end; the caller removes it.
 */
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ExitCode, UserError } from '../diagnostics.js';

export interface Spool {
  readonly path: string;
  /** Delete the file and its directory (safe to call twice). */
  remove(): void;
}

export async function spoolStdin(stdin: Readable, command: string): Promise<Spool> {
  const dir = mkdtempSync(join(tmpdir(), 'netpol-emu-stdin-'));
  const path = join(dir, 'capture');
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    await pipeline(stdin, createWriteStream(path));
  } catch (error) {
    remove();
    throw new UserError(`${command}: cannot spool standard input to ${path}: ${error instanceof Error ? error.message : String(error)}`, ExitCode.CAPTURE_ERROR);
  }
  return { path, remove };
}
