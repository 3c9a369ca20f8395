import { describe, expect, it } from 'vitest';
import { ConntrackTable, CtCounter, CtInvalidCause, CtRemoveReason, CtResult, TcpCtState } from '../dataplane/conntrack/index.js';
import { c2s, F, s2c } from './conntrack-helpers.js';

function established(ct: ConntrackTable, t0 = 0): number {
  ct.lookup(c2s(F.SYN, 1000), t0);
  const i = ct.create(c2s(F.SYN, 1000), t0);
  ct.lookup(s2c(F.SYN | F.ACK, 5000, 1001), t0);
  ct.lookup(c2s(F.ACK, 1001, 5001), t0);
  expect(ct.stateOf(i)).toBe(TcpCtState.ESTABLISHED);
  return i;
}

describe('conntrack tcp - close and reset', () => {
  it('conntrack tcp - FIN, ACK, FIN, ACK walks FIN_WAIT, CLOSE_WAIT, LAST_ACK, TIME_WAIT and expires 120 s later', () => {
    const ct = new ConntrackTable({ capacity: 64 });
    const i = established(ct);
    expect(ct.lookup(c2s(F.FIN | F.ACK, 1001, 5001), 10)).toBe(CtResult.HIT_ORIGINAL);
    expect(ct.stateOf(i)).toBe(TcpCtState.FIN_WAIT);
    expect(ct.expiryOf(i)).toBe(10 + 120);
    expect(ct.lookup(s2c(F.ACK, 5001, 1002), 11)).toBe(CtResult.HIT_REPLY);
    expect(ct.stateOf(i)).toBe(TcpCtState.CLOSE_WAIT);
    expect(ct.expiryOf(i)).toBe(11 + 60);
    expect(ct.lookup(s2c(F.FIN | F.ACK, 5001, 1002), 12)).toBe(CtResult.HIT_REPLY);
    expect(ct.stateOf(i)).toBe(TcpCtState.LAST_ACK);
    expect(ct.expiryOf(i)).toBe(12 + 30);
    expect(ct.lookup(c2s(F.ACK, 1002, 5002), 13)).toBe(CtResult.HIT_ORIGINAL);
    expect(ct.stateOf(i)).toBe(TcpCtState.TIME_WAIT);
    expect(ct.expiryOf(i)).toBe(13 + 120);

    expect(ct.expire(132.999)).toBe(0);
    expect(ct.size).toBe(1);
    expect(ct.expire(133)).toBe(1);
    expect(ct.size).toBe(0);
    expect(ct.counters[CtCounter.EXPIRED]).toBe(1);
  });

  it('conntrack tcp - SYN on TIME_WAIT after a close kills the old entry and starts a new connection', () => {
    const removed: number[] = [];
    const ct = new ConntrackTable({ capacity: 64, onRemove: (_i, r) => removed.push(r) });
    const i = established(ct);
    const oldFlow = ct.flowIdOf(i);
    ct.lookup(c2s(F.FIN | F.ACK, 1001, 5001), 1);
    ct.lookup(s2c(F.FIN | F.ACK, 5001, 1002), 2);
    ct.lookup(c2s(F.ACK, 1002, 5002), 3);
    expect(ct.stateOf(i)).toBe(TcpCtState.TIME_WAIT);

    expect(ct.lookup(c2s(F.SYN, 90_000), 4)).toBe(CtResult.MISS_NEW);
    expect(removed).toEqual([CtRemoveReason.PORT_REUSE]);
    expect(ct.counters[CtCounter.KILLED_PORT_REUSE]).toBe(1);
    const j = ct.create(c2s(F.SYN, 90_000), 4, 42);
    expect(ct.size).toBe(1);
    expect(ct.stateOf(j)).toBe(TcpCtState.SYN_SENT);
    expect(oldFlow).not.toBe(42);
    expect(ct.flowIdOf(j)).toBe(42);
    expect(ct.seenReply(j)).toBe(false);
  });

  it('conntrack tcp - RST on a replied entry moves to CLOSE with the 10 s timer', () => {
    const ct = new ConntrackTable({ capacity: 64 });
    const i = established(ct);
    expect(ct.lookup(s2c(F.RST, 5001), 5)).toBe(CtResult.HIT_REPLY);
    expect(ct.stateOf(i)).toBe(TcpCtState.CLOSE);
    expect(ct.expiryOf(i)).toBe(15);
    expect(ct.isDying(i)).toBe(false);
    expect(ct.expire(15)).toBe(1);
  });

  it('conntrack tcp - RST with seq before the peer\'s highest ACK is INVALID and keeps the state', () => {
    const ct = new ConntrackTable({ capacity: 64 });
    const i = established(ct);
    expect(ct.lookup(s2c(F.RST, 4000), 5)).toBe(CtResult.INVALID);
    expect(ct.invalidCause).toBe(CtInvalidCause.TCP_INVALID_RST);
    expect(ct.stateOf(i)).toBe(TcpCtState.ESTABLISHED);
    const lenient = new ConntrackTable({ capacity: 64, tcpIgnoreInvalidRst: true });
    const k = established(lenient);
    // accepted, but not exactly in sequence: the state stays (challenge-ACK rule), the timer drops to CLOSE's
    expect(lenient.lookup(s2c(F.RST, 4000), 5)).toBe(CtResult.HIT_REPLY);
    expect(lenient.stateOf(k)).toBe(TcpCtState.ESTABLISHED);
    expect(lenient.expiryOf(k)).toBe(15);
  });

  it('conntrack tcp - RST not exactly in sequence on ESTABLISHED keeps the state (challenge ACK)', () => {
    const ct = new ConntrackTable({ capacity: 64 });
    const i = established(ct);
    expect(ct.lookup(s2c(F.RST, 6000), 5)).toBe(CtResult.HIT_REPLY);
    expect(ct.stateOf(i)).toBe(TcpCtState.ESTABLISHED);
  });

  it('conntrack tcp - RST answering a SYN deletes the unreplied entry', () => {
    const removed: number[] = [];
    const ct = new ConntrackTable({ capacity: 64, onRemove: (_i, r) => removed.push(r) });
    const i = ct.create(c2s(F.SYN, 1000), 0);
    expect(ct.lookup(s2c(F.RST | F.ACK, 0, 1001), 0.1)).toBe(CtResult.HIT_REPLY);
    expect(ct.index).toBe(i);
    expect(ct.isDying(i)).toBe(true);
    expect(removed).toEqual([CtRemoveReason.RST_UNREPLIED]);
    expect(ct.counters[CtCounter.KILLED_RST_UNREPLIED]).toBe(1);
    // the next call reclaims the slot; the client's retry is a new connection
    expect(ct.lookup(c2s(F.SYN, 1000), 1)).toBe(CtResult.MISS_NEW);
    expect(ct.size).toBe(0);
  });

  it('conntrack tcp - SYN on CLOSE after a peer RST is ignored, and the SYN/ACK answering it resyncs to SYN_RECV', () => {
    const ct = new ConntrackTable({ capacity: 64 });
    const i = established(ct);
    ct.lookup(s2c(F.RST, 5001), 5);
    expect(ct.stateOf(i)).toBe(TcpCtState.CLOSE);
    // the RST came from the other direction: no port reuse, the SYN is ignored
    expect(ct.lookup(c2s(F.SYN, 70_000), 6)).toBe(CtResult.HIT_ORIGINAL);
    expect(ct.stateOf(i)).toBe(TcpCtState.CLOSE);
    expect(ct.expiryOf(i)).toBe(15);
    expect(ct.lookup(s2c(F.SYN | F.ACK, 9000, 70_001), 6.1)).toBe(CtResult.HIT_REPLY);
    expect(ct.stateOf(i)).toBe(TcpCtState.SYN_RECV);
    expect(ct.lookup(c2s(F.ACK, 70_001, 9001), 6.2)).toBe(CtResult.HIT_ORIGINAL);
    expect(ct.stateOf(i)).toBe(TcpCtState.ESTABLISHED);
  });

  it('conntrack tcp - SYN on CLOSE after an own RST reuses the port', () => {
    const ct = new ConntrackTable({ capacity: 64 });
    established(ct);
    ct.lookup(c2s(F.RST, 1001), 5);
    expect(ct.lookup(c2s(F.SYN, 70_000), 6)).toBe(CtResult.MISS_NEW);
    expect(ct.counters[CtCounter.KILLED_PORT_REUSE]).toBe(1);
  });
});
