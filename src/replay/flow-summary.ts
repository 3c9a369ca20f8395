/**
 * The per-flow half of the replay summary, kept as flows end (Dataplane.onFlowEnd) instead of
 * from a list of every flow at the end: flows allowed/denied, verdict changes, per-rule flow and
 * packet counters in typed arrays indexed by rule id (one pair per policy version, since a
 * timeline renumbers rules), and the top N denied flows in a bounded heap. Strings are made only
 * for what is printed: rule texts once per rule at the end, a flow's report only when it enters
 * the top N.
 *
 * Top-N order (exact among all flows): most dropped packets first; ties by earlier first packet
 * (to the microsecond, as printed), then by start order (the index of the flow's first packet in
 * the capture, which a replay sharded over workers agrees on).
 */
import { formatRuleRef, isAllowReason } from '../../compiler/verdict.js';
import type { FlowRecords } from '../../dataplane/flow-records.js';
import type { FlowProvenance } from '../engines/flow-provenance.js';
import { flowReport, type FlowReport } from './flow-report.js';
import type { MergeableSummary } from './mergeable-summary.js';

export interface RuleUse {
  readonly rule: string;
  readonly flows: number;
  readonly packets: number;
}

export interface TopEntry {
  readonly dropped: number;
  readonly firstSeenUs: number;
  readonly seq: number;
  readonly report: FlowReport;
}

/** First-seen time as the integer the printed ISO time shows (ms and the rounded µs digits). */
function firstSeenKey(seconds: number): number {
  return Math.floor(seconds * 1000) * 1000 + Math.round((seconds * 1e6) % 1000);
}

/** a ranks before b (a is "more denied"). */
function ranksBefore(aDropped: number, aFirst: number, aSeq: number, b: TopEntry): boolean {
  if (aDropped !== b.dropped) return aDropped > b.dropped;
  if (aFirst !== b.firstSeenUs) return aFirst < b.firstSeenUs;
  return aSeq < b.seq;
}

/** A FlowSummary's counts, for combining the summaries of a sharded replay's workers (`absorb`). */
export interface FlowSummaryState {
  readonly allowed: number;
  readonly denied: number;
  readonly verdictChanges: number;
  /**
   * Per rule TEXT (0 included): rule ids are an engine's own numbering — the naive engine numbers
   * rules in the order it meets them — so summaries of different engines combine by text.
   */
  readonly rules: readonly { readonly rule: string; readonly flows: number; readonly packets: number }[];
  readonly top: readonly TopEntry[];
}

/** Add `from`'s counters into `into` by rule text (rules with no flows only when `withZeros`). */
function addUses(into: Map<string, { flows: number; packets: number }>, from: ReadonlyMap<string, { readonly flows: number; readonly packets: number }>, withZeros: boolean): void {
  for (const [text, add] of from) {
    if (!withZeros && add.flows === 0) continue;
    const use = into.get(text) ?? { flows: 0, packets: 0 };
    use.flows += add.flows;
    use.packets += add.packets;
    into.set(text, use);
  }
}

export class FlowSummary {
  allowed = 0;
  denied = 0;
  verdictChanges = 0;
  /** Per policy version: flows and packets per rule id (egress and ingress rules alike). */
  private readonly ruleFlows: Float64Array[] = [];
  private readonly rulePackets: Float64Array[] = [];
  /** Max-heap on "least denied" at the root: the entry to replace when a better one comes. */
  private readonly top: TopEntry[] = [];
  /** Rule counters of other summaries (`absorb`), by rule text. */
  private readonly absorbed = new Map<string, { flows: number; packets: number }>();

  constructor(
    private readonly provenances: readonly FlowProvenance[],
    private readonly topN: number,
  ) {}

  /** Account for flow `f`, which just ended (its record is complete and still live). */
  add(r: FlowRecords, f: number): void {
    const reason = r.reason(f);
    if (!Number.isNaN(r.changedAt(f))) this.verdictChanges++;
    if (reason < 128 && isAllowReason(reason)) {
      this.allowed++;
      const packets = r.packets(f, 0) + r.packets(f, 1);
      const version = r.createdVersion(f);
      this.countRule(version, r.egressRule(f), packets);
      this.countRule(version, r.ingressRule(f), packets);
      return;
    }
    this.denied++;
    if (this.topN <= 0) return;
    const dropped = r.dropped(f);
    const first = firstSeenKey(r.firstSeen(f));
    // The index of the flow's first packet: the start order a sharded replay agrees on.
    const seq = r.startPacket(f);
    const heap = this.top;
    // Checked before the report is built: most denied flows never make the top N.
    if (heap.length >= this.topN && !ranksBefore(dropped, first, seq, heap[0] as TopEntry)) return;
    this.offer({ dropped, firstSeenUs: first, seq, report: flowReport(r, this.provenances, f) });
  }

  /** The counts so far (arrays are this summary's own: hand them off only when done with it). */
  exportState(): FlowSummaryState {
    return { allowed: this.allowed, denied: this.denied, verdictChanges: this.verdictChanges, rules: this.mergeable().rules, top: this.top };
  }

  /**
   * Add another summary's counts — the same replay's other shard, same provenances (rule ids) —
   * as if its flows had been added here: counters add, the top N is ranked again over both.
   */
  absorb(state: FlowSummaryState): void {
    this.allowed += state.allowed;
    this.denied += state.denied;
    this.verdictChanges += state.verdictChanges;
    for (const r of state.rules) {
      const use = this.absorbed.get(r.rule) ?? { flows: 0, packets: 0 };
      use.flows += r.flows;
      use.packets += r.packets;
      this.absorbed.set(r.rule, use);
    }
    for (const entry of state.top) this.offer(entry);
  }

  private offer(entry: TopEntry): void {
    const heap = this.top;
    if (this.topN <= 0) return;
    if (heap.length >= this.topN && !ranksBefore(entry.dropped, entry.firstSeenUs, entry.seq, heap[0] as TopEntry)) return;
    if (heap.length < this.topN) {
      heap.push(entry);
      this.siftUp(heap.length - 1);
    } else {
      heap[0] = entry;
      this.siftDown(0);
    }
  }

  private countRule(version: number, rule: number, packets: number): void {
    if (rule < 0) return;
    let flows = this.ruleFlows[version];
    let pkts = this.rulePackets[version];
    if (flows === undefined || pkts === undefined || rule >= flows.length) {
      let size = Math.max(64, flows?.length ?? 0);
      while (size <= rule) size *= 2;
      const nextFlows = new Float64Array(size);
      const nextPackets = new Float64Array(size);
      if (flows) nextFlows.set(flows);
      if (pkts) nextPackets.set(pkts);
      this.ruleFlows[version] = flows = nextFlows;
      this.rulePackets[version] = pkts = nextPackets;
    }
    flows[rule] = (flows[rule] as number) + 1;
    pkts[rule] = (pkts[rule] as number) + packets;
  }

  /** The denied flows ranked, most dropped packets first (at most N). */
  topDenied(): FlowReport[] {
    return this.ranked().map((e) => e.report);
  }

  private ranked(): TopEntry[] {
    return [...this.top].sort((a, b) => (ranksBefore(a.dropped, a.firstSeenUs, a.seq, b) ? -1 : 1));
  }

  /**
   * What `merge` needs to combine this summary with others exactly (merge-summaries.ts): the
   * ranking keys of `topDenied`, entry for entry, and every rule the engine knows — 0 included —
   * with the flows and packets it allowed (policy versions merged by rule text).
   */
  mergeable(): MergeableSummary {
    const rules = new Map<string, { flows: number; packets: number }>();
    this.provenances.forEach((provenance, version) => {
      const flows = this.ruleFlows[version];
      const packets = this.rulePackets[version];
      for (let rule = 0; ; rule++) {
        const ref = provenance.rule(rule);
        if (!ref) break;
        const text = formatRuleRef(ref);
        const use = rules.get(text) ?? { flows: 0, packets: 0 };
        use.flows += flows?.[rule] ?? 0;
        use.packets += packets?.[rule] ?? 0;
        rules.set(text, use);
      }
    });
    addUses(rules, this.absorbed, true);
    return {
      format: 1,
      topN: this.topN,
      deniedRank: this.ranked().map((e) => [e.dropped, e.firstSeenUs, e.seq] as const),
      rules: [...rules.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([rule, use]) => ({ rule, ...use })),
    };
  }

  /** Rules that allowed traffic, by packets (then rule text), merged across policy versions by text. */
  allowedBy(): RuleUse[] {
    const uses = new Map<string, { flows: number; packets: number }>();
    this.ruleFlows.forEach((flows, version) => {
      const provenance = this.provenances[version] ?? this.provenances[0];
      const packets = this.rulePackets[version] as Float64Array;
      for (let rule = 0; rule < flows.length; rule++) {
        const count = flows[rule] as number;
        if (count === 0) continue;
        const ref = provenance?.rule(rule) ?? null;
        if (!ref) continue;
        const text = formatRuleRef(ref);
        const use = uses.get(text) ?? { flows: 0, packets: 0 };
        use.flows += count;
        use.packets += packets[rule] as number;
        uses.set(text, use);
      }
    });
    addUses(uses, this.absorbed, false);
    return [...uses.entries()].map(([rule, use]) => ({ rule, ...use })).sort((a, b) => b.packets - a.packets || (a.rule < b.rule ? -1 : 1));
  }

  // A binary max-heap on "ranks last": the root is the weakest of the kept N.
  private weaker(i: number, j: number): boolean {
    const a = this.top[i] as TopEntry;
    return !ranksBefore(a.dropped, a.firstSeenUs, a.seq, this.top[j] as TopEntry);
  }

  private siftUp(i: number): void {
    const heap = this.top;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.weaker(i, parent)) return;
      [heap[i], heap[parent]] = [heap[parent] as TopEntry, heap[i] as TopEntry];
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const heap = this.top;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && this.weaker(l, m)) m = l;
      if (r < heap.length && this.weaker(r, m)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m] as TopEntry, heap[i] as TopEntry];
      i = m;
    }
  }
}
