import { compile } from '../../compiler/compile.js';
import { renderIptables } from '../../compiler/render-iptables.js';
import { renderJson } from '../../compiler/render-json.js';
import { renderTable } from '../../compiler/render-table.js';
import { ExitCode, UserError } from '../diagnostics.js';
import type { CliIo } from './io.js';
import { CNI_OPTIONS, CNI_OPTIONS_HELP, readCniProfile } from './read-cni-profile.js';
import { policySemantics } from '../../compiler/policy-semantics.js';
import { loadClusterInput } from './load-cluster-input.js';
import { CLUSTER_OPTIONS, CLUSTER_OPTIONS_HELP, choiceOption, flagOption, listOption, parseCommandArgs, stringOption } from './parse-options.js';
import { emitKernelRuleset, kernelRulesetFor } from './emit-kernel-ruleset.js';

export const COMPILE_HELP = `Usage: netpol-emu compile [-f PATH]... [--kubeconfig PATH] [--context NAME] [-n NS|-A]
                          [--pod NS/NAME]... [-o table|json|iptables|nftables] [--out-dir DIR]

Lowers the NetworkPolicies into per-pod ingress and egress rule tables, the way a CNI does, and
prints them:
  table      per pod: isolated or not in each direction, by which policies, how many entries
  json       identities, selector cache, CIDR sets, rules with provenance, tables, pod bindings
  iptables   ipset + iptables-save rendering in Calico's chain shape (prefix npe- for cali-);
             with --cni kube-router, kube-router's chain shape (KUBE-ROUTER-*, KUBE-POD-FW-*)
  nftables   nft -f rendering in Calico's nftables dataplane shape (--cni calico)

  --pod NS/NAME           only these pods (repeatable)
  -o, --output FORMAT     table (default), json, iptables, nftables
  --out-dir DIR           kube-router and nftables renderings: write each part as a file in DIR
                          (ipset.restore, iptables.rules, ip6tables.rules, ruleset.nft)
${CNI_OPTIONS_HELP}
${CLUSTER_OPTIONS_HELP}
`;

export async function runCompile(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs('compile', args, { ...CLUSTER_OPTIONS, ...CNI_OPTIONS, pod: { type: 'string', multiple: true }, output: { type: 'string', short: 'o' }, 'out-dir': { type: 'string' } });
  if (flagOption(parsed, 'help')) {
    io.stdout.write(COMPILE_HELP);
    return ExitCode.OK;
  }
  const output = choiceOption('compile', parsed, 'output', ['table', 'json', 'iptables', 'nftables'] as const, 'table');
  if (stringOption(parsed, 'out-dir') !== undefined && output !== 'iptables' && output !== 'nftables') throw new UserError(`compile: --out-dir writes a kernel rendering; use it with -o iptables or -o nftables (got -o ${output})`, ExitCode.USAGE);
  const profile = readCniProfile('compile', parsed);
  const semantics = policySemantics(profile.values);
  const { cluster } = await loadClusterInput('compile', parsed, io);
  const pods = listOption(parsed, 'pod');
  for (const name of pods) {
    const pod = cluster.pods.find((p) => `${p.namespace}/${p.name}` === name);
    if (!pod) throw new UserError(`compile: --pod ${name}: no such pod in the cluster`, ExitCode.USAGE);
  }
  const tables = compile(cluster, semantics);
  const ruleset = kernelRulesetFor(output, profile.name, tables, pods);
  if (ruleset !== null) {
    emitKernelRuleset(ruleset, stringOption(parsed, 'out-dir'), io);
    return ExitCode.OK;
  }
  if (output === 'json') io.stdout.write(`${JSON.stringify(renderJson(tables, { pods }), null, 2)}\n`);
  else if (output === 'iptables') io.stdout.write(renderIptables(tables, pods));
  else io.stdout.write(renderTable(tables, pods));
  return ExitCode.OK;
}
