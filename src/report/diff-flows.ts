/**
 * Compare two replays of the same capture flow by flow. Flows are matched by their 5-tuple taken
 * in either direction (a side may see the reply direction first when it denied the original)
 * and by occurrence, so a reused port pairs up in order.
 */
import type { FlowReport } from '../replay/flow-report.js';

export interface FlowSide {
  readonly verdict: string;
  readonly reason: string;
  readonly policy: string | null;
  readonly rule: string | null;
  readonly isolatedBy: readonly string[];
  readonly dropped: number;
}

/** Which flow a row of a diff is about (its first direction, as one of the replays saw it). */
export interface DiffedFlow {
  readonly src: string;
  readonly sport: number | null;
  readonly dst: string;
  readonly dport: number | null;
  readonly protocol: string;
  readonly srcPod: string | null;
  readonly dstPod: string | null;
}

export interface FlowDifference extends DiffedFlow {
  readonly left: FlowSide | null;
  readonly right: FlowSide | null;
}

export interface FlowDiff {
  readonly compared: number;
  /** Flows whose verdict differs, or that exist on one side only. */
  readonly differences: readonly FlowDifference[];
  /** Flows with the same verdict but another reason or rule. */
  readonly reasonOnly: readonly FlowDifference[];
}

/** The 5-tuple of a flow, the same whichever direction the replay saw first. */
export function flowPairKey(f: FlowReport): string {
  const a = `${f.src}|${f.sport}`;
  const b = `${f.dst}|${f.dport}`;
  return `${f.protocol}|${a < b ? `${a}|${b}` : `${b}|${a}`}`;
}

function side(f: FlowReport): FlowSide {
  return { verdict: f.verdict, reason: f.reason, policy: f.policy, rule: f.rule, isolatedBy: f.isolatedBy, dropped: f.packets.dropped };
}

export function diffFlows(left: readonly FlowReport[], right: readonly FlowReport[]): FlowDiff {
  const rightByKey = new Map<string, FlowReport[]>();
  for (const f of right) {
    const list = rightByKey.get(flowPairKey(f)) ?? [];
    list.push(f);
    rightByKey.set(flowPairKey(f), list);
  }
  const differences: FlowDifference[] = [];
  const reasonOnly: FlowDifference[] = [];
  let compared = 0;
  const describe = (f: FlowReport, l: FlowReport | null, r: FlowReport | null): FlowDifference => ({
    src: f.src,
    sport: f.sport,
    dst: f.dst,
    dport: f.dport,
    protocol: f.protocol,
    srcPod: f.srcPod,
    dstPod: f.dstPod,
    left: l ? side(l) : null,
    right: r ? side(r) : null,
  });
  for (const l of left) {
    const candidates = rightByKey.get(flowPairKey(l));
    const r = candidates?.shift() ?? null;
    compared++;
    if (r === null) differences.push(describe(l, l, null));
    else if (r.verdict !== l.verdict) differences.push(describe(l, l, r));
    else if (r.reason !== l.reason || r.rule !== l.rule) reasonOnly.push(describe(l, l, r));
  }
  for (const rest of rightByKey.values()) {
    for (const r of rest) {
      compared++;
      differences.push(describe(r, null, r));
    }
  }
  return { compared, differences, reasonOnly };
}

function endpoint(pod: string | null, address: string, port: number | null): string {
  const where = port === null ? address : address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
  return pod ? `${pod} ${where}` : where;
}

function sideText(s: FlowSide | null): string {
  if (s === null) return 'no such flow';
  if (s.verdict === 'allowed') return `allowed  ${s.reason}${s.rule ? `  ${s.rule}` : ''}`;
  return `denied   ${s.reason}${s.isolatedBy.length ? `  (isolated by ${s.isolatedBy.join(', ')})` : ''}`;
}

export function formatFlowDiff(diff: FlowDiff, leftLabel: string, rightLabel: string): string {
  const out = [`left:  ${leftLabel}`, `right: ${rightLabel}`, `flows compared: ${diff.compared}; verdict differs: ${diff.differences.length}; same verdict, other reason: ${diff.reasonOnly.length}`];
  for (const [title, list] of [['verdict differs', diff.differences], ['same verdict, other reason or rule', diff.reasonOnly]] as const) {
    if (list.length === 0) continue;
    out.push('', `${title}:`);
    for (const d of list) {
      out.push(`  ${endpoint(d.srcPod, d.src, d.sport)} -> ${endpoint(d.dstPod, d.dst, d.dport)} ${d.protocol}`);
      out.push(`    left:  ${sideText(d.left)}`);
      out.push(`    right: ${sideText(d.right)}`);
    }
  }
  return `${out.join('\n')}\n`;
}
