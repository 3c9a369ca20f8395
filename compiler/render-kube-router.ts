/**
 * The compiled policies as kube-router's network policy controller (iptables backend) programs
 * them, as `ipset restore` and `iptables-restore` / `ip6tables-restore` input. The layout is
 * learnt from cloudnativelabs/kube-router@7c2c2779 pkg/controllers/netpol (no code copied):
 *
 * - npc_iptables.go ensureTopLevelChains: INPUT, FORWARD and OUTPUT jump first to
 *   KUBE-ROUTER-INPUT/-FORWARD/-OUTPUT ("kube-router netpol - <uuid>").
 * - pod.go interceptPodInboundTraffic / interceptPodOutboundTraffic: per local pod, FORWARD and
 *   OUTPUT jump `-d <podIP>` and INPUT, FORWARD, OUTPUT jump `-s <podIP>` to the pod's
 *   KUBE-POD-FW-<hash> chain (plus `-m physdev --physdev-is-bridged` copies in FORWARD).
 * - pod.go setupPodNetpolRules: the pod chain runs KUBE-NWPLCY-COMMON, accepts traffic from the
 *   local node, sends directions no policy isolates to KUBE-NWPLCY-DEFAULT (which marks
 *   0x10000) and jumps to each selecting policy's KUBE-NWPLCY-<hash> chain: `-d <podIP>` for an
 *   Ingress policy, `-s <podIP>` for an Egress one, unrestricted for a policy with both types.
 * - pod.go syncPodFirewallChains: then NFLOG, `REJECT` (icmp-port-unreachable, the iptables
 *   default) unless 0x10000 is set, clears 0x10000 and sets 0x20000 ("netpol-ok").
 * - npc_iptables.go ensureCommonPolicyChain: INVALID drop, RELATED,ESTABLISHED accept, and the
 *   ICMP types of pkg/utils/iptables.go CommonICMPRules accepted before any policy.
 * - npc_iptables.go ensureDefaultNetworkPolicyChain, ensureDefaultTailChain,
 *   ensureTailChainPosition, ensureExplicitAccept: KUBE-NWPLCY-DEFAULT marks, the top-level
 *   chains end with a jump to KUBE-NWPLCY-TAIL and an ACCEPT of 0x20000.
 * - policy.go syncNetworkPolicyChains / processIngressRules / processEgressRules /
 *   appendRuleToPolicyChain: per policy a KUBE-DST- set of its pods (ingress) and a KUBE-SRC-
 *   set (egress); per rule a set of peer pods, a hash:net set of its ipBlocks (excepts as
 *   `nomatch` entries, /0 as two halves, IPv6 /0 as 2000::/3 and fd00::/8: evalIPBlockPeer), and
 *   per named port and resolved number a set of the pods with that number; each match is a MARK
 *   0x10000 rule followed by a RETURN.
 *
 * Where this rendering differs from a live kube-router, on purpose:
 * - It is one node with every pod local; the "from local node" rule matches the pod's own node
 *   address (`-s <hostIP>`) instead of `-m addrtype --src-type LOCAL`, which on the pod's real
 *   node means the same thing but in a one-namespace lab would exempt every node.
 * - KUBE-ROUTER-INPUT's RETURN rules for Service cluster-IP, external-IP and NodePort ranges
 *   (ensureTopLevelChains) are left out: they concern traffic to the node, not policy, and the
 *   ranges are kube-router flags the cluster manifests do not carry.
 * - Chain and set names hash the same inputs with compiler/hash-name.ts and a fixed sync version.
 * - --netpol-default-deny (off by default) is not rendered: KUBE-NWPLCY-TAIL only accepts 0x20000.
 * - Cluster-scoped policies: kube-router implements none (compiler/cni-admin-support.ts), so the
 *   Admin and Baseline tiers of the tables are not rendered.
 *
 * kube-router behaviours the emulator's `kube-router` profile does not model (the rendering
 * keeps them; docs/kernel-renderings.md lists them): a policy with both types is jumped to
 * without an address match, so its ingress rules also match its pods' egress and vice versa; a
 * named port that no selected pod declares leaves a peer rule with no ports (all ports); an
 * egress named port without `to` matches any destination on the numbers the policy
 * namespace's pods use; named ports of egress ipBlock rules are dropped.
 */
import type { IpFamily, Pod, PolicyProtocol } from './model.js';
import { flatBitsetMembers } from './bitset.js';
import { base32Hash16 } from './hash-name.js';
import type { KernelRuleset, KernelRulesetPart } from './kernel-ruleset.js';
import { PEER_KIND, type CompiledTables } from './tables.js';

const FAMILY_NAME: Readonly<Record<IpFamily, string>> = { 4: 'IPv4', 6: 'IPv6' };
/** The sync version kube-router hashes into chain names (a timestamp there). */
const SYNC_VERSION = '0';
const ACCEPT_MARK = '0x10000/0x10000';
const NETPOL_OK_MARK = '0x20000/0x20000';

interface KrPort {
  readonly protocol: PolicyProtocol;
  /** null: every port of the protocol. */
  readonly port: number | string | null;
  readonly endPort: number | null;
}

/** One `ingress[i]` / `egress[i]` rule as kube-router groups it: all peers in one set per kind. */
interface KrRule {
  readonly index: number;
  /** No `from`/`to`: every peer. */
  readonly matchAllPeers: boolean;
  readonly selectors: number[];
  readonly blocks: { readonly cidr: string; readonly except: readonly string[] }[];
  /** No `ports`: every port and protocol. */
  readonly matchAllPorts: boolean;
  readonly ports: KrPort[];
}

interface KrPolicy {
  readonly namespace: string;
  readonly name: string;
  ingress: boolean;
  egress: boolean;
  /** Endpoint indexes of the pods the policy selects. */
  readonly targets: Set<number>;
  readonly rules: { ingress: KrRule[]; egress: KrRule[] };
}

/** The policies with their rules regrouped per rule index, from the compiled provenance. */
function krPolicies(t: CompiledTables): KrPolicy[] {
  const byKey = new Map<string, KrPolicy>();
  const policy = (namespace: string, name: string): KrPolicy => {
    const key = `${namespace}/${name}`;
    let p = byKey.get(key);
    if (!p) {
      p = { namespace, name, ingress: false, egress: false, targets: new Set(), rules: { ingress: [], egress: [] } };
      byKey.set(key, p);
    }
    return p;
  };
  const seenPeer = new Set<string>();
  const seenPort = new Set<string>();
  t.rules.forEach((ref, id) => {
    const m = t.ruleMatches[id];
    if (!m) return;
    const p = policy(ref.policyNamespace, ref.policyName);
    p[ref.direction] = true;
    const list = p.rules[ref.direction];
    let rule = list[list.length - 1];
    if (!rule || rule.index !== ref.ruleIndex) {
      rule = { index: ref.ruleIndex, matchAllPeers: ref.peerIndex === null, selectors: [], blocks: [], matchAllPorts: ref.portIndex === null, ports: [] };
      list.push(rule);
    }
    const ruleKey = `${ref.policyNamespace}/${ref.policyName}|${ref.direction}|${ref.ruleIndex}`;
    if (ref.peerIndex !== null && !seenPeer.has(`${ruleKey}|${ref.peerIndex}`)) {
      seenPeer.add(`${ruleKey}|${ref.peerIndex}`);
      if (m.peerKind === PEER_KIND.SELECTOR) rule.selectors.push(m.peerArg);
      else if (m.peerKind === PEER_KIND.CIDR_SET) {
        const source = t.cidrSetSources[m.peerArg];
        if (source) rule.blocks.push(source);
      }
    }
    if (ref.portIndex !== null && m.protocol !== null && !seenPort.has(`${ruleKey}|${ref.portIndex}`)) {
      seenPort.add(`${ruleKey}|${ref.portIndex}`);
      rule.ports.push({ protocol: m.protocol as PolicyProtocol, port: m.port, endPort: m.endPort });
    }
  });
  t.endpointPods.forEach((_, e) => {
    for (const direction of ['ingress', 'egress'] as const) {
      const table = (direction === 'ingress' ? t.endpointIngressTable : t.endpointEgressTable)[e] as number;
      if (table < 0) continue;
      for (const key of t.tables[table]?.policies ?? []) {
        const slash = key.indexOf('/');
        const p = policy(key.slice(0, slash), key.slice(slash + 1));
        p[direction] = true;
        p.targets.add(e);
      }
    }
  });
  return [...byKey.values()].sort((a, b) => (`${a.namespace}/${a.name}` < `${b.namespace}/${b.name}` ? -1 : 1));
}

/** kube-router's `getPodIPForFamily`: the pod's first address of the family. */
function podIp(pod: Pod, family: IpFamily): string | null {
  return pod.ips.find((ip) => ip.family === family)?.text ?? null;
}

function selectorEndpoints(t: CompiledTables, selector: number): number[] {
  const identities = new Set(flatBitsetMembers(t.selectorBits, selector * t.selectorWords, t.selectorWords));
  const out: number[] = [];
  t.endpointPods.forEach((_, e) => {
    if (identities.has(t.endpointIdentity[e] as number)) out.push(e);
  });
  return out;
}

/** A resolved named port (policy.go processNetworkPolicyPorts): one number and the pods using it. */
interface NamedEndpoints {
  readonly protocol: PolicyProtocol;
  readonly port: number;
  readonly endpoints: readonly number[];
}

/**
 * A rule's ports split as kube-router does: numbers and bare protocols, and named ports resolved
 * against `endpoints` (grabNamedPortFromPod), one entry per (name, number).
 */
function splitPorts(t: CompiledTables, ports: readonly KrPort[], endpoints: readonly number[]): { numeric: KrPort[]; named: NamedEndpoints[] } {
  const numeric: KrPort[] = [];
  const named: NamedEndpoints[] = [];
  for (const port of ports) {
    if (typeof port.port !== 'string') {
      numeric.push(port);
      continue;
    }
    const byNumber = new Map<number, number[]>();
    for (const e of endpoints) {
      for (const c of t.endpointPods[e]?.containerPorts ?? []) {
        if (c.name !== port.port || c.protocol !== port.protocol) continue;
        const list = byNumber.get(c.containerPort) ?? [];
        if (!list.includes(e)) list.push(e);
        byNumber.set(c.containerPort, list);
      }
    }
    for (const [number, list] of [...byNumber].sort(([a], [b]) => a - b)) named.push({ protocol: port.protocol, port: number, endpoints: list });
  }
  return { numeric, named };
}

type SetType = 'hash:ip' | 'hash:net';

/** The ipsets of one family, in creation order; an entry maps to its `nomatch` flag. */
class IpsetWriter {
  readonly sets = new Map<string, { type: SetType; entries: Map<string, boolean> }>();
  constructor(private readonly family: IpFamily) {}

  /** kube-router's set name (utils.IPSetName): `inet6:` before IPv6 sets. */
  name(prefix: 'KUBE-SRC-' | 'KUBE-DST-', hashInput: string): string {
    return `${this.family === 6 ? 'inet6:' : ''}${prefix}${base32Hash16(hashInput)}`;
  }

  /** Creates the set when new (RefreshSet keeps the first type); later entries win, like `add -exist`. */
  fill(name: string, type: SetType, entries: readonly (readonly [string, boolean])[]): string {
    let set = this.sets.get(name);
    if (!set) {
      set = { type, entries: new Map() };
      this.sets.set(name, set);
    }
    set.entries.clear();
    for (const [entry, nomatch] of entries) set.entries.set(entry, nomatch);
    return name;
  }

  lines(): string[] {
    const inet = this.family === 4 ? 'inet' : 'inet6';
    const out: string[] = [];
    for (const [name, set] of this.sets) {
      out.push(`create ${name} ${set.type} family ${inet} hashsize 1024 maxelem 65536 timeout 0`);
      // Host prefixes as `ipset save` prints them, so a rendering and its round trip read the same.
    for (const [entry, nomatch] of set.entries) out.push(`add ${name} ${entry.replace(/\/(32|128)$/, '')} timeout 0${nomatch ? ' nomatch' : ''}`);
    }
    return out;
  }
}

/** evalIPBlockPeer: a hash:net cannot hold /0, so kube-router writes halves (and, for IPv6, two prefixes). */
function blockEntries(blocks: KrRule['blocks'], family: IpFamily): [string, boolean][] {
  const whole = family === 4 ? ['0.0.0.0/1', '128.0.0.0/1'] : ['2000::/3', 'fd00::/8'];
  const expand = (cidr: string): string[] => (cidr.endsWith('/0') ? whole : [cidr]);
  const out: [string, boolean][] = [];
  for (const block of blocks) {
    if (block.cidr.includes(':') !== (family === 6)) continue;
    for (const cidr of expand(block.cidr)) out.push([cidr, false]);
    for (const except of block.except) for (const cidr of expand(except)) out.push([cidr, true]);
  }
  return out;
}

function ipEntries(t: CompiledTables, endpoints: Iterable<number>, family: IpFamily): [string, boolean][] {
  const out: [string, boolean][] = [];
  for (const e of endpoints) {
    const pod = t.endpointPods[e];
    const ip = pod ? podIp(pod, family) : null;
    if (ip !== null) out.push([ip, false]);
  }
  return out;
}

/** One policy match as appendRuleToPolicyChain writes it, in iptables-save's canonical order. */
function appendPolicyRule(out: string[], chain: string, comment: string, src: string | null, dst: string | null, port: { readonly protocol: PolicyProtocol; readonly port: number | string | null; readonly endPort?: number | null } | null): void {
  const proto = port ? port.protocol.toLowerCase() : null;
  const dport = port && typeof port.port === 'number' ? (port.endPort != null && port.endPort > port.port ? `${port.port}:${port.endPort}` : `${port.port}`) : null;
  const match = `${proto ? ` -p ${proto}` : ''} -m comment --comment "${comment}"${src ? ` -m set --match-set ${src} src` : ''}${dst ? ` -m set --match-set ${dst} dst` : ''}${dport ? ` -m ${proto} --dport ${dport}` : ''}`;
  out.push(`-A ${chain}${match} -j MARK --set-xmark ${ACCEPT_MARK}`);
  out.push(`-A ${chain}${match} -m mark --mark ${ACCEPT_MARK} -j RETURN`);
}

function policyChainName(p: KrPolicy, family: IpFamily): string {
  return `KUBE-NWPLCY-${base32Hash16(`${p.namespace}${p.name}${SYNC_VERSION}${FAMILY_NAME[family]}`)}`;
}

function podChainName(pod: Pod): string {
  return `KUBE-POD-FW-${base32Hash16(`${pod.namespace}${pod.name}${SYNC_VERSION}`)}`;
}

/** policy.go processIngressRules and processEgressRules for one policy and family. */
function renderPolicyChain(t: CompiledTables, p: KrPolicy, family: IpFamily, sets: IpsetWriter, rules: string[]): void {
  const chain = policyChainName(p, family);
  const fam = FAMILY_NAME[family];
  const base = `${p.namespace}${p.name}`;
  const id = `${p.namespace}/${p.name}`;
  if (p.ingress) {
    const targets = sets.fill(sets.name('KUBE-DST-', `${base}${fam}`), 'hash:ip', ipEntries(t, p.targets, family));
    p.rules.ingress.forEach((rule, i) => {
      const peers = [...new Set(rule.selectors.flatMap((s) => selectorEndpoints(t, s)))];
      const { numeric, named } = rule.matchAllPorts ? { numeric: [], named: [] } : splitPorts(t, rule.ports, [...p.targets]);
      const namedSet = (epIdx: number, ep: NamedEndpoints, type: SetType): string => sets.fill(sets.name('KUBE-DST-', `${base}ingressrule${i}${epIdx}${fam}namedport`), type, ipEntries(t, ep.endpoints, family));
      if (peers.length > 0) {
        const src = sets.fill(sets.name('KUBE-SRC-', `${base}ingressrule${i}${fam}pod`), 'hash:ip', ipEntries(t, peers, family));
        for (const port of numeric) appendPolicyRule(rules, chain, `${id} ingress pods`, src, targets, port);
        named.forEach((ep, epIdx) => appendPolicyRule(rules, chain, `${id} ingress pods np`, src, namedSet(epIdx, ep, 'hash:ip'), ep));
        if (numeric.length === 0 && named.length === 0) appendPolicyRule(rules, chain, `${id} ingress pods`, src, targets, null);
      }
      if (rule.matchAllPeers && !rule.matchAllPorts) {
        for (const port of numeric) appendPolicyRule(rules, chain, `${id} ingress any`, null, targets, port);
        named.forEach((ep, epIdx) => appendPolicyRule(rules, chain, `${id} ingress any np`, null, namedSet(epIdx, ep, 'hash:ip'), ep));
      }
      if (rule.matchAllPeers && rule.matchAllPorts) appendPolicyRule(rules, chain, `${id} ingress any`, null, targets, null);
      const blocks = blockEntries(rule.blocks, family);
      if (blocks.length > 0) {
        const src = sets.fill(sets.name('KUBE-SRC-', `${base}ingressrule${i}${fam}ipblock`), 'hash:net', blocks);
        if (rule.matchAllPorts) appendPolicyRule(rules, chain, `${id} ingress cidr`, src, targets, null);
        for (const port of numeric) appendPolicyRule(rules, chain, `${id} ingress cidr`, src, targets, port);
        named.forEach((ep, epIdx) => appendPolicyRule(rules, chain, `${id} ingress cidr np`, src, namedSet(epIdx, ep, 'hash:net'), ep));
      }
    });
  }
  if (p.egress) {
    const sources = sets.fill(sets.name('KUBE-SRC-', `${base}${fam}`), 'hash:ip', ipEntries(t, p.targets, family));
    p.rules.egress.forEach((rule, i) => {
      const peers = [...new Set(rule.selectors.flatMap((s) => selectorEndpoints(t, s)))];
      // Without `to`, named ports resolve on every pod of the policy's namespace (policy.go buildNetworkPoliciesInfo).
      const namespacePods = t.endpointPods.map((pod, e) => (pod.namespace === p.namespace ? e : -1)).filter((e) => e >= 0);
      const { numeric, named } = rule.matchAllPorts ? { numeric: [], named: [] } : splitPorts(t, rule.ports, rule.matchAllPeers ? namespacePods : peers);
      if (peers.length > 0) {
        const dst = sets.fill(sets.name('KUBE-DST-', `${base}egressrule${i}${fam}pod`), 'hash:ip', ipEntries(t, peers, family));
        for (const port of numeric) appendPolicyRule(rules, chain, `${id} egress pods`, sources, dst, port);
        named.forEach((ep, epIdx) => {
          const set = sets.fill(sets.name('KUBE-DST-', `${base}egressrule${i}${epIdx}${fam}namedport`), 'hash:ip', ipEntries(t, ep.endpoints, family));
          appendPolicyRule(rules, chain, `${id} egress pods np`, sources, set, ep);
        });
        if (numeric.length === 0 && named.length === 0) appendPolicyRule(rules, chain, `${id} egress pods`, sources, dst, null);
      }
      if (rule.matchAllPeers && !rule.matchAllPorts) {
        for (const port of numeric) appendPolicyRule(rules, chain, `${id} egress any`, sources, null, port);
        for (const ep of named) appendPolicyRule(rules, chain, `${id} egress any np`, sources, null, ep);
      }
      if (rule.matchAllPeers && rule.matchAllPorts) appendPolicyRule(rules, chain, `${id} egress any`, sources, null, null);
      const blocks = blockEntries(rule.blocks, family);
      if (blocks.length > 0) {
        const dst = sets.fill(sets.name('KUBE-DST-', `${base}egressrule${i}${fam}ipblock`), 'hash:net', blocks);
        if (rule.matchAllPorts) appendPolicyRule(rules, chain, `${id} egress cidr`, sources, dst, null);
        for (const port of numeric) appendPolicyRule(rules, chain, `${id} egress cidr`, sources, dst, port);
      }
    });
  }
}

const TOP_CHAINS = [
  ['INPUT', 'KUBE-ROUTER-INPUT'],
  ['FORWARD', 'KUBE-ROUTER-FORWARD'],
  ['OUTPUT', 'KUBE-ROUTER-OUTPUT'],
] as const;

/** pkg/utils/iptables.go CommonICMPRules, as iptables-save prints the types. */
const COMMON_ICMP: Readonly<Record<IpFamily, readonly (readonly [string, string])[]>> = {
  4: [
    ['allow icmp echo requests', '-p icmp -m comment --comment "allow icmp echo requests" -m icmp --icmp-type 8'],
    ['allow icmp destination unreachable messages', '-p icmp -m comment --comment "allow icmp destination unreachable messages" -m icmp --icmp-type 3'],
    ['allow icmp time exceeded messages', '-p icmp -m comment --comment "allow icmp time exceeded messages" -m icmp --icmp-type 11'],
  ],
  6: [
    ['allow icmp echo requests', '-p ipv6-icmp -m comment --comment "allow icmp echo requests" -m icmp6 --icmpv6-type 128'],
    ['allow icmp destination unreachable messages', '-p ipv6-icmp -m comment --comment "allow icmp destination unreachable messages" -m icmp6 --icmpv6-type 1'],
    ['allow icmp time exceeded messages', '-p ipv6-icmp -m comment --comment "allow icmp time exceeded messages" -m icmp6 --icmpv6-type 3'],
    ['allow icmp neighbor solicitation messages', '-p ipv6-icmp -m comment --comment "allow icmp neighbor solicitation messages" -m icmp6 --icmpv6-type 135'],
    ['allow icmp neighbor advertisement messages', '-p ipv6-icmp -m comment --comment "allow icmp neighbor advertisement messages" -m icmp6 --icmpv6-type 136'],
    ['allow icmp echo reply messages', '-p ipv6-icmp -m comment --comment "allow icmp echo reply messages" -m icmp6 --icmpv6-type 129'],
  ],
};

function renderFamily(t: CompiledTables, policies: readonly KrPolicy[], family: IpFamily, wanted: ReadonlySet<string> | null): { sets: string[]; table: string } {
  const sets = new IpsetWriter(family);
  const host = (ip: string): string => `${ip}/${family === 4 ? 32 : 128}`;
  const chains: string[] = ['KUBE-NWPLCY-COMMON', 'KUBE-NWPLCY-DEFAULT', 'KUBE-NWPLCY-TAIL', ...TOP_CHAINS.map(([, c]) => c)];
  const rules: string[] = [];
  for (const [builtin, chain] of TOP_CHAINS) rules.push(`-A ${builtin} -m comment --comment "kube-router netpol - ${base32Hash16(`${builtin}-m comment --comment kube-router netpol -j ${chain}`)}" -j ${chain}`);
  rules.push('-A KUBE-NWPLCY-COMMON -m comment --comment "rule to drop invalid state for pod" -m conntrack --ctstate INVALID -j DROP');
  rules.push('-A KUBE-NWPLCY-COMMON -m comment --comment "rule for stateful firewall for pod" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT');
  for (const [, rule] of COMMON_ICMP[family]) rules.push(`-A KUBE-NWPLCY-COMMON ${rule} -j ACCEPT`);
  rules.push(`-A KUBE-NWPLCY-DEFAULT -m comment --comment "rule to mark traffic matching a network policy" -j MARK --set-xmark ${ACCEPT_MARK}`);
  rules.push(`-A KUBE-NWPLCY-TAIL -m comment --comment "accept netpol-ok" -m mark --mark ${NETPOL_OK_MARK} -j ACCEPT`);

  for (const p of policies) {
    chains.push(policyChainName(p, family));
    renderPolicyChain(t, p, family, sets, rules);
  }

  const reject = family === 4 ? 'icmp-port-unreachable' : 'icmp6-port-unreachable';
  t.endpointPods.forEach((pod, e) => {
    const ip = podIp(pod, family);
    if (ip === null || (wanted !== null && !wanted.has(`${pod.namespace}/${pod.name}`))) return;
    const chain = podChainName(pod);
    const id = `${pod.namespace}/${pod.name}`;
    chains.push(chain);
    const selecting = policies.filter((p) => p.targets.has(e));
    rules.push(`-A ${chain} -m comment --comment "common netpol rules" -j KUBE-NWPLCY-COMMON`);
    if (pod.hostIP && pod.hostIP.family === family) rules.push(`-A ${chain} -s ${host(pod.hostIP.text)} -d ${host(ip)} -m comment --comment "from local node" -j ACCEPT`);
    if (!selecting.some((p) => p.egress)) rules.push(`-A ${chain} -s ${host(ip)} -m comment --comment "default egress" -j KUBE-NWPLCY-DEFAULT`);
    if (!selecting.some((p) => p.ingress)) rules.push(`-A ${chain} -d ${host(ip)} -m comment --comment "default ingress" -j KUBE-NWPLCY-DEFAULT`);
    // Each jump is inserted at position 1 (setupPodNetpolRules), so the last policy comes first.
    for (const p of [...selecting].reverse()) {
      const address = p.ingress && p.egress ? '' : p.ingress ? `-d ${host(ip)} ` : `-s ${host(ip)} `;
      rules.push(`-A ${chain} ${address}-m comment --comment "${p.namespace}/${p.name} policy" -j ${policyChainName(p, family)}`);
    }
    rules.push(`-A ${chain} -m comment --comment "${id} log-drop" -m mark ! --mark ${ACCEPT_MARK} -m limit --limit 10/min --limit-burst 10 -j NFLOG --nflog-group 100`);
    rules.push(`-A ${chain} -m comment --comment "${id} reject" -m mark ! --mark ${ACCEPT_MARK} -j REJECT --reject-with ${reject}`);
    rules.push(`-A ${chain} -j MARK --set-xmark 0x0/0x10000`);
    rules.push(`-A ${chain} -m comment --comment "set netpol-ok mark" -j MARK --set-xmark ${NETPOL_OK_MARK}`);
  });
  // Jumps into the pod chains, pod by pod (interceptPodInboundTraffic, then interceptPodOutboundTraffic).
  t.endpointPods.forEach((pod) => {
    const ip = podIp(pod, family);
    if (ip === null || (wanted !== null && !wanted.has(`${pod.namespace}/${pod.name}`))) return;
    const chain = podChainName(pod);
    const id = `${pod.namespace}/${pod.name}`;
    rules.push(`-A KUBE-ROUTER-FORWARD -d ${host(ip)} -m comment --comment "${id} in" -j ${chain}`);
    rules.push(`-A KUBE-ROUTER-OUTPUT -d ${host(ip)} -m comment --comment "${id} in" -j ${chain}`);
    rules.push(`-A KUBE-ROUTER-FORWARD -d ${host(ip)} -m physdev --physdev-is-bridged -m comment --comment "${id} in" -j ${chain}`);
    for (const [, top] of TOP_CHAINS) rules.push(`-A ${top} -s ${host(ip)} -m comment --comment "${id} out" -j ${chain}`);
    rules.push(`-A KUBE-ROUTER-FORWARD -s ${host(ip)} -m physdev --physdev-is-bridged -m comment --comment "${id} out" -j ${chain}`);
  });
  for (const [, top] of TOP_CHAINS) {
    rules.push(`-A ${top} -m comment --comment "rule to explicitly handle traffic for network policies ACCEPT/REJECT decision" -j KUBE-NWPLCY-TAIL`);
    rules.push(`-A ${top} -m comment --comment "rule to explicitly ACCEPT traffic that comply to network policies" -m mark --mark ${NETPOL_OK_MARK} -j ACCEPT`);
  }
  const table = [
    `# kube-router network policy controller, iptables backend, IPv${family} (cloudnativelabs/kube-router pkg/controllers/netpol)`,
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ...chains.map((c) => `:${c} - [0:0]`),
    ...rules,
    'COMMIT',
  ];
  return { sets: sets.lines(), table: `${table.join('\n')}\n` };
}

/**
 * kube-router's rendering of the compiled tables: one `ipset restore` part for both families,
 * then `iptables-restore` and `ip6tables-restore` parts for the families the pods use. `pods`
 * (`ns/name`) limits the pod chains, as kube-router programs only its node's pods.
 */
export function renderKubeRouter(t: CompiledTables, pods?: readonly string[]): KernelRuleset {
  const wanted = pods && pods.length > 0 ? new Set(pods) : null;
  const families = ([4, 6] as const).filter((f) => t.endpointPods.some((pod) => podIp(pod, f) !== null));
  const policies = krPolicies(t);
  const parts: KernelRulesetPart[] = [];
  const setLines: string[] = [];
  const tables: KernelRulesetPart[] = [];
  for (const family of families.length > 0 ? families : ([4] as const)) {
    const rendered = renderFamily(t, policies, family, wanted);
    setLines.push(...rendered.sets);
    tables.push(family === 4 ? { loader: 'iptables', fileName: 'iptables.rules', text: rendered.table } : { loader: 'ip6tables', fileName: 'ip6tables.rules', text: rendered.table });
  }
  if (setLines.length > 0) parts.push({ loader: 'ipset', fileName: 'ipset.restore', text: `${setLines.join('\n')}\n` });
  parts.push(...tables);
  return { shape: 'kube-router-iptables', profile: 'kube-router', parts };
}
