import type { ContainerPort, IpAddress, Pod, PolicyProtocol } from '../../compiler/model.js';
import { POLICY_PROTOCOLS } from '../../compiler/model.js';
import { quoteValue } from '../diagnostics.js';
import { decodeMetadata } from './decode-metadata.js';
import { isJsonObject, joinPath, type JsonObject, type ObjectReader } from './object-reader.js';
import { parseIp } from './parse-ip.js';
import { checkPortName, checkPortNumber } from './validate-names.js';

export function decodeProtocol(reader: ObjectReader, parent: JsonObject, path: string): PolicyProtocol | undefined {
  const protocol = reader.string(parent, 'protocol', path);
  if (protocol === undefined) return 'TCP';
  if ((POLICY_PROTOCOLS as readonly string[]).includes(protocol)) return protocol as PolicyProtocol;
  reader.error('unsupported-value', joinPath(path, 'protocol'), `Unsupported value: ${quoteValue(protocol)}: supported values: "TCP", "UDP", "SCTP"`);
  return undefined;
}

function decodeAddress(reader: ObjectReader, text: string, path: string): IpAddress | undefined {
  const parsed = parseIp(text);
  if (!parsed.ok) {
    reader.error('invalid-value', path, `${quoteValue(text)} ${parsed.error}`);
    return undefined;
  }
  for (const w of parsed.warnings) reader.warn('legacy-cidr', path, `${quoteValue(text)} ${w}`);
  return parsed.value;
}

function decodeContainerPorts(reader: ObjectReader, spec: JsonObject): ContainerPort[] {
  const ports: ContainerPort[] = [];
  const containers = reader.list(spec, 'containers', 'spec') ?? [];
  containers.forEach((container, ci) => {
    const cPath = `spec.containers[${ci}]`;
    if (!isJsonObject(container)) return reader.wrongType(cPath, 'a map', container);
    const list = reader.list(container, 'ports', cPath) ?? [];
    list.forEach((port, pi) => {
      const pPath = `${cPath}.ports[${pi}]`;
      if (!isJsonObject(port)) return reader.wrongType(pPath, 'a map', port);
      const number = reader.integer(port, 'containerPort', pPath);
      const protocol = decodeProtocol(reader, port, pPath);
      const name = reader.string(port, 'name', pPath) ?? null;
      let ok = number !== undefined && protocol !== undefined;
      if (port['containerPort'] === undefined) {
        reader.error('missing-field', `${pPath}.containerPort`, 'Required value');
      } else if (number !== undefined) {
        for (const p of checkPortNumber(number)) {
          reader.error('invalid-value', `${pPath}.containerPort`, `${number} ${p}`);
          ok = false;
        }
      }
      if (name !== null) {
        for (const p of checkPortName(name)) {
          reader.error('invalid-value', `${pPath}.name`, `${quoteValue(name)} is not a valid port name: ${p}`);
          ok = false;
        }
      }
      if (ok) ports.push({ name, containerPort: number as number, protocol: protocol as PolicyProtocol });
    });
  });
  return ports;
}

export function decodePod(reader: ObjectReader, object: JsonObject): Pod | undefined {
  const meta = decodeMetadata(reader, object, 'Pod', true);
  const spec = reader.map(object, 'spec', '') ?? {};
  const status = reader.map(object, 'status', '') ?? {};
  const nodeName = reader.string(spec, 'nodeName', 'spec') ?? null;
  const hostNetwork = reader.boolean(spec, 'hostNetwork', 'spec') ?? false;
  const containerPorts = decodeContainerPorts(reader, spec);
  const phase = reader.string(status, 'phase', 'status') ?? 'Unknown';

  const ips: IpAddress[] = [];
  const podIPs = reader.list(status, 'podIPs', 'status');
  if (podIPs) {
    podIPs.forEach((entry, i) => {
      const path = `status.podIPs[${i}]`;
      if (!isJsonObject(entry)) return reader.wrongType(path, 'a map', entry);
      const text = reader.string(entry, 'ip', path);
      if (text === undefined) return reader.error('missing-field', `${path}.ip`, 'Required value');
      const ip = decodeAddress(reader, text, `${path}.ip`);
      if (!ip) return;
      if (ips.some((other) => other.family === ip.family)) {
        return reader.error('invalid-value', path, `${quoteValue(text)}: may specify no more than one IP for each IP family`);
      }
      ips.push(ip);
    });
  }
  const podIP = reader.string(status, 'podIP', 'status');
  if (podIP !== undefined && podIP !== '') {
    const ip = decodeAddress(reader, podIP, 'status.podIP');
    if (ip && ips.length === 0) ips.push(ip);
    else if (ip && ips[0]?.value !== ip.value) {
      reader.error('invalid-value', 'status.podIP', `${quoteValue(podIP)} must be the same as status.podIPs[0]`);
    }
  }
  const hostIPText = reader.string(status, 'hostIP', 'status');
  const hostIP = hostIPText ? (decodeAddress(reader, hostIPText, 'status.hostIP') ?? null) : null;

  if (!meta) return undefined;
  return {
    namespace: meta.namespace,
    name: meta.name,
    labels: meta.labels,
    ips,
    nodeName,
    hostIP,
    hostNetwork,
    phase,
    containerPorts,
    origin: reader.origin,
  };
}
