/**
 * The dataplane a CNI profile describes: conntrack size and timeouts, INVALID handling, deny
 * action, ICMP exemptions and re-evaluation of established connections (SEMANTICS.md §4).
 * `replay --cni` and the kernel check (scripts/kernel-check) build their dataplanes here, so
 * both emulate a profile the same way.
 */
import { CT_TIMEOUT_PROFILES, type CtTimeoutProfileName } from '../../dataplane/conntrack/index.js';
import type { DataplaneOptions } from '../../dataplane/dataplane.js';
import type { ResolvedProfile } from '../../compiler/cni-profiles.js';

function nextPowerOfTwo(n: number): number {
  let p = 16;
  while (p < n) p *= 2;
  return p;
}

/** The dataplane a CNI profile describes (conntrack timeouts, INVALID handling, deny action, ICMP). */
export function profileDataplaneOptions(
  profile: ResolvedProfile,
  conntrackMax = 196_608,
  timeouts: CtTimeoutProfileName = profile.values.conntrackTimeouts,
  dedupe: 'auto' | 'on' | 'off' = 'auto',
  decap: 'auto' | 'on' | 'off' = 'auto',
): DataplaneOptions {
  return {
    decap,
    conntrackCapacity: nextPowerOfTwo(Math.ceil((conntrackMax * 4) / 3) + 1),
    conntrackMax,
    timeouts: CT_TIMEOUT_PROFILES[timeouts],
    dedupe,
    dropInvalid: profile.values.dropInvalidCt,
    denyAction: profile.values.denyAction,
    icmpPolicy: profile.values.icmpPolicy,
    reevaluateEstablished: profile.values.reevaluateEstablished,
  };
}
