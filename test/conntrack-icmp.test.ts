import { describe, expect, it } from 'vitest';
import { ConntrackTable, CtCounter, CtDirection, CtInfo, CtInvalidCause, CtResult } from '../dataplane/conntrack/index.js';
import { pkt } from './conntrack-helpers.js';

const A = '10.0.0.1';
const B = '10.0.0.2';
const echo = (src: string, dst: string, type: number, id = 7) => pkt({ src, dst, proto: 1, icmpType: type, icmpId: id });

describe('conntrack icmp - echo and errors', () => {
  it('conntrack icmp - echo request creates, echo reply hits REPLY, the entry expires 30 s after the last packet', () => {
    const ct = new ConntrackTable({ capacity: 64 });
    expect(ct.lookup(echo(A, B, 8), 0)).toBe(CtResult.MISS_NEW);
    const i = ct.create(echo(A, B, 8), 0);
    expect(ct.expiryOf(i)).toBe(30);
    expect(ct.lookup(echo(B, A, 0), 1)).toBe(CtResult.HIT_REPLY);
    expect(ct.index).toBe(i);
    expect(ct.expiryOf(i)).toBe(31);
    expect(ct.lookup(echo(A, B, 8), 2)).toBe(CtResult.HIT_ORIGINAL);
    expect(ct.ctinfo).toBe(CtInfo.ESTABLISHED);
    // another id is another flow
    expect(ct.lookup(echo(A, B, 8, 8), 2)).toBe(CtResult.MISS_NEW);
    // the peer pinging back with the same id is its own flow, not the reply
    expect(ct.lookup(echo(B, A, 8), 2)).toBe(CtResult.MISS_NEW);
    expect(ct.lookup(echo(B, A, 0), 32)).toBe(CtResult.INVALID);
    expect(ct.invalidCause).toBe(CtInvalidCause.ICMP_INVALID_NEW);
  });

  it('conntrack icmp - timestamp request/reply pair 13/14 is tracked', () => {
    const ct = new ConntrackTable({ capacity: 64 });
    ct.create(echo(A, B, 13), 0);
    expect(ct.lookup(echo(B, A, 14), 1)).toBe(CtResult.HIT_REPLY);
  });

  it('conntrack icmp - a reply or other non-error type with no entry is INVALID and cannot be created', () => {
    const ct = new ConntrackTable({ capacity: 64 });
    for (const t of [0, 9, 10, 14]) {
      expect(ct.lookup(echo(A, B, t), 0)).toBe(CtResult.INVALID);
      expect(ct.invalidCause).toBe(CtInvalidCause.ICMP_INVALID_NEW);
      expect(ct.create(echo(A, B, t), 0)).toBe(-1);
    }
  });

  it('conntrack icmp - port unreachable quoting a tracked UDP flow is RELATED in the reply direction', () => {
    const ct = new ConntrackTable({ capacity: 64 });
    const udp = pkt({ src: A, dst: B, proto: 17, sport: 5000, dport: 53 });
    const i = ct.create(udp, 0);
    const unreach = pkt({ src: B, dst: A, proto: 1, icmpType: 3, icmpCode: 3, inner: { src: A, dst: B, proto: 17, sport: 5000, dport: 53 } });
    expect(ct.lookup(unreach, 1)).toBe(CtResult.RELATED);
    expect(ct.index).toBe(i);
    expect(ct.direction).toBe(CtDirection.REPLY);
    expect(ct.ctinfo).toBe(CtInfo.RELATED);
    // RELATED neither refreshes nor marks the reply as seen
    expect(ct.expiryOf(i)).toBe(30);
    expect(ct.seenReply(i)).toBe(false);
    expect(ct.counters[CtCounter.RELATED]).toBe(1);
    expect(ct.counters[CtCounter.HIT_REPLY]).toBe(0);
  });

  it('conntrack icmp - an error about the reply direction travelling toward the server is RELATED ORIGINAL', () => {
    const ct = new ConntrackTable({ capacity: 64 });
    const i = ct.create(pkt({ src: A, dst: B, proto: 17, sport: 5000, dport: 53 }), 0);
    const err = pkt({ src: '10.9.9.9', dst: B, proto: 1, icmpType: 11, inner: { src: B, dst: A, proto: 17, sport: 53, dport: 5000 } });
    expect(ct.lookup(err, 1)).toBe(CtResult.RELATED);
    expect(ct.index).toBe(i);
    expect(ct.direction).toBe(CtDirection.ORIGINAL);
  });

  it('conntrack icmp - port unreachable with no flow, or sent to another host, is INVALID', () => {
    const ct = new ConntrackTable({ capacity: 64 });
    const unreach = pkt({ src: B, dst: A, proto: 1, icmpType: 3, icmpCode: 3, inner: { src: A, dst: B, proto: 17, sport: 5000, dport: 53 } });
    expect(ct.lookup(unreach, 1)).toBe(CtResult.INVALID);
    expect(ct.invalidCause).toBe(CtInvalidCause.ICMP_ERROR_NO_FLOW);
    ct.create(pkt({ src: A, dst: B, proto: 17, sport: 5000, dport: 53 }), 1);
    const misdirected = pkt({ src: B, dst: '10.0.0.77', proto: 1, icmpType: 3, inner: { src: A, dst: B, proto: 17, sport: 5000, dport: 53 } });
    expect(ct.lookup(misdirected, 2)).toBe(CtResult.INVALID);
    expect(ct.invalidCause).toBe(CtInvalidCause.ICMP_ERROR_WRONG_DST);
    const noInner = pkt({ src: B, dst: A, proto: 1, icmpType: 3 });
    expect(ct.lookup(noInner, 2)).toBe(CtResult.INVALID);
    // an error about an expired flow is INVALID
    expect(ct.lookup(unreach, 31)).toBe(CtResult.INVALID);
    expect(ct.invalidCause).toBe(CtInvalidCause.ICMP_ERROR_NO_FLOW);
  });

  it('conntrack icmp - time exceeded quoting an echo request is RELATED to the echo flow', () => {
    const ct = new ConntrackTable({ capacity: 64 });
    const i = ct.create(echo(A, B, 8), 0);
    const err = pkt({ src: '10.1.1.1', dst: A, proto: 1, icmpType: 11, inner: { src: A, dst: B, proto: 1, icmpType: 8, icmpId: 7 } });
    expect(ct.lookup(err, 1)).toBe(CtResult.RELATED);
    expect(ct.index).toBe(i);
    expect(ct.direction).toBe(CtDirection.REPLY);
  });

  it('conntrack icmp - ICMP errors never create entries', () => {
    const ct = new ConntrackTable({ capacity: 64 });
    const unreach = pkt({ src: B, dst: A, proto: 1, icmpType: 3, inner: { src: A, dst: B, proto: 17, sport: 1, dport: 2 } });
    expect(ct.create(unreach, 0)).toBe(-1);
    expect(ct.size).toBe(0);
  });
});
