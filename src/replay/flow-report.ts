/**
 * Flow records → report objects: one per connection (both directions), with pod names and the
 * rule or isolation that decided it. Used by `--flows` (one JSON line each), the summary's top
 * denied flows and `diff`. Built once per flow when it ends, so the text work here (addresses,
 * times, names) is on the path of every flow: formatted from the numbers directly, no BigInt.
 */
import { REASON_NAME, formatRuleRef, isAllowReason, isEgressDrop, isTierDrop, rulePolicyName, type Reason, type RuleRef } from '../../compiler/verdict.js';
import { FlowReason } from '../../dataplane/dataplane.js';
import type { FlowRecords } from '../../dataplane/flow-records.js';
import type { Pod } from '../../compiler/model.js';
import { formatIpv4Word, formatIpv6Words } from '../load/parse-ip.js';
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
  /** Cluster-scoped policies only: the Pass rules that handed a direction to the next tier. */
  readonly passedBy?: { readonly egress?: string; readonly ingress?: string };
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
function serviceFields(r: FlowRecords, f: number): Pick<FlowReport, 'service' | 'endpoint' | 'endpointVerdicts'> {
  const services = r.services;
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
  const o = f * 4;
  if (family === 4) return formatIpv4Word(words[o] as number);
  return formatIpv6Words(words[o] as number, words[o + 1] as number, words[o + 2] as number, words[o + 3] as number);
}

/** The last whole second formatted (flows end in time order: consecutive calls share it). */
let isoSecond = Number.NaN;
let isoPrefix = '';

/** ISO 8601 UTC with microseconds, e.g. 2026-11-21T05:12:59.633069Z. */
export function isoTime(seconds: number): string {
  const ms = Math.floor(seconds * 1000);
  const micros = Math.round((seconds * 1e6) % 1000);
  const second = Math.floor(ms / 1000);
  if (second !== isoSecond) {
    const text = new Date(second * 1000).toISOString();
    // Years beyond 9999 (or before 0) are printed with a sign: keep Date's own formatting then.
    if (text.length !== 24) return new Date(ms).toISOString().replace('Z', `${String(micros).padStart(3, '0')}Z`);
    isoSecond = second;
    isoPrefix = text.slice(0, 20);
  }
  return `${isoPrefix}${String(ms - second * 1000).padStart(3, '0')}${String(micros).padStart(3, '0')}Z`;
}

/** `namespace/name` per pod object, made once. */
const POD_NAMES = new WeakMap<Pod, string>();

/** Rule texts, made once per rule. */
const RULE_TEXTS = new WeakMap<RuleRef, string>();

function ruleText(ref: RuleRef): string {
  let text = RULE_TEXTS.get(ref);
  if (text === undefined) {
    text = formatRuleRef(ref);
    RULE_TEXTS.set(ref, text);
  }
  return text;
}

const PROTOCOL_NAMES: readonly string[] = Array.from({ length: 256 }, (_, p) => protocolName(p));

function podName(provenance: FlowProvenance, endpoint: number): string | null {
  const pod = provenance.pod(endpoint);
  if (!pod) return null;
  let name = POD_NAMES.get(pod);
  if (name === undefined) {
    name = `${pod.namespace}/${pod.name}`;
    POD_NAMES.set(pod, name);
  }
  return name;
}

/**
 * The report of flow `f` (a live record). With a timeline, `provenance` is one per policy
 * version: a flow's endpoint and rule ids refer to the tables in force when it started.
 */
export function flowReport(r: FlowRecords, provenances: FlowProvenance | readonly FlowProvenance[], f: number): FlowReport {
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
  // An admin or baseline Deny names its rule, like an allow does.
  const denyRef = !allowed && isTierDrop(reason) ? (isEgressDrop(reason) ? egressRef : ingressRef) : null;
  const egressPass = provenance.rule(r.egressPassRule[f] as number);
  const ingressPass = provenance.rule(r.ingressPassRule[f] as number);
  // TCP flows that had a conntrack entry report its last state; the rest have none.
  const state = protocol === 6 && allowed ? (TCP_CT_STATE_NAME[r.state[f] as number] ?? null) : null;
  return {
    src: addressOf(family, r.src, f),
    sport: icmp ? null : (r.srcPort[f] as number),
    dst: addressOf(family, r.dst, f),
    dport: icmp ? null : (r.dstPort[f] as number),
    protocol: PROTOCOL_NAMES[protocol] ?? String(protocol),
    ...(icmp ? { icmpId: r.srcPort[f] as number, icmpType: r.dstPort[f] as number } : {}),
    srcPod: podName(provenance, srcEndpoint),
    dstPod: podName(provenance, dstEndpoint),
    verdict: allowed ? 'allowed' : 'denied',
    reason: FLOW_REASON_NAME[reason] ?? REASON_NAME[reason as Reason] ?? String(reason),
    policy: allowed ? (deciding ? rulePolicyName(deciding) : null) : denyRef ? rulePolicyName(denyRef) : isolatedBy.length ? isolatedBy.join(', ') : null,
    rule: allowed && deciding ? ruleText(deciding) : denyRef ? ruleText(denyRef) : null,
    egressRule: egressRef ? ruleText(egressRef) : null,
    ingressRule: ingressRef ? ruleText(ingressRef) : null,
    isolatedBy,
    state,
    packets: { forward: r.packets[f * 2] as number, reply: r.packets[f * 2 + 1] as number, dropped: r.dropped[f] as number },
    bytes: { forward: r.bytes[f * 2] as number, reply: r.bytes[f * 2 + 1] as number },
    ...(egressPass || ingressPass
      ? { passedBy: { ...(egressPass ? { egress: ruleText(egressPass) } : {}), ...(ingressPass ? { ingress: ruleText(ingressPass) } : {}) } }
      : {}),
    firstSeen: isoTime(r.firstSeen[f] as number),
    lastSeen: isoTime(r.lastSeen[f] as number),
    ...(Number.isNaN(r.changedAt[f] as number)
      ? {}
      : { verdictChange: { at: isoTime(r.changedAt[f] as number), reason: REASON_NAME[r.changedReason[f] as Reason] ?? String(r.changedReason[f]) } }),
    ...(r.tunnel[f] ? { tunnel: TUNNEL_KIND_NAME[r.tunnel[f] as number] ?? String(r.tunnel[f]) } : {}),
    ...serviceFields(r, f),
  };
}

/** JSON text of a string, cached per object it belongs to (pods, rules, isolating policy lists). */
const QUOTED_RULES = new WeakMap<RuleRef, string>();
const QUOTED_POLICIES = new WeakMap<RuleRef, string>();
const QUOTED_ISOLATION = new WeakMap<readonly string[], { readonly list: string; readonly joined: string }>();
const QUOTED_PODS = new WeakMap<Pod, string>();

function quotedRule(ref: RuleRef | null): string {
  if (!ref) return 'null';
  let text = QUOTED_RULES.get(ref);
  if (text === undefined) {
    text = JSON.stringify(ruleText(ref));
    QUOTED_RULES.set(ref, text);
  }
  return text;
}

function quotedPolicy(ref: RuleRef): string {
  let text = QUOTED_POLICIES.get(ref);
  if (text === undefined) {
    text = JSON.stringify(rulePolicyName(ref));
    QUOTED_POLICIES.set(ref, text);
  }
  return text;
}

function quotedIsolation(list: readonly string[]): { readonly list: string; readonly joined: string } {
  let text = QUOTED_ISOLATION.get(list);
  if (text === undefined) {
    text = { list: JSON.stringify(list), joined: list.length ? JSON.stringify(list.join(', ')) : 'null' };
    QUOTED_ISOLATION.set(list, text);
  }
  return text;
}

function quotedPod(provenance: FlowProvenance, endpoint: number): string {
  const pod = provenance.pod(endpoint);
  if (!pod) return 'null';
  let text = QUOTED_PODS.get(pod);
  if (text === undefined) {
    text = JSON.stringify(`${pod.namespace}/${pod.name}`);
    QUOTED_PODS.set(pod, text);
  }
  return text;
}

const NO_ISOLATION: readonly string[] = [];

/**
 * `JSON.stringify(flowReport(r, provenances, f))`, written directly: `--flows` makes one line per
 * flow, and building the object and serialising it cost several microseconds a flow. The texts
 * of pods, rules and policy lists are quoted once and reused. test/replay-flow-line.test.ts
 * holds this to byte equality with the object's serialisation.
 */
export function flowLine(r: FlowRecords, provenances: FlowProvenance | readonly FlowProvenance[], f: number): string {
  const provenance = Array.isArray(provenances)
    ? ((provenances as readonly FlowProvenance[])[r.createdVersion[f] as number] ?? (provenances as readonly FlowProvenance[])[0] as FlowProvenance)
    : (provenances as FlowProvenance);
  const family = r.family[f] as number;
  const protocol = r.protocol[f] as number;
  const icmp = protocol === 1 || protocol === 58;
  const reason = r.reason[f] as number;
  const allowed = reason < 128 && isAllowReason(reason);
  const egressRef = provenance.rule(r.egressRule[f] as number);
  const ingressRef = provenance.rule(r.ingressRule[f] as number);
  const deciding = ingressRef ?? egressRef;
  const srcEndpoint = r.srcEndpoint[f] as number;
  const dstEndpoint = r.dstEndpoint[f] as number;
  let isolatedBy = NO_ISOLATION;
  if (reason === 64) isolatedBy = provenance.isolatedBy(srcEndpoint, 'egress');
  else if (reason === 65) isolatedBy = provenance.isolatedBy(dstEndpoint, 'ingress');
  const isolation = quotedIsolation(isolatedBy);
  const denyRef = !allowed && isTierDrop(reason) ? (isEgressDrop(reason) ? egressRef : ingressRef) : null;
  const egressPass = provenance.rule(r.egressPassRule[f] as number);
  const ingressPass = provenance.rule(r.ingressPassRule[f] as number);
  const passedBy =
    egressPass || ingressPass
      ? `,"passedBy":{${egressPass ? `"egress":${quotedRule(egressPass)}` : ''}${egressPass && ingressPass ? ',' : ''}${ingressPass ? `"ingress":${quotedRule(ingressPass)}` : ''}}`
      : '';
  const stateName = protocol === 6 && allowed ? (TCP_CT_STATE_NAME[r.state[f] as number] ?? null) : null;
  const reasonName = FLOW_REASON_NAME[reason] ?? REASON_NAME[reason as Reason] ?? String(reason);
  const policy = allowed ? (deciding ? quotedPolicy(deciding) : 'null') : denyRef ? quotedPolicy(denyRef) : isolation.joined;
  const ports = icmp
    ? `"sport":null,"dst":"${addressOf(family, r.dst, f)}","dport":null,"protocol":${JSON.stringify(PROTOCOL_NAMES[protocol])},"icmpId":${r.srcPort[f]},"icmpType":${r.dstPort[f]}`
    : `"sport":${r.srcPort[f]},"dst":"${addressOf(family, r.dst, f)}","dport":${r.dstPort[f]},"protocol":${JSON.stringify(PROTOCOL_NAMES[protocol] ?? String(protocol))}`;
  const changedAt = r.changedAt[f] as number;
  const change = Number.isNaN(changedAt)
    ? ''
    : `,"verdictChange":{"at":"${isoTime(changedAt)}","reason":${JSON.stringify(REASON_NAME[r.changedReason[f] as Reason] ?? String(r.changedReason[f]))}}`;
  return (
    `{"src":"${addressOf(family, r.src, f)}",${ports},"srcPod":${quotedPod(provenance, srcEndpoint)},"dstPod":${quotedPod(provenance, dstEndpoint)},` +
    `"verdict":"${allowed ? 'allowed' : 'denied'}","reason":${JSON.stringify(reasonName)},"policy":${policy},"rule":${allowed ? quotedRule(deciding) : quotedRule(denyRef)},` +
    `"egressRule":${quotedRule(egressRef)},"ingressRule":${quotedRule(ingressRef)},"isolatedBy":${isolation.list},"state":${stateName === null ? 'null' : JSON.stringify(stateName)},` +
    `"packets":{"forward":${r.packets[f * 2]},"reply":${r.packets[f * 2 + 1]},"dropped":${r.dropped[f]}},"bytes":{"forward":${r.bytes[f * 2]},"reply":${r.bytes[f * 2 + 1]}}${passedBy},` +
    `"firstSeen":"${isoTime(r.firstSeen[f] as number)}","lastSeen":"${isoTime(r.lastSeen[f] as number)}"${change}${overlayAndService(r, f)}}`
  );
}

/** The optional trailing fields of tunnelled and Service flows, as JSON members (',' first), or ''. */
function overlayAndService(r: FlowRecords, f: number): string {
  const tunnel = r.tunnel[f] as number;
  if (tunnel === 0 && (r.service[f] as number) < 0) return '';
  const extra = JSON.stringify({ ...(tunnel ? { tunnel: TUNNEL_KIND_NAME[tunnel] ?? String(tunnel) } : {}), ...serviceFields(r, f) });
  return extra === '{}' ? '' : `,${extra.slice(1, -1)}`;
}
