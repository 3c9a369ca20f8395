/**
 * `--help` and the documentation say the same thing (README.md and docs/*.md, read as the CLI
 * prints them, through `cli(argv, io)`): every option a command's help lists is documented; every
 * option the documentation writes in a command line (`netpol-emu CMD …`, or a code span starting
 * with a command's name) is one that command accepts; every other `--option` in the prose is one
 * some command accepts; and the profile tables on the CNI pages are `profiles -o md`'s, verbatim.
 */
import { describe, expect, it } from 'vitest';
import { codeSpans, fencedLines, readDoc, userDocs, withoutFences } from './helpers/read-markdown.js';
import { runCli } from './helpers/run-cli.js';

/** Flags of other programs the benchmark and profiling instructions name. */
const OTHER_PROGRAMS = new Set([
  '--bin', // bench/e2e.ts: time another build
  '--cpu-prof', // node
  '--since', // hubble observe (docs/hubble.md: how to export flows)
  '--follow', // hubble observe
  '--last', // hubble observe
  '--hubble', // bench/e2e.ts: the Hubble row's event count
  '--max', // bench/scaling.ts: the largest worker count
  '--mode', // iptables -m statistic --mode random (docs/services-node-captures.md)
  '--random', // scripts/record-service.sh --random
  '--noflush', // iptables-restore (docs/compile.md, docs/kernel-check.md)
  '--synth', // npm run check:kernel: seeded clusters to check
  // iptables matches and targets quoted from the kernel renderings (docs/kernel-renderings.md)
  '--dport',
  '--physdev-is-bridged',
  '--reject-with',
  '--set-xmark',
  '--src-type',
  '--netpol-default-deny', // kube-router's own flag
]);

const FLAG = /(?<![\w-])(--[a-z][a-z0-9-]*)(?![\w-])/g;
const docs = userDocs().map((file) => ({ file, text: readDoc(file) }));
const allText = docs.map((d) => d.text).join('\n');

async function commandNames(): Promise<string[]> {
  const usage = (await runCli(['--help'])).stdout;
  const section = usage.slice(usage.indexOf('Commands:'), usage.indexOf("Run 'netpol-emu"));
  return [...section.matchAll(/^ {2}([a-z]+) {2}/gm)].map((m) => m[1] as string);
}

async function helpOf(command: string): Promise<string> {
  const run = await runCli([command, '--help']);
  expect(run.code, command).toBe(0);
  return run.stdout;
}

/** Option lines of a help text: `  -f, --filename PATH  …` → ['-f', '--filename']. */
function optionsOf(help: string): string[][] {
  return [...help.matchAll(/^ {2}((?:-[a-zA-Z], )?--[a-z][a-z0-9-]*)/gm)].map((m) => (m[1] as string).split(', '));
}

function mentions(text: string, flag: string): boolean {
  return new RegExp(`(?<![\\w-])${flag}(?![\\w-])`).test(text);
}

describe('docs agree with --help', () => {
  it('docs agree - every option of every command\'s --help is documented (its long or short form)', async () => {
    const commands = await commandNames();
    expect(commands).toContain('replay');
    expect(commands.length).toBeGreaterThan(8);
    const undocumented: string[] = [];
    for (const command of commands) {
      const options = optionsOf(await helpOf(command));
      expect(options.length, command).toBeGreaterThan(0);
      for (const forms of options) if (!forms.some((flag) => mentions(allText, flag))) undocumented.push(`${command} ${forms.join(', ')}`);
    }
    expect(undocumented).toEqual([]);
  });

  it('docs agree - every option written in a command line of the docs is one that command accepts', async () => {
    const commands = await commandNames();
    const helps = new Map<string, string>();
    for (const command of commands) helps.set(command, await helpOf(command));
    const unknown: string[] = [];
    let checked = 0;
    for (const { file, text } of docs) {
      const lines = [...fencedLines(text), ...codeSpans(text), ...withoutFences(text).split('\n').filter((l) => l.startsWith('| `'))];
      for (const line of lines) {
        for (const m of line.matchAll(/(?:^|netpol-emu |\| `)([a-z]+)\b([^`|]*)/g)) {
          const help = helps.get(m[1] as string);
          if (help === undefined) continue;
          for (const flag of (m[2] as string).matchAll(FLAG)) {
            checked++;
            if (!mentions(help, flag[1] as string)) unknown.push(`${file}: ${m[1]} ${flag[1]} in ${JSON.stringify(line.trim().slice(0, 100))}`);
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(50);
    expect(unknown).toEqual([]);
  });

  it('docs agree - every other --option in the prose is one some command accepts', async () => {
    let helps = '';
    for (const command of await commandNames()) helps += await helpOf(command);
    const unknown = docs.flatMap(({ file, text }) => [...withoutFences(text).matchAll(FLAG)].map((m) => m[1] as string).filter((flag) => !OTHER_PROGRAMS.has(flag) && !mentions(helps, flag)).map((flag) => `${file}: ${flag}`));
    expect(unknown).toEqual([]);
  });

  it('docs agree - docs/cni-profiles.md holds `profiles -o md` verbatim, docs/admin-tiers.md `profiles --admin -o md`', async () => {
    const profiles = await runCli(['profiles', '-o', 'md']);
    const admin = await runCli(['profiles', '--admin', '-o', 'md']);
    expect(profiles.code).toBe(0);
    expect(admin.code).toBe(0);
    expect(profiles.stdout).toContain('| `ipBlockMatchesPodIps` |');
    expect(readDoc('docs/cni-profiles.md')).toContain(profiles.stdout.trim());
    expect(readDoc('docs/admin-tiers.md')).toContain(admin.stdout.trim());
  });
});
