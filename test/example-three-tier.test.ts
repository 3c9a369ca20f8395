import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DirectionReason, formatRuleRef, loadCluster, NaiveEvaluator, parseIp, REASON_NAME, type DirectionVerdict, type IpAddress } from '../src/index.js';

const EXAMPLE = 'examples/three-tier';
const POLICIES = join(EXAMPLE, 'policies');

interface ExpectedSide {
  readonly pod: string | null;
  readonly isolatedBy: readonly string[];
  readonly reason: string;
  readonly rule: string | null;
}

interface ExpectedFlow {
  readonly id: string;
  readonly src: string;
  readonly sport: number | null;
  readonly dst: string;
  readonly dport: number | null;
  readonly protocol: 'TCP' | 'UDP' | 'ICMP';
  readonly protocolNumber: number;
  readonly expected: { readonly verdict: 'allowed' | 'denied'; readonly reason: string; readonly egress: ExpectedSide; readonly ingress: ExpectedSide };
  readonly packets: { readonly ethernet: number; readonly any: number };
  readonly related?: {
    readonly src: string;
    readonly dst: string;
    readonly protocolNumber: number;
    readonly icmpType: number;
    readonly expected: { readonly verdict: 'allowed' | 'denied'; readonly reason: string };
    readonly packets: { readonly ethernet: number };
  };
}

const expectedFlows = (JSON.parse(readFileSync(join(EXAMPLE, 'expected-flows.json'), 'utf8')) as { flows: ExpectedFlow[] }).flows;

function ip(text: string): IpAddress {
  const parsed = parseIp(text);
  if (!parsed.ok) throw new Error(`bad address in expected-flows.json: ${text}`);
  return parsed.value;
}

const DIRECTION_REASON_NAME = new Map<number, string>(Object.entries(DirectionReason).map(([key, value]) => [value, key.toLowerCase().replaceAll('_', '-')]));

function describeSide(side: DirectionVerdict): ExpectedSide {
  return {
    pod: side.pod === null ? null : `${side.pod.namespace}/${side.pod.name}`,
    isolatedBy: side.isolatedBy,
    reason: DIRECTION_REASON_NAME.get(side.reason) ?? `unknown ${side.reason}`,
    rule: side.rule === null ? null : formatRuleRef(side.rule),
  };
}

/** IPv4 packets of a classic little-endian pcap: link type 1 (Ethernet) or 276 (SLL2). */
function readIpv4Packets(file: string): { linkType: number; size: number; packets: { src: string; dst: string; proto: number; sport: number; dport: number; icmpType: number }[] } {
  const buf = readFileSync(file);
  expect(buf.readUInt32LE(0)).toBe(0xa1b2c3d4);
  const linkType = buf.readUInt32LE(20) & 0xffff;
  const packets = [];
  for (let off = 24; off + 16 <= buf.length; ) {
    const caplen = buf.readUInt32LE(off + 8);
    const frame = buf.subarray(off + 16, off + 16 + caplen);
    off += 16 + caplen;
    const [etherType, l3] = linkType === 1 ? [frame.readUInt16BE(12), 14] : [frame.readUInt16BE(0), 20];
    if (etherType !== 0x0800) continue;
    const ihl = ((frame[l3] as number) & 0x0f) * 4;
    const proto = frame[l3 + 9] as number;
    const dotted = (at: number): string => [...frame.subarray(at, at + 4)].join('.');
    const l4 = l3 + ihl;
    const ports = proto === 6 || proto === 17;
    packets.push({
      src: dotted(l3 + 12),
      dst: dotted(l3 + 16),
      proto,
      sport: ports ? frame.readUInt16BE(l4) : 0,
      dport: ports ? frame.readUInt16BE(l4 + 2) : 0,
      icmpType: proto === 1 ? (frame[l4] as number) : -1,
    });
  }
  return { linkType, size: buf.length, packets };
}

describe('example three-tier - manifests', () => {
  const { cluster, diagnostics, stats } = loadCluster({ paths: [EXAMPLE] });

  it('example three-tier - loads with no errors or warnings; only expected-flows.json is skipped', () => {
    expect(diagnostics.filter((d) => d.severity !== 'info')).toEqual([]);
    expect(diagnostics.map((d) => d.code)).toEqual(['skipped-kind']);
    expect(stats.skipped).toEqual({ 'netpol-emu.test/v1/ExpectedFlows': 1 });
  });

  it('example three-tier - object counts', () => {
    expect(stats.used).toEqual({ Namespace: 3, Pod: 8, NetworkPolicy: 5 });
    expect(cluster.namespaces.map((n) => n.name)).toEqual(['app1-ns', 'ingress-nginx', 'kube-system']);
    expect(cluster.policies.map((p) => p.name)).toEqual(['backend-policy', 'db-dns-egress-or-form', 'db-policy', 'default-deny-all', 'frontend-policy']);
    expect(cluster.pods.filter((p) => p.hostNetwork).map((p) => p.name)).toEqual(['kube-proxy-node1']);
  });

  it('example three-tier - namespaces carry the synthesized kubernetes.io/metadata.name label', () => {
    const labels = Object.fromEntries(cluster.namespaces.map((n) => [n.name, n.labels]));
    expect(labels).toEqual({
      'app1-ns': { app: 'app1', 'kubernetes.io/metadata.name': 'app1-ns' },
      'ingress-nginx': { 'app.kubernetes.io/name': 'ingress-nginx', 'kubernetes.io/metadata.name': 'ingress-nginx' },
      'kube-system': { 'kubernetes.io/metadata.name': 'kube-system' },
    });
    expect(cluster.namespaces.every((n) => n.declared)).toBe(true);
  });

  it('example three-tier - the hostNetwork pod on the node IP is not a pod endpoint', () => {
    const evaluator = new NaiveEvaluator(cluster);
    expect(evaluator.podByIp(ip('172.18.0.2'))).toBeNull();
    expect(evaluator.podByIp(ip('10.244.2.20'))?.name).toBe('metrics-agent-x2');
  });
});

describe('example three-tier - naive verdicts of the recorded flows', () => {
  const evaluator = new NaiveEvaluator(loadCluster({ paths: [EXAMPLE] }).cluster);

  it('example three-tier - expected-flows.json lists F01..F20', () => {
    expect(expectedFlows.map((f) => f.id)).toEqual(Array.from({ length: 20 }, (_, i) => `F${String(i + 1).padStart(2, '0')}`));
  });

  for (const flow of expectedFlows) {
    it(`example three-tier - ${flow.id} ${flow.src} -> ${flow.dst}:${flow.dport ?? '-'}/${flow.protocol} is ${flow.expected.verdict}`, () => {
      // ICMP has no ports: the evaluator takes dstPort 0 (Flow contract).
      const verdict = evaluator.evaluate({ src: ip(flow.src), dst: ip(flow.dst), protocol: flow.protocolNumber, dstPort: flow.dport ?? 0 });
      expect({
        verdict: verdict.allowed ? 'allowed' : 'denied',
        reason: REASON_NAME[verdict.reason],
        egress: describeSide(verdict.egress),
        ingress: describeSide(verdict.ingress),
      }).toEqual({ verdict: flow.expected.verdict, reason: flow.expected.reason, egress: flow.expected.egress, ingress: flow.expected.ingress });
    });
  }

  it('example three-tier - the ICMP port unreachable answering F19 is denied when evaluated as a new packet', () => {
    const related = expectedFlows.find((f) => f.related !== undefined)?.related;
    expect(related).toBeDefined();
    if (!related) return;
    const verdict = evaluator.evaluate({ src: ip(related.src), dst: ip(related.dst), protocol: related.protocolNumber, dstPort: 0 });
    expect([verdict.allowed ? 'allowed' : 'denied', REASON_NAME[verdict.reason]]).toEqual([related.expected.verdict, related.expected.reason]);
  });

  it('example three-tier - no packet of a denied flow would be allowed in the reverse direction either', () => {
    // Replies of denied flows exist on the wire only because the recording network enforced
    // nothing; with no conntrack entry they must not get through as new flows.
    for (const flow of expectedFlows.filter((f) => f.expected.verdict === 'denied')) {
      const reverse = evaluator.evaluate({ src: ip(flow.dst), dst: ip(flow.src), protocol: flow.protocolNumber, dstPort: flow.sport ?? 0 });
      expect([flow.id, reverse.allowed]).toEqual([flow.id, false]);
    }
  });
});

describe('example three-tier - seed variant', () => {
  it('example three-tier - the seed backend-policy (role: web) denies frontend -> backend at the backend ingress', () => {
    const files = ['namespaces.yaml', 'pods.yaml'].map((f) => join(EXAMPLE, f));
    const policies = ['default-deny-all.yaml', 'frontend-policy.yaml', 'db-policy.yaml', 'db-dns-egress-or-form.yaml'].map((f) => join(POLICIES, f));
    const { cluster, diagnostics } = loadCluster({ paths: [...files, ...policies, 'examples/three-tier-variants/seed-backend-policy-role-web.yaml'] });
    expect(diagnostics).toEqual([]);
    const evaluator = new NaiveEvaluator(cluster);
    const f03 = evaluator.evaluate({ src: ip('10.244.1.10'), dst: ip('10.244.1.11'), protocol: 6, dstPort: 5678 });
    expect([f03.allowed, REASON_NAME[f03.reason], f03.egress.allowed]).toEqual([false, 'drop-ingress-default-deny', true]);
    const f04 = evaluator.evaluate({ src: ip('10.244.1.11'), dst: ip('10.244.2.12'), protocol: 6, dstPort: 3306 });
    expect(f04.allowed).toBe(true);
  });
});

describe('example three-tier - captures', () => {
  const key = (src: string, sport: number, dst: string, dport: number, proto: number): string => `${proto} ${src}:${sport} ${dst}:${dport}`;

  function countFlowPackets(packets: ReturnType<typeof readIpv4Packets>['packets']): { perFlow: Map<string, number>; explained: number } {
    const perFlow = new Map<string, number>();
    let explained = 0;
    for (const flow of expectedFlows) {
      const n = packets.filter((p) => {
        if (p.proto !== flow.protocolNumber) return false;
        if (flow.protocol === 'ICMP') return ((p.src === flow.src && p.dst === flow.dst) || (p.src === flow.dst && p.dst === flow.src)) && (p.icmpType === 8 || p.icmpType === 0);
        const forward = key(flow.src, flow.sport ?? 0, flow.dst, flow.dport ?? 0, flow.protocolNumber);
        return key(p.src, p.sport, p.dst, p.dport, p.proto) === forward || key(p.dst, p.dport, p.src, p.sport, p.proto) === forward;
      }).length;
      perFlow.set(flow.id, n);
      explained += n;
      if (flow.related) {
        const related = flow.related;
        const r = packets.filter((p) => p.proto === 1 && p.icmpType === related.icmpType && p.src === related.src && p.dst === related.dst).length;
        perFlow.set(`${flow.id}-related`, r);
        explained += r;
      }
    }
    return { perFlow, explained };
  }

  const expectedCounts = (field: 'ethernet' | 'any'): Map<string, number> => {
    const m = new Map<string, number>();
    for (const flow of expectedFlows) {
      m.set(flow.id, flow.packets[field]);
      if (flow.related) m.set(`${flow.id}-related`, field === 'ethernet' ? flow.related.packets.ethernet : flow.related.packets.ethernet * 2);
    }
    return m;
  };

  it('example three-tier - capture.pcap is Ethernet and every IPv4 packet belongs to a listed flow', () => {
    const { linkType, size, packets } = readIpv4Packets(join(EXAMPLE, 'capture.pcap'));
    expect(linkType).toBe(1);
    expect(size).toBeLessThan(100 * 1024);
    const { perFlow, explained } = countFlowPackets(packets);
    expect(perFlow).toEqual(expectedCounts('ethernet'));
    expect(explained).toBe(packets.length);
  });

  it('example three-tier - capture-any.pcap is SLL2 with every IPv4 packet twice', () => {
    const { linkType, size, packets } = readIpv4Packets(join(EXAMPLE, 'capture-any.pcap'));
    expect(linkType).toBe(276);
    expect(size).toBeLessThan(100 * 1024);
    const { perFlow, explained } = countFlowPackets(packets);
    expect(perFlow).toEqual(expectedCounts('any'));
    expect(explained).toBe(packets.length);
    expect(packets.length).toBe(2 * readIpv4Packets(join(EXAMPLE, 'capture.pcap')).packets.length);
  });
});
