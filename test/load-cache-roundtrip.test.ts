/**
 * Loaded-cluster cache - a loaded cluster and its load report read back are strictly equal to
 * what was stored, keys in the same order: on random clusters (with and without admin tiers)
 * with their diagnostics, and on a hand-made input whose texts start with NUL (the escape's own
 * prefix) next to bigints, with pods written as rows and, when one has a shape rows do not hold,
 * as objects; a truncated or foreign text is rejected (the cache then rebuilds).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildCluster, decodeLoadedInput, encodeLoadedInput, type Diagnostic, type LoadedInput, type Pod } from '../src/index.js';
import { adminClusterArb } from './helpers/random-admin-cluster.js';
import { clusterArb } from './helpers/random-cluster.js';

/** The value as text with every key in order (toStrictEqual ignores key order; outputs do not). */
const inOrder = (value: unknown): string => JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `bigint ${v}` : v));

function expectRoundTrip(loaded: LoadedInput): LoadedInput {
  const back = decodeLoadedInput(encodeLoadedInput(loaded));
  expect(back).toStrictEqual(loaded);
  expect(inOrder(back)).toBe(inOrder(loaded));
  return back;
}

describe('load cache - round trip', () => {
  it('load cache - decode(encode(loaded)) strictly equals the loaded cluster and report on 200 random clusters', () => {
    fc.assert(
      fc.property(fc.oneof(clusterArb, adminClusterArb), (random) => {
        const diagnostics: Diagnostic[] = [];
        const { cluster, stats } = buildCluster(random.objects, diagnostics);
        const loaded: LoadedInput = { cluster, diagnostics, stats: { ...stats, files: ['a.yaml', 'b/c.json'] }, notes: ['a note'] };
        const back = expectRoundTrip(loaded);
        back.cluster.pods.forEach((pod, i) => expect(pod.labels).not.toBe(back.cluster.pods[i - 1]?.labels));
      }),
      { numRuns: 200, seed: 20261207 },
    );
  });

  it('load cache - texts starting with NUL come back as texts, bigints as bigints', () => {
    const ip = { family: 4 as const, value: 0x0a000001n, text: '10.0.0.1' };
    const loaded: LoadedInput = {
      cluster: {
        namespaces: [{ name: 'n', labels: { '\u0000b12': '\u0000b12', k: '\u0000s' }, declared: true, origin: { source: '\u0000', document: 1, itemPath: '' } }],
        pods: [{ namespace: 'n', name: 'p', labels: {}, ips: [ip, { family: 6, value: 2n ** 127n + 5n, text: '8000::5' }], nodeName: null, hostIP: ip, hostNetwork: false, phase: 'Running', containerPorts: [], origin: null }],
        policies: [],
      },
      diagnostics: [{ severity: 'warning', code: 'invalid-value', origin: null, object: '\u0000x', path: null, message: '\u0000b1' }],
      stats: { used: { Pod: 1 }, skipped: {}, files: [] },
      notes: ['\u0000'],
    };
    const back = expectRoundTrip(loaded);
    expect(typeof back.cluster.pods[0]?.ips[1]?.value).toBe('bigint');
    expect(new TextDecoder().decode(encodeLoadedInput(loaded))).not.toContain('"hostNetwork"');
    // A pod with a key the rows do not hold: every pod is written as an object, and comes back.
    const odd = { ...loaded, cluster: { ...loaded.cluster, pods: [...loaded.cluster.pods, { ...(loaded.cluster.pods[0] as Pod), name: 'q', extra: '\u0000b1' }] } };
    expect(new TextDecoder().decode(encodeLoadedInput(odd))).toContain('"extra"');
    expectRoundTrip(odd);
  });

  it('load cache - a truncated or foreign text does not decode', () => {
    const loaded: LoadedInput = { cluster: { namespaces: [], pods: [], policies: [] }, diagnostics: [], stats: { used: {}, skipped: {}, files: [] }, notes: [] };
    const bytes = encodeLoadedInput(loaded);
    expect(() => decodeLoadedInput(bytes.subarray(0, bytes.length - 3))).toThrow();
    expect(() => decodeLoadedInput(new TextEncoder().encode('{"cluster":{}}'))).toThrow(/not a loaded cluster/);
    expect(() => decodeLoadedInput(new TextEncoder().encode('[1,2]'))).toThrow(/not a loaded cluster/);
  });
});
