/**
 * Raw objects → a manifests folder that `-f DIR` reads back: namespaces.yaml, pods.yaml and
 * policies.yaml, multi-document YAML in the objects' order. Rendering is pure and stable (same
 * objects, same bytes); only `writeClusterManifests` touches the file system.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { yamlModule } from '../load/lazy-yaml.js';
import type { JsonObject } from '../load/object-reader.js';

export interface ManifestFile {
  /** File name inside the folder. */
  readonly name: string;
  readonly text: string;
}

const FILE_BY_KIND: Readonly<Record<string, string>> = {
  Namespace: 'namespaces.yaml',
  Pod: 'pods.yaml',
  NetworkPolicy: 'policies.yaml',
};
const FILE_ORDER = ['namespaces.yaml', 'pods.yaml', 'policies.yaml'];

/** One file per kind (other kinds go to other.yaml); `header` becomes a `#` comment on top of each. */
export function renderClusterManifests(objects: readonly JsonObject[], header?: string): ManifestFile[] {
  const documents = new Map<string, string[]>(FILE_ORDER.map((name) => [name, []]));
  for (const object of objects) {
    const name = FILE_BY_KIND[String(object['kind'])] ?? 'other.yaml';
    let list = documents.get(name);
    if (!list) {
      list = [];
      documents.set(name, list);
    }
    // lineWidth 0: never fold long strings, so a value is always on one line.
    list.push(yamlModule().stringify(object, { lineWidth: 0 }));
  }
  const comment = header ? `${header.split('\n').map((line) => `# ${line}`.trimEnd()).join('\n')}\n` : '';
  return [...documents].map(([name, docs]) => ({ name, text: `${comment}${docs.map((d) => `---\n${d}`).join('')}` }));
}

/** Writes the folder (created if missing; the three files are replaced) and returns the paths written. */
export function writeClusterManifests(dir: string, objects: readonly JsonObject[], header?: string): string[] {
  mkdirSync(dir, { recursive: true });
  return renderClusterManifests(objects, header).map((file) => {
    const path = join(dir, file.name);
    writeFileSync(path, file.text);
    return path;
  });
}
