/**
 * Where the start-up cache lives (src/cache/load-compiled-cached.ts, compiled-table-cache.ts):
 * `--cache DIR`, else the user's cache directory as the XDG Base Directory spec names it
 * ($XDG_CACHE_HOME, an absolute path, else $HOME/.cache) under `netpol-emu/`. `--no-cache`, or neither variable set,
 * turns it off.
 */
import { isAbsolute, join } from 'node:path';
import { ExitCode, UserError } from '../diagnostics.js';
import { flagOption, stringOption, type ParsedArgs } from './parse-options.js';

export const CACHE_OPTIONS = {
  cache: { type: 'string' },
  'no-cache': { type: 'boolean' },
} as const;

export const CACHE_OPTIONS_HELP = `  --cache DIR             start-up cache (default: $XDG_CACHE_HOME/netpol-emu or
                          ~/.cache/netpol-emu): manifest files are decoded, validated and
                          compiled once; the next start with the same bytes reads the cluster,
                          its warnings and the tables back; kept under 256 MiB, least recently
                          used first (docs/performance.md)
  --no-cache              load and compile every time, read and write no cache`;

export function resolveCacheDir(command: string, parsed: ParsedArgs, env: Readonly<Record<string, string | undefined>>): string | null {
  const explicit = stringOption(parsed, 'cache');
  if (flagOption(parsed, 'no-cache')) {
    if (explicit !== undefined) throw new UserError(`${command}: give either --cache DIR or --no-cache, not both`, ExitCode.USAGE);
    return null;
  }
  if (explicit !== undefined) {
    if (explicit === '') throw new UserError(`${command}: --cache needs a directory`, ExitCode.USAGE);
    return explicit;
  }
  const xdg = env['XDG_CACHE_HOME'];
  if (xdg !== undefined && isAbsolute(xdg)) return join(xdg, 'netpol-emu');
  const home = env['HOME'];
  if (home !== undefined && isAbsolute(home)) return join(home, '.cache', 'netpol-emu');
  return null;
}
