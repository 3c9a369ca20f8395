import { describe, expect, it } from 'vitest';
import { CNI_PROFILE_NAMES, CNI_PROFILES, CNI_SWITCH_NAMES } from '../compiler/cni-profiles.js';
import { CNI_OPTIONS, readCniProfile } from '../src/cli/read-cni-profile.js';
import { parseCommandArgs } from '../src/cli/parse-options.js';
import { UserError } from '../src/diagnostics.js';
import { runCli } from './helpers/run-cli.js';

describe('cli profiles', () => {
  it('profiles - -o json round-trips every profile with its sources', async () => {
    const run = await runCli(['profiles', '-o', 'json']);
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout);
    expect(json.profiles).toEqual(JSON.parse(JSON.stringify(CNI_PROFILES)));
    expect(Object.keys(json.switches)).toEqual([...CNI_SWITCH_NAMES]);
    expect(json.switches.denyAction.values).toEqual(['drop', 'reject']);
    expect(Object.keys(json.confidence)).toEqual(['confirmed', 'inferred', 'unverified', 'chosen']);
  });

  it('profiles - table lists all nine profiles as columns, every switch as a row, a legend and the sources', async () => {
    const run = await runCli(['profiles']);
    expect(run.code).toBe(0);
    const [header, ...rest] = run.stdout.split('\n');
    expect(header?.split(/\s+/)).toEqual(['switch', ...CNI_PROFILE_NAMES]);
    for (const name of CNI_SWITCH_NAMES) expect(rest.some((line) => line.startsWith(`${name} `))).toBe(true);
    const enforceRow = rest.find((line) => line.startsWith('enforce '))?.split(/\s+/);
    expect(enforceRow).toEqual(['enforce', 'true', 'true', 'true', 'true', 'true', 'true', 'true', 'true', 'false']);
    const reevaluate = rest.find((line) => line.startsWith('reevaluateEstablished '))?.split(/\s+/);
    expect(reevaluate?.[4]).toBe('forward'); // cilium, confirmed: no mark
    expect(reevaluate?.[7]).toBe('both*'); // ovn-kubernetes, inferred
    expect(run.stdout).toContain('* inferred:');
    expect(run.stdout).toContain('? unverified:');
    expect(run.stdout).toContain('^ chosen:');
    expect(run.stdout).toContain(CNI_PROFILES['kube-router'].switches.denyAction.source);
  });

  it('profiles - md is a well-formed table with one row per switch', async () => {
    const run = await runCli(['profiles', '-o', 'md']);
    expect(run.code).toBe(0);
    const rows = run.stdout.split('\n').filter((line) => line.startsWith('|'));
    expect(rows).toHaveLength(2 + CNI_SWITCH_NAMES.length);
    const columns = CNI_PROFILE_NAMES.length + 1;
    // Count unescaped pipes: every row has the same number of cells as the header.
    for (const row of rows) expect(row.replaceAll('\\|', '').split('|').length - 2).toBe(columns);
    expect(rows[1]).toMatch(/^\|(---\|)+$/);
    expect(rows[2]).toBe('| `enforce` | true | true | true | true | true | true | true | true | false |');
    expect(run.stdout).toContain('true\\*'); // inferred marks are escaped, not emphasis
  });

  it('profiles - --cni with --cni-opt shows the resolved profile and its sources', async () => {
    const run = await runCli(['profiles', '--cni', 'cilium', '--cni-opt', 'sctpSupported=true']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Profile cilium:');
    expect(run.stdout).toContain('Overridden by --cni-opt: sctpSupported');
    expect(run.stdout).toContain('sctpSupported = true  [chosen]  (overridden)');
    expect(run.stdout).toContain('reevaluateEstablished = forward  [confirmed]');
    expect(run.stdout).toContain(CNI_PROFILES.cilium.switches.ipBlockMatchesPodIps.source);
    const json = JSON.parse((await runCli(['profiles', '--cni', 'flannel', '-o', 'json'])).stdout);
    expect(json.profile.values.enforce).toBe(false);
    const md = (await runCli(['profiles', '--cni', 'antrea', '-o', 'md'])).stdout;
    expect(md.split('\n').filter((l) => l.startsWith('|'))).toHaveLength(2 + CNI_SWITCH_NAMES.length);
  });

  it('profiles - bad profile, switch or value exits 2 with one line', async () => {
    for (const args of [['--cni', 'weave'], ['--cni-opt', 'denyActon=drop'], ['--cni-opt', 'denyAction=block'], ['--cni-opt', 'nonsense'], ['-o', 'yaml']]) {
      const run = await runCli(['profiles', ...args]);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(run.stderr).toMatch(/^netpol-emu: profiles: /);
    }
    expect((await runCli(['profiles', '--cni', 'weave'])).stderr).toContain('profiles: upstream, calico');
  });

  it('readCniProfile - defaults to upstream and throws a usage error naming the command', () => {
    const none = readCniProfile('query', parseCommandArgs('query', [], CNI_OPTIONS));
    expect(none.name).toBe('upstream');
    const parsed = parseCommandArgs('query', ['--cni', 'calico', '--cni-opt', 'denyAction=reject'], CNI_OPTIONS);
    expect(readCniProfile('query', parsed).values.denyAction).toBe('reject');
    const bad = parseCommandArgs('query', ['--cni', 'calico', '--cni-opt', 'denyAction=x'], CNI_OPTIONS);
    expect(() => readCniProfile('query', bad)).toThrow(UserError);
    expect(() => readCniProfile('query', bad)).toThrow(/^query: --cni-opt "denyAction=x": denyAction must be one of drop, reject/);
  });

  it('profiles - listed in the top-level help', async () => {
    const run = await runCli(['--help']);
    expect(run.stdout).toMatch(/\n {2}profiles +per-CNI behaviour switches/);
  });
});
