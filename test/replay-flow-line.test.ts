/**
 * `--flows` writes each line with flowLine (hand-built JSON, for speed); it must be byte for byte
 * the serialisation of the flow's report object, on every kind of flow: TCP/UDP/ICMP, IPv4/IPv6,
 * allowed by a rule, not isolated, denied both ways, INVALID, table full, with a timeline's
 * verdict changes, under both engines.
 */
import { describe, expect, it } from 'vitest';
import { flowLine, flowReport, loadCluster, readFlowsJsonl, loadTimeline, policySemantics, replayCapture, resolveProfile } from '../src/index.js';

interface Case {
  readonly name: string;
  readonly capture: string;
  readonly cluster: string;
  readonly engine?: 'compiled' | 'naive';
  readonly timeline?: string;
  readonly cni?: string;
  readonly conntrackMax?: number;
  /** The capture is a JSONL flow file (replay --flows-in). */
  readonly jsonl?: boolean;
}

const CASES: readonly Case[] = [
  { name: 'bundled capture', capture: 'examples/three-tier/capture.pcap', cluster: 'examples/three-tier' },
  { name: 'bundled capture, naive engine', capture: 'examples/three-tier/capture.pcap', cluster: 'examples/three-tier', engine: 'naive' },
  { name: 'tcpdump -i any capture, Cilium', capture: 'examples/three-tier/capture-any.pcap', cluster: 'examples/three-tier', cni: 'cilium' },
  { name: 'timeline with verdict changes, OVN', capture: 'examples/three-tier/capture.pcap', cluster: 'examples/three-tier', timeline: 'test/fixtures/timelines/delete-frontend-policy.yaml', cni: 'ovn-kubernetes' },
  { name: 'IPv6 and ICMPv6', capture: 'test/fixtures/decode/icmpv6-rfc7112.pcap', cluster: 'test/fixtures/clusters/dual-stack' },
  { name: 'IPv6 over a raw link', capture: 'test/fixtures/decode/LINKTYPE_IPV6.pcap', cluster: 'examples/three-tier' },
  { name: 'two link types, ICMP', capture: 'test/fixtures/captures/mixed-eth-sll.pcapng', cluster: 'examples/three-tier' },
  { name: 'a full conntrack table', capture: 'examples/three-tier/capture.pcap', cluster: 'examples/three-tier', conntrackMax: 2 },
  { name: 'admin tiers: Deny rules, Pass', capture: 'examples/admin-tiers/flows.jsonl', cluster: 'examples/admin-tiers', jsonl: true },
  { name: 'a Service: endpoint, endpoint verdicts', capture: 'examples/service/capture-client.pcap', cluster: 'examples/service/cluster.yaml' },
  { name: 'a Service seen on the node (-i any)', capture: 'test/fixtures/services/service-node-any.pcap', cluster: 'test/fixtures/services/cluster.yaml' },
  { name: 'VXLAN on the underlay', capture: 'test/fixtures/overlay/overlay-underlay.pcap', cluster: 'test/fixtures/overlay/cluster.yaml' },
  { name: 'pcapng, two sections', capture: 'test/fixtures/captures/two-sections.pcapng', cluster: 'examples/three-tier' },
];

describe('replay - flow lines', () => {
  for (const c of CASES) {
    it(`replay - flowLine equals JSON.stringify(flowReport) (${c.name})`, async () => {
      const { cluster, objects } = loadCluster({ paths: [c.cluster] });
      const resolved = resolveProfile(c.cni ?? 'upstream', []);
      if (!resolved.ok) throw new Error(resolved.error);
      const profile = resolved.profile;
      const pairs: [string, string][] = [];
      await replayCapture(cluster, c.capture, c.capture, {
        engine: c.engine ?? 'compiled',
        semantics: policySemantics(profile.values),
        dataplane: { dropInvalid: profile.values.dropInvalidCt, reevaluateEstablished: profile.values.reevaluateEstablished, ...(c.conntrackMax ? { conntrackCapacity: 16, conntrackMax: c.conntrackMax } : {}) },
        ...(c.timeline ? { timeline: { events: loadTimeline(c.timeline), objects } } : {}),
        ...(c.jsonl ? { reader: readFlowsJsonl } : {}),
        onFlow: (records, f, provenances) => pairs.push([flowLine(records, provenances, f), JSON.stringify(flowReport(records, provenances, f))]),
      });
      expect(pairs.length).toBeGreaterThan(0);
      for (const [line, reference] of pairs) expect(line).toBe(reference);
      if (c.jsonl) expect(pairs.some(([line]) => line.includes('"passedBy"'))).toBe(true);
      if (c.name.startsWith('a Service')) expect(pairs.some(([line]) => line.includes('"service"'))).toBe(true);
      if (c.name.startsWith('VXLAN')) expect(pairs.some(([line]) => line.includes('"tunnel"'))).toBe(true);
    });
  }
});
