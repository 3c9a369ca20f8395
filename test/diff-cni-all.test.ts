/**
 * `diff CAPTURE --cni all` (and a list): one row per flow whose verdict differs between any of
 * the profiles, one column per profile, each difference from upstream attributed to the switch
 * that causes it. On the recorded capture of test/fixtures/advise with the policies of
 * test/fixtures/cni-diff (SCTP, a conflicting named port, an ipBlock over a pod, ICMP into an
 * isolated pod) the attributions are named; the rows and the attributions are checked against
 * plain replays (`replay --cni P`, `replay --cni upstream --cni-opt SWITCH`).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';
import { embeddedData, expectSelfContained } from './helpers/read-report-page.js';
import { expectAgreesWithReplays, type Difference, type ProfilesJson } from './helpers/check-profiles-diff.js';

const CAPTURE = 'test/fixtures/advise/refusals.pcap';
const CLUSTER = ['-f', 'test/fixtures/advise/cluster.yaml', '-f', 'test/fixtures/cni-diff'];
const root = mkdtempSync(join(tmpdir(), 'netpol-diff-cni-all-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let all: ProfilesJson;
let allCode: number;

beforeAll(async () => {
  const run = await runCli(['diff', CAPTURE, ...CLUSTER, '--cni', 'all', '-o', 'json']);
  allCode = run.code;
  all = JSON.parse(run.stdout) as ProfilesJson;
});

let adminPcap: Promise<string> | undefined;
/** The admin-tiers example's flows as a capture (written once). */
function adminCapture(): Promise<string> {
  adminPcap ??= (async () => {
    const pcap = join(root, 'admin.pcap');
    // flannel forwards every packet: the allowed-packet capture is the whole exchange.
    const write = await runCli(['replay', '--flows-in', 'examples/admin-tiers/flows.jsonl', '-f', 'examples/admin-tiers', '--cni', 'flannel', '--write-allowed', pcap]);
    expect(write.code, write.stderr).toBe(0);
    return pcap;
  })();
  return adminPcap;
}

/** The causes of the row of `protocol dst:dport`. */
function causesOf(protocol: string, dst: string, dport: number | null): Record<string, string> {
  const rows = all.differences.filter((d) => d.protocol === protocol && d.dst === dst && d.dport === dport);
  expect(rows, `${protocol} ${dst}:${dport}`).toHaveLength(1);
  return Object.fromEntries(Object.entries((rows[0] as Difference).causes).map(([p, c]) => [p, `${(rows[0] as Difference).cells[p]?.verdict} — ${c.switches.join(', ')}`]));
}

describe('diff --cni all', () => {
  it('diff cni all - a column per profile; SCTP, named port, ipBlock and ICMP differences attributed to their switch', () => {
    expect(allCode).toBe(1);
    expect(all.reference).toBe('upstream');
    expect(all.profiles).toEqual(['upstream', 'calico', 'calico-ebpf', 'cilium', 'antrea', 'kube-router', 'ovn-kubernetes', 'kube-network-policies', 'flannel']);
    expect(all.switches['kube-router']).toEqual(['ipBlockMatch=kube-router-ipset', 'denyAction=reject', 'bothTypesRules=both-directions', 'unresolvedNamedPorts=all-ports', 'egressNamedPorts=kube-router', 'icmpPolicy=allow-echo-errors']);
    // kube-router supports SCTP (v2.8.0+, kube-router 39efb923): only cilium denies it.
    expect(causesOf('SCTP', '10.244.2.20', 3868)).toEqual({ cilium: 'denied — sctpSupported=false' });
    expect(causesOf('TCP', '10.244.2.20', 5432)).toEqual({ cilium: 'denied — namedPortConflict=skip-rule' });
    expect(causesOf('UDP', '10.244.2.20', 5353)).toEqual({ cilium: 'denied — ipBlockMatchesPodIps=false' });
    expect(causesOf('ICMP', '10.244.1.10', null)).toEqual({ 'kube-router': 'allowed — icmpPolicy=allow-echo-errors', flannel: 'allowed — enforce=false' });
    expect(causesOf('TCP', '10.244.2.20', 6379)).toEqual({ flannel: 'allowed — enforce=false' });
    for (const d of all.differences) for (const c of Object.values(d.causes)) expect(c.together).toBe(false);
  });

  it('diff cni all - the rows and attributions agree with a replay per profile and per flipped switch', async () => {
    await expectAgreesWithReplays(CAPTURE, CLUSTER, all);
  }, 120_000);

  it('diff cni all - text: a verdict column per profile and "profile: verdict — switch" under each row', async () => {
    const run = await runCli(['diff', CAPTURE, ...CLUSTER, '--cni', 'all']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`flows compared: ${all.compared}; verdict differs between profiles: ${all.differences.length}`);
    expect(run.stdout).toMatch(/\n {2}upstream {2}calico {3}calico-ebpf {2}cilium {3}antrea {3}kube-router {2}ovn-kubernetes {2}kube-network-policies {2}flannel {2}flow\n/);
    expect(run.stdout).toMatch(/\n {2}allowed {3}allowed  allowed      denied   allowed  allowed      allowed         allowed                allowed  shop\/client-5d9f7-abcde 10\.244\.1\.10:40100 -> shop\/db-0 10\.244\.2\.20:3868 SCTP\n {6}cilium: denied — sctpSupported=false\n/);
  });

  it('diff cni list - only the named profiles are columns; rows differ between them only', async () => {
    const run = await runCli(['diff', CAPTURE, ...CLUSTER, '--cni', 'upstream,kube-router', '-o', 'json']);
    expect(run.code).toBe(1);
    const two = JSON.parse(run.stdout) as ProfilesJson;
    expect(two.profiles).toEqual(['upstream', 'kube-router']);
    expect(two.differences.map((d) => `${d.protocol} ${d.dst}:${d.dport ?? '-'}`).sort()).toEqual(['ICMP 10.244.1.10:-']);
    await expectAgreesWithReplays(CAPTURE, CLUSTER, two);
    // Profiles that agree everywhere: no row, exit 0.
    const same = await runCli(['diff', CAPTURE, ...CLUSTER, '--cni', 'upstream,calico,antrea']);
    expect(same.code).toBe(0);
    expect(same.stdout).toContain('verdict differs between profiles: 0');
  });

  it('diff cni all - the bundled three-tier capture: Cilium\'s ipBlock and kube-router\'s ICMP', async () => {
    const run = await runCli(['diff', 'examples/three-tier/capture.pcap', '-f', 'examples/three-tier', '--cni', 'all', '-o', 'json']);
    expect(run.code).toBe(1);
    const diff = JSON.parse(run.stdout) as ProfilesJson;
    const ingress = diff.differences.find((d) => d.src === '10.244.2.30' && d.dport === 80);
    expect(ingress?.causes).toEqual({ cilium: { switches: ['ipBlockMatchesPodIps=false'], together: false } });
    const icmp = diff.differences.find((d) => d.protocol === 'ICMP');
    expect(icmp?.causes['kube-router']).toEqual({ switches: ['icmpPolicy=allow-echo-errors'], together: false });
    await expectAgreesWithReplays('examples/three-tier/capture.pcap', ['-f', 'examples/three-tier'], diff);
  }, 120_000);

  it('diff cni all - admin tiers a CNI does not implement are attributed as such', async () => {
    const pcap = await adminCapture();
    const run = await runCli(['diff', pcap, '-f', 'examples/admin-tiers', '--cni', 'upstream,cilium', '-o', 'json']);
    expect(run.code).toBe(1);
    const diff = JSON.parse(run.stdout) as ProfilesJson;
    const toy = diff.differences.find((d) => d.src === '10.244.1.30' && d.dport === 8080);
    expect(toy?.reference?.reason).toBe('drop-egress-admin-deny');
    expect(toy?.causes['cilium']).toEqual({ switches: ['admin tiers as cilium implements them'], together: false });
    expect(run.stderr).toContain('warning: AdminNetworkPolicy/sandbox-isolation is ignored: CNI profile cilium does not implement AdminNetworkPolicy');
  });

  it('diff cni all - each admin-support warning once, naming every profile it applies to', async () => {
    const pcap = await adminCapture();
    const run = await runCli(['diff', pcap, '-f', 'examples/admin-tiers', '--cni', 'all', '-o', 'json']);
    expect(run.code).toBe(1);
    const lines = run.stderr.split('\n').filter((l) => l.startsWith('warning: '));
    expect(new Set(lines).size).toBe(lines.length);
    // "SUBJECT is ignored|fails closed: CNI profile(s) A, B do(es) not implement ...": one line per subject and effect.
    const merged = lines.map((l) => /^warning: (.+?) (is ignored|fails closed): CNI profiles? (.+?) (?:do|does) not implement /.exec(l));
    for (const [i, m] of merged.entries()) expect(m, lines[i]).not.toBeNull();
    const subjects = merged.map((m) => `${m?.[1]} ${m?.[2]}`);
    expect(new Set(subjects).size).toBe(subjects.length);
    // The same warnings, profile by profile, as `replay --cni P` prints them.
    const expected = new Map<string, string[]>();
    for (const profile of all.profiles) {
      const one = await runCli(['replay', pcap, '-f', 'examples/admin-tiers', '--cni', profile]);
      for (const m of one.stderr.matchAll(/^warning: (.+?) (is ignored|fails closed): CNI profile (\S+) does not implement /gm)) {
        expect(m[3]).toBe(profile);
        const key = `${m[1]} ${m[2]}`;
        expected.set(key, [...(expected.get(key) ?? []), profile]);
      }
    }
    expect(expected.size).toBeGreaterThan(0);
    expect(new Map(merged.map((m) => [`${m?.[1]} ${m?.[2]}`, (m?.[3] ?? '').split(', ')]))).toEqual(expected);
    expect(lines).toContain('warning: AdminNetworkPolicy/sandbox-isolation is ignored: CNI profiles cilium, kube-router, flannel do not implement AdminNetworkPolicy (policy.networking.k8s.io/v1alpha1) (sources: netpol-emu profiles --admin)');
  });

  it('diff cni all - a difference no single switch explains is attributed to the switches together', async () => {
    // A lone RST to an isolated pod: conntrack INVALID. flannel lets it through only because it
    // neither drops INVALID packets nor enforces policy; either switch alone still denies it.
    const flows = join(root, 'rst.jsonl');
    writeFileSync(flows, '{"format":"netpol-emu-flows","version":1,"linkType":1}\n{"ts":1764720000.0,"src":"10.244.1.10","dst":"10.244.2.12","protocol":"TCP","sport":41000,"dport":3306,"flags":"R","seq":5,"ack":0,"win":0,"bytes":0}\n');
    const pcap = join(root, 'rst.pcap');
    expect((await runCli(['replay', '--flows-in', flows, '-f', 'examples/three-tier', '--cni', 'flannel', '--write-allowed', pcap])).code).toBe(0);
    const run = await runCli(['diff', pcap, '-f', 'examples/three-tier', '--cni', 'upstream,flannel']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('      flannel: allowed — enforce=false + dropInvalidCt=false (only together)\n');
    const json = JSON.parse((await runCli(['diff', pcap, '-f', 'examples/three-tier', '--cni', 'upstream,flannel', '-o', 'json'])).stdout) as ProfilesJson;
    expect(json.differences.map((d) => d.causes['flannel'])).toEqual([{ switches: ['enforce=false', 'dropInvalidCt=false'], together: true }]);
    expect(json.differences[0]?.reference?.reason).toBe('drop-conntrack-invalid');
  });

  it('diff cni all - --report embeds the JSON output; the page script parses', async () => {
    const file = join(root, 'profiles.html');
    const run = await runCli(['diff', CAPTURE, ...CLUSTER, '--cni', 'all', '-o', 'json', '--report', file]);
    expect(run.code).toBe(1);
    const html = readFileSync(file, 'utf8');
    expectSelfContained(html);
    const data = embeddedData<{ mode: string; result: ProfilesJson }>(html);
    expect(data.mode).toBe('profiles');
    expect(data.result).toEqual(JSON.parse(run.stdout));
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    expect(script).toContain('profilesMode');
    expect(() => new Function(script)).not.toThrow();
  });

  it('diff cni all - usage errors', async () => {
    expect((await runCli(['diff', CAPTURE, ...CLUSTER, '--cni', 'calico,nope'])).stderr).toContain('unknown CNI profile "nope"');
    expect((await runCli(['diff', CAPTURE, ...CLUSTER, '--cni', 'calico,nope'])).code).toBe(2);
    expect((await runCli(['diff', CAPTURE, ...CLUSTER, '--cni', 'calico,calico'])).code).toBe(2);
    expect((await runCli(['diff', CAPTURE, ...CLUSTER, '--cni', 'all', '--left', '-f', 'x'])).code).toBe(2);
    expect((await runCli(['diff', CAPTURE, ...CLUSTER, '--cni', 'all', '--cni-opt', 'enforce=false'])).code).toBe(2);
    expect((await runCli(['diff', '--matrix', ...CLUSTER, '--cni', 'all'])).code).toBe(2);
    expect((await runCli(['diff', '-', ...CLUSTER, '--cni', 'all'])).code).toBe(2);
  });
});
