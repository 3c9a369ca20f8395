/**
 * The nftables rendering in Calico's shape (compiler/render-nftables.ts): what it contains,
 * checked without a kernel, and — as root with network namespaces — that `nft -f` loads every
 * rendering of the bundled examples, of 60 seeded random clusters and of 30 random clusters with
 * AdminNetworkPolicy/BaselineAdminNetworkPolicy tiers unmodified, and that `nft list ruleset`
 * gives the same sets, maps and chains back.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { NaiveEvaluator, compile, policySemantics, renderNftables, resolveProfile, restrictToProfile, type KernelRuleset } from '../src/index.js';
import type { Cluster } from '../compiler/model.js';
import { clusterArb, engineFlow, flowAddresses, flowArb, loadRandomCluster, type RandomCluster } from './helpers/random-cluster.js';
import { NftablesInterpreter } from './helpers/interpret-nftables.js';
import { adminClusterArb } from './helpers/random-admin-cluster.js';
import { runCli } from './helpers/run-cli.js';
import { kernelSkipReason, loadAndSave, nftBlocks } from './helpers/kernel-netns.js';

const EXAMPLES = ['examples/three-tier', 'examples/service', 'examples/admin-tiers'];
const RANDOM_CLUSTERS = 60;
const RANDOM_ADMIN_CLUSTERS = 30;

const profile = resolveProfile('calico', []);
if (!profile.ok) throw new Error(profile.error);
const semantics = policySemantics(profile.profile.values);

function randomCluster(arb: fc.Arbitrary<RandomCluster>, seed: number): { random: RandomCluster; cluster: Cluster } {
  const [random] = fc.sample(arb, { seed, numRuns: 1 });
  if (!random) throw new Error('no sample');
  return { random, cluster: restrictToProfile(loadRandomCluster(random), 'calico').cluster };
}

function renderRandom(arb: fc.Arbitrary<RandomCluster>, seed: number): KernelRuleset {
  return renderNftables(compile(randomCluster(arb, seed).cluster, semantics));
}

const text = (ruleset: KernelRuleset): string => ruleset.parts.map((p) => p.text).join('');

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'npe-kmore-'));
  dirs.push(dir);
  return dir;
};

async function renderExample(example: string): Promise<KernelRuleset> {
  const dir = tempDir();
  const run = await runCli(['compile', '-f', example, '-o', 'nftables', '--cni', 'calico', '--out-dir', dir]);
  expect(run.code, run.stderr).toBe(0);
  return { shape: 'nftables', profile: 'calico', parts: [{ loader: 'nft', fileName: 'ruleset.nft', text: readFileSync(join(dir, 'ruleset.nft'), 'utf8') }] };
}

describe('nftables rendering: shape (no kernel needed)', () => {
  it('compile -o nftables prints the ruleset under a header naming nft -f', async () => {
    const run = await runCli(['compile', '-f', 'examples/three-tier', '-o', 'nftables']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^# ---- nft -f ruleset\.nft ----\n(#.*\n)*table ip npe \{\n/);
  });

  it('profiles --cni calico cites the upstream files of both Calico chain shapes', async () => {
    const run = await runCli(['profiles', '--cni', 'calico']);
    const shapes = run.stdout.slice(run.stdout.indexOf('Kernel renderings'));
    expect(shapes).toContain('calico-iptables: netpol-emu compile -o iptables');
    expect(shapes).toContain('nftables: netpol-emu compile -o nftables');
    for (const file of ['felix/nftables/table.go', 'felix/rules/dispatch.go', 'felix/rules/endpoints.go', 'felix/nftables/ipsets.go']) expect(shapes).toContain(`source: projectcalico/calico@87c15906:${file}`);
    expect((await runCli(['profiles', '--cni', 'calico', '-o', 'md'])).stdout).toContain('Kernel rendering `nftables` (`netpol-emu compile -o nftables`)');
  });

  it('refuses a profile it has no nftables rendering for, in one line', async () => {
    const run = await runCli(['compile', '-f', 'examples/three-tier', '-o', 'nftables', '--cni', 'kube-router']);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual(["netpol-emu: compile: -o nftables renders Calico's nftables dataplane (--cni calico); --cni kube-router has no nftables rendering"]);
    const json = await runCli(['compile', '-f', 'examples/three-tier', '-o', 'json', '--out-dir', tempDir()]);
    expect(json.code).toBe(2);
    expect(json.stderr).toContain('--out-dir writes a kernel rendering');
  });

  it('hooks forward, dispatches by verdict map, and starts every endpoint chain with ct state', async () => {
    const blocks = nftBlocks(text(await renderExample('examples/three-tier')));
    expect(blocks.get('table ip npe / chain filter-FORWARD')).toEqual(['type filter hook forward priority filter; policy accept;', 'jump filter-npe-FORWARD']);
    expect(blocks.get('table ip npe / chain filter-npe-from-wl-dispatch')).toEqual(['ip saddr vmap @filter-npe-from-wl-dispatch']);
    const endpointChains = [...blocks.keys()].filter((k) => /chain filter-npe-[ft]w-/.test(k));
    expect(endpointChains.length).toBeGreaterThan(0);
    for (const key of endpointChains) expect(blocks.get(key)?.slice(0, 2)).toEqual(['ct state established,related accept', 'ct state invalid drop']);
    const db = blocks.get('table ip npe / chain filter-npe-tw-app1-ns.db-sts-0') ?? [];
    expect(db.at(-1)).toBe('meta mark & 0x00020000 == 0x00000000 drop comment "Drop if no policies passed packet"');
  });

  it('keeps /0 in interval sets, drops nested excepts, and matches named ports through a concatenated set', async () => {
    const manifest = join(tempDir(), 'cluster.yaml');
    writeFileSync(
      manifest,
      [
        'apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: ns, labels: {app: a}}\nspec: {containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]}\nstatus: {podIPs: [{ip: 10.0.0.1}, {ip: "fd00::1"}], hostIP: 172.16.0.1, phase: Running}',
        'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: ns}\nspec:\n  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8, 10.1.0.0/16]}\n    ports: [{port: http}]',
      ].join('\n---\n'),
    );
    const run = await runCli(['compile', '-f', manifest, '-o', 'nftables']);
    expect(run.code, run.stderr).toBe(0);
    const blocks = nftBlocks(run.stdout);
    expect(blocks.get('table ip npe / set npe40c-0')).toEqual(['type ipv4_addr', 'flags interval', 'elements = { 0.0.0.0/0 }']);
    expect(blocks.get('table ip npe / set npe40x-0')).toEqual(['type ipv4_addr', 'flags interval', 'elements = { 10.0.0.0/8 }']);
    expect(blocks.get('table ip npe / set npe40n-http')).toEqual(['type ipv4_addr . inet_proto . inet_service', 'elements = { 10.0.0.1 . tcp . 8080 }']);
    expect(blocks.get('table ip6 npe / set npe60n-http')).toEqual(['type ipv6_addr . inet_proto . inet_service', 'elements = { fd00::1 . tcp . 8080 }']);
    expect(blocks.get('table ip npe / chain filter-npe-pi-ns.p')?.[0]).toBe(
      'ip saddr @npe40c-0 ip saddr != @npe40x-0 ip daddr . meta l4proto . tcp dport @npe40n-http meta mark set meta mark | 0x00010000 comment "rule 0: ns/p ingress[0] from[0] ports[0]"',
    );
    // The IPv4 ipBlock has no rule in the IPv6 table: it cannot match there.
    expect(blocks.get('table ip6 npe / chain filter-npe-pi-ns.p')).toEqual([]);
  });

  it('renders the admin and baseline tiers around the default tier', async () => {
    const blocks = nftBlocks(text(await renderExample('examples/admin-tiers')));
    const lines = [...blocks.values()].flat();
    expect(lines).toContain('meta mark set meta mark & 0xfffdffff comment "Start of tier adminnetworkpolicy"');
    expect(lines).toContain('meta mark set meta mark & 0xfffdffff comment "Start of tier baselineadminnetworkpolicy"');
    expect([...blocks.keys()].some((k) => k.includes('chain filter-npe-pi-ANP.') || k.includes('chain filter-npe-po-ANP.'))).toBe(true);
  });
});

describe('nftables rendering: semantics (interpreted, no kernel needed)', () => {
  it.each([
    ['random clusters', clusterArb, RANDOM_CLUSTERS],
    ['random clusters with admin tiers', adminClusterArb, RANDOM_ADMIN_CLUSTERS],
  ] as const)('agrees with --cni calico on every new connection of the %s', (label, arb, count) => {
    let compared = 0;
    let dropped = 0;
    const disagreements: string[] = [];
    for (let seed = 0; seed < count; seed++) {
      const { random, cluster } = randomCluster(arb, seed);
      const listing = text(renderNftables(compile(cluster, semantics)));
      const kernel = { 4: new NftablesInterpreter(listing, 'ip npe'), 6: new NftablesInterpreter(listing, 'ip6 npe') };
      const naive = new NaiveEvaluator(cluster, semantics);
      for (const f of fc.sample(flowArb, { seed: 2000 + seed, numRuns: 200 })) {
        const { src, dst } = flowAddresses(random, f);
        if (src === dst) continue;
        const flow = engineFlow(random, f);
        const got = kernel[f.family].forward({ family: f.family, src, dst, protocol: f.protocol, dstPort: flow.dstPort });
        const want = naive.evaluate(flow).allowed;
        compared++;
        if (got !== 'ACCEPT') dropped++;
        if ((got === 'ACCEPT') !== want) disagreements.push(`seed ${seed}: ${src} -> ${dst} proto ${f.protocol} port ${flow.dstPort}: emulator ${want ? 'allows' : 'denies'}, rendering ${got}`);
      }
    }
    console.log(`nftables rendering interpreted (${label}): ${compared} flows agree, ${dropped} of them dropped`);
    expect(disagreements).toEqual([]);
    expect(compared).toBeGreaterThan(count * 100);
    expect(dropped).toBeGreaterThan(compared / 20);
  });
});

const skip = kernelSkipReason(['nft']);
if (skip !== null) console.warn(`kernel-render-nftables: kernel round trips skipped: ${skip}`);

describe.skipIf(skip !== null)(`nftables rendering in a network namespace${skip === null ? '' : ` (skipped: ${skip})`}`, () => {
  const expectRoundTrip = (ruleset: KernelRuleset): void => {
    expect(nftBlocks(loadAndSave(ruleset).nft)).toEqual(nftBlocks(text(ruleset)));
  };

  it.each(EXAMPLES)('%s loads unmodified and round-trips', async (example) => {
    expectRoundTrip(await renderExample(example));
  });

  it(`${RANDOM_CLUSTERS} seeded random clusters load unmodified and round-trip`, () => {
    for (let seed = 0; seed < RANDOM_CLUSTERS; seed++) expectRoundTrip(renderRandom(clusterArb, seed));
  });

  it(`${RANDOM_ADMIN_CLUSTERS} seeded random clusters with admin tiers load unmodified and round-trip`, () => {
    let tiers = 0;
    for (let seed = 0; seed < RANDOM_ADMIN_CLUSTERS; seed++) {
      const ruleset = renderRandom(adminClusterArb, seed);
      if (text(ruleset).includes('Start of tier adminnetworkpolicy')) tiers++;
      expectRoundTrip(ruleset);
    }
    expect(tiers).toBeGreaterThan(RANDOM_ADMIN_CLUSTERS / 3);
  });
});
