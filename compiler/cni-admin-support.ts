/**
 * Which CNI implements which part of sig-network's cluster-scoped policy API (SEMANTICS.md §5),
 * per profile, with the source and confidence of every value (as compiler/cni-profiles.ts does
 * for the NetworkPolicy switches). `restrictToProfile` applies it: an object kind the CNI does
 * not implement is ignored, as the CNI would ignore it; a peer or port form it does not
 * implement fails closed, the API's rule for a peer an implementation does not understand (an
 * Allow rule then matches nothing through it, a Deny or Pass rule denies all). Pure data and one
 * pure function; the CLI prints the notes as warnings.
 */
import type { AdminPeer, AdminPolicy, AdminRule, Cluster } from './model.js';
import { adminPolicyName } from './model.js';
import type { CniProfileName, SwitchSetting } from './cni-profiles.js';

export const ADMIN_FEATURES = {
  adminNetworkPolicy: 'AdminNetworkPolicy (policy.networking.k8s.io/v1alpha1)',
  baselineAdminNetworkPolicy: 'BaselineAdminNetworkPolicy (policy.networking.k8s.io/v1alpha1)',
  clusterNetworkPolicy: 'ClusterNetworkPolicy (policy.networking.k8s.io/v1alpha2, tiers Admin and Baseline)',
  networksPeer: 'egress `networks` peers (CIDRs; experimental in v1alpha1)',
  nodesPeer: 'egress `nodes` peers (node labels; experimental)',
  namedPort: '`namedPort` / `destinationNamedPort` (experimental)',
  domainNames: 'egress `domainNames` peers (experimental; netpol-emu does not emulate them anyway)',
} as const;
export type AdminFeature = keyof typeof ADMIN_FEATURES;
export const ADMIN_FEATURE_NAMES = Object.keys(ADMIN_FEATURES) as readonly AdminFeature[];

export type AdminSupport = { readonly [F in AdminFeature]: SwitchSetting<boolean> };

const IMPLEMENTATIONS = 'kubernetes-sigs/network-policy-api:site-src/implementations.md@0eec1b0e';
const KNP_REPORT = 'kubernetes-sigs/network-policy-api:conformance/reports/v0.2.0/kube-network-policies.yaml@7ef44f4f (ClusterNetworkPolicy standard, experimental ClusterNetworkPolicyNamedPorts and ClusterNetworkPolicyEgressNodePeers)';
const OVN_REPORT = 'kubernetes-sigs/network-policy-api:conformance/reports/v0.1.2/ovn-kubernetes.yaml (AdminNetworkPolicy and BaselineAdminNetworkPolicy core profiles pass)';
const CILIUM_ISSUE = 'https://github.com/cilium/cilium/issues/23380 (tracking issue; listed as not implemented in ' + IMPLEMENTATIONS + ')';

function confirmed(value: boolean, source: string): SwitchSetting<boolean> {
  return { value, source, confidence: 'confirmed' };
}
function inferred(value: boolean, source: string): SwitchSetting<boolean> {
  return { value, source, confidence: 'inferred' };
}
function unverified(value: boolean, source: string): SwitchSetting<boolean> {
  return { value, source, confidence: 'unverified' };
}
function chosen(value: boolean, source: string): SwitchSetting<boolean> {
  return { value, source, confidence: 'chosen' };
}

const NONE = (source: string, confidence: 'confirmed' | 'inferred' | 'unverified'): AdminSupport => {
  const make = confidence === 'confirmed' ? confirmed : confidence === 'inferred' ? inferred : unverified;
  return Object.fromEntries(ADMIN_FEATURE_NAMES.map((f) => [f, make(false, source)])) as unknown as AdminSupport;
};

const CALICO: AdminSupport = {
  adminNetworkPolicy: confirmed(true, `${IMPLEMENTATIONS}: "Calico CNI (Has implemented standard fields of the API + Networks peer in experimental in Calico v3.29, v3.30, and v3.31)"`),
  baselineAdminNetworkPolicy: inferred(true, `${IMPLEMENTATIONS} lists Calico under "AdminNetworkPolicy and BaseLineAdminNetworkPolicy (v1alpha1)" without saying which of the two`),
  clusterNetworkPolicy: confirmed(true, `${IMPLEMENTATIONS}: "Calico CNI (Standard support in Calico v3.32)"`),
  networksPeer: confirmed(true, `${IMPLEMENTATIONS}: "+ Networks peer in experimental"`),
  nodesPeer: inferred(false, `${IMPLEMENTATIONS}: only standard fields and the Networks peer are listed`),
  namedPort: inferred(false, `${IMPLEMENTATIONS}: only standard fields and the Networks peer are listed`),
  domainNames: inferred(false, `${IMPLEMENTATIONS}: only standard fields and the Networks peer are listed`),
};

export const CNI_ADMIN_SUPPORT: { readonly [N in CniProfileName]: AdminSupport } = {
  upstream: Object.fromEntries(ADMIN_FEATURE_NAMES.map((f) => [f, chosen(true, 'netpol-emu emulates the whole API (SEMANTICS.md §5), domainNames excepted: they match nothing')])) as unknown as AdminSupport,
  calico: CALICO,
  'calico-ebpf': Object.fromEntries(
    ADMIN_FEATURE_NAMES.map((f) => [f, inferred(CALICO[f].value, `SEMANTICS.md §3.2: the eBPF dataplane compiles the same calculation graph as Felix iptables mode; calico: ${CALICO[f].source}`)]),
  ) as unknown as AdminSupport,
  cilium: NONE(CILIUM_ISSUE, 'confirmed'),
  antrea: {
    adminNetworkPolicy: confirmed(true, `${IMPLEMENTATIONS}: "Antrea CNI (Has implemented standard fields of the API)"`),
    baselineAdminNetworkPolicy: inferred(true, `${IMPLEMENTATIONS} lists Antrea under "AdminNetworkPolicy and BaseLineAdminNetworkPolicy (v1alpha1)"`),
    clusterNetworkPolicy: inferred(false, `${IMPLEMENTATIONS}: Antrea is not listed under ClusterNetworkPolicy`),
    networksPeer: inferred(false, `${IMPLEMENTATIONS}: standard fields only`),
    nodesPeer: inferred(false, `${IMPLEMENTATIONS}: standard fields only`),
    namedPort: inferred(false, `${IMPLEMENTATIONS}: standard fields only`),
    domainNames: inferred(false, `${IMPLEMENTATIONS}: standard fields only`),
  },
  'kube-router': NONE(`${IMPLEMENTATIONS}: kube-router is not listed; cloudnativelabs/kube-router@7c2c2779:pkg/controllers/netpol watches networking.k8s.io/v1 NetworkPolicy only`, 'inferred'),
  'ovn-kubernetes': {
    adminNetworkPolicy: confirmed(true, `${OVN_REPORT}; ${IMPLEMENTATIONS}`),
    baselineAdminNetworkPolicy: confirmed(true, OVN_REPORT),
    clusterNetworkPolicy: inferred(false, `${IMPLEMENTATIONS}: OVN-Kubernetes is not listed under ClusterNetworkPolicy`),
    networksPeer: confirmed(true, `${IMPLEMENTATIONS}: "Has implemented standard fields of the API + Nodes/Networks in Experimental"`),
    nodesPeer: confirmed(true, `${IMPLEMENTATIONS}: "+ Nodes/Networks in Experimental"`),
    namedPort: unverified(true, `not stated in ${IMPLEMENTATIONS}; the upstream-like value is assumed`),
    domainNames: unverified(true, `not stated in ${IMPLEMENTATIONS}; the upstream-like value is assumed`),
  },
  'kube-network-policies': {
    adminNetworkPolicy: confirmed(true, `${IMPLEMENTATIONS}: "Kube-network-policies" (v0.8.1) under v1alpha1`),
    baselineAdminNetworkPolicy: confirmed(true, `${IMPLEMENTATIONS}: "Kube-network-policies" (v0.8.1) under v1alpha1`),
    clusterNetworkPolicy: confirmed(true, KNP_REPORT),
    networksPeer: inferred(true, `${KNP_REPORT}: the standard profile, which includes the inline CIDR (networks) tests`),
    nodesPeer: confirmed(true, KNP_REPORT),
    namedPort: confirmed(true, KNP_REPORT),
    domainNames: unverified(true, `not in ${KNP_REPORT}; the upstream-like value is assumed`),
  },
  flannel: NONE('flannel-io/flannel:README.md: flannel enforces no policy at all', 'confirmed'),
};

const KIND_FEATURE = {
  AdminNetworkPolicy: 'adminNetworkPolicy',
  BaselineAdminNetworkPolicy: 'baselineAdminNetworkPolicy',
  ClusterNetworkPolicy: 'clusterNetworkPolicy',
} as const satisfies Record<AdminPolicy['kind'], AdminFeature>;

const PEER_FEATURE: Partial<Record<AdminPeer['kind'], AdminFeature>> = { networks: 'networksPeer', nodes: 'nodesPeer', domainNames: 'domainNames' };

/** One thing a profile's CNI does not implement, and what that does to one policy or rule. */
export interface AdminRestriction {
  /** `AdminNetworkPolicy/name`, or with the rule: `AdminNetworkPolicy/name ingress[0]`. */
  readonly subject: string;
  readonly effect: 'is ignored' | 'fails closed';
  /** What the CNI does not implement (ADMIN_FEATURES texts, joined). */
  readonly missing: string;
  /** `confidence: source` of the support value, where the note names it. */
  readonly evidence: string | null;
}

/** A restriction as one sentence naming the profiles it applies to. */
export function restrictionNote(profiles: readonly CniProfileName[], r: AdminRestriction): string {
  const who = profiles.length === 1 ? `CNI profile ${profiles[0]} does` : `CNI profiles ${profiles.join(', ')} do`;
  return `${r.subject} ${r.effect}: ${who} not implement ${r.missing}${r.evidence === null ? '' : ` (${r.evidence})`}`;
}

/**
 * The notes of several profiles' restrictions of one cluster, each distinct restriction once with
 * every profile it applies to (`diff --cni all`). Sources that differ between those profiles are
 * left to `netpol-emu profiles --admin`.
 */
export function mergeRestrictionNotes(byProfile: readonly { readonly profile: CniProfileName; readonly restrictions: readonly AdminRestriction[] }[]): string[] {
  const groups = new Map<string, { restriction: AdminRestriction; profiles: CniProfileName[]; evidence: Set<string | null> }>();
  for (const { profile, restrictions } of byProfile) {
    for (const r of restrictions) {
      const key = `${r.subject}\n${r.effect}\n${r.missing}`;
      const group = groups.get(key) ?? { restriction: r, profiles: [], evidence: new Set<string | null>() };
      groups.set(key, group);
      if (!group.profiles.includes(profile)) group.profiles.push(profile);
      group.evidence.add(r.evidence);
    }
  }
  return [...groups.values()].map(({ restriction, profiles, evidence }) =>
    restrictionNote(profiles, evidence.size === 1 ? restriction : { ...restriction, evidence: 'sources: netpol-emu profiles --admin' }),
  );
}

/**
 * The cluster as a CNI of profile `profile` sees it: unsupported kinds dropped, unsupported
 * peers and named ports failing closed. Returns the same object when nothing changes.
 */
export function restrictToProfile(cluster: Cluster, profile: CniProfileName): { cluster: Cluster; notes: string[]; restrictions: AdminRestriction[] } {
  const policies = cluster.adminPolicies ?? [];
  if (policies.length === 0) return { cluster, notes: [], restrictions: [] };
  const support = CNI_ADMIN_SUPPORT[profile];
  const restrictions: AdminRestriction[] = [];
  const kept: AdminPolicy[] = [];
  for (const policy of policies) {
    const feature = KIND_FEATURE[policy.kind];
    if (!support[feature].value) {
      restrictions.push({ subject: adminPolicyName(policy), effect: 'is ignored', missing: ADMIN_FEATURES[feature], evidence: `${support[feature].confidence}: ${support[feature].source}` });
      continue;
    }
    const restrictRules = (direction: 'ingress' | 'egress', rules: readonly AdminRule[]): AdminRule[] =>
      rules.map((rule, i) => {
        const unsupported: AdminFeature[] = [];
        for (const peer of rule.peers) {
          const f = PEER_FEATURE[peer.kind];
          if (f !== undefined && !support[f].value && !unsupported.includes(f)) unsupported.push(f);
        }
        if (rule.ports?.some((p) => p.kind === 'named') && !support.namedPort.value) unsupported.push('namedPort');
        if (unsupported.length === 0) return rule;
        restrictions.push({ subject: `${adminPolicyName(policy)} ${direction}[${i}]`, effect: 'fails closed', missing: unsupported.map((f) => ADMIN_FEATURES[f]).join(', '), evidence: null });
        if (unsupported.includes('namedPort')) return { ...rule, peers: [{ kind: 'unknown', fields: ['namedPort'] }], ports: null };
        return { ...rule, peers: rule.peers.map((peer): AdminPeer => (PEER_FEATURE[peer.kind] !== undefined && !support[PEER_FEATURE[peer.kind] as AdminFeature].value ? { kind: 'unknown', fields: [peer.kind] } : peer)) };
      });
    kept.push({ ...policy, ingress: restrictRules('ingress', policy.ingress), egress: restrictRules('egress', policy.egress) });
  }
  return { cluster: { ...cluster, adminPolicies: kept }, notes: restrictions.map((r) => restrictionNote([profile], r)), restrictions };
}
