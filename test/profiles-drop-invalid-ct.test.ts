/**
 * What `profiles` says `dropInvalidCt` does is what a replay does: lone TCP RSTs (conntrack
 * INVALID: no connection) on the three-tier example, from a pod whose egress rule allows the port
 * (backend -> coredns TCP 53), from an isolated pod to a port no rule allows (frontend -> db), and
 * between two non-pod addresses.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';

const root = mkdtempSync(join(tmpdir(), 'netpol-drop-invalid-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const rst = (ts: number, src: string, dst: string, sport: number, dport: number): string =>
  JSON.stringify({ ts, src, dst, protocol: 'TCP', sport, dport, flags: 'R', seq: 5, ack: 0, win: 0, bytes: 0 });
const FLOWS = join(root, 'rst.jsonl');
writeFileSync(
  FLOWS,
  [
    rst(1764720000.0, '10.244.1.11', '10.244.1.2', 41001, 53), // backend -> coredns: backend-policy egress allows TCP 53
    rst(1764720000.1, '10.244.1.11', '10.244.1.2', 41001, 53), // the same RST again
    rst(1764720000.2, '10.244.1.10', '10.244.2.12', 41000, 3306), // frontend -> db: no rule allows it
    rst(1764720000.3, '203.0.113.5', '198.51.100.7', 41002, 80), // neither end a pod
    '',
  ].join('\n'),
);

interface FlowLine {
  src: string;
  dst: string;
  verdict: string;
  reason: string;
  packets: { forward: number };
}

async function replay(dropInvalidCt: boolean): Promise<FlowLine[]> {
  const run = await runCli(['replay', '--flows-in', FLOWS, '-f', 'examples/three-tier', '--cni', 'calico', '--cni-opt', `dropInvalidCt=${dropInvalidCt}`, '--flows', '-']);
  expect(run.code, run.stderr).toBe(0);
  return run.stdout.trim().split('\n').map((l) => JSON.parse(l) as FlowLine);
}

const verdicts = (flows: readonly FlowLine[], src: string): string[] => flows.filter((f) => f.src === src).map((f) => `${f.verdict} ${f.reason} ${f.packets.forward}`);

describe('profiles - dropInvalidCt', () => {
  it('profiles - the dropInvalidCt text says what a replay of INVALID packets shows', async () => {
    const text = (await runCli(['profiles', '--cni', 'calico'])).stdout;
    const description = /^dropInvalidCt = .*\n {4}(.*)$/m.exec(text)?.[1] ?? '';
    const on = await replay(true);
    const off = await replay(false);

    expect(description).toContain('dropped when either end is a pod, whatever the policies say');
    expect(verdicts(on, '10.244.1.11')).toEqual(['denied drop-conntrack-invalid 2']);
    expect(verdicts(on, '10.244.1.10')).toEqual(['denied drop-conntrack-invalid 1']);

    expect(description).toContain('between two non-pod addresses they pass untracked');
    expect(verdicts(on, '203.0.113.5')).toEqual(['allowed allow-not-isolated 1']);

    expect(description).toContain('false: policy judges each like the first packet of a new connection, and no conntrack entry is made');
    // Allowed by the rule, each RST on its own (no entry holds the first for the second).
    expect(verdicts(off, '10.244.1.11')).toEqual(['allowed allow-policy 1', 'allowed allow-policy 1']);
    expect(verdicts(off, '10.244.1.10')).toEqual(['denied drop-egress-default-deny 1']);
    expect(verdicts(off, '203.0.113.5')).toEqual(['allowed allow-not-isolated 1']);
  });
});
