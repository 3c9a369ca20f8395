import { describe, expect, it } from 'vitest';
import { ConntrackTable, CT_TIMEOUT_PROFILES, TcpCtState } from '../dataplane/conntrack/index.js';
import type { CtTimeoutProfileName } from '../dataplane/conntrack/index.js';
import { c2s, F, pkt, s2c } from './conntrack-helpers.js';

// SEMANTICS.md §8.2: established / after the first FIN / TIME_WAIT / ICMP, per profile.
const EXPECTED: Record<CtTimeoutProfileName, [number, number, number, number]> = {
  linux: [432_000, 120, 120, 30],
  kubeproxy: [86_400, 120, 120, 30],
  calicoBpf: [3_600, 3_600, 30, 5],
  ciliumBpf: [8_000, 10, 10, 60],
};

describe('conntrack timeouts - profiles', () => {
  for (const [name, [est, finWait, timeWait, icmp]] of Object.entries(EXPECTED) as [CtTimeoutProfileName, [number, number, number, number]][]) {
    it(`conntrack timeouts - ${name} drives the state machine with its own timers`, () => {
      const ct = new ConntrackTable({ capacity: 64, timeouts: CT_TIMEOUT_PROFILES[name] });
      const i = ct.create(c2s(F.SYN, 1000), 0);
      ct.lookup(s2c(F.SYN | F.ACK, 5000, 1001), 0);
      ct.lookup(c2s(F.ACK, 1001, 5001), 1);
      expect(ct.expiryOf(i)).toBe(1 + est);
      ct.lookup(c2s(F.FIN | F.ACK, 1001, 5001), 2);
      expect(ct.stateOf(i)).toBe(TcpCtState.FIN_WAIT);
      expect(ct.expiryOf(i)).toBe(2 + finWait);
      ct.lookup(s2c(F.FIN | F.ACK, 5001, 1002), 3);
      ct.lookup(c2s(F.ACK, 1002, 5002), 4);
      expect(ct.stateOf(i)).toBe(TcpCtState.TIME_WAIT);
      expect(ct.expiryOf(i)).toBe(4 + timeWait);
      const e = ct.create(pkt({ src: '10.1.0.1', dst: '10.1.0.2', proto: 1, icmpType: 8, icmpId: 1 }), 5);
      expect(ct.expiryOf(e)).toBe(5 + icmp);
    });
  }
});
