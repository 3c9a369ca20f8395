import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Reason } from '../compiler/verdict.js';
import { formatDiagnostic, InvalidInputError, type Diagnostic } from '../src/diagnostics.js';
import { loadCluster } from '../src/load/load-cluster.js';
import { NaiveEvaluator } from '../src/naive/naive-evaluator.js';
import { ip } from './naive-harness.js';

// SEMANTICS.md §1.4–1.5: what the API server would reject is an error naming file, document,
// object and field path; everything is collected before the load fails. Paths are relative to
// the repository root, where vitest runs.
const BAD = 'test/fixtures/bad';
const LOAD = 'test/fixtures/load';

function failedLoad(...paths: string[]): readonly Diagnostic[] {
  try {
    loadCluster({ paths });
  } catch (error) {
    if (error instanceof InvalidInputError) return error.diagnostics;
    throw error;
  }
  throw new Error(`expected loading ${paths.join(', ')} to fail`);
}

function errorLines(...paths: string[]): string[] {
  return failedLoad(...paths)
    .filter((d) => d.severity === 'error')
    .map(formatDiagnostic);
}

const NP = (file: string, doc: number, name = 'app1-ns/db'): string => `${BAD}/${file}: document ${doc} (NetworkPolicy ${name})`;

/** One malformed manifest per fixture, and the exact error line(s) it must produce. */
const CASES: readonly { readonly title: string; readonly file: string; readonly errors: readonly string[] }[] = [
  {
    title: 'YAML syntax error, with its line',
    file: 'yaml-syntax.yaml',
    errors: [`${BAD}/yaml-syntax.yaml:8: document 1: YAML syntax error: Flow map in block collection must be sufficiently indented and end with a }`],
  },
  {
    title: 'endPort given as a string',
    file: 'endport-string.yaml',
    errors: [`${NP('endport-string.yaml', 2)}: spec.ingress[0].ports[0].endPort: expected an integer, got the string "90"`],
  },
  {
    title: 'containerPort given as a string',
    file: 'containerport-string.yaml',
    errors: [`${BAD}/containerport-string.yaml: document 1 (Pod app1-ns/web): spec.containers[0].ports[0].containerPort: expected an integer, got the string "80"`],
  },
  {
    title: 'port "80" is a port name without a letter',
    file: 'port-quoted-number.yaml',
    errors: [`${NP('port-quoted-number.yaml', 2)}: spec.ingress[0].ports[0].port: "80" is not a valid port name (it must contain a letter); write 80 without quotes for a port number`],
  },
  {
    title: 'port 0',
    file: 'port-zero.yaml',
    errors: [`${NP('port-zero.yaml', 2)}: spec.ingress[0].ports[0].port: 0 must be between 1 and 65535, inclusive`],
  },
  {
    title: 'port 70000',
    file: 'port-too-large.yaml',
    errors: [`${NP('port-too-large.yaml', 2)}: spec.ingress[0].ports[0].port: 70000 must be between 1 and 65535, inclusive`],
  },
  {
    title: 'endPort below port',
    file: 'endport-below-port.yaml',
    errors: [`${NP('endport-below-port.yaml', 2)}: spec.ingress[0].ports[0].endPort: 80: must be greater than or equal to \`port\` (90)`],
  },
  {
    title: 'endPort with a named port',
    file: 'endport-named-port.yaml',
    errors: [`${NP('endport-named-port.yaml', 2)}: spec.ingress[0].ports[0].endPort: 8090: may not be specified when \`port\` is non-numeric`],
  },
  {
    title: 'endPort without port',
    file: 'endport-without-port.yaml',
    errors: [`${NP('endport-without-port.yaml', 2)}: spec.ingress[0].ports[0].endPort: 8090: may not be specified when \`port\` is not specified`],
  },
  {
    title: 'protocol is case-sensitive',
    file: 'protocol-lowercase.yaml',
    errors: [`${NP('protocol-lowercase.yaml', 2)}: spec.ingress[0].ports[0].protocol: Unsupported value: "tcp": supported values: "TCP", "UDP", "SCTP"`],
  },
  {
    title: 'empty peer',
    file: 'empty-peer.yaml',
    errors: [`${NP('empty-peer.yaml', 2)}: spec.ingress[0].from[1]: must specify a peer`],
  },
  {
    title: 'ipBlock together with podSelector',
    file: 'ipblock-with-selector.yaml',
    errors: [`${NP('ipblock-with-selector.yaml', 2)}: spec.ingress[0].from[0]: may not specify both ipBlock and another peer`],
  },
  {
    title: 'ipBlock without cidr',
    file: 'ipblock-missing-cidr.yaml',
    errors: [`${NP('ipblock-missing-cidr.yaml', 2)}: spec.ingress[0].from[0].ipBlock.cidr: Required value`],
  },
  {
    title: 'unparsable cidr',
    file: 'ipblock-bad-cidr.yaml',
    errors: [`${NP('ipblock-bad-cidr.yaml', 2)}: spec.ingress[0].from[0].ipBlock.cidr: "10.1.0.300/16" must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)`],
  },
  {
    title: 'except outside cidr',
    file: 'except-not-subset.yaml',
    errors: [`${NP('except-not-subset.yaml', 3)}: spec.ingress[0].from[1].ipBlock.except[0]: "10.0.0.0/8" must be a strict subset of cidr "10.1.0.0/16"`],
  },
  {
    title: 'IPv6 except under an IPv4 cidr',
    file: 'except-other-family.yaml',
    errors: [`${NP('except-other-family.yaml', 2)}: spec.ingress[0].from[0].ipBlock.except[0]: "2001:db8::/64" must be a strict subset of cidr "10.1.0.0/16"`],
  },
  {
    title: 'except equal to cidr',
    file: 'except-equals-cidr.yaml',
    errors: [`${NP('except-equals-cidr.yaml', 2)}: spec.ingress[0].from[0].ipBlock.except[0]: "10.1.0.0/16" must be a strict subset of cidr "10.1.0.0/16"`],
  },
  {
    title: 'three policyTypes',
    file: 'policy-types-three.yaml',
    errors: [`${NP('policy-types-three.yaml', 2)}: spec.policyTypes: may not specify more than two policyTypes`],
  },
  {
    title: 'policyTypes are case-sensitive',
    file: 'policy-types-lowercase.yaml',
    errors: [`${NP('policy-types-lowercase.yaml', 2)}: spec.policyTypes[0]: Unsupported value: "ingress": supported values: "Ingress", "Egress"`],
  },
  {
    title: 'unknown selector operator',
    file: 'selector-bad-operator.yaml',
    errors: [`${NP('selector-bad-operator.yaml', 2)}: spec.podSelector.matchExpressions[0].operator: "Equals": not a valid selector operator (In, NotIn, Exists, DoesNotExist)`],
  },
  {
    title: 'In without values',
    file: 'selector-in-without-values.yaml',
    errors: [`${NP('selector-in-without-values.yaml', 2)}: spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].values: must be specified when \`operator\` is 'In' or 'NotIn'`],
  },
  {
    title: 'Exists with values',
    file: 'selector-exists-with-values.yaml',
    errors: [`${NP('selector-exists-with-values.yaml', 2)}: spec.podSelector.matchExpressions[0].values: may not be specified when \`operator\` is 'Exists' or 'DoesNotExist'`],
  },
  {
    title: 'invalid label key',
    file: 'label-invalid-key.yaml',
    errors: [
      `${BAD}/label-invalid-key.yaml: document 1 (Pod app1-ns/web): metadata.labels: key "app name" is not a valid label key: name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
    ],
  },
  {
    title: 'invalid label value',
    file: 'label-invalid-value.yaml',
    errors: [
      `${NP('label-invalid-value.yaml', 2)}: spec.podSelector.matchLabels.app: "-db" is not a valid label value: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
    ],
  },
  {
    title: 'invalid metadata.name',
    file: 'invalid-name.yaml',
    errors: [
      `${NP('invalid-name.yaml', 2, 'app1-ns/DB_Policy')}: metadata.name: "DB_Policy" is not a valid name: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
    ],
  },
  {
    title: 'two running pods with the same IP',
    file: 'duplicate-pod-ip.yaml',
    errors: [`${BAD}/duplicate-pod-ip.yaml: document 2 (Pod app1-ns/web-1): status.podIPs[0]: IP 10.1.0.5 is also the IP of pod app1-ns/web-0 (${BAD}/duplicate-pod-ip.yaml document 1)`],
  },
  {
    title: 'missing kind',
    file: 'missing-kind.yaml',
    errors: [`${BAD}/missing-kind.yaml: document 1: kind: Required value: every manifest needs apiVersion and kind`],
  },
  {
    title: 'a document that is not an object',
    file: 'not-an-object.yaml',
    errors: [`${BAD}/not-an-object.yaml: document 2: expected a Kubernetes object, got the string "just a string"`],
  },
  {
    title: 'a List with a bad item',
    file: 'list-bad-item.yaml',
    errors: [`${BAD}/list-bad-item.yaml: document 1 items[2] (NetworkPolicy app1-ns/web): spec.ingress[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"`],
  },
  {
    title: 'a misspelt field is an error, not a silently wider rule',
    file: 'unknown-field.yaml',
    errors: [`${BAD}/unknown-field.yaml: document 1 (NetworkPolicy app1-ns/db): spec.ingress[0]: unknown field "fromm" (known fields: from, ports)`],
  },
  {
    title: 'every independent error of a file is reported',
    file: 'three-errors.yaml',
    errors: [
      `${NP('three-errors.yaml', 2)}: spec.ingress[0].from[0]: must specify a peer`,
      `${NP('three-errors.yaml', 2)}: spec.ingress[0].ports[0].port: 65536 must be between 1 and 65535, inclusive`,
      `${NP('three-errors.yaml', 2)}: spec.policyTypes[1]: Unsupported value: "egress": supported values: "Ingress", "Egress"`,
    ],
  },
];

describe('load errors', () => {
  for (const { title, file, errors } of CASES) {
    it(`load errors - ${title}`, () => {
      expect(errorLines(`${BAD}/${file}`)).toEqual(errors);
    });
  }

  it('load errors - the YAML syntax error carries its line number', () => {
    const syntax = failedLoad(`${BAD}/yaml-syntax.yaml`).filter((d) => d.code === 'yaml-syntax');
    expect(syntax.map((d) => d.line)).toEqual([8]);
  });

  it('load errors - a NetworkPolicy defined twice names the other location', () => {
    const a = `${BAD}/duplicate-policy-a.yaml`;
    const b = `${BAD}/duplicate-policy-b.yaml`;
    // Each file alone is fine.
    expect(loadCluster({ paths: [a] }).cluster.policies).toHaveLength(1);
    expect(loadCluster({ paths: [b] }).cluster.policies).toHaveLength(1);
    expect(errorLines(a, b)).toEqual([`${b}: document 1 (NetworkPolicy app1-ns/db): metadata.name: NetworkPolicy app1-ns/db is already defined in ${a} document 2`]);
  });

  it('load errors - a file that does not exist', () => {
    expect(errorLines(`${BAD}/does-not-exist.yaml`)).toEqual([`${BAD}/does-not-exist.yaml: no such file or directory`]);
  });

  it('load errors - errors of several files are all collected, in file order', () => {
    expect(errorLines(`${BAD}/port-zero.yaml`, `${BAD}/containerport-string.yaml`, `${BAD}/does-not-exist.yaml`)).toEqual([
      `${BAD}/does-not-exist.yaml: no such file or directory`,
      `${NP('port-zero.yaml', 2)}: spec.ingress[0].ports[0].port: 0 must be between 1 and 65535, inclusive`,
      `${BAD}/containerport-string.yaml: document 1 (Pod app1-ns/web): spec.containers[0].ports[0].containerPort: expected an integer, got the string "80"`,
    ]);
  });

  it('load errors - every fixture under bad/ is a tested case', () => {
    const tested = new Set([...CASES.map((c) => c.file), 'duplicate-policy-a.yaml', 'duplicate-policy-b.yaml']);
    expect(readdirSync(BAD).filter((f) => !tested.has(f))).toEqual([]);
  });
});

describe('load warnings', () => {
  it('load warnings - host bits set in a CIDR are masked with a warning and the policy matches the masked network', () => {
    const { cluster, diagnostics } = loadCluster({ paths: [`${LOAD}/masked-cidr.yaml`] });
    expect(diagnostics.map(formatDiagnostic)).toEqual([
      `${LOAD}/masked-cidr.yaml: document 3 (NetworkPolicy app1-ns/db): spec.ingress[0].from[0].ipBlock.cidr: CIDR value "10.10.1.12/24" is ambiguous: it has bits set beyond the prefix length; read as 10.10.1.0/24`,
    ]);
    expect(diagnostics.map((d) => [d.severity, d.code])).toEqual([['warning', 'masked-cidr']]);
    expect(cluster.policies[0]?.ingress[0]?.peers[0]?.ipBlock?.cidr.text).toBe('10.10.1.0/24');
    const engine = new NaiveEvaluator(cluster);
    const into = (src: string): number => engine.evaluate({ src: ip(src), dst: ip('10.1.0.20'), protocol: 6, dstPort: 5432 }).reason;
    for (const src of ['10.10.1.0', '10.10.1.12', '10.10.1.255']) expect(into(src), src).toBe(Reason.ALLOW_POLICY);
    for (const src of ['10.10.0.255', '10.10.2.0']) expect(into(src), src).toBe(Reason.DROP_INGRESS_DEFAULT_DENY);
  });

  it('load warnings - unknown kinds are skipped and counted, not errors', () => {
    const { cluster, diagnostics, stats } = loadCluster({ paths: [`${LOAD}/skipped-kinds.yaml`] });
    expect(stats.skipped).toEqual({ 'apps/v1/Deployment': 1, 'crd.projectcalico.org/v1/NetworkPolicy': 1 });
    expect(stats.used).toEqual({ Namespace: 1, NetworkPolicy: 1, Service: 1 });
    expect(cluster.policies.map((p) => p.name)).toEqual(['deny-all']);
    expect(diagnostics.map((d) => [d.severity, d.code])).toEqual([
      ['info', 'skipped-kind'],
      ['info', 'skipped-kind'],
    ]);
    expect(formatDiagnostic(diagnostics[1] as Diagnostic)).toBe(
      `${LOAD}/skipped-kinds.yaml: document 4: skipped NetworkPolicy calico-deny (crd.projectcalico.org/v1): netpol-emu reads only v1 Namespace, Pod, Service and Node, discovery.k8s.io/v1 EndpointSlice, networking.k8s.io/v1 NetworkPolicy, policy.networking.k8s.io/v1alpha1 AdminNetworkPolicy and BaselineAdminNetworkPolicy, and policy.networking.k8s.io/v1alpha2 ClusterNetworkPolicy`,
    );
  });

  it('load warnings - a namespace referenced but not declared is a warning', () => {
    const { cluster, diagnostics } = loadCluster({ paths: [`${LOAD}/undeclared-namespace.yaml`] });
    expect(diagnostics.map((d) => `${d.severity} ${formatDiagnostic(d)}`)).toEqual([
      `warning ${LOAD}/undeclared-namespace.yaml: document 1 (NetworkPolicy payments/deny-all): metadata.namespace: namespace "payments" is not declared; created with only the label kubernetes.io/metadata.name=payments`,
    ]);
    expect(cluster.namespaces).toEqual([{ name: 'payments', labels: { 'kubernetes.io/metadata.name': 'payments' }, declared: false, origin: null }]);
  });
});
