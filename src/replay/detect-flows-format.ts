/**
 * `--flows-in FILE`: which flow format the file is in, from its first non-blank line — a Hubble
 * export (a GetFlowsResponse / ExportEvent wrapper, or a bare flow object) or the project's own
 * JSONL flow lines (docs/jsonl-flow-format.md). Reads at most DETECT_BYTES; a file it cannot
 * read or tell is left to the JSONL reader, whose error names the line and field.
 */
import { closeSync, openSync, readSync } from 'node:fs';

export type FlowsFormat = 'hubble' | 'netpol';

const DETECT_BYTES = 1 << 20;

/** Top-level keys only a Hubble line has (observer.proto wrappers, flow.proto Flow). */
const HUBBLE_KEYS = ['flow', 'lost_events', 'agent_event', 'debug_event', 'node_status', 'IP', 'l4', 'verdict', 'event_type', 'Type', 'trace_observation_point'];

/** The format of one line's JSON object, or null when the line says neither. */
export function formatOfLine(text: string): FlowsFormat | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // A first line longer than DETECT_BYTES is cut: look at its keys as text.
    return /^\s*\{\s*"(flow|lost_events|agent_event|debug_event|node_status)"\s*:/.test(text) ? 'hubble' : null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const keys = Object.keys(value);
  if (keys.some((k) => HUBBLE_KEYS.includes(k))) return 'hubble';
  return 'netpol';
}

/** The format of `path`, judged from its first non-blank line ('netpol' when it cannot tell). */
export function detectFlowsFormat(path: string): FlowsFormat {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return 'netpol';
  }
  try {
    const buf = Buffer.allocUnsafe(DETECT_BYTES);
    let length = 0;
    try {
      length = readSync(fd, buf, 0, DETECT_BYTES, 0);
    } catch {
      return 'netpol';
    }
    const text = buf.toString('utf8', 0, length);
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      return formatOfLine(line) ?? 'netpol';
    }
    return 'netpol';
  } finally {
    closeSync(fd);
  }
}
