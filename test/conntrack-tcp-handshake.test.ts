import { describe, expect, it } from 'vitest';
import { ConntrackTable, CtCounter, CtDirection, CtInfo, CtInvalidCause, CtResult, TcpCtState } from '../dataplane/conntrack/index.js';
import { C, c2s, F, pkt, S, s2c } from './conntrack-helpers.js';

function handshake(ct: ConntrackTable, t0 = 100): number {
  expect(ct.lookup(c2s(F.SYN, 1000), t0)).toBe(CtResult.MISS_NEW);
  const i = ct.create(c2s(F.SYN, 1000), t0);
  expect(ct.lookup(s2c(F.SYN | F.ACK, 5000, 1001), t0 + 0.01)).toBe(CtResult.HIT_REPLY);
  expect(ct.lookup(c2s(F.ACK, 1001, 5001), t0 + 0.02)).toBe(CtResult.HIT_ORIGINAL);
  return i;
}

describe('conntrack tcp - handshake', () => {
  it('conntrack tcp - SYN is NEW and creates SYN_SENT with the 120 s timer only after create()', () => {
    const ct = new ConntrackTable({ capacity: 64 });
    expect(ct.lookup(c2s(F.SYN, 1000), 10)).toBe(CtResult.MISS_NEW);
    expect(ct.ctinfo).toBe(CtInfo.NEW);
    expect(ct.size).toBe(0);
    // a denied SYN leaves no entry: the next SYN is again a miss
    expect(ct.lookup(c2s(F.SYN, 1000), 11)).toBe(CtResult.MISS_NEW);
    const i = ct.create(c2s(F.SYN, 1000), 11);
    expect(i).toBeGreaterThanOrEqual(0);
    expect(ct.stateOf(i)).toBe(TcpCtState.SYN_SENT);
    expect(ct.expiryOf(i)).toBe(11 + 120);
    expect(ct.flowIdOf(i)).toBe(1);
    expect(ct.policyVersionOf(i)).toBe(0);
    expect(ct.counters[CtCounter.CREATED]).toBe(1);
  });

  it('conntrack tcp - create() keeps the caller\'s flow id and policy version on the entry', () => {
    const ct = new ConntrackTable({ capacity: 64 });
    const i = ct.create(c2s(F.SYN, 1000), 1, 4_000_000_000, 7);
    expect(ct.flowIdOf(i)).toBe(4_000_000_000);
    expect(ct.policyVersionOf(i)).toBe(7);
    // the handshake moves the state and timer, not the flow id or policy version
    expect(ct.lookup(s2c(F.SYN | F.ACK, 5000, 1001), 1.01)).toBe(CtResult.HIT_REPLY);
    expect(ct.lookup(c2s(F.ACK, 1001, 5001), 1.02)).toBe(CtResult.HIT_ORIGINAL);
    expect(ct.stateOf(i)).toBe(TcpCtState.ESTABLISHED);
    expect(ct.flowIdOf(i)).toBe(4_000_000_000);
    expect(ct.policyVersionOf(i)).toBe(7);
    // a re-evaluation records the new generation and leaves the TCP tracking alone
    ct.setPolicyVersion(i, 65_535);
    expect(ct.policyVersionOf(i)).toBe(65_535);
    expect(ct.lookup(c2s(F.ACK, 1001, 5001), 2)).toBe(CtResult.HIT_ORIGINAL);
    expect(ct.stateOf(i)).toBe(TcpCtState.ESTABLISHED);
    expect(ct.expiryOf(i)).toBe(2 + 432_000);
    // without a flow id the table numbers flows itself
    const j = ct.create(pkt({ src: C.ip, dst: S.ip, proto: 17, sport: 1, dport: 2 }), 3);
    expect(ct.flowIdOf(j)).toBe(1);
  });

  it('conntrack tcp - 3-way handshake ends ESTABLISHED and ASSURED with the established timer', () => {
    const ct = new ConntrackTable({ capacity: 64 });
    expect(ct.lookup(c2s(F.SYN, 1000), 100)).toBe(CtResult.MISS_NEW);
    const i = ct.create(c2s(F.SYN, 1000), 100);

    expect(ct.lookup(s2c(F.SYN | F.ACK, 5000, 1001), 100.01)).toBe(CtResult.HIT_REPLY);
    expect(ct.index).toBe(i);
    expect(ct.direction).toBe(CtDirection.REPLY);
    expect(ct.ctinfo).toBe(CtInfo.ESTABLISHED);
    expect(ct.stateOf(i)).toBe(TcpCtState.SYN_RECV);
    expect(ct.seenReply(i)).toBe(true);
    expect(ct.isAssured(i)).toBe(false);
    expect(ct.expiryOf(i)).toBeCloseTo(100.01 + 60, 9);

    expect(ct.lookup(c2s(F.ACK, 1001, 5001), 100.02)).toBe(CtResult.HIT_ORIGINAL);
    expect(ct.ctinfo).toBe(CtInfo.ESTABLISHED);
    expect(ct.stateOf(i)).toBe(TcpCtState.ESTABLISHED);
    expect(ct.isAssured(i)).toBe(true);
    expect(ct.expiryOf(i)).toBeCloseTo(100.02 + 432_000, 6);
    // the creating SYN is counted as CREATED, the two later packets as hits
    expect(ct.counters[CtCounter.HIT_ORIGINAL]).toBe(1);
    expect(ct.counters[CtCounter.HIT_REPLY]).toBe(1);
  });

  it('conntrack tcp - unacknowledged data caps the timer at 300 s until the peer ACKs it', () => {
    const ct = new ConntrackTable({ capacity: 64 });
    const i = handshake(ct, 0);
    expect(ct.lookup(c2s(F.ACK | F.PSH, 1001, 5001, 100), 1)).toBe(CtResult.HIT_ORIGINAL);
    expect(ct.expiryOf(i)).toBe(1 + 300);
    expect(ct.lookup(s2c(F.ACK, 5001, 1101), 2)).toBe(CtResult.HIT_REPLY);
    expect(ct.expiryOf(i)).toBe(2 + 432_000);
  });

  it('conntrack tcp - a data packet before the first reply sees NEW, later ones ESTABLISHED', () => {
    const ct = new ConntrackTable({ capacity: 64 });
    ct.create(c2s(F.SYN, 1000), 0);
    expect(ct.lookup(c2s(F.SYN, 1000), 1)).toBe(CtResult.HIT_ORIGINAL);
    expect(ct.ctinfo).toBe(CtInfo.NEW);
    ct.lookup(s2c(F.SYN | F.ACK, 5000, 1001), 2);
    expect(ct.lookup(c2s(F.ACK, 1001, 5001), 3)).toBe(CtResult.HIT_ORIGINAL);
    expect(ct.ctinfo).toBe(CtInfo.ESTABLISHED);
  });

  it('conntrack tcp - retransmitted SYN in SYN_SENT does not refresh the timer', () => {
    const ct = new ConntrackTable({ capacity: 64 });
    const i = ct.create(c2s(F.SYN, 1000), 0);
    expect(ct.lookup(c2s(F.SYN, 1000), 50)).toBe(CtResult.HIT_ORIGINAL);
    expect(ct.stateOf(i)).toBe(TcpCtState.SYN_SENT);
    expect(ct.expiryOf(i)).toBe(120);
    expect(ct.lookup(c2s(F.SYN, 1000), 120)).toBe(CtResult.MISS_NEW);
    expect(ct.counters[CtCounter.EXPIRED]).toBe(1);
  });

  it('conntrack tcp - server to client SYN on another tuple is a new connection, on the same tuple INVALID', () => {
    const ct = new ConntrackTable({ capacity: 64 });
    const i = handshake(ct);
    const other = pkt({ src: S.ip, dst: C.ip, sport: 5555, dport: C.port, flags: F.SYN, seq: 1 });
    expect(ct.lookup(other, 101)).toBe(CtResult.MISS_NEW);
    expect(ct.index).toBe(-1);
    // REPLY-direction SYN on ESTABLISHED is sIV
    expect(ct.lookup(s2c(F.SYN, 7), 101)).toBe(CtResult.INVALID);
    expect(ct.invalidCause).toBe(CtInvalidCause.TCP_INVALID_TRANSITION);
    expect(ct.stateOf(i)).toBe(TcpCtState.ESTABLISHED);
    // ORIGINAL-direction SYN on ESTABLISHED is ignored: accepted, state kept
    expect(ct.lookup(c2s(F.SYN, 9000), 102)).toBe(CtResult.HIT_ORIGINAL);
    expect(ct.stateOf(i)).toBe(TcpCtState.ESTABLISHED);
    expect(ct.counters[CtCounter.TCP_IGNORED]).toBe(1);
  });

  it('conntrack tcp - simultaneous open goes through SYN_SENT2 and a reply ACK in SYN_RECV establishes', () => {
    const ct = new ConntrackTable({ capacity: 64 });
    const i = ct.create(c2s(F.SYN, 1000), 0);
    expect(ct.lookup(s2c(F.SYN, 5000), 1)).toBe(CtResult.HIT_REPLY);
    expect(ct.stateOf(i)).toBe(TcpCtState.SYN_SENT2);
    expect(ct.lookup(c2s(F.SYN | F.ACK, 1000, 5001), 2)).toBe(CtResult.HIT_ORIGINAL);
    expect(ct.stateOf(i)).toBe(TcpCtState.SYN_RECV);
    expect(ct.lookup(s2c(F.ACK, 5001, 1001), 3)).toBe(CtResult.HIT_REPLY);
    expect(ct.stateOf(i)).toBe(TcpCtState.ESTABLISHED);
  });

  it('conntrack tcp - kubeproxy profile gives 24 h to established entries', async () => {
    const { CT_TIMEOUT_PROFILES } = await import('../dataplane/conntrack/index.js');
    const ct = new ConntrackTable({ capacity: 64, timeouts: CT_TIMEOUT_PROFILES.kubeproxy });
    const i = handshake(ct, 0);
    expect(ct.expiryOf(i)).toBeCloseTo(0.02 + 86_400, 6);
  });
});
