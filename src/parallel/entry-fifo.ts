/**
 * A FIFO of entries, each a few float64 keys and a run of bytes, in typed arrays that grow by
 * doubling (and compact instead when mostly consumed): the main thread of a sharded replay
 * parks worker output here (flow lines waiting for their turn in the global order, verdicts
 * waiting for their packet) without an object per entry. Its size is bounded by how far the
 * workers run apart, which the input rings bound.
 */
export class EntryFifo {
  private keys: Float64Array;
  private starts: Float64Array;
  private lengths: Int32Array;
  private head = 0;
  private count = 0;
  /** The bytes of the entries, `data[readAt..writeAt)`; a Buffer so `copy` moves them without views. */
  data: Buffer;
  private writeAt = 0;

  constructor(private readonly width: number) {
    this.keys = new Float64Array(256 * width);
    this.starts = new Float64Array(256);
    this.lengths = new Int32Array(256);
    this.data = Buffer.allocUnsafe(1 << 16);
  }

  get size(): number {
    return this.count;
  }

  /** Key `k` of the oldest entry (the FIFO must not be empty). */
  key(k: number): number {
    return this.keys[this.slot(0) * this.width + k] as number;
  }

  /** Where the oldest entry's bytes are in `data`, and how many. */
  get byteStart(): number {
    return this.starts[this.slot(0)] as number;
  }
  get byteLength(): number {
    return this.lengths[this.slot(0)] as number;
  }

  /**
   * Append an entry: `width` keys set afterwards through `setKey(k, value)` on the returned
   * index, and `length` bytes copied from `source` at `offset`.
   */
  push(source: Buffer, offset: number, length: number): number {
    if (this.count === this.lengths.length) this.growEntries();
    const s = this.slot(this.count);
    this.count++;
    if (this.writeAt + length > this.data.length) this.makeRoom(length);
    source.copy(this.data, this.writeAt, offset, offset + length);
    this.starts[s] = this.writeAt;
    this.lengths[s] = length;
    this.writeAt += length;
    return s;
  }

  setKey(slot: number, k: number, value: number): void {
    this.keys[slot * this.width + k] = value;
  }

  /** Drop the oldest entry. */
  shift(): void {
    this.head = (this.head + 1) % this.lengths.length;
    this.count--;
    if (this.count === 0) this.writeAt = 0;
  }

  private slot(i: number): number {
    return (this.head + i) % this.lengths.length;
  }

  /** Move the live bytes to the front, doubling the buffer if they still do not leave `need` free. */
  private makeRoom(need: number): void {
    let from = this.writeAt;
    for (let i = 0; i < this.count - 1; i++) from = Math.min(from, this.starts[this.slot(i)] as number);
    const live = this.writeAt - from;
    let size = this.data.length;
    while (live + need > size) size *= 2;
    const target = size === this.data.length ? this.data : Buffer.allocUnsafe(size);
    this.data.copy(target, 0, from, this.writeAt);
    this.data = target;
    for (let i = 0; i < this.count - 1; i++) {
      const s = this.slot(i);
      this.starts[s] = (this.starts[s] as number) - from;
    }
    this.writeAt = live;
  }

  private growEntries(): void {
    const n = this.lengths.length;
    const keys = new Float64Array(n * 2 * this.width);
    const starts = new Float64Array(n * 2);
    const lengths = new Int32Array(n * 2);
    for (let i = 0; i < this.count; i++) {
      const s = this.slot(i);
      for (let k = 0; k < this.width; k++) keys[i * this.width + k] = this.keys[s * this.width + k] as number;
      starts[i] = this.starts[s] as number;
      lengths[i] = this.lengths[s] as number;
    }
    this.keys = keys;
    this.starts = starts;
    this.lengths = lengths;
    this.head = 0;
  }
}
