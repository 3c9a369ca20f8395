/**
 * `advise -o json`: the advice and its proof as data (docs/advise.md "JSON output"): the
 * policies as objects with their comments, every connection allowed or refused with why, and the
 * proof replay's summary. Version 1; fields are only ever added.
 */
import { policyObject, type AdvisedNote, type AdvisedPolicy } from './advise-policies.js';
import type { Connection, Observation } from './observe-connections.js';
import type { AdviceProof } from './prove-advice.js';

export interface AdviceConnection {
  readonly connection: string;
  readonly protocol: string;
  readonly src: string;
  readonly srcPod: string | null;
  readonly dst: string;
  readonly dstPod: string | null;
  /** Destination port (TCP/UDP/SCTP), else null. */
  readonly port: number | null;
  /** classify-answer.ts AnswerKind. */
  readonly answer: string;
  readonly why: string;
  readonly packets: number;
}

export interface AdviceDocument {
  readonly version: 1;
  readonly capture: string;
  readonly connections: { readonly total: number; readonly worked: number; readonly refused: number; readonly notConnections: number };
  readonly allowed: readonly AdviceConnection[];
  readonly refused: readonly AdviceConnection[];
  readonly policies: readonly {
    readonly namespace: string;
    readonly name: string;
    readonly workload: string | null;
    /** Where it was written (`--dir`), or null. */
    readonly file: string | null;
    readonly comments: readonly string[];
    /** One comment list per rule, in the order of the manifest's `spec.ingress` / `spec.egress`. */
    readonly ruleComments: { readonly ingress: readonly (readonly string[])[]; readonly egress: readonly (readonly string[])[] };
    /** Connections that got a note instead of a rule under the CNI profile (judge-profile-reach.ts). */
    readonly notes: readonly AdvisedNote[];
    readonly manifest: Record<string, unknown>;
  }[];
  readonly proof: AdviceProof & { readonly holds: boolean };
}

function connectionData(c: Connection): AdviceConnection {
  const ported = c.protocol === 6 || c.protocol === 17 || c.protocol === 132;
  return {
    connection: c.key,
    protocol: c.protocolName,
    src: c.src,
    srcPod: c.srcPod ? `${c.srcPod.namespace}/${c.srcPod.name}` : null,
    dst: c.dst,
    dstPod: c.dstPod ? `${c.dstPod.namespace}/${c.dstPod.name}` : null,
    port: ported ? c.dport : null,
    answer: c.answer,
    why: c.why,
    packets: c.packets,
  };
}

export function buildAdviceDocument(capture: string, observation: Observation, policies: readonly AdvisedPolicy[], fileOf: (namespace: string) => string | null, proof: AdviceProof): AdviceDocument {
  const worked = observation.connections.filter((c) => c.worked);
  const refused = observation.connections.filter((c) => !c.worked);
  return {
    version: 1,
    capture,
    connections: { total: observation.connections.length, worked: worked.length, refused: refused.length, notConnections: observation.notConnections },
    allowed: worked.map(connectionData),
    refused: refused.map(connectionData),
    policies: policies.map((p) => ({
      namespace: p.namespace,
      name: p.name,
      workload: p.workload,
      file: fileOf(p.namespace),
      comments: p.comments,
      ruleComments: { ingress: p.ingress.map((r) => r.comments), egress: p.egress.map((r) => r.comments) },
      notes: p.notes,
      manifest: policyObject(p),
    })),
    proof: { ...proof, holds: proof.workedDenied.length === 0 },
  };
}
