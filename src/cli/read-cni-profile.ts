/**
 * `--cni NAME` and `--cni-opt key=value`, shared by every command that emulates a dataplane
 * (SEMANTICS.md §4). A bad profile, switch or value is a usage error (exit 2).
 */
import { CNI_PROFILE_NAMES, DEFAULT_CNI_PROFILE, isCniProfileName, resolveProfile, type CniProfileName, type ResolvedProfile } from '../../compiler/cni-profiles.js';
import { ExitCode, UserError } from '../diagnostics.js';
import { listOption, stringOption, type OptionSpec, type ParsedArgs } from './parse-options.js';

export const CNI_OPTIONS = {
  cni: { type: 'string' },
  'cni-opt': { type: 'string', multiple: true },
} as const satisfies OptionSpec;

export const CNI_OPTIONS_HELP = `CNI profile (see 'netpol-emu profiles'):
  --cni NAME              ${CNI_PROFILE_NAMES.join(', ')}
                          (default ${DEFAULT_CNI_PROFILE}: the spec and the upstream e2e expectations)
  --cni-opt KEY=VALUE     override one switch of the profile, e.g. denyAction=reject; repeatable`;

/** True when the command line names a profile or overrides a switch. */
export function hasCniOptions(parsed: ParsedArgs): boolean {
  return stringOption(parsed, 'cni') !== undefined || listOption(parsed, 'cni-opt').length > 0;
}

export function readCniProfile(command: string, parsed: ParsedArgs): ResolvedProfile {
  const result = resolveProfile(stringOption(parsed, 'cni') ?? DEFAULT_CNI_PROFILE, listOption(parsed, 'cni-opt'));
  if (!result.ok) throw new UserError(`${command}: ${result.error}`, ExitCode.USAGE);
  if (result.profile.values.hostNetworkMode === 'pod') {
    throw new UserError(`${command}: hostNetworkMode=pod (the spec's option (a), hostNetwork pods policed like other pods) is not emulated; hostNetwork pods are node traffic`, ExitCode.USAGE);
  }
  return result.profile;
}

/** `--cni NAME` as given (validated by readCniProfile): the profile the cluster is restricted to; null without --cni. */
export function restrictedProfile(parsed: ParsedArgs): CniProfileName | null {
  const profile = stringOption(parsed, 'cni');
  return profile !== undefined && isCniProfileName(profile) ? profile : null;
}
