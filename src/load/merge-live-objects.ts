/**
 * `-f` files combined with a live cluster: a file object replaces the live object of the same
 * kind, namespace and name, so a user can try an edited policy against the real pods. Runs before
 * buildCluster, whose duplicate check would otherwise reject the pair; duplicates within the
 * files, or within the live read, are left for that check to report.
 */
import type { Origin } from '../../compiler/model.js';
import type { Diagnostic } from '../diagnostics.js';
import type { RawObject } from './read-manifests.js';
import { canonicalJson, objectIdentity, pruneObject } from './prune-object.js';

function describeOrigin(origin: Origin): string {
  return `${origin.source} document ${origin.document}${origin.itemPath ? ` ${origin.itemPath}` : ''}`;
}

export interface MergedObjects {
  /** File objects in their order, then the live objects no file replaced, in theirs. */
  readonly objects: RawObject[];
  /** One per replaced live object: a warning when they differ in a field the emulator reads, else an info. */
  readonly diagnostics: Diagnostic[];
}

export function mergeLiveObjects(fileObjects: readonly RawObject[], liveObjects: readonly RawObject[]): MergedObjects {
  const fromFiles = new Map<string, RawObject>();
  for (const raw of fileObjects) {
    const id = objectIdentity(raw.object);
    if (id === null) continue;
    const key = `${id.kind}/${id.namespace}/${id.name}`;
    if (!fromFiles.has(key)) fromFiles.set(key, raw);
  }
  const objects: RawObject[] = [...fileObjects];
  const diagnostics: Diagnostic[] = [];
  for (const live of liveObjects) {
    const id = objectIdentity(live.object);
    const file = id === null ? undefined : fromFiles.get(`${id.kind}/${id.namespace}/${id.name}`);
    if (id === null || file === undefined) {
      objects.push(live);
      continue;
    }
    const same = canonicalJson(pruneObject(file.object)) === canonicalJson(pruneObject(live.object));
    diagnostics.push({
      severity: same ? 'info' : 'warning',
      code: 'overridden-object',
      origin: file.origin,
      object: id.namespace === '' ? `${id.kind} ${id.name}` : `${id.kind} ${id.namespace}/${id.name}`,
      path: null,
      message: `replaces the live object read from ${describeOrigin(live.origin)}${same ? ' (identical in the fields netpol-emu reads)' : ', which differs from it'}`,
    });
  }
  return { objects, diagnostics };
}
