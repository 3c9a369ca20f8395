/**
 * The endpoint a node capture showed for a Service connection, where it differs from the
 * emulator's seeded choice (service-nat.ts). kube-proxy picks at random and nf_nat keeps the
 * choice in the connection's conntrack entry; the emulator picks by a hash and keeps nothing. So
 * when a `tcpdump -i any` capture shows the post-DNAT copy of a connection going to another
 * endpoint, the dataplane pins (client address, client port, protocol, frontend) → that endpoint,
 * and ServiceNat.translate reads the pin before hashing: every later packet of the connection,
 * pre-DNAT copies and replies before un-translation too, goes to the endpoint the node chose.
 *
 * Only re-keyed connections have a pin, and the dataplane removes it when the flow ends, so the
 * table holds live re-keyed connections only. Open addressing, linear probing, backward-shift
 * deletion; the columns double when 3/4 full (allocation on that rare step only, never per packet).
 */

/** Words per key: family, client address (4 words), client port << 8 | protocol, frontend. */
const KEY_WORDS = 7;

function mix(h: number, v: number): number {
  h = Math.imul(h ^ v, 0x5bd1e995);
  return (h ^ (h >>> 15)) >>> 0;
}

export class ServiceEndpointPins {
  private keys = new Uint32Array(16 * KEY_WORDS);
  /** Pinned backend id per slot, -1 empty. */
  private values = new Int32Array(16).fill(-1);
  private mask = 15;
  private used = 0;

  /** Pins held now. */
  get size(): number {
    return this.used;
  }

  private hash(family: number, client: ArrayLike<number>, port: number, protocol: number, frontend: number): number {
    let h = mix(0x1b873593, family);
    for (let i = 0; i < 4; i++) h = mix(h, client[i] as number);
    h = mix(h, ((port << 8) | protocol) >>> 0);
    return mix(h, frontend);
  }

  /** `hash` of the key stored at word `k`. */
  private hashAt(k: number): number {
    return this.hashOfWords(this.keys, k);
  }

  private hashOfWords(keys: Uint32Array, k: number): number {
    let h = mix(0x1b873593, keys[k] as number);
    for (let i = 1; i <= 4; i++) h = mix(h, keys[k + i] as number);
    h = mix(h, keys[k + 5] as number);
    return mix(h, keys[k + 6] as number);
  }

  private find(family: number, client: ArrayLike<number>, port: number, protocol: number, frontend: number): number {
    const keys = this.keys;
    const portProto = ((port << 8) | protocol) >>> 0;
    let s = this.hash(family, client, port, protocol, frontend) & this.mask;
    for (;;) {
      if ((this.values[s] as number) < 0) return -1 - s;
      const k = s * KEY_WORDS;
      if (keys[k] === family && keys[k + 1] === client[0] && keys[k + 2] === client[1] && keys[k + 3] === client[2] && keys[k + 4] === client[3] && keys[k + 5] === portProto && keys[k + 6] === frontend) return s;
      s = (s + 1) & this.mask;
    }
  }

  /** The pinned backend of this connection, or -1. */
  get(family: number, client: ArrayLike<number>, port: number, protocol: number, frontend: number): number {
    if (this.used === 0) return -1;
    const s = this.find(family, client, port, protocol, frontend);
    return s >= 0 ? (this.values[s] as number) : -1;
  }

  set(family: number, client: ArrayLike<number>, port: number, protocol: number, frontend: number, backend: number): void {
    if ((this.used + 1) * 4 > (this.mask + 1) * 3) this.grow();
    let s = this.find(family, client, port, protocol, frontend);
    if (s < 0) {
      s = -1 - s;
      const k = s * KEY_WORDS;
      this.keys[k] = family;
      for (let i = 0; i < 4; i++) this.keys[k + 1 + i] = client[i] as number;
      this.keys[k + 5] = ((port << 8) | protocol) >>> 0;
      this.keys[k + 6] = frontend;
      this.used++;
    }
    this.values[s] = backend;
  }

  delete(family: number, client: ArrayLike<number>, port: number, protocol: number, frontend: number): void {
    if (this.used === 0) return;
    const s = this.find(family, client, port, protocol, frontend);
    if (s < 0) return;
    const mask = this.mask;
    const keys = this.keys;
    let hole = s;
    let j = (s + 1) & mask;
    while ((this.values[j] as number) >= 0) {
      const k = j * KEY_WORDS;
      const home = this.hashAt(k) & mask;
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        keys.copyWithin(hole * KEY_WORDS, k, k + KEY_WORDS);
        this.values[hole] = this.values[j] as number;
        hole = j;
      }
      j = (j + 1) & mask;
    }
    this.values[hole] = -1;
    this.used--;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldValues = this.values;
    const capacity = (this.mask + 1) * 2;
    this.keys = new Uint32Array(capacity * KEY_WORDS);
    this.values = new Int32Array(capacity).fill(-1);
    this.mask = capacity - 1;
    this.used = 0;
    for (let s = 0; s < oldValues.length; s++) {
      const b = oldValues[s] as number;
      if (b < 0) continue;
      const from = s * KEY_WORDS;
      let to = this.hashOfWords(oldKeys, from) & this.mask;
      while ((this.values[to] as number) >= 0) to = (to + 1) & this.mask;
      this.keys.set(oldKeys.subarray(from, from + KEY_WORDS), to * KEY_WORDS);
      this.values[to] = b;
      this.used++;
    }
  }
}
