/**
 * `npm run bench:charts` rewrites the benchmark tables of README.md and docs/*.md from
 * bench/results/*.json (bench/write-result-tables.ts): a marked block takes the file's Markdown,
 * text outside the markers is untouched, and a missing file or field leaves its block as it was.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeResultTables } from '../bench/write-result-tables.js';

const root = mkdtempSync(join(tmpdir(), 'npe-tables-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('benchmark tables', () => {
  it('bench tables - marked blocks take the results file\'s Markdown; other text and unknown sources stay', () => {
    mkdirSync(join(root, 'bench/results'), { recursive: true });
    mkdirSync(join(root, 'docs'));
    writeFileSync(join(root, 'bench/results/e2e.json'), JSON.stringify({ table: '| a | b |\n|---|---|\n| 1 | 2 |\n' }));
    writeFileSync(join(root, 'bench/results/scaling.json'), JSON.stringify({ other: 'x' }));
    const readme = 'intro\n<!-- results: e2e.json table -->\n| old |\n<!-- /results -->\nmiddle\n<!-- results: scaling.json table -->\n| kept |\n<!-- /results -->\nend\n';
    writeFileSync(join(root, 'README.md'), readme);
    writeFileSync(join(root, 'docs/page.md'), 'no blocks here\n');
    writeFileSync(join(root, 'docs/missing.md'), '<!-- results: bench.json markdown -->\nstays\n<!-- /results -->\n');

    expect(writeResultTables(root)).toEqual(['README.md']);
    expect(readFileSync(join(root, 'README.md'), 'utf8')).toBe(
      'intro\n<!-- results: e2e.json table -->\n| a | b |\n|---|---|\n| 1 | 2 |\n<!-- /results -->\nmiddle\n<!-- results: scaling.json table -->\n| kept |\n<!-- /results -->\nend\n',
    );
    expect(readFileSync(join(root, 'docs/missing.md'), 'utf8')).toBe('<!-- results: bench.json markdown -->\nstays\n<!-- /results -->\n');
    // A second run finds nothing to change.
    expect(writeResultTables(root)).toEqual([]);
  });

  it('bench tables - the committed docs are what their results files say', () => {
    const committed = mkdtempSync(join(tmpdir(), 'npe-tables-repo-'));
    try {
      for (const dir of ['bench/results', 'docs']) mkdirSync(join(committed, dir), { recursive: true });
      for (const f of ['bench.json', 'e2e.json', 'scaling.json']) writeFileSync(join(committed, 'bench/results', f), readFileSync(join('bench/results', f)));
      writeFileSync(join(committed, 'README.md'), readFileSync('README.md'));
      for (const f of ['benchmarks.md', 'performance.md']) writeFileSync(join(committed, 'docs', f), readFileSync(join('docs', f)));
      expect(writeResultTables(committed)).toEqual([]);
      expect(readFileSync('docs/benchmarks.md', 'utf8')).toContain('<!-- results: bench.json markdown -->');
      expect(readFileSync('docs/performance.md', 'utf8')).toContain('<!-- results: scaling.json table -->');
    } finally {
      rmSync(committed, { recursive: true, force: true });
    }
  });
});
