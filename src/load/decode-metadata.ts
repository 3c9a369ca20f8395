import { joinPath, type JsonObject, type ObjectReader } from './object-reader.js';
import { checkDns1123Label, checkDns1123Subdomain, checkLabelKey, checkLabelValue } from './validate-names.js';
import { quoteValue } from '../diagnostics.js';

export interface Metadata {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
}

export function validateLabels(reader: ObjectReader, labels: Record<string, string>, path: string): Record<string, string> {
  const valid: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels)) {
    const keyProblems = checkLabelKey(key);
    const valueProblems = checkLabelValue(value);
    for (const p of keyProblems) reader.error('invalid-value', path, `key ${quoteValue(key)} is not a valid label key: ${p}`);
    for (const p of valueProblems) reader.error('invalid-value', joinPath(path, key), `${quoteValue(value)} is not a valid label value: ${p}`);
    if (keyProblems.length === 0 && valueProblems.length === 0) valid[key] = value;
  }
  return valid;
}

/**
 * Reads `metadata.name`, `metadata.namespace` (defaulting to `default` for namespaced kinds, as
 * kubectl does) and `metadata.labels`, and names the object in the reader for later messages.
 * Returns undefined when the object has no usable name.
 */
export function decodeMetadata(reader: ObjectReader, object: JsonObject, kind: string, namespaced: boolean): Metadata | undefined {
  const metadata = reader.map(object, 'metadata', '');
  if (!metadata) {
    reader.error('missing-field', 'metadata', `${kind} has no metadata`);
    return undefined;
  }
  const name = reader.string(metadata, 'name', 'metadata');
  const namespace = namespaced ? (reader.string(metadata, 'namespace', 'metadata') ?? 'default') : '';
  reader.object = namespaced ? `${kind} ${namespace}/${name ?? '?'}` : `${kind} ${name ?? '?'}`;
  if (name === undefined || name === '') {
    reader.error('missing-field', 'metadata.name', 'name or generateName is required');
    return undefined;
  }
  const nameProblems = kind === 'Namespace' ? checkDns1123Label(name) : checkDns1123Subdomain(name);
  for (const p of nameProblems) reader.error('invalid-value', 'metadata.name', `${quoteValue(name)} is not a valid name: ${p}`);
  if (namespaced) {
    for (const p of checkDns1123Label(namespace)) reader.error('invalid-value', 'metadata.namespace', `${quoteValue(namespace)} is not a valid namespace: ${p}`);
  }
  const labels = validateLabels(reader, reader.stringMap(metadata, 'labels', 'metadata'), 'metadata.labels');
  if (nameProblems.length > 0) return undefined;
  return { name, namespace, labels };
}
