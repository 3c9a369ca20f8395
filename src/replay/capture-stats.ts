/**
 * What a replay's summary says of the capture itself — link types, first and last packet, bytes
 * — gathered record by record (no allocation per record) and turned into CaptureInfo at the end.
 * Shared by the single-threaded replay and the reader of a sharded one.
 */
import type { CaptureEnd, CaptureRecord } from '../capture/capture-record.js';
import { isoTime } from './flow-report.js';
import type { CaptureInfo } from './summarize.js';

export class CaptureStats {
  /** Captured bytes of the records so far (the progress display). */
  bytes = 0;
  private first = Infinity;
  private last = -Infinity;
  private readonly linkTypes: number[] = [];
  private lastLinkType = -1;

  /** Count `record`, whose timestamp in seconds is `now`. */
  add(record: CaptureRecord, now: number): void {
    if (now < this.first) this.first = now;
    if (now > this.last) this.last = now;
    this.bytes += record.capturedLength;
    if (record.linkType !== this.lastLinkType) {
      this.lastLinkType = record.linkType;
      if (!this.linkTypes.includes(record.linkType)) this.linkTypes.push(record.linkType);
    }
  }

  info(source: string, end: CaptureEnd): CaptureInfo {
    return {
      source,
      format: end.format,
      linkTypes: [...this.linkTypes].sort((a, b) => a - b),
      records: end.records,
      bytesRead: end.bytesRead,
      end: end.kind,
      message: end.message,
      byteOffset: end.byteOffset,
      firstPacket: Number.isFinite(this.first) ? isoTime(this.first) : null,
      lastPacket: Number.isFinite(this.last) ? isoTime(this.last) : null,
    };
  }
}
