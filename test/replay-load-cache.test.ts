/**
 * replay - the cache keyed by the manifest bytes, through the CLI: on every bundled example and
 * test fixture cluster, a run that writes the entry and a run that reads it print exactly what a
 * run without cache prints (summary, flow lines, and stderr: warnings, --verbose infos and
 * counts, CNI notes), with one thread and with two workers; manifests with errors are never
 * cached (same error every time, nothing written); the entry follows the bytes, the path and
 * --cni (another of each is another entry, never the old one's output).
 */
import { copyFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, type CliRun } from './helpers/run-cli.js';

const TMP = mkdtempSync(join(tmpdir(), 'npe-load-cache-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

const CAPTURES = ['examples/three-tier/capture.pcap', 'test/fixtures/services/service-client.pcap'] as const;

/** Every cluster the repository ships as examples or fixtures (file or directory), and the options it is replayed with. */
const CLUSTERS: readonly (readonly [string, readonly string[]])[] = [
  ['examples/three-tier', []],
  ['examples/service/cluster.yaml', []],
  ['examples/admin-tiers/cluster.yaml', []],
  ['examples/admin-tiers/cluster.yaml', ['--cni', 'calico']],
  ['examples/three-tier-variants/seed-backend-policy-role-web.yaml', []],
  ['test/fixtures/clusters/cni-switches', ['--cni', 'cilium']],
  ['test/fixtures/clusters/dual-stack', []],
  ['test/fixtures/clusters/ipset-ipblock', ['--cni', 'kube-router']],
  ['test/fixtures/clusters/two-tier', []],
  ['test/fixtures/admin/warnings.yaml', []],
  ['test/fixtures/admin/warnings.yaml', ['--cni', 'cilium']],
  ['test/fixtures/load/masked-cidr.yaml', []],
  ['test/fixtures/load/skipped-kinds.yaml', []],
  ['test/fixtures/load/undeclared-namespace.yaml', []],
  ['test/fixtures/services/cluster.yaml', []],
  ['test/fixtures/services/slices-list.yaml', []],
  ['test/fixtures/services/terminating.yaml', []],
  ['test/fixtures/services/recorded.yaml', []],
  ['test/fixtures/overlay/cluster.yaml', []],
  ['test/fixtures/conformance/base-cluster.yaml', []],
  ['test/fixtures/cni-diff/policies.yaml', []],
];

let runs = 0;

async function replay(cluster: readonly string[], capture: string, cache: readonly string[], extra: readonly string[] = []): Promise<CliRun & { flows: string }> {
  const flowsPath = join(TMP, `flows-${runs++}.jsonl`);
  const run = await runCli(['replay', capture, ...cluster.flatMap((f) => ['-f', f]), '-o', 'json', '--coverage', '--flows', flowsPath, '-v', ...cache, ...extra]);
  let flows = '';
  try {
    flows = readFileSync(flowsPath, 'utf8');
  } catch {
    // not written: the run failed before the replay
  }
  return { ...run, flows };
}

/** stderr without the cache's own notes (--verbose): what a run prints about its input. */
const withoutCacheNotes = (stderr: string): string => stderr.replace(/^note: .*cache.*\n/gm, '');
const printed = (run: CliRun & { flows: string }): unknown => ({ code: run.code, stdout: run.stdout, stderr: withoutCacheNotes(run.stderr), flows: run.flows });
const entries = (dir: string): string[] => {
  try {
    return readdirSync(dir).filter((n) => n.endsWith('.tables'));
  } catch {
    return [];
  }
};

describe('replay - cache keyed by the manifest bytes', () => {
  for (const [cluster, options] of CLUSTERS) {
    it(`replay - ${cluster} ${options.join(' ')}: written and read back, every output byte-identical to no cache`.trimEnd(), async () => {
      const dir = join(TMP, `cache-${runs++}`);
      for (const capture of CAPTURES) {
        const baseline = await replay([cluster], capture, ['--no-cache'], options);
        expect(baseline.code, baseline.stderr).toBe(0);
        const written = await replay([cluster], capture, ['--cache', dir], options);
        const read = await replay([cluster], capture, ['--cache', dir], options);
        expect(read.stderr).toContain('cluster and compiled tables read from the cache');
        expect(printed(written)).toEqual(printed(baseline));
        expect(printed(read)).toEqual(printed(baseline));
      }
      expect(entries(dir)).toHaveLength(1);
      const workers = await replay([cluster], CAPTURES[0], ['--cache', dir], [...options, '--workers', '2']);
      expect(printed(workers)).toEqual(printed(await replay([cluster], CAPTURES[0], ['--no-cache'], [...options, '--workers', '2'])));
    });
  }

  it('replay - manifests with errors are never cached: the same error every time, no entry written', async () => {
    const dir = join(TMP, 'cache-errors');
    const alone = readdirSync('test/fixtures/bad').filter((name) => !name.startsWith('duplicate-policy-')).map((name) => [join('test/fixtures/bad', name)]);
    const inputs = [...alone, ['test/fixtures/bad/duplicate-policy-a.yaml', 'test/fixtures/bad/duplicate-policy-b.yaml'], ['test/fixtures/admin/anp-list.yaml'], ['test/fixtures/load']];
    for (const paths of inputs) {
      const uncached = await replay(paths, CAPTURES[0], ['--no-cache']);
      expect(uncached.code, paths.join(' ')).toBe(3);
      for (let i = 0; i < 2; i++) expect(printed(await replay(paths, CAPTURES[0], ['--cache', dir])), paths.join(' ')).toEqual(printed(uncached));
    }
    expect(entries(dir)).toEqual([]);
  });

  it('replay - a changed byte, another path or another --cni is another entry, and its output is its own', async () => {
    const dir = join(TMP, 'cache-keys');
    const source = 'test/fixtures/admin/warnings.yaml';
    const a = join(TMP, 'a.yaml');
    const b = join(TMP, 'b.yaml');
    copyFileSync(source, a);
    copyFileSync(source, b);
    const runA = await replay([a], CAPTURES[0], ['--cache', dir]);
    const runB = await replay([b], CAPTURES[0], ['--cache', dir]);
    expect(runB.stderr).toContain('written to the cache');
    expect(runB.stderr).toContain(b);
    expect(runB.stderr).not.toContain(a);
    expect(printed(runA)).toEqual(printed(await replay([a], CAPTURES[0], ['--no-cache'])));
    const calico = await replay([a], CAPTURES[0], ['--cache', dir], ['--cni', 'calico']);
    expect(calico.stderr).toContain('written to the cache');
    expect(printed(calico)).toEqual(printed(await replay([a], CAPTURES[0], ['--no-cache'], ['--cni', 'calico'])));
    expect(entries(dir)).toHaveLength(3);

    // One byte of a label value, same length: a new entry with the new value's effect.
    const text = readFileSync(source, 'utf8');
    const edited = text.replace(/(app: )(\w)/, (_m, key: string, first: string) => `${key}${first === 'z' ? 'y' : 'z'}`);
    expect(edited.length).toBe(text.length);
    expect(edited).not.toBe(text);
    writeFileSync(a, edited);
    const changed = await replay([a], CAPTURES[0], ['--cache', dir]);
    expect(changed.stderr).toContain('written to the cache');
    expect(printed(changed)).toEqual(printed(await replay([a], CAPTURES[0], ['--no-cache'])));
    expect(entries(dir)).toHaveLength(4);
  });

  it('replay - a directory gaining a manifest file is another entry', async () => {
    const dir = join(TMP, 'cache-dir');
    const cluster = join(TMP, 'three-tier');
    rmSync(cluster, { recursive: true, force: true });
    cpSync('examples/three-tier', cluster, { recursive: true });
    await replay([cluster], CAPTURES[0], ['--cache', dir]);
    writeFileSync(join(cluster, 'policies', 'zz-deny-all.yaml'), 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: zz-deny-all, namespace: app1-ns}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress, Egress]\n');
    const grown = await replay([cluster], CAPTURES[0], ['--cache', dir]);
    expect(grown.stderr).toContain('written to the cache');
    expect(printed(grown)).toEqual(printed(await replay([cluster], CAPTURES[0], ['--no-cache'])));
  });
});
