/**
 * The benchmark tables of README.md and docs/*.md, rewritten from the JSON the benchmarks wrote,
 * so a table can never drift from its results file: `npm run bench:charts` (bench/charts.ts)
 * calls this after drawing the charts. A generated table sits between two markers,
 *
 *   <!-- results: e2e.json table -->
 *   …
 *   <!-- /results -->
 *
 * naming the file under bench/results/ and its field holding the Markdown the benchmark printed
 * (bench.json `markdown`, e2e.json and scaling.json `table`). Everything between the markers is
 * replaced; a missing file or field leaves the block as it is, with a note.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const BLOCK = /(<!-- results: ([\w.-]+\.json) (\w+) -->\n)[\s\S]*?(<!-- \/results -->)/g;

/** Rewrites every marked block of README.md and docs/*.md under `root`; returns the files changed. */
export function writeResultTables(root: string): string[] {
  const results = join(root, 'bench/results');
  const docs = join(root, 'docs');
  const files = ['README.md', ...readdirSync(docs).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];
  const changed: string[] = [];
  for (const file of files) {
    const path = join(root, file);
    const text = readFileSync(path, 'utf8');
    const next = text.replace(BLOCK, (whole, open: string, name: string, field: string, close: string) => {
      const table = tableOf(join(results, name), field);
      if (table === null) {
        process.stderr.write(`tables: ${file}: bench/results/${name} has no "${field}": block left as it is\n`);
        return whole;
      }
      return `${open}${table.trimEnd()}\n${close}`;
    });
    if (next !== text) {
      writeFileSync(path, next);
      changed.push(file);
      process.stderr.write(`tables: rewrote ${file}\n`);
    }
  }
  return changed;
}

function tableOf(path: string, field: string): string | null {
  if (!existsSync(path)) return null;
  const value = (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>)[field];
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}
