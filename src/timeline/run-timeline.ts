/**
 * Applies timeline events to the cluster as the replay reaches their time, and hands the
 * dataplane the new policy. A NetworkPolicy change is decoded alone and spliced into the cluster
 * (pods and namespaces are kept as they are); a Pod or Namespace change rebuilds the cluster
 * from its raw objects, since identities, IPs and namespace labels may all move. Either way the
 * tables are compiled again and swapped in at once (`Dataplane.setPolicy`).
 */
import type { Cluster, NetworkPolicy } from '../../compiler/model.js';
import type { PolicySemantics } from '../../compiler/policy-semantics.js';
import type { NewFlowPolicy } from '../../dataplane/new-flow-policy.js';
import type { FlowProvenance } from '../engines/flow-provenance.js';
import { InvalidInputError, type Diagnostic } from '../diagnostics.js';
import { buildCluster } from '../load/build-cluster.js';
import { decodeNetworkPolicy } from '../load/decode-network-policy.js';
import { ObjectReader, isJsonObject, type JsonObject } from '../load/object-reader.js';
import type { RawObject } from '../load/read-manifests.js';
import type { ObjectRef, TimelineEvent } from './load-timeline.js';

export interface AppliedEvent {
  readonly event: TimelineEvent;
  /** Capture time at which it took effect (the first packet at or after its time). */
  readonly appliedAt: number;
  /** Wall-clock milliseconds to rebuild the cluster and compile the tables. */
  readonly rebuildMs: number;
}

export type EngineFactory = (cluster: Cluster, semantics: PolicySemantics) => { policy: NewFlowPolicy; provenance: FlowProvenance };

function refOf(object: JsonObject): ObjectRef | null {
  const meta = isJsonObject(object['metadata']) ? object['metadata'] : null;
  const kind = object['kind'];
  if (!meta || typeof meta['name'] !== 'string' || (kind !== 'NetworkPolicy' && kind !== 'Pod' && kind !== 'Namespace')) return null;
  return { kind, name: meta['name'], namespace: kind === 'Namespace' ? '' : typeof meta['namespace'] === 'string' ? meta['namespace'] : 'default' };
}

function sameRef(a: ObjectRef | null, b: ObjectRef): boolean {
  return a !== null && a.kind === b.kind && a.name === b.name && a.namespace === b.namespace;
}

function byName(a: NetworkPolicy, b: NetworkPolicy): number {
  if (a.namespace !== b.namespace) return a.namespace < b.namespace ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export class TimelineRunner {
  readonly applied: AppliedEvent[] = [];
  private readonly events: TimelineEvent[];
  private objects: RawObject[];
  private times: number[] = [];
  private next = 0;
  cluster: Cluster;
  provenance: FlowProvenance | null = null;

  constructor(
    events: readonly TimelineEvent[],
    objects: readonly RawObject[],
    cluster: Cluster,
    private readonly semantics: PolicySemantics,
    private readonly createEngine: EngineFactory,
    private readonly now: () => number,
  ) {
    this.events = [...events];
    this.objects = [...objects];
    this.cluster = cluster;
  }

  /** Fix relative times once the first packet's time is known; events then run in time order. */
  start(firstPacketSec: number): void {
    const at = (e: TimelineEvent): number => (e.at.relative ? firstPacketSec + e.at.seconds : e.at.seconds);
    this.events.sort((a, b) => at(a) - at(b) || a.index - b.index);
    this.times = this.events.map(at);
  }

  /** Time of the next event, or Infinity. */
  get nextTime(): number {
    return this.next < this.times.length ? (this.times[this.next] as number) : Infinity;
  }

  /** Apply every event due at `nowSec`; returns the new policy, or null when nothing was due. */
  applyDue(nowSec: number): NewFlowPolicy | null {
    if (this.nextTime > nowSec) return null;
    const started = this.now();
    const due: TimelineEvent[] = [];
    while (this.nextTime <= nowSec) due.push(this.events[this.next++] as TimelineEvent);
    for (const event of due) this.applyChange(event);
    const engine = this.createEngine(this.cluster, this.semantics);
    this.provenance = engine.provenance;
    const rebuildMs = this.now() - started;
    for (const event of due) this.applied.push({ event, appliedAt: nowSec, rebuildMs: rebuildMs / due.length });
    return engine.policy;
  }

  private fail(event: TimelineEvent, message: string, diagnostics: readonly Diagnostic[] = []): never {
    throw new InvalidInputError([
      ...diagnostics,
      { severity: 'error', code: 'invalid-value', origin: { source: 'timeline', document: 1, itemPath: '' }, object: null, path: `events[${event.index}]`, message },
    ]);
  }

  private applyChange(event: TimelineEvent): void {
    const change = event.change;
    const origin = { source: 'timeline', document: 1, itemPath: `events[${event.index}]` };
    if (change.type === 'apply') {
      const ref = refOf(change.object);
      if (!ref) this.fail(event, 'apply: the manifest needs kind and metadata.name');
      const index = this.objects.findIndex((o) => sameRef(refOf(o.object), ref));
      const raw: RawObject = { origin, object: change.object };
      if (index >= 0) this.objects[index] = raw;
      else this.objects.push(raw);
      if (ref.kind === 'NetworkPolicy') return this.splicePolicy(event, raw, ref);
      return this.rebuild(event);
    }
    const index = this.objects.findIndex((o) => sameRef(refOf(o.object), change.ref));
    if (index < 0) this.fail(event, `${change.type}: no ${change.ref.kind} ${change.ref.kind === 'Namespace' ? change.ref.name : `${change.ref.namespace}/${change.ref.name}`} in the cluster`);
    if (change.type === 'delete') {
      this.objects.splice(index, 1);
      if (change.ref.kind === 'NetworkPolicy') {
        this.cluster = { ...this.cluster, policies: this.cluster.policies.filter((p) => !(p.namespace === change.ref.namespace && p.name === change.ref.name)) };
        return;
      }
      return this.rebuild(event);
    }
    const old = (this.objects[index] as RawObject).object;
    const meta = isJsonObject(old['metadata']) ? old['metadata'] : {};
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(isJsonObject(meta['labels']) ? meta['labels'] : {})) if (typeof v === 'string') labels[k] = v;
    for (const key of change.remove) delete labels[key];
    Object.assign(labels, change.set);
    this.objects[index] = { origin, object: { ...old, metadata: { ...meta, labels } } };
    this.rebuild(event);
  }

  private splicePolicy(event: TimelineEvent, raw: RawObject, ref: ObjectRef): void {
    const diagnostics: Diagnostic[] = [];
    const policy = decodeNetworkPolicy(new ObjectReader(raw.origin, diagnostics), raw.object);
    if (!policy || diagnostics.some((d) => d.severity === 'error')) this.fail(event, `apply: invalid NetworkPolicy ${ref.namespace}/${ref.name}`, diagnostics);
    if (!this.cluster.namespaces.some((ns) => ns.name === policy.namespace)) return this.rebuild(event);
    const policies = this.cluster.policies.filter((p) => !(p.namespace === policy.namespace && p.name === policy.name));
    policies.push(policy);
    policies.sort(byName);
    this.cluster = { ...this.cluster, policies };
  }

  private rebuild(event: TimelineEvent): void {
    const diagnostics: Diagnostic[] = [];
    const { cluster } = buildCluster(this.objects, diagnostics);
    if (diagnostics.some((d) => d.severity === 'error')) this.fail(event, `${event.description}: the cluster no longer loads`, diagnostics);
    this.cluster = cluster;
  }
}
