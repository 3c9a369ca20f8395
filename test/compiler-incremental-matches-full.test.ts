/**
 * The incremental compiler's property: after every change of a random timeline (policies
 * applied, replaced and deleted; pods added, replaced, removed and relabelled; namespaces
 * applied, relabelled and deleted), the TimelineRunner's patched cluster equals the cluster the
 * loader builds from the changed manifests, and the IncrementalCompiler's tables deep-equal a
 * fresh one-shot compile of it — typed arrays, rule ids and provenance alike.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile } from '../compiler/compile.js';
import { IncrementalCompiler } from '../compiler/incremental-compile.js';
import type { CompiledTables } from '../compiler/tables.js';
import { FlowClassifier } from '../dataplane/classify-flow.js';
import type { Diagnostic } from '../src/diagnostics.js';
import { compiledProvenance } from '../src/engines/flow-provenance.js';
import { buildCluster } from '../src/load/build-cluster.js';
import { isJsonObject, type JsonObject } from '../src/load/object-reader.js';
import type { RawObject } from '../src/load/read-manifests.js';
import type { ObjectRef, TimelineChange, TimelineEvent } from '../src/timeline/load-timeline.js';
import { TimelineRunner } from '../src/timeline/run-timeline.js';
import { NAMESPACES, NS_LABELS, POD_LABELS, clusterArb, labelsArb, podArb, podObject, policyArb, semanticsArb, type PodShape } from './helpers/random-cluster.js';

type Op =
  | { readonly op: 'apply'; readonly object: JsonObject }
  | { readonly op: 'pod-apply'; readonly shape: PodShape; readonly slot: number }
  | { readonly op: 'delete'; readonly kind: ObjectRef['kind']; readonly pick: number }
  | { readonly op: 'label'; readonly kind: 'Pod' | 'Namespace'; readonly pick: number; readonly set: Record<string, string>; readonly remove: string[] };

const removeArb = fc.subarray([...Object.keys(POD_LABELS), ...Object.keys(NS_LABELS), 'kubernetes.io/metadata.name']);
// Now and then a label the API server rejects: the runner must refuse it as the loader does.
const setArb = (pool: Record<string, string[]>): fc.Arbitrary<Record<string, string>> =>
  fc.oneof({ arbitrary: labelsArb(pool), weight: 9 }, { arbitrary: fc.constant({ app: 'not valid!' }), weight: 1 });

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 8 }).chain((i) => policyArb(i).map((object) => ({ op: 'apply' as const, object }))), weight: 4 },
  { arbitrary: fc.record({ op: fc.constant('delete' as const), kind: fc.constant('NetworkPolicy' as const), pick: fc.nat() }), weight: 3 },
  // Slots 0-7 replace (or, in another namespace, collide with) generated pods; 8-11 are new.
  { arbitrary: fc.record({ op: fc.constant('pod-apply' as const), shape: podArb, slot: fc.integer({ min: 0, max: 11 }) }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('delete' as const), kind: fc.constantFrom('Pod' as const, 'Namespace' as const), pick: fc.nat() }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('label' as const), kind: fc.constant('Pod' as const), pick: fc.nat(), set: setArb(POD_LABELS), remove: removeArb }), weight: 4 },
  { arbitrary: fc.record({ op: fc.constant('label' as const), kind: fc.constant('Namespace' as const), pick: fc.nat(), set: setArb(NS_LABELS), remove: removeArb }), weight: 2 },
  {
    arbitrary: fc.record({ name: fc.constantFrom(...NAMESPACES, 'delta'), labels: labelsArb(NS_LABELS) }).map(({ name, labels }) => ({
      op: 'apply' as const,
      object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } } as JsonObject,
    })),
    weight: 1,
  },
);

function refOf(object: JsonObject): ObjectRef {
  const meta = object['metadata'] as JsonObject;
  const kind = object['kind'] as ObjectRef['kind'];
  return { kind, name: meta['name'] as string, namespace: kind === 'Namespace' ? '' : ((meta['namespace'] as string | undefined) ?? 'default') };
}

const sameRef = (a: ObjectRef, b: ObjectRef): boolean => a.kind === b.kind && a.name === b.name && a.namespace === b.namespace;

/** The change an op stands for on the current manifests (null when there is nothing to pick), applied to them as the runner does. */
function applyOp(objects: RawObject[], op: Op, index: number): TimelineChange | null {
  const origin = { source: 'timeline', document: 1, itemPath: `events[${index}]` };
  if (op.op === 'apply' || op.op === 'pod-apply') {
    const object = op.op === 'apply' ? op.object : podObject(op.shape, op.slot).object;
    const at = objects.findIndex((o) => sameRef(refOf(o.object), refOf(object)));
    if (at >= 0) objects[at] = { origin, object };
    else objects.push({ origin, object });
    return { type: 'apply', object };
  }
  const candidates = objects.map((o, i) => i).filter((i) => (objects[i] as RawObject).object['kind'] === op.kind);
  if (candidates.length === 0) return null;
  const at = candidates[op.pick % candidates.length] as number;
  const old = (objects[at] as RawObject).object;
  const ref = refOf(old);
  if (op.op === 'delete') {
    objects.splice(at, 1);
    return { type: 'delete', ref };
  }
  const meta = old['metadata'] as JsonObject;
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(isJsonObject(meta['labels']) ? meta['labels'] : {})) if (typeof v === 'string') labels[k] = v;
  for (const key of op.remove) delete labels[key];
  Object.assign(labels, op.set);
  objects[at] = { origin, object: { ...old, metadata: { ...meta, labels } } };
  return { type: 'label', ref, set: op.set, remove: op.remove };
}

describe('compiler - incremental compile matches a full compile', () => {
  it('incremental compiler - equal tables and patched cluster after every change of 250 random timelines', () => {
    let compared = 0;
    let rejected = 0;
    fc.assert(
      fc.property(clusterArb, semanticsArb, fc.array(opArb, { minLength: 1, maxLength: 12 }), (random, semantics, ops) => {
        const objects = [...random.objects];
        const initial = buildCluster(objects, []).cluster;
        const events: TimelineEvent[] = [];
        const expected: { cluster: ReturnType<typeof buildCluster>['cluster']; errors: Diagnostic[] }[] = [];
        for (const op of ops) {
          const change = applyOp(objects, op, events.length);
          if (!change) continue;
          const diagnostics: Diagnostic[] = [];
          const { cluster } = buildCluster(objects, diagnostics);
          expected.push({ cluster, errors: diagnostics.filter((d) => d.severity === 'error') });
          events.push({ index: events.length, at: { relative: true, seconds: events.length + 1 }, change, description: `${change.type} #${events.length}` });
        }

        const incremental = new IncrementalCompiler(semantics);
        let last: CompiledTables | null = null;
        const engine = (cluster: typeof initial) => {
          last = incremental.compile(cluster);
          return { policy: new FlowClassifier(last), provenance: compiledProvenance(last) };
        };
        engine(initial);
        expect(last).toEqual(compile(initial, semantics));
        const runner = new TimelineRunner(events, random.objects, initial, semantics, engine, () => 0);
        runner.start(0);
        for (const [k, want] of expected.entries()) {
          if (want.errors.length > 0) {
            // The loader would refuse these manifests: so must the runner, and the replay stops there.
            expect(() => runner.applyDue(k + 1)).toThrow();
            rejected++;
            return;
          }
          runner.applyDue(k + 1);
          expect(runner.cluster).toEqual(want.cluster);
          expect(last).toEqual(compile(want.cluster, semantics));
          compared++;
        }
      }),
      { numRuns: 250, seed: Number(process.env['NETPOL_PROPERTY_SEED'] ?? 20261121) },
    );
    // Both paths must be exercised for the property to say much.
    expect(compared).toBeGreaterThan(1000);
    expect(rejected).toBeGreaterThan(10);
  });
});
