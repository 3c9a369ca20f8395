/**
 * Conntrack timeout profiles, in seconds, as data (SEMANTICS.md §2.3, §2.4, §3.2, §3.3, §8.2).
 * Every profile drives the same nf_conntrack state machine; only the numbers differ. The eBPF
 * profiles map their coarser timers onto the kernel's states, which is an approximation marked
 * [inferred] below.
 */

export interface CtTimeoutProfile {
  readonly name: string;
  readonly tcpSynSent: number;
  readonly tcpSynRecv: number;
  readonly tcpEstablished: number;
  readonly tcpFinWait: number;
  readonly tcpCloseWait: number;
  readonly tcpLastAck: number;
  readonly tcpTimeWait: number;
  readonly tcpClose: number;
  readonly tcpSynSent2: number;
  /** Cap after `tcpMaxRetrans` identical retransmissions or a zero window (§2.3 rules 1 and 4). */
  readonly tcpRetrans: number;
  /** Cap while data is unacknowledged, and for picked-up entries never replied (§2.3 rule 3). */
  readonly tcpUnack: number;
  readonly tcpMaxRetrans: number;
  readonly udpUnreplied: number;
  readonly udpStream: number;
  /** UDP `stream_ts` = creation + this: replies before it keep the unreplied timeout (§2.4). */
  readonly udpStreamDelay: number;
  readonly icmp: number;
  readonly icmpv6: number;
  readonly generic: number;
}

/**
 * Kernel defaults: tcp_timeouts[] in net/netfilter/nf_conntrack_proto_tcp.c,
 * Documentation/networking/nf_conntrack-sysctl.rst, nf_conntrack_proto_udp.c (stream_ts = 2 s).
 */
export const CT_TIMEOUTS_LINUX = {
  name: 'linux',
  tcpSynSent: 120,
  tcpSynRecv: 60,
  tcpEstablished: 432_000,
  tcpFinWait: 120,
  tcpCloseWait: 60,
  tcpLastAck: 30,
  tcpTimeWait: 120,
  tcpClose: 10,
  tcpSynSent2: 120,
  tcpRetrans: 300,
  tcpUnack: 300,
  tcpMaxRetrans: 3,
  udpUnreplied: 30,
  udpStream: 120,
  udpStreamDelay: 2,
  icmp: 30,
  icmpv6: 30,
  generic: 600,
} as const satisfies CtTimeoutProfile;

/**
 * A Kubernetes node: kube-proxy writes nf_conntrack_tcp_timeout_established = 24 h and
 * close_wait = 1 h (kubernetes/kubernetes pkg/proxy/apis/config/v1alpha1/defaults.go).
 */
export const CT_TIMEOUTS_KUBEPROXY = {
  ...CT_TIMEOUTS_LINUX,
  name: 'kubeproxy',
  tcpEstablished: 86_400,
  tcpCloseWait: 3_600,
} as const satisfies CtTimeoutProfile;

/**
 * Calico eBPF: felix/bpf/conntrack DefaultTimeouts() (SEMANTICS.md §3.2): TCPPreEstablished 20,
 * TCPEstablished 3600, TCPFinsSeen 30, TCPResetSeen 40, UDPLastSeen 60, ICMPLastSeen 5,
 * GenericIPLastSeen 600. [inferred] mapping: FinsSeen needs a FIN from both sides, so one FIN
 * (FIN_WAIT, CLOSE_WAIT) keeps the established timer and LAST_ACK/TIME_WAIT take FinsSeen.
 * Calico has no RETRANS/UNACK caps, so they are set out of reach.
 */
export const CT_TIMEOUTS_CALICO_BPF = {
  name: 'calicoBpf',
  tcpSynSent: 20,
  tcpSynRecv: 20,
  tcpEstablished: 3_600,
  tcpFinWait: 3_600,
  tcpCloseWait: 3_600,
  tcpLastAck: 30,
  tcpTimeWait: 30,
  tcpClose: 40,
  tcpSynSent2: 20,
  tcpRetrans: Number.POSITIVE_INFINITY,
  tcpUnack: Number.POSITIVE_INFINITY,
  tcpMaxRetrans: 3,
  udpUnreplied: 60,
  udpStream: 60,
  udpStreamDelay: 2,
  icmp: 5,
  icmpv6: 5,
  generic: 600,
} as const satisfies CtTimeoutProfile;

/**
 * Cilium eBPF: daemon flags bpf-ct-timeout-regular-tcp 8000 (older 21600), -tcp-syn 60,
 * -tcp-fin 10, -regular-any 60 (SEMANTICS.md §3.3, §8.2). [inferred] mapping: Cilium uses the
 * FIN timer as soon as either side closes, so every closing state takes 10 s; ICMP and other
 * protocols are "any" (60 s). No RETRANS/UNACK caps.
 */
export const CT_TIMEOUTS_CILIUM_BPF = {
  name: 'ciliumBpf',
  tcpSynSent: 60,
  tcpSynRecv: 60,
  tcpEstablished: 8_000,
  tcpFinWait: 10,
  tcpCloseWait: 10,
  tcpLastAck: 10,
  tcpTimeWait: 10,
  tcpClose: 10,
  tcpSynSent2: 60,
  tcpRetrans: Number.POSITIVE_INFINITY,
  tcpUnack: Number.POSITIVE_INFINITY,
  tcpMaxRetrans: 3,
  udpUnreplied: 60,
  udpStream: 60,
  udpStreamDelay: 2,
  icmp: 60,
  icmpv6: 60,
  generic: 60,
} as const satisfies CtTimeoutProfile;

export const CT_TIMEOUT_PROFILES = {
  linux: CT_TIMEOUTS_LINUX,
  kubeproxy: CT_TIMEOUTS_KUBEPROXY,
  calicoBpf: CT_TIMEOUTS_CALICO_BPF,
  ciliumBpf: CT_TIMEOUTS_CILIUM_BPF,
} as const;
export type CtTimeoutProfileName = keyof typeof CT_TIMEOUT_PROFILES;

/** The TCP timeouts indexed by TcpCtState (0..9), as the kernel's timeouts[] array. */
export function tcpTimeoutsByState(p: CtTimeoutProfile): Float64Array {
  return Float64Array.from([
    p.tcpSynSent, // NONE: never stored, but the kernel's table has a slot
    p.tcpSynSent,
    p.tcpSynRecv,
    p.tcpEstablished,
    p.tcpFinWait,
    p.tcpCloseWait,
    p.tcpLastAck,
    p.tcpTimeWait,
    p.tcpClose,
    p.tcpSynSent2,
  ]);
}
