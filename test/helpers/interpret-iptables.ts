/**
 * A small interpreter of `ipset save` + `iptables-save` text, for the first packet of a
 * forwarded connection (conntrack NEW): it walks the filter table from FORWARD through jumps,
 * RETURNs and marks, with ipset matching as the kernel does it (hash:net: the longest prefix
 * containing the address decides, and a `nomatch` entry means no match). It knows only the
 * matches and targets the kube-router rendering writes and throws on anything else, so the
 * rendering's semantics can be checked against the emulator without a kernel. Shares nothing
 * with the compiler or the renderers.
 */

export interface NewPacket {
  readonly family: 4 | 6;
  readonly src: string;
  readonly dst: string;
  readonly protocol: number;
  readonly dstPort: number;
  /** ICMP(v6) type, for protocols 1 and 58. */
  readonly icmpType?: number;
}

export type Outcome = 'ACCEPT' | 'DROP' | 'REJECT';

interface Entry {
  readonly network: bigint;
  readonly prefix: number;
  readonly nomatch: boolean;
}

const PROTOCOLS: Readonly<Record<string, number>> = { tcp: 6, udp: 17, sctp: 132, icmp: 1, 'ipv6-icmp': 58 };

function parseAddress(text: string): { family: 4 | 6; value: bigint } {
  if (!text.includes(':')) return { family: 4, value: text.split('.').reduce((v, o) => (v << 8n) | BigInt(Number(o)), 0n) };
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...left, ...Array.from({ length: 8 - left.length - right.length }, () => '0'), ...right];
  return { family: 6, value: groups.reduce((v, g) => (v << 16n) | BigInt(parseInt(g, 16)), 0n) };
}

function parseCidr(text: string): { family: 4 | 6; network: bigint; prefix: number } {
  const [address = '', prefix] = text.split('/');
  const parsed = parseAddress(address);
  return { family: parsed.family, network: parsed.value, prefix: prefix === undefined ? (parsed.family === 4 ? 32 : 128) : Number(prefix) };
}

function inCidr(address: { family: 4 | 6; value: bigint }, cidr: { family: 4 | 6; network: bigint; prefix: number }): boolean {
  if (address.family !== cidr.family) return false;
  const shift = BigInt((cidr.family === 4 ? 32 : 128) - cidr.prefix);
  return address.value >> shift === cidr.network >> shift;
}

function tokenize(line: string): string[] {
  const tokens: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  for (let m = re.exec(line); m !== null; m = re.exec(line)) tokens.push(m[1] ?? m[2] ?? '');
  return tokens;
}

export class IptablesInterpreter {
  private readonly sets = new Map<string, { type: string; entries: Entry[] }>();
  private readonly chains = new Map<string, string[][]>();

  constructor(ipsetSave: string, iptablesSave: string) {
    for (const line of ipsetSave.split('\n')) {
      const [verb, name, ...rest] = line.split(' ');
      if (verb === 'create' && name) this.sets.set(name, { type: rest[0] ?? '', entries: [] });
      if (verb === 'add' && name && rest[0]) {
        const cidr = parseCidr(rest[0]);
        this.sets.get(name)?.entries.push({ network: cidr.network, prefix: cidr.prefix, nomatch: rest.includes('nomatch') });
      }
    }
    for (const line of iptablesSave.split('\n')) {
      if (line.startsWith(':')) this.chains.set(line.slice(1).split(' ')[0] as string, []);
      if (line.startsWith('-A ')) {
        const tokens = tokenize(line);
        this.chains.get(tokens[1] as string)?.push(tokens.slice(2));
      }
    }
  }

  private setMatches(name: string, address: string): boolean {
    const set = this.sets.get(name);
    if (!set) throw new Error(`unknown ipset ${name}`);
    const a = parseAddress(address);
    let best: Entry | null = null;
    for (const entry of set.entries) {
      if (inCidr(a, { family: a.family, network: entry.network, prefix: entry.prefix }) && (best === null || entry.prefix > best.prefix)) best = entry;
    }
    return best !== null && !best.nomatch;
  }

  /** Whether every match of `rule` (tokens before `-j`) holds; returns the target tokens. */
  private matches(rule: readonly string[], p: NewPacket, mark: number): { matched: boolean; target: string[] } {
    let i = 0;
    let matched = true;
    let negate = false;
    const proto = Object.entries(PROTOCOLS).find(([, n]) => n === p.protocol)?.[0];
    while (i < rule.length && rule[i] !== '-j') {
      const t = rule[i] as string;
      const next = rule[i + 1] as string;
      let ok: boolean;
      if (t === '!') {
        negate = true;
        i++;
        continue;
      }
      if (t === '-s' || t === '-d') {
        ok = inCidr(parseAddress(t === '-s' ? p.src : p.dst), parseCidr(next));
        i += 2;
      } else if (t === '-p') {
        ok = proto === next;
        i += 2;
      } else if (t === '-m') {
        i += 2;
        continue;
      } else if (t === '--comment' || t === '--limit' || t === '--limit-burst') {
        i += 2;
        continue;
      } else if (t === '--match-set') {
        ok = this.setMatches(next, rule[i + 2] === 'src' ? p.src : p.dst);
        i += 3;
      } else if (t === '--dport') {
        const [low, high] = next.split(':').map(Number);
        ok = p.dstPort >= (low as number) && p.dstPort <= (high ?? (low as number));
        i += 2;
      } else if (t === '--mark') {
        const [value, mask] = next.split('/').map((x) => Number.parseInt(x, 16));
        ok = (mark & (mask as number)) === value;
        i += 2;
      } else if (t === '--ctstate') {
        ok = next.split(',').includes('NEW');
        i += 2;
      } else if (t === '--icmp-type' || t === '--icmpv6-type') {
        ok = p.icmpType === Number(next);
        i += 2;
      } else if (t === '--physdev-is-bridged') {
        // Routed lab traffic is never bridged.
        ok = false;
        i += 1;
      } else throw new Error(`interpret-iptables: unknown match ${t} in ${rule.join(' ')}`);
      if (negate ? ok : !ok) matched = false;
      negate = false;
    }
    return { matched, target: rule.slice(i + 1) };
  }

  /** The fate of the packet entering FORWARD (with a default policy of ACCEPT). */
  forward(p: NewPacket): Outcome {
    let mark = 0;
    const walk = (chain: string, depth: number): Outcome | 'RETURN' => {
      if (depth > 16) throw new Error('jump loop');
      for (const rule of this.chains.get(chain) ?? []) {
        const { matched, target } = this.matches(rule, p, mark);
        if (!matched) continue;
        const [verb, ...args] = target;
        if (verb === 'ACCEPT' || verb === 'DROP' || verb === 'REJECT') return verb;
        if (verb === 'RETURN') return 'RETURN';
        if (verb === 'NFLOG') continue;
        if (verb === 'MARK') {
          const [value, mask] = (args[1] as string).split('/').map((x) => Number.parseInt(x, 16));
          mark = (mark & ~(mask as number)) | (value as number);
          continue;
        }
        if (verb && this.chains.has(verb)) {
          const result = walk(verb, depth + 1);
          if (result !== 'RETURN') return result;
          continue;
        }
        throw new Error(`interpret-iptables: unknown target ${target.join(' ')}`);
      }
      return 'RETURN';
    };
    const result = walk('FORWARD', 0);
    return result === 'RETURN' ? 'ACCEPT' : result;
  }
}
