/** One-shot loading: manifests (and, later, live objects) → Cluster, or every diagnostic. */
import type { Cluster } from '../../compiler/model.js';
import { InvalidInputError, type Diagnostic } from '../diagnostics.js';
import { mergeLiveObjects } from './merge-live-objects.js';
import { buildCluster, type LoadStats } from './build-cluster.js';
import type { ManifestBytes } from './list-manifest-files.js';
import { parseManifestBytes, readManifests, type RawObject } from './read-manifests.js';

export interface LoadOptions {
  /** `-f` paths: files or directories. */
  readonly paths?: readonly string[];
  /** Manifest files already read (`readManifestBytes`), instead of `paths`. */
  readonly read?: readonly ManifestBytes[];
  /**
   * Objects read from a live cluster (src/live): appended after the files, except that a file
   * object replaces the live object of the same kind, namespace and name (`overridden-object`).
   */
  readonly objects?: readonly RawObject[];
}

export interface LoadResult {
  readonly cluster: Cluster;
  /** Warnings and infos; errors make `loadCluster` throw. */
  readonly diagnostics: readonly Diagnostic[];
  readonly stats: LoadStats & { readonly files: readonly string[] };
  /** The raw objects the cluster was built from (a timeline edits them and rebuilds). */
  readonly objects: readonly RawObject[];
}

/** Throws InvalidInputError carrying every diagnostic when any error was found. */
export function loadCluster(options: LoadOptions): LoadResult {
  const diagnostics: Diagnostic[] = [];
  const { files, objects } = options.read ? parseManifestBytes(options.read, diagnostics) : readManifests(options.paths ?? [], diagnostics);
  let all = objects;
  if (options.objects) {
    const merged = mergeLiveObjects(objects, options.objects);
    diagnostics.push(...merged.diagnostics);
    all = merged.objects;
  }
  const { cluster, stats } = buildCluster(all, diagnostics);
  if (diagnostics.some((d) => d.severity === 'error')) throw new InvalidInputError(diagnostics);
  return { cluster, diagnostics, stats: { ...stats, files }, objects: all };
}
