/** What a command may touch: injected so tests run the real CLI in-process. */
import type { OutputStream } from '../replay/write-flow-lines.js';

export interface CliIo {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Standard input for `-` (captures); absent in tests that do not need it. */
  readonly stdin?: NodeJS.ReadableStream;
}
