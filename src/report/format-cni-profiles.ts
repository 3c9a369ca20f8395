/**
 * Renderings of the CNI profile table (compiler/cni-profiles.ts): a terminal table with the
 * sources, JSON with everything, and Markdown for docs/cni-profiles.md. Every value shows its
 * confidence mark so no assumption is hidden (SEMANTICS.md §4).
 */
import {
  CNI_PROFILE_NAMES,
  CNI_PROFILES,
  CNI_SWITCHES,
  CNI_SWITCH_NAMES,
  CONFIDENCE_LEVELS,
  CONFIDENCE_MARK,
  CONFIDENCE_TEXT,
  switchDomainText,
  type Confidence,
  type ResolvedProfile,
  type SwitchSetting,
} from '../../compiler/cni-profiles.js';
import { ADMIN_FEATURES, ADMIN_FEATURE_NAMES, CNI_ADMIN_SUPPORT } from '../../compiler/cni-admin-support.js';
import { kernelShapesOf } from '../../compiler/kernel-shapes.js';

export const PROFILE_FORMATS = ['table', 'json', 'md'] as const;
export type ProfileFormat = (typeof PROFILE_FORMATS)[number];

const marked = (s: SwitchSetting<boolean | string>): string => `${String(s.value)}${CONFIDENCE_MARK[s.confidence]}`;

const markedLevels = CONFIDENCE_LEVELS.filter((c) => CONFIDENCE_MARK[c] !== '');

function legendLines(escape: (mark: string) => string): string[] {
  return [
    ...markedLevels.map((c) => `${escape(CONFIDENCE_MARK[c])} ${c}: ${CONFIDENCE_TEXT[c]}`),
    `unmarked: ${CONFIDENCE_TEXT.confirmed}`,
  ];
}

function pad(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
}

function switchDefinitions(): Record<string, { values: readonly (boolean | string)[]; section: string; description: string }> {
  return Object.fromEntries(CNI_SWITCH_NAMES.map((name) => [name, { values: CNI_SWITCHES[name].values, section: `SEMANTICS.md ${CNI_SWITCHES[name].section}`, description: CNI_SWITCHES[name].description }]));
}

function confidenceLegend(): Record<Confidence, { mark: string; meaning: string }> {
  return Object.fromEntries(CONFIDENCE_LEVELS.map((c) => [c, { mark: CONFIDENCE_MARK[c], meaning: CONFIDENCE_TEXT[c] }])) as Record<Confidence, { mark: string; meaning: string }>;
}

// ---- every profile ----

/** Switches as rows, profiles as columns, then the legend and every value's source. */
export function profilesTable(): string {
  const header = ['switch', ...CNI_PROFILE_NAMES];
  const rows = CNI_SWITCH_NAMES.map((name) => [name, ...CNI_PROFILE_NAMES.map((p) => marked(CNI_PROFILES[p].switches[name]))]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const out = [pad(header, widths), ...rows.map((r) => pad(r, widths)), '', ...legendLines((m) => m), '', 'Profiles:'];
  const nameWidth = Math.max(...CNI_PROFILE_NAMES.map((p) => p.length));
  for (const p of CNI_PROFILE_NAMES) out.push(`  ${p.padEnd(nameWidth)}  ${CNI_PROFILES[p].summary}`);
  out.push('', 'Sources (per switch):');
  for (const name of CNI_SWITCH_NAMES) {
    out.push('', `${name}: ${CNI_SWITCHES[name].description} (SEMANTICS.md ${CNI_SWITCHES[name].section})`);
    for (const p of CNI_PROFILE_NAMES) {
      const s = CNI_PROFILES[p].switches[name];
      out.push(`  ${p.padEnd(nameWidth)}  ${marked(s)} [${s.confidence}]  ${s.source}`);
    }
  }
  return `${out.join('\n')}\n`;
}

export function profilesJson(): object {
  return { confidence: confidenceLegend(), switches: switchDefinitions(), profiles: CNI_PROFILES };
}

const mdCell = (text: string): string => text.replaceAll('|', '\\|').replaceAll('*', '\\*');

/** A GitHub-flavoured Markdown table for docs/cni-profiles.md, with the legend below it. */
export function profilesMarkdown(): string {
  const out = [
    `| switch | ${CNI_PROFILE_NAMES.join(' | ')} |`,
    `|---|${CNI_PROFILE_NAMES.map(() => '---').join('|')}|`,
    ...CNI_SWITCH_NAMES.map((name) => `| \`${name}\` | ${CNI_PROFILE_NAMES.map((p) => mdCell(marked(CNI_PROFILES[p].switches[name]))).join(' | ')} |`),
    '',
    ...legendLines(mdCell).map((line) => `${line}  `),
    '',
    "Sources for every value: `netpol-emu profiles --cni NAME` (or `-o json`).",
  ];
  return `${out.join('\n')}\n`;
}

// ---- one resolved profile (--cni NAME, --cni-opt) ----

export function profileTable(profile: ResolvedProfile): string {
  const out = [`Profile ${profile.name}: ${profile.summary}`];
  out.push(profile.overrides.length > 0 ? `Overridden by --cni-opt: ${profile.overrides.join(', ')}` : 'No --cni-opt overrides.', '');
  for (const name of CNI_SWITCH_NAMES) {
    const s = profile.switches[name];
    out.push(`${name} = ${String(s.value)}  [${s.confidence}]${s.overridden ? '  (overridden)' : ''}`);
    out.push(`    ${CNI_SWITCHES[name].description}`);
    out.push(`    allowed: ${switchDomainText(name).join(', ')}`);
    out.push(`    source: ${s.source}`);
  }
  out.push(...kernelShapeLines(profile));
  out.push('', ...legendLines((m) => m));
  return `${out.join('\n')}\n`;
}

/** The kernel renderings of the profile and the upstream files each chain shape follows. */
function kernelShapeLines(profile: ResolvedProfile): string[] {
  const shapes = kernelShapesOf(profile.name);
  if (shapes.length === 0) return [];
  const out = ['', 'Kernel renderings (loaded by the kernel check):'];
  for (const s of shapes) {
    out.push(`${s.shape}: netpol-emu ${s.command}`, `    ${s.summary}`);
    for (const source of s.sources) out.push(`    source: ${source}`);
  }
  return out;
}

export function profileJson(profile: ResolvedProfile): object {
  return { confidence: confidenceLegend(), switches: switchDefinitions(), profile, kernelRenderings: kernelShapesOf(profile.name) };
}

export function profileMarkdown(profile: ResolvedProfile): string {
  const out = [
    `**${profile.name}**: ${mdCell(profile.summary)}`,
    '',
    '| switch | value | confidence | source |',
    '|---|---|---|---|',
    ...CNI_SWITCH_NAMES.map((name) => {
      const s = profile.switches[name];
      return `| \`${name}\` | ${String(s.value)}${s.overridden ? ' (override)' : ''} | ${s.confidence} | ${mdCell(s.source)} |`;
    }),
    ...kernelShapesOf(profile.name).flatMap((k) => ['', `Kernel rendering \`${k.shape}\` (\`netpol-emu ${k.command}\`): ${mdCell(k.summary)}`, '', ...k.sources.map((source) => `- ${mdCell(source)}`)]),
  ];
  return `${out.join('\n')}\n`;
}

// ---- cluster-scoped policy support (compiler/cni-admin-support.ts) ----

/** `profiles --admin`: features as rows, profiles as columns, then every value's source. */
export function adminSupportTable(): string {
  const header = ['feature', ...CNI_PROFILE_NAMES];
  const rows = ADMIN_FEATURE_NAMES.map((f) => [f, ...CNI_PROFILE_NAMES.map((p) => marked(CNI_ADMIN_SUPPORT[p][f]))]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const out = [pad(header, widths), ...rows.map((r) => pad(r, widths)), '', ...legendLines((m) => m)];
  out.push('', 'Under a profile, a kind the CNI does not implement is ignored and a peer or port form it does not implement fails closed, each with a warning.');
  const nameWidth = Math.max(...CNI_PROFILE_NAMES.map((p) => p.length));
  out.push('', 'Sources (per feature):');
  for (const f of ADMIN_FEATURE_NAMES) {
    out.push('', `${f}: ${ADMIN_FEATURES[f]}`);
    for (const p of CNI_PROFILE_NAMES) {
      const s = CNI_ADMIN_SUPPORT[p][f];
      out.push(`  ${p.padEnd(nameWidth)}  ${marked(s)} [${s.confidence}]  ${s.source}`);
    }
  }
  return `${out.join('\n')}\n`;
}

export function adminSupportJson(): object {
  return {
    features: ADMIN_FEATURES,
    confidence: confidenceLegend(),
    profiles: Object.fromEntries(CNI_PROFILE_NAMES.map((p) => [p, CNI_ADMIN_SUPPORT[p]])),
  };
}

export function adminSupportMarkdown(): string {
  const header = `| feature | ${CNI_PROFILE_NAMES.join(' | ')} |`;
  const rule = `|---|${CNI_PROFILE_NAMES.map(() => '---').join('|')}|`;
  const rows = ADMIN_FEATURE_NAMES.map((f) => `| \`${f}\` | ${CNI_PROFILE_NAMES.map((p) => marked(CNI_ADMIN_SUPPORT[p][f]).replace('*', '\\*')).join(' | ')} |`);
  return `${[header, rule, ...rows].join('\n')}\n`;
}
