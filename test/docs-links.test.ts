/**
 * The documentation's links hold: every relative link of every Markdown page (README.md, docs/,
 * the examples' and deploy/'s READMEs, the fixtures' notes) names a file or folder that exists,
 * and an anchor names a heading of that page by GitHub's slug rules. So moving a section to
 * another page cannot leave a link behind.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allMarkdown, anchors, links, readDoc, resolveLink, ROOT, userDocs } from './helpers/read-markdown.js';

const EXTERNAL = /^[a-z][a-z0-9+.-]*:/i;

function brokenLinks(file: string): string[] {
  const broken: string[] = [];
  for (const link of links(file, readDoc(file))) {
    if (EXTERNAL.test(link.target)) continue;
    const hash = link.target.indexOf('#');
    const path = hash < 0 ? link.target : link.target.slice(0, hash);
    const anchor = hash < 0 ? null : link.target.slice(hash + 1);
    const target = path === '' ? file : resolveLink(file, path);
    const where = `${file}:${link.line}: ${link.target}`;
    if (!existsSync(join(ROOT, target))) {
      broken.push(`${where} (no file ${target})`);
      continue;
    }
    if (anchor === null) continue;
    if (!target.endsWith('.md') || statSync(join(ROOT, target)).isDirectory()) {
      broken.push(`${where} (an anchor into ${target}, which is no Markdown page)`);
      continue;
    }
    if (!anchors(readDoc(target)).has(decodeURIComponent(anchor))) broken.push(`${where} (no heading #${anchor} in ${target})`);
  }
  return broken;
}

describe('docs links - every relative link resolves', () => {
  it('docs links - the slug rules give the anchors GitHub gives', () => {
    const slugs = anchors('# Multi-core replay: `--workers N`\n## Merging results\n## Merging results\n```\n# not a heading\n```\n### **Fail closed**: peer_kind, ICMPv6 — über\n');
    expect([...slugs]).toEqual(['multi-core-replay---workers-n', 'merging-results', 'merging-results-1', 'fail-closed-peer_kind-icmpv6--über']);
  });

  it('docs links - README.md links every page under docs/', () => {
    const linked = new Set(links('README.md', readDoc('README.md')).map((l) => resolveLink('README.md', l.target.split('#')[0] as string)));
    const pages = userDocs().filter((f) => f !== 'README.md');
    expect(pages.length).toBeGreaterThan(10);
    expect(pages.filter((page) => !linked.has(page))).toEqual([]);
  });

  it('docs links - README.md and docs/*.md: files and anchors exist', () => {
    const files = userDocs();
    expect(files.flatMap((file) => links(file, readDoc(file))).length).toBeGreaterThan(40);
    expect(files.flatMap(brokenLinks)).toEqual([]);
  });

  it('docs links - every other Markdown file of the repository: files and anchors exist', () => {
    const docs = new Set(userDocs());
    const others = allMarkdown().filter((file) => !docs.has(file));
    expect(others).toContain('examples/service/README.md');
    expect(others.flatMap(brokenLinks)).toEqual([]);
  });
});
