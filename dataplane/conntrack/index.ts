/**
 * Connection tracking for the dataplane, modelled on Linux nf_conntrack (SEMANTICS.md §2).
 *
 * Contract:
 * - `new ConntrackTable({ capacity, maxEntries?, timeouts?, tcpLoose?, tcpIgnoreInvalidRst?, onRemove? })`
 *   allocates every column once; `capacity` is a power of two (slots), `maxEntries` is
 *   nf_conntrack_max (default 3/4 of the slots). No allocation per packet afterwards.
 * - `lookup(meta, nowSec): CtResult` classifies a decoded packet and, on a hit, runs the L4
 *   tracker (TCP state machine, timers) before any policy, as conntrack sits before the filter
 *   hooks. Results: MISS_NEW (no entry; run policy, then `create` on allow), HIT_ORIGINAL /
 *   HIT_REPLY (entry in `table.index`, direction in `table.direction`, ctstate in
 *   `table.ctinfo`: NEW until a reply was seen), RELATED (ICMP error of a tracked flow),
 *   INVALID (`table.invalidCause`), UNTRACKED (ICMPv6 ND/MLD).
 * - `create(meta, nowSec, flowId?, policyVersion?)` confirms the packet's connection after
 *   policy allowed it: index, or −1 when the table is full and no non-ASSURED entry in the
 *   early-drop window could go (counted as TABLE_FULL). Early drop evicts the entry of the
 *   window that expires soonest (deterministic; the kernel's pick is hash-bucket order).
 * - The table keeps what nf_conntrack needs (tuple, state and status, expiry, the TCP tracking
 *   the state machine reads) plus a u32 flow id and a u16 policy version: 64 B per IPv4 slot.
 *   Per-flow packets, bytes, first/last seen, verdict and rule ids are the caller's, keyed by
 *   the flow id (dataplane/flow-records.ts).
 * - Time is the packet timestamp in float64 seconds, passed in; the table never reads a clock.
 *   Expiries are float64 seconds too, so timer decisions are exact at any timescale.
 * - An entry index is valid until the next lookup/create/expire/clear call. Flows keep a stable
 *   u32 `flowIdOf(i)` for per-flow reports; `onRemove(index, reason)` fires before a slot is
 *   reused.
 * - `counters` (Float64Array indexed by CtCounter) counts creations, early drops, table-full
 *   refusals, expiries, kills, hits and INVALID by cause.
 * - Timeout profiles are data: CT_TIMEOUT_PROFILES.{linux, kubeproxy, calicoBpf, ciliumBpf}.
 */
export { ConntrackTable, CT_EVICTION_RANGE } from './conntrack-table.js';
export type { ConntrackOptions } from './conntrack-table.js';
export {
  CtCounter, CT_COUNTER_COUNT, CT_COUNTER_NAME, CtDirection, CtInfo, CtInvalidCause, CT_INVALID_CAUSE_NAME,
  CtRemoveReason, CtResult, CtStatus, TcpCtState, TCP_CT_STATE_NAME,
} from './ct-constants.js';
export {
  CT_TIMEOUT_PROFILES, CT_TIMEOUTS_CALICO_BPF, CT_TIMEOUTS_CILIUM_BPF, CT_TIMEOUTS_KUBEPROXY, CT_TIMEOUTS_LINUX,
} from './ct-timeouts.js';
export type { CtTimeoutProfile, CtTimeoutProfileName } from './ct-timeouts.js';
export { TCP_TRANSITIONS, TCP_VALID_FLAGS, TcpClass, tcpClassOf, tcpNextState } from './tcp-state-table.js';
