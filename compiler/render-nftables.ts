/**
 * The compiled tables as an `nft -f` ruleset in the shape of Calico's nftables dataplane, with
 * `npe` in place of `cali`. Learnt from projectcalico/calico@87c15906 (no code copied):
 *
 * - felix/dataplane/linux/int_dataplane.go: one table per family, `ip calico` and `ip6 calico`
 *   (here `ip npe` / `ip6 npe`), shared by layers whose chains are prefixed with the layer name
 *   (felix/nftables/table_layer.go namespaceName: `filter-cali-…`).
 * - felix/nftables/table.go baseChains: `filter-FORWARD`, type filter, hook forward, priority
 *   filter; it jumps to the layer's `filter-cali-FORWARD` (felix/rules/static.go).
 * - felix/rules/dispatch.go buildSingleDispatchChainsVMAP: the from/to workload dispatch chains
 *   hold one verdict-map lookup, `iifname vmap @filter-cali-from-wl-dispatch`, whose elements
 *   are `goto filter-cali-fw-<iface>` (DispatchMappings). Having no interfaces, we key the maps
 *   by pod address (`ip saddr vmap` / `ip daddr vmap`), as render-iptables.ts dispatches on it.
 * - felix/rules/endpoints.go: per endpoint and direction a chain (`fw` from the workload =
 *   egress, `tw` to it = ingress) that accepts ct state established,related, drops invalid,
 *   clears the marks, runs each tier (a pass mark skips the rest of a tier; "Drop if no policies
 *   passed packet" ends the default tier) or, when no policy selects the pod, its namespace
 *   profile; per policy and direction a chain (`pi`/`po`) whose rules set the accept mark and
 *   return.
 * - felix/nftables/match_builder.go and actions.go: selectors and ipBlocks are sets
 *   (`ip saddr @cali40s-…`; legalised names, ':' → '-'), CIDR sets carry `flags interval`
 *   (ipsets.go NFTablesSet), named ports are concatenated sets
 *   `ip daddr . meta l4proto . th dport @…` of type `ipv4_addr . inet_proto . inet_service`
 *   (setType); marks are tested with `meta mark & M == V` and set with
 *   `meta mark set mark or M` / cleared with `meta mark set mark & ~M`.
 *
 * An ipBlock is two sets, its CIDR and its excepts (Calico's Nets and NotNets): the rule matches
 * `@…c-N` and not `@…x-N`. Interval sets take /0 as it is (no halves, unlike hash:net ipsets);
 * excepts nested in other excepts are left out, since an interval set refuses overlaps. The
 * accept mark is 0x10000 and the pass mark 0x20000, as in render-iptables.ts. Traffic from a
 * pod's own node is accepted before ingress policy (felix/rules/static.go: host → workload is
 * not policed). AdminNetworkPolicy and BaselineAdminNetworkPolicy render as Calico's tiers
 * `adminnetworkpolicy` (before `default`, ending in a pass) and `baselineadminnetworkpolicy`
 * (after it, only for pods no NetworkPolicy selects), like render-iptables.ts.
 */
import type { IpFamily, Pod } from './model.js';
import { flatBitsetMembers } from './bitset.js';
import { outermostCidrs, parseCidrText } from './cidr-text.js';
import { base32Hash16 } from './hash-name.js';
import type { KernelRuleset } from './kernel-ruleset.js';
import { PEER_KIND, TIER_ACTION, type CompiledTables, type CompiledTier, type RuleMatch } from './tables.js';
import { formatRuleRef, rulePolicyName } from './verdict.js';

const ACCEPT = 0x10000;
const PASS = 0x20000;
/** nft prints marks as 8 hex digits. */
const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
const MARK_ACCEPTED = `meta mark & ${hex(ACCEPT)} == ${hex(ACCEPT)}`;
const MARK_NOT_PASSED = `meta mark & ${hex(PASS)} == ${hex(0)}`;
const SET_ACCEPT = `meta mark set meta mark | ${hex(ACCEPT)}`;
const SET_PASS = `meta mark set meta mark | ${hex(PASS)}`;
const CLEAR_BOTH = `meta mark set meta mark & ${hex(~(ACCEPT | PASS))}`;
const CLEAR_PASS = `meta mark set meta mark & ${hex(~PASS)}`;
/** nft's limit for chain and set names is 256 bytes. */
const MAX_NAME = 200;

function podIps(pod: Pod, family: IpFamily): string[] {
  return pod.ips.filter((ip) => ip.family === family).map((ip) => ip.text);
}

function chainName(prefix: string, name: string): string {
  const readable = `filter-npe-${prefix}${name.replace('/', '.')}`;
  return readable.length <= MAX_NAME ? readable : `filter-npe-${prefix}_${base32Hash16(name)}`;
}

/** nft refuses comments over 128 characters (NFTNL_UDATA_COMMENT_MAXLEN). */
const quote = (text: string): string => {
  const clean = text.replace(/"/g, "'");
  return `"${clean.length <= 128 ? clean : `${clean.slice(0, 125)}...`}"`;
};

/** A set or map block as `nft list ruleset` prints it. */
function setBlock(kind: 'set' | 'map', name: string, type: string, flags: string | null, elements: readonly string[]): string[] {
  const out = [`\t${kind} ${name} {`, `\t\ttype ${type}`];
  if (flags) out.push(`\t\tflags ${flags}`);
  if (elements.length > 0) out.push(`\t\telements = { ${elements.join(',\n\t\t\t     ')} }`);
  out.push('\t}');
  return out;
}

/** Sort key of an address or CIDR, so set elements print in nft's (numeric) order. */
function addressKey(text: string): bigint {
  return parseCidrText(text.includes('/') ? text : `${text}/${text.includes(':') ? 128 : 32}`).network;
}
const byAddress = (a: string, b: string): number => {
  const x = addressKey(a);
  const y = addressKey(b);
  return x < y ? -1 : x > y ? 1 : 0;
};

interface FamilyWriter {
  readonly family: IpFamily;
  /** `ip` or `ip6`, as in `ip saddr`. */
  readonly ip: string;
  readonly addrType: string;
  readonly sets: string[];
  readonly chains: Map<string, string[]>;
}

/** The protocol and port match; a named port's protocol is part of its set lookup (namedPortMatch). */
function protoMatch(m: RuleMatch): string {
  if (m.protocol === null || typeof m.port === 'string') return '';
  const proto = m.protocol.toLowerCase();
  if (m.port === null) return `meta l4proto ${proto} `;
  if (m.endPort !== null && m.endPort !== m.port) return `${proto} dport ${m.port}-${m.endPort} `;
  return `${proto} dport ${m.port} `;
}

/** The named-port set name of `name` (all protocols: the set's elements carry them). */
function namedPortSet(w: FamilyWriter, name: string): string {
  return `npe${w.family}0n-${name}`;
}

function renderNamedPortSets(t: CompiledTables, w: FamilyWriter, names: ReadonlySet<string>): void {
  for (const name of [...names].sort()) {
    const elements: string[] = [];
    for (const pod of t.endpointPods) {
      for (const port of pod.containerPorts) {
        if (port.name !== name) continue;
        for (const ip of podIps(pod, w.family)) elements.push(`${ip} . ${port.protocol.toLowerCase()} . ${port.containerPort}`);
      }
    }
    w.sets.push(...setBlock('set', namedPortSet(w, name), `${w.addrType} . inet_proto . inet_service`, null, [...new Set(elements)]));
  }
}

function selectorSet(t: CompiledTables, w: FamilyWriter, tag: string, s: number): void {
  const identities = new Set(flatBitsetMembers(t.selectorBits, s * t.selectorWords, t.selectorWords));
  const elements: string[] = [];
  t.endpointPods.forEach((pod, e) => {
    if (identities.has(t.endpointIdentity[e] as number)) elements.push(...podIps(pod, w.family));
  });
  w.sets.push(...setBlock('set', `npe${w.family}0${tag}s-${s}`, w.addrType, null, elements.sort(byAddress)));
}

/** The sets of one CIDR set id: its CIDR, and its excepts when there are any. */
function cidrSets(t: CompiledTables, w: FamilyWriter, tag: string, c: number): void {
  const source = t.cidrSetSources[c];
  if (!source || source.cidr.includes(':') !== (w.family === 6)) return;
  // A host prefix lists as the bare address: write it so, and the rendering reads as its round trip.
  const element = (cidr: string): string => cidr.replace(w.family === 4 ? /\/32$/ : /\/128$/, '');
  w.sets.push(...setBlock('set', `npe${w.family}0${tag}c-${c}`, w.addrType, 'interval', [element(source.cidr)]));
  if (source.except.length > 0) w.sets.push(...setBlock('set', `npe${w.family}0${tag}x-${c}`, w.addrType, 'interval', outermostCidrs(source.except).sort(byAddress).map(element)));
}

/** The peer match of a rule, or null when the peer cannot match in this family. */
function peerMatch(t: CompiledTables, w: FamilyWriter, tag: string, m: RuleMatch, direction: 'ingress' | 'egress', cidrSet = m.peerArg): string | null {
  const field = `${w.ip} ${direction === 'egress' ? 'daddr' : 'saddr'}`;
  if (m.peerKind === PEER_KIND.SELECTOR) return `${field} @npe${w.family}0${tag}s-${m.peerArg} `;
  if (m.peerKind !== PEER_KIND.CIDR_SET) return '';
  const source = t.cidrSetSources[cidrSet];
  if (!source || source.cidr.includes(':') !== (w.family === 6)) return null;
  return `${field} @npe${w.family}0${tag}c-${cidrSet} ${source.except.length > 0 ? `${field} != @npe${w.family}0${tag}x-${cidrSet} ` : ''}`;
}

/**
 * `daddr . meta l4proto . <proto> dport @set`: nft prints a NetworkPolicy named port's `th dport`
 * behind its protocol dependency as `tcp dport`, so we write it that way; an admin-tier named
 * port has no protocol of its own and keeps `th dport` (the set's elements carry the protocol).
 */
function namedPortMatch(w: FamilyWriter, m: RuleMatch): string {
  if (typeof m.port !== 'string') return '';
  return `${w.ip} daddr . meta l4proto . ${m.protocol === null ? 'th' : m.protocol.toLowerCase()} dport @${namedPortSet(w, m.port)} `;
}

/** One tier of cluster-scoped policies: its policies' chains and the ids of their rules. */
interface Tier {
  readonly name: string;
  readonly tag: string;
  readonly tier: CompiledTier;
  readonly chains: Map<string, number[]>;
}

/** Upper case: no namespace (a lower-case DNS label) can make a NetworkPolicy chain of the same name. */
const TIER_POLICY_PREFIX: Readonly<Record<string, string>> = { AdminNetworkPolicy: 'ANP.', BaselineAdminNetworkPolicy: 'BANP.', ClusterNetworkPolicy: 'CNP.' };

function tierPolicyChain(direction: 'ingress' | 'egress', policy: string): string {
  const [kind, name] = policy.split('/') as [string, string];
  return chainName(direction === 'egress' ? 'po-' : 'pi-', `${TIER_POLICY_PREFIX[kind] ?? ''}${name}`);
}

function tiersOf(t: CompiledTables): Tier[] {
  const tiers: Tier[] = [];
  for (const [name, tier, tag] of [['adminnetworkpolicy', t.admin, 'a'], ['baselineadminnetworkpolicy', t.baseline, 'b']] as const) {
    if (!tier) continue;
    const chains = new Map<string, number[]>();
    tier.tables.rules.forEach((ref, id) => {
      const key = `${ref.direction}|${rulePolicyName(ref)}`;
      chains.set(key, [...(chains.get(key) ?? []), id]);
    });
    // A policy without rules in a direction still isolates: its chain is empty.
    for (const table of tier.tables.tables) for (const policy of table.policies) if (!chains.has(`${table.direction}|${policy}`)) chains.set(`${table.direction}|${policy}`, []);
    tiers.push({ name, tag, tier, chains });
  }
  return tiers;
}

function renderTierSets(w: FamilyWriter, tier: Tier, namedPorts: Set<string>): void {
  const tt = tier.tier.tables;
  const selectors = new Set<number>();
  const cidrs = new Set<number>();
  for (const ids of tier.chains.values()) {
    for (const id of ids) {
      const m = tt.ruleMatches[id];
      if (!m) continue;
      if (m.peerKind === PEER_KIND.SELECTOR) selectors.add(m.peerArg);
      // A networks or nodes peer may be several CIDR sets: the table entries carry them all.
      if (m.peerKind === PEER_KIND.CIDR_SET) for (let e = 0; e < tt.entryRule.length; e++) if (tt.entryRule[e] === id && tt.entryPeerKind[e] === PEER_KIND.CIDR_SET) cidrs.add(tt.entryPeerArg[e] as number);
      if (typeof m.port === 'string') namedPorts.add(m.port);
    }
  }
  for (const s of [...selectors].sort((a, b) => a - b)) selectorSet(tt, w, tier.tag, s);
  for (const c of [...cidrs].sort((a, b) => a - b)) cidrSets(tt, w, tier.tag, c);
}

/** A tier policy chain: Allow marks accept and returns, Deny drops, Pass marks pass and returns. */
function renderTierPolicies(w: FamilyWriter, tier: Tier): void {
  const tt = tier.tier.tables;
  for (const key of [...tier.chains.keys()].sort()) {
    const [direction, policy] = key.split('|') as ['ingress' | 'egress', string];
    const rules: string[] = [];
    for (const id of tier.chains.get(key) ?? []) {
      const m = tt.ruleMatches[id];
      const ref = tt.rules[id];
      if (!m || !ref) continue;
      const action = tier.tier.ruleAction[id];
      const verdict = action === TIER_ACTION.ALLOW ? SET_ACCEPT : action === TIER_ACTION.DENY ? 'drop' : SET_PASS;
      const peers: string[] = [];
      if (m.peerKind === PEER_KIND.CIDR_SET) {
        for (let e = 0; e < tt.entryRule.length; e++) {
          if (tt.entryRule[e] !== id || tt.entryPeerKind[e] !== PEER_KIND.CIDR_SET) continue;
          const peer = peerMatch(tt, w, tier.tag, m, direction, tt.entryPeerArg[e] as number);
          if (peer !== null && !peers.includes(peer)) peers.push(peer);
        }
      } else {
        const peer = peerMatch(tt, w, tier.tag, m, direction);
        if (peer !== null) peers.push(peer);
      }
      for (const peer of peers) {
        rules.push(`${protoMatch(m)}${peer}${namedPortMatch(w, m)}${verdict} comment ${quote(`rule ${id}: ${formatRuleRef(ref)}`)}`);
        if (action !== TIER_ACTION.DENY) rules.push(`meta mark & ${hex(ACCEPT | PASS)} != ${hex(0)} return`);
      }
    }
    w.chains.set(tierPolicyChain(direction, policy), rules);
  }
}

function tierJumps(tier: Tier, direction: 'ingress' | 'egress', e: number, rules: string[]): void {
  const tt = tier.tier.tables;
  const table = (direction === 'egress' ? tt.endpointEgressTable : tt.endpointIngressTable)[e] as number;
  if (table < 0) return;
  rules.push(`${CLEAR_PASS} comment ${quote(`Start of tier ${tier.name}`)}`);
  for (const policy of tt.tables[table]?.policies ?? []) {
    rules.push(`${MARK_NOT_PASSED} jump ${tierPolicyChain(direction, policy)}`);
    rules.push(`${MARK_ACCEPTED} return comment "Return if policy accepted"`);
  }
}

function renderFamily(t: CompiledTables, family: IpFamily, wanted: ReadonlySet<string> | null): string {
  const w: FamilyWriter = { family, ip: family === 4 ? 'ip' : 'ip6', addrType: family === 4 ? 'ipv4_addr' : 'ipv6_addr', sets: [], chains: new Map() };
  const endpoints = t.endpointPods
    .map((pod, e) => ({ pod, e, name: `${pod.namespace}/${pod.name}` }))
    .filter(({ pod, name }) => podIps(pod, family).length > 0 && (wanted === null || wanted.has(name)));
  const policyRules = new Map<string, number[]>();
  t.rules.forEach((ref, id) => {
    const key = `${ref.direction}|${ref.policyNamespace}/${ref.policyName}`;
    policyRules.set(key, [...(policyRules.get(key) ?? []), id]);
  });
  const needed = new Set<string>();
  for (const { e } of endpoints) {
    for (const table of [t.endpointIngressTable[e] as number, t.endpointEgressTable[e] as number]) {
      if (table >= 0) for (const policy of t.tables[table]?.policies ?? []) needed.add(`${t.tables[table]?.direction}|${policy}`);
    }
  }
  const selectors = new Set<number>();
  const cidrs = new Set<number>();
  const namedPorts = new Set<string>();
  for (const key of needed) {
    for (const id of policyRules.get(key) ?? []) {
      const m = t.ruleMatches[id];
      if (m?.peerKind === PEER_KIND.SELECTOR) selectors.add(m.peerArg);
      if (m?.peerKind === PEER_KIND.CIDR_SET) cidrs.add(m.peerArg);
      if (typeof m?.port === 'string') namedPorts.add(m.port);
    }
  }
  for (const s of [...selectors].sort((a, b) => a - b)) selectorSet(t, w, '', s);
  for (const c of [...cidrs].sort((a, b) => a - b)) cidrSets(t, w, '', c);
  const tiers = tiersOf(t);
  for (const tier of tiers) renderTierSets(w, tier, namedPorts);
  renderNamedPortSets(t, w, namedPorts);

  const dispatch = { egress: [] as string[], ingress: [] as string[] };
  w.chains.set('filter-FORWARD', ['type filter hook forward priority filter; policy accept;', 'jump filter-npe-FORWARD']);
  w.chains.set('filter-npe-FORWARD', ['jump filter-npe-from-wl-dispatch', 'jump filter-npe-to-wl-dispatch', `${MARK_ACCEPTED} accept comment "Policy explicitly accepted packet."`]);
  w.chains.set('filter-npe-from-wl-dispatch', [`${w.ip} saddr vmap @filter-npe-from-wl-dispatch`]);
  w.chains.set('filter-npe-to-wl-dispatch', [`${w.ip} daddr vmap @filter-npe-to-wl-dispatch`]);
  const profiles = new Set<string>();
  for (const { pod, e, name } of endpoints) {
    for (const direction of ['egress', 'ingress'] as const) {
      const chain = chainName(direction === 'egress' ? 'fw-' : 'tw-', name);
      for (const ip of podIps(pod, family)) dispatch[direction].push(`${ip} : goto ${chain}`);
      const rules = ['ct state established,related accept', 'ct state invalid drop', CLEAR_BOTH];
      if (direction === 'ingress' && pod.hostIP && pod.hostIP.family === family) rules.push(`${w.ip} saddr ${pod.hostIP.text} accept comment "traffic from the pod's own node is always allowed"`);
      const admin = tiers.find((tier) => tier.tag === 'a');
      if (admin) tierJumps(admin, direction, e, rules);
      const table = (direction === 'egress' ? t.endpointEgressTable : t.endpointIngressTable)[e] as number;
      const baseline = tiers.find((tier) => tier.tag === 'b');
      if (table < 0 && baseline) tierJumps(baseline, direction, e, rules);
      if (table >= 0) {
        rules.push(`${CLEAR_PASS} comment "Start of tier default"`);
        for (const policy of t.tables[table]?.policies ?? []) {
          rules.push(`${MARK_NOT_PASSED} jump ${chainName(direction === 'egress' ? 'po-' : 'pi-', policy)}`);
          rules.push(`${MARK_ACCEPTED} return comment "Return if policy accepted"`);
        }
        rules.push(`${MARK_NOT_PASSED} drop comment "Drop if no policies passed packet"`);
      } else {
        const profile = chainName(direction === 'egress' ? 'pro-' : 'pri-', `kns.${pod.namespace}`);
        profiles.add(profile);
        rules.push(`jump ${profile}`, `${MARK_ACCEPTED} return comment "Return if profile accepted"`, 'drop comment "Drop if no profiles matched"');
      }
      w.chains.set(chain, rules);
    }
  }
  for (const key of [...needed].sort()) {
    const [direction, policy] = key.split('|') as ['ingress' | 'egress', string];
    const rules: string[] = [];
    for (const id of policyRules.get(key) ?? []) {
      const m = t.ruleMatches[id];
      const ref = t.rules[id];
      if (!m || !ref) continue;
      const peer = peerMatch(t, w, '', m, direction);
      if (peer === null) continue;
      rules.push(`${protoMatch(m)}${peer}${namedPortMatch(w, m)}${SET_ACCEPT} comment ${quote(`rule ${id}: ${formatRuleRef(ref)}`)}`);
      rules.push(`${MARK_ACCEPTED} return`);
    }
    w.chains.set(chainName(direction === 'egress' ? 'po-' : 'pi-', policy), rules);
  }
  for (const tier of tiers) renderTierPolicies(w, tier);
  for (const profile of [...profiles].sort()) w.chains.set(profile, [`${SET_ACCEPT} comment "namespace profile: not isolated, allow"`, 'return']);

  const lines = [`table ${w.ip} npe {`];
  lines.push(...setBlock('map', 'filter-npe-from-wl-dispatch', `${w.addrType} : verdict`, null, dispatch.egress));
  lines.push(...setBlock('map', 'filter-npe-to-wl-dispatch', `${w.addrType} : verdict`, null, dispatch.ingress));
  lines.push(...w.sets);
  for (const [chain, rules] of w.chains) {
    lines.push('', `\tchain ${chain} {`);
    const [head, ...rest] = rules;
    if (chain === 'filter-FORWARD' && head !== undefined) lines.push(`\t\t${head}`, ...rest.map((r) => `\t\t${r}`));
    else lines.push(...rules.map((r) => `\t\t${r}`));
    lines.push('\t}');
  }
  lines.push('}');
  return lines.join('\n');
}

/**
 * Calico's nftables shape of the compiled tables: one `nft -f` part holding `table ip npe` and
 * `table ip6 npe` for the families the pods use. `pods` (`ns/name`) limits the endpoints.
 */
export function renderNftables(t: CompiledTables, pods?: readonly string[]): KernelRuleset {
  const wanted = pods && pods.length > 0 ? new Set(pods) : null;
  const families = ([4, 6] as const).filter((f) => t.endpointPods.some((pod) => podIps(pod, f).length > 0));
  const text = (families.length > 0 ? families : ([4] as const)).map((f) => renderFamily(t, f, wanted)).join('\n');
  return { shape: 'nftables', profile: 'calico', parts: [{ loader: 'nft', fileName: 'ruleset.nft', text: `${text}\n` }] };
}
