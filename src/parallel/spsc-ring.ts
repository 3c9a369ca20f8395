/**
 * Single-producer/single-consumer byte rings in a SharedArrayBuffer, for `replay --workers N`:
 * the main thread hands packet records to each worker through one input ring, and each worker
 * hands results back through one output ring. Exactly one thread writes a ring and exactly one
 * thread reads it; the two may be any two threads (main or worker).
 *
 * Layout of a ring's SharedArrayBuffer (Int32 slots; each group on its own 64-byte line so the
 * producer's and the consumer's stores do not bounce the same cache line):
 *
 *   int  0      WRITE   producer's position (bytes ever published, mod 2^32)   producer stores
 *   int  1      CLOSED  1 once the producer called close()                      producer stores
 *   int 16      READ    consumer's position (bytes ever released, mod 2^32)    consumer stores
 *   int 32..35  MAGIC, data size, id of the data doorbell, id of the space doorbell (0 = built in)
 *   int 48..50  built-in data doorbell  (SEQ, WAITERS, ID)   rung by the producer
 *   int 64..66  built-in space doorbell (SEQ, WAITERS, ID)   rung by the consumer
 *   byte 384..  data area, a power of two D bytes (16 ≤ D ≤ 2^30)
 *
 * Positions are 32-bit counters that wrap: the bytes in use are (WRITE − READ) mod 2^32, which is
 * exact because D ≤ 2^30 < 2^32, so a ring stays correct after any number of bytes (the tests
 * start the counters just below 2^31 and 2^32). A position's place in the data area is pos & (D−1).
 *
 * Messages: an 8-byte record header (Int32 length, 4 bytes unused) then the payload, padded to a
 * multiple of 8, so every payload starts 8-byte aligned in the data area (and the data area is
 * 128-byte aligned in the buffer): a reader can lay a Float64Array/DataView over it in place.
 * A message is always contiguous: when it does not fit before the end of the data area, the
 * producer writes a wrap marker (length −1) at the current place, publishes it on its own
 * (so the consumer can free that tail even while the message waits for room), and puts the
 * message at offset 0. The largest payload is D/2 bytes, so a message always fits an empty ring.
 *
 * Publication: the producer writes the record with plain stores, then Atomics.store(WRITE); the
 * consumer's Atomics.load(WRITE) that sees the new value makes those plain stores visible to it
 * (Atomics are sequentially consistent and synchronize). Symmetrically the consumer's
 * Atomics.store(READ) hands the freed bytes back. Each side keeps a cached copy of the other
 * side's position and reloads it only when the cache says "empty" / "full", so the steady-state
 * cost of one message is one Atomics.store + one Atomics.load on each side, and no allocation.
 *
 * Wake-ups (doorbells). A Doorbell is three Int32: SEQ (a counter), WAITERS (how many threads are
 * about to sleep or sleeping on it), ID. Each ring has a data doorbell (rung by the producer when
 * it publishes, slept on by a consumer that found nothing) and a space doorbell (rung by the
 * consumer when it releases, slept on by a producer that found no room). Both are built into
 * the ring's header unless the ring was created with external ones (see below).
 *
 *   ringing side (after its Atomics.store of WRITE, READ or CLOSED):
 *       if (Atomics.load(WAITERS) !== 0) { Atomics.add(SEQ, 1); Atomics.notify(SEQ) }
 *   sleeping side:
 *       seen = Atomics.load(SEQ); Atomics.add(WAITERS, 1)          // bell.arm()
 *       re-check the condition (data there? room there? closed?)  // must come after arm()
 *       if still not met: Atomics.wait(SEQ, seen, timeout)          // bell.wait(seen, timeout)
 *       Atomics.sub(WAITERS, 1)                                      // bell.disarm()
 *
 * Why no wake-up is lost: all these operations are sequentially consistent. If the sleeper's
 * re-check missed the other side's store, that store comes after the re-check in the single
 * total order, so the other side's load of WAITERS comes after the sleeper's increment and sees
 * it, and it bumps SEQ after the sleeper read `seen`: Atomics.wait then either returns at once
 * ("not-equal") or is woken by the notify. When no one sleeps, nobody calls Atomics.notify: the
 * fast path costs one extra Atomics.load per commit/release.
 *
 * Shared doorbells: the main thread consumes N output rings AND produces N input rings, and wants
 * to sleep until any of them moves. Create one Doorbell, and create each output ring with it as
 * its data doorbell and each input ring with it as its space doorbell
 * (`createRing(bytes, { dataBell: bell })` / `createRing(bytes, { spaceBell: bell })`). Every
 * RingReader/RingWriter over such a ring must be given the same Doorbell object or one over the
 * same buffer (`{ dataBell }` / `{ spaceBell }`); the constructors check the doorbell's ID
 * against the one recorded in the ring, so a worker that forgot it fails loudly instead of
 * never waking the main thread. The main thread's loop is then:
 *
 *       for (;;) {
 *         do the work that is possible now (reserve/commit on inputs, next/release on outputs);
 *         if some progress was made: continue;
 *         const seen = bell.arm();
 *         try { if (!anyRingCanMove()) bell.wait(seen, shortTimeoutMs); } finally { bell.disarm(); }
 *       }
 *
 * where anyRingCanMove() re-checks every ring (reader.next() >= 0 || reader.isClosedFlag ||
 * writer.reserve(pendingLength) >= 0). RingWriter.waitForSpace and RingReader.waitForData run
 * the same protocol for one ring, on whatever doorbell the ring uses.
 *
 * Node lets the main thread call Atomics.wait (it blocks the event loop for that long), so the
 * main thread should use short timeouts; workers may block freely. Neither waitFor* spins before
 * sleeping: a caller that expects the other side within microseconds can poll next()/reserve()
 * a few hundred times first (bench/handoff.ts measures both ways).
 */

/** Int32 slot indices in the ring header. */
const WRITE = 0;
const CLOSED = 1;
const READ = 16;
const MAGIC_SLOT = 32;
const SIZE_SLOT = 33;
const DATA_BELL_ID_SLOT = 34;
const SPACE_BELL_ID_SLOT = 35;
const DATA_BELL_BYTE = 48 * 4;
const SPACE_BELL_BYTE = 64 * 4;
/** Data area starts here: a multiple of 128, so payloads (8-aligned in the area) stay 8-aligned in the buffer. */
export const RING_HEADER_BYTES = 384;

const MAGIC = 0x52494e47; // "RING"
/** Record header: Int32 length + 4 unused bytes, so payloads stay 8-byte aligned. */
const RECORD_HEADER = 8;
/** Length value of a wrap marker: "the rest of the data area is skipped". */
const WRAP = -1;
const MIN_DATA = 16;
const MAX_DATA = 1 << 30;

/** Doorbell slots (Int32) relative to the doorbell's start. */
const BELL_SEQ = 0;
const BELL_WAITERS = 1;
const BELL_ID = 2;
const BELL_INTS = 3;
export const DOORBELL_BYTES = 64;

/**
 * A shared counter one or more threads can sleep on and any thread can ring; see the file header
 * for the protocol. `arm()` before re-checking the condition, `wait()` only if it is still unmet,
 * `disarm()` always (whether or not it waited).
 */
export class Doorbell {
  readonly buffer: SharedArrayBuffer;
  readonly byteOffset: number;
  private readonly i32: Int32Array;

  /** A new doorbell in its own SharedArrayBuffer, with a fresh non-zero ID. */
  static create(): Doorbell {
    const sab = new SharedArrayBuffer(DOORBELL_BYTES);
    const bell = new Doorbell(sab);
    Atomics.store(bell.i32, BELL_ID, freshBellId());
    return bell;
  }

  constructor(sab: SharedArrayBuffer, byteOffset = 0) {
    if (byteOffset % 4 !== 0 || byteOffset + BELL_INTS * 4 > sab.byteLength) throw new RangeError('doorbell out of the buffer');
    this.buffer = sab;
    this.byteOffset = byteOffset;
    this.i32 = new Int32Array(sab, byteOffset, BELL_INTS);
  }

  /** Identifies the doorbell so rings can check they were handed the right one (0 = a ring's built-in bell). */
  get id(): number {
    return Atomics.load(this.i32, BELL_ID);
  }

  /** The ring count: read it (via arm()) before re-checking, pass it to wait(). */
  get value(): number {
    return Atomics.load(this.i32, BELL_SEQ);
  }

  /** Whether some thread announced it may sleep: ringing sides call ring() only then. */
  get hasWaiters(): boolean {
    return Atomics.load(this.i32, BELL_WAITERS) !== 0;
  }

  /** Wakes every sleeper, and makes a wait() with an older `seen` return at once. */
  ring(): void {
    Atomics.add(this.i32, BELL_SEQ, 1);
    Atomics.notify(this.i32, BELL_SEQ);
  }

  /** Rings only if someone armed the bell: the cheap call for the hot path. */
  ringIfWaiting(): void {
    if (Atomics.load(this.i32, BELL_WAITERS) !== 0) this.ring();
  }

  /** Announces a sleeper and returns the value to pass to wait(). Re-check your condition after this. */
  arm(): number {
    const seen = Atomics.load(this.i32, BELL_SEQ);
    Atomics.add(this.i32, BELL_WAITERS, 1);
    return seen;
  }

  /** Withdraws the announcement made by arm(). */
  disarm(): void {
    Atomics.sub(this.i32, BELL_WAITERS, 1);
  }

  /**
   * Sleeps until the bell is rung after `seenValue` was read, or timeoutMs passes. True when rung
   * (or already rung), false on timeout. Without a prior arm() nobody is obliged to ring.
   */
  wait(seenValue: number, timeoutMs: number): boolean {
    return Atomics.wait(this.i32, BELL_SEQ, seenValue, timeoutMs) !== 'timed-out';
  }
}

let bellCounter = 0;
/** Non-zero, and distinct between bells of one process (and very likely across processes). */
function freshBellId(): number {
  bellCounter = (bellCounter + 1) & 0xffff;
  return (((Math.random() * 0x7fff) | 0) << 16 | bellCounter) || 1;
}

export interface RingOptions {
  /** Doorbell the producer rings on publish (and the consumer sleeps on). Default: built into the ring. */
  dataBell?: Doorbell;
  /** Doorbell the consumer rings on release (and the producer sleeps on). Default: built into the ring. */
  spaceBell?: Doorbell;
  /**
   * Test hook: the value both positions start at (any int32), to exercise counters crossing
   * 2^31 and 2^32 without pushing 4 GiB through the ring.
   */
  startPosition?: number;
}

/** Bytes of payload a ring of `dataBytes` accepts in one message. */
export function maxMessageBytes(dataBytes: number): number {
  return dataBytes / 2;
}

/**
 * A ring with a data area of `dataBytes` (a power of two, 16 ≤ dataBytes ≤ 2^30). Pass
 * external doorbells here and to both ends if the ring shares them (see the file header).
 */
export function createRing(dataBytes: number, options: RingOptions = {}): SharedArrayBuffer {
  if (!Number.isInteger(dataBytes) || dataBytes < MIN_DATA || dataBytes > MAX_DATA || (dataBytes & (dataBytes - 1)) !== 0) {
    throw new RangeError(`ring data size must be a power of two in [${MIN_DATA}, 2^30], got ${dataBytes}`);
  }
  const sab = new SharedArrayBuffer(RING_HEADER_BYTES + dataBytes);
  const h = new Int32Array(sab, 0, RING_HEADER_BYTES / 4);
  const start = (options.startPosition ?? 0) | 0;
  h[WRITE] = start;
  h[READ] = start;
  h[MAGIC_SLOT] = MAGIC;
  h[SIZE_SLOT] = dataBytes;
  h[DATA_BELL_ID_SLOT] = options.dataBell?.id ?? 0;
  h[SPACE_BELL_ID_SLOT] = options.spaceBell?.id ?? 0;
  // Publish the initialisation before the buffer is posted to another thread.
  Atomics.store(h, MAGIC_SLOT, MAGIC);
  return sab;
}

/** Options both ends accept: the external doorbells the ring was created with, if any. */
export interface RingEndOptions {
  dataBell?: Doorbell;
  spaceBell?: Doorbell;
  /**
   * Publish this end's position only every `batchBytes` bytes (default 0: every message), and
   * whenever this end could go on no further (a writer out of room, a reader out of data) or
   * calls `flush()`. The other end then wakes once per batch instead of once per message: on a
   * machine with fewer cores than threads, a wake-up per message (a context switch each) costs
   * more than the messages. A writer must `flush()` before it waits for anything else.
   */
  batchBytes?: number;
}

/** Shared set-up of both ends: validates the buffer and picks the doorbells. */
class RingEnd {
  /** The data area (offsets returned by reserve()/next() index this). */
  readonly bytes: Uint8Array;
  /** A DataView over the same data area. */
  readonly view: DataView;
  /** Size of the data area (power of two). */
  readonly capacity: number;
  /** Largest payload of one message. */
  readonly maxMessage: number;
  protected readonly header: Int32Array;
  protected readonly i32: Int32Array;
  protected readonly mask: number;
  protected readonly dataBell: Doorbell;
  protected readonly spaceBell: Doorbell;
  protected readonly batchBytes: number;

  constructor(sab: SharedArrayBuffer, options: RingEndOptions) {
    if (!(sab instanceof SharedArrayBuffer) || sab.byteLength < RING_HEADER_BYTES + MIN_DATA) throw new TypeError('not a ring buffer');
    this.header = new Int32Array(sab, 0, RING_HEADER_BYTES / 4);
    if (Atomics.load(this.header, MAGIC_SLOT) !== MAGIC) throw new TypeError('not a ring buffer (bad magic)');
    const size = this.header[SIZE_SLOT] ?? 0;
    if (sab.byteLength !== RING_HEADER_BYTES + size) throw new TypeError('ring buffer size does not match its header');
    this.capacity = size;
    this.mask = size - 1;
    this.maxMessage = maxMessageBytes(size);
    this.bytes = new Uint8Array(sab, RING_HEADER_BYTES, size);
    this.view = new DataView(sab, RING_HEADER_BYTES, size);
    this.i32 = new Int32Array(sab, RING_HEADER_BYTES, size / 4);
    this.dataBell = pickBell(sab, DATA_BELL_BYTE, this.header[DATA_BELL_ID_SLOT] ?? 0, options.dataBell, 'data');
    this.spaceBell = pickBell(sab, SPACE_BELL_BYTE, this.header[SPACE_BELL_ID_SLOT] ?? 0, options.spaceBell, 'space');
    this.batchBytes = Math.min(options.batchBytes ?? 0, size / 4);
  }

  /** The producer called close() (messages may still be waiting). */
  get isClosedFlag(): boolean {
    return Atomics.load(this.header, CLOSED) !== 0;
  }
}

/** The ring's built-in bell, or the external one, checked against the ID the ring was created with. */
function pickBell(sab: SharedArrayBuffer, builtInByte: number, expectedId: number, given: Doorbell | undefined, which: string): Doorbell {
  if (expectedId === 0) {
    if (given !== undefined) throw new TypeError(`ring was created without an external ${which} doorbell`);
    return new Doorbell(sab, builtInByte);
  }
  if (given === undefined) throw new TypeError(`ring was created with an external ${which} doorbell: pass it ({ ${which}Bell })`);
  if (given.id !== expectedId) throw new TypeError(`wrong ${which} doorbell for this ring`);
  return given;
}

/** Record size (header + payload padded to 8) of a payload of `length` bytes. */
function recordBytes(length: number): number {
  return RECORD_HEADER + ((length + 7) & ~7);
}

function deadlineOf(timeoutMs: number): number {
  return performance.now() + timeoutMs;
}

/**
 * The producer end. Per message: `off = reserve(len)` (or waitForSpace then reserve), write the
 * payload at bytes[off .. off+len) (or via `view`), `commit()`.
 */
export class RingWriter extends RingEnd {
  /** Our own position (the producer is the only writer of WRITE, so no need to load it). */
  private write: number;
  /** The position last stored in WRITE (behind `write` by less than batchBytes). */
  private published: number;
  /** Last READ we loaded: free space is at least capacity − (write − cachedRead). */
  private cachedRead: number;
  /** Record bytes of the reserved, uncommitted message (0: none). */
  private pendingRecord = 0;
  private isClosed: boolean;

  constructor(sab: SharedArrayBuffer, options: RingEndOptions = {}) {
    super(sab, options);
    this.isClosed = Atomics.load(this.header, CLOSED) !== 0;
    this.write = Atomics.load(this.header, WRITE);
    this.published = this.write;
    this.cachedRead = Atomics.load(this.header, READ);
  }

  /**
   * Byte offset (in `bytes`) of a contiguous, 8-aligned region of `length` bytes for the next
   * message, or -1 when there is no room now. Calling it again before commit() re-reserves
   * (the same offset, if the length still fits) and cancels the previous reservation, even when
   * it returns -1. A -1 may still have published a wrap marker (freeing the tail is the
   * consumer's job), so retrying with a smaller length then starts at offset 8. Throws
   * RangeError above maxMessage, Error after close().
   */
  reserve(length: number): number {
    // One test covers negative, fractional, NaN and too large (maxMessage < 2^31).
    if ((length | 0) !== length || length < 0 || length > this.maxMessage) {
      throw new RangeError(`message of ${length} bytes: the ring takes 0..${this.maxMessage} (split it)`);
    }
    // Only this end writes CLOSED, so a local copy saves a shared load per message.
    if (this.isClosed) throw new Error('reserve() on a closed ring');
    // A new reserve() replaces the previous one, even when it fails (it may have written a wrap
    // marker over it), so a commit() after a failed reserve() throws instead of publishing junk.
    this.pendingRecord = 0;
    const need = recordBytes(length);
    let place = this.write & this.mask;
    const toEnd = this.capacity - place;
    if (need > toEnd) {
      // Not contiguous here: skip the tail with a wrap marker (toEnd ≥ 8, as every record is a
      // multiple of 8). Publish the marker alone, so the consumer frees the tail even if the
      // message itself must wait for the head to drain.
      if (!this.hasFree(toEnd)) {
        this.flush();
        return -1;
      }
      this.i32[place >> 2] = WRAP;
      this.publish((this.write + toEnd) | 0);
      place = 0;
    }
    if (!this.hasFree(need)) {
      // Out of room: whatever is batched must reach the reader, or it may wait for it forever.
      this.flush();
      return -1;
    }
    this.i32[place >> 2] = length;
    this.pendingRecord = need;
    return place + RECORD_HEADER;
  }

  /** Publishes the message reserved last. */
  commit(): void {
    if (this.pendingRecord === 0) throw new Error('commit() without reserve()');
    const next = (this.write + this.pendingRecord) | 0;
    this.pendingRecord = 0;
    this.publish(next);
  }

  /** Publish every committed message now (a batching writer, before it waits for anything). */
  flush(): void {
    if (this.published === this.write) return;
    this.published = this.write;
    Atomics.store(this.header, WRITE, this.write);
    this.dataBell.ringIfWaiting();
  }

  /** No more messages: the reader sees all committed ones, then `closed`. Idempotent. */
  close(): void {
    this.flush();
    this.pendingRecord = 0;
    this.isClosed = true;
    Atomics.store(this.header, CLOSED, 1);
    this.dataBell.ringIfWaiting();
  }

  /**
   * Blocks (Atomics.wait) until reserve(length) would succeed, or timeoutMs passes. True when it
   * would succeed (it has already reserved: call reserve(length) again to get the offset), false
   * on timeout.
   */
  waitForSpace(length: number, timeoutMs: number): boolean {
    if (this.reserve(length) >= 0) return true;
    const deadline = deadlineOf(timeoutMs);
    const bell = this.spaceBell;
    for (;;) {
      const seen = bell.arm();
      try {
        if (this.reserve(length) >= 0) return true;
        const left = deadline - performance.now();
        if (left <= 0) return false;
        bell.wait(seen, left);
      } finally {
        bell.disarm();
      }
      if (this.reserve(length) >= 0) return true;
    }
  }

  /** Bytes currently published and not yet released, as this end last saw them. */
  get usedBytes(): number {
    return (this.write - Atomics.load(this.header, READ)) >>> 0;
  }

  private hasFree(n: number): boolean {
    if (this.capacity - ((this.write - this.cachedRead) >>> 0) >= n) return true;
    this.cachedRead = Atomics.load(this.header, READ);
    return this.capacity - ((this.write - this.cachedRead) >>> 0) >= n;
  }

  private publish(next: number): void {
    this.write = next;
    if (((next - this.published) >>> 0) < this.batchBytes) return;
    this.published = next;
    Atomics.store(this.header, WRITE, next);
    this.dataBell.ringIfWaiting();
  }
}

/**
 * The consumer end. Per message: `off = next()` (or waitForData then next), read
 * bytes[off .. off+length) in place, `release()`.
 */
export class RingReader extends RingEnd {
  /** Our own position (the consumer is the only writer of READ). */
  private read: number;
  /** The position last stored in READ (behind `read` by less than batchBytes). */
  private published: number;
  /** Last WRITE we loaded: everything in [read, cachedWrite) is published. */
  private cachedWrite: number;
  /** Record bytes of the message next() returned and release() has not freed (0: none). */
  private pendingRecord = 0;
  private pendingOffset = -1;
  private messageLength = 0;

  constructor(sab: SharedArrayBuffer, options: RingEndOptions = {}) {
    super(sab, options);
    this.read = Atomics.load(this.header, READ);
    this.published = this.read;
    this.cachedWrite = this.read;
  }

  /**
   * Offset (in `bytes`) of the next message's payload, or -1 if none is published yet. Until
   * release(), calling it again returns the same message.
   */
  next(): number {
    if (this.pendingRecord !== 0) return this.pendingOffset;
    for (;;) {
      if (this.read === this.cachedWrite) {
        this.cachedWrite = Atomics.load(this.header, WRITE);
        if (this.read === this.cachedWrite) {
          // Out of data: hand back the space of a batch in progress before anyone waits on it.
          this.flushRead();
          return -1;
        }
      }
      const place = this.read & this.mask;
      const length = this.i32[place >> 2] ?? WRAP;
      if (length === WRAP) {
        // The producer skipped the tail: free it now (it may be waiting for exactly this room).
        this.publish((this.read + (this.capacity - place)) | 0);
        continue;
      }
      if (length < 0 || length > this.maxMessage) throw new Error(`corrupt ring: record length ${length} at ${place}`);
      this.messageLength = length;
      this.pendingRecord = recordBytes(length);
      this.pendingOffset = place + RECORD_HEADER;
      return this.pendingOffset;
    }
  }

  /** Payload length of the message next() returned. */
  get length(): number {
    return this.messageLength;
  }

  /** Frees the message next() returned; its bytes may be overwritten from now on. */
  release(): void {
    if (this.pendingRecord === 0) throw new Error('release() without a message from next()');
    const next = (this.read + this.pendingRecord) | 0;
    this.pendingRecord = 0;
    this.pendingOffset = -1;
    this.publish(next);
  }

  /** The producer closed the ring and every message has been released. */
  get closed(): boolean {
    // CLOSED before WRITE: the producer stores WRITE before CLOSED, so this WRITE is final.
    if (Atomics.load(this.header, CLOSED) === 0) return false;
    return this.pendingRecord === 0 && this.next() < 0;
  }

  /**
   * Blocks (Atomics.wait) until a message is there or the ring is closed, or timeoutMs passes.
   * True in the first two cases (check next() / closed), false on timeout.
   */
  waitForData(timeoutMs: number): boolean {
    if (this.ready()) return true;
    const deadline = deadlineOf(timeoutMs);
    const bell = this.dataBell;
    for (;;) {
      const seen = bell.arm();
      try {
        if (this.ready()) return true;
        const left = deadline - performance.now();
        if (left <= 0) return false;
        bell.wait(seen, left);
      } finally {
        bell.disarm();
      }
      if (this.ready()) return true;
    }
  }

  private ready(): boolean {
    return this.next() >= 0 || Atomics.load(this.header, CLOSED) !== 0;
  }

  private publish(next: number): void {
    this.read = next;
    if (((next - this.published) >>> 0) < this.batchBytes) return;
    this.flushRead();
  }

  private flushRead(): void {
    if (this.published === this.read) return;
    this.published = this.read;
    Atomics.store(this.header, READ, this.read);
    this.spaceBell.ringIfWaiting();
  }
}
