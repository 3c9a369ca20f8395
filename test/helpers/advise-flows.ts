/** What the advise tests read back: `replay --flows -` lines keyed like advise's connections, and `advise -o json`. */
import { expect } from 'vitest';
import { runCli } from './run-cli.js';

export interface FlowLine {
  readonly src: string;
  readonly sport: number | null;
  readonly dst: string;
  readonly dport: number | null;
  readonly protocol: string;
  readonly icmpId?: number;
  readonly icmpType?: number;
  readonly verdict: string;
  readonly reason: string;
  readonly packets: { readonly forward: number; readonly reply: number };
}

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

export interface AdviceConnectionJson {
  readonly connection: string;
  readonly protocol: string;
  readonly src: string;
  readonly dst: string;
  readonly port: number | null;
  readonly answer: string;
  readonly why: string;
}

interface PortJson {
  readonly protocol: string;
  readonly port: number | string;
}

export interface ProofItemJson {
  readonly connection: string;
  readonly why: string;
  readonly reason: string;
  readonly needs?: string;
}

/** `advise -o json` (docs/advise.md "JSON"), the fields the tests read. */
export interface AdviceJson {
  readonly version: number;
  readonly capture: string;
  readonly connections: { readonly total: number; readonly worked: number; readonly refused: number; readonly notConnections: number };
  readonly allowed: readonly AdviceConnectionJson[];
  readonly refused: readonly AdviceConnectionJson[];
  readonly policies: readonly {
    readonly namespace: string;
    readonly name: string;
    readonly file: string | null;
    readonly comments: readonly string[];
    readonly notes: readonly { readonly kind: string; readonly connection: string; readonly note: string }[];
    readonly manifest: { readonly spec: { readonly ingress?: readonly { readonly from?: readonly Record<string, unknown>[]; readonly ports?: readonly PortJson[] }[]; readonly egress?: readonly { readonly to?: readonly Record<string, unknown>[]; readonly ports?: readonly PortJson[] }[] } };
  }[];
  readonly proof: {
    readonly worked: number;
    readonly workedAllowed: number;
    readonly workedDenied: readonly ProofItemJson[];
    readonly workedBeyondPolicy: readonly ProofItemJson[];
    readonly refused: number;
    readonly refusedDenied: number;
    readonly refusedAllowed: readonly ProofItemJson[];
    readonly holds: boolean;
  };
}
