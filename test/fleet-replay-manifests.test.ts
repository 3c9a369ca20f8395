/**
 * The fleet replay manifests (deploy/fleet-replay/k8s) are valid Kubernetes objects: each parses,
 * is a kind @kubernetes/client-node has an OpenAPI model for, and survives its model's
 * deserialize → serialize round trip unchanged (a misspelt or misplaced field would be dropped);
 * and they fit together: every referenced ConfigMap, ServiceAccount, PVC, volume and container
 * exists, every container is non-root with a read-only root filesystem, the Indexed Job's size
 * matches the merge's expectation, and the image definition is multi-stage and non-root.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { parseAllDocuments, parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const ROOT = 'deploy/fleet-replay';

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((f) => {
    const path = join(dir, f);
    return statSync(path).isDirectory() ? yamlFiles(path) : f.endsWith('.yaml') ? [path] : [];
  });
}

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [key: string]: unknown };

function loadAll(): { file: string; object: Obj }[] {
  return yamlFiles(join(ROOT, 'k8s')).flatMap((file) => {
    const docs = parseAllDocuments(readFileSync(file, 'utf8'));
    return docs.map((doc) => {
      expect(doc.errors, file).toEqual([]);
      return { file, object: doc.toJS() as Obj };
    });
  });
}

const NAMESPACED = new Set(['ServiceAccount', 'ConfigMap', 'PersistentVolumeClaim', 'Job']);

interface Container {
  name: string;
  image: string;
  args?: string[];
  envFrom?: { configMapRef?: { name: string } }[];
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean; capabilities?: { drop?: string[] } };
  volumeMounts?: { name: string }[];
}

interface PodSpec {
  restartPolicy: string;
  serviceAccountName: string;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  containers: Container[];
  volumes?: { name: string; configMap?: { name: string }; persistentVolumeClaim?: { claimName: string } }[];
}

describe('fleet replay - manifests', () => {
  it('fleet replay - every object round-trips through its @kubernetes/client-node model unchanged', () => {
    const objects = loadAll();
    expect(objects.length).toBeGreaterThanOrEqual(10);
    for (const file of new Set(objects.map((o) => o.file))) {
      const mine = objects.filter((o) => o.file === file).map((o) => o.object);
      const typed = k8s.loadAllYaml(readFileSync(file, 'utf8')) as object[];
      expect(typed).toHaveLength(mine.length);
      mine.forEach((object, i) => {
        const where = `${file}: ${object.kind}/${object.metadata.name}`;
        const version = object.apiVersion.split('/').pop() as string;
        const type = `${version.charAt(0).toUpperCase()}${version.slice(1)}${object.kind}`;
        expect(typeof (k8s as unknown as Record<string, unknown>)[type], `${where}: model ${type}`).toBe('function');
        expect(typed[i], where).toBeInstanceOf((k8s as unknown as Record<string, new () => object>)[type]);
        expect(parse(k8s.dumpYaml(typed[i])), where).toEqual(object);
        if (NAMESPACED.has(object.kind)) expect(object.metadata.namespace, where).toBe('netpol-fleet');
      });
    }
  });

  it('fleet replay - references resolve, pods are non-root with read-only root filesystems', () => {
    const objects = loadAll().map((o) => o.object);
    const names = (kind: string): string[] => objects.filter((o) => o.kind === kind).map((o) => o.metadata.name);
    const jobs = objects.filter((o) => o.kind === 'Job');
    expect(jobs.map((j) => j.metadata.name).sort()).toEqual(['netpol-fleet-merge', 'netpol-fleet-replay', 'netpol-fleet-snapshot', 'netpol-fleet-split']);
    const script = readFileSync(join(ROOT, 'fleet-replay.mjs'), 'utf8');
    for (const job of jobs) {
      const pod = (job['spec'] as { template: { spec: PodSpec } }).template.spec;
      expect(pod.restartPolicy).toBe('Never');
      expect(names('ServiceAccount')).toContain(pod.serviceAccountName);
      expect(pod.securityContext?.runAsNonRoot).toBe(true);
      expect(pod.securityContext?.runAsUser).toBeGreaterThan(0);
      const volumes = new Map((pod.volumes ?? []).map((v) => [v.name, v]));
      for (const v of volumes.values()) {
        if (v.configMap) expect(names('ConfigMap')).toContain(v.configMap.name);
        if (v.persistentVolumeClaim) expect(names('PersistentVolumeClaim')).toContain(v.persistentVolumeClaim.claimName);
      }
      for (const c of pod.containers) {
        expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
        for (const m of c.volumeMounts ?? []) expect(volumes.has(m.name), `${job.metadata.name}: volume ${m.name}`).toBe(true);
        for (const e of c.envFrom ?? []) if (e.configMapRef) expect(names('ConfigMap')).toContain(e.configMapRef.name);
        // The first argument is a mode of the entry script.
        expect(script).toContain(`mode === '${c.args?.[0]}'`);
      }
    }
    const replay = jobs.find((j) => j.metadata.name === 'netpol-fleet-replay') as Obj;
    const spec = replay['spec'] as { completionMode: string; completions: number; podFailurePolicy: { rules: { onExitCodes: { containerName: string } }[] }; template: { spec: PodSpec } };
    expect(spec.completionMode).toBe('Indexed');
    for (const rule of spec.podFailurePolicy.rules) expect(spec.template.spec.containers.map((c) => c.name)).toContain(rule.onExitCodes.containerName);
    const config = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'netpol-fleet') as Obj;
    const data = config['data'] as Record<string, string>;
    expect(Number(data['FLEET_EXPECT'])).toBe(spec.completions);
    expect(Number(data['FLEET_CHUNKS'])).toBe(spec.completions);
    // The replay pods never talk to the API server; only the snapshot's account is bound to the reader role.
    const replayAccount = objects.find((o) => o.kind === 'ServiceAccount' && o.metadata.name === spec.template.spec.serviceAccountName) as Obj;
    expect(replayAccount['automountServiceAccountToken']).toBe(false);
    const binding = objects.find((o) => o.kind === 'ClusterRoleBinding') as Obj & { roleRef: { name: string }; subjects: { name: string }[] };
    expect(names('ClusterRole')).toContain(binding.roleRef.name);
    expect(binding.subjects.map((s) => s.name)).toEqual(['netpol-fleet-snapshot']);
  });

  it('fleet replay - the image is multi-stage, runs as a non-root user and copies what exists', () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    const froms = dockerfile.match(/^FROM /gm) ?? [];
    expect(froms.length).toBeGreaterThanOrEqual(2);
    const lastStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(lastStage).toMatch(/^USER (\d+):(\d+)$/m);
    expect(Number(/^USER (\d+)/m.exec(lastStage)?.[1])).toBeGreaterThan(0);
    for (const [, from] of dockerfile.matchAll(/^COPY (?!--from)(\S+) /gm)) expect(statSync(from as string), from).toBeTruthy();
    expect(lastStage).toContain('deploy/fleet-replay/fleet-replay.mjs');
  });
});
