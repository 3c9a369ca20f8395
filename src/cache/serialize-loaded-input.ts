/**
 * A loaded cluster and what its load reported, as one JSON text and back: the loaded-cluster
 * cache stores it so a warm start skips parsing and validating the manifests.
 *
 * JSON.parse is the fastest way back to plain objects in V8 (10K pods / 2K policies: 6.3 MB,
 * ~50 ms under load, against ~100 ms for `v8.deserialize` of the same cluster). The model holds
 * IP addresses as bigints, which JSON cannot spell: a bigint is written as a string starting
 * with NUL and `b`, its hex digits after; a string that itself starts with NUL gets NUL and `s`
 * in front, so no input text is ever read back as something else. One walk after the parse
 * turns them back.
 */
import type { Cluster } from '../../compiler/model.js';
import type { Diagnostic } from '../diagnostics.js';
import type { LoadStats } from '../load/build-cluster.js';

/** What a load produced and reported: the cluster (restricted to the CNI profile when asked) and every line a load prints. */
export interface LoadedInput {
  readonly cluster: Cluster;
  /** Warnings and infos of the load (a load with errors is never stored). */
  readonly diagnostics: readonly Diagnostic[];
  readonly stats: LoadStats & { readonly files: readonly string[] };
  /** What the CNI profile restriction said (compiler/cni-admin-support.ts). */
  readonly notes: readonly string[];
}

const NUL = 0;
const BIGINT = 0x62; // 'b'

function escape(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return `\u0000b${value.toString(16)}`;
  if (typeof value === 'string' && value.charCodeAt(0) === NUL) return `\u0000s${value}`;
  return value;
}

function unescapeText(text: string): string | bigint {
  return text.charCodeAt(1) === BIGINT ? BigInt(`0x${text.slice(2)}`) : text.slice(2);
}

/** Puts bigints and escaped strings back in place; everything else is left as parsed. */
function revive(value: object): void {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === 'object' && item !== null) revive(item);
      else if (typeof item === 'string' && item.charCodeAt(0) === NUL) value[i] = unescapeText(item);
    }
    return;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    const item = record[key];
    if (typeof item === 'object' && item !== null) revive(item);
    else if (typeof item === 'string' && item.charCodeAt(0) === NUL) record[key] = unescapeText(item);
  }
}

export function encodeLoadedInput(loaded: LoadedInput): Uint8Array {
  return Buffer.from(JSON.stringify(loaded, escape), 'utf8');
}

/** Throws on anything that is not an encoded LoadedInput (the cache then rebuilds). */
export function decodeLoadedInput(bytes: Uint8Array): LoadedInput {
  const value: unknown = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  if (typeof value !== 'object' || value === null) throw new Error('decodeLoadedInput: not an object');
  revive(value);
  const loaded = value as Partial<LoadedInput>;
  if (!loaded.cluster || !Array.isArray(loaded.cluster.pods) || !Array.isArray(loaded.diagnostics) || !loaded.stats || !Array.isArray(loaded.notes)) throw new Error('decodeLoadedInput: not a loaded cluster');
  return value as LoadedInput;
}
