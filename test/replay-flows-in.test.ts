/**
 * `replay --flows-in`: a JSONL flow file is replayed exactly like the pcap generated with it
 * (same frames, same timestamps, same summary) for every synthetic link type; flow lines expand
 * to the same verdicts as the packet lines; a bad line names its number and field.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCapture } from '../src/capture/open-capture.js';
import { readFlowsJsonl } from '../src/replay/read-flows-jsonl.js';
import { buildSyntheticCluster, defaultShape, generateCluster } from '../src/synth/generate-cluster.js';
import { formatFlowLine, formatFlowsHeader } from '../src/synth/flow-lines.js';
import { generateFlows } from '../src/synth/generate-flows.js';
import { writeClusterManifests } from '../src/synth/write-manifests.js';
import { runCli } from './helpers/run-cli.js';

interface Frame {
  readonly t: string;
  readonly bytes: string;
  readonly linkType: number;
}

async function frames(read: (cb: (r: import('../src/capture/capture-record.js').CaptureRecord) => void) => Promise<{ kind: string }>): Promise<Frame[]> {
  const out: Frame[] = [];
  const end = await read((r) => {
    out.push({ t: `${r.tsSec}.${r.tsNsec}`, bytes: Buffer.from(r.buffer.subarray(r.offset, r.offset + r.capturedLength)).toString('hex'), linkType: r.linkType });
  });
  expect(end.kind).toBe('complete');
  return out;
}

function comparable(summary: Record<string, unknown>): unknown {
  const { capture: _capture, ...rest } = summary;
  return rest;
}

describe('replay - --flows-in', () => {
  for (const linkType of [1, 113, 276, 101]) {
    it(`replay - link type ${linkType}: the JSONL and the pcap give the same frames and the same summary`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'npe-fi-'));
      const pcap = join(dir, 'f.pcap');
      const jsonl = join(dir, 'f.jsonl');
      const cluster = join(dir, 'cluster');
      const args = ['synth', '--seed', '11', '--pods', '120', '--dual-stack', '-o', cluster, '--flows', '400', '--pcap', pcap, '--flows-out', jsonl, '--link-type', String(linkType)];
      expect((await runCli(args)).code).toBe(0);
      const fromPcap = await frames((cb) => readCapture(pcap, cb));
      const fromJsonl = await frames((cb) => readFlowsJsonl(jsonl, cb));
      expect(fromJsonl.length).toBeGreaterThan(1000);
      expect(fromJsonl).toEqual(fromPcap);
      expect(new Set(fromJsonl.map((f) => f.linkType))).toEqual(new Set([linkType]));

      const a = JSON.parse((await runCli(['replay', pcap, '-f', cluster, '-o', 'json'])).stdout);
      const b = JSON.parse((await runCli(['replay', '--flows-in', jsonl, '-f', cluster, '-o', 'json'])).stdout);
      expect(comparable(b)).toEqual(comparable(a));
      expect(b.capture.format).toBe('jsonl');
      expect(b.capture.records).toBe(a.capture.records);
      expect(a.flows.denied).toBeGreaterThan(0);
    });
  }

  it('replay - flow lines expand to exchanges with the same verdicts as the generated packets', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'npe-fl-'));
    const shape = defaultShape(150, 4);
    writeClusterManifests(join(dir, 'cluster'), generateCluster(shape));
    const lines = [formatFlowsHeader(1)];
    const packetLines: string[] = [formatFlowsHeader(1)];
    const { formatPacketLine } = await import('../src/synth/flow-lines.js');
    generateFlows(buildSyntheticCluster(shape), { seed: 4, flows: 300, packetsPerFlow: 9, denyShare: 0.25 }, (t, f) => packetLines.push(formatPacketLine(t, f)), (t, x) => lines.push(formatFlowLine(t, x)));
    writeFileSync(join(dir, 'flows.jsonl'), `${lines.join('\n')}\n`);
    writeFileSync(join(dir, 'packets.jsonl'), `${packetLines.join('\n')}\n`);
    const byFlow = JSON.parse((await runCli(['replay', '--flows-in', join(dir, 'flows.jsonl'), '-f', join(dir, 'cluster'), '-o', 'json'])).stdout);
    const byPacket = JSON.parse((await runCli(['replay', '--flows-in', join(dir, 'packets.jsonl'), '-f', join(dir, 'cluster'), '-o', 'json'])).stdout);
    expect(byFlow.capture.records).toBe(packetLines.length - 1);
    expect(byFlow.packets).toEqual(byPacket.packets);
    expect(byFlow.flows).toEqual(byPacket.flows);
    expect(byFlow.allowedBy).toEqual(byPacket.allowedBy);
  });

  it('replay - a bad line stops the replay with its line number and field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'npe-fe-'));
    const file = join(dir, 'bad.jsonl');
    writeFileSync(
      file,
      [
        '{"format":"netpol-emu-flows","version":1,"linkType":1}',
        '{"ts":1700000000.1,"src":"10.1.0.1","dst":"10.1.0.2","protocol":"UDP","sport":5000,"dport":53,"bytes":30}',
        '{"ts":1700000000.2,"src":"10.1.0.1","dst":"10.1.0.2","protocol":"TCP","sport":"x","dport":80,"flags":"S"}',
      ].join('\n'),
    );
    const run = await runCli(['replay', '--flows-in', file, '-f', 'examples/three-tier', '-o', 'json']);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/bad\.jsonl line 3: field "sport" must be an integer from 0 to 65535; got "x"/);
    expect(JSON.parse(run.stdout).packets.total).toBe(1);
    for (const [line, pattern] of [
      ['{"ts":1,"src":"10.1.0.1","dst":"fd00::1","protocol":"UDP","sport":1,"dport":2}', /line 1: fields "src" and "dst" mix IPv4 and IPv6/],
      ['{"ts":1,"src":"10.1.0.1","dst":"10.1.0.2","protocol":"TCP","sport":1,"dport":2,"flags":"SX"}', /line 1: field "flags"/],
      ['{"ts":1,"src":"10.1.0.1","dst":"10.1.0.2","protocol":"GRE"}', /line 1: field "protocol" must be one of/],
      ['not json', /line 1: not JSON/],
      ['{"ts":1,"src":"10.1.0.1","dst":"10.1.0.2","protocol":"UDP","sport":1,"dport":2}\n{"format":"netpol-emu-flows","version":1}', /line 2: a header line/],
    ] as const) {
      writeFileSync(file, line);
      const r = await runCli(['replay', '--flows-in', file, '-f', 'examples/three-tier']);
      expect(r.code).toBe(4);
      expect(r.stderr).toMatch(pattern);
    }
  });

  it('replay - --flows-in excludes a capture argument and --reader', async () => {
    expect((await runCli(['replay', 'x.pcap', '--flows-in', 'x.jsonl', '-f', 'examples/three-tier'])).stderr).toMatch(/not both/);
    expect((await runCli(['replay', '--flows-in', 'x.jsonl', '--reader', 'pcap-parser', '-f', 'examples/three-tier'])).stderr).toMatch(/--reader applies to captures/);
  });
});
