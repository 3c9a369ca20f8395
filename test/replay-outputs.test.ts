/**
 * Replay outputs: the allowed and dropped pcaps hold exactly the packets the summary counts, and
 * replaying them again is consistent (the allowed file drops nothing, the dropped file allows
 * nothing); the pcap-parser reader and standard input give the same replay.
 */
import { createReadStream, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCapture } from '../src/index.js';
import { runCli } from './helpers/run-cli.js';

const CAPTURE = 'examples/three-tier/capture.pcap';
const CLUSTER = ['-f', 'examples/three-tier'];

async function countRecords(path: string): Promise<{ records: number; linkTypes: Set<number> }> {
  const linkTypes = new Set<number>();
  const end = await readCapture(path, (r) => {
    linkTypes.add(r.linkType);
  });
  expect(end.kind).toBe('complete');
  return { records: end.records, linkTypes };
}

describe('replay - outputs', () => {
  it('replay - --write-allowed/--write-dropped split the capture by verdict', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'npe-out-'));
    const allowed = join(dir, 'allowed.pcap');
    const dropped = join(dir, 'dropped.pcap');
    const run = await runCli(['replay', CAPTURE, ...CLUSTER, '-o', 'json', '--write-allowed', allowed, '--write-dropped', dropped]);
    expect(run.code).toBe(0);
    const p = JSON.parse(run.stdout).packets;
    const forwarded = p.allowedNew + p.allowedEstablished + p.allowedRelated + p.allowedUntracked + p.allowedFragment + p.notIp;
    const droppedCount = p.droppedEgress + p.droppedIngress + p.droppedInvalid + p.droppedTableFull + p.droppedFragment;
    expect(await countRecords(allowed)).toEqual({ records: forwarded, linkTypes: new Set([1]) });
    expect(await countRecords(dropped)).toEqual({ records: droppedCount, linkTypes: new Set([1]) });

    const again = JSON.parse((await runCli(['replay', allowed, ...CLUSTER, '-o', 'json'])).stdout);
    expect(again.packets.total).toBe(forwarded);
    expect(again.flows.denied).toBe(0);
    const droppedAgain = JSON.parse((await runCli(['replay', dropped, ...CLUSTER, '-o', 'json'])).stdout);
    expect(droppedAgain.flows.allowed).toBe(0);
  });

  it('replay - the pcap-parser reader gives the same replay', async () => {
    const ours = JSON.parse((await runCli(['replay', CAPTURE, ...CLUSTER, '-o', 'json'])).stdout);
    const theirs = JSON.parse((await runCli(['replay', CAPTURE, ...CLUSTER, '-o', 'json', '--reader', 'pcap-parser'])).stdout);
    expect(theirs.packets).toEqual(ours.packets);
    expect(theirs.flows).toEqual(ours.flows);
    expect(theirs.topDenied).toEqual(ours.topDenied);
  });

  it('replay - pcap-parser refuses pcapng with a clear message', async () => {
    const run = await runCli(['replay', 'test/fixtures/captures/two-sections.pcapng', ...CLUSTER, '--reader', 'pcap-parser']);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/pcapng/);
  });

  it('replay - reads the capture from standard input', async () => {
    const run = await runCli(['replay', '-', ...CLUSTER, '-o', 'json'], {}, createReadStream(CAPTURE));
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary.capture.source).toBe('<stdin>');
    expect(summary.flows).toEqual({ allowed: 11, denied: 9 });
  });
});
