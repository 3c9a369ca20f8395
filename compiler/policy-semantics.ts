/**
 * The behaviour switches that change which flows policy allows (the policy-level subset of a
 * CNI profile, compiler/cni-profiles.ts). Both engines take them — the naive evaluator applies
 * each one literally, the compiler bakes them into the tables — and the property test checks the
 * two agree under random combinations. Dataplane-level switches (conntrack timeouts, INVALID
 * handling, deny action, re-evaluation of established flows, ICMP exemptions) live in the
 * dataplane options instead.
 */
import { CNI_PROFILES, type CniSwitchValues } from './cni-profiles.js';

export type PolicySemantics = Pick<
  CniSwitchValues,
  | 'enforce'
  | 'ipBlockMatchesPodIps'
  | 'ipBlockMatchesNodeIps'
  | 'ipBlockMatch'
  | 'localNodeToPodAllowed'
  | 'podToLocalNodeEgressPoliced'
  | 'sctpSupported'
  | 'endPortSupported'
  | 'namedPortConflict'
  | 'bothTypesRules'
  | 'unresolvedNamedPorts'
  | 'egressNamedPorts'
>;

export function policySemantics(values: CniSwitchValues): PolicySemantics {
  return {
    enforce: values.enforce,
    ipBlockMatchesPodIps: values.ipBlockMatchesPodIps,
    ipBlockMatchesNodeIps: values.ipBlockMatchesNodeIps,
    ipBlockMatch: values.ipBlockMatch,
    localNodeToPodAllowed: values.localNodeToPodAllowed,
    podToLocalNodeEgressPoliced: values.podToLocalNodeEgressPoliced,
    sctpSupported: values.sctpSupported,
    endPortSupported: values.endPortSupported,
    namedPortConflict: values.namedPortConflict,
    bothTypesRules: values.bothTypesRules,
    unresolvedNamedPorts: values.unresolvedNamedPorts,
    egressNamedPorts: values.egressNamedPorts,
  };
}

function upstreamValues(): CniSwitchValues {
  const switches = CNI_PROFILES.upstream.switches;
  const values: Record<string, unknown> = {};
  for (const [name, setting] of Object.entries(switches)) values[name] = setting.value;
  return values as CniSwitchValues;
}

/** The spec (the `upstream` profile). */
export const UPSTREAM_SEMANTICS: PolicySemantics = policySemantics(upstreamValues());
