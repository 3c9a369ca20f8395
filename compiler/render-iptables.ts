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
 */
import type { IpFamily, Pod } from './model.js';
import { flatBitsetMembers } from './bitset.js';
import { PEER_KIND, type CompiledTables, type RuleMatch } from './tables.js';
import { formatRuleRef } from './verdict.js';
import { selectorSourceText } from './describe-selector.js';

const MAX_CHAIN = 28; // iptables' chain name limit

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

export function renderIptables(t: CompiledTables, pods?: readonly string[]): string {
  const wanted = pods && pods.length > 0 ? new Set(pods) : null;
  const families: IpFamily[] = [4, 6].filter((f) => t.endpointPods.some((pod) => pod.ips.some((ip) => ip.family === f))) as IpFamily[];
  if (families.length === 0) families.push(4);
  const out: string[] = [];
  for (const family of families) out.push(...renderFamily(t, family, wanted));
  return `${out.join('\n')}\n`;
}

function renderFamily(t: CompiledTables, family: IpFamily, wanted: Set<string> | null): string[] {
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
  const tool = family === 4 ? 'iptables' : 'ip6tables';
  lines.push(`# netpol-emu: Calico-style rendering for IPv${family} (prefix npe- in place of cali-)`);
  lines.push(`# ipset save`);
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
    lines.push(`create ${setPrefix}-s:${s} hash:ip family ${inet}${source ? ` comment "${selectorSourceText(source).replace(/"/g, "'")}"` : ''}`);
    const identities = new Set(flatBitsetMembers(t.selectorBits, s * t.selectorWords, t.selectorWords));
    t.endpointPods.forEach((pod, e) => {
      if (identities.has(t.endpointIdentity[e] as number)) for (const ip of podIps(pod, family)) lines.push(`add ${setPrefix}-s:${s} ${ip}`);
    });
  }
  for (const c of [...usedCidrSets].sort((a, b) => a - b)) {
    const source = t.cidrSetSources[c];
    if (!source) continue;
    const isFamily = source.cidr.includes(':') === (family === 6);
    lines.push(`create ${setPrefix}-n:${c} hash:net family ${inet}`);
    if (isFamily) lines.push(`add ${setPrefix}-n:${c} ${source.cidr}`);
    lines.push(`create ${setPrefix}-x:${c} hash:net family ${inet}`);
    if (isFamily) for (const except of source.except) lines.push(`add ${setPrefix}-x:${c} ${except}`);
  }
  for (const named of [...usedNamedPorts].sort()) {
    const [name, proto] = named.split('.');
    lines.push(`create ${setPrefix}-np:${named} hash:ip,port family ${inet}`);
    t.endpointPods.forEach((pod) => {
      for (const port of pod.containerPorts) {
        if (port.name === name && port.protocol.toLowerCase() === proto) for (const ip of podIps(pod, family)) lines.push(`add ${setPrefix}-np:${named} ${ip},${proto}:${port.containerPort}`);
      }
    });
  }

  lines.push(`# ${tool}-save`, '*filter');
  const chains: string[] = ['npe-FORWARD', 'npe-from-wl-dispatch', 'npe-to-wl-dispatch'];
  const rules: string[] = [
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
        rules.push(direction === 'egress' ? `-A npe-from-wl-dispatch -s ${ip} -m comment --comment "${name}" -g ${chain}` : `-A npe-to-wl-dispatch -d ${ip} -m comment --comment "${name}" -g ${chain}`);
      }
      rules.push(`-A ${chain} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`);
      rules.push(`-A ${chain} -m conntrack --ctstate INVALID -j DROP`);
      rules.push(`-A ${chain} -j MARK --set-xmark 0x0/0x30000`);
      if (direction === 'ingress' && pod.hostIP && pod.hostIP.family === family) {
        rules.push(`-A ${chain} -s ${pod.hostIP.text} -m comment --comment "traffic from the pod's own node is always allowed" -j ACCEPT`);
      }
      const table = (direction === 'egress' ? t.endpointEgressTable : t.endpointIngressTable)[e] as number;
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
      rules.push(`-A ${chain} ${portMatch(m, setPrefix)}${peer}-m comment --comment "rule ${id}: ${formatRuleRef(ref)}" -j MARK --set-xmark 0x10000/0x10000`);
      rules.push(`-A ${chain} -m mark --mark 0x10000/0x10000 -j RETURN`);
    }
  }
  for (const profile of [...profiles].sort()) {
    chains.push(profile);
    rules.push(`-A ${profile} -m comment --comment "namespace profile: not isolated, allow" -j MARK --set-xmark 0x10000/0x10000`);
    rules.push(`-A ${profile} -j RETURN`);
  }
  for (const chain of chains) lines.push(`:${chain} - [0:0]`);
  lines.push(...rules, 'COMMIT');
  return lines;
}
