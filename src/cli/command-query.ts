import { ExitCode, UserError } from '../diagnostics.js';
import { verdictJson, verdictText } from '../report/format-verdict.js';
import type { CliIo } from './io.js';
import { loadClusterInput } from './load-cluster-input.js';
import { CLUSTER_OPTIONS, CLUSTER_OPTIONS_HELP, choiceOption, flagOption, parseCommandArgs, stringOption } from './parse-options.js';
import { hasPorts, protocolName } from '../replay/name-protocol.js';
import { pickAddresses } from '../report/pick-addresses.js';
import { parseEndpoint, parsePort, parseProtocol } from './resolve-endpoint.js';
import { ENGINES, ENGINE_OPTION_HELP, selectEngine } from './select-engine.js';
import { CNI_OPTIONS, CNI_OPTIONS_HELP, readCniProfile } from './read-cni-profile.js';
import { policySemantics, type PolicySemantics } from '../../compiler/policy-semantics.js';
import { POLICY_PROTOCOL_NUMBER, type Cluster } from '../../compiler/model.js';
import type { Flow, FlowVerdict } from '../naive/naive-evaluator.js';
import { serviceEndpoints } from '../replay/build-service-nat.js';

export const QUERY_HELP = `Usage: netpol-emu query [-f PATH]... [--kubeconfig PATH] [--context NAME] [-n NS|-A]
                         --from SRC --to DST [--port N] [--protocol P] [-o text|json]

Would a connection from SRC to DST be allowed? Prints the verdict and why: for the source's
egress and the destination's ingress, which policies isolate the pod and which rule allowed the
flow (policy, rule, peer and port index), or that none did.

  --from SRC              namespace/pod or an IP address (an IP that is no pod is external)
  --to DST                namespace/pod, an IP address, or svc/NAMESPACE/NAME: a Service,
                          with --port its port; every endpoint kube-proxy could pick is
                          queried (the translated connection), exit 0 only if all are allowed
  --port N                destination port (required for TCP, UDP, SCTP)
  --protocol P            TCP (default), UDP, SCTP, ICMP, ICMPv6 or a protocol number
  -o, --output FORMAT     text (default) or json
${ENGINE_OPTION_HELP}
${CNI_OPTIONS_HELP}
${CLUSTER_OPTIONS_HELP}

Exit status: 0 allowed, 1 denied, 2 usage error, 3 invalid manifests, 5 cluster access error.
`;

export async function runQuery(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs('query', args, {
    ...CLUSTER_OPTIONS,
    from: { type: 'string' },
    to: { type: 'string' },
    port: { type: 'string', short: 'p' },
    protocol: { type: 'string' },
    output: { type: 'string', short: 'o' },
    engine: { type: 'string' },
    ...CNI_OPTIONS,
  });
  if (flagOption(parsed, 'help')) {
    io.stdout.write(QUERY_HELP);
    return ExitCode.OK;
  }
  const output = choiceOption('query', parsed, 'output', ['text', 'json'] as const, 'text');
  const engineName = choiceOption('query', parsed, 'engine', ENGINES, 'compiled');
  const semantics = policySemantics(readCniProfile('query', parsed).values);
  const fromText = stringOption(parsed, 'from');
  const toText = stringOption(parsed, 'to');
  if (fromText === undefined || toText === undefined) throw new UserError('query: --from and --to are required (see netpol-emu query --help)', ExitCode.USAGE);
  const protocol = parseProtocol('query', stringOption(parsed, 'protocol') ?? 'TCP');
  const portText = stringOption(parsed, 'port');
  let dstPort = 0;
  if (hasPorts(protocol)) {
    if (portText === undefined) throw new UserError('query: --port is required for TCP, UDP and SCTP', ExitCode.USAGE);
    dstPort = parsePort('query', '--port', portText);
  } else if (portText !== undefined) {
    throw new UserError(`query: --port makes no sense for protocol ${stringOption(parsed, 'protocol')}: it has no ports`, ExitCode.USAGE);
  }

  const { cluster } = await loadClusterInput('query', parsed, io);
  if (toText.startsWith('svc/')) return queryService(io, cluster, fromText, toText, protocol, dstPort, engineName, semantics, output);
  const src = parseEndpoint('query', '--from', fromText, cluster);
  const dst = parseEndpoint('query', '--to', toText, cluster);
  const addresses = pickAddresses(src, dst);
  if (!addresses) throw new UserError(`query: ${fromText} and ${toText} have no IP family in common (IPv4 vs IPv6)`, ExitCode.USAGE);
  const engine = selectEngine(engineName, cluster, semantics);
  const flow = { src: addresses.src, dst: addresses.dst, protocol, dstPort };
  const verdict = engine.evaluate(flow);
  io.stdout.write(output === 'json' ? `${JSON.stringify(verdictJson(flow, verdict), null, 2)}\n` : verdictText(flow, verdict));
  return verdict.allowed ? ExitCode.OK : ExitCode.DENIED;
}

/** `--to svc/NS/NAME`: the connection as kube-proxy translates it, once per possible endpoint. */
function queryService(
  io: CliIo,
  cluster: Cluster,
  fromText: string,
  toText: string,
  protocol: number,
  port: number,
  engineName: (typeof ENGINES)[number],
  semantics: PolicySemantics,
  output: 'text' | 'json',
): number {
  const [, namespace, name, extra] = toText.split('/');
  if (!namespace || !name || extra !== undefined) throw new UserError(`query: --to ${JSON.stringify(toText)}: a Service is svc/NAMESPACE/NAME`, ExitCode.USAGE);
  const service = (cluster.services ?? []).find((s) => s.namespace === namespace && s.name === name);
  if (!service) throw new UserError(`query: --to: no Service ${namespace}/${name} in the cluster`, ExitCode.USAGE);
  const servicePort = service.ports.find((p) => p.port === port && POLICY_PROTOCOL_NUMBER[p.protocol] === protocol);
  if (!servicePort) {
    const ports = service.ports.map((p) => `${p.port}/${p.protocol}`).join(', ') || 'none';
    throw new UserError(`query: --to: Service ${namespace}/${name} has no port ${port}/${protocolName(protocol)} (ports: ${ports})`, ExitCode.USAGE);
  }
  const label = `${namespace}/${name}:${servicePort.name ?? servicePort.port}`;
  const src = parseEndpoint('query', '--from', fromText, cluster);
  const engine = selectEngine(engineName, cluster, semantics);
  const results: { endpoint: string; flow: Flow; verdict: FlowVerdict }[] = [];
  for (const e of serviceEndpoints(cluster, service, servicePort)) {
    const addresses = pickAddresses(src, { kind: 'ip', ip: e.ip });
    if (!addresses) continue;
    const flow = { src: addresses.src, dst: addresses.dst, protocol, dstPort: e.port };
    results.push({ endpoint: `${e.pod ?? e.ip.text} ${e.ip.family === 6 ? `[${e.ip.text}]` : e.ip.text}:${e.port}`, flow, verdict: engine.evaluate(flow) });
  }
  const allowed = results.length > 0 && results.every((r) => r.verdict.allowed);
  const differ = results.some((r) => r.verdict.allowed) && !allowed;
  if (output === 'json') {
    io.stdout.write(`${JSON.stringify({ service: label, allowed, endpointsDiffer: differ, endpoints: results.map((r) => ({ endpoint: r.endpoint, ...verdictJson(r.flow, r.verdict) })) }, null, 2)}\n`);
  } else {
    const head = results.length === 0 ? `DENIED  Service ${label} has no ready endpoint: kube-proxy rejects the connection` : `${allowed ? 'ALLOWED' : 'DENIED'}  Service ${label}: ${results.length} endpoint${results.length === 1 ? '' : 's'}${differ ? ', and they get different verdicts' : ''}`;
    io.stdout.write(`${head}\n${results.map((r) => `\nendpoint ${r.endpoint}\n${verdictText(r.flow, r.verdict)}`).join('')}`);
  }
  return allowed ? ExitCode.OK : ExitCode.DENIED;
}
