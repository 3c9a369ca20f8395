/**
 * The verdict vocabulary shared by the naive evaluator, the compiled tables and the dataplane.
 * Only names and numbers live here, no matching logic: the property test compares the two
 * engines through this vocabulary, so it must not hide a shared bug.
 *
 * Numbers are stable (they appear in JSON output and flow logs): allows are 1–63, drops 64–127,
 * the dataplane adds its own codes from 128 on.
 */
import type { AdminAction, AdminPolicyKind, AdminTier } from './model.js';

/** Why one direction (the source's egress or the destination's ingress) let a flow through or not. */
export const DirectionReason = {
  /** The endpoint on this side is not a policed pod: an external address, a node, a hostNetwork pod. */
  NOT_A_POD: 1,
  /** The pod is a policed endpoint but no policy isolates it in this direction. */
  NOT_ISOLATED: 2,
  /** A rule of a policy that isolates the pod matched. */
  RULE: 3,
  /**
   * Exempt because the other end is the pod's own node: ingress from it (SEMANTICS.md §1.2), or
   * egress to it where the profile does not police that (`podToLocalNodeEgressPoliced=false`).
   */
  LOCAL_NODE: 4,
  /** Source and destination are the same pod: traffic never leaves its network namespace. */
  SELF: 5,
  /** The profile enforces no NetworkPolicy at all (flannel): every flow passes. */
  NOT_ENFORCED: 6,
  /** An Allow rule of an Admin-tier policy (AdminNetworkPolicy, ClusterNetworkPolicy tier Admin) matched: final. */
  ADMIN_ALLOW: 7,
  /** No NetworkPolicy isolates the pod and an Allow rule of a Baseline-tier policy matched. */
  BASELINE_ALLOW: 8,
  /** Isolated and no rule matched: default deny. */
  NO_RULE_MATCHED: 64,
  /** A Deny rule of an Admin-tier policy matched: final, NetworkPolicy is not consulted. */
  ADMIN_DENY: 65,
  /** No NetworkPolicy isolates the pod and a Deny rule of a Baseline-tier policy matched. */
  BASELINE_DENY: 66,
} as const;
export type DirectionReason = (typeof DirectionReason)[keyof typeof DirectionReason];

export const DIRECTION_REASON_TEXT: Readonly<Record<DirectionReason, string>> = {
  [DirectionReason.NOT_A_POD]: 'not a pod endpoint',
  [DirectionReason.NOT_ISOLATED]: 'not isolated',
  [DirectionReason.RULE]: 'allowed by rule',
  [DirectionReason.LOCAL_NODE]: 'the pod\'s own node',
  [DirectionReason.SELF]: 'pod to itself',
  [DirectionReason.NOT_ENFORCED]: 'policies not enforced',
  [DirectionReason.NO_RULE_MATCHED]: 'default deny: no rule matched',
  [DirectionReason.ADMIN_ALLOW]: 'allowed by an admin-tier rule',
  [DirectionReason.BASELINE_ALLOW]: 'allowed by a baseline-tier rule',
  [DirectionReason.ADMIN_DENY]: 'denied by an admin-tier rule',
  [DirectionReason.BASELINE_DENY]: 'denied by a baseline-tier rule',
};

/** Directional reasons that let the flow through (allows are 1–63, as for Reason). */
export function isAllowDirection(reason: DirectionReason): boolean {
  return reason < 64;
}

/** The verdict of a whole flow (egress at the source, then ingress at the destination). */
export const Reason = {
  ALLOW_SELF: 1,
  /** Neither side is isolated in the direction that matters (or neither is a pod). */
  ALLOW_NOT_ISOLATED: 2,
  /** At least one side is isolated and a rule allowed the flow there; the other side allowed too. */
  ALLOW_POLICY: 3,
  /** The destination's ingress is exempt because the source is its node; egress allowed. */
  ALLOW_LOCAL_NODE: 4,
  /** The profile enforces no NetworkPolicy (flannel). */
  ALLOW_NOT_ENFORCED: 5,
  /** An ICMP type the profile always lets through (Cilium's frag-needed, kube-router's echo/errors). */
  ALLOW_ICMP_EXEMPT: 6,
  /** An Admin-tier Allow decided at least one side; the other side allowed too. */
  ALLOW_ADMIN: 7,
  /** A Baseline-tier Allow decided at least one side (and no admin or NetworkPolicy rule did). */
  ALLOW_BASELINE: 8,
  DROP_EGRESS_DEFAULT_DENY: 64,
  DROP_INGRESS_DEFAULT_DENY: 65,
  DROP_EGRESS_ADMIN_DENY: 66,
  DROP_INGRESS_ADMIN_DENY: 67,
  DROP_EGRESS_BASELINE_DENY: 68,
  DROP_INGRESS_BASELINE_DENY: 69,
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

export const REASON_NAME: Readonly<Record<Reason, string>> = {
  [Reason.ALLOW_SELF]: 'allow-self',
  [Reason.ALLOW_NOT_ISOLATED]: 'allow-not-isolated',
  [Reason.ALLOW_POLICY]: 'allow-policy',
  [Reason.ALLOW_LOCAL_NODE]: 'allow-local-node',
  [Reason.ALLOW_NOT_ENFORCED]: 'allow-not-enforced',
  [Reason.ALLOW_ICMP_EXEMPT]: 'allow-icmp-exempt',
  [Reason.DROP_EGRESS_DEFAULT_DENY]: 'drop-egress-default-deny',
  [Reason.DROP_INGRESS_DEFAULT_DENY]: 'drop-ingress-default-deny',
  [Reason.ALLOW_ADMIN]: 'allow-admin',
  [Reason.ALLOW_BASELINE]: 'allow-baseline',
  [Reason.DROP_EGRESS_ADMIN_DENY]: 'drop-egress-admin-deny',
  [Reason.DROP_INGRESS_ADMIN_DENY]: 'drop-ingress-admin-deny',
  [Reason.DROP_EGRESS_BASELINE_DENY]: 'drop-egress-baseline-deny',
  [Reason.DROP_INGRESS_BASELINE_DENY]: 'drop-ingress-baseline-deny',
};

export function isAllowReason(reason: number): boolean {
  return reason >= 1 && reason < 64;
}

/** Drops decided at the source's egress (default deny, admin or baseline Deny). */
export function isEgressDrop(reason: number): boolean {
  return reason === Reason.DROP_EGRESS_DEFAULT_DENY || reason === Reason.DROP_EGRESS_ADMIN_DENY || reason === Reason.DROP_EGRESS_BASELINE_DENY;
}

/** Drops decided at the destination's ingress. */
export function isIngressDrop(reason: number): boolean {
  return reason === Reason.DROP_INGRESS_DEFAULT_DENY || reason === Reason.DROP_INGRESS_ADMIN_DENY || reason === Reason.DROP_INGRESS_BASELINE_DENY;
}

/** Drops decided by a tier rule (admin or baseline Deny) rather than NetworkPolicy's default deny. */
export function isTierDrop(reason: number): boolean {
  return reason >= Reason.DROP_EGRESS_ADMIN_DENY && reason <= Reason.DROP_INGRESS_BASELINE_DENY;
}

/**
 * Combine the two directional verdicts into the flow's reason. Order matters and is part of the
 * contract: a pod to itself is always allowed; egress is evaluated first, so an egress deny is
 * reported even when ingress would deny too.
 */
export function combineDirections(egress: DirectionReason, ingress: DirectionReason): Reason {
  if (egress === DirectionReason.NOT_ENFORCED) return Reason.ALLOW_NOT_ENFORCED;
  if (egress === DirectionReason.SELF || ingress === DirectionReason.SELF) return Reason.ALLOW_SELF;
  if (egress === DirectionReason.NO_RULE_MATCHED) return Reason.DROP_EGRESS_DEFAULT_DENY;
  if (egress === DirectionReason.ADMIN_DENY) return Reason.DROP_EGRESS_ADMIN_DENY;
  if (egress === DirectionReason.BASELINE_DENY) return Reason.DROP_EGRESS_BASELINE_DENY;
  if (ingress === DirectionReason.NO_RULE_MATCHED) return Reason.DROP_INGRESS_DEFAULT_DENY;
  if (ingress === DirectionReason.ADMIN_DENY) return Reason.DROP_INGRESS_ADMIN_DENY;
  if (ingress === DirectionReason.BASELINE_DENY) return Reason.DROP_INGRESS_BASELINE_DENY;
  if (ingress === DirectionReason.LOCAL_NODE || egress === DirectionReason.LOCAL_NODE) return Reason.ALLOW_LOCAL_NODE;
  // The strongest tier that decided names the allow: admin, then NetworkPolicy, then baseline.
  if (egress === DirectionReason.ADMIN_ALLOW || ingress === DirectionReason.ADMIN_ALLOW) return Reason.ALLOW_ADMIN;
  if (egress === DirectionReason.RULE || ingress === DirectionReason.RULE) return Reason.ALLOW_POLICY;
  if (egress === DirectionReason.BASELINE_ALLOW || ingress === DirectionReason.BASELINE_ALLOW) return Reason.ALLOW_BASELINE;
  return Reason.ALLOW_NOT_ISOLATED;
}

/**
 * Where an allow came from: policy, rule index in its direction, and the peer and port entries
 * that matched (null when the rule has no `from`/`to`, or no `ports`). When several rules match,
 * the reported one is the first in (policy namespace/name, rule, peer, port) order — both engines
 * must agree on this, so it is part of the contract too.
 */
export interface RuleRef {
  /** Empty for cluster-scoped policies (those have `policyKind`). */
  readonly policyNamespace: string;
  readonly policyName: string;
  readonly direction: 'ingress' | 'egress';
  readonly ruleIndex: number;
  readonly peerIndex: number | null;
  readonly portIndex: number | null;
  /**
   * Cluster-scoped policies only (absent on NetworkPolicy rules): the kind, tier, priority, the
   * rule's `name` and the action the rule took — Deny for a Deny or Pass rule with a peer this
   * version does not know, which fails closed as deny-all (SEMANTICS.md §5.1). Rules of these
   * policies are reported in evaluation order (tier, priority, kind, name, rule, peer, port).
   */
  readonly policyKind?: AdminPolicyKind;
  readonly tier?: AdminTier;
  readonly priority?: number;
  readonly ruleName?: string | null;
  readonly action?: AdminAction;
}

/** The policy of a rule: `namespace/name`, or `Kind/name` for a cluster-scoped policy. */
export function rulePolicyName(ref: RuleRef): string {
  return ref.policyKind !== undefined ? `${ref.policyKind}/${ref.policyName}` : `${ref.policyNamespace}/${ref.policyName}`;
}

export function formatRuleRef(ref: RuleRef): string {
  const field = ref.direction === 'ingress' ? 'from' : 'to';
  if (ref.policyKind !== undefined) {
    let text = `${ref.policyKind}/${ref.policyName}`;
    if (ref.policyKind !== 'BaselineAdminNetworkPolicy') text += ` (${ref.tier} tier, priority ${ref.priority})`;
    text += ` ${ref.direction}[${ref.ruleIndex}]`;
    if (ref.ruleName) text += ` ${JSON.stringify(ref.ruleName)}`;
    text += ` ${ref.action}`;
    text += ref.peerIndex === null ? ` (any peer)` : ` ${field}[${ref.peerIndex}]`;
    text += ref.portIndex === null ? ` (any port)` : ` ports[${ref.portIndex}]`;
    return text;
  }
  let text = `${ref.policyNamespace}/${ref.policyName} ${ref.direction}[${ref.ruleIndex}]`;
  text += ref.peerIndex === null ? ` (any peer)` : ` ${field}[${ref.peerIndex}]`;
  text += ref.portIndex === null ? ` (any port)` : ` ports[${ref.portIndex}]`;
  return text;
}
