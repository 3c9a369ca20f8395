/**
 * A live read → a YAML `List` that `-f` replays offline to the same Cluster: each object cut to
 * the fields the emulator reads (src/load/prune-object.ts), in a fixed order (namespaces, pods, policies, services, endpoint slices;
 * then by namespace and name), with where and when it was read in the List's annotations.
 */
import { yamlModule } from '../load/lazy-yaml.js';
import type { JsonObject } from '../load/object-reader.js';
import type { RawObject } from '../load/read-manifests.js';
import { LIVE_KINDS, objectIdentity, pruneObject } from '../load/prune-object.js';

export const SNAPSHOT_ANNOTATIONS = {
  context: 'netpol-emu.io/context',
  server: 'netpol-emu.io/server',
  readAt: 'netpol-emu.io/read-at',
  /** Present only for a `-n` read: the one namespace whose pods and policies were read. */
  namespace: 'netpol-emu.io/namespace',
} as const;

export interface SnapshotSource {
  readonly objects: readonly RawObject[];
  readonly context: string;
  readonly server: string;
  readonly readAt: string;
  readonly namespace: string | null;
}

function sortKey(object: JsonObject): [number, string, string] {
  const id = objectIdentity(object);
  if (id === null) return [LIVE_KINDS.length, '', ''];
  return [LIVE_KINDS.indexOf(id.kind), id.namespace, id.name];
}

function compareKeys(a: [number, string, string], b: [number, string, string]): number {
  if (a[0] !== b[0]) return a[0] - b[0];
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0;
}

/** The snapshot text. Same objects in any order → same text. */
export function writeSnapshot(source: SnapshotSource): string {
  const keyed = source.objects.map((raw) => ({ key: sortKey(raw.object), object: pruneObject(raw.object) }));
  // Array.prototype.sort is stable: objects without an identity keep the order they were read in.
  keyed.sort((a, b) => compareKeys(a.key, b.key));
  const annotations: Record<string, string> = {
    [SNAPSHOT_ANNOTATIONS.context]: source.context,
    [SNAPSHOT_ANNOTATIONS.server]: source.server,
    [SNAPSHOT_ANNOTATIONS.readAt]: source.readAt,
  };
  if (source.namespace !== null) annotations[SNAPSHOT_ANNOTATIONS.namespace] = source.namespace;
  const list = { apiVersion: 'v1', kind: 'List', metadata: { annotations }, items: keyed.map((k) => k.object) };
  // lineWidth 0: never fold long strings, so a snapshot diffs line by line. YAML 1.1 quoting:
  // label values such as `yes` or `on` stay strings for YAML 1.1 readers too (kubectl's go-yaml).
  return yamlModule().stringify(list, { lineWidth: 0, version: '1.1' });
}
