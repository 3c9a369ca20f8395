/**
 * The shard function of a multi-core replay (`replay --workers N`, and `split --by flow`): which
 * of N workers replays a capture record. Each worker owns the dataplane state of the packets it
 * gets (conntrack, denied attempts, fragment cache, `-i any` de-duplication window), so every
 * packet that the single-threaded Dataplane (dataplane/dataplane.ts) would relate to the same
 * piece of state must go to the same worker.
 *
 * The key is a symmetric hash of the packet's address pair AS THE DATAPLANE SEES IT, computed
 * with the dataplane's own code in the dataplane's order: `decodeFrame`, then `TunnelDecoder`
 * (same decap mode and ports as the replay), then `ServiceNat.translate` unless the packet is a
 * non-first fragment, then, for an ICMP error, the embedded packet's pair (innerSrc, innerDst).
 * Ports are never in the key. Non-IP, undecodable and unsupported-link frames (and an opened
 * tunnel whose inner frame is not a decodable IP packet) go to shard 0: the dataplane only counts
 * them. Encrypted frames (WireGuard, ESP) are counted only too: they go by their outer pair
 * (spread, and all copies of one together).
 *
 * Why this is the right key — every lookup of per-connection state in the dataplane is keyed by
 * a 5-tuple whose address pair is the key's pair:
 *
 * - Both directions: conntrack (`lookup`/`create`), the denied-attempt index (`newFlow`,
 *   `invalid`, `noEndpoint`) and flow records use (src, dst) of the translated packet in either
 *   order; the pair hash is symmetric.
 * - Service connection (client C → frontend V, endpoint E chosen by ServiceNat's seeded hash of
 *   the original 5-tuple). ServiceNat is stateless (its tables are built once; `frontend`,
 *   `backend`, `lastExternal` are outputs of the last call only), so this function reproduces the
 *   dataplane's translation exactly. C→V is translated to C→E: key {C,E}, the pair conntrack
 *   keeps. The reply before un-translation V→C is rewritten by the same hash to E→C: {C,E}. The
 *   reply after un-translation E→C and the post-DNAT copy C→E are not Service frontends: {C,E}.
 *   A post-DNAT copy to an endpoint other than the seeded choice (the real kube-proxy picked E2)
 *   is {C,E2}: the single-threaded dataplane does not relate it to {C,E} either (its fingerprint
 *   differs from the translated pre-DNAT copy, conntrack has no entry for it): it is a connection
 *   of its own there too, and its replies E2→C go with it.
 * - NodePort from outside with externalTrafficPolicy Cluster (X → node N:nodePort, SNAT to N):
 *   translated to N→E, key {N,E}; the pod-side reply E→N and the post-NAT copy N→E are {N,E}; the
 *   uplink reply N:nodePort→X is rewritten by ServiceNat to E→N: {N,E}. (Every external client of
 *   a node's NodePorts served by one endpoint shares that key: correct, only less spread.) Local
 *   (or a profile that keeps the client) has no SNAT: {X,E} both ways.
 * - Service without endpoint (NO_ENDPOINT): the packet is not rewritten and the dataplane keeps
 *   the denied record under C→V: key {C,V}; the kube-proxy REJECT V→C quoting C→V is untranslated
 *   too (no endpoint to choose): inner pair {C,V}.
 * - ICMP errors: conntrack's RELATED lookup (`lookupIcmpError`) inverts the embedded tuple, and
 *   `invalid()` first looks for a denied attempt by the embedded tuple; the key is the embedded
 *   pair. About a translated connection: an error captured as the client sees it (from V, quoting
 *   C→V:p) is rewritten by ServiceNat.translateIcmpError to quote C→E:ep (same seeded choice): key
 *   {C,E}; an error as the endpoint side sends it (from E, quoting C→E) is not a frontend packet:
 *   {C,E}; a router's error quoting C→V is translated to quote C→E: {C,E}; with NodePort SNAT the
 *   quoted source becomes N: {N,E}, the pair of the connection.
 * - Fragments: a first fragment has its L4 header and is keyed like any packet. A non-first
 *   fragment carries no ports, so the dataplane neither translates it nor looks up conntrack: it
 *   looks up its fragment cache by the fragment's own (untranslated) src, dst, protocol and IP id,
 *   where the first fragment was remembered under its post-translation outer addresses. For a
 *   plain datagram those are the same addresses, so the pair (no ports in the key) puts all
 *   fragments together. Where the first fragment's key is not its outer pair — an ICMP error whose
 *   quoted pair differs from its outer pair (a router's error), or a translated Service datagram —
 *   the pair cannot tell; so this function remembers, in a small direct-mapped table, each first
 *   fragment's (untranslated src, dst, protocol, id) → shard, and sends the later fragments there
 *   (falling back to the pair when the entry was overwritten). For a Service datagram C→V the
 *   dataplane remembers the first fragment as captured (C→V, before translation, as Linux
 *   reassembles before NAT) and the later fragments, C→V too, find it in the worker this table
 *   sent them to: the first fragment's.
 * - `-i any` copies: the DedupeFilter fingerprints a Service packet in its translated form, so
 *   the pre- and post-DNAT copies are only duplicates when they translate to the same packet:
 *   same pair, same key. Copies of a plain packet have the same addresses. The tunnelled copy of
 *   an overlay node (on the uplink) is fingerprinted by its inner packet: same key (next point).
 * - Tunnels: the dataplane replays the inner packet of a frame the TunnelDecoder opens, so the
 *   key is the inner pair: a VXLAN/Geneve/IP-in-IP-wrapped packet goes with the same packet seen
 *   bare on a veth. A datagram to a tunnel port that the decoder does not open (auto mode, an
 *   implausible header) is an ordinary UDP datagram to the dataplane and here. Outer fragments of
 *   a tunnel packet: the first is replayed as its inner packet (key: inner pair, nothing kept in
 *   the fragment cache since the inner packet is not a fragment); the later ones are non-first
 *   fragments between the two nodes that the dataplane drops as having no first fragment wherever
 *   they go.
 *
 * Where the key cannot be right: an ICMP error that conntrack does not find (INVALID) and that
 * quotes no denied attempt is counted by `Dataplane.invalid` on a CT_INVALID record keyed by its
 * OUTER addresses and type. With `dropInvalid` off, every INVALID ICMP error — also one quoting
 * a denied attempt — goes to `newFlow`, which evaluates and records it by its outer addresses
 * too (a record that outlives the packet only when policy denies the error). Two such errors
 * from one router to one host quoting different connections share that record in the single
 * replay but are keyed here by their (different) quoted pairs, so a sharded replay makes one
 * record per shard. Their categories and packet counters are the same; only the grouping of those
 * stray errors into flow records (flow counts, the top denied flows) differs. No stateless key
 * can serve both lookups of such a packet; the RELATED and denied-attempt lookups, which decide
 * verdicts, are the ones served. (`split --by flow` has always keyed these errors the same way.)
 *
 * Not about the key but worth knowing when comparing a sharded replay with the single one: the
 * dataplane's bounded tables are per worker, so what their capacity decides can change —
 * conntrack TABLE_FULL / early drop (each worker gets the whole `conntrackMax`, so a worker fills
 * only when one replay would have: replay-parallel.ts warns when the workers' peaks add up past
 * it), denied attempts evicted (`deniedFlowsMax`, the same), and the 4096-slot direct-mapped
 * fragment cache forgetting a datagram on a collision with another worker's. The de-duplication
 * window (64 capture indexes, 5 ms) and flow expiry (exact times, dataplane/expiry-queue.ts) were
 * made independent of what else a worker holds, so they agree.
 *
 * Zero allocation per call: one PacketMeta, one TunnelDecoder, typed-array tables.
 */
import { decodeFrame, TunnelDecoder, TunnelResult, type DecapMode, type TunnelPorts } from '../../dataplane/decode/index.js';
import { DEFAULT_GENEVE_PORTS, DEFAULT_VXLAN_PORTS, DEFAULT_WIREGUARD_PORTS } from '../../dataplane/decode/decode-tunnel.js';
import { DecodeStatus, PacketMeta } from '../../dataplane/packet-meta.js';
import type { ServiceNat } from '../../dataplane/service-nat.js';

function hashWords(words: Uint32Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < 4; i++) {
    h = Math.imul(h ^ (words[i] as number), 0x01000193);
    h ^= h >>> 15;
  }
  return h >>> 0;
}

/** hashWords of an IPv4 address as PacketMeta holds it (word 0; words 1–3 zero). */
function hashIpv4(address: number): number {
  let h = Math.imul(0x811c9dc5 ^ address, 0x01000193);
  h ^= h >>> 15;
  for (let i = 1; i < 4; i++) {
    h = Math.imul(h, 0x01000193);
    h ^= h >>> 15;
  }
  return h >>> 0;
}

/** addressPairHash of two IPv4 addresses, without a PacketMeta. */
function ipv4PairHash(a: number, b: number): number {
  let h = (hashIpv4(a) ^ hashIpv4(b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Same value for (a, b) and (b, a): XOR of the two addresses' hashes, then a final mix. */
export function addressPairHash(src: Uint32Array, dst: Uint32Array): number {
  let h = (hashWords(src) ^ hashWords(dst)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export interface ShardFunctionOptions {
  /** Number of workers (parts), at least 1. */
  readonly shards: number;
  /** As the replay's (default auto): the key of an opened tunnel is its inner packet's. */
  readonly decap?: DecapMode;
  readonly tunnelPorts?: TunnelPorts;
  /**
   * The replay's Service translation (built from the same cluster and options, e.g. with
   * `buildServiceNat(cluster, options)`); null or absent when the replay translates nothing. An
   * instance a Dataplane on the same thread also uses is fine: `translate` keeps no state.
   */
  readonly services?: ServiceNat | null;
}

/** Slots of the first-fragment table (direct-mapped; a power of two). */
const FRAGMENT_SLOTS = 16384;

export class ShardFunction {
  readonly shards: number;
  /** The packet as the dataplane sees it after the last call (decoded, decapsulated, translated). */
  readonly meta = new PacketMeta();
  private readonly tunnels: TunnelDecoder;
  private readonly services: ServiceNat | null;
  /** Untranslated addresses of the current first fragment. */
  private readonly fragSrc = new Uint32Array(4);
  private readonly fragDst = new Uint32Array(4);
  /** First fragments: src (4 words), dst (4), protocol, id → key, per slot. */
  private readonly fragKeys = new Uint32Array(FRAGMENT_SLOTS * 10);
  private readonly fragUsed = new Uint8Array(FRAGMENT_SLOTS);
  private readonly fragHash = new Uint32Array(FRAGMENT_SLOTS);
  /** UDP ports a tunnel may use (VXLAN, Geneve, WireGuard): those packets take the full path. */
  private readonly tunnelPort = new Uint8Array(65536);
  private readonly decapOff: boolean;
  private readonly scratch = new Uint32Array(4);

  constructor(options: ShardFunctionOptions) {
    if (!Number.isInteger(options.shards) || options.shards < 1) throw new RangeError(`shards must be a positive integer, got ${options.shards}`);
    this.shards = options.shards;
    this.tunnels = new TunnelDecoder(options.decap ?? 'auto', options.tunnelPorts);
    this.services = options.services ?? null;
    this.decapOff = (options.decap ?? 'auto') === 'off';
    const ports = options.tunnelPorts ?? {};
    for (const list of [ports.vxlan ?? DEFAULT_VXLAN_PORTS, ports.geneve ?? DEFAULT_GENEVE_PORTS, ports.wireguard ?? DEFAULT_WIREGUARD_PORTS]) for (const p of list) this.tunnelPort[p] = 1;
  }

  /** The worker (0 .. shards-1) that replays this frame. */
  shardOf(buf: Uint8Array, offset: number, capturedLength: number, wireLength: number, linkType: number): number {
    const key = this.keyOf(buf, offset, capturedLength, wireLength, linkType);
    return key < 0 ? 0 : key % this.shards;
  }

  /**
   * The frame's 32-bit key (the address-pair hash described in the file comment), or -1 for a
   * frame the dataplane only counts (non-IP, undecodable, unsupported link).
   */
  keyOf(buf: Uint8Array, offset: number, capturedLength: number, wireLength: number, linkType: number): number {
    const fast = this.fastKey(buf, offset, capturedLength, linkType);
    if (fast >= 0) return fast;
    return this.fullKey(buf, offset, capturedLength, wireLength, linkType);
  }

  /**
   * The key of the common packet — IPv4 TCP or UDP, not a fragment, not to or from a tunnel
   * port, not to or from a Service frontend, on Ethernet (no VLAN), Linux cooked or raw IP — read
   * straight from the bytes (~30 ns instead of a full decode): the reader thread does this for
   * every record. -1 when the packet needs the full path. For a packet the dataplane decodes,
   * the value equals `fullKey`'s (test/shard-of.test.ts checks it on every capture fixture);
   * for one it cannot decode, any shard will do (it is only counted).
   */
  fastKey(buf: Uint8Array, offset: number, capturedLength: number, linkType: number): number {
    let l3: number;
    if (linkType === 1) {
      if (capturedLength < 34 || buf[offset + 12] !== 0x08 || buf[offset + 13] !== 0x00) return -1;
      l3 = offset + 14;
    } else if (linkType === 113) {
      if (capturedLength < 36 || buf[offset + 14] !== 0x08 || buf[offset + 15] !== 0x00) return -1;
      l3 = offset + 16;
    } else if (linkType === 276) {
      if (capturedLength < 40 || buf[offset] !== 0x08 || buf[offset + 1] !== 0x00) return -1;
      l3 = offset + 20;
    } else if (linkType === 101 || linkType === 228) {
      if (capturedLength < 20) return -1;
      l3 = offset;
    } else {
      return -1;
    }
    const vihl = buf[l3] as number;
    const ihl = (vihl & 15) * 4;
    if (vihl >> 4 !== 4 || ihl < 20) return -1;
    // More-fragments flag or a fragment offset: the full path (first-fragment table).
    if (((buf[l3 + 6] as number) & 0x3f) !== 0 || buf[l3 + 7] !== 0) return -1;
    const protocol = buf[l3 + 9] as number;
    if (protocol !== 6 && protocol !== 17) return -1;
    const l4 = l3 + ihl;
    if (l4 + 4 > offset + capturedLength || l4 + 4 > buf.length) return -1;
    const sport = ((buf[l4] as number) << 8) | (buf[l4 + 1] as number);
    const dport = ((buf[l4 + 2] as number) << 8) | (buf[l4 + 3] as number);
    if (protocol === 17 && !this.decapOff && (this.tunnelPort[sport] === 1 || this.tunnelPort[dport] === 1)) return -1;
    const src = (((buf[l3 + 12] as number) << 24) | ((buf[l3 + 13] as number) << 16) | ((buf[l3 + 14] as number) << 8) | (buf[l3 + 15] as number)) >>> 0;
    const dst = (((buf[l3 + 16] as number) << 24) | ((buf[l3 + 17] as number) << 16) | ((buf[l3 + 18] as number) << 8) | (buf[l3 + 19] as number)) >>> 0;
    const services = this.services;
    if (services !== null) {
      const scratch = this.scratch;
      scratch[0] = dst;
      if (services.isFrontend(4, scratch, protocol, dport)) return -1;
      scratch[0] = src;
      if (services.isFrontend(4, scratch, protocol, sport)) return -1;
    }
    return ipv4PairHash(src, dst);
  }

  /** The key through the dataplane's own decoders (every case of the file comment). */
  fullKey(buf: Uint8Array, offset: number, capturedLength: number, wireLength: number, linkType: number): number {
    const meta = this.meta;
    if (decodeFrame(buf, offset, capturedLength, wireLength, linkType, meta) !== DecodeStatus.OK) return -1;
    const tunnel = this.tunnels.decode(buf, Math.min(offset + capturedLength, buf.length), meta);
    if (tunnel === TunnelResult.ENCRYPTED) return addressPairHash(meta.src, meta.dst);
    if (tunnel === TunnelResult.OPENED && this.tunnels.status !== DecodeStatus.OK) return -1;
    if (meta.isFragment && meta.fragmentOffset > 0) {
      const slot = this.findFragment(meta.src, meta.dst, meta.protocol, meta.fragmentId);
      return slot >= 0 ? (this.fragHash[slot] as number) : addressPairHash(meta.src, meta.dst);
    }
    const fragment = meta.isFragment;
    if (fragment) {
      this.fragSrc.set(meta.src);
      this.fragDst.set(meta.dst);
    }
    if (this.services !== null) this.services.translate(meta);
    const key = meta.hasInner ? addressPairHash(meta.innerSrc, meta.innerDst) : addressPairHash(meta.src, meta.dst);
    if (fragment) this.rememberFragment(this.fragSrc, this.fragDst, meta.protocol, meta.fragmentId, key);
    return key;
  }

  private slotOf(src: Uint32Array, dst: Uint32Array, protocol: number, id: number): number {
    let h = Math.imul(id ^ protocol, 0x9e3779b1);
    for (let i = 0; i < 4; i++) h = Math.imul(h ^ (src[i] as number) ^ Math.imul(dst[i] as number, 0x85ebca6b), 0xc2b2ae35);
    h ^= h >>> 16;
    return h & (FRAGMENT_SLOTS - 1);
  }

  private rememberFragment(src: Uint32Array, dst: Uint32Array, protocol: number, id: number, key: number): void {
    const slot = this.slotOf(src, dst, protocol, id);
    const base = slot * 10;
    const keys = this.fragKeys;
    for (let i = 0; i < 4; i++) {
      keys[base + i] = src[i] as number;
      keys[base + 4 + i] = dst[i] as number;
    }
    keys[base + 8] = protocol;
    keys[base + 9] = id;
    this.fragUsed[slot] = 1;
    this.fragHash[slot] = key;
  }

  private findFragment(src: Uint32Array, dst: Uint32Array, protocol: number, id: number): number {
    const slot = this.slotOf(src, dst, protocol, id);
    const base = slot * 10;
    const keys = this.fragKeys;
    if (this.fragUsed[slot] === 0 || keys[base + 8] !== protocol || keys[base + 9] !== id >>> 0) return -1;
    for (let i = 0; i < 4; i++) if (keys[base + i] !== src[i] || keys[base + 4 + i] !== dst[i]) return -1;
    return slot;
  }
}
