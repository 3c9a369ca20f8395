/**
 * Captured datagrams turned into the frames the lab sends: an Ethernet header from the source
 * endpoint's eth0 to the node's end of its veth (whatever the capture's link type was), and every
 * checksum recomputed: IPv4 header, TCP, UDP, ICMP, ICMPv6 and SCTP's CRC32c. Captures taken on a
 * sending host carry partial checksums (offload), and nf_conntrack verifies them on PREROUTING
 * (nf_conntrack_checksum=1, the default) and calls a bad one INVALID.
 */

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) crc = (CRC32C_TABLE[(crc ^ b) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** The Internet checksum (RFC 1071) of `bytes` plus `initial` (a pseudo-header's sum). */
function internetChecksum(bytes: Uint8Array, initial = 0): number {
  let sum = initial;
  for (let i = 0; i + 1 < bytes.length; i += 2) sum += ((bytes[i] as number) << 8) | (bytes[i + 1] as number);
  if (bytes.length % 2 === 1) sum += (bytes[bytes.length - 1] as number) << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function pseudoHeaderSum(ip: Uint8Array, version: number, protocol: number, length: number): number {
  const addresses = version === 4 ? ip.subarray(12, 20) : ip.subarray(8, 40);
  let sum = 0;
  for (let i = 0; i < addresses.length; i += 2) sum += ((addresses[i] as number) << 8) | (addresses[i + 1] as number);
  return sum + protocol + (length & 0xffff) + (length >>> 16);
}

function put16(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 8;
  bytes[at + 1] = value & 0xff;
}

/** Recomputes the checksums of `ip` in place (`l4` is the upper-layer header's offset, -1 if unknown). */
export function fixChecksums(ip: Uint8Array, version: number, protocol: number, l4: number): void {
  if (version === 4) {
    const headerBytes = ((ip[0] as number) & 0x0f) * 4;
    put16(ip, 10, 0);
    put16(ip, 10, internetChecksum(ip.subarray(0, headerBytes)));
  }
  if (l4 < 0 || l4 >= ip.length) return;
  const segment = ip.subarray(l4);
  const length = segment.length;
  switch (protocol) {
    case 6:
      if (length < 20) return;
      put16(segment, 16, 0);
      put16(segment, 16, internetChecksum(segment, pseudoHeaderSum(ip, version, 6, length)));
      return;
    case 17: {
      if (length < 8) return;
      // IPv4 UDP may go without a checksum (RFC 768): keep that.
      if (version === 4 && segment[6] === 0 && segment[7] === 0) return;
      put16(segment, 6, 0);
      const sum = internetChecksum(segment, pseudoHeaderSum(ip, version, 17, length));
      put16(segment, 6, sum === 0 ? 0xffff : sum);
      return;
    }
    case 1:
      if (length < 4) return;
      put16(segment, 2, 0);
      put16(segment, 2, internetChecksum(segment));
      return;
    case 58:
      if (length < 4) return;
      put16(segment, 2, 0);
      put16(segment, 2, internetChecksum(segment, pseudoHeaderSum(ip, version, 58, length)));
      return;
    case 132: {
      if (length < 12) return;
      segment.fill(0, 8, 12);
      // RFC 9260 appendix A: the CRC32c goes in as Linux's sctp_compute_cksum leaves it (little-endian).
      const crc = crc32c(segment);
      segment[8] = crc & 0xff;
      segment[9] = (crc >>> 8) & 0xff;
      segment[10] = (crc >>> 16) & 0xff;
      segment[11] = crc >>> 24;
      return;
    }
    default:
  }
}

/** An Ethernet frame carrying `ip` from `srcMac` to `dstMac`, checksums fixed. */
export function ethernetFrame(ip: Uint8Array, version: number, protocol: number, l4: number, dstMac: readonly number[], srcMac: readonly number[]): Uint8Array {
  const frame = new Uint8Array(14 + ip.length);
  frame.set(dstMac, 0);
  frame.set(srcMac, 6);
  put16(frame, 12, version === 4 ? 0x0800 : 0x86dd);
  frame.set(ip, 14);
  fixChecksums(frame.subarray(14), version, protocol, l4);
  return frame;
}

function ipv4Bytes(address: string): number[] {
  return address.split('.').map(Number);
}

/** The barrier: UDP from the probe to the sink, port 9 (discard), a 4-byte sequence number last. */
export function barrierFrame(probe: string, sink: string, dstMac: readonly number[], srcMac: readonly number[]): Uint8Array {
  const ip = new Uint8Array(20 + 8 + 4);
  ip.set([0x45, 0, 0, ip.length, 0, 0, 0x40, 0, 64, 17, 0, 0, ...ipv4Bytes(probe), ...ipv4Bytes(sink)]);
  ip.set([0, 9, 0, 9, 0, 12, 0, 0], 20);
  return ethernetFrame(ip, 4, 17, 20, dstMac, srcMac);
}

export interface FrameJob {
  readonly src: number;
  readonly dst: number;
  readonly frame: Uint8Array;
}

/** The job file send-frames.py reads (its docstring gives the layout). */
export function encodeJobFile(namespaces: readonly string[], probe: number, sink: number, barrier: Uint8Array, jobs: readonly FrameJob[]): Buffer {
  const chunks: Buffer[] = [Buffer.from('NPEK\x01\x00\x00\x00', 'latin1')];
  const u32 = (...values: number[]): Buffer => {
    const b = Buffer.alloc(4 * values.length);
    values.forEach((v, i) => b.writeUInt32LE(v, 4 * i));
    return b;
  };
  chunks.push(u32(namespaces.length));
  for (const name of namespaces) {
    const bytes = Buffer.from(name, 'utf8');
    const length = Buffer.alloc(2);
    length.writeUInt16LE(bytes.length);
    chunks.push(length, bytes);
  }
  chunks.push(u32(probe, sink, barrier.length), Buffer.from(barrier), u32(jobs.length));
  for (const job of jobs) chunks.push(u32(job.src, job.dst, job.frame.length), Buffer.from(job.frame));
  return Buffer.concat(chunks);
}
