/**
 * Manifest files → loaded cluster and compiled tables, through the cache keyed by the input
 * bytes: a warm start reads the decoded cluster, what its load reported and the tables from one
 * entry, and neither parses, validates nor compiles (docs/performance.md "Start-up").
 *
 * The key is a SHA-256 of the entry format, the byte order, the Node version, the code of
 * compiler/, src/load/ and src/cache/ (a changed loader or compiler never reads what an older
 * one stored), the CNI profile the cluster is restricted to, the policy semantics, and every
 * manifest file: its path as listed (origins and diagnostics name it) and its bytes. A load with
 * errors throws before anything is written: errors are never cached.
 *
 * Entry payload: u32 length of the LoadedInput JSON (serialize-loaded-input.ts), the JSON,
 * zero padding to a multiple of 8, the tables as compiler/serialize-tables.ts writes them (their
 * endpoint pods as indexes into the stored cluster's pods).
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import { join } from 'node:path';
import type { CniProfileName } from '../../compiler/cni-profiles.js';
import type { PolicySemantics } from '../../compiler/policy-semantics.js';
import { decodeTables, encodeTables, podIndexer } from '../../compiler/serialize-tables.js';
import { readManifestBytes, type ManifestBytes } from '../load/list-manifest-files.js';
import { codeFingerprint, ENTRY_SUFFIX, readEntry, touchEntry, writeEntry } from './cache-entry-file.js';
import type { CachedTables } from './compiled-table-cache.js';
import { decodeLoadedInput, encodeLoadedInput, type LoadedInput } from './serialize-loaded-input.js';

const MAGIC = 'NPELOAD1';
const CODE_DIRS = ['compiler/', 'src/load/', 'src/cache/'] as const;
/** Files are hashed through one buffer of this size: an 11 MB manifest is never held whole on a hit. */
const HASH_CHUNK_BYTES = 2 ** 20;

export interface LoadCacheRequest {
  /** Every manifest file, as listed (`listManifestFiles`). */
  readonly files: readonly string[];
  /** `--cni NAME`: the cluster as that CNI sees it (restrictToProfile); null: as loaded. */
  readonly restrictTo: CniProfileName | null;
  readonly semantics: PolicySemantics;
  /** Cache directory; null: load and compile, store nothing. */
  readonly dir: string | null;
}

export interface CachedLoad {
  readonly loaded: LoadedInput;
  readonly compiled: CachedTables;
  /** What the cache did, for --verbose (hit, miss, rebuilt, could not write). */
  readonly notes: readonly string[];
}

/** The key up to the files; null when the code cannot be fingerprinted (then no cache is used). */
function keyHash(request: LoadCacheRequest): Hash | null {
  const code = codeFingerprint(CODE_DIRS);
  if (code === null) return null;
  return createHash('sha256').update(`${MAGIC}\0${endianness()}\0${process.version}\0${code}\0${request.restrictTo ?? ''}\0${JSON.stringify(request.semantics)}\0${request.files.length}\0`);
}

/** The key of files already read (a miss stores under the key of the bytes it actually loaded). */
function keyOfBytes(request: LoadCacheRequest, read: readonly ManifestBytes[]): Buffer | null {
  const hash = keyHash(request);
  if (hash === null) return null;
  for (const { file, bytes } of read) {
    if (bytes === null) return null;
    hash.update(`${file}\0${bytes.length}\0`).update(bytes);
  }
  return hash.digest();
}

/** The key, reading the files in chunks; null when one cannot be read whole (the loader then reports it). */
function loadCacheKey(request: LoadCacheRequest): Buffer | null {
  const hash = keyHash(request);
  if (hash === null) return null;
  const chunk = Buffer.allocUnsafe(HASH_CHUNK_BYTES);
  for (const file of request.files) {
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch {
      return null;
    }
    try {
      const size = fstatSync(fd).size;
      hash.update(`${file}\0${size}\0`);
      let total = 0;
      for (let n = readSync(fd, chunk, 0, chunk.length, null); n > 0; n = readSync(fd, chunk, 0, chunk.length, null)) {
        hash.update(chunk.subarray(0, n));
        total += n;
      }
      if (total !== size) return null; // changed while read
    } catch {
      return null;
    } finally {
      closeSync(fd);
    }
  }
  return hash.digest();
}

function decodeEntry(payload: Uint8Array): { loaded: LoadedInput; compiled: CachedTables } {
  if (payload.length < 4) throw new Error('too short');
  const length = new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getUint32(0, true);
  const tablesAt = align8(4 + length);
  if (tablesAt > payload.length) throw new Error('cluster past the end');
  const loaded = decodeLoadedInput(payload.subarray(4, 4 + length));
  const encoded = payload.subarray(tablesAt);
  return { loaded, compiled: { tables: decodeTables(encoded, loaded.cluster.pods), encoded, from: 'cache' } };
}

const align8 = (n: number): number => (n + 7) & ~7;

/** Loads and compiles `files`, or reads both from the cache; throws InvalidInputError (uncached) when the manifests have errors. */
export async function loadCompiledCached(request: LoadCacheRequest): Promise<CachedLoad> {
  const notes: string[] = [];
  const dir = request.dir;
  const key = dir === null ? null : loadCacheKey(request);
  if (dir !== null && key !== null) {
    const path = entryPath(dir, key);
    const entry = readEntry(path, MAGIC, key);
    if (entry !== null && 'payload' in entry) {
      try {
        const hit = decodeEntry(entry.payload);
        touchEntry(path);
        notes.push(`cluster and compiled tables read from the cache (${path})`);
        return { ...hit, notes };
      } catch (error) {
        notes.push(`cache entry ${path} does not decode (${(error as Error).message}): ignored, rebuilding`);
      }
    } else if (entry !== null) notes.push(`cache entry ${path} is unusable (${entry.problem}): ignored, rebuilding`);
  }
  // A miss: the loader and compiler are loaded only now (a warm start never runs them).
  const [{ loadCluster }, { restrictToProfile }, { compile }] = await Promise.all([import('../load/load-cluster.js'), import('../../compiler/cni-admin-support.js'), import('../../compiler/compile.js')]);
  const read = readManifestBytes(request.files);
  const result = loadCluster({ read });
  const restricted = request.restrictTo !== null ? restrictToProfile(result.cluster, request.restrictTo) : { cluster: result.cluster, notes: [] };
  const loaded: LoadedInput = { cluster: restricted.cluster, diagnostics: result.diagnostics, stats: result.stats, notes: restricted.notes };
  const tables = compile(loaded.cluster, request.semantics);
  const readKey = dir === null ? null : keyOfBytes(request, read);
  if (dir === null || readKey === null) return { loaded, compiled: { tables, encoded: null, from: 'compile' }, notes };
  const path = entryPath(dir, readKey);
  let encoded: Uint8Array | null = null;
  try {
    encoded = encodeTables(tables, podIndexer(loaded.cluster.pods));
    const json = encodeLoadedInput(loaded);
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, json.length, true);
    const padding = new Uint8Array(align8(4 + json.length) - 4 - json.length);
    writeEntry(dir, path, MAGIC, readKey, [length, json, padding, encoded]);
    notes.push(`cluster and compiled tables written to the cache (${path})`);
  } catch (error) {
    notes.push(`cluster and compiled tables not cached: ${(error as Error).message}`);
  }
  return { loaded, compiled: { tables, encoded, from: 'compile' }, notes };
}

const entryPath = (dir: string, key: Buffer): string => join(dir, `${key.toString('hex')}${ENTRY_SUFFIX}`);
