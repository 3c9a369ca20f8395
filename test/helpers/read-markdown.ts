/**
 * The project's Markdown pages as GitHub reads them: which files, their headings' anchors (GitHub's
 * slug rules), their links, and their prose with the code taken out.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');

/** README.md and docs/*.md: the user documentation. */
export function userDocs(): string[] {
  return ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).sort().map((name) => `docs/${name}`)];
}

/** Every .md file of the repository outside node_modules, dist and dot folders. */
export function allMarkdown(dir = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, dir)).sort()) {
    if (name.startsWith('.') || name === 'node_modules' || name === 'dist') continue;
    const path = dir === '' ? name : `${dir}/${name}`;
    if (statSync(join(ROOT, path)).isDirectory()) out.push(...allMarkdown(path));
    else if (name.endsWith('.md')) out.push(path);
  }
  return out;
}

export function readDoc(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

/** The text with fenced code blocks blanked (line count kept), so `# comment` lines are no headings. */
export function withoutFences(text: string): string {
  let fence: string | null = null;
  return text
    .split('\n')
    .map((line) => {
      const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
      if (marker !== undefined && (fence === null || marker.startsWith(fence))) {
        fence = fence === null ? marker : null;
        return '';
      }
      return fence === null ? line : '';
    })
    .join('\n');
}

/** The lines inside fenced code blocks. */
export function fencedLines(text: string): string[] {
  const prose = withoutFences(text).split('\n');
  return text.split('\n').filter((line, i) => prose[i] === '' && line !== '' && !/^\s*(`{3,}|~{3,})/.test(line));
}

/** Inline code spans of prose (fences removed). */
export function codeSpans(text: string): string[] {
  return [...withoutFences(text).matchAll(/(`+)([^`]|[^`].*?[^`])\1(?!`)/g)].map((m) => (m[2] as string).trim());
}

/**
 * GitHub's heading anchor (github-slugger): the rendered text lower-cased, every character that
 * is not a letter, mark, number, connector (`_`), space or hyphen dropped, spaces to hyphens; a
 * repeated slug gets -1, -2, … in order.
 */
export function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of withoutFences(text).split('\n')) {
    const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const rendered = heading
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/`/g, '')
      .replace(/\*\*|__|(?<![\w])[*_]|[*_](?![\w])/g, '');
    const base = rendered.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    out.add(count === 0 ? base : `${base}-${count}`);
  }
  for (const m of text.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) out.add(m[1] as string);
  return out;
}

export interface Link {
  readonly file: string;
  readonly line: number;
  readonly target: string;
}

/** Inline links and images `[text](target)` and reference definitions `[x]: target`, outside code. */
export function links(file: string, text: string): Link[] {
  const out: Link[] = [];
  withoutFences(text)
    .split('\n')
    .forEach((raw, i) => {
      const line = raw.replace(/(`+)(?:[^`]|[^`].*?[^`])\1(?!`)/g, '');
      for (const m of line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) out.push({ file, line: i + 1, target: m[1] as string });
      const definition = /^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/.exec(line);
      if (definition) out.push({ file, line: i + 1, target: definition[1] as string });
    });
  return out;
}

/** The repository path a relative link points to, from the file that holds it. */
export function resolveLink(file: string, path: string): string {
  return relative(ROOT, resolve(ROOT, file, '..', decodeURIComponent(path)));
}
