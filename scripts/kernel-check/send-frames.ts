/**
 * Runs send-frames.py over a range of the jobs and returns, per job, whether the kernel
 * delivered the frame to its destination's namespace.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runCommand } from './run-command.js';

/** The helper next to this module, or (running from dist/) next to its source. */
function helperPath(): string {
  for (const candidate of ['./send-frames.py', '../../../scripts/kernel-check/send-frames.py']) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error('send-frames.py not found beside scripts/kernel-check');
}

export function sendFrames(jobFile: string, resultFile: string, start: number, end: number): boolean[] {
  if (end <= start) return [];
  runCommand(['python3', helperPath(), jobFile, resultFile, String(start), String(end)]);
  const bytes = readFileSync(resultFile);
  if (bytes.length !== end - start) throw new Error(`send-frames.py reported ${bytes.length} of ${end - start} frames`);
  return [...bytes].map((b) => b === 0x31);
}
