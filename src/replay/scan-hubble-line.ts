/**
 * The fast path of the Hubble reader: one sticky regular expression matches a whole line of the
 * shape Hubble writes and captures the fields the reader uses, so most lines cost no JSON.parse
 * (which builds every object and label string of a ~1 KB line: 5–7 µs here, docs/hubble.md
 * "Speed and memory"). V8 compiles the expression to machine code; it reads each byte once.
 *
 * The shape: the GetFlowsResponse / ExportEvent wrapper `{"flow":{…},"node_name":…,"time":…}`,
 * compact (Hubble writes through Go's encoding/json Encoder, which compacts what protojson
 * marshals: no whitespace), every field optional, in the order protojson writes them — the
 * declaration order of cilium's api/v1/flow/flow.proto (Flow, Endpoint, IP, Layer4, TCP,
 * TCPFlags; checked against the proto of cilium v1.19.4 vendored in cilium/hubble). Fields the
 * reader does not use are matched by a validating pattern for their JSON type (nested values to
 * a fixed depth); unknown fields may follow the last known one.
 *
 * It is exact, not a guess: a line is taken only when it is valid JSON (the patterns are the
 * grammar of RFC 8259 for what they match), no field the reader uses appears twice or out of
 * order (a generic field's name is never one of them), the used strings have no escapes and the
 * values convert exactly as parse-hubble-line.ts converts them. Anything else — another key
 * order, whitespace, escapes in a used string, a number where a name is expected, an invalid
 * line — is left to parseHubbleLine (JSON.parse), which gives the same event or the same error.
 * test/hubble-fast-path.test.ts replays inputs both ways and compares.
 */
import { addressInto, endpointKindByIdentity, endpointKindByLabels, HubbleEventKind, parseTimestamp, policyNamesOf, serviceOf, traceReasonOf, type HubbleEvent, type Json } from './parse-hubble-line.js';
import { HubbleEventType, observationPointOf, POLICY_DROP_NUMBERS, POLICY_DROP_REASONS, verdictOf } from './hubble-names.js';

// RFC 8259 §7: a string without raw control characters, escapes only of the listed forms.
const STRING = String.raw`"[^"\\\x00-\x1f]*(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})[^"\\\x00-\x1f]*)*"`;
/** A captured string without escapes (its text is its value). */
const PLAIN = (name: string): string => `"(?<${name}>[^"\\\\\\x00-\\x1f]*)"`;
// RFC 8259 §6.
const NUMBER = String.raw`-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?`;
/** A captured integer without sign, fraction or exponent (JSON.parse gives the same value as Number). */
const UINT = String.raw`0|[1-9]\d*`;
const SCALAR = `(?:${STRING}|${NUMBER}|true|false|null)`;
/**
 * After an object member / array element: a comma when another follows, nothing before the
 * closing brace / bracket. With every member optional this keeps commas exactly between members
 * without repeating a member's pattern (lookaheads: cheap in irregexp, lookbehinds are not).
 */
const MEMBER_END = String.raw`(?:,(?=")|(?=\}))`;
const ELEMENT_END = String.raw`(?:,(?!\])|(?=\]))`;

/** Any JSON value nested at most `depth` containers deep. */
function value(depth: number): string {
  if (depth === 0) return SCALAR;
  const inner = value(depth - 1);
  return `(?:${SCALAR}|\\[(?:${inner}${ELEMENT_END})*\\]|\\{(?:${STRING}:${inner}${MEMBER_END})*\\})`;
}
const arrayOf = (element: string): string => `\\[(?:${element}${ELEMENT_END})*\\]`;
const member = (name: string, pattern: string): string => `(?:"${name}":${pattern}${MEMBER_END})?`;
const object = (...members: string[]): string => `\\{${members.join('')}\\}`;
/** An object of scalars (emitter, ethernet, service, interface…): small, so the whole pattern stays small. */
const FLAT = `\\{(?:${STRING}:${SCALAR}${MEMBER_END})*\\}`;

/** Flow fields the reader reads: a generic (unknown) field never has one of these names. */
const USED_FLOW_FIELDS = ['time', 'verdict', 'drop_reason', 'IP', 'l4', 'source', 'destination', 'Type', 'node_name', 'event_type', 'traffic_direction', 'trace_observation_point', 'drop_reason_desc', 'is_reply', 'source_service', 'destination_service', 'trace_reason', 'egress_allowed_by', 'ingress_allowed_by', 'egress_denied_by', 'ingress_denied_by'];

/** An enum value's name (protojson writes enums as names). */
const ENUM = String.raw`"[A-Z][A-Z0-9_]*"`;
const enumCap = (name: string): string => `"(?<${name}>[A-Z][A-Z0-9_]*)"`;

/** `(?<name>pattern)`: a capture the scanner reads; numbered by NAMED below, the names then removed. */
const cap = (name: string, pattern: string): string => `(?<${name}>${pattern})`;
/** An empty capture: defined when the member it opens is present. */
const mark = (name: string): string => `(?<${name}>)`;

function endpoint(side: string): string {
  return object(
    member('ID', NUMBER),
    member('identity', cap(`${side}Identity`, UINT)),
    member('cluster_name', STRING),
    member('namespace', PLAIN(`${side}Namespace`)),
    member('labels', cap(`${side}Labels`, arrayOf(STRING))),
    member('pod_name', PLAIN(`${side}Pod`)),
    member('workloads', arrayOf(FLAT)),
  );
}

const ports = (l4: string): string => member('source_port', cap(`${l4}SrcPort`, UINT)) + member('destination_port', cap(`${l4}DstPort`, UINT));
const icmp = (l4: string): string => member('type', cap(`${l4}Type`, UINT)) + member('code', cap(`${l4}Code`, UINT));
const FLAGS = `\\{(?:"(?:FIN|SYN|RST|PSH|ACK|URG|ECE|CWR|NS)":true${MEMBER_END})*\\}`;
/** Layer4 is a oneof: at most one member; SCTP, VRRP and IGMP are read as another L4. */
const L4 = `\\{(?:"TCP":${mark('tcp')}${object(ports('tcp'), member('flags', cap('tcpFlags', FLAGS)))}|"UDP":${mark('udp')}${object(ports('udp'))}|"ICMPv4":${mark('icmpv4')}${object(icmp('icmpv4'))}|"ICMPv6":${mark('icmpv6')}${object(icmp('icmpv6'))}|"(?:SCTP|VRRP|IGMP)":${FLAT})?\\}`;

/** flow.proto Policy (the `*_allowed_by` / `*_denied_by` lists). */
const POLICY = object(member('name', STRING), member('namespace', STRING), member('labels', arrayOf(STRING)), member('revision', SCALAR), member('kind', STRING));

/**
 * Flow, in declaration order. Left to JSON.parse (not matched here, to keep the pattern under
 * V8's 20 KB limit above which irregexp stops optimizing: RegExp::kRegExpTooLargeToOptimize):
 * `l7` (L7 records are only counted), `extensions` (google.protobuf.Any), `aggregate`.
 */
const FLOW = object(
  member('time', PLAIN('time')),
  member('uuid', STRING),
  member('emitter', FLAT),
  member('verdict', enumCap('verdict')),
  member('drop_reason', cap('dropReasonNumber', UINT)),
  member('auth_type', SCALAR),
  member('ethernet', FLAT),
  member('IP', mark('ip') + object(member('source', PLAIN('src')), member('source_xlated', cap('xlated', STRING)), member('destination', PLAIN('dst')), member('ipVersion', SCALAR), member('encrypted', SCALAR))),
  member('l4', L4),
  member('tunnel', object(member('protocol', SCALAR), member('IP', FLAT), member('l4', value(2)))),
  member('source', endpoint('src')),
  member('destination', endpoint('dst')),
  member('Type', enumCap('type')),
  member('node_name', PLAIN('nodeName')),
  member('node_labels', arrayOf(STRING)),
  member('source_names', arrayOf(STRING)),
  member('destination_names', arrayOf(STRING)),
  member('reply', SCALAR),
  member('event_type', object(member('type', cap('eventType', String.raw`-?(?:0|[1-9]\d*)`)), member('sub_type', NUMBER))),
  member('source_service', cap('srcService', FLAT)),
  member('destination_service', cap('dstService', FLAT)),
  member('traffic_direction', enumCap('direction')),
  member('policy_match_type', SCALAR),
  member('trace_observation_point', enumCap('point')),
  member('trace_reason', cap('traceReason', SCALAR)),
  member('file', FLAT),
  member('ip_trace_id', FLAT),
  member('drop_reason_desc', enumCap('dropReason')),
  member('is_reply', cap('isReply', 'true|false')),
  member('debug_capture_point', SCALAR),
  member('interface', FLAT),
  member('proxy_port', SCALAR),
  member('trace_context', object(member('parent', FLAT))),
  member('sock_xlate_point', SCALAR),
  member('socket_cookie', SCALAR),
  member('cgroup_id', SCALAR),
  member('Summary', STRING),
  member('egress_allowed_by', cap('egressAllowedBy', arrayOf(POLICY))),
  member('ingress_allowed_by', cap('ingressAllowedBy', arrayOf(POLICY))),
  member('egress_denied_by', cap('egressDeniedBy', arrayOf(POLICY))),
  member('ingress_denied_by', cap('ingressDeniedBy', arrayOf(POLICY))),
  member('policy_log', arrayOf(STRING)),
  // Fields newer than the proto above, after the last known one.
  `(?:(?!"(?:${USED_FLOW_FIELDS.join('|')})")"[A-Za-z0-9_]+":${value(2)}${MEMBER_END})*`,
);

/**
 * One line: the wrapper (flow, node_name, time: observer.proto's order), then the line's end. The
 * wrapper's node_name and time only mark their presence (no string made): they are read only when
 * the flow lacks its own, and such a line is left to JSON.parse.
 */
const NAMED = `\\{"flow":${FLOW}${MEMBER_END}${member('node_name', mark('wrapperNodeName') + STRING)}${member('time', mark('wrapperTime') + STRING)}\\}\\r?(?:\\n|$)`;

/** Capture numbers by name: the order the named groups open in (the only capturing groups). */
const GROUP_NAMES = [...NAMED.matchAll(/\(\?<([A-Za-z0-9]+)>/g)].map((g) => g[1] as string);
function group(name: string): number {
  const i = GROUP_NAMES.indexOf(name);
  if (i < 0 || GROUP_NAMES.lastIndexOf(name) !== i) throw new Error(`scan-hubble-line: capture ${name} missing or repeated`);
  return i + 1;
}
const G = {
  time: group('time'),
  verdict: group('verdict'),
  dropReasonNumber: group('dropReasonNumber'),
  ip: group('ip'),
  src: group('src'),
  xlated: group('xlated'),
  srcService: group('srcService'),
  dstService: group('dstService'),
  traceReason: group('traceReason'),
  dst: group('dst'),
  tcp: group('tcp'),
  tcpSrcPort: group('tcpSrcPort'),
  tcpDstPort: group('tcpDstPort'),
  tcpFlags: group('tcpFlags'),
  udp: group('udp'),
  udpSrcPort: group('udpSrcPort'),
  udpDstPort: group('udpDstPort'),
  icmpv4: group('icmpv4'),
  icmpv4Type: group('icmpv4Type'),
  icmpv4Code: group('icmpv4Code'),
  icmpv6: group('icmpv6'),
  icmpv6Type: group('icmpv6Type'),
  icmpv6Code: group('icmpv6Code'),
  srcIdentity: group('srcIdentity'),
  srcNamespace: group('srcNamespace'),
  srcLabels: group('srcLabels'),
  srcPod: group('srcPod'),
  dstIdentity: group('dstIdentity'),
  dstNamespace: group('dstNamespace'),
  dstLabels: group('dstLabels'),
  dstPod: group('dstPod'),
  type: group('type'),
  nodeName: group('nodeName'),
  eventType: group('eventType'),
  direction: group('direction'),
  point: group('point'),
  dropReason: group('dropReason'),
  isReply: group('isReply'),
  egressAllowedBy: group('egressAllowedBy'),
  ingressAllowedBy: group('ingressAllowedBy'),
  egressDeniedBy: group('egressDeniedBy'),
  ingressDeniedBy: group('ingressDeniedBy'),
  wrapperNodeName: group('wrapperNodeName'),
  wrapperTime: group('wrapperTime'),
} as const;
const LINE = new RegExp(NAMED.replace(/\(\?<[A-Za-z0-9]+>/g, '('), 'y');

/**
 * Reads the line of `text` that starts at `start` into `out` when it has the shape above and
 * its values are ones the reader takes as they are; returns the index after the line (after its
 * '\n', or text.length at the end), or -1 when parseHubbleLine must read it (what is then in
 * `out` is meaningless). Mirrors parseFlow (parse-hubble-line.ts) step by step.
 */
export function scanHubbleLine(text: string, start: number, out: HubbleEvent): number {
  LINE.lastIndex = start;
  const m = LINE.exec(text);
  if (m === null) return -1;
  const end = LINE.lastIndex;
  const time = m[G.time];
  if (time === undefined || !parseTimestamp(time, out)) return -1;
  const nodeName = m[G.nodeName];
  if (nodeName === undefined && m[G.wrapperNodeName] !== undefined) return -1;
  out.nodeName = nodeName === undefined ? '' : interned(nodeName);
  const type = m[G.type];
  const eventTypeText = m[G.eventType];
  const eventType = eventTypeText === undefined ? 0 : Number(eventTypeText);
  out.eventType = eventType;
  if (type === 'L7' || eventType === HubbleEventType.ACCESS_LOG) return kindOnly(out, HubbleEventKind.L7, end);
  if (type === 'SOCK' || eventType === HubbleEventType.TRACE_SOCK) return kindOnly(out, HubbleEventKind.SOCK, end);
  if (eventType === HubbleEventType.CAPTURE || eventType === HubbleEventType.RECORDER_CAPTURE || eventType === HubbleEventType.DEBUG) return kindOnly(out, HubbleEventKind.DEBUG_CAPTURE, end);
  if (m[G.ip] === undefined) return kindOnly(out, HubbleEventKind.NOT_IP, end);
  const srcText = m[G.src];
  const dstText = m[G.dst];
  if (srcText === undefined || dstText === undefined) return -1;
  const a = addressInto(srcText, out.src);
  if (a === 0 || addressInto(dstText, out.dst) !== a) return -1;
  out.ipVersion = a;
  const xlated = m[G.xlated];
  out.sourceXlated = xlated !== undefined && xlated.length > 2;
  // An escaped or foreign-family address is parseFlow's to report (the same error either way).
  if (xlated !== undefined && out.sourceXlated && (xlated.includes('\\') || addressInto(xlated.slice(1, -1), out.srcXlated) !== a)) return -1;
  out.srcPort = 0;
  out.dstPort = 0;
  out.tcpFlags = 0;
  out.icmpType = 0;
  out.icmpCode = 0;
  if (m[G.tcp] !== undefined) {
    out.protocol = 6;
    if (!portsOf(m[G.tcpSrcPort], m[G.tcpDstPort], out)) return -1;
    out.tcpFlags = tcpFlagsOf(m[G.tcpFlags]);
  } else if (m[G.udp] !== undefined) {
    out.protocol = 17;
    if (!portsOf(m[G.udpSrcPort], m[G.udpDstPort], out)) return -1;
  } else if (m[(a === 4 ? G.icmpv4 : G.icmpv6)] !== undefined) {
    out.protocol = a === 4 ? 1 : 58;
    const type = byteOf(m[a === 4 ? G.icmpv4Type : G.icmpv6Type]);
    const code = byteOf(m[a === 4 ? G.icmpv4Code : G.icmpv6Code]);
    if (type < 0 || code < 0) return -1;
    out.icmpType = type;
    out.icmpCode = code;
  } else return kindOnly(out, HubbleEventKind.OTHER_L4, end);
  const verdict = verdictOf(m[G.verdict] ?? 'VERDICT_UNKNOWN');
  if (verdict < 0) return -1;
  out.verdict = verdict;
  const reasonText = m[G.dropReason];
  const reasonNumber = Number(m[G.dropReasonNumber] ?? 0);
  out.dropReason = reasonText !== undefined ? interned(reasonText) : reasonNumber !== 0 ? (POLICY_DROP_NUMBERS.get(reasonNumber) ?? String(reasonNumber)) : '';
  out.policyDrop = POLICY_DROP_REASONS.has(out.dropReason);
  const point = observationPointOf(m[G.point]);
  if (point < 0) return -1;
  out.point = point;
  const isReply = m[G.isReply];
  out.isReply = isReply === 'true' ? 1 : isReply === 'false' ? 0 : -1;
  const direction = m[G.direction];
  out.direction = direction === 'INGRESS' ? 1 : direction === 'EGRESS' ? 2 : 0;
  out.srcPod = podOf(m[G.srcNamespace], m[G.srcPod]);
  out.dstPod = podOf(m[G.dstNamespace], m[G.dstPod]);
  out.srcKind = endpointKindOf(m[G.srcPod], m[G.srcIdentity], m[G.srcLabels]);
  out.dstKind = endpointKindOf(m[G.dstPod], m[G.dstIdentity], m[G.dstLabels]);
  const egressAllowed = m[G.egressAllowedBy];
  const ingressAllowed = m[G.ingressAllowedBy];
  const egressDenied = m[G.egressDeniedBy];
  const ingressDenied = m[G.ingressDeniedBy];
  const anyPolicies = egressAllowed !== undefined || ingressAllowed !== undefined || egressDenied !== undefined || ingressDenied !== undefined;
  out.policies = anyPolicies ? policyNamesOf(jsonOf(egressAllowed), jsonOf(ingressAllowed), jsonOf(egressDenied), jsonOf(ingressDenied)) : '';
  // Rare (Service traffic, trace events): the captured JSON is parsed as parseFlow reads it.
  const srcService = m[G.srcService];
  const dstService = m[G.dstService];
  const traceReason = m[G.traceReason];
  out.sourceService = srcService === undefined ? '' : interned(serviceOf(jsonOf(srcService) as Json));
  out.destinationService = dstService === undefined ? '' : interned(serviceOf(jsonOf(dstService) as Json));
  out.traceReason = traceReason === undefined ? 0 : traceReasonOf(jsonOf(traceReason));
  out.kind = HubbleEventKind.PACKET;
  return end;
}

function kindOnly(out: HubbleEvent, kind: HubbleEventKind, end: number): number {
  out.kind = kind;
  return end;
}

/** False when one is not a port (0..65535). */
function portsOf(srcText: string | undefined, dstText: string | undefined, out: HubbleEvent): boolean {
  const src = portOf(srcText);
  const dst = portOf(dstText);
  out.srcPort = src;
  out.dstPort = dst;
  return src >= 0 && dst >= 0;
}

function portOf(text: string | undefined): number {
  if (text === undefined) return 0;
  const n = text.length <= 5 ? Number(text) : -1;
  return n <= 65535 ? n : -1;
}

function byteOf(text: string | undefined): number {
  if (text === undefined) return 0;
  const n = text.length <= 3 ? Number(text) : -1;
  return n <= 255 ? n : -1;
}

/** Bits of the flags objects seen (a handful of distinct texts: SYN, SYN+ACK, ACK, PSH+ACK…). */
const flagBits = new Map<string, number>();

/** TcpFlag bits (dataplane/packet-meta.ts) of a flags object the pattern matched (names once or more, each `true`). */
function tcpFlagsOf(text: string | undefined): number {
  if (text === undefined || text.length === 2) return 0;
  let bits = flagBits.get(text);
  if (bits === undefined) {
    bits = flagBitsOf(text);
    if (flagBits.size >= INTERNED_MAX) flagBits.clear();
    flagBits.set(interned(text), bits);
  }
  return bits;
}

function flagBitsOf(text: string): number {
  let bits = 0;
  if (text.includes('"FIN"')) bits |= 1;
  if (text.includes('"SYN"')) bits |= 2;
  if (text.includes('"RST"')) bits |= 4;
  if (text.includes('"PSH"')) bits |= 8;
  if (text.includes('"ACK"')) bits |= 16;
  if (text.includes('"URG"')) bits |= 32;
  if (text.includes('"ECE"')) bits |= 64;
  if (text.includes('"CWR"')) bits |= 128;
  return bits;
}

/** A captured value the pattern has validated as JSON (rare: policy lists, the labels of an endpoint without pod or known identity). */
function jsonOf(text: string | undefined): unknown {
  return text === undefined ? undefined : JSON.parse(text);
}

function endpointKindOf(podName: string | undefined, identity: string | undefined, labels: string | undefined): number {
  const kind = endpointKindByIdentity(podName, identity === undefined ? undefined : Number(identity));
  return kind >= 0 ? kind : endpointKindByLabels(jsonOf(labels));
}

/**
 * Strings kept beyond the line (node names, pods, drop reasons) are copies: a substring the
 * pattern captured holds on to the whole chunk it came from (V8 sliced strings), so keeping it in
 * the order buffer or the missing-pod set would keep megabytes per packet. Few distinct values
 * recur millions of times: each is copied once and looked up after.
 */
const INTERNED_MAX = 1 << 14;
const internedStrings = new Map<string, string>();

function interned(text: string): string {
  let copy = internedStrings.get(text);
  if (copy === undefined) {
    if (internedStrings.size >= INTERNED_MAX) internedStrings.clear();
    copy = copyOf(text);
    internedStrings.set(copy, copy);
  }
  return copy;
}

function copyOf(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}

/** `namespace/pod_name` per pod name: the last namespace seen with it and the joined string. */
const podNames = new Map<string, { namespace: string; pod: string }>();

function podOf(namespace: string | undefined, name: string | undefined): string {
  if (name === undefined || name === '') return '';
  const ns = namespace ?? '';
  const known = podNames.get(name);
  if (known !== undefined && known.namespace === ns) return known.pod;
  if (podNames.size >= INTERNED_MAX) podNames.clear();
  const entry = { namespace: copyOf(ns), pod: copyOf(`${ns}/${name}`) };
  podNames.set(copyOf(name), entry);
  return entry.pod;
}
