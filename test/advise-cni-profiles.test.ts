/**
 * `advise --cni P` writes advice that works under P: replaying the flows against the cluster plus
 * the advice, under the same profile, allows every connection that worked, except those the
 * advice says no NetworkPolicy can allow under P (listed in the proof with what the CNI needs).
 * test/fixtures/advise-cni: a kubelet-like probe from the pod's own node and one from another
 * node (a hostNetwork pod's address), egress from the pod to both nodes, a Service reached through
 * a NodePort from outside (its source after kube-proxy's masquerade, or the client's under Calico
 * eBPF), a port name that means two numbers, and an external client.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';
import { flowKey, replayFlowLines, type AdviceJson, type FlowLine } from './helpers/advise-flows.js';

const DIR = 'test/fixtures/advise-cni';
const INPUT = ['--flows-in', join(DIR, 'flows.jsonl')];
const CLUSTER = ['-f', join(DIR, 'cluster.yaml')];
const NODE1 = '172.18.0.2';
const NODE2 = '172.18.0.3';

const root = mkdtempSync(join(tmpdir(), 'netpol-advise-cni-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Case {
  readonly label: string;
  readonly profile: readonly string[];
  advice?: AdviceJson;
  replayed?: FlowLine[];
}

const EXTRA: readonly Case[] = [
  { label: 'cilium, localNodeToPodAllowed=false', profile: ['--cni', 'cilium', '--cni-opt', 'localNodeToPodAllowed=false'] },
  { label: 'upstream, ipBlockMatchesNodeIps=false, podToLocalNodeEgressPoliced=false', profile: ['--cni', 'upstream', '--cni-opt', 'ipBlockMatchesNodeIps=false', '--cni-opt', 'podToLocalNodeEgressPoliced=false'] },
  { label: 'upstream, localNodeToPodAllowed=false', profile: ['--cni', 'upstream', '--cni-opt', 'localNodeToPodAllowed=false'] },
];
const cases: Case[] = [];
const caseOf = (label: string): Required<Case> => cases.find((c) => c.label === label) as Required<Case>;

beforeAll(async () => {
  const profiles = Object.keys((JSON.parse((await runCli(['profiles', '-o', 'json'])).stdout) as { profiles: Record<string, unknown> }).profiles);
  expect(profiles).toContain('cilium');
  cases.push(...profiles.map((p): Case => ({ label: p, profile: ['--cni', p] })), ...EXTRA.map((c) => ({ ...c })));
  for (const [i, c] of cases.entries()) {
    const out = join(root, `advice-${i}`);
    const run = await runCli(['advise', ...INPUT, ...CLUSTER, ...c.profile, '-o', 'json', '--dir', out]);
    expect(run.code, `${c.label}: ${run.stderr}`).toBe(0);
    c.advice = JSON.parse(run.stdout) as AdviceJson;
    c.replayed = await replayFlowLines([...INPUT, ...CLUSTER, '-f', out, ...c.profile]);
  }
}, 120_000);

/** Source and destination of the connections the proof lists as beyond NetworkPolicy. */
const beyond = (c: Required<Case>): string[] => c.advice.proof.workedBeyondPolicy.map((i) => i.connection.replace(/^TCP (\S+):\d+ -> (\S+):(\d+)$/, '$1 -> $2:$3')).sort();

describe('advise - under CNI profiles', () => {
  it('advise cni - a replay of the advice under the same profile allows every connection that worked, but those listed as beyond NetworkPolicy', () => {
    expect(cases.length).toBe(12);
    for (const c of cases as Required<Case>[]) {
      expect(c.advice.connections.worked, c.label).toBe(8);
      expect(c.advice.proof.workedDenied, c.label).toEqual([]);
      expect(c.advice.proof.holds, c.label).toBe(true);
      const verdict = new Map(c.replayed.map((f) => [flowKey(f), f.verdict]));
      const listed = new Set(c.advice.proof.workedBeyondPolicy.map((i) => i.connection));
      for (const a of c.advice.allowed) expect(`${c.label}: ${a.connection} ${verdict.get(a.connection)}`).toBe(`${c.label}: ${a.connection} ${listed.has(a.connection) ? 'denied' : 'allowed'}`);
      expect(c.advice.proof.workedAllowed + listed.size, c.label).toBe(8);
    }
  });

  it('advise cni - cilium: no ipBlock for node addresses; node traffic is a note naming the Cilium entity', () => {
    const cilium = caseOf('cilium');
    const manifests = JSON.stringify(cilium.advice.policies.map((p) => p.manifest));
    expect(manifests).not.toContain(NODE1);
    expect(manifests).not.toContain(NODE2);
    // From node2 (a probe, and the NodePort connection kube-proxy masqueraded), to node2, to the pod's own node1.
    expect(beyond(cilium)).toEqual([`10.244.1.20 -> ${NODE1}:6443`, `10.244.1.20 -> ${NODE2}:10250`, `${NODE2} -> 10.244.1.20:8080`, `${NODE2} -> 10.244.1.20:8080`]);
    const needs = Object.fromEntries(cilium.advice.proof.workedBeyondPolicy.map((i) => [i.connection.replace(/:\d+ ->/, ' ->'), i.needs]));
    expect(needs[`TCP ${NODE2} -> 10.244.1.20:8080`]).toContain('CiliumNetworkPolicy fromEntities: [remote-node]');
    expect(needs[`TCP 10.244.1.20 -> ${NODE2}:10250`]).toContain('CiliumNetworkPolicy toEntities: [remote-node]');
    expect(needs[`TCP 10.244.1.20 -> ${NODE1}:6443`]).toContain('CiliumNetworkPolicy toEntities: [host]');
    // The probe from the pod's own node needs no rule: the profile lets it in.
    const probe = cilium.replayed.find((f) => f.src === NODE1 && f.dport === 8080);
    expect(probe?.reason).toBe('allow-local-node');
    const web = cilium.advice.policies.find((p) => p.name === 'advised-web');
    expect(web?.notes.filter((n) => n.kind === 'exempt').map((n) => n.connection)).toEqual([`${NODE1} -> shop/web-0 TCP/http`]);
    expect(web?.comments).toContain('worked, but no NetworkPolicy can allow it under the CNI profile (3):');
    const yaml = readFileSync(join(root, `advice-${cases.indexOf(cilium)}`, 'shop.yaml'), 'utf8');
    expect(yaml).toContain(`#   ${NODE2} -> shop/web-0 TCP/http: an ipBlock does not match node addresses under cilium (ipBlockMatchesNodeIps=false): allow it with a CiliumNetworkPolicy fromEntities: [remote-node]`);
  });

  it('advise cni - cilium: an egress port whose name means two numbers is written by number', () => {
    const ports = (label: string, name: string): unknown[] => (caseOf(label).advice.policies.find((p) => p.name === name)?.manifest.spec.egress ?? []).flatMap((r) => r.ports ?? []);
    expect(ports('cilium', 'advised-web')).toEqual([{ protocol: 'TCP', port: 8081 }]);
    expect(ports('cilium', 'advised-api')).toEqual([{ protocol: 'TCP', port: 8080 }]);
    expect(ports('upstream', 'advised-web')).toContainEqual({ protocol: 'TCP', port: 'http' });
  });

  it('advise cni - the NodePort client is the source Calico eBPF keeps; the masquerading node elsewhere', () => {
    const sources = (label: string): string[] =>
      (caseOf(label).advice.policies.find((p) => p.name === 'advised-web')?.manifest.spec.ingress ?? []).flatMap((r) => r.from ?? []).flatMap((peer) => ('ipBlock' in peer ? [(peer['ipBlock'] as { cidr: string }).cidr] : []));
    expect(sources('calico-ebpf')).toEqual([`${NODE1}/32`, `${NODE2}/32`, '198.51.100.7/32', '203.0.113.9/32']);
    expect(sources('upstream')).toEqual([`${NODE1}/32`, `${NODE2}/32`, '198.51.100.7/32']);
  });

  it('advise cni - switches overridden: the probe from the own node needs a rule, or a note where ipBlock cannot name nodes', () => {
    expect(beyond(caseOf('cilium, localNodeToPodAllowed=false'))).toContain(`${NODE1} -> 10.244.1.20:8080`);
    const host = caseOf('cilium, localNodeToPodAllowed=false').advice.proof.workedBeyondPolicy.find((i) => i.connection.startsWith(`TCP ${NODE1}:`));
    expect(host?.needs).toContain('fromEntities: [host]');
    const generic = caseOf('upstream, ipBlockMatchesNodeIps=false, podToLocalNodeEgressPoliced=false');
    // Egress to the own node passes unpoliced; to the other node no NetworkPolicy can reach.
    expect(beyond(generic)).toEqual([`10.244.1.20 -> ${NODE2}:10250`, `${NODE2} -> 10.244.1.20:8080`, `${NODE2} -> 10.244.1.20:8080`]);
    expect(generic.advice.proof.workedBeyondPolicy[0]?.needs).toContain('no NetworkPolicy rule can allow it');
    expect(generic.advice.policies.find((p) => p.name === 'advised-web')?.notes.filter((n) => n.kind === 'exempt').map((n) => n.note)).toEqual([
      'traffic from the pod\'s own node passes under upstream (localNodeToPodAllowed=true)',
      'a pod reaches its own node unpoliced under upstream (podToLocalNodeEgressPoliced=false)',
    ]);
    const policed = caseOf('upstream, localNodeToPodAllowed=false');
    expect(policed.replayed.find((f) => f.src === NODE1 && f.dport === 8080)?.reason).toBe('allow-policy');
  });

  it('advise cni - cilium on a recorded SCTP association: no SCTP port, a note that Cilium needs sctp.enabled', async () => {
    const run = await runCli(['advise', 'test/fixtures/advise/refusals.pcap', '-f', 'test/fixtures/advise/cluster.yaml', '--cni', 'cilium', '-o', 'json']);
    expect(run.code, run.stderr).toBe(0);
    const advice = JSON.parse(run.stdout) as AdviceJson;
    expect(advice.proof.workedDenied).toEqual([]);
    expect(advice.proof.workedBeyondPolicy.map((i) => `${i.connection.replace(/:\d+ ->/, ' ->')}: ${i.needs}`)).toEqual([
      'SCTP 10.244.1.10 -> 10.244.2.20:3868: SCTP ports match nothing under cilium (sctpSupported=false): Cilium polices SCTP only with sctp.enabled=true; then a rule with port SCTP/diameter allows it',
    ]);
    const ports = JSON.stringify(advice.policies.map((p) => p.manifest));
    expect(ports).not.toContain('SCTP');
    const text = await runCli(['advise', 'test/fixtures/advise/refusals.pcap', '-f', 'test/fixtures/advise/cluster.yaml', '--cni', 'cilium']);
    expect(text.code).toBe(0);
    expect(text.stderr).toContain('  worked, but no NetworkPolicy can allow them under this CNI profile (1):\n    SCTP 10.244.1.10:40100 -> 10.244.2.20:3868 (answered by INIT ACK): SCTP ports match nothing under cilium');
  });
});
