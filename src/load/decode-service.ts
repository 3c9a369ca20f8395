/**
 * v1 Service and discovery.k8s.io/v1 EndpointSlice → model objects, validated as the API server
 * would (ports 1–65535, port names required when a Service has several ports, IPs that parse,
 * known enum values). Every problem is a diagnostic naming the field and quoting the value.
 */
import type { EndpointSlice, EndpointSliceEndpoint, EndpointSlicePort, IpAddress, PolicyProtocol, Service, ServicePort, ServiceType, TrafficPolicy } from '../../compiler/model.js';
import { SERVICE_TYPES } from '../../compiler/model.js';
import { quoteValue } from '../diagnostics.js';
import { decodeMetadata } from './decode-metadata.js';
import { decodeProtocol } from './decode-pod.js';
import { isJsonObject, joinPath, type JsonObject, type ObjectReader } from './object-reader.js';
import { parseIp } from './parse-ip.js';
import { checkPortName, checkPortNumber } from './validate-names.js';

/** The label naming an EndpointSlice's Service (discovery.k8s.io/v1). */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

const SERVICE_PORT_FIELDS = ['name', 'protocol', 'port', 'targetPort', 'nodePort', 'appProtocol'];
const SLICE_PORT_FIELDS = ['name', 'protocol', 'port', 'appProtocol'];

function address(reader: ObjectReader, value: unknown, path: string): IpAddress | undefined {
  if (typeof value !== 'string') {
    reader.wrongType(path, 'an IP address string', value);
    return undefined;
  }
  const parsed = parseIp(value);
  if (!parsed.ok) {
    reader.error('invalid-value', path, `${quoteValue(value)} ${parsed.error}`);
    return undefined;
  }
  return parsed.value;
}

function addresses(reader: ObjectReader, parent: JsonObject, key: string, path: string): IpAddress[] {
  const out: IpAddress[] = [];
  (reader.list(parent, key, path) ?? []).forEach((value, i) => {
    const ip = address(reader, value, `${joinPath(path, key)}[${i}]`);
    if (ip) out.push(ip);
  });
  return out;
}

function portNumber(reader: ObjectReader, parent: JsonObject, key: string, path: string, required: boolean): number | null | undefined {
  const value = reader.integer(parent, key, path);
  if (value === undefined) {
    if (parent[key] === undefined || parent[key] === null) {
      if (required) reader.error('missing-field', joinPath(path, key), 'Required value');
      return required ? undefined : null;
    }
    return undefined;
  }
  const problems = checkPortNumber(value);
  for (const p of problems) reader.error('invalid-value', joinPath(path, key), `${value} ${p}`);
  return problems.length ? undefined : value;
}

function portName(reader: ObjectReader, parent: JsonObject, path: string): string | null | undefined {
  const name = reader.string(parent, 'name', path);
  if (name === undefined || name === '') return null;
  const problems = checkPortName(name);
  for (const p of problems) reader.error('invalid-value', joinPath(path, 'name'), `${quoteValue(name)} is not a valid port name: ${p}`);
  return problems.length ? undefined : name;
}

function trafficPolicy(reader: ObjectReader, spec: JsonObject, key: string): TrafficPolicy {
  const value = reader.string(spec, key, 'spec');
  if (value === undefined) return 'Cluster';
  if (value === 'Cluster' || value === 'Local') return value;
  reader.error('unsupported-value', `spec.${key}`, `Unsupported value: ${quoteValue(value)}: supported values: "Cluster", "Local"`);
  return 'Cluster';
}

function decodeServicePorts(reader: ObjectReader, spec: JsonObject): ServicePort[] | undefined {
  const ports: ServicePort[] = [];
  let ok = true;
  const list = reader.list(spec, 'ports', 'spec') ?? [];
  list.forEach((item, i) => {
    const path = `spec.ports[${i}]`;
    if (!isJsonObject(item)) {
      reader.wrongType(path, 'a map', item);
      ok = false;
      return;
    }
    if (!reader.knownFields(item, path, SERVICE_PORT_FIELDS)) ok = false;
    const name = portName(reader, item, path);
    const protocol = decodeProtocol(reader, item, path);
    const port = portNumber(reader, item, 'port', path, true);
    const nodePort = portNumber(reader, item, 'nodePort', path, false);
    let targetPort: number | string | undefined = port ?? undefined;
    const rawTarget = item['targetPort'];
    if (typeof rawTarget === 'number') {
      targetPort = Number.isInteger(rawTarget) && checkPortNumber(rawTarget).length === 0 ? rawTarget : undefined;
      if (targetPort === undefined) reader.error('invalid-value', `${path}.targetPort`, `${rawTarget} must be a port number between 1 and 65535`);
    } else if (typeof rawTarget === 'string' && rawTarget !== '') {
      // IntOrString: a numeric string is a number, as the API server converts it.
      if (/^\d+$/.test(rawTarget)) targetPort = Number(rawTarget);
      else {
        const problems = checkPortName(rawTarget);
        for (const p of problems) reader.error('invalid-value', `${path}.targetPort`, `${quoteValue(rawTarget)} is not a valid port name: ${p}`);
        targetPort = problems.length ? undefined : rawTarget;
      }
    } else if (rawTarget !== undefined && rawTarget !== null && rawTarget !== '') {
      reader.wrongType(`${path}.targetPort`, 'a port number or name', rawTarget);
      targetPort = undefined;
    }
    if (name === undefined || protocol === undefined || port === undefined || port === null || nodePort === undefined || targetPort === undefined) {
      ok = false;
      return;
    }
    if (list.length > 1 && name === null) {
      reader.error('missing-field', `${path}.name`, 'Required value: a Service with more than one port must name each port');
      ok = false;
      return;
    }
    ports.push({ name, protocol: protocol as PolicyProtocol, port, targetPort, nodePort });
  });
  return ok ? ports : undefined;
}

export function decodeService(reader: ObjectReader, object: JsonObject): Service | undefined {
  const meta = decodeMetadata(reader, object, 'Service', true);
  if (!meta) return undefined;
  const spec = reader.map(object, 'spec', '') ?? {};
  // Problems are collected (every bad field reported), the Service dropped at the end.
  let failed = false;
  const typeText = reader.string(spec, 'type', 'spec') ?? 'ClusterIP';
  if (!(SERVICE_TYPES as readonly string[]).includes(typeText)) {
    reader.error('unsupported-value', 'spec.type', `Unsupported value: ${quoteValue(typeText)}: supported values: ${SERVICE_TYPES.map((t) => `"${t}"`).join(', ')}`);
    failed = true;
  }
  const type: ServiceType = failed ? 'ClusterIP' : (typeText as ServiceType);
  const errorsBefore = countErrors(reader);
  const clusterIP = reader.string(spec, 'clusterIP', 'spec');
  const rawClusterIPs = reader.list(spec, 'clusterIPs', 'spec');
  const headless = clusterIP === 'None' || (rawClusterIPs?.[0] === 'None');
  let clusterIPs: IpAddress[] = [];
  if (!headless && type !== 'ExternalName') {
    if (rawClusterIPs && rawClusterIPs.length) clusterIPs = addresses(reader, spec, 'clusterIPs', 'spec');
    else if (clusterIP !== undefined && clusterIP !== '') {
      const ip = address(reader, clusterIP, 'spec.clusterIP');
      if (ip) clusterIPs = [ip];
    }
    const primary = clusterIP !== undefined && clusterIP !== '' ? parseIp(clusterIP) : null;
    if (primary?.ok && clusterIPs.length && clusterIPs[0]?.text !== primary.value.text) {
      reader.error('invalid-value', 'spec.clusterIPs[0]', `${quoteValue(clusterIPs[0]?.text ?? '')} must equal spec.clusterIP ${quoteValue(clusterIP)}`);
    }
    if (clusterIPs.length === 2 && clusterIPs[0]?.family === clusterIPs[1]?.family) {
      reader.error('invalid-value', 'spec.clusterIPs', 'a dual-stack Service needs one IPv4 and one IPv6 address');
    }
    if (clusterIPs.length > 2) reader.error('invalid-value', 'spec.clusterIPs', `at most two addresses (one per family), got ${clusterIPs.length}`);
  }
  const ports = decodeServicePorts(reader, spec) ?? [];
  if (type === 'ClusterIP') {
    ports.forEach((p, i) => {
      if (p.nodePort !== null) reader.error('invalid-value', `spec.ports[${i}].nodePort`, `${p.nodePort}: a Service of type ClusterIP may not set a nodePort`);
    });
  }
  const rawSelector = reader.map(spec, 'selector', 'spec');
  const selector = rawSelector ? reader.stringMap(spec, 'selector', 'spec') : null;
  const affinity = reader.string(spec, 'sessionAffinity', 'spec') ?? 'None';
  if (affinity !== 'None' && affinity !== 'ClientIP') reader.error('unsupported-value', 'spec.sessionAffinity', `Unsupported value: ${quoteValue(affinity)}: supported values: "ClientIP", "None"`);
  const status = reader.map(object, 'status', '') ?? {};
  const loadBalancer = reader.map(status, 'loadBalancer', 'status') ?? {};
  const loadBalancerIPs: IpAddress[] = [];
  (reader.list(loadBalancer, 'ingress', 'status.loadBalancer') ?? []).forEach((item, i) => {
    const path = `status.loadBalancer.ingress[${i}]`;
    if (!isJsonObject(item)) return reader.wrongType(path, 'a map', item);
    // A hostname-only ingress (AWS ELB) has no address to translate.
    if (item['ip'] === undefined || item['ip'] === null) return;
    const ip = address(reader, item['ip'], `${path}.ip`);
    if (ip) loadBalancerIPs.push(ip);
  });
  const service: Service = {
    namespace: meta.namespace,
    name: meta.name,
    type,
    clusterIPs,
    headless,
    externalIPs: addresses(reader, spec, 'externalIPs', 'spec'),
    loadBalancerIPs: type === 'LoadBalancer' ? loadBalancerIPs : [],
    ports,
    selector,
    externalTrafficPolicy: trafficPolicy(reader, spec, 'externalTrafficPolicy'),
    internalTrafficPolicy: trafficPolicy(reader, spec, 'internalTrafficPolicy'),
    sessionAffinity: affinity === 'ClientIP' ? 'ClientIP' : 'None',
    origin: reader.origin,
  };
  return failed || countErrors(reader) > errorsBefore ? undefined : service;
}

/** Errors reported so far for this object (the reader's sink is shared with the whole load). */
function countErrors(reader: ObjectReader): number {
  return reader.errorCount;
}

function condition(reader: ObjectReader, conditions: JsonObject, key: string, path: string, fallback: boolean): boolean {
  return reader.boolean(conditions, key, path) ?? fallback;
}

export function decodeEndpointSlice(reader: ObjectReader, object: JsonObject): EndpointSlice | undefined {
  const meta = decodeMetadata(reader, object, 'EndpointSlice', true);
  if (!meta) return undefined;
  const serviceName = meta.labels[SERVICE_NAME_LABEL];
  if (serviceName === undefined || serviceName === '') {
    reader.error('missing-field', `metadata.labels.${SERVICE_NAME_LABEL}`, 'Required value: the label names the Service this slice belongs to');
    return undefined;
  }
  const addressType = reader.string(object, 'addressType', '');
  if (addressType !== 'IPv4' && addressType !== 'IPv6' && addressType !== 'FQDN') {
    if (addressType === undefined) reader.error('missing-field', 'addressType', 'Required value');
    else reader.error('unsupported-value', 'addressType', `Unsupported value: ${quoteValue(addressType)}: supported values: "IPv4", "IPv6", "FQDN"`);
    return undefined;
  }
  let ok = true;
  const ports: EndpointSlicePort[] = [];
  (reader.list(object, 'ports', '') ?? []).forEach((item, i) => {
    const path = `ports[${i}]`;
    if (!isJsonObject(item)) {
      reader.wrongType(path, 'a map', item);
      ok = false;
      return;
    }
    if (!reader.knownFields(item, path, SLICE_PORT_FIELDS)) ok = false;
    const name = portName(reader, item, path);
    const protocol = decodeProtocol(reader, item, path);
    const port = portNumber(reader, item, 'port', path, false);
    if (name === undefined || protocol === undefined || port === undefined) {
      ok = false;
      return;
    }
    ports.push({ name, protocol, port });
  });
  const endpoints: EndpointSliceEndpoint[] = [];
  (reader.list(object, 'endpoints', '') ?? []).forEach((item, i) => {
    const path = `endpoints[${i}]`;
    if (!isJsonObject(item)) {
      reader.wrongType(path, 'a map', item);
      ok = false;
      return;
    }
    let addrs: IpAddress[] = [];
    if (addressType !== 'FQDN') {
      addrs = addresses(reader, item, 'addresses', path);
      addrs.forEach((ip, a) => {
        if (`IPv${ip.family}` !== addressType) {
          reader.error('invalid-value', `${path}.addresses[${a}]`, `${quoteValue(ip.text)} is not an ${addressType} address (addressType ${addressType})`);
          ok = false;
        }
      });
    }
    const conditions = reader.map(item, 'conditions', path) ?? {};
    const cPath = `${path}.conditions`;
    const terminating = condition(reader, conditions, 'terminating', cPath, false);
    // API doc: a nil ready means ready, unless the endpoint is terminating; serving defaults to ready.
    const ready = condition(reader, conditions, 'ready', cPath, !terminating);
    const serving = condition(reader, conditions, 'serving', cPath, ready);
    const targetRef = reader.map(item, 'targetRef', path);
    let pod: string | null = null;
    if (targetRef && (targetRef['kind'] === undefined || targetRef['kind'] === 'Pod')) {
      const name = reader.string(targetRef, 'name', `${path}.targetRef`);
      const namespace = reader.string(targetRef, 'namespace', `${path}.targetRef`) ?? meta.namespace;
      if (name) pod = `${namespace}/${name}`;
    }
    endpoints.push({ addresses: addrs, ready, serving, terminating, nodeName: reader.string(item, 'nodeName', path) ?? null, pod });
  });
  if (!ok) return undefined;
  return { namespace: meta.namespace, name: meta.name, serviceName, addressType, ports, endpoints, origin: reader.origin };
}
