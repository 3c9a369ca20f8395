/**
 * A loaded cluster and what its load reported, as one JSON text and back: the loaded-cluster
 * cache stores it so a warm start skips parsing and validating the manifests.
 *
 * JSON.parse is the fastest general way back to plain objects in V8 (`v8.deserialize` of the
 * same cluster took twice as long). The model holds IP addresses as bigints, which JSON cannot
 * spell: a bigint is written as a string starting with NUL and `b`, its hex digits after; a
 * string that itself starts with NUL gets NUL and `s` in front, so no input text is ever read
 * back as something else. One walk after the parse turns them back.
 *
 * Pods, most of a cluster's objects, are written as rows (pod-columns below): their keys once,
 * label sets and container-port lists once each, so 10K pods take 1.5 MB instead of 5 MB, and
 * rebuilding them with object literals cost ~30 % less CPU than parsing them as objects.
 */
import type { Cluster, ContainerPort, IpAddress, Labels, Pod } from '../../compiler/model.js';
import type { Diagnostic } from '../diagnostics.js';
import type { LoadStats } from '../load/build-cluster.js';

/** What a load produced and reported: the cluster (restricted to the CNI profile when asked) and every line a load prints. */
export interface LoadedInput {
  readonly cluster: Cluster;
  /** Warnings and infos of the load (a load with errors is never stored). */
  readonly diagnostics: readonly Diagnostic[];
  readonly stats: LoadStats & { readonly files: readonly string[] };
  /** What the CNI profile restriction said (compiler/cni-admin-support.ts). */
  readonly notes: readonly string[];
}

const NUL = 0;
const BIGINT = 0x62; // 'b'

function escape(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return `\u0000b${value.toString(16)}`;
  if (typeof value === 'string' && value.charCodeAt(0) === NUL) return `\u0000s${value}`;
  return value;
}

function unescapeText(text: string): string | bigint {
  return text.charCodeAt(1) === BIGINT ? BigInt(`0x${text.slice(2)}`) : text.slice(2);
}

/** Puts bigints and escaped strings back in place; everything else is left as parsed. */
function revive(value: object): void {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === 'object' && item !== null) revive(item);
      else if (typeof item === 'string' && item.charCodeAt(0) === NUL) value[i] = unescapeText(item);
    }
    return;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    const item = record[key];
    if (typeof item === 'object' && item !== null) revive(item);
    else if (typeof item === 'string' && item.charCodeAt(0) === NUL) record[key] = unescapeText(item);
  }
}

/** The keys of the model's objects a pod row holds, in their order (a pod with others is written as an object). */
const POD_KEYS = 'namespace,name,labels,ips,nodeName,hostIP,hostNetwork,phase,containerPorts,origin';
const IP_KEYS = 'family,value,text';
const PORT_KEYS = 'name,containerPort,protocol';
const ORIGIN_KEYS = 'source,document,itemPath';
const POD_ROW = 10;

type IpRow = [IpAddress['family'], bigint, string];

interface PodColumns {
  readonly labelSets: Labels[];
  readonly portSets: ContainerPort[][];
  readonly sources: string[];
  /** POD_ROW values per pod, in POD_KEYS order; labels, ports and origin source as indexes into the sets. */
  readonly rows: unknown[];
}

const keysOf = (value: object): string => Object.keys(value).join();

/** The pods as rows, or null when one has a shape the rows do not hold exactly (then they are written as objects). */
function podColumns(pods: readonly Pod[]): PodColumns | null {
  const columns: PodColumns = { labelSets: [], portSets: [], sources: [], rows: [] };
  const seen = new Map<string, number>();
  const intern = <T>(list: T[], kind: string, value: T): number => {
    const key = `${kind}${JSON.stringify(value)}`;
    let at = seen.get(key);
    if (at === undefined) {
      at = list.length;
      list.push(value);
      seen.set(key, at);
    }
    return at;
  };
  const ipRow = (ip: IpAddress): IpRow | null => (keysOf(ip) === IP_KEYS ? [ip.family, ip.value, ip.text] : null);
  for (const pod of pods) {
    if (keysOf(pod) !== POD_KEYS || !pod.containerPorts.every((p) => keysOf(p) === PORT_KEYS) || (pod.origin !== null && keysOf(pod.origin) !== ORIGIN_KEYS)) return null;
    const ips = pod.ips.map(ipRow);
    const hostIP = pod.hostIP === null ? null : ipRow(pod.hostIP);
    if (ips.includes(null) || (hostIP === null && pod.hostIP !== null)) return null;
    const origin = pod.origin === null ? null : [intern(columns.sources, 's', pod.origin.source), pod.origin.document, pod.origin.itemPath];
    columns.rows.push(pod.namespace, pod.name, intern(columns.labelSets, 'l', pod.labels), ips, pod.nodeName, hostIP, pod.hostNetwork, pod.phase, intern(columns.portSets, 'p', pod.containerPorts), origin);
  }
  return columns;
}

const ipOf = (row: IpRow): IpAddress => ({ family: row[0], value: row[1], text: row[2] });

/** Pods back from rows, with the keys in the model's order and every object their own (label sets and ports copied). */
function podsOf(columns: PodColumns): Pod[] {
  const { labelSets, portSets, sources, rows } = columns;
  if (rows.length % POD_ROW !== 0) throw new Error('decodeLoadedInput: pod rows cut short');
  const pods: Pod[] = [];
  for (let i = 0; i < rows.length; i += POD_ROW) {
    const labels = labelSets[rows[i + 2] as number];
    const ports = portSets[rows[i + 8] as number];
    if (labels === undefined || ports === undefined) throw new Error('decodeLoadedInput: bad pod row');
    const hostIP = rows[i + 5] as IpRow | null;
    const origin = rows[i + 9] as [number, number, string] | null;
    const source = origin === null ? null : sources[origin[0]];
    if (source === undefined) throw new Error('decodeLoadedInput: bad pod origin');
    pods.push({
      namespace: rows[i] as string,
      name: rows[i + 1] as string,
      labels: { ...labels },
      ips: (rows[i + 3] as IpRow[]).map(ipOf),
      nodeName: rows[i + 4] as string | null,
      hostIP: hostIP === null ? null : ipOf(hostIP),
      hostNetwork: rows[i + 6] as boolean,
      phase: rows[i + 7] as string,
      containerPorts: ports.map((p) => ({ name: p.name, containerPort: p.containerPort, protocol: p.protocol })),
      origin: origin === null || source === null ? null : { source, document: origin[1], itemPath: origin[2] },
    });
  }
  return pods;
}

export function encodeLoadedInput(loaded: LoadedInput): Uint8Array {
  const pods = podColumns(loaded.cluster.pods);
  // The cluster keeps its `pods` key (an empty list) where it was: the rows go back in its place.
  const value = pods === null ? loaded : { ...loaded, cluster: { ...loaded.cluster, pods: [] }, pods };
  return Buffer.from(JSON.stringify(value, escape), 'utf8');
}

/** Throws on anything that is not an encoded LoadedInput (the cache then rebuilds). */
export function decodeLoadedInput(bytes: Uint8Array): LoadedInput {
  const value: unknown = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  if (typeof value !== 'object' || value === null) throw new Error('decodeLoadedInput: not an object');
  revive(value);
  const loaded = value as Partial<LoadedInput> & { pods?: PodColumns };
  if (!loaded.cluster || !Array.isArray(loaded.cluster.pods) || !Array.isArray(loaded.diagnostics) || !loaded.stats || !Array.isArray(loaded.notes)) throw new Error('decodeLoadedInput: not a loaded cluster');
  if (loaded.pods === undefined) return value as LoadedInput;
  const { pods, ...rest } = loaded;
  return { ...(rest as LoadedInput), cluster: { ...rest.cluster, pods: podsOf(pods) } } as LoadedInput;
}
