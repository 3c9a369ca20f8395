/**
 * CNI profiles: the behaviour switches on which real NetworkPolicy implementations differ
 * (SEMANTICS.md §4), with one value per CNI and the source of every value, so that a researcher
 * can see each assumption the emulator makes (`netpol-emu profiles`). Pure data and the parser
 * for `--cni-opt key=value`; the engines read the resolved values, nothing here has behaviour.
 *
 * Confidence follows SEMANTICS.md's marks: a Y/N backed by code, docs or an issue is
 * `confirmed`; an `(inf)` mark, or a value read from an old version only, is `inferred`; a `?`
 * is `unverified` and takes the upstream-like value. `chosen` marks values the spec leaves open
 * and netpol-emu fixes for the `upstream` profile (and the value of a `--cni-opt` override):
 * they are definitions, not facts about a CNI, so neither "confirmed" nor "unverified" fits.
 */

export const CONFIDENCE_LEVELS = ['confirmed', 'inferred', 'unverified', 'chosen'] as const;
export type Confidence = (typeof CONFIDENCE_LEVELS)[number];

/** Mark shown next to a value in tables; confirmed values carry none. */
export const CONFIDENCE_MARK: Readonly<Record<Confidence, string>> = {
  confirmed: '',
  inferred: '*',
  unverified: '?',
  chosen: '^',
};

export const CONFIDENCE_TEXT: Readonly<Record<Confidence, string>> = {
  confirmed: 'confirmed by the cited code, documentation or issue',
  inferred: 'inferred from the cited source (an (inf) mark in SEMANTICS.md §4, or an older version only)',
  unverified: 'not verified (a ? in SEMANTICS.md §4): the upstream-like value is assumed',
  chosen: 'the spec leaves this open: netpol-emu\'s choice (or a --cni-opt override)',
};

/**
 * The closed set of switches, in display order, each with its value domain and meaning.
 * `section` points at the SEMANTICS.md text that defines the behaviour.
 */
export const CNI_SWITCHES = {
  enforce: {
    values: [true, false],
    section: '§4 #1',
    description: 'NetworkPolicy is enforced at all; false means every policy is silently ignored and all traffic passes.',
  },
  ipBlockMatchesPodIps: {
    values: [true, false],
    section: '§1.3 ipBlock, §4 #2',
    description: 'An ipBlock peer matches pod IPs inside its CIDR; false means pods are reachable only through selector peers.',
  },
  ipBlockMatchesNodeIps: {
    values: [true, false],
    section: '§1.3 ipBlock, §4 #3',
    description: 'An ipBlock peer matches node IPs (and so hostNetwork pods, which carry them).',
  },
  ipBlockMatch: {
    values: ['cidr-except', 'kube-router-ipset'],
    section: '§1.3 ipBlock',
    description: 'An address matches an ipBlock when inside its cidr and outside every except (cidr-except, the spec), or as kube-router\'s hash:net ipset decides (kube-router-ipset): one set holds all of a rule\'s ipBlocks, the longest of their cidrs and excepts containing the address must be a cidr, and an IPv6 ::/0 covers only 2000::/3 and fd00::/8.',
  },
  localNodeToPodAllowed: {
    values: [true, false],
    section: '§1.2 exemptions, §4 #4',
    description: 'Traffic from the destination pod\'s own node is let in whatever the pod\'s ingress policy says.',
  },
  podToLocalNodeEgressPoliced: {
    values: [true, false],
    section: '§1.2 exemptions, §4 #5',
    description: 'Egress policy applies to traffic from a pod to its own node; false means that traffic always passes.',
  },
  hostNetworkMode: {
    values: ['node', 'pod'],
    section: '§1.3 hostNetwork, §4 #6',
    description: 'hostNetwork pods are treated as their node\'s IP and never selected (node, spec option b) or policed like other pods (pod, option a).',
  },
  reevaluateEstablished: {
    values: ['no', 'forward', 'both'],
    section: '§1.2 existing connections, §0 step 1, §4 #7',
    description: 'After a policy change, established connections keep their verdict (no), have forward packets re-checked and dropped one by one (forward), or are cut in both directions once a forward packet is denied (both).',
  },
  denyAction: {
    values: ['drop', 'reject'],
    section: '§0 step 3, §4 #8',
    description: 'A denied packet is silently dropped, or rejected with an ICMP(v6) port-unreachable written to the output capture.',
  },
  dropInvalidCt: {
    values: [true, false],
    section: '§0 step 1, §2.2, §4 #9',
    description: 'Packets conntrack classifies INVALID (out of TCP state or window, an ICMP error quoting no connection) are dropped when either end is a pod, whatever the policies say (the per-pod `ctstate INVALID` drop); between two non-pod addresses they pass untracked. false: policy judges each like the first packet of a new connection, and no conntrack entry is made.',
  },
  sctpSupported: {
    values: [true, false],
    section: '§1.3 SCTP, §4 #10 and #13',
    description: 'SCTP rules are enforced; false means SCTP ports match nothing, so a pod isolated by a policy stays isolated for SCTP (fail closed).',
  },
  endPortSupported: {
    values: [true, false],
    section: '§1.3 endPort, §4 #11',
    description: 'endPort ranges are honoured; false means a port range matches only its `port`.',
  },
  bothTypesRules: {
    values: ['own-direction', 'both-directions'],
    section: '§1.1 policyTypes',
    description: 'The rules of a policy with both policyTypes apply to their own direction (own-direction, the spec), or, as kube-router\'s jump to the policy chain without an address match makes them, to both: a packet from one of the policy\'s pods to another also passes when it matches an ingress rule (its destination among the policy\'s pods), and a packet into one when it matches an egress rule (its source among them).',
  },
  unresolvedNamedPorts: {
    values: ['match-nothing', 'all-ports'],
    section: '§1.3 named ports',
    description: 'A rule with pod peers whose ports are all named ports that none of the pods they could name declares matches nothing (match-nothing, the spec), or every port and protocol (all-ports, kube-router: the rule is written without a port match).',
  },
  egressNamedPorts: {
    values: ['destination-pod', 'kube-router'],
    section: '§1.3 named ports',
    description: 'An egress named port resolves on the destination pod (destination-pod, the spec), or as kube-router resolves it (kube-router): in a rule without `to`, on every pod of the policy\'s namespace, and the numbers found then match any destination; with ipBlock peers, not at all.',
  },
  namedPortConflict: {
    values: ['per-destination', 'skip-rule'],
    section: '§1.3 named ports, §4 #12',
    description: 'When selected pods map one port name to different numbers, each destination pod uses its own number (per-destination) or the rule is dropped entirely (skip-rule).',
  },
  icmpPolicy: {
    values: ['policed', 'allow-frag-needed', 'allow-ndp', 'allow-echo-errors'],
    section: '§1.2 protocols, §2.4, §4 #14',
    description: 'ICMP in an isolated direction matches only rules without ports (policed), except that fragmentation-needed/packet-too-big (allow-frag-needed), ICMPv6 neighbour discovery 133-137 (allow-ndp), or echo-request, destination-unreachable and time-exceeded plus ICMPv6 NS/NA/echo-reply (allow-echo-errors) always pass.',
  },
  conntrackTimeouts: {
    values: ['linux', 'kubeproxy', 'calicoBpf', 'ciliumBpf'],
    section: '§2.3, §3.2, §3.3, §8.2, §4 #17',
    description: 'Conntrack timeout table, by name in dataplane/conntrack/ct-timeouts.ts CT_TIMEOUT_PROFILES.',
  },
  externalSource: {
    values: ['node', 'client'],
    section: '§1.3 ipBlock (ingress source "may be the original client IP or … the Pod\'s node")',
    description: 'Traffic from outside the cluster to a NodePort, LoadBalancer or external IP of a Service with externalTrafficPolicy: Cluster reaches the pod, and its ingress policy, from the node that received it (node: kube-proxy masquerades it) or from the external client (client: the address is kept).',
  },
} as const;

export type CniSwitchName = keyof typeof CNI_SWITCHES;
export const CNI_SWITCH_NAMES = Object.keys(CNI_SWITCHES) as readonly CniSwitchName[];
export type CniSwitchValue<K extends CniSwitchName> = (typeof CNI_SWITCHES)[K]['values'][number];

/** Plain values of every switch: what an engine reads. */
export type CniSwitchValues = { readonly [K in CniSwitchName]: CniSwitchValue<K> };

export interface SwitchSetting<V> {
  readonly value: V;
  /** Concrete reference: `repo:path@commit`, an issue/PR URL or a documentation page. */
  readonly source: string;
  readonly confidence: Confidence;
}

export type CniProfileSwitches = { readonly [K in CniSwitchName]: SwitchSetting<CniSwitchValue<K>> };

export const CNI_PROFILE_NAMES = [
  'upstream',
  'calico',
  'calico-ebpf',
  'cilium',
  'antrea',
  'kube-router',
  'ovn-kubernetes',
  'kube-network-policies',
  'flannel',
] as const;
export type CniProfileName = (typeof CNI_PROFILE_NAMES)[number];
export const DEFAULT_CNI_PROFILE: CniProfileName = 'upstream';

export interface CniProfile {
  readonly name: CniProfileName;
  /** One line: which implementation and mode the profile describes. */
  readonly summary: string;
  readonly switches: CniProfileSwitches;
}

function confirmed<const V>(value: V, source: string): SwitchSetting<V> {
  return { value, source, confidence: 'confirmed' };
}
function inferred<const V>(value: V, source: string): SwitchSetting<V> {
  return { value, source, confidence: 'inferred' };
}
function unverified<const V>(value: V, source: string): SwitchSetting<V> {
  return { value, source, confidence: 'unverified' };
}
function chosen<const V>(value: V, source: string): SwitchSetting<V> {
  return { value, source, confidence: 'chosen' };
}

// Sources used more than once (SEMANTICS.md §9 lists them all).
const K8S_TYPES = 'kubernetes/api:networking/v1/types.go@10b39a39';
const K8S_CONCEPT = 'https://kubernetes.io/docs/concepts/services-networking/network-policies/';
const KUBE_PROXY_CT = 'kubernetes/kubernetes:pkg/proxy/apis/config/v1alpha1/defaults.go (Conntrack.TCPEstablishedTimeout 24h, TCPCloseWaitTimeout 1h)';
const CALICO_CONVERSION = 'projectcalico/calico:libcalico-go/lib/backend/k8s/conversion/conversion.go@01b6d64f';
const CALICO_ENDPOINTS = 'projectcalico/calico:felix/rules/endpoints.go@018190a6';
const CALICO_BPF_SAME_GRAPH = 'SEMANTICS.md §3.2: the eBPF dataplane compiles the same calculation graph as Felix iptables mode';
const CILIUM_LXC = 'cilium/cilium:bpf/bpf_lxc.c (CT lookup first; policy on CT_NEW/CT_ESTABLISHED, skipped for CT_REPLY/CT_RELATED)';
const CILIUM_LANGUAGE = 'cilium/cilium:Documentation/security/policy/language.rst ("CIDR rules do not apply to traffic where both sides … managed by Cilium or use an IP belonging to a node")';
const KUBE_ROUTER = 'cloudnativelabs/kube-router@7c2c2779:pkg/controllers/netpol';
const KNP = 'kubernetes-sigs/kube-network-policies@5f81cc37';
const KUBE_PROXY_SOURCE_IP = 'https://kubernetes.io/docs/tutorials/services/source-ip/ ("packets sent to Services with Type=NodePort are source NAT\'d by default"; externalTrafficPolicy Local keeps the client)';
const OKD_DOCS = 'https://docs.okd.io/latest/networking/network_security/network_policy/about-network-policy.html';
const OVN_ACL_COMMIT = 'OVN "Apply ACL changes to existing connections" (https://github.com/russellb/ovs/commit/56ccd8bc5eeadc0a2309f35da6f72f465677d2d2): request-direction packets of established connections go through the ACLs; a drop sets ct_label.blocked, which then drops the replies too';
const FLANNEL_NO_POLICY = 'flannel-io/flannel:README.md ("Flannel is focused on networking. For network policy, other projects such as Calico can be used.")';

const UPSTREAM: CniProfileSwitches = {
  enforce: confirmed(true, `${K8S_CONCEPT} (a plugin that supports NetworkPolicy); the upstream e2e suite expects enforcement`),
  ipBlockMatchesPodIps: chosen(true, `spec leaves it open: ipBlocks "should be cluster-external IPs" (${K8S_CONCEPT} "ipBlock"); netpol-emu matches any address, as most plugins do (SEMANTICS.md §4 #2)`),
  ipBlockMatchesNodeIps: chosen(true, `spec leaves it open: NAT may show the node IP (${K8S_CONCEPT} "ipBlock"); netpol-emu matches any address (SEMANTICS.md §4 #3)`),
  ipBlockMatch: confirmed('cidr-except', `${K8S_TYPES} IPBlock: "Except is a slice of CIDRs that should not be included within an IPBlock"`),
  localNodeToPodAllowed: confirmed(true, `${K8S_TYPES} ingress comment ("OR if the traffic source is the pod's local node"); ${K8S_CONCEPT}`),
  podToLocalNodeEgressPoliced: confirmed(true, `${K8S_TYPES}: the egress comment has no local-node clause (SEMANTICS.md §1.2)`),
  hostNetworkMode: chosen('node', `spec allows two options; option (b) "is the most common implementation" (${K8S_CONCEPT} "NetworkPolicy and hostNetwork pods")`),
  reevaluateEstablished: chosen('no', `spec: "implementation defined" (${K8S_CONCEPT} "NetworkPolicy's impact on existing connections"); netpol-emu keeps the verdict taken at connection setup`),
  denyAction: chosen('drop', 'spec says nothing about how traffic is denied; DROP is what most plugins do (SEMANTICS.md §4 #8)'),
  dropInvalidCt: chosen(true, 'spec says nothing about conntrack; netpol-emu drops INVALID like Calico and kube-router (SEMANTICS.md §0 step 1)'),
  sctpSupported: confirmed(true, `${K8S_CONCEPT} "SCTP support" (stable; SCTP is a valid protocol in ${K8S_TYPES})`),
  endPortSupported: confirmed(true, `${K8S_CONCEPT} "Targeting a range of ports" (stable since 1.25)`),
  bothTypesRules: confirmed('own-direction', `${K8S_TYPES} PolicyTypes: each type says whether the policy applies to ingress or egress traffic, with the rules of that list`),
  unresolvedNamedPorts: confirmed('match-nothing', `${K8S_TYPES} NetworkPolicyPort: a named port is the destination pod's container port; a name no pod has matches no port`),
  egressNamedPorts: confirmed('destination-pod', `${K8S_TYPES} NetworkPolicyPort: a named port is the destination pod's container port`),
  namedPortConflict: confirmed('per-destination', `${K8S_TYPES} NetworkPolicyPort: a named port is the destination pod's container port; reference: ${KNP}:pkg/networkpolicy/networkpolicy.go evaluatePorts`),
  icmpPolicy: chosen('policed', `spec: "For other protocols, such as ARP or ICMP, the behaviour is undefined" (${K8S_CONCEPT} "Network traffic filtering"); netpol-emu lets ICMP match only rules without ports`),
  conntrackTimeouts: chosen('kubeproxy', `spec is silent; a Kubernetes node runs kube-proxy, which writes these sysctls (${KUBE_PROXY_CT})`),
  externalSource: confirmed('node', `kube-proxy: ${KUBE_PROXY_SOURCE_IP}`),
};

const CALICO: CniProfileSwitches = {
  enforce: confirmed(true, `${CALICO_CONVERSION} K8sNetworkPolicyToCalico`),
  ipBlockMatchesPodIps: confirmed(true, `${CALICO_CONVERSION}: ipBlock becomes Nets/NotNets, which match any IP`),
  ipBlockMatchesNodeIps: confirmed(true, `${CALICO_CONVERSION}: ipBlock becomes Nets/NotNets, which match any IP`),
  ipBlockMatch: confirmed('cidr-except', `${CALICO_CONVERSION}: cidr becomes Nets and except NotNets, both of which must hold`),
  localNodeToPodAllowed: confirmed(true, 'projectcalico/calico:felix/rules/static.go filterOutputChain: "We don\'t currently police host -> endpoint" (except through IPVS)'),
  podToLocalNodeEgressPoliced: confirmed(true, 'projectcalico/calico:felix/rules/static.go: INPUT → cali-wl-to-host runs the endpoint\'s egress policy, then DefaultEndpointToHostAction'),
  hostNetworkMode: confirmed('node', `${CALICO_CONVERSION}: the policy selector needs projectcalico.org/orchestrator == 'k8s', i.e. a workload endpoint, which hostNetwork pods never have`),
  reevaluateEstablished: confirmed('no', `${CALICO_ENDPOINTS}: ctstate RELATED,ESTABLISHED ACCEPT before policy; https://github.com/projectcalico/calico/issues/2759, https://github.com/projectcalico/calico/issues/6399`),
  denyAction: confirmed('drop', 'projectcalico/calico:felix config FilterDenyAction (default DROP, REJECT configurable); end-of-tier "Drop if no policies passed packet" in felix/rules/endpoints.go'),
  dropInvalidCt: confirmed(true, `${CALICO_ENDPOINTS}: ctstate INVALID -j DROP unless DisableConntrackInvalid`),
  sctpSupported: confirmed(true, 'https://github.com/projectcalico/libcalico-go/pull/1179, https://github.com/projectcalico/libcalico-go/pull/1182'),
  endPortSupported: confirmed(true, `${CALICO_CONVERSION}: EndPort becomes a port:endPort range`),
  bothTypesRules: confirmed('own-direction', `${CALICO_CONVERSION}: ingress rules become InboundRules and egress rules OutboundRules, each run only in its direction (${CALICO_ENDPOINTS})`),
  unresolvedNamedPorts: confirmed('match-nothing', 'projectcalico/calico felix named-port ipsets (cali40n:*) hold only the pods declaring the name: an empty set matches nothing (SEMANTICS.md §3.1)'),
  egressNamedPorts: confirmed('destination-pod', 'projectcalico/calico felix named-port ipsets (hash:ip,port) pair each destination pod IP with its own number (SEMANTICS.md §3.1)'),
  namedPortConflict: confirmed('per-destination', 'projectcalico/calico felix named-port ipsets (hash:ip,port, cali40n:*) pair each pod IP with its own port number (SEMANTICS.md §3.1)'),
  icmpPolicy: confirmed('policed', `${CALICO_CONVERSION}: a rule without ports gets protocol=nil and matches every IP protocol; ICMP errors pass as RELATED (${CALICO_ENDPOINTS})`),
  conntrackTimeouts: confirmed('kubeproxy', `Felix iptables mode uses kernel nf_conntrack on a kube-proxy node: ${KUBE_PROXY_CT}`),
  externalSource: confirmed('node', `Felix iptables mode leaves Services to kube-proxy: ${KUBE_PROXY_SOURCE_IP}`),
};

const CALICO_EBPF: CniProfileSwitches = {
  enforce: confirmed(true, `${CALICO_CONVERSION} (same policy model as iptables mode)`),
  ipBlockMatchesPodIps: confirmed(true, `${CALICO_CONVERSION}: ipBlock becomes Nets; ${CALICO_BPF_SAME_GRAPH}`),
  ipBlockMatchesNodeIps: confirmed(true, `${CALICO_CONVERSION}: ipBlock becomes Nets; ${CALICO_BPF_SAME_GRAPH}`),
  ipBlockMatch: confirmed('cidr-except', `${CALICO_CONVERSION}: cidr becomes Nets and except NotNets; ${CALICO_BPF_SAME_GRAPH}`),
  localNodeToPodAllowed: inferred(true, `iptables-mode behaviour (felix/rules/static.go) carried over; ${CALICO_BPF_SAME_GRAPH} (SEMANTICS.md §4 #4 "Y (inf)")`),
  podToLocalNodeEgressPoliced: inferred(true, `iptables-mode behaviour carried over; ${CALICO_BPF_SAME_GRAPH} (SEMANTICS.md §4 #5 "Y (inf)")`),
  hostNetworkMode: inferred('node', `hostNetwork pods have no workload endpoint (${CALICO_CONVERSION}); ${CALICO_BPF_SAME_GRAPH}`),
  reevaluateEstablished: inferred('no', 'policy runs on a BPF conntrack miss only; https://github.com/istio/istio/issues/5815 ("it only applies NetworkPolicy to connection setup") is about Calico in general (SEMANTICS.md §3.2 [inferred])'),
  denyAction: inferred('drop', `${CALICO_BPF_SAME_GRAPH}; the BPF policy program drops on deny (SEMANTICS.md §4 #8, no eBPF-specific source)`),
  dropInvalidCt: inferred(true, 'iptables-mode ctstate INVALID DROP carried over (SEMANTICS.md §4 #9 "Y (inf)"); the BPF conntrack\'s own handling of invalid packets was not read'),
  sctpSupported: unverified(true, 'SEMANTICS.md §4 #10 "?": no eBPF-specific source; the upstream value is assumed'),
  endPortSupported: inferred(true, `${CALICO_CONVERSION} handles EndPort; ${CALICO_BPF_SAME_GRAPH} (SEMANTICS.md §4 #11 "Y (inf)")`),
  bothTypesRules: inferred('own-direction', `${CALICO_CONVERSION}: InboundRules and OutboundRules; ${CALICO_BPF_SAME_GRAPH}`),
  unresolvedNamedPorts: inferred('match-nothing', `named-port sets hold only the pods declaring the name; ${CALICO_BPF_SAME_GRAPH}`),
  egressNamedPorts: inferred('destination-pod', `named-port sets pair each pod IP with its own number; ${CALICO_BPF_SAME_GRAPH}`),
  namedPortConflict: inferred('per-destination', `named-port IP sets become BPF maps of (IP, port); ${CALICO_BPF_SAME_GRAPH}`),
  icmpPolicy: inferred('policed', `${CALICO_CONVERSION}: rules without ports match every protocol; ${CALICO_BPF_SAME_GRAPH}`),
  conntrackTimeouts: confirmed('calicoBpf', 'projectcalico/calico:felix/bpf/conntrack DefaultTimeouts() (SEMANTICS.md §3.2)'),
  externalSource: confirmed('client', 'https://docs.tigera.io/calico/latest/operations/ebpf/enabling-ebpf (native Service handling "preserves external client source IP addresses all the way to the pod")'),
};

const CILIUM: CniProfileSwitches = {
  enforce: confirmed(true, 'cilium/cilium:Documentation/network/kubernetes/policy.rst@038efb59'),
  ipBlockMatchesPodIps: confirmed(false, `https://github.com/cilium/cilium/issues/9209; Cilium CI skips the CIDR e2e tests (cilium/cilium:.github/workflows/k8s-kind-network-policies-e2e.yaml@00947d40); ${CILIUM_LANGUAGE}`),
  ipBlockMatchesNodeIps: confirmed(false, `${CILIUM_LANGUAGE}; since v1.15 policy-cidr-match-mode=nodes makes it true (not the default)`),
  ipBlockMatch: unverified('cidr-except', 'not checked for Cilium (ipBlock becomes a CIDR rule with ExceptCIDRs); the spec behaviour is assumed'),
  localNodeToPodAllowed: confirmed(true, 'cilium/cilium:pkg/option/config.go allow-localhost: "AllowLocalhostAuto defaults to policy except when running in Kubernetes where it then defaults to \'always\'"'),
  podToLocalNodeEgressPoliced: confirmed(true, 'cilium/cilium:pkg/identity/numericidentity.go@005d3ed3: the local node is reserved identity 1 (host), which an isolated endpoint\'s egress must allow like any other identity'),
  hostNetworkMode: confirmed('node', 'cilium/cilium:pkg/identity/numericidentity.go@005d3ed3: hostNetwork pods carry the host or remote-node identity, never a pod identity'),
  reevaluateEstablished: confirmed('forward', CILIUM_LXC),
  denyAction: confirmed('drop', 'cilium/cilium:bpf/lib/policy.h@010e7c21 (__policy_can_access returns DROP_POLICY / DROP_POLICY_DENY)'),
  dropInvalidCt: unverified(true, 'SEMANTICS.md §4 #9 "?": Cilium\'s BPF conntrack has no netfilter INVALID state and its handling of out-of-state packets was not read; the upstream value is assumed'),
  sctpSupported: confirmed(false, 'https://docs.cilium.io/en/stable/configuration/sctp/ (beta, off unless sctp.enabled=true); https://github.com/cilium/cilium/pull/35238'),
  endPortSupported: confirmed(true, 'supported from ~1.16: https://github.com/cilium/cilium/issues/16622, docs https://github.com/cilium/cilium/pull/33389 (false on ≤1.15)'),
  bothTypesRules: unverified('own-direction', 'not checked for Cilium (ingress and egress rules are separate policy map directions); the spec behaviour is assumed'),
  unresolvedNamedPorts: unverified('match-nothing', 'not checked for Cilium; the spec behaviour is assumed'),
  egressNamedPorts: unverified('destination-pod', 'not checked for Cilium beyond duplicate named ports (namedPortConflict); the spec behaviour is assumed'),
  namedPortConflict: confirmed('skip-rule', 'Cilium logs "duplicate named ports" and skips the rule: report in https://github.com/tuist/tuist/pull/12662 (SEMANTICS.md §1.3)'),
  icmpPolicy: confirmed('allow-frag-needed', 'cilium/cilium allow-icmp-frag-needed (default true) accepts FRAG_NEEDED regardless of policy; L3-only rules allow ICMP (SEMANTICS.md §3.3, §4 #14)'),
  conntrackTimeouts: confirmed('ciliumBpf', 'cilium/cilium:daemon/cmd/daemon_main.go bpf-ct-timeout-* flag defaults (SEMANTICS.md §3.3)'),
  externalSource: inferred('node', 'kube-proxy replacement: bpf-lb-mode defaults to snat, only dsr/hybrid keep the client (cilium/cilium Documentation/network/kubernetes/kubeproxy-free.rst; GKE Dataplane V2 lb-network-mode: "SNAT is the default forwarding mode … the client IP address isn\'t preserved")'),
};

const ANTREA: CniProfileSwitches = {
  enforce: confirmed(true, 'https://github.com/antrea-io/antrea (NetworkPolicy implemented as OVS flows, SEMANTICS.md §3.4)'),
  ipBlockMatchesPodIps: inferred(true, 'ipBlocks become IP-address flow matches, which do not distinguish pod IPs (SEMANTICS.md §4 #2 "Y (IP flows) (inf)")'),
  ipBlockMatchesNodeIps: inferred(true, 'ipBlocks become IP-address flow matches (SEMANTICS.md §4 #3; no Antrea-specific source)'),
  ipBlockMatch: unverified('cidr-except', 'not checked for Antrea; the spec behaviour is assumed'),
  localNodeToPodAllowed: confirmed(true, 'locally generated traffic is exempt through the "local probe" fwmark flow; NodePort traffic SNATed to the gateway is not (https://github.com/antrea-io/antrea/pull/1816, v0.12.2)'),
  podToLocalNodeEgressPoliced: unverified(true, 'SEMANTICS.md §4 #5 "?": not checked for Antrea; the upstream value is assumed'),
  hostNetworkMode: unverified('node', 'SEMANTICS.md §4 #6 "? (likely ignore)": hostNetwork pods have no OVS port, but Antrea\'s handling was not read; the upstream value is assumed'),
  reevaluateEstablished: confirmed('no', 'https://github.com/antrea-io/antrea/pull/5381 (established connections keep their allow)'),
  denyAction: confirmed('drop', 'vmware-tanzu/antrea:test/integration/agent/openflow_test.go checkDefaultDropFlows (ingress default table "drop"); Reject exists only for Antrea-native policies'),
  dropInvalidCt: inferred(true, 'ConntrackState table flow "ct_state=+inv+trk,ip actions=drop" in vmware-tanzu/antrea:test/integration/agent/openflow_test.go (2020 pipeline; the current pipeline was not re-read)'),
  sctpSupported: confirmed(true, 'with the OVS kernel datapath: https://github.com/antrea-io/antrea/issues/2033'),
  endPortSupported: confirmed(true, 'https://github.com/antrea-io/antrea/issues/1638'),
  bothTypesRules: unverified('own-direction', 'not checked for Antrea; the spec behaviour is assumed'),
  unresolvedNamedPorts: unverified('match-nothing', 'not checked for Antrea; the spec behaviour is assumed'),
  egressNamedPorts: unverified('destination-pod', 'named ports resolve on the destination pod (https://github.com/antrea-io/antrea/issues/241); rules without `to` and with ipBlocks were not checked, the spec behaviour is assumed'),
  namedPortConflict: confirmed('per-destination', 'named ports resolve on the destination pod (historic all-ports bug fixed: https://github.com/antrea-io/antrea/issues/241)'),
  icmpPolicy: inferred('policed', 'ICMP is matched by OVS flows like any other IP protocol (SEMANTICS.md §4 #14; no Antrea-specific source)'),
  conntrackTimeouts: inferred('kubeproxy', 'OVS conntrack is the kernel nf_conntrack (zones), whose sysctls kube-proxy sets (SEMANTICS.md §4 #17 "(inf)"; ' + KUBE_PROXY_CT + ')'),
  externalSource: inferred('node', `AntreaProxy (or kube-proxy) masquerades NodePort traffic for externalTrafficPolicy Cluster like kube-proxy does: ${KUBE_PROXY_SOURCE_IP}`),
};

const KUBE_ROUTER_PROFILE: CniProfileSwitches = {
  enforce: confirmed(true, `${KUBE_ROUTER}/network_policy_controller.go`),
  ipBlockMatchesPodIps: confirmed(true, `${KUBE_ROUTER}/policy.go: ipBlocks are ipsets of CIDRs, matched on the packet address`),
  ipBlockMatchesNodeIps: confirmed(true, `${KUBE_ROUTER}/policy.go: ipBlocks are ipsets of CIDRs, matched on the packet address`),
  ipBlockMatch: confirmed('kube-router-ipset', `${KUBE_ROUTER}/policy.go evalIPBlockPeer: an ipBlock's cidr and its excepts as \`nomatch\` entries (the kernel's longest-prefix lookup lets a longer cidr entry override a shorter except), IPv6 /0 written as 2000::/3 and fd00::/8; buildNetworkPoliciesInfo appends every ipBlock peer of a rule to the rule's one hash:net set (docs/kernel-renderings.md behaviours 4, 5)`),
  localNodeToPodAllowed: confirmed(true, `${KUBE_ROUTER}/pod.go: "from local node" rule -m addrtype --src-type LOCAL -d <podIP> -j ACCEPT`),
  podToLocalNodeEgressPoliced: confirmed(true, `${KUBE_ROUTER}/pod.go interceptPodOutboundTraffic: INPUT, FORWARD and OUTPUT jump to the pod firewall chain for -s <podIP>`),
  hostNetworkMode: confirmed('node', `${KUBE_ROUTER}/utils.go isNetPolActionable skips pods with spec.hostNetwork`),
  reevaluateEstablished: confirmed('no', `${KUBE_ROUTER}/npc_iptables.go ensureCommonPolicyChain: ctstate RELATED,ESTABLISHED ACCEPT before policy`),
  denyAction: confirmed('reject', `${KUBE_ROUTER}/pod.go: -m mark ! --mark 0x10000/0x10000 -j REJECT (iptables REJECT defaults to icmp-port-unreachable)`),
  dropInvalidCt: confirmed(true, `${KUBE_ROUTER}/npc_iptables.go ensureCommonPolicyChain: "rule to drop invalid state for pod" (ctstate INVALID -j DROP)`),
  sctpSupported: confirmed(true, `${KUBE_ROUTER}/policy.go appendRuleToPolicyChain writes the policy's protocol (\`-p SCTP --dport N\`) like TCP and UDP; cloudnativelabs/kube-router@39efb923 "feat: add support for SCTP" (in v2.8.0 and later) closes https://github.com/cloudnativelabs/kube-router/issues/1019 and tests SCTP policy rules in network_policy_controller_test.go; older releases: false (--cni-opt sctpSupported=false)`),
  endPortSupported: confirmed(true, `https://github.com/cloudnativelabs/kube-router/pull/1080 (merged); ${KUBE_ROUTER}/policy.go passes endport to the rules`),
  bothTypesRules: confirmed('both-directions', `${KUBE_ROUTER}/pod.go setupPodNetpolRules: the pod chain jumps to a policy of kubeBothPolicyType with no -d/-s match, and the chain's ingress rules match \`--match-set KUBE-DST-<policy pods> dst\`, its egress rules \`--match-set KUBE-SRC-<policy pods> src\` (policy.go processIngressRules, processEgressRules), so either list passes a packet between two of the policy's pods (docs/kernel-renderings.md behaviour 1)`),
  unresolvedNamedPorts: confirmed('all-ports', `${KUBE_ROUTER}/policy.go processIngressRules, processEgressRules: a rule with peer pods and "no ports and no named ports" after processNetworkPolicyPorts (named ports resolved on the policy's pods for ingress, on the peer pods for egress: buildNetworkPoliciesInfo, grabNamedPortFromPod) is written without a port match (docs/kernel-renderings.md behaviour 2)`),
  egressNamedPorts: confirmed('kube-router', `${KUBE_ROUTER}/policy.go buildNetworkPoliciesInfo: an egress rule without \`to\` resolves its named ports on every pod of the policy's namespace, and processEgressRules writes them as \`--dport N\` with no destination match; egress ipBlock rules are written with numeric ports only (docs/kernel-renderings.md behaviours 3, 4)`),
  namedPortConflict: confirmed('per-destination', `${KUBE_ROUTER}/policy.go: one named-port ipset per resolved (pods, number) pair; egress without peers fixed in https://github.com/cloudnativelabs/kube-router/pull/1037 (it then matches any destination on the numbers the policy namespace's pods use: egressNamedPorts=kube-router)`),
  icmpPolicy: confirmed('allow-echo-errors', 'cloudnativelabs/kube-router@7c2c2779:pkg/utils/iptables.go CommonICMPRules (echo-request, destination-unreachable, time-exceeded; ICMPv6 also NS, NA, echo-reply), accepted in the common chain before policy'),
  conntrackTimeouts: unverified('kubeproxy', 'SEMANTICS.md §4 #17 says Linux nf_conntrack; whether kube-router as service proxy (replacing kube-proxy) writes the conntrack sysctls was not checked; the upstream value is assumed'),
  externalSource: inferred('node', `kube-router's IPVS service proxy masquerades NodePort traffic (as kube-proxy: ${KUBE_PROXY_SOURCE_IP})`),
};

const OVN_KUBERNETES: CniProfileSwitches = {
  enforce: confirmed(true, OKD_DOCS),
  ipBlockMatchesPodIps: inferred(true, 'NetworkPolicy peers become OVN address sets of IPs; OpenShift runs the CIDR e2e tests on OVN-K (SEMANTICS.md §4 #2 "(inf)")'),
  ipBlockMatchesNodeIps: inferred(true, 'ipBlocks become IP matches in OVN ACLs (SEMANTICS.md §4 #3; no OVN-K-specific source)'),
  ipBlockMatch: unverified('cidr-except', 'not checked for OVN-Kubernetes; the spec behaviour is assumed'),
  localNodeToPodAllowed: confirmed(true, `${OKD_DOCS}: "Network policies cannot block traffic from localhost or from their resident nodes"`),
  podToLocalNodeEgressPoliced: unverified(true, 'SEMANTICS.md §4 #5 "?": not checked for OVN-K; the upstream value is assumed'),
  hostNetworkMode: confirmed('node', `${OKD_DOCS}: "A network policy does not apply to the host network namespace"`),
  reevaluateEstablished: inferred('both', `${OVN_ACL_COMMIT}; OVN-K's own docs do not state it (SEMANTICS.md §4 #7 "(inf)")`),
  denyAction: inferred('drop', 'OVN-K default-deny ACLs (SEMANTICS.md §4 #8 "DROP"; the ACL action was not read in ovn-kubernetes source)'),
  dropInvalidCt: inferred(true, 'ovn-northd adds priority-65535 ct.inv drop flows in ls_in_acl/ls_out_acl (https://www.mail-archive.com/ovs-dev@openvswitch.org/msg53881.html, which adds an option use_ct_inv_match to disable them); whether OVN-K sets that option was not checked'),
  sctpSupported: confirmed(true, 'https://github.com/ovn-kubernetes/ovn-kubernetes/issues/1120'),
  endPortSupported: unverified(true, 'SEMANTICS.md §4 #11 "? (believed Y)": not checked; the upstream value is assumed'),
  bothTypesRules: unverified('own-direction', 'not checked for OVN-Kubernetes (ingress and egress ACLs are separate); the spec behaviour is assumed'),
  unresolvedNamedPorts: unverified('match-nothing', 'not checked for OVN-Kubernetes; the spec behaviour is assumed'),
  egressNamedPorts: confirmed('destination-pod', 'named ports resolve on the destination pod (https://github.com/ovn-kubernetes/ovn-kubernetes/issues/2117)'),
  namedPortConflict: confirmed('per-destination', 'named ports resolve on the destination pod (historic bug fixed: https://github.com/ovn-kubernetes/ovn-kubernetes/issues/2117)'),
  icmpPolicy: confirmed('policed', `${OKD_DOCS}: network policy applies to TCP, UDP, ICMP and SCTP`),
  conntrackTimeouts: unverified('kubeproxy', 'OVS conntrack is the kernel nf_conntrack (SEMANTICS.md §4 #17), but OVN-K replaces kube-proxy and whether anything writes the kube-proxy sysctls was not checked (could be the kernel defaults, linux); the upstream value is assumed'),
  externalSource: unverified('node', 'OVN-Kubernetes SNATs Cluster-policy NodePort traffic to a node-side masquerade address, not the client; which address a policy then sees was not checked; the upstream value is assumed'),
};

const KUBE_NETWORK_POLICIES: CniProfileSwitches = {
  enforce: confirmed(true, `${KNP}:pkg/dataplane/controller.go; enforced by kindnet since kind v0.24 (https://github.com/kubernetes-sigs/kind/pull/3612)`),
  ipBlockMatchesPodIps: confirmed(true, `${KNP}:pkg/networkpolicy/networkpolicy.go: ipBlock is checked on the IP before any pod lookup`),
  ipBlockMatchesNodeIps: confirmed(true, `${KNP}:pkg/networkpolicy/networkpolicy.go: ipBlock is checked on the IP before any pod lookup`),
  ipBlockMatch: confirmed('cidr-except', `${KNP}:pkg/networkpolicy/networkpolicy.go: the address must be in the cidr and in no except`),
  localNodeToPodAllowed: inferred(true, `${KNP}:pkg/dataplane/controller.go "meta skuid 0 accept" exempts traffic generated by root on the node (https://github.com/kubernetes-sigs/kube-network-policies/issues/65); other node-originated traffic is evaluated (SEMANTICS.md §4 #4 "~")`),
  podToLocalNodeEgressPoliced: confirmed(true, `${KNP}:pkg/networkpolicy/engine.go: the egress pipeline evaluates every destination IP`),
  hostNetworkMode: confirmed('node', `${KNP}:pkg/networkpolicy/networkpolicy.go: hostNetwork pods are excluded from subjects`),
  reevaluateEstablished: confirmed('no', `${KNP}:pkg/dataplane/controller.go: ct state established,related accept; optional strict mode expires no-longer-allowed entries (https://github.com/kubernetes-sigs/kube-network-policies/pull/268)`),
  denyAction: confirmed('drop', `${KNP}:pkg/dataplane/controller.go: NFQUEUE verdict drop on deny`),
  dropInvalidCt: unverified(true, 'SEMANTICS.md §4 #9 "?": INVALID packets would reach NFQUEUE as new; not checked; the upstream value is assumed'),
  sctpSupported: confirmed(true, `${KNP}:pkg/networkpolicy/networkpolicy.go evaluatePorts compares SCTP like TCP and UDP`),
  endPortSupported: confirmed(true, `${KNP}:pkg/networkpolicy/networkpolicy.go evaluatePorts`),
  bothTypesRules: confirmed('own-direction', `${KNP}:pkg/networkpolicy/engine.go: ingress rules are evaluated for the destination pod, egress rules for the source pod`),
  unresolvedNamedPorts: confirmed('match-nothing', `${KNP}:pkg/networkpolicy/networkpolicy.go evaluatePorts resolves the name on the destination pod: a name it lacks matches nothing`),
  egressNamedPorts: confirmed('destination-pod', `${KNP}:pkg/networkpolicy/networkpolicy.go evaluatePorts resolves the name on the destination pod`),
  namedPortConflict: confirmed('per-destination', `${KNP}:pkg/networkpolicy/networkpolicy.go evaluatePorts resolves the name on the destination pod`),
  icmpPolicy: confirmed('allow-ndp', `${KNP}:pkg/dataplane/controller.go accepts ICMPv6 types 133-137 first; other ICMP is evaluated and matches only rules without ports`),
  conntrackTimeouts: inferred('kubeproxy', `kernel nf_conntrack; kind clusters run kube-proxy (${KUBE_PROXY_CT})`),
  externalSource: inferred('node', `kind clusters run kube-proxy: ${KUBE_PROXY_SOURCE_IP}`),
};

/** Flannel filters nothing, so every policy switch is moot; the upstream values are kept. */
function flannelMoot<const V>(value: V): SwitchSetting<V> {
  return confirmed(value, `no effect: flannel enforces no NetworkPolicy (${FLANNEL_NO_POLICY})`);
}

const FLANNEL: CniProfileSwitches = {
  enforce: confirmed(false, `${FLANNEL_NO_POLICY}; kindnet before kind v0.24 likewise (https://github.com/kubernetes-sigs/kind/issues/3705)`),
  ipBlockMatchesPodIps: flannelMoot(true),
  ipBlockMatchesNodeIps: flannelMoot(true),
  ipBlockMatch: flannelMoot('cidr-except'),
  localNodeToPodAllowed: flannelMoot(true),
  podToLocalNodeEgressPoliced: flannelMoot(true),
  hostNetworkMode: flannelMoot('node'),
  reevaluateEstablished: flannelMoot('no'),
  denyAction: flannelMoot('drop'),
  dropInvalidCt: unverified(false, `flannel installs no conntrack-state filter (${FLANNEL_NO_POLICY}); kube-proxy's own INVALID handling on such nodes was not checked`),
  sctpSupported: flannelMoot(true),
  endPortSupported: flannelMoot(true),
  bothTypesRules: flannelMoot('own-direction'),
  unresolvedNamedPorts: flannelMoot('match-nothing'),
  egressNamedPorts: flannelMoot('destination-pod'),
  namedPortConflict: flannelMoot('per-destination'),
  icmpPolicy: flannelMoot('policed'),
  conntrackTimeouts: inferred('kubeproxy', `kernel nf_conntrack (SEMANTICS.md §4 #17); flannel clusters run kube-proxy (${KUBE_PROXY_CT})`),
  externalSource: inferred('node', `flannel clusters run kube-proxy: ${KUBE_PROXY_SOURCE_IP}`),
};

export const CNI_PROFILES: { readonly [N in CniProfileName]: CniProfile } = {
  upstream: { name: 'upstream', summary: 'the NetworkPolicy spec and the upstream e2e expectations (netpol-emu\'s default)', switches: UPSTREAM },
  calico: { name: 'calico', summary: 'Calico, Felix iptables/nftables dataplane', switches: CALICO },
  'calico-ebpf': { name: 'calico-ebpf', summary: 'Calico, eBPF dataplane', switches: CALICO_EBPF },
  cilium: { name: 'cilium', summary: 'Cilium (eBPF), Kubernetes NetworkPolicy only, default agent options', switches: CILIUM },
  antrea: { name: 'antrea', summary: 'Antrea (OVS), Kubernetes NetworkPolicy only', switches: ANTREA },
  'kube-router': { name: 'kube-router', summary: 'kube-router network policy controller, iptables backend', switches: KUBE_ROUTER_PROFILE },
  'ovn-kubernetes': { name: 'ovn-kubernetes', summary: 'OVN-Kubernetes (OVN ACLs)', switches: OVN_KUBERNETES },
  'kube-network-policies': { name: 'kube-network-policies', summary: 'sig-network kube-network-policies, also kindnet ≥ v1.3 (kind ≥ v0.24), default (non-strict) mode', switches: KUBE_NETWORK_POLICIES },
  flannel: { name: 'flannel', summary: 'flannel, or kindnet in kind ≤ v0.23: no enforcement, every policy is silently ignored', switches: FLANNEL },
};

// ---- Resolving a profile and `--cni-opt key=value` overrides ----

export interface ResolvedSetting<V> extends SwitchSetting<V> {
  /** True when a `--cni-opt` replaced the profile's value (then `profileValue` holds it). */
  readonly overridden: boolean;
  readonly profileValue: V;
}

export type ResolvedSwitches = { readonly [K in CniSwitchName]: ResolvedSetting<CniSwitchValue<K>> };

export interface ResolvedProfile {
  readonly name: CniProfileName;
  readonly summary: string;
  readonly switches: ResolvedSwitches;
  /** The plain values, for engines. */
  readonly values: CniSwitchValues;
  /** Switches replaced by `--cni-opt`, in the order given. */
  readonly overrides: readonly CniSwitchName[];
}

export type ResolveProfileResult = { readonly ok: true; readonly profile: ResolvedProfile } | { readonly ok: false; readonly error: string };

export function isCniProfileName(name: string): name is CniProfileName {
  return (CNI_PROFILE_NAMES as readonly string[]).includes(name);
}

export function isCniSwitchName(name: string): name is CniSwitchName {
  return Object.hasOwn(CNI_SWITCHES, name);
}

/** The domain as text, as typed on the command line. */
export function switchDomainText(name: CniSwitchName): readonly string[] {
  const values: readonly (boolean | string)[] = CNI_SWITCHES[name].values;
  return values.map(String);
}

/**
 * `name` and `overrides` as given to `--cni` and `--cni-opt`. Errors are one sentence naming
 * the bad argument and listing what is allowed; the CLI prefixes the command and exits 2.
 */
export function resolveProfile(name: string, overrides: readonly string[]): ResolveProfileResult {
  if (!isCniProfileName(name)) {
    return { ok: false, error: `--cni: unknown CNI profile ${JSON.stringify(name)}${didYouMean(name, CNI_PROFILE_NAMES)}; profiles: ${CNI_PROFILE_NAMES.join(', ')}` };
  }
  const profile = CNI_PROFILES[name];
  const replaced = new Map<CniSwitchName, { value: boolean | string; option: string }>();
  for (const option of overrides) {
    const eq = option.indexOf('=');
    const key = eq < 0 ? option : option.slice(0, eq).trim();
    const text = eq < 0 ? '' : option.slice(eq + 1).trim();
    if (eq < 0 || key === '' || text === '') {
      return { ok: false, error: `--cni-opt ${JSON.stringify(option)}: expected key=value, e.g. --cni-opt denyAction=reject` };
    }
    if (!isCniSwitchName(key)) {
      return { ok: false, error: `--cni-opt ${JSON.stringify(option)}: unknown switch ${JSON.stringify(key)}${didYouMean(key, CNI_SWITCH_NAMES)}; switches: ${CNI_SWITCH_NAMES.join(', ')}` };
    }
    const allowed = switchDomainText(key);
    const index = allowed.indexOf(text);
    if (index < 0) {
      return { ok: false, error: `--cni-opt ${JSON.stringify(option)}: ${key} must be one of ${allowed.join(', ')}; got ${JSON.stringify(text)}` };
    }
    if (replaced.has(key)) {
      return { ok: false, error: `--cni-opt ${JSON.stringify(option)}: ${key} is set twice` };
    }
    const value = CNI_SWITCHES[key].values[index];
    if (value === undefined) throw new Error(`unreachable: ${key} domain index ${index}`);
    replaced.set(key, { value, option: `${key}=${text}` });
  }
  const switches: Record<string, ResolvedSetting<boolean | string>> = {};
  const values: Record<string, boolean | string> = {};
  for (const key of CNI_SWITCH_NAMES) {
    const base: SwitchSetting<boolean | string> = profile.switches[key];
    const override = replaced.get(key);
    switches[key] = override
      ? { value: override.value, source: `--cni-opt ${override.option} (profile ${name}: ${String(base.value)}, ${base.confidence}: ${base.source})`, confidence: 'chosen', overridden: true, profileValue: base.value }
      : { ...base, overridden: false, profileValue: base.value };
    values[key] = switches[key].value;
  }
  return {
    ok: true,
    profile: {
      name,
      summary: profile.summary,
      // Built key by key from CNI_SWITCH_NAMES, each value taken from that key's domain.
      switches: switches as unknown as ResolvedSwitches,
      values: values as unknown as CniSwitchValues,
      overrides: [...replaced.keys()],
    },
  };
}

/** ` (did you mean "x"?)` for the closest candidate, or '' when nothing is close. */
function didYouMean(input: string, candidates: readonly string[]): string {
  const lower = input.toLowerCase();
  // A clear prefix ("icmp" for icmpPolicy) is a better hint than the nearest edit.
  const prefixed = lower.length >= 3 ? candidates.find((c) => c.toLowerCase().startsWith(lower)) : undefined;
  if (prefixed !== undefined) return ` (did you mean ${JSON.stringify(prefixed)}?)`;
  let best = '';
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = candidate.toLowerCase() === lower ? 0 : editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  // A third of the name (at least 2 edits) keeps suggestions for typos, not for unrelated words.
  const limit = Math.max(2, Math.floor(input.length / 3));
  return bestDistance <= limit ? ` (did you mean ${JSON.stringify(best)}?)` : '';
}

/** Levenshtein distance: two rolling rows. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
