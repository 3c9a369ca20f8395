/**
 * `--reader pcap-parser`: the npm `pcap-parser` 0.2.1 package behind the same `CaptureReader`
 * interface, as a cross-check of the built-in reader. It reads classic microsecond pcap only.
 * Its gaps (CAPTURES.md "pcap-parser") are closed here rather than inherited:
 * - other formats are rejected with a message naming the format, from its "unknown magic" error;
 * - an 'error' listener is always attached (without one it throws), and the stream is destroyed
 *   on error or stop so the file descriptor is released;
 * - a truncated file (which it ends silently) is detected by counting the bytes it was given;
 * - an impossible caplen stops the read at the record header, before its O(n²) buffering starts;
 * - a version other than 2.x or reserved link-type bits are reported as a corrupt header.
 * It allocates per packet (its own objects and slices): it is the slow reference, not the hot path.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import pcapParser from 'pcap-parser';
import { MAX_PLAUSIBLE_CAPLEN_BYTES } from './capture-parser.js';
import { CaptureRecord, type CaptureEnd, type CaptureEndKind, type RecordCallback } from './capture-record.js';
import type { CaptureReader } from './open-capture.js';

const PCAP_FILE_HEADER_BYTES = 24;
const PCAP_RECORD_HEADER_BYTES = 16;
const PCAP_LINKTYPE_RESERVED_MASK = 0x0bff0000;
const PCAP_LINKTYPE_FCS_PRESENT = 0x04000000;

function describeRejectedMagic(message: string): { kind: CaptureEndKind; text: string } {
  const magic = /unknown magic number: ([0-9a-f]{8})/.exec(message)?.[1];
  if (magic === undefined) return { kind: 'read-failed', text: message };
  const why =
    magic === 'a1b23c4d' || magic === '4d3cb2a1'
      ? 'it is nanosecond pcap (magic a1b23c4d)'
      : magic === '0a0d0d0a'
        ? 'it is pcapng'
        : `its magic ${magic} is not classic pcap`;
  return { kind: 'unsupported', text: `pcap-parser reads classic microsecond pcap only, and ${why}; use the built-in reader` };
}

class PcapParserReader implements CaptureReader {
  private used = false;
  constructor(
    readonly source: string,
    private readonly input: string | Readable,
  ) {}

  forEach(callback: RecordCallback): Promise<CaptureEnd> {
    if (this.used) throw new Error('CaptureReader.forEach called twice');
    this.used = true;
    const stream: Readable = typeof this.input === 'string' ? createReadStream(this.input) : this.input;
    const record = new CaptureRecord();
    let records = 0;
    /** Bytes of whole headers and records parsed = offset of the next record. */
    let consumed = 0;
    let bytesSeen = 0;
    let linkType = 0;
    let snapLength = 0;
    let fcsLength = 0;
    let maxCaplen = MAX_PLAUSIBLE_CAPLEN_BYTES;
    let sawHeader = false;
    let settled = false;

    return new Promise<CaptureEnd>((resolve, reject) => {
      const finish = (kind: CaptureEndKind, byteOffset: number, message: string | null): void => {
        if (settled) return;
        settled = true;
        stream.destroy();
        resolve({ kind, records, bytesRead: consumed, byteOffset, format: sawHeader ? 'pcap' : null, message });
      };
      stream.on('data', (chunk: Buffer | string) => {
        bytesSeen += chunk.length;
      });
      const parser = pcapParser.parse(stream);
      parser.on('error', (error: Error) => {
        if (settled) return;
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== undefined) {
          finish('read-failed', consumed, `cannot read capture ${this.source} after ${records} record(s): ${error.message}`);
          return;
        }
        const { kind, text } = describeRejectedMagic(error.message);
        finish(kind, consumed, text);
      });
      parser.on('globalHeader', (h) => {
        if (settled) return;
        sawHeader = true;
        if (h.majorVersion !== 2) {
          finish('corrupt', 0, `corrupt pcap file header at byte 0: version ${h.majorVersion}.${h.minorVersion} is not 2.x`);
          return;
        }
        const field = h.linkLayerType >>> 0;
        if ((field & PCAP_LINKTYPE_RESERVED_MASK) !== 0) {
          finish('corrupt', 20, `corrupt pcap file header at byte 20: link-type field ${field.toString(16).padStart(8, '0')} has reserved bits set`);
          return;
        }
        linkType = field & 0xffff;
        fcsLength = (field & PCAP_LINKTYPE_FCS_PRESENT) !== 0 ? (field >>> 28) * 2 : 0;
        snapLength = h.snapshotLength;
        maxCaplen = Math.max(snapLength, MAX_PLAUSIBLE_CAPLEN_BYTES);
        consumed = PCAP_FILE_HEADER_BYTES;
      });
      parser.on('packetHeader', (h) => {
        if (settled || h.capturedLength <= maxCaplen) return;
        finish(
          'corrupt',
          consumed,
          `corrupt record at byte ${consumed}: captured length ${h.capturedLength} exceeds the maximum ${maxCaplen} (max of snaplen ${snapLength} and ${MAX_PLAUSIBLE_CAPLEN_BYTES})`,
        );
      });
      parser.on('packet', (p) => {
        if (settled) return;
        let sec = p.header.timestampSeconds;
        let nsec = p.header.timestampMicroseconds * 1000;
        if (nsec >= 1e9) {
          sec += Math.floor(nsec / 1e9);
          nsec %= 1e9;
        }
        record.buffer = p.data;
        record.offset = 0;
        record.capturedLength = p.header.capturedLength;
        record.wireLength = p.header.originalLength;
        record.tsSec = sec;
        record.tsNsec = nsec;
        record.linkType = linkType;
        record.interfaceId = 0;
        record.sectionIndex = 0;
        record.snapLength = snapLength;
        record.fcsLength = fcsLength;
        record.nanosecondResolution = false;
        record.fileOffset = consumed;
        record.index = records;
        consumed += PCAP_RECORD_HEADER_BYTES + p.header.capturedLength;
        records++;
        let more: boolean | void;
        try {
          more = callback(record);
        } catch (error) {
          settled = true;
          stream.destroy();
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        if (more === false) finish('stopped', consumed, null);
      });
      parser.on('end', () => {
        if (settled) return;
        if (bytesSeen === 0) finish('truncated', 0, 'the capture is empty (0 bytes)');
        else if (!sawHeader) finish('truncated', 0, `the capture ends inside the file header at byte 0 (${bytesSeen} of 24 bytes present)`);
        else if (bytesSeen > consumed) {
          finish('truncated', consumed, `the capture ends inside a record at byte ${consumed} (${bytesSeen - consumed} bytes present)`);
        } else finish('complete', consumed, null);
      });
    });
  }
}

/**
 * Same contract as `openCapture` (path, `-` for stdin, or a Readable; never rejects for a bad
 * capture), backed by pcap-parser. Classic µs pcap only; anything else ends `unsupported`.
 */
export async function openCaptureWithPcapParser(source: string | Readable): Promise<CaptureReader> {
  if (typeof source !== 'string') return new PcapParserReader('<stream>', source);
  if (source === '-') return new PcapParserReader('-', process.stdin);
  return new PcapParserReader(source, source);
}
