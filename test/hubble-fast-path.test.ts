/**
 * The Hubble reader's fast path (scan-hubble-line.ts) against JSON.parse: the same input read
 * with NETPOL_EMU_HUBBLE_PARSE=auto (scanner first), =json (JSON.parse only) and =scan (scanner
 * only: a line it leaves ends the read naming it) must give byte-identical summaries, flow lines
 * and errors; `scan` succeeding proves the scanner read every line.
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runCli, type CliRun } from './helpers/run-cli.js';

const FIXTURES = 'test/fixtures/hubble';
const THREE_TIER = ['-f', 'examples/three-tier', '--cni', 'cilium'];
const dir = mkdtempSync(join(tmpdir(), 'hubble-fast-'));
let files = 0;

function file(lines: readonly string[], ending = '\n'): string {
  const path = join(dir, `input-${files++}.json`);
  writeFileSync(path, `${lines.join(ending)}${ending}`);
  return path;
}

interface ModeRun extends CliRun {
  readonly flows: string;
}

async function replay(mode: 'auto' | 'json' | 'scan', input: string, cluster: readonly string[] = THREE_TIER): Promise<ModeRun> {
  const flows = join(dir, `flows-${files++}.jsonl`);
  writeFileSync(flows, '');
  const run = await runCli(['replay', '--flows-in', input, ...cluster, '-o', 'json', '--flows', flows], { NETPOL_EMU_HUBBLE_PARSE: mode });
  return { ...run, flows: readFileSync(flows, 'utf8') };
}

/** Replays `input` three ways; the scanner-first and JSON.parse runs must be identical. Returns [auto, scan]. */
async function bothWays(input: string, cluster: readonly string[] = THREE_TIER): Promise<[ModeRun, ModeRun]> {
  const auto = await replay('auto', input, cluster);
  const json = await replay('json', input, cluster);
  expect(auto.code).toBe(json.code);
  expect(auto.stdout).toBe(json.stdout);
  expect(auto.stderr).toBe(json.stderr);
  expect(auto.flows).toBe(json.flows);
  return [auto, await replay('scan', input, cluster)];
}

/** A flow in the compact field order Hubble writes (flow.proto declaration order). */
function line(time: string, opts: { src?: string; dst?: string; sport?: number; flags?: string; srcEp?: string; dstEp?: string; extra?: string; verdict?: string; point?: string } = {}): string {
  const src = opts.src ?? '10.244.1.10';
  const dst = opts.dst ?? '10.244.2.11';
  const srcEp = opts.srcEp ?? '{"ID":12,"identity":10001,"namespace":"app1-ns","labels":["k8s:app=app1","k8s:role=frontend"],"pod_name":"frontend-7c9d5"}';
  const dstEp = opts.dstEp ?? '{"identity":10002,"namespace":"app2-ns","labels":["k8s:app=app2"],"pod_name":"backend-5d8f"}';
  return (
    `{"flow":{"time":"${time}","verdict":"${opts.verdict ?? 'FORWARDED'}","IP":{"source":"${src}","destination":"${dst}","ipVersion":"IPv4"},` +
    `"l4":{"TCP":{"source_port":${opts.sport ?? 40000},"destination_port":5678,"flags":{${opts.flags ?? '"SYN":true'}}}},"source":${srcEp},"destination":${dstEp},` +
    `"Type":"L3_L4","node_name":"node1","event_type":{"type":4,"sub_type":3},"traffic_direction":"EGRESS","trace_observation_point":"${opts.point ?? 'TO_ENDPOINT'}","is_reply":false${opts.extra ?? ''},"Summary":"TCP Flags: SYN"},"node_name":"node1","time":"${time}"}`
  );
}

const t = (ms: number): string => `2026-02-24T08:00:00.${String(ms).padStart(3, '0')}000000Z`;

describe('hubble fast path', () => {
  it.each([
    ['three-tier.json', THREE_TIER],
    ['three-tier-flipped.json', THREE_TIER],
    ['service-client.json', ['-f', 'examples/service/cluster.yaml', '--cni', 'cilium']],
    ['cilium-docs-exporter.json', THREE_TIER],
    ['tke-guide-exporter.json', THREE_TIER],
    // Service frontends (destination_service, source_service, IP.source_xlated) and ICMP errors (trace_reason).
    ['service-per-packet-lb.json', ['-f', `${FIXTURES}/service-lb`, '--cni', 'cilium']],
    ['icmp-errors/flows.json', ['-f', `${FIXTURES}/icmp-errors/cluster.yaml`, '--cni', 'cilium']],
  ])('hubble fast path - %s: every line scanned, summary and flow lines identical to JSON.parse', async (name, cluster) => {
    const [auto, scan] = await bothWays(`${FIXTURES}/${name}`, cluster);
    expect(auto.code).toBe(0);
    expect(scan.code).toBe(0);
    expect(scan.stdout).toBe(auto.stdout);
    expect(scan.flows).toBe(auto.flows);
    expect(JSON.parse(auto.stdout).hubble.lines).toBeGreaterThan(0);
  });

  it('hubble fast path - adversarial lines it reads: brackets, quotes and escapes in labels, labels inside policies, reserved labels, unknown fields, UTF-8', async () => {
    const lines = [
      line(t(1), { srcEp: String.raw`{"identity":10001,"namespace":"app1-ns","labels":["k8s:a]b","k8s:q=\"],\"pod_name\":\"x\"","k8s:u=\u00e9\u2028\\","}{,"],"pod_name":"frontend-7c9d5"}` }),
      line(t(2), { flags: '"SYN":true,"ACK":true', sport: 40000, extra: String.raw`,"ingress_allowed_by":[{"name":"allow-a","namespace":"app2-ns","labels":["k8s:io.cilium.k8s.policy.name=allow-a]","x\"y"],"revision":"7","kind":"NetworkPolicy"}]` }),
      // A CIDR identity: only its labels say world; identity 7 with a reserved label: another reserved endpoint.
      line(t(3), { src: '203.0.113.9', sport: 40001, srcEp: '{"identity":16777217,"labels":["cidr:203.0.113.9/32","reserved:world"]}', dstEp: '{"identity":7,"labels":["reserved:kube-apiserver"]}' }),
      line(t(4), { sport: 40002, srcEp: '{}', dstEp: '{"namespace":"app2-ns","pod_name":""}', extra: ',"future_field":{"a":[1,2],"b":"c\\u0041"},"another":[true,null,-1.5e3]' }),
      line(t(5), { sport: 40003, srcEp: '{"ID":1,"identity":10001,"cluster_name":"c1","namespace":"app1-ns","labels":["k8s:café=thé"],"pod_name":"frontend-7c9d5","workloads":[{"name":"frontend","kind":"Deployment"}]}' }),
      line(t(6), { sport: 40004, verdict: 'DROPPED', point: 'UNKNOWN_POINT' }).replace('"is_reply":false', '"drop_reason_desc":"POLICY_DENIED","is_reply":false'),
    ];
    const [auto, scan] = await bothWays(file(lines));
    expect(auto.code).toBe(0);
    expect(scan.code).toBe(0);
    expect(scan.stdout).toBe(auto.stdout);
    expect(scan.flows).toBe(auto.flows);
    const s = JSON.parse(auto.stdout);
    expect(s.hubble.lines).toBe(6);
    expect(s.hubble.endpoints).toMatchObject({ world: 1, otherReserved: 1, unknown: 2 });
    // CRLF line endings: scanned too.
    const [crlf, crlfScan] = await bothWays(file(lines, '\r\n'));
    expect(crlfScan.code).toBe(0);
    const withoutCapture = (run: CliRun): unknown => ({ ...JSON.parse(run.stdout), capture: null });
    expect(withoutCapture(crlf)).toEqual(withoutCapture(auto));
  });

  it.each([
    ['keys in another order', line(t(1)).replace('"time":"2026-02-24T08:00:00.001000000Z","verdict":"FORWARDED"', '"verdict":"FORWARDED","time":"2026-02-24T08:00:00.001000000Z"')],
    ['whitespace', line(t(1)).replaceAll('","', '", "').replace('{"flow":', '{ "flow" : ')],
    ['a duplicate key (the last one counts)', line(t(1), { extra: ',"verdict":"DROPPED","drop_reason_desc":"POLICY_DENIED"' })],
    ['a used key after an unknown one', line(t(1), { extra: ',"future_field":1,"drop_reason_desc":"POLICY_DENIED"' })],
    ['an escaped key', line(t(1)).replace('"verdict"', '"\\u0076erdict"')],
    ['an escape in a pod name', line(t(1)).replace('"pod_name":"backend-5d8f"', '"pod_name":"backend\\u002d5d8f"')],
    ['numbers for enums', line(t(1)).replace('"verdict":"FORWARDED"', '"verdict":2').replace('"trace_observation_point":"TO_ENDPOINT"', '"trace_observation_point":101')],
    ['a flag written false', line(t(1), { flags: '"SYN":true,"ACK":false' })],
    ['a value nested deeper than the pattern reads', line(t(1), { extra: ',"extensions":{"@type":"x","a":{"b":{"c":[1]}}}' })],
    ['a flow without its own time and node name (the wrapper\'s count)', line(t(1)).replace('"time":"2026-02-24T08:00:00.001000000Z","verdict"', '"verdict"').replace('"node_name":"node1","event_type"', '"event_type"')],
    ['a bare flow (legacy JSON output)', line(t(1)).replace(/^\{"flow":/, '').replace(/,"node_name":"node1","time":"[^"]*"\}$/, '')],
  ])('hubble fast path - %s: left to JSON.parse, the same result', async (_name, text) => {
    const input = file([line(t(0), { sport: 39999 }), text]);
    const [auto, scan] = await bothWays(input);
    expect(auto.code).toBe(0);
    expect(JSON.parse(auto.stdout).hubble.lines).toBe(2);
    expect(scan.code).toBe(4);
    expect(scan.stdout).toContain(`${input} line 2: not in the compact shape the fast scanner reads`);
  });

  it.each([
    ['a missing comma', line(t(1)).replace('"Type":"L3_L4",', '"Type":"L3_L4"')],
    ['a trailing comma', line(t(1)).replace('"pod_name":"backend-5d8f"}', '"pod_name":"backend-5d8f",}')],
    ['garbage in a labels array', line(t(1)).replace('["k8s:app=app2"]', '["k8s:app=app2",,"x"]')],
    ['a raw control character in a label', line(t(1)).replace('k8s:app=app2', 'k8s:app=\tapp2')],
    ['a truncated line', line(t(1)).slice(0, 300)],
    ['a port out of range', line(t(1), { sport: 70000 })],
    ['an address that is not one', line(t(1), { dst: '10.244.2.300' })],
    ['a time that is not RFC 3339', line(t(1)).replace('"time":"2026-02-24T08:00:00.001000000Z"', '"time":"yesterday"')],
  ])('hubble fast path - %s: the same error as JSON.parse, the packets before it replayed', async (_name, text) => {
    const [auto] = await bothWays(file([line(t(0), { sport: 39999 }), text, line(t(2), { sport: 40001 })]));
    expect(auto.code).toBe(4);
    const s = JSON.parse(auto.stdout);
    expect(s.capture.end).toBe('corrupt');
    expect(s.capture.message).toContain('line 2: ');
    expect(s.packets.total).toBe(1);
  });

  it('hubble fast path - lines across read chunks and through standard input: every byte counted, results identical', async () => {
    // 1 MiB reads from a file: ~2,600 lines of ~420 bytes put line ends everywhere across chunk boundaries.
    const lines = Array.from({ length: 2600 }, (_, i) => line(`2026-02-24T08:00:${String(Math.floor(i / 100)).padStart(2, '0')}.${String((i % 100) * 10).padStart(3, '0')}000000Z`, { sport: 30000 + i, flags: i % 2 ? '"ACK":true' : '"SYN":true' }));
    const input = file(lines);
    const [auto, scan] = await bothWays(input);
    expect(auto.code).toBe(0);
    expect(scan.code).toBe(0);
    const s = JSON.parse(auto.stdout);
    expect(s.hubble.lines).toBe(2600);
    expect(s.capture.bytesRead).toBe(statSync(input).size);
    const piped = await runCli(['replay', '--flows-in', '-', '--flows-format', 'hubble', ...THREE_TIER, '-o', 'json'], {}, Readable.from([readFileSync(input)].flatMap((b) => [b.subarray(0, 70_001), b.subarray(70_001, 70_500), b.subarray(70_500)])));
    expect(piped.code).toBe(0);
    const p = JSON.parse(piped.stdout);
    expect(p.capture.bytesRead).toBe(statSync(input).size);
    expect({ ...p, capture: { ...p.capture, source: '' } }).toEqual({ ...s, capture: { ...s.capture, source: '' } });
  });
});
