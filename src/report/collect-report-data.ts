/**
 * What the HTML report (`replay --report FILE.html`, render-html-report.ts) shows, gathered
 * during the replay: the namespace × namespace and pod × pod matrices of flows and packets
 * (aggregated here, over every flow, so the page's cells add up to the summary even when the
 * flow table is cut), the packets per time interval, and the flow table rows.
 *
 * Per packet only `PacketTimeline.add` runs: a fixed number of buckets whose width doubles (pairs
 * merged) when the capture outgrows them, so it allocates nothing and needs no first pass.
 */
import { isDropped, PacketCategory } from '../../dataplane/packet-category.js';
import type { FlowReport } from '../replay/flow-report.js';

/** Buckets of the verdicts-over-time chart. */
export const TIMELINE_BUCKETS = 240;
/** First bucket width: 1 ms. */
const TIMELINE_FIRST_WIDTH_S = 0.001;
/** Flow rows kept in the page (the matrices still count every flow). */
export const REPORT_FLOWS_MAX = 200_000;
/** Name of the "namespace" of every address that is not a pod. */
export const EXTERNAL = '(external)';

export class PacketTimeline {
  start = Number.NaN;
  width = TIMELINE_FIRST_WIDTH_S;
  readonly allowed = new Float64Array(TIMELINE_BUCKETS);
  readonly dropped = new Float64Array(TIMELINE_BUCKETS);

  add(nowSec: number, category: number): void {
    // Policed packets only: allowed categories and drops (not ARP, duplicates, undecodable...).
    const allowed = category <= PacketCategory.ALLOWED_FRAGMENT;
    const dropped = !allowed && isDropped(category);
    if (!allowed && !dropped) return;
    const i = this.bucket(nowSec);
    if (allowed) this.allowed[i] = (this.allowed[i] as number) + 1;
    else this.dropped[i] = (this.dropped[i] as number) + 1;
  }

  /**
   * `packets` added earlier as `from` are `to` after all (the dataplane revised a re-keyed
   * Service connection's verdict, Dataplane.revised); counted in the bucket of `nowSec`, the time
   * of the revision, a few microseconds after those packets.
   */
  revise(nowSec: number, from: number, to: number, packets: number): void {
    const fromAllowed = from <= PacketCategory.ALLOWED_FRAGMENT;
    const toAllowed = to <= PacketCategory.ALLOWED_FRAGMENT;
    if (fromAllowed === toAllowed || !(fromAllowed || isDropped(from)) || !(toAllowed || isDropped(to))) return;
    const i = this.bucket(nowSec);
    const less = fromAllowed ? this.allowed : this.dropped;
    const more = toAllowed ? this.allowed : this.dropped;
    less[i] = Math.max(0, (less[i] as number) - packets);
    more[i] = (more[i] as number) + packets;
  }

  /** The bucket of `nowSec`, halving the resolution when it lies beyond the last. */
  private bucket(nowSec: number): number {
    if (Number.isNaN(this.start)) this.start = nowSec;
    // Timestamps going backwards (as recorded) land in the first bucket.
    let i = Math.max(0, Math.floor((nowSec - this.start) / this.width));
    while (i >= TIMELINE_BUCKETS) {
      this.halve();
      i = Math.floor((nowSec - this.start) / this.width);
    }
    return i;
  }

  private halve(): void {
    for (const column of [this.allowed, this.dropped]) {
      for (let i = 0; i < TIMELINE_BUCKETS / 2; i++) column[i] = (column[2 * i] as number) + (column[2 * i + 1] as number);
      column.fill(0, TIMELINE_BUCKETS / 2);
    }
    this.width *= 2;
  }

  /** Buckets up to the last used one. */
  toJSON(): { start: number | null; width: number; allowed: number[]; dropped: number[] } {
    let last = -1;
    for (let i = 0; i < TIMELINE_BUCKETS; i++) if ((this.allowed[i] as number) > 0 || (this.dropped[i] as number) > 0) last = i;
    return {
      start: Number.isNaN(this.start) ? null : this.start,
      width: this.width,
      allowed: Array.from(this.allowed.subarray(0, last + 1)),
      dropped: Array.from(this.dropped.subarray(0, last + 1)),
    };
  }
}

/** A matrix cell: flows allowed and denied, packets of allowed flows, and packets dropped. */
export type MatrixCell = [allowedFlows: number, deniedFlows: number, packets: number, dropped: number];

/** The flow table's columns, in row order. */
export const FLOW_COLUMNS = [
  'src',
  'sport',
  'dst',
  'dport',
  'protocol',
  'srcPod',
  'dstPod',
  'verdict',
  'reason',
  'policy',
  'rule',
  'state',
  'forward',
  'reply',
  'dropped',
  'bytes',
  'firstSeen',
  'lastSeen',
  'service',
] as const;

/**
 * Columns whose values repeat from row to row (pods, reasons, rules...): rows hold an index into
 * `strings` (-1 for null) instead of the text, which halves a large report; the page decodes them.
 */
export const INTERNED_COLUMNS: readonly (typeof FLOW_COLUMNS)[number][] = ['protocol', 'srcPod', 'dstPod', 'verdict', 'reason', 'policy', 'rule', 'state', 'service'];

export type FlowRow = (string | number | null)[];

export class ReportCollector {
  readonly timeline = new PacketTimeline();
  readonly namespaces = new Map<string, MatrixCell>();
  readonly pods = new Map<string, MatrixCell>();
  readonly rows: FlowRow[] = [];
  /** The texts of the interned columns (INTERNED_COLUMNS). */
  readonly strings: string[] = [];
  private readonly stringIndex = new Map<string, number>();
  flowsNotListed = 0;

  private intern(text: string | null | undefined): number {
    if (text === null || text === undefined) return -1;
    let id = this.stringIndex.get(text);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(text);
      this.stringIndex.set(text, id);
    }
    return id;
  }

  /** Account for one ended flow (its report, as `--flows` writes it). */
  addFlow(f: FlowReport): void {
    const srcNs = f.srcPod ? (f.srcPod.split('/')[0] as string) : EXTERNAL;
    const dstNs = f.dstPod ? (f.dstPod.split('/')[0] as string) : EXTERNAL;
    const allowed = f.verdict === 'allowed';
    const packets = f.packets.forward + f.packets.reply;
    count(this.namespaces, `${srcNs}\n${dstNs}`, allowed, packets, f.packets.dropped);
    count(this.pods, `${f.srcPod ?? f.src}\n${f.dstPod ?? f.dst}`, allowed, packets, f.packets.dropped);
    if (this.rows.length >= REPORT_FLOWS_MAX) {
      this.flowsNotListed++;
      return;
    }
    this.rows.push([
      f.src,
      f.sport ?? f.icmpId ?? null,
      f.dst,
      f.dport ?? f.icmpType ?? null,
      this.intern(f.protocol),
      this.intern(f.srcPod),
      this.intern(f.dstPod),
      this.intern(f.verdict),
      this.intern(f.reason),
      this.intern(f.policy),
      this.intern(f.rule),
      this.intern(f.state),
      f.packets.forward,
      f.packets.reply,
      f.packets.dropped,
      f.bytes.forward + f.bytes.reply,
      f.firstSeen,
      f.lastSeen,
      this.intern(f.service),
    ]);
  }
}

function count(map: Map<string, MatrixCell>, key: string, allowed: boolean, packets: number, dropped: number): void {
  let cell = map.get(key);
  if (cell === undefined) {
    cell = [0, 0, 0, 0];
    map.set(key, cell);
  }
  if (allowed) cell[0]++;
  else cell[1]++;
  cell[2] += packets;
  cell[3] += dropped;
}
