/**
 * `merge SUMMARY.json…`: per-node or per-chunk replay summaries → one summary of the same shape.
 *
 * Counters add (packets and bytes per category, flows, conntrack counters, rejections, evicted
 * attempts, decapsulated frames, per-rule flows and packets). The top denied flows are the first
 * N of all parts' ranked entries under one total order — most dropped packets, earlier first
 * packet (µs), then part order (as given), then the part's own start order — which restricted to
 * one part is that part's own order, so the union of the parts' top N holds the merged top N
 * (N = the smallest `topN` of the parts). `allowedBy` is recomputed from the per-rule counters
 * (`mergeable.rules`, 0 included), not from the parts' truncated lists.
 *
 * This is exact aggregation of what the parts report. It equals a single replay of all the
 * traffic when the parts partition the flows (`split --by flow`, or per-node captures where each
 * flow was replayed on one node only) and no part's bounded tables overflowed; a flow seen on
 * two nodes is counted by both here — join those with `merge --flows` (merge-flow-logs.ts).
 */
import { PACKET_CATEGORY_COUNT, PACKET_CATEGORY_FIRST_OPTIONAL, PACKET_CATEGORY_NAME } from '../../dataplane/packet-category.js';
import { CT_COUNTER_NAME } from '../../dataplane/conntrack/index.js';
import { TUNNEL_KIND_NAME } from '../../dataplane/decode/index.js';
import { ExitCode, UserError } from '../diagnostics.js';
import type { FlowReport } from './flow-report.js';
import { MERGEABLE_FORMAT, type MergeableSummary } from './mergeable-summary.js';
import type { CaptureInfo, ReplaySummary, RuleUse } from './summarize.js';

export interface SummaryPart {
  /** What the part is called in messages and in `merged.parts` (its file name). */
  readonly name: string;
  readonly summary: ReplaySummary & { readonly mergeable: MergeableSummary };
}

export interface MergedSummary extends ReplaySummary {
  readonly mergeable: MergeableSummary;
  readonly merged: { readonly parts: readonly { readonly name: string; readonly source: string; readonly records: number }[] };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A parsed JSON value → a summary part, or a UserError naming the file and what is missing. */
export function readSummaryPart(name: string, value: unknown): SummaryPart {
  const fail = (what: string): never => {
    throw new UserError(`merge: ${name}: ${what}`, ExitCode.INVALID_INPUT);
  };
  if (!isObject(value)) return fail('not a replay summary (expected the JSON object `replay -o json` prints)');
  for (const key of ['capture', 'packets', 'bytes', 'flows', 'conntrack'] as const) if (!isObject(value[key])) fail(`not a replay summary: no "${key}" object`);
  for (const key of ['topDenied', 'allowedBy'] as const) if (!Array.isArray(value[key])) fail(`not a replay summary: no "${key}" list`);
  const m = value['mergeable'];
  if (!isObject(m)) return fail('has no "mergeable" section (written by an older netpol-emu? replay again with this version)');
  if (m['format'] !== MERGEABLE_FORMAT) fail(`"mergeable.format" is ${JSON.stringify(m['format'])}; this version reads format ${MERGEABLE_FORMAT}`);
  const rank = m['deniedRank'];
  if (!Array.isArray(rank) || rank.length !== (value['topDenied'] as unknown[]).length) fail('"mergeable.deniedRank" must have one entry per "topDenied" entry');
  if (!(rank as unknown[]).every((k) => Array.isArray(k) && k.length === 3 && k.every((n) => typeof n === 'number'))) fail('"mergeable.deniedRank" entries must be [dropped, firstSeenUs, seq] numbers');
  if (!Array.isArray(m['rules'])) fail('"mergeable.rules" must be a list');
  const topN = m['topN'];
  if (typeof topN !== 'number' || topN < 0) fail('"mergeable.topN" must be a non-negative number');
  return { name, summary: value as unknown as SummaryPart['summary'] };
}

/** Sums `key` of every record, listing names in `order` first (as replay does), then any others. */
function addCounters(records: readonly Readonly<Record<string, number>>[], order: readonly string[], keep: (name: string, index: number, sum: number) => boolean): Record<string, number> {
  const sums = new Map<string, number>();
  for (const r of records) for (const [k, v] of Object.entries(r)) sums.set(k, (sums.get(k) ?? 0) + v);
  const out: Record<string, number> = {};
  order.forEach((name, i) => {
    const sum = sums.get(name) ?? 0;
    if (keep(name, i, sum)) out[name] = sum;
    sums.delete(name);
  });
  for (const [k, v] of sums) if (v !== 0) out[k] = v;
  return out;
}

function mergeCapture(parts: readonly SummaryPart[]): CaptureInfo {
  const captures = parts.map((p) => p.summary.capture);
  const formats = new Set(captures.map((c) => c.format));
  const broken = captures.find((c) => c.end !== 'complete');
  const firsts = captures.map((c) => c.firstPacket).filter((t): t is string => t !== null).sort();
  const lasts = captures.map((c) => c.lastPacket).filter((t): t is string => t !== null).sort();
  return {
    source: captures.map((c) => c.source).join(', '),
    format: formats.size === 1 ? (captures[0]?.format ?? null) : 'mixed',
    linkTypes: [...new Set(captures.flatMap((c) => c.linkTypes))].sort((a, b) => a - b),
    records: captures.reduce((n, c) => n + c.records, 0),
    bytesRead: captures.reduce((n, c) => n + c.bytesRead, 0),
    end: broken ? broken.end : 'complete',
    message: broken ? `${broken.source}: ${broken.message ?? broken.end}` : null,
    byteOffset: captures.reduce((n, c) => n + c.byteOffset, 0),
    firstPacket: firsts[0] ?? null,
    lastPacket: lasts[lasts.length - 1] ?? null,
  };
}

interface RankedEntry {
  readonly dropped: number;
  readonly firstSeenUs: number;
  readonly part: number;
  readonly seq: number;
  readonly report: FlowReport;
}

function rankOrder(a: RankedEntry, b: RankedEntry): number {
  return b.dropped - a.dropped || a.firstSeenUs - b.firstSeenUs || a.part - b.part || a.seq - b.seq;
}

/** The parts merged; `top` (at most the parts' smallest topN) caps the denied flows listed. */
export function mergeSummaries(parts: readonly SummaryPart[], top?: number): MergedSummary {
  const first = parts[0];
  if (!first) throw new UserError('merge: no summaries given', ExitCode.USAGE);
  for (const p of parts) {
    if (p.summary.engine !== first.summary.engine) throw new UserError(`merge: ${p.name} was replayed with engine ${p.summary.engine}, ${first.name} with ${first.summary.engine}: merge results of one engine`, ExitCode.INVALID_INPUT);
    if (p.summary.profile !== first.summary.profile) throw new UserError(`merge: ${p.name} was replayed with CNI profile ${p.summary.profile}, ${first.name} with ${first.summary.profile}: merge results of one profile`, ExitCode.INVALID_INPUT);
  }
  const summaries = parts.map((p) => p.summary);
  const categories = PACKET_CATEGORY_NAME.slice(0, PACKET_CATEGORY_COUNT);
  const keepCategory = (_: string, i: number, sum: number): boolean => i < PACKET_CATEGORY_FIRST_OPTIONAL || sum !== 0;
  const packets = { total: 0, ...addCounters(summaries.map(({ packets: { total, ...rest } }) => rest), categories, keepCategory) } as Record<string, number> & { total: number };
  const bytes = { total: 0, ...addCounters(summaries.map(({ bytes: { total, ...rest } }) => rest), categories, keepCategory) } as Record<string, number> & { total: number };
  for (const [k, v] of Object.entries(packets)) if (k !== 'total') packets.total += v;
  for (const [k, v] of Object.entries(bytes)) if (k !== 'total') bytes.total += v;

  const topN = Math.min(top ?? Infinity, ...summaries.map((s) => s.mergeable.topN));
  const ranked: RankedEntry[] = parts.flatMap((p, part) =>
    p.summary.topDenied.map((report, i) => {
      const [dropped, firstSeenUs, seq] = p.summary.mergeable.deniedRank[i] as readonly [number, number, number];
      return { dropped, firstSeenUs, part, seq, report };
    }),
  );
  const topDenied = ranked.sort(rankOrder).slice(0, topN);

  const ruleSums = new Map<string, { flows: number; packets: number }>();
  for (const s of summaries) {
    for (const r of s.mergeable.rules) {
      const use = ruleSums.get(r.rule) ?? { flows: 0, packets: 0 };
      use.flows += r.flows;
      use.packets += r.packets;
      ruleSums.set(r.rule, use);
    }
  }
  const rules: RuleUse[] = [...ruleSums.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([rule, use]) => ({ rule, ...use }));
  // The same order as FlowSummary.allowedBy: packets, then rule text.
  const allowedBy = rules.filter((r) => r.flows > 0).sort((a, b) => b.packets - a.packets || (a.rule < b.rule ? -1 : 1));

  const withTimeline = summaries.find((s) => s.timeline);
  const evicted = summaries.reduce((n, s) => n + (s.deniedFlowsEvicted ?? 0), 0);
  const decapsulated = addCounters(summaries.map((s) => s.decapsulated ?? {}), TUNNEL_KIND_NAME, (_, __, sum) => sum !== 0);
  return {
    capture: mergeCapture(parts),
    engine: first.summary.engine,
    profile: first.summary.profile,
    rejectsSent: summaries.reduce((n, s) => n + s.rejectsSent, 0),
    packets,
    bytes,
    flows: { allowed: summaries.reduce((n, s) => n + s.flows.allowed, 0), denied: summaries.reduce((n, s) => n + s.flows.denied, 0) },
    topDenied: topDenied.map((e) => e.report),
    allowedBy,
    conntrack: addCounters(summaries.map((s) => s.conntrack), CT_COUNTER_NAME, (_, __, sum) => sum !== 0),
    // Every part replays the same --timeline: its events are listed once (the first part's times).
    ...(withTimeline?.timeline ? { timeline: withTimeline.timeline, verdictChanges: summaries.reduce((n, s) => n + (s.verdictChanges ?? 0), 0) } : {}),
    ...(evicted > 0 ? { deniedFlowsEvicted: evicted } : {}),
    ...(Object.keys(decapsulated).length ? { decapsulated } : {}),
    mergeable: {
      format: MERGEABLE_FORMAT,
      topN: Number.isFinite(topN) ? topN : 0,
      // Start order across parts is the rank itself: a later merge keeps this part's order.
      deniedRank: topDenied.map((e, i) => [e.dropped, e.firstSeenUs, i] as const),
      rules,
    },
    merged: { parts: parts.map((p) => ({ name: p.name, source: p.summary.capture.source, records: p.summary.capture.records })) },
  };
}
