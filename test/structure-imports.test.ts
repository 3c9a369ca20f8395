/**
 * The layers of docs/layout.md ("Layers") as the source files state them: every relative import,
 * `export … from` and `import()` of every .ts file under compiler/, dataplane/ and src/ (type-only
 * imports too: a type taken back up is the same knot for a reader), read with TypeScript's own
 * pre-processor and resolved to files. No file reaches itself through its imports (strongly
 * connected components, Tarjan), and each layer imports only downwards.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const LAYERS = ['compiler', 'dataplane', 'src'] as const;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, dir)).sort()) {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** `./x.js` → `dir/x.ts` (NodeNext: sources import the emitted name); null for packages. */
function resolveImport(from: string, specifier: string, files: ReadonlySet<string>): string | null {
  if (!specifier.startsWith('.')) return null;
  const target = relative(ROOT, resolve(ROOT, dirname(from), specifier));
  for (const candidate of [target.replace(/\.js$/, '.ts'), target.replace(/\.js$/, '.d.ts'), `${target}.ts`, join(target, 'index.ts')]) {
    if (files.has(candidate)) return candidate;
  }
  throw new Error(`${from}: import ${JSON.stringify(specifier)} resolves to no source file`);
}

function importGraph(): Map<string, string[]> {
  const files = LAYERS.flatMap((layer) => sourceFiles(layer));
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const info = ts.preProcessFile(readFileSync(join(ROOT, file), 'utf8'), true, true);
    const targets = info.importedFiles.map((ref) => resolveImport(file, ref.fileName, known)).filter((t): t is string => t !== null);
    graph.set(file, [...new Set(targets)].sort());
  }
  return graph;
}

/** Tarjan's strongly connected components; only those with a cycle (size > 1 or a self-import). */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, next);
    low.set(node, next);
    next++;
    stack.push(node);
    onStack.add(node);
    for (const to of graph.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (onStack.has(to)) {
        low.set(node, Math.min(low.get(node)!, index.get(to)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

/** Every `file → target` edge where the file matches `from` and the target matches `to`. */
function edges(graph: ReadonlyMap<string, readonly string[]>, from: (file: string) => boolean, to: (file: string) => boolean): string[] {
  const out: string[] = [];
  for (const [file, targets] of graph) if (from(file)) for (const target of targets) if (to(target)) out.push(`${file} → ${target}`);
  return out;
}

const under = (dir: string) => (file: string) => file.startsWith(`${dir}/`);
const graph = importGraph();

describe('structure - imports run one way', () => {
  it('structure - the graph holds every source file and their imports', () => {
    expect(graph.get('src/index.ts')?.length).toBeGreaterThan(10);
    expect(graph.get('compiler/compile.ts')).toContain('compiler/model.ts');
  });

  it('structure - no import cycle anywhere', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('structure - dataplane/ imports nothing from src/', () => {
    expect(edges(graph, under('dataplane'), under('src'))).toEqual([]);
  });

  it('structure - compiler/ imports nothing from src/ or dataplane/', () => {
    expect(edges(graph, under('compiler'), (t) => under('src')(t) || under('dataplane')(t))).toEqual([]);
  });

  it('structure - only the CLI entry (src/cli.ts) and src/cli/ import src/cli/', () => {
    expect(edges(graph, (f) => !under('src/cli')(f) && f !== 'src/cli.ts', under('src/cli'))).toEqual([]);
  });

  it('structure - src/replay/ does not import src/parallel/', () => {
    expect(edges(graph, under('src/replay'), under('src/parallel'))).toEqual([]);
  });

  it('structure - src/load/ does not import src/live/', () => {
    expect(edges(graph, under('src/load'), under('src/live'))).toEqual([]);
  });
});
