/**
 * ExpiryQueue against a plain model: random schedules (earlier, later, repeated), cancels and
 * id reuse; at every clock step the flows it reports due are exactly those whose latest
 * scheduled expiry the clock reached, each once, and stale items never surface.
 */
import { describe, expect, it } from 'vitest';
import { ExpiryQueue } from '../dataplane/expiry-queue.js';

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return s / 2 ** 32;
  };
}

describe('ExpiryQueue', () => {
  it('expiry queue - pops exactly the flows whose current expiry the clock reached, through reschedules, cancels and id reuse', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const rnd = random(seed);
      const q = new ExpiryQueue();
      const ids = 300;
      const seq = new Float64Array(ids);
      let started = 0;
      // The model: the expiry each live flow has now (what the owner would find when it pops).
      const expiry = new Map<number, number>();
      let clock = 0;
      for (let step = 0; step < 3000; step++) {
        const f = Math.floor(rnd() * ids);
        const action = rnd();
        if (action < 0.45) {
          if (!expiry.has(f)) seq[f] = started++;
          const at = clock + rnd() * 50;
          expiry.set(f, at);
          q.schedule(f, seq[f] as number, at);
        } else if (action < 0.55) {
          if (expiry.has(f)) {
            expiry.delete(f);
            q.cancel(f);
          }
        } else {
          clock += rnd() * 5;
          const due: number[] = [];
          for (;;) {
            const g = q.popDue(clock, seq);
            if (g === -2) break;
            if (g < 0) continue;
            const real = expiry.get(g);
            expect(real).toBeDefined();
            // Lazy extension: an item may come due before the flow's real (later) expiry.
            if ((real as number) > clock) {
              q.schedule(g, seq[g] as number, real as number);
              continue;
            }
            due.push(g);
            expiry.delete(g);
          }
          const expected = [...expiry.entries()].filter(([, at]) => at <= clock);
          expect(expected).toEqual([]);
          expect(new Set(due).size).toBe(due.length);
        }
      }
    }
  });

  it('expiry queue - stale items are compacted: the heap follows the live flows, not the number of reschedules', () => {
    const q = new ExpiryQueue();
    const seq = new Float64Array(10);
    // Ten flows whose expiry moves earlier 10,000 times each: every move pushes an item.
    for (let round = 0; round < 10_000; round++) for (let f = 0; f < 10; f++) q.schedule(f, 0, 1e9 - round);
    expect(q.size).toBeLessThanOrEqual(4096 + 40);
    const popped: number[] = [];
    for (let f = q.popDue(2e9, seq); f !== -2; f = q.popDue(2e9, seq)) if (f >= 0) popped.push(f);
    expect(popped.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
