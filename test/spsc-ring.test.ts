/**
 * SPSC byte rings (src/parallel/spsc-ring.ts): single-thread order/content/wrap/full behaviour,
 * real worker_threads in both directions through a tiny ring (so both sides block constantly and
 * every wake-up path runs), a shared doorbell over several rings, close semantics, and position
 * counters crossing 2^31 and 2^32. A lost wake-up shows as a waitFor* timeout, which throws.
 *
 * Workers run test/fixtures/ring/ring-worker.mjs on a copy of the ring module transpiled from the
 * TS source in beforeAll (so the test never runs a stale dist/ build).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { byteAt, messageLength } from './fixtures/ring/message-stream.mjs';
import { createRing, Doorbell, maxMessageBytes, RingReader, RingWriter } from '../src/parallel/spsc-ring.js';

const WORKER = fileURLToPath(new URL('./fixtures/ring/ring-worker.mjs', import.meta.url));
const WAIT_MS = 10_000;
let tmp = '';
let moduleUrl = '';

beforeAll(() => {
  const src = readFileSync(fileURLToPath(new URL('../src/parallel/spsc-ring.ts', import.meta.url)), 'utf8');
  const out = ts.transpileModule(src, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } });
  tmp = mkdtempSync(join(tmpdir(), 'spsc-ring-'));
  const file = join(tmp, 'spsc-ring.mjs');
  writeFileSync(file, out.outputText);
  moduleUrl = pathToFileURL(file).href;
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

// --- the deterministic message stream, shared with the worker fixture ---
function fill(w: RingWriter, off: number, len: number, seed: number, i: number): void {
  for (let j = 0; j < len; j++) w.bytes[off + j] = byteAt(seed, i, j);
  if (len >= 4) w.view.setUint32(off, i, true);
}
/** Throws on the first difference (expect() per byte would be far too slow for millions). */
function check(r: RingReader, off: number, seed: number, i: number): void {
  const len = r.length;
  const want = messageLength(seed, i, r.maxMessage);
  if (len !== want) throw new Error(`message ${i}: length ${len}, expected ${want}`);
  if (len >= 4 && r.view.getUint32(off, true) !== i >>> 0) throw new Error(`message ${i}: sequence ${r.view.getUint32(off, true)}`);
  for (let j = len >= 4 ? 4 : 0; j < len; j++) {
    if (r.bytes[off + j] !== byteAt(seed, i, j)) throw new Error(`message ${i}: byte ${j} is ${r.bytes[off + j]}, expected ${byteAt(seed, i, j)}`);
  }
}

/** Runs the fixture; resolves with what it posts, rejects on its error or a non-zero exit. */
function runWorker(data: Record<string, unknown>): Promise<number> {
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER, { workerData: { moduleUrl, timeoutMs: WAIT_MS, ...data } });
    let result: number | undefined;
    w.on('message', (m: number) => (result = m));
    w.on('error', reject);
    w.on('exit', (code) => (code === 0 && result !== undefined ? resolve(result) : reject(new Error(`worker exited ${code} without a result`))));
  });
}

/** mulberry32, for the single-thread interleavings. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('spsc ring, one thread', () => {
  it('validates sizes and hands out 8-aligned contiguous regions up to dataBytes/2', () => {
    expect(() => createRing(1000)).toThrow(RangeError);
    expect(() => createRing(8)).toThrow(RangeError);
    const sab = createRing(256);
    const w = new RingWriter(sab);
    const r = new RingReader(sab);
    expect(w.maxMessage).toBe(128);
    expect(maxMessageBytes(256)).toBe(128);
    expect(() => w.reserve(129)).toThrow(RangeError);
    expect(() => w.reserve(-1)).toThrow(RangeError);
    expect(() => w.reserve(1.5)).toThrow(RangeError);
    expect(() => w.commit()).toThrow();
    expect(r.next()).toBe(-1);
    expect(() => r.release()).toThrow();
    const off = w.reserve(128);
    expect(off % 8).toBe(0);
    expect((w.bytes.byteOffset + off) % 8).toBe(0);
    w.bytes.fill(7, off, off + 128);
    w.commit();
    const got = r.next();
    expect(got).toBe(off);
    expect(r.length).toBe(128);
    expect(r.next()).toBe(got); // same message until release()
    expect([...r.bytes.subarray(got, got + 128)].every((b) => b === 7)).toBe(true);
    r.release();
    expect(r.next()).toBe(-1);
  });

  it('full ring: reserve gives -1 until the reader releases; a message that would straddle the end goes to the start', () => {
    const sab = createRing(256);
    const w = new RingWriter(sab);
    const r = new RingReader(sab);
    // 5 records of 8+40 = 48 bytes = 240; a 16-byte record (8-byte payload) fills the tail exactly.
    for (let i = 0; i < 5; i++) {
      const off = w.reserve(40);
      expect(off).toBe(i * 48 + 8);
      w.bytes[off] = i;
      w.commit();
    }
    expect(w.reserve(8)).toBe(240 + 8);
    w.commit();
    expect(w.reserve(0)).toBe(-1); // exactly full
    expect(w.usedBytes).toBe(256);
    expect(r.next()).toBe(8);
    expect(r.bytes[8]).toBe(0);
    r.release();
    // 48 bytes free, all at the head.
    expect(w.reserve(24)).toBe(8); // 32-byte record
    w.commit();
    expect(w.reserve(0)).toBe(40); // 8-byte record
    w.commit();
    expect(w.reserve(0)).toBe(48);
    w.commit();
    expect(w.reserve(0)).toBe(-1);
    for (let i = 1; i < 5; i++) {
      expect(r.next()).toBe(i * 48 + 8);
      expect(r.length).toBe(40);
      expect(r.bytes[i * 48 + 8]).toBe(i);
      r.release();
    }
    for (const [off, len] of [[248, 8], [8, 24], [40, 0], [48, 0]] as const) {
      expect(r.next()).toBe(off);
      expect(r.length).toBe(len);
      r.release();
    }
    expect(r.next()).toBe(-1);
  });

  it('a wrap marker is published on its own, so a max-size message gets in once the tail is freed', () => {
    const sab = createRing(64); // max 32-byte payload = 40-byte record
    const w = new RingWriter(sab);
    const r = new RingReader(sab);
    expect(w.reserve(24)).toBe(8); // record 0..32
    w.commit();
    expect(r.next()).toBe(8);
    r.release(); // empty, both positions at 32
    // Tail 32 < 40: reserve publishes a marker over the tail, but the head (32 bytes) is too small.
    expect(w.reserve(32)).toBe(-1);
    expect(w.usedBytes).toBe(32);
    expect(r.next()).toBe(-1); // the reader skips (frees) the marker...
    expect(w.usedBytes).toBe(0);
    expect(w.reserve(32)).toBe(8); // ...and the message goes in at the start
    w.bytes.fill(9, 8, 40);
    w.commit();
    expect(r.next()).toBe(8);
    expect(r.length).toBe(32);
    expect([...r.bytes.subarray(8, 40)].every((b) => b === 9)).toBe(true);
    r.release();
    expect(r.next()).toBe(-1);
  });

  it('a failed reserve() cancels the previous reservation', () => {
    const sab = createRing(64);
    const w = new RingWriter(sab);
    const r = new RingReader(sab);
    expect(w.reserve(24)).toBe(8);
    w.commit();
    expect(w.reserve(4)).toBe(40); // reserved at 32, not committed
    expect(w.reserve(32)).toBe(-1); // marker over 32..64 published, head busy
    expect(() => w.commit()).toThrow(/without reserve/);
    expect(r.next()).toBe(8);
    r.release();
    expect(r.next()).toBe(-1); // only the marker followed
    expect(w.reserve(32)).toBe(8);
  });

  const START_POSITIONS: [string, number][] = [
    ['0', 0],
    ['just below 2^31', 0x7fffff00 | 0],
    ['just below 2^32', 0xffffff00 | 0],
  ];
  it.each(START_POSITIONS)('100K messages keep order and content (counters start at %s)', (_name, start) => {
    for (const size of [4096, 256]) {
      const sab = createRing(size, { startPosition: start });
      const w = new RingWriter(sab);
      const r = new RingReader(sab);
      const rand = rng(size ^ start);
      const seed = 42;
      const N = 100_000;
      let written = 0;
      let readN = 0;
      let fulls = 0;
      let wraps = 0;
      let lastOff = -1;
      while (readN < N) {
        // Bursts of writes then bursts of reads, of random length, so the ring is sometimes full.
        const burst = 1 + Math.floor(rand() * 12);
        for (let k = 0; k < burst && written < N; k++) {
          const len = messageLength(seed, written, w.maxMessage);
          const off = w.reserve(len);
          if (off < 0) {
            fulls++;
            break;
          }
          if (off < lastOff) wraps++;
          lastOff = off;
          fill(w, off, len, seed, written);
          w.commit();
          written++;
        }
        const rburst = 1 + Math.floor(rand() * 12);
        for (let k = 0; k < rburst; k++) {
          const off = r.next();
          if (off < 0) break;
          check(r, off, seed, readN);
          r.release();
          readN++;
        }
      }
      expect(r.next()).toBe(-1);
      expect(fulls).toBeGreaterThan(100);
      expect(wraps).toBeGreaterThan(100);
      // Every message of the stream went through, including both extremes.
      expect(written).toBe(N);
    }
  });

  it('positions really cross 2^31 and 2^32 (usedBytes stays exact)', () => {
    const start = 0xffffffc0 | 0;
    const sab = createRing(128, { startPosition: start });
    const header = new Int32Array(sab, 0, 32);
    const w = new RingWriter(sab);
    const r = new RingReader(sab);
    let i = 0;
    for (let round = 0; round < 20; round++) {
      while (w.reserve(20) >= 0) {
        fill(w, w.reserve(20), 20, 1, i++);
        w.commit();
      }
      expect(w.usedBytes).toBeGreaterThan(128 - 28 - 8 - 1);
      let off: number;
      while ((off = r.next()) >= 0) r.release();
      void off;
      expect(w.usedBytes).toBe(0);
    }
    expect((header[0]! >>> 0) < (start >>> 0)).toBe(true); // wrapped past 2^32
  });

  it('commit and release call Atomics.notify only when the other side announced it sleeps', () => {
    const notify = vi.spyOn(Atomics, 'notify');
    try {
      const sab = createRing(1024);
      const w = new RingWriter(sab);
      const r = new RingReader(sab);
      for (let i = 0; i < 1000; i++) {
        w.reserve(100);
        w.commit();
        r.next();
        r.release();
      }
      expect(notify).not.toHaveBeenCalled();
      // A timed-out waiter leaves no announcement behind.
      expect(r.waitForData(5)).toBe(false);
      w.reserve(1);
      w.commit();
      expect(notify).not.toHaveBeenCalled();
    } finally {
      notify.mockRestore();
    }
  });

  it('ends check the doorbell the ring was created with', () => {
    const bell = Doorbell.create();
    const other = Doorbell.create();
    expect(bell.id).not.toBe(0);
    expect(bell.id).not.toBe(other.id);
    const sab = createRing(64, { dataBell: bell });
    expect(() => new RingReader(sab)).toThrow(/dataBell/);
    expect(() => new RingReader(sab, { dataBell: other })).toThrow(/wrong data doorbell/);
    expect(() => new RingWriter(sab, { dataBell: bell, spaceBell: bell })).toThrow(/without an external space doorbell/);
    expect(() => new RingWriter(sab, { dataBell: new Doorbell(bell.buffer) })).not.toThrow();
  });
});

describe('spsc ring, close', () => {
  it('the reader sees every message written before close, then closed', () => {
    const sab = createRing(256);
    const w = new RingWriter(sab);
    const r = new RingReader(sab);
    for (let i = 0; i < 3; i++) {
      fill(w, w.reserve(messageLength(9, i, w.maxMessage)), messageLength(9, i, w.maxMessage), 9, i);
      w.commit();
    }
    w.reserve(10); // reserved but never committed: dropped by close
    w.close();
    w.close();
    expect(() => w.reserve(1)).toThrow(/closed/);
    expect(r.isClosedFlag).toBe(true);
    for (let i = 0; i < 3; i++) {
      expect(r.closed).toBe(false);
      expect(r.waitForData(1000)).toBe(true);
      const off = r.next();
      expect(off).toBeGreaterThanOrEqual(0);
      expect(r.closed).toBe(false); // a message is still held
      check(r, off, 9, i);
      r.release();
    }
    expect(r.next()).toBe(-1);
    expect(r.closed).toBe(true);
    expect(r.waitForData(1000)).toBe(true);
  });

  it('closed skips a trailing wrap marker', () => {
    const sab = createRing(64);
    const w = new RingWriter(sab);
    const r = new RingReader(sab);
    w.reserve(24);
    w.commit();
    r.next();
    r.release();
    w.reserve(32); // publishes the marker at 32, reserves at 0
    w.close();
    expect(r.closed).toBe(true);
  });

  it('close wakes a reader sleeping in waitForData (other thread)', async () => {
    const sab = createRing(4096);
    const r = new RingReader(sab);
    const done = runWorker({ role: 'produce', ring: sab, count: 0, seed: 1, delayMs: 200 });
    const t0 = performance.now();
    expect(r.waitForData(WAIT_MS)).toBe(true);
    expect(performance.now() - t0).toBeLessThan(WAIT_MS / 2);
    expect(r.closed).toBe(true);
    await done;
  });
});

/** Main-thread consumer of `count` messages of the stream, sleeping whenever the ring is empty. */
function consumeAll(r: RingReader, count: number, seed: number): number {
  let waits = 0;
  for (let i = 0; i < count; i++) {
    let off = r.next();
    if (off < 0) {
      waits++;
      if (!r.waitForData(WAIT_MS)) throw new Error(`main: no data after ${WAIT_MS} ms at message ${i} (lost wake-up?)`);
      off = r.next();
      if (off < 0) throw new Error(`main: ring closed after ${i} of ${count}`);
    }
    check(r, off, seed, i);
    r.release();
  }
  if (!r.waitForData(WAIT_MS)) throw new Error('main: no close after the last message');
  expect(r.closed).toBe(true);
  return waits;
}

function produceAll(w: RingWriter, count: number, seed: number): number {
  let waits = 0;
  for (let i = 0; i < count; i++) {
    const len = messageLength(seed, i, w.maxMessage);
    let off = w.reserve(len);
    if (off < 0) {
      waits++;
      if (!w.waitForSpace(len, WAIT_MS)) throw new Error(`main: no space after ${WAIT_MS} ms at message ${i} (lost wake-up?)`);
      off = w.reserve(len);
      if (off < 0) throw new Error('reserve failed after waitForSpace said yes');
    }
    fill(w, off, len, seed, i);
    w.commit();
  }
  w.close();
  return waits;
}

describe('spsc ring, two threads', () => {
  const M = 1_000_000;

  it.each([
    ['0', 0],
    ['just below 2^32', 0xfffff000 | 0],
  ])('worker → main: 1M messages through a 4 KiB ring, every byte checked (counters start at %s)', async (_n, start) => {
    const sab = createRing(4096, { startPosition: start });
    const r = new RingReader(sab);
    const worker = runWorker({ role: 'produce', ring: sab, count: M, seed: 7 });
    const mainWaits = consumeAll(r, M, 7);
    const workerWaits = await worker;
    // The sides really had to sleep, often (the point of the tiny ring): ~35K times each here.
    expect(mainWaits + workerWaits).toBeGreaterThan(1000);
  }, 120_000);

  it('main → worker: 1M messages through a 4 KiB ring, every byte checked by the worker', async () => {
    const sab = createRing(4096);
    const w = new RingWriter(sab);
    const worker = runWorker({ role: 'consume', ring: sab, count: M, seed: 11 });
    const mainWaits = produceAll(w, M, 11);
    const workerWaits = await worker;
    expect(mainWaits + workerWaits).toBeGreaterThan(1000);
  }, 120_000);

  it('one doorbell shared by 2 input rings (space) and 2 output rings (data): main sleeps on it alone', async () => {
    const bell = Doorbell.create();
    const K = 2;
    const N = 250_000;
    const seeds = [3, 5];
    const ins = seeds.map(() => createRing(4096, { spaceBell: bell }));
    const outs = seeds.map(() => createRing(4096, { dataBell: bell }));
    const writers = ins.map((s) => new RingWriter(s, { spaceBell: bell }));
    const readers = outs.map((s) => new RingReader(s, { dataBell: bell }));
    const workers = seeds.map((_, k) =>
      runWorker({ role: 'echo', inRing: ins[k], outRing: outs[k], inBells: { spaceBell: bell.buffer }, outBells: { dataBell: bell.buffer } }),
    );
    const sent = [0, 0];
    const got = [0, 0];
    const ended = [false, false];
    let sleeps = 0;
    const trySend = (k: number): boolean => {
      const w = writers[k]!;
      if (sent[k]! >= N) return false;
      const len = messageLength(seeds[k]!, sent[k]!, w.maxMessage);
      const off = w.reserve(len);
      if (off < 0) return false;
      fill(w, off, len, seeds[k]!, sent[k]!);
      w.commit();
      if (++sent[k]! === N) w.close();
      return true;
    };
    const tryReceive = (k: number): boolean => {
      const r = readers[k]!;
      const off = r.next();
      if (off < 0) {
        if (!ended[k] && r.closed) {
          ended[k] = true;
          return true;
        }
        return false;
      }
      check(r, off, seeds[k]!, got[k]!);
      got[k]!++;
      r.release();
      return true;
    };
    const canMove = (): boolean => {
      for (let k = 0; k < K; k++) {
        if (sent[k]! < N && writers[k]!.reserve(messageLength(seeds[k]!, sent[k]!, writers[k]!.maxMessage)) >= 0) return true;
        if (readers[k]!.next() >= 0 || (!ended[k] && readers[k]!.isClosedFlag)) return true;
      }
      return false;
    };
    while (!ended.every(Boolean)) {
      let progress = false;
      for (let k = 0; k < K; k++) {
        for (let b = 0; b < 64 && trySend(k); b++) progress = true;
        for (let b = 0; b < 64 && tryReceive(k); b++) progress = true;
      }
      if (progress) continue;
      const seen = bell.arm();
      try {
        if (!canMove()) {
          sleeps++;
          if (!bell.wait(seen, WAIT_MS)) throw new Error(`main: doorbell silent for ${WAIT_MS} ms, sent ${sent} got ${got} (lost wake-up?)`);
        }
      } finally {
        bell.disarm();
      }
    }
    expect(got).toEqual([N, N]);
    expect(await Promise.all(workers)).toEqual([N, N]);
    expect(sleeps).toBeGreaterThan(0);
    expect(bell.hasWaiters).toBe(false);
  }, 120_000);
});
