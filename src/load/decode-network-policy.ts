/**
 * NetworkPolicy (networking.k8s.io/v1): decode, apply the API server's defaulting
 * (SEMANTICS.md §1.1) and validate like `ValidateNetworkPolicySpec` (§1.4–1.5), collecting
 * every problem with its field path.
 */
import type {
  Cidr,
  IpBlock,
  LabelSelector,
  LabelSelectorRequirement,
  NetworkPolicy,
  PolicyPeer,
  PolicyPort,
  PolicyRule,
  PolicyType,
  SelectorOperator,
} from '../../compiler/model.js';
import { POLICY_TYPES, SELECTOR_OPERATORS } from '../../compiler/model.js';
import { quoteValue } from '../diagnostics.js';
import { decodeMetadata, validateLabels } from './decode-metadata.js';
import { decodeProtocol } from './decode-pod.js';
import { isJsonObject, joinPath, type Json, type JsonObject, type ObjectReader } from './object-reader.js';
import { parseCidr } from './parse-ip.js';
import { checkLabelKey, checkLabelValue, checkPortName, checkPortNumber } from './validate-names.js';

export function decodeLabelSelector(reader: ObjectReader, value: JsonObject, path: string): LabelSelector {
  reader.knownFields(value, path, ['matchLabels', 'matchExpressions']);
  const matchLabels = validateLabels(reader, reader.stringMap(value, 'matchLabels', path), joinPath(path, 'matchLabels'));
  const matchExpressions: LabelSelectorRequirement[] = [];
  const list = reader.list(value, 'matchExpressions', path) ?? [];
  list.forEach((entry, i) => {
    const ePath = `${path}.matchExpressions[${i}]`;
    if (!isJsonObject(entry)) return reader.wrongType(ePath, 'a map', entry);
    reader.knownFields(entry, ePath, ['key', 'operator', 'values']);
    const key = reader.string(entry, 'key', ePath);
    const operator = reader.string(entry, 'operator', ePath);
    const valuesRaw = reader.list(entry, 'values', ePath);
    let ok = true;
    if (key === undefined) {
      reader.error('missing-field', `${ePath}.key`, 'Required value');
      ok = false;
    } else {
      for (const p of checkLabelKey(key)) {
        reader.error('invalid-value', `${ePath}.key`, `${quoteValue(key)} is not a valid label key: ${p}`);
        ok = false;
      }
    }
    const values: string[] = [];
    (valuesRaw ?? []).forEach((v, vi) => {
      const vPath = `${ePath}.values[${vi}]`;
      if (typeof v !== 'string') {
        reader.wrongType(vPath, 'a string', v);
        ok = false;
        return;
      }
      for (const p of checkLabelValue(v)) {
        reader.error('invalid-value', vPath, `${quoteValue(v)} is not a valid label value: ${p}`);
        ok = false;
      }
      values.push(v);
    });
    if (operator === undefined) {
      reader.error('missing-field', `${ePath}.operator`, 'Required value');
      return;
    }
    if (!(SELECTOR_OPERATORS as readonly string[]).includes(operator)) {
      reader.error('unsupported-value', `${ePath}.operator`, `${quoteValue(operator)}: not a valid selector operator (In, NotIn, Exists, DoesNotExist)`);
      return;
    }
    if ((operator === 'In' || operator === 'NotIn') && values.length === 0 && (valuesRaw?.length ?? 0) === 0) {
      reader.error('missing-field', `${ePath}.values`, "must be specified when `operator` is 'In' or 'NotIn'");
      ok = false;
    }
    if ((operator === 'Exists' || operator === 'DoesNotExist') && (valuesRaw?.length ?? 0) > 0) {
      reader.error('invalid-value', `${ePath}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
      ok = false;
    }
    if (ok && key !== undefined) matchExpressions.push({ key, operator: operator as SelectorOperator, values });
  });
  return { matchLabels, matchExpressions };
}

function decodeCidr(reader: ObjectReader, text: string, path: string): Cidr | undefined {
  const parsed = parseCidr(text);
  if (!parsed.ok) {
    reader.error('invalid-value', path, `${quoteValue(text)} ${parsed.error}`);
    return undefined;
  }
  for (const w of parsed.warnings) {
    reader.warn(w.startsWith('has bits set') ? 'masked-cidr' : 'legacy-cidr', path, `CIDR value ${quoteValue(text)} is ambiguous: it ${w}`);
  }
  return parsed.value;
}

/** `except[j]` must lie inside `cidr` with a strictly longer prefix (same family). */
function isStrictSubset(inner: Cidr, outer: Cidr): boolean {
  if (inner.family !== outer.family || inner.prefixLength <= outer.prefixLength) return false;
  const bits = BigInt((outer.family === 4 ? 32 : 128) - outer.prefixLength);
  return inner.network >> bits === outer.network >> bits;
}

function decodeIpBlock(reader: ObjectReader, value: JsonObject, path: string): IpBlock | undefined {
  reader.knownFields(value, path, ['cidr', 'except']);
  const cidrText = reader.string(value, 'cidr', path);
  if (cidrText === undefined || cidrText === '') {
    reader.error('missing-field', `${path}.cidr`, 'Required value');
    return undefined;
  }
  const cidr = decodeCidr(reader, cidrText, `${path}.cidr`);
  const except: Cidr[] = [];
  let ok = cidr !== undefined;
  (reader.list(value, 'except', path) ?? []).forEach((entry, j) => {
    const ePath = `${path}.except[${j}]`;
    if (typeof entry !== 'string') {
      reader.wrongType(ePath, 'a string', entry);
      ok = false;
      return;
    }
    const inner = decodeCidr(reader, entry, ePath);
    if (!inner) {
      ok = false;
      return;
    }
    if (cidr && !isStrictSubset(inner, cidr)) {
      reader.error('invalid-value', ePath, `${quoteValue(entry)} must be a strict subset of cidr ${quoteValue(cidrText)}`);
      ok = false;
      return;
    }
    except.push(inner);
  });
  return ok && cidr ? { cidr, except } : undefined;
}

function decodePeer(reader: ObjectReader, value: Json, path: string): PolicyPeer | undefined {
  if (!isJsonObject(value)) {
    reader.wrongType(path, 'a map', value);
    return undefined;
  }
  if (!reader.knownFields(value, path, ['podSelector', 'namespaceSelector', 'ipBlock'])) return undefined;
  const podSelectorRaw = reader.map(value, 'podSelector', path);
  const namespaceSelectorRaw = reader.map(value, 'namespaceSelector', path);
  const ipBlockRaw = reader.map(value, 'ipBlock', path);
  // An explicitly empty selector `{}` is set (it selects everything); only an absent one is "unset".
  const podSelector = podSelectorRaw ? decodeLabelSelector(reader, podSelectorRaw, `${path}.podSelector`) : null;
  const namespaceSelector = namespaceSelectorRaw ? decodeLabelSelector(reader, namespaceSelectorRaw, `${path}.namespaceSelector`) : null;
  if (!podSelectorRaw && !namespaceSelectorRaw && !ipBlockRaw) {
    reader.error('missing-field', path, 'must specify a peer');
    return undefined;
  }
  if (ipBlockRaw && (podSelectorRaw || namespaceSelectorRaw)) {
    reader.error('invalid-value', path, 'may not specify both ipBlock and another peer');
    return undefined;
  }
  const ipBlock = ipBlockRaw ? decodeIpBlock(reader, ipBlockRaw, `${path}.ipBlock`) : null;
  if (ipBlock === undefined) return undefined;
  return { podSelector, namespaceSelector, ipBlock };
}

function decodePort(reader: ObjectReader, value: Json, path: string): PolicyPort | undefined {
  if (!isJsonObject(value)) {
    reader.wrongType(path, 'a map', value);
    return undefined;
  }
  const protocol = decodeProtocol(reader, value, path);
  let ok = reader.knownFields(value, path, ['protocol', 'port', 'endPort']) && protocol !== undefined;
  const rawPort = value['port'];
  let port: number | string | null = null;
  if (rawPort !== undefined && rawPort !== null) {
    if (typeof rawPort === 'number' && Number.isInteger(rawPort)) {
      port = rawPort;
      for (const p of checkPortNumber(rawPort)) {
        reader.error('invalid-value', `${path}.port`, `${rawPort} ${p}`);
        ok = false;
      }
    } else if (typeof rawPort === 'string') {
      port = rawPort;
      const problems = checkPortName(rawPort);
      if (problems.length > 0 && /^\d+$/.test(rawPort)) {
        // A quoted number is the usual mistake; IsValidPortName's "at least one letter" alone hides it.
        reader.error('invalid-value', `${path}.port`, `${quoteValue(rawPort)} is not a valid port name (it must contain a letter); write ${rawPort} without quotes for a port number`);
        ok = false;
      } else {
        for (const p of problems) {
          reader.error('invalid-value', `${path}.port`, `${quoteValue(rawPort)} is not a valid port name: ${p}`);
          ok = false;
        }
      }
    } else {
      reader.wrongType(`${path}.port`, 'a port number or a port name', rawPort);
      ok = false;
    }
  }
  const endPort = reader.integer(value, 'endPort', path) ?? null;
  if (value['endPort'] !== undefined && value['endPort'] !== null && endPort === null) ok = false;
  if (endPort !== null) {
    if (port === null) {
      reader.error('invalid-value', `${path}.endPort`, `${endPort}: may not be specified when \`port\` is not specified`);
      ok = false;
    } else if (typeof port === 'string') {
      reader.error('invalid-value', `${path}.endPort`, `${endPort}: may not be specified when \`port\` is non-numeric`);
      ok = false;
    } else if (endPort < port) {
      reader.error('invalid-value', `${path}.endPort`, `${endPort}: must be greater than or equal to \`port\` (${port})`);
      ok = false;
    } else {
      for (const p of checkPortNumber(endPort)) {
        reader.error('invalid-value', `${path}.endPort`, `${endPort} ${p}`);
        ok = false;
      }
    }
  }
  return ok && protocol ? { protocol, port, endPort } : undefined;
}

function decodeRules(reader: ObjectReader, spec: JsonObject, direction: 'ingress' | 'egress'): PolicyRule[] {
  const peerField = direction === 'ingress' ? 'from' : 'to';
  const rules: PolicyRule[] = [];
  (reader.list(spec, direction, 'spec') ?? []).forEach((rule, i) => {
    const rPath = `spec.${direction}[${i}]`;
    if (!isJsonObject(rule)) return reader.wrongType(rPath, 'a map', rule);
    const peers: PolicyPeer[] = [];
    const ports: PolicyPort[] = [];
    let ok = reader.knownFields(rule, rPath, [peerField, 'ports']);
    (reader.list(rule, peerField, rPath) ?? []).forEach((peer, j) => {
      const decoded = decodePeer(reader, peer, `${rPath}.${peerField}[${j}]`);
      if (decoded) peers.push(decoded);
      else ok = false;
    });
    (reader.list(rule, 'ports', rPath) ?? []).forEach((port, j) => {
      const decoded = decodePort(reader, port, `${rPath}.ports[${j}]`);
      if (decoded) ports.push(decoded);
      else ok = false;
    });
    // A rule with an invalid part is dropped whole (the load fails anyway); keeping a rule with a
    // peer missing would silently widen it.
    if (ok) rules.push({ peers, ports });
  });
  return rules;
}

function decodePolicyTypes(reader: ObjectReader, spec: JsonObject, hasEgressRules: boolean): PolicyType[] {
  const raw = reader.list(spec, 'policyTypes', 'spec');
  const given = new Set<PolicyType>();
  (raw ?? []).forEach((entry, i) => {
    const path = `spec.policyTypes[${i}]`;
    if (typeof entry !== 'string') return reader.wrongType(path, 'a string', entry);
    if (!(POLICY_TYPES as readonly string[]).includes(entry)) {
      return reader.error('unsupported-value', path, `Unsupported value: ${quoteValue(entry)}: supported values: "Ingress", "Egress"`);
    }
    given.add(entry as PolicyType);
  });
  if (raw && raw.length > 2) reader.error('invalid-value', 'spec.policyTypes', 'may not specify more than two policyTypes');
  // SEMANTICS.md §1.1: empty or missing policyTypes → [Ingress], plus Egress iff egress rules exist.
  if (!raw || raw.length === 0) {
    given.add('Ingress');
    if (hasEgressRules) given.add('Egress');
  }
  return POLICY_TYPES.filter((t) => given.has(t));
}

export function decodeNetworkPolicy(reader: ObjectReader, object: JsonObject): NetworkPolicy | undefined {
  const meta = decodeMetadata(reader, object, 'NetworkPolicy', true);
  const spec = reader.map(object, 'spec', '');
  if (!spec) {
    reader.error('missing-field', 'spec', 'Required value');
    return undefined;
  }
  reader.knownFields(spec, 'spec', ['podSelector', 'ingress', 'egress', 'policyTypes']);
  const podSelectorRaw = reader.map(spec, 'podSelector', 'spec');
  const podSelector = podSelectorRaw ? decodeLabelSelector(reader, podSelectorRaw, 'spec.podSelector') : { matchLabels: {}, matchExpressions: [] };
  const ingress = decodeRules(reader, spec, 'ingress');
  const egress = decodeRules(reader, spec, 'egress');
  const egressRaw = spec['egress'];
  const policyTypes = decodePolicyTypes(reader, spec, Array.isArray(egressRaw) && egressRaw.length > 0);
  if (!meta) return undefined;
  return { namespace: meta.namespace, name: meta.name, podSelector, policyTypes, ingress, egress, origin: reader.origin };
}
