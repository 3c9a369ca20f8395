/**
 * Files and directories → raw Kubernetes objects with their origin. Directories are walked
 * recursively in sorted order (`.yaml`, `.yml`, `.json`); every YAML document is numbered from 1;
 * `kind: List` and `*List` kinds are flattened, their items remembering `items[i]`.
 */
import { yamlModule } from './lazy-yaml.js';
import { parseYamlFast } from './parse-yaml-fast.js';
import type { Origin } from '../../compiler/model.js';
import type { Diagnostic } from '../diagnostics.js';
import { isJsonObject, typeName, type JsonObject } from './object-reader.js';
import { errorMessage, listManifestFiles, readManifestBytes, type ManifestBytes } from './list-manifest-files.js';

export interface RawObject {
  readonly origin: Origin;
  readonly object: JsonObject;
}

/** Flatten Lists, recursively (a List item may itself be a List). */
export function flattenObject(value: JsonObject, origin: Origin, out: RawObject[], diagnostics: Diagnostic[]): void {
  const kind = value['kind'];
  const items = value['items'];
  if (typeof kind === 'string' && (kind === 'List' || kind.endsWith('List')) && items !== undefined) {
    if (!Array.isArray(items)) {
      diagnostics.push({ severity: 'error', code: 'wrong-type', origin, object: kind, path: 'items', message: `expected a list, got ${typeName(items)}` });
      return;
    }
    const itemKind = kind === 'List' ? undefined : kind.slice(0, -'List'.length);
    items.forEach((item, i) => {
      const itemPath = `${origin.itemPath ? `${origin.itemPath}.` : ''}items[${i}]`;
      const itemOrigin: Origin = { ...origin, itemPath };
      if (!isJsonObject(item)) {
        diagnostics.push({ severity: 'error', code: 'not-an-object', origin: itemOrigin, object: null, path: null, message: `expected a Kubernetes object, got ${typeName(item)}` });
        return;
      }
      // The API server's typed lists (PodList...) omit kind/apiVersion on their items.
      const withKind = item['kind'] === undefined && itemKind ? { ...item, kind: itemKind, apiVersion: item['apiVersion'] ?? value['apiVersion'] ?? null } : item;
      flattenObject(withKind, itemOrigin, out, diagnostics);
    });
    return;
  }
  out.push({ origin, object: value });
}

/**
 * A text that is one JSON value (a `.json` file, `kubectl get -o json`, or a YAML file holding
 * JSON) parsed by JSON.parse, an order of magnitude faster than the YAML parser. Returns false
 * when it is not valid JSON: then the YAML parser reads it, which also accepts JSON's superset
 * and reports syntax errors with their line. (Of duplicate keys JSON.parse keeps the last.)
 */
function readJsonText(source: string, text: string, out: RawObject[], diagnostics: Diagnostic[]): boolean {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return false;
  }
  const origin: Origin = { source, document: 1, itemPath: '' };
  if (value === null) return true;
  if (!isJsonObject(value)) {
    diagnostics.push({ severity: 'error', code: 'not-an-object', origin, object: null, path: null, message: `expected a Kubernetes object, got ${typeName(value)}` });
    return true;
  }
  flattenObject(value, origin, out, diagnostics);
  return true;
}

/** First character that is not whitespace or a byte order mark. */
function firstSignificant(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09 && c !== 0xfeff) return text[i] as string;
  }
  return '';
}

export function readManifestText(source: string, text: string, out: RawObject[], diagnostics: Diagnostic[]): void {
  const first = firstSignificant(text);
  if ((first === '{' || first === '[') && readJsonText(source, text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, out, diagnostics)) return;
  if (readYamlFast(source, text, out, diagnostics)) return;
  readYamlText(source, text, out, diagnostics);
}

/**
 * The common YAML of manifests (block maps and lists, scalars, comments; see parse-yaml-fast.ts)
 * read 20–40× faster than the `yaml` package reads it, with the same values and document numbers.
 * Returns false for anything outside that subset, and for any syntax error: the `yaml` package
 * then reads the file, and reports the error with its line.
 */
function readYamlFast(source: string, text: string, out: RawObject[], diagnostics: Diagnostic[]): boolean {
  let documents: unknown[] | null;
  try {
    documents = parseYamlFast(text);
  } catch {
    // A fault of the fast path must not cost the user a load: the reference parser decides.
    return false;
  }
  if (documents === null) return false;
  documents.forEach((value, index) => addDocument(source, index + 1, value, out, diagnostics));
  return true;
}

/** One parsed document: nothing (empty), an error (not an object), or objects (Lists flattened). */
function addDocument(source: string, document: number, value: unknown, out: RawObject[], diagnostics: Diagnostic[]): void {
  const origin: Origin = { source, document, itemPath: '' };
  if (value === null || value === undefined) return; // empty document, e.g. a trailing `---`
  if (!isJsonObject(value)) {
    diagnostics.push({ severity: 'error', code: 'not-an-object', origin, object: null, path: null, message: `expected a Kubernetes object, got ${typeName(value)}` });
    return;
  }
  flattenObject(value, origin, out, diagnostics);
}

function readYamlText(source: string, text: string, out: RawObject[], diagnostics: Diagnostic[]): void {
  // Without prettyErrors the parser gives offsets only (`linePos` stays unset); the counter turns
  // them into the line number the message promises.
  const { LineCounter, parseAllDocuments } = yamlModule();
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { prettyErrors: false, uniqueKeys: true, lineCounter });
  const docs = Array.isArray(documents) ? documents : [documents];
  docs.forEach((doc, index) => {
    const origin: Origin = { source, document: index + 1, itemPath: '' };
    if (doc.errors.length > 0) {
      for (const error of doc.errors) {
        const line = error.linePos?.[0]?.line ?? lineCounter.linePos(error.pos[0]).line;
        diagnostics.push({
          severity: 'error',
          code: 'yaml-syntax',
          origin,
          object: null,
          path: null,
          message: `YAML syntax error: ${error.message.split('\n')[0]}`,
          ...(line !== undefined ? { line } : {}),
        });
      }
      return;
    }
    addDocument(source, index + 1, doc.toJS({ maxAliasCount: 1000 }), out, diagnostics);
  });
}

/** Files already read → raw objects, in file order (UTF-8, as `readFileSync(file, 'utf8')` decodes). */
export function parseManifestBytes(read: readonly ManifestBytes[], diagnostics: Diagnostic[]): { files: string[]; objects: RawObject[] } {
  const objects: RawObject[] = [];
  for (const { file, bytes, error } of read) {
    if (bytes === null) {
      diagnostics.push({ severity: 'error', code: 'read-failed', origin: null, object: null, path: null, message: `${file}: ${errorMessage(error)}` });
      continue;
    }
    readManifestText(file, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'), objects, diagnostics);
  }
  return { files: read.map((r) => r.file), objects };
}

export function readManifests(paths: readonly string[], diagnostics: Diagnostic[]): { files: string[]; objects: RawObject[] } {
  return parseManifestBytes(readManifestBytes(listManifestFiles(paths, diagnostics)), diagnostics);
}
