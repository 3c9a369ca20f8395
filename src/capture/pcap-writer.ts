/**
 * Writes classic pcap (little-endian, version 2.4) from the reused `CaptureRecord`: frames are
 * copied into a 1 MiB buffer at once (so the record may be overwritten right after `append`)
 * and written with synchronous writes when it fills, which keeps `append` usable from inside a
 * reader's synchronous callback.
 *
 * One link type per file: classic pcap has a single link-type field. The first record fixes it
 * (unless `linkType` is given); a later record of another link type (a pcapng from
 * `dumpcap -i veth0 -i any`) makes `append` throw a `UserError` that says so, rather than
 * writing frames a reader would misdecode. Callers that want such captures split them per link
 * type (one writer each) or filter by interface.
 *
 * Timestamps: the nanosecond magic (a1b23c4d) when the first record comes from a source finer
 * than a microsecond (or `nanosecond: true`), else µs, truncating the ns digits.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { ExitCode, UserError } from '../diagnostics.js';
import { MAX_PLAUSIBLE_CAPLEN_BYTES } from './capture-parser.js';
import { describeLinkType, type CaptureRecord } from './capture-record.js';

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
const WRITE_BUFFER_BYTES = 1024 * 1024;

export interface PcapWriterOptions {
  /** Link type of the file; default: the first record's. */
  readonly linkType?: number;
  /** Nanosecond timestamps; default: the first record's `nanosecondResolution`. */
  readonly nanosecond?: boolean;
  /** Header snaplen; longer frames are cut to it (wire length kept). Default 262144. */
  readonly snapLength?: number;
}

export class PcapWriter {
  readonly path: string;
  private fd: number;
  private readonly buffer = Buffer.allocUnsafe(WRITE_BUFFER_BYTES);
  private used = 0;
  private headerWritten = false;
  private linkType: number;
  private nanosecond: boolean | null;
  private readonly snapLength: number;
  private written = 0;

  /** Creates (truncates) `path`. Throws a `UserError` (exit CAPTURE_ERROR) when it cannot. */
  constructor(path: string, options: PcapWriterOptions = {}) {
    this.path = path;
    this.linkType = options.linkType ?? -1;
    this.nanosecond = options.nanosecond ?? null;
    this.snapLength = options.snapLength ?? MAX_PLAUSIBLE_CAPLEN_BYTES;
    try {
      this.fd = openSync(path, 'w');
    } catch (error) {
      throw new UserError(`cannot create capture ${path}: ${(error as Error).message}`, ExitCode.CAPTURE_ERROR);
    }
  }

  /** Records appended so far. */
  get records(): number {
    return this.written;
  }

  /** Copies the record's frame and header into the file buffer; the record may be reused after. */
  append(r: CaptureRecord): void {
    this.appendFrame(r.buffer, r.offset, r.capturedLength, r.wireLength, r.tsSec, r.tsNsec, r.linkType, r.nanosecondResolution, `record ${r.index} (interface ${r.interfaceId}`);
  }

  /**
   * Appends a frame that is not a capture record (a generated REJECT answer, a synthetic packet).
   * `what` names it in the mixed-link-type error.
   */
  appendFrame(buf: Uint8Array, offset: number, capturedLength: number, wireLength: number, tsSec: number, tsNsec: number, linkType: number, nanosecondSource = false, what = 'a frame ('): void {
    if (!this.headerWritten) {
      if (this.linkType < 0) this.linkType = linkType;
      if (this.nanosecond === null) this.nanosecond = nanosecondSource;
      this.writeHeader();
    }
    if (linkType !== this.linkType) {
      throw new UserError(
        `cannot write ${what}, ${describeLinkType(linkType)}) to ${this.path}, which holds ${describeLinkType(this.linkType)}: ` +
          'a classic pcap file has one link type; write one file per link type or select one interface',
        ExitCode.CAPTURE_ERROR,
      );
    }
    const caplen = Math.min(capturedLength, this.snapLength);
    const need = 16 + caplen;
    if (this.used + need > this.buffer.length) this.flush();
    const frac = this.nanosecond ? tsNsec : Math.floor(tsNsec / 1000);
    if (need > this.buffer.length) {
      // Bigger than the buffer (only with a huge snapLength): header then frame, straight to the file.
      const header = Buffer.allocUnsafe(16);
      this.fillRecordHeader(header, 0, tsSec, frac, caplen, wireLength);
      this.writeAll(header, 0, 16);
      this.writeAll(buf, offset, caplen);
    } else {
      this.fillRecordHeader(this.buffer, this.used, tsSec, frac, caplen, wireLength);
      if (Buffer.isBuffer(buf)) buf.copy(this.buffer, this.used + 16, offset, offset + caplen);
      else for (let i = 0; i < caplen; i++) this.buffer[this.used + 16 + i] = buf[offset + i] as number;
      this.used += need;
    }
    this.written++;
  }

  /** Writes what is buffered (a header with `linkType` or 1 if nothing was appended) and closes. */
  close(): void {
    if (this.fd < 0) return;
    if (!this.headerWritten) {
      if (this.linkType < 0) this.linkType = 1;
      this.writeHeader();
    }
    this.flush();
    closeSync(this.fd);
    this.fd = -1;
  }

  private fillRecordHeader(b: Buffer, at: number, tsSec: number, frac: number, caplen: number, wireLength: number): void {
    // Classic pcap seconds are 32 bits; later times wrap as they do in libpcap.
    b.writeUInt32LE(tsSec >>> 0, at);
    b.writeUInt32LE(frac, at + 4);
    b.writeUInt32LE(caplen, at + 8);
    b.writeUInt32LE(wireLength, at + 12);
  }

  private writeHeader(): void {
    const b = this.buffer;
    b.writeUInt32LE(this.nanosecond ? PCAP_MAGIC_NS : PCAP_MAGIC_US, 0);
    b.writeUInt16LE(2, 4);
    b.writeUInt16LE(4, 6);
    b.writeInt32LE(0, 8);
    b.writeUInt32LE(0, 12);
    b.writeUInt32LE(this.snapLength, 16);
    b.writeUInt32LE(this.linkType & 0xffff, 20);
    this.used = 24;
    this.headerWritten = true;
  }

  private flush(): void {
    if (this.used === 0) return;
    this.writeAll(this.buffer, 0, this.used);
    this.used = 0;
  }

  private writeAll(b: Uint8Array, from: number, length: number): void {
    if (this.fd < 0) throw new Error(`PcapWriter for ${this.path} used after close()`);
    let done = 0;
    try {
      while (done < length) done += writeSync(this.fd, b, from + done, length - done);
    } catch (error) {
      throw new UserError(`cannot write capture ${this.path}: ${(error as Error).message}`, ExitCode.CAPTURE_ERROR);
    }
  }
}
