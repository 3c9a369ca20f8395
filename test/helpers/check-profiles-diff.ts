/** Checks a `diff --cni all -o json` result against plain replays (`replay --cni P`, `--cni upstream --cni-opt SWITCH`). */
import { expect } from 'vitest';
import { runCli } from './run-cli.js';

export interface Cell {
  verdict: string;
  reason: string;
}
export interface Difference {
  src: string;
  sport: number | null;
  dst: string;
  dport: number | null;
  protocol: string;
  reference: Cell | null;
  cells: Record<string, Cell | null>;
  causes: Record<string, { switches: string[]; together: boolean }>;
}
export interface ProfilesJson {
  capture: string;
  reference: string;
  profiles: string[];
  switches: Record<string, string[]>;
  compared: number;
  differences: Difference[];
}
interface FlowLine {
  src: string;
  sport: number | null;
  dst: string;
  dport: number | null;
  protocol: string;
  verdict: string;
}

/** The 5-tuple in either direction, as diff pairs flows. */
const pairKey = (f: { src: string; sport: number | null; dst: string; dport: number | null; protocol: string }): string => {
  const a = `${f.src}|${f.sport}`;
  const b = `${f.dst}|${f.dport}`;
  return `${f.protocol}|${a < b ? `${a}|${b}` : `${b}|${a}`}`;
};

/** Verdicts of a plain replay by pair key (the first flow of each key). */
async function verdicts(capture: string, cluster: readonly string[], cni: readonly string[]): Promise<Map<string, string>> {
  const run = await runCli(['replay', capture, ...cluster, ...cni, '--flows', '-']);
  expect(run.code, run.stderr).toBe(0);
  const out = new Map<string, string>();
  for (const line of run.stdout.trim().split('\n')) {
    const f = JSON.parse(line) as FlowLine;
    if (!out.has(pairKey(f))) out.set(pairKey(f), f.verdict);
  }
  return out;
}

/** Every row and every single-switch attribution agrees with plain replays. */
export async function expectAgreesWithReplays(capture: string, cluster: readonly string[], diff: ProfilesJson): Promise<void> {
  const byProfile = new Map<string, Map<string, string>>();
  for (const p of diff.profiles) byProfile.set(p, await verdicts(capture, cluster, ['--cni', p]));
  const keys = new Set([...byProfile.values()].flatMap((m) => [...m.keys()]));
  const differing = [...keys].filter((k) => new Set(diff.profiles.map((p) => byProfile.get(p)?.get(k) ?? 'absent')).size > 1).sort();
  expect([...new Set(diff.differences.map(pairKey))].sort()).toEqual(differing);
  const flipped = new Map<string, Map<string, string>>();
  for (const d of diff.differences) {
    for (const p of diff.profiles) expect(d.cells[p]?.verdict ?? 'absent', `${p} ${pairKey(d)}`).toBe(byProfile.get(p)?.get(pairKey(d)) ?? 'absent');
    for (const [p, cause] of Object.entries(d.causes)) {
      expect(d.cells[p]?.verdict).not.toBe(d.reference?.verdict);
      if (cause.together) continue;
      for (const sw of cause.switches) {
        if (sw.startsWith('admin tiers')) continue;
        let replay = flipped.get(sw);
        if (replay === undefined) {
          replay = await verdicts(capture, cluster, ['--cni', 'upstream', '--cni-opt', sw]);
          flipped.set(sw, replay);
        }
        expect(replay.get(pairKey(d)) ?? 'absent', `${sw} ${pairKey(d)}`).toBe(d.cells[p]?.verdict ?? 'absent');
      }
    }
  }
}

