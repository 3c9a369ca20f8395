/**
 * The replay summary: packets and bytes per category (which sum to the records read), flows
 * allowed and denied, the top denied flows, and which rules allowed traffic.
 */
import { PACKET_CATEGORY_COUNT, PACKET_CATEGORY_FIRST_OPTIONAL, PACKET_CATEGORY_NAME, PacketCategory } from '../../dataplane/packet-category.js';
import { TUNNEL_KIND_NAME } from '../../dataplane/decode/index.js';
import { CT_COUNTER_NAME } from '../../dataplane/conntrack/index.js';
import { isoTime, type FlowReport } from './flow-report.js';
import type { FlowSummary, RuleUse } from './flow-summary.js';
import type { AppliedEvent } from '../timeline/run-timeline.js';
import type { MergeableSummary } from './mergeable-summary.js';
import { formatHubbleInput, type HubbleInputStats } from './read-hubble-flows.js';
import { formatRecorded, type RecordedSummary } from './compare-recorded-verdicts.js';

export type { RuleUse } from './flow-summary.js';

export interface CaptureInfo {
  readonly source: string;
  readonly format: string | null;
  readonly linkTypes: readonly number[];
  readonly records: number;
  readonly bytesRead: number;
  /** 'complete', or why reading stopped early, with the byte offset. */
  readonly end: string;
  readonly message: string | null;
  readonly byteOffset: number;
  readonly firstPacket: string | null;
  readonly lastPacket: string | null;
}

export interface ReplaySummary {
  readonly capture: CaptureInfo;
  readonly engine: string;
  /** CNI profile name (with `+overrides` when --cni-opt changed switches). */
  readonly profile: string;
  /** ICMP port-unreachable answers a rejecting profile sent (not records of the capture). */
  readonly rejectsSent: number;
  readonly packets: Record<string, number> & { total: number };
  readonly bytes: Record<string, number> & { total: number };
  readonly flows: { readonly allowed: number; readonly denied: number };
  readonly topDenied: readonly FlowReport[];
  readonly allowedBy: readonly RuleUse[];
  readonly conntrack: Record<string, number>;
  /** Timeline events applied during the replay (--timeline). */
  readonly timeline?: readonly { readonly event: string; readonly appliedAt: string; readonly rebuildMs: number }[];
  /** Connections whose verdict a policy change turned over. */
  readonly verdictChanges?: number;
  /**
   * Denied attempts reported early because the denied-flow table was full (present when not 0):
   * a later packet of such an attempt starts a second record for the same connection.
   */
  readonly deniedFlowsEvicted?: number;
  /** Frames decapsulated, per overlay (present only when a tunnel was opened); each is counted once above. */
  readonly decapsulated?: Record<string, number>;
  /** What `merge` needs to combine summaries exactly (mergeable-summary.ts); JSON only. */
  readonly mergeable?: MergeableSummary;
  /** A Hubble input: what was read, every line accounted for (read-hubble-flows.ts). */
  readonly hubble?: HubbleInputStats;
  /** A Hubble input with verdicts: the recorded verdicts against the emulated ones. */
  readonly recorded?: RecordedSummary;
}

/** The dataplane counters a summary reads (a Dataplane, or the sum of a sharded replay's). */
export interface DataplaneTotals {
  readonly counters: Float64Array;
  readonly decapsulated: Float64Array;
  readonly conntrack: { readonly counters: Float64Array };
  readonly deniedFlowsEvicted: number;
  readonly rejectsSent: number;
}

/** The summary of a finished replay: the dataplane's counters and the flows' incremental summary. */
export function summarize(
  dataplane: DataplaneTotals,
  flows: FlowSummary,
  capture: CaptureInfo,
  engine: string,
  profile = 'upstream',
  timeline: readonly AppliedEvent[] = [],
): ReplaySummary {
  const packets: Record<string, number> & { total: number } = { total: 0 };
  const bytes: Record<string, number> & { total: number } = { total: 0 };
  for (let c = 0; c < PACKET_CATEGORY_COUNT; c++) {
    const name = PACKET_CATEGORY_NAME[c] as string;
    if (c >= PACKET_CATEGORY_FIRST_OPTIONAL && dataplane.counters[c * 2] === 0) continue;
    packets[name] = dataplane.counters[c * 2] as number;
    bytes[name] = dataplane.counters[c * 2 + 1] as number;
    packets.total += packets[name];
    bytes.total += bytes[name];
  }
  const decapsulated: Record<string, number> = {};
  dataplane.decapsulated.forEach((value, kind) => {
    if (value !== 0) decapsulated[TUNNEL_KIND_NAME[kind] ?? String(kind)] = value;
  });
  const conntrack: Record<string, number> = {};
  dataplane.conntrack.counters.forEach((value, i) => {
    if (value !== 0) conntrack[CT_COUNTER_NAME[i] ?? String(i)] = value;
  });
  const evicted = dataplane.deniedFlowsEvicted;
  return {
    capture,
    engine,
    profile,
    rejectsSent: dataplane.rejectsSent,
    packets,
    bytes,
    flows: { allowed: flows.allowed, denied: flows.denied },
    topDenied: flows.topDenied(),
    allowedBy: flows.allowedBy(),
    conntrack,
    ...(timeline.length
      ? {
          timeline: timeline.map((a) => ({ event: a.event.description, appliedAt: isoTime(a.appliedAt), rebuildMs: Math.round(a.rebuildMs * 100) / 100 })),
          verdictChanges: flows.verdictChanges,
        }
      : {}),
    ...(evicted > 0 ? { deniedFlowsEvicted: evicted } : {}),
    ...(Object.keys(decapsulated).length ? { decapsulated } : {}),
    mergeable: flows.mergeable(),
  };
}

const GROUPS: readonly { readonly label: string; readonly categories: readonly number[] }[] = [
  { label: 'allowed', categories: [PacketCategory.ALLOWED_NEW, PacketCategory.ALLOWED_ESTABLISHED, PacketCategory.ALLOWED_RELATED, PacketCategory.ALLOWED_UNTRACKED, PacketCategory.ALLOWED_FRAGMENT] },
  {
    label: 'dropped',
    categories: [
      PacketCategory.DROPPED_EGRESS_ADMIN,
      PacketCategory.DROPPED_INGRESS_ADMIN,
      PacketCategory.DROPPED_EGRESS,
      PacketCategory.DROPPED_INGRESS,
      PacketCategory.DROPPED_EGRESS_BASELINE,
      PacketCategory.DROPPED_INGRESS_BASELINE,
      PacketCategory.DROPPED_CT_INVALID,
      PacketCategory.DROPPED_CT_FULL,
      PacketCategory.DROPPED_FRAGMENT,
      PacketCategory.DROPPED_NO_ENDPOINT,
    ],
  },
  { label: 'not policed', categories: [PacketCategory.NOT_IP, PacketCategory.UNDECODABLE, PacketCategory.UNSUPPORTED_LINK, PacketCategory.DUPLICATE, PacketCategory.ENCRYPTED] },
];

const CATEGORY_TEXT: Readonly<Record<number, string>> = {
  [PacketCategory.ALLOWED_NEW]: 'new connections (policy allowed)',
  [PacketCategory.ALLOWED_ESTABLISHED]: 'established (conntrack)',
  [PacketCategory.ALLOWED_RELATED]: 'related ICMP errors',
  [PacketCategory.ALLOWED_UNTRACKED]: 'untracked (ICMPv6 ND/MLD)',
  [PacketCategory.ALLOWED_FRAGMENT]: 'fragments of allowed datagrams',
  [PacketCategory.DROPPED_EGRESS]: 'egress default deny',
  [PacketCategory.DROPPED_INGRESS]: 'ingress default deny',
  [PacketCategory.DROPPED_CT_INVALID]: 'conntrack INVALID',
  [PacketCategory.DROPPED_CT_FULL]: 'conntrack table full',
  [PacketCategory.DROPPED_FRAGMENT]: 'fragments of dropped datagrams',
  [PacketCategory.NOT_IP]: 'not IP (ARP, LLDP...)',
  [PacketCategory.UNDECODABLE]: 'undecodable (truncated/malformed)',
  [PacketCategory.UNSUPPORTED_LINK]: 'unsupported link type',
  [PacketCategory.DUPLICATE]: 'duplicates (-i any copies)',
  [PacketCategory.ENCRYPTED]: 'encrypted (WireGuard, IPsec ESP)',
  [PacketCategory.DROPPED_NO_ENDPOINT]: 'Service without endpoints',
  [PacketCategory.DROPPED_EGRESS_ADMIN]: 'egress admin deny',
  [PacketCategory.DROPPED_INGRESS_ADMIN]: 'ingress admin deny',
  [PacketCategory.DROPPED_EGRESS_BASELINE]: 'egress baseline deny',
  [PacketCategory.DROPPED_INGRESS_BASELINE]: 'ingress baseline deny',
};

function endpoint(pod: string | null, address: string, port: number | null): string {
  const where = port === null ? address : address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
  return pod ? `${pod} ${where}` : where;
}

export function formatSummary(s: ReplaySummary): string {
  const out: string[] = [];
  const c = s.capture;
  out.push(`Replayed ${c.source} (${c.format ?? 'unknown format'}, link type ${c.linkTypes.join('/') || '-'}): ${c.records} records, ${c.bytesRead} bytes${c.firstPacket ? `, ${c.firstPacket} .. ${c.lastPacket}` : ''}; engine ${s.engine}, CNI profile ${s.profile}`);
  if (c.end !== 'complete') out.push(`WARNING: the capture is ${c.end}: ${c.message ?? ''} — every whole record before byte ${c.byteOffset} was replayed`);
  out.push('');
  out.push(`${'packets'.padEnd(40)}${'packets'.padStart(10)}${'bytes'.padStart(14)}`);
  for (const group of GROUPS) {
    const names = group.categories.map((cat) => PACKET_CATEGORY_NAME[cat] as string);
    const gp = names.reduce((n, name) => n + (s.packets[name] ?? 0), 0);
    const gb = names.reduce((n, name) => n + (s.bytes[name] ?? 0), 0);
    out.push(`${group.label.padEnd(40)}${String(gp).padStart(10)}${String(gb).padStart(14)}`);
    group.categories.forEach((cat, i) => {
      const name = names[i] as string;
      if ((s.packets[name] ?? 0) === 0) return;
      out.push(`  ${(CATEGORY_TEXT[cat] ?? name).padEnd(38)}${String(s.packets[name]).padStart(10)}${String(s.bytes[name]).padStart(14)}`);
    });
  }
  out.push(`${'total (= records read)'.padEnd(40)}${String(s.packets.total).padStart(10)}${String(s.bytes.total).padStart(14)}`);
  if (s.decapsulated) out.push(`decapsulated (counted once, as their inner packet): ${Object.entries(s.decapsulated).map(([kind, n]) => `${kind} ${n}`).join(', ')}`);
  out.push('');
  out.push(`flows: ${s.flows.allowed} allowed, ${s.flows.denied} denied`);
  if (s.deniedFlowsEvicted) out.push(`denied attempts reported early, the denied-flow table being full: ${s.deniedFlowsEvicted} (raise --denied-flows-max)`);
  if (s.rejectsSent > 0) out.push(`rejections sent (ICMP port unreachable): ${s.rejectsSent}`);
  if (s.topDenied.length > 0) {
    out.push('', 'top denied flows:');
    for (const f of s.topDenied) {
      const why = f.isolatedBy.length ? `${f.reason} (isolated by ${f.isolatedBy.join(', ')})` : f.reason;
      const what = f.icmpId !== undefined ? `${f.protocol} id ${f.icmpId}` : f.protocol;
      out.push(`  ${endpoint(f.srcPod, f.src, f.sport)} -> ${endpoint(f.dstPod, f.dst, f.dport)} ${what}: ${f.packets.dropped} packets dropped; ${why}`);
    }
  }
  if (s.timeline) {
    out.push('', 'timeline:');
    for (const t of s.timeline) out.push(`  ${t.appliedAt}  ${t.event}  (tables rebuilt in ${t.rebuildMs} ms)`);
    out.push(`  connections whose verdict changed mid-flow: ${s.verdictChanges ?? 0}`);
  }
  if (s.allowedBy.length > 0) {
    out.push('', 'rules that allowed traffic:');
    for (const use of s.allowedBy) out.push(`  ${use.rule}: ${use.flows} flow${use.flows === 1 ? '' : 's'}, ${use.packets} packets`);
  }
  return `${out.join('\n')}\n${s.hubble ? formatHubbleInput(s.hubble) : ''}${s.recorded ? formatRecorded(s.recorded) : ''}`;
}
