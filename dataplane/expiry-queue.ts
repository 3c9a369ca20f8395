/**
 * When does each flow time out? A min-heap of (expiry, flow id, flow seq) over typed arrays, so
 * the dataplane ends every flow at the first packet whose clock reaches its expiry — not when a
 * garbage-collection walk happens to visit its slot. That makes the moment a flow ends (and so
 * the order of `--flows` lines and the `expired` counter) a property of the flow's own packets
 * and the capture's clock, independent of table layout: a replay sharded over workers
 * (`--workers N`) ends every flow exactly as the single-threaded one does.
 *
 * Lazy extension. Most packets push a connection's expiry later; re-keying the heap on each of
 * them would cost a sift per packet. Instead an item keeps the expiry it was queued with and is
 * checked when it comes due: the owner compares the flow's real expiry and queues it again if it
 * moved later (once per timeout period at most). Only an expiry moving EARLIER (a TCP close,
 * UDP falling back to the unreplied timeout) pushes a new item at once; the old one is then
 * stale. `queuedAt[f]` is the key of flow f's one valid item (NaN: none); an item whose key or
 * seq does not match is stale and skipped. Stale items are compacted away when they outnumber
 * the valid ones, so memory follows the live flows, never the length of the capture.
 *
 * No allocation per operation; the arrays double when full (amortised, bounded by live flows).
 */
export class ExpiryQueue {
  private keys = new Float64Array(1024);
  private flows = new Int32Array(1024);
  private seqs = new Float64Array(1024);
  private length = 0;
  /** Per flow id: the key of its valid item, NaN when it has none. */
  private queuedAt = new Float64Array(1024).fill(NaN);
  /** Flows with a valid item. */
  private valid = 0;

  /** Items in the heap (valid and stale). */
  get size(): number {
    return this.length;
  }

  /** Smallest key in the heap (Infinity when empty): the cheap per-packet test. */
  get nextKey(): number {
    return this.length > 0 ? (this.keys[0] as number) : Infinity;
  }

  /** Has flow `f` a valid item? */
  isQueued(f: number): boolean {
    return f < this.queuedAt.length && !Number.isNaN(this.queuedAt[f] as number);
  }

  /**
   * Flow `f` (start number `seq`) expires at `expiry`. Pushes an item when the flow has none or
   * the new expiry is earlier than its item's; a later expiry is picked up when the item comes due.
   */
  schedule(f: number, seq: number, expiry: number): void {
    if (f >= this.queuedAt.length) this.growFlows(f);
    const at = this.queuedAt[f] as number;
    if (at <= expiry) return; // false for NaN: no item yet
    if (Number.isNaN(at)) this.valid++;
    this.queuedAt[f] = expiry;
    this.push(expiry, f, seq);
    if (this.length > 4096 && this.length > this.valid * 4) this.compact();
  }

  /** Forget flow `f`'s item (the flow ended another way, or its id is about to be reused). */
  cancel(f: number): void {
    if (f < this.queuedAt.length && !Number.isNaN(this.queuedAt[f] as number)) {
      this.queuedAt[f] = NaN;
      this.valid--;
    }
  }

  /**
   * Remove the smallest item if its key is ≤ `clock` and return its flow id (the flow then has
   * no item: schedule it again if it is not over). Returns -1 for a stale item (call again) and
   * -2 when nothing is due. `seqOf[f * stride + at]` is flow f's seq, to tell a reused id apart
   * (FlowRecords: its Float64 rows).
   */
  popDue(clock: number, seqOf: Float64Array, stride = 1, at = 0): number {
    if (this.length === 0 || (this.keys[0] as number) > clock) return -2;
    const key = this.keys[0] as number;
    const f = this.flows[0] as number;
    const seq = this.seqs[0] as number;
    this.removeRoot();
    if (this.queuedAt[f] !== key || seqOf[f * stride + at] !== seq) return -1;
    this.queuedAt[f] = NaN;
    this.valid--;
    return f;
  }

  private push(key: number, f: number, seq: number): void {
    if (this.length === this.keys.length) this.growHeap();
    let i = this.length++;
    const keys = this.keys;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pk = keys[parent] as number;
      if (pk <= key) break;
      keys[i] = pk;
      this.flows[i] = this.flows[parent] as number;
      this.seqs[i] = this.seqs[parent] as number;
      i = parent;
    }
    keys[i] = key;
    this.flows[i] = f;
    this.seqs[i] = seq;
  }

  private removeRoot(): void {
    const n = --this.length;
    if (n === 0) return;
    this.siftDown(0, this.keys[n] as number, this.flows[n] as number, this.seqs[n] as number);
  }

  /** Place (key, f, seq) at hole `i` or below it. */
  private siftDown(i: number, key: number, f: number, seq: number): void {
    const keys = this.keys;
    const n = this.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && (keys[r] as number) < (keys[l] as number) ? r : l;
      if ((keys[c] as number) >= key) break;
      keys[i] = keys[c] as number;
      this.flows[i] = this.flows[c] as number;
      this.seqs[i] = this.seqs[c] as number;
      i = c;
    }
    keys[i] = key;
    this.flows[i] = f;
    this.seqs[i] = seq;
  }

  /** Drop stale items (a key that is not its flow's queuedAt) and rebuild the heap. */
  private compact(): void {
    let n = 0;
    for (let i = 0; i < this.length; i++) {
      const f = this.flows[i] as number;
      if (this.queuedAt[f] !== this.keys[i]) continue;
      this.keys[n] = this.keys[i] as number;
      this.flows[n] = f;
      this.seqs[n] = this.seqs[i] as number;
      n++;
    }
    this.length = n;
    for (let i = (n >> 1) - 1; i >= 0; i--) this.siftDown(i, this.keys[i] as number, this.flows[i] as number, this.seqs[i] as number);
  }

  private growHeap(): void {
    const size = this.keys.length * 2;
    const keys = new Float64Array(size);
    keys.set(this.keys);
    const flows = new Int32Array(size);
    flows.set(this.flows);
    const seqs = new Float64Array(size);
    seqs.set(this.seqs);
    this.keys = keys;
    this.flows = flows;
    this.seqs = seqs;
  }

  private growFlows(f: number): void {
    let size = this.queuedAt.length;
    while (size <= f) size *= 2;
    const next = new Float64Array(size).fill(NaN);
    next.set(this.queuedAt);
    this.queuedAt = next;
  }
}
