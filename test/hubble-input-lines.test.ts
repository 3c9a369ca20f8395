/**
 * Hubble input, line by line: real published lines, the event kinds that are not packets, lost
 * events, malformed lines, format detection and the commands and options around it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';

const FIXTURES = 'test/fixtures/hubble';
const THREE_TIER = ['-f', 'examples/three-tier'];
const dir = mkdtempSync(join(tmpdir(), 'hubble-lines-'));

function file(name: string, lines: readonly (string | object)[]): string {
  const path = join(dir, name);
  writeFileSync(path, `${lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n')}\n`);
  return path;
}

/** A flow in the shape `hubble observe -o json` prints (flow.proto field names). */
function flow(time: string, src: string, dst: string, tcp: object, extra: object = {}): object {
  return {
    flow: { time, verdict: 'FORWARDED', IP: { source: src, destination: dst, ipVersion: 'IPv4' }, l4: { TCP: tcp }, Type: 'L3_L4', node_name: 'node1', event_type: { type: 4 }, trace_observation_point: 'TO_ENDPOINT', ...extra },
    node_name: 'node1',
    time,
  };
}

describe('hubble input lines', () => {
  it('hubble replay - real exporter lines from the Cilium docs: a policy drop compared, INVALID_SOURCE_IP reported as not policy', async () => {
    // Documentation/observability/hubble/configuration/export.rst (cilium/cilium): field-masked exporter lines.
    const run = await runCli(['replay', '--flows-in', `${FIXTURES}/cilium-docs-exporter.json`, ...THREE_TIER, '-o', 'json']);
    expect(run.code).toBe(0);
    const s = JSON.parse(run.stdout);
    expect(s.hubble.events.packets).toBe(2);
    expect(s.recorded.packets.droppedNotPolicy).toBe(1);
    expect(s.recorded.droppedNotPolicy).toEqual({ 'DROPPED INVALID_SOURCE_IP': 1 });
    // xwing -> deathstar is not policed in the three-tier cluster: Cilium's POLICY_DENIED disagrees.
    expect(s.recorded.packets.disagree).toBe(1);
    expect(s.recorded.topDisagreements[0].recorded).toEqual({ verdict: 'DROPPED', dropReason: 'POLICY_DENIED', policies: null });
    expect(run.stderr).toContain('2 pods named in the Hubble input are not in the cluster (1 observations; e.g. default/deathstar-7848d6c4d5-th9v2, default/xwing)');
    expect(run.stderr).toContain('add --cni cilium');
  });

  it('hubble replay - real exporter lines (TKE guide): reserved:world and reserved:host endpoints, an out-of-order line counted late', async () => {
    const run = await runCli(['replay', '--flows-in', `${FIXTURES}/tke-guide-exporter.json`, ...THREE_TIER, '--cni', 'cilium', '-o', 'json']);
    expect(run.code).toBe(0);
    const s = JSON.parse(run.stdout);
    expect(s.hubble.packetsReplayed).toBe(3);
    expect(s.hubble.endpoints).toEqual({ pod: 1, world: 3, host: 2 });
    // The first line is four minutes after the other two: beyond the 2 s window.
    expect(s.hubble.late).toBe(1);
    expect(s.recorded.packets).toMatchObject({ agree: 3, disagree: 0 });
    expect(run.stderr).not.toContain('--cni cilium');
  });

  it('hubble replay - events that are not L3/L4 packets are counted by kind and skipped; lost events mark their time range', async () => {
    const t = (s: number) => `2026-02-24T08:00:${String(s).padStart(2, '0')}.000000000Z`;
    const path = file('kinds.json', [
      flow(t(1), '10.244.1.10', '10.244.2.11', { source_port: 40000, destination_port: 5678, flags: { SYN: true } }, { is_reply: false }),
      { flow: { time: t(2), verdict: 'FORWARDED', IP: { source: '10.244.1.10', destination: '10.244.2.11', ipVersion: 'IPv4' }, l4: { TCP: { source_port: 40000, destination_port: 5678 } }, Type: 'L7', l7: { type: 'REQUEST', http: { method: 'GET', url: '/' } }, event_type: { type: 129 } } },
      { lost_events: { source: 'PERF_EVENT_RING_BUFFER', num_events_lost: '7', cpu: { value: 1 }, first: t(3), last: t(4) }, node_name: 'node1', time: t(4) },
      { agent_event: { type: 'POLICY_UPDATED', policy_update: { labels: ['k8s:io.cilium.k8s.policy.name=x'], revision: '2', rule_count: '1' } }, node_name: 'node1', time: t(4) },
      { debug_event: { type: 'DBG_GENERIC', message: 'x' }, node_name: 'node1', time: t(4) },
      { node_status: { state_change: 'NODE_CONNECTED', node_names: ['node1'] }, time: t(4) },
      '',
      { flow: { time: t(5), verdict: 'FORWARDED', ethernet: { source: 'aa:bb:cc:dd:ee:ff', destination: 'ff:ff:ff:ff:ff:ff' }, Type: 'L3_L4' } },
      { flow: { time: t(5), verdict: 'FORWARDED', IP: { source: '10.244.1.10', destination: '10.244.2.11', ipVersion: 'IPv4' }, l4: { SCTP: { source_port: 1, destination_port: 2 } }, Type: 'L3_L4' } },
      flow(t(3), '10.244.1.10', '10.244.2.11', { source_port: 40001, destination_port: 5678, flags: { SYN: true } }),
    ]);
    const run = await runCli(['replay', '--flows-in', path, ...THREE_TIER, '--cni', 'cilium', '-o', 'json']);
    expect(run.code).toBe(0);
    const s = JSON.parse(run.stdout);
    expect(s.hubble.events).toEqual({ packets: 2, l7: 1, sock: 0, lostEvents: 1, agentEvents: 1, debugEvents: 1, nodeStatus: 1, notIp: 1, otherL4: 1, debugCaptures: 0 });
    expect(s.hubble.lines).toBe(9);
    expect(s.hubble.lostEvents).toEqual({ events: 7, ranges: [{ from: '2026-02-24T08:00:03.000Z', to: '2026-02-24T08:00:04.000Z', events: 7 }] });
    expect(s.recorded.packets.inLostRanges).toBe(1);
    const text = await runCli(['replay', '--flows-in', path, ...THREE_TIER, '--cni', 'cilium']);
    expect(text.stdout).toContain('skipped (not L3/L4 packets): l7 1, lostEvents 1, agentEvents 1, debugEvents 1, nodeStatus 1, notIp 1, otherL4 1');
    expect(text.stdout).toContain('lost events: 7; verdicts unreliable in 1 time range:');
  });

  it('hubble replay - one packet seen at four points on two nodes is replayed once; the drop outranks the forwards', async () => {
    const base = { IP: { source: '10.244.1.10', destination: '10.244.2.12', ipVersion: 'IPv4' }, l4: { TCP: { source_port: 40100, destination_port: 3306, flags: { SYN: true } } }, Type: 'L3_L4' };
    const at = (us: number) => `2026-02-24T08:00:01.000${String(us).padStart(3, '0')}000Z`;
    const path = file('points.json', [
      { flow: { ...base, time: at(0), verdict: 'FORWARDED', node_name: 'node1', event_type: { type: 4, sub_type: 5 }, trace_observation_point: 'FROM_ENDPOINT', traffic_direction: 'EGRESS', is_reply: false } },
      { flow: { ...base, time: at(1), verdict: 'FORWARDED', node_name: 'node1', event_type: { type: 5 }, traffic_direction: 'EGRESS', egress_allowed_by: [{ name: 'frontend-policy', namespace: 'app1-ns', kind: 'NetworkPolicy' }] } },
      { flow: { ...base, time: at(2), verdict: 'FORWARDED', node_name: 'node1', event_type: { type: 4, sub_type: 4 }, trace_observation_point: 'TO_OVERLAY', traffic_direction: 'EGRESS' } },
      { flow: { ...base, time: at(40), verdict: 'DROPPED', drop_reason_desc: 'POLICY_DENIED', node_name: 'node2', event_type: { type: 1, sub_type: 133 }, traffic_direction: 'INGRESS' } },
    ]);
    const run = await runCli(['replay', '--flows-in', path, ...THREE_TIER, '--cni', 'cilium', '-o', 'json', '--flows', join(dir, 'points.flows')]);
    const s = JSON.parse(run.stdout);
    expect(s.hubble).toMatchObject({ packetsReplayed: 1, observationsMerged: 3 });
    // frontend -> db:3306 is denied (db's ingress allows only the backend): Cilium's drop agrees.
    expect(s.recorded.packets).toMatchObject({ agree: 1, disagree: 0 });
    const { readFileSync } = await import('node:fs');
    const line = JSON.parse(readFileSync(join(dir, 'points.flows'), 'utf8').trim());
    expect(line).toMatchObject({ verdict: 'denied', recordedVerdict: 'denied', recordedDropReason: 'POLICY_DENIED', recordedPolicies: 'allowed by NetworkPolicy app1-ns/frontend-policy', recordedAgree: true });
  });

  it('hubble replay - a malformed line stops the read naming file, line and field; the packets before it are replayed', async () => {
    const t = '2026-02-24T08:00:01.000000000Z';
    const path = file('bad.json', [
      flow(t, '10.244.1.10', '10.244.2.11', { source_port: 40000, destination_port: 5678, flags: { SYN: true } }),
      flow(t, '10.244.2.11', '10.244.1.10', { source_port: 5678, destination_port: 40000, flags: { SYN: true, ACK: true } }),
      flow(t, '10.244.1.10', '10.244.2.11', { source_port: 'x', destination_port: 5678 }),
      flow(t, '10.244.1.10', '10.244.2.11', { source_port: 40000, destination_port: 5678, flags: { ACK: true } }),
    ]);
    const run = await runCli(['replay', '--flows-in', path, ...THREE_TIER, '-o', 'json']);
    expect(run.code).toBe(4);
    expect(run.stderr).toContain(`${path} line 3: field "flow.l4.TCP.source_port" must be an integer from 0 to 65535; got "x"`);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    const s = JSON.parse(run.stdout);
    expect(s.packets.total).toBe(2);
    expect(s.capture.end).toBe('corrupt');
    for (const [bad, field] of [
      ['{"flow":{"time":"yesterday","IP":{"source":"10.0.0.1","destination":"10.0.0.2"},"l4":{"UDP":{}}}}', 'flow.time'],
      ['{"flow":{"time":"2026-02-24T08:00:01Z","IP":{"source":"10.0.0.999","destination":"10.0.0.2"},"l4":{"UDP":{}}}}', 'flow.IP.source'],
      ['{"flow":{"time":"2026-02-24T08:00:01Z","verdict":"MAYBE","IP":{"source":"10.0.0.1","destination":"10.0.0.2"},"l4":{"UDP":{}}}}', 'flow.verdict'],
      ['{"flow":{"time":"2026-02-24T08:00:01Z","IP":{"source":"10.0.0.1","destination":"10.0.0.2"},"l4":{"UDP":{}}}', ''],
    ] as const) {
      const one = await runCli(['replay', '--flows-in', file('bad-one.json', ['{"flow":{"time":"2026-02-24T08:00:00Z","IP":{"source":"10.0.0.1","destination":"10.0.0.2"},"l4":{"UDP":{}}}}', bad]), '--flows-format', 'hubble', ...THREE_TIER]);
      expect(one.code).toBe(4);
      expect(one.stderr).toContain('line 2: ');
      if (field) expect(one.stderr).toContain(`"${field}"`);
      else expect(one.stderr).toContain('not JSON');
    }
  });

  it('hubble replay - the format is judged from the first non-blank line; --flows-format forces it', async () => {
    const hubble = `${FIXTURES}/cilium-docs-exporter.json`;
    const forced = await runCli(['replay', '--flows-in', hubble, '--flows-format', 'netpol', ...THREE_TIER]);
    expect(forced.code).toBe(4);
    expect(forced.stderr).toContain('field "ts" must be seconds since the epoch');
    const jsonl = file('netpol.jsonl', ['', { ts: 1700000000.5, src: '10.244.1.10', dst: '10.244.2.11', protocol: 'TCP', sport: 40000, dport: 5678, packets: 8 }]);
    const plain = await runCli(['replay', '--flows-in', jsonl, ...THREE_TIER]);
    const auto = await runCli(['replay', '--flows-in', jsonl, '--flows-format', 'auto', ...THREE_TIER]);
    expect(plain.code).toBe(0);
    expect(auto.stdout).toBe(plain.stdout);
    expect(plain.stdout).not.toContain('Hubble');
    expect(plain.stdout).not.toContain('recorded');
    const window = await runCli(['replay', '--flows-in', jsonl, '--reorder-window', '5', ...THREE_TIER]);
    expect(window.code).toBe(2);
    expect(window.stderr).toContain('--reorder-window applies to Hubble input only');
    const noInput = await runCli(['replay', 'examples/three-tier/capture.pcap', '--flows-format', 'hubble', ...THREE_TIER]);
    expect(noInput.code).toBe(2);
  });

  it('hubble replay - --workers N with --flows-in is a usage error', async () => {
    const run = await runCli(['replay', '--flows-in', `${FIXTURES}/three-tier.json`, '--workers', '2', ...THREE_TIER]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--workers 2 cannot be combined with --flows-in (use --workers 1)');
  });

  it('hubble advise and diff - read the same Hubble input', async () => {
    const advise = await runCli(['advise', '--flows-in', `${FIXTURES}/three-tier.json`, ...THREE_TIER, '--cni', 'cilium']);
    const fromCapture = await runCli(['advise', 'examples/three-tier/capture.pcap', ...THREE_TIER, '--cni', 'cilium']);
    expect(advise.stdout).toContain('kind: "NetworkPolicy"');
    // The same proof as from the capture. The DNS query answered by an ICMP port unreachable is
    // refused in both, for different reasons: Hubble does not print the packet an ICMP error
    // quotes, and three connections between the two pods were live then (ambiguous: the error is
    // replayed bare), so from Hubble the query got no answer; from the capture, a destination unreachable.
    expect(advise.code).toBe(fromCapture.code);
    expect(advise.stderr).toContain('advise: 20 connections in test/fixtures/hubble/three-tier.json (18 worked, 2 refused');
    expect(fromCapture.stderr).toContain('(18 worked, 2 refused');
    expect(advise.stderr).toContain('UDP 10.244.1.10:40019 -> 10.244.1.2:5353: refused: no answer');
    expect(fromCapture.stderr).toContain('UDP 10.244.1.10:40019 -> 10.244.1.2:5353: refused: answered by ICMP destination unreachable');
    // From node1 to the db on node2: Cilium's remote-node identity, which no ipBlock matches.
    expect(advise.code).toBe(0);
    expect(advise.stderr).toContain('worked, but no NetworkPolicy can allow them under this CNI profile (1):\n    TCP 172.18.0.2:40016 -> 10.244.2.12:3306');
    expect(fromCapture.stderr).toContain('worked, but no NetworkPolicy can allow them under this CNI profile (1):\n    TCP 172.18.0.2:40016 -> 10.244.2.12:3306');
    const diff = await runCli(['diff', '--flows-in', `${FIXTURES}/three-tier.json`, ...THREE_TIER, '--left-cni', 'upstream', '--right-cni', 'cilium', '-o', 'json']);
    const capture = await runCli(['diff', 'examples/three-tier/capture.pcap', ...THREE_TIER, '--left-cni', 'upstream', '--right-cni', 'cilium', '-o', 'json']);
    expect(diff.code).toBe(1);
    const a = JSON.parse(diff.stdout);
    const b = JSON.parse(capture.stdout);
    const key = (d: { src: string; sport: number; dst: string; dport: number; left: { verdict: string }; right: { verdict: string } }) => `${d.src}:${d.sport} ${d.dst}:${d.dport} ${d.left.verdict}/${d.right.verdict}`;
    expect(a.differences.map(key)).toEqual(b.differences.map(key));
  });
});
