/**
 * Slots of a fixed-size table chained by a 32-bit hash, newest first: one Map entry per distinct
 * hash (its newest slot), and the links in typed arrays. A slot is in a chain at most once;
 * several instances index the same slots by different keys (order-hubble-packets.ts). No
 * allocation per insert or removal beyond the Map's own entry.
 */
export class HashChains {
  private readonly heads = new Map<number, number>();
  private readonly older: Int32Array;
  private readonly newer: Int32Array;
  /** The hash a slot is chained under; `member` says whether it is. */
  readonly hashOf: Int32Array;
  private readonly member: Uint8Array;

  constructor(slots: number) {
    this.older = new Int32Array(slots);
    this.newer = new Int32Array(slots);
    this.hashOf = new Int32Array(slots);
    this.member = new Uint8Array(slots);
  }

  /** The newest slot chained under `hash`, or -1. */
  first(hash: number): number {
    return this.heads.get(hash) ?? -1;
  }

  /** The next older slot of `s`'s chain, or -1. */
  next(s: number): number {
    return this.older[s] as number;
  }

  has(s: number): boolean {
    return this.member[s] === 1;
  }

  insert(s: number, hash: number): void {
    const head = this.heads.get(hash) ?? -1;
    this.older[s] = head;
    this.newer[s] = -1;
    if (head >= 0) this.newer[head] = s;
    this.heads.set(hash, s);
    this.hashOf[s] = hash;
    this.member[s] = 1;
  }

  remove(s: number): void {
    if (this.member[s] !== 1) return;
    this.member[s] = 0;
    const older = this.older[s] as number;
    const newer = this.newer[s] as number;
    if (older >= 0) this.newer[older] = newer;
    if (newer >= 0) this.older[newer] = older;
    else if (older >= 0) this.heads.set(this.hashOf[s] as number, older);
    else this.heads.delete(this.hashOf[s] as number);
  }
}
