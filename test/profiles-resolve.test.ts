import { describe, expect, it } from 'vitest';
import { CNI_PROFILES, CNI_SWITCH_NAMES, resolveProfile, type ResolvedProfile } from '../compiler/cni-profiles.js';

function ok(name: string, overrides: readonly string[] = []): ResolvedProfile {
  const result = resolveProfile(name, overrides);
  if (!result.ok) throw new Error(`expected success, got: ${result.error}`);
  return result.profile;
}

function error(name: string, overrides: readonly string[] = []): string {
  const result = resolveProfile(name, overrides);
  if (result.ok) throw new Error(`expected an error for ${name} ${overrides.join(' ')}`);
  expect(result.error).not.toContain('\n');
  return result.error;
}

describe('cni profiles resolve', () => {
  it('resolveProfile - without overrides copies the profile values', () => {
    const p = ok('cilium');
    expect(p.name).toBe('cilium');
    expect(p.overrides).toEqual([]);
    for (const name of CNI_SWITCH_NAMES) {
      expect(p.values[name]).toBe(CNI_PROFILES.cilium.switches[name].value);
      expect(p.switches[name]).toMatchObject({ ...CNI_PROFILES.cilium.switches[name], overridden: false });
    }
  });

  it('resolveProfile - key=value overrides one switch, typed, and records the profile value', () => {
    const p = ok('kube-router', ['denyAction=drop', 'sctpSupported=false', 'conntrackTimeouts=linux']);
    expect(p.values.denyAction).toBe('drop');
    expect(p.values.sctpSupported).toBe(false);
    expect(p.values.conntrackTimeouts).toBe('linux');
    expect(p.overrides).toEqual(['denyAction', 'sctpSupported', 'conntrackTimeouts']);
    expect(p.switches.denyAction).toMatchObject({ value: 'drop', overridden: true, profileValue: 'reject', confidence: 'chosen' });
    expect(p.switches.denyAction.source).toContain('--cni-opt denyAction=drop');
    expect(p.switches.denyAction.source).toContain('kube-router');
    // untouched switches keep the profile's setting
    expect(p.switches.icmpPolicy).toMatchObject({ value: 'allow-echo-errors', overridden: false });
  });

  it('resolveProfile - booleans parse to booleans, surrounding spaces are ignored', () => {
    const p = ok('upstream', ['enforce=false', ' dropInvalidCt = false ']);
    expect(p.values.enforce).toBe(false);
    expect(p.values.dropInvalidCt).toBe(false);
  });

  it('resolveProfile - unknown profile lists the valid ones and suggests the closest', () => {
    const message = error('calcio');
    expect(message).toContain('unknown CNI profile "calcio"');
    expect(message).toContain('did you mean "calico"?');
    expect(message).toContain('upstream, calico, calico-ebpf, cilium, antrea, kube-router, ovn-kubernetes, kube-network-policies, flannel');
  });

  it('resolveProfile - unknown switch lists the switches and suggests the closest name', () => {
    const typo = error('upstream', ['denyActon=reject']);
    expect(typo).toContain('unknown switch "denyActon"');
    expect(typo).toContain('did you mean "denyAction"?');
    expect(typo).toContain('switches: enforce, ipBlockMatchesPodIps');
    expect(error('upstream', ['reevaluate=no'])).toContain('did you mean "reevaluateEstablished"?');
    expect(error('upstream', ['ipblockmatchespodips=true'])).toContain('did you mean "ipBlockMatchesPodIps"?');
    expect(error('upstream', ['frobnicate=1'])).not.toContain('did you mean');
  });

  it('resolveProfile - a value outside the domain lists the allowed values', () => {
    expect(error('calico', ['denyAction=block'])).toContain('denyAction must be one of drop, reject; got "block"');
    expect(error('calico', ['enforce=yes'])).toContain('enforce must be one of true, false; got "yes"');
    expect(error('calico', ['reevaluateEstablished=true'])).toContain('no, forward, both');
    expect(error('calico', ['conntrackTimeouts=bsd'])).toContain('linux, kubeproxy, calicoBpf, ciliumBpf');
  });

  it('resolveProfile - bad syntax and repeated switches are errors', () => {
    for (const bad of ['denyAction', '=drop', 'denyAction=', '']) {
      expect(error('upstream', [bad])).toContain('expected key=value');
    }
    expect(error('upstream', ['enforce=true', 'enforce=false'])).toContain('enforce is set twice');
  });
});
