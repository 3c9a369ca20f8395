/**
 * AdminNetworkPolicy and BaselineAdminNetworkPolicy (`policy.networking.k8s.io/v1alpha1`) and
 * ClusterNetworkPolicy (`v1alpha2`): decode into compiler/model.ts AdminPolicy and validate like
 * the CRDs' OpenAPI and CEL rules (SEMANTICS.md §5.1; kubernetes-sigs/network-policy-api
 * `apis/v1alpha1/*_types.go`, `apis/v1alpha2/clusternetworkpolicy_types.go`), collecting every
 * problem with its field path. Also the `v1` Node, for `nodes` peers.
 */
import type { AdminAction, AdminPeer, AdminPolicy, AdminPolicyKind, AdminPort, AdminRule, AdminSubject, AdminTier, Cidr, IpAddress, LabelSelector, Node, PolicyProtocol } from '../../compiler/model.js';
import { quoteValue } from '../diagnostics.js';
import { decodeMetadata } from './decode-metadata.js';
import { decodeLabelSelector } from './decode-network-policy.js';
import { decodeProtocol } from './decode-pod.js';
import { isJsonObject, type Json, type JsonObject, type ObjectReader } from './object-reader.js';
import { parseCidr, parseIp } from './parse-ip.js';
import { checkPortName, checkPortNumber } from './validate-names.js';

/** The API version each kind is read from. */
export const ADMIN_POLICY_VERSIONS: Readonly<Record<AdminPolicyKind, string>> = {
  AdminNetworkPolicy: 'policy.networking.k8s.io/v1alpha1',
  BaselineAdminNetworkPolicy: 'policy.networking.k8s.io/v1alpha1',
  ClusterNetworkPolicy: 'policy.networking.k8s.io/v1alpha2',
};

/** Validation bounds of the CRDs (kubebuilder MaxItems / MinItems / Maximum). */
export const ADMIN_POLICY_LIMITS = {
  /** v1alpha1 ingress/egress rules per direction. */
  V1ALPHA1_RULES: 100,
  /** v1alpha1 peers per rule and ports per rule. */
  V1ALPHA1_PEERS: 100,
  V1ALPHA1_PORTS: 100,
  /** v1alpha2: rules per direction, peers per rule, protocols per rule. */
  V1ALPHA2_RULES: 25,
  V1ALPHA2_PEERS: 25,
  V1ALPHA2_PROTOCOLS: 25,
  /** `networks` CIDRs and `domainNames` per peer (both versions). */
  NETWORKS: 25,
  DOMAIN_NAMES: 25,
  RULE_NAME_CHARS: 100,
  PRIORITY_MAX: 1000,
} as const;

/** `*.` prefix wildcard only (DomainName pattern of the API). */
const DOMAIN_NAME = /^(\*\.)?([a-zA-Z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.)+[a-zA-Z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.?$/;

interface VersionRules {
  readonly kind: AdminPolicyKind;
  readonly v2: boolean;
  readonly actions: readonly string[];
  readonly maxRules: number;
  readonly maxPeers: number;
  readonly maxPorts: number;
  /** Spec field holding the ports: `ports` (v1alpha1) or `protocols` (v1alpha2). */
  readonly portsField: string;
}

function versionRules(kind: AdminPolicyKind): VersionRules {
  const L = ADMIN_POLICY_LIMITS;
  if (kind === 'ClusterNetworkPolicy') {
    return { kind, v2: true, actions: ['Accept', 'Deny', 'Pass'], maxRules: L.V1ALPHA2_RULES, maxPeers: L.V1ALPHA2_PEERS, maxPorts: L.V1ALPHA2_PROTOCOLS, portsField: 'protocols' };
  }
  const actions = kind === 'BaselineAdminNetworkPolicy' ? ['Allow', 'Deny'] : ['Allow', 'Deny', 'Pass'];
  return { kind, v2: false, actions, maxRules: L.V1ALPHA1_RULES, maxPeers: L.V1ALPHA1_PEERS, maxPorts: L.V1ALPHA1_PORTS, portsField: 'ports' };
}

function selector(reader: ObjectReader, value: Json | undefined, path: string): LabelSelector | undefined {
  if (value === undefined || value === null) return { matchLabels: {}, matchExpressions: [] };
  if (!isJsonObject(value)) {
    reader.wrongType(path, 'a label selector map', value);
    return undefined;
  }
  return decodeLabelSelector(reader, value, path);
}

/** `{namespaceSelector, podSelector}` of `pods` subjects and peers; the CRD requires both (SEMANTICS.md §5.1; `{}` selects all). */
function decodeNamespacedPod(reader: ObjectReader, value: Json, path: string): { namespaceSelector: LabelSelector; podSelector: LabelSelector } | undefined {
  if (!isJsonObject(value)) {
    reader.wrongType(path, 'a map', value);
    return undefined;
  }
  reader.knownFields(value, path, ['namespaceSelector', 'podSelector']);
  let complete = true;
  for (const field of ['namespaceSelector', 'podSelector'] as const) {
    if (value[field] !== undefined && value[field] !== null) continue;
    reader.error('missing-field', `${path}.${field}`, 'Required value');
    complete = false;
  }
  if (!complete) return undefined;
  const namespaceSelector = selector(reader, value['namespaceSelector'], `${path}.namespaceSelector`);
  const podSelector = selector(reader, value['podSelector'], `${path}.podSelector`);
  return namespaceSelector && podSelector ? { namespaceSelector, podSelector } : undefined;
}

/** The fields set in a one-of map (null and undefined are unset). */
function setFields(value: JsonObject): string[] {
  return Object.keys(value).filter((k) => value[k] !== undefined && value[k] !== null);
}

function decodeSubject(reader: ObjectReader, spec: JsonObject): AdminSubject | undefined {
  const raw = spec['subject'];
  if (raw === undefined || raw === null) {
    reader.error('missing-field', 'spec.subject', 'Required value');
    return undefined;
  }
  if (!isJsonObject(raw)) {
    reader.wrongType('spec.subject', 'a map', raw);
    return undefined;
  }
  if (!reader.knownFields(raw, 'spec.subject', ['namespaces', 'pods'])) return undefined;
  const fields = setFields(raw);
  if (fields.length !== 1) {
    reader.error('invalid-value', 'spec.subject', `exactly one of namespaces or pods must be set, got ${fields.length === 0 ? 'none' : fields.join(' and ')}`);
    return undefined;
  }
  if (fields[0] === 'namespaces') {
    const namespaceSelector = selector(reader, raw['namespaces'], 'spec.subject.namespaces');
    return namespaceSelector ? { namespaceSelector, podSelector: null } : undefined;
  }
  return decodeNamespacedPod(reader, raw['pods'] as Json, 'spec.subject.pods');
}

function decodeCidrs(reader: ObjectReader, value: Json, path: string): Cidr[] | undefined {
  if (!Array.isArray(value)) {
    reader.wrongType(path, 'a list', value);
    return undefined;
  }
  if (value.length < 1 || value.length > ADMIN_POLICY_LIMITS.NETWORKS) {
    reader.error('invalid-value', path, `must have 1 to ${ADMIN_POLICY_LIMITS.NETWORKS} CIDRs, got ${value.length}`);
    return undefined;
  }
  const cidrs: Cidr[] = [];
  let ok = true;
  value.forEach((entry, i) => {
    const ePath = `${path}[${i}]`;
    if (typeof entry !== 'string') {
      reader.wrongType(ePath, 'a string', entry);
      ok = false;
      return;
    }
    const parsed = parseCidr(entry);
    if (!parsed.ok) {
      reader.error('invalid-value', ePath, `${quoteValue(entry)} ${parsed.error}`);
      ok = false;
      return;
    }
    for (const w of parsed.warnings) reader.warn(w.startsWith('has bits set') ? 'masked-cidr' : 'legacy-cidr', ePath, `CIDR value ${quoteValue(entry)} is ambiguous: it ${w}`);
    cidrs.push(parsed.value);
  });
  return ok ? cidrs : undefined;
}

function decodeDomainNames(reader: ObjectReader, value: Json, path: string): string[] | undefined {
  if (!Array.isArray(value)) {
    reader.wrongType(path, 'a list', value);
    return undefined;
  }
  if (value.length < 1 || value.length > ADMIN_POLICY_LIMITS.DOMAIN_NAMES) {
    reader.error('invalid-value', path, `must have 1 to ${ADMIN_POLICY_LIMITS.DOMAIN_NAMES} domain names, got ${value.length}`);
    return undefined;
  }
  const names: string[] = [];
  let ok = true;
  value.forEach((entry, i) => {
    if (typeof entry !== 'string' || !DOMAIN_NAME.test(entry)) {
      reader.error('invalid-value', `${path}[${i}]`, `${quoteValue(entry)} is not a valid domain name (a DNS name, optionally with a leading "*.")`);
      ok = false;
      return;
    }
    names.push(entry);
  });
  return ok ? names : undefined;
}

function decodePeer(reader: ObjectReader, value: Json, path: string, direction: 'ingress' | 'egress', action: AdminAction | undefined): AdminPeer | undefined {
  if (!isJsonObject(value)) {
    reader.wrongType(path, 'a map', value);
    return undefined;
  }
  const known = direction === 'ingress' ? ['namespaces', 'pods'] : ['namespaces', 'pods', 'nodes', 'networks', 'domainNames'];
  const fields = setFields(value);
  const egressOnly = direction === 'ingress' ? fields.filter((f) => f === 'nodes' || f === 'networks' || f === 'domainNames') : [];
  if (egressOnly.length > 0) {
    reader.error('invalid-value', `${path}.${egressOnly[0]}`, `${egressOnly[0]} peers are egress-only (ingress peers: namespaces, pods)`);
    return undefined;
  }
  const knownSet = fields.filter((f) => known.includes(f));
  if (knownSet.length === 0) {
    // An empty peer, or one whose only field is newer than this version: the API says an
    // implementation that sees no field it knows must fail closed (SEMANTICS.md §5.1).
    const what = fields.length === 0 ? 'an empty peer' : `unknown field${fields.length > 1 ? 's' : ''} ${fields.map((f) => quoteValue(f)).join(', ')}`;
    const effect = action === 'Allow' ? 'the rule matches nothing here' : 'the rule acts as deny-all';
    reader.warn('fail-closed-peer', path, `${what} (known fields: ${known.join(', ')}): fails closed, ${effect}`);
    return { kind: 'unknown', fields };
  }
  if (!reader.knownFields(value, path, known)) return undefined;
  if (knownSet.length > 1) {
    reader.error('invalid-value', path, `exactly one of ${known.join(', ')} must be set, got ${knownSet.join(' and ')}`);
    return undefined;
  }
  const field = knownSet[0] as string;
  const fieldPath = `${path}.${field}`;
  const raw = value[field] as Json;
  switch (field) {
    case 'namespaces': {
      const namespaceSelector = selector(reader, raw, fieldPath);
      return namespaceSelector ? { kind: 'pods', namespaceSelector, podSelector: null } : undefined;
    }
    case 'pods': {
      const pods = decodeNamespacedPod(reader, raw, fieldPath);
      return pods ? { kind: 'pods', ...pods } : undefined;
    }
    case 'nodes': {
      const nodeSelector = selector(reader, raw, fieldPath);
      return nodeSelector ? { kind: 'nodes', nodeSelector } : undefined;
    }
    case 'networks': {
      const cidrs = decodeCidrs(reader, raw, fieldPath);
      return cidrs ? { kind: 'networks', cidrs } : undefined;
    }
    default: {
      const domainNames = decodeDomainNames(reader, raw, fieldPath);
      if (!domainNames) return undefined;
      if (action !== undefined && action !== 'Allow') {
        reader.error('invalid-value', fieldPath, `domainNames peers are only supported in Allow (Accept) rules, not ${action}`);
        return undefined;
      }
      reader.warn('not-emulated', fieldPath, `domainNames ${domainNames.map((d) => quoteValue(d)).join(', ')} are not emulated (no DNS answers are used): this peer matches nothing`);
      return { kind: 'domainNames', domainNames };
    }
  }
}

function portNumber(reader: ObjectReader, parent: JsonObject, key: string, path: string): number | undefined {
  const n = reader.integer(parent, key, path);
  if (n === undefined) {
    if (parent[key] === undefined || parent[key] === null) reader.error('missing-field', `${path}.${key}`, 'Required value');
    return undefined;
  }
  for (const p of checkPortNumber(n)) {
    reader.error('invalid-value', `${path}.${key}`, `${n} ${p}`);
    return undefined;
  }
  return n;
}

function namedPort(reader: ObjectReader, value: Json, path: string): AdminPort | undefined {
  if (typeof value !== 'string') {
    reader.wrongType(path, 'a string', value);
    return undefined;
  }
  const problems = checkPortName(value);
  for (const p of problems) reader.error('invalid-value', path, `${quoteValue(value)} is not a valid port name: ${p}`);
  return problems.length === 0 ? { kind: 'named', name: value } : undefined;
}

function rangePort(reader: ObjectReader, value: JsonObject, path: string, protocol: PolicyProtocol): AdminPort | undefined {
  const start = portNumber(reader, value, 'start', path);
  const end = portNumber(reader, value, 'end', path);
  if (start === undefined || end === undefined) return undefined;
  if (start >= end) {
    reader.error('invalid-value', path, `start ${start} must be less than end ${end}`);
    return undefined;
  }
  return { kind: 'range', protocol, start, end };
}

/** v1alpha1 `ports[i]`: exactly one of portNumber, portRange, namedPort. */
function decodePortV1(reader: ObjectReader, value: Json, path: string): AdminPort | undefined {
  if (!isJsonObject(value)) {
    reader.wrongType(path, 'a map', value);
    return undefined;
  }
  if (!reader.knownFields(value, path, ['portNumber', 'portRange', 'namedPort'])) return undefined;
  const fields = setFields(value);
  if (fields.length !== 1) {
    reader.error('invalid-value', path, `exactly one of portNumber, portRange or namedPort must be set, got ${fields.length === 0 ? 'none' : fields.join(' and ')}`);
    return undefined;
  }
  const field = fields[0] as string;
  const fPath = `${path}.${field}`;
  if (field === 'namedPort') return namedPort(reader, value[field] as Json, fPath);
  const raw = value[field];
  if (!isJsonObject(raw)) {
    reader.wrongType(fPath, 'a map', raw);
    return undefined;
  }
  const protocol = decodeProtocol(reader, raw, fPath);
  if (protocol === undefined) return undefined;
  if (field === 'portRange') {
    if (!reader.knownFields(raw, fPath, ['protocol', 'start', 'end'])) return undefined;
    return rangePort(reader, raw, fPath, protocol);
  }
  if (!reader.knownFields(raw, fPath, ['protocol', 'port'])) return undefined;
  const port = portNumber(reader, raw, 'port', fPath);
  return port === undefined ? undefined : { kind: 'number', protocol, port };
}

/** v1alpha2 `protocols[i]`: exactly one of tcp, udp, sctp (each with destinationPort) or destinationNamedPort. */
function decodeProtocolV2(reader: ObjectReader, value: Json, path: string): AdminPort | undefined {
  if (!isJsonObject(value)) {
    reader.wrongType(path, 'a map', value);
    return undefined;
  }
  if (!reader.knownFields(value, path, ['tcp', 'udp', 'sctp', 'destinationNamedPort'])) return undefined;
  const fields = setFields(value);
  if (fields.length !== 1) {
    reader.error('invalid-value', path, `exactly one of tcp, udp, sctp or destinationNamedPort must be set, got ${fields.length === 0 ? 'none' : fields.join(' and ')}`);
    return undefined;
  }
  const field = fields[0] as string;
  const fPath = `${path}.${field}`;
  if (field === 'destinationNamedPort') return namedPort(reader, value[field] as Json, fPath);
  const protocol = field === 'tcp' ? 'TCP' : field === 'udp' ? 'UDP' : 'SCTP';
  const raw = value[field];
  if (!isJsonObject(raw)) {
    reader.wrongType(fPath, 'a map', raw);
    return undefined;
  }
  if (!reader.knownFields(raw, fPath, ['destinationPort'])) return undefined;
  const dest = raw['destinationPort'];
  if (dest === undefined || dest === null) {
    reader.error('missing-field', `${fPath}.destinationPort`, 'Required value (at least one property)');
    return undefined;
  }
  const dPath = `${fPath}.destinationPort`;
  if (!isJsonObject(dest)) {
    reader.wrongType(dPath, 'a map', dest);
    return undefined;
  }
  if (!reader.knownFields(dest, dPath, ['number', 'range'])) return undefined;
  const dFields = setFields(dest);
  if (dFields.length !== 1) {
    reader.error('invalid-value', dPath, `exactly one of number or range must be set, got ${dFields.length === 0 ? 'none' : dFields.join(' and ')}`);
    return undefined;
  }
  if (dFields[0] === 'number') {
    const port = portNumber(reader, dest, 'number', dPath);
    return port === undefined ? undefined : { kind: 'number', protocol, port };
  }
  const range = dest['range'];
  if (!isJsonObject(range)) {
    reader.wrongType(`${dPath}.range`, 'a map', range);
    return undefined;
  }
  if (!reader.knownFields(range, `${dPath}.range`, ['start', 'end'])) return undefined;
  return rangePort(reader, range, `${dPath}.range`, protocol);
}

function decodeAction(reader: ObjectReader, rule: JsonObject, path: string, rules: VersionRules): AdminAction | undefined {
  const action = reader.string(rule, 'action', path);
  if (action === undefined) {
    if (rule['action'] === undefined || rule['action'] === null) reader.error('missing-field', `${path}.action`, 'Required value');
    return undefined;
  }
  if (!rules.actions.includes(action)) {
    reader.error('unsupported-value', `${path}.action`, `Unsupported value: ${quoteValue(action)}: supported values: ${rules.actions.map((a) => `"${a}"`).join(', ')}`);
    return undefined;
  }
  return action === 'Accept' ? 'Allow' : (action as AdminAction);
}

function decodeRules(reader: ObjectReader, spec: JsonObject, direction: 'ingress' | 'egress', rules: VersionRules): AdminRule[] {
  const peerField = direction === 'ingress' ? 'from' : 'to';
  const list = reader.list(spec, direction, 'spec') ?? [];
  if (list.length > rules.maxRules) {
    reader.error('invalid-value', `spec.${direction}`, `must have at most ${rules.maxRules} rules, got ${list.length}`);
  }
  const decoded: AdminRule[] = [];
  list.forEach((rule, i) => {
    const rPath = `spec.${direction}[${i}]`;
    if (!isJsonObject(rule)) return reader.wrongType(rPath, 'a map', rule);
    let ok = reader.knownFields(rule, rPath, ['name', 'action', peerField, rules.portsField]);
    const name = reader.string(rule, 'name', rPath) ?? null;
    if (name !== null && name.length > ADMIN_POLICY_LIMITS.RULE_NAME_CHARS) {
      reader.error('invalid-value', `${rPath}.name`, `must be no more than ${ADMIN_POLICY_LIMITS.RULE_NAME_CHARS} characters, got ${name.length}`);
      ok = false;
    }
    const action = decodeAction(reader, rule, rPath, rules);
    if (action === undefined) ok = false;
    const peersRaw = reader.list(rule, peerField, rPath);
    const peers: AdminPeer[] = [];
    if (peersRaw === undefined || peersRaw.length === 0 || peersRaw.length > rules.maxPeers) {
      if (rule[peerField] === undefined || rule[peerField] === null || Array.isArray(rule[peerField])) {
        reader.error(peersRaw === undefined ? 'missing-field' : 'invalid-value', `${rPath}.${peerField}`, `must have 1 to ${rules.maxPeers} peers, got ${peersRaw?.length ?? 0}`);
      }
      ok = false;
    }
    (peersRaw ?? []).forEach((peer, j) => {
      const p = decodePeer(reader, peer, `${rPath}.${peerField}[${j}]`, direction, action);
      if (p) peers.push(p);
      else ok = false;
    });
    let ports: AdminPort[] | null = null;
    const portsRaw = reader.list(rule, rules.portsField, rPath);
    if (portsRaw !== undefined) {
      ports = [];
      if (portsRaw.length < 1 || portsRaw.length > rules.maxPorts) {
        reader.error('invalid-value', `${rPath}.${rules.portsField}`, `must have 1 to ${rules.maxPorts} entries when set, got ${portsRaw.length}`);
        ok = false;
      }
      portsRaw.forEach((port, j) => {
        const pPath = `${rPath}.${rules.portsField}[${j}]`;
        const p = rules.v2 ? decodeProtocolV2(reader, port, pPath) : decodePortV1(reader, port, pPath);
        if (p) (ports as AdminPort[]).push(p);
        else ok = false;
      });
      // CEL: named ports exist only on pods (SEMANTICS.md §5.1).
      if (ports.some((p) => p.kind === 'named')) {
        const bad = peers.find((p) => p.kind === 'networks' || p.kind === 'nodes' || p.kind === 'domainNames');
        if (bad) {
          reader.error('invalid-value', `${rPath}.${rules.portsField}`, `a named port cannot be used with a ${bad.kind} peer: only pods have named ports`);
          ok = false;
        }
      }
    }
    if (ok && action !== undefined) decoded.push({ name, action, peers, ports });
  });
  return decoded;
}

export function decodeAdminPolicy(reader: ObjectReader, object: JsonObject, kind: AdminPolicyKind): AdminPolicy | undefined {
  const meta = decodeMetadata(reader, object, kind, false);
  const rules = versionRules(kind);
  const spec = reader.map(object, 'spec', '');
  if (!spec) {
    reader.error('missing-field', 'spec', 'Required value');
    return undefined;
  }
  const known = ['subject', 'ingress', 'egress', ...(kind === 'BaselineAdminNetworkPolicy' ? [] : ['priority']), ...(rules.v2 ? ['tier'] : [])];
  reader.knownFields(spec, 'spec', known);
  let ok = true;
  if (meta && kind === 'BaselineAdminNetworkPolicy' && meta.name !== 'default') {
    // CEL on the CRD: the BANP is a cluster singleton.
    reader.error('invalid-value', 'metadata.name', `${quoteValue(meta.name)}: only one baseline admin policy with metadata.name="default" can be created in the cluster`);
    ok = false;
  }
  let priority = 0;
  if (kind !== 'BaselineAdminNetworkPolicy') {
    const p = reader.integer(spec, 'priority', 'spec');
    if (p === undefined) {
      if (spec['priority'] === undefined || spec['priority'] === null) reader.error('missing-field', 'spec.priority', 'Required value');
      ok = false;
    } else if (p < 0 || p > ADMIN_POLICY_LIMITS.PRIORITY_MAX) {
      reader.error('invalid-value', 'spec.priority', `${p} must be between 0 and ${ADMIN_POLICY_LIMITS.PRIORITY_MAX}, inclusive`);
      ok = false;
    } else {
      priority = p;
    }
  }
  let tier: AdminTier = kind === 'BaselineAdminNetworkPolicy' ? 'Baseline' : 'Admin';
  if (rules.v2) {
    const t = reader.string(spec, 'tier', 'spec');
    if (t === 'Admin' || t === 'Baseline') tier = t;
    else {
      if (t === undefined && (spec['tier'] === undefined || spec['tier'] === null)) reader.error('missing-field', 'spec.tier', 'Required value: "Admin" or "Baseline"');
      else if (t !== undefined) reader.error('unsupported-value', 'spec.tier', `Unsupported value: ${quoteValue(t)}: supported values: "Admin", "Baseline"`);
      ok = false;
    }
  }
  const subject = decodeSubject(reader, spec);
  const ingress = decodeRules(reader, spec, 'ingress', rules);
  const egress = decodeRules(reader, spec, 'egress', rules);
  if (!meta || !subject || !ok) return undefined;
  return { kind, name: meta.name, tier, priority, subject, ingress, egress, origin: reader.origin };
}

/** `v1` Node: labels and the IPs of `status.addresses` (host names are skipped). */
export function decodeNode(reader: ObjectReader, object: JsonObject): Node | undefined {
  const meta = decodeMetadata(reader, object, 'Node', false);
  const addresses: IpAddress[] = [];
  const status = reader.map(object, 'status', '');
  (status ? (reader.list(status, 'addresses', 'status') ?? []) : []).forEach((entry, i) => {
    const path = `status.addresses[${i}]`;
    if (!isJsonObject(entry)) return reader.wrongType(path, 'a map', entry);
    const type = reader.string(entry, 'type', path);
    const address = reader.string(entry, 'address', path);
    if (address === undefined || type === 'Hostname' || type === 'InternalDNS' || type === 'ExternalDNS') return;
    const parsed = parseIp(address);
    if (!parsed.ok) return reader.error('invalid-value', `${path}.address`, `${quoteValue(address)} ${parsed.error}`);
    if (!addresses.some((a) => a.family === parsed.value.family && a.value === parsed.value.value)) addresses.push(parsed.value);
  });
  if (!meta) return undefined;
  return { name: meta.name, labels: meta.labels, addresses, origin: reader.origin };
}
