/**
 * An `ipset save` + `iptables-save` style rendering of the compiled tables in the shape Calico's
 * Felix programs (SEMANTICS.md §3.1, felix/rules/endpoints.go), with the prefix `npe-` instead of
 * `cali-`: a dispatch chain per direction, a chain per pod and direction (`npe-tw-` = to the
 * workload = ingress, `npe-fw-` = from the workload = egress) that accepts ESTABLISHED/RELATED
 * first, drops INVALID, jumps to one chain per policy (`npe-pi-`/`npe-po-`) and drops what no
 * policy accepted; non-isolated pods jump to their namespace profile instead. Selector peers and
 * ipBlocks are ipsets; named ports are `hash:ip,port` sets matched on `dst,dst`.
 *
 * Felix dispatches on interface names; we have no interfaces, so dispatch matches the pod IP.
 * The accept mark is 0x10000 and the pass mark 0x20000 (deployment-specific in Calico).
 *
 * Cluster-scoped policies render as Calico renders them (SEMANTICS.md §5.2,
 * felix/rules/endpoints.go): the tier `adminnetworkpolicy` before `default`, whose end is a pass
 * to the next tier rather than a drop (endOfTierDrop=false); `baselineadminnetworkpolicy` after
 * `default`, reached only by pods no NetworkPolicy selects (a tier with no policy for an endpoint
 * is skipped), falling through to the namespace profile. In a tier policy chain Allow marks
 * accept and returns, Deny drops, Pass sets the pass mark and returns, so the tier's remaining
 * policies are skipped. Tier ipsets are named `npe4-a-…` (admin) and `npe4-b-…` (baseline).
 *
 * The parts load as written (kernel-ruleset.ts): `ipset restore`, then `iptables-restore
 * --noflush` and `ip6tables-restore --noflush`. So: `comment` on a `create` line is the flag that
 * lets entries carry comments, the text goes on the `add` lines (ipset(8) "comment"); `hash:net`
 * takes prefixes /1 to /32 (/128), so a /0 is its two /1 halves, as Felix writes it
 * (felix/ipsets/ipsets.go); set names stay within IPSET_MAXNAMELEN - 1 = 31 characters and chain
 * names within XT_EXTENSION_MAXNAMELEN - 1 = 28; comments within 255 bytes (xt_comment.h
 * XT_MAX_COMMENT_LEN, ipset IPSET_MAX_COMMENT_SIZE). The hook is inserted at the top of FORWARD,
 * as Felix does with its default ChainInsertMode "insert" (felix/iptables/table.go).
 */
import type { IpFamily, Pod } from './model.js';
import type { KernelRuleset, KernelRulesetPart } from './kernel-ruleset.js';
import { flatBitsetMembers } from './bitset.js';
import { PEER_KIND, TIER_ACTION, type CompiledTables, type CompiledTier, type RuleMatch } from './tables.js';
import { formatRuleRef, rulePolicyName } from './verdict.js';
import { selectorSourceText } from './describe-selector.js';

const MAX_CHAIN = 28; // iptables' chain name limit
/** XT_MAX_COMMENT_LEN and IPSET_MAX_COMMENT_SIZE are 256 and 255 bytes with the terminating NUL. */
const MAX_COMMENT_BYTES = 255;

/** A comment the kernel keeps: no double quote (the loaders' quoting), at most 255 bytes. */
function kernelComment(text: string): string {
  const plain = text.replace(/"/g, "'");
  const utf8 = new TextEncoder();
  if (utf8.encode(plain).length <= MAX_COMMENT_BYTES) return plain;
  let cut = plain.slice(0, MAX_COMMENT_BYTES - 3);
  while (utf8.encode(cut).length > MAX_COMMENT_BYTES - 3) cut = cut.slice(0, -1);
  return `${cut}...`;
}

/** The entries of one CIDR in a `hash:net` set: a /0 is its two /1 halves (hash:net has no /0). */
function netEntries(cidr: string): string[] {
  if (cidr.endsWith('/0')) return cidr.includes(':') ? ['::/1', '8000::/1'] : ['0.0.0.0/1', '128.0.0.0/1'];
  return [cidr];
}

function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** Readable chain names when they fit, a hash (like Felix's `_` names) when they do not. */
function chainName(prefix: string, name: string): string {
  const readable = `${prefix}${name.replace('/', '.')}`;
  return readable.length <= MAX_CHAIN ? readable : `${prefix}_${fnv1a(name)}`;
}

function podIps(pod: Pod, family: IpFamily): string[] {
  return pod.ips.filter((ip) => ip.family === family).map((ip) => ip.text);
}

function portMatch(match: RuleMatch, setPrefix: string): string {
  if (match.protocol === null) return '';
  const proto = `-p ${match.protocol.toLowerCase()}`;
  if (match.port === null) return `${proto} `;
  if (typeof match.port === 'string') return `${proto} -m set --match-set ${setPrefix}-np:${match.port}.${match.protocol.toLowerCase()} dst,dst `;
  if (match.endPort !== null && match.endPort !== match.port) return `${proto} -m multiport --dports ${match.port}:${match.endPort} `;
  return `${proto} --dport ${match.port} `;
}

/** The ipset and filter-table lines of one address family. */
interface FamilyRendering {
  readonly sets: string[];
  readonly filter: string[];
}

/**
 * The Calico-shaped rendering of `t` (only the pods named in `pods`, when given): ipsets of both
 * families in one `ipset restore` part, then one filter table per family with pods.
 */
export function renderIptables(t: CompiledTables, pods?: readonly string[]): KernelRuleset {
  const wanted = pods && pods.length > 0 ? new Set(pods) : null;
  const families: IpFamily[] = [4, 6].filter((f) => t.endpointPods.some((pod) => pod.ips.some((ip) => ip.family === f))) as IpFamily[];
  if (families.length === 0) families.push(4);
  const renderings = families.map((family) => ({ family, ...renderFamily(t, family, wanted) }));
  const parts: KernelRulesetPart[] = [];
  const sets = renderings.flatMap((r) => r.sets);
  if (sets.length > 0) parts.push({ loader: 'ipset', fileName: 'ipset.restore', text: `# netpol-emu: ipsets of the Calico-style rendering (prefix npe for cali)\n${sets.join('\n')}\n` });
  for (const { family, filter } of renderings) {
    parts.push({
      loader: family === 4 ? 'iptables' : 'ip6tables',
      fileName: family === 4 ? 'iptables.rules' : 'ip6tables.rules',
      text: `# netpol-emu: Calico-style rendering for IPv${family} (prefix npe- in place of cali-)\n${filter.join('\n')}\n`,
    });
  }
  return { shape: 'calico-iptables', profile: 'calico', parts };
}

/** One tier of cluster-scoped policies as Calico renders it: its name, ipset tag and policy chains. */
interface TierRendering {
  readonly name: string;
  readonly tier: CompiledTier;
  /** ipset name infix: `npe4-a-s:3`. */
  readonly tag: string;
  /** `direction|Kind/name` → the policy's rule ids, for the policies some rendered pod uses. */
  readonly chains: Map<string, number[]>;
}

const TIER_POLICY_PREFIX: Readonly<Record<string, string>> = { AdminNetworkPolicy: 'anp.', BaselineAdminNetworkPolicy: 'banp.', ClusterNetworkPolicy: 'cnp.' };

function tierPolicyChain(direction: 'ingress' | 'egress', policy: string): string {
  const [kind, name] = policy.split('/') as [string, string];
  return chainName(direction === 'egress' ? 'npe-po-' : 'npe-pi-', `${TIER_POLICY_PREFIX[kind] ?? ''}${name}`);
}

function tierRenderings(t: CompiledTables, endpoints: readonly { readonly e: number }[]): TierRendering[] {
  const tiers: TierRendering[] = [];
  for (const [name, tier, tag] of [['adminnetworkpolicy', t.admin, 'a'], ['baselineadminnetworkpolicy', t.baseline, 'b']] as const) {
    if (!tier) continue;
    const tt = tier.tables;
    const needed = new Set<string>();
    for (const { e } of endpoints) {
      for (const table of [tt.endpointIngressTable[e] as number, tt.endpointEgressTable[e] as number]) {
        if (table >= 0) for (const policy of tt.tables[table]?.policies ?? []) needed.add(`${tt.tables[table]?.direction}|${policy}`);
      }
    }
    const chains = new Map<string, number[]>();
    tt.rules.forEach((ref, id) => {
      const key = `${ref.direction}|${rulePolicyName(ref)}`;
      if (!needed.has(key)) return;
      const list = chains.get(key) ?? [];
      list.push(id);
      chains.set(key, list);
    });
    tiers.push({ name, tier, tag, chains });
  }
  return tiers;
}

/** The ipsets of a tier's rendered rules. */
function tierSets(rendering: TierRendering, family: IpFamily, setPrefix: string, usedNamedPorts: Set<string>): string[] {
  const tt = rendering.tier.tables;
  const inet = family === 4 ? 'inet' : 'inet6';
  const selectors = new Set<number>();
  const cidrSets = new Set<number>();
  for (const ids of rendering.chains.values()) {
    for (const id of ids) {
      const m = tt.ruleMatches[id];
      if (!m) continue;
      if (m.peerKind === PEER_KIND.SELECTOR) selectors.add(m.peerArg);
      // A networks or nodes peer may be several CIDR sets: the entries carry them all.
      if (m.peerKind === PEER_KIND.CIDR_SET) for (let e = 0; e < tt.entryRule.length; e++) if (tt.entryRule[e] === id && tt.entryPeerKind[e] === PEER_KIND.CIDR_SET) cidrSets.add(tt.entryPeerArg[e] as number);
      if (typeof m.port === 'string') for (const proto of ['tcp', 'udp', 'sctp']) usedNamedPorts.add(`${m.port}.${proto}`);
    }
  }
  const lines: string[] = [];
  for (const s of [...selectors].sort((a, b) => a - b)) {
    const source = tt.selectorSources[s];
    lines.push(...selectorSet(`${setPrefix}-${rendering.tag}-s:${s}`, inet, source ? selectorSourceText(source) : null, tt, s, family));
  }
  // Sets of one rule (a networks peer's CIDRs) are merged into the rule's first set's name.
  for (const c of [...cidrSets].sort((a, b) => a - b)) {
    const source = tt.cidrSetSources[c];
    if (!source) continue;
    lines.push(`create ${setPrefix}-${rendering.tag}-n:${c} hash:net family ${inet}`);
    if (source.cidr.includes(':') === (family === 6)) for (const entry of netEntries(source.cidr)) lines.push(`add ${setPrefix}-${rendering.tag}-n:${c} ${entry}`);
  }
  return lines;
}

/** The policy chains of a tier: Allow accepts, Deny drops, Pass marks pass; each returns. */
function tierPolicyRules(rendering: TierRendering, setPrefix: string, chains: string[], rules: string[]): void {
  const tt = rendering.tier.tables;
  for (const key of [...rendering.chains.keys()].sort()) {
    const [direction, policy] = key.split('|') as ['ingress' | 'egress', string];
    const chain = tierPolicyChain(direction, policy);
    chains.push(chain);
    const dir = direction === 'egress' ? 'dst' : 'src';
    for (const id of rendering.chains.get(key) ?? []) {
      const m = tt.ruleMatches[id];
      const ref = tt.rules[id];
      if (!m || !ref) continue;
      const action = rendering.tier.ruleAction[id];
      const verdict = action === TIER_ACTION.ALLOW ? '-j MARK --set-xmark 0x10000/0x10000' : action === TIER_ACTION.DENY ? '-j DROP' : '-j MARK --set-xmark 0x20000/0x20000';
      const ports = typeof m.port === 'string' ? ['tcp', 'udp', 'sctp'].map((p) => `-p ${p} -m set --match-set ${setPrefix}-np:${m.port}.${p} dst,dst `) : [portMatch(m, setPrefix)];
      const peers: string[] = [];
      if (m.peerKind === PEER_KIND.SELECTOR) peers.push(`-m set --match-set ${setPrefix}-${rendering.tag}-s:${m.peerArg} ${dir} `);
      else if (m.peerKind === PEER_KIND.CIDR_SET) {
        for (let e = 0; e < tt.entryRule.length; e++) {
          const set = `-m set --match-set ${setPrefix}-${rendering.tag}-n:${tt.entryPeerArg[e]} ${dir} `;
          if (tt.entryRule[e] === id && tt.entryPeerKind[e] === PEER_KIND.CIDR_SET && !peers.includes(set)) peers.push(set);
        }
        // A nodes peer that selects no node matches nothing: no rule.
      } else peers.push('');
      for (const peer of peers) {
        for (const port of ports) {
          rules.push(`-A ${chain} ${port}${peer}-m comment --comment "${kernelComment(`rule ${id}: ${formatRuleRef(ref)}`)}" ${verdict}`);
          if (action !== TIER_ACTION.DENY) rules.push(`-A ${chain} -m mark ! --mark 0x0/0x30000 -j RETURN`);
        }
      }
    }
  }
}

/** Jumps of a pod's chain through one tier's policies. */
function tierJumps(rendering: TierRendering, chain: string, direction: 'ingress' | 'egress', e: number, rules: string[]): boolean {
  const tt = rendering.tier.tables;
  const table = (direction === 'egress' ? tt.endpointEgressTable : tt.endpointIngressTable)[e] as number;
  if (table < 0) return false;
  rules.push(`-A ${chain} -m comment --comment "Start of tier ${rendering.name}" -j MARK --set-xmark 0x0/0x20000`);
  for (const policy of tt.tables[table]?.policies ?? []) {
    rules.push(`-A ${chain} -m mark --mark 0x0/0x20000 -j ${tierPolicyChain(direction, policy)}`);
    rules.push(`-A ${chain} -m mark --mark 0x10000/0x10000 -m comment --comment "Return if policy accepted" -j RETURN`);
  }
  rules.push(`-A ${chain} -m comment --comment "End of tier ${rendering.name}: pass to the next tier"`);
  return true;
}

/** A `hash:ip` set of the pods a selector selects; each entry's comment names its pod. */
function selectorSet(name: string, inet: string, selects: string | null, t: Pick<CompiledTables, 'selectorBits' | 'selectorWords' | 'endpointPods' | 'endpointIdentity'>, s: number, family: IpFamily): string[] {
  const lines = [`# ${name}: ${selects ?? 'selector'}`, `create ${name} hash:ip family ${inet} comment`];
  const identities = new Set(flatBitsetMembers(t.selectorBits, s * t.selectorWords, t.selectorWords));
  t.endpointPods.forEach((pod, e) => {
    if (identities.has(t.endpointIdentity[e] as number)) for (const ip of podIps(pod, family)) lines.push(`add ${name} ${ip} comment "${kernelComment(`${pod.namespace}/${pod.name}`)}"`);
  });
  return lines;
}

function renderFamily(t: CompiledTables, family: IpFamily, wanted: Set<string> | null): FamilyRendering {
  const setPrefix = `npe${family}`;
  const endpoints = t.endpointPods.map((pod, e) => ({ pod, e, name: `${pod.namespace}/${pod.name}` })).filter(({ pod, name }) => podIps(pod, family).length > 0 && (wanted === null || wanted.has(name)));
  const usedTables = new Set<number>();
  for (const { e } of endpoints) {
    for (const table of [t.endpointIngressTable[e] as number, t.endpointEgressTable[e] as number]) if (table >= 0) usedTables.add(table);
  }
  // Policy chains needed, by direction, in policy order.
  const policyChains = new Map<string, { direction: 'ingress' | 'egress'; policy: string; rules: number[] }>();
  t.rules.forEach((ref, id) => {
    const policy = `${ref.policyNamespace}/${ref.policyName}`;
    const key = `${ref.direction}|${policy}`;
    let chain = policyChains.get(key);
    if (!chain) {
      chain = { direction: ref.direction, policy, rules: [] };
      policyChains.set(key, chain);
    }
    chain.rules.push(id);
  });
  const neededPolicies = new Set<string>();
  for (const table of usedTables) for (const policy of t.tables[table]?.policies ?? []) neededPolicies.add(`${t.tables[table]?.direction}|${policy}`);

  const lines: string[] = [];
  const usedSelectors = new Set<number>();
  const usedCidrSets = new Set<number>();
  const usedNamedPorts = new Set<string>();
  for (const key of neededPolicies) {
    for (const id of policyChains.get(key)?.rules ?? []) {
      const m = t.ruleMatches[id];
      if (!m) continue;
      if (m.peerKind === PEER_KIND.SELECTOR) usedSelectors.add(m.peerArg);
      if (m.peerKind === PEER_KIND.CIDR_SET) usedCidrSets.add(m.peerArg);
      if (typeof m.port === 'string' && m.protocol) usedNamedPorts.add(`${m.port}.${m.protocol.toLowerCase()}`);
    }
  }
  const inet = family === 4 ? 'inet' : 'inet6';
  for (const s of [...usedSelectors].sort((a, b) => a - b)) {
    const source = t.selectorSources[s];
    lines.push(...selectorSet(`${setPrefix}-s:${s}`, inet, source ? selectorSourceText(source) : null, t, s, family));
  }
  for (const c of [...usedCidrSets].sort((a, b) => a - b)) {
    const source = t.cidrSetSources[c];
    if (!source) continue;
    const isFamily = source.cidr.includes(':') === (family === 6);
    lines.push(`create ${setPrefix}-n:${c} hash:net family ${inet}`);
    if (isFamily) for (const entry of netEntries(source.cidr)) lines.push(`add ${setPrefix}-n:${c} ${entry}`);
    lines.push(`create ${setPrefix}-x:${c} hash:net family ${inet}`);
    if (isFamily) for (const except of source.except) lines.push(`add ${setPrefix}-x:${c} ${except}`);
  }
  const tiers = tierRenderings(t, endpoints);
  for (const rendering of tiers) lines.push(...tierSets(rendering, family, setPrefix, usedNamedPorts));
  for (const named of [...usedNamedPorts].sort()) {
    const [name, proto] = named.split('.');
    lines.push(`create ${setPrefix}-np:${named} hash:ip,port family ${inet} comment`);
    t.endpointPods.forEach((pod) => {
      for (const port of pod.containerPorts) {
        if (port.name === name && port.protocol.toLowerCase() === proto) for (const ip of podIps(pod, family)) lines.push(`add ${setPrefix}-np:${named} ${ip},${proto}:${port.containerPort} comment "${kernelComment(`${pod.namespace}/${pod.name}`)}"`);
      }
    });
  }

  const filter: string[] = ['*filter'];
  const chains: string[] = ['npe-FORWARD', 'npe-from-wl-dispatch', 'npe-to-wl-dispatch'];
  const rules: string[] = [
    '-I FORWARD 1 -m comment --comment "npe: policy for traffic between pods" -j npe-FORWARD',
    '-A npe-FORWARD -m comment --comment "pod egress" -j npe-from-wl-dispatch',
    '-A npe-FORWARD -m comment --comment "pod ingress" -j npe-to-wl-dispatch',
    '-A npe-FORWARD -m mark --mark 0x10000/0x10000 -m comment --comment "Policy explicitly accepted packet." -j ACCEPT',
  ];
  const profiles = new Set<string>();
  for (const { pod, e, name } of endpoints) {
    for (const direction of ['egress', 'ingress'] as const) {
      const prefix = direction === 'egress' ? 'npe-fw-' : 'npe-tw-';
      const chain = chainName(prefix, name);
      chains.push(chain);
      for (const ip of podIps(pod, family)) {
        const comment = kernelComment(name);
        rules.push(direction === 'egress' ? `-A npe-from-wl-dispatch -s ${ip} -m comment --comment "${comment}" -g ${chain}` : `-A npe-to-wl-dispatch -d ${ip} -m comment --comment "${comment}" -g ${chain}`);
      }
      rules.push(`-A ${chain} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`);
      rules.push(`-A ${chain} -m conntrack --ctstate INVALID -j DROP`);
      rules.push(`-A ${chain} -j MARK --set-xmark 0x0/0x30000`);
      if (direction === 'ingress' && pod.hostIP && pod.hostIP.family === family) {
        rules.push(`-A ${chain} -s ${pod.hostIP.text} -m comment --comment "traffic from the pod's own node is always allowed" -j ACCEPT`);
      }
      const admin = tiers.find((r) => r.tag === 'a');
      if (admin) tierJumps(admin, chain, direction, e, rules);
      const table = (direction === 'egress' ? t.endpointEgressTable : t.endpointIngressTable)[e] as number;
      const baseline = tiers.find((r) => r.tag === 'b');
      if (table < 0 && baseline) tierJumps(baseline, chain, direction, e, rules);
      if (table >= 0) {
        rules.push(`-A ${chain} -m comment --comment "Start of tier default" -j MARK --set-xmark 0x0/0x20000`);
        for (const policy of t.tables[table]?.policies ?? []) {
          rules.push(`-A ${chain} -m mark --mark 0x0/0x20000 -j ${chainName(direction === 'egress' ? 'npe-po-' : 'npe-pi-', policy)}`);
          rules.push(`-A ${chain} -m mark --mark 0x10000/0x10000 -m comment --comment "Return if policy accepted" -j RETURN`);
        }
        rules.push(`-A ${chain} -m mark --mark 0x0/0x20000 -m comment --comment "Drop if no policies passed packet" -j DROP`);
      } else {
        const profile = chainName(direction === 'egress' ? 'npe-pro-' : 'npe-pri-', `kns.${pod.namespace}`);
        profiles.add(profile);
        rules.push(`-A ${chain} -j ${profile}`);
        rules.push(`-A ${chain} -m mark --mark 0x10000/0x10000 -m comment --comment "Return if profile accepted" -j RETURN`);
        rules.push(`-A ${chain} -m comment --comment "Drop if no profiles matched" -j DROP`);
      }
    }
  }
  for (const key of [...neededPolicies].sort()) {
    // A policy without rules in this direction still gets its (empty) chain: it isolates only.
    const [direction, policy] = key.split('|') as ['ingress' | 'egress', string];
    const chainInfo = policyChains.get(key) ?? { direction, policy, rules: [] };
    const chain = chainName(chainInfo.direction === 'egress' ? 'npe-po-' : 'npe-pi-', chainInfo.policy);
    chains.push(chain);
    const dir = chainInfo.direction === 'egress' ? 'dst' : 'src';
    for (const id of chainInfo.rules) {
      const m = t.ruleMatches[id];
      const ref = t.rules[id];
      if (!m || !ref) continue;
      let peer = '';
      if (m.peerKind === PEER_KIND.SELECTOR) peer = `-m set --match-set ${setPrefix}-s:${m.peerArg} ${dir} `;
      if (m.peerKind === PEER_KIND.CIDR_SET) peer = `-m set --match-set ${setPrefix}-n:${m.peerArg} ${dir} -m set ! --match-set ${setPrefix}-x:${m.peerArg} ${dir} `;
      rules.push(`-A ${chain} ${portMatch(m, setPrefix)}${peer}-m comment --comment "${kernelComment(`rule ${id}: ${formatRuleRef(ref)}`)}" -j MARK --set-xmark 0x10000/0x10000`);
      rules.push(`-A ${chain} -m mark --mark 0x10000/0x10000 -j RETURN`);
    }
  }
  for (const rendering of tiers) tierPolicyRules(rendering, setPrefix, chains, rules);
  for (const profile of [...profiles].sort()) {
    chains.push(profile);
    rules.push(`-A ${profile} -m comment --comment "namespace profile: not isolated, allow" -j MARK --set-xmark 0x10000/0x10000`);
    rules.push(`-A ${profile} -j RETURN`);
  }
  for (const chain of chains) filter.push(`:${chain} - [0:0]`);
  filter.push(...rules, 'COMMIT');
  return { sets: lines, filter };
}
