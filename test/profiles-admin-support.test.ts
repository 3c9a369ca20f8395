/**
 * CNI support for cluster-scoped policies: every value has a source and a confidence, `profiles
 * --admin` shows them, and under a profile the objects a CNI does not implement are ignored (or
 * their rules fail closed) with a warning, as that CNI would, in query and replay alike.
 */
import { describe, expect, it } from 'vitest';
import { ADMIN_FEATURE_NAMES, CNI_ADMIN_SUPPORT } from '../compiler/cni-admin-support.js';
import { CNI_PROFILE_NAMES, CONFIDENCE_LEVELS } from '../compiler/cni-profiles.js';
import { runCli } from './helpers/run-cli.js';

const CLUSTER = 'examples/admin-tiers';

describe('profiles - admin policy support', () => {
  it('admin support - every profile and feature has a value, a source and a confidence', () => {
    for (const p of CNI_PROFILE_NAMES) {
      for (const f of ADMIN_FEATURE_NAMES) {
        const s = CNI_ADMIN_SUPPORT[p][f];
        expect(typeof s.value, `${p} ${f}`).toBe('boolean');
        expect(s.source.length, `${p} ${f}`).toBeGreaterThan(20);
        expect(CONFIDENCE_LEVELS).toContain(s.confidence);
      }
    }
    expect(CNI_ADMIN_SUPPORT.cilium.adminNetworkPolicy.value).toBe(false);
    expect(CNI_ADMIN_SUPPORT['kube-network-policies'].clusterNetworkPolicy).toMatchObject({ value: true, confidence: 'confirmed' });
  });

  it('admin support - profiles --admin prints the table with marks and sources', async () => {
    const run = await runCli(['profiles', '--admin']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^feature +upstream +calico +calico-ebpf +cilium/);
    expect(run.stdout).toMatch(/\nnodesPeer +true\^ +false\* +false\* +false +false\* +false\* +true +true +false\n/);
    expect(run.stdout).toContain('site-src/implementations.md@0eec1b0e');
    const json = JSON.parse((await runCli(['profiles', '--admin', '-o', 'json'])).stdout);
    expect(json.profiles.cilium.adminNetworkPolicy).toMatchObject({ value: false, confidence: 'confirmed' });
  });

  it('admin support - a CNI without AdminNetworkPolicy ignores them, with a warning per object', async () => {
    const upstream = await runCli(['query', '-f', CLUSTER, '--from', 'sandbox/toy-0', '--to', 'app1/web-0', '--port', '8080']);
    expect(upstream.code).toBe(1);
    const cilium = await runCli(['query', '-f', CLUSTER, '--from', 'sandbox/toy-0', '--to', 'app1/web-0', '--port', '8080', '--cni', 'cilium']);
    expect(cilium.code).toBe(0);
    expect(cilium.stdout).toContain('reason: allow-not-isolated');
    expect(cilium.stderr.trim().split('\n')).toHaveLength(4);
    expect(cilium.stderr).toContain('warning: AdminNetworkPolicy/sandbox-isolation is ignored: CNI profile cilium does not implement AdminNetworkPolicy (policy.networking.k8s.io/v1alpha1) (confirmed: https://github.com/cilium/cilium/issues/23380');
    expect(cilium.stderr).toContain('warning: BaselineAdminNetworkPolicy/default is ignored');
  });

  it('admin support - an unimplemented peer or named port fails closed with a warning', async () => {
    // Antrea implements the standard fields only: the named-port Allow for monitoring matches
    // nothing, so db's NetworkPolicy decides its ingress; the networks Deny becomes deny-all egress.
    const scrape = await runCli(['query', '-f', CLUSTER, '--from', 'monitoring/prometheus-0', '--to', 'app1/db-0', '--port', '9100', '--cni', 'antrea', '-o', 'json']);
    expect(scrape.code).toBe(1);
    expect(JSON.parse(scrape.stdout)).toMatchObject({ reason: 'drop-egress-admin-deny', ingress: { allowed: false, reason: 'default deny: no rule matched', isolatedBy: ['app1/db'] } });
    expect(scrape.stderr).toContain('warning: AdminNetworkPolicy/allow-monitoring ingress[0] fails closed: CNI profile antrea does not implement `namedPort` / `destinationNamedPort` (experimental)');
    const web = await runCli(['query', '-f', CLUSTER, '--from', 'app1/web-0', '--to', 'app1/db-0', '--port', '5432', '--cni', 'antrea', '-o', 'json']);
    expect(JSON.parse(web.stdout).egress).toMatchObject({ allowed: false, rule: { policy: 'AdminNetworkPolicy/block-metadata', action: 'Deny' } });
    expect(web.stderr).toContain('warning: AdminNetworkPolicy/block-metadata egress[0] fails closed: CNI profile antrea does not implement egress `networks` peers');
  });
});
