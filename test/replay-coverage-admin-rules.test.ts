/**
 * `replay --coverage` covers the admin and baseline tiers' Deny and Pass rules, not only Allow
 * rules: on examples/admin-tiers, each Deny or Pass rule's count is the number of connections
 * whose flow line names it (the deciding `rule` of a denial, `passedBy` of a Pass), in both
 * engines; a Deny rule that decided nothing is listed as such.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';

const ARGS = ['--flows-in', 'examples/admin-tiers/flows.jsonl', '-f', 'examples/admin-tiers'];

interface Row {
  rule: string;
  action?: string;
  flows: number;
  firstFlows: number;
}
interface FlowLine {
  verdict: string;
  rule: string | null;
  passedBy?: { egress?: string; ingress?: string };
}

async function coverage(engine: string): Promise<{ rows: Row[]; unmatched: string[]; flows: FlowLine[] }> {
  const json = await runCli(['replay', ...ARGS, '--coverage', '-o', 'json', '--engine', engine]);
  expect(json.code, json.stderr).toBe(0);
  const summary = JSON.parse(json.stdout) as { coverage: { rules: Row[]; unmatchedRules: string[] } };
  const lines = await runCli(['replay', ...ARGS, '--flows', '-', '--engine', engine]);
  expect(lines.code, lines.stderr).toBe(0);
  return { rows: summary.coverage.rules, unmatched: summary.coverage.unmatchedRules, flows: lines.stdout.trim().split('\n').map((l) => JSON.parse(l) as FlowLine) };
}

describe('replay --coverage - admin and baseline Deny and Pass rules', () => {
  for (const engine of ['compiled', 'naive']) {
    it(`coverage admin - Deny and Pass rows count the flows their flow lines name (${engine})`, async () => {
      const { rows, unmatched, flows } = await coverage(engine);
      const tierRows = rows.filter((r) => r.action === 'Deny' || r.action === 'Pass');
      expect(tierRows.map((r) => r.action).sort()).toEqual(['Deny', 'Deny', 'Deny', 'Deny', 'Pass']);
      for (const row of tierRows) {
        const named = flows.filter((f) => (row.action === 'Deny' ? f.verdict === 'denied' && f.rule === row.rule : f.passedBy?.egress === row.rule || f.passedBy?.ingress === row.rule)).length;
        expect(row.flows, row.rule).toBe(named);
        expect(row.firstFlows, row.rule).toBe(named);
      }
      // Every tier denial and Pass in the flow lines is covered by a row.
      const denials = flows.filter((f) => f.verdict === 'denied' && f.rule !== null).length;
      expect(tierRows.filter((r) => r.action === 'Deny').reduce((s, r) => s + r.flows, 0)).toBe(denials);
      expect(denials).toBeGreaterThan(0);
      const idle = tierRows.filter((r) => r.flows === 0).map((r) => r.rule);
      expect(idle.length).toBeGreaterThan(0);
      for (const rule of idle) expect(unmatched).toContain(rule);
    });
  }

  it('coverage admin - the text names the tier rules in the header and marks the idle ones', async () => {
    const run = await runCli(['replay', ...ARGS, '--coverage']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/rule coverage: 3 of 3 allow rules matched allowed traffic; 4 of 5 admin\/baseline Deny and Pass rules decided a flow; /);
    expect(run.stdout).toContain('"nobody-else" Deny from[0] (any port)  (decided nothing)');
  });
});
