/**
 * `merge --flows` of per-node flow logs: the bundled capture cut into what each node would have
 * captured (`split --by node`: a pod-to-pod packet between node1 and node2 is in both files) and
 * replayed per node gives, once joined, exactly the single replay's flows — each connection once,
 * with the same verdict, rules, packets and times — and a connection seen on both nodes carries
 * both sides' verdicts. The recomputed flow summary equals the single replay's.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';

const CAPTURE = 'examples/three-tier/capture.pcap';
const CLUSTER = ['-f', 'examples/three-tier'];

type Flow = Record<string, unknown> & { src: string; dst: string; srcPod: string | null; dstPod: string | null; verdict: string; seenOn?: { part: string; verdict: string; reason: string }[] };

function parseLines(text: string): Flow[] {
  return text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Flow);
}

function withoutSides(f: Flow): Flow {
  const { seenOn, ...rest } = f;
  return rest as Flow;
}

const byKey = (a: Flow, b: Flow): number => {
  const ka = JSON.stringify([a['firstSeen'], a.src, a['sport'], a.dst, a['dport'], a['protocol']]);
  const kb = JSON.stringify([b['firstSeen'], b.src, b['sport'], b.dst, b['dport'], b['protocol']]);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};

/** Splits the bundled capture by node and replays each node's file with `extra` per node; returns the flow logs. */
async function perNodeLogs(extra: (node: string) => string[] = () => []): Promise<{ dir: string; logs: string[]; nodes: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'npe-join-'));
  const split = await runCli(['split', CAPTURE, '--by', 'node', ...CLUSTER, '-o', join(dir, 'nodes')]);
  expect(split.code).toBe(0);
  const nodes = readdirSync(join(dir, 'nodes')).map((f) => f.replace('.pcap', '')).sort();
  const logs: string[] = [];
  for (const node of nodes) {
    const log = join(dir, `${node}.flows.jsonl`);
    const run = await runCli(['replay', join(dir, 'nodes', `${node}.pcap`), ...CLUSTER, '--flows', log, '-o', 'json', ...extra(node)]);
    expect(run.code).toBe(0);
    logs.push(log);
  }
  return { dir, logs, nodes };
}

describe('merge - flow logs of per-node captures', () => {
  it('merge - joined per-node flows equal the single replay, cross-node connections with both verdicts', async () => {
    const single = await runCli(['replay', CAPTURE, ...CLUSTER, '--flows', '-', '-o', 'json']);
    const singleFlows = parseLines(single.stdout);
    const singleSummary = JSON.parse(single.stderr) as Record<string, unknown>;
    const { logs, nodes } = await perNodeLogs();
    expect(nodes).toEqual(expect.arrayContaining(['node1', 'node2']));

    const run = await runCli(['merge', '--flows', ...logs, '--flows-out', '-', '-o', 'json']);
    expect(run.code).toBe(0);
    const joined = parseLines(run.stdout);
    expect(joined.map(withoutSides).sort(byKey)).toEqual([...singleFlows].sort(byKey));

    // node1 holds 10.244.1.0/24 and 172.18.0.2; node2 10.244.2.0/24 and 172.18.0.3.
    const nodeOf = (ip: string): string | null => (ip.startsWith('10.244.1.') || ip === '172.18.0.2' ? 'node1' : ip.startsWith('10.244.2.') || ip === '172.18.0.3' ? 'node2' : null);
    const crossNode = joined.filter((f) => nodeOf(f.src) !== null && nodeOf(f.dst) !== null && nodeOf(f.src) !== nodeOf(f.dst));
    expect(crossNode.length).toBeGreaterThan(2);
    for (const f of crossNode) {
      expect(f.seenOn?.map((s) => s.part)).toEqual(['node1', 'node2']);
      expect(f.seenOn?.every((s) => s.verdict === f.verdict)).toBe(true);
    }
    for (const f of joined.filter((j) => !crossNode.includes(j))) expect(f.seenOn).toHaveLength(1);

    const summary = JSON.parse(run.stderr) as { flows: unknown; joined: { flows: number; verdictsDiffer: number }; topDenied: Flow[]; allowedBy: unknown };
    expect(summary.flows).toEqual(singleSummary['flows']);
    expect(summary.joined).toEqual({ flows: crossNode.length, verdictsDiffer: 0 });
    expect(summary.topDenied.map(withoutSides)).toEqual(singleSummary['topDenied']);
    expect(summary.allowedBy).toEqual(singleSummary['allowedBy']);

    // The text form prints the same top-denied and allowed-by lines as the replay.
    const text = (await runCli(['merge', '--flows', ...logs])).stdout;
    const singleText = (await runCli(['replay', CAPTURE, ...CLUSTER])).stdout;
    const from = (t: string): string => t.slice(t.indexOf('\ntop denied flows:'));
    expect(from(text)).toBe(from(singleText));
  });

  it('merge - when the nodes judge a connection differently, the joined flow is denied and shows both', async () => {
    // node2 runs Cilium (ipBlock does not match pods), node1 Calico: ingress-nginx (node2) -> frontend (node1).
    const { logs } = await perNodeLogs((node) => ['--cni', node === 'node2' ? 'cilium' : 'calico']);
    const run = await runCli(['merge', '--flows', ...logs, '--flows-out', '-', '-o', 'json']);
    expect(run.code).toBe(0);
    const flow = parseLines(run.stdout).find((f) => f.srcPod === 'ingress-nginx/ingress-nginx-controller-7d' && f.dstPod === 'app1-ns/frontend-7c9d5');
    expect(flow?.verdict).toBe('denied');
    expect(flow?.seenOn).toEqual([
      { part: 'node1', verdict: 'allowed', reason: 'allow-policy', rule: 'app1-ns/frontend-policy ingress[0] from[0] ports[0]' },
      { part: 'node2', verdict: 'denied', reason: 'drop-ingress-default-deny', rule: null },
    ]);
    expect((JSON.parse(run.stderr) as { joined: { verdictsDiffer: number } }).joined.verdictsDiffer).toBeGreaterThanOrEqual(1);
  });

  it('merge - two lines of one part with the same tuple stay two connections; a bad line is invalid input', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'npe-join-bad-'));
    const line = (first: string, last: string): string =>
      JSON.stringify({ src: '10.0.0.1', sport: 1000, dst: '10.0.0.2', dport: 80, protocol: 'TCP', srcPod: null, dstPod: null, verdict: 'denied', reason: 'drop-ingress-default-deny', policy: null, rule: null, egressRule: null, ingressRule: null, isolatedBy: [], state: null, packets: { forward: 1, reply: 0, dropped: 1 }, bytes: { forward: 60, reply: 0 }, firstSeen: first, lastSeen: last });
    const a = join(dir, 'a.jsonl');
    const b = join(dir, 'b.jsonl');
    writeFileSync(a, `${line('2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z')}\n${line('2026-01-01T00:05:00.000000Z', '2026-01-01T00:05:00.000000Z')}\n`);
    // b saw the second attempt, 300 µs later (another node's clock).
    writeFileSync(b, `${line('2026-01-01T00:05:00.000300Z', '2026-01-01T00:05:00.000300Z').replace('"src":"10.0.0.1","sport":1000,"dst":"10.0.0.2","dport":80', '"src":"10.0.0.2","sport":80,"dst":"10.0.0.1","dport":1000')}\n`);
    const run = await runCli(['merge', '--flows', a, b, '--flows-out', '-', '-o', 'json']);
    expect(run.code).toBe(0);
    const flows = parseLines(run.stdout);
    expect(flows.map((f) => f.seenOn?.map((s) => s.part))).toEqual([['a'], ['a', 'b']]);
    // The orientation of the earliest sighting wins.
    expect(flows[1]?.src).toBe('10.0.0.1');
    writeFileSync(b, '{"src": 1}\n');
    const bad = await runCli(['merge', '--flows', a, b]);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain(`${b}: line 1: not a flow line`);
  });
});
