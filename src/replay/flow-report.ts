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
import { protocolName } from './name-protocol.js';

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

/**
 * `--flows` lines as bytes. One line per flow, so this is on the path of every flow: the line is
 * written straight into a reused buffer — constant parts and the quoted names of pods, rules and
 * policy lists as bytes made once, numbers and addresses as digits — instead of building an
 * object, serialising it and encoding the string (which cost several microseconds a flow).
 * `flowLine` returns the same bytes as a string; test/replay-flow-line.test.ts holds both to
 * byte equality with `JSON.stringify(flowReport(…))`.
 */
export class FlowLineBuffer {
  buffer: Buffer = Buffer.allocUnsafe(1 << 17);
  length = 0;

  /** Room for `n` more bytes (the buffer doubles when a line does not fit). */
  reserve(n: number): void {
    if (this.length + n <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buffer.copy(next, 0, 0, this.length);
    this.buffer = next;
  }

  bytes(b: Uint8Array): void {
    const n = b.length;
    this.reserve(n);
    const buf = this.buffer;
    let at = this.length;
    // A loop: TypedArray.set costs more than it moves for the few bytes of a key or a name.
    if (n < 16) for (let i = 0; i < n; i++) buf[at++] = b[i] as number;
    else {
      buf.set(b, at);
      at += n;
    }
    this.length = at;
  }

  /** Text that is known to be ASCII (constant keys, digits, addresses, times). */
  ascii(text: string): void {
    const n = text.length;
    this.reserve(n);
    const buf = this.buffer;
    let at = this.length;
    for (let i = 0; i < n; i++) buf[at++] = text.charCodeAt(i);
    this.length = at;
  }

  /** Any text, UTF-8. */
  utf8(text: string): void {
    this.reserve(text.length * 3);
    this.length += this.buffer.write(text, this.length, 'utf8');
  }

  byte(c: number): void {
    this.reserve(1);
    this.buffer[this.length++] = c;
  }

  /** A number as JSON writes it (digits for the non-negative integers counters and ports are). */
  number(n: number): void {
    if (!(n >= 0 && n <= 0xffffffff && Math.floor(n) === n)) {
      this.ascii(JSON.stringify(n));
      return;
    }
    this.reserve(10);
    const buf = this.buffer;
    if (n === 0) {
      buf[this.length++] = 0x30;
      return;
    }
    if (n < 0x80000000) {
      // Integer arithmetic for the common case (ports, counts below 2^31).
      let digits = 1;
      for (let v = (n / 10) | 0; v > 0; v = (v / 10) | 0) digits++;
      let at = this.length + digits;
      this.length = at;
      for (let v = n | 0; v > 0; v = (v / 10) | 0) buf[--at] = 0x30 + (v % 10);
      return;
    }
    let digits = 0;
    for (let v = n; v >= 1; v = Math.floor(v / 10)) digits++;
    let at = this.length + digits;
    this.length = at;
    for (let v = n; v >= 1; v = Math.floor(v / 10)) buf[--at] = 0x30 + (v % 10);
  }

  /** An IPv4 or IPv6 address from a record's 4-word column. */
  address(family: number, words: Uint32Array, f: number): void {
    const o = f * 4;
    if (family !== 4) {
      this.ascii(formatIpv6Words(words[o] as number, words[o + 1] as number, words[o + 2] as number, words[o + 3] as number));
      return;
    }
    const w = words[o] as number;
    this.number(w >>> 24);
    this.byte(0x2e);
    this.number((w >>> 16) & 0xff);
    this.byte(0x2e);
    this.number((w >>> 8) & 0xff);
    this.byte(0x2e);
    this.number(w & 0xff);
  }

  /** `isoTime(seconds)` without making the string: the second's prefix is kept as bytes. */
  time(seconds: number): void {
    const ms = Math.floor(seconds * 1000);
    const micros = Math.round((seconds * 1e6) % 1000);
    const second = Math.floor(ms / 1000);
    if (second !== this.timeSecond) {
      const text = new Date(second * 1000).toISOString();
      if (text.length !== 24) {
        this.ascii(isoTime(seconds));
        return;
      }
      this.timeSecond = second;
      this.timePrefix = Buffer.from(text.slice(0, 20), 'latin1');
    }
    this.bytes(this.timePrefix);
    const frac = ms - second * 1000;
    this.reserve(8);
    const buf = this.buffer;
    buf[this.length++] = 0x30 + Math.floor(frac / 100);
    buf[this.length++] = 0x30 + (Math.floor(frac / 10) % 10);
    buf[this.length++] = 0x30 + (frac % 10);
    if (micros >= 0 && micros < 1000) {
      buf[this.length++] = 0x30 + Math.floor(micros / 100);
      buf[this.length++] = 0x30 + (Math.floor(micros / 10) % 10);
      buf[this.length++] = 0x30 + (micros % 10);
    } else this.ascii(String(micros).padStart(3, '0'));
    buf[this.length++] = 0x5a; // Z
  }

  private timeSecond = Number.NaN;
  private timePrefix: Buffer = Buffer.alloc(0);

  toString(): string {
    return this.buffer.toString('utf8', 0, this.length);
  }
}

/** Bytes of JSON texts made once: keys and the quoted names of pods, rules and policy lists. */
const ascii = (text: string): Buffer => Buffer.from(text, 'utf8');
const NULL_BYTES = ascii('null');
const quoted = (text: string): Buffer => ascii(JSON.stringify(text));

/** Quoted texts by small number (reason, protocol, TCP state): made once each. */
class QuotedByNumber {
  private readonly texts: (Buffer | undefined)[] = [];
  constructor(private readonly name: (n: number) => string) {}
  get(n: number): Buffer {
    let bytes = this.texts[n];
    if (bytes === undefined) {
      bytes = quoted(this.name(n));
      this.texts[n] = bytes;
    }
    return bytes;
  }
}

const REASON_TEXTS = new QuotedByNumber((reason) => FLOW_REASON_NAME[reason] ?? REASON_NAME[reason as Reason] ?? String(reason));
const PROTOCOL_TEXTS = new QuotedByNumber((protocol) => PROTOCOL_NAMES[protocol] ?? String(protocol));
const STATE_TEXTS = new QuotedByNumber((state) => TCP_CT_STATE_NAME[state] ?? 'null');

/**
 * One provenance's texts as bytes, by endpoint and rule id (arrays, not maps: a line looks up a
 * dozen of them). A timeline has one provenance per policy version, each with its own.
 */
class ProvenanceTexts {
  private readonly pods: (Buffer | undefined)[] = [];
  private readonly rules: (Buffer | undefined)[] = [];
  private readonly policies: (Buffer | undefined)[] = [];
  private readonly isolation: ({ readonly list: Buffer; readonly joined: Buffer } | undefined)[][] = [[], []];

  constructor(private readonly provenance: FlowProvenance) {}

  pod(endpoint: number): Buffer {
    if (endpoint < 0) return NULL_BYTES;
    let bytes = this.pods[endpoint];
    if (bytes === undefined) {
      const pod = this.provenance.pod(endpoint);
      bytes = pod ? quoted(`${pod.namespace}/${pod.name}`) : NULL_BYTES;
      this.pods[endpoint] = bytes;
    }
    return bytes;
  }

  /** A rule's text, quoted; `null` for no rule (-1) or an unknown id. */
  rule(id: number): Buffer {
    if (id < 0) return NULL_BYTES;
    let bytes = this.rules[id];
    if (bytes === undefined) {
      const ref = this.provenance.rule(id);
      bytes = ref ? quoted(ruleText(ref)) : NULL_BYTES;
      this.rules[id] = bytes;
    }
    return bytes;
  }

  /** The rule's policy name, quoted. */
  policy(id: number): Buffer {
    if (id < 0) return NULL_BYTES;
    let bytes = this.policies[id];
    if (bytes === undefined) {
      const ref = this.provenance.rule(id);
      bytes = ref ? quoted(rulePolicyName(ref)) : NULL_BYTES;
      this.policies[id] = bytes;
    }
    return bytes;
  }

  /** The policies isolating `endpoint` in `direction` (0 egress, 1 ingress): as a list and joined. */
  isolatedBy(endpoint: number, direction: 0 | 1): { readonly list: Buffer; readonly joined: Buffer } {
    const table = this.isolation[direction] as ({ readonly list: Buffer; readonly joined: Buffer } | undefined)[];
    const key = endpoint + 1;
    let bytes = table[key];
    if (bytes === undefined) {
      const list = this.provenance.isolatedBy(endpoint, direction === 0 ? 'egress' : 'ingress');
      bytes = { list: ascii(JSON.stringify(list)), joined: list.length ? quoted(list.join(', ')) : NULL_BYTES };
      table[key] = bytes;
    }
    return bytes;
  }
}

const PROVENANCE_TEXTS = new WeakMap<FlowProvenance, ProvenanceTexts>();
let lastProvenance: FlowProvenance | null = null;
let lastTexts: ProvenanceTexts | null = null;

function textsOf(provenance: FlowProvenance): ProvenanceTexts {
  if (provenance === lastProvenance && lastTexts) return lastTexts;
  let texts = PROVENANCE_TEXTS.get(provenance);
  if (texts === undefined) {
    texts = new ProvenanceTexts(provenance);
    PROVENANCE_TEXTS.set(provenance, texts);
  }
  lastProvenance = provenance;
  lastTexts = texts;
  return texts;
}

const NO_ISOLATION_BYTES = { list: ascii('[]'), joined: NULL_BYTES } as const;

const K = {
  src: ascii('{"src":"'),
  sportNull: ascii('","sport":null,"dst":"'),
  sport: ascii('","sport":'),
  dst: ascii(',"dst":"'),
  dportNull: ascii('","dport":null,"protocol":'),
  dport: ascii('","dport":'),
  protocol: ascii(',"protocol":'),
  icmpId: ascii(',"icmpId":'),
  icmpType: ascii(',"icmpType":'),
  srcPod: ascii(',"srcPod":'),
  dstPod: ascii(',"dstPod":'),
  allowed: ascii(',"verdict":"allowed","reason":'),
  denied: ascii(',"verdict":"denied","reason":'),
  policy: ascii(',"policy":'),
  rule: ascii(',"rule":'),
  egressRule: ascii(',"egressRule":'),
  ingressRule: ascii(',"ingressRule":'),
  isolatedBy: ascii(',"isolatedBy":'),
  state: ascii(',"state":'),
  forward: ascii(',"packets":{"forward":'),
  reply: ascii(',"reply":'),
  dropped: ascii(',"dropped":'),
  bytesForward: ascii('},"bytes":{"forward":'),
  passedBy: ascii(',"passedBy":{'),
  passEgress: ascii('"egress":'),
  passIngress: ascii('"ingress":'),
  firstSeen: ascii('},"firstSeen":"'),
  lastSeen: ascii('","lastSeen":"'),
  change: ascii('","verdictChange":{"at":"'),
  changeReason: ascii('","reason":'),
} as const;

/** Append flow `f`'s line (without the newline) to `out`: the bytes of `JSON.stringify(flowReport(…))`. */
export function encodeFlowLine(out: FlowLineBuffer, r: FlowRecords, provenances: FlowProvenance | readonly FlowProvenance[], f: number): void {
  const provenance = Array.isArray(provenances)
    ? ((provenances as readonly FlowProvenance[])[r.createdVersion[f] as number] ?? (provenances as readonly FlowProvenance[])[0] as FlowProvenance)
    : (provenances as FlowProvenance);
  const texts = textsOf(provenance);
  const family = r.family[f] as number;
  const protocol = r.protocol[f] as number;
  const icmp = protocol === 1 || protocol === 58;
  const reason = r.reason[f] as number;
  const allowed = reason < 128 && isAllowReason(reason);
  const egressRule = r.egressRule[f] as number;
  const ingressRule = r.ingressRule[f] as number;
  // The deciding rule: the ingress rule when there is one (as provenance.rule would resolve it).
  const deciding = ingressRule >= 0 && texts.rule(ingressRule) !== NULL_BYTES ? ingressRule : egressRule;
  const srcEndpoint = r.srcEndpoint[f] as number;
  const dstEndpoint = r.dstEndpoint[f] as number;
  const isolation = reason === 64 ? texts.isolatedBy(srcEndpoint, 0) : reason === 65 ? texts.isolatedBy(dstEndpoint, 1) : NO_ISOLATION_BYTES;
  const denyRule = !allowed && isTierDrop(reason) ? (isEgressDrop(reason) ? egressRule : ingressRule) : -1;
  const protocolText = PROTOCOL_TEXTS.get(protocol);

  out.bytes(K.src);
  out.address(family, r.src, f);
  if (icmp) {
    out.bytes(K.sportNull);
    out.address(family, r.dst, f);
    out.bytes(K.dportNull);
    out.bytes(protocolText);
    out.bytes(K.icmpId);
    out.number(r.srcPort[f] as number);
    out.bytes(K.icmpType);
    out.number(r.dstPort[f] as number);
  } else {
    out.bytes(K.sport);
    out.number(r.srcPort[f] as number);
    out.bytes(K.dst);
    out.address(family, r.dst, f);
    out.bytes(K.dport);
    out.number(r.dstPort[f] as number);
    out.bytes(K.protocol);
    out.bytes(protocolText);
  }
  out.bytes(K.srcPod);
  out.bytes(texts.pod(srcEndpoint));
  out.bytes(K.dstPod);
  out.bytes(texts.pod(dstEndpoint));
  out.bytes(allowed ? K.allowed : K.denied);
  out.bytes(REASON_TEXTS.get(reason));
  out.bytes(K.policy);
  out.bytes(allowed ? texts.policy(deciding) : denyRule >= 0 && texts.rule(denyRule) !== NULL_BYTES ? texts.policy(denyRule) : isolation.joined);
  out.bytes(K.rule);
  out.bytes(allowed ? texts.rule(deciding) : texts.rule(denyRule));
  out.bytes(K.egressRule);
  out.bytes(texts.rule(egressRule));
  out.bytes(K.ingressRule);
  out.bytes(texts.rule(ingressRule));
  out.bytes(K.isolatedBy);
  out.bytes(isolation.list);
  out.bytes(K.state);
  out.bytes(protocol === 6 && allowed && TCP_CT_STATE_NAME[r.state[f] as number] !== undefined ? STATE_TEXTS.get(r.state[f] as number) : NULL_BYTES);
  out.bytes(K.forward);
  out.number(r.packets[f * 2] as number);
  out.bytes(K.reply);
  out.number(r.packets[f * 2 + 1] as number);
  out.bytes(K.dropped);
  out.number(r.dropped[f] as number);
  out.bytes(K.bytesForward);
  out.number(r.bytes[f * 2] as number);
  out.bytes(K.reply);
  out.number(r.bytes[f * 2 + 1] as number);
  const egressPass = texts.rule(r.egressPassRule[f] as number);
  const ingressPass = texts.rule(r.ingressPassRule[f] as number);
  if (egressPass !== NULL_BYTES || ingressPass !== NULL_BYTES) {
    out.byte(0x7d); // }
    out.bytes(K.passedBy);
    if (egressPass !== NULL_BYTES) {
      out.bytes(K.passEgress);
      out.bytes(egressPass);
    }
    if (egressPass !== NULL_BYTES && ingressPass !== NULL_BYTES) out.byte(0x2c);
    if (ingressPass !== NULL_BYTES) {
      out.bytes(K.passIngress);
      out.bytes(ingressPass);
    }
  }
  out.bytes(K.firstSeen);
  out.time(r.firstSeen[f] as number);
  out.bytes(K.lastSeen);
  out.time(r.lastSeen[f] as number);
  const changedAt = r.changedAt[f] as number;
  if (!Number.isNaN(changedAt)) {
    out.bytes(K.change);
    out.time(changedAt);
    out.bytes(K.changeReason);
    out.bytes(quoted(REASON_NAME[r.changedReason[f] as Reason] ?? String(r.changedReason[f])));
    out.byte(0x7d);
  } else out.byte(0x22); // closing quote of lastSeen
  if ((r.tunnel[f] as number) !== 0 || (r.service[f] as number) >= 0) out.utf8(overlayAndService(r, f));
  out.byte(0x7d);
}

const SCRATCH = new FlowLineBuffer();

/** The `--flows` line of flow `f` (without the newline), as a string: see FlowLineBuffer. */
export function flowLine(r: FlowRecords, provenances: FlowProvenance | readonly FlowProvenance[], f: number): string {
  SCRATCH.length = 0;
  encodeFlowLine(SCRATCH, r, provenances, f);
  return SCRATCH.toString();
}

/** The optional trailing fields of tunnelled and Service flows, as JSON members (',' first), or ''. */
function overlayAndService(r: FlowRecords, f: number): string {
  const tunnel = r.tunnel[f] as number;
  if (tunnel === 0 && (r.service[f] as number) < 0) return '';
  const extra = JSON.stringify({ ...(tunnel ? { tunnel: TUNNEL_KIND_NAME[tunnel] ?? String(tunnel) } : {}), ...serviceFields(r, f) });
  return extra === '{}' ? '' : `,${extra.slice(1, -1)}`;
}
