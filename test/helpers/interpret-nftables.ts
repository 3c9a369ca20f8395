/**
 * A small interpreter of `nft list ruleset` text for the first packet of a forwarded connection
 * (ct state new): from the base chain with `hook forward` through jumps, gotos (verdict maps),
 * returns and marks, with set membership as the kernel does it (interval sets: any element
 * containing the address; concatenations: address . protocol . port). It knows only the
 * statements the nftables rendering writes and throws on anything else, so the rendering's
 * semantics can be checked against the emulator without a kernel. Shares nothing with the
 * compiler or the renderers.
 */
import type { NewPacket, Outcome } from './interpret-iptables.js';

const PROTOCOLS: Readonly<Record<string, number>> = { tcp: 6, udp: 17, sctp: 132, icmp: 1, icmpv6: 58 };

function parseAddress(text: string): { family: 4 | 6; value: bigint } {
  if (!text.includes(':')) return { family: 4, value: text.split('.').reduce((v, o) => (v << 8n) | BigInt(Number(o)), 0n) };
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...left, ...Array.from({ length: 8 - left.length - right.length }, () => '0'), ...right];
  return { family: 6, value: groups.reduce((v, g) => (v << 16n) | BigInt(parseInt(g, 16)), 0n) };
}

function inPrefix(address: string, element: string): boolean {
  const [net = '', prefix] = element.split('/');
  const a = parseAddress(address);
  const n = parseAddress(net);
  if (a.family !== n.family) return false;
  const bits = a.family === 4 ? 32 : 128;
  const shift = BigInt(bits - (prefix === undefined ? bits : Number(prefix)));
  return a.value >> shift === n.value >> shift;
}

interface Block {
  readonly kind: 'set' | 'map' | 'chain';
  readonly lines: string[];
  elements: string[];
}

export class NftablesInterpreter {
  private readonly blocks = new Map<string, Block>();
  private readonly hook: string;

  /** `table` is e.g. `ip npe`: the table whose forward hook is walked. */
  constructor(listing: string, table: string) {
    const body = listing.replace(/elements = \{([^}]*)\}/g, (_, e: string) => `elements = {${e.replace(/\s+/g, ' ')}}`);
    let inTable = false;
    let current: Block | null = null;
    let hook = '';
    for (const raw of body.split('\n')) {
      const line = raw.trim();
      if (line.startsWith('table ')) inTable = line === `table ${table} {`;
      if (!inTable || line === '') continue;
      const head = /^(set|map|chain) (\S+) \{$/.exec(line);
      if (head) {
        current = { kind: head[1] as Block['kind'], lines: [], elements: [] };
        this.blocks.set(`${head[1]} ${head[2]}`, current);
        continue;
      }
      if (line === '}') {
        current = null;
        continue;
      }
      if (!current) continue;
      if (line.startsWith('elements = {')) current.elements = line.slice('elements = {'.length, -1).split(',').map((e) => e.trim());
      else if (line.startsWith('type filter hook forward')) hook = [...this.blocks].find(([, b]) => b === current)?.[0].slice('chain '.length) ?? '';
      else if (current.kind === 'chain') current.lines.push(line);
    }
    this.hook = hook;
  }

  private set(name: string): Block {
    const block = this.blocks.get(`set ${name}`) ?? this.blocks.get(`map ${name}`);
    if (!block) throw new Error(`interpret-nftables: unknown set ${name}`);
    return block;
  }

  /** The value of a packet field (`ip saddr`, `meta l4proto`, `tcp dport`, `th dport`), or null when the header is absent. */
  private field(p: NewPacket, family: string, name: string): string | null {
    if (family === 'ip' || family === 'ip6') return name === 'saddr' ? p.src : p.dst;
    if (family === 'meta' && name === 'l4proto') return Object.entries(PROTOCOLS).find(([, n]) => n === p.protocol)?.[0] ?? String(p.protocol);
    if (family === 'th' && name === 'dport') return p.protocol === 6 || p.protocol === 17 || p.protocol === 132 ? String(p.dstPort) : null;
    if (PROTOCOLS[family] !== undefined && name === 'dport') return PROTOCOLS[family] === p.protocol ? String(p.dstPort) : null;
    throw new Error(`interpret-nftables: unknown field ${family} ${name}`);
  }

  private run(p: NewPacket, mark: { value: number }, chain: string, depth: number): Outcome | 'RETURN' {
    if (depth > 16) throw new Error('jump loop');
    const block = this.blocks.get(`chain ${chain}`);
    if (!block) throw new Error(`interpret-nftables: unknown chain ${chain}`);
    rules: for (const line of block.lines) {
      const t = line.replace(/ comment "[^"]*"$/, '').split(' ');
      let i = 0;
      while (i < t.length) {
        const word = t[i] as string;
        if (word === 'accept') return 'ACCEPT';
        if (word === 'drop') return 'DROP';
        if (word === 'return') return 'RETURN';
        if (word === 'jump' || word === 'goto') {
          const result = this.run(p, mark, t[i + 1] as string, depth + 1);
          if (result !== 'RETURN' || word === 'goto') return result;
          continue rules;
        }
        if (word === 'ct' && t[i + 1] === 'state') {
          if (!(t[i + 2] as string).split(',').includes('new')) continue rules;
          i += 3;
        } else if (word === 'meta' && t[i + 1] === 'mark' && t[i + 2] === 'set') {
          const value = Number.parseInt(t[i + 6] as string, 16);
          mark.value = t[i + 5] === '|' ? (mark.value | value) >>> 0 : (mark.value & value) >>> 0;
          i += 7;
        } else if (word === 'meta' && t[i + 1] === 'mark' && t[i + 2] === '&') {
          const masked = (mark.value & Number.parseInt(t[i + 3] as string, 16)) >>> 0;
          const value = Number.parseInt(t[i + 5] as string, 16);
          if ((t[i + 4] === '==') !== (masked === value)) continue rules;
          i += 6;
        } else if (t[i + 2] === '.') {
          // A concatenation: `ip daddr . meta l4proto . tcp dport @set`.
          const parts: (string | null)[] = [];
          let j = i;
          for (;;) {
            parts.push(this.field(p, t[j] as string, t[j + 1] as string));
            if (t[j + 2] !== '.') break;
            j += 3;
          }
          const set = (t[j + 2] as string).slice(1);
          if (parts.includes(null) || !this.set(set).elements.includes(parts.join(' . '))) continue rules;
          i = j + 3;
        } else if (t[i + 2] === 'vmap') {
          const key = this.field(p, word, t[i + 1] as string);
          const element = this.set((t[i + 3] as string).slice(1)).elements.find((e) => e.split(' : ')[0] === key);
          if (!element) continue rules;
          const [verb, target] = (element.split(' : ')[1] as string).split(' ');
          const result = this.run(p, mark, target as string, depth + 1);
          if (verb === 'goto' || result !== 'RETURN') return result;
          continue rules;
        } else {
          const value = this.field(p, word, t[i + 1] as string);
          const negate = t[i + 2] === '!=';
          const operand = t[negate ? i + 3 : i + 2] as string;
          let ok: boolean;
          if (value === null) ok = false;
          else if (operand.startsWith('@')) ok = this.set(operand.slice(1)).elements.some((e) => inPrefix(value, e));
          else if (/^\d+-\d+$/.test(operand)) {
            const [low, high] = operand.split('-').map(Number);
            ok = Number(value) >= (low as number) && Number(value) <= (high as number);
          } else if (word === 'ip' || word === 'ip6') ok = inPrefix(value, operand);
          else ok = value === operand;
          if (negate ? ok || value === null : !ok) continue rules;
          i += negate ? 4 : 3;
        }
      }
    }
    return 'RETURN';
  }

  /** The fate of the packet in the forward hook (policy accept). */
  forward(p: NewPacket): Outcome {
    if (this.hook === '') return 'ACCEPT';
    const result = this.run(p, { value: 0 }, this.hook, 0);
    return result === 'RETURN' ? 'ACCEPT' : result;
  }
}
