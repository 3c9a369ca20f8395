/**
 * Which files `-f PATH...` names, and their bytes: directories are walked recursively in sorted
 * order (`.yaml`, `.yml`, `.json`). Apart from the parsers (read-manifests.ts) so that a start
 * served by the cache (src/cache/load-compiled-cached.ts) does not load them.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Diagnostic } from '../diagnostics.js';

const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'];

export function errorMessage(error: unknown): string {
  const code = (error as { code?: string }).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return error instanceof Error ? error.message : String(error);
}

/** Expand paths to manifest files; a missing path is an error, an unknown extension in a directory is skipped. */
export function listManifestFiles(paths: readonly string[], diagnostics: Diagnostic[]): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (MANIFEST_EXTENSIONS.some((ext) => entry.name.endsWith(ext))) files.push(full);
    }
  };
  for (const path of paths) {
    try {
      if (statSync(path).isDirectory()) walk(path);
      else files.push(path);
    } catch (error) {
      diagnostics.push({ severity: 'error', code: 'read-failed', origin: null, object: null, path: null, message: `${path}: ${errorMessage(error)}` });
    }
  }
  return files;
}

/** A manifest file's bytes, read before loading (the cache keys on them), or why they could not be read. */
export interface ManifestBytes {
  /** The path as listed (diagnostics and origins name it so). */
  readonly file: string;
  readonly bytes: Uint8Array | null;
  readonly error?: unknown;
}

/** Reads each listed file whole; a file that cannot be read carries its error (reported when parsed). */
export function readManifestBytes(files: readonly string[]): ManifestBytes[] {
  return files.map((file) => {
    try {
      return { file, bytes: readFileSync(file) };
    } catch (error) {
      return { file, bytes: null, error };
    }
  });
}
