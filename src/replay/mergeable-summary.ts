/**
 * The `mergeable` section of a replay summary (`replay -o json`): what `merge` needs beyond the
 * printed fields to combine per-node or per-chunk summaries exactly (merge-summaries.ts).
 *
 * - `deniedRank`: the ranking key of each `topDenied` entry, in the same order —
 *   `[dropped packets, first packet in µs since the epoch (as printed), index of the flow's first
 *   packet in this part's capture (its start order)]`.
 *   The top N of a union is in the union of the parts' top N only when every part ranks by the
 *   same total order; these keys make that order explicit (flow-summary.ts).
 * - `topN`: how many denied flows the part kept (`--top`); a merge is exact for min(topN) entries.
 * - `rules`: every rule the engine knows, by rule text, with the flows and packets it allowed,
 *   0 included (the compiled engine knows every rule; the naive engine only those it evaluated).
 */
export interface MergeableSummary {
  readonly format: 1;
  readonly topN: number;
  readonly deniedRank: readonly (readonly [dropped: number, firstSeenUs: number, seq: number])[];
  readonly rules: readonly { readonly rule: string; readonly flows: number; readonly packets: number }[];
}

export const MERGEABLE_FORMAT = 1;
