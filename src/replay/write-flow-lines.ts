/**
 * `--flows`: one JSON line per flow, written as flows end, in 64 KiB batches. A file takes each
 * batch in one synchronous write. A stream (standard output, a pipe) has its backpressure
 * respected: the replay asks `betweenChunks()` after each capture chunk, and while the output's
 * buffer is full (a slow disk, a pipe into a slow reader) it returns a promise that
 * settles on 'drain', and the capture is not read further until then. So memory is bounded by one
 * batch plus the stream's high-water mark, not by the number of flows.
 *
 * A reader that goes away early (`replay --flows - … | head`) closes the pipe: EPIPE. That is not
 * an error of the replay: the lines are dropped from then on, `closedEarly` says so, and the
 * replay finishes with its summary.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { ExitCode, UserError } from '../diagnostics.js';
import type { FlowRecords } from '../../dataplane/flow-records.js';
import type { FlowProvenance } from '../engines/flow-provenance.js';
import { encodeFlowLine, FlowLineBuffer } from './flow-report.js';

/** Bytes gathered before one write: large enough that writes are few, small enough to stay cheap. */
const BATCH_BYTES = 1 << 16;

/**
 * Where text goes: standard output or error, a pipe, or a string in a test. The CLI's io
 * (src/cli/io.ts) hands the same type to every command; defined here, the lowest layer that
 * writes to one. `write` returning false means the stream's buffer is full (Node's Writable).
 */
export interface OutputStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

type EventSource = Pick<Writable, 'once' | 'on' | 'removeListener'>;

/** The output of a file writer, which writes through its descriptor instead. */
const NO_STREAM: OutputStream = { write: () => true };

function hasEvents(out: OutputStream): out is OutputStream & EventSource {
  return typeof (out as Partial<EventSource>).once === 'function' && typeof (out as Partial<EventSource>).on === 'function';
}

function isClosedPipe(error: Error): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || code === 'ECONNRESET';
}

export class FlowLineWriter {
  /** Lines handed to the output (not counting those dropped after it closed). */
  lines = 0;
  /** The reader closed the pipe before the end: later lines were dropped. */
  closedEarly = false;
  /** The batch being filled: lines encoded straight into one reused buffer. */
  private readonly batch = new FlowLineBuffer();
  private waiting: Promise<void> | undefined;
  private release: (() => void) | null = null;
  private failure: Error | null = null;
  /** A file written with synchronous writes (toFile), else null. */
  private fd: number | null = null;

  private constructor(
    private readonly out: OutputStream,
    private readonly name: string,
  ) {
    if (hasEvents(out)) {
      out.on('error', (error: Error) => {
        if (isClosedPipe(error)) this.closedEarly = true;
        else this.failure ??= error;
        this.wake();
      });
    }
  }

  /** Lines to `path` (created or truncated now, so a bad path fails before the replay starts). */
  static toFile(path: string): FlowLineWriter {
    let fd: number;
    try {
      fd = openSync(path, 'w');
    } catch (error) {
      throw new UserError(`replay: cannot write ${path}: ${(error as Error).message}`, ExitCode.USAGE);
    }
    // A file takes each batch with one synchronous write: the page cache absorbs it at once, and
    // a slow disk holds the replay back by itself. (A stream would queue the batch and cost an
    // event-loop round trip per 64 KiB.)
    const writer = new FlowLineWriter(NO_STREAM, path);
    writer.fd = fd;
    return writer;
  }

  /** Lines to an output the caller owns (standard output). */
  static toStream(out: OutputStream, name: string): FlowLineWriter {
    return new FlowLineWriter(out, name);
  }

  /** Queue flow `f`'s line (see encodeFlowLine); the record need not outlive the call. */
  addFlow(records: FlowRecords, provenances: readonly FlowProvenance[], f: number): void {
    if (this.closedEarly || this.failure) return;
    encodeFlowLine(this.batch, records, provenances, f);
    this.batch.byte(0x0a);
    this.lines++;
    if (this.batch.length >= BATCH_BYTES) this.flush();
  }

  /** Queue a line already encoded (with its newline), e.g. by a replay worker. */
  addEncoded(bytes: Buffer, offset: number, length: number): void {
    if (this.closedEarly || this.failure) return;
    const batch = this.batch;
    batch.reserve(length);
    bytes.copy(batch.buffer, batch.length, offset, offset + length);
    batch.length += length;
    this.lines++;
    if (batch.length >= BATCH_BYTES) this.flush();
  }

  /** Queue one line of text (without the newline). */
  add(line: string): void {
    if (this.closedEarly || this.failure) return;
    this.batch.utf8(line);
    this.batch.byte(0x0a);
    this.lines++;
    if (this.batch.length >= BATCH_BYTES) this.flush();
  }

  /** For the capture reader: a promise while the output is full, else undefined. */
  readonly betweenChunks = (): Promise<void> | undefined => this.waiting;

  private flush(): void {
    const length = this.batch.length;
    if (length === 0) return;
    this.batch.length = 0;
    if (this.closedEarly || this.failure) return;
    const bytes = this.batch.buffer;
    if (this.fd !== null) {
      try {
        for (let at = 0; at < length; ) at += writeSync(this.fd, bytes, at, length - at);
      } catch (error) {
        this.failure = error as Error;
      }
      return;
    }
    // A stream keeps what it is given until written: hand it a copy, the batch buffer is reused.
    const accepted = this.out.write(bytes.toString('utf8', 0, length));
    if (accepted === false && hasEvents(this.out) && !this.waiting) {
      const out = this.out;
      this.waiting = new Promise<void>((resolve) => {
        this.release = resolve;
        out.once('drain', () => this.wake());
      });
    }
  }

  private wake(): void {
    const release = this.release;
    this.release = null;
    this.waiting = undefined;
    release?.();
  }

  /** Write what is left and, for a file, close it. Rejects with a UserError if the output failed. */
  async end(): Promise<void> {
    this.flush();
    if (this.waiting) await this.waiting;
    if (this.fd !== null) {
      const fd = this.fd;
      this.fd = null;
      try {
        closeSync(fd);
      } catch (error) {
        this.failure ??= error as Error;
      }
    }
    if (this.failure) throw new UserError(`replay: cannot write ${this.name}: ${this.failure.message}`, ExitCode.USAGE);
  }
}
