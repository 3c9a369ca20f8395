/**
 * Reading a capture from a file, stdin (`-`) or any Readable, in constant memory: a file is
 * read in 1 MiB chunks into one reused buffer and pushed through a `CaptureParser`; a stream's
 * own chunks are pushed as they come. The callback runs synchronously for each record inside a
 * chunk (no promise per packet). Errors, including I/O errors, end the read with a typed
 * `CaptureEnd`; only an exception thrown by the callback itself propagates.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { CaptureParser } from './capture-parser.js';
import type { CaptureEnd, RecordCallback } from './capture-record.js';

export const DEFAULT_CHUNK_BYTES = 1024 * 1024;

export interface OpenCaptureOptions {
  /** Bytes per file read (default 1 MiB). Tests use small values to cut records across chunks. */
  readonly chunkSize?: number;
  /**
   * Called after the records of each chunk were delivered; when it returns a promise, the next
   * chunk is read only once it settles. Writers use it for backpressure (wait for 'drain').
   */
  readonly betweenChunks?: () => Promise<void> | undefined;
  /**
   * Where each file read goes (at least `chunkSize` bytes), asked for just before the read is
   * issued — while the previous chunk's records are still being delivered, so two buffers must
   * be in use at once. Default: two buffers, reused in turn. A sharded replay gives slots of a
   * shared pool, so its workers read the frames in place (src/parallel/replay-parallel.ts).
   */
  readonly chunkBuffer?: () => Buffer;
}

export interface CaptureReader {
  /** The path, `-` for stdin, or `<stream>`. */
  readonly source: string;
  /**
   * Reads the whole capture, calling `callback` with the reused record for each packet
   * (return `false` to stop). Resolves with how and where the read ended; never rejects for a
   * bad or unreadable capture. Call at most once.
   */
  forEach(callback: RecordCallback): Promise<CaptureEnd>;
}

function errorText(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code && !error.message.startsWith(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

class FileCaptureReader implements CaptureReader {
  private used = false;
  constructor(
    readonly source: string,
    private readonly handle: FileHandle | null,
    private readonly openError: string | null,
    private readonly chunkSize: number,
    private readonly betweenChunks: (() => Promise<void> | undefined) | undefined,
    private readonly chunkBuffer: (() => Buffer) | undefined,
  ) {}

  async forEach(callback: RecordCallback): Promise<CaptureEnd> {
    if (this.used) throw new Error('CaptureReader.forEach called twice');
    this.used = true;
    const parser = new CaptureParser(callback);
    const handle = this.handle;
    if (!handle) return parser.abort('read-failed', `cannot open capture ${this.source}: ${this.openError ?? 'unknown error'}`);
    // Two buffers: the next chunk is read (in libuv's thread pool) while this one is parsed, so
    // the main thread does not sit idle waiting for the disk between chunks.
    const size = this.chunkSize;
    const own = this.chunkBuffer ? null : [Buffer.allocUnsafe(size), Buffer.allocUnsafe(size)];
    let current = 0;
    const nextBuffer = (): Buffer => {
      if (!own) return (this.chunkBuffer as () => Buffer)();
      current ^= 1;
      return own[current] as Buffer;
    };
    let reading = nextBuffer();
    let pending: Promise<{ bytesRead: number }> | null = handle.read(reading, 0, size, null);
    try {
      for (;;) {
        let bytesRead: number;
        try {
          ({ bytesRead } = await (pending as Promise<{ bytesRead: number }>));
        } catch (error) {
          pending = null;
          return parser.abort('read-failed', `cannot read capture ${this.source} after ${parser.records} record(s): ${errorText(error)}`);
        }
        if (bytesRead === 0) {
          pending = null;
          break;
        }
        const chunk = reading;
        reading = nextBuffer();
        pending = handle.read(reading, 0, size, null);
        if (!parser.push(chunk, bytesRead)) break;
        const wait = this.betweenChunks?.();
        if (wait) await wait;
      }
      return parser.end();
    } finally {
      // A read still in flight (the parser stopped early) must finish before the file closes.
      if (pending) await pending.catch(() => undefined);
      await handle.close().catch(() => undefined);
    }
  }
}

class StreamCaptureReader implements CaptureReader {
  private used = false;
  constructor(
    readonly source: string,
    private readonly stream: Readable,
    private readonly betweenChunks: (() => Promise<void> | undefined) | undefined,
  ) {}

  async forEach(callback: RecordCallback): Promise<CaptureEnd> {
    if (this.used) throw new Error('CaptureReader.forEach called twice');
    this.used = true;
    const parser = new CaptureParser(callback);
    const chunks = this.stream[Symbol.asyncIterator]() as AsyncIterator<unknown>;
    let finished = false;
    try {
      for (;;) {
        let step: IteratorResult<unknown>;
        try {
          step = await chunks.next();
        } catch (error) {
          finished = true;
          return parser.abort('read-failed', `cannot read capture ${this.source} after ${parser.records} record(s): ${errorText(error)}`);
        }
        if (step.done) {
          finished = true;
          break;
        }
        const chunk = step.value;
        if (!(chunk instanceof Uint8Array)) {
          return parser.abort('read-failed', `cannot read capture ${this.source}: the stream delivers text, not bytes`);
        }
        // Exceptions from the callback propagate (they are the caller's); read errors do not.
        if (!parser.push(chunk)) break;
        const wait = this.betweenChunks?.();
        if (wait) await wait;
      }
    } finally {
      // Stopping early destroys the stream, so a producer (a pipe) is not left blocked.
      if (!finished) await chunks.return?.().catch(() => undefined);
    }
    return parser.end();
  }
}

/**
 * Opens a capture for reading. `source` is a file path, `-` for stdin (works when piped), or a
 * Readable of bytes. Never rejects: an unopenable file yields a reader whose `forEach`
 * resolves with `{kind: 'read-failed'}`.
 */
export async function openCapture(source: string | Readable, options: OpenCaptureOptions = {}): Promise<CaptureReader> {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_BYTES;
  if (!(chunkSize >= 1)) throw new RangeError(`chunkSize must be ≥ 1, got ${chunkSize}`);
  const between = options.betweenChunks;
  if (typeof source !== 'string') return new StreamCaptureReader('<stream>', source, between);
  if (source === '-') return new StreamCaptureReader('-', process.stdin, between);
  try {
    const handle = await open(source, 'r');
    const stat = await handle.stat().catch(() => null);
    if (stat?.isDirectory()) {
      await handle.close();
      return new FileCaptureReader(source, null, 'it is a directory', chunkSize, between, options.chunkBuffer);
    }
    return new FileCaptureReader(source, handle, null, chunkSize, between, options.chunkBuffer);
  } catch (error) {
    return new FileCaptureReader(source, null, errorText(error), chunkSize, between, options.chunkBuffer);
  }
}

/** One-shot: open, read every record, close. */
export async function readCapture(source: string | Readable, callback: RecordCallback, options: OpenCaptureOptions = {}): Promise<CaptureEnd> {
  const reader = await openCapture(source, options);
  return reader.forEach(callback);
}
