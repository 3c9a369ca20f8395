/**
 * One line of a Hubble export → one `HubbleEvent` (reused). Three shapes are read, told apart
 * by their keys (field names of cilium's api/v1/flow/flow.proto and api/v1/observer/observer.proto
 * as protojson writes them with UseProtoNames, as `hubble observe -o json|jsonpb` and the exporter
 * do):
 * - `{"flow":{…},"node_name":…,"time":…}` — observer.GetFlowsResponse (`hubble observe`);
 * - the same wrapper with `lost_events`, `node_status`, `agent_event` or `debug_event`
 *   (observer.ExportEvent, the exporter's file);
 * - a bare flow object (`HUBBLE_COMPAT=legacy-json-output`).
 *
 * protojson omits zero values (so `is_reply` absent = unknown: it is a BoolValue; `Type` absent
 * = UNKNOWN_TYPE, as in field-masked exporter lines), writes enums as names and 64-bit integers
 * as strings. Errors name the field by its JSON path (`flow.l4.TCP.source_port`).
 */
import { HubbleEventType, observationPointOf, POLICY_DROP_NUMBERS, POLICY_DROP_REASONS, TRACE_REASONS, verdictOf } from './hubble-names.js';

export const HubbleEventKind = {
  /** A blank line. */
  BLANK: 0,
  /** An L3/L4 packet observation: replayed. */
  PACKET: 1,
  /** `Type` L7 or an access-log event (HTTP, DNS, Kafka records of the proxy). */
  L7: 2,
  /** `Type` SOCK / trace-sock events (socket-level translation, no packet). */
  SOCK: 3,
  LOST_EVENTS: 4,
  AGENT_EVENT: 5,
  DEBUG_EVENT: 6,
  NODE_STATUS: 7,
  /** A flow without IP (ARP, other L2). */
  NOT_IP: 8,
  /** An IP flow without TCP, UDP, ICMP or ICMPv6 (SCTP, VRRP, IGMP, none). */
  OTHER_L4: 9,
  /** Debug captures (`event_type.type` 3) and recorder captures (6): copies, not a datapath decision. */
  DEBUG_CAPTURE: 10,
} as const;
export type HubbleEventKind = (typeof HubbleEventKind)[keyof typeof HubbleEventKind];

/** Names of the kinds in the summary's `events` counters (index = kind). */
export const HUBBLE_EVENT_KIND_NAME: readonly string[] = ['blank', 'packets', 'l7', 'sock', 'lostEvents', 'agentEvents', 'debugEvents', 'nodeStatus', 'notIp', 'otherL4', 'debugCaptures'];

/** What an endpoint of the event is, from its identity and labels (cilium's reserved identities). */
export const EndpointKind = { UNKNOWN: 0, POD: 1, WORLD: 2, HOST: 3, REMOTE_NODE: 4, OTHER_RESERVED: 5 } as const;
export const ENDPOINT_KIND_NAME: readonly string[] = ['unknown', 'pod', 'world', 'host', 'remoteNode', 'otherReserved'];

/** A line the reader cannot use: it ends the read as `corrupt` naming the line and `field`. */
export class HubbleLineError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'HubbleLineError';
  }
}

export class HubbleEvent {
  kind: HubbleEventKind = HubbleEventKind.BLANK;
  tsSec = 0;
  tsNsec = 0;
  ipVersion: 4 | 6 = 4;
  readonly src = new Uint32Array(4);
  readonly dst = new Uint32Array(4);
  protocol = 0;
  srcPort = 0;
  dstPort = 0;
  /** TcpFlag bits (dataplane/packet-meta.ts layout). */
  tcpFlags = 0;
  icmpType = 0;
  icmpCode = 0;
  /** HubbleVerdict. */
  verdict = 0;
  /** `drop_reason_desc` (or the deprecated number's name for policy reasons), '' when none. */
  dropReason = '';
  /** The drop reason is a policy decision (hubble-names.ts POLICY_DROP_REASONS). */
  policyDrop = false;
  eventType = 0;
  /** Index into OBSERVATION_POINTS. */
  point = 0;
  /** `is_reply`: 1 true, 0 false, -1 absent (unknown). */
  isReply = -1;
  /** `traffic_direction`: 0 unknown, 1 INGRESS, 2 EGRESS. */
  direction = 0;
  nodeName = '';
  /** `kind namespace/name` of the policies in `*_allowed_by` / `*_denied_by`, '; '-joined; '' when none. */
  policies = '';
  /** `namespace/pod_name` when the event names a pod, else ''. */
  srcPod = '';
  dstPod = '';
  srcKind = 0;
  dstKind = 0;
  /** `IP.source_xlated` was set (the packet was source-NATed after this point). */
  sourceXlated = false;
  /** `IP.source_xlated` (4 words), when `sourceXlated`: the source in the packet's header here; `src` is then the address before translation. */
  readonly srcXlated = new Uint32Array(4);
  /** `destination_service` / `source_service` as `namespace/name`, '' when absent: Hubble found the address and port to be a Service frontend. */
  destinationService = '';
  sourceService = '';
  /** `trace_reason` (flow.proto TraceReason): 0 unknown, 1 NEW, 2 ESTABLISHED, 3 REPLY, 4 RELATED, 5 REOPENED, 6 SRV6_ENCAP, 7 SRV6_DECAP, 8 ENCRYPT_OVERLAY. */
  traceReason = 0;
  /** lost_events: how many, and the time range they cover (seconds; NaN when not given). */
  lostCount = 0;
  lostFrom = Number.NaN;
  lostTo = Number.NaN;
}

export type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function shown(v: unknown): string {
  return v === undefined ? 'nothing' : JSON.stringify(v);
}

function objectField(o: Json, name: string, path: string): Json | undefined {
  const v = o[name];
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw new HubbleLineError(`${path}${name}`, `field "${path}${name}" must be an object; got ${shown(v)}`);
  return v;
}

function portField(o: Json, name: string, path: string): number {
  const v = o[name];
  if (v === undefined) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 65535) throw new HubbleLineError(`${path}${name}`, `field "${path}${name}" must be an integer from 0 to 65535; got ${shown(v)}`);
  return v;
}

function byteField(o: Json, name: string, path: string): number {
  const v = o[name];
  if (v === undefined) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255) throw new HubbleLineError(`${path}${name}`, `field "${path}${name}" must be an integer from 0 to 255; got ${shown(v)}`);
  return v;
}

// TCP flag bits as dataplane/packet-meta.ts TcpFlag (FIN 1, SYN 2, RST 4, PSH 8, ACK 16, URG 32, ECE 64, CWR 128).
const TCP_FLAG_BITS: readonly (readonly [string, number])[] = [
  ['FIN', 1],
  ['SYN', 2],
  ['RST', 4],
  ['PSH', 8],
  ['ACK', 16],
  ['URG', 32],
  ['ECE', 64],
  ['CWR', 128],
];

/** Seconds of a `YYYY-MM-DDTHH:MM:SS` prefix, cached: consecutive events share the second's prefix. */
let cachedPrefix = '';
let cachedSeconds = 0;

/**
 * An RFC 3339 timestamp as protojson writes google.protobuf.Timestamp: UTC, `Z`, 0, 3, 6 or 9
 * fractional digits. Writes seconds and nanoseconds into `out`; false when it is not one.
 */
export function parseTimestamp(text: string, out: HubbleEvent): boolean {
  if (text.length < 20 || text.charCodeAt(text.length - 1) !== 0x5a /* Z */ || text.charCodeAt(10) !== 0x54 /* T */) return false;
  if (cachedPrefix === '' || !text.startsWith(cachedPrefix)) {
    const prefix = text.slice(0, 19);
    const ms = Date.parse(`${prefix}Z`);
    if (!Number.isFinite(ms)) return false;
    cachedPrefix = prefix;
    cachedSeconds = ms / 1000;
  }
  let nsec = 0;
  const end = text.length - 1;
  if (end > 19) {
    if (text.charCodeAt(19) !== 0x2e /* . */ || end - 20 > 9 || end === 20) return false;
    let digits = 0;
    for (let i = 20; i < end; i++) {
      const c = text.charCodeAt(i) - 0x30;
      if (c < 0 || c > 9) return false;
      nsec = nsec * 10 + c;
      digits++;
    }
    for (; digits < 9; digits++) nsec *= 10;
  } else if (end !== 19) return false;
  out.tsSec = cachedSeconds;
  out.tsNsec = nsec;
  return true;
}

/** Parsed addresses, reused: exports repeat the same few thousand addresses millions of times. */
const ADDRESS_CACHE_MAX = 1 << 16;
const addressCache = new Map<string, number>();
let addressWords = new Uint32Array(ADDRESS_CACHE_MAX * 4);
const addressFamily = new Uint8Array(ADDRESS_CACHE_MAX);

function parseIpv4(text: string): number {
  let word = 0;
  let part = -1;
  let parts = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) {
      if (part < 0 || ++parts > 3) return -1;
      word = word * 256 + part;
      part = -1;
    } else if (c >= 0x30 && c <= 0x39) {
      part = part < 0 ? c - 0x30 : part * 10 + (c - 0x30);
      if (part > 255) return -1;
    } else return -1;
  }
  if (part < 0 || parts !== 3) return -1;
  return (word * 256 + part) >>> 0;
}

function parseIpv6(text: string, out: Uint32Array, at: number): boolean {
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groupsOf = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = groupsOf(halves[0] as string);
  const tail = halves.length === 2 ? groupsOf(halves[1] as string) : [];
  if (!head || !tail) return false;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return false;
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  for (let i = 0; i < 4; i++) out[at + i] = (((groups[i * 2] as number) << 16) | (groups[i * 2 + 1] as number)) >>> 0;
  return true;
}

/** Writes the address into `out` (4 words, IPv4 in word 0); its family, or 0 when it is not an address. */
export function addressInto(text: string, out: Uint32Array): 0 | 4 | 6 {
  let slot = addressCache.get(text);
  if (slot === undefined) {
    if (addressCache.size >= ADDRESS_CACHE_MAX) addressCache.clear();
    slot = addressCache.size;
    const at = slot * 4;
    const v4 = parseIpv4(text);
    if (v4 >= 0) {
      addressWords[at] = v4;
      addressWords[at + 1] = 0;
      addressWords[at + 2] = 0;
      addressWords[at + 3] = 0;
      addressFamily[slot] = 4;
    } else if (text.includes(':') && parseIpv6(text, addressWords, at)) addressFamily[slot] = 6;
    else return 0;
    addressCache.set(text, slot);
  }
  const at = slot * 4;
  out[0] = addressWords[at] as number;
  out[1] = addressWords[at + 1] as number;
  out[2] = addressWords[at + 2] as number;
  out[3] = addressWords[at + 3] as number;
  return addressFamily[slot] as 4 | 6;
}

/** Forget cached addresses (tests that parse many distinct ones). */
export function resetAddressCache(): void {
  addressCache.clear();
  addressWords = new Uint32Array(ADDRESS_CACHE_MAX * 4);
}

function endpointKind(e: Json | undefined): number {
  if (!e) return 0;
  const kind = endpointKindByIdentity(e['pod_name'], e['identity']);
  return kind >= 0 ? kind : endpointKindByLabels(e['labels']);
}

/** The EndpointKind its `pod_name` and `identity` give, or -1 when its `labels` decide. */
export function endpointKindByIdentity(podName: unknown, identity: unknown): number {
  if (typeof podName === 'string' && podName !== '') return 1;
  // Reserved identities (pkg/identity/numericidentity.go): 1 host, 2 world, 6 remote-node; 9 and 10 are world-ipv4/-ipv6 with dual-stack world identities.
  if (identity === 2 || identity === 9 || identity === 10) return 2;
  if (identity === 1) return 3;
  if (identity === 6) return 4;
  return -1;
}

/** The EndpointKind its `labels` give (reserved:… labels), 0 when none says. */
export function endpointKindByLabels(labels: unknown): number {
  if (Array.isArray(labels)) {
    if (labels.includes('reserved:host')) return 3;
    if (labels.includes('reserved:world') || labels.includes('reserved:world-ipv4') || labels.includes('reserved:world-ipv6')) return 2;
    if (labels.includes('reserved:remote-node')) return 4;
    if (labels.some((l) => typeof l === 'string' && l.startsWith('reserved:'))) return 5;
  }
  return 0;
}

function podOf(e: Json | undefined): string {
  if (!e) return '';
  const name = e['pod_name'];
  if (typeof name !== 'string' || name === '') return '';
  const ns = e['namespace'];
  return `${typeof ns === 'string' ? ns : ''}/${name}`;
}

const POLICY_FIELDS = ['egress_allowed_by', 'ingress_allowed_by', 'egress_denied_by', 'ingress_denied_by'] as const;

function policyNames(f: Json): string {
  return policyNamesOf(f[POLICY_FIELDS[0]], f[POLICY_FIELDS[1]], f[POLICY_FIELDS[2]], f[POLICY_FIELDS[3]]);
}

/** The values of `egress_allowed_by`, `ingress_allowed_by`, `egress_denied_by`, `ingress_denied_by` (undefined when absent) as HubbleEvent.policies. */
export function policyNamesOf(egressAllowedBy: unknown, ingressAllowedBy: unknown, egressDeniedBy: unknown, ingressDeniedBy: unknown): string {
  let out = '';
  for (let i = 0; i < POLICY_FIELDS.length; i++) {
    const field = POLICY_FIELDS[i] as (typeof POLICY_FIELDS)[number];
    const list = i === 0 ? egressAllowedBy : i === 1 ? ingressAllowedBy : i === 2 ? egressDeniedBy : ingressDeniedBy;
    if (list === undefined) continue;
    if (!Array.isArray(list)) throw new HubbleLineError(`flow.${field}`, `field "flow.${field}" must be a list of policies; got ${shown(list)}`);
    for (const p of list) {
      if (!isObject(p)) continue;
      const name = typeof p['name'] === 'string' ? p['name'] : '';
      const ns = typeof p['namespace'] === 'string' && p['namespace'] !== '' ? `${p['namespace']}/` : '';
      const kind = typeof p['kind'] === 'string' && p['kind'] !== '' ? `${p['kind']} ` : '';
      const text = `${field.endsWith('denied_by') ? 'denied by' : 'allowed by'} ${kind}${ns}${name}`;
      out = out === '' ? text : `${out}; ${text}`;
    }
  }
  return out;
}

function timeOf(value: unknown, path: string, out: HubbleEvent): void {
  if (typeof value !== 'string' || !parseTimestamp(value, out)) {
    throw new HubbleLineError(path, `field "${path}" must be an RFC 3339 UTC time (e.g. "2026-02-24T08:47:58.042012383Z"); got ${shown(value)}`);
  }
}

function lostTime(value: unknown, out: HubbleEvent): number {
  if (value === undefined) return Number.NaN;
  timeOf(value, 'lost_events.first', out);
  return out.tsSec + out.tsNsec * 1e-9;
}

/** Parses `text` into `out`. Throws HubbleLineError naming the field. */
export function parseHubbleLine(text: string, out: HubbleEvent): void {
  let blank = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) {
      blank = false;
      break;
    }
  }
  if (blank) {
    out.kind = HubbleEventKind.BLANK;
    return;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new HubbleLineError('', `not JSON: ${(error as Error).message}`);
  }
  if (!isObject(value)) throw new HubbleLineError('', 'each line must be a JSON object');
  const flow = value['flow'];
  if (flow !== undefined) {
    if (!isObject(flow)) throw new HubbleLineError('flow', `field "flow" must be an object; got ${shown(flow)}`);
    parseFlow(flow, 'flow.', value, out);
    return;
  }
  if (value['lost_events'] !== undefined) {
    const lost = objectField(value, 'lost_events', '') ?? {};
    const n = lost['num_events_lost'];
    // uint64 is a string in protojson; a number is accepted too.
    const count = typeof n === 'string' ? Number(n) : typeof n === 'number' ? n : 0;
    if (!Number.isFinite(count) || count < 0) throw new HubbleLineError('lost_events.num_events_lost', `field "lost_events.num_events_lost" must be a count; got ${shown(n)}`);
    out.lostFrom = lostTime(lost['first'], out);
    out.lostTo = lostTime(lost['last'], out);
    if (value['time'] !== undefined) timeOf(value['time'], 'time', out);
    else {
      out.tsSec = Number.isNaN(out.lostTo) ? 0 : Math.floor(out.lostTo);
      out.tsNsec = 0;
    }
    out.lostCount = count;
    out.kind = HubbleEventKind.LOST_EVENTS;
    return;
  }
  if (value['agent_event'] !== undefined) out.kind = HubbleEventKind.AGENT_EVENT;
  else if (value['debug_event'] !== undefined) out.kind = HubbleEventKind.DEBUG_EVENT;
  else if (value['node_status'] !== undefined) out.kind = HubbleEventKind.NODE_STATUS;
  else if (value['IP'] !== undefined || value['l4'] !== undefined || value['verdict'] !== undefined || value['event_type'] !== undefined || value['Type'] !== undefined) {
    // A bare flow: `hubble observe -o json` with HUBBLE_COMPAT=legacy-json-output.
    parseFlow(value, '', null, out);
    return;
  } else {
    throw new HubbleLineError('', `not a Hubble event: expected "flow", "lost_events", "agent_event", "debug_event" or "node_status" (or a bare flow object); got the fields ${Object.keys(value).slice(0, 5).map((k) => JSON.stringify(k)).join(', ')}`);
  }
}

/** Field paths of the two flow shapes, made once (not per event). */
function pathsOf(path: string) {
  return { time: `${path}time`, l4: `${path}l4.`, tcp: `${path}l4.TCP.`, udp: `${path}l4.UDP.`, icmpv4: `${path}l4.ICMPv4.`, icmpv6: `${path}l4.ICMPv6.` };
}
const WRAPPED_PATHS = pathsOf('flow.');
const BARE_PATHS = pathsOf('');

function parseFlow(f: Json, path: string, wrapper: Json | null, out: HubbleEvent): void {
  const paths = path === '' ? BARE_PATHS : WRAPPED_PATHS;
  const time = f['time'] ?? wrapper?.['time'];
  timeOf(time, f['time'] !== undefined ? paths.time : 'time', out);
  const nodeName = f['node_name'] ?? wrapper?.['node_name'];
  out.nodeName = typeof nodeName === 'string' ? nodeName : '';
  const type = f['Type'];
  const eventTypeObject = objectField(f, 'event_type', path);
  const eventType = eventTypeObject?.['type'];
  out.eventType = typeof eventType === 'number' ? eventType : 0;
  if (type === 'L7' || type === 2 || out.eventType === HubbleEventType.ACCESS_LOG) {
    out.kind = HubbleEventKind.L7;
    return;
  }
  if (type === 'SOCK' || type === 3 || out.eventType === HubbleEventType.TRACE_SOCK) {
    out.kind = HubbleEventKind.SOCK;
    return;
  }
  if (out.eventType === HubbleEventType.CAPTURE || out.eventType === HubbleEventType.RECORDER_CAPTURE || out.eventType === HubbleEventType.DEBUG) {
    out.kind = HubbleEventKind.DEBUG_CAPTURE;
    return;
  }
  const ip = objectField(f, 'IP', path);
  if (!ip) {
    out.kind = HubbleEventKind.NOT_IP;
    return;
  }
  const srcText = ip['source'];
  const dstText = ip['destination'];
  const a = typeof srcText === 'string' ? addressInto(srcText, out.src) : 0;
  if (a === 0) throw new HubbleLineError(`${path}IP.source`, `field "${path}IP.source" must be an IPv4 or IPv6 address; got ${shown(srcText)}`);
  const b = typeof dstText === 'string' ? addressInto(dstText, out.dst) : 0;
  if (b === 0) throw new HubbleLineError(`${path}IP.destination`, `field "${path}IP.destination" must be an IPv4 or IPv6 address; got ${shown(dstText)}`);
  if (a !== b) throw new HubbleLineError(`${path}IP.destination`, `fields "${path}IP.source" and "${path}IP.destination" mix IPv${a} and IPv${b}`);
  out.ipVersion = a;
  const xlated = ip['source_xlated'];
  out.sourceXlated = typeof xlated === 'string' && xlated !== '';
  if (out.sourceXlated) {
    const c = addressInto(xlated as string, out.srcXlated);
    if (c !== a) throw new HubbleLineError(`${path}IP.source_xlated`, `field "${path}IP.source_xlated" must be an IPv${a} address like "${path}IP.source"; got ${shown(xlated)}`);
  }
  const l4 = objectField(f, 'l4', path);
  out.srcPort = 0;
  out.dstPort = 0;
  out.tcpFlags = 0;
  out.icmpType = 0;
  out.icmpCode = 0;
  let l4Object: Json | undefined;
  if (l4 && (l4Object = objectField(l4, 'TCP', paths.l4))) {
    const p = paths.tcp;
    out.protocol = 6;
    out.srcPort = portField(l4Object, 'source_port', p);
    out.dstPort = portField(l4Object, 'destination_port', p);
    const flags = objectField(l4Object, 'flags', p);
    let bits = 0;
    if (flags) for (const [name, bit] of TCP_FLAG_BITS) if (flags[name] === true) bits |= bit;
    out.tcpFlags = bits;
  } else if (l4 && (l4Object = objectField(l4, 'UDP', paths.l4))) {
    const p = paths.udp;
    out.protocol = 17;
    out.srcPort = portField(l4Object, 'source_port', p);
    out.dstPort = portField(l4Object, 'destination_port', p);
  } else if (l4 && (l4Object = objectField(l4, a === 4 ? 'ICMPv4' : 'ICMPv6', paths.l4))) {
    const p = a === 4 ? paths.icmpv4 : paths.icmpv6;
    out.protocol = a === 4 ? 1 : 58;
    out.icmpType = byteField(l4Object, 'type', p);
    out.icmpCode = byteField(l4Object, 'code', p);
  } else {
    out.kind = HubbleEventKind.OTHER_L4;
    return;
  }
  const verdict = verdictOf(f['verdict'] ?? 'VERDICT_UNKNOWN');
  if (verdict < 0) throw new HubbleLineError(`${path}verdict`, `field "${path}verdict" must be one of FORWARDED, DROPPED, ERROR, AUDIT, REDIRECTED, TRACED, TRANSLATED; got ${shown(f['verdict'])}`);
  out.verdict = verdict;
  const reasonText = f['drop_reason_desc'];
  const reasonNumber = f['drop_reason'];
  out.dropReason = typeof reasonText === 'string' ? reasonText : typeof reasonNumber === 'number' && reasonNumber !== 0 ? (POLICY_DROP_NUMBERS.get(reasonNumber) ?? String(reasonNumber)) : '';
  out.policyDrop = POLICY_DROP_REASONS.has(out.dropReason);
  const point = observationPointOf(f['trace_observation_point']);
  if (point < 0) throw new HubbleLineError(`${path}trace_observation_point`, `field "${path}trace_observation_point" is not an observation point of flow.proto; got ${shown(f['trace_observation_point'])}`);
  out.point = point;
  const isReply = f['is_reply'];
  out.isReply = isReply === true ? 1 : isReply === false ? 0 : -1;
  const direction = f['traffic_direction'];
  out.direction = direction === 'INGRESS' || direction === 1 ? 1 : direction === 'EGRESS' || direction === 2 ? 2 : 0;
  const source = objectField(f, 'source', path);
  const destination = objectField(f, 'destination', path);
  out.srcPod = podOf(source);
  out.dstPod = podOf(destination);
  out.srcKind = endpointKind(source);
  out.dstKind = endpointKind(destination);
  out.policies = policyNames(f);
  out.destinationService = serviceOf(objectField(f, 'destination_service', path));
  out.sourceService = serviceOf(objectField(f, 'source_service', path));
  out.traceReason = traceReasonOf(f['trace_reason']);
  out.kind = HubbleEventKind.PACKET;
}

/** flow.proto `Service` {name, namespace} as `namespace/name`; '' when absent or nameless. */
export function serviceOf(s: Json | undefined): string {
  if (!s) return '';
  const name = s['name'];
  if (typeof name !== 'string' || name === '') return '';
  const ns = s['namespace'];
  return `${typeof ns === 'string' ? ns : ''}/${name}`;
}

/** `trace_reason` by name (or protojson's number for a value unknown to the writer); 0 when absent or unknown. */
export function traceReasonOf(value: unknown): number {
  if (typeof value === 'string') return Math.max(0, TRACE_REASONS.indexOf(value));
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < TRACE_REASONS.length) return value;
  return 0;
}
