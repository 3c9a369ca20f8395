/**
 * The flows still open at the end of a replay are listed in start order (FlowRecords sorts them
 * by their start number with a radix sort of 16-bit digits): with more than 65,536 of them the
 * second digit decides, and released slots reused in between put the record ids out of order.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';

const T0 = 1_700_000_000;
const OPEN = 70_000;

describe('replay - open flows at the end', () => {
  it('replay - 70,000 flows still open at the end come out in start order, after the flows that ended', async () => {
    const lines: string[] = [];
    // A denied attempt (frontend to the database) every 100th flow; a 64-attempt denied index
    // ends all but the last 64 early: their slots are reused by later flows, so record ids and
    // start order differ.
    for (let i = 0; i < OPEN; i++) {
      const ts = T0 + i * 1e-4;
      const ip = `198.51.${100 + Math.floor(i / 60_000)}.${1 + (i % 250)}`;
      lines.push(JSON.stringify({ ts, src: ip, dst: `203.0.113.${1 + (Math.floor(i / 250) % 250)}`, protocol: 'UDP', sport: 1024 + (i % 60_000), dport: 53 }));
      if (i % 100 === 0) lines.push(JSON.stringify({ ts: ts + 5e-5, src: '10.244.1.10', dst: '10.244.2.12', protocol: 'TCP', flags: 'S', sport: 20_000 + i / 100, dport: 3306 }));
    }
    const input = join(mkdtempSync(join(tmpdir(), 'npe-order-')), 'flows.jsonl');
    writeFileSync(input, `${lines.join('\n')}\n`);
    const run = await runCli(['replay', '--flows-in', input, '-f', 'examples/three-tier', '--flows', '-', '-o', 'json', '--denied-flows-max', '64']);
    expect(run.code).toBe(0);
    const flows = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { protocol: string; verdict: string; firstSeen: string });
    const denied = OPEN / 100;
    expect(flows.filter((f) => f.protocol === 'TCP' && f.verdict === 'denied').length).toBe(denied);
    // The flows still open: every UDP flow and the last 64 denied attempts, listed after the
    // evicted attempts, in the order their first packets came (distinct µs timestamps).
    const firstOpen = flows.findIndex((f) => f.protocol === 'UDP');
    const open = flows.slice(firstOpen);
    expect(open.length).toBe(OPEN + 64);
    for (let i = 1; i < open.length; i++) {
      if (!(open[i - 1]!.firstSeen < open[i]!.firstSeen)) expect.fail(`open flow ${i} (${open[i]!.firstSeen}) listed after ${open[i - 1]!.firstSeen}`);
    }
  }, 120_000);
});
