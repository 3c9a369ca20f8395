/**
 * The JSONL flow file (`synth --flows-out`, `replay --flows-in`): one JSON object per line, each
 * a packet or a whole flow; an optional first header line gives the link type to build frames
 * with. docs/jsonl-flow-format.md documents the format; this file is its only implementation.
 *
 *   {"format":"netpol-emu-flows","version":1,"linkType":1}
 *   {"ts":1700000000.000123,"src":"10.64.0.5","dst":"10.64.1.7","protocol":"TCP","sport":40000,"dport":8080,"flags":"S","seq":1,"ack":0,"win":64240,"bytes":0}
 *   {"ts":1700000000.5,"src":"10.64.0.5","dst":"10.64.9.2","protocol":"UDP","sport":40001,"dport":53,"packets":4}
 *
 * A line with "packets" is a flow line: it expands (flow-exchange.ts) to a standard exchange
 * starting at "ts", emitted before the next line is read.
 */
import { addressWords } from '../../compiler/intern-identities.js';
import { formatIp, parseIp } from '../load/parse-ip.js';
import { formatTcpFlags, parseTcpFlags, SYNTH_LINK_TYPES, type FrameFields } from './build-frames.js';
import { FLOW_MIN_PACKETS, type FlowExchange } from './flow-exchange.js';

export const FLOWS_FORMAT = 'netpol-emu-flows';
export const FLOWS_VERSION = 1;

const PROTOCOL_NUMBER: Readonly<Record<string, number>> = { TCP: 6, UDP: 17, ICMP: 1, ICMPv6: 58 };
const PROTOCOL_NAME: Readonly<Record<number, string>> = { 6: 'TCP', 17: 'UDP', 1: 'ICMP', 58: 'ICMPv6' };

/** Defaults of flow lines (and of packet-line fields left out). */
export const FLOW_LINE_DEFAULTS = {
  tcpRequestBytes: 300,
  tcpResponseBytes: 1200,
  udpRequestBytes: 40,
  udpResponseBytes: 120,
  rttSec: 0.0002,
  window: 64240,
  ttl: 64,
} as const;

export function formatFlowsHeader(linkType: number): string {
  return JSON.stringify({ format: FLOWS_FORMAT, version: FLOWS_VERSION, linkType });
}

function addressText(version: 4 | 6, words: Uint32Array): string {
  if (version === 4) {
    const w = words[0] as number;
    return `${w >>> 24}.${(w >>> 16) & 0xff}.${(w >>> 8) & 0xff}.${w & 0xff}`;
  }
  let value = 0n;
  for (let i = 0; i < 4; i++) value = (value << 32n) | BigInt(words[i] as number);
  return formatIp(6, value);
}

/** One packet line. `ts` has 6 decimals: the µs the generator works in, exactly. */
export function formatPacketLine(timeUs: number, f: FrameFields): string {
  const sec = Math.floor(timeUs / 1e6);
  const ts = `${sec}.${String(timeUs - sec * 1e6).padStart(6, '0')}`;
  const head = `{"ts":${ts},"src":"${addressText(f.ipVersion, f.src)}","dst":"${addressText(f.ipVersion, f.dst)}","protocol":"${PROTOCOL_NAME[f.protocol] ?? f.protocol}"`;
  const ttl = f.ttl === FLOW_LINE_DEFAULTS.ttl ? '' : `,"ttl":${f.ttl}`;
  if (f.protocol === 6) {
    return `${head},"sport":${f.srcPort},"dport":${f.dstPort},"flags":"${formatTcpFlags(f.tcpFlags)}","seq":${f.tcpSeq >>> 0},"ack":${f.tcpAck >>> 0},"win":${f.tcpWindow},"bytes":${f.payloadLength}${ttl}}`;
  }
  if (f.protocol === 17) return `${head},"sport":${f.srcPort},"dport":${f.dstPort},"bytes":${f.payloadLength}${ttl}}`;
  return `${head},"type":${f.icmpType},"code":${f.icmpCode},"id":${f.icmpId},"seq":${f.icmpSeq},"bytes":${f.payloadLength}${ttl}}`;
}

/** A bad line: the reader turns it into a `corrupt` end naming the line. */
export class FlowLineError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'FlowLineError';
  }
}

export type ParsedLineKind = 'blank' | 'header' | 'packet' | 'flow';

/** What one parsed line carries; reused for every line. */
export class ParsedLine {
  kind: ParsedLineKind = 'blank';
  timeUs = 0;
  linkType = 1;
}

type JsonRecord = Record<string, unknown>;

function integerField(o: JsonRecord, name: string, min: number, max: number, fallback?: number): number {
  const v = o[name];
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new FlowLineError(name, `field "${name}" must be an integer from ${min} to ${max}; got ${v === undefined ? 'nothing' : JSON.stringify(v)}`);
  }
  return v;
}

function timeField(o: JsonRecord): number {
  const v = o['ts'];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v >= 2 ** 32) {
    throw new FlowLineError('ts', `field "ts" must be seconds since the epoch (a number from 0 to 2^32); got ${v === undefined ? 'nothing' : JSON.stringify(v)}`);
  }
  return Math.round(v * 1e6);
}

function addressField(o: JsonRecord, name: string, out: Uint32Array): 4 | 6 {
  const v = o[name];
  const parsed = typeof v === 'string' ? parseIp(v) : null;
  if (!parsed || !parsed.ok) throw new FlowLineError(name, `field "${name}" must be an IPv4 or IPv6 address; got ${v === undefined ? 'nothing' : JSON.stringify(v)}`);
  out.set(addressWords(parsed.value));
  return parsed.value.family;
}

function protocolField(o: JsonRecord, version: 4 | 6): number {
  const v = o['protocol'];
  const p = typeof v === 'string' ? PROTOCOL_NUMBER[v] : undefined;
  if (p === undefined) throw new FlowLineError('protocol', `field "protocol" must be one of TCP, UDP, ICMP, ICMPv6; got ${v === undefined ? 'nothing' : JSON.stringify(v)}`);
  if ((p === 1 && version === 6) || (p === 58 && version === 4)) throw new FlowLineError('protocol', `field "protocol" is ${v} but the addresses are IPv${version}`);
  return p;
}

function addresses(o: JsonRecord, src: Uint32Array, dst: Uint32Array): 4 | 6 {
  const a = addressField(o, 'src', src);
  const b = addressField(o, 'dst', dst);
  if (a !== b) throw new FlowLineError('dst', `fields "src" and "dst" mix IPv${a} and IPv${b}`);
  return a;
}

/**
 * Parses one line into `line` and, for a packet, `fields`, or for a flow, `flow` (started at
 * its time). Throws FlowLineError naming the field. `first` allows the header line.
 */
export function parseFlowLine(text: string, first: boolean, line: ParsedLine, fields: FrameFields, flow: FlowExchange): void {
  if (text.trim() === '') {
    line.kind = 'blank';
    return;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new FlowLineError('', `not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new FlowLineError('', 'each line must be a JSON object');
  const o = value as JsonRecord;
  if (o['format'] !== undefined) {
    if (!first) throw new FlowLineError('format', 'a header line ("format") may only be the first line');
    if (o['format'] !== FLOWS_FORMAT) throw new FlowLineError('format', `field "format" must be "${FLOWS_FORMAT}"; got ${JSON.stringify(o['format'])}`);
    integerField(o, 'version', FLOWS_VERSION, FLOWS_VERSION);
    const linkType = integerField(o, 'linkType', 0, 0xffff, 1);
    if (!(SYNTH_LINK_TYPES as readonly number[]).includes(linkType)) throw new FlowLineError('linkType', `field "linkType" must be one of ${SYNTH_LINK_TYPES.join(', ')}; got ${linkType}`);
    line.kind = 'header';
    line.linkType = linkType;
    return;
  }
  line.timeUs = timeField(o);
  if (o['packets'] !== undefined) {
    parseFlow(o, flow);
    flow.start(line.timeUs);
    line.kind = 'flow';
    return;
  }
  const version = addresses(o, fields.src, fields.dst);
  fields.ipVersion = version;
  const p = protocolField(o, version);
  fields.protocol = p;
  fields.ttl = integerField(o, 'ttl', 1, 255, FLOW_LINE_DEFAULTS.ttl);
  fields.payloadLength = integerField(o, 'bytes', 0, 65000, 0);
  fields.tcpFlags = 0;
  fields.tcpSeq = 0;
  fields.tcpAck = 0;
  fields.tcpWindow = 0;
  fields.srcPort = 0;
  fields.dstPort = 0;
  if (p === 6 || p === 17) {
    fields.srcPort = integerField(o, 'sport', 0, 65535);
    fields.dstPort = integerField(o, 'dport', 0, 65535);
  }
  if (p === 6) {
    const flags = typeof o['flags'] === 'string' ? parseTcpFlags(o['flags']) : -1;
    if (flags < 0) throw new FlowLineError('flags', `field "flags" must be TCP flag letters from SFRPAUEC, each once (e.g. "S", "SA", "PA", "FA"); got ${o['flags'] === undefined ? 'nothing' : JSON.stringify(o['flags'])}`);
    fields.tcpFlags = flags;
    fields.tcpSeq = integerField(o, 'seq', 0, 0xffffffff, 0);
    fields.tcpAck = integerField(o, 'ack', 0, 0xffffffff, 0);
    fields.tcpWindow = integerField(o, 'win', 0, 65535, FLOW_LINE_DEFAULTS.window);
  } else if (p === 1 || p === 58) {
    fields.icmpType = integerField(o, 'type', 0, 255);
    fields.icmpCode = integerField(o, 'code', 0, 255, 0);
    fields.icmpId = integerField(o, 'id', 0, 65535, 0);
    fields.icmpSeq = integerField(o, 'seq', 0, 65535, 0);
  }
  line.kind = 'packet';
}

function parseFlow(o: JsonRecord, flow: FlowExchange): void {
  const version = addresses(o, flow.src, flow.dst);
  flow.ipVersion = version;
  const p = protocolField(o, version);
  flow.protocol = p;
  const icmp = p === 1 || p === 58;
  flow.sport = icmp ? integerField(o, 'id', 0, 65535, 0) : integerField(o, 'sport', 0, 65535);
  flow.dport = icmp ? 0 : integerField(o, 'dport', 0, 65535);
  const min = p === 6 ? FLOW_MIN_PACKETS.TCP : FLOW_MIN_PACKETS.UDP;
  flow.packets = integerField(o, 'packets', 1, 100_000, min);
  const answered = o['answered'];
  if (answered !== undefined && typeof answered !== 'boolean') throw new FlowLineError('answered', `field "answered" must be true or false; got ${JSON.stringify(answered)}`);
  flow.answered = answered ?? true;
  flow.requestBytes = integerField(o, 'bytes', 0, 65000, p === 6 ? FLOW_LINE_DEFAULTS.tcpRequestBytes : p === 17 ? FLOW_LINE_DEFAULTS.udpRequestBytes : 56);
  flow.responseBytes = integerField(o, 'replyBytes', 0, 65000, p === 6 ? FLOW_LINE_DEFAULTS.tcpResponseBytes : p === 17 ? FLOW_LINE_DEFAULTS.udpResponseBytes : 56);
  const rtt = o['rtt'] ?? FLOW_LINE_DEFAULTS.rttSec;
  if (typeof rtt !== 'number' || !(rtt >= 0 && rtt <= 60)) throw new FlowLineError('rtt', `field "rtt" must be seconds from 0 to 60; got ${JSON.stringify(rtt)}`);
  flow.rttUs = Math.round(rtt * 1e6);
}

/** A flow line for an exchange that has not started yet (tests and `--flows-format flows`). */
export function formatFlowLine(timeUs: number, x: FlowExchange): string {
  const sec = Math.floor(timeUs / 1e6);
  const ts = `${sec}.${String(timeUs - sec * 1e6).padStart(6, '0')}`;
  const icmp = x.protocol === 1 || x.protocol === 58;
  const ports = icmp ? `"id":${x.sport}` : `"sport":${x.sport},"dport":${x.dport}`;
  return `{"ts":${ts},"src":"${addressText(x.ipVersion, x.src)}","dst":"${addressText(x.ipVersion, x.dst)}","protocol":"${PROTOCOL_NAME[x.protocol]}",${ports},"packets":${x.packets},"bytes":${x.requestBytes},"replyBytes":${x.responseBytes},"rtt":${x.rttUs / 1e6},"answered":${x.answered}}`;
}
