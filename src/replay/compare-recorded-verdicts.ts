/**
 * Hubble's recorded verdicts as an oracle: every replayed packet's emulated verdict is compared
 * with what Cilium recorded for it (the winning observation, order-hubble-packets.ts), per packet
 * and per flow, on verdict and drop reason — not on policy names (correlation is optional in
 * Cilium and not reliable for default deny; names are shown when present).
 *
 * Per packet: recorded FORWARDED (a trace at TO_ENDPOINT included) = it got through; a policy
 * drop (POLICY_DENIED, POLICY_DENY, AUTH_REQUIRED) or AUDIT = it did not (would not have, in
 * audit mode); the emulator agrees when it forwarded resp. dropped it. A recorded drop for any
 * other reason (CT_MAP_INSERTION_FAILED, STALE_OR_UNROUTABLE_IP...) or ERROR is counted as a
 * datapath drop, not compared; an event without verdict (TRACED, TRANSLATED) is not compared.
 * Packets in a time range Hubble reported events lost in are counted as such (their flow may miss
 * packets the emulator needed), and so marked in the disagreements.
 *
 * Per flow (when it ends, Dataplane.onFlowEnd): agree when some packet was compared and none
 * disagreed; its `recordedVerdict` is `allowed` (only forwarded), `denied` (only policy drops),
 * `mixed`, `dropped-not-policy` or `none`. The flows with the most disagreeing packets are kept
 * (top N) with both sides' reasons. Per-flow state is typed arrays indexed by flow record slot,
 * reset when a new flow takes the slot (FlowRecords.seq), so memory follows the live flows.
 */
import { PacketCategory, isDropped, isForwarded } from '../../dataplane/packet-category.js';
import type { Dataplane } from '../../dataplane/dataplane.js';
import type { FlowRecords } from '../../dataplane/flow-records.js';
import type { FlowProvenance } from '../engines/flow-provenance.js';
import { flowReport, type FlowReport } from './flow-report.js';
import { HUBBLE_VERDICT_NAME } from './hubble-names.js';
import { RecordedOutcome, type OrderedPacket } from './order-hubble-packets.js';

/** Where the recorded verdicts come from (read-hubble-flows.ts HubbleFlowReader). */
export interface RecordedSource {
  /** The recorded facts of the packet being replayed. */
  readonly current: OrderedPacket;
  readonly hasLostRanges: boolean;
  inLostRange(seconds: number): boolean;
}

export interface RecordedDisagreement {
  readonly flow: string;
  readonly firstSeen: string;
  /** Packets of the flow whose verdicts differ. */
  readonly packets: number;
  readonly emulated: { readonly verdict: 'allowed' | 'denied'; readonly reason: string; readonly policy: string | null };
  readonly recorded: { readonly verdict: string; readonly dropReason: string | null; readonly policies: string | null };
  /** Some of its packets fell in a time range with lost events. */
  readonly unreliable?: true;
}

export interface RecordedSummary {
  readonly packets: {
    readonly agree: number;
    readonly disagree: number;
    /** Recorded drops for a reason that is not policy (or ERROR): datapath drops, not compared. */
    readonly droppedNotPolicy: number;
    /** No observation of the packet carried a verdict. */
    readonly noVerdict: number;
    /**
     * The emulator did not police the packet (undecodable: an ICMP error that could not be
     * related to one live connection, relate-icmp-errors.ts, is replayed without the packet it
     * quotes, which Hubble does not print; not IP): not compared.
     */
    readonly notPolicedHere: number;
    /** Recorded AUDIT (policy audit mode): counted as would-have-been-dropped. */
    readonly audit: number;
    /** Packets in time ranges with lost events (counted in the others too). */
    readonly inLostRanges: number;
    /** Recorded as replies (is_reply) but a new connection to the emulator: it began before the export, or was denied. */
    readonly repliesStartingFlows: number;
  };
  readonly flows: { readonly agree: number; readonly disagree: number; readonly notCompared: number };
  readonly droppedNotPolicy: Record<string, number>;
  readonly topDisagreements: readonly RecordedDisagreement[];
}

const OUTCOME_FORWARDED = 1;
const OUTCOME_POLICY = 2;
const OUTCOME_OTHER = 4;

const FLOW_VERDICT_TEXT = ['none', 'allowed', 'denied', 'mixed', 'dropped-not-policy', 'allowed', 'denied', 'mixed'];

function flowVerdictOf(mask: number): string {
  return FLOW_VERDICT_TEXT[mask & 3 ? mask & 3 : mask & OUTCOME_OTHER ? 4 : 0] as string;
}

function recordedText(verdict: number, dropReason: string): string {
  const name = HUBBLE_VERDICT_NAME[verdict] ?? String(verdict);
  return dropReason !== '' ? `${name} ${dropReason}` : name;
}

function endpointText(pod: string | null, address: string, port: number | null): string {
  const where = port === null ? address : address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
  return pod ? `${pod} ${where}` : where;
}

function grow<T extends Float64Array | Uint8Array | Int32Array>(column: T, size: number): T {
  const next = new (column.constructor as new (n: number) => T)(size);
  next.set(column);
  return next;
}

export class RecordedVerdicts {
  private agree = 0;
  private disagree = 0;
  private notPolicy = 0;
  private noVerdict = 0;
  private notPolicedHere = 0;
  private audits = 0;
  private lostRange = 0;
  private replyStarts = 0;
  private flowsAgree = 0;
  private flowsDisagree = 0;
  private flowsNotCompared = 0;
  private readonly notPolicyReasons = new Map<string, number>();
  /** Between `beforePacket` and `afterPacket`: flows ending now may end on the current packet. */
  private inPacket = false;
  /** The current packet was already accounted by `flowEnded`. */
  private accounted = false;

  // Per flow slot.
  private size = 1024;
  private seq = new Float64Array(this.size).fill(-1);
  private agreeCount = new Float64Array(this.size);
  private disagreeCount = new Float64Array(this.size);
  private outcomes = new Uint8Array(this.size);
  private lost = new Uint8Array(this.size);
  private recordedVerdict = new Uint8Array(this.size);
  private dropReason: string[] = new Array<string>(this.size).fill('');
  private policies: string[] = new Array<string>(this.size).fill('');
  private readonly top: RecordedDisagreement[] = [];
  private topKeys: number[] = [];
  /** The JSON members (',' first) for the flow line of the flow that just ended, or ''. */
  lastFlowMembers = '';

  constructor(
    private readonly source: RecordedSource,
    private readonly topN = 10,
  ) {}

  /** Before `dataplane.next` for the current packet. */
  beforePacket(): void {
    this.inPacket = true;
    this.accounted = false;
  }

  /** After `dataplane.next` returned `category` for the current packet. */
  afterPacket(category: number, dataplane: Dataplane): void {
    this.inPacket = false;
    if (!this.accounted) this.account(category, dataplane, dataplane.lastFlow);
  }

  /** Dataplane.onFlowEnd, before the flow is counted and written: the flow's verdict comparison. */
  flowEnded(records: FlowRecords, f: number, dataplane: Dataplane, provenances: readonly FlowProvenance[]): void {
    // The packet being processed ended its own flow (an RST, an untracked allow): count it first.
    if (this.inPacket && !this.accounted && dataplane.lastFlow === f && dataplane.lastCategory >= 0) {
      this.account(dataplane.lastCategory, dataplane, f);
      this.accounted = true;
    }
    if (f >= this.size || this.seq[f] !== records.seq(f)) {
      this.lastFlowMembers = ',"recordedVerdict":"none"';
      this.flowsNotCompared++;
      return;
    }
    const agree = this.agreeCount[f] as number;
    const disagree = this.disagreeCount[f] as number;
    if (disagree > 0) this.flowsDisagree++;
    else if (agree > 0) this.flowsAgree++;
    else this.flowsNotCompared++;
    const verdict = flowVerdictOf(this.outcomes[f] as number);
    const reason = this.dropReason[f] as string;
    const names = this.policies[f] as string;
    let members = `,"recordedVerdict":${JSON.stringify(verdict)}`;
    if (reason !== '') members += `,"recordedDropReason":${JSON.stringify(reason)}`;
    if (names !== '') members += `,"recordedPolicies":${JSON.stringify(names)}`;
    if (agree + disagree > 0) members += `,"recordedAgree":${disagree === 0}`;
    this.lastFlowMembers = members;
    if (disagree > 0 && this.topN > 0) this.offerTop(records, f, provenances, disagree, reason, names);
  }

  private account(category: number, dataplane: Dataplane, f: number): void {
    const p = this.source.current;
    const outcome = p.outcome;
    const records = dataplane.flows;
    let flowOutcome = 0;
    let agrees = -1;
    if (outcome === RecordedOutcome.NONE) this.noVerdict++;
    else if (outcome !== RecordedOutcome.OTHER_DROP && !isForwarded(category) && !isDropped(category)) this.notPolicedHere++;
    else if (outcome === RecordedOutcome.OTHER_DROP) {
      this.notPolicy++;
      const key = recordedText(p.verdict, p.dropReason);
      this.notPolicyReasons.set(key, (this.notPolicyReasons.get(key) ?? 0) + 1);
      flowOutcome = OUTCOME_OTHER;
    } else {
      const recordedDrop = outcome === RecordedOutcome.POLICY_DROP;
      if (p.audit) this.audits++;
      agrees = recordedDrop === !isForwarded(category) ? 1 : 0;
      if (agrees) this.agree++;
      else this.disagree++;
      flowOutcome = recordedDrop ? OUTCOME_POLICY : OUTCOME_FORWARDED;
    }
    const lost = this.source.hasLostRanges && this.source.inLostRange(p.tsSec + p.tsNsec * 1e-9);
    if (lost) this.lostRange++;
    if (p.isReply === 1 && (category === PacketCategory.ALLOWED_NEW || category === PacketCategory.DROPPED_EGRESS || category === PacketCategory.DROPPED_INGRESS)) this.replyStarts++;
    if (f < 0 || !records.isLive(f)) return;
    if (f >= this.size) this.growTo(f);
    if (this.seq[f] !== records.seq(f)) {
      this.seq[f] = records.seq(f);
      this.agreeCount[f] = 0;
      this.disagreeCount[f] = 0;
      this.outcomes[f] = 0;
      this.lost[f] = 0;
      this.recordedVerdict[f] = 0;
      this.dropReason[f] = '';
      this.policies[f] = '';
    }
    this.outcomes[f] = (this.outcomes[f] as number) | flowOutcome;
    if (lost) this.lost[f] = 1;
    if (agrees === 1) this.agreeCount[f] = (this.agreeCount[f] as number) + 1;
    else if (agrees === 0) {
      this.disagreeCount[f] = (this.disagreeCount[f] as number) + 1;
      // The first disagreeing packet's record explains the flow's disagreement.
      if (this.disagreeCount[f] === 1) {
        this.recordedVerdict[f] = p.verdict;
        if (p.dropReason !== '') this.dropReason[f] = p.dropReason;
        if (p.policies !== '') this.policies[f] = p.policies;
        return;
      }
    }
    if (this.disagreeCount[f] === 0) {
      if (this.recordedVerdict[f] === 0 || (outcome !== RecordedOutcome.FORWARDED && outcome !== RecordedOutcome.NONE)) this.recordedVerdict[f] = p.verdict;
      if (p.dropReason !== '' && this.dropReason[f] === '') this.dropReason[f] = p.dropReason;
      if (p.policies !== '' && this.policies[f] === '') this.policies[f] = p.policies;
    }
  }

  private growTo(f: number): void {
    let size = this.size;
    while (size <= f) size *= 2;
    this.seq = grow(this.seq, size);
    this.seq.fill(-1, this.size);
    this.agreeCount = grow(this.agreeCount, size);
    this.disagreeCount = grow(this.disagreeCount, size);
    this.outcomes = grow(this.outcomes, size);
    this.lost = grow(this.lost, size);
    this.recordedVerdict = grow(this.recordedVerdict, size);
    for (let i = this.size; i < size; i++) {
      this.dropReason.push('');
      this.policies.push('');
    }
    this.size = size;
  }

  private offerTop(records: FlowRecords, f: number, provenances: readonly FlowProvenance[], packets: number, reason: string, names: string): void {
    const first = records.firstSeen(f);
    // Rank: most disagreeing packets, then earliest.
    let weakest = -1;
    if (this.top.length >= this.topN) {
      weakest = 0;
      for (let i = 1; i < this.top.length; i++) if (this.weaker(i, weakest)) weakest = i;
      const w = this.top[weakest] as RecordedDisagreement;
      if (packets < w.packets || (packets === w.packets && first >= (this.topKeys[weakest] as number))) return;
    }
    const report: FlowReport = flowReport(records, provenances, f);
    const what = report.icmpId !== undefined ? `${report.protocol} id ${report.icmpId}` : report.protocol;
    const entry: RecordedDisagreement = {
      flow: `${endpointText(report.srcPod, report.src, report.sport)} -> ${endpointText(report.dstPod, report.dst, report.dport)} ${what}`,
      firstSeen: report.firstSeen,
      packets,
      emulated: { verdict: report.verdict, reason: report.reason, policy: report.policy },
      recorded: { verdict: recordedText(this.recordedVerdict[f] as number, ''), dropReason: reason === '' ? null : reason, policies: names === '' ? null : names },
      ...(this.lost[f] === 1 ? { unreliable: true as const } : {}),
    };
    if (weakest >= 0) {
      this.top[weakest] = entry;
      this.topKeys[weakest] = first;
    } else {
      this.top.push(entry);
      this.topKeys.push(first);
    }
  }

  private weaker(i: number, j: number): boolean {
    const a = this.top[i] as RecordedDisagreement;
    const b = this.top[j] as RecordedDisagreement;
    if (a.packets !== b.packets) return a.packets < b.packets;
    return (this.topKeys[i] as number) > (this.topKeys[j] as number);
  }

  summary(): RecordedSummary {
    const order = this.top.map((e, i) => ({ e, key: this.topKeys[i] as number })).sort((a, b) => b.e.packets - a.e.packets || a.key - b.key);
    const reasons: Record<string, number> = {};
    for (const [k, v] of [...this.notPolicyReasons].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))) reasons[k] = v;
    return {
      packets: {
        agree: this.agree,
        disagree: this.disagree,
        droppedNotPolicy: this.notPolicy,
        noVerdict: this.noVerdict,
        notPolicedHere: this.notPolicedHere,
        audit: this.audits,
        inLostRanges: this.lostRange,
        repliesStartingFlows: this.replyStarts,
      },
      flows: { agree: this.flowsAgree, disagree: this.flowsDisagree, notCompared: this.flowsNotCompared },
      droppedNotPolicy: reasons,
      topDisagreements: order.map((o) => o.e),
    };
  }
}

/** The text lines of the recorded-verdict comparison (after the replay summary). */
export function formatRecorded(s: RecordedSummary): string {
  const p = s.packets;
  const compared = p.agree + p.disagree;
  const pct = compared ? ` (${((100 * p.agree) / compared).toFixed(compared === p.agree ? 0 : 2)}% agree)` : '';
  const out = ['', `recorded verdicts (Hubble) vs emulated:`];
  out.push(`  packets: ${p.agree} agree, ${p.disagree} disagree${pct}; ${p.droppedNotPolicy} dropped for a reason that is not policy (not compared), ${p.noVerdict} without a verdict`);
  if (p.notPolicedHere) out.push(`  not policed by the emulator (ICMP errors not related to one live connection: replayed bare; not IP): ${p.notPolicedHere} (not compared)`);
  if (p.audit) out.push(`  audit mode: ${p.audit} packets recorded AUDIT (counted as would-have-been-dropped)`);
  if (p.inLostRanges) out.push(`  unreliable: ${p.inLostRanges} packets fall in time ranges where Hubble lost events`);
  if (p.repliesStartingFlows) out.push(`  ${p.repliesStartingFlows} packets recorded as replies were new connections here (their connection began before the export, or was denied)`);
  out.push(`  flows: ${s.flows.agree} agree, ${s.flows.disagree} disagree, ${s.flows.notCompared} not compared`);
  const reasons = Object.entries(s.droppedNotPolicy);
  if (reasons.length) out.push(`  recorded drops that are not policy: ${reasons.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  if (s.topDisagreements.length) {
    out.push('', 'top disagreements (emulated | recorded):');
    for (const d of s.topDisagreements) {
      const emulated = `${d.emulated.verdict} ${d.emulated.reason}${d.emulated.policy ? ` (${d.emulated.policy})` : ''}`;
      const recorded = `${d.recorded.verdict}${d.recorded.dropReason ? ` ${d.recorded.dropReason}` : ''}${d.recorded.policies ? ` (${d.recorded.policies})` : ''}`;
      out.push(`  ${d.flow}: ${d.packets} packet${d.packets === 1 ? '' : 's'} from ${d.firstSeen}; emulated ${emulated} | recorded ${recorded}${d.unreliable ? ' [lost events: unreliable]' : ''}`);
    }
  }
  return `${out.join('\n')}\n`;
}
