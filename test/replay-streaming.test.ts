/**
 * `--flows` is a stream: lines leave as flows end, a slow reader holds the replay back instead of
 * letting lines pile up in memory, a reader that goes away (EPIPE) ends the output and not the
 * replay, and a flood of connections replays in a heap that does not grow with the flows.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../src/index.js';
import { runCli } from './helpers/run-cli.js';

const BIN = 'dist/src/bin.js';
let dir = '';
let cluster = '';
let capture = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'npe-stream-'));
  cluster = join(dir, 'cluster');
  capture = join(dir, 'mixed.pcap');
  const run = await runCli(['synth', '-o', cluster, '--seed', '4', '--pods', '200', '--flows', '3000', '--pcap', capture]);
  expect(run.code).toBe(0);
});

describe('replay - streamed flow output', () => {
  it('replay - a slow reader of --flows - holds the replay back: never more than a batch is buffered', async () => {
    let text = '';
    let maxBuffered = 0;
    let stalls = 0;
    const slow = new Writable({
      highWaterMark: 4096,
      write(chunk: Buffer, _encoding, done) {
        text += chunk.toString();
        // A consumer slower than the replay: each write completes a little later.
        setTimeout(done, 2);
      },
    });
    const write = slow.write.bind(slow);
    slow.write = ((chunk: string) => {
      const ok = write(chunk);
      maxBuffered = Math.max(maxBuffered, slow.writableLength);
      if (!ok) stalls++;
      return ok;
    }) as typeof slow.write;
    let stderr = '';
    const code = await cli(['replay', capture, '-f', cluster, '--flows', '-', '-o', 'json'], { stdout: slow, stderr: { write: (t: string) => (stderr += t) }, env: {} });
    await new Promise<void>((resolve) => slow.end(resolve));
    expect(code).toBe(0);
    const summary = JSON.parse(stderr) as { flows: { allowed: number; denied: number } };
    const lines = text.trim().split('\n');
    expect(lines).toHaveLength(summary.flows.allowed + summary.flows.denied);
    expect(text.length).toBeGreaterThan(1_000_000);
    // The writer waited for 'drain' (the whole output was never handed over at once) and the
    // stream's buffer stayed near one 64 KiB batch instead of the whole megabyte-plus output.
    expect(stalls).toBeGreaterThan(3);
    expect(maxBuffered).toBeLessThan(3 * 65_536);
  });

  it('replay - --flows FILE and --flows - write the same lines', async () => {
    const file = join(dir, 'flows.jsonl');
    const toFile = await runCli(['replay', capture, '-f', cluster, '--flows', file]);
    const toStdout = await runCli(['replay', capture, '-f', cluster, '--flows', '-']);
    expect(toFile.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(toStdout.stdout);
    // With --flows -, the summary moves to stderr; with a file, it stays on stdout.
    expect(toStdout.stderr).toBe(toFile.stdout);
  });

  it('replay - --flows into a folder that does not exist fails before the replay, exit 2', async () => {
    const run = await runCli(['replay', capture, '-f', cluster, '--flows', join(dir, 'missing', 'flows.jsonl')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/replay: cannot write .*missing\/flows\.jsonl: ENOENT/);
    expect(run.stdout).toBe('');
  });

  it('replay - a reader that closes the pipe early (| head -1) ends the output, not the replay', async () => {
    const child = spawn(process.execPath, [BIN, 'replay', capture, '-f', cluster, '--flows', '-'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const first = await new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(d.toString())));
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(JSON.parse(first.split('\n')[0] as string)).toHaveProperty('verdict');
    expect(code).toBe(0);
    expect(stderr).toMatch(/the flow output was closed by its reader after \d+ line\(s\); the replay went on/);
    expect(stderr).toContain('total (= records read)');
    expect(stderr).not.toMatch(/at .*\.js:\d+/);
  });
});

/** Peak RSS (bytes) and output of the CLI run in a child with a small old-space limit. */
function runSmallHeap(args: readonly string[]): { status: number | null; stdout: string; stderr: string; maxRss: number } {
  const script = `const { cli } = await import(${JSON.stringify(new URL('../dist/src/index.js', import.meta.url).href)});
const code = await cli(${JSON.stringify(args)}, { stdout: process.stdout, stderr: process.stderr, env: {} });
process.stderr.write('MAXRSS ' + process.resourceUsage().maxRSS * 1024 + '\\n');
process.exitCode = code;`;
  const r = spawnSync(process.execPath, ['--max-old-space-size=96', '--input-type=module', '-e', script], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const match = /MAXRSS (\d+)/.exec(r.stderr);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, maxRss: match ? Number(match[1]) : Number.NaN };
}

describe('replay - a flood without a crash', () => {
  it('replay - 300K new connections replay under a 96 MB heap, every packet accounted for, memory flat in the flow count', async () => {
    const small = join(dir, 'flood-30k.pcap');
    const large = join(dir, 'flood-300k.pcap');
    for (const [path, flows] of [[small, '30000'], [large, '300000']] as const) {
      const run = await runCli(['synth', '--seed', '4', '--pods', '200', '--flows', flows, '--openers-only', '--flow-rate', '50000', '--deny-share', '0.3', '--pcap', path]);
      expect(run.code).toBe(0);
    }
    // Live state is bounded by the tables (20K conntrack entries, 5K denied attempts), not the capture.
    const args = (path: string): string[] => ['replay', path, '-f', cluster, '-o', 'json', '--conntrack-max', '20000', '--denied-flows-max', '5000', '--flows', join(dir, 'flood-flows.jsonl')];
    const a = runSmallHeap(args(small));
    const b = runSmallHeap(args(large));
    expect(a.status, a.stderr).toBe(0);
    expect(b.status, b.stderr).toBe(0);
    const summary = JSON.parse(b.stdout) as { packets: Record<string, number> & { total: number }; capture: { records: number }; flows: { allowed: number; denied: number }; conntrack: Record<string, number> };
    expect(summary.capture.records).toBe(300_000);
    expect(summary.packets.total).toBe(300_000);
    // Nearly every packet opened a connection (a few tuples repeat within their timeout): each flow
    // is reported once, allowed or denied (table full counts as denied).
    const flows = summary.flows.allowed + summary.flows.denied;
    expect(flows).toBeGreaterThan(290_000);
    expect(readFileSync(join(dir, 'flood-flows.jsonl'), 'utf8').split('\n').length - 1).toBe(flows);
    expect(summary.conntrack['early-dropped'] ?? 0).toBeGreaterThan(0);
    // Ten times the connections, about the same peak memory (the old per-flow records grew ~590 B each: +160 MB).
    expect(b.maxRss - a.maxRss).toBeLessThan(40 * 1024 * 1024);
  }, 180_000);
});
