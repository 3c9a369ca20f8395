/**
 * REJECT (kube-router's `-j REJECT`, `icmp-port-unreachable`; SEMANTICS.md §3.4): the answer a
 * rejecting dataplane sends back to the source of a denied packet, built in place into a reused
 * buffer so it can be written to the output capture after the packet it answers. The link header
 * is the original's with Ethernet addresses swapped; the ICMP/ICMPv6 error quotes the original IP
 * header and the first 8 bytes of its payload (RFC 792 / RFC 4443), with valid checksums.
 */
import type { PacketMeta } from './packet-meta.js';
import { foldChecksum, sum16 } from './packet-bytes.js';

const MAX_QUOTE_L4 = 8;

function copyBytes(from: Uint8Array, start: number, end: number, to: Uint8Array, at: number): void {
  for (let i = start; i < end; i++) to[at + i - start] = from[i] as number;
}

function writeWords(buf: Uint8Array, at: number, words: Uint32Array, count: number): void {
  for (let i = 0; i < count; i++) {
    const w = words[i] as number;
    buf[at + i * 4] = w >>> 24;
    buf[at + i * 4 + 1] = (w >>> 16) & 0xff;
    buf[at + i * 4 + 2] = (w >>> 8) & 0xff;
    buf[at + i * 4 + 3] = w & 0xff;
  }
}

export class RejectBuilder {
  /** The frame built by the last `build`, valid until the next call: bytes [0, length). */
  readonly buffer = new Uint8Array(256);
  length = 0;

  /**
   * Build the ICMP port-unreachable for the packet `meta` decoded from `frame` (starting at
   * `offset`, `capturedLength` bytes). Returns false when no answer can be built (no IP header).
   */
  build(frame: Uint8Array, offset: number, capturedLength: number, linkType: number, meta: PacketMeta): boolean {
    const out = this.buffer;
    const linkLength = meta.l3Offset - offset;
    if (linkLength < 0 || linkLength > 64 || meta.ipVersion === 0) return false;
    copyBytes(frame, offset, meta.l3Offset, out, 0);
    if (linkType === 1 && linkLength >= 12) {
      // Swap destination and source MAC: the answer goes back where the packet came from.
      for (let i = 0; i < 6; i++) {
        out[i] = frame[offset + 6 + i] as number;
        out[6 + i] = frame[offset + i] as number;
      }
    }
    const l3 = linkLength;
    const frameEnd = offset + capturedLength;
    const l4Start = meta.l4Offset >= 0 ? meta.l4Offset : meta.l3Offset + (meta.ipVersion === 4 ? ((frame[meta.l3Offset] as number) & 0x0f) * 4 : 40);
    const quoteEnd = Math.min(frameEnd, l4Start + MAX_QUOTE_L4, meta.l3Offset + 40 + 60 + MAX_QUOTE_L4);
    const quoteLength = Math.max(0, quoteEnd - meta.l3Offset);
    if (meta.ipVersion === 4) {
      const icmp = l3 + 20;
      const total = 20 + 8 + quoteLength;
      out.fill(0, l3, icmp + 8);
      out[l3] = 0x45;
      out[l3 + 1] = 0xc0;
      out[l3 + 2] = total >>> 8;
      out[l3 + 3] = total & 0xff;
      out[l3 + 8] = 64;
      out[l3 + 9] = 1;
      writeWords(out, l3 + 12, meta.dst, 1);
      writeWords(out, l3 + 16, meta.src, 1);
      const ipSum = foldChecksum(sum16(out, l3, l3 + 20, 0));
      out[l3 + 10] = ipSum >>> 8;
      out[l3 + 11] = ipSum & 0xff;
      out[icmp] = 3; // destination unreachable
      out[icmp + 1] = 3; // port unreachable
      copyBytes(frame, meta.l3Offset, meta.l3Offset + quoteLength, out, icmp + 8);
      const icmpSum = foldChecksum(sum16(out, icmp, icmp + 8 + quoteLength, 0));
      out[icmp + 2] = icmpSum >>> 8;
      out[icmp + 3] = icmpSum & 0xff;
      this.length = icmp + 8 + quoteLength;
      return true;
    }
    const icmp = l3 + 40;
    const payload = 8 + quoteLength;
    out.fill(0, l3, icmp + 8);
    out[l3] = 0x60;
    out[l3 + 4] = payload >>> 8;
    out[l3 + 5] = payload & 0xff;
    out[l3 + 6] = 58;
    out[l3 + 7] = 64;
    writeWords(out, l3 + 8, meta.dst, 4);
    writeWords(out, l3 + 24, meta.src, 4);
    out[icmp] = 1; // destination unreachable
    out[icmp + 1] = 4; // port unreachable
    copyBytes(frame, meta.l3Offset, meta.l3Offset + quoteLength, out, icmp + 8);
    // ICMPv6 checksum covers the pseudo-header: addresses, length, next header.
    let pseudo = sum16(out, l3 + 8, l3 + 40, 0) + payload + 58;
    pseudo = sum16(out, icmp, icmp + payload, pseudo);
    const icmpSum = foldChecksum(pseudo);
    out[icmp + 2] = icmpSum >>> 8;
    out[icmp + 3] = icmpSum & 0xff;
    this.length = icmp + payload;
    return true;
  }
}
