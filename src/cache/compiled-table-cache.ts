/**
 * The compiled-table cache: `compile(cluster, semantics)` is pure, so its result is stored under
 * a hash of everything it depends on — the decoded cluster, the policy semantics, the compiler's
 * own code — and read back instead of compiling at the next start (10K pods / 2K policies:
 * ~0.35 s of compile replaced by ~0.1 s of hashing, reading and decoding; docs/performance.md).
 *
 * A cache file is never trusted: it must carry the expected key and a SHA-256 of its payload,
 * and decode cleanly; anything else (truncated, corrupt, another format) is ignored, rebuilt and
 * rewritten, with a note under --verbose. Writers write a private temporary file and rename it
 * into place (atomic on POSIX), so concurrent runs never see half a file; the last rename wins
 * and both contents are the same. The directory is kept under CACHE_MAX_BYTES by removing the
 * least recently used files after each write (a hit refreshes the file's mtime).
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import { endianness } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile } from '../../compiler/compile.js';
import type { Cluster, Pod } from '../../compiler/model.js';
import type { PolicySemantics } from '../../compiler/policy-semantics.js';
import { decodeTables, encodeTables } from '../../compiler/serialize-tables.js';
import type { CompiledTables } from '../../compiler/tables.js';

/** Total size the cache directory is pruned to (least recently used first). */
export const CACHE_MAX_BYTES = 256 * 2 ** 20;
/** Temporary files older than this are left-overs of a killed writer: pruned. */
const STALE_TEMP_MS = 60 * 60 * 1000;
const MAGIC = 'NPETBL01';
const SUFFIX = '.tables';
/** Magic (8), payload SHA-256 (32), key SHA-256 (32), payload length (8, as a float64). */
const FILE_HEADER = 80;

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

let fingerprint: string | null | undefined;

/**
 * A hash of the compiler's code (the files of compiler/ next to this build): a changed compiler
 * never reads tables an older one wrote, version bump or not. null when they cannot be read
 * (then no cache is used).
 */
function compilerFingerprint(): string | null {
  if (fingerprint !== undefined) return fingerprint;
  try {
    const dir = fileURLToPath(new URL('../../compiler/', import.meta.url));
    const hash = createHash('sha256');
    for (const name of readdirSync(dir).sort()) {
      if (!/\.(js|ts)$/.test(name)) continue;
      hash.update(name).update('\0').update(readFileSync(join(dir, name))).update('\0');
    }
    fingerprint = hash.digest('hex');
  } catch {
    fingerprint = null;
  }
  return fingerprint;
}

/** The cache key: format, byte order, compiler code, semantics and the decoded cluster. */
export function tableCacheKey(cluster: Cluster, semantics: PolicySemantics): Buffer | null {
  const code = compilerFingerprint();
  if (code === null) return null;
  const hash = createHash('sha256');
  hash.update(`${MAGIC}\0${endianness()}\0${code}\0`);
  hash.update(JSON.stringify(semantics));
  hash.update('\0');
  // IP addresses are bigints in the model: written as hex, as nothing else in it is.
  hash.update(JSON.stringify(cluster, (_key, value: unknown) => (typeof value === 'bigint' ? `0x${value.toString(16)}` : value)));
  return hash.digest();
}

function podIndexer(cluster: Cluster): (pod: Pod) => number {
  const index = new Map<Pod, number>();
  cluster.pods.forEach((pod, i) => index.set(pod, i));
  return (pod) => index.get(pod) ?? -1;
}

/** The payload of a cache file, or why it cannot be used. */
function readEntry(path: string, key: Buffer): { payload: Uint8Array } | { problem: string } | null {
  let file: Buffer;
  try {
    file = readFileSync(path);
  } catch {
    return null;
  }
  if (file.length < FILE_HEADER || file.toString('latin1', 0, 8) !== MAGIC) return { problem: 'not a table cache file' };
  const length = file.readDoubleLE(72);
  if (length !== file.length - FILE_HEADER) return { problem: `truncated (${file.length - FILE_HEADER} of ${length} payload bytes)` };
  if (!file.subarray(40, 72).equals(key)) return { problem: 'written for other inputs' };
  const payload = file.subarray(FILE_HEADER);
  if (!createHash('sha256').update(payload).digest().equals(file.subarray(8, 40))) return { problem: 'checksum mismatch' };
  return { payload };
}

function writeEntry(dir: string, path: string, key: Buffer, payload: Uint8Array): void {
  mkdirSync(dir, { recursive: true });
  const header = Buffer.alloc(FILE_HEADER);
  header.write(MAGIC, 0, 'latin1');
  createHash('sha256').update(payload).digest().copy(header, 8);
  key.copy(header, 40);
  header.writeDoubleLE(payload.length, 72);
  const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(temp, 'wx');
  try {
    writeSync(fd, header);
    writeSync(fd, payload);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}

/** Removes least recently used entries beyond CACHE_MAX_BYTES, and stale temporary files. */
export function pruneTableCache(dir: string, maxBytes = CACHE_MAX_BYTES, now = Date.now()): void {
  const entries: { path: string; size: number; mtime: number }[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    try {
      const st = statSync(path);
      if (name.endsWith('.tmp')) {
        if (now - st.mtimeMs > STALE_TEMP_MS) unlinkSync(path);
      } else if (name.endsWith(SUFFIX)) entries.push({ path, size: st.size, mtime: st.mtimeMs });
    } catch {
      // removed meanwhile by a concurrent run
    }
  }
  let total = entries.reduce((sum, e) => sum + e.size, 0);
  entries.sort((a, b) => a.mtime - b.mtime);
  for (const e of entries) {
    if (total <= maxBytes) break;
    try {
      unlinkSync(e.path);
    } catch {
      // already gone
    }
    total -= e.size;
  }
}

/** The tables of `cluster` under `semantics`: from the cache when a valid entry exists, else compiled (and stored). */
export function compiledTablesFor(cluster: Cluster, semantics: PolicySemantics, options: TableCacheOptions): CachedTables {
  const note = options.note ?? ((): void => undefined);
  const dir = options.dir;
  const key = dir === null ? null : tableCacheKey(cluster, semantics);
  if (dir === null || key === null) return { tables: compile(cluster, semantics), encoded: null, from: 'compile' };
  const path = join(dir, `${key.toString('hex')}${SUFFIX}`);
  const entry = readEntry(path, key);
  if (entry !== null && 'payload' in entry) {
    try {
      const tables = decodeTables(entry.payload, cluster.pods);
      try {
        const now = new Date();
        utimesSync(path, now, now);
      } catch {
        // read-only cache: still a hit
      }
      note(`compiled tables read from the cache (${path})`);
      return { tables, encoded: entry.payload, from: 'cache' };
    } catch (error) {
      note(`cache entry ${path} does not decode (${(error as Error).message}): ignored, rebuilding`);
    }
  } else if (entry !== null) note(`cache entry ${path} is unusable (${entry.problem}): ignored, rebuilding`);
  const tables = compile(cluster, semantics);
  let encoded: Uint8Array | null = null;
  try {
    encoded = encodeTables(tables, podIndexer(cluster));
    writeEntry(dir, path, key, encoded);
    pruneTableCache(dir);
    note(`compiled tables written to the cache (${path})`);
  } catch (error) {
    note(`compiled tables not cached: ${(error as Error).message}`);
  }
  return { tables, encoded, from: 'compile' };
}

/** Encodes tables for shared memory (workers) when the cache did not already. */
export function encodedTables(cached: CachedTables, cluster: Cluster): Uint8Array {
  return cached.encoded ?? encodeTables(cached.tables, podIndexer(cluster));
}
