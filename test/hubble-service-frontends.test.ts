/**
 * Service frontends in Hubble input, on test/fixtures/hubble/service-per-packet-lb.json: the
 * client capture of examples/service rendered as Cilium without socket-LB prints it (each request
 * seen at FROM_ENDPOINT going to the ClusterIP with `destination_service`, then going to the
 * endpoint; each reply seen leaving the endpoint, then reaching the client with
 * `IP.source_xlated` = the ClusterIP and the frontend's port), with the endpoints that
 * `--service-seed 1` chooses. The cluster (test/fixtures/hubble/service-lb) closes backend-v2 to
 * the client, and the default seed sends one connection there that Cilium sent to backend-v1:
 * only a replay that follows the endpoint Hubble shows agrees with the recorded verdicts.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';

/** The export with `edit` applied to its lines, in a temporary file. */
function editedExport(edit: (lines: string[]) => string[]): string {
  const lines = readFileSync(EXPORT, 'utf8').trim().split('\n');
  const path = join(mkdtempSync(join(tmpdir(), 'hubble-svc-')), 'flows.json');
  writeFileSync(path, `${edit(lines).join('\n')}\n`);
  return path;
}

const EXPORT = 'test/fixtures/hubble/service-per-packet-lb.json';
const PODS = 'test/fixtures/hubble/service-lb/pods-and-policies.yaml';
const SERVICE = 'test/fixtures/hubble/service-lb/service.yaml';
const CAPTURE = 'examples/service/capture-client.pcap';

interface FlowLine {
  src: string;
  sport: number | null;
  dst: string;
  dport: number | null;
  protocol: string;
  verdict: string;
  reason: string;
  packets: { forward: number; reply: number; dropped: number };
  service?: string;
  endpoint?: string;
}

function flows(stdout: string): FlowLine[] {
  return stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as FlowLine);
}

function keyed(list: FlowLine[], withService: boolean): string[] {
  return list.map((f) => `${f.protocol} ${f.src}:${f.sport} -> ${f.dst}:${f.dport} ${f.verdict} ${f.reason} ${JSON.stringify(f.packets)}${withService ? ` ${f.service} ${f.endpoint}` : ''}`).sort();
}

describe('hubble Service frontends', () => {
  it('hubble services - pre- and post-DNAT observations are one packet, replayed to the frontend and following the endpoint Hubble shows', async () => {
    const hubble = await runCli(['replay', '--flows-in', EXPORT, '-f', PODS, '-f', SERVICE, '--cni', 'cilium', '--flows', '-']);
    // The capture, replayed with the seed that chose the endpoints the export shows.
    const capture = await runCli(['replay', CAPTURE, '-f', PODS, '-f', SERVICE, '--cni', 'cilium', '--service-seed', '1', '--flows', '-']);
    expect(hubble.code).toBe(0);
    expect(capture.code).toBe(0);
    const expected = keyed(flows(capture.stdout), true);
    expect(keyed(flows(hubble.stdout), true)).toEqual(expected);
    // The connection the default seed would send to the closed backend-v2 went to backend-v1.
    expect(expected.some((k) => k.includes(':40002 -> 10.244.1.20:8080 allowed'))).toBe(true);
    const seeded = await runCli(['replay', CAPTURE, '-f', PODS, '-f', SERVICE, '--cni', 'cilium', '--flows', '-']);
    expect(keyed(flows(seeded.stdout), true)).not.toEqual(expected);

    const json = await runCli(['replay', '--flows-in', EXPORT, '-f', PODS, '-f', SERVICE, '--cni', 'cilium', '-o', 'json']);
    const s = JSON.parse(json.stdout);
    expect(s.recorded.packets.disagree).toBe(0);
    expect(s.recorded.flows.disagree).toBe(0);
    expect(s.hubble.events.packets).toBe(s.hubble.packetsReplayed + s.hubble.observationsMerged);
    const t = s.hubble.translated;
    expect(t.serviceMerged).toBeGreaterThan(0);
    expect(t.endpointsFollowed).toBe(t.serviceMerged);
    expect(t.backendsReplayed).toBe(0);
    expect(t.ambiguous).toBe(0);
    // Every reply reached the client reverse-translated (source port 80, not 8080): merged by source port.
    expect(t.sourceXlatedMerged).toBe(s.hubble.sourceTranslated);
  });

  it('hubble services - without the Service in the cluster, the packet goes to the endpoint Hubble shows', async () => {
    const run = await runCli(['replay', '--flows-in', EXPORT, '-f', PODS, '--cni', 'cilium', '--flows', '-']);
    const capture = await runCli(['replay', CAPTURE, '-f', PODS, '-f', SERVICE, '--cni', 'cilium', '--service-seed', '1', '--flows', '-']);
    expect(keyed(flows(run.stdout), false)).toEqual(keyed(flows(capture.stdout), false));
    expect(flows(run.stdout).every((f) => f.service === undefined)).toBe(true);
    const json = JSON.parse((await runCli(['replay', '--flows-in', EXPORT, '-f', PODS, '--cni', 'cilium', '-o', 'json'])).stdout);
    expect(json.hubble.translated.backendsReplayed).toBe(json.hubble.translated.serviceMerged);
    expect(json.recorded.packets.disagree).toBe(0);
  });

  it('hubble services - diff replays the export as replay does: with and without the Service, no verdict differs', async () => {
    const run = await runCli(['diff', '--flows-in', EXPORT, '-f', PODS, '--cni', 'cilium', '-o', 'json', '--left', '-f', SERVICE, '--right']);
    expect(run.code).toBe(0);
    const d = JSON.parse(run.stdout);
    expect(d.differences).toEqual([]);
    expect(d.compared).toBe(flows((await runCli(['replay', '--flows-in', EXPORT, '-f', PODS, '-f', SERVICE, '--flows', '-'])).stdout).length);
  });

  it('hubble services - diff --cni LIST takes --flows-in, with the accounting of replay', async () => {
    const run = await runCli(['diff', '--flows-in', EXPORT, '-f', PODS, '-f', SERVICE, '--cni', 'cilium,calico,kube-router', '-o', 'json']);
    expect(run.code).toBe(0);
    const d = JSON.parse(run.stdout);
    expect(d.capture).toBe(EXPORT);
    const replayed = flows((await runCli(['replay', '--flows-in', EXPORT, '-f', PODS, '-f', SERVICE, '--flows', '-'])).stdout);
    expect(d.compared).toBe(replayed.length);
    const both = await runCli(['diff', CAPTURE, '--flows-in', EXPORT, '-f', PODS, '--cni', 'all']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('give either a capture file or --flows-in FILE, not both');
    const format = await runCli(['diff', CAPTURE, '-f', PODS, '--cni', 'all', '--flows-format', 'hubble']);
    expect(format.code).toBe(2);
    expect(format.stderr).toContain('--flows-format applies to --flows-in only');
  });

  it('hubble services - advise allows the endpoints the traffic reached, not the ClusterIP', async () => {
    const run = await runCli(['advise', '--flows-in', EXPORT, '-f', PODS, '-f', SERVICE, '--cni', 'cilium', '-o', 'json']);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain('10.96.0.10');
    const out = JSON.parse(run.stdout) as { allowed: { connection: string; packets: number }[] };
    // One packet per captured packet (5 each way), to the endpoint each connection reached.
    expect(out.allowed.map((a) => `${a.connection} ${a.packets}`).sort()).toEqual([
      'TCP 10.244.2.10:40000 -> 10.244.3.21:8080 10',
      'TCP 10.244.2.10:40001 -> 10.244.1.20:8080 10',
      'TCP 10.244.2.10:40002 -> 10.244.1.20:8080 10',
    ]);
  });

  it('hubble services - the post-DNAT observation read before the pre-DNAT one merges the same way', async () => {
    // Neighbours reversed in blocks of 8, as per-CPU buffers and two nodes interleave them.
    const path = editedExport((lines) => {
      const out = lines.slice();
      for (let i = 0; i + 7 < out.length; i += 8) out.splice(i, 8, ...out.slice(i, i + 8).reverse());
      return out;
    });
    const a = JSON.parse((await runCli(['replay', '--flows-in', EXPORT, '-f', PODS, '-f', SERVICE, '--cni', 'cilium', '-o', 'json'])).stdout);
    const b = JSON.parse((await runCli(['replay', '--flows-in', path, '-f', PODS, '-f', SERVICE, '--cni', 'cilium', '-o', 'json'])).stdout);
    expect(b.packets).toEqual(a.packets);
    expect(b.flows).toEqual(a.flows);
    expect(b.recorded).toEqual(a.recorded);
    expect(b.hubble.translated).toEqual(a.hubble.translated);
  });

  it('hubble services - a reply seen only after reverse translation is replayed from the frontend, which the replay un-translates', async () => {
    // Without the endpoint's own observations of the replies of the two connections it allowed
    // (as if the endpoint's node had not exported them).
    const path = editedExport((lines) => lines.filter((l) => !(/"source_port":8080,"destination_port":4000[12]/.test(l) && !l.includes('source_xlated'))));
    const run = await runCli(['replay', '--flows-in', path, '-f', PODS, '-f', SERVICE, '--cni', 'cilium', '-o', 'json']);
    const s = JSON.parse(run.stdout);
    expect(s.hubble.translated.reverseNatHeaders).toBeGreaterThan(0);
    expect(s.hubble.translated.sourceXlatedMerged).toBe(0);
    expect(s.recorded.packets.disagree).toBe(0);
    const full = JSON.parse((await runCli(['replay', '--flows-in', EXPORT, '-f', PODS, '-f', SERVICE, '--cni', 'cilium', '-o', 'json'])).stdout);
    expect(s.flows).toEqual(full.flows);
  });
});
