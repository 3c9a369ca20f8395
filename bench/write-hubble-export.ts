/**
 * A large Hubble export for the end-to-end benchmark (bench/e2e.ts, the Hubble row): seeded
 * TCP connections between the pods of a synth cluster, as `hubble observe -o json` prints them
 * (flow.proto field names): each packet of an 8-packet exchange (SYN, SYN-ACK, ACK, PSH-ACK,
 * ACK, FIN-ACK, FIN-ACK, ACK) observed twice, FROM_ENDPOINT on the client's node and TO_ENDPOINT
 * on the server's, plus a policy-verdict event for the SYN: 17 lines per connection, ~800 bytes
 * each, with each pod's labels as Hubble prints them. Streamed with backpressure, so a named pipe
 * carries 10M lines without them touching the disk.
 *
 *   node dist/bench/write-hubble-export.js CLUSTER-DIR EVENTS OUT
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { loadCluster } from '../src/load/load-cluster.js';

interface PodView {
  readonly ip: string;
  readonly node: string;
  readonly json: string;
}

function podsOf(clusterDir: string): PodView[] {
  const { cluster } = loadCluster({ paths: [clusterDir] });
  const pods: PodView[] = [];
  for (const pod of cluster.pods) {
    const ip = pod.ips[0];
    if (!ip || pod.hostNetwork) continue;
    const labels = [...Object.entries(pod.labels).map(([k, v]) => `k8s:${k}=${v}`), `k8s:io.kubernetes.pod.namespace=${pod.namespace}`, 'k8s:io.cilium.k8s.policy.cluster=default'].sort();
    pods.push({ ip: ip.text, node: pod.nodeName ?? 'node-0', json: JSON.stringify({ ID: 1000 + pods.length, identity: 10000 + pods.length, namespace: pod.namespace, labels, pod_name: pod.name }) });
  }
  if (pods.length < 2) throw new Error(`${clusterDir}: fewer than 2 pods with an IP`);
  return pods;
}

function timestamp(ns: bigint): string {
  const sec = ns / 1_000_000_000n;
  const frac = ns % 1_000_000_000n;
  return `${new Date(Number(sec) * 1000).toISOString().slice(0, 19)}.${frac.toString().padStart(9, '0')}Z`;
}

const EXCHANGE: readonly (readonly [boolean, string])[] = [
  [false, '"SYN":true'],
  [true, '"SYN":true,"ACK":true'],
  [false, '"ACK":true'],
  [false, '"PSH":true,"ACK":true'],
  [true, '"ACK":true'],
  [false, '"FIN":true,"ACK":true'],
  [true, '"FIN":true,"ACK":true'],
  [false, '"ACK":true'],
];

/** Writes about `events` lines (whole connections) to `out`; resolves with the lines written. */
export async function writeHubbleExport(clusterDir: string, events: number, out: string): Promise<number> {
  const pods = podsOf(clusterDir);
  const stream = createWriteStream(out, { highWaterMark: 1 << 20 });
  let seed = 12345;
  const next = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed >>> 8;
  };
  let lines = 0;
  let t = 1_764_000_000_000_000_000n;
  let batch = '';
  for (let c = 0; lines < events; c++) {
    const a = pods[next() % pods.length] as PodView;
    let b = pods[next() % pods.length] as PodView;
    if (b === a) b = pods[(pods.indexOf(a) + 1) % pods.length] as PodView;
    const sport = 32768 + (c % 28000);
    for (let i = 0; i < EXCHANGE.length; i++) {
      const [reply, flags] = EXCHANGE[i] as readonly [boolean, string];
      const [s, d] = reply ? [b, a] : [a, b];
      const [sp, dp] = reply ? [8080, sport] : [sport, 8080];
      const head = `"IP":{"source":"${s.ip}","destination":"${d.ip}","ipVersion":"IPv4"},"l4":{"TCP":{"source_port":${sp},"destination_port":${dp},"flags":{${flags}}}},"source":${s.json},"destination":${d.json},"Type":"L3_L4"`;
      const tail = `"is_reply":${reply},"Summary":"TCP Flags: ${flags.replace(/"|:true/g, '')}"`;
      const t0 = timestamp(t);
      batch += `{"flow":{"time":"${t0}","verdict":"FORWARDED",${head},"node_name":"${s.node}","event_type":{"type":4,"sub_type":5},"traffic_direction":"EGRESS","trace_observation_point":"FROM_ENDPOINT",${tail}},"node_name":"${s.node}","time":"${t0}"}\n`;
      lines++;
      if (i === 0) {
        const tv = timestamp(t + 1000n);
        batch += `{"flow":{"time":"${tv}","verdict":"FORWARDED",${head},"node_name":"${d.node}","event_type":{"type":5},"traffic_direction":"INGRESS",${tail}},"node_name":"${d.node}","time":"${tv}"}\n`;
        lines++;
      }
      const t1 = timestamp(t + 40_000n);
      batch += `{"flow":{"time":"${t1}","verdict":"FORWARDED",${head},"node_name":"${d.node}","event_type":{"type":4},"traffic_direction":"INGRESS","trace_observation_point":"TO_ENDPOINT",${tail}},"node_name":"${d.node}","time":"${t1}"}\n`;
      lines++;
      t += 100_000n;
    }
    if (batch.length > 1 << 20) {
      if (!stream.write(batch)) await once(stream, 'drain');
      batch = '';
    }
  }
  stream.end(batch);
  await once(stream, 'finish');
  return lines;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [clusterDir, events, out] = process.argv.slice(2);
  if (!clusterDir || !events || !out) {
    process.stderr.write('usage: write-hubble-export.js CLUSTER-DIR EVENTS OUT\n');
    process.exit(2);
  }
  const lines = await writeHubbleExport(clusterDir, Number(events), out);
  process.stderr.write(`${lines} lines\n`);
}
