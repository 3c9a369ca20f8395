import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { RawObject } from '../src/load/read-manifests.js';
import { writeSnapshot } from '../src/live/write-snapshot.js';
import { readFixtureObjects } from './helpers/live-api-server.js';

function rawObjects(): RawObject[] {
  const { namespaces, pods, policies } = readFixtureObjects();
  return [...namespaces, ...pods, ...policies].map((object, i) => ({ origin: { source: 'cluster t /x', document: 1, itemPath: `items[${i}]` }, object: object as RawObject['object'] }));
}

const source = (objects: RawObject[], namespace: string | null = null) => ({ objects, context: 'kind-test', server: 'https://127.0.0.1:6443', readAt: '2026-11-21T05:30:00.000Z', namespace });

describe('writeSnapshot - YAML List of the fields the emulator reads', () => {
  it('writeSnapshot - same objects in any order give the same text, sorted by kind, namespace, name', () => {
    const objects = rawObjects();
    const text = writeSnapshot(source(objects));
    expect(writeSnapshot(source([...objects].reverse()))).toBe(text);
    const list = parse(text) as { apiVersion: string; kind: string; metadata: { annotations: Record<string, string> }; items: { kind: string; metadata: { name: string; namespace?: string } }[] };
    expect([list.apiVersion, list.kind]).toEqual(['v1', 'List']);
    expect(list.metadata.annotations).toEqual({
      'netpol-emu.io/context': 'kind-test',
      'netpol-emu.io/server': 'https://127.0.0.1:6443',
      'netpol-emu.io/read-at': '2026-11-21T05:30:00.000Z',
    });
    expect(list.items.map((o) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`).slice(0, 7)).toEqual([
      'Namespace /db',
      'Namespace /default',
      'Namespace /kube-system',
      'Namespace /monitoring',
      'Namespace /web',
      'Pod db/backup-29000000-xyz12',
      'Pod db/postgres-0',
    ]);
    expect(list.items.at(-1)?.kind).toBe('NetworkPolicy');
  });

  it('writeSnapshot - keeps exactly the used fields of a pod and the whole policy spec', () => {
    const list = parse(writeSnapshot(source(rawObjects(), 'web'))) as { metadata: { annotations: Record<string, string> }; items: Record<string, unknown>[] };
    expect(list.metadata.annotations['netpol-emu.io/namespace']).toBe('web');
    const api = list.items.find((o) => (o['metadata'] as { name: string }).name === 'api-5c6d7-klmno');
    expect(api).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'api-5c6d7-klmno', namespace: 'web', labels: { app: 'api' } },
      spec: {
        nodeName: 'node-a',
        containers: [
          { name: 'api', ports: [{ name: 'api', containerPort: 9000 }, { name: 'metrics', containerPort: 9090, protocol: 'TCP' }] },
          { name: 'sidecar' },
        ],
      },
      status: { phase: 'Running', podIP: '10.244.1.12', podIPs: [{ ip: '10.244.1.12' }], hostIP: '172.18.0.2' },
    });
    const proxy = list.items.find((o) => (o['metadata'] as { name: string }).name === 'kube-proxy-q8w7e');
    expect((proxy?.['spec'] as { hostNetwork: boolean }).hostNetwork).toBe(true);
    const policy = list.items.find((o) => (o['metadata'] as { name: string }).name === 'postgres');
    const original = readFixtureObjects().policies.find((o) => (o['metadata'] as { name: string }).name === 'postgres');
    expect(policy).toEqual({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'postgres', namespace: 'db' }, spec: original?.['spec'] });
    const ns = list.items.find((o) => o['kind'] === 'Namespace' && (o['metadata'] as { name: string }).name === 'web');
    expect(ns).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'web', labels: { env: 'prod', 'kubernetes.io/metadata.name': 'web', team: 'web' } } });
  });

  it('writeSnapshot - label values that YAML 1.1 reads as booleans or numbers are quoted', () => {
    const labels = { enabled: 'yes', legacy: 'on', version: '1.0', mode: '0755' };
    const text = writeSnapshot(source([{ origin: { source: 's', document: 1, itemPath: '' }, object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'q', labels } } }]));
    expect(text).toContain('enabled: "yes"');
    expect(text).toContain('legacy: "on"');
    expect(text).toContain('version: "1.0"');
    expect(text).toContain('mode: "0755"');
    expect((parse(text) as { items: { metadata: { labels: unknown } }[] }).items[0]?.metadata.labels).toEqual({ enabled: 'yes', legacy: 'on', mode: '0755', version: '1.0' });
  });
});
