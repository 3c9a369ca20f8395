/**
 * `tcpdump -i any` records each bridged packet twice: on the source pod's veth and on the
 * destination's (CAPTURES.md, "What real node captures contain"). A wire packet must be counted
 * and evaluated once, so cooked captures (SLL, SLL2) go through this filter: a packet whose
 * fingerprint — the IP header without TTL/hop limit and checksum, plus the first 16 bytes of L4
 * (ports, sequence and acknowledgement numbers) — equals that of a packet among the last WINDOW
 * of the capture and within WINDOW_S seconds is the same packet seen again. "Among the last
 * WINDOW of the capture" is by capture index, not by what this filter was shown, and the newest
 * match wins: so a replay sharded over workers (each filter sees only its share, copies of a
 * packet always share a worker) finds exactly the duplicates a single replay finds. IPv4 identification is in the
 * fingerprint, so a TCP retransmission (new IP id) is not a duplicate; IPv6 retransmissions come
 * hundreds of milliseconds apart, far outside the window.
 *
 * An overlay node adds a third copy: the packet on the pod's veth, on the tunnel device
 * (flannel.1, vxlan.calico...) and, encapsulated, on the uplink (decode-tunnel.ts opens it, so
 * its fingerprint is the inner packet's). A fingerprint therefore stands for at most two plain
 * copies and one tunnelled copy, in any order; a copy beyond that is a real resend.
 *
 * A node's endpoint choice can differ from the emulator's (service-nat.ts picks by a seeded hash,
 * kube-proxy at random): then the post-DNAT copy (client → the endpoint the node chose) does not
 * fingerprint like the pre-DNAT copy translated to the seeded endpoint. For those, each Service
 * packet also gets a second, destination-blind fingerprint (the same bytes without the
 * destination address and port, which DNAT rewrote), and each translated pre-DNAT packet is
 * remembered with the frontend and endpoint it was translated to. A packet to an endpoint that
 * matches no fingerprint may ask (`seekTranslatedCopy`) for a translated packet with the same
 * blind fingerprint: `translatedCopy` names it; the dataplane decides whether it is the copy
 * (the endpoint belongs to that frontend) and then claims it (`claimCopy`).
 */
import type { PacketMeta } from './packet-meta.js';

const WINDOW = 64;

/** The byte at `rel` (IP header) / `l4` (transport header) of the packet `meta` describes after NAT. */
function translatedByte(meta: PacketMeta, ipVersion: number, rel: number, l4: number, byte: number): number {
  if (l4 >= 0 && l4 < 4) {
    const port = l4 < 2 ? meta.srcPort : meta.dstPort;
    return (l4 & 1) === 0 ? port >>> 8 : port & 0xff;
  }
  const srcAt = ipVersion === 4 ? 12 : 8;
  const dstAt = ipVersion === 4 ? 16 : 24;
  const words = ipVersion === 4 ? 4 : 16;
  if (rel >= srcAt && rel < srcAt + words) return wordByte(meta.src, rel - srcAt);
  if (rel >= dstAt && rel < dstAt + words) return wordByte(meta.dst, rel - dstAt);
  return byte;
}

function wordByte(words: Uint32Array, index: number): number {
  return ((words[index >> 2] as number) >>> (24 - (index & 3) * 8)) & 0xff;
}
const WINDOW_S = 0.005;

export class DedupeFilter {
  private readonly hashA = new Uint32Array(WINDOW);
  private readonly hashB = new Uint32Array(WINDOW);
  private readonly length = new Uint32Array(WINDOW);
  private readonly time = new Float64Array(WINDOW).fill(-Infinity);
  /** Capture index of each remembered packet. */
  private readonly index = new Float64Array(WINDOW).fill(-Infinity);
  /** Copies matched so far: plain ones (the first included) and tunnelled ones. */
  private readonly plainCopies = new Uint8Array(WINDOW);
  private readonly tunnelCopies = new Uint8Array(WINDOW);
  /** Destination-blind fingerprint of Service packets, and the frontend/endpoint a translated one went to (-1 none). */
  private readonly blindA = new Uint32Array(WINDOW);
  private readonly blindB = new Uint32Array(WINDOW);
  private readonly frontend = new Int32Array(WINDOW).fill(-1);
  private readonly backend = new Int32Array(WINDOW).fill(-1);
  private next = 0;
  /** Capture index of the newest remembered translated packet: no scan when it is out of the window. */
  private newestTranslated = -Infinity;
  /** After `isDuplicate` returned false with `seekTranslatedCopy`: the slot of a translated packet with the same blind fingerprint, or -1. */
  translatedCopy = -1;

  /**
   * True when this packet is a copy of one seen just before. `l3` is the IP header offset;
   * `tunnelled` says the packet was decapsulated from an overlay. `frontend`/`backend`: a
   * translated pre-DNAT packet's Service frontend and endpoint ids, remembered with it.
   */
  isDuplicate(buf: Uint8Array, l3: number, end: number, ipVersion: number, nowSec: number, tunnelled = false, translated: PacketMeta | null = null, packetIndex = 0, frontend = -1, backend = -1, seekTranslatedCopy = false): boolean {
    let a = 0x811c9dc5;
    let b = 0x9747b28c;
    let blindA = 0x811c9dc5;
    let blindB = 0x9747b28c;
    const dstAt = ipVersion === 4 ? 16 : 24;
    const dstEnd = dstAt + (ipVersion === 4 ? 4 : 16);
    const ipHeader = ipVersion === 4 ? ((buf[l3] as number) & 0x0f) * 4 : 40;
    const headerEnd = Math.min(end, l3 + ipHeader + 16);
    for (let i = l3; i < headerEnd; i++) {
      const rel = i - l3;
      // Skip what forwarding rewrites: IPv4 TTL (8) and checksum (10, 11); IPv6 hop limit (7).
      if (ipVersion === 4 ? rel === 8 || rel === 10 || rel === 11 : rel === 7) continue;
      let byte = buf[i] as number;
      // A Service packet is fingerprinted in its translated form (addresses and ports from
      // `translated`), so the pre- and post-DNAT copies of a node capture match; NAT also rewrites
      // the UDP checksum, so it is left out for both (for a post-DNAT copy, `translated` is the
      // packet itself).
      if (translated !== null) {
        const l4 = rel - ipHeader;
        if (translated.protocol === 17 && (l4 === 6 || l4 === 7)) continue;
        byte = translatedByte(translated, ipVersion, rel, l4, byte);
        if (!(rel >= dstAt && rel < dstEnd) && l4 !== 2 && l4 !== 3) {
          blindA = Math.imul(blindA ^ byte, 0x01000193);
          blindB = Math.imul(blindB ^ byte, 0x5bd1e995) ^ (blindB >>> 15);
        }
      }
      a = Math.imul(a ^ byte, 0x01000193);
      b = Math.imul(b ^ byte, 0x5bd1e995) ^ (b >>> 15);
    }
    a >>>= 0;
    b >>>= 0;
    blindA >>>= 0;
    blindB >>>= 0;
    this.translatedCopy = -1;
    const len = end - l3;
    // Newest first; the ring holds this filter's last WINDOW packets, which include every one of
    // them within the last WINDOW capture indexes.
    for (let n = 1; n <= WINDOW; n++) {
      const k = (this.next - n + WINDOW) % WINDOW;
      if (packetIndex - (this.index[k] as number) > WINDOW) break;
      if (this.hashA[k] === a && this.hashB[k] === b && this.length[k] === len && nowSec - (this.time[k] as number) <= WINDOW_S && nowSec >= (this.time[k] as number) - WINDOW_S) {
        // Copies beyond two plain and one tunnelled within the window are real resends.
        if (tunnelled ? this.tunnelCopies[k] !== 0 : this.plainCopies[k] === 2) continue;
        this.claimCopy(k, tunnelled);
        return true;
      }
    }
    if (seekTranslatedCopy && translated !== null) this.translatedCopy = this.findTranslated(blindA, blindB, len, nowSec, packetIndex, tunnelled);
    const slot = this.next;
    this.hashA[slot] = a;
    this.hashB[slot] = b;
    this.length[slot] = len;
    this.time[slot] = nowSec;
    this.index[slot] = packetIndex;
    this.plainCopies[slot] = tunnelled ? 0 : 1;
    this.tunnelCopies[slot] = tunnelled ? 1 : 0;
    this.blindA[slot] = blindA;
    this.blindB[slot] = blindB;
    this.frontend[slot] = translated !== null ? frontend : -1;
    if (translated !== null && frontend >= 0) this.newestTranslated = packetIndex;
    this.backend[slot] = translated !== null ? backend : -1;
    this.next = (slot + 1) % WINDOW;
    return false;
  }

  /** A remembered translated packet whose blind fingerprint is (a, b) and that may take one more copy, newest first; -1 if none. */
  private findTranslated(a: number, b: number, len: number, nowSec: number, packetIndex: number, tunnelled: boolean): number {
    if (packetIndex - this.newestTranslated > WINDOW) return -1;
    for (let n = 1; n <= WINDOW; n++) {
      const k = (this.next - n + WINDOW) % WINDOW;
      if (packetIndex - (this.index[k] as number) > WINDOW) break;
      if ((this.frontend[k] as number) < 0 || this.blindA[k] !== a || this.blindB[k] !== b || this.length[k] !== len) continue;
      if (nowSec - (this.time[k] as number) > WINDOW_S || nowSec < (this.time[k] as number) - WINDOW_S) continue;
      if (tunnelled ? this.tunnelCopies[k] !== 0 : this.plainCopies[k] === 2) continue;
      return k;
    }
    return -1;
  }

  /** Count the current packet as a copy of the one remembered in `slot`. */
  claimCopy(slot: number, tunnelled: boolean): void {
    if (tunnelled) this.tunnelCopies[slot] = 1;
    else this.plainCopies[slot] = (this.plainCopies[slot] as number) + 1;
  }

  /** The Service frontend and endpoint the packet remembered in `slot` was translated to. */
  frontendOf(slot: number): number {
    return this.frontend[slot] as number;
  }

  backendOf(slot: number): number {
    return this.backend[slot] as number;
  }
}
