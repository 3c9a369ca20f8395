import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConntrackTable, CtResult } from '../dataplane/conntrack/index.js';
import type { PacketMeta } from '../dataplane/packet-meta.js';
import { pkt } from './conntrack-helpers.js';

/**
 * Random packet sequences over a small tuple pool in a small table (many collisions, lazy
 * expiry and backward-shift deletions), checked against a Map-based model of the UDP/generic
 * rules: every live entry is still found in both directions, expired ones are gone, flow ids
 * stay attached to their tuples through moves.
 */
const ADDRS = ['10.0.0.1', '10.0.0.2', '10.0.0.3', 'fd00::1', 'fd00::2'];
interface Tuple { src: string; dst: string; proto: number; sport: number; dport: number }
const POOL: Tuple[] = [];
for (let a = 0; a < ADDRS.length; a++) {
  for (let b = 0; b < ADDRS.length; b++) {
    const v6a = ADDRS[a]!.includes(':');
    const v6b = ADDRS[b]!.includes(':');
    if (a === b || v6a !== v6b) continue;
    for (const sport of [1000, 1001, 2000, 3000, 4000]) POOL.push({ src: ADDRS[a]!, dst: ADDRS[b]!, proto: 17, sport, dport: 53 });
    POOL.push({ src: ADDRS[a]!, dst: ADDRS[b]!, proto: 47, sport: 0, dport: 0 });
  }
}
// Canonical key: the unordered pair of endpoints.
function canon(t: Tuple): string {
  const x = `${t.src}/${t.sport}`;
  const y = `${t.dst}/${t.dport}`;
  return `${t.proto}|${x < y ? x + '|' + y : y + '|' + x}`;
}
const distinct = new Set(POOL.map(canon)).size;

interface ModelEntry { origSrc: string; origSport: number; expiry: number; first: number; seenReply: boolean; flowId: number }

type Op = { kind: 'pkt'; t: number; reverse: boolean; dt: number; allow: boolean } | { kind: 'expire'; dt: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ kind: fc.constant('pkt' as const), t: fc.nat(POOL.length - 1), reverse: fc.boolean(), dt: fc.double({ min: 0, max: 20, noNaN: true }), allow: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('expire' as const), dt: fc.double({ min: 0, max: 100, noNaN: true }) }) },
);

describe('conntrack table - probe chains against a model', () => {
  it('conntrack table - random packets keep every live entry reachable after collisions and deletions', () => {
    expect(distinct).toBe(44);
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 300 }), (ops) => {
        const ct = new ConntrackTable({ capacity: 64, maxEntries: 60 });
        const model = new Map<string, ModelEntry>();
        let now = 0;
        const meta: PacketMeta = pkt({ src: '10.0.0.1', dst: '10.0.0.2' });
        for (const op of ops) {
          now += op.dt;
          if (op.kind === 'expire') {
            ct.expire(now);
            for (const [k, e] of model) if (e.expiry <= now) model.delete(k);
            expect(ct.size).toBe(model.size);
            continue;
          }
          const t = POOL[op.t]!;
          const m = op.reverse
            ? pkt({ src: t.dst, dst: t.src, proto: t.proto, sport: t.dport, dport: t.sport }, meta)
            : pkt({ src: t.src, dst: t.dst, proto: t.proto, sport: t.sport, dport: t.dport }, meta);
          const key = canon(t);
          let e = model.get(key);
          if (e !== undefined && e.expiry <= now) {
            model.delete(key);
            e = undefined;
          }
          const r = ct.lookup(m, now);
          if (e === undefined) {
            expect(r).toBe(CtResult.MISS_NEW);
            if (op.allow) {
              const i = ct.create(m, now);
              expect(i).toBeGreaterThanOrEqual(0);
              const src = op.reverse ? t.dst : t.src;
              const sport = op.reverse ? t.dport : t.sport;
              model.set(key, { origSrc: src, origSport: sport, expiry: now + (t.proto === 17 ? 30 : 600), first: now, seenReply: false, flowId: ct.flowIdOf(i) });
            }
            continue;
          }
          const pktSrc = op.reverse ? t.dst : t.src;
          const pktSport = op.reverse ? t.dport : t.sport;
          const isOrig = pktSrc === e.origSrc && pktSport === e.origSport;
          expect(r).toBe(isOrig ? CtResult.HIT_ORIGINAL : CtResult.HIT_REPLY);
          expect(ct.flowIdOf(ct.index)).toBe(e.flowId);
          if (t.proto === 17) {
            e.expiry = now + (e.seenReply && now > e.first + 2 ? 120 : 30);
          } else {
            e.expiry = now + 600;
          }
          if (!isOrig) e.seenReply = true;
          expect(ct.expiryOf(ct.index)).toBe(e.expiry);
        }
        // every live model entry is found, from both sides
        for (const t of POOL) {
          const e = model.get(canon(t));
          if (e === undefined || e.expiry <= now) continue;
          const fwd = pkt({ src: t.src, dst: t.dst, proto: t.proto, sport: t.sport, dport: t.dport }, meta);
          expect(ct.lookup(fwd, now)).not.toBe(CtResult.MISS_NEW);
          expect(ct.flowIdOf(ct.index)).toBe(e.flowId);
        }
      }),
      { numRuns: 300, seed: 0x5eed },
    );
  });
});
