import type { Reason } from '../compiler/verdict.js';
import type { PacketMeta } from './packet-meta.js';

/**
 * What the dataplane asks for a new flow: the compiled classifier (dataplane/classify-flow.ts)
 * or an adapter around the naive evaluator (src/engines/naive-packet-policy.ts), so the same
 * pipeline replays with either and benchmarks compare them fairly.
 */
export interface NewFlowPolicy {
  /** Verdict of a flow whose first packet is `meta`; details are left in the fields below. */
  classifyPacket(meta: PacketMeta): Reason;
  readonly egressRule: number;
  readonly ingressRule: number;
  /** The Pass rule that handed each direction to the next tier, or -1 (cluster-scoped policies). */
  readonly egressPassRule?: number;
  readonly ingressPassRule?: number;
  readonly srcEndpoint: number;
  readonly dstEndpoint: number;
}
