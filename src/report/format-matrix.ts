/** Renderings of a reachability matrix: truth table, JSON, CSV, Markdown. */
import { protocolName } from '../replay/name-protocol.js';
import type { ReachabilityMatrix } from './compute-matrix.js';

const podId = (pod: { namespace: string; name: string }): string => `${pod.namespace}/${pod.name}`;

export const MATRIX_FORMATS = ['table', 'json', 'csv', 'md'] as const;
export type MatrixFormat = (typeof MATRIX_FORMATS)[number];

export function matrixJson(matrix: ReachabilityMatrix): object {
  const names = matrix.pods.map(podId);
  return {
    pods: names,
    probes: matrix.probes.map(({ probe, allowed }) => ({
      port: probe.port,
      protocol: protocolName(probe.protocol),
      matrix: Object.fromEntries(names.map((from, i) => [from, Object.fromEntries(names.map((to, j) => [to, allowed[i]?.[j] ?? false]))])),
    })),
  };
}

/** The familiar truth table: `.` allowed, `X` denied; rows = from, columns = to (numbered). */
export function matrixTable(matrix: ReachabilityMatrix): string {
  const names = matrix.pods.map(podId);
  const width = String(Math.max(names.length - 1, 0)).length;
  const labelWidth = Math.max(4, ...names.map((n) => n.length)) + width + 1;
  const out: string[] = [];
  for (const { probe, allowed } of matrix.probes) {
    out.push(`${probe.label}  (rows: from, columns: to; . allowed, X denied)`);
    const header = names.map((_, j) => String(j).padStart(width)).join(' ');
    out.push(`${''.padEnd(labelWidth)}  ${header}`);
    names.forEach((name, i) => {
      const cells = names.map((_, j) => ((allowed[i]?.[j] ?? false) ? '.' : 'X').padStart(width)).join(' ');
      out.push(`${`${String(i).padStart(width)} ${name}`.padEnd(labelWidth)}  ${cells}`);
    });
    out.push('');
  }
  return `${out.join('\n')}`;
}

function csvField(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One row per cell: from,to,port,protocol,allowed. */
export function matrixCsv(matrix: ReachabilityMatrix): string {
  const names = matrix.pods.map(podId);
  const rows = ['from,to,port,protocol,allowed'];
  for (const { probe, allowed } of matrix.probes) {
    names.forEach((from, i) =>
      names.forEach((to, j) => rows.push([csvField(from), csvField(to), String(probe.port), protocolName(probe.protocol), String(allowed[i]?.[j] ?? false)].join(','))),
    );
  }
  return `${rows.join('\n')}\n`;
}

export function matrixMarkdown(matrix: ReachabilityMatrix): string {
  const names = matrix.pods.map(podId);
  const out: string[] = [];
  for (const { probe, allowed } of matrix.probes) {
    out.push(`### ${probe.label}`, '', `| from \\ to | ${names.map((_, j) => String(j)).join(' | ')} |`, `|---|${names.map(() => ':-:').join('|')}|`);
    names.forEach((name, i) => out.push(`| ${i} \`${name}\` | ${names.map((_, k) => ((allowed[i]?.[k] ?? false) ? '✓' : '✗')).join(' | ')} |`));
    out.push('');
  }
  return `${out.join('\n')}`;
}
