/**
 * A rendering and what `ipset save` / `iptables-save` print after loading it, brought to one
 * form: the kernel's. The differences are only of spelling: the kernel writes a host address
 * with its prefix (`-s 10.0.0.1/32`), names the protocol match it loads for a port (`-p tcp -m
 * tcp --dport 80`), lists an inserted rule as appended, masks a network (`10.0.0.5/24` is
 * 10.0.0.0/24), drops `/32` and `/128` in sets, adds set parameters (hashsize, maxelem…) and
 * escapes a `'` in a comment.
 */

function maskedNetwork(address: string, prefix: number): string {
  if (!address.includes(':')) {
    const value = address.split('.').reduce((n, part) => (n << 8n) | BigInt(Number(part)), 0n);
    const masked = prefix === 0 ? 0n : (value >> BigInt(32 - prefix)) << BigInt(32 - prefix);
    return [24n, 16n, 8n, 0n].map((shift) => String((masked >> shift) & 255n)).join('.');
  }
  const host = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const [head = '', tail] = host.split('::');
  const groups = [...(head ? head.split(':') : []), ...Array<string>(tail === undefined ? 0 : 8 - (head ? head.split(':').length : 0) - (tail ? tail.split(':').length : 0)).fill('0'), ...(tail ? tail.split(':') : [])];
  const value = groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
  const masked = prefix === 0 ? 0n : (value >> BigInt(128 - prefix)) << BigInt(128 - prefix);
  const words = Array.from({ length: 8 }, (_, i) => ((masked >> BigInt(112 - 16 * i)) & 0xffffn).toString(16)).join(':');
  return new URL(`http://[${words}]/`).hostname.slice(1, -1);
}

/** An address or network as the kernel prints it in a set (no /32 or /128). */
function setEntry(text: string): string {
  const [address = '', prefixText] = text.split('/');
  const full = address.includes(':') ? 128 : 32;
  const prefix = prefixText === undefined ? full : Number(prefixText);
  const network = maskedNetwork(address, prefix);
  return prefix === full ? network : `${network}/${prefix}`;
}

/** `create`/`add` lines → set name → its header (type, family, comment flag) and sorted entries. */
export function normaliseIpset(text: string): Map<string, { header: string; entries: string[] }> {
  const sets = new Map<string, { header: string; entries: string[] }>();
  for (const line of text.split('\n')) {
    const words: string[] = line.match(/"[^"]*"|\S+/g) ?? [];
    if (words[0] === 'create') {
      const family = words[words.indexOf('family') + 1];
      sets.set(words[1] as string, { header: `${words[2]} family ${family}${words.includes('comment') ? ' comment' : ''}`, entries: [] });
    } else if (words[0] === 'add') {
      const set = sets.get(words[1] as string);
      if (!set) throw new Error(`add to undeclared set: ${line}`);
      const entry = words[2] as string;
      const [address = '', port] = entry.split(',');
      const rest = words.slice(3).join(' ');
      set.entries.push(`${setEntry(address)}${port ? `,${port}` : ''}${rest ? ` ${rest}` : ''}`);
    }
  }
  for (const set of sets.values()) set.entries.sort();
  return sets;
}

const BUILTIN = new Set(['INPUT', 'FORWARD', 'OUTPUT']);

/** A filter table → its user chains and, per chain, the rules in order, as iptables-save prints them. */
export function normaliseIptables(text: string): { chains: string[]; rules: Map<string, string[]> } {
  const chains: string[] = [];
  const rules = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    if (line.startsWith(':')) {
      const name = line.slice(1).split(' ')[0] as string;
      if (!BUILTIN.has(name)) chains.push(name);
      continue;
    }
    if (!line.startsWith('-A ') && !line.startsWith('-I ')) continue;
    // iptables-save escapes a quote inside a quoted comment (xtables save_string).
    const words: string[] = line.replace(/\\'/g, "'").match(/"[^"]*"|\S+/g) ?? [];
    let chain = words[1] as string;
    let body = words.slice(2);
    if (words[0] === '-I') {
      chain = words[1] as string;
      body = /^\d+$/.test(words[2] ?? '') ? words.slice(3) : words.slice(2);
    }
    const out: string[] = [];
    for (let i = 0; i < body.length; i++) {
      const word = body[i] as string;
      out.push(word);
      if ((word === '-s' || word === '-d') && body[i + 1] !== undefined && !(body[i + 1] as string).includes('/')) {
        const address = body[++i] as string;
        out.push(`${address}/${address.includes(':') ? 128 : 32}`);
      } else if (word === '-p' && (body[i + 2] === '--dport' || body[i + 2] === '--sport')) {
        const protocol = body[++i] as string;
        out.push(protocol, '-m', protocol);
      }
    }
    const list = rules.get(chain) ?? [];
    list.push(out.join(' '));
    rules.set(chain, list);
  }
  chains.sort();
  return { chains, rules };
}
