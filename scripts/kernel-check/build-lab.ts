/**
 * The lab a rendering is judged in: a node namespace that forwards IPv4 and IPv6 (with
 * rp_filter off), and behind it, one veth each, a namespace per endpoint (a pod with all its
 * IPs, or one non-pod address: a node, an external client) plus a probe and a sink for the
 * barrier frames (send-frames.py). The node has a /32 or /128 route and a permanent neighbour
 * entry for every address, so it never resolves a neighbour (which would hold a frame back and
 * break the barrier's ordering).
 *
 * The endpoints' own stacks are silenced: frames are sent with AF_PACKET (their stack never sees
 * them going out), and in each endpoint namespace an nftables `netdev` ingress chain drops
 * everything arriving on eth0 and an `inet` output chain drops what the stack would send. AF_PACKET
 * taps see a frame before the ingress hook (net/core/dev.c __netif_receive_skb_core: ptype_all,
 * then nf_ingress), so delivery is still observed, but no RST, ICMP error, neighbour solicitation
 * or MLD report of the endpoint ever reaches the node. IPv6 addresses are added with nodad and
 * addrgenmode none (no link-local address, no router solicitation).
 *
 * Every namespace is named `<prefix><n>`; `destroy()` deletes them all, and is idempotent.
 */
import { inNamespace, runCommand, tryCommand } from './run-command.js';
import type { KernelLoader, KernelRuleset } from '../../src/index.js';
import { loadCommand } from '../../src/index.js';

export interface LabEndpoint {
  /** What the namespace stands for, e.g. `pod app1/web-0` or `address 8.8.8.8`. */
  readonly label: string;
  readonly addresses: readonly string[];
}

/** Big enough for any captured frame (GSO captures hold frames of up to 64 KiB). */
export const LAB_MTU = 65000;
/** The barrier's addresses: RFC 2544 benchmarking space, not used by clusters. */
export const PROBE_ADDRESS = '198.18.255.1';
export const SINK_ADDRESS = '198.18.255.2';

function mac(side: number, index: number): string {
  return `02:00:${side.toString(16).padStart(2, '0')}:${((index >> 16) & 0xff).toString(16).padStart(2, '0')}:${((index >> 8) & 0xff).toString(16).padStart(2, '0')}:${(index & 0xff).toString(16).padStart(2, '0')}`;
}

export function macBytes(text: string): number[] {
  return text.split(':').map((h) => parseInt(h, 16));
}

const SILENCE = `table netdev npek_silence {
  chain in { type filter hook ingress device "eth0" priority 0; policy drop; }
}
table inet npek_silence {
  chain out { type filter hook output priority 0; policy drop; }
}
`;

let labCount = 0;
const liveLabs = new Set<Lab>();

/** Deletes every lab still standing (exit and signal handlers, so a failure leaves none behind). */
export function destroyAllLabs(): void {
  for (const lab of [...liveLabs]) lab.destroy();
}

export class Lab {
  readonly node: string;
  /** Endpoint namespaces; the last two are the probe and the sink. */
  readonly namespaces: string[] = [];
  readonly probe: number;
  readonly sink: number;
  private readonly made: string[] = [];

  constructor(readonly endpoints: readonly LabEndpoint[]) {
    const prefix = `npek${process.pid.toString(36)}x${(labCount++).toString(36)}-`;
    this.node = `${prefix}node`;
    liveLabs.add(this);
    const all = [...endpoints, { label: 'barrier probe', addresses: [PROBE_ADDRESS] }, { label: 'barrier sink', addresses: [SINK_ADDRESS] }];
    this.probe = endpoints.length;
    this.sink = endpoints.length + 1;
    // One shell script builds it all: a process per command from Node costs tens of ms each on a
    // busy machine, the whole script a fraction of that.
    const names = [this.node, ...all.map((_, i) => `${prefix}${i}`)];
    this.made.push(...names);
    this.namespaces.push(...names.slice(1));
    const script: string[] = ['set -e', `ip -batch - <<'EOF'\n${names.map((n) => `netns add ${n}`).join('\n')}\nEOF`];
    script.push(
      `ip netns exec ${this.node} sysctl -q -w net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.default.send_redirects=0`,
    );
    const links: string[] = ['link set lo up'];
    const routes: string[] = [];
    all.forEach((endpoint, i) => {
      links.push(`link add n${i} mtu ${LAB_MTU} address ${this.nodeMac(i)} type veth peer name eth0 mtu ${LAB_MTU} address ${this.endpointMac(i)} netns ${this.namespaces[i]}`);
      links.push(`link set n${i} addrgenmode none`, `link set n${i} up`);
      for (const address of endpoint.addresses) {
        const prefixLength = address.includes(':') ? 128 : 32;
        routes.push(`route add ${address}/${prefixLength} dev n${i}`, `neigh replace ${address} lladdr ${this.endpointMac(i)} dev n${i} nud permanent`);
      }
    });
    // Links first, then routes: a route needs its device up.
    script.push(`ip -n ${this.node} -batch - <<'EOF'\n${[...links, ...routes].join('\n')}\nEOF`);
    all.forEach((endpoint, i) => {
      const ns = this.namespaces[i] as string;
      const batch = ['link set lo up', 'link set eth0 addrgenmode none', 'link set eth0 up'];
      for (const address of endpoint.addresses) batch.push(address.includes(':') ? `addr add ${address}/128 dev eth0 nodad` : `addr add ${address}/32 dev eth0`);
      script.push(`ip -n ${ns} -batch - <<'EOF'\n${batch.join('\n')}\nEOF`, `ip netns exec ${ns} nft -f - <<'EOF'\n${SILENCE}EOF`);
    });
    try {
      runCommand(['sh', '-s'], `${script.join('\n')}\n`);
    } catch (error) {
      this.destroy();
      throw error;
    }
  }

  /** MAC of the node's end of endpoint i's veth (the destination of the frames it sends). */
  nodeMac(i: number): string {
    return mac(1, i);
  }

  /** MAC of endpoint i's eth0. */
  endpointMac(i: number): string {
    return mac(0, i);
  }

  /** Loads every part of the rendering into the node namespace, in order. */
  load(ruleset: KernelRuleset): void {
    for (const part of ruleset.parts) this.loadPart(ruleset, part.loader, part.fileName, part.text, part.loader === 'ipset' ? ['ipset', 'restore'] : undefined);
  }

  /**
   * Replaces the loaded rendering with `ruleset` (a policy change between frames), as a CNI
   * agent does, without touching conntrack: sets are created if new and flushed and refilled
   * (`ipset restore -exist`); `iptables-restore --noflush` flushes and refills every chain the
   * part declares, and the hook into FORWARD, inserted by the first load, is not inserted again;
   * an nftables part is loaded as it is (its text must replace its own tables).
   */
  reload(ruleset: KernelRuleset): void {
    for (const part of ruleset.parts) {
      if (part.loader === 'ipset') {
        const text = part.text.replace(/^create (\S+) .*$/gm, (line, name: string) => `${line}\nflush ${name}`);
        this.loadPart(ruleset, part.loader, part.fileName, text, ['ipset', 'restore', '-exist']);
      } else if ((part.loader === 'iptables' || part.loader === 'ip6tables') && this.loaded.has(part.loader)) {
        this.loadPart(ruleset, part.loader, part.fileName, part.text.replace(/^-I .*\n/gm, ''));
      } else if (part.loader === 'nft' && this.loaded.has('nft')) {
        // The new tables replace the old ones in one nft transaction (declare, delete, define), the
        // way a policy change replaces rules atomically; conntrack entries are not in the tables and stay.
        const tables = [...part.text.matchAll(/^table (\S+) (\S+) \{/gm)].map((m) => `table ${m[1]} ${m[2]}\ndelete table ${m[1]} ${m[2]}\n`);
        this.loadPart(ruleset, part.loader, part.fileName, `${tables.join('')}${part.text}`);
      } else this.loadPart(ruleset, part.loader, part.fileName, part.text);
    }
  }

  private readonly loaded = new Set<KernelLoader>();

  private loadPart(ruleset: KernelRuleset, loader: KernelLoader, fileName: string, text: string, argv?: string[]): void {
    const command = argv ?? (loader === 'ipset' ? ['ipset', 'restore'] : loader === 'iptables' ? ['iptables-restore', '--noflush'] : loader === 'ip6tables' ? ['ip6tables-restore', '--noflush'] : ['nft', '-f', '-']);
    try {
      runCommand(inNamespace(this.node, command), text);
    } catch (error) {
      throw new Error(`${loadCommand(loader, fileName)} refused the ${ruleset.shape} rendering: ${(error as Error).message}`);
    }
    this.loaded.add(loader);
  }

  /** The rule counters of the loaded tables (iptables -L -v -x style), per loader. */
  counters(loaders: readonly KernelLoader[]): Map<KernelLoader, string> {
    const out = new Map<KernelLoader, string>();
    for (const loader of new Set(loaders)) {
      if (loader === 'iptables' || loader === 'ip6tables') out.set(loader, runCommand(inNamespace(this.node, [loader, '-L', '-v', '-x', '-n', '--line-numbers'])));
      if (loader === 'nft') out.set(loader, runCommand(inNamespace(this.node, ['nft', 'list', 'ruleset'])));
    }
    return out;
  }

  zeroCounters(loaders: readonly KernelLoader[]): void {
    for (const loader of new Set(loaders)) {
      if (loader === 'iptables' || loader === 'ip6tables') runCommand(inNamespace(this.node, [loader, '-Z']));
      if (loader === 'nft') runCommand(inNamespace(this.node, ['nft', 'reset', 'counters']));
    }
  }

  destroy(): void {
    if (this.made.length > 0) tryCommand(['ip', '-force', '-batch', '-'], `${this.made.map((n) => `netns del ${n}`).join('\n')}\n`);
    this.made.length = 0;
    liveLabs.delete(this);
  }
}
