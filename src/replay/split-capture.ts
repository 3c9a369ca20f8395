/**
 * `split`: one capture → several pcap files to replay apart (on several machines, or as the
 * chunks of a fleet Job) and `merge` after.
 *
 * - `flow`: a partition by a symmetric hash of the packet's address pair, so both directions of
 *   a connection, its fragments (no ports needed), the `-i any` copies of a packet and ICMP errors
 *   about it (hashed by the embedded packet's addresses) land in the same part; overlay packets
 *   are hashed by their inner addresses (the replay's default `--decap auto`). Non-IP and
 *   undecodable frames go to part 0. Every record is in exactly one part, and every connection's
 *   packets are in one part, so `merge` of the parts' summaries equals the single replay
 *   (merge-summaries.ts). Not kept together: a Service's pre- and post-DNAT copies (ClusterIP vs
 *   endpoint address), which only the replay's translation relates.
 * - `node`: what each node's capture would hold — every packet to or from an address of the node
 *   (its pods' IPs and its host IP, from the cluster): a pod-to-pod packet across nodes is in both
 *   nodes' files. Packets with no node address go to `unassigned.pcap`. `merge --flows` joins the
 *   connections seen on two nodes.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Cluster } from '../../compiler/model.js';
import { PacketMeta, DecodeStatus } from '../../dataplane/packet-meta.js';
import { decodeFrame, TunnelDecoder, TunnelResult, type DecapMode } from '../../dataplane/decode/index.js';
import { readCapture } from '../capture/open-capture.js';
import type { CaptureEnd, CaptureRecord } from '../capture/capture-record.js';
import { PcapWriter } from '../capture/pcap-writer.js';
import { formatIpv4Word, formatIpv6Words } from '../load/parse-ip.js';
import type { ServiceNat } from '../../dataplane/service-nat.js';
import { ShardFunction } from './shard-of.js';

export { addressPairHash } from './shard-of.js';

export interface SplitResult {
  readonly end: CaptureEnd;
  readonly files: readonly { readonly path: string; readonly records: number }[];
}

/** Decodes `record` into `meta` (and its tunnel); false when it is not a decodable IP packet. */
function decodeAddresses(record: CaptureRecord, meta: PacketMeta, tunnels: TunnelDecoder): boolean {
  const status = decodeFrame(record.buffer, record.offset, record.capturedLength, record.wireLength, record.linkType, meta);
  if (status !== DecodeStatus.OK) return false;
  const tunnel = tunnels.decode(record.buffer, Math.min(record.offset + record.capturedLength, record.buffer.length), meta);
  return !(tunnel === TunnelResult.OPENED && tunnels.status !== DecodeStatus.OK);
}

function addressText(version: number, words: Uint32Array): string {
  return version === 4 ? formatIpv4Word(words[0] as number) : formatIpv6Words(words[0] as number, words[1] as number, words[2] as number, words[3] as number);
}

/** Address text → node name: every running pod's IPs (hostNetwork pods' are the node's), host IPs, Node addresses. */
export function nodeAddresses(cluster: Cluster): Map<string, string> {
  const nodes = new Map<string, string>();
  for (const node of cluster.nodes ?? []) for (const a of node.addresses) nodes.set(a.text, node.name);
  for (const pod of cluster.pods) {
    if (pod.nodeName === null) continue;
    if (pod.hostIP) nodes.set(pod.hostIP.text, pod.nodeName);
    if (pod.phase === 'Succeeded' || pod.phase === 'Failed') continue;
    for (const ip of pod.ips) nodes.set(ip.text, pod.nodeName);
  }
  return nodes;
}

/**
 * `services`: the replay's Service translation, so a Service connection's pre- and post-DNAT
 * packets stay together (shard-of.ts); null when the split has no cluster.
 */
export async function splitByFlow(source: string | Readable, outDir: string, parts: number, decap: DecapMode = 'auto', services: ServiceNat | null = null): Promise<SplitResult> {
  mkdirSync(outDir, { recursive: true });
  const width = String(parts - 1).length;
  const writers = Array.from({ length: parts }, (_, i) => new PcapWriter(join(outDir, `part-${String(i).padStart(width, '0')}.pcap`)));
  const shard = new ShardFunction({ shards: parts, decap, services });
  let end: CaptureEnd;
  try {
    end = await readCapture(source, (record) => {
      (writers[shard.shardOf(record.buffer, record.offset, record.capturedLength, record.wireLength, record.linkType)] as PcapWriter).append(record);
    });
  } finally {
    for (const w of writers) w.close();
  }
  return { end, files: writers.map((w) => ({ path: w.path, records: w.records })) };
}

export async function splitByNode(source: string | Readable, outDir: string, cluster: Cluster, decap: DecapMode = 'auto'): Promise<SplitResult> {
  mkdirSync(outDir, { recursive: true });
  const owners = nodeAddresses(cluster);
  const writers = new Map<string, PcapWriter>();
  const writer = (name: string): PcapWriter => {
    let w = writers.get(name);
    if (!w) {
      w = new PcapWriter(join(outDir, `${name}.pcap`));
      writers.set(name, w);
    }
    return w;
  };
  // Every node gets a file, even one whose pods sent nothing (a fleet Job expects one per node).
  for (const name of [...new Set(owners.values())].sort()) writer(name);
  const meta = new PacketMeta();
  const tunnels = new TunnelDecoder(decap);
  let end: CaptureEnd;
  try {
    end = await readCapture(source, (record) => {
      let a: string | undefined;
      let b: string | undefined;
      if (decodeAddresses(record, meta, tunnels)) {
        const version = meta.hasInner ? meta.innerIpVersion : meta.ipVersion;
        a = owners.get(addressText(version, meta.hasInner ? meta.innerSrc : meta.src));
        b = owners.get(addressText(version, meta.hasInner ? meta.innerDst : meta.dst));
      }
      if (a === undefined && b === undefined) writer('unassigned').append(record);
      if (a !== undefined) writer(a).append(record);
      if (b !== undefined && b !== a) writer(b).append(record);
    });
  } finally {
    for (const w of writers.values()) w.close();
  }
  return { end, files: [...writers.values()].map((w) => ({ path: w.path, records: w.records })) };
}
