/**
 * Diagnostics and exit codes: the one error vocabulary of the edge. Loaders collect every
 * problem they find instead of stopping at the first; the CLI prints each as one line and maps
 * the worst to an exit code. Bugs are not diagnostics: they stay exceptions with a stack.
 */
import type { Origin } from '../compiler/model.js';

/** Documented in the README ("Exit codes") and in every command's --help. */
export const ExitCode = {
  OK: 0,
  /** `query`: the flow is denied. */
  DENIED: 1,
  /** Bad command line: unknown flag, missing argument, bad value. */
  USAGE: 2,
  /** Manifests (or a live cluster's objects) are malformed or invalid. */
  INVALID_INPUT: 3,
  /** A capture could not be read completely. */
  CAPTURE_ERROR: 4,
  /** The live cluster could not be read (kubeconfig, network, TLS, RBAC). */
  CLUSTER_ACCESS: 5,
  /** A bug in netpol-emu: printed with a stack trace. */
  INTERNAL: 70,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export const DIAGNOSTIC_CODES = [
  'read-failed',
  'no-input',
  'yaml-syntax',
  'not-an-object',
  'missing-field',
  'wrong-type',
  'unknown-field',
  'invalid-value',
  'unsupported-value',
  'duplicate-object',
  'duplicate-ip',
  'skipped-kind',
  'masked-cidr',
  'legacy-cidr',
  'implicit-namespace',
  'ignored-pod',
  /** A `-f` object replaced the live object of the same kind, namespace and name. */
  'overridden-object',
  /** Only part of the live cluster could be read (`-n`, or namespaces not listable). */
  'limited-scope',
  /** Two Admin-tier policies with one priority select a common pod: their order is undefined upstream. */
  'ambiguous-priority',
  /** A field accepted but not emulated (ClusterNetworkPolicy `domainNames`). */
  'not-emulated',
  /** An admin policy peer with no known field: it fails closed (SEMANTICS.md §5.1). */
  'fail-closed-peer',
] as const;
export type DiagnosticCode = (typeof DIAGNOSTIC_CODES)[number];

export type Severity = 'error' | 'warning' | 'info';

export interface Diagnostic {
  readonly severity: Severity;
  readonly code: DiagnosticCode;
  readonly origin: Origin | null;
  /** `Kind namespace/name` of the object concerned, when known. */
  readonly object: string | null;
  /** Field path inside the object, e.g. `spec.ingress[0].from[1].ipBlock.cidr`. */
  readonly path: string | null;
  /** One sentence naming the problem and quoting the bad value. */
  readonly message: string;
  /** 1-based line in the source file, for syntax errors. */
  readonly line?: number;
}

/** `file: document 3 (NetworkPolicy ns/name): spec.x: message` */
export function formatDiagnostic(d: Diagnostic): string {
  const parts: string[] = [];
  if (d.origin) {
    let where = d.origin.source;
    if (d.line !== undefined) where += `:${d.line}`;
    parts.push(where);
    let doc = `document ${d.origin.document}`;
    if (d.origin.itemPath) doc += ` ${d.origin.itemPath}`;
    if (d.object) doc += ` (${d.object})`;
    parts.push(doc);
  } else if (d.object) {
    parts.push(d.object);
  }
  if (d.path) parts.push(d.path);
  parts.push(d.message);
  return parts.join(': ');
}

/** A user mistake detected outside the loaders (bad flag, unknown pod name...). */
export class UserError extends Error {
  readonly exitCode: ExitCode;
  constructor(message: string, exitCode: ExitCode = ExitCode.USAGE) {
    super(message);
    this.name = 'UserError';
    this.exitCode = exitCode;
  }
}

/** The input could not be loaded: carries every diagnostic that was collected. */
export class InvalidInputError extends Error {
  readonly diagnostics: readonly Diagnostic[];
  constructor(diagnostics: readonly Diagnostic[]) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    super(`${errors.length} error(s) in the input`);
    this.name = 'InvalidInputError';
    this.diagnostics = diagnostics;
  }
}

/** JSON-ish rendering of a bad value for messages: strings quoted, objects abbreviated. */
export function quoteValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
