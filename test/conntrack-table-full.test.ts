import { describe, expect, it } from 'vitest';
import { ConntrackTable, CtCounter, CtRemoveReason, CtResult } from '../dataplane/conntrack/index.js';
import type { PacketMeta } from '../dataplane/packet-meta.js';
import { pkt } from './conntrack-helpers.js';

const udp = (sport: number) => pkt({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17, sport, dport: 53 });
const udpBack = (sport: number) => pkt({ src: '10.0.0.2', dst: '10.0.0.1', proto: 17, sport: 53, dport: sport });

/** Source ports whose tuples share one home slot, so they all sit in the new tuple's early-drop window. */
function sameHomePorts(ct: ConntrackTable, n: number): number[] {
  const home = ct.homeSlotOf(udp(1000));
  const out = [1000];
  for (let p = 1001; out.length < n; p++) if (ct.homeSlotOf(udp(p)) === home) out.push(p);
  return out;
}

describe('conntrack table - full table', () => {
  it('conntrack table - a full table early-drops the soonest-expiring non-assured entry in the window', () => {
    const removed: [number, number][] = [];
    const ct = new ConntrackTable({
      capacity: 16, maxEntries: 4, onRemove: (i, r) => removed.push([ct.flowIdOf(i), r]),
    });
    const ports = sameHomePorts(ct, 5);
    const flows = ports.slice(0, 4).map((p, k) => ct.flowIdOf(ct.create(udp(p), k)));
    expect(ct.size).toBe(4);
    // make the oldest one assured: it must be skipped
    ct.lookup(udpBack(ports[0]!), 0.5);
    ct.lookup(udp(ports[0]!), 2.5);
    const i = ct.create(udp(ports[4]!), 4);
    expect(i).toBeGreaterThanOrEqual(0);
    expect(ct.size).toBe(4);
    expect(ct.counters[CtCounter.EARLY_DROPPED]).toBe(1);
    expect(removed).toEqual([[flows[1], CtRemoveReason.EARLY_DROP]]);
    expect(ct.lookup(udp(ports[1]!), 5)).toBe(CtResult.MISS_NEW);
    for (const p of [ports[0]!, ports[2]!, ports[3]!, ports[4]!]) expect(ct.lookup(udp(p), 5)).toBe(CtResult.HIT_ORIGINAL);
  });

  it('conntrack table - the victim is chosen by expiry, not age: a refreshed old entry survives', () => {
    const removed: number[] = [];
    const ct = new ConntrackTable({ capacity: 16, maxEntries: 4, onRemove: (i) => removed.push(ct.flowIdOf(i)) });
    const ports = sameHomePorts(ct, 5);
    ports.slice(0, 4).forEach((p, k) => ct.create(udp(p), k, 10 + k)); // expiries 30, 31, 32, 33
    // the oldest entry (flow 10) sends again: unreplied, still evictable, now expiring at 33.5
    expect(ct.lookup(udp(ports[0]!), 3.5)).toBe(CtResult.HIT_ORIGINAL);
    expect(ct.isAssured(ct.index)).toBe(false);
    expect(ct.create(udp(ports[4]!), 4, 14)).toBeGreaterThanOrEqual(0);
    expect(removed).toEqual([11]);
    expect(ct.lookup(udp(ports[0]!), 5)).toBe(CtResult.HIT_ORIGINAL);
    expect(ct.lookup(udp(ports[1]!), 5)).toBe(CtResult.MISS_NEW);
  });

  it('conntrack table - when every entry is assured the insert is refused and counted, existing flows keep working', () => {
    const ct = new ConntrackTable({ capacity: 16, maxEntries: 4 });
    const ports = sameHomePorts(ct, 5);
    for (const p of ports.slice(0, 4)) {
      ct.create(udp(p), 0);
      ct.lookup(udpBack(p), 0.1);
      ct.lookup(udp(p), 3);
      expect(ct.isAssured(ct.index)).toBe(true);
    }
    const fresh: PacketMeta = udp(ports[4]!);
    expect(ct.lookup(fresh, 4)).toBe(CtResult.MISS_NEW);
    expect(ct.create(fresh, 4)).toBe(-1);
    expect(ct.counters[CtCounter.TABLE_FULL]).toBe(1);
    expect(ct.size).toBe(4);
    for (const p of ports.slice(0, 4)) expect(ct.lookup(udpBack(p), 4)).toBe(CtResult.HIT_REPLY);
  });

  it('conntrack table - an expired entry in the window is reclaimed instead of evicting a live one', () => {
    const ct = new ConntrackTable({ capacity: 16, maxEntries: 4 });
    const ports = sameHomePorts(ct, 5);
    ports.slice(0, 4).forEach((p, k) => ct.create(udp(p), k * 5)); // expiries 30, 35, 40, 45
    const i = ct.create(udp(ports[4]!), 32);
    expect(i).toBeGreaterThanOrEqual(0);
    expect(ct.counters[CtCounter.EARLY_DROPPED]).toBe(0);
    expect(ct.counters[CtCounter.EXPIRED]).toBe(1);
    for (const p of ports.slice(1)) expect(ct.lookup(udp(p), 32)).toBe(CtResult.HIT_ORIGINAL);
  });

  it('conntrack table - bad construction options are rejected', () => {
    expect(() => new ConntrackTable({ capacity: 100 })).toThrow(RangeError);
    expect(() => new ConntrackTable({ capacity: 16, maxEntries: 16 })).toThrow(RangeError);
  });
});
