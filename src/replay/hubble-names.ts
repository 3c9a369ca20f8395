/**
 * The names Hubble writes in its JSON, as numbers the reader keeps per event. Every name is the
 * enum value name of cilium's api/v1/flow/flow.proto (protojson writes enums as their names;
 * verified against the proto of cilium v1.19.4 vendored in cilium/hubble), and the event types
 * are pkg/monitor/api/types.go's MessageType numbers (`event_type.type`).
 */

/** `flow.verdict` (enum Verdict). */
export const HubbleVerdict = {
  UNKNOWN: 0,
  FORWARDED: 1,
  DROPPED: 2,
  ERROR: 3,
  AUDIT: 4,
  REDIRECTED: 5,
  TRACED: 6,
  TRANSLATED: 7,
} as const;
export type HubbleVerdict = (typeof HubbleVerdict)[keyof typeof HubbleVerdict];

export const HUBBLE_VERDICT_NAME: readonly string[] = ['VERDICT_UNKNOWN', 'FORWARDED', 'DROPPED', 'ERROR', 'AUDIT', 'REDIRECTED', 'TRACED', 'TRANSLATED'];

const VERDICT_BY_NAME: ReadonlyMap<string, HubbleVerdict> = new Map(HUBBLE_VERDICT_NAME.map((name, i) => [name, i as HubbleVerdict]));

/** The verdict named `text` (a name, or protojson's number when the enum value is unknown to the writer), or -1. */
export function verdictOf(value: unknown): number {
  if (typeof value === 'string') return VERDICT_BY_NAME.get(value) ?? -1;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 7) return value;
  return -1;
}

/** `event_type.type` (pkg/monitor/api MessageType*). */
export const HubbleEventType = {
  DROP: 1,
  DEBUG: 2,
  CAPTURE: 3,
  TRACE: 4,
  POLICY_VERDICT: 5,
  RECORDER_CAPTURE: 6,
  TRACE_SOCK: 7,
  ACCESS_LOG: 129,
  AGENT: 130,
} as const;

/**
 * `trace_observation_point` (enum TraceObservationPoint) → a small index (0..14) the reader
 * keeps; the proto numbers (TO_ENDPOINT = 101) are not dense.
 */
export const OBSERVATION_POINTS = [
  'UNKNOWN_POINT',
  'TO_PROXY',
  'TO_HOST',
  'TO_STACK',
  'TO_OVERLAY',
  'FROM_ENDPOINT',
  'FROM_PROXY',
  'FROM_HOST',
  'FROM_STACK',
  'FROM_OVERLAY',
  'FROM_NETWORK',
  'TO_NETWORK',
  'FROM_CRYPTO',
  'TO_CRYPTO',
  'TO_ENDPOINT',
] as const;
export const POINT_TO_ENDPOINT = 14;
const POINT_BY_NAME: ReadonlyMap<string, number> = new Map(OBSERVATION_POINTS.map((name, i) => [name, i]));
/** Proto number → index (101 TO_ENDPOINT is the only one that differs). */
export function observationPointOf(value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value === 'string') return POINT_BY_NAME.get(value) ?? -1;
  if (value === 101) return POINT_TO_ENDPOINT;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 13) return value;
  return -1;
}

/**
 * Drop reasons that are a policy decision (flow.proto DropReason): POLICY_DENIED (133, no rule
 * allowed it: default deny), POLICY_DENY (181, an explicit deny rule) and AUTH_REQUIRED (189, a
 * rule needing mutual authentication not yet done). Every other drop reason is the datapath's own
 * (CT_MAP_INSERTION_FAILED, STALE_OR_UNROUTABLE_IP...): not something NetworkPolicy decided.
 */
export const POLICY_DROP_REASONS: ReadonlySet<string> = new Set(['POLICY_DENIED', 'POLICY_DENY', 'AUTH_REQUIRED']);

/** The deprecated numeric `drop_reason` of the three policy reasons (for lines that carry only it). */
export const POLICY_DROP_NUMBERS: ReadonlyMap<number, string> = new Map([
  [133, 'POLICY_DENIED'],
  [181, 'POLICY_DENY'],
  [189, 'AUTH_REQUIRED'],
]);

/**
 * `trace_reason` (enum TraceReason, flow.proto of cilium v1.19): the conntrack result the datapath
 * put in the trace notification (bpf/lib/trace.h TRACE_REASON_CT_*, offset by one in the proto so
 * 0 is unknown). RELATED: conntrack admitted the packet as related to a tracked connection (an
 * ICMP error quoting it). Drops and policy verdicts carry none.
 */
export const TRACE_REASONS: readonly string[] = ['TRACE_REASON_UNKNOWN', 'NEW', 'ESTABLISHED', 'REPLY', 'RELATED', 'REOPENED', 'SRV6_ENCAP', 'SRV6_DECAP', 'ENCRYPT_OVERLAY'];
export const TRACE_REASON_RELATED = 4;
