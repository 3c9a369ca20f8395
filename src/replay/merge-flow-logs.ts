/**
 * `merge --flows A.jsonl B.jsonl…`: per-node or per-chunk flow logs (`replay --flows`) → one log
 * in which a connection seen on several parts — a pod-to-pod flow crosses the source node
 * (egress) and the destination node (ingress) — is one line with every side's verdict, and the
 * flow half of the summary (flows allowed/denied, top denied flows, rules that allowed traffic)
 * recomputed from the joined flows.
 *
 * Joining: lines of different parts are the same connection when they have the same address and
 * port pair, either way round (ICMP: the address pair and echo id), the same protocol, and their
 * [firstSeen, lastSeen] spans, widened by `windowUs`, overlap; a part contributes at most one line
 * to a connection (two lines of one part are two connections, as the replay said). The joined
 * line is the deciding side's line — the first denying part's, else the earliest part's — with
 * packets and bytes the largest any side counted (the same packets seen at two capture points
 * are one packet), the earliest firstSeen and latest lastSeen, and `seenOn`: each side's part,
 * verdict, reason and rule. Every flow is kept in memory until the end (like `diff`).
 */
import { accessSync, constants, createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { ExitCode, UserError } from '../diagnostics.js';
import type { FlowReport } from './flow-report.js';
import type { RuleUse } from './summarize.js';

export interface FlowSide {
  readonly part: string;
  readonly verdict: 'allowed' | 'denied';
  readonly reason: string;
  readonly rule: string | null;
}

export type JoinedFlow = FlowReport & { readonly seenOn: readonly FlowSide[] };

export interface FlowLogPart {
  readonly name: string;
  readonly file: string;
  readonly flows: readonly FlowReport[];
}

export interface FlowLogSummary {
  readonly parts: readonly { readonly name: string; readonly file: string; readonly flows: number }[];
  readonly flows: { readonly allowed: number; readonly denied: number };
  /** Connections seen on more than one part, and how many of those the parts judged differently. */
  readonly joined: { readonly flows: number; readonly verdictsDiffer: number };
  readonly topDenied: readonly JoinedFlow[];
  readonly allowedBy: readonly RuleUse[];
}

/** Default join window: clocks of two nodes' captures and the path between them differ by less. */
export const DEFAULT_JOIN_WINDOW_US = 1_000_000;

const ISO_US = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})(\d{3})Z$/;

/** An ISO time as flow lines print it → µs since the epoch (the summary's ranking key, flow-summary.ts). */
export function isoToMicros(text: string): number {
  const m = ISO_US.exec(text);
  if (m) return Date.parse(`${m[1]}Z`) * 1000 + Number(m[2]);
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? Number.NaN : ms * 1000;
}

function isFlowReport(v: unknown): v is FlowReport {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o['src'] === 'string' && typeof o['dst'] === 'string' && typeof o['protocol'] === 'string' && (o['verdict'] === 'allowed' || o['verdict'] === 'denied') &&
    typeof o['firstSeen'] === 'string' && typeof o['lastSeen'] === 'string' && typeof o['packets'] === 'object' && typeof o['bytes'] === 'object';
}

/** Reads one flow log, line by line (a bad line is an error naming the file and line). */
export async function readFlowLog(file: string, name: string): Promise<FlowLogPart> {
  const flows: FlowReport[] = [];
  try {
    accessSync(file, constants.R_OK);
  } catch (error) {
    throw new UserError(`merge: cannot read ${file}: ${(error as Error).message}`, ExitCode.USAGE);
  }
  const stream = createReadStream(file, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const line of lines) {
      n++;
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        throw new UserError(`merge: ${file}: line ${n}: not JSON`, ExitCode.INVALID_INPUT);
      }
      if (!isFlowReport(value) || Number.isNaN(isoToMicros(value.firstSeen)) || Number.isNaN(isoToMicros(value.lastSeen))) {
        throw new UserError(`merge: ${file}: line ${n}: not a flow line of 'replay --flows' (src, dst, protocol, verdict, packets, bytes, firstSeen, lastSeen)`, ExitCode.INVALID_INPUT);
      }
      flows.push(value);
    }
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`merge: cannot read ${file}: ${(error as Error).message}`, ExitCode.INVALID_INPUT);
  } finally {
    stream.destroy();
  }
  return { name, file, flows };
}

/** The connection key, the same whichever end a part saw first. */
function connectionKey(f: FlowReport): string {
  if (f.sport === null || f.dport === null) {
    const [a, b] = f.src < f.dst ? [f.src, f.dst] : [f.dst, f.src];
    return `${f.protocol}|${a}|${b}|${f.icmpId ?? ''}`;
  }
  const x = `${f.src}|${f.sport}`;
  const y = `${f.dst}|${f.dport}`;
  return x < y ? `${f.protocol}|${x}|${y}` : `${f.protocol}|${y}|${x}`;
}

interface Item {
  readonly part: number;
  readonly index: number;
  readonly flow: FlowReport;
  readonly start: number;
  readonly end: number;
}

interface Group {
  readonly items: Item[];
  end: number;
}

function max(a: number, b: number): number {
  return a > b ? a : b;
}

function joinGroup(items: readonly Item[], names: readonly string[]): JoinedFlow {
  const byTime = [...items].sort((a, b) => a.start - b.start || a.part - b.part);
  const byPart = [...items].sort((a, b) => a.part - b.part);
  const earliest = byTime[0] as Item;
  const deciding = byPart.find((i) => i.flow.verdict === 'denied') ?? earliest;
  const d = deciding.flow;
  const e = earliest.flow;
  const latest = byTime.reduce((a, b) => (b.end > a.end ? b : a));
  return {
    ...d,
    // The orientation (who sent first) is the earliest side's.
    src: e.src,
    sport: e.sport,
    dst: e.dst,
    dport: e.dport,
    srcPod: e.srcPod,
    dstPod: e.dstPod,
    packets: {
      forward: items.reduce((n, i) => max(n, i.flow.packets.forward), 0),
      reply: items.reduce((n, i) => max(n, i.flow.packets.reply), 0),
      dropped: items.reduce((n, i) => max(n, i.flow.packets.dropped), 0),
    },
    bytes: { forward: items.reduce((n, i) => max(n, i.flow.bytes.forward), 0), reply: items.reduce((n, i) => max(n, i.flow.bytes.reply), 0) },
    firstSeen: e.firstSeen,
    lastSeen: latest.flow.lastSeen,
    seenOn: byPart.map((i) => ({ part: names[i.part] as string, verdict: i.flow.verdict, reason: i.flow.reason, rule: i.flow.rule })),
  };
}

/** The parts' flows joined, in order of first packet (then part order, then each part's line order). */
export function joinFlowLogs(parts: readonly FlowLogPart[], windowUs = DEFAULT_JOIN_WINDOW_US): JoinedFlow[] {
  const byKey = new Map<string, Item[]>();
  parts.forEach((p, part) =>
    p.flows.forEach((flow, index) => {
      const key = connectionKey(flow);
      const item: Item = { part, index, flow, start: isoToMicros(flow.firstSeen), end: isoToMicros(flow.lastSeen) };
      const list = byKey.get(key);
      if (list) list.push(item);
      else byKey.set(key, [item]);
    }),
  );
  const names = parts.map((p) => p.name);
  const joined: { readonly first: Item; readonly flow: JoinedFlow }[] = [];
  for (const items of byKey.values()) {
    items.sort((a, b) => a.start - b.start || a.part - b.part || a.index - b.index);
    const groups: Group[] = [];
    for (const item of items) {
      // The earliest still-open connection this part has not contributed to.
      const group = groups.find((g) => item.start <= g.end + windowUs && !g.items.some((i) => i.part === item.part));
      if (group) {
        group.items.push(item);
        group.end = max(group.end, item.end);
      } else {
        groups.push({ items: [item], end: item.end });
      }
    }
    for (const g of groups) joined.push({ first: g.items[0] as Item, flow: joinGroup(g.items, names) });
  }
  joined.sort((a, b) => a.first.start - b.first.start || a.first.part - b.first.part || a.first.index - b.first.index);
  return joined.map((j) => j.flow);
}

/** The flow half of a replay summary, from joined flows (the same orders as flow-summary.ts). */
export function summarizeFlowLogs(parts: readonly FlowLogPart[], flows: readonly JoinedFlow[], topN: number): FlowLogSummary {
  let allowed = 0;
  let denied = 0;
  let joined = 0;
  let differ = 0;
  const rules = new Map<string, { flows: number; packets: number }>();
  const ranked: { readonly dropped: number; readonly first: number; readonly order: number; readonly flow: JoinedFlow }[] = [];
  flows.forEach((f, order) => {
    if (f.seenOn.length > 1) {
      joined++;
      if (f.seenOn.some((s) => s.verdict !== f.seenOn[0]?.verdict || s.reason !== f.seenOn[0]?.reason)) differ++;
    }
    if (f.verdict === 'denied') {
      denied++;
      ranked.push({ dropped: f.packets.dropped, first: isoToMicros(f.firstSeen), order, flow: f });
      return;
    }
    allowed++;
    const packets = f.packets.forward + f.packets.reply;
    for (const rule of [f.egressRule, f.ingressRule]) {
      if (rule === null) continue;
      const use = rules.get(rule) ?? { flows: 0, packets: 0 };
      use.flows++;
      use.packets += packets;
      rules.set(rule, use);
    }
  });
  ranked.sort((a, b) => b.dropped - a.dropped || a.first - b.first || a.order - b.order);
  return {
    parts: parts.map((p) => ({ name: p.name, file: p.file, flows: p.flows.length })),
    flows: { allowed, denied },
    joined: { flows: joined, verdictsDiffer: differ },
    topDenied: ranked.slice(0, topN).map((r) => r.flow),
    allowedBy: [...rules.entries()].map(([rule, use]) => ({ rule, ...use })).sort((a, b) => b.packets - a.packets || (a.rule < b.rule ? -1 : 1)),
  };
}

function endpoint(pod: string | null, address: string, port: number | null): string {
  const where = port === null ? address : address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
  return pod ? `${pod} ${where}` : where;
}

/** The text form: the same lines as the replay summary's flow half (summarize.ts formatSummary). */
export function formatFlowLogSummary(s: FlowLogSummary): string {
  const out: string[] = [];
  out.push(`Merged ${s.parts.length} flow logs: ${s.parts.map((p) => `${p.name} (${p.flows} flows)`).join(', ')}`);
  out.push('');
  out.push(`flows: ${s.flows.allowed} allowed, ${s.flows.denied} denied`);
  out.push(`seen on more than one part (joined): ${s.joined.flows}; the parts' verdicts differ on ${s.joined.verdictsDiffer}`);
  if (s.topDenied.length > 0) {
    out.push('', 'top denied flows:');
    for (const f of s.topDenied) {
      const why = f.isolatedBy.length ? `${f.reason} (isolated by ${f.isolatedBy.join(', ')})` : f.reason;
      const what = f.icmpId !== undefined ? `${f.protocol} id ${f.icmpId}` : f.protocol;
      out.push(`  ${endpoint(f.srcPod, f.src, f.sport)} -> ${endpoint(f.dstPod, f.dst, f.dport)} ${what}: ${f.packets.dropped} packets dropped; ${why}`);
    }
  }
  if (s.allowedBy.length > 0) {
    out.push('', 'rules that allowed traffic:');
    for (const use of s.allowedBy) out.push(`  ${use.rule}: ${use.flows} flow${use.flows === 1 ? '' : 's'}, ${use.packets} packets`);
  }
  return `${out.join('\n')}\n`;
}
