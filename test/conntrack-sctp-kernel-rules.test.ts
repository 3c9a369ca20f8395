/**
 * SCTP in the dataplane's conntrack, as nf_conntrack_proto_sctp.c tracks it (found by the kernel
 * check, docs/kernel-check.md): associations are told apart by their ports, and a packet without
 * an entry starts one only if the kernel would let it: no ABORT, COOKIE ACK or SHUTDOWN COMPLETE
 * out of the blue, every chunk one that moves the state out of NONE (not DATA), an INIT with tag
 * 0, and the tag check against the new entry's zero tag (an INIT ACK without its INIT fails).
 * Also: INVALID packets are dropped only where a pod is an end, where the CNI's per-pod chains
 * drop them; between two non-pod addresses they pass untracked.
 */
import { describe, expect, it } from 'vitest';
import { loadCluster, PacketCategory, replayCapture } from '../src/index.js';
import { concat, ethernet, ipv4, sctp, tcp } from './helpers/build-frame.js';
import { writeFrames } from './helpers/write-frames.js';

const CLUSTER = 'test/fixtures/kernel/npcap-cluster.yaml';
const A = '10.213.0.1';
const B = '10.213.0.2';

function chunk(type: number, body: number[] = []): number[] {
  const length = 4 + body.length;
  return [type, 0, length >> 8, length & 0xff, ...body];
}

/** INIT / INIT ACK body: initiate tag, a_rwnd, streams, initial TSN. */
function init(tag: number): number[] {
  return [tag >>> 24, (tag >> 16) & 0xff, (tag >> 8) & 0xff, tag & 0xff, 0, 0, 0xff, 0xff, 0, 1, 0, 1, 0, 0, 0, 1];
}

function sctpFrame(src: string, dst: string, sport: number, dport: number, vtag: number, ...chunks: number[][]): Uint8Array {
  return ethernet(0x0800, ipv4({ src, dst, protocol: 132 }, sctp(sport, dport, vtag, concat(...chunks))));
}

/** The category of every frame, replayed with the default dataplane (INVALID dropped, as Calico does). */
async function categories(frames: Uint8Array[]): Promise<number[]> {
  const cluster = (await loadCluster({ paths: [CLUSTER] })).cluster;
  const out: number[] = [];
  await replayCapture(cluster, writeFrames(frames), 'frames.pcap', { engine: 'compiled', onPacket: (_r, category) => out.push(category) });
  return out;
}

describe('conntrack sctp - the kernel rules', () => {
  it('conntrack sctp - associations between the same pods are told apart by their ports', async () => {
    // b → a on 9000 is allowed (a is not isolated); a → b on 9000 is not (b admits TCP and UDP only).
    const got = await categories([
      sctpFrame(B, A, 40000, 9000, 0, chunk(1, init(0x1111))),
      sctpFrame(A, B, 9000, 40000, 0x1111, chunk(2, init(0x2222))),
      sctpFrame(A, B, 40001, 9000, 0, chunk(1, init(0x3333))),
    ]);
    expect(got).toEqual([PacketCategory.ALLOWED_NEW, PacketCategory.ALLOWED_ESTABLISHED, PacketCategory.DROPPED_INGRESS]);
  });

  it.each([
    ['an ABORT', 0x1234, [chunk(6)]],
    ['a COOKIE ACK', 0x1234, [chunk(11)]],
    ['a SHUTDOWN COMPLETE', 0x1234, [chunk(14)]],
    ['DATA', 0x1234, [chunk(0, [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4])]],
    ['an INIT with a non-zero tag', 0x1234, [chunk(1, init(0x5555))]],
    ['an INIT ACK without its INIT', 0x1234, [chunk(2, init(0x5555))]],
  ])('conntrack sctp - %s out of the blue is INVALID', async (_name, vtag, chunks) => {
    expect(await categories([sctpFrame(B, A, 40000, 9000, vtag, ...chunks)])).toEqual([PacketCategory.DROPPED_CT_INVALID]);
  });

  it('conntrack sctp - an INIT and a COOKIE ECHO may start an association', async () => {
    expect(await categories([sctpFrame(B, A, 40000, 9000, 0, chunk(1, init(1))), sctpFrame(B, A, 40001, 9000, 0x77, chunk(10, [1, 2, 3, 4]))])).toEqual([
      PacketCategory.ALLOWED_NEW,
      PacketCategory.ALLOWED_NEW,
    ]);
  });

  it('conntrack invalid - dropped where a pod is an end, forwarded untracked between two other addresses', async () => {
    const synAck = (src: string, dst: string): Uint8Array => ethernet(0x0800, ipv4({ src, dst, protocol: 6 }, tcp({ srcPort: 80, dstPort: 40000, flags: 0x12, seq: 1, ack: 1, window: 1000 })));
    expect(await categories([synAck('192.0.2.1', A), synAck('192.0.2.1', '198.51.100.1')])).toEqual([PacketCategory.DROPPED_CT_INVALID, PacketCategory.ALLOWED_NEW]);
  });
});
