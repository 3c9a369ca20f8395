/**
 * The kernel renderings (compiler/kernel-ruleset.ts) each profile has, with the upstream source
 * files every chain shape was learnt from, so `netpol-emu profiles --cni NAME` shows where the
 * rules a kernel check loads come from, as it shows the source of every switch. Pure data.
 */
import type { CniProfileName } from './cni-profiles.js';
import type { KernelRulesetShape } from './kernel-ruleset.js';

export interface KernelShapeInfo {
  readonly shape: KernelRulesetShape;
  /** The profile the rendering is verified against. */
  readonly profile: CniProfileName;
  /** The `compile` command line that prints it. */
  readonly command: string;
  readonly summary: string;
  /** `repo@commit:path function` of every file the chain layout follows. */
  readonly sources: readonly string[];
}

const CALICO = 'projectcalico/calico@87c15906';
const KUBE_ROUTER = 'cloudnativelabs/kube-router@7c2c2779';

export const KERNEL_SHAPES: readonly KernelShapeInfo[] = [
  {
    shape: 'calico-iptables',
    profile: 'calico',
    command: 'compile -o iptables',
    summary: 'ipsets + iptables filter table in Felix\'s chain layout (prefix npe- for cali-): dispatch chains, per-endpoint tw/fw chains, per-policy pi/po chains, accept and pass marks',
    sources: [
      `${CALICO}:felix/rules/static.go (FORWARD → cali-FORWARD → from/to workload dispatch, accept on the accept mark)`,
      `${CALICO}:felix/rules/dispatch.go (workload dispatch chains)`,
      `${CALICO}:felix/rules/endpoints.go (per-endpoint chains: conntrack, tiers, "Drop if no policies passed packet", profiles)`,
      `${CALICO}:felix/rules/policy.go (per-policy chains; Nets/NotNets, named-port sets)`,
      `${CALICO}:felix/ipsets/ipset_defs.go (hash:ip, hash:net, hash:ip,port sets)`,
    ],
  },
  {
    shape: 'nftables',
    profile: 'calico',
    command: 'compile -o nftables',
    summary: 'nft ruleset in Felix\'s nftables layout: tables ip/ip6 npe, base chain filter-FORWARD (hook forward), verdict-map dispatch, the same endpoint, policy and tier chains as iptables mode, sets and concatenated named-port sets',
    sources: [
      `${CALICO}:felix/dataplane/linux/int_dataplane.go (one "calico" table per family, filter/nat/mangle/raw layers)`,
      `${CALICO}:felix/nftables/table.go baseChains (filter-FORWARD: type filter hook forward priority filter)`,
      `${CALICO}:felix/nftables/table_layer.go namespaceName (layer-prefixed chain names)`,
      `${CALICO}:felix/rules/dispatch.go buildSingleDispatchChainsVMAP, DispatchMappings (vmap dispatch, "goto" elements)`,
      `${CALICO}:felix/rules/endpoints.go, felix/rules/policy.go (chains shared with iptables mode through felix/generictables)`,
      `${CALICO}:felix/nftables/match_builder.go, actions.go (set, mark and verdict syntax)`,
      `${CALICO}:felix/nftables/ipsets.go NFTablesSet, setType, LegalizeSetName (interval sets, ipv4_addr . inet_proto . inet_service)`,
    ],
  },
  {
    shape: 'kube-router-iptables',
    profile: 'kube-router',
    command: 'compile -o iptables --cni kube-router',
    summary: 'ipsets + iptables filter table in kube-router\'s layout: KUBE-ROUTER-INPUT/FORWARD/OUTPUT, KUBE-POD-FW-<hash> per pod, KUBE-NWPLCY-<hash> per policy, KUBE-SRC-/KUBE-DST- ipsets, REJECT (icmp-port-unreachable) of unmarked traffic',
    sources: [
      `${KUBE_ROUTER}:pkg/controllers/netpol/npc_iptables.go ensureTopLevelChains, ensureCommonPolicyChain, ensureDefaultNetworkPolicyChain, ensureDefaultTailChain, ensureExplicitAccept`,
      `${KUBE_ROUTER}:pkg/controllers/netpol/pod.go syncPodFirewallChains, setupPodNetpolRules, interceptPodInboundTraffic, interceptPodOutboundTraffic, podFirewallChainName`,
      `${KUBE_ROUTER}:pkg/controllers/netpol/policy.go syncNetworkPolicyChains, processIngressRules, processEgressRules, appendRuleToPolicyChain, evalIPBlockPeer, processNetworkPolicyPorts`,
      `${KUBE_ROUTER}:pkg/controllers/netpol/network_policy_controller.go (chain and set prefixes)`,
      `${KUBE_ROUTER}:pkg/utils/iptables.go CommonICMPRules; pkg/utils/ipset.go RefreshSet, IPSetName (timeout 0 sets, inet6: prefix)`,
    ],
  },
];

export function kernelShapesOf(profile: CniProfileName): KernelShapeInfo[] {
  return KERNEL_SHAPES.filter((s) => s.profile === profile);
}
