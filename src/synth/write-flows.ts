/**
 * Where generated packets go: a pcap file (frames built into one reused buffer, appended through
 * PcapWriter) and a JSONL packet file (`replay --flows-in`, format in flow-lines.ts). Both stream:
 * memory does not grow with the packet count.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { CaptureRecord } from '../capture/capture-record.js';
import { PcapWriter } from '../capture/pcap-writer.js';
import { ExitCode, UserError } from '../diagnostics.js';
import { buildFrame, type FrameFields } from './build-frames.js';
import { formatFlowsHeader, formatPacketLine } from './flow-lines.js';

const FRAME_BUFFER_BYTES = 65536;

/** Builds each packet's frame and appends it to a classic µs pcap of `linkType`. */
export class PcapPacketSink {
  private readonly writer: PcapWriter;
  private readonly record = new CaptureRecord();

  constructor(path: string, readonly linkType: number) {
    this.writer = new PcapWriter(path, { linkType, nanosecond: false });
    this.record.buffer = Buffer.allocUnsafe(FRAME_BUFFER_BYTES);
    this.record.linkType = linkType;
  }

  readonly packet = (timeUs: number, fields: FrameFields): void => {
    const r = this.record;
    const length = buildFrame(r.buffer, 0, this.linkType, fields);
    r.capturedLength = length;
    r.wireLength = length;
    r.tsSec = Math.floor(timeUs / 1e6);
    r.tsNsec = (timeUs - r.tsSec * 1e6) * 1000;
    this.writer.append(r);
    r.index++;
  };

  close(): void {
    this.writer.close();
  }
}

/** Writes one JSON line per packet after a header line, in 1 MiB synchronous writes. */
export class JsonlPacketSink {
  private fd: number;
  private pending: string[] = [];
  private pendingBytes = 0;

  constructor(
    readonly path: string,
    linkType: number,
  ) {
    try {
      this.fd = openSync(path, 'w');
    } catch (error) {
      throw new UserError(`cannot create ${path}: ${(error as Error).message}`, ExitCode.USAGE);
    }
    this.push(formatFlowsHeader(linkType));
  }

  readonly packet = (timeUs: number, fields: FrameFields): void => {
    this.push(formatPacketLine(timeUs, fields));
  };

  private push(line: string): void {
    this.pending.push(line);
    this.pendingBytes += line.length + 1;
    if (this.pendingBytes >= 1 << 20) this.flush();
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const bytes = Buffer.from(`${this.pending.join('\n')}\n`);
    this.pending = [];
    this.pendingBytes = 0;
    let done = 0;
    try {
      while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done);
    } catch (error) {
      throw new UserError(`cannot write ${this.path}: ${(error as Error).message}`, ExitCode.USAGE);
    }
  }

  close(): void {
    if (this.fd < 0) return;
    this.flush();
    closeSync(this.fd);
    this.fd = -1;
  }
}
