/**
 * The naive evaluator's tiering (SEMANTICS.md §5.2), one fine point per test, on small clusters:
 * admin priority order, Allow and Deny final over NetworkPolicy, Pass skipping the rest of the
 * tier, the baseline only where no NetworkPolicy isolates, both directions needed, networks
 * matching pod IPs, nodes peers, hostNetwork pods never subjects, named ports on the
 * destination, ports never matching ICMP, and the tie-break of equal priorities.
 */
import { describe, expect, it } from 'vitest';
import { DirectionReason, Reason } from '../compiler/verdict.js';
import { load, namespace, pod } from './naive-harness.js';

const A = '10.0.0.1';
const B = '10.0.0.2';
const C = '10.0.1.3';
const base = [
  namespace('a', { team: 'a' }),
  namespace('b', { team: 'b' }),
  pod({ ns: 'a', name: 'pa', ip: A, labels: { app: 'x' }, hostIP: '172.18.0.2', ports: [{ name: 'http', containerPort: 8080 }] }),
  pod({ ns: 'b', name: 'pb', ip: B, labels: { app: 'y' }, hostIP: '172.18.0.2', ports: [{ name: 'http', containerPort: 8080 }, { name: 'dns', containerPort: 53, protocol: 'UDP' }] }),
  pod({ ns: 'b', name: 'pc', ip: C, labels: { app: 'z' }, hostIP: '172.18.0.3' }),
];

function anp(name: string, priority: number, subject: string, body: string): string {
  return `apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: ${name}}
spec:
  priority: ${priority}
  subject: ${subject}
${body}`;
}
function banp(subject: string, body: string): string {
  return `apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: default}
spec:
  subject: ${subject}
${body}`;
}
const DENY_ALL_INTO_B = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: b}
spec: {podSelector: {}}`;
const ALLOW_A_INTO_B = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-a, namespace: b}
spec:
  podSelector: {}
  ingress: [{from: [{namespaceSelector: {matchLabels: {team: a}}}]}]`;
const INTO_B = '{namespaces: {matchLabels: {team: b}}}';

describe('naive admin tiers', () => {
  it('naive admin - an admin Allow is final over a NetworkPolicy default deny', () => {
    const w = load(...base, DENY_ALL_INTO_B, anp('allow-a', 10, INTO_B, '  ingress: [{action: Allow, from: [{namespaces: {matchLabels: {team: a}}}]}]'));
    const v = w.tcp(A, B, 80);
    expect(v.reason).toBe(Reason.ALLOW_ADMIN);
    expect(v.ingress).toMatchObject({ reason: DirectionReason.ADMIN_ALLOW, isolatedBy: ['b/deny-all'], rule: { policyKind: 'AdminNetworkPolicy', policyName: 'allow-a', action: 'Allow', tier: 'Admin', priority: 10 } });
  });

  it('naive admin - an admin Deny is final over a NetworkPolicy allow', () => {
    const w = load(...base, ALLOW_A_INTO_B, anp('deny-a', 10, INTO_B, '  ingress: [{action: Deny, from: [{namespaces: {}}]}]'));
    expect(w.tcp(A, B, 80).reason).toBe(Reason.DROP_INGRESS_ADMIN_DENY);
  });

  it('naive admin - lower priority numbers go first; rule order decides within a policy', () => {
    const allow = anp('allow', 5, INTO_B, '  ingress: [{action: Allow, from: [{namespaces: {}}]}]');
    const deny = anp('deny', 6, INTO_B, '  ingress: [{action: Deny, from: [{namespaces: {}}]}]');
    expect(load(...base, allow, deny).tcp(A, B, 80).reason).toBe(Reason.ALLOW_ADMIN);
    expect(load(...base, allow.replace('priority: 5', 'priority: 7'), deny).tcp(A, B, 80).reason).toBe(Reason.DROP_INGRESS_ADMIN_DENY);
    const ordered = anp('both', 5, INTO_B, '  ingress:\n  - {action: Deny, from: [{namespaces: {}}], ports: [{portNumber: {port: 81}}]}\n  - {action: Allow, from: [{namespaces: {}}]}');
    expect(load(...base, ordered).tcp(A, B, 81).ingress.rule).toMatchObject({ ruleIndex: 0, action: 'Deny', portIndex: 0 });
    expect(load(...base, ordered).tcp(A, B, 80).ingress.rule).toMatchObject({ ruleIndex: 1, action: 'Allow', portIndex: null });
  });

  it('naive admin - Pass skips every remaining admin rule, of every priority, and the NetworkPolicy decides', () => {
    const pass = anp('pass', 1, INTO_B, '  ingress: [{action: Pass, from: [{namespaces: {matchLabels: {team: a}}}]}]');
    const deny = anp('deny', 2, INTO_B, '  ingress: [{action: Deny, from: [{namespaces: {}}]}]');
    const allowed = load(...base, pass, deny, ALLOW_A_INTO_B).tcp(A, B, 80);
    expect(allowed.reason).toBe(Reason.ALLOW_POLICY);
    expect(allowed.ingress.passedBy).toMatchObject({ policyName: 'pass', action: 'Pass' });
    expect(load(...base, pass, deny, DENY_ALL_INTO_B).tcp(A, B, 80).reason).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
    // Without a NetworkPolicy, the Pass goes on to the baseline.
    const baselineDeny = banp(INTO_B, '  ingress: [{action: Deny, from: [{namespaces: {}}]}]');
    expect(load(...base, pass, deny, baselineDeny).tcp(A, B, 80).reason).toBe(Reason.DROP_INGRESS_BASELINE_DENY);
  });

  it('naive admin - the baseline applies only where no NetworkPolicy isolates the pod', () => {
    const baselineDeny = banp(INTO_B, '  ingress: [{action: Deny, from: [{namespaces: {}}]}]');
    expect(load(...base, baselineDeny).tcp(A, B, 80).reason).toBe(Reason.DROP_INGRESS_BASELINE_DENY);
    expect(load(...base, baselineDeny, ALLOW_A_INTO_B).tcp(A, B, 80).reason).toBe(Reason.ALLOW_POLICY);
    const baselineAllow = banp(INTO_B, '  ingress: [{action: Allow, from: [{namespaces: {}}]}]');
    expect(load(...base, baselineAllow, DENY_ALL_INTO_B).tcp(A, B, 80).reason).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
    expect(load(...base, baselineAllow).tcp(A, B, 80).reason).toBe(Reason.ALLOW_BASELINE);
  });

  it('naive admin - an admin Allow at the source does not open the destination: both directions decide', () => {
    const allowOut = anp('allow-out', 1, '{namespaces: {matchLabels: {team: a}}}', '  egress: [{action: Allow, to: [{namespaces: {}}]}]');
    const v = load(...base, allowOut, DENY_ALL_INTO_B).tcp(A, B, 80);
    expect(v.egress.reason).toBe(DirectionReason.ADMIN_ALLOW);
    expect(v.reason).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
  });

  it('naive admin - networks match pod IPs; nodes match the addresses of the selected Nodes', () => {
    const denyNet = anp('deny-net', 1, '{namespaces: {matchLabels: {team: a}}}', '  egress: [{action: Deny, to: [{networks: [10.0.1.0/24]}]}]');
    const w = load(...base, denyNet);
    expect(w.tcp(A, C, 80).reason).toBe(Reason.DROP_EGRESS_ADMIN_DENY);
    expect(w.tcp(A, B, 80).reason).toBe(Reason.ALLOW_NOT_ISOLATED);
    const node = `apiVersion: v1
kind: Node
metadata: {name: n2, labels: {pool: infra}}
status: {addresses: [{type: InternalIP, address: 172.18.0.3}]}`;
    const denyNodes = anp('deny-nodes', 1, '{namespaces: {}}', '  egress: [{action: Deny, to: [{nodes: {matchLabels: {pool: infra}}}]}]');
    const n = load(...base, node, denyNodes);
    expect(n.tcp(A, '172.18.0.3', 10250).reason).toBe(Reason.DROP_EGRESS_ADMIN_DENY);
    expect(n.tcp(A, '172.18.0.2', 10250).reason).toBe(Reason.ALLOW_NOT_ISOLATED);
  });

  it('naive admin - hostNetwork pods are never subjects nor pod peers', () => {
    const host = pod({ ns: 'b', name: 'agent', ip: '172.18.0.3', hostNetwork: true, hostIP: '172.18.0.3' });
    const denyAll = anp('deny-all', 1, '{namespaces: {}}', '  ingress: [{action: Deny, from: [{namespaces: {}}]}]\n  egress: [{action: Deny, to: [{namespaces: {}}]}]');
    const w = load(...base, host, denyAll);
    // From the agent (node traffic): its egress is not policed, and it matches no `namespaces` peer.
    const v = w.tcp('172.18.0.3', A, 80);
    expect(v.egress.reason).toBe(DirectionReason.NOT_A_POD);
    expect(v.ingress).toMatchObject({ reason: DirectionReason.NOT_ISOLATED, rule: null });
    expect(w.tcp(B, '172.18.0.3', 80).egress.reason).toBe(DirectionReason.NOT_ISOLATED);
  });

  it('naive admin - a named port resolves on the destination pod, with its own protocol; ports never match ICMP', () => {
    const named = anp('named', 1, '{namespaces: {matchLabels: {team: a}}}', '  egress: [{action: Deny, to: [{namespaces: {}}], ports: [{namedPort: dns}]}]');
    const w = load(...base, named);
    expect(w.udp(A, B, 53).reason).toBe(Reason.DROP_EGRESS_ADMIN_DENY);
    expect(w.tcp(A, B, 53).reason).toBe(Reason.ALLOW_NOT_ISOLATED);
    expect(w.udp(A, C, 53).reason).toBe(Reason.ALLOW_NOT_ISOLATED);
    const ranged = anp('ranged', 1, '{namespaces: {matchLabels: {team: a}}}', '  egress: [{action: Deny, to: [{namespaces: {}}], ports: [{portRange: {start: 1, end: 65535}}]}]');
    const r = load(...base, ranged);
    expect(r.tcp(A, B, 443).reason).toBe(Reason.DROP_EGRESS_ADMIN_DENY);
    expect(r.icmp(A, B).reason).toBe(Reason.ALLOW_NOT_ISOLATED);
  });

  it('naive admin - equal priorities: ordered by kind then name, with a warning naming both', () => {
    const zeta = anp('zeta', 3, INTO_B, '  ingress: [{action: Allow, from: [{namespaces: {}}]}]');
    const alpha = anp('alpha', 3, INTO_B, '  ingress: [{action: Deny, from: [{namespaces: {}}]}]');
    const w = load(...base, zeta, alpha);
    expect(w.tcp(A, B, 80).ingress.rule).toMatchObject({ policyName: 'alpha', action: 'Deny' });
    expect(w.diagnostics.filter((d) => d.code === 'ambiguous-priority').map((d) => d.message)).toEqual([
      'AdminNetworkPolicy/alpha and AdminNetworkPolicy/zeta have the same priority 3 and both select pod b/pb: their order is undefined upstream; netpol-emu evaluates AdminNetworkPolicy/alpha first (kind, then name)',
    ]);
  });

  it('naive admin - a ClusterNetworkPolicy Accept is an admin Allow; a Baseline-tier Pass leaves the default allow', () => {
    const cnp = (name: string, tier: string, action: string): string => `apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: ${name}}
spec:
  tier: ${tier}
  priority: 1
  subject: ${INTO_B}
  ingress: [{action: ${action}, from: [{namespaces: {}}], protocols: [{tcp: {destinationPort: {number: 80}}}]}]`;
    expect(load(...base, DENY_ALL_INTO_B, cnp('accept', 'Admin', 'Accept')).tcp(A, B, 80).ingress.rule).toMatchObject({ policyKind: 'ClusterNetworkPolicy', action: 'Allow', tier: 'Admin' });
    const baselinePass = load(...base, cnp('pass', 'Baseline', 'Pass'), banp(INTO_B, '  ingress: [{action: Deny, from: [{namespaces: {}}]}]'));
    // In the Baseline tier the BANP counts as priority 0: it goes before the CNP (priority 1) and decides.
    expect(baselinePass.tcp(A, B, 80).reason).toBe(Reason.DROP_INGRESS_BASELINE_DENY);
    const onlyPass = load(...base, cnp('pass', 'Baseline', 'Pass')).tcp(A, B, 80);
    expect(onlyPass.reason).toBe(Reason.ALLOW_NOT_ISOLATED);
    expect(onlyPass.ingress.passedBy).toMatchObject({ policyKind: 'ClusterNetworkPolicy', tier: 'Baseline', action: 'Pass' });
  });
});
