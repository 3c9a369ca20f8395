/**
 * Loading AdminNetworkPolicy, BaselineAdminNetworkPolicy and ClusterNetworkPolicy: what the
 * CRDs' validation rejects is one error line naming file, document, object and field, all
 * collected; what is accepted but not emulated, fails closed or is ambiguous is a warning.
 */
import { describe, expect, it } from 'vitest';
import { buildCluster, DirectionReason, formatDiagnostic, InvalidInputError, loadCluster, type Diagnostic, type RawObject } from '../src/index.js';
import type { JsonObject } from '../src/load/object-reader.js';
import { NaiveEvaluator } from '../src/naive/naive-evaluator.js';
import { CompiledEngine } from '../src/engines/compiled-engine.js';
import { ip } from './naive-harness.js';

const FILE = 'test/fixtures/admin/bad-policies.yaml';

function failedLoad(path: string): readonly Diagnostic[] {
  try {
    loadCluster({ paths: [path] });
  } catch (error) {
    if (error instanceof InvalidInputError) return error.diagnostics;
    throw error;
  }
  throw new Error(`expected loading ${path} to fail`);
}

describe('load admin policy errors', () => {
  it('load admin errors - every mistake is one line with document and field', () => {
    const at = (doc: number, object: string): string => `${FILE}: document ${doc} (${object})`;
    expect(failedLoad(FILE).filter((d) => d.severity === 'error').map(formatDiagnostic)).toEqual([
      `${at(1, 'AdminNetworkPolicy priority-too-high')}: spec.priority: 1001 must be between 0 and 1000, inclusive`,
      `${at(2, 'AdminNetworkPolicy two-subjects')}: spec.subject: exactly one of namespaces or pods must be set, got namespaces and pods`,
      `${at(3, 'AdminNetworkPolicy bad-action')}: spec.ingress[0].action: Unsupported value: "Accept": supported values: "Allow", "Deny", "Pass"`,
      `${at(4, 'BaselineAdminNetworkPolicy not-default')}: metadata.name: "not-default": only one baseline admin policy with metadata.name="default" can be created in the cluster`,
      `${at(5, 'BaselineAdminNetworkPolicy default')}: spec.egress[0].action: Unsupported value: "Pass": supported values: "Allow", "Deny"`,
      `${at(6, 'AdminNetworkPolicy no-peers')}: spec.egress[0].to: must have 1 to 100 peers, got 0`,
      `${at(7, 'AdminNetworkPolicy named-port-to-network')}: spec.egress[0].ports: a named port cannot be used with a networks peer: only pods have named ports`,
      `${at(8, 'AdminNetworkPolicy bad-range')}: spec.ingress[0].ports[0].portRange: start 90 must be less than end 80`,
      `${at(9, 'AdminNetworkPolicy bad-cidr')}: spec.egress[0].to[0].networks[0]: "10.0.0.0/33" must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)`,
      `${at(10, 'AdminNetworkPolicy nodes-in-ingress')}: spec.ingress[0].from[0].nodes: nodes peers are egress-only (ingress peers: namespaces, pods)`,
      `${at(11, 'AdminNetworkPolicy domain-deny')}: spec.egress[0].to[0].domainNames: domainNames peers are only supported in Allow (Accept) rules, not Deny`,
      `${at(12, 'ClusterNetworkPolicy no-tier')}: spec.tier: Required value: "Admin" or "Baseline"`,
      `${at(13, 'ClusterNetworkPolicy v1-ports')}: spec.ingress[0]: unknown field "ports" (known fields: name, action, from, protocols)`,
      `${at(14, 'AdminNetworkPolicy pods-without-pod-selector')}: spec.subject.pods.podSelector: Required value`,
      `${at(15, 'AdminNetworkPolicy pods-without-namespace-selector')}: spec.subject.pods.namespaceSelector: Required value`,
      `${at(16, 'AdminNetworkPolicy peer-without-namespace-selector')}: spec.ingress[0].from[0].pods.namespaceSelector: Required value`,
    ]);
  });

  it('load admin errors - an AdminNetworkPolicyList is read item by item, errors name the item', () => {
    expect(failedLoad('test/fixtures/admin/anp-list.yaml').map(formatDiagnostic)).toEqual([
      'test/fixtures/admin/anp-list.yaml: document 1 items[1] (AdminNetworkPolicy b): spec.priority: 1001 must be between 0 and 1000, inclusive',
    ]);
  });

  it('load admin errors - rule and CIDR counts are bounded as in the CRDs', () => {
    const rule = { action: 'Deny', to: [{ namespaces: {} }] };
    const diagnostics: Diagnostic[] = [];
    buildCluster(
      [
        raw(1, { apiVersion: 'policy.networking.k8s.io/v1alpha1', kind: 'AdminNetworkPolicy', metadata: { name: 'many-rules' }, spec: { priority: 1, subject: { namespaces: {} }, egress: Array.from({ length: 101 }, () => rule) } }),
        raw(2, { apiVersion: 'policy.networking.k8s.io/v1alpha2', kind: 'ClusterNetworkPolicy', metadata: { name: 'many-cnp-rules' }, spec: { tier: 'Admin', priority: 1, subject: { namespaces: {} }, egress: Array.from({ length: 26 }, () => rule) } }),
        raw(3, { apiVersion: 'policy.networking.k8s.io/v1alpha1', kind: 'AdminNetworkPolicy', metadata: { name: 'many-cidrs' }, spec: { priority: 1, subject: { namespaces: {} }, egress: [{ action: 'Deny', to: [{ networks: Array.from({ length: 26 }, (_, i) => `10.${i}.0.0/16`) }] }] } }),
        raw(4, { apiVersion: 'policy.networking.k8s.io/v1alpha1', kind: 'AdminNetworkPolicy', metadata: { name: 'many-rules' }, spec: { priority: 2, subject: { namespaces: {} } } }),
      ],
      diagnostics,
    );
    expect(diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic)).toEqual([
      'gen.yaml: document 1 (AdminNetworkPolicy many-rules): spec.egress: must have at most 100 rules, got 101',
      'gen.yaml: document 2 (ClusterNetworkPolicy many-cnp-rules): spec.egress: must have at most 25 rules, got 26',
      'gen.yaml: document 3 (AdminNetworkPolicy many-cidrs): spec.egress[0].to[0].networks: must have 1 to 25 CIDRs, got 26',
      'gen.yaml: document 4 (AdminNetworkPolicy many-rules): metadata.name: AdminNetworkPolicy/many-rules is already defined in gen.yaml document 1',
    ]);
  });
});

describe('load admin policy warnings', () => {
  it('load admin warnings - domainNames are not emulated, unknown peers fail closed, equal priorities are named', () => {
    const { cluster, diagnostics } = loadCluster({ paths: ['test/fixtures/admin/warnings.yaml'] });
    expect(diagnostics.filter((d) => d.severity !== 'info').map((d) => `${d.severity} ${d.code} ${formatDiagnostic(d)}`)).toEqual([
      'warning not-emulated test/fixtures/admin/warnings.yaml: document 4 (AdminNetworkPolicy allow-dns-names): spec.egress[0].to[0].domainNames: domainNames "*.example.com" are not emulated (no DNS answers are used): this peer matches nothing',
      'warning fail-closed-peer test/fixtures/admin/warnings.yaml: document 5 (AdminNetworkPolicy future-peer): spec.ingress[0].from[0]: unknown field "services" (known fields: namespaces, pods): fails closed, the rule acts as deny-all',
      'warning fail-closed-peer test/fixtures/admin/warnings.yaml: document 5 (AdminNetworkPolicy future-peer): spec.egress[0].to[0]: an empty peer (known fields: namespaces, pods, nodes, networks, domainNames): fails closed, the rule matches nothing here',
      'warning ambiguous-priority test/fixtures/admin/warnings.yaml: document 5 (AdminNetworkPolicy future-peer): spec.priority: AdminNetworkPolicy/allow-dns-names and AdminNetworkPolicy/future-peer have the same priority 7 and both select pod app/a: their order is undefined upstream; netpol-emu evaluates AdminNetworkPolicy/allow-dns-names first (kind, then name)',
    ]);
    // Fail closed, in both engines: the Pass rule with an unknown peer denies every ingress; the
    // Allow rule with an empty peer matches nothing (the flow goes on to the default allow).
    for (const engine of [new NaiveEvaluator(cluster), new CompiledEngine(cluster)]) {
      const into = engine.evaluate({ src: ip('10.0.0.2'), dst: ip('10.0.0.1'), protocol: 6, dstPort: 80 });
      expect(into.ingress.reason).toBe(DirectionReason.ADMIN_DENY);
      expect(into.ingress.rule).toMatchObject({ policyName: 'future-peer', action: 'Deny', peerIndex: 0, portIndex: null });
      const out = engine.evaluate({ src: ip('10.0.0.1'), dst: ip('203.0.113.1'), protocol: 6, dstPort: 443 });
      expect(out.egress.reason).toBe(DirectionReason.NOT_ISOLATED);
    }
  });
});

function raw(document: number, object: JsonObject): RawObject {
  return { origin: { source: 'gen.yaml', document, itemPath: '' }, object };
}
