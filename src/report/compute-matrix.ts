/**
 * All-pairs reachability between pods for a set of probes. A pod-to-itself cell is always
 * allowed: such traffic never leaves the pod's network namespace, and "a pod cannot block access
 * to itself" (SEMANTICS.md §1.2). A pair with no IP family in common is unreachable (false).
 */
import type { Cluster, Pod } from '../../compiler/model.js';
import type { FlowEngine } from '../naive/naive-evaluator.js';
import { pickAddresses } from './pick-addresses.js';

export interface Probe {
  readonly port: number;
  /** IANA protocol number. */
  readonly protocol: number;
  readonly label: string;
}

export interface ProbeMatrix {
  readonly probe: Probe;
  /** allowed[from][to], in the order of `pods`. */
  readonly allowed: readonly (readonly boolean[])[];
}

export interface ReachabilityMatrix {
  readonly pods: readonly Pod[];
  readonly probes: readonly ProbeMatrix[];
}

/** The pods a matrix shows: those with an IP that are not finished (hostNetwork pods included, as node traffic). */
export function matrixPods(cluster: Cluster): Pod[] {
  return cluster.pods.filter((pod) => pod.ips.length > 0 && pod.phase !== 'Succeeded' && pod.phase !== 'Failed');
}

export function computeMatrix(cluster: Cluster, engine: FlowEngine, probes: readonly Probe[]): ReachabilityMatrix {
  const pods = matrixPods(cluster);
  const matrices = probes.map((probe) => ({
    probe,
    allowed: pods.map((from) =>
      pods.map((to) => {
        if (from === to) return true;
        const addresses = pickAddresses({ kind: 'pod', pod: from }, { kind: 'pod', pod: to });
        if (!addresses) return false;
        return engine.evaluate({ src: addresses.src, dst: addresses.dst, protocol: probe.protocol, dstPort: probe.port }).allowed;
      }),
    ),
  }));
  return { pods, probes: matrices };
}
