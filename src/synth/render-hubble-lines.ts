/**
 * A capture rendered as Hubble would print it (`hubble observe -o json` lines): each packet is
 * replayed through the emulator (with the CNI profile given, `cilium` for fixtures) and becomes
 * the events Cilium's datapath emits for it on its path, with the emulator's verdict as the
 * recorded one. Used to build test fixtures (scripts/render-hubble-fixtures.ts) whose recorded
 * verdicts must agree 100% with a replay of the same cluster.
 *
 * The path (bpf_lxc / bpf_overlay / bpf_host trace points, pkg/monitor/api/types.go):
 * - source pod: FROM_ENDPOINT trace on its node, a policy-verdict event (type 5, EGRESS) when
 *   the packet starts a connection, then TO_ENDPOINT (same node), TO_OVERLAY (other node) or
 *   TO_STACK (outside the cluster);
 * - destination pod on another node: FROM_OVERLAY there (FROM_NETWORK / FROM_HOST for an
 *   external or node source), a policy-verdict event (INGRESS) when it starts a connection, then
 *   TO_ENDPOINT;
 * - a policy drop: a policy-verdict event DROPPED and a drop event (type 1, POLICY_DENIED) where
 *   it happens, nothing after; other drops: a drop event with a datapath reason.
 * Hops on one node are 1 µs apart, the overlay crossing 40 µs. Drops carry no `is_reply` (as
 * Cilium's drop events usually do not); forwarded packets carry the emulator's direction.
 * Field names and enum names: cilium api/v1/flow/flow.proto, protojson with proto names.
 *
 * Service traffic (`lb`): with `socket` (Cilium's default with kube-proxy replacement: socket-LB
 * translates at connect(), so pods' packets already carry the endpoint) every event shows the
 * translated packet. With `per-packet` (no socket-LB: bpf_lxc translates after its FROM_ENDPOINT
 * trace, bpf/bpf_lxc.c), a packet a pod sends to a frontend shows the frontend at FROM_ENDPOINT
 * (with `destination_service`) and the endpoint after; a reply reaches the client's TO_ENDPOINT
 * reverse-translated: the header's source is the frontend and its port, Hubble prints
 * `IP.source` = the endpoint (the trace's orig_ip) and `IP.source_xlated` = the frontend
 * (pkg/hubble/parser/threefour: OriginalIP differs from the header's source).
 */
import type { Cluster, Pod } from '../../compiler/model.js';
import { PacketCategory } from '../../dataplane/packet-category.js';
import type { CaptureRecord } from '../capture/capture-record.js';
import { formatIpv4Word, formatIpv6Words } from '../load/parse-ip.js';
import { ownsPodIps } from '../../compiler/model.js';
import { replayCapture, type ReplayOptions } from '../replay/replay-capture.js';
import type { Dataplane } from '../../dataplane/dataplane.js';
import { decodeFrame } from '../../dataplane/decode/decode-frame.js';
import { DecodeStatus, PacketMeta } from '../../dataplane/packet-meta.js';

/** How Service traffic shows in the events (see the file comment). */
export type RenderLb = 'socket' | 'per-packet';

/** Replace the recorded verdict of packet `index` (0-based, capture order): the flipped fixture. */
export type VerdictFlip = (index: number, category: number) => 'forwarded' | 'policy-drop' | null;

export interface RenderResult {
  readonly packets: number;
  readonly lines: number;
  /** Packets Hubble would not show: neither end is a pod of the cluster, or not IP. */
  readonly unobserved: number;
}

interface Endpoint {
  readonly pod: Pod | null;
  readonly node: string;
  readonly json: string;
}

const WORLD = '{"identity":2,"labels":["reserved:world"]}';
const HOST = '{"identity":1,"labels":["reserved:host"]}';

function addressText(version: number, words: Uint32Array): string {
  return version === 4 ? formatIpv4Word(words[0] as number) : formatIpv6Words(words[0] as number, words[1] as number, words[2] as number, words[3] as number);
}

/** RFC 3339 with nanoseconds, as protojson writes a Timestamp. */
function timestamp(sec: number, nsec: number): string {
  const carry = Math.floor(nsec / 1e9);
  const s = sec + carry;
  const n = nsec - carry * 1e9;
  return `${new Date(s * 1000).toISOString().slice(0, 19)}.${String(n).padStart(9, '0')}Z`;
}

const TCP_FLAG_NAMES: readonly (readonly [number, string])[] = [
  [1, 'FIN'],
  [2, 'SYN'],
  [4, 'RST'],
  [8, 'PSH'],
  [16, 'ACK'],
  [32, 'URG'],
  [64, 'ECE'],
  [128, 'CWR'],
];

/** One event's addresses and endpoints when they differ from the translated packet's. */
interface View {
  readonly ip: string;
  readonly l4: string;
  readonly src: string;
  readonly dst: string;
  /** Fields written right after `event_type` (`,"destination_service":{…}`). */
  readonly extra: string;
}

function tcpFlagsJson(bits: number): string {
  const flags: string[] = [];
  for (const [bit, name] of TCP_FLAG_NAMES) if ((bits & bit) !== 0) flags.push(`"${name}":true`);
  return flags.join(',');
}

/** flow.proto `Service` from a frontend label `ns/name:port`. */
function serviceJson(label: string | null): string | null {
  const match = label === null ? null : /^([^/]+)\/([^:]+):/.exec(label);
  return match ? JSON.stringify({ name: match[2], namespace: match[1] }) : null;
}

export async function renderHubbleLines(
  cluster: Cluster,
  capture: string,
  replay: Pick<ReplayOptions, 'engine' | 'semantics' | 'dataplane' | 'services'>,
  write: (line: string) => void,
  flip: VerdictFlip = () => null,
  lb: RenderLb = 'socket',
): Promise<RenderResult> {
  const original = new PacketMeta();
  // Stable identities: one per distinct label set, numbered from 10000 in order of first use.
  const identities = new Map<string, number>();
  const byAddress = new Map<string, Endpoint>();
  const hostNode = new Map<string, string>();
  for (const pod of cluster.pods) {
    if (pod.nodeName !== null && pod.hostIP) hostNode.set(pod.hostIP.text, pod.nodeName);
    if (!ownsPodIps(pod)) continue;
    const labels = [...Object.entries(pod.labels).map(([k, v]) => `k8s:${k}=${v}`), `k8s:io.kubernetes.pod.namespace=${pod.namespace}`].sort();
    const key = labels.join(',');
    let identity = identities.get(key);
    if (identity === undefined) identities.set(key, (identity = 10000 + identities.size));
    const json = JSON.stringify({ identity, namespace: pod.namespace, labels, pod_name: pod.name });
    for (const ip of pod.ips) byAddress.set(ip.text, { pod, node: pod.nodeName ?? 'node', json });
  }
  const endpointOf = (text: string): Endpoint => {
    const known = byAddress.get(text);
    if (known) return known;
    const node = hostNode.get(text);
    return node !== undefined ? { pod: null, node, json: HOST } : { pod: null, node: '', json: WORLD };
  };

  let lines = 0;
  let unobserved = 0;
  let packets = 0;
  const onPacket = (record: CaptureRecord, category: number, dataplane: Dataplane): void => {
    const index = packets++;
    const m = dataplane.meta;
    if (m.ipVersion !== 4 && m.ipVersion !== 6) {
      unobserved++;
      return;
    }
    const srcText = addressText(m.ipVersion, m.src);
    const dstText = addressText(m.ipVersion, m.dst);
    const src = endpointOf(srcText);
    const dst = endpointOf(dstText);
    if (!src.pod && !dst.pod) {
      unobserved++;
      return;
    }
    const l4Of = (srcPort: number, dstPort: number): string =>
      m.protocol === 6 ? `{"TCP":{"source_port":${srcPort},"destination_port":${dstPort},"flags":{${tcpFlagsJson(m.tcpFlags)}}}}` : `{"UDP":{"source_port":${srcPort},"destination_port":${dstPort}}}`;
    let l4: string;
    if (m.protocol === 6 || m.protocol === 17) l4 = l4Of(m.srcPort, m.dstPort);
    else if (m.protocol === 1 || m.protocol === 58) {
      const name = m.protocol === 1 ? 'ICMPv4' : 'ICMPv6';
      l4 = `{"${name}":{${m.icmpType ? `"type":${m.icmpType}` : ''}${m.icmpType && m.icmpCode ? ',' : ''}${m.icmpCode ? `"code":${m.icmpCode}` : ''}}}`;
    } else {
      unobserved++;
      return;
    }
    const f = dataplane.lastFlow;
    const flows = dataplane.flows;
    let isReply = false;
    if (f >= 0) {
      const o = flows.srcAt(f);
      const w = flows.words;
      isReply = !(w[o] === m.src[0] && w[o + 1] === m.src[1] && w[o + 2] === m.src[2] && w[o + 3] === m.src[3]);
    }
    const ip = `{"source":"${srcText}","destination":"${dstText}","ipVersion":"IPv${m.ipVersion}"}`;
    // Per-packet LB: the frontend side of a translated packet, as the event before DNAT (or after reverse DNAT) shows it.
    let preDnat: View | null = null;
    let revNat: View | null = null;
    if (lb === 'per-packet' && f >= 0 && flows.service(f) >= 0 && (m.protocol === 6 || m.protocol === 17)) {
      const status = decodeFrame(record.buffer, record.offset, record.capturedLength, record.wireLength, record.linkType, original);
      const service = serviceJson(dataplane.services?.frontendLabel(flows.service(f)) ?? null);
      if (status === DecodeStatus.OK && service !== null) {
        const origDst = addressText(original.ipVersion, original.dst);
        const origSrc = addressText(original.ipVersion, original.src);
        if (origDst !== dstText || original.dstPort !== m.dstPort) {
          preDnat = { ip: `{"source":"${srcText}","destination":"${origDst}","ipVersion":"IPv${m.ipVersion}"}`, l4: l4Of(m.srcPort, original.dstPort), src: src.json, dst: WORLD, extra: `,"destination_service":${service}` };
        } else if (origSrc !== srcText || original.srcPort !== m.srcPort) {
          revNat = { ip: `{"source":"${srcText}","source_xlated":"${origSrc}","destination":"${dstText}","ipVersion":"IPv${m.ipVersion}"}`, l4: l4Of(original.srcPort, m.dstPort), src: src.json, dst: dst.json, extra: `,"source_service":${service}` };
        }
      }
    }
    const flipped = flip(index, category);
    const forwarded = flipped === 'forwarded' || (flipped === null && category <= PacketCategory.ALLOWED_FRAGMENT);
    const policyDrop = flipped === 'policy-drop' || (flipped === null && (category === PacketCategory.DROPPED_EGRESS || category === PacketCategory.DROPPED_INGRESS));
    const startsConnection = category === PacketCategory.ALLOWED_NEW || category === PacketCategory.DROPPED_EGRESS || category === PacketCategory.DROPPED_INGRESS;
    const dropAtEgress = flipped === 'policy-drop' ? src.pod !== null : category === PacketCategory.DROPPED_EGRESS;
    let ns = 0;
    const emit = (node: string, fields: string, verdict: string, hopNs: number, view: View | null = null): void => {
      ns += hopNs;
      const time = timestamp(record.tsSec, record.tsNsec + ns);
      const reply = verdict === 'FORWARDED' ? `,"is_reply":${isReply}` : '';
      const v = view ?? { ip, l4, src: src.json, dst: dst.json, extra: '' };
      // flow.proto declares source_service/destination_service right after event_type, and protojson writes fields in declaration order.
      const afterEventType = fields.indexOf('}') + 1;
      const body = v.extra === '' ? fields : `${fields.slice(0, afterEventType)}${v.extra}${fields.slice(afterEventType)}`;
      write(`{"flow":{"time":"${time}","verdict":"${verdict}","IP":${v.ip},"l4":${v.l4},"source":${v.src},"destination":${v.dst},"Type":"L3_L4","node_name":"${node}",${body}${reply}},"node_name":"${node}","time":"${time}"}`);
      lines++;
    };
    const trace = (point: string, sub: number, direction: string): string => `"event_type":{"type":4,"sub_type":${sub}},"traffic_direction":"${direction}","trace_observation_point":"${point}"`;
    const verdictEvent = (direction: string): string => `"event_type":{"type":5},"traffic_direction":"${direction}"`;
    const dropEvent = (direction: string, reason: string): string => `"event_type":{"type":1,"sub_type":${reason === 'POLICY_DENIED' ? 133 : 163}},"traffic_direction":"${direction}","drop_reason_desc":"${reason}"`;

    if (!forwarded && !policyDrop) {
      // A datapath drop (conntrack INVALID, table full, no Service endpoint...): one drop event where the packet entered.
      const node = src.pod ? src.node : dst.node;
      emit(node, dropEvent(src.pod ? 'EGRESS' : 'INGRESS', 'CT_UNKNOWN_CONNECTION_TRACKING_STATE'), 'DROPPED', 0);
      return;
    }
    // Source side.
    if (src.pod) {
      emit(src.node, trace('FROM_ENDPOINT', 5, 'EGRESS'), 'FORWARDED', 0, preDnat);
      if (policyDrop && dropAtEgress) {
        emit(src.node, `${verdictEvent('EGRESS')},"drop_reason_desc":"POLICY_DENIED"`, 'DROPPED', 1000);
        emit(src.node, dropEvent('EGRESS', 'POLICY_DENIED'), 'DROPPED', 1000);
        return;
      }
      if (startsConnection) emit(src.node, verdictEvent('EGRESS'), 'FORWARDED', 1000);
      if (!dst.pod) {
        emit(src.node, trace('TO_STACK', 3, 'EGRESS'), 'FORWARDED', 1000);
        return;
      }
      if (dst.node !== src.node) emit(src.node, trace('TO_OVERLAY', 4, 'EGRESS'), 'FORWARDED', 1000);
    }
    // Destination side (dst is a pod here).
    if (!src.pod) emit(dst.node, trace(src.json === HOST ? 'FROM_HOST' : 'FROM_NETWORK', src.json === HOST ? 7 : 10, 'INGRESS'), 'FORWARDED', 0);
    else if (dst.node !== src.node) emit(dst.node, trace('FROM_OVERLAY', 9, 'INGRESS'), 'FORWARDED', 40_000);
    if (policyDrop) {
      emit(dst.node, `${verdictEvent('INGRESS')},"drop_reason_desc":"POLICY_DENIED"`, 'DROPPED', 1000);
      emit(dst.node, dropEvent('INGRESS', 'POLICY_DENIED'), 'DROPPED', 1000);
      return;
    }
    if (startsConnection) emit(dst.node, verdictEvent('INGRESS'), 'FORWARDED', 1000);
    emit(dst.node, trace('TO_ENDPOINT', 0, 'INGRESS'), 'FORWARDED', 1000, revNat);
  };
  await replayCapture(cluster, capture, capture, { ...replay, onPacket });
  return { packets, lines, unobserved };
}
