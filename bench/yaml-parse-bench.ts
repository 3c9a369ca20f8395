/**
 * YAML parsing throughput (issue 10, fast load): `parseYamlFast` against the `yaml` package
 * (`parseAllDocuments` + `toJS`, what src/load/read-manifests.ts runs) and `JSON.parse` of the
 * same objects as JSON, the upper bound. Seeded data: the synth cluster's three manifest files
 * (10,000 pods, 2,000 policies, 100 namespaces, seed 7) and the same pods as one `kubectl get -o
 * yaml` List (items at the column of `items:`, a last-applied-configuration block scalar each).
 *
 *   npm run build && node dist/bench/yaml-parse-bench.js [--pods N]
 *
 * Prints a markdown table of MB/s (MB of YAML text per second, also for JSON.parse, so the
 * columns compare) and the fast/yaml ratio; checks first that the fast path gives `yaml`'s value.
 */
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { Bench } from 'tinybench';
import { parseAllDocuments, stringify } from 'yaml';
import { parseYamlFast } from '../src/load/parse-yaml-fast.js';
import type { JsonObject } from '../src/load/object-reader.js';
import { generateCluster } from '../src/synth/generate-cluster.js';
import { renderClusterManifests } from '../src/synth/write-manifests.js';

const TASK_MS = 1500;

interface Input {
  readonly name: string;
  readonly yaml: string;
}

/** What `kubectl get pods,networkpolicies -A -o yaml` prints for the objects (server fields made up). */
export function renderKubectlList(objects: readonly JsonObject[]): string {
  // A JSON round trip unshares sub-objects, which `stringify` would print as anchors and aliases.
  const items = objects.map((shared, i) => {
    const object = JSON.parse(JSON.stringify(shared)) as JsonObject;
    const metadata = (object['metadata'] ?? {}) as JsonObject;
    const annotations = {
      ...((metadata['annotations'] ?? {}) as JsonObject),
      'kubectl.kubernetes.io/last-applied-configuration': `${JSON.stringify(object)}\n`,
    };
    return {
      ...object,
      metadata: {
        ...metadata,
        annotations,
        creationTimestamp: '2024-05-01T10:00:00Z',
        generation: 1,
        resourceVersion: String(100000 + i),
        uid: `0b6f3c1e-9a2d-4c1b-8e7f-${(i + 1).toString(16).padStart(12, '0')}`,
      },
    };
  });
  // kubectl's printer: 2-space indent, sequences at their key's column, no folding.
  return stringify({ apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } }, { indentSeq: false, lineWidth: 0 });
}

function yamlReference(text: string): unknown[] {
  return parseAllDocuments(text, { uniqueKeys: true }).map((d) => d.toJS({ maxAliasCount: 1000 }) as unknown);
}

async function rate(name: string, fn: () => unknown): Promise<number> {
  const bench = new Bench({ time: TASK_MS, iterations: 3, warmupTime: TASK_MS / 4, warmupIterations: 1 });
  bench.add(name, fn);
  await bench.run();
  const result = bench.tasks[0]?.result;
  if (!result || result.state !== 'completed') throw new Error(`benchmark ${name} did not complete`);
  return result.latency.mean;
}

async function main(): Promise<void> {
  const podsArg = process.argv.indexOf('--pods');
  const pods = podsArg > 0 ? Number(process.argv[podsArg + 1]) : 10_000;
  const objects = generateCluster({ seed: 7, pods, namespaces: Math.max(3, Math.round(pods / 100)), policies: Math.round(pods / 5) });
  const inputs: Input[] = renderClusterManifests(objects).map((file) => ({ name: file.name, yaml: file.text }));
  inputs.push({ name: 'kubectl List (pods + policies)', yaml: renderKubectlList(objects.filter((o) => o['kind'] !== 'Namespace')) });

  const rows: string[] = ['| input | MB | docs | fast MB/s | yaml MB/s | JSON.parse MB/s | fast / yaml |', '|---|---:|---:|---:|---:|---:|---:|'];
  for (const input of inputs) {
    const reference = yamlReference(input.yaml);
    const fast = parseYamlFast(input.yaml);
    if (fast === null) throw new Error(`${input.name}: the fast path returned null`);
    if (!isDeepStrictEqual(fast, reference)) throw new Error(`${input.name}: the fast path differs from yaml`);
    const json = JSON.stringify(reference);
    const mb = Buffer.byteLength(input.yaml) / 1e6;
    const fastMs = await rate(`fast ${input.name}`, () => parseYamlFast(input.yaml));
    const yamlMs = await rate(`yaml ${input.name}`, () => yamlReference(input.yaml));
    const jsonMs = await rate(`json ${input.name}`, () => JSON.parse(json) as unknown);
    const mbps = (ms: number): string => (mb / (ms / 1000)).toFixed(1);
    rows.push(`| ${input.name} | ${mb.toFixed(2)} | ${reference.length} | ${mbps(fastMs)} | ${mbps(yamlMs)} | ${mbps(jsonMs)} | ${(yamlMs / fastMs).toFixed(1)}× |`);
    console.error(`${input.name}: fast ${fastMs.toFixed(1)} ms, yaml ${yamlMs.toFixed(1)} ms, JSON.parse ${jsonMs.toFixed(1)} ms`);
  }
  console.log(rows.join('\n'));
}

// Importable for its renderer (e.g. to write the kubectl List to a file) without running.
if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
