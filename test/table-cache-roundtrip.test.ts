/**
 * Compiled-table cache - the tables read back equal a fresh compile: on random clusters (with
 * and without admin tiers) under random semantics, encode → decode gives tables deep-equal to
 * `compile`, whose endpoint pods are the cluster's own objects; through a cache directory the
 * first call compiles and writes, the second reads, and both equal `compile`.
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compile, compiledTablesFor, decodeTables, encodeTables, type Cluster, type Pod } from '../src/index.js';
import { adminClusterArb } from './helpers/random-admin-cluster.js';
import { clusterArb, loadRandomCluster, semanticsArb } from './helpers/random-cluster.js';

const dir = mkdtempSync(join(tmpdir(), 'npe-table-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const podIndex = (cluster: Cluster) => (pod: Pod): number => cluster.pods.indexOf(pod);

describe('table cache - round trip', () => {
  it('table cache - decode(encode(tables)) equals compile on 300 random clusters, pods are the cluster\'s objects', () => {
    fc.assert(
      fc.property(fc.oneof(clusterArb, adminClusterArb), semanticsArb, (random, semantics) => {
        const cluster = loadRandomCluster(random);
        const fresh = compile(cluster, semantics);
        const decoded = decodeTables(encodeTables(fresh, podIndex(cluster)), cluster.pods);
        expect(decoded).toEqual(fresh);
        decoded.endpointPods.forEach((pod, e) => expect(pod).toBe(fresh.endpointPods[e]));
      }),
      { numRuns: 300, seed: 20261207 },
    );
  });

  it('table cache - a cache directory compiles once, then reads tables equal to compile', () => {
    fc.assert(
      fc.property(fc.oneof(clusterArb, adminClusterArb), semanticsArb, (random, semantics) => {
        const cluster = loadRandomCluster(random);
        const first = compiledTablesFor(cluster, semantics, { dir });
        const second = compiledTablesFor(cluster, semantics, { dir });
        expect(second.from).toBe('cache');
        expect(second.tables).toEqual(compile(cluster, semantics));
        expect(first.tables).toEqual(second.tables);
      }),
      { numRuns: 60, seed: 20261208 },
    );
  });

  it('table cache - tables decoded from unaligned bytes are copies equal to the original', () => {
    const random = fc.sample(adminClusterArb, { numRuns: 1, seed: 7 })[0];
    if (random === undefined) throw new Error('no sample');
    const cluster = loadRandomCluster(random);
    const tables = compile(cluster);
    const bytes = encodeTables(tables, podIndex(cluster));
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    expect(decodeTables(shifted.subarray(3), cluster.pods)).toEqual(tables);
  });
});
