/** Fixed-size bitsets over small integer ids (identities, namespaces, CIDR classes). */
export class Bitset {
  readonly words: Uint32Array;

  constructor(readonly size: number) {
    this.words = new Uint32Array(Math.max(1, Math.ceil(size / 32)));
  }

  static full(size: number): Bitset {
    const set = new Bitset(size);
    set.words.fill(0xffffffff);
    set.clearTail();
    return set;
  }

  has(i: number): boolean {
    return ((this.words[i >>> 5] as number) & (1 << (i & 31))) !== 0;
  }

  add(i: number): void {
    this.words[i >>> 5] = (this.words[i >>> 5] as number) | (1 << (i & 31));
  }

  and(other: Bitset): this {
    for (let i = 0; i < this.words.length; i++) this.words[i] = (this.words[i] as number) & (other.words[i] as number);
    return this;
  }

  or(other: Bitset): this {
    for (let i = 0; i < this.words.length; i++) this.words[i] = (this.words[i] as number) | (other.words[i] as number);
    return this;
  }

  not(): this {
    for (let i = 0; i < this.words.length; i++) this.words[i] = ~(this.words[i] as number) >>> 0;
    this.clearTail();
    return this;
  }

  clone(): Bitset {
    const copy = new Bitset(this.size);
    copy.words.set(this.words);
    return copy;
  }

  isEmpty(): boolean {
    for (let i = 0; i < this.words.length; i++) if (this.words[i] !== 0) return false;
    return true;
  }

  /** Members in increasing order. */
  members(): number[] {
    const out: number[] = [];
    for (let w = 0; w < this.words.length; w++) {
      let word = this.words[w] as number;
      while (word !== 0) {
        const bit = 31 - Math.clz32(word & -word);
        out.push(w * 32 + bit);
        word &= word - 1;
      }
    }
    return out;
  }

  key(): string {
    return Array.from(this.words, (w) => w.toString(36)).join(',');
  }

  private clearTail(): void {
    const tail = this.size & 31;
    if (tail !== 0) {
      const last = this.words.length - 1;
      this.words[last] = (this.words[last] as number) & ((1 << tail) - 1);
    } else if (this.size === 0) {
      this.words[0] = 0;
    }
  }
}

/** Members of a bitset stored flat in `bits` (`words` words from `offset`), in increasing order. */
export function flatBitsetMembers(bits: Uint32Array, offset: number, words: number): number[] {
  const out: number[] = [];
  for (let w = 0; w < words; w++) {
    const word = bits[offset + w] as number;
    for (let b = 0; b < 32; b++) if ((word >>> b) & 1) out.push(w * 32 + b);
  }
  return out;
}
