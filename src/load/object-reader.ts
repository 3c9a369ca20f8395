/**
 * Typed access to one untyped Kubernetes object with a field path, collecting a diagnostic
 * (instead of throwing) for each field of the wrong type. Every decoder reads through this so
 * that every message names the file, the document, the object and the field.
 */
import type { Origin } from '../../compiler/model.js';
import { quoteValue, type Diagnostic, type DiagnosticCode, type Severity } from '../diagnostics.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string') return `the string ${quoteValue(value)}`;
  return `${typeof value} ${String(value)}`;
}

export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return base ? `${base}.${key}` : key;
}

export class ObjectReader {
  /** `Kind ns/name`, set once metadata has been read. */
  object: string | null = null;

  constructor(
    readonly origin: Origin | null,
    private readonly sink: Diagnostic[],
  ) {}

  /** Errors this reader has reported. */
  errorCount = 0;

  report(severity: Severity, code: DiagnosticCode, path: string | null, message: string): void {
    if (severity === 'error') this.errorCount++;
    this.sink.push({ severity, code, origin: this.origin, object: this.object, path, message });
  }

  error(code: DiagnosticCode, path: string | null, message: string): void {
    this.report('error', code, path, message);
  }

  warn(code: DiagnosticCode, path: string | null, message: string): void {
    this.report('warning', code, path, message);
  }

  wrongType(path: string, expected: string, value: unknown): void {
    this.error('wrong-type', path, `expected ${expected}, got ${typeName(value)}`);
  }

  /**
   * Reports each key of `value` not in `known`. A misspelt field would otherwise be dropped
   * silently, e.g. `fromm:` turns a rule into "from anywhere"; kubectl's default strict field
   * validation rejects it. Returns false when some key is unknown.
   */
  knownFields(value: JsonObject, path: string, known: readonly string[]): boolean {
    let ok = true;
    for (const key of Object.keys(value)) {
      if (known.includes(key) || value[key] === undefined) continue;
      this.error('unknown-field', path, `unknown field ${quoteValue(key)} (known fields: ${known.join(', ')})`);
      ok = false;
    }
    return ok;
  }

  /** A nested map; absent or null gives undefined, any other type is an error. */
  map(parent: JsonObject, key: string, path: string): JsonObject | undefined {
    const value = parent[key];
    if (value === undefined || value === null) return undefined;
    if (!isJsonObject(value)) {
      this.wrongType(joinPath(path, key), 'a map', value);
      return undefined;
    }
    return value;
  }

  list(parent: JsonObject, key: string, path: string): Json[] | undefined {
    const value = parent[key];
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value)) {
      this.wrongType(joinPath(path, key), 'a list', value);
      return undefined;
    }
    return value;
  }

  string(parent: JsonObject, key: string, path: string): string | undefined {
    const value = parent[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') {
      this.wrongType(joinPath(path, key), 'a string', value);
      return undefined;
    }
    return value;
  }

  boolean(parent: JsonObject, key: string, path: string): boolean | undefined {
    const value = parent[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') {
      this.wrongType(joinPath(path, key), 'true or false', value);
      return undefined;
    }
    return value;
  }

  integer(parent: JsonObject, key: string, path: string): number | undefined {
    const value = parent[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      this.wrongType(joinPath(path, key), 'an integer', value);
      return undefined;
    }
    return value;
  }

  /** A map of string to string (labels). */
  stringMap(parent: JsonObject, key: string, path: string): Record<string, string> {
    const result: Record<string, string> = {};
    const map = this.map(parent, key, path);
    if (!map) return result;
    const mapPath = joinPath(path, key);
    for (const [k, v] of Object.entries(map)) {
      if (typeof v !== 'string') {
        this.wrongType(joinPath(mapPath, k), 'a string', v);
        continue;
      }
      result[k] = v;
    }
    return result;
  }
}
