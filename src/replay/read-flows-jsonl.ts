/**
 * `replay --flows-in FILE.jsonl`: a JSONL flow file (src/synth/flow-lines.ts) read like a
 * capture. Each packet line, and each packet a flow line expands to, is built into one reused
 * frame buffer (src/synth/build-frames.ts) and handed out in the same reused `CaptureRecord` the
 * pcap readers use, so the replay path is the same. A bad line ends the read as `corrupt` with a
 * message naming the line and the field; the lines before it are replayed.
 *
 * IPv4 identification and the 2-byte payload tag are the packet's number in the file
 * (mod 65536), as `synth` writes them, so a generated pcap and its JSONL give the same frames.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { CaptureRecord, type CaptureEnd, type CaptureEndKind, type RecordCallback } from '../capture/capture-record.js';
import { buildFrame, FrameFields } from '../synth/build-frames.js';
import { FlowExchange } from '../synth/flow-exchange.js';
import type { OpenCaptureOptions } from '../capture/open-capture.js';
import { FlowLineError, ParsedLine, parseFlowLine } from '../synth/flow-lines.js';

const FRAME_BUFFER_BYTES = 65536;

export async function readFlowsJsonl(source: string | Readable, callback: RecordCallback, options: OpenCaptureOptions = {}): Promise<CaptureEnd> {
  const betweenChunks = options.betweenChunks;
  const name = typeof source === 'string' ? source : '<stream>';
  const input: Readable = typeof source === 'string' ? createReadStream(source) : source;
  const record = new CaptureRecord();
  record.buffer = Buffer.allocUnsafe(FRAME_BUFFER_BYTES);
  record.linkType = 1;
  const fields = new FrameFields();
  const flow = new FlowExchange();
  const line = new ParsedLine();
  let records = 0;
  let bytesRead = 0;
  let lineNumber = 0;
  let stopped = false;

  const end = (kind: CaptureEndKind, message: string | null): CaptureEnd => ({ kind, records, bytesRead, byteOffset: bytesRead, format: 'jsonl', message });
  /** Builds and delivers `fields` at `timeUs`; false when the callback asked to stop. */
  const deliver = (timeUs: number): boolean => {
    fields.ipId = records & 0xffff;
    fields.payloadTag = records & 0xffff;
    const length = buildFrame(record.buffer, 0, record.linkType, fields);
    record.capturedLength = length;
    record.wireLength = length;
    record.tsSec = Math.floor(timeUs / 1e6);
    record.tsNsec = (timeUs - record.tsSec * 1e6) * 1000;
    record.fileOffset = bytesRead;
    record.index = records;
    records++;
    return callback(record) !== false;
  };

  const lines = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const text of lines) {
      lineNumber++;
      try {
        parseFlowLine(text, lineNumber === 1, line, fields, flow);
      } catch (error) {
        if (!(error instanceof FlowLineError)) throw error;
        return end('corrupt', `${name} line ${lineNumber}: ${error.message}`);
      }
      if (line.kind === 'header') record.linkType = line.linkType;
      else if (line.kind === 'packet') stopped = !deliver(line.timeUs);
      else if (line.kind === 'flow') {
        while (!flow.done && !stopped) {
          const t = flow.timeUs;
          flow.next(fields);
          stopped = !deliver(t);
        }
      }
      bytesRead += Buffer.byteLength(text) + 1;
      if (stopped) return end('stopped', null);
      // Every 1024 lines, let a slow output catch up (the capture reader does it per chunk).
      if (betweenChunks && (lineNumber & 1023) === 0) {
        const wait = betweenChunks();
        if (wait) await wait;
      }
    }
  } catch (error) {
    if (error instanceof FlowLineError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined) throw error;
    return end('read-failed', `cannot read flows ${name} after ${records} record(s): ${(error as Error).message}`);
  } finally {
    lines.close();
    input.destroy();
  }
  return end('complete', null);
}
