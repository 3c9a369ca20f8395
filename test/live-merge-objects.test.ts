import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../src/diagnostics.js';
import { loadCluster } from '../src/load/load-cluster.js';
import type { RawObject } from '../src/load/read-manifests.js';
import { mergeLiveObjects } from '../src/load/merge-live-objects.js';

const live = (i: number, object: RawObject['object']): RawObject => ({ origin: { source: 'cluster prod /api/v1/pods', document: 1, itemPath: `items[${i}]` }, object });
const file = (document: number, object: RawObject['object']): RawObject => ({ origin: { source: 'edit.yaml', document, itemPath: '' }, object });

const pod = (name: string, ip: string, labels: Record<string, string>, extra: Record<string, unknown> = {}): RawObject['object'] => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'web', labels, ...extra },
  status: { phase: 'Running', podIP: ip },
});

describe('mergeLiveObjects - files override live objects', () => {
  it('mergeLiveObjects - a file object replaces the live one with the same kind, namespace and name, with a warning', () => {
    const merged = mergeLiveObjects(
      [file(1, pod('a', '10.0.0.1', { app: 'edited' }))],
      [live(0, pod('a', '10.0.0.1', { app: 'live' })), live(1, pod('b', '10.0.0.2', { app: 'b' }))],
    );
    expect(merged.objects.map((o) => `${o.origin.source} ${(o.object['metadata'] as { name: string }).name}`)).toEqual(['edit.yaml a', 'cluster prod /api/v1/pods b']);
    expect(merged.diagnostics).toEqual([
      {
        severity: 'warning',
        code: 'overridden-object',
        origin: { source: 'edit.yaml', document: 1, itemPath: '' },
        object: 'Pod web/a',
        path: null,
        message: 'replaces the live object read from cluster prod /api/v1/pods document 1 items[0], which differs from it',
      },
    ]);
  });

  it('mergeLiveObjects - an override equal in every field the emulator reads is only an info', () => {
    const merged = mergeLiveObjects(
      [file(2, pod('a', '10.0.0.1', { app: 'x', tier: 'y' }))],
      // Different label order, and fields the emulator ignores.
      [live(0, pod('a', '10.0.0.1', { tier: 'y', app: 'x' }, { uid: '1234', resourceVersion: '99' }))],
    );
    expect(merged.objects).toHaveLength(1);
    expect(merged.diagnostics.map((d) => [d.severity, d.message])).toEqual([['info', 'replaces the live object read from cluster prod /api/v1/pods document 1 items[0] (identical in the fields netpol-emu reads)']]);
  });

  it('mergeLiveObjects - a missing namespace means default, kinds and namespaces are told apart', () => {
    const noNamespace = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a' }, status: { podIP: '10.0.0.9' } };
    const merged = mergeLiveObjects(
      [file(1, noNamespace), file(2, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a' } })],
      [
        live(0, { ...noNamespace, metadata: { name: 'a', namespace: 'default' } }),
        live(1, pod('a', '10.0.0.1', {})),
        live(2, { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'a', namespace: 'default' }, spec: { podSelector: {} } }),
      ],
    );
    expect(merged.diagnostics.map((d) => d.object)).toEqual(['Pod default/a']);
    expect(merged.objects).toHaveLength(4);
  });

  it('loadCluster - files and live objects combine; without the merge the pair would be a duplicate', () => {
    const dir = mkdtempSync(join(tmpdir(), 'netpol-emu-merge-'));
    try {
      const path = join(dir, 'edit.yaml');
      writeFileSync(path, 'apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: web, labels: {app: edited}}\nstatus: {phase: Running, podIP: 10.0.0.1}\n');
      const result = loadCluster({ paths: [path], objects: [live(0, pod('a', '10.0.0.1', { app: 'live' })), live(1, pod('b', '10.0.0.2', {}))] });
      expect(result.cluster.pods.map((p) => [p.name, p.labels, p.origin?.source])).toEqual([
        ['a', { app: 'edited' }, path],
        ['b', {}, 'cluster prod /api/v1/pods'],
      ]);
      expect(result.diagnostics.filter((d) => d.code === 'overridden-object').map((d) => d.severity)).toEqual(['warning']);
      // Two live objects with one name are still the API server's impossibility, reported by buildCluster.
      expect(() => loadCluster({ objects: [live(0, pod('a', '10.0.0.1', {})), live(1, pod('a', '10.0.0.2', {}))] })).toThrow(InvalidInputError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
