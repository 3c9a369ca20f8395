/** What the advise tests read back: `replay --flows -` lines keyed like advise's connections, and `advise -o json`. */
import { expect } from 'vitest';
import type { AdviceDocument, FlowReport } from '../../src/index.js';
import { runCli } from './run-cli.js';

export type FlowLine = Pick<FlowReport, 'src' | 'sport' | 'dst' | 'dport' | 'protocol' | 'icmpId' | 'icmpType' | 'verdict' | 'reason' | 'packets'>;

/** `PROTO src:sport -> dst:dport`, as advise keys a connection (ICMP: echo id and type). */
export function flowKey(f: FlowLine): string {
  return `${f.protocol} ${f.src}:${f.sport ?? f.icmpId ?? '-'} -> ${f.dst}:${f.dport ?? f.icmpType ?? '-'}`;
}

/** `netpol-emu replay ARGS --flows -`, which must succeed: its flow lines. */
export async function replayFlowLines(args: readonly string[]): Promise<FlowLine[]> {
  const run = await runCli(['replay', ...args, '--flows', '-']);
  expect(run.code, run.stderr).toBe(0);
  return run.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as FlowLine);
}

interface RuleJson {
  readonly from?: readonly Record<string, unknown>[];
  readonly to?: readonly Record<string, unknown>[];
  readonly ports?: readonly { readonly protocol: string; readonly port: number | string }[];
}

/** `advise -o json` (docs/advise.md "JSON"), with the manifests' rules typed for reading. */
export type AdviceJson = Omit<AdviceDocument, 'policies'> & {
  readonly policies: readonly (AdviceDocument['policies'][number] & { readonly manifest: { readonly spec: { readonly ingress?: readonly RuleJson[]; readonly egress?: readonly RuleJson[] } } })[];
};
