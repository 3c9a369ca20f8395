/**
 * Non-first IP fragments carry no ports, so they cannot be classified on their own. Linux
 * reassembles before conntrack (nf_defrag), so a datagram's fragments share one verdict: we
 * remember the first fragment's outcome by (addresses, protocol, IP id) and give it to the rest.
 * A fixed direct-mapped cache: a collision forgets the older datagram (its later fragments are
 * then dropped as "no first fragment", which is what a real reassembly timeout would do too).
 */
const SLOTS = 4096;

export class FragmentCache {
  private readonly key = new Uint32Array(SLOTS * 10);
  private readonly used = new Uint8Array(SLOTS);
  /** Forwarded (1) or dropped (0), and the flow the datagram belongs to. */
  private readonly allowed = new Uint8Array(SLOTS);
  private readonly flow = new Int32Array(SLOTS);
  /** The flow record's seq, to tell a reused record slot from the datagram's own flow. */
  private readonly flowSeq = new Float64Array(SLOTS);
  /** The first fragment's direction relative to the flow record (CtDirection). */
  private readonly direction = new Uint8Array(SLOTS);
  /** Results of the last `find`. */
  foundAllowed = false;
  foundFlow = -1;
  foundSeq = -1;
  foundDirection = 0;

  private slotOf(src: Uint32Array, dst: Uint32Array, protocol: number, id: number): number {
    let h = Math.imul(id ^ protocol, 0x9e3779b1);
    for (let i = 0; i < 4; i++) h = Math.imul(h ^ (src[i] as number) ^ Math.imul(dst[i] as number, 0x85ebca6b), 0xc2b2ae35);
    return (h >>> 0) % SLOTS;
  }

  remember(src: Uint32Array, dst: Uint32Array, protocol: number, id: number, allowed: boolean, flow: number, flowSeq: number, direction = 0): void {
    const slot = this.slotOf(src, dst, protocol, id);
    const base = slot * 10;
    for (let i = 0; i < 4; i++) {
      this.key[base + i] = src[i] as number;
      this.key[base + 4 + i] = dst[i] as number;
    }
    this.key[base + 8] = protocol;
    this.key[base + 9] = id;
    this.used[slot] = 1;
    this.allowed[slot] = allowed ? 1 : 0;
    this.flow[slot] = flow;
    this.flowSeq[slot] = flowSeq;
    this.direction[slot] = direction;
  }

  find(src: Uint32Array, dst: Uint32Array, protocol: number, id: number): boolean {
    const slot = this.slotOf(src, dst, protocol, id);
    const base = slot * 10;
    if (this.used[slot] === 0 || this.key[base + 8] !== protocol || this.key[base + 9] !== id) return false;
    for (let i = 0; i < 4; i++) {
      if (this.key[base + i] !== src[i] || this.key[base + 4 + i] !== dst[i]) return false;
    }
    this.foundAllowed = this.allowed[slot] === 1;
    this.foundFlow = this.flow[slot] as number;
    this.foundSeq = this.flowSeq[slot] as number;
    this.foundDirection = this.direction[slot] as number;
    return true;
  }
}
