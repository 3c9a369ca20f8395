import { ExitCode } from '../diagnostics.js';
import { PROFILE_FORMATS, adminSupportJson, adminSupportMarkdown, adminSupportTable, profileJson, profileMarkdown, profileTable, profilesJson, profilesMarkdown, profilesTable } from '../report/format-cni-profiles.js';
import type { CliIo } from './io.js';
import { choiceOption, flagOption, parseCommandArgs } from './parse-options.js';
import { CNI_OPTIONS, CNI_OPTIONS_HELP, hasCniOptions, readCniProfile } from './read-cni-profile.js';

export const PROFILES_HELP = `Usage: netpol-emu profiles [--cni NAME] [--cni-opt KEY=VALUE]... [--admin] [-o table|json|md]

Prints the CNI profiles: the behaviour switches on which NetworkPolicy implementations differ
(SEMANTICS.md §4), each value with its source and a confidence mark (* inferred, ? unverified,
^ netpol-emu's choice where the spec leaves it open), so every assumption is visible.

Without --cni: all profiles side by side, then every value's source.
With --cni (or --cni-opt): that profile after the overrides, switch by switch.
With --admin: which CNI implements which part of AdminNetworkPolicy, BaselineAdminNetworkPolicy
and ClusterNetworkPolicy (kinds, peer and port forms), with sources.

  -o, --output FORMAT     table (default), json (everything), md (Markdown table for a README)
${CNI_OPTIONS_HELP}
`;

export function runProfiles(args: readonly string[], io: CliIo): number {
  const parsed = parseCommandArgs('profiles', args, { ...CNI_OPTIONS, admin: { type: 'boolean' }, output: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } });
  if (flagOption(parsed, 'help')) {
    io.stdout.write(PROFILES_HELP);
    return ExitCode.OK;
  }
  const output = choiceOption('profiles', parsed, 'output', PROFILE_FORMATS, 'table');
  if (flagOption(parsed, 'admin')) {
    if (output === 'json') io.stdout.write(`${JSON.stringify(adminSupportJson(), null, 2)}\n`);
    else if (output === 'md') io.stdout.write(adminSupportMarkdown());
    else io.stdout.write(adminSupportTable());
    return ExitCode.OK;
  }
  if (hasCniOptions(parsed)) {
    const profile = readCniProfile('profiles', parsed);
    if (output === 'json') io.stdout.write(`${JSON.stringify(profileJson(profile), null, 2)}\n`);
    else if (output === 'md') io.stdout.write(profileMarkdown(profile));
    else io.stdout.write(profileTable(profile));
    return ExitCode.OK;
  }
  if (output === 'json') io.stdout.write(`${JSON.stringify(profilesJson(), null, 2)}\n`);
  else if (output === 'md') io.stdout.write(profilesMarkdown());
  else io.stdout.write(profilesTable());
  return ExitCode.OK;
}
