/**
 * Pods → workloads for `advise`: pods of a namespace with the same labels once the per-pod and
 * per-revision labels controllers add are dropped (`pod-template-hash`, `controller-revision-hash`,
 * `statefulset.kubernetes.io/pod-name`...), so the replicas of a Deployment, StatefulSet or
 * DaemonSet are one group. Each group gets a selector that selects exactly its pods among the
 * namespace's policed pods: the workload's name label (`app.kubernetes.io/name`, `app`,
 * `k8s-app`...) when it has one, plus, greedily, the label that excludes most of the pods still
 * wrongly selected; `DoesNotExist` requirements as the last resort (pods without labels). Never a
 * pod name.
 */
import type { LabelSelector, Labels, Pod } from '../../compiler/model.js';

/** Labels that differ between replicas of one workload (set by controllers, not by its owner). */
export const PER_POD_LABELS: readonly string[] = [
  'pod-template-hash',
  'controller-revision-hash',
  'pod-template-generation',
  'statefulset.kubernetes.io/pod-name',
  'apps.kubernetes.io/pod-index',
  'batch.kubernetes.io/controller-uid',
  'batch.kubernetes.io/job-completion-index',
  'controller-uid',
];

/** Labels that name a workload, tried first (most specific first). */
const NAME_LABELS: readonly string[] = ['app.kubernetes.io/name', 'app', 'k8s-app', 'name'];

export interface Workload {
  readonly namespace: string;
  /** A short name for file and policy names: the selector's values joined, or `unlabelled`. */
  readonly name: string;
  /** The labels its pods share (per-pod labels dropped). */
  readonly labels: Labels;
  readonly selector: LabelSelector;
  readonly pods: readonly Pod[];
}

function isPoliced(pod: Pod): boolean {
  return !pod.hostNetwork && pod.ips.length > 0 && pod.phase !== 'Succeeded' && pod.phase !== 'Failed';
}

function workloadLabels(labels: Labels): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(labels).sort()) if (!PER_POD_LABELS.includes(key)) out[key] = labels[key] as string;
  return out;
}

function selects(selector: LabelSelector, labels: Labels): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels)) if (labels[key] !== value) return false;
  for (const r of selector.matchExpressions) if (r.operator === 'DoesNotExist' && Object.hasOwn(labels, r.key)) return false;
  return true;
}

/** DNS-label-safe name part: lower case, [a-z0-9-], at most 40 characters. */
export function nameSafe(text: string): string {
  const safe = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return safe || 'x';
}

/** The workloads of the cluster's policed pods, by namespace then name (deterministic). */
export function groupWorkloads(pods: readonly Pod[]): Workload[] {
  const byNamespace = new Map<string, Pod[]>();
  for (const pod of pods) {
    if (!isPoliced(pod)) continue;
    const list = byNamespace.get(pod.namespace) ?? [];
    list.push(pod);
    byNamespace.set(pod.namespace, list);
  }
  const workloads: Workload[] = [];
  for (const namespace of [...byNamespace.keys()].sort()) {
    const nsPods = byNamespace.get(namespace) as Pod[];
    const groups = new Map<string, { labels: Record<string, string>; pods: Pod[] }>();
    for (const pod of nsPods) {
      const labels = workloadLabels(pod.labels);
      const key = JSON.stringify(labels);
      const group = groups.get(key) ?? { labels, pods: [] };
      group.pods.push(pod);
      groups.set(key, group);
    }
    const names = new Set<string>();
    for (const key of [...groups.keys()].sort()) {
      const group = groups.get(key) as { labels: Record<string, string>; pods: Pod[] };
      const others = nsPods.filter((p) => !group.pods.includes(p));
      const selector = exactSelector(group.labels, others);
      let name = nameSafe(Object.values(selector.matchLabels).join('-') || 'unlabelled');
      for (let i = 2; names.has(name); i++) name = `${nameSafe(Object.values(selector.matchLabels).join('-') || 'unlabelled')}-${i}`;
      names.add(name);
      workloads.push({ namespace, name, labels: group.labels, selector, pods: group.pods });
    }
  }
  return workloads;
}

/** A selector of `labels` that selects none of `others` (pods of the same namespace, other workloads). */
function exactSelector(labels: Record<string, string>, others: readonly Pod[]): LabelSelector {
  const chosen: Record<string, string> = {};
  const nameKey = NAME_LABELS.find((key) => Object.hasOwn(labels, key));
  if (nameKey !== undefined) chosen[nameKey] = labels[nameKey] as string;
  let remaining = others.filter((p) => selects({ matchLabels: chosen, matchExpressions: [] }, p.labels));
  while (remaining.length > 0) {
    let best: string | null = null;
    let bestExcluded = 0;
    for (const key of Object.keys(labels).sort()) {
      if (Object.hasOwn(chosen, key)) continue;
      const excluded = remaining.filter((p) => p.labels[key] !== labels[key]).length;
      if (excluded > bestExcluded) {
        best = key;
        bestExcluded = excluded;
      }
    }
    if (best === null) break;
    chosen[best] = labels[best] as string;
    remaining = remaining.filter((p) => p.labels[best as string] === labels[best as string]);
  }
  const sortedLabels: Record<string, string> = {};
  for (const key of Object.keys(chosen).sort()) sortedLabels[key] = chosen[key] as string;
  // Pods still selected carry every label of the group and more: exclude them by their extra keys.
  const missing = new Set<string>();
  for (const pod of remaining) {
    const extra = Object.keys(workloadLabels(pod.labels)).filter((key) => !Object.hasOwn(labels, key)).sort();
    if (extra.length > 0 && !extra.some((k) => missing.has(k))) missing.add(extra[0] as string);
  }
  return { matchLabels: sortedLabels, matchExpressions: [...missing].sort().map((key) => ({ key, operator: 'DoesNotExist' as const, values: [] })) };
}
