import { compile } from '../../compiler/compile.js';
import { renderIptables } from '../../compiler/render-iptables.js';
import { formatKernelRuleset, formatLoadInstructions } from '../../compiler/format-kernel-ruleset.js';
import { writeKernelRuleset } from './write-kernel-ruleset.js';
import { renderJson } from '../../compiler/render-json.js';
import { renderTable } from '../../compiler/render-table.js';
import { ExitCode, UserError } from '../diagnostics.js';
import type { CliIo } from './io.js';
import { CNI_OPTIONS, CNI_OPTIONS_HELP, readCniProfile } from './read-cni-profile.js';
import { policySemantics } from '../../compiler/policy-semantics.js';
import { loadClusterInput } from './load-cluster-input.js';
import { CLUSTER_OPTIONS, CLUSTER_OPTIONS_HELP, choiceOption, flagOption, listOption, parseCommandArgs, stringOption } from './parse-options.js';
import { kernelRulesetFor } from './select-kernel-ruleset.js';

export const COMPILE_HELP = `Usage: netpol-emu compile [-f PATH]... [--kubeconfig PATH] [--context NAME] [-n NS|-A]
                          [--pod NS/NAME]... [-o table|json|iptables|nftables [--out-dir DIR]]

Lowers the NetworkPolicies into per-pod ingress and egress rule tables, the way a CNI does, and
prints them:
  table      per pod: isolated or not in each direction, by which policies, how many entries
  json       identities, selector cache, CIDR sets, rules with provenance, tables, pod bindings
  iptables   ipset + iptables-restore rendering in Calico's chain shape (prefix npe- for cali-);
             with --cni kube-router, kube-router's chain shape (KUBE-ROUTER-*, KUBE-POD-FW-*)
  nftables   nft -f rendering in Calico's nftables dataplane shape (--cni calico)
             Kernel renderings print every part headed by the command that loads it; they
             load as written into a network namespace (docs/kernel-renderings.md; how they
             are checked against the kernel: docs/kernel-check.md)

  --pod NS/NAME           only these pods (repeatable)
  -o, --output FORMAT     table (default), json, iptables, nftables
  --out-dir DIR           with -o iptables or nftables: write the parts as files instead
                          (ipset.restore, iptables.rules, ip6tables.rules, ruleset.nft) and
                          LOAD.txt with the load commands
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
  const outDir = stringOption(parsed, 'out-dir');
  if (outDir !== undefined && output !== 'iptables' && output !== 'nftables') throw new UserError(`compile: --out-dir writes a kernel rendering; use it with -o iptables or -o nftables (got -o ${output})`, ExitCode.USAGE);
  const profile = readCniProfile('compile', parsed);
  const semantics = policySemantics(profile.values);
  const { cluster } = await loadClusterInput('compile', parsed, io);
  const pods = listOption(parsed, 'pod');
  for (const name of pods) {
    const pod = cluster.pods.find((p) => `${p.namespace}/${p.name}` === name);
    if (!pod) throw new UserError(`compile: --pod ${name}: no such pod in the cluster`, ExitCode.USAGE);
  }
  const tables = compile(cluster, semantics);
  // Calico's iptables shape unless the profile names another (kube-router) or -o nftables.
  const ruleset = output === 'iptables' || output === 'nftables' ? (kernelRulesetFor(output, profile.name, tables, pods) ?? renderIptables(tables, pods)) : null;
  if (ruleset !== null) {
    if (outDir === undefined) io.stdout.write(formatKernelRuleset(ruleset));
    else {
      const written = writeKernelRuleset('compile', outDir, ruleset);
      io.stdout.write(`wrote ${written.join(', ')}\n${formatLoadInstructions(ruleset)}`);
    }
    return ExitCode.OK;
  }
  if (output === 'json') io.stdout.write(`${JSON.stringify(renderJson(tables, { pods }), null, 2)}\n`);
  else io.stdout.write(renderTable(tables, pods));
  return ExitCode.OK;
}
