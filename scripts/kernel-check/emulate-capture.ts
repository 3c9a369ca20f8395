/**
 * The emulator's side of the kernel check: the capture replayed through the library (the same
 * dataplane `replay --cni PROFILE` builds), keeping per frame its verdict, the IP datagram to
 * send to the kernel (or why it is not sent) and the flow whose rule decided it.
 */
import type { Cluster } from '../../compiler/model.js';
import { isForwarded, PacketCategory, PACKET_CATEGORY_NAME } from '../../dataplane/packet-category.js';
import { createEngine, flowReport, policySemantics, profileDataplaneOptions, readFlowsJsonl, replayCapture, type ResolvedProfile } from '../../src/index.js';
import { TimelineRunner } from '../../src/timeline/run-timeline.js';
import { formatIpv4Word, formatIpv6Words } from '../../src/load/parse-ip.js';
import type { TimelineEvent } from '../../src/timeline/load-timeline.js';
import type { RawObject } from '../../src/load/read-manifests.js';

export interface EmulatedFrame {
  /** 0-based record number in the capture (frame number = index + 1). */
  readonly index: number;
  readonly category: number;
  /** The emulator let it through (an allowed category). */
  readonly forwarded: boolean;
  /** The IP datagram as captured, when it can be sent to the kernel. */
  readonly datagram: Uint8Array | null;
  /** Why it is not sent (and not compared), when `datagram` is null. */
  readonly skip: string | null;
  readonly ipVersion: number;
  readonly src: string;
  readonly dst: string;
  /** Offset of the upper-layer header in `datagram`, -1 when unknown. */
  readonly l4Offset: number;
  readonly protocol: number;
  /** `seq` of the flow record the frame was counted on, -1 for none. */
  readonly flowSeq: number;
  /** The policy version the frame met (0 before any timeline event): an index of `clusters`. */
  readonly version: number;
}

export interface EmulatedCapture {
  readonly frames: EmulatedFrame[];
  /** Flow `seq` → what decided it: verdict reason, policy and rule (from the flow report). */
  readonly deciding: Map<number, string>;
  /** The cluster of each policy version: the given one, then after each timeline step. */
  readonly clusters: Cluster[];
}

function addressText(version: number, words: Uint32Array): string {
  return version === 4 ? formatIpv4Word(words[0] as number) : formatIpv6Words(words[0] as number, words[1] as number, words[2] as number, words[3] as number);
}

/** Addresses a router never forwards between two of our namespaces (multicast, link-local, martians). */
function unroutable(version: number, words: Uint32Array): boolean {
  const w = words[0] as number;
  if (version === 4) {
    const top = w >>> 24;
    return top === 0 || top === 127 || top >= 224;
  }
  const high = w >>> 16;
  return high >= 0xff00 || (high & 0xffc0) === 0xfe80 || (w === 0 && words[1] === 0 && words[2] === 0 && (words[3] as number) <= 1);
}

const SKIPPED_CATEGORY: Readonly<Partial<Record<number, string>>> = {
  [PacketCategory.NOT_IP]: 'not IP',
  [PacketCategory.UNDECODABLE]: 'undecodable',
  [PacketCategory.UNSUPPORTED_LINK]: 'unsupported link type',
  [PacketCategory.DUPLICATE]: "the second copy of a 'tcpdump -i any' packet",
  [PacketCategory.ENCRYPTED]: 'encrypted tunnel',
  [PacketCategory.DROPPED_NO_ENDPOINT]: 'Service address (the lab has no kube-proxy)',
  [PacketCategory.DROPPED_CT_FULL]: 'conntrack table full',
};

export interface EmulateOptions {
  readonly timeline?: { readonly events: readonly TimelineEvent[]; readonly objects: readonly RawObject[] };
}

export async function emulateCapture(cluster: Cluster, capture: string, profile: ResolvedProfile, options: EmulateOptions = {}): Promise<EmulatedCapture> {
  const frames: EmulatedFrame[] = [];
  const deciding = new Map<number, string>();
  const clusters: Cluster[] = [cluster];
  // The replay applies the timeline inside; a second runner fed the same times gives the cluster
  // each policy version was compiled from, which the kernel's rendering is made from.
  const semantics = policySemantics(profile.values);
  const mirror = options.timeline ? new TimelineRunner(options.timeline.events, options.timeline.objects, cluster, semantics, (c, s) => createEngine(c, 'compiled', s), () => 0) : null;
  let started = false;
  const serviceAddresses = new Set((cluster.services ?? []).flatMap((s) => [...s.clusterIPs, ...s.externalIPs, ...s.loadBalancerIPs].map((ip) => ip.text)));
  await replayCapture(cluster, capture, capture, {
    engine: 'compiled',
    semantics,
    dataplane: profileDataplaneOptions(profile),
    ...(options.timeline ? { timeline: { ...options.timeline, profile: profile.name } } : {}),
    // A JSONL flow file (replay --flows-in) is replayed from the frames built from its lines.
    ...(capture.endsWith('.jsonl') ? { reader: readFlowsJsonl } : {}),
    onPacket: (record, category, dataplane) => {
      if (mirror) {
        const now = record.tsSec + record.tsNsec * 1e-9;
        if (!started) mirror.start(now);
        started = true;
        if (now >= mirror.nextTime) mirror.applyDue(now);
        clusters[dataplane.policyVersion] ??= mirror.cluster;
      }
      const meta = dataplane.meta;
      const f = dataplane.lastFlow;
      const flowSeq = f >= 0 ? dataplane.flows.seq(f) : -1;
      const ip = meta.ipVersion === 4 || meta.ipVersion === 6;
      const src = ip ? addressText(meta.ipVersion, meta.src) : '';
      const dst = ip ? addressText(meta.ipVersion, meta.dst) : '';
      const end = record.offset + record.capturedLength;
      let skip = SKIPPED_CATEGORY[category] ?? null;
      if (skip === null && !ip) skip = 'not IP';
      if (skip === null && meta.tunnel !== 0) skip = 'tunnelled (the lab has no overlay)';
      if (skip === null && meta.isFragment) skip = 'IP fragment (the kernel reassembles before conntrack: timing-dependent)';
      if (skip === null && (serviceAddresses.has(src) || serviceAddresses.has(dst))) skip = 'Service address (the lab has no kube-proxy)';
      if (skip === null && (unroutable(meta.ipVersion, meta.src) || unroutable(meta.ipVersion, meta.dst))) skip = 'multicast, broadcast or link-local address (not forwarded)';
      if (skip === null && meta.ttl <= 1) skip = 'TTL / hop limit 1 (the node would answer time-exceeded)';
      let datagram: Uint8Array | null = null;
      let l4Offset = -1;
      if (skip === null) {
        const from = meta.l3Offset;
        const to = meta.packetEnd;
        if (from < record.offset || to > end || to <= from) skip = 'truncated';
        else {
          datagram = Uint8Array.from(record.buffer.subarray(from, to));
          l4Offset = meta.upperOffset >= 0 ? meta.upperOffset - from : -1;
        }
      }
      frames.push({ index: record.index, category, forwarded: isForwarded(category), datagram, skip, ipVersion: meta.ipVersion, src, dst, l4Offset, protocol: meta.protocol, flowSeq, version: dataplane.policyVersion });
    },
    onFlow: (flows, f, provenances) => {
      const r = flowReport(flows, provenances, f);
      const rule = r.verdict === 'allowed' ? (r.rule ?? r.reason) : `${r.reason}${r.policy ? ` (${r.policy})` : ''}`;
      deciding.set(flows.seq(f), `${r.verdict} by ${rule}`);
    },
  });
  // Versions a timeline step made without a packet to see them keep the cluster before them.
  for (let v = 1; v < clusters.length; v++) clusters[v] ??= clusters[v - 1] as Cluster;
  return { frames, deciding, clusters };
}

export function categoryName(category: number): string {
  return PACKET_CATEGORY_NAME[category] ?? String(category);
}
