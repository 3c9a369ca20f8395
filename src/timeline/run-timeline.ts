/**
 * Applies timeline events to the cluster as the replay reaches their time, and hands the
 * dataplane the new policy. Each change patches the Cluster model in place of re-decoding every
 * raw object: the changed object alone is decoded (or, for a `label` event, only its labels are
 * validated) and spliced in, with the two cluster-wide rules of src/load/build-cluster.ts kept —
 * no two live pods share an IP, and a namespace only referenced exists implicitly. Only an
 * `apply` whose apiVersion the loader skips falls back to rebuilding from the raw objects. The
 * engine factory then compiles (incrementally in replays: compiler/incremental-compile.ts) and
 * the new tables are swapped in at once (`Dataplane.setPolicy`).
 */
import type { Cluster, Namespace, NetworkPolicy, Pod } from '../../compiler/model.js';
import type { PolicySemantics } from '../../compiler/policy-semantics.js';
import type { NewFlowPolicy } from '../../dataplane/new-flow-policy.js';
import type { FlowProvenance } from '../engines/flow-provenance.js';
import { InvalidInputError, type Diagnostic } from '../diagnostics.js';
import { NAMESPACE_NAME_LABEL, buildCluster, ownsPodIps } from '../load/build-cluster.js';
import { decodeMetadata, validateLabels } from '../load/decode-metadata.js';
import { decodePod } from '../load/decode-pod.js';
import { decodeNetworkPolicy } from '../load/decode-network-policy.js';
import { ObjectReader, isJsonObject, type JsonObject } from '../load/object-reader.js';
import type { RawObject } from '../load/read-manifests.js';
import { isClusterScopedKind, type ObjectRef, type TimelineEvent, type TimelineKind } from './load-timeline.js';

const TIMELINE_KINDS: ReadonlySet<string> = new Set<TimelineKind>(['NetworkPolicy', 'Pod', 'Namespace', 'AdminNetworkPolicy', 'BaselineAdminNetworkPolicy', 'ClusterNetworkPolicy']);

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
  if (!meta || typeof meta['name'] !== 'string' || typeof kind !== 'string' || !TIMELINE_KINDS.has(kind)) return null;
  return { kind: kind as TimelineKind, name: meta['name'], namespace: isClusterScopedKind(kind) ? '' : typeof meta['namespace'] === 'string' ? meta['namespace'] : 'default' };
}

function sameRef(a: ObjectRef | null, b: ObjectRef): boolean {
  return a !== null && a.kind === b.kind && a.name === b.name && a.namespace === b.namespace;
}

function byName(a: { readonly namespace: string; readonly name: string }, b: { readonly namespace: string; readonly name: string }): number {
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
      // An apiVersion the loader does not read makes the object a skipped one: let buildCluster say so.
      const apiVersion = change.object['apiVersion'];
      if (apiVersion !== undefined && apiVersion !== null && apiVersion !== (ref.kind === 'NetworkPolicy' ? 'networking.k8s.io/v1' : 'v1')) return this.rebuild(event);
      // Cluster-scoped policies are few and reorder each other (priorities): rebuild.
      if (ref.kind !== 'NetworkPolicy' && ref.kind !== 'Pod' && ref.kind !== 'Namespace') return this.rebuild(event);
      if (ref.kind === 'NetworkPolicy') return this.splicePolicy(event, raw, ref);
      if (ref.kind === 'Pod') return this.splicePod(event, raw, ref);
      return this.spliceNamespace(event, raw, ref);
    }
    const index = this.objects.findIndex((o) => sameRef(refOf(o.object), change.ref));
    if (index < 0) this.fail(event, `${change.type}: no ${change.ref.kind} ${isClusterScopedKind(change.ref.kind) ? change.ref.name : `${change.ref.namespace}/${change.ref.name}`} in the cluster`);
    const ref = change.ref;
    if (change.type === 'delete') {
      this.objects.splice(index, 1);
      if (ref.kind !== 'NetworkPolicy' && ref.kind !== 'Pod' && ref.kind !== 'Namespace') return this.rebuild(event);
      const { namespaces, pods, policies } = this.cluster;
      if (ref.kind === 'NetworkPolicy') {
        this.cluster = { ...this.cluster, namespaces, pods, policies: policies.filter((p) => !(p.namespace === ref.namespace && p.name === ref.name)) };
        return this.dropImplicitNamespace(ref.namespace);
      }
      if (ref.kind === 'Pod') {
        this.cluster = { ...this.cluster, namespaces, pods: pods.filter((p) => !(p.namespace === ref.namespace && p.name === ref.name)), policies };
        return this.dropImplicitNamespace(ref.namespace);
      }
      // A deleted namespace still referenced by pods or policies comes back implicit, as buildCluster makes it.
      this.cluster = { ...this.cluster, namespaces: namespaces.filter((ns) => ns.name !== ref.name), pods, policies };
      return this.ensureNamespace(ref.name);
    }
    const old = (this.objects[index] as RawObject).object;
    const meta = isJsonObject(old['metadata']) ? old['metadata'] : {};
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(isJsonObject(meta['labels']) ? meta['labels'] : {})) if (typeof v === 'string') labels[k] = v;
    for (const key of change.remove) delete labels[key];
    Object.assign(labels, change.set);
    this.objects[index] = { origin, object: { ...old, metadata: { ...meta, labels } } };
    // Only the labels changed: validate them as the loader would and patch the one object.
    const diagnostics: Diagnostic[] = [];
    const valid = validateLabels(new ObjectReader(origin, diagnostics), labels, 'metadata.labels');
    if (diagnostics.some((d) => d.severity === 'error')) this.fail(event, `${event.description}: invalid labels`, diagnostics);
    const { namespaces, pods, policies } = this.cluster;
    if (ref.kind === 'Pod') {
      const at = pods.findIndex((p) => p.namespace === ref.namespace && p.name === ref.name);
      if (at < 0) return this.rebuild(event);
      const next = [...pods];
      next[at] = { ...(pods[at] as Pod), labels: valid, origin };
      this.cluster = { ...this.cluster, namespaces, pods: next, policies };
      return;
    }
    const at = namespaces.findIndex((ns) => ns.name === ref.name);
    if (at < 0) return this.rebuild(event);
    const next = [...namespaces];
    next[at] = { name: ref.name, labels: { ...valid, [NAMESPACE_NAME_LABEL]: ref.name }, declared: true, origin };
    this.cluster = { ...this.cluster, namespaces: next, pods, policies };
  }

  private splicePolicy(event: TimelineEvent, raw: RawObject, ref: ObjectRef): void {
    const diagnostics: Diagnostic[] = [];
    const policy = decodeNetworkPolicy(new ObjectReader(raw.origin, diagnostics), raw.object);
    if (!policy || diagnostics.some((d) => d.severity === 'error')) this.fail(event, `apply: invalid NetworkPolicy ${ref.namespace}/${ref.name}`, diagnostics);
    const policies = this.cluster.policies.filter((p) => !(p.namespace === policy.namespace && p.name === policy.name));
    policies.push(policy);
    policies.sort(byName);
    this.cluster = { ...this.cluster, policies };
    this.ensureNamespace(policy.namespace);
  }

  /** A Pod decoded alone; the cluster-wide rule it can break is the duplicate IP (SEMANTICS.md §4 #15). */
  private splicePod(event: TimelineEvent, raw: RawObject, ref: ObjectRef): void {
    const diagnostics: Diagnostic[] = [];
    const pod = decodePod(new ObjectReader(raw.origin, diagnostics), raw.object);
    if (!pod || diagnostics.some((d) => d.severity === 'error')) this.fail(event, `apply: invalid Pod ${ref.namespace}/${ref.name}`, diagnostics);
    const others = this.cluster.pods.filter((p) => !(p.namespace === pod.namespace && p.name === pod.name));
    if (ownsPodIps(pod)) {
      const mine = new Set(pod.ips.map((ip) => ip.text));
      for (const other of others) {
        if (!ownsPodIps(other)) continue;
        const shared = other.ips.find((ip) => mine.has(ip.text));
        if (shared) {
          this.fail(event, `apply: IP ${shared.text} of Pod ${pod.namespace}/${pod.name} is also the IP of pod ${other.namespace}/${other.name}`, [
            { severity: 'error', code: 'duplicate-ip', origin: raw.origin, object: `Pod ${pod.namespace}/${pod.name}`, path: 'status.podIPs', message: `IP ${shared.text} is also the IP of pod ${other.namespace}/${other.name}` },
          ]);
        }
      }
    }
    others.push(pod);
    others.sort(byName);
    this.cluster = { ...this.cluster, pods: others };
    this.ensureNamespace(pod.namespace);
  }

  private spliceNamespace(event: TimelineEvent, raw: RawObject, ref: ObjectRef): void {
    const diagnostics: Diagnostic[] = [];
    const meta = decodeMetadata(new ObjectReader(raw.origin, diagnostics), raw.object, 'Namespace', false);
    if (!meta || diagnostics.some((d) => d.severity === 'error')) this.fail(event, `apply: invalid Namespace ${ref.name}`, diagnostics);
    const namespace: Namespace = { name: meta.name, labels: { ...meta.labels, [NAMESPACE_NAME_LABEL]: meta.name }, declared: true, origin: raw.origin };
    const namespaces = this.cluster.namespaces.filter((ns) => ns.name !== meta.name);
    namespaces.push(namespace);
    namespaces.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.cluster = { ...this.cluster, namespaces };
  }

  /** buildCluster's implicit-namespace rule: a namespace only referenced exists with just its name label. */
  private ensureNamespace(name: string): void {
    const { namespaces, pods, policies } = this.cluster;
    if (namespaces.some((ns) => ns.name === name)) return;
    if (!pods.some((p) => p.namespace === name) && !policies.some((p) => p.namespace === name)) return;
    const next = [...namespaces, { name, labels: { [NAMESPACE_NAME_LABEL]: name }, declared: false, origin: null }];
    next.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.cluster = { ...this.cluster, namespaces: next, pods, policies };
  }

  /** The other half of that rule: an implicit namespace nothing references any more is gone. */
  private dropImplicitNamespace(name: string): void {
    const { namespaces, pods, policies } = this.cluster;
    const ns = namespaces.find((n) => n.name === name);
    if (!ns || ns.declared) return;
    if (pods.some((p) => p.namespace === name) || policies.some((p) => p.namespace === name)) return;
    this.cluster = { ...this.cluster, namespaces: namespaces.filter((n) => n !== ns), pods, policies };
  }

  private rebuild(event: TimelineEvent): void {
    const diagnostics: Diagnostic[] = [];
    const { cluster } = buildCluster(this.objects, diagnostics);
    if (diagnostics.some((d) => d.severity === 'error')) this.fail(event, `${event.description}: the cluster no longer loads`, diagnostics);
    this.cluster = cluster;
  }
}
