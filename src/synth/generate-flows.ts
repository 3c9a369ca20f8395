/**
 * Seeded synthetic traffic over a cluster: connections between pods, to and from external
 * addresses, DNS to kube-dns and ICMP echo, with a Zipf-like popularity (a few hot pairs carry
 * most flows) and a chosen share of flows that the policies deny.
 *
 * How:
 * 1. Candidate pairs are drawn per kind (pod→pod on one of the destination's declared container
 *    ports, so tier-to-tier traffic mostly hits allowed ports; pod→external 443/80;
 *    external→web pods; pod→kube-dns UDP 53; pod→pod ICMP echo). Each is classified once by the
 *    compiled engine (src/engines/compiled-engine.ts) and filed as allowed or denied.
 * 2. Each flow is denied with probability `denyShare` and then takes a pair from that pool with
 *    a Zipf weight 1/(rank+1); the actual share is counted and returned (it differs from the
 *    target by sampling noise, or is 0 when the policies deny nothing asked for).
 * 3. Flows start as a Poisson process (`flowsPerSecond`) and their packets (flow-exchange.ts)
 *    are merged by time through a heap, so flows overlap as on a real node. Timestamps are
 *    integer microseconds and strictly increasing. Only the flows in progress are in memory:
 *    10M packets stream through `sink` in constant space.
 *
 * Everything is drawn from SeededRandom streams of `seed`: the same cluster and options give the
 * same packets, bit for bit.
 */
import type { Cluster, IpAddress, Pod } from '../../compiler/model.js';
import { addressWords, isEndpoint } from '../../compiler/intern-identities.js';
import { isAllowReason } from '../../compiler/verdict.js';
import { CompiledEngine } from '../engines/compiled-engine.js';
import { parseIp } from '../load/parse-ip.js';
import { FrameFields } from './build-frames.js';
import { FlowExchange } from './flow-exchange.js';
import { SeededRandom } from './seeded-random.js';

export interface FlowOptions {
  readonly seed: number;
  readonly flows: number;
  /** Packets per flow (raised to each protocol's minimum for answered flows: TCP 8, UDP/ICMP 2). */
  readonly packetsPerFlow: number;
  /** Target share of flows the policies deny, 0..1. */
  readonly denyShare: number;
  /** Mean new flows per second (default 500: TIME_WAIT entries then stay well under conntrack_max). */
  readonly flowsPerSecond?: number;
  /** Time of the first flow, seconds since the epoch (default 1,700,000,000). */
  readonly startSec?: number;
  /**
   * Every flow is its first packet only (TCP SYN, DNS query, echo request), answered or not:
   * a capture of pure connection attempts, the dataplane's most expensive packet.
   */
  readonly openersOnly?: boolean;
}

export const FLOW_KINDS = ['pod-to-pod', 'pod-to-external', 'external-to-pod', 'dns', 'icmp'] as const;
export type FlowKind = (typeof FLOW_KINDS)[number];

/** Share of candidate pairs per kind. */
const KIND_WEIGHTS: readonly (readonly [FlowKind, number])[] = [
  ['pod-to-pod', 55],
  ['pod-to-external', 12],
  ['external-to-pod', 8],
  ['dns', 18],
  ['icmp', 7],
];

export interface FlowStats {
  readonly flows: number;
  readonly packets: number;
  readonly deniedFlows: number;
  /** deniedFlows / flows (0 without flows). */
  readonly deniedShare: number;
  readonly flowsByKind: Readonly<Record<FlowKind, number>>;
  /** Distinct candidate pairs per verdict. */
  readonly allowedPairs: number;
  readonly deniedPairs: number;
  readonly firstUs: number;
  readonly lastUs: number;
}

/** Receives every packet in time order; `fields` is reused after the call returns. */
export type PacketSink = (timeUs: number, fields: FrameFields) => void;

/** Told of each flow as it starts, before its first packet (`exchange` is reused after it ends). */
export type FlowStartListener = (startUs: number, exchange: FlowExchange) => void;

interface Pair {
  readonly kind: FlowKind;
  readonly ipVersion: 4 | 6;
  readonly src: readonly number[];
  readonly dst: readonly number[];
  readonly protocol: number;
  readonly dport: number;
  readonly rttUs: number;
}

const EPHEMERAL_LOW = 32768;
const EPHEMERAL_COUNT = 60999 - 32768 + 1;

function address(text: string): IpAddress {
  const parsed = parseIp(text);
  if (!parsed.ok) throw new Error(`bad built-in address ${text}`);
  return parsed.value;
}

/** Internet peers: documentation ranges (RFC 5737, RFC 3849) so nothing real is implied. */
function externalAddress(rng: SeededRandom, v6: boolean, client: boolean): IpAddress {
  if (v6) return address(`2001:db8:${client ? 'c' : '5'}::${(rng.int(250) + 1).toString(16)}`);
  const net = client ? '198.51.100' : rng.chance(0.5) ? '203.0.113' : '192.0.2';
  return address(`${net}.${rng.int(250) + 1}`);
}

function pickAddressPair(rng: SeededRandom, a: Pod, b: Pod): [IpAddress, IpAddress] {
  const a6 = a.ips.find((ip) => ip.family === 6);
  const b6 = b.ips.find((ip) => ip.family === 6);
  if (a6 && b6 && rng.chance(0.3)) return [a6, b6];
  const a4 = a.ips.find((ip) => ip.family === 4) ?? (a.ips[0] as IpAddress);
  const b4 = b.ips.find((ip) => ip.family === a4.family) ?? (b.ips[0] as IpAddress);
  return [a4, b4];
}

function tcpPorts(pod: Pod): number[] {
  return pod.containerPorts.filter((p) => p.protocol === 'TCP').map((p) => p.containerPort);
}

class PairSampler {
  private readonly endpoints: Pod[];
  private readonly byNamespace = new Map<string, Pod[]>();
  private readonly servers: Pod[];
  private readonly web: Pod[];
  private readonly dns: Pod[];

  constructor(
    cluster: Cluster,
    private readonly rng: SeededRandom,
  ) {
    this.endpoints = cluster.pods.filter(isEndpoint);
    for (const pod of this.endpoints) {
      const list = this.byNamespace.get(pod.namespace) ?? [];
      list.push(pod);
      this.byNamespace.set(pod.namespace, list);
    }
    this.servers = this.endpoints.filter((p) => tcpPorts(p).length > 0);
    this.web = this.servers.filter((p) => p.labels['tier'] === 'web');
    this.dns = this.endpoints.filter((p) => p.labels['k8s-app'] === 'kube-dns');
  }

  get empty(): boolean {
    return this.endpoints.length === 0;
  }

  private client(server: Pod): Pod {
    const rng = this.rng;
    const local = this.byNamespace.get(server.namespace);
    if (local && local.length > 1 && rng.chance(0.6)) return rng.pick(local);
    return rng.pick(this.endpoints);
  }

  /** One candidate, or null when the cluster has nothing of that kind. */
  draw(kind: FlowKind): Pair | null {
    const rng = this.rng;
    const inCluster = (): number => rng.between(80, 400);
    const internet = (): number => rng.between(8_000, 60_000);
    switch (kind) {
      case 'pod-to-pod': {
        if (this.servers.length === 0) return null;
        const server = rng.pick(this.servers);
        const [src, dst] = pickAddressPair(rng, this.client(server), server);
        return this.pair(kind, src, dst, 6, rng.pick(tcpPorts(server)), inCluster());
      }
      case 'pod-to-external': {
        const pod = rng.pick(this.endpoints);
        const src = pod.ips[rng.int(pod.ips.length)] as IpAddress;
        return this.pair(kind, src, externalAddress(rng, src.family === 6, false), 6, rng.chance(0.8) ? 443 : 80, internet());
      }
      case 'external-to-pod': {
        const pool = this.web.length > 0 ? this.web : this.servers;
        if (pool.length === 0) return null;
        const pod = rng.pick(pool);
        const dst = pod.ips[rng.int(pod.ips.length)] as IpAddress;
        return this.pair(kind, externalAddress(rng, dst.family === 6, true), dst, 6, rng.pick(tcpPorts(pod)), internet());
      }
      case 'dns': {
        if (this.dns.length === 0) return null;
        const [src, dst] = pickAddressPair(rng, rng.pick(this.endpoints), rng.pick(this.dns));
        return this.pair(kind, src, dst, 17, 53, inCluster());
      }
      case 'icmp': {
        if (this.endpoints.length < 2) return null;
        const [src, dst] = pickAddressPair(rng, rng.pick(this.endpoints), rng.pick(this.endpoints));
        return this.pair(kind, src, dst, src.family === 6 ? 58 : 1, 0, inCluster());
      }
    }
  }

  private pair(kind: FlowKind, src: IpAddress, dst: IpAddress, protocol: number, dport: number, rttUs: number): Pair | null {
    if (src.family !== dst.family || src.value === dst.value) return null;
    return { kind, ipVersion: src.family, src: addressWords(src), dst: addressWords(dst), protocol, dport, rttUs };
  }
}

/** Zipf-like sampling over ranks 0..n−1 with weight 1/(rank+1): a cumulative table and a binary search. */
class ZipfSampler {
  private readonly cumulative: Float64Array;
  constructor(n: number) {
    this.cumulative = new Float64Array(n);
    let sum = 0;
    for (let r = 0; r < n; r++) {
      sum += 1 / (r + 1);
      this.cumulative[r] = sum;
    }
  }

  sample(rng: SeededRandom): number {
    const c = this.cumulative;
    const x = rng.next() * (c[c.length - 1] as number);
    let lo = 0;
    let hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((c[mid] as number) > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

/** Min-heap of exchanges by (time, start order): ties break the same way every run. */
class ExchangeHeap {
  private readonly items: FlowExchange[] = [];
  private readonly order: number[] = [];

  get size(): number {
    return this.items.length;
  }

  peekTime(): number {
    return (this.items[0] as FlowExchange).timeUs;
  }

  private less(a: number, b: number): boolean {
    const x = this.items[a] as FlowExchange;
    const y = this.items[b] as FlowExchange;
    return x.timeUs < y.timeUs || (x.timeUs === y.timeUs && (this.order[a] as number) < (this.order[b] as number));
  }

  private swap(a: number, b: number): void {
    const t = this.items[a] as FlowExchange;
    this.items[a] = this.items[b] as FlowExchange;
    this.items[b] = t;
    const o = this.order[a] as number;
    this.order[a] = this.order[b] as number;
    this.order[b] = o;
  }

  push(x: FlowExchange, order: number): void {
    this.items.push(x);
    this.order.push(order);
    let i = this.items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  /** Restores the heap after the top's time grew. */
  siftTop(): void {
    let i = 0;
    const n = this.items.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(l, m)) m = l;
      if (r < n && this.less(r, m)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }

  top(): FlowExchange {
    return this.items[0] as FlowExchange;
  }

  pop(): FlowExchange {
    const top = this.items[0] as FlowExchange;
    const last = this.items.pop() as FlowExchange;
    const lastOrder = this.order.pop() as number;
    if (this.items.length > 0) {
      this.items[0] = last;
      this.order[0] = lastOrder;
      this.siftTop();
    }
    return top;
  }
}

export function checkFlowOptions(options: FlowOptions): void {
  const check = (field: string, ok: boolean, value: number): void => {
    if (!ok) throw new RangeError(`${field} is out of range: ${value}`);
  };
  check('seed', Number.isInteger(options.seed) && options.seed >= 0 && options.seed <= 0xffffffff, options.seed);
  check('flows', Number.isSafeInteger(options.flows) && options.flows >= 0, options.flows);
  check('packetsPerFlow', Number.isInteger(options.packetsPerFlow) && options.packetsPerFlow >= 1 && options.packetsPerFlow <= 100_000, options.packetsPerFlow);
  check('denyShare', options.denyShare >= 0 && options.denyShare <= 1, options.denyShare);
  const rate = options.flowsPerSecond ?? 500;
  check('flowsPerSecond', rate > 0 && Number.isFinite(rate), rate);
}

/** Candidate pairs per verdict: enough distinct pairs for a long Zipf tail, bounded for big runs. */
function candidateCount(flows: number): number {
  return Math.min(20_000, Math.max(64, Math.ceil(flows / 2)));
}

/**
 * Generates the flows and hands every packet to `sink` in time order. Returns what was made,
 * including the share of flows actually denied.
 */
export function generateFlows(cluster: Cluster, options: FlowOptions, sink: PacketSink, onFlowStart?: FlowStartListener): FlowStats {
  checkFlowOptions(options);
  const pairRng = new SeededRandom(options.seed, 11);
  const flowRng = new SeededRandom(options.seed, 12);
  const sampler = new PairSampler(cluster, pairRng);
  const engine = new CompiledEngine(cluster);
  const allowed: Pair[] = [];
  const denied: Pair[] = [];
  const flowsByKind = Object.fromEntries(FLOW_KINDS.map((k) => [k, 0])) as Record<FlowKind, number>;
  if (!sampler.empty && options.flows > 0) {
    const wanted = candidateCount(options.flows);
    for (let attempt = 0; attempt < wanted * 4 && allowed.length + denied.length < wanted; attempt++) {
      const pair = sampler.draw(pairRng.weighted(KIND_WEIGHTS));
      if (!pair) continue;
      const family = pair.ipVersion;
      const words = (w: readonly number[]): IpAddress => ({ family, value: family === 4 ? BigInt(w[0] as number) : w.reduce((v, x) => (v << 32n) | BigInt(x), 0n), text: '' });
      const verdict = engine.evaluate({ src: words(pair.src), dst: words(pair.dst), protocol: pair.protocol, dstPort: pair.dport });
      (isAllowReason(verdict.reason) ? allowed : denied).push(pair);
    }
  }
  const allowedZipf = new ZipfSampler(Math.max(1, allowed.length));
  const deniedZipf = new ZipfSampler(Math.max(1, denied.length));

  const rate = options.flowsPerSecond ?? 500;
  const startUs = Math.round((options.startSec ?? 1_700_000_000) * 1e6);
  const heap = new ExchangeHeap();
  const spare: FlowExchange[] = [];
  const fields = new FrameFields();
  let nextStartUs = startUs;
  let started = 0;
  let packets = 0;
  let deniedFlows = 0;
  let lastUs = -1;
  const total = allowed.length + denied.length === 0 ? 0 : options.flows;

  while (started < total || heap.size > 0) {
    if (started < total && (heap.size === 0 || nextStartUs <= heap.peekTime())) {
      const deny = denied.length > 0 && (allowed.length === 0 || flowRng.chance(options.denyShare));
      const pair = deny ? (denied[deniedZipf.sample(flowRng)] as Pair) : (allowed[allowedZipf.sample(flowRng)] as Pair);
      if (deny) deniedFlows++;
      flowsByKind[pair.kind]++;
      const x = spare.pop() ?? new FlowExchange();
      x.ipVersion = pair.ipVersion;
      x.src.set(pair.src);
      x.dst.set(pair.dst);
      x.protocol = pair.protocol;
      x.sport = pair.protocol === 1 || pair.protocol === 58 ? flowRng.int(65536) : EPHEMERAL_LOW + flowRng.int(EPHEMERAL_COUNT);
      x.dport = pair.dport;
      x.packets = options.packetsPerFlow;
      x.answered = !deny;
      x.requestBytes = pair.protocol === 17 ? flowRng.between(28, 60) : flowRng.between(60, 600);
      x.responseBytes = pair.protocol === 17 ? flowRng.between(60, 300) : flowRng.between(200, 1400);
      x.rttUs = pair.rttUs;
      x.openerOnly = options.openersOnly === true;
      x.start(nextStartUs);
      onFlowStart?.(nextStartUs, x);
      heap.push(x, started);
      started++;
      // Exponential inter-arrival times (a Poisson process), at least 1 µs.
      nextStartUs += Math.max(1, Math.round((-Math.log(1 - flowRng.next()) / rate) * 1e6));
      continue;
    }
    const x = heap.top();
    let t = x.timeUs;
    if (t <= lastUs) t = lastUs + 1;
    x.next(fields);
    fields.ipId = packets & 0xffff;
    fields.payloadTag = packets & 0xffff;
    sink(t, fields);
    lastUs = t;
    packets++;
    if (x.done) spare.push(heap.pop());
    else heap.siftTop();
  }
  return {
    flows: started,
    packets,
    deniedFlows,
    deniedShare: started === 0 ? 0 : deniedFlows / started,
    flowsByKind,
    allowedPairs: allowed.length,
    deniedPairs: denied.length,
    firstUs: packets === 0 ? 0 : startUs,
    lastUs: packets === 0 ? 0 : lastUs,
  };
}
