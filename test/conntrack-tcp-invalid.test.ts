import { describe, expect, it } from 'vitest';
import { ConntrackTable, CtCounter, CtInfo, CtInvalidCause, CtResult, TcpCtState } from '../dataplane/conntrack/index.js';
import { c2s, F, s2c } from './conntrack-helpers.js';

const BAD_COMBOS: readonly [string, number][] = [
  ['SYN|FIN', F.SYN | F.FIN],
  ['NULL', 0],
  ['XMAS', F.FIN | F.PSH | F.URG],
  ['bare FIN', F.FIN],
  ['SYN|RST', F.SYN | F.RST],
  ['FIN|RST|ACK', F.FIN | F.RST | F.ACK],
];

describe('conntrack tcp - invalid packets and pickup', () => {
  for (const [name, flags] of BAD_COMBOS) {
    it(`conntrack tcp - ${name} is INVALID with and without an entry`, () => {
      const ct = new ConntrackTable({ capacity: 64 });
      expect(ct.lookup(c2s(flags, 1), 0)).toBe(CtResult.INVALID);
      expect(ct.invalidCause).toBe(CtInvalidCause.TCP_BAD_FLAGS);
      expect(ct.ctinfo).toBe(CtInfo.INVALID);
      expect(ct.create(c2s(flags, 1), 0)).toBe(-1);
      const i = ct.create(c2s(F.SYN, 1000), 0);
      expect(ct.lookup(s2c(flags, 5), 1)).toBe(CtResult.INVALID);
      expect(ct.stateOf(i)).toBe(TcpCtState.SYN_SENT);
      expect(ct.counters[CtCounter.INVALID_BASE + CtInvalidCause.TCP_BAD_FLAGS]).toBe(2);
    });
  }

  it('conntrack tcp - PSH, ECE and CWR do not make a valid combination invalid', () => {
    const ct = new ConntrackTable({ capacity: 64 });
    expect(ct.lookup(c2s(F.SYN | F.ECE | F.CWR, 1), 0)).toBe(CtResult.MISS_NEW);
  });

  it('conntrack tcp - SYN/ACK, FIN|ACK, RST and RST|ACK without an entry are INVALID and create nothing', () => {
    const ct = new ConntrackTable({ capacity: 64 });
    for (const f of [F.SYN | F.ACK, F.FIN | F.ACK, F.RST, F.RST | F.ACK]) {
      expect(ct.lookup(c2s(f, 1, 1), 0)).toBe(CtResult.INVALID);
      expect(ct.invalidCause).toBe(CtInvalidCause.TCP_INVALID_NEW);
      expect(ct.create(c2s(f, 1, 1), 0)).toBe(-1);
    }
    expect(ct.size).toBe(0);
    expect(ct.counters[CtCounter.INVALID_BASE + CtInvalidCause.TCP_INVALID_NEW]).toBe(4);
  });

  it('conntrack tcp - mid-stream ACK with tcpLoose is NEW, picked up as ESTABLISHED, capped at 300 s until answered', () => {
    const ct = new ConntrackTable({ capacity: 64 });
    expect(ct.lookup(c2s(F.ACK, 100, 200), 0)).toBe(CtResult.MISS_NEW);
    expect(ct.ctinfo).toBe(CtInfo.NEW);
    const i = ct.create(c2s(F.ACK, 100, 200), 0);
    expect(ct.stateOf(i)).toBe(TcpCtState.ESTABLISHED);
    expect(ct.isAssured(i)).toBe(false);
    expect(ct.expiryOf(i)).toBe(300);
    // the first reply's handler still sees "not replied": capped, not assured
    expect(ct.lookup(s2c(F.ACK, 200, 100), 1)).toBe(CtResult.HIT_REPLY);
    expect(ct.isAssured(i)).toBe(false);
    expect(ct.expiryOf(i)).toBe(301);
    expect(ct.lookup(c2s(F.ACK, 100, 200, 0), 2)).toBe(CtResult.HIT_ORIGINAL);
    expect(ct.ctinfo).toBe(CtInfo.ESTABLISHED);
    expect(ct.isAssured(i)).toBe(true);
    expect(ct.expiryOf(i)).toBe(2 + 432_000);
  });

  it('conntrack tcp - mid-stream ACK without tcpLoose is INVALID and only SYN creates', () => {
    const ct = new ConntrackTable({ capacity: 64, tcpLoose: false });
    expect(ct.lookup(c2s(F.ACK, 100, 200), 0)).toBe(CtResult.INVALID);
    expect(ct.invalidCause).toBe(CtInvalidCause.TCP_INVALID_NEW);
    expect(ct.create(c2s(F.ACK, 100, 200), 0)).toBe(-1);
    expect(ct.lookup(c2s(F.SYN, 100), 0)).toBe(CtResult.MISS_NEW);
  });

  it('conntrack tcp - a reply ACK in SYN_SENT is ignored without refreshing the timer', () => {
    const ct = new ConntrackTable({ capacity: 64 });
    const i = ct.create(c2s(F.SYN, 1000), 0);
    expect(ct.lookup(s2c(F.ACK, 1, 1001), 1)).toBe(CtResult.HIT_REPLY);
    expect(ct.stateOf(i)).toBe(TcpCtState.SYN_SENT);
    expect(ct.expiryOf(i)).toBe(120);
    expect(ct.counters[CtCounter.TCP_IGNORED]).toBe(1);
  });

  it('conntrack tcp - four identical ACKs in a row count as retransmissions and cap the timer at 300 s', () => {
    const ct = new ConntrackTable({ capacity: 64 });
    ct.create(c2s(F.SYN, 1000), 0);
    ct.lookup(s2c(F.SYN | F.ACK, 5000, 1001), 0);
    ct.lookup(c2s(F.ACK, 1001, 5001), 0);
    const i = ct.index;
    // the handshake ACK was the first; two more are retransmissions 1 and 2
    for (let k = 1; k <= 2; k++) {
      ct.lookup(c2s(F.ACK, 1001, 5001), k);
      expect(ct.expiryOf(i)).toBe(k + 432_000);
    }
    // retransmission 3 reaches tcp_max_retrans
    ct.lookup(c2s(F.ACK, 1001, 5001), 3);
    expect(ct.expiryOf(i)).toBe(3 + 300);
    // a new segment resets the count
    ct.lookup(c2s(F.ACK, 1001, 5001, 10), 4);
    ct.lookup(s2c(F.ACK, 5001, 1011), 5);
    expect(ct.expiryOf(i)).toBe(5 + 432_000);
  });

  it('conntrack tcp - a zero window caps the established timer at 300 s', () => {
    const ct = new ConntrackTable({ capacity: 64 });
    ct.create(c2s(F.SYN, 1000), 0);
    ct.lookup(s2c(F.SYN | F.ACK, 5000, 1001), 0);
    const m = c2s(F.ACK, 1001, 5001);
    m.tcpWindow = 0;
    ct.lookup(m, 1);
    expect(ct.expiryOf(ct.index)).toBe(301);
  });
});
