import { describe, expect, it } from 'vitest';
import {
  CNI_PROFILE_NAMES,
  CNI_PROFILES,
  CNI_SWITCHES,
  CNI_SWITCH_NAMES,
  CONFIDENCE_LEVELS,
  switchDomainText,
  type SwitchSetting,
} from '../compiler/cni-profiles.js';
import { CT_TIMEOUT_PROFILES, type CtTimeoutProfileName } from '../dataplane/conntrack/ct-timeouts.js';

// Fails to compile if the switch's domain and the conntrack profile names drift apart.
const ctNames: readonly CtTimeoutProfileName[] = CNI_SWITCHES.conntrackTimeouts.values;

const settings = (): [string, string, SwitchSetting<boolean | string>][] =>
  CNI_PROFILE_NAMES.flatMap((p) => CNI_SWITCH_NAMES.map((s): [string, string, SwitchSetting<boolean | string>] => [p, s, CNI_PROFILES[p].switches[s]]));

describe('cni profiles data', () => {
  it('profiles - the nine profiles of issue 6 exist, keyed by their own name', () => {
    expect([...CNI_PROFILE_NAMES]).toEqual(['upstream', 'calico', 'calico-ebpf', 'cilium', 'antrea', 'kube-router', 'ovn-kubernetes', 'kube-network-policies', 'flannel']);
    for (const name of CNI_PROFILE_NAMES) expect(CNI_PROFILES[name].name).toBe(name);
  });

  it('profiles - every profile defines exactly the closed set of switches', () => {
    for (const name of CNI_PROFILE_NAMES) {
      expect(Object.keys(CNI_PROFILES[name].switches).sort()).toEqual([...CNI_SWITCH_NAMES].sort());
    }
  });

  it('profiles - every value lies in its switch domain and has a source and a known confidence', () => {
    for (const [profile, name, s] of settings()) {
      const where = `${profile}.${name}`;
      expect(switchDomainText(name as keyof typeof CNI_SWITCHES), where).toContain(String(s.value));
      expect(s.source.trim().length, where).toBeGreaterThan(10);
      expect(CONFIDENCE_LEVELS, where).toContain(s.confidence);
    }
  });

  it('profiles - every switch has a one-sentence description and a SEMANTICS.md section', () => {
    for (const name of CNI_SWITCH_NAMES) {
      expect(CNI_SWITCHES[name].description).toMatch(/^[A-Za-z].*\.$/);
      expect(CNI_SWITCHES[name].section).toMatch(/§\d/);
      expect(CNI_SWITCHES[name].values.length).toBeGreaterThanOrEqual(2);
    }
  });

  it('profiles - conntrackTimeouts names exactly the CT_TIMEOUT_PROFILES tables', () => {
    expect([...ctNames].sort()).toEqual(Object.keys(CT_TIMEOUT_PROFILES).sort());
  });

  it('profiles - only the upstream profile (spec left open) uses the chosen confidence', () => {
    const chosen = settings().filter(([, , s]) => s.confidence === 'chosen').map(([p]) => p);
    expect(new Set(chosen)).toEqual(new Set(['upstream']));
  });

  it('profiles - upstream follows the spec and the project defaults', () => {
    const v = (name: (typeof CNI_SWITCH_NAMES)[number]) => CNI_PROFILES.upstream.switches[name].value;
    expect(v('enforce')).toBe(true);
    expect(v('ipBlockMatchesPodIps')).toBe(true);
    expect(v('ipBlockMatchesNodeIps')).toBe(true);
    expect(v('localNodeToPodAllowed')).toBe(true);
    expect(v('hostNetworkMode')).toBe('node');
    expect(v('denyAction')).toBe('drop');
    expect(v('dropInvalidCt')).toBe(true);
    expect(v('reevaluateEstablished')).toBe('no');
    expect(v('conntrackTimeouts')).toBe('kubeproxy');
    expect(v('sctpSupported')).toBe(true);
    expect(v('endPortSupported')).toBe(true);
    expect(v('namedPortConflict')).toBe('per-destination');
  });

  it('profiles - flannel enforces nothing', () => {
    expect(CNI_PROFILES.flannel.switches.enforce).toMatchObject({ value: false, confidence: 'confirmed' });
    for (const name of CNI_PROFILE_NAMES.filter((n) => n !== 'flannel')) expect(CNI_PROFILES[name].switches.enforce.value).toBe(true);
  });

  it('profiles - cilium: ipBlock misses pod IPs, forward-only re-evaluation, own timeouts, skips conflicting named ports', () => {
    const c = CNI_PROFILES.cilium.switches;
    expect(c.ipBlockMatchesPodIps.value).toBe(false);
    expect(c.ipBlockMatchesPodIps.source).toContain('cilium/cilium/issues/9209');
    expect(c.reevaluateEstablished.value).toBe('forward');
    expect(c.conntrackTimeouts.value).toBe('ciliumBpf');
    expect(c.namedPortConflict.value).toBe('skip-rule');
    expect(c.icmpPolicy.value).toBe('allow-frag-needed');
  });

  it('profiles - kube-router rejects, enforces SCTP (since v2.8.0), exempts basic ICMP', () => {
    const k = CNI_PROFILES['kube-router'].switches;
    expect(k.denyAction.value).toBe('reject');
    expect(k.sctpSupported.value).toBe(true);
    expect(k.sctpSupported.source).toContain('kube-router@39efb923');
    expect(k.icmpPolicy.value).toBe('allow-echo-errors');
  });

  it('profiles - calico-ebpf uses the Calico BPF timeouts, calico the kube-proxy node ones', () => {
    expect(CNI_PROFILES['calico-ebpf'].switches.conntrackTimeouts.value).toBe('calicoBpf');
    expect(CNI_PROFILES.calico.switches.conntrackTimeouts.value).toBe('kubeproxy');
  });

  it('profiles - ovn-kubernetes cuts established connections in both directions (inferred)', () => {
    expect(CNI_PROFILES['ovn-kubernetes'].switches.reevaluateEstablished).toMatchObject({ value: 'both', confidence: 'inferred' });
  });

  it('profiles - unverified values take the upstream value unless a reason is given', () => {
    for (const [profile, name, s] of settings()) {
      if (s.confidence !== 'unverified' || profile === 'flannel') continue;
      const upstream = CNI_PROFILES.upstream.switches[name as keyof typeof CNI_SWITCHES].value;
      expect(s.value, `${profile}.${name}`).toBe(upstream);
      expect(s.source, `${profile}.${name}`).toMatch(/assumed/);
    }
  });
});
