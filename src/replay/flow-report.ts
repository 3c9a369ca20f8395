/**
 * Flow records → report objects: one per connection (both directions), with pod names and the
 * rule or isolation that decided it. Used by `--flows` (one JSON line each) and the summary.
 */
import { formatIp } from '../load/parse-ip.js';
import { REASON_NAME, formatRuleRef, isAllowReason, type Reason, type RuleRef } from '../../compiler/verdict.js';
import { FlowReason, type Dataplane } from '../../dataplane/dataplane.js';
import { TCP_CT_STATE_NAME } from '../../dataplane/conntrack/index.js';
import { TUNNEL_KIND_NAME } from '../../dataplane/decode/index.js';
import type { FlowProvenance } from '../engines/flow-provenance.js';
import { protocolName } from '../cli/resolve-endpoint.js';

export interface FlowReport {
  readonly src: string;
  readonly sport: number | null;
  readonly dst: string;
  readonly dport: number | null;
  readonly protocol: string;
  readonly icmpId?: number;
  readonly icmpType?: number;
  readonly srcPod: string | null;
  readonly dstPod: string | null;
  readonly verdict: 'allowed' | 'denied';
  readonly reason: string;
  /** The policy that decided: the allowing rule's policy, or for a default deny the policies isolating the denying side. */
  readonly policy: string | null;
  /** The allowing rule (ingress rule when both sides had one), as text; null for denials. */
  readonly rule: string | null;
  readonly egressRule: string | null;
  readonly ingressRule: string | null;
  readonly isolatedBy: readonly string[];
  readonly state: string | null;
  readonly packets: { readonly forward: number; readonly reply: number; readonly dropped: number };
  readonly bytes: { readonly forward: number; readonly reply: number };
  readonly firstSeen: string;
  readonly lastSeen: string;
  /** Set when a policy change (--timeline) turned an established connection's verdict over. */
  readonly verdictChange?: { readonly at: string; readonly reason: string };
  /** The overlay the connection's first packet was decapsulated from (vxlan, geneve, ipip, ipv6-in-ip). */
  readonly tunnel?: string;
  /** The Service (`ns/name:port`) the connection was addressed to, and the endpoint it was translated to. */
  readonly service?: string;
  readonly endpoint?: string | null;
  /** Present when the Service's endpoints would not all get this verdict: each endpoint's verdict. */
  readonly endpointVerdicts?: readonly { readonly endpoint: string; readonly verdict: 'allowed' | 'denied' }[];
}

const FLOW_REASON_NAME: Readonly<Record<number, string>> = {
  [FlowReason.CT_INVALID]: 'drop-conntrack-invalid',
  [FlowReason.CT_TABLE_FULL]: 'drop-conntrack-table-full',
  [FlowReason.NO_ENDPOINT]: 'drop-service-no-endpoint',
};

/** `service`, `endpoint` and (when they differ) `endpointVerdicts` of a Service flow. */
function serviceFields(dataplane: Dataplane, f: number): Pick<FlowReport, 'service' | 'endpoint' | 'endpointVerdicts'> {
  const services = dataplane.services;
  const r = dataplane.flows;
  const frontend = r.service[f] as number;
  if (services === null || frontend < 0) return {};
  const backend = r.endpoint[f] as number;
  const fields: { service?: string; endpoint?: string | null; endpointVerdicts?: { endpoint: string; verdict: 'allowed' | 'denied' }[] } = {
    service: services.frontendLabel(frontend) ?? String(frontend),
    endpoint: backend >= 0 ? services.backendLabel(backend) : null,
  };
  const count = Math.min(services.backendCount(frontend), 32);
  const mask = r.endpointAllowed[f] as number;
  const all = count === 32 ? 0xffffffff : (1 << count) - 1;
  if (backend >= 0 && count > 1 && mask !== 0 && mask >>> 0 !== all >>> 0) {
    const first = services.firstBackend(frontend);
    fields.endpointVerdicts = [];
    for (let i = 0; i < count; i++) fields.endpointVerdicts.push({ endpoint: services.backendLabel(first + i) ?? String(first + i), verdict: (mask >>> i) & 1 ? 'allowed' : 'denied' });
  }
  return fields;
}

function addressOf(family: number, words: Uint32Array, f: number): string {
  if (family === 4) return formatIp(4, BigInt(words[f * 4] as number));
  let value = 0n;
  for (let i = 0; i < 4; i++) value = (value << 32n) | BigInt(words[f * 4 + i] as number);
  return formatIp(6, value);
}

export function isoTime(seconds: number): string {
  const ms = Math.floor(seconds * 1000);
  const micros = Math.round((seconds * 1e6) % 1000);
  return new Date(ms).toISOString().replace('Z', `${String(micros).padStart(3, '0')}Z`);
}

function podName(provenance: FlowProvenance, endpoint: number): string | null {
  const pod = provenance.pod(endpoint);
  return pod ? `${pod.namespace}/${pod.name}` : null;
}

/**
 * The report of flow `f`. With a timeline, `provenance` is one per policy version: a flow's
 * endpoint and rule ids refer to the tables in force when it started.
 */
export function flowReport(dataplane: Dataplane, provenances: FlowProvenance | readonly FlowProvenance[], f: number): FlowReport {
  const r = dataplane.flows;
  const provenance = Array.isArray(provenances)
    ? ((provenances as readonly FlowProvenance[])[r.createdVersion[f] as number] ?? (provenances as readonly FlowProvenance[])[0] as FlowProvenance)
    : (provenances as FlowProvenance);
  const family = r.family[f] as number;
  const protocol = r.protocol[f] as number;
  const icmp = protocol === 1 || protocol === 58;
  const reason = r.reason[f] as number;
  const allowed = reason < 128 && isAllowReason(reason);
  const egressRef: RuleRef | null = provenance.rule(r.egressRule[f] as number);
  const ingressRef: RuleRef | null = provenance.rule(r.ingressRule[f] as number);
  const deciding = ingressRef ?? egressRef;
  const srcEndpoint = r.srcEndpoint[f] as number;
  const dstEndpoint = r.dstEndpoint[f] as number;
  let isolatedBy: readonly string[] = [];
  if (reason === 64) isolatedBy = provenance.isolatedBy(srcEndpoint, 'egress');
  else if (reason === 65) isolatedBy = provenance.isolatedBy(dstEndpoint, 'ingress');
  // TCP flows that had a conntrack entry report its last state; the rest have none.
  const state = protocol === 6 && allowed ? (TCP_CT_STATE_NAME[r.state[f] as number] ?? null) : null;
  return {
    src: addressOf(family, r.src, f),
    sport: icmp ? null : (r.srcPort[f] as number),
    dst: addressOf(family, r.dst, f),
    dport: icmp ? null : (r.dstPort[f] as number),
    protocol: protocolName(protocol),
    ...(icmp ? { icmpId: r.srcPort[f] as number, icmpType: r.dstPort[f] as number } : {}),
    srcPod: podName(provenance, srcEndpoint),
    dstPod: podName(provenance, dstEndpoint),
    verdict: allowed ? 'allowed' : 'denied',
    reason: FLOW_REASON_NAME[reason] ?? REASON_NAME[reason as Reason] ?? String(reason),
    policy: allowed ? (deciding ? `${deciding.policyNamespace}/${deciding.policyName}` : null) : isolatedBy.length ? isolatedBy.join(', ') : null,
    rule: allowed && deciding ? formatRuleRef(deciding) : null,
    egressRule: egressRef ? formatRuleRef(egressRef) : null,
    ingressRule: ingressRef ? formatRuleRef(ingressRef) : null,
    isolatedBy,
    state,
    packets: { forward: r.packets[f * 2] as number, reply: r.packets[f * 2 + 1] as number, dropped: r.dropped[f] as number },
    bytes: { forward: r.bytes[f * 2] as number, reply: r.bytes[f * 2 + 1] as number },
    firstSeen: isoTime(r.firstSeen[f] as number),
    lastSeen: isoTime(r.lastSeen[f] as number),
    ...(Number.isNaN(r.changedAt[f] as number)
      ? {}
      : { verdictChange: { at: isoTime(r.changedAt[f] as number), reason: REASON_NAME[r.changedReason[f] as Reason] ?? String(r.changedReason[f]) } }),
    ...(r.tunnel[f] ? { tunnel: TUNNEL_KIND_NAME[r.tunnel[f] as number] ?? String(r.tunnel[f]) } : {}),
    ...serviceFields(dataplane, f),
  };
}
