/**
 * A damaged capture loses nothing that came before the damage: every whole record is replayed,
 * the problem is reported with its byte offset, the counters still add up, and the exit code is 4.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';

const CAPTURE = readFileSync('examples/three-tier/capture.pcap');

/** Byte offsets where each classic-pcap record starts (little-endian µs file). */
function recordOffsets(bytes: Buffer): number[] {
  const offsets: number[] = [];
  let at = 24;
  while (at + 16 <= bytes.length) {
    offsets.push(at);
    at += 16 + bytes.readUInt32LE(at + 8);
  }
  return offsets;
}

function writeTemp(name: string, bytes: Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), 'npe-bad-'));
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

describe('replay - damaged captures', () => {
  it('replay - truncated capture: whole records before the cut are replayed, exit 4', async () => {
    const offsets = recordOffsets(CAPTURE);
    const cutRecord = 100;
    const cutAt = (offsets[cutRecord] as number) + 20; // inside record 100's data
    const path = writeTemp('cut.pcap', CAPTURE.subarray(0, cutAt));
    const run = await runCli(['replay', path, '-f', 'examples/three-tier', '-o', 'json']);
    expect(run.code).toBe(4);
    const summary = JSON.parse(run.stdout);
    expect(summary.capture.records).toBe(cutRecord);
    expect(summary.capture.end).toBe('truncated');
    expect(summary.capture.byteOffset).toBe(offsets[cutRecord]);
    const { total, ...categories } = summary.packets;
    expect(total).toBe(cutRecord);
    expect(Object.values(categories as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(cutRecord);
    expect(run.stderr).toContain(`${offsets[cutRecord]}`);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('replay - corrupt caplen: one clear error with the offset, earlier records kept', async () => {
    const offsets = recordOffsets(CAPTURE);
    const bad = Buffer.from(CAPTURE);
    bad.writeUInt32LE(0x7fffffff, (offsets[50] as number) + 8);
    const path = writeTemp('corrupt.pcap', bad);
    const run = await runCli(['replay', path, '-f', 'examples/three-tier', '-o', 'json']);
    expect(run.code).toBe(4);
    const summary = JSON.parse(run.stdout);
    expect(summary.capture.end).toBe('corrupt');
    expect(summary.capture.records).toBe(50);
    expect(summary.packets.total).toBe(50);
    expect(summary.capture.byteOffset).toBe(offsets[50]);
  });

  it('replay - not a capture: names what it is, exit 4', async () => {
    const path = writeTemp('notes.pcap', Buffer.from('these are not packets\n'));
    const run = await runCli(['replay', path, '-f', 'examples/three-tier']);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/unknown format|magic/);
  });

  it('replay - missing file and missing argument', async () => {
    const missing = await runCli(['replay', 'nope.pcap', '-f', 'examples/three-tier']);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain('nope.pcap');
    const none = await runCli(['replay', '-f', 'examples/three-tier']);
    expect(none.code).toBe(2);
  });
});
