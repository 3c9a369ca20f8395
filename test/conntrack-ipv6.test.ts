import { describe, expect, it } from 'vitest';
import { ConntrackTable, CtDirection, CtResult, TcpCtState } from '../dataplane/conntrack/index.js';
import { addrWords, F, pkt } from './conntrack-helpers.js';

const A = 'fd00:10::1';
const B = 'fd00:10::2';

describe('conntrack ipv6 - entries', () => {
  it('conntrack ipv6 - TCP handshake over IPv6 tracks both directions and keeps full addresses', () => {
    const ct = new ConntrackTable({ capacity: 64 });
    const before = ct.bytesPerSlot();
    const syn = pkt({ src: A, dst: B, sport: 40000, dport: 443, flags: F.SYN, seq: 1 });
    expect(ct.lookup(syn, 0)).toBe(CtResult.MISS_NEW);
    const i = ct.create(syn, 0);
    expect(ct.bytesPerSlot()).toBe(before + 32);
    expect(ct.lookup(pkt({ src: B, dst: A, sport: 443, dport: 40000, flags: F.SYN | F.ACK, seq: 9, ack: 2 }), 1)).toBe(CtResult.HIT_REPLY);
    expect(ct.lookup(pkt({ src: A, dst: B, sport: 40000, dport: 443, flags: F.ACK, seq: 2, ack: 10 }), 2)).toBe(CtResult.HIT_ORIGINAL);
    expect(ct.stateOf(i)).toBe(TcpCtState.ESTABLISHED);
    expect(ct.ipVersionOf(i)).toBe(6);
    const s = new Uint32Array(4);
    const d = new Uint32Array(4);
    ct.addressesOf(i, s, d);
    const ea = new Uint32Array(4);
    const eb = new Uint32Array(4);
    addrWords(A, ea);
    addrWords(B, eb);
    expect([...s]).toEqual([...ea]);
    expect([...d]).toEqual([...eb]);
  });

  it('conntrack ipv6 - addresses differing in any word, or an IPv4 address equal to word 0, do not match', () => {
    const ct = new ConntrackTable({ capacity: 64 });
    ct.create(pkt({ src: A, dst: B, proto: 17, sport: 1, dport: 2 }), 0);
    expect(ct.lookup(pkt({ src: 'fd00:11::1', dst: B, proto: 17, sport: 1, dport: 2 }), 1)).toBe(CtResult.MISS_NEW);
    expect(ct.lookup(pkt({ src: A, dst: 'fd00:10::1:2', proto: 17, sport: 1, dport: 2 }), 1)).toBe(CtResult.MISS_NEW);
    // fd00:0010:: has word 0 = 0xfd000010 = 253.0.0.16
    expect(ct.lookup(pkt({ src: '253.0.0.16', dst: '253.0.0.16', proto: 17, sport: 1, dport: 2 }), 1)).toBe(CtResult.MISS_NEW);
    expect(ct.lookup(pkt({ src: B, dst: A, proto: 17, sport: 2, dport: 1 }), 1)).toBe(CtResult.HIT_REPLY);
  });

  it('conntrack ipv6 - ICMPv6 echo pairs 128/129, errors are RELATED, neighbour discovery is UNTRACKED', () => {
    const ct = new ConntrackTable({ capacity: 64 });
    const i = ct.create(pkt({ src: A, dst: B, proto: 58, icmpType: 128, icmpId: 3 }), 0);
    expect(i).toBeGreaterThanOrEqual(0);
    expect(ct.lookup(pkt({ src: B, dst: A, proto: 58, icmpType: 129, icmpId: 3 }), 1)).toBe(CtResult.HIT_REPLY);
    expect(ct.lookup(pkt({ src: B, dst: A, proto: 58, icmpType: 135 }), 1)).toBe(CtResult.UNTRACKED);
    expect(ct.lookup(pkt({ src: B, dst: A, proto: 58, icmpType: 129, icmpId: 4 }), 1)).toBe(CtResult.INVALID);

    const u = ct.create(pkt({ src: A, dst: B, proto: 17, sport: 7000, dport: 53 }), 2);
    const unreach = pkt({ src: B, dst: A, proto: 58, icmpType: 1, icmpCode: 4, inner: { src: A, dst: B, proto: 17, sport: 7000, dport: 53 } });
    expect(ct.lookup(unreach, 3)).toBe(CtResult.RELATED);
    expect(ct.index).toBe(u);
    expect(ct.direction).toBe(CtDirection.REPLY);
  });
});
