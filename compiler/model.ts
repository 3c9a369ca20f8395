/**
 * The cluster model: what the loader (`src/load`) produces and what the naive evaluator
 * (`src/naive`) and the compiler consume. Plain readonly data, already defaulted
 * (SEMANTICS.md §1.1) and validated (§1.4–1.5); no behaviour lives here.
 */

/** Protocols a NetworkPolicy port may name (SEMANTICS.md §1.5). */
export const POLICY_PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;
export type PolicyProtocol = (typeof POLICY_PROTOCOLS)[number];

/** IANA protocol numbers; flows carry numbers so ICMP and others fit too. */
export const IP_PROTOCOL = { ICMP: 1, TCP: 6, UDP: 17, ICMPV6: 58, SCTP: 132 } as const;
export const POLICY_PROTOCOL_NUMBER: Readonly<Record<PolicyProtocol, number>> = {
  TCP: IP_PROTOCOL.TCP,
  UDP: IP_PROTOCOL.UDP,
  SCTP: IP_PROTOCOL.SCTP,
};

/** Where an object came from: a file (or a live cluster) and the 1-based document in it. */
export interface Origin {
  readonly source: string;
  readonly document: number;
  /** Path of the object inside its document when it came out of a List, e.g. `items[3]`. */
  readonly itemPath: string;
}

export type IpFamily = 4 | 6;

export interface IpAddress {
  readonly family: IpFamily;
  /** The address as an unsigned integer (32 or 128 bits). */
  readonly value: bigint;
  /** Canonical text (dotted quad, RFC 5952 IPv6). */
  readonly text: string;
}

export interface Cidr {
  readonly family: IpFamily;
  /** Network address with host bits cleared. */
  readonly network: bigint;
  readonly prefixLength: number;
  /** Canonical masked text, e.g. `10.10.0.0/24`. */
  readonly text: string;
}

export type Labels = Readonly<Record<string, string>>;

export const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;
export type SelectorOperator = (typeof SELECTOR_OPERATORS)[number];

export interface LabelSelectorRequirement {
  readonly key: string;
  readonly operator: SelectorOperator;
  readonly values: readonly string[];
}

export interface LabelSelector {
  readonly matchLabels: Labels;
  readonly matchExpressions: readonly LabelSelectorRequirement[];
}

export interface Namespace {
  readonly name: string;
  /** Includes the synthesized `kubernetes.io/metadata.name` label. */
  readonly labels: Labels;
  /** False when the namespace was only referenced (by a pod or policy) and created implicitly. */
  readonly declared: boolean;
  readonly origin: Origin | null;
}

export interface ContainerPort {
  readonly name: string | null;
  readonly containerPort: number;
  readonly protocol: PolicyProtocol;
}

export interface Pod {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Labels;
  /** `status.podIPs` (or `status.podIP`), in the order given; the first is the primary IP. */
  readonly ips: readonly IpAddress[];
  readonly nodeName: string | null;
  readonly hostIP: IpAddress | null;
  readonly hostNetwork: boolean;
  /** `status.phase`; `Unknown` when absent. */
  readonly phase: string;
  readonly containerPorts: readonly ContainerPort[];
  readonly origin: Origin | null;
}

export interface IpBlock {
  readonly cidr: Cidr;
  readonly except: readonly Cidr[];
}

/** One element of `from`/`to`. Validation guarantees at least one field, and ipBlock alone. */
export interface PolicyPeer {
  readonly podSelector: LabelSelector | null;
  readonly namespaceSelector: LabelSelector | null;
  readonly ipBlock: IpBlock | null;
}

export interface PolicyPort {
  readonly protocol: PolicyProtocol;
  /** Number, container-port name, or null for "every port of the protocol". */
  readonly port: number | string | null;
  readonly endPort: number | null;
}

export interface PolicyRule {
  /** `from` (ingress) or `to` (egress). Empty means every peer, external addresses included. */
  readonly peers: readonly PolicyPeer[];
  /** Empty means every port of every protocol. */
  readonly ports: readonly PolicyPort[];
}

export const POLICY_TYPES = ['Ingress', 'Egress'] as const;
export type PolicyType = (typeof POLICY_TYPES)[number];

export interface NetworkPolicy {
  readonly namespace: string;
  readonly name: string;
  readonly podSelector: LabelSelector;
  /** Defaulted and de-duplicated, in the order Ingress, Egress. */
  readonly policyTypes: readonly PolicyType[];
  readonly ingress: readonly PolicyRule[];
  readonly egress: readonly PolicyRule[];
  readonly origin: Origin | null;
}

export const SERVICE_TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'] as const;
export type ServiceType = (typeof SERVICE_TYPES)[number];
export type TrafficPolicy = 'Cluster' | 'Local';

export interface ServicePort {
  readonly name: string | null;
  readonly protocol: PolicyProtocol;
  readonly port: number;
  /** A number, or a container-port name resolved per endpoint pod; defaults to `port`. */
  readonly targetPort: number | string;
  readonly nodePort: number | null;
}

/** A v1 Service (SERVICES in SEMANTICS.md terms: what kube-proxy translates before policy). */
export interface Service {
  readonly namespace: string;
  readonly name: string;
  readonly type: ServiceType;
  /** `spec.clusterIPs` (or `spec.clusterIP`); empty for a headless Service (clusterIP None). */
  readonly clusterIPs: readonly IpAddress[];
  readonly headless: boolean;
  readonly externalIPs: readonly IpAddress[];
  /** `status.loadBalancer.ingress[].ip`. */
  readonly loadBalancerIPs: readonly IpAddress[];
  readonly ports: readonly ServicePort[];
  /** null: no selector (endpoints come from EndpointSlices only). */
  readonly selector: Labels | null;
  readonly externalTrafficPolicy: TrafficPolicy;
  readonly internalTrafficPolicy: TrafficPolicy;
  readonly sessionAffinity: 'None' | 'ClientIP';
  readonly origin: Origin | null;
}

export interface EndpointSlicePort {
  readonly name: string | null;
  readonly protocol: PolicyProtocol;
  readonly port: number | null;
}

export interface EndpointSliceEndpoint {
  readonly addresses: readonly IpAddress[];
  /** `conditions.ready`, nil meaning ready (discovery.k8s.io/v1 API doc). */
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
  readonly nodeName: string | null;
  /** `targetRef` of kind Pod: `namespace/name`. */
  readonly pod: string | null;
}

/** A discovery.k8s.io/v1 EndpointSlice. */
export interface EndpointSlice {
  readonly namespace: string;
  readonly name: string;
  /** The `kubernetes.io/service-name` label. */
  readonly serviceName: string;
  readonly addressType: 'IPv4' | 'IPv6' | 'FQDN';
  readonly ports: readonly EndpointSlicePort[];
  readonly endpoints: readonly EndpointSliceEndpoint[];
  readonly origin: Origin | null;
}

/** A loaded cluster. Every list is sorted by (namespace, name) so output is deterministic. */
export interface Cluster {
  readonly namespaces: readonly Namespace[];
  readonly pods: readonly Pod[];
  readonly policies: readonly NetworkPolicy[];
  /**
   * AdminNetworkPolicy, BaselineAdminNetworkPolicy, ClusterNetworkPolicy (absent: none), in
   * evaluation order: Admin tier before Baseline, then priority ascending, then kind and name
   * (equal priorities are undefined upstream; this tie-break is ours and the loader warns).
   */
  readonly adminPolicies?: readonly AdminPolicy[];
  /** `v1` Nodes, sorted by name (absent: none); only `nodes` peers read them. */
  readonly nodes?: readonly Node[];
  /** Present when the input had Services / EndpointSlices (absent keeps older outputs unchanged). */
  readonly services?: readonly Service[];
  readonly endpointSlices?: readonly EndpointSlice[];
}

/** A pod that owns its IPs as a pod endpoint (not hostNetwork, not finished): only these may not share IPs (SEMANTICS.md §4 #15). */
export function ownsPodIps(pod: Pod): boolean {
  return !pod.hostNetwork && pod.phase !== 'Succeeded' && pod.phase !== 'Failed';
}

export type Direction = 'ingress' | 'egress';

export function qualifiedName(object: { readonly namespace: string; readonly name: string }): string {
  return `${object.namespace}/${object.name}`;
}

// ---------------------------------------------------------------------------------------------
// Cluster-scoped policies of sig-network's network-policy-api (SEMANTICS.md §5):
// AdminNetworkPolicy and BaselineAdminNetworkPolicy (`policy.networking.k8s.io/v1alpha1`) and
// their successor ClusterNetworkPolicy (`v1alpha2`), decoded into one shape. v1alpha2's `Accept`
// is stored as `Allow`; its `protocols` as ports.

/** A `v1` Node: only what `nodes` peers need (labels, `status.addresses`). */
export interface Node {
  readonly name: string;
  readonly labels: Labels;
  /** The IPs of `status.addresses` (InternalIP, ExternalIP), in the order given. */
  readonly addresses: readonly IpAddress[];
  readonly origin: Origin | null;
}

export const ADMIN_POLICY_KINDS = ['AdminNetworkPolicy', 'BaselineAdminNetworkPolicy', 'ClusterNetworkPolicy'] as const;
export type AdminPolicyKind = (typeof ADMIN_POLICY_KINDS)[number];

/** Admin is evaluated before NetworkPolicy, Baseline after it (SEMANTICS.md §5.2). */
export type AdminTier = 'Admin' | 'Baseline';

export const ADMIN_ACTIONS = ['Allow', 'Deny', 'Pass'] as const;
export type AdminAction = (typeof ADMIN_ACTIONS)[number];

/** `subject`: `namespaces` is stored with `podSelector` null (every pod of those namespaces). */
export interface AdminSubject {
  readonly namespaceSelector: LabelSelector;
  readonly podSelector: LabelSelector | null;
}

export type AdminPeer =
  /** `namespaces` (podSelector null) or `pods`: pod endpoints only, never hostNetwork pods. */
  | { readonly kind: 'pods'; readonly namespaceSelector: LabelSelector; readonly podSelector: LabelSelector | null }
  /** `nodes`: the addresses of the Nodes whose labels match. */
  | { readonly kind: 'nodes'; readonly nodeSelector: LabelSelector }
  /** `networks`: CIDRs; they match pod and node addresses too. */
  | { readonly kind: 'networks'; readonly cidrs: readonly Cidr[] }
  /** `domainNames`: accepted, not emulated: matches nothing (they are Allow-only). */
  | { readonly kind: 'domainNames'; readonly domainNames: readonly string[] }
  /** A peer with no field this version knows (CRD skew): fails closed (SEMANTICS.md §5.1). */
  | { readonly kind: 'unknown'; readonly fields: readonly string[] };

export type AdminPort =
  | { readonly kind: 'number'; readonly protocol: PolicyProtocol; readonly port: number }
  | { readonly kind: 'range'; readonly protocol: PolicyProtocol; readonly start: number; readonly end: number }
  /** A container port name, resolved on the destination pod with that port's own protocol. */
  | { readonly kind: 'named'; readonly name: string };

export interface AdminRule {
  readonly name: string | null;
  readonly action: AdminAction;
  /** `from` (ingress) or `to` (egress): 1..100 peers (25 in v1alpha2). */
  readonly peers: readonly AdminPeer[];
  /** `ports` (v1alpha1) or `protocols` (v1alpha2); null when absent: every port and protocol. */
  readonly ports: readonly AdminPort[] | null;
}

export interface AdminPolicy {
  readonly kind: AdminPolicyKind;
  readonly name: string;
  readonly tier: AdminTier;
  /** 0..1000, lower first; BaselineAdminNetworkPolicy (a singleton) has 0. */
  readonly priority: number;
  readonly subject: AdminSubject;
  readonly ingress: readonly AdminRule[];
  readonly egress: readonly AdminRule[];
  readonly origin: Origin | null;
}

/** `AdminNetworkPolicy/name`: how reports name a cluster-scoped policy. */
export function adminPolicyName(policy: { readonly kind: AdminPolicyKind; readonly name: string }): string {
  return `${policy.kind}/${policy.name}`;
}
