/**
 * The conformance suite of sig-network's network-policy-api, rebuilt as data
 * (test/fixtures/conformance/README.md): every upstream case's policies, edits and probes, run
 * through the loader and both engines. A probe passes when the naive evaluator and the compiled
 * tables both give the outcome upstream expects.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CompiledEngine, NaiveEvaluator, buildCluster, formatDiagnostic, loadCluster, type Cluster, type Diagnostic, type RawObject } from '../src/index.js';
import type { Json, JsonObject } from '../src/load/object-reader.js';

const DIR = 'test/fixtures/conformance';
const PREFIX = 'network-policy-conformance-';
const PROTOCOL: Readonly<Record<string, number>> = { tcp: 6, udp: 17, sctp: 132 };

type Edit = readonly [string, ...(string | number | JsonObject)[]];
type Op =
  | { readonly op: 'patch'; readonly kind?: string; readonly policy: string; readonly edits: readonly Edit[] }
  | { readonly op: 'namespaceLabels'; readonly namespace: string; readonly labels: Readonly<Record<string, string>> }
  | { readonly op: 'delete'; readonly kind: string; readonly namespace: string; readonly name: string };
type Probe = readonly [from: string, to: string, protocol: string, port: number, allowed: boolean];

interface ConformanceCase {
  readonly test: string;
  readonly upstream: string;
  readonly objects: readonly JsonObject[];
  readonly steps: readonly { readonly title: string; readonly ops: readonly Op[]; readonly probes: readonly Probe[] }[];
}

const base = loadCluster({ paths: [`${DIR}/base-cluster.yaml`] });

function podIp(cluster: Cluster, ref: string): string {
  const [ns, name] = ref.split('/') as [string, string];
  const pod = cluster.pods.find((p) => p.namespace === `${PREFIX}${ns}` && p.name === name);
  if (!pod || !pod.ips[0]) throw new Error(`no pod ${ref} in the base cluster`);
  return pod.ips[0].text;
}

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function rules(policy: JsonObject, direction: string): Json[] {
  const spec = policy['spec'] as JsonObject;
  const key = direction === 'ingress' ? 'ingress' : 'egress';
  if (!Array.isArray(spec[key])) spec[key] = [];
  return spec[key] as Json[];
}

/** Applies one upstream edit sequence (Go value copies become deep clones). */
function patch(policy: JsonObject, edits: readonly Edit[], cluster: Cluster): void {
  const saved = new Map<string, JsonObject>();
  for (const [verb, ...args] of edits) {
    if (verb === 'let') saved.set(args[0] as string, clone(rules(policy, args[1] as string)[args[2] as number] as JsonObject));
    else if (verb === 'copy') rules(policy, args[0] as string)[args[1] as number] = clone(rules(policy, args[2] as string)[args[3] as number] as JsonObject);
    else if (verb === 'put') rules(policy, args[0] as string)[args[1] as number] = saved.get(args[2] as string) as JsonObject;
    else if (verb === 'action') (rules(policy, args[0] as string)[args[1] as number] as JsonObject)['action'] = args[2] as string;
    else if (verb === 'priority') (policy['spec'] as JsonObject)['priority'] = args[0] as number;
    else if (verb === 'namedPort') {
      // v1alpha2 `protocols` or v1alpha1 `ports`.
      const rule = saved.get(args[0] as string) as JsonObject;
      if (policy['kind'] === 'ClusterNetworkPolicy') rule['protocols'] = [{ destinationNamedPort: args[1] as string }];
      else rule['ports'] = [{ namedPort: args[1] as string }];
    }
    else if (verb === 'prepend') {
      const rule = JSON.parse(JSON.stringify(args[1]).replace(/\{\{podIP ([^}]+)\}\}/g, (_, ref: string) => `${podIp(cluster, ref)}/32`)) as JsonObject;
      rules(policy, args[0] as string).unshift(rule);
    } else throw new Error(`unknown edit ${verb}`);
  }
}

function apply(objects: JsonObject[], op: Op, cluster: Cluster): void {
  if (op.op === 'patch') {
    const policy = objects.find((o) => o['kind'] === (op.kind ?? 'ClusterNetworkPolicy') && (o['metadata'] as JsonObject)['name'] === op.policy);
    if (!policy) throw new Error(`no policy ${op.policy}`);
    patch(policy, op.edits, cluster);
  } else if (op.op === 'namespaceLabels') {
    const ns = objects.find((o) => o['kind'] === 'Namespace' && (o['metadata'] as JsonObject)['name'] === `${PREFIX}${op.namespace}`);
    if (!ns) throw new Error(`no namespace ${op.namespace}`);
    (ns['metadata'] as JsonObject)['labels'] = { ...op.labels };
  } else {
    const at = objects.findIndex((o) => o['kind'] === op.kind && (o['metadata'] as JsonObject)['name'] === op.name && (o['metadata'] as JsonObject)['namespace'] === `${PREFIX}${op.namespace}`);
    if (at < 0) throw new Error(`no ${op.kind} ${op.namespace}/${op.name}`);
    objects.splice(at, 1);
  }
}

const CASES: ConformanceCase[] = readdirSync(`${DIR}/cases`)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(`${DIR}/cases/${f}`, 'utf8')) as ConformanceCase);

describe('conformance - network-policy-api cases with both engines', () => {
  it('conformance - every upstream case is here', () => {
    // 24 v1alpha2 ClusterNetworkPolicy tests (upstream @0eec1b0e) and 24 v1alpha1
    // AdminNetworkPolicy/BaselineAdminNetworkPolicy tests (upstream @e5f5462c, before v1alpha2).
    expect(CASES.length).toBe(48);
    expect(CASES.reduce((n, c) => n + c.steps.reduce((m, s) => m + s.probes.length, 0), 0)).toBe(572);
  });

  for (const c of CASES) {
    it(`conformance - ${c.test}`, () => {
      const objects = [...base.objects.map((o) => clone(o.object)), ...c.objects.map((o) => clone(o))];
      for (const step of c.steps) {
        for (const op of step.ops) apply(objects, op, base.cluster);
        const diagnostics: Diagnostic[] = [];
        const raw: RawObject[] = objects.map((object, i) => ({ origin: { source: `${c.test}.json`, document: i + 1, itemPath: '' }, object }));
        const { cluster } = buildCluster(raw, diagnostics);
        expect(diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic)).toEqual([]);
        const engines = { naive: new NaiveEvaluator(cluster), compiled: new CompiledEngine(cluster) };
        for (const [from, to, protocol, port, allowed] of step.probes) {
          const flow = { src: ipOf(cluster, from), dst: ipOf(cluster, to), protocol: PROTOCOL[protocol] as number, dstPort: port };
          for (const [name, engine] of Object.entries(engines)) {
            const verdict = engine.evaluate(flow);
            expect(verdict.allowed, `${c.test}: ${step.title}: ${from} -> ${to} ${protocol}/${port} (${name}: ${verdict.reason})`).toBe(allowed);
          }
        }
      }
    });
  }
});

function ipOf(cluster: Cluster, ref: string): NonNullable<Cluster['pods'][number]['ips'][number]> {
  const [ns, name] = ref.split('/') as [string, string];
  const pod = cluster.pods.find((p) => p.namespace === `${PREFIX}${ns}` && p.name === name);
  if (!pod || !pod.ips[0]) throw new Error(`no pod ${ref}`);
  return pod.ips[0];
}
