/**
 * Service translation before conntrack and policy, as kube-proxy does it (iptables/nftables/IPVS
 * DNAT in PREROUTING/OUTPUT, before the CNI's policy hooks): a packet to a Service frontend
 * (ClusterIP, NodePort on a node IP, externalIP, LoadBalancer ingress IP) is rewritten in the
 * reused PacketMeta to one endpoint; every CNI evaluates NetworkPolicy on that translated packet.
 *
 * Endpoint choice: kube-proxy picks at random (iptables `statistic --mode random`, nftables
 * `numgen random`, IPVS round robin); the emulator picks by a seeded hash of the connection's
 * original 5-tuple (client address and port, frontend address and port, protocol), so a replay
 * is reproducible and both directions of a connection find the same endpoint without a table:
 * a reply captured before un-translation (from the frontend to the client) hashes to the same
 * endpoint and is rewritten back to the translated form (from the endpoint), which is the form
 * conntrack keeps. `sessionAffinity: ClientIP` hashes the client address only. A node capture
 * can show that kube-proxy chose another endpoint (the post-DNAT copy): the dataplane then pins
 * the connection to it (service-endpoint-pins.ts), and `translate` reads the pins it is given
 * before hashing. The table itself stays stateless: the pins belong to the caller.
 *
 * External traffic (a NodePort, externalIP or LoadBalancer frontend reached from an address that
 * is not a pod) with `externalTrafficPolicy: Cluster` is also source-NATed to a node address
 * (kube-proxy's KUBE-MARK-MASQ): to the NodePort's node, or for externalIPs/LoadBalancer IPs to
 * the chosen endpoint's node. `Local` keeps the client address and only uses endpoints on the
 * node (NodePort). `internalTrafficPolicy: Local` uses only endpoints on the client pod's node.
 * No usable endpoint: NO_ENDPOINT (kube-proxy rejects in-cluster traffic with ICMP port
 * unreachable, which the dataplane builds, and drops external traffic with no local endpoint:
 * `lastExternal` says which).
 *
 * All lookups are open-addressed typed-array tables built once; `translate` allocates nothing.
 */
import type { PacketMeta } from './packet-meta.js';
import type { ServiceEndpointPins } from './service-endpoint-pins.js';

export const FrontendKind = { CLUSTER_IP: 0, NODE_PORT: 1, EXTERNAL: 2 } as const;
export type FrontendKind = (typeof FrontendKind)[keyof typeof FrontendKind];

export interface ServiceBackendSpec {
  /** Endpoint address (4 words, IPv4 in word 0) and target port. */
  readonly address: readonly number[];
  readonly port: number;
  /** Node index of the endpoint (-1 unknown) and that node's address, for SNAT. */
  readonly node: number;
  readonly nodeAddress: readonly number[] | null;
  /** Text for reports: `ns/pod ip:port`. */
  readonly label: string;
}

export interface ServiceFrontendSpec {
  readonly family: 4 | 6;
  readonly address: readonly number[];
  readonly protocol: number;
  readonly port: number;
  readonly kind: FrontendKind;
  /** For NODE_PORT frontends: the node whose address this is (-1 unknown). */
  readonly node: number;
  /** `ns/name:port` for reports. */
  readonly label: string;
  readonly backends: readonly ServiceBackendSpec[];
  readonly externalLocal: boolean;
  /** External clients keep their address even with externalTrafficPolicy Cluster (e.g. Calico eBPF). */
  readonly keepClientSource?: boolean;
  readonly internalLocal: boolean;
  readonly clientIpAffinity: boolean;
}

export interface ServiceTableSpec {
  readonly frontends: readonly ServiceFrontendSpec[];
  /** Pod addresses and their node index (for internal/external and internalTrafficPolicy). */
  readonly podNodes: readonly { readonly family: 4 | 6; readonly address: readonly number[]; readonly node: number }[];
  readonly seed: number;
}

export const NatResult = {
  /** Not a Service packet: meta untouched. */
  NONE: 0,
  /** Sent to a frontend: destination (and for external Cluster traffic, source) rewritten. */
  TRANSLATED: 1,
  /** Sent by a frontend (a reply before un-translation): source rewritten to the endpoint. */
  REPLY_UNTRANSLATED: 2,
  /** Sent to a frontend with no usable endpoint. */
  NO_ENDPOINT: 3,
} as const;
export type NatResult = (typeof NatResult)[keyof typeof NatResult];

function sameAddress(a: Uint32Array, b: Uint32Array): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];
}

function mix(h: number, v: number): number {
  h = Math.imul(h ^ v, 0x5bd1e995);
  return (h ^ (h >>> 15)) >>> 0;
}

/** Open-addressed (family, address, protocol, port) → value table. */
class AddressPortTable {
  private readonly slots: Int32Array;
  private readonly keys: Uint32Array;
  private readonly mask: number;

  constructor(count: number) {
    let capacity = 16;
    while (capacity < count * 2) capacity *= 2;
    this.slots = new Int32Array(capacity).fill(-1);
    this.keys = new Uint32Array(capacity * 6);
    this.mask = capacity - 1;
  }

  private hash(family: number, a: ArrayLike<number>, protocol: number, port: number): number {
    let h = mix(0x9747b28c, family);
    for (let i = 0; i < 4; i++) h = mix(h, a[i] as number);
    return mix(h, (protocol << 16) | port) & this.mask;
  }

  set(family: number, a: ArrayLike<number>, protocol: number, port: number, value: number): void {
    let s = this.hash(family, a, protocol, port);
    while (this.slots[s] !== -1) {
      if (this.matches(s, family, a, protocol, port)) return; // first one wins (sorted input)
      s = (s + 1) & this.mask;
    }
    this.slots[s] = value;
    const k = s * 6;
    this.keys[k] = family;
    for (let i = 0; i < 4; i++) this.keys[k + 1 + i] = a[i] as number;
    this.keys[k + 5] = ((protocol << 16) | port) >>> 0;
  }

  get(family: number, a: ArrayLike<number>, protocol: number, port: number): number {
    let s = this.hash(family, a, protocol, port);
    for (;;) {
      const v = this.slots[s] as number;
      if (v === -1) return -1;
      if (this.matches(s, family, a, protocol, port)) return v;
      s = (s + 1) & this.mask;
    }
  }

  private matches(s: number, family: number, a: ArrayLike<number>, protocol: number, port: number): boolean {
    const k = s * 6;
    const keys = this.keys;
    return keys[k] === family && keys[k + 1] === a[0] && keys[k + 2] === a[1] && keys[k + 3] === a[2] && keys[k + 4] === a[3] && keys[k + 5] === (((protocol << 16) | port) >>> 0);
  }
}

export class ServiceNat {
  private readonly frontends: AddressPortTable;
  private readonly pods: AddressPortTable;
  /** Every backend address:port, to recognise a node capture's post-DNAT copies. */
  private readonly backendSet: AddressPortTable;
  /** Backend address:port of a frontend with two endpoints or more: where a node's choice can differ from the seeded one. */
  private readonly multiEndpointSet: AddressPortTable;
  private readonly seed: number;
  private readonly fKind: Uint8Array;
  private readonly fNode: Int32Array;
  private readonly fFlags: Uint8Array;
  private readonly fAddress: Uint32Array;
  /** Views of fAddress, one per frontend (made once: `currentEndpoint` hashes them). */
  private readonly fAddressView: readonly Uint32Array[];
  private readonly fPort: Uint16Array;
  private readonly fProtocol: Uint8Array;
  private readonly fFirst: Int32Array;
  private readonly fCount: Int32Array;
  private readonly bAddress: Uint32Array;
  private readonly bPort: Uint16Array;
  private readonly bNode: Int32Array;
  private readonly bNodeAddress: Uint32Array;
  private readonly bHasNodeAddress: Uint8Array;
  private readonly frontendLabels: readonly string[];
  private readonly backendLabels: readonly string[];
  /** After TRANSLATED or REPLY_UNTRANSLATED: the frontend and backend ids; else -1. */
  frontend = -1;
  backend = -1;
  /** After NO_ENDPOINT: whether it was external traffic (dropped) rather than in-cluster (rejected). */
  lastExternal = false;
  /** After TRANSLATED: whether the source was rewritten too (external traffic masqueraded to a node). */
  lastSnat = false;

  constructor(spec: ServiceTableSpec) {
    const n = spec.frontends.length;
    this.seed = spec.seed >>> 0;
    this.frontends = new AddressPortTable(n);
    this.pods = new AddressPortTable(spec.podNodes.length);
    this.fKind = new Uint8Array(n);
    this.fNode = new Int32Array(n);
    this.fFlags = new Uint8Array(n);
    this.fAddress = new Uint32Array(n * 4);
    this.fAddressView = Array.from({ length: n }, (_, i) => this.fAddress.subarray(i * 4, i * 4 + 4));
    this.fPort = new Uint16Array(n);
    this.fProtocol = new Uint8Array(n);
    this.fFirst = new Int32Array(n);
    this.fCount = new Int32Array(n);
    const total = spec.frontends.reduce((sum, f) => sum + f.backends.length, 0);
    this.bAddress = new Uint32Array(total * 4);
    this.bPort = new Uint16Array(total);
    this.bNode = new Int32Array(total);
    this.bNodeAddress = new Uint32Array(total * 4);
    this.bHasNodeAddress = new Uint8Array(total);
    const backendLabels: string[] = [];
    this.backendSet = new AddressPortTable(total);
    this.multiEndpointSet = new AddressPortTable(total);
    let b = 0;
    spec.frontends.forEach((f, i) => {
      this.frontends.set(f.family, f.address, f.protocol, f.port, i);
      this.fKind[i] = f.kind;
      this.fNode[i] = f.node;
      this.fFlags[i] = (f.externalLocal ? 1 : 0) | (f.internalLocal ? 2 : 0) | (f.clientIpAffinity ? 4 : 0) | (f.keepClientSource ? 8 : 0);
      for (let w = 0; w < 4; w++) this.fAddress[i * 4 + w] = f.address[w] as number;
      this.fPort[i] = f.port;
      this.fProtocol[i] = f.protocol;
      this.fFirst[i] = b;
      this.fCount[i] = f.backends.length;
      for (const backend of f.backends) {
        for (let w = 0; w < 4; w++) this.bAddress[b * 4 + w] = backend.address[w] as number;
        this.bPort[b] = backend.port;
        this.bNode[b] = backend.node;
        if (backend.nodeAddress) {
          this.bHasNodeAddress[b] = 1;
          for (let w = 0; w < 4; w++) this.bNodeAddress[b * 4 + w] = backend.nodeAddress[w] as number;
        }
        backendLabels.push(backend.label);
        this.backendSet.set(f.family, backend.address, f.protocol, backend.port, b);
        if (f.backends.length > 1) this.multiEndpointSet.set(f.family, backend.address, f.protocol, backend.port, b);
        b++;
      }
    });
    for (const p of spec.podNodes) this.pods.set(p.family, p.address, 0, 0, p.node);
    this.frontendLabels = spec.frontends.map((f) => f.label);
    this.backendLabels = backendLabels;
  }

  /** `ns/name:port` of frontend `id` (reports only). */
  frontendLabel(id: number): string | null {
    return this.frontendLabels[id] ?? null;
  }

  /** `ns/pod ip:port` of backend `id` (reports only). */
  backendLabel(id: number): string | null {
    return this.backendLabels[id] ?? null;
  }

  /** Backend ids of frontend `id` (reports only). */
  backendsOf(id: number): readonly number[] {
    const first = this.fFirst[id] ?? 0;
    return Array.from({ length: this.fCount[id] ?? 0 }, (_, i) => first + i);
  }

  /** First backend id and count of frontend `id`. */
  firstBackend(id: number): number {
    return this.fFirst[id] as number;
  }

  backendCount(id: number): number {
    return this.fCount[id] as number;
  }

  /** Points `meta`'s destination at backend `b` (the per-endpoint verdict check of a new flow). */
  applyBackend(meta: PacketMeta, b: number): void {
    this.copy(this.bAddress, b, meta.dst);
    meta.dstPort = this.bPort[b] as number;
  }

  /**
   * Is (address, protocol, port) a Service frontend? `translate` rewrites a packet only when its
   * destination or its source is one: a reader that knows neither is can skip translating.
   */
  isFrontend(family: number, address: ArrayLike<number>, protocol: number, port: number): boolean {
    return this.frontends.get(family, address, protocol, port) >= 0;
  }

  /** The frontend id of (address, protocol, port), or -1 when it is no frontend. */
  frontendAt(family: number, address: ArrayLike<number>, protocol: number, port: number): number {
    return this.frontends.get(family, address, protocol, port);
  }

  /** Is `meta` to or from a Service endpoint (the translated form of Service traffic)? */
  touchesBackend(meta: PacketMeta): boolean {
    if (meta.l4Offset < 0) return false;
    return this.backendSet.get(meta.ipVersion, meta.dst, meta.protocol, meta.dstPort) >= 0 || this.backendSet.get(meta.ipVersion, meta.src, meta.protocol, meta.srcPort) >= 0;
  }

  /**
   * Is (address, protocol, port) an endpoint of a frontend with two endpoints or more? Only there
   * can a node capture show an endpoint other than the seeded choice (the dataplane's post-DNAT
   * copy search and the shard function's client key, parallel/shard-of.ts).
   */
  isMultiEndpoint(family: number, address: ArrayLike<number>, protocol: number, port: number): boolean {
    return this.multiEndpointSet.get(family, address, protocol, port) >= 0;
  }

  /** The backend id of frontend `f` at (address, port), or -1 when it is none of its endpoints. */
  backendAt(f: number, address: ArrayLike<number>, port: number): number {
    const first = this.fFirst[f] as number;
    const end = first + (this.fCount[f] as number);
    const a = this.bAddress;
    for (let b = first; b < end; b++) {
      if (this.bPort[b] === port && a[b * 4] === address[0] && a[b * 4 + 1] === address[1] && a[b * 4 + 2] === address[2] && a[b * 4 + 3] === address[3]) return b;
    }
    return -1;
  }

  /** The endpoint `translate` gives now to the connection from `client`:`clientPort` to frontend `f`. */
  currentEndpoint(f: number, family: number, client: Uint32Array, clientPort: number, pins: ServiceEndpointPins | null): number {
    return this.choose(f, client, clientPort, this.fAddressView[f] as Uint32Array, this.fPort[f] as number, this.fProtocol[f] as number, family, pins);
  }

  /**
   * Rewrites `meta` when it is Service traffic; see NatResult. `pins`: endpoints a node capture
   * showed for some connections (service-endpoint-pins.ts), read before the seeded choice.
   */
  translate(meta: PacketMeta, pins: ServiceEndpointPins | null = null): NatResult {
    this.frontend = -1;
    this.backend = -1;
    this.lastSnat = false;
    const protocol = meta.protocol;
    if ((protocol === 1 || protocol === 58) && meta.hasInner) return this.translateIcmpError(meta, pins);
    if (meta.l4Offset < 0 || (protocol !== 6 && protocol !== 17 && protocol !== 132)) return NatResult.NONE;
    const family = meta.ipVersion;
    let f = this.frontends.get(family, meta.dst, protocol, meta.dstPort);
    if (f >= 0) {
      const b = this.choose(f, meta.src, meta.srcPort, meta.dst, meta.dstPort, protocol, family, pins);
      if (b < 0) {
        this.frontend = f;
        this.lastExternal = this.fKind[f] !== FrontendKind.CLUSTER_IP && this.pods.get(family, meta.src, 0, 0) < 0;
        return NatResult.NO_ENDPOINT;
      }
      const snat = this.snatAddress(f, b, family, meta.src);
      if (snat === 1) this.copy(this.fAddress, f, meta.src);
      else if (snat === 2) this.copy(this.bNodeAddress, b, meta.src);
      this.lastSnat = snat !== 0;
      this.copy(this.bAddress, b, meta.dst);
      meta.dstPort = this.bPort[b] as number;
      this.frontend = f;
      this.backend = b;
      return NatResult.TRANSLATED;
    }
    f = this.frontends.get(family, meta.src, protocol, meta.srcPort);
    if (f < 0) return NatResult.NONE;
    const b = this.choose(f, meta.dst, meta.dstPort, meta.src, meta.srcPort, protocol, family, pins);
    if (b < 0) return NatResult.NONE;
    const snat = this.snatAddress(f, b, family, meta.dst);
    if (snat === 1) this.copy(this.fAddress, f, meta.dst);
    else if (snat === 2) this.copy(this.bNodeAddress, b, meta.dst);
    this.copy(this.bAddress, b, meta.src);
    meta.srcPort = this.bPort[b] as number;
    this.frontend = f;
    this.backend = b;
    return NatResult.REPLY_UNTRANSLATED;
  }

  /**
   * An ICMP error quoting a packet to a frontend (as the client sees it after the kernel
   * un-translated the error): the quoted packet and, where they were the frontend or the client,
   * the outer addresses are put in the translated form, so conntrack finds the connection
   * RELATED as nf_nat would have.
   */
  private translateIcmpError(meta: PacketMeta, pins: ServiceEndpointPins | null): NatResult {
    const p = meta.innerProtocol;
    if (p !== 6 && p !== 17 && p !== 132) return NatResult.NONE;
    const family = meta.innerIpVersion || meta.ipVersion;
    const f = this.frontends.get(family, meta.innerDst, p, meta.innerDstPort);
    if (f < 0) return NatResult.NONE;
    const b = this.choose(f, meta.innerSrc, meta.innerSrcPort, meta.innerDst, meta.innerDstPort, p, family, pins);
    if (b < 0) return NatResult.NONE;
    const fromFrontend = sameAddress(meta.src, meta.innerDst);
    const toClient = sameAddress(meta.dst, meta.innerSrc);
    const snat = this.snatAddress(f, b, family, meta.innerSrc);
    if (snat !== 0) {
      this.copy(snat === 1 ? this.fAddress : this.bNodeAddress, snat === 1 ? f : b, meta.innerSrc);
      if (toClient) this.copy(snat === 1 ? this.fAddress : this.bNodeAddress, snat === 1 ? f : b, meta.dst);
    }
    if (fromFrontend) this.copy(this.bAddress, b, meta.src);
    this.copy(this.bAddress, b, meta.innerDst);
    meta.innerDstPort = this.bPort[b] as number;
    this.frontend = f;
    this.backend = b;
    return NatResult.REPLY_UNTRANSLATED;
  }

  /** The endpoint of a connection from `client`:`clientPort` to frontend `f`, or -1. */
  private choose(f: number, client: Uint32Array, clientPort: number, vip: Uint32Array, vport: number, protocol: number, family: number, pins: ServiceEndpointPins | null): number {
    const count = this.fCount[f] as number;
    if (count === 0) return -1;
    if (pins !== null && pins.size > 0) {
      const pinned = pins.get(family, client, clientPort, protocol, f);
      if (pinned >= 0) return pinned;
    }
    const flags = this.fFlags[f] as number;
    const clientNode = this.pods.get(family, client, 0, 0);
    const kind = this.fKind[f] as number;
    const external = kind !== FrontendKind.CLUSTER_IP && clientNode < 0;
    // Which node's endpoints may serve: internalTrafficPolicy Local (pods), externalTrafficPolicy Local (NodePort).
    let node = -1;
    if (!external && (flags & 2) !== 0 && clientNode >= 0) node = clientNode;
    else if (external && (flags & 1) !== 0 && kind === FrontendKind.NODE_PORT) node = this.fNode[f] as number;
    const first = this.fFirst[f] as number;
    let usable = count;
    if (node >= 0) {
      usable = 0;
      for (let i = 0; i < count; i++) if (this.bNode[first + i] === node) usable++;
      if (usable === 0) return -1;
    }
    let h = mix(this.seed, family);
    for (let i = 0; i < 4; i++) h = mix(h, client[i] as number);
    if ((flags & 4) === 0) {
      h = mix(h, clientPort);
      for (let i = 0; i < 4; i++) h = mix(h, vip[i] as number);
      h = mix(h, (protocol << 16) | vport);
    }
    let k = h % usable;
    if (node < 0) return first + k;
    for (let i = 0; i < count; i++) {
      if (this.bNode[first + i] !== node) continue;
      if (k === 0) return first + i;
      k--;
    }
    return -1;
  }

  /** 0 no SNAT; 1 to the frontend's node address (NodePort); 2 to the endpoint's node address. */
  private snatAddress(f: number, b: number, family: number, client: Uint32Array): number {
    const kind = this.fKind[f] as number;
    if (kind === FrontendKind.CLUSTER_IP || ((this.fFlags[f] as number) & (1 | 8)) !== 0) return 0;
    if (this.pods.get(family, client, 0, 0) >= 0) return 0;
    if (kind === FrontendKind.NODE_PORT) return 1;
    return this.bHasNodeAddress[b] ? 2 : 0;
  }

  private copy(from: Uint32Array, index: number, to: Uint32Array): void {
    to[0] = from[index * 4] as number;
    to[1] = from[index * 4 + 1] as number;
    to[2] = from[index * 4 + 2] as number;
    to[3] = from[index * 4 + 3] as number;
  }
}
