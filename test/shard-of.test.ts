/**
 * The shard function of `replay --workers` and `split --by flow` (src/replay/shard-of.ts):
 * every packet the single-threaded dataplane relates to one connection, fragment, denied attempt
 * or `-i any` copy goes to one shard — both directions, ICMP errors (by the quoted packet), all
 * fragments of a datagram, tunnelled copies, a Service connection's translated and untranslated
 * forms, NodePort with SNAT — and shards are evenly used. The differential property replays
 * random mixed traffic through the real Dataplane and checks that every packet it counts on a
 * flow record has the shard of that record's first packet; keys that used ports, ignored Service
 * translation or ignored the ICMP quoted packet are shown to break it.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addressPairHash, buildServiceNat, type DataplaneOptions, createEngine, Dataplane, loadCluster, PacketCategory, readCapture, SeededRandom, ShardFunction, type ServiceNat } from '../src/index.js';
import { arp, bytes, concat, echoRest, ethernet, icmp, ipv4, ipv6, ipv6Words, ipv4Word, linuxSll2, tcp, udp, type Bytes } from './helpers/build-frame.js';

const CLUSTER = 'test/fixtures/services/cluster.yaml';
const SYN = 0x02;
const SYN_ACK = 0x12;
const ACK = 0x10;
const ETH = 1;
const SLL2 = 276;

const { cluster } = loadCluster({ paths: [CLUSTER] });
function services(): ServiceNat {
  const nat = buildServiceNat(cluster, { seed: 0 });
  if (!nat) throw new Error('the fixture has Services');
  return nat;
}

function v4(src: string, dst: string, protocol: number, payload: Bytes, id = 0x1234): Bytes {
  return ipv4({ src, dst, protocol, id }, payload);
}
function tcp4(src: string, sport: number, dst: string, dport: number, flags = SYN, id = 0x1234): Bytes {
  return v4(src, dst, 6, tcp({ srcPort: sport, dstPort: dport, flags }), id);
}
function udp4(src: string, sport: number, dst: string, dport: number, payload: Bytes = bytes(12), id = 0x1234): Bytes {
  return v4(src, dst, 17, udp(sport, dport, payload), id);
}
function vxlan(outerSrc: string, outerDst: string, innerIp: Bytes, port = 4789): Bytes {
  return ipv4({ src: outerSrc, dst: outerDst, protocol: 17 }, udp(51000, port, concat([0x08, 0, 0, 0, 0, 0, 42, 0], ethernet(0x0800, innerIp))));
}
function geneve(outerSrc: string, outerDst: string, innerIp: Bytes): Bytes {
  return ipv4({ src: outerSrc, dst: outerDst, protocol: 17 }, udp(52000, 6081, concat([0, 0, 0x65, 0x58, 0, 0, 7, 0], ethernet(0x0800, innerIp))));
}
/** IPv4 fragments of `l4` (protocol `protocol`): payload cut at `cuts` (multiples of 8). */
function fragments4(src: string, dst: string, protocol: number, l4: Bytes, id: number, cuts: readonly number[]): Bytes[] {
  const bounds = [0, ...cuts, l4.length];
  return bounds.slice(0, -1).map((from, i) => ipv4({ src, dst, protocol, id, fragmentOffset: from, moreFragments: i < bounds.length - 2 }, l4.subarray(from, bounds[i + 1])));
}
function fragments6(src: string, dst: string, nextHeader: number, l4: Bytes, id: number, cuts: readonly number[]): Bytes[] {
  const bounds = [0, ...cuts, l4.length];
  return bounds.slice(0, -1).map((from, i) => ipv6({ src, dst, nextHeader, ext: [{ type: 44, fragmentOffset: from, moreFragments: i < bounds.length - 2, id }] }, l4.subarray(from, bounds[i + 1])));
}
/** An ICMPv4 error (type 3 code 3 unless told) from `from` to `to` quoting `quoted`. */
function icmpError4(from: string, to: string, quoted: Bytes, type = 3, code = 3): Bytes {
  return v4(from, to, 1, icmp(type, code, 0, quoted.subarray(0, Math.min(quoted.length, 48))));
}
function icmpError6(from: string, to: string, quoted: Bytes): Bytes {
  return ipv6({ src: from, dst: to, nextHeader: 58 }, icmp(1, 4, 0, quoted));
}

function shard(sf: ShardFunction, ip: Bytes, linkType = ETH): number {
  const frame = linkType === ETH ? ethernet(ip[0]! >> 4 === 6 ? 0x86dd : 0x0800, ip) : linuxSll2(ip[0]! >> 4 === 6 ? 0x86dd : 0x0800, 3, 0, ip);
  const s = sf.shardOf(frame, 0, frame.length, frame.length, linkType);
  expect(s).toBeGreaterThanOrEqual(0);
  expect(s).toBeLessThan(sf.shards);
  return s;
}

/** The shard a key of just these two addresses would give (the "wrong key" for a test to differ from). */
function pairShard(a: string, b: string, shards: number): number {
  const w = (x: string): Uint32Array => Uint32Array.from(x.includes(':') ? ipv6Words(x) : [ipv4Word(x), 0, 0, 0]);
  return addressPairHash(w(a), w(b)) % shards;
}

function randomV4(r: SeededRandom): string {
  return `10.${r.int(256)}.${r.int(256)}.${1 + r.int(254)}`;
}
function randomV6(r: SeededRandom): string {
  return `fd00:${r.int(65536).toString(16)}::${(1 + r.int(65535)).toString(16)}`;
}

describe('shard-of - related packets share a shard', () => {
  it('shard-of - both directions of TCP, UDP, ICMP echo, IPv4 and IPv6; ports are not in the key', () => {
    const sf = new ShardFunction({ shards: 16 });
    const r = new SeededRandom(1);
    for (let i = 0; i < 500; i++) {
      const [a, b] = i % 2 === 0 ? [randomV4(r), randomV4(r)] : [randomV6(r), randomV6(r)];
      const sp = 1024 + r.int(60000);
      const dp = 1 + r.int(1023);
      const ip = (src: string, dst: string, protocol: number, l4: Bytes): Bytes => (src.includes(':') ? ipv6({ src, dst, nextHeader: protocol === 1 ? 58 : protocol }, l4) : v4(src, dst, protocol, l4));
      const s = shard(sf, ip(a, b, 6, tcp({ srcPort: sp, dstPort: dp, flags: SYN })));
      expect(shard(sf, ip(b, a, 6, tcp({ srcPort: dp, dstPort: sp, flags: SYN_ACK })))).toBe(s);
      expect(shard(sf, ip(a, b, 17, udp(sp + 1, dp + 1)))).toBe(s);
      expect(shard(sf, ip(b, a, 17, udp(dp + 1, sp + 1)))).toBe(s);
      const echo = a.includes(':') ? [128, 129] : [8, 0];
      expect(shard(sf, ip(a, b, 1, icmp(echo[0]!, 0, echoRest(7, 1))))).toBe(s);
      expect(shard(sf, ip(b, a, 1, icmp(echo[1]!, 0, echoRest(7, 1))))).toBe(s);
    }
  });

  it('shard-of - an ICMP error (v4 and v6) goes with the connection it quotes, not with its outer addresses', () => {
    const shards = 16;
    const sf = new ShardFunction({ shards });
    const r = new SeededRandom(2);
    let differs = 0;
    for (let i = 0; i < 300; i++) {
      const v6 = i % 2 === 1;
      const [a, b, router] = v6 ? [randomV6(r), randomV6(r), randomV6(r)] : [randomV4(r), randomV4(r), randomV4(r)];
      const sp = 1024 + r.int(60000);
      const request = v6 ? ipv6({ src: a, dst: b, nextHeader: 17 }, udp(sp, 53, bytes(20))) : udp4(a, sp, b, 53, bytes(20));
      const reply = v6 ? ipv6({ src: b, dst: a, nextHeader: 6 }, tcp({ srcPort: 53, dstPort: sp, flags: SYN_ACK })) : tcp4(b, 53, a, sp, SYN_ACK);
      const s = shard(sf, request);
      const error = (from: string, to: string, quoted: Bytes): Bytes => (v6 ? icmpError6(from, to, quoted) : icmpError4(from, to, quoted));
      // From the destination (port unreachable), from a router on the way, and about a reply.
      expect(shard(sf, error(b, a, request))).toBe(s);
      expect(shard(sf, error(router, a, request))).toBe(s);
      expect(shard(sf, error(router, b, reply))).toBe(s);
      if (pairShard(router, a, shards) !== s) differs++;
    }
    // The outer pair would have sent most of the routers' errors elsewhere.
    expect(differs).toBeGreaterThan(200);
  });

  it('shard-of - all fragments of a datagram go with the first (and with the connection), IPv4 and IPv6, also a fragmented ICMP error', () => {
    const shards = 16;
    const sf = new ShardFunction({ shards });
    const r = new SeededRandom(3);
    let routerElsewhere = 0;
    for (let i = 0; i < 200; i++) {
      const v6 = i % 2 === 1;
      const [a, b, router] = v6 ? [randomV6(r), randomV6(r), randomV6(r)] : [randomV4(r), randomV4(r), randomV4(r)];
      const sp = 1024 + r.int(60000);
      const datagram = udp(sp, 4000 + r.int(1000), bytes(64, i));
      const parts = v6 ? fragments6(a, b, 17, datagram, 0x10000 + i, [24, 48]) : fragments4(a, b, 17, datagram, i, [24, 48]);
      const s = shard(sf, v6 ? ipv6({ src: b, dst: a, nextHeader: 17 }, udp(4000, sp)) : udp4(b, 4000, a, sp));
      for (const part of parts) expect(shard(sf, part)).toBe(s);
      // A router's error about it, too large for one frame: the second fragment has no ICMP header.
      if (!v6) {
        const quoted = v4(a, b, 17, datagram);
        const message = icmp(3, 4, 0, quoted.subarray(0, 48));
        const errorParts = fragments4(router, a, 1, message, 0x7000 + i, [40]);
        for (const part of errorParts) expect(shard(sf, part)).toBe(s);
        if (pairShard(router, a, shards) !== s) routerElsewhere++;
      }
    }
    expect(routerElsewhere).toBeGreaterThan(50);
  });

  it('shard-of - a VXLAN-, Geneve- or IP-in-IP-wrapped packet goes with the bare inner packet; decap off keys the outer', () => {
    const sf = new ShardFunction({ shards: 16 });
    const off = new ShardFunction({ shards: 16, decap: 'off' });
    const r = new SeededRandom(4);
    let outerElsewhere = 0;
    for (let i = 0; i < 200; i++) {
      const [a, b, n1, n2] = [randomV4(r), randomV4(r), randomV4(r), randomV4(r)];
      const inner = tcp4(a, 40000 + i, b, 80);
      const reply = tcp4(b, 80, a, 40000 + i, SYN_ACK);
      const s = shard(sf, inner);
      expect(shard(sf, vxlan(n1, n2, inner))).toBe(s);
      expect(shard(sf, vxlan(n2, n1, reply, 8472))).toBe(s);
      expect(shard(sf, geneve(n1, n2, inner))).toBe(s);
      expect(shard(sf, ipv4({ src: n1, dst: n2, protocol: 4 }, inner))).toBe(s);
      expect(shard(off, vxlan(n1, n2, inner))).toBe(pairShard(n1, n2, 16));
      if (pairShard(n1, n2, 16) !== s) outerElsewhere++;
    }
    expect(outerElsewhere).toBeGreaterThan(150);
  });

  it('shard-of - a Service connection: client→ClusterIP, post-DNAT copy, endpoint→client and frontend→client replies, ICMP errors', () => {
    const shards = 64;
    const sf = new ShardFunction({ shards, services: services() });
    const plain = new ShardFunction({ shards });
    let translatedElsewhere = 0;
    const endpoints = new Set<string>();
    for (let port = 40000; port < 40100; port++) {
      const client = '10.244.1.10';
      const s = shard(sf, tcp4(client, port, '10.96.0.10', 80), SLL2);
      // The endpoint ServiceNat chose, from the translated packet.
      const endpoint = `${sf.meta.dst[0]! >>> 24}.${(sf.meta.dst[0]! >>> 16) & 0xff}.${(sf.meta.dst[0]! >>> 8) & 0xff}.${sf.meta.dst[0]! & 0xff}`;
      const eport = sf.meta.dstPort;
      endpoints.add(`${endpoint}:${eport}`);
      expect(shard(sf, tcp4(client, port, endpoint, eport), SLL2)).toBe(s);
      expect(shard(sf, tcp4(endpoint, eport, client, port, SYN_ACK), SLL2)).toBe(s);
      expect(shard(sf, tcp4('10.96.0.10', 80, client, port, SYN_ACK), SLL2)).toBe(s);
      expect(shard(sf, tcp4(client, port, '10.96.0.10', 80, ACK), SLL2)).toBe(s);
      // ICMP errors: from the Service address quoting the untranslated packet, from the endpoint
      // quoting the translated one, from a router quoting the untranslated one.
      expect(shard(sf, icmpError4('10.96.0.10', client, tcp4(client, port, '10.96.0.10', 80)))).toBe(s);
      expect(shard(sf, icmpError4(endpoint, client, tcp4(client, port, endpoint, eport)))).toBe(s);
      expect(shard(sf, icmpError4('10.0.0.1', client, tcp4(client, port, '10.96.0.10', 80), 11, 0))).toBe(s);
      // UDP Service too.
      const u = shard(sf, udp4(client, port, '10.96.0.20', 80));
      const ue = sf.meta.dst[0]!;
      const uendpoint = `${ue >>> 24}.${(ue >>> 16) & 0xff}.${(ue >>> 8) & 0xff}.${ue & 0xff}`;
      const ueport = sf.meta.dstPort;
      expect(shard(sf, udp4('10.96.0.20', 80, client, port))).toBe(u);
      expect(shard(sf, udp4(client, port, uendpoint, ueport))).toBe(u);
      expect(shard(sf, udp4(uendpoint, ueport, client, port))).toBe(u);
      if (shard(plain, tcp4(client, port, '10.96.0.10', 80)) !== s) translatedElsewhere++;
    }
    expect([...endpoints].sort()).toEqual(['10.244.1.20:8080', '10.244.2.20:8081']);
    expect(translatedElsewhere).toBeGreaterThan(0);
    expect(pairShard('10.244.1.10', '10.96.0.10', shards)).not.toBe(pairShard('10.244.1.10', '10.244.1.20', shards));
  });

  it('shard-of - NodePort from outside with SNAT to the node (Cluster) and without (Local)', () => {
    const sf = new ShardFunction({ shards: 64, services: services() });
    for (let port = 42000; port < 42050; port++) {
      const client = `203.0.113.${port % 200}`;
      const s = shard(sf, tcp4(client, port, '172.18.0.3', 30080));
      expect(sf.meta.src[0]).toBe(ipv4Word('172.18.0.3'));
      const endpoint = sf.meta.dst[0]!;
      const eport = sf.meta.dstPort;
      const e = `${endpoint >>> 24}.${(endpoint >>> 16) & 0xff}.${(endpoint >>> 8) & 0xff}.${endpoint & 0xff}`;
      expect(shard(sf, tcp4('172.18.0.3', port, e, eport))).toBe(s);
      expect(shard(sf, tcp4(e, eport, '172.18.0.3', port, SYN_ACK))).toBe(s);
      expect(shard(sf, tcp4('172.18.0.3', 30080, client, port, SYN_ACK))).toBe(s);
      expect(shard(sf, icmpError4('172.18.0.3', client, tcp4(client, port, '172.18.0.3', 30080)))).toBe(s);
      // Local: the client keeps its address.
      const l = shard(sf, tcp4(client, port, '172.18.0.2', 30081));
      expect(sf.meta.src[0]).toBe(ipv4Word(client));
      expect(shard(sf, tcp4('10.244.1.20', 8080, client, port, SYN_ACK))).toBe(l);
      expect(shard(sf, tcp4('172.18.0.2', 30081, client, port, SYN_ACK))).toBe(l);
    }
  });

  it('shard-of - non-IP, undecodable and unsupported-link frames go to shard 0; encrypted frames go by their outer pair', () => {
    const sf = new ShardFunction({ shards: 8 });
    const a = ethernet(0x0806, arp());
    expect(sf.shardOf(a, 0, a.length, a.length, ETH)).toBe(0);
    const cut = ethernet(0x0800, tcp4('10.1.1.1', 1, '10.2.2.2', 2)).subarray(0, 30);
    expect(sf.shardOf(cut, 0, cut.length, 60, ETH)).toBe(0);
    const ip = tcp4('10.1.1.1', 1, '10.2.2.2', 2);
    expect(sf.shardOf(ip, 0, ip.length, ip.length, 9999)).toBe(0);
    const esp = ethernet(0x0800, v4('10.1.1.1', '10.2.2.2', 50, bytes(40)));
    expect(sf.shardOf(esp, 0, esp.length, esp.length, ETH)).toBe(pairShard('10.1.1.1', '10.2.2.2', 8));
    expect(() => new ShardFunction({ shards: 0 })).toThrow(RangeError);
    // The frame may sit anywhere in a larger buffer (a capture chunk).
    const frame = ethernet(0x0800, tcp4('10.3.3.3', 5, '10.4.4.4', 6));
    const chunk = concat(bytes(17), frame, bytes(9));
    expect(sf.shardOf(chunk, 17, frame.length, frame.length, ETH)).toBe(sf.shardOf(frame, 0, frame.length, frame.length, ETH));
  });

  it('shard-of - shards are evenly used: 10K random address pairs, 2 and 16 shards, each within ±10% of its share', () => {
    // With 16 shards, ±10% of 625 is 2.6 standard deviations: an ideal hash misses it on ~15% of
    // random inputs (measured: 29 of 200 seeds), so this input is fixed; the next test checks the
    // hash's spread statistically.
    for (const shards of [2, 16]) {
      const sf = new ShardFunction({ shards });
      const r = new SeededRandom(1);
      const counts = new Array<number>(shards).fill(0);
      for (let i = 0; i < 10_000; i++) {
        const frame = ethernet(0x0800, tcp4(randomV4(r), 1024 + r.int(60000), randomV4(r), 80));
        counts[sf.shardOf(frame, 0, frame.length, frame.length, ETH)]!++;
      }
      const share = 10_000 / shards;
      for (const c of counts) {
        expect(c).toBeGreaterThanOrEqual(share * 0.9);
        expect(c).toBeLessThanOrEqual(share * 1.1);
      }
    }
  });
});

describe('shard-of - spread', () => {
  it('shard-of - the pair hash spreads like a random function: mean chi-square over 40 inputs of 10K pairs is the degrees of freedom', () => {
    const a = new Uint32Array(4);
    const b = new Uint32Array(4);
    for (const shards of [2, 7, 16, 64]) {
      let total = 0;
      for (let seed = 0; seed < 40; seed++) {
        const r = new SeededRandom(seed, 9);
        const counts = new Array<number>(shards).fill(0);
        for (let i = 0; i < 10_000; i++) {
          a[0] = ((10 << 24) | r.int(1 << 24)) >>> 0;
          b[0] = ((10 << 24) | r.int(1 << 24)) >>> 0;
          counts[addressPairHash(a, b) % shards]!++;
        }
        const expected = 10_000 / shards;
        total += counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
      }
      // Mean of 40 chi-square(k-1) values: k-1 ± sqrt(2(k-1)/40); allow 4 of those.
      const dof = shards - 1;
      expect(Math.abs(total / 40 - dof), `${shards} shards`).toBeLessThan(4 * Math.sqrt((2 * dof) / 40));
    }
  });
});

// ---------------------------------------------------------------- differential property

const CLIENTS = ['10.244.1.10', '10.244.3.40', '10.244.1.20', '10.244.2.20'];
const EXTERNALS = ['203.0.113.5', '203.0.113.6', '203.0.113.7', '198.51.100.9'];
const ROUTERS = ['10.0.0.1', '10.0.0.254', '192.0.2.1'];
const NODES = ['172.18.0.2', '172.18.0.3', '172.18.0.4'];
const V6 = ['fd00::10', 'fd00::20', 'fd00:1::30', 'fd00:2::40'];

interface Frame {
  readonly bytes: Bytes;
  readonly linkType: number;
}

/** Random mixed traffic as conversations (each a packet list), interleaved keeping each one's order. */
function randomTraffic(seed: number, nat: ServiceNat): Frame[] {
  const r = new SeededRandom(seed);
  // A scratch translator to learn the endpoint a Service packet goes to.
  const probe = new ShardFunction({ shards: 1, services: nat });
  const translated = (ip: Bytes): { dst: string; dport: number; src: string } => {
    const f = ethernet(0x0800, ip);
    probe.shardOf(f, 0, f.length, f.length, ETH);
    const w = (x: number): string => `${x >>> 24}.${(x >>> 16) & 0xff}.${(x >>> 8) & 0xff}.${x & 0xff}`;
    return { dst: w(probe.meta.dst[0]!), dport: probe.meta.dstPort, src: w(probe.meta.src[0]!) };
  };
  const sll = (ip: Bytes, pktType = 0): Frame => ({ bytes: linuxSll2(ip[0]! >> 4 === 6 ? 0x86dd : 0x0800, 2 + r.int(6), pktType, ip), linkType: SLL2 });
  const eth = (ip: Bytes): Frame => ({ bytes: ethernet(ip[0]! >> 4 === 6 ? 0x86dd : 0x0800, ip), linkType: ETH });
  const frame = (ip: Bytes): Frame => (r.chance(0.5) ? sll(ip) : eth(ip));
  let ipId = 1;
  const conversations: Frame[][] = [];
  const any = (): string => r.pick(r.chance(0.7) ? CLIENTS : EXTERNALS);
  for (let c = 0; c < 40; c++) {
    const out: Frame[] = [];
    const port = 30000 + r.int(30000);
    const kind = r.int(11);
    if (kind === 0 || kind === 1) {
      // Plain TCP or UDP between two addresses, maybe with a router's ICMP error about it.
      const [a, b] = [any(), any()];
      const dport = r.pick([80, 8080, 8081, 53, 443]);
      const proto = kind === 0 ? 6 : 17;
      const fwd = (flags: number): Bytes => (proto === 6 ? tcp4(a, port, b, dport, flags, ipId++) : udp4(a, port, b, dport, bytes(16), ipId++));
      const back = (flags: number): Bytes => (proto === 6 ? tcp4(b, dport, a, port, flags, ipId++) : udp4(b, dport, a, port, bytes(16), ipId++));
      out.push(frame(fwd(SYN)), frame(back(SYN_ACK)), frame(fwd(ACK)));
      if (r.chance(0.5)) out.push(frame(icmpError4(r.pick(ROUTERS), a, fwd(ACK), r.pick([3, 11]), r.pick([0, 4]))));
      if (r.chance(0.3)) out.push(frame(icmpError4(b, a, fwd(ACK))));
      out.push(frame(back(ACK)));
    } else if (kind === 2 || kind === 3) {
      // A ClusterIP Service connection: request, post-DNAT copy, replies in both forms, errors.
      const client = r.pick(CLIENTS);
      const udpService = kind === 3;
      const vip = udpService ? '10.96.0.20' : r.pick(['10.96.0.10', '10.96.0.10', '10.96.0.11']);
      const req = (flags: number): Bytes => (udpService ? udp4(client, port, vip, 80, bytes(16), ipId++) : tcp4(client, port, vip, 80, flags, ipId++));
      const first = req(SYN);
      const t = translated(first);
      out.push(sll(first, 4));
      if (r.chance(0.5)) out.push(sll(udpService ? udp4(client, port, t.dst, t.dport, bytes(16), ipId - 1) : tcp4(client, port, t.dst, t.dport, SYN, ipId - 1), 0));
      const fromEndpoint = (flags: number): Bytes => (udpService ? udp4(t.dst, t.dport, client, port, bytes(8), ipId++) : tcp4(t.dst, t.dport, client, port, flags, ipId++));
      const fromVip = (flags: number): Bytes => (udpService ? udp4(vip, 80, client, port, bytes(8), ipId++) : tcp4(vip, 80, client, port, flags, ipId++));
      out.push(frame(r.chance(0.5) ? fromEndpoint(SYN_ACK) : fromVip(SYN_ACK)));
      out.push(frame(req(ACK)));
      if (r.chance(0.4)) out.push(frame(icmpError4(vip, client, req(ACK))));
      if (r.chance(0.4)) out.push(frame(icmpError4(r.pick(ROUTERS), client, req(ACK), 11, 0)));
      out.push(frame(r.chance(0.5) ? fromEndpoint(ACK) : fromVip(ACK)));
    } else if (kind === 4) {
      // NodePort from outside (SNAT to the node with Cluster, none with Local).
      const client = r.pick(EXTERNALS);
      const [node, nodePort] = r.chance(0.6) ? [r.pick(NODES), 30080] : [r.pick(NODES), 30081];
      const first = tcp4(client, port, node, nodePort, SYN, ipId++);
      out.push(frame(first));
      const t = translated(first);
      if (t.dst !== node) {
        if (r.chance(0.5)) out.push(sll(tcp4(t.src, port, t.dst, t.dport, SYN, ipId - 1), 4));
        out.push(frame(r.chance(0.5) ? tcp4(t.dst, t.dport, t.src, port, SYN_ACK, ipId++) : tcp4(node, nodePort, client, port, SYN_ACK, ipId++)));
        if (r.chance(0.5)) out.push(frame(icmpError4(node, client, tcp4(client, port, node, nodePort, ACK))));
      }
      out.push(frame(tcp4(client, port, node, nodePort, ACK, ipId++)));
    } else if (kind === 5) {
      // A Service without endpoints: the attempt, a retransmission, kube-proxy's REJECT.
      const client = r.pick(CLIENTS);
      const syn = tcp4(client, port, '10.96.0.12', 80, SYN, ipId++);
      out.push(frame(syn), frame(icmpError4('10.96.0.12', client, syn)), frame(tcp4(client, port, '10.96.0.12', 80, SYN, ipId++)));
    } else if (kind === 6) {
      // A fragmented UDP datagram and its answer; sometimes to a Service frontend.
      const a = r.pick(CLIENTS);
      const b = r.chance(0.3) ? '10.96.0.20' : any();
      const dport = b === '10.96.0.20' ? 80 : r.pick([53, 8080, 5000]);
      const datagram = udp(port, dport, bytes(72, c));
      const id = ipId++;
      for (const part of fragments4(a, b, 17, datagram, id, [32, 64])) out.push(eth(part));
      out.push(frame(udp4(b, dport, a, port, bytes(8), ipId++)));
      if (r.chance(0.5)) {
        // A router's error about it, in two fragments.
        const message = icmp(3, 4, 0, v4(a, b, 17, datagram, id).subarray(0, 48));
        for (const part of fragments4(r.pick(ROUTERS), a, 1, message, ipId++, [40])) out.push(eth(part));
      }
    } else if (kind === 7) {
      // ICMP echo, with an error about the request.
      const [a, b] = [any(), any()];
      const req = v4(a, b, 1, icmp(8, 0, echoRest(port & 0xffff, 1)), ipId++);
      out.push(frame(req), frame(v4(b, a, 1, icmp(0, 0, echoRest(port & 0xffff, 1)), ipId++)));
      if (r.chance(0.5)) out.push(frame(icmpError4(r.pick(ROUTERS), a, req, 11, 0)));
    } else if (kind === 8) {
      // Pod-to-pod across nodes inside VXLAN or Geneve, sometimes also seen bare on the veth.
      const [a, b] = ['10.244.1.10', r.pick(['10.244.2.20', '10.244.3.40'])];
      const [n1, n2] = ['172.18.0.2', b === '10.244.2.20' ? '172.18.0.3' : '172.18.0.4'];
      const wrap = (inner: Bytes, back: boolean): Frame => sll(r.chance(0.5) ? vxlan(back ? n2 : n1, back ? n1 : n2, inner) : geneve(back ? n2 : n1, back ? n1 : n2, inner));
      const syn = tcp4(a, port, b, 8081, SYN, ipId++);
      if (r.chance(0.5)) out.push(sll(syn, 4));
      out.push(wrap(syn, false));
      out.push(wrap(tcp4(b, 8081, a, port, SYN_ACK, ipId++), true));
      out.push(r.chance(0.5) ? wrap(tcp4(a, port, b, 8081, ACK, ipId++), false) : frame(tcp4(a, port, b, 8081, ACK, ipId++)));
      if (r.chance(0.5)) out.push(wrap(icmpError4(r.pick(ROUTERS), a, syn), true));
    } else if (kind === 9) {
      // IPv6: TCP both ways, a fragmented datagram, a router's ICMPv6 error.
      const [a, b] = [r.pick(V6), r.pick(V6)];
      const syn = ipv6({ src: a, dst: b, nextHeader: 6 }, tcp({ srcPort: port, dstPort: 443, flags: SYN }));
      out.push(frame(syn), frame(ipv6({ src: b, dst: a, nextHeader: 6 }, tcp({ srcPort: 443, dstPort: port, flags: SYN_ACK }))));
      if (r.chance(0.5)) out.push(frame(icmpError6(r.pick(['fe80::1', 'fd00:ffff::1']), a, syn)));
      for (const part of fragments6(a, b, 17, udp(port, 5353, bytes(64, c)), ipId++, [24, 48])) out.push(eth(part));
    } else {
      // Reversed-role noise: a reply with no connection (INVALID), a bad flag combination.
      const [a, b] = [any(), any()];
      out.push(frame(tcp4(a, port, b, 80, ACK, ipId++)), frame(tcp4(b, 80, a, port, 0x03, ipId++)), frame(tcp4(a, port, b, 80, ACK, ipId++)));
    }
    conversations.push(out);
  }
  const frames: Frame[] = [];
  const next = conversations.map(() => 0);
  let left = conversations.reduce((n, c) => n + c.length, 0);
  while (left > 0) {
    const live = conversations.map((c, i) => i).filter((i) => (next[i] as number) < (conversations[i] as Frame[]).length);
    const i = live[r.int(Math.min(live.length, 4))] as number;
    frames.push((conversations[i] as Frame[])[next[i]!++] as Frame);
    left--;
  }
  return frames;
}

type KeyOf = (frame: Frame) => number;

/** Replays `frames` through one Dataplane; counts packets put on a flow record whose first packet had another shard. */
function violations(frames: readonly Frame[], shardOf: KeyOf, seen?: Record<string, number>, options: DataplaneOptions = {}): number {
  const { policy } = createEngine(cluster, 'compiled');
  const dataplane = new Dataplane(policy, { ...options, services: services() });
  const home = new Map<string, number>();
  let bad = 0;
  frames.forEach((f, i) => {
    const s = shardOf(f);
    const category = dataplane.next(f.bytes, 0, f.bytes.length, f.bytes.length, f.linkType, 1000 + i * 0.0005);
    if (seen) seen[category] = (seen[category] ?? 0) + 1;
    const flow = dataplane.lastFlow;
    if (flow < 0) return;
    const id = `${flow}:${dataplane.flows.seq[flow]}`;
    const first = home.get(id);
    if (first === undefined) home.set(id, s);
    else if (first !== s) bad++;
  });
  return bad;
}

describe('shard-of - differential property against the single-threaded dataplane', () => {
  it('shard-of property - every packet counted on a flow record has the shard of the record\'s first packet', () => {
    const shards = 16;
    const seen: Record<string, number> = {};
    const mutants = { ports: 0, noTranslation: 0, outerOnly: 0, noDecap: 0 };
    for (let seed = 1; seed <= 30; seed++) {
      const frames = randomTraffic(seed, services());
      const sf = new ShardFunction({ shards, services: services() });
      const real: KeyOf = (f) => sf.shardOf(f.bytes, 0, f.bytes.length, f.bytes.length, f.linkType);
      expect(violations(frames, real, seen), `seed ${seed}`).toBe(0);
      // Keys that are wrong: the property must catch each.
      const withPorts = new ShardFunction({ shards, services: services() });
      mutants.ports += violations(frames, (f) => {
        const k = withPorts.keyOf(f.bytes, 0, f.bytes.length, f.bytes.length, f.linkType);
        const m = withPorts.meta;
        return k < 0 ? 0 : ((k ^ Math.imul((m.srcPort ^ m.dstPort) + 1, 0x9e3779b1)) >>> 0) % shards;
      });
      const untranslated = new ShardFunction({ shards });
      mutants.noTranslation += violations(frames, (f) => untranslated.shardOf(f.bytes, 0, f.bytes.length, f.bytes.length, f.linkType));
      const outer = new ShardFunction({ shards, services: services() });
      mutants.outerOnly += violations(frames, (f) => {
        const k = outer.keyOf(f.bytes, 0, f.bytes.length, f.bytes.length, f.linkType);
        return k < 0 ? 0 : addressPairHash(outer.meta.src, outer.meta.dst) % shards;
      });
      const noDecap = new ShardFunction({ shards, services: services(), decap: 'off' });
      mutants.noDecap += violations(frames, (f) => noDecap.shardOf(f.bytes, 0, f.bytes.length, f.bytes.length, f.linkType));
    }
    // The traffic exercised what the key must handle.
    for (const c of [PacketCategory.ALLOWED_NEW, PacketCategory.ALLOWED_ESTABLISHED, PacketCategory.ALLOWED_RELATED, PacketCategory.ALLOWED_FRAGMENT, PacketCategory.DUPLICATE, PacketCategory.DROPPED_INGRESS, PacketCategory.DROPPED_NO_ENDPOINT, PacketCategory.DROPPED_CT_INVALID]) {
      expect(seen[c] ?? 0, `category ${c}`).toBeGreaterThan(0);
    }
    expect(mutants.ports).toBeGreaterThan(0);
    expect(mutants.noTranslation).toBeGreaterThan(0);
    expect(mutants.outerOnly).toBeGreaterThan(0);
    expect(mutants.noDecap).toBeGreaterThan(0);
  });
});

describe('shard-of - dataplane options', () => {
  const variants: readonly DataplaneOptions[] = [{ dropInvalid: false }, { dedupe: 'off' }, { dedupe: 'on' }, { tcpLoose: false }, { denyAction: 'reject' }, { reevaluateEstablished: 'both' }, { icmpPolicy: 'allow-echo-errors' }];
  for (const options of variants) {
    it(`shard-of property - the invariant holds with ${JSON.stringify(options)}`, () => {
      for (let seed = 101; seed <= 115; seed++) {
        const frames = randomTraffic(seed, services());
        const sf = new ShardFunction({ shards: 16, services: services() });
        expect(violations(frames, (f) => sf.shardOf(f.bytes, 0, f.bytes.length, f.bytes.length, f.linkType), undefined, options), `seed ${seed}`).toBe(0);
      }
    });
  }
});

describe('shard-of - what the single-threaded dataplane does in the cases the key cannot see', () => {
  function replayAll(frames: readonly Bytes[]): { categories: number[]; flows: number[]; dataplane: Dataplane } {
    const { policy } = createEngine(cluster, 'compiled');
    const dataplane = new Dataplane(policy, { services: services() });
    const categories: number[] = [];
    const flows: number[] = [];
    frames.forEach((ip, i) => {
      const f = ethernet(0x0800, ip);
      categories.push(dataplane.next(f, 0, f.length, f.length, ETH, 1000 + i * 0.001));
      flows.push(dataplane.lastFlow);
    });
    return { categories, flows, dataplane };
  }

  it('shard-of - non-first fragments of a datagram to a Service frontend follow their first fragment (remembered as captured, before translation), on its flow and with its verdict', () => {
    const datagram = udp(40000, 80, bytes(72, 1));
    const parts = fragments4('10.244.1.10', '10.96.0.20', 17, datagram, 0x4444, [32, 64]);
    const { categories, flows, dataplane } = replayAll(parts);
    expect(flows[0]).toBeGreaterThanOrEqual(0);
    const verdict = (categories[0] as number) <= PacketCategory.ALLOWED_FRAGMENT ? PacketCategory.ALLOWED_FRAGMENT : PacketCategory.DROPPED_FRAGMENT;
    expect(categories.slice(1)).toEqual([verdict, verdict]);
    expect(flows.slice(1)).toEqual([flows[0], flows[0]]);
    // All three packets on the flow record, in the direction of the first (forward).
    const f = flows[0] as number;
    expect([dataplane.flows.packets[f * 2], dataplane.flows.packets[f * 2 + 1]]).toEqual([3, 0]);
    // A fragmented answer captured before un-translation (from the frontend; the request was
    // denied, so the answer starts a flow of its own): its fragments follow its first one.
    const request = v4('10.244.1.10', '10.96.0.20', 17, udp(40001, 80, bytes(8, 1)), 0x5000);
    const answer = fragments4('10.96.0.20', '10.244.1.10', 17, udp(80, 40001, bytes(72, 2)), 0x5001, [32, 64]);
    const both = replayAll([request, ...answer]);
    const g = both.flows[1] as number;
    expect(g).toBeGreaterThanOrEqual(0);
    expect(both.flows.slice(2)).toEqual([g, g]);
    const answerVerdict = (both.categories[1] as number) <= PacketCategory.ALLOWED_FRAGMENT ? PacketCategory.ALLOWED_FRAGMENT : PacketCategory.DROPPED_FRAGMENT;
    expect(both.categories.slice(2)).toEqual([answerVerdict, answerVerdict]);
    expect((both.dataplane.flows.packets[g * 2] as number) + (both.dataplane.flows.packets[g * 2 + 1] as number)).toBe(g === both.flows[0] ? 4 : 3);
    // Sent straight to an endpoint, the same datagram's fragments are counted on its flow.
    const direct = replayAll(fragments4('10.244.1.10', '10.244.1.20', 17, udp(40000, 8080, bytes(72, 1)), 0x4445, [32, 64]));
    expect(direct.flows[1]).toBe(direct.flows[0]);
    expect(direct.flows[2]).toBe(direct.flows[0]);
    // The shard function still sends them with the first fragment.
    const sf = new ShardFunction({ shards: 64, services: services() });
    const s = shard(sf, parts[0]!);
    for (const part of parts.slice(1)) expect(shard(sf, part)).toBe(s);
  });

  it('shard-of - the one case the key cannot serve: INVALID ICMP errors quoting nothing known share a record by their outer addresses', () => {
    const quoted = (dst: string): Bytes => udp4('10.244.1.10', 40000, dst, 9999);
    const errors = [icmpError4('10.0.0.1', '10.244.1.10', quoted('198.51.100.1')), icmpError4('10.0.0.1', '10.244.1.10', quoted('198.51.100.2'))];
    const { categories, flows } = replayAll(errors);
    expect(categories).toEqual([PacketCategory.DROPPED_CT_INVALID, PacketCategory.DROPPED_CT_INVALID]);
    expect(flows[1]).toBe(flows[0]);
    // Keyed by what they quote: (usually) two shards, two records in a sharded replay; same counters.
    const sf = new ShardFunction({ shards: 64 });
    expect(shard(sf, errors[0]!)).toBe(pairShard('10.244.1.10', '198.51.100.1', 64));
    expect(shard(sf, errors[1]!)).toBe(pairShard('10.244.1.10', '198.51.100.2', 64));
  });
});

describe('shard function - the reader fast path', () => {
  const captures = ['test/fixtures/captures', 'test/fixtures/decode', 'test/fixtures/overlay', 'test/fixtures/services', 'examples/three-tier', 'examples/service'].flatMap((dir) =>
    readdirSync(dir)
      .filter((name) => /\.pcap(ng)?$/.test(name))
      .map((name) => join(dir, name)),
  );

  it.each(captures)('shard function - fast key equals the full decode on every record of %s (with and without Services)', async (capture) => {
    const withServices = new ShardFunction({ shards: 7, services: services() });
    const plain = new ShardFunction({ shards: 7 });
    let fast = 0;
    let records = 0;
    await readCapture(capture, (r) => {
      records++;
      for (const fn of [withServices, plain]) {
        const quick = fn.fastKey(r.buffer, r.offset, r.capturedLength, r.linkType);
        const full = fn.fullKey(r.buffer, r.offset, r.capturedLength, r.wireLength, r.linkType);
        if (quick < 0) continue;
        fast++;
        // A frame the dataplane cannot decode is only counted: any shard will do.
        if (full >= 0) expect(quick, `record ${r.index}`).toBe(full);
      }
    });
    expect(records).toBeGreaterThan(0);
    // The bundled captures are mostly plain TCP/UDP: the fast path must take them.
    if (capture.startsWith('examples/three-tier/capture.pcap')) expect(fast).toBeGreaterThan(records);
  });

  it('shard function - fast path declines what needs the full path: fragments, ICMP, tunnel ports, Service frontends, VLANs, IPv6', () => {
    const fn = new ShardFunction({ shards: 4, services: services() });
    const frame = (ip: Bytes): Bytes => ethernet(0x0800, ip);
    const key = (b: Bytes): number => fn.fastKey(b, 0, b.length, 1);
    expect(key(frame(tcp4('10.0.0.1', 40000, '10.0.0.2', 80)))).toBeGreaterThanOrEqual(0);
    expect(key(frame(udp4('10.0.0.1', 40000, '10.0.0.2', 4789)))).toBe(-1);
    expect(key(frame(udp4('10.0.0.1', 51820, '10.0.0.2', 53)))).toBe(-1);
    expect(key(frame(v4('10.0.0.1', '10.0.0.2', 1, icmp(8, 0, echoRest(1, 1)))))).toBe(-1);
    expect(key(ethernet(0x86dd, ipv6({ src: '2001:db8::1', dst: '2001:db8::2', nextHeader: 17 }, udp(1, 2))))).toBe(-1);
  });
});
