/**
 * `--timeline FILE`: changes to apply to the cluster while a capture replays (SEMANTICS.md §1.2,
 * "NetworkPolicy's impact on existing connections"). A YAML file:
 *
 *   events:
 *   - at: 2.5                      # seconds after the first packet; also "+250ms", "+2s", "+1m",
 *                                  # or an absolute time "2026-11-21T05:13:00.5Z"
 *     apply: {kind: NetworkPolicy, ...}   # create or replace a NetworkPolicy, Pod, Namespace,
 *                                         # AdminNetworkPolicy, BaselineAdminNetworkPolicy or
 *                                         # ClusterNetworkPolicy (those three rebuild the cluster)
 *   - at: +3s
 *     delete: {kind: Pod, namespace: app1-ns, name: frontend-7c9d5}
 *   - at: +4s
 *     label: {kind: Namespace, name: app1-ns, set: {team: x}, remove: [app]}
 *
 * Every problem is a diagnostic naming the file and the event's field, like manifest errors.
 */
import { readFileSync } from 'node:fs';
import { yamlModule } from '../load/lazy-yaml.js';
import { InvalidInputError, quoteValue, type Diagnostic } from '../diagnostics.js';
import { isJsonObject, typeName, type JsonObject } from '../load/object-reader.js';

export type EventTime = { readonly relative: true; readonly seconds: number } | { readonly relative: false; readonly seconds: number };

export interface ObjectRef {
  readonly kind: TimelineKind;
  readonly namespace: string;
  readonly name: string;
}

export type TimelineChange =
  | { readonly type: 'apply'; readonly object: JsonObject }
  | { readonly type: 'delete'; readonly ref: ObjectRef }
  | { readonly type: 'label'; readonly ref: ObjectRef; readonly set: Readonly<Record<string, string>>; readonly remove: readonly string[] };

export interface TimelineEvent {
  readonly index: number;
  readonly at: EventTime;
  readonly change: TimelineChange;
  /** One line for reports: "apply NetworkPolicy app1-ns/x". */
  readonly description: string;
}

const KINDS = ['NetworkPolicy', 'Pod', 'Namespace', 'AdminNetworkPolicy', 'BaselineAdminNetworkPolicy', 'ClusterNetworkPolicy'] as const;
export type TimelineKind = (typeof KINDS)[number];

/** Kinds without a namespace: Namespace and the cluster-scoped policies. */
export function isClusterScopedKind(kind: string): boolean {
  return kind === 'Namespace' || kind === 'AdminNetworkPolicy' || kind === 'BaselineAdminNetworkPolicy' || kind === 'ClusterNetworkPolicy';
}

export function parseEventTime(value: unknown): EventTime | string {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return { relative: true, seconds: value };
  if (typeof value !== 'string') return `must be seconds after the first packet, "+2s", "+250ms" or an ISO time, got ${typeName(value)}`;
  const relative = /^\+?(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value.trim());
  if (relative) {
    const n = Number(relative[1]);
    const unit = relative[2] ?? 's';
    return { relative: true, seconds: unit === 'ms' ? n / 1000 : unit === 'm' ? n * 60 : n };
  }
  const absolute = Date.parse(value);
  if (!Number.isNaN(absolute) && /\d{4}-\d{2}-\d{2}T/.test(value)) {
    const fraction = /\.(\d+)/.exec(value)?.[1] ?? '';
    // Date.parse keeps milliseconds only; keep the digits below them too.
    return { relative: false, seconds: Math.floor(absolute / 1000) + Number(`0.${fraction || '0'}`) };
  }
  return `${quoteValue(value)} is not a time: use seconds after the first packet (2.5), "+250ms", "+2s", "+1m" or an ISO time`;
}

function readRef(value: unknown, path: string, problems: (path: string, message: string) => void): ObjectRef | null {
  if (!isJsonObject(value)) {
    problems(path, `expected {kind, namespace, name}, got ${typeName(value)}`);
    return null;
  }
  const kind = value['kind'];
  const name = value['name'];
  const namespace = value['namespace'];
  if (typeof kind !== 'string' || !(KINDS as readonly string[]).includes(kind)) {
    problems(`${path}.kind`, `must be one of ${KINDS.join(', ')}, got ${typeName(kind)}`);
    return null;
  }
  if (typeof name !== 'string' || name === '') {
    problems(`${path}.name`, 'Required value');
    return null;
  }
  if (!isClusterScopedKind(kind) && namespace !== undefined && typeof namespace !== 'string') {
    problems(`${path}.namespace`, `expected a string, got ${typeName(namespace)}`);
    return null;
  }
  return { kind: kind as ObjectRef['kind'], name, namespace: isClusterScopedKind(kind) ? '' : typeof namespace === 'string' ? namespace : 'default' };
}

function refText(ref: ObjectRef): string {
  return isClusterScopedKind(ref.kind) ? `${ref.kind} ${ref.name}` : `${ref.kind} ${ref.namespace}/${ref.name}`;
}

export function parseTimeline(source: string, text: string): TimelineEvent[] {
  const diagnostics: Diagnostic[] = [];
  const problem = (path: string | null, message: string): void => {
    diagnostics.push({ severity: 'error', code: 'invalid-value', origin: { source, document: 1, itemPath: '' }, object: 'timeline', path, message });
  };
  const doc = yamlModule().parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) problem(null, `YAML syntax error: ${e.message.split('\n')[0]}`);
    throw new InvalidInputError(diagnostics);
  }
  const root: unknown = doc.toJS();
  const events: TimelineEvent[] = [];
  const list = isJsonObject(root) ? root['events'] : undefined;
  if (!Array.isArray(list)) {
    problem('events', `a timeline is a map with a list "events", got ${typeName(isJsonObject(root) ? list : root)}`);
    throw new InvalidInputError(diagnostics);
  }
  list.forEach((entry, index) => {
    const path = `events[${index}]`;
    if (!isJsonObject(entry)) return problem(path, `expected a map, got ${typeName(entry)}`);
    const at = parseEventTime(entry['at']);
    if (typeof at === 'string') return problem(`${path}.at`, at);
    const verbs = ['apply', 'delete', 'label'].filter((v) => entry[v] !== undefined);
    if (verbs.length !== 1) return problem(path, `needs exactly one of apply, delete, label; got ${verbs.length ? verbs.join(', ') : 'none'}`);
    const verb = verbs[0] as 'apply' | 'delete' | 'label';
    const body = entry[verb];
    if (verb === 'apply') {
      if (!isJsonObject(body) || typeof body['kind'] !== 'string' || !(KINDS as readonly string[]).includes(body['kind'])) {
        return problem(`${path}.apply`, `must be a ${KINDS.slice(0, -1).join(', ')} or ${KINDS[KINDS.length - 1]} manifest, got ${typeName(isJsonObject(body) ? body['kind'] : body)}`);
      }
      const meta = isJsonObject(body['metadata']) ? body['metadata'] : {};
      const name = typeof meta['name'] === 'string' ? meta['name'] : '?';
      const ns = typeof meta['namespace'] === 'string' ? meta['namespace'] : 'default';
      events.push({ index, at, change: { type: 'apply', object: body }, description: `apply ${body['kind']} ${isClusterScopedKind(body['kind']) ? name : `${ns}/${name}`}` });
      return;
    }
    const ref = readRef(body, `${path}.${verb}`, problem);
    if (!ref) return;
    if (verb === 'delete') {
      events.push({ index, at, change: { type: 'delete', ref }, description: `delete ${refText(ref)}` });
      return;
    }
    const labelBody = body as JsonObject;
    if (ref.kind !== 'Pod' && ref.kind !== 'Namespace') return problem(`${path}.label.kind`, 'label changes apply to Pods and Namespaces');
    const set: Record<string, string> = {};
    const setRaw = labelBody['set'];
    if (setRaw !== undefined && !isJsonObject(setRaw)) return problem(`${path}.label.set`, `expected a map of labels, got ${typeName(setRaw)}`);
    for (const [k, v] of Object.entries(setRaw ?? {})) {
      if (typeof v !== 'string') return problem(`${path}.label.set.${k}`, `expected a string, got ${typeName(v)}`);
      set[k] = v;
    }
    const removeRaw = labelBody['remove'] ?? [];
    if (!Array.isArray(removeRaw) || removeRaw.some((k) => typeof k !== 'string')) return problem(`${path}.label.remove`, 'expected a list of label keys');
    const changes = [...Object.entries(set).map(([k, v]) => `${k}=${v}`), ...(removeRaw as string[]).map((k) => `-${k}`)].join(', ');
    events.push({ index, at, change: { type: 'label', ref, set, remove: removeRaw as string[] }, description: `label ${refText(ref)} ${changes}` });
  });
  if (diagnostics.length > 0) throw new InvalidInputError(diagnostics);
  return events;
}

export function loadTimeline(path: string): TimelineEvent[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new InvalidInputError([{ severity: 'error', code: 'read-failed', origin: null, object: null, path: null, message: `${path}: ${code === 'ENOENT' ? 'no such file or directory' : (error as Error).message}` }]);
  }
  return parseTimeline(path, text);
}
