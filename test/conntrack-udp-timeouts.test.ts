import { describe, expect, it } from 'vitest';
import { ConntrackTable, CtCounter, CtResult, CT_TIMEOUT_PROFILES } from '../dataplane/conntrack/index.js';
import { pkt } from './conntrack-helpers.js';

const out = () => pkt({ src: '10.0.0.1', dst: '10.0.0.53', proto: 17, sport: 5000, dport: 53, len: 30 });
const back = () => pkt({ src: '10.0.0.53', dst: '10.0.0.1', proto: 17, sport: 53, dport: 5000, len: 60 });

describe('conntrack udp - timeouts', () => {
  it('conntrack udp - unreplied flow lives 30 s after its last packet', () => {
    const ct = new ConntrackTable({ capacity: 64 });
    expect(ct.lookup(out(), 0)).toBe(CtResult.MISS_NEW);
    const i = ct.create(out(), 0);
    expect(ct.expiryOf(i)).toBe(30);
    expect(ct.lookup(out(), 10)).toBe(CtResult.HIT_ORIGINAL);
    expect(ct.expiryOf(i)).toBe(40);
    expect(ct.isAssured(i)).toBe(false);
    expect(ct.lookup(out(), 40)).toBe(CtResult.MISS_NEW);
    expect(ct.counters[CtCounter.EXPIRED]).toBe(1);
  });

  it('conntrack udp - replies within 2 s of creation keep 30 s; after 2 s the flow becomes a 120 s assured stream', () => {
    const ct = new ConntrackTable({ capacity: 64 });
    const i = ct.create(out(), 0);
    expect(ct.lookup(back(), 0.5)).toBe(CtResult.HIT_REPLY);
    expect(ct.expiryOf(i)).toBe(30.5);
    expect(ct.seenReply(i)).toBe(true);
    expect(ct.lookup(out(), 1.5)).toBe(CtResult.HIT_ORIGINAL);
    expect(ct.expiryOf(i)).toBe(31.5);
    expect(ct.isAssured(i)).toBe(false);
    // exactly at stream_ts is not after it
    ct.lookup(out(), 2);
    expect(ct.expiryOf(i)).toBe(32);
    expect(ct.isAssured(i)).toBe(false);
    ct.lookup(back(), 2.5);
    expect(ct.expiryOf(i)).toBe(122.5);
    expect(ct.isAssured(i)).toBe(true);
    expect(ct.counters[CtCounter.HIT_REPLY]).toBe(2);
  });

  it('conntrack udp - the first reply after 2 s still takes the unreplied branch', () => {
    const ct = new ConntrackTable({ capacity: 64 });
    const i = ct.create(out(), 0);
    ct.lookup(back(), 5);
    expect(ct.expiryOf(i)).toBe(35);
    expect(ct.isAssured(i)).toBe(false);
    ct.lookup(out(), 6);
    expect(ct.expiryOf(i)).toBe(126);
    expect(ct.isAssured(i)).toBe(true);
  });

  it('conntrack udp - eBPF profiles use their own UDP timer', () => {
    const ct = new ConntrackTable({ capacity: 64, timeouts: CT_TIMEOUT_PROFILES.ciliumBpf });
    const i = ct.create(out(), 0);
    expect(ct.expiryOf(i)).toBe(60);
    ct.lookup(back(), 1);
    ct.lookup(out(), 5);
    expect(ct.expiryOf(i)).toBe(65);
  });

  it('conntrack generic - other protocols live 600 s and hit in both directions', () => {
    const ct = new ConntrackTable({ capacity: 64 });
    const gre = pkt({ src: '10.0.0.1', dst: '10.0.0.9', proto: 47 });
    expect(ct.lookup(gre, 0)).toBe(CtResult.MISS_NEW);
    const i = ct.create(gre, 0);
    expect(ct.expiryOf(i)).toBe(600);
    expect(ct.lookup(pkt({ src: '10.0.0.9', dst: '10.0.0.1', proto: 47 }), 100)).toBe(CtResult.HIT_REPLY);
    expect(ct.expiryOf(i)).toBe(700);
    expect(ct.lookup(pkt({ src: '10.0.0.1', dst: '10.0.0.9', proto: 50 }), 100)).toBe(CtResult.MISS_NEW);
  });
});
