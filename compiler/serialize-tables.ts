/**
 * CompiledTables as bytes and back: the compiled-table cache (src/cache/) stores them, and
 * `replay --workers N` hands one copy to every worker in shared memory. Typed arrays are written
 * as their raw bytes (host byte order: a cache is read on the machine that wrote it, and the key
 * names the byte order) in 8-byte aligned sections, so decoding makes views over the bytes and
 * copies nothing; the rest (provenance: identities, rule references, table infos…) is one JSON
 * text with markers where the sections go. `endpointPods` are written as indexes into the
 * cluster's pods and decoded back to the caller's Pod objects, so every Pod in decoded tables is
 * the same object the cluster holds, as after `compile`.
 *
 * Layout: u32 JSON length, the JSON (UTF-8), zero padding to a multiple of 8, the sections.
 * Pure: no fs, no clock.
 */
import type { Pod } from './model.js';
import type { CompiledTables } from './tables.js';

type TypedArray = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array;
type TypedArrayConstructor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => TypedArray;

/** Section kinds by constructor name (the JSON says which to rebuild). */
const KINDS: Readonly<Record<string, TypedArrayConstructor>> = {
  Int8Array, Uint8Array, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array,
};

/**
 * Marker keys. NUL cannot occur in a label key, policy name or port name (Kubernetes validates
 * them), so a marker object is never confused with provenance data.
 */
const TYPED = '\u0000t';
const PODS = '\u0000p';
/** Numbers JSON cannot spell (NaN, ±Infinity) and bigints, as text. */
const NUMBER = '\u0000n';
const BIGINT = '\u0000b';

interface Section {
  readonly kind: string;
  readonly offset: number;
  readonly length: number;
}

interface Header {
  readonly root: unknown;
  readonly sections: readonly Section[];
}

const align8 = (n: number): number => (n + 7) & ~7;

/** The `podIndex` of `encodeTables` for tables compiled from a cluster whose pods are `pods`. */
export function podIndexer(pods: readonly Pod[]): (pod: Pod) => number {
  const index = new Map<Pod, number>();
  pods.forEach((pod, i) => index.set(pod, i));
  return (pod) => index.get(pod) ?? -1;
}

/** Encodes `tables`; `podIndex` gives each endpoint pod's index in the cluster the tables were compiled from. */
export function encodeTables(tables: CompiledTables, podIndex: (pod: Pod) => number): Uint8Array {
  const arrays: TypedArray[] = [];
  const sections: Section[] = [];
  let offset = 0;
  const section = (array: TypedArray): number => {
    const kind = array.constructor.name;
    if (KINDS[kind] === undefined) throw new Error(`encodeTables: unsupported array kind ${kind}`);
    offset = align8(offset);
    sections.push({ kind, offset, length: array.length });
    arrays.push(array);
    offset += array.byteLength;
    return sections.length - 1;
  };
  const root = JSON.stringify(tables, function replacer(key: string, value: unknown): unknown {
    if (key === 'endpointPods' && Array.isArray(value)) {
      const indexes = new Int32Array(value.length);
      value.forEach((pod: Pod, i) => {
        const at = podIndex(pod);
        if (!(at >= 0)) throw new Error('encodeTables: an endpoint pod is not in the cluster');
        indexes[i] = at;
      });
      return { [PODS]: section(indexes) };
    }
    if (ArrayBuffer.isView(value)) return { [TYPED]: section(value as TypedArray) };
    if (typeof value === 'number' && !Number.isFinite(value)) return { [NUMBER]: String(value) };
    if (typeof value === 'bigint') return { [BIGINT]: value.toString() };
    return value;
  });
  // Sections are known only once the root is written: the header is put together around it.
  const header = new TextEncoder().encode(`{"sections":${JSON.stringify(sections)},"root":${root}}`);
  const base = align8(4 + header.length);
  const out = new Uint8Array(base + offset);
  new DataView(out.buffer).setUint32(0, header.length, true);
  out.set(header, 4);
  arrays.forEach((array, i) => out.set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), base + (sections[i] as Section).offset));
  return out;
}

/**
 * Decodes what `encodeTables` wrote, for a cluster whose pods are `pods` (the same cluster:
 * the cache key says so). Typed arrays are views over `bytes` (which must then stay unchanged);
 * bytes not 8-aligned are copied once. Throws on anything malformed — the cache then rebuilds.
 */
export function decodeTables(bytes: Uint8Array, pods: readonly Pod[]): CompiledTables {
  let data = bytes;
  if (data.byteOffset % 8 !== 0) data = data.slice();
  if (data.length < 4) throw new Error('decodeTables: too short');
  const headerLength = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0, true);
  if (4 + headerLength > data.length) throw new Error('decodeTables: header past the end');
  const header = JSON.parse(new TextDecoder().decode(data.subarray(4, 4 + headerLength))) as Header;
  const base = align8(4 + headerLength);
  const views = header.sections.map((s) => {
    const Kind = KINDS[s.kind];
    if (Kind === undefined) throw new Error(`decodeTables: unknown array kind ${String(s.kind)}`);
    const view = new Kind(data.buffer, data.byteOffset + base + s.offset, s.length);
    if (base + s.offset + view.byteLength > data.length) throw new Error('decodeTables: section past the end');
    return view;
  });
  const sectionAt = (i: unknown): TypedArray => {
    const view = typeof i === 'number' ? views[i] : undefined;
    if (view === undefined) throw new Error('decodeTables: bad section index');
    return view;
  };
  const revive = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) value[i] = revive(value[i]);
      return value;
    }
    const record = value as Record<string, unknown>;
    if (TYPED in record) return sectionAt(record[TYPED]);
    if (PODS in record) {
      return Array.from(sectionAt(record[PODS]), (at) => {
        const pod = pods[at];
        if (pod === undefined) throw new Error('decodeTables: endpoint pod index out of range');
        return pod;
      });
    }
    if (NUMBER in record) return Number(record[NUMBER]);
    if (BIGINT in record) return BigInt(String(record[BIGINT]));
    for (const key of Object.keys(record)) record[key] = revive(record[key]);
    return record;
  };
  return revive(header.root) as CompiledTables;
}
