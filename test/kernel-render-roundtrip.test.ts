/**
 * `compile -o iptables` renderings load as written and the kernel keeps them as rendered: each
 * is loaded into a fresh network namespace by `ipset restore`, `iptables-restore --noflush` and
 * `ip6tables-restore --noflush`, then `ipset save`, `iptables-save` and `ip6tables-save` must
 * print the same sets and rules (normalised to the kernel's spelling,
 * test/helpers/normalise-kernel-save.ts). Clusters: every bundled example and test cluster,
 * seeded random clusters (random-cluster.ts) and dual-stack `synth` clusters. Also: the files
 * `--out-dir` writes load with the commands of its LOAD.txt, and every set and chain name is
 * within the kernel's limits (31 and 28 characters).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildSyntheticCluster, compile, loadCluster, policySemantics, renderIptables, resolveProfile, type KernelRuleset } from '../src/index.js';
import type { Cluster } from '../compiler/model.js';
import { inNamespace, runCommand, tryCommand } from '../scripts/kernel-check/run-command.js';
import { clusterArb, loadRandomCluster, type RandomCluster } from './helpers/random-cluster.js';
import { kernelTestsRun } from './helpers/kernel-check-support.js';
import { normaliseIpset, normaliseIptables } from './helpers/normalise-kernel-save.js';
import { runCli } from './helpers/run-cli.js';

const CALICO = (() => {
  const r = resolveProfile('calico', []);
  if (!r.ok) throw new Error(r.error);
  return policySemantics(r.profile.values);
})();

const FILE_CLUSTERS = ['examples/three-tier', 'examples/admin-tiers', 'examples/service', 'test/fixtures/clusters/cni-switches', 'test/fixtures/clusters/dual-stack', 'test/fixtures/clusters/two-tier'];
const RANDOM_SEEDS = Array.from({ length: 20 }, (_, i) => 100 + i);
const SYNTH_SEEDS = [1, 2, 3];

let namespaces = 0;

/** Runs `body` with a fresh network namespace, deleted after (also on failure). */
function inFreshNamespace<T>(body: (ns: string) => T): T {
  const ns = `npek-rt${process.pid.toString(36)}-${namespaces++}`;
  runCommand(['ip', 'netns', 'add', ns]);
  try {
    return body(ns);
  } finally {
    tryCommand(['ip', 'netns', 'del', ns]);
  }
}

function part(ruleset: KernelRuleset, loader: string): string {
  return ruleset.parts.find((p) => p.loader === loader)?.text ?? '';
}

/** Loads `ruleset` in a fresh namespace and checks the saved state against the rendering. */
function expectRoundTrip(ruleset: KernelRuleset): void {
  inFreshNamespace((ns) => {
    for (const p of ruleset.parts) {
      const argv = p.loader === 'ipset' ? ['ipset', 'restore'] : [`${p.loader}-restore`, '--noflush'];
      runCommand(inNamespace(ns, argv), p.text);
    }
    expect(normaliseIpset(runCommand(inNamespace(ns, ['ipset', 'save'])))).toEqual(normaliseIpset(part(ruleset, 'ipset')));
    for (const loader of ['iptables', 'ip6tables']) {
      const saved = normaliseIptables(runCommand(inNamespace(ns, [`${loader}-save`, '-t', 'filter'])));
      const rendered = normaliseIptables(part(ruleset, loader));
      expect(saved.chains, loader).toEqual(rendered.chains);
      expect(Object.fromEntries(saved.rules), loader).toEqual(Object.fromEntries(rendered.rules));
    }
  });
}

function expectNamesWithinLimits(ruleset: KernelRuleset): void {
  for (const name of normaliseIpset(part(ruleset, 'ipset')).keys()) expect(name.length, name).toBeLessThanOrEqual(31);
  for (const loader of ['iptables', 'ip6tables']) for (const chain of normaliseIptables(part(ruleset, loader)).chains) expect(chain.length, chain).toBeLessThanOrEqual(28);
}

async function fileCluster(path: string): Promise<Cluster> {
  return (await loadCluster({ paths: [path] })).cluster;
}

describe('kernel render - renderings load and round-trip', () => {
  if (!kernelTestsRun('kernel render')) return;

  it.each(FILE_CLUSTERS)('kernel render - %s loads and saves back as rendered', async (path) => {
    const ruleset = renderIptables(compile(await fileCluster(path), CALICO));
    expect(ruleset.parts.map((p) => p.loader)).toContain('iptables');
    expectNamesWithinLimits(ruleset);
    expectRoundTrip(ruleset);
  });

  it('kernel render - the dual-stack fixture has an IPv6 part with /1 halves for ::/0', async () => {
    const ruleset = renderIptables(compile(await fileCluster('test/fixtures/clusters/dual-stack'), CALICO));
    expect(ruleset.parts.map((p) => p.fileName)).toEqual(['ipset.restore', 'iptables.rules', 'ip6tables.rules']);
    expectRoundTrip(ruleset);
  });

  it.each(RANDOM_SEEDS)('kernel render - random cluster seed %i loads and saves back as rendered', (seed) => {
    const [random] = fc.sample(clusterArb, { seed, numRuns: 1 }) as [RandomCluster];
    const ruleset = renderIptables(compile(loadRandomCluster(random), CALICO));
    expectNamesWithinLimits(ruleset);
    expectRoundTrip(ruleset);
  });

  it.each(SYNTH_SEEDS)('kernel render - dual-stack synth cluster seed %i loads and saves back as rendered', (seed) => {
    const ruleset = renderIptables(compile(buildSyntheticCluster({ seed, pods: 120, namespaces: 5, policies: 40, dualStack: true }), CALICO));
    expect(ruleset.parts.map((p) => p.loader)).toEqual(['ipset', 'iptables', 'ip6tables']);
    expectNamesWithinLimits(ruleset);
    expectRoundTrip(ruleset);
  });

  it('kernel render - compile --out-dir writes files that LOAD.txt loads unmodified', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'npek-out-')), 'rendering');
    const run = await runCli(['compile', '-f', 'test/fixtures/clusters/dual-stack', '-o', 'iptables', '--cni', 'calico', '--out-dir', dir]);
    expect(run.code, run.stderr).toBe(0);
    const load = readFileSync(join(dir, 'LOAD.txt'), 'utf8');
    expect(load.split('\n').filter((l) => l && !l.startsWith('#'))).toEqual(['ipset restore < ipset.restore', 'iptables-restore --noflush < iptables.rules', 'ip6tables-restore --noflush < ip6tables.rules']);
    inFreshNamespace((ns) => {
      runCommand(['sh', '-ec', `cd '${dir}' && ip netns exec ${ns} sh -e LOAD.txt`]);
      expect(runCommand(inNamespace(ns, ['iptables', '-S', 'FORWARD'])).split('\n')[1]).toBe('-A FORWARD -m comment --comment "npe: policy for traffic between pods" -j npe-FORWARD');
      expect(runCommand(inNamespace(ns, ['ip6tables', '-S', 'npe-FORWARD']))).toContain('-j npe-from-wl-dispatch');
    });
  });
});

describe('compile --out-dir - usage', () => {
  it('compile out-dir - needs -o iptables', async () => {
    const run = await runCli(['compile', '-f', 'examples/three-tier', '--out-dir', join(tmpdir(), 'npek-never')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--out-dir writes a kernel rendering; use it with -o iptables');
  });

  it('compile out-dir - a path that is a file is a usage error naming it', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'npek-file-')), 'f');
    await runCli(['compile', '-f', 'examples/three-tier', '-o', 'iptables', '--out-dir', join(tmpdir(), 'npek-ok')]);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, 'x');
    const run = await runCli(['compile', '-f', 'examples/three-tier', '-o', 'iptables', '--out-dir', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`cannot write --out-dir ${JSON.stringify(file)}`);
    expect(run.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });
});
