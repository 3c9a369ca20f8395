/**
 * `diff CAPTURE --cni all` (or a list): one replay of the capture per CNI profile, joined flow by
 * flow, keeping the flows whose verdict differs between any of the profiles; each profile's
 * difference from the reference profile (upstream) is attributed to the profile switches that
 * cause it, found by replaying the reference with one switch flipped to the profile's value at a
 * time (docs/cni-profiles.md "All CNIs side by side"). Pure: the replays are done by the caller.
 *
 * Flows are matched like diff-flows.ts: by the 5-tuple taken in either direction, and by
 * occurrence, so a reused port pairs up in order.
 */
import type { FlowReport } from '../replay/flow-report.js';
import { flowPairKey, type DiffedFlow } from './diff-flows.js';

export interface ProfileCell {
  readonly verdict: 'allowed' | 'denied';
  readonly reason: string;
  readonly policy: string | null;
  readonly rule: string | null;
}

/** Why a profile's verdict differs from the reference's. */
export interface ProfileCause {
  /** Switches (`name=value`) that each alone turn the reference's verdict into this profile's; or, when `together`, all the profile's differing switches. */
  readonly switches: readonly string[];
  /** No single switch explains the difference: only their combination does. */
  readonly together: boolean;
}

export interface ProfileDifference extends DiffedFlow {
  /** The reference profile's view (null: no such flow there). */
  readonly reference: ProfileCell | null;
  /** Per profile, in `profiles` order (null: no such flow under that profile). */
  readonly cells: Readonly<Record<string, ProfileCell | null>>;
  /** Per profile whose verdict differs from the reference's. */
  readonly causes: Readonly<Record<string, ProfileCause>>;
}

export interface ProfilesDiff {
  readonly reference: string;
  readonly profiles: readonly string[];
  /** Per profile, the switches (`name=value`) in which it differs from the reference. */
  readonly switches: Readonly<Record<string, readonly string[]>>;
  readonly compared: number;
  readonly differences: readonly ProfileDifference[];
}

/** One replay: a profile's, or the reference with one switch flipped (`label` = `name=value`). */
export interface ProfileReplay {
  readonly name: string;
  readonly flows: readonly FlowReport[];
}

export interface ProfileColumn extends ProfileReplay {
  /** The switches (`name=value`) in which the profile differs from the reference, in display order. */
  readonly switches: readonly string[];
  /** The reference replayed with each of those switches alone (`name` = the switch label). */
  readonly flips: readonly ProfileReplay[];
}

/** Flows by `flowPairKey#occurrence`, in replay order. */
function index(flows: readonly FlowReport[]): Map<string, FlowReport> {
  const seen = new Map<string, number>();
  const byKey = new Map<string, FlowReport>();
  for (const f of flows) {
    const k = flowPairKey(f);
    const n = seen.get(k) ?? 0;
    seen.set(k, n + 1);
    byKey.set(`${k}#${n}`, f);
  }
  return byKey;
}

function cell(f: FlowReport | undefined): ProfileCell | null {
  return f === undefined ? null : { verdict: f.verdict, reason: f.reason, policy: f.policy, rule: f.rule };
}

const verdictOf = (f: FlowReport | undefined): string => f?.verdict ?? 'absent';

export function diffProfiles(reference: ProfileReplay, columns: readonly ProfileColumn[]): ProfilesDiff {
  const referenceFlows = index(reference.flows);
  const columnFlows = columns.map((c) => index(c.flows));
  const flipFlows = columns.map((c) => c.flips.map((flip) => ({ name: flip.name, flows: index(flip.flows) })));
  // Rows in the reference's order, then flows only some profiles saw.
  const rowKeys: string[] = [...referenceFlows.keys()];
  const known = new Set(rowKeys);
  for (const flows of columnFlows) {
    for (const k of flows.keys()) {
      if (known.has(k)) continue;
      known.add(k);
      rowKeys.push(k);
    }
  }
  const differences: ProfileDifference[] = [];
  for (const k of rowKeys) {
    const verdicts = columnFlows.map((flows) => verdictOf(flows.get(k)));
    if (verdicts.every((v) => v === verdicts[0])) continue;
    const ref = referenceFlows.get(k);
    const any = ref ?? columnFlows.map((flows) => flows.get(k)).find((f) => f !== undefined);
    if (any === undefined) continue;
    const cells: Record<string, ProfileCell | null> = {};
    const causes: Record<string, ProfileCause> = {};
    columns.forEach((column, i) => {
      const mine = columnFlows[i]?.get(k);
      cells[column.name] = cell(mine);
      const verdict = verdictOf(mine);
      if (verdict === verdictOf(ref)) return;
      const single = (flipFlows[i] ?? []).filter((flip) => verdictOf(flip.flows.get(k)) === verdict).map((flip) => flip.name);
      causes[column.name] = single.length > 0 ? { switches: single, together: false } : { switches: column.switches, together: true };
    });
    differences.push({ src: any.src, sport: any.sport, dst: any.dst, dport: any.dport, protocol: any.protocol, srcPod: any.srcPod, dstPod: any.dstPod, reference: cell(ref), cells, causes });
  }
  return {
    reference: reference.name,
    profiles: columns.map((c) => c.name),
    switches: Object.fromEntries(columns.map((c) => [c.name, c.switches])),
    compared: rowKeys.length,
    differences,
  };
}

function endpoint(pod: string | null, address: string, port: number | null): string {
  const where = port === null ? address : address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
  return pod ? `${pod} ${where}` : where;
}

/** "kube-router: denied — sctpSupported=false" */
export function causeText(profile: string, c: ProfileCell | null, cause: ProfileCause): string {
  const verdict = c === null ? 'no such flow' : c.verdict;
  if (cause.switches.length === 0) return `${profile}: ${verdict} — no switch alone explains it`;
  return `${profile}: ${verdict} — ${cause.switches.join(cause.together ? ' + ' : ', ')}${cause.together ? ' (only together)' : ''}`;
}

export function formatProfilesDiff(diff: ProfilesDiff, capture: string): string {
  const out = [
    `${capture} under ${diff.profiles.length} CNI profiles; differences from the reference (${diff.reference}) are attributed to the switches that cause them, each flipped alone`,
    `switches that differ from ${diff.reference}:`,
  ];
  for (const p of diff.profiles) out.push(`  ${p}: ${(diff.switches[p] ?? []).join(', ') || 'none'}`);
  out.push(`flows compared: ${diff.compared}; verdict differs between profiles: ${diff.differences.length}`);
  if (diff.differences.length > 0) {
    const widths = diff.profiles.map((p) => Math.max(p.length, 7));
    out.push('', `  ${diff.profiles.map((p, i) => p.padEnd(widths[i] as number)).join('  ')}  flow`);
    for (const d of diff.differences) {
      const verdicts = diff.profiles.map((p, i) => (d.cells[p]?.verdict ?? '-').padEnd(widths[i] as number));
      out.push(`  ${verdicts.join('  ')}  ${endpoint(d.srcPod, d.src, d.sport)} -> ${endpoint(d.dstPod, d.dst, d.dport)} ${d.protocol}`);
      for (const p of diff.profiles) {
        const cause = d.causes[p];
        if (cause) out.push(`      ${causeText(p, d.cells[p] ?? null, cause)}`);
      }
    }
  }
  return `${out.join('\n')}\n`;
}
