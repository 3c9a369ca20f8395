/**
 * What the capture shows, for `advise`: the capture replayed against the cluster with every
 * policy removed (NetworkPolicies and the cluster-scoped tiers), so each connection attempt is
 * one flow whatever the current policies say; how the destination answered it (classify-answer.ts)
 * says whether it worked or was refused (a RST, an ICMP destination unreachable, silence: e.g.
 * dropped by the policies of the recorded cluster). Records that never reached policy (conntrack
 * INVALID: stray replies and resets) are counted, not advised on.
 */
import type { Readable } from 'node:stream';
import type { Cluster, Pod } from '../../compiler/model.js';
import type { PolicySemantics } from '../../compiler/policy-semantics.js';
import type { DataplaneOptions } from '../../dataplane/dataplane.js';
import type { CaptureEnd, CaptureRecord } from '../capture/capture-record.js';
import type { OpenCaptureOptions } from '../capture/open-capture.js';
import { flowReport } from '../replay/flow-report.js';
import { replayCapture, type ReplayOptions } from '../replay/replay-capture.js';
import type { ServiceNatOptions } from '../replay/build-service-nat.js';
import { answerWorked, classifyAnswer, describeAnswer, type AnswerKind, type AnswerOptions } from './classify-answer.js';

export interface ReplaySetup {
  readonly semantics: PolicySemantics;
  readonly dataplane: DataplaneOptions;
  readonly services?: ServiceNatOptions;
  readonly reader?: (source: string | Readable, callback: (record: CaptureRecord) => void, options: OpenCaptureOptions) => Promise<CaptureEnd>;
}

/** One connection attempt (a flow record of the policy-free replay). */
export interface Connection {
  /** `PROTO src:sport -> dst:dport` (ICMP: the type as dport): the same in every replay of the capture. */
  readonly key: string;
  readonly protocol: number;
  readonly protocolName: string;
  readonly src: string;
  readonly dst: string;
  readonly dport: number;
  readonly srcPod: Pod | null;
  readonly dstPod: Pod | null;
  readonly family: 4 | 6;
  /** How the destination answered (classify-answer.ts). */
  readonly answer: AnswerKind;
  /** The connection worked: `advise` allows it. Otherwise it was refused and gets no rule. */
  readonly worked: boolean;
  /** `answer` in words ("answered by SYN-ACK", "refused: answered by RST"). */
  readonly why: string;
  readonly packets: number;
}

export interface Observation {
  readonly connections: readonly Connection[];
  /** Records that never reached policy (conntrack INVALID and the like). */
  readonly notConnections: number;
  readonly records: number;
  readonly end: CaptureEnd;
}

/** The cluster without any policy: what the pods did when nothing was in the way. */
export function withoutPolicies(cluster: Cluster): Cluster {
  return { ...cluster, policies: [], adminPolicies: [] };
}

/** The replay options both replays of `advise` share (observation and proof). */
export function replayOptions(setup: ReplaySetup): Omit<ReplayOptions, 'onFlow'> {
  return {
    engine: 'compiled',
    semantics: setup.semantics,
    dataplane: setup.dataplane,
    ...(setup.services ? { services: setup.services } : {}),
    ...(setup.reader ? { reader: setup.reader } : {}),
    topN: 0,
  };
}

export function connectionKey(protocolName: string, src: string, sport: number | null, dst: string, dport: number | null): string {
  return `${protocolName} ${src}:${sport ?? '-'} -> ${dst}:${dport ?? '-'}`;
}

export async function observeConnections(cluster: Cluster, source: string | Readable, sourceName: string, setup: ReplaySetup, options: AnswerOptions = {}): Promise<Observation> {
  const open = withoutPolicies(cluster);
  const pods = new Map<string, Pod>(open.pods.map((p) => [`${p.namespace}/${p.name}`, p]));
  const connections: Connection[] = [];
  let notConnections = 0;
  const result = await replayCapture(open, source, sourceName, {
    ...replayOptions(setup),
    onFlow: (r, f, provenances) => {
      const report = flowReport(r, provenances, f);
      if (report.verdict !== 'allowed') {
        notConnections++;
        return;
      }
      const dport = r.dstPort(f);
      const protocol = r.protocol(f);
      const family = r.family(f) === 6 ? 6 : 4;
      const answer = classifyAnswer(protocol, r.answer(f), options);
      connections.push({
        key: connectionKey(report.protocol, report.src, report.sport ?? report.icmpId ?? null, report.dst, report.dport ?? report.icmpType ?? null),
        protocol,
        protocolName: report.protocol,
        src: report.src,
        dst: report.dst,
        dport,
        srcPod: report.srcPod === null ? null : (pods.get(report.srcPod) ?? null),
        dstPod: report.dstPod === null ? null : (pods.get(report.dstPod) ?? null),
        family,
        answer,
        worked: answerWorked(answer),
        why: describeAnswer(answer, protocol, family),
        packets: report.packets.forward + report.packets.reply,
      });
    },
  });
  return { connections, notConnections, records: result.capture.records, end: result.end };
}
