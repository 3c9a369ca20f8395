/**
 * replay - the compiled-table cache through the CLI: a cached run prints exactly what a run
 * without cache prints (summary and flow lines, one thread and two workers); a corrupt,
 * truncated or foreign cache file is ignored, rebuilt (noted under --verbose) and rewritten, the
 * output unchanged; concurrent processes writing the same entry all succeed and leave one valid
 * file; the default directory follows $XDG_CACHE_HOME; pruning removes the least recently used.
 *
 * The concurrent case runs the compiled dist/src/bin.js: build first (npm test does).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pruneTableCache } from '../src/index.js';
import { runCli, type CliRun } from './helpers/run-cli.js';

const TMP = mkdtempSync(join(tmpdir(), 'npe-replay-cache-'));
const CLUSTER = join(TMP, 'cluster');
const CAPTURE = join(TMP, 'capture.pcap');
const FLOWS = join(TMP, 'flows.jsonl');
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

beforeAll(async () => {
  const shape = ['--seed', '5', '--pods', '80', '--policies', '16'];
  expect((await runCli(['synth', '-o', CLUSTER, ...shape])).code).toBe(0);
  expect((await runCli(['synth', ...shape, '--flows', '400', '--pcap', CAPTURE])).code).toBe(0);
});

let dirs = 0;
const freshDir = (): string => join(TMP, `cache-${dirs++}`);

async function replay(cache: readonly string[], extra: readonly string[] = []): Promise<CliRun & { flows: string }> {
  rmSync(FLOWS, { force: true });
  const run = await runCli(['replay', CAPTURE, '-f', CLUSTER, '-o', 'json', '--flows', FLOWS, '-v', ...cache, ...extra]);
  return { ...run, flows: readFileSync(FLOWS, 'utf8') };
}

const entries = (dir: string): string[] => readdirSync(dir).filter((n) => n.endsWith('.tables'));

describe('replay - compiled-table cache', () => {
  let baseline: CliRun & { flows: string };
  beforeAll(async () => {
    baseline = await replay(['--no-cache']);
    expect(baseline.code).toBe(0);
    expect(baseline.stderr).not.toContain('cache');
  });

  it('replay - a cached run prints what an uncached one does, with one thread and with two workers', async () => {
    const dir = freshDir();
    const first = await replay(['--cache', dir]);
    expect(first.stderr).toContain('compiled tables written to the cache');
    expect(entries(dir)).toHaveLength(1);
    for (const workers of ['1', '2']) {
      const again = await replay(['--cache', dir], ['--workers', workers]);
      expect(again.stderr).toContain('compiled tables read from the cache');
      expect({ code: again.code, stdout: again.stdout, flows: again.flows }).toEqual({ code: 0, stdout: baseline.stdout, flows: baseline.flows });
    }
    expect({ stdout: first.stdout, flows: first.flows }).toEqual({ stdout: baseline.stdout, flows: baseline.flows });
  });

  const damages: readonly [string, (bytes: Buffer) => Buffer, string][] = [
    ['a flipped payload byte', (b) => { const c = Buffer.from(b); c[c.length - 100] = (c[c.length - 100] as number) ^ 0x40; return c; }, 'checksum mismatch'],
    ['a truncated file', (b) => b.subarray(0, b.length - 37), 'truncated'],
    ['a file of something else', () => Buffer.from('not a cache file at all, but long enough to have a header of eighty bytes or more.'), 'not a table cache file'],
    ['an empty file', () => Buffer.alloc(0), 'not a table cache file'],
  ];
  for (const [what, damage, problem] of damages) {
    it(`replay - ${what} in the cache is ignored, rebuilt and rewritten; output unchanged`, async () => {
      const dir = freshDir();
      await replay(['--cache', dir]);
      const [name] = entries(dir);
      const path = join(dir, name as string);
      const good = readFileSync(path);
      writeFileSync(path, damage(good));
      const rebuilt = await replay(['--cache', dir]);
      expect(rebuilt.stderr).toContain(problem);
      expect(rebuilt.stderr).toContain('ignored, rebuilding');
      expect({ code: rebuilt.code, stdout: rebuilt.stdout, flows: rebuilt.flows }).toEqual({ code: 0, stdout: baseline.stdout, flows: baseline.flows });
      expect(readFileSync(path).equals(good)).toBe(true);
      expect((await replay(['--cache', dir])).stderr).toContain('read from the cache');
    });
  }

  it('replay - the default cache is under $XDG_CACHE_HOME/netpol-emu', async () => {
    const home = freshDir();
    const run = await runCli(['replay', CAPTURE, '-f', CLUSTER, '-o', 'json'], { XDG_CACHE_HOME: home });
    expect(run.stdout).toBe(baseline.stdout);
    expect(entries(join(home, 'netpol-emu'))).toHaveLength(1);
  });

  it('replay - --cache with --no-cache is a usage error', async () => {
    const run = await runCli(['replay', CAPTURE, '-f', CLUSTER, '--cache', freshDir(), '--no-cache']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('either --cache DIR or --no-cache');
  });

  it('replay - four processes writing the same cache entry at once all succeed and leave one valid file', async () => {
    const dir = freshDir();
    // The build's compiler code differs from the sources': its key is its own, so the check reads with it too.
    const one = (verbose: boolean): Promise<{ code: number | null; stdout: string; stderr: string }> =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, ['dist/src/bin.js', 'replay', CAPTURE, '-f', CLUSTER, '-o', 'json', '--cache', dir, ...(verbose ? ['-v'] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    const runs = await Promise.all([one(false), one(false), one(false), one(false)]);
    for (const run of runs) expect(run).toEqual({ code: 0, stdout: baseline.stdout, stderr: '' });
    expect(readdirSync(dir)).toEqual(entries(dir));
    expect(entries(dir)).toHaveLength(1);
    const again = await one(true);
    expect(again.stderr).toContain('read from the cache');
    expect(again.stdout).toBe(baseline.stdout);
  });

  it('table cache - pruning removes the least recently used entries beyond the limit, and stale temporary files', () => {
    const dir = freshDir();
    mkdirSync(dir);
    const now = Date.now();
    const make = (name: string, size: number, ageMs: number): void => {
      writeFileSync(join(dir, name), Buffer.alloc(size));
      utimesSync(join(dir, name), new Date(now - ageMs), new Date(now - ageMs));
    };
    make('old.tables', 1000, 30_000);
    make('middle.tables', 1000, 20_000);
    make('new.tables', 1000, 10_000);
    make('left-over.tables.1.ab.tmp', 10, 2 * 3600_000);
    make('running.tables.2.cd.tmp', 10, 1000);
    pruneTableCache(dir, 2500, now);
    expect(readdirSync(dir).sort()).toEqual(['middle.tables', 'new.tables', 'running.tables.2.cd.tmp']);
    expect(statSync(join(dir, 'new.tables')).size).toBe(1000);
  });
});
