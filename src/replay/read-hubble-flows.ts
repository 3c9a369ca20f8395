/**
 * `replay --flows-in FILE` with a Hubble export (`hubble observe -o json|jsonpb`, the exporter's
 * file, bare legacy flows): each L3/L4 observation is parsed (parse-hubble-line.ts), observations
 * of one packet are merged and packets put in time order (order-hubble-packets.ts), and each
 * packet is built into one reused frame (src/synth/build-frames.ts, as the JSONL reader does) and
 * handed out in the reused `CaptureRecord`, so the dataplane replays ordinary packets: conntrack,
 * replies and policy run as for a capture. While the callback runs, `current` holds what Hubble
 * recorded for that packet (the oracle reads it: compare-recorded-verdicts.ts).
 *
 * Hubble carries no sequence numbers, payload lengths, IP ids or ICMP echo ids. The frames get:
 * no payload; TCP seq 0 on a SYN and 1 after it, ack 1 on every ACK (so each side acknowledges
 * the other's SYN and nothing is left unacknowledged: conntrack keeps the established timeout,
 * not the 300 s unacknowledged-data one); a window that changes from packet to packet, never 0
 * (identical consecutive segments would count as retransmissions, conntrack's RETRANS timer);
 * ICMP echo id and sequence 0; IPv4 id the packet's number.
 *
 * Parsing: each ASCII run of complete lines becomes one string (TEXT_PIECE_BYTES) and each line
 * is matched in place by scan-hubble-line.ts; a line it leaves (another shape, escapes, an error)
 * goes through parseHubbleLine (JSON.parse), which gives the same event or the error. Memory: a
 * read chunk and one piece at a time, the order buffer's fixed capacity, and the lost-event
 * ranges (at most LOST_RANGES_MAX, merged beyond). A bad line ends the read as `corrupt` naming
 * the file, line and field; the packets before it are replayed.
 */
import { isAscii } from 'node:buffer';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { CaptureRecord, type CaptureEnd, type CaptureEndKind, type RecordCallback } from '../capture/capture-record.js';
import type { OpenCaptureOptions } from '../capture/open-capture.js';
import { TcpFlag } from '../../dataplane/packet-meta.js';
import { buildFrame, FrameFields } from '../synth/build-frames.js';
import { DEFAULT_ORDER_CAPACITY, DEFAULT_REORDER_WINDOW_S, HubblePacketOrder, OrderedPacket, type ServiceFrontends } from './order-hubble-packets.js';
import { ConnectionsByAddressPair, IcmpRelation, isIcmpError, QuotedPacket, quotedLength, writeQuotedPacket } from './relate-icmp-errors.js';
import { ENDPOINT_KIND_NAME, HUBBLE_EVENT_KIND_NAME, HubbleEvent, HubbleEventKind, HubbleLineError, parseHubbleLine } from './parse-hubble-line.js';
import { scanHubbleLine } from './scan-hubble-line.js';

const FRAME_BUFFER_BYTES = 256;
/** Frames are Ethernet (link type 1). */
const ETHERNET_HEADER_BYTES = 14;
const READ_CHUNK_BYTES = 1 << 20;
/** Lines are scanned in strings of about this many bytes (below V8's 128 KiB kMaxRegularHeapObjectSize). */
const TEXT_PIECE_BYTES = 1 << 16;
/** Lost-event ranges kept; beyond it neighbours are merged (the report stays readable too). */
const LOST_RANGES_MAX = 1000;
/** Pod names remembered for the "absent from the cluster" warning (the count goes on beyond). */
const MISSING_PODS_MAX = 10_000;

export type HubbleParseMode = 'auto' | 'json' | 'scan';

/** What NETPOL_EMU_HUBBLE_PARSE=scan reports for a line the scanner leaves to JSON.parse. */
const NOT_SCANNED = 'not in the compact shape the fast scanner reads (NETPOL_EMU_HUBBLE_PARSE=scan; docs/hubble.md "Speed and memory")';

export interface HubbleReadOptions {
  /** `namespace/name` of the cluster's pods: pods the export names that are not here are counted. */
  readonly knownPods?: ReadonlySet<string>;
  /** Seconds a packet waits for earlier ones (default DEFAULT_REORDER_WINDOW_S). */
  readonly reorderWindowSec?: number;
  /** Packets held at most (default DEFAULT_ORDER_CAPACITY). */
  readonly orderCapacity?: number;
  /** The cluster's Service frontends (when it has Services): pre-DNAT observations are told by them too, and followed. */
  readonly frontends?: ServiceFrontends;
  /**
   * How lines are parsed: `auto` (default) the scanner (scan-hubble-line.ts) first, JSON.parse
   * for the lines it leaves; `json` JSON.parse only (the same results, slower); `scan` the
   * scanner only, a line it leaves ends the read as corrupt (shows which lines miss the fast path).
   */
  readonly parse?: HubbleParseMode;
}

/** What became of the ICMP errors (relate-icmp-errors.ts), in packets. */
export interface IcmpErrorStats {
  readonly packets: number;
  /** Related to the one live connection between the two addresses: replayed with its quoted packet. */
  readonly related: number;
  /** No live connection between the two addresses: replayed bare. */
  readonly noConnection: number;
  /** Two or more live connections between them: replayed bare. */
  readonly ambiguous: number;
  /** Cilium's trace said RELATED (`trace_reason`): its conntrack related them. */
  readonly recordedRelated: number;
}

/** Observations of one packet under two addresses (Service DNAT, IP.source_xlated), in packets and observations. */
export interface TranslationStats {
  /** Post-DNAT observations merged with the pre-DNAT observation of their packet. */
  readonly serviceMerged: number;
  /** Of those packets: replayed to the frontend with the endpoint Hubble showed (the cluster has the Service). */
  readonly endpointsFollowed: number;
  /** Replayed to the endpoint (the cluster does not have the frontend Hubble named). */
  readonly backendsReplayed: number;
  /** Observations that could belong to two held packets or more: kept apart. */
  readonly ambiguous: number;
  /** Observations with IP.source_xlated merged with their packet's untranslated observation (source port differs). */
  readonly sourceXlatedMerged: number;
  /** Replies seen only after reverse translation (source_xlated a frontend of the cluster): replayed from the frontend. */
  readonly reverseNatHeaders: number;
}

/** A time range whose events Hubble says it lost: verdicts there are incomplete. */
export interface LostRange {
  from: number;
  to: number;
  events: number;
}

/** What the reader saw, for the summary: every line is in exactly one `events` counter. */
export interface HubbleInputStats {
  /** Lines per kind (`packets` = L3/L4 observations); they add up to `lines`. */
  readonly events: Record<string, number>;
  readonly lines: number;
  /** Packets replayed (observations merged into one packet are not replayed again). */
  readonly packetsReplayed: number;
  /** Observations merged into a packet already read (the same packet at another point or node). */
  readonly observationsMerged: number;
  /** Packets replayed after a later one (their delay exceeded the reorder window). */
  readonly late: number;
  /** Packets that left the reorder buffer before their window because it was full. */
  readonly releasedEarly: number;
  readonly reorderWindowSec: number;
  /** Observation endpoints by identity (source and destination of every L3/L4 observation). */
  readonly endpoints: Record<string, number>;
  /** Observations with IP.source_xlated (replayed with IP.source, the pre-translation address). */
  readonly sourceTranslated: number;
  /** Pods the export names that the cluster does not have: how many, and how many observations. */
  readonly podsNotInCluster: { readonly pods: number; readonly observations: number; readonly examples: readonly string[] };
  /** Events Hubble reported lost, and when. */
  readonly lostEvents: { readonly events: number; readonly ranges: readonly { readonly from: string; readonly to: string; readonly events: number }[] };
  /** Some observation carried a verdict (the recorded-verdict comparison has something to compare). */
  readonly hasVerdicts: boolean;
  /** ICMP errors (present when the export had any). */
  readonly icmpErrors?: IcmpErrorStats;
  /** Translated observations (present when some were merged or followed). */
  readonly translated?: TranslationStats;
}

function isoOf(seconds: number): string {
  return Number.isFinite(seconds) ? new Date(Math.round(seconds * 1000)).toISOString() : '?';
}

export class HubbleFlowReader {
  /** What Hubble recorded for the packet being delivered (valid during the callback). */
  readonly current = new OrderedPacket();
  private readonly kinds = new Float64Array(HUBBLE_EVENT_KIND_NAME.length);
  private readonly endpointKinds = new Float64Array(ENDPOINT_KIND_NAME.length);
  private lines = 0;
  private packets = 0;
  private translated = 0;
  private missingObservations = 0;
  private missingOverflow = 0;
  private readonly missingPods = new Set<string>();
  private lostTotal = 0;
  private readonly lost: LostRange[] = [];
  private verdicts = false;
  private readonly order: HubblePacketOrder;
  private readonly connections = new ConnectionsByAddressPair();
  private readonly quoted = new QuotedPacket();
  /** ICMP errors: packets, related, no connection, ambiguous, recorded related. */
  private readonly icmp = new Float64Array(5);

  constructor(private readonly options: HubbleReadOptions = {}) {
    this.order = new HubblePacketOrder(options.reorderWindowSec ?? DEFAULT_REORDER_WINDOW_S, options.orderCapacity ?? DEFAULT_ORDER_CAPACITY, options.frontends ?? null);
  }

  /** True when `seconds` falls in a range Hubble reported events lost in (known so far). */
  inLostRange(seconds: number): boolean {
    const lost = this.lost;
    for (let i = 0; i < lost.length; i++) {
      const r = lost[i] as LostRange;
      if (seconds >= r.from && seconds <= r.to) return true;
    }
    return false;
  }

  get hasLostRanges(): boolean {
    return this.lost.length > 0;
  }

  stats(): HubbleInputStats {
    const events: Record<string, number> = {};
    HUBBLE_EVENT_KIND_NAME.forEach((name, kind) => {
      if (kind !== HubbleEventKind.BLANK) events[name] = this.kinds[kind] as number;
    });
    const endpoints: Record<string, number> = {};
    ENDPOINT_KIND_NAME.forEach((name, kind) => {
      if ((this.endpointKinds[kind] as number) > 0) endpoints[name] = this.endpointKinds[kind] as number;
    });
    return {
      events,
      lines: this.lines,
      packetsReplayed: this.packets,
      observationsMerged: this.order.merged,
      late: this.order.late,
      releasedEarly: this.order.releasedEarly,
      reorderWindowSec: this.order.windowSec,
      endpoints,
      sourceTranslated: this.translated,
      podsNotInCluster: { pods: this.missingPods.size + this.missingOverflow, observations: this.missingObservations, examples: [...this.missingPods].sort().slice(0, 5) },
      lostEvents: { events: this.lostTotal, ranges: this.lost.map((r) => ({ from: isoOf(r.from), to: isoOf(r.to), events: r.events })) },
      hasVerdicts: this.verdicts,
      ...(this.icmp[0] ? { icmpErrors: { packets: this.icmp[0], related: this.icmp[1] as number, noConnection: this.icmp[2] as number, ambiguous: this.icmp[3] as number, recordedRelated: this.icmp[4] as number } } : {}),
      ...this.translationStats(),
    };
  }

  private translationStats(): { translated?: TranslationStats } {
    const o = this.order;
    if (o.serviceMerged + o.serviceAmbiguous + o.sourceXlatedMerged + o.reverseNatHeaders === 0) return {};
    return {
      translated: {
        serviceMerged: o.serviceMerged,
        endpointsFollowed: o.endpointsFollowed,
        backendsReplayed: o.backendsReplayed,
        ambiguous: o.serviceAmbiguous,
        sourceXlatedMerged: o.sourceXlatedMerged,
        reverseNatHeaders: o.reverseNatHeaders,
      },
    };
  }

  /**
   * An ICMP error about to be replayed: related to its connection (the quoted packet written
   * into the frame's payload) or counted as not relatable (replayed bare).
   */
  private relateIcmpError(packet: OrderedPacket, fields: FrameFields): boolean {
    const icmp = this.icmp;
    icmp[0] = (icmp[0] as number) + 1;
    if (packet.recordedRelated) icmp[4] = (icmp[4] as number) + 1;
    const relation = this.connections.relate(packet.ipVersion, packet.src, packet.dst, packet.tsSec + packet.tsNsec * 1e-9, this.quoted);
    const at = relation === IcmpRelation.RELATED ? 1 : relation === IcmpRelation.NO_CONNECTION ? 2 : 3;
    icmp[at] = (icmp[at] as number) + 1;
    if (relation !== IcmpRelation.RELATED) return false;
    fields.payloadLength = quotedLength(packet.ipVersion);
    fields.payloadTag = 0;
    return true;
  }

  private noteLost(e: HubbleEvent): void {
    this.lostTotal += e.lostCount;
    const at = e.tsSec + e.tsNsec * 1e-9;
    const from = Number.isNaN(e.lostFrom) ? at : e.lostFrom;
    const to = Number.isNaN(e.lostTo) ? at : e.lostTo;
    const lost = this.lost;
    const last = lost[lost.length - 1];
    if (last && from <= last.to + this.order.windowSec) {
      last.to = Math.max(last.to, to);
      last.from = Math.min(last.from, from);
      last.events += e.lostCount;
    } else if (lost.length >= LOST_RANGES_MAX && last) {
      last.to = Math.max(last.to, to);
      last.events += e.lostCount;
    } else lost.push({ from: Math.min(from, to), to: Math.max(from, to), events: e.lostCount });
  }

  private notePods(e: HubbleEvent): void {
    const known = this.options.knownPods;
    if (!known) return;
    let missing = false;
    if (e.srcPod !== '' && !known.has(e.srcPod)) {
      missing = true;
      this.notePodMissing(e.srcPod);
    }
    if (e.dstPod !== '' && !known.has(e.dstPod)) {
      missing = true;
      this.notePodMissing(e.dstPod);
    }
    if (missing) this.missingObservations++;
  }

  private notePodMissing(pod: string): void {
    if (this.missingPods.has(pod)) return;
    if (this.missingPods.size < MISSING_PODS_MAX) this.missingPods.add(pod);
    else this.missingOverflow++;
  }

  /** The replay's reader (ReplayOptions.reader): reads `source` and calls `callback` per packet. */
  readonly read = async (source: string | Readable, callback: RecordCallback, options: OpenCaptureOptions = {}): Promise<CaptureEnd> => {
    const name = typeof source === 'string' ? source : '<stream>';
    const input: Readable = typeof source === 'string' ? (source === '-' ? process.stdin : createReadStream(source, { highWaterMark: READ_CHUNK_BYTES })) : source;
    const betweenChunks = options.betweenChunks;
    const record = new CaptureRecord();
    record.buffer = Buffer.allocUnsafe(FRAME_BUFFER_BYTES);
    record.linkType = 1;
    const fields = new FrameFields();
    const event = new HubbleEvent();
    const order = this.order;
    const packet = this.current;
    let bytesRead = 0;
    let lineNumber = 0;
    let stopped = false;
    const mode = this.options.parse ?? 'auto';
    const fast = mode !== 'json';
    /** The line's event from JSON.parse (the scanner left it). */
    const parsed = (text: string): void => {
      if (mode === 'scan') {
        parseHubbleLine(text, event);
        if (event.kind !== HubbleEventKind.BLANK) throw new HubbleLineError('', NOT_SCANNED);
      } else parseHubbleLine(text, event);
    };

    const end = (kind: CaptureEndKind, message: string | null): CaptureEnd => ({ kind, records: this.packets, bytesRead, byteOffset: bytesRead, format: 'hubble', message });
    const deliver = (): boolean => {
      order.take(packet);
      const n = this.packets;
      fields.ipVersion = packet.ipVersion;
      fields.src.set(packet.src);
      fields.dst.set(packet.dst);
      fields.protocol = packet.protocol;
      fields.srcPort = packet.srcPort;
      fields.dstPort = packet.dstPort;
      const flags = packet.tcpFlags;
      fields.tcpFlags = flags;
      fields.tcpSeq = (flags & TcpFlag.SYN) !== 0 ? 0 : 1;
      fields.tcpAck = (flags & TcpFlag.ACK) !== 0 ? 1 : 0;
      fields.tcpWindow = 1024 + (n & 0x3fff);
      fields.icmpType = packet.icmpType;
      fields.icmpCode = packet.icmpCode;
      fields.icmpId = 0;
      fields.icmpSeq = 0;
      fields.payloadLength = 0;
      fields.ipId = n & 0xffff;
      fields.payloadTag = n & 0xffff;
      const error = isIcmpError(packet.ipVersion, packet.protocol, packet.icmpType);
      const quoted = error && this.relateIcmpError(packet, fields);
      const length = buildFrame(record.buffer, 0, record.linkType, fields);
      if (quoted) writeQuotedPacket(record.buffer, ETHERNET_HEADER_BYTES + (packet.ipVersion === 4 ? 20 : 40), packet.ipVersion, packet.src, packet.dst, this.quoted);
      record.endpointPort = packet.endpointPort;
      if (packet.endpointPort >= 0) record.endpoint.set(packet.endpoint);
      // Later errors are related to the connection as the replay keys it: after DNAT, to the endpoint followed.
      if (!error) this.connections.note(packet.ipVersion, packet.src, packet.endpointPort >= 0 ? packet.endpoint : packet.dst, packet.protocol, packet.srcPort, packet.endpointPort >= 0 ? packet.endpointPort : packet.dstPort, flags, packet.icmpType, packet.tsSec + packet.tsNsec * 1e-9);
      record.capturedLength = length;
      record.wireLength = length;
      record.tsSec = packet.tsSec;
      record.tsNsec = packet.tsNsec;
      record.fileOffset = bytesRead;
      record.index = n;
      this.packets++;
      return callback(record) !== false;
    };
    /** Counts the line just parsed into `event` and feeds the order; false when the callback asked to stop. */
    const took = (): boolean => {
      const kind = event.kind;
      if (kind === HubbleEventKind.BLANK) return true;
      this.lines++;
      this.kinds[kind] = (this.kinds[kind] as number) + 1;
      if (kind === HubbleEventKind.LOST_EVENTS) this.noteLost(event);
      if (kind !== HubbleEventKind.PACKET) return true;
      this.endpointKinds[event.srcKind] = (this.endpointKinds[event.srcKind] as number) + 1;
      this.endpointKinds[event.dstKind] = (this.endpointKinds[event.dstKind] as number) + 1;
      if (event.sourceXlated) this.translated++;
      if (event.verdict !== 0) this.verdicts = true;
      if (event.srcPod !== '' || event.dstPod !== '') this.notePods(event);
      if (order.full && !deliver()) return false;
      order.offer(event);
      while (order.ready()) if (!deliver()) return false;
      return true;
    };
    /** One line as a string of its own (a line across chunks, or in a chunk that is not ASCII). */
    const line = (text: string): boolean => {
      lineNumber++;
      if (!fast || scanHubbleLine(text, 0, event) < 0) parsed(text);
      return took();
    };

    /** A bad line: the packets read before it are still replayed, then the read ends naming it. */
    const corrupt = (error: HubbleLineError): CaptureEnd => {
      while (order.size > 0) if (!deliver()) break;
      return end('corrupt', `${name} line ${lineNumber}: ${error.message}`);
    };

    /**
     * The complete lines buf[start, last] (last: a '\n'); false when the callback asked to stop.
     * An ASCII run becomes one string (bytes = characters): each line is scanned in place, with no
     * string per line; otherwise each line is decoded from UTF-8 on its own.
     */
    const lines = (buf: Buffer, start: number, last: number): boolean => {
      while (start <= last) {
        // Pieces below V8's large-object size: their strings die young (a 1 MiB string would wait for a full GC).
        let pieceLast = start + TEXT_PIECE_BYTES >= last ? last : buf.lastIndexOf(10, start + TEXT_PIECE_BYTES);
        if (pieceLast < start) pieceLast = buf.indexOf(10, start);
        if (!piece(buf, start, pieceLast)) return false;
        start = pieceLast + 1;
      }
      return true;
    };
    /** Lines buf[start, last] (last: a '\n', at most ~TEXT_PIECE_BYTES after start unless one line is longer). */
    const piece = (buf: Buffer, start: number, last: number): boolean => {
      if (fast && isAscii(buf.subarray(start, last + 1))) {
        const text = buf.toString('latin1', start, last + 1);
        let at = 0;
        while (at < text.length) {
          lineNumber++;
          let next = scanHubbleLine(text, at, event);
          if (next < 0) {
            const nl = text.indexOf('\n', at);
            parsed(text.slice(at, nl));
            next = nl + 1;
          }
          const more = took();
          bytesRead += next - at;
          at = next;
          if (!more) return false;
        }
        return true;
      }
      for (let at = start; at <= last; ) {
        const nl = buf.indexOf(10, at);
        const more = line(buf.toString('utf8', at, nl));
        bytesRead += nl + 1 - at;
        at = nl + 1;
        if (!more) return false;
      }
      return true;
    };

    let carry: Buffer | null = null;
    try {
      for await (const chunk of input) {
        const buf: Buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
        let start = 0;
        if (carry) {
          const nl = buf.indexOf(10);
          if (nl < 0) carry = Buffer.concat([carry, buf]);
          else {
            const head = Buffer.concat([carry, buf.subarray(0, nl)]);
            carry = null;
            try {
              stopped = !line(head.toString('utf8'));
            } catch (error) {
              if (!(error instanceof HubbleLineError)) throw error;
              return corrupt(error);
            }
            bytesRead += head.length + 1;
            if (stopped) return end('stopped', null);
            start = nl + 1;
          }
        }
        if (!carry) {
          const last = buf.lastIndexOf(10);
          if (last >= start) {
            try {
              stopped = !lines(buf, start, last);
            } catch (error) {
              if (!(error instanceof HubbleLineError)) throw error;
              return corrupt(error);
            }
            if (stopped) return end('stopped', null);
            start = last + 1;
          }
          if (start < buf.length) carry = Buffer.from(buf.subarray(start));
        }
        if (betweenChunks) {
          const wait = betweenChunks();
          if (wait) await wait;
        }
      }
      if (carry && carry.length > 0) {
        try {
          stopped = !line(carry.toString('utf8'));
        } catch (error) {
          if (!(error instanceof HubbleLineError)) throw error;
          return corrupt(error);
        }
        bytesRead += carry.length;
        if (stopped) return end('stopped', null);
      }
      while (order.size > 0) if (!deliver()) return end('stopped', null);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === undefined) throw error;
      return end('read-failed', `cannot read flows ${name} after ${this.packets} packet(s): ${(error as Error).message}`);
    } finally {
      if (typeof source === 'string' && source !== '-') input.destroy();
    }
    return end('complete', null);
  };
}

/** The text lines about a Hubble input (after the replay summary). */
export function formatHubbleInput(h: HubbleInputStats): string {
  const e = h.events;
  const skipped = Object.entries(e).filter(([k, v]) => k !== 'packets' && v > 0).map(([k, v]) => `${k} ${v}`);
  const out = ['', `Hubble input: ${h.lines} events; ${e['packets'] ?? 0} L3/L4 observations replayed as ${h.packetsReplayed} packets (${h.observationsMerged} merged: the same packet at another point or node)`];
  out.push(`  skipped (not L3/L4 packets): ${skipped.length ? skipped.join(', ') : 'none'}`);
  out.push(`  reorder window ${h.reorderWindowSec} s: ${h.late} packets later than the window${h.releasedEarly ? `, ${h.releasedEarly} released early (buffer full)` : ''}`);
  const endpoints = Object.entries(h.endpoints);
  if (endpoints.length) out.push(`  endpoints: ${endpoints.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  if (h.sourceTranslated) out.push(`  source-translated observations (IP.source_xlated): ${h.sourceTranslated}`);
  const t = h.translated;
  if (t) {
    out.push(`  Service frontends: ${t.serviceMerged} post-DNAT observations merged with their pre-DNAT packet (${t.endpointsFollowed} replayed to the frontend following the endpoint shown, ${t.backendsReplayed} to the endpoint: frontend not in the cluster)${t.ambiguous ? `, ${t.ambiguous} ambiguous (kept apart)` : ''}`);
    if (t.sourceXlatedMerged || t.reverseNatHeaders) out.push(`  translated sources: ${t.sourceXlatedMerged} source_xlated observations merged by source port, ${t.reverseNatHeaders} replies replayed from the frontend (seen only after reverse translation)`);
  }
  const i = h.icmpErrors;
  if (i) out.push(`  ICMP errors: ${i.packets} (${i.related} related to their connection, ${i.noConnection} with no live connection between the addresses, ${i.ambiguous} ambiguous: replayed bare; Cilium's trace said RELATED for ${i.recordedRelated})`);
  if (h.lostEvents.events || h.lostEvents.ranges.length) {
    out.push(`  lost events: ${h.lostEvents.events}; verdicts unreliable in ${h.lostEvents.ranges.length} time range${h.lostEvents.ranges.length === 1 ? '' : 's'}:`);
    for (const r of h.lostEvents.ranges.slice(0, 10)) out.push(`    ${r.from} .. ${r.to}: ${r.events} events lost`);
  }
  return `${out.join('\n')}\n`;
}
