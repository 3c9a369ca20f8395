/**
 * The compiled-table cache: `compile(cluster, semantics)` is pure, so its result is stored under
 * a hash of everything it depends on — the decoded cluster, the policy semantics, the compiler's
 * own code — and read back instead of compiling at the next start. `replay` from manifest files
 * uses the cache keyed by their bytes instead (load-compiled-cached.ts: it also skips decoding);
 * this one serves a live cluster and library callers holding a Cluster.
 *
 * Entries are files as cache-entry-file.ts writes them: never trusted (key, checksum, and a clean
 * decode, else ignored, rebuilt and rewritten with a note under --verbose), written atomically,
 * pruned least recently used first.
 */
import { createHash } from 'node:crypto';
import { endianness } from 'node:os';
import { join } from 'node:path';
import { compile } from '../../compiler/compile.js';
import type { Cluster } from '../../compiler/model.js';
import type { PolicySemantics } from '../../compiler/policy-semantics.js';
import { decodeTables, encodeTables, podIndexer } from '../../compiler/serialize-tables.js';
import type { CompiledTables } from '../../compiler/tables.js';
import { codeFingerprint, ENTRY_SUFFIX, readEntry, touchEntry, writeEntry } from './cache-entry-file.js';

export { CACHE_MAX_BYTES, pruneTableCache } from './cache-entry-file.js';

const MAGIC = 'NPETBL01';

export interface TableCacheOptions {
  /** Cache directory; null: no cache (compile every time). */
  readonly dir: string | null;
  /** Notes for --verbose (hit, miss, rebuilt, could not write). */
  readonly note?: (text: string) => void;
}

export interface CachedTables {
  readonly tables: CompiledTables;
  /** The encoded tables (serialize-tables.ts), when they were read or written: workers decode them from shared memory. */
  readonly encoded: Uint8Array | null;
  readonly from: 'cache' | 'compile';
}

/** The cache key: format, byte order, compiler code, semantics and the decoded cluster. */
export function tableCacheKey(cluster: Cluster, semantics: PolicySemantics): Buffer | null {
  const code = codeFingerprint(['compiler/']);
  if (code === null) return null;
  const hash = createHash('sha256');
  hash.update(`${MAGIC}\0${endianness()}\0${code}\0`);
  hash.update(JSON.stringify(semantics));
  hash.update('\0');
  // IP addresses are bigints in the model: written as hex, as nothing else in it is.
  hash.update(JSON.stringify(cluster, (_key, value: unknown) => (typeof value === 'bigint' ? `0x${value.toString(16)}` : value)));
  return hash.digest();
}

/** The tables of `cluster` under `semantics`: from the cache when a valid entry exists, else compiled (and stored). */
export function compiledTablesFor(cluster: Cluster, semantics: PolicySemantics, options: TableCacheOptions): CachedTables {
  const note = options.note ?? ((): void => undefined);
  const dir = options.dir;
  const key = dir === null ? null : tableCacheKey(cluster, semantics);
  if (dir === null || key === null) return { tables: compile(cluster, semantics), encoded: null, from: 'compile' };
  const path = join(dir, `${key.toString('hex')}${ENTRY_SUFFIX}`);
  const entry = readEntry(path, MAGIC, key);
  if (entry !== null && 'payload' in entry) {
    try {
      const tables = decodeTables(entry.payload, cluster.pods);
      touchEntry(path);
      note(`compiled tables read from the cache (${path})`);
      return { tables, encoded: entry.payload, from: 'cache' };
    } catch (error) {
      note(`cache entry ${path} does not decode (${(error as Error).message}): ignored, rebuilding`);
    }
  } else if (entry !== null) note(`cache entry ${path} is unusable (${entry.problem}): ignored, rebuilding`);
  const tables = compile(cluster, semantics);
  let encoded: Uint8Array | null = null;
  try {
    encoded = encodeTables(tables, podIndexer(cluster.pods));
    writeEntry(dir, path, MAGIC, key, [encoded]);
    note(`compiled tables written to the cache (${path})`);
  } catch (error) {
    note(`compiled tables not cached: ${(error as Error).message}`);
  }
  return { tables, encoded, from: 'compile' };
}

/** Encodes tables for shared memory (workers) when the cache did not already. */
export function encodedTables(cached: CachedTables, cluster: Cluster): Uint8Array {
  return cached.encoded ?? encodeTables(cached.tables, podIndexer(cluster.pods));
}
