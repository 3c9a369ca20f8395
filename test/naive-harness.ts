/**
 * Shared helpers for the `naive-*` tests: manifests are written as YAML text to a temporary
 * directory and loaded with the public `loadCluster`, so every test also goes through the
 * loader's defaulting (SEMANTICS.md §1.1); flows are built from address text with `parseIp`.
 * Not a test file itself (vitest only collects `*.test.ts`).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cluster, IpAddress } from '../compiler/model.js';
import { IP_PROTOCOL } from '../compiler/model.js';
import type { RuleRef } from '../compiler/verdict.js';
import type { Diagnostic } from '../src/diagnostics.js';
import { loadCluster } from '../src/load/load-cluster.js';
import { parseIp } from '../src/load/parse-ip.js';
import { NaiveEvaluator, type FlowVerdict } from '../src/naive/naive-evaluator.js';

export interface World {
  readonly cluster: Cluster;
  readonly diagnostics: readonly Diagnostic[];
  readonly engine: NaiveEvaluator;
  /** Evaluate the first packet of a flow given as address text. */
  flow(src: string, dst: string, protocol: number, dstPort: number): FlowVerdict;
  tcp(src: string, dst: string, dstPort: number): FlowVerdict;
  udp(src: string, dst: string, dstPort: number): FlowVerdict;
  sctp(src: string, dst: string, dstPort: number): FlowVerdict;
  icmp(src: string, dst: string): FlowVerdict;
}

export function ip(text: string): IpAddress {
  const parsed = parseIp(text);
  if (!parsed.ok) throw new Error(`test bug: bad address ${text}: ${parsed.error}`);
  return parsed.value;
}

/** Load YAML documents (joined with `---`) through `loadCluster`; throws on any load error. */
export function load(...documents: string[]): World {
  const dir = mkdtempSync(join(tmpdir(), 'netpol-emu-naive-'));
  try {
    const file = join(dir, 'cluster.yaml');
    writeFileSync(file, documents.join('\n---\n'));
    const { cluster, diagnostics } = loadCluster({ paths: [file] });
    const engine = new NaiveEvaluator(cluster);
    const flow = (src: string, dst: string, protocol: number, dstPort: number): FlowVerdict =>
      engine.evaluate({ src: ip(src), dst: ip(dst), protocol, dstPort });
    return {
      cluster,
      diagnostics,
      engine,
      flow,
      tcp: (src, dst, port) => flow(src, dst, IP_PROTOCOL.TCP, port),
      udp: (src, dst, port) => flow(src, dst, IP_PROTOCOL.UDP, port),
      sctp: (src, dst, port) => flow(src, dst, IP_PROTOCOL.SCTP, port),
      icmp: (src, dst) => flow(src, dst, IP_PROTOCOL.ICMP, 0),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function namespace(name: string, labels: Record<string, string> = {}): string {
  return `apiVersion: v1
kind: Namespace
metadata:
  name: ${name}
  labels: ${JSON.stringify(labels)}`;
}

export interface PodSpec {
  readonly ns: string;
  readonly name: string;
  /** One address, or a dual-stack pair (primary first); omitted for a pod without IP. */
  readonly ip?: string | readonly string[];
  readonly labels?: Record<string, string>;
  readonly hostIP?: string;
  readonly hostNetwork?: boolean;
  readonly phase?: string;
  /** Container ports as `{name, containerPort, protocol}`. */
  readonly ports?: readonly { readonly name?: string; readonly containerPort: number; readonly protocol?: string }[];
}

export function pod(spec: PodSpec): string {
  const ips = spec.ip === undefined ? [] : typeof spec.ip === 'string' ? [spec.ip] : spec.ip;
  const status: Record<string, unknown> = { phase: spec.phase ?? 'Running' };
  if (ips.length > 0) {
    status['podIP'] = ips[0];
    status['podIPs'] = ips.map((i) => ({ ip: i }));
  }
  if (spec.hostIP !== undefined) status['hostIP'] = spec.hostIP;
  const podSpec = {
    nodeName: 'node-1',
    hostNetwork: spec.hostNetwork ?? false,
    containers: [{ name: 'main', image: 'registry.example/app:1', ports: spec.ports ?? [] }],
  };
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${spec.name}
  namespace: ${spec.ns}
  labels: ${JSON.stringify(spec.labels ?? {})}
spec: ${JSON.stringify(podSpec)}
status: ${JSON.stringify(status)}`;
}

/** The expected RuleRef of an allow, written `ns/name`. */
export function rule(policy: string, direction: 'ingress' | 'egress', ruleIndex: number, peerIndex: number | null, portIndex: number | null): RuleRef {
  const [policyNamespace, policyName] = policy.split('/') as [string, string];
  return { policyNamespace, policyName, direction, ruleIndex, peerIndex, portIndex };
}
