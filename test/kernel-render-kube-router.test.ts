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
import { NaiveEvaluator, compile, policySemantics, renderKubeRouter, resolveProfile, restrictToProfile, type KernelRuleset } from '../src/index.js';
import type { Cluster } from '../compiler/model.js';
import { clusterArb, deviationClusterArb, deviationFlowArb, engineFlow, flowAddresses, flowArb, loadRandomCluster, type RandomCluster, type RandomFlow } from './helpers/random-cluster.js';
import { IptablesInterpreter } from './helpers/interpret-iptables.js';
import { runCli } from './helpers/run-cli.js';
import { ipsetSets, iptablesChains, kernelSkipReason, loadAndSave } from './helpers/kernel-netns.js';

const EXAMPLES = ['examples/three-tier', 'examples/service', 'examples/admin-tiers'];
const RANDOM_CLUSTERS = 60;

const profile = resolveProfile('kube-router', []);
if (!profile.ok) throw new Error(profile.error);
const semantics = policySemantics(profile.profile.values);

function randomCluster(seed: number): { random: RandomCluster; cluster: Cluster } {
  const [random] = fc.sample(clusterArb, { seed, numRuns: 1 });
  if (!random) throw new Error('no sample');
  return { random, cluster: restrictToProfile(loadRandomCluster(random), 'kube-router').cluster };
}

function renderRandom(seed: number): KernelRuleset {
  return renderKubeRouter(compile(randomCluster(seed).cluster, semantics));
}

function interpreters(ruleset: KernelRuleset): Record<4 | 6, IptablesInterpreter> {
  return { 4: new IptablesInterpreter(part(ruleset, 'ipset'), part(ruleset, 'iptables')), 6: new IptablesInterpreter(part(ruleset, 'ipset'), part(ruleset, 'ip6tables')) };
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
  expect(run.stdout).toContain('ipset restore < ipset.restore\niptables-restore --noflush < iptables.rules\n');
  expect(readFileSync(join(dir, 'LOAD.txt'), 'utf8')).toContain('ipset restore < ipset.restore\niptables-restore --noflush < iptables.rules\n');
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
    expect(run.stdout).toMatch(/^# ---- ipset restore < ipset\.restore ----\n/);
    expect(run.stdout).toContain('\n# ---- iptables-restore --noflush < iptables.rules ----\n');
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
    expect(run.stdout).toContain('\n# ---- ip6tables-restore --noflush < ip6tables.rules ----\n');
    expect(run.stdout).toContain('-j REJECT --reject-with icmp6-port-unreachable');
  });
});

describe('kube-router rendering: semantics (interpreted, no kernel needed)', () => {
  /** Interprets the rendering of each cluster on its flows; returns the flows compared and the disagreements. */
  const agreement = (clusters: readonly RandomCluster[], flowsOf: (index: number) => readonly RandomFlow[]): { compared: number; disagreements: string[] } => {
    let compared = 0;
    const disagreements: string[] = [];
    clusters.forEach((random, index) => {
      const cluster = restrictToProfile(loadRandomCluster(random), 'kube-router').cluster;
      const kernel = interpreters(renderKubeRouter(compile(cluster, semantics)));
      const naive = new NaiveEvaluator(cluster, semantics);
      for (const f of flowsOf(index)) {
        const { src, dst } = flowAddresses(random, f);
        if (src === dst) continue;
        const flow = engineFlow(random, f);
        const echo = f.protocol === 1 && f.family === 4 ? 8 : f.protocol === 58 && f.family === 6 ? 128 : undefined;
        const got = kernel[f.family].forward({ family: f.family, src, dst, protocol: f.protocol, dstPort: flow.dstPort, ...(echo !== undefined ? { icmpType: echo } : {}) });
        // icmpPolicy=allow-echo-errors: echo requests pass whatever the policies say.
        const want = echo !== undefined ? true : naive.evaluate(flow).allowed;
        compared++;
        if ((got === 'ACCEPT') !== want) disagreements.push(`cluster ${index}: ${src} -> ${dst} proto ${f.protocol} port ${flow.dstPort}: emulator ${want ? 'allows' : 'denies'}, rendering ${got}`);
      }
    });
    return { compared, disagreements };
  };

  it(`agrees with --cni kube-router on new connections (TCP, UDP, SCTP, ICMP echo, other protocols) of ${RANDOM_CLUSTERS} random clusters`, () => {
    const clusters = Array.from({ length: RANDOM_CLUSTERS }, (_, seed) => randomCluster(seed).random);
    const { compared, disagreements } = agreement(clusters, (seed) => fc.sample(flowArb, { seed: 1000 + seed, numRuns: 200 }));
    console.log(`kube-router rendering interpreted: ${compared - disagreements.length} of ${compared} flows agree`);
    expect(disagreements).toEqual([]);
    expect(compared).toBeGreaterThan(RANDOM_CLUSTERS * 50);
  });

  it('agrees with --cni kube-router on 200 clusters shaped for kube-router\'s own behaviours (both-type policies, named ports, ipBlocks)', () => {
    const clusters = fc.sample(deviationClusterArb, { seed: 7, numRuns: 200 });
    const { compared, disagreements } = agreement(clusters, (index) => fc.sample(deviationFlowArb, { seed: 2000 + index, numRuns: 100 }));
    console.log(`kube-router rendering interpreted, shaped clusters: ${compared - disagreements.length} of ${compared} flows agree`);
    expect(disagreements).toEqual([]);
    expect(compared).toBeGreaterThan(200 * 50);
  });

  const twoPods = (policy: string): string =>
    [
      'apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: ns, labels: {app: web}}\nspec: {containers: [{name: c, ports: [{name: http, containerPort: 80}]}]}\nstatus: {podIP: 10.0.0.1, hostIP: 172.16.0.1, phase: Running}',
      'apiVersion: v1\nkind: Pod\nmetadata: {name: b, namespace: ns, labels: {app: web}}\nstatus: {podIP: 10.0.0.2, hostIP: 172.16.0.1, phase: Running}',
      `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: ns}\nspec:\n${policy}`,
    ].join('\n---\n');

  async function kernelAndEmulator(manifest: string, flow: { src: string; dst: string; port: number }, family: 4 | 6 = 4): Promise<{ kernel: string; emulator: number }> {
    const dir = mkdtempSync(join(tmpdir(), 'npe-kmore-'));
    dirs.push(dir);
    const file = join(dir, 'cluster.yaml');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, manifest);
    const run = await runCli(['compile', '-f', file, '-o', 'iptables', '--cni', 'kube-router', '--out-dir', dir]);
    expect(run.code, run.stderr).toBe(0);
    const interpreter = new IptablesInterpreter(readFileSync(join(dir, 'ipset.restore'), 'utf8'), readFileSync(join(dir, family === 4 ? 'iptables.rules' : 'ip6tables.rules'), 'utf8'));
    const query = await runCli(['query', '-f', file, '--cni', 'kube-router', '--from', flow.src, '--to', flow.dst, '--port', String(flow.port)]);
    return { kernel: interpreter.forward({ family, src: flow.src, dst: flow.dst, protocol: 6, dstPort: flow.port }), emulator: query.code };
  }

  it('models kube-router\'s jump to a both-type policy without an address match (bothTypesRules=both-directions): its ingress rules also pass its pods\' egress', async () => {
    const policy = '  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Ingress, Egress]\n  ingress: [{from: [{podSelector: {}}]}]\n  egress: []';
    const result = await kernelAndEmulator(twoPods(policy), { src: '10.0.0.1', dst: '10.0.0.2', port: 80 });
    expect(result).toEqual({ kernel: 'ACCEPT', emulator: 0 });
  });

  it('models kube-router\'s IPv6 ::/0 as 2000::/3 + fd00::/8 (ipBlockMatch=kube-router-ipset): an except of fc00::/7 does not remove fd00::/8, fe80::/10 is not matched (found by the kernel check)', async () => {
    const manifest = [
      'apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: ns, labels: {app: web}}\nstatus: {podIP: "fd00::1", hostIP: "fd00:ffff::1", phase: Running}',
      'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: ns}\nspec:\n  podSelector: {}\n  policyTypes: [Egress]\n  egress: [{to: [{ipBlock: {cidr: "::/0", except: ["fc00::/7"]}}]}]',
    ].join('\n---\n');
    expect(await kernelAndEmulator(manifest, { src: 'fd00::1', dst: 'fd00::99', port: 53 }, 6)).toEqual({ kernel: 'ACCEPT', emulator: 0 });
    expect(await kernelAndEmulator(manifest, { src: 'fd00::1', dst: '2001:db8::1', port: 53 }, 6)).toEqual({ kernel: 'ACCEPT', emulator: 0 });
    expect(await kernelAndEmulator(manifest, { src: 'fd00::1', dst: 'fe80::1', port: 53 }, 6)).toEqual({ kernel: 'REJECT', emulator: 1 });
    expect(await kernelAndEmulator(manifest, { src: 'fd00::1', dst: 'fc00::1', port: 53 }, 6)).toEqual({ kernel: 'REJECT', emulator: 1 });
  });

  it('models kube-router\'s egress named port without `to` (egressNamedPorts=kube-router): any destination on the numbers of the namespace\'s pods', async () => {
    const policy = '  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Egress]\n  egress: [{ports: [{port: http}]}]';
    expect(await kernelAndEmulator(twoPods(policy), { src: '10.0.0.2', dst: '192.0.2.1', port: 80 })).toEqual({ kernel: 'ACCEPT', emulator: 0 });
    expect(await kernelAndEmulator(twoPods(policy), { src: '10.0.0.2', dst: '192.0.2.1', port: 81 })).toEqual({ kernel: 'REJECT', emulator: 1 });
  });

  it('models kube-router\'s pod-peer rule whose named ports no pod declares (unresolvedNamedPorts=all-ports): every port', async () => {
    const policy = '  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Ingress]\n  ingress: [{from: [{podSelector: {}}], ports: [{port: nope}]}]';
    expect(await kernelAndEmulator(twoPods(policy), { src: '10.0.0.1', dst: '10.0.0.2', port: 5432 })).toEqual({ kernel: 'ACCEPT', emulator: 0 });
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
