/**
 * `advise` on the bundled three-tier capture: one file per namespace, policies per workload
 * (labels, never pod names), DNS egress to the cluster DNS pods, ports by name, comments per
 * rule; the proof it prints agrees with an independent replay of the capture against the
 * cluster plus the advice, and against the pods with the advice alone.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCluster } from '../src/index.js';
import { runCli, type CliRun } from './helpers/run-cli.js';
import { flowKey as key, replayFlowLines, type FlowLine } from './helpers/advise-flows.js';

const CAPTURE = 'examples/three-tier/capture.pcap';
const EXAMPLE = 'examples/three-tier';
const PODS = ['-f', join(EXAMPLE, 'namespaces.yaml'), '-f', join(EXAMPLE, 'pods.yaml')];

const root = mkdtempSync(join(tmpdir(), 'netpol-advise-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const flows = (args: readonly string[]): Promise<FlowLine[]> => replayFlowLines([CAPTURE, ...args]);

let advise: CliRun;
const out = join(root, 'advice');

beforeAll(async () => {
  advise = await runCli(['advise', CAPTURE, '-f', EXAMPLE, '-o', out]);
});

describe('advise - three-tier', () => {
  it('advise - writes one valid file per namespace, policies named after workloads', () => {
    expect(advise.code, advise.stderr).toBe(0);
    const files = readdirSync(out).sort();
    expect(files).toContain('app1-ns.yaml');
    expect(files).toContain('kube-system.yaml');
    const loaded = loadCluster({ paths: [out] });
    expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const names = loaded.cluster.policies.map((p) => `${p.namespace}/${p.name}`);
    expect(names).toContain('app1-ns/advised-app1-frontend');
    expect(names).toContain('app1-ns/advised-app1-backend');
    // Selectors use workload labels, never a pod name (names appear in comments only).
    for (const p of loaded.cluster.policies) {
      const text = JSON.stringify([p.podSelector, p.ingress, p.egress], (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
      for (const pod of ['frontend-7c9d5', 'backend-5f8b6', 'db-sts-0', 'coredns-6f6b-a']) expect(text).not.toContain(pod);
    }
  });

  it('advise - DNS egress to the cluster DNS pods, ports by name, a comment per rule', () => {
    const text = readFileSync(join(out, 'app1-ns.yaml'), 'utf8');
    expect(text).toMatch(/"kubernetes.io\/metadata.name": "kube-system"\n\s+podSelector:\n\s+matchLabels:\n\s+"k8s-app": "kube-dns"/);
    expect(text).toContain('port: "dns"');
    expect(text).toContain('port: "http-api"');
    expect(text).toMatch(/# to kube-system\/kube-dns: \d+ connections?\n\s+# {3}app1-ns\/\S+ -> kube-system\/coredns-6f6b-\w UDP\/dns/);
  });

  it('advise - the printed proof matches an independent replay against the cluster plus the advice', async () => {
    const open = await flows(PODS);
    // The capture's one ICMP error (tcpdump: "10.244.1.2 udp port 5353 unreachable") answers the
    // client's query to 10.244.1.2:5353: a refusal, though a packet came back.
    const refusedByIcmp = open.filter((f) => f.protocol === 'UDP' && f.dst === '10.244.1.2' && f.dport === 5353).map(key);
    expect(refusedByIcmp).toHaveLength(1);
    const answered = new Set(open.filter((f) => f.verdict === 'allowed' && f.packets.reply > 0 && !refusedByIcmp.includes(key(f))).map(key));
    const unanswered = new Set(open.filter((f) => f.verdict === 'allowed' && !answered.has(key(f))).map(key));
    expect(advise.stdout).toContain(`${refusedByIcmp[0]}: refused: answered by ICMP destination unreachable`);
    expect(answered.size).toBeGreaterThan(5);
    expect(unanswered.size).toBeGreaterThan(0);
    const advised = await flows(['-f', EXAMPLE, '-f', out]);
    const verdict = new Map(advised.filter((f) => !f.reason.startsWith('drop-conntrack')).map((f) => [key(f), f.verdict]));
    for (const k of answered) expect(verdict.get(k), k).toBe('allowed');
    const stillAllowed = [...unanswered].filter((k) => verdict.get(k) === 'allowed');
    expect(advise.stdout).toContain(`connections that worked, allowed: ${answered.size} of ${answered.size}`);
    expect(advise.stdout).toContain(`refused connections, denied: ${unanswered.size - stillAllowed.length} of ${unanswered.size}`);
    for (const k of stillAllowed) expect(advise.stdout).toContain(k);
  });

  it('advise - with the current policies replaced by the advice, connections that worked pass and refused ones do not', async () => {
    const open = await flows(PODS);
    const refusedByIcmp = new Set(open.filter((f) => f.protocol === 'UDP' && f.dst === '10.244.1.2' && f.dport === 5353).map(key));
    const answered = new Set(open.filter((f) => f.verdict === 'allowed' && f.packets.reply > 0 && !refusedByIcmp.has(key(f))).map(key));
    const advised = await flows([...PODS, '-f', out]);
    for (const f of advised) {
      if (f.reason.startsWith('drop-conntrack')) continue;
      expect(f.verdict, key(f)).toBe(answered.has(key(f)) ? 'allowed' : 'denied');
    }
  });

  it('advise - without -o the policies go to stdout and the proof to stderr; --default-deny adds one per namespace', async () => {
    const run = await runCli(['advise', CAPTURE, '-f', EXAMPLE, '--default-deny']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('kind: "NetworkPolicy"');
    expect(run.stdout).toContain('name: "advised-default-deny"');
    expect(run.stderr).toContain('proof:');
  });

  it('advise - usage errors', async () => {
    expect((await runCli(['advise', '-f', EXAMPLE])).code).toBe(2);
    // '-' needs a standard input to spool.
    expect((await runCli(['advise', '-', '-f', EXAMPLE])).code).toBe(2);
    expect((await runCli(['advise', CAPTURE, '-f', EXAMPLE, '-o', 'json', '--dir'])).code).toBe(2);
    expect((await runCli(['advise', CAPTURE, '-f', EXAMPLE, '-o', out, '--dir', out])).code).toBe(2);
    expect((await runCli(['advise', '--help'])).stdout).toContain('--default-deny');
  });
});
