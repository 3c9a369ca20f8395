/**
 * Overlay decapsulation through the CLI: a pod's packet inside VXLAN (4789 and 8472), Geneve
 * (options skipped; Ethernet or IP inside), IP-in-IP and IPv6-in-IP is judged as the inner packet
 * (pods, rules) and counted once; a broken inner frame is undecodable, an inner ARP is not IP;
 * WireGuard and ESP are `encrypted`; `--decap off` and `auto` versus `on` behave as documented.
 */
import { describe, expect, it } from 'vitest';
import { concat, ethernet, ipv4, ipv6, tcp, udp, arp, bytes, type Bytes } from './helpers/build-frame.js';
import { runCli } from './helpers/run-cli.js';
import { writeFrames } from './helpers/write-frames.js';

const CLUSTER = 'test/fixtures/overlay/cluster.yaml';
const SYN = 0x02;

function podSyn(dport: number, sport = 40000): Bytes {
  return ipv4({ src: '10.244.1.10', dst: '10.244.2.20', protocol: 6 }, tcp({ srcPort: sport, dstPort: dport, flags: SYN }));
}

function underlay(protocol: number, payload: Bytes): Bytes {
  return ethernet(0x0800, ipv4({ src: '192.168.100.1', dst: '192.168.100.2', protocol }, payload));
}

function vxlan(port: number, inner: Bytes, flags = 0x08, vni = 42): Bytes {
  return underlay(17, udp(51000, port, concat([flags, 0, 0, 0, (vni >> 16) & 0xff, (vni >> 8) & 0xff, vni & 0xff, 0], inner)));
}

function geneve(protocolType: number, inner: Bytes, optionWords = 0): Bytes {
  const header = [optionWords & 0x3f, 0, (protocolType >> 8) & 0xff, protocolType & 0xff, 0, 0, 7, 0];
  return underlay(17, udp(52000, 6081, concat(header, bytes(optionWords * 4, 0x5a), inner)));
}

interface Flow {
  src: string;
  dst: string;
  sport: number | null;
  dport: number | null;
  protocol: string;
  srcPod: string | null;
  dstPod: string | null;
  verdict: string;
  reason: string;
  tunnel?: string;
}

async function replay(frames: readonly Bytes[], extra: string[] = []): Promise<{ flows: Flow[]; summary: { packets: Record<string, number>; decapsulated?: Record<string, number> }; text: string }> {
  const path = writeFrames(frames);
  const run = await runCli(['replay', path, '-f', CLUSTER, '--flows', '-', '-o', 'json', ...extra]);
  expect(run.code, run.stderr).toBe(0);
  const text = await runCli(['replay', path, '-f', CLUSTER, ...extra]);
  const flows = run.stdout.trim() ? run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Flow) : [];
  return { flows, summary: JSON.parse(run.stderr), text: text.stdout };
}

describe('decap - overlay tunnels', () => {
  it('decap - VXLAN on 4789 and 8472: the inner pod packet meets the policy, counted once', async () => {
    const { flows, summary, text } = await replay([vxlan(4789, ethernet(0x0800, podSyn(8080))), vxlan(8472, ethernet(0x0800, podSyn(9090, 40001)), 0x08, 1)]);
    expect(flows).toHaveLength(2);
    expect(flows[0]).toMatchObject({ src: '10.244.1.10', dst: '10.244.2.20', dport: 8080, srcPod: 'shop/web', dstPod: 'shop/api', verdict: 'allowed', tunnel: 'vxlan' });
    expect(flows[1]).toMatchObject({ dport: 9090, verdict: 'denied', reason: 'drop-ingress-default-deny', tunnel: 'vxlan' });
    expect(summary.packets).toMatchObject({ total: 2, allowedNew: 1, droppedIngress: 1 });
    expect(summary.decapsulated).toEqual({ vxlan: 2 });
    expect(text).toContain('decapsulated (counted once, as their inner packet): vxlan 2');
  });

  it('decap - Geneve: options skipped, Ethernet or IPv4 inside', async () => {
    const { flows, summary } = await replay([geneve(0x6558, ethernet(0x0800, podSyn(8080)), 3), geneve(0x0800, podSyn(9090, 40001))]);
    expect(flows.map((f) => [f.dport, f.verdict, f.tunnel])).toEqual([
      [8080, 'allowed', 'geneve'],
      [9090, 'denied', 'geneve'],
    ]);
    expect(summary.decapsulated).toEqual({ geneve: 2 });
  });

  it('decap - IP-in-IP (Calico) and IPv6-in-IP', async () => {
    const inner6 = ipv6({ src: 'fd00::1', dst: 'fd00::2', nextHeader: 17 }, udp(1000, 53));
    const { flows, summary } = await replay([underlay(4, podSyn(8080)), underlay(41, inner6)]);
    expect(flows[0]).toMatchObject({ dport: 8080, srcPod: 'shop/web', dstPod: 'shop/api', verdict: 'allowed', tunnel: 'ipip' });
    expect(flows[1]).toMatchObject({ src: 'fd00::1', dst: 'fd00::2', protocol: 'UDP', dport: 53, tunnel: 'ipv6-in-ip' });
    expect(summary.decapsulated).toEqual({ ipip: 1, 'ipv6-in-ip': 1 });
  });

  it('decap - a broken inner frame is undecodable, an inner ARP is not IP, on no flow', async () => {
    const cut = ethernet(0x0800, podSyn(8080)).subarray(0, 20);
    const { flows, summary } = await replay([vxlan(4789, cut), vxlan(4789, ethernet(0x0806, arp())), underlay(4, bytes(12))]);
    expect(flows).toEqual([]);
    expect(summary.packets).toMatchObject({ total: 3, undecodable: 2, notIp: 1 });
  });

  it('decap - WireGuard and ESP are encrypted: neither policed nor allowed', async () => {
    // WireGuard messages: a handshake initiation (type 1, 148 bytes) and transport data (type 4).
    const wgMessage = (type: number, length: number): Bytes => concat([type, 0, 0, 0], bytes(length - 4));
    const wg = underlay(17, udp(51820, 51820, wgMessage(1, 148)));
    const cilium = underlay(17, udp(40000, 51871, wgMessage(4, 64)));
    const esp = underlay(50, bytes(64));
    const { flows, summary, text } = await replay([wg, cilium, esp]);
    expect(flows).toEqual([]);
    expect(summary.packets).toMatchObject({ total: 3, encrypted: 3, allowedNew: 0 });
    expect(text).toMatch(/encrypted \(WireGuard, IPsec ESP\)\s+3/);
  });

  it('decap - a DNS query from ephemeral port 51820 is not WireGuard: it is policed like any datagram', async () => {
    // A DNS header: id, flags 0x0100 (recursion desired), one question.
    const dns = concat([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0], bytes(17));
    const { flows, summary } = await replay([underlay(17, udp(51820, 53, dns))]);
    expect(summary.packets['encrypted']).toBeUndefined();
    expect(flows).toHaveLength(1);
    expect(flows[0]).toMatchObject({ sport: 51820, dport: 53, protocol: 'UDP' });
    // With --decap on, a WireGuard port is taken at its word.
    const on = await replay([underlay(17, udp(51820, 53, dns))], ['--decap', 'on']);
    expect(on.summary.packets).toMatchObject({ encrypted: 1 });
  });

  it('decap - auto opens only a plausible header; on opens every datagram to a tunnel port', async () => {
    const noIFlag = vxlan(4789, ethernet(0x0800, podSyn(8080)), 0x00);
    const auto = await replay([noIFlag]);
    expect(auto.flows).toHaveLength(1);
    expect(auto.flows[0]).toMatchObject({ src: '192.168.100.1', dst: '192.168.100.2', protocol: 'UDP', dport: 4789 });
    expect(auto.flows[0]?.tunnel).toBeUndefined();
    const on = await replay([noIFlag], ['--decap', 'on']);
    expect(on.flows).toEqual([]);
    expect(on.summary.packets).toMatchObject({ undecodable: 1 });
  });

  it('decap - off: tunnels are node-to-node traffic and nothing is encrypted', async () => {
    const { flows, summary } = await replay([vxlan(4789, ethernet(0x0800, podSyn(8080))), underlay(50, bytes(16))], ['--decap', 'off']);
    expect(flows.map((f) => [f.src, f.dst, f.protocol])).toEqual([
      ['192.168.100.1', '192.168.100.2', 'UDP'],
      ['192.168.100.1', '192.168.100.2', '50'],
    ]);
    expect(summary.packets).not.toHaveProperty('encrypted');
    expect(summary).not.toHaveProperty('decapsulated');
  });

  it('decap - a capture without tunnels keeps the summary it had (no new keys)', async () => {
    const { summary } = await replay([ethernet(0x0800, podSyn(8080))]);
    expect(Object.keys(summary.packets)).not.toContain('encrypted');
    expect(summary).not.toHaveProperty('decapsulated');
  });
});
