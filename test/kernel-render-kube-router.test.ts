/**
 * kube-router's chain shape (compiler/render-kube-router.ts): what it contains, checked without
 * a kernel, and — as root with network namespaces — that `ipset restore` and
 * `iptables-restore` / `ip6tables-restore` load every rendering of the bundled examples and of
 * 60 seeded random clusters unmodified, and that `ipset save` / `iptables-save` give the same
 * sets and chains back.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { compile, policySemantics, renderKubeRouter, resolveProfile, restrictToProfile, type KernelRuleset } from '../src/index.js';
import { clusterArb, loadRandomCluster } from './helpers/random-cluster.js';
import { runCli } from './helpers/run-cli.js';
import { ipsetSets, iptablesChains, kernelSkipReason, loadAndSave } from './helpers/kernel-netns.js';

const EXAMPLES = ['examples/three-tier', 'examples/service', 'examples/admin-tiers'];
const RANDOM_CLUSTERS = 60;

const profile = resolveProfile('kube-router', []);
if (!profile.ok) throw new Error(profile.error);
const semantics = policySemantics(profile.profile.values);

function renderRandom(seed: number): KernelRuleset {
  const [random] = fc.sample(clusterArb, { seed, numRuns: 1 });
  if (!random) throw new Error('no sample');
  return renderKubeRouter(compile(restrictToProfile(loadRandomCluster(random), 'kube-router').cluster, semantics));
}

const part = (ruleset: KernelRuleset, loader: string): string => ruleset.parts.find((p) => p.loader === loader)?.text ?? '';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function renderExample(example: string): Promise<KernelRuleset> {
  const dir = mkdtempSync(join(tmpdir(), 'npe-kmore-cli-'));
  dirs.push(dir);
  const run = await runCli(['compile', '-f', example, '-o', 'iptables', '--cni', 'kube-router', '--out-dir', dir]);
  expect(run.code, run.stderr).toBe(0);
  expect(run.stderr).toContain('load in this order: ipset restore < ipset.restore; iptables-restore < iptables.rules');
  const files = [['ipset', 'ipset.restore'], ['iptables', 'iptables.rules'], ['ip6tables', 'ip6tables.rules']] as const;
  const parts = files.flatMap(([loader, fileName]) => {
    try {
      return [{ loader, fileName, text: readFileSync(join(dir, fileName), 'utf8') }];
    } catch {
      return [];
    }
  });
  return { shape: 'kube-router-iptables', profile: 'kube-router', parts };
}

describe('kube-router rendering: shape (no kernel needed)', () => {
  it('compile -o iptables --cni kube-router prints each part under a header naming its loader', async () => {
    const run = await runCli(['compile', '-f', 'examples/three-tier', '-o', 'iptables', '--cni', 'kube-router']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^# ---- ipset\.restore: ipset restore < ipset\.restore {2}\(shape kube-router-iptables, verified against --cni kube-router\)\n/);
    expect(run.stdout).toContain('\n# ---- iptables.rules: iptables-restore < iptables.rules');
  });

  it('profiles --cni kube-router cites the upstream files of the chain shape', async () => {
    const run = await runCli(['profiles', '--cni', 'kube-router']);
    expect(run.code).toBe(0);
    const shapes = run.stdout.slice(run.stdout.indexOf('Kernel renderings'));
    expect(shapes).toContain('kube-router-iptables: netpol-emu compile -o iptables --cni kube-router');
    for (const file of ['npc_iptables.go', 'pod.go', 'policy.go', 'pkg/utils/iptables.go']) expect(shapes).toMatch(new RegExp(`source: cloudnativelabs/kube-router@7c2c2779:[^\n]*${file.replace('.', '\\.')}`));
    const json = JSON.parse((await runCli(['profiles', '--cni', 'kube-router', '-o', 'json'])).stdout);
    expect(json.kernelRenderings.map((k: { shape: string }) => k.shape)).toEqual(['kube-router-iptables']);
  });

  it('hooks the built-in chains, rejects unmarked traffic with icmp-port-unreachable, accepts netpol-ok', () => {
    // The first seed whose cluster has IPv4 pods.
    const seed = Array.from({ length: RANDOM_CLUSTERS }, (_, i) => i).find((i) => part(renderRandom(i), 'iptables').includes(':KUBE-POD-FW-')) ?? -1;
    const chains = iptablesChains(part(renderRandom(seed), 'iptables'));
    for (const builtin of ['INPUT', 'FORWARD', 'OUTPUT']) {
      expect(chains.get(builtin)?.[0]).toMatch(new RegExp(`^-A ${builtin} -m comment --comment "kube-router netpol - [A-Z2-7]{16}" -j KUBE-ROUTER-${builtin}$`));
      const top = chains.get(`KUBE-ROUTER-${builtin}`) ?? [];
      expect(top.at(-2)).toContain('-j KUBE-NWPLCY-TAIL');
      expect(top.at(-1)).toContain('-m mark --mark 0x20000/0x20000 -j ACCEPT');
    }
    const podChains = [...chains.keys()].filter((c) => c.startsWith('KUBE-POD-FW-'));
    expect(podChains.length).toBeGreaterThan(0);
    for (const chain of podChains) {
      const rules = chains.get(chain) ?? [];
      expect(rules[0]).toBe(`-A ${chain} -m comment --comment "common netpol rules" -j KUBE-NWPLCY-COMMON`);
      expect(rules.at(-3)).toMatch(/-m mark ! --mark 0x10000\/0x10000 -j REJECT --reject-with icmp-port-unreachable$/);
      expect(rules.at(-1)).toContain('-j MARK --set-xmark 0x20000/0x20000');
    }
  });

  it('keeps every chain within 28 characters and every ipset within 31, over the random clusters', () => {
    for (let seed = 0; seed < RANDOM_CLUSTERS; seed++) {
      const ruleset = renderRandom(seed);
      for (const loader of ['iptables', 'ip6tables']) for (const chain of iptablesChains(part(ruleset, loader)).keys()) expect(chain.length).toBeLessThanOrEqual(28);
      for (const name of ipsetSets(part(ruleset, 'ipset')).keys()) expect(name.length).toBeLessThanOrEqual(31);
    }
  });

  it('writes ipBlock /0 as halves (IPv6: 2000::/3 and fd00::/8) and excepts as nomatch entries', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'npe-kmore-'));
    dirs.push(dir);
    const manifest = join(dir, 'cluster.yaml');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      manifest,
      [
        'apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: ns, labels: {app: a}}\nstatus: {podIPs: [{ip: 10.0.0.1}, {ip: "fd00::1"}], hostIP: 172.16.0.1, phase: Running}',
        'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: ns}\nspec:\n  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}\n    - ipBlock: {cidr: "::/0", except: ["fd00::/64"]}',
      ].join('\n---\n'),
    );
    const run = await runCli(['compile', '-f', manifest, '-o', 'iptables', '--cni', 'kube-router']);
    expect(run.code, run.stderr).toBe(0);
    const adds = run.stdout.split('\n').filter((l) => l.startsWith('add ') && /\/\d+/.test(l)).map((l) => l.split(' ').slice(2).join(' '));
    expect(adds).toEqual(['0.0.0.0/1 timeout 0', '128.0.0.0/1 timeout 0', '10.0.0.0/8 timeout 0 nomatch', '2000::/3 timeout 0', 'fd00::/8 timeout 0', 'fd00::/64 timeout 0 nomatch']);
    expect(run.stdout).toContain('\n# ---- ip6tables.rules: ip6tables-restore < ip6tables.rules');
    expect(run.stdout).toContain('-j REJECT --reject-with icmp6-port-unreachable');
  });
});

const skip = kernelSkipReason(['ipset', 'iptables-restore', 'ip6tables-restore', 'iptables-save', 'ip6tables-save']);
if (skip !== null) console.warn(`kernel-render-kube-router: kernel round trips skipped: ${skip}`);

describe.skipIf(skip !== null)(`kube-router rendering in a network namespace${skip === null ? '' : ` (skipped: ${skip})`}`, () => {
  const expectRoundTrip = (ruleset: KernelRuleset): void => {
    const state = loadAndSave(ruleset);
    expect(ipsetSets(state.ipset)).toEqual(ipsetSets(part(ruleset, 'ipset')));
    for (const [loader, saved] of [['iptables', state.iptables], ['ip6tables', state.ip6tables]] as const) {
      const text = part(ruleset, loader);
      if (text !== '') expect(iptablesChains(saved)).toEqual(iptablesChains(text));
    }
  };

  it.each(EXAMPLES)('%s loads unmodified and round-trips', async (example) => {
    expectRoundTrip(await renderExample(example));
  });

  it(`${RANDOM_CLUSTERS} seeded random clusters load unmodified and round-trip`, () => {
    let v6 = 0;
    for (let seed = 0; seed < RANDOM_CLUSTERS; seed++) {
      const ruleset = renderRandom(seed);
      if (part(ruleset, 'ip6tables') !== '') v6++;
      expectRoundTrip(ruleset);
    }
    // The generator gives most clusters an IPv6 pod: both loaders are exercised.
    expect(v6).toBeGreaterThan(RANDOM_CLUSTERS / 2);
  });
});
