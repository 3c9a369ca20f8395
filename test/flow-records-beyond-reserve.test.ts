/**
 * FlowRecords keeps its rows in place up to the reserve its owner asked for (the dataplane: the
 * most flows it can have live) and still grows past it: records written before a growth step
 * read back unchanged after it, and released slots are reused.
 */
import { describe, expect, it } from 'vitest';
import { FlowRecords } from '../dataplane/flow-records.js';

describe('flow records - beyond the reserve', () => {
  it('flow records - records keep every field across growth steps past the reserved rows', () => {
    const records = new FlowRecords(1024);
    const src = new Uint32Array(4);
    const dst = new Uint32Array(4);
    const expected = new Map<number, { seq: number; src: number; port: number; reason: number; packets: number; bytes: number; time: number }>();
    let seq = 0;
    for (let k = 0; k < 5000; k++) {
      src[0] = 0x0a000000 + k;
      dst[3] = k * 7;
      const time = 1_700_000_000 + k / 8;
      const f = records.add(6, src, dst, 6, 1024 + (k % 60_000), 80, time);
      records.setReason(f, 1 + (k % 100));
      records.setStartPacket(f, 3 * k);
      for (let p = 0; p < k % 4; p++) records.addPacket(f, p & 1, 60 + p, time + p, false);
      expected.set(f, { seq: seq++, src: 0x0a000000 + k, port: 1024 + (k % 60_000), reason: 1 + (k % 100), packets: k % 4, bytes: [0, 60, 121, 183][k % 4]!, time });
      // Release every third record now and then: later adds reuse those slots first.
      if (k % 3 === 0 && k % 500 < 100) {
        records.release(f);
        expected.delete(f);
      }
    }
    expect(records.count).toBeGreaterThan(1024);
    expect(records.liveCount).toBe(expected.size);
    for (const [f, e] of expected) {
      expect(records.isLive(f)).toBe(true);
      expect(records.seq(f)).toBe(e.seq);
      expect(records.words[records.srcAt(f)]).toBe(e.src);
      expect(records.srcPort(f)).toBe(e.port);
      expect(records.reason(f)).toBe(e.reason);
      expect(records.packets(f, 0) + records.packets(f, 1)).toBe(e.packets);
      expect(records.bytes(f, 0) + records.bytes(f, 1)).toBe(e.bytes);
      expect(records.firstSeen(f)).toBe(e.time);
    }
    const order = records.liveInStartOrder();
    expect(order.map((f) => records.seq(f))).toEqual([...expected.values()].map((e) => e.seq).sort((a, b) => a - b));
  });
});
