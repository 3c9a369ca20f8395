/** Writes an HTML report (`--report FILE.html` of replay, matrix and diff); a bad path is a usage error. */
import { writeFileSync } from 'node:fs';
import { ExitCode, UserError } from '../diagnostics.js';

export function writeHtmlReport(command: string, path: string, html: string): void {
  try {
    writeFileSync(path, html);
  } catch (error) {
    throw new UserError(`${command}: cannot write the report ${JSON.stringify(path)}: ${(error as Error).message}`, ExitCode.USAGE);
  }
}
