/**
 * One cache entry as a file, shared by the compiled-table cache and the loaded-cluster cache:
 * an 80-byte header (8-byte magic naming the format, SHA-256 of the payload, the 32-byte key,
 * the payload length as a float64) and the payload. An entry is never trusted: wrong magic,
 * wrong length, another key or a checksum mismatch make it unusable (the caller rebuilds and
 * rewrites it). Writers write a private temporary file and rename it into place (atomic on
 * POSIX): concurrent runs never see half a file. The directory is kept under CACHE_MAX_BYTES,
 * least recently used first (a hit refreshes the file's mtime).
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Total size the cache directory is pruned to (least recently used first). */
export const CACHE_MAX_BYTES = 256 * 2 ** 20;
/** Temporary files older than this are left-overs of a killed writer: pruned. */
const STALE_TEMP_MS = 60 * 60 * 1000;
/** Every entry file, whatever its format, ends so (the name the pruning knows). */
export const ENTRY_SUFFIX = '.tables';
/** Magic (8), payload SHA-256 (32), key SHA-256 (32), payload length (8, as a float64). */
const FILE_HEADER = 80;

/** The payload of an entry (8-byte aligned in the file's buffer), or why it cannot be used; null when there is no entry. */
export function readEntry(path: string, magic: string, key: Buffer): { payload: Uint8Array } | { problem: string } | null {
  let file: Buffer;
  try {
    file = readFileSync(path);
  } catch {
    return null;
  }
  if (file.length < FILE_HEADER || file.toString('latin1', 0, 8) !== magic) return { problem: 'not a table cache file' };
  const length = file.readDoubleLE(72);
  if (length !== file.length - FILE_HEADER) return { problem: `truncated (${file.length - FILE_HEADER} of ${length} payload bytes)` };
  if (!file.subarray(40, 72).equals(key)) return { problem: 'written for other inputs' };
  const payload = file.subarray(FILE_HEADER);
  if (!createHash('sha256').update(payload).digest().equals(file.subarray(8, 40))) return { problem: 'checksum mismatch' };
  return { payload };
}

/** A hit: the entry is recently used (pruning keeps it). */
export function touchEntry(path: string): void {
  try {
    const now = new Date();
    utimesSync(path, now, now);
  } catch {
    // read-only cache: still a hit
  }
}

/** Writes the entry atomically (temporary file, then rename), then prunes the directory. */
export function writeEntry(dir: string, path: string, magic: string, key: Buffer, payload: readonly Uint8Array[]): void {
  mkdirSync(dir, { recursive: true });
  const header = Buffer.alloc(FILE_HEADER);
  header.write(magic, 0, 'latin1');
  const checksum = createHash('sha256');
  let length = 0;
  for (const part of payload) {
    checksum.update(part);
    length += part.length;
  }
  checksum.digest().copy(header, 8);
  key.copy(header, 40);
  header.writeDoubleLE(length, 72);
  const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(temp, 'wx');
  try {
    writeSync(fd, header);
    for (const part of payload) writeSync(fd, part);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  pruneTableCache(dir);
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
      } else if (name.endsWith(ENTRY_SUFFIX)) entries.push({ path, size: st.size, mtime: st.mtimeMs });
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

const fingerprints = new Map<string, string | null>();

/**
 * A hash of the code in `dirs` (relative to this build's root, e.g. `compiler/`): the sources
 * (`.ts`) or the emitted `.js`, never declarations. A changed program never reads entries an
 * older one wrote, version bump or not. null when they cannot be read (then no cache is used).
 */
export function codeFingerprint(dirs: readonly string[]): string | null {
  const id = dirs.join('\0');
  const known = fingerprints.get(id);
  if (known !== undefined) return known;
  let result: string | null;
  try {
    const hash = createHash('sha256');
    for (const dir of dirs) {
      const path = fileURLToPath(new URL(`../../${dir}`, import.meta.url));
      hash.update(dir).update('\0');
      for (const name of readdirSync(path).sort()) {
        if (!/\.(js|ts)$/.test(name) || name.endsWith('.d.ts')) continue;
        hash.update(name).update('\0').update(readFileSync(join(path, name))).update('\0');
      }
    }
    result = hash.digest('hex');
  } catch {
    result = null;
  }
  fingerprints.set(id, result);
  return result;
}
