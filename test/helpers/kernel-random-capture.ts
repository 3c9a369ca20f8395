/**
 * Seeded random clusters (random-cluster.ts) with a capture of whole exchanges over their
 * addresses, for the kernel check: TCP connections (complete, refused, picked up mid-stream) and
 * INVALID segments (SYN-ACK, RST or FIN without a connection, SYN+FIN, no flags), UDP
 * request/response and ICMP port-unreachable answers (about allowed and about denied
 * requests), SCTP associations (INIT … COOKIE-ACK, DATA/SACK, with correct verification tags,
 * which nf_conntrack_proto_sctp checks; an ABORT answering an INIT; DATA out of the blue), ICMP/ICMPv6 echo, over IPv4 and IPv6, plus traffic from
 * each node to its pods and back (hostNetwork pods carry their node's address). Frames are 1 ms
 * apart, so no conntrack timeout runs out while the kernel replays them in a fraction of that.
 */
import fc from 'fast-check';
import { SeededRandom } from '../../src/index.js';
import type { Cluster } from '../../compiler/model.js';
import { clusterArb, flowAddresses, flowArb, loadRandomCluster, type RandomCluster } from './random-cluster.js';
import { concat, echoRest, ethernet, icmp, ipv4, ipv6, sctp, tcp, udp, type Bytes } from './build-frame.js';
import { writeFrames } from './write-frames.js';

const F = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 } as const;

class Exchange {
  readonly frames: Bytes[] = [];
  constructor(
    private readonly family: 4 | 6,
    readonly client: string,
    readonly server: string,
  ) {}

  /** One IP packet from `from` (the client or the server) carrying `protocol`'s `payload`. */
  ip(fromClient: boolean, protocol: number, payload: Bytes): Bytes {
    const src = fromClient ? this.client : this.server;
    const dst = fromClient ? this.server : this.client;
    return this.family === 4 ? ipv4({ src, dst, protocol }, payload) : ipv6({ src, dst, nextHeader: protocol }, payload);
  }

  send(fromClient: boolean, protocol: number, payload: Bytes): Bytes {
    const packet = this.ip(fromClient, protocol, payload);
    this.frames.push(ethernet(this.family === 4 ? 0x0800 : 0x86dd, packet));
    return packet;
  }

  /** An ICMP(v6) destination-unreachable from `fromClient`'s side quoting `about`. */
  unreachable(fromClient: boolean, about: Bytes): void {
    const quoted = about.subarray(0, Math.min(about.length, (this.family === 4 ? 20 : 40) + 8));
    if (this.family === 4) this.send(fromClient, 1, icmp(3, 3, 0, quoted));
    else this.send(fromClient, 58, icmp(1, 4, 0, quoted));
  }
}

function chunk(type: number, body: number[]): number[] {
  const length = 4 + body.length;
  return [type, 0, length >> 8, length & 0xff, ...body];
}

function u32(v: number): number[] {
  return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}

/** INIT / INIT-ACK body: initiate tag, a_rwnd, streams out/in, initial TSN. */
function initBody(tag: number): number[] {
  return [...u32(tag), ...u32(65535), 0, 10, 0, 10, ...u32(1)];
}

function tcpExchange(x: Exchange, sport: number, dport: number, variant: number): void {
  const c = (flags: number, seq: number, ack: number, data = 0): Bytes => tcp({ srcPort: sport, dstPort: dport, flags, seq, ack, window: 64240 }, new Uint8Array(data));
  const s = (flags: number, seq: number, ack: number, data = 0): Bytes => tcp({ srcPort: dport, dstPort: sport, flags, seq, ack, window: 64240 }, new Uint8Array(data));
  switch (variant) {
    case 0: // a whole connection
      x.send(true, 6, c(F.SYN, 1000, 0));
      x.send(false, 6, s(F.SYN | F.ACK, 5000, 1001));
      x.send(true, 6, c(F.ACK, 1001, 5001));
      x.send(true, 6, c(F.PSH | F.ACK, 1001, 5001, 10));
      x.send(false, 6, s(F.PSH | F.ACK, 5001, 1011, 20));
      x.send(true, 6, c(F.FIN | F.ACK, 1011, 5021));
      x.send(false, 6, s(F.FIN | F.ACK, 5021, 1012));
      x.send(true, 6, c(F.ACK, 1012, 5022));
      return;
    case 1: // refused
      x.send(true, 6, c(F.SYN, 1000, 0));
      x.send(false, 6, s(F.RST | F.ACK, 0, 1001));
      return;
    case 2: // picked up mid-stream (nf_conntrack_tcp_loose)
      x.send(true, 6, c(F.ACK, 1001, 5001));
      x.send(false, 6, s(F.ACK, 5001, 1001));
      return;
    case 3: // INVALID: a SYN-ACK without a SYN
      x.send(false, 6, s(F.SYN | F.ACK, 5000, 1001));
      return;
    case 4: // INVALID: SYN+FIN
      x.send(true, 6, c(F.SYN | F.FIN, 1000, 0));
      return;
    case 5: // INVALID: RST, then FIN, without a connection
      x.send(true, 6, c(F.RST, 1000, 0));
      x.send(true, 6, c(F.FIN | F.ACK, 1000, 1));
      return;
    default: // INVALID: no flags at all
      x.send(true, 6, c(0, 1000, 0));
  }
}

function udpExchange(x: Exchange, sport: number, dport: number, variant: number): void {
  const request = x.send(true, 17, udp(sport, dport, new Uint8Array(12)));
  if (variant === 0) x.send(false, 17, udp(dport, sport, new Uint8Array(30)));
  else if (variant === 1) x.unreachable(false, request);
  else {
    // An ICMP error about a datagram the other side never sent: INVALID.
    const never = x.ip(false, 17, udp(dport, sport + 1, new Uint8Array(4)));
    x.unreachable(true, never);
  }
}

function sctpExchange(x: Exchange, sport: number, dport: number, variant: number): void {
  const clientTag = 0x1000 + sport;
  const serverTag = 0x2000 + dport;
  if (variant === 2) {
    // DATA out of the blue: no state leaves NONE with it, so conntrack calls it INVALID.
    x.send(true, 132, sctp(sport, dport, serverTag, concat(chunk(0, [...u32(1), 0, 0, 0, 0, ...u32(0), 1, 2, 3, 4]))));
    return;
  }
  x.send(true, 132, sctp(sport, dport, 0, concat(chunk(1, initBody(clientTag)))));
  if (variant === 1) {
    x.send(false, 132, sctp(dport, sport, clientTag, concat(chunk(6, []))));
    return;
  }
  x.send(false, 132, sctp(dport, sport, clientTag, concat(chunk(2, initBody(serverTag)))));
  x.send(true, 132, sctp(sport, dport, serverTag, concat(chunk(10, [1, 2, 3, 4]))));
  x.send(false, 132, sctp(dport, sport, clientTag, concat(chunk(11, []))));
  x.send(true, 132, sctp(sport, dport, serverTag, concat(chunk(0, [...u32(1), 0, 0, 0, 0, ...u32(0), 1, 2, 3, 4]))));
  x.send(false, 132, sctp(dport, sport, clientTag, concat(chunk(3, [...u32(1), ...u32(65535), 0, 0, 0, 0]))));
}

function echoExchange(x: Exchange, family: 4 | 6, id: number): void {
  const [request, reply, protocol] = family === 4 ? [8, 0, 1] : [128, 129, 58];
  x.send(true, protocol, icmp(request, 0, echoRest(id, 1), new Uint8Array(16)));
  x.send(false, protocol, icmp(reply, 0, echoRest(id, 1), new Uint8Array(16)));
}

export interface KernelRandomCase {
  readonly random: RandomCluster;
  readonly cluster: Cluster;
  readonly capture: string;
  readonly frames: number;
}

/**
 * Cluster (from `arb`: random-cluster.ts clusterArb, or random-admin-cluster.ts adminClusterArb)
 * and capture of seed `seed`: `flows` random exchanges plus node-to-pod traffic.
 */
export function kernelRandomCase(seed: number, flows = 40, arb: fc.Arbitrary<RandomCluster> = clusterArb): KernelRandomCase {
  const [random] = fc.sample(arb, { seed, numRuns: 1 }) as [RandomCluster];
  const cluster = loadRandomCluster(random);
  const rng = new SeededRandom(seed, 7);
  const frames: Bytes[] = [];
  let port = 30000;
  const exchange = (family: 4 | 6, client: string, server: string, protocol: number, dport: number): void => {
    const x = new Exchange(family, client, server);
    const sport = port++;
    if (protocol === 6) tcpExchange(x, sport, dport || 80, rng.chance(0.6) ? 0 : rng.int(7));
    else if (protocol === 17) udpExchange(x, sport, dport || 53, rng.chance(0.6) ? 0 : rng.int(3));
    else if (protocol === 132) sctpExchange(x, sport, dport || 9000, rng.chance(0.7) ? 0 : 1 + rng.int(2));
    else echoExchange(x, family, sport);
    frames.push(...x.frames);
  };
  for (const f of fc.sample(flowArb, { seed: seed + 1_000_000, numRuns: flows })) {
    const { src, dst } = flowAddresses(random, f);
    if (src === dst) continue;
    exchange(f.family, src, dst, f.family === 6 && f.protocol === 1 ? 58 : f.family === 4 && f.protocol === 58 ? 1 : f.protocol, f.port);
  }
  // Each node to the pods it runs, and back (kubelet probes; a pod calling its node).
  for (const pod of cluster.pods) {
    if (!pod.hostIP || pod.hostNetwork) continue;
    for (const ip of pod.ips.filter((a) => a.family === pod.hostIP?.family)) {
      exchange(ip.family, pod.hostIP.text, ip.text, 6, 80);
      exchange(ip.family, ip.text, pod.hostIP.text, 6, 10250);
    }
  }
  return { random, cluster, capture: writeFrames(frames, 1, `kernel-${seed}.pcap`), frames: frames.length };
}
