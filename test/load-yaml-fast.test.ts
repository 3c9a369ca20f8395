import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify, type ToStringOptions } from 'yaml';
import { parseYamlFast } from '../src/load/parse-yaml-fast.js';

// The fast path must agree with `yaml` to the value (src/load/parse-yaml-fast.ts) or return null.

function reference(text: string): { readonly values: unknown[]; readonly hasErrors: boolean } {
  const docs = parseAllDocuments(text, { uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [docs];
  return { values: list.map((d) => d.toJS({ maxAliasCount: 1000 }) as unknown), hasErrors: list.some((d) => d.errors.length > 0) };
}

/** Deep equality with `Object.is` on leaves (-0, NaN), key order, and array/object kinds. */
function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    const k = ka[i] as string;
    if (k !== kb[i] || !sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

type Outcome = 'same' | 'null' | 'wrong';

function compare(text: string): Outcome {
  const fast = parseYamlFast(text);
  if (fast === null) return 'null';
  const ref = reference(text);
  return !ref.hasErrors && sameValue(fast, ref.values) ? 'same' : 'wrong';
}

function expectSame(text: string): void {
  const fast = parseYamlFast(text);
  expect(fast, JSON.stringify(text)).not.toBeNull();
  const ref = reference(text);
  expect(ref.hasErrors).toBe(false);
  expect(sameValue(fast, ref.values), `${JSON.stringify(text)}: ${JSON.stringify(fast)} vs ${JSON.stringify(ref.values)}`).toBe(true);
}

function expectNullOrSame(text: string): void {
  expect(compare(text), JSON.stringify(text)).not.toBe('wrong');
}

// ---------------------------------------------------------------------------------------------
// Random values and how `yaml` writes them.

const TRICKY_STRINGS = [
  '', ' ', ' a', 'a ', 'a: b', 'a:b', ':a', 'a:', '#x', 'a #b', 'a#b', '- x', '-x', '-', '--', '---', '...', '? x', '?x',
  "'", '"', "it's", 'say "hi"', 'true', 'True', 'TRUE', 'yes', 'no', 'on', 'null', 'Null', '~', '1', '-1', '+1', '01', '0777',
  '0o17', '0x1F', '1_000', '1e3', '1E-3', '.5', '1.', '-0', '.inf', '-.Inf', '.nan', '.NaN', '1.2.3', '\n', 'a\nb', 'a\n\nb',
  'a\n', 'a\n\n', '\na', '  lead', 'trail  ', '\t', 'a\tb', 'é', 'ünï', '😀', '日本語', '[a]', '{b}', '[]', '{}', 'a, b', '%x',
  '@x', '`x`', '*a', '&a', '!t', '|', '>', '\\', 'a\\nb', 'C:\\path', '{"k":"v"}', 'a  b', 'a   \n  b', 'x\u00a0y', '\u2028',
  '\u0085', '\x00', '\x07', '\x1b', '\uFEFF',
];

const KEY_STRINGS = ['k'.repeat(1024), 'k'.repeat(1023) + ' x', 'a', 'b', 'key', 'name', '1', '01', '-1', '1.5', 'true', 'null', '~', '', ' k', 'a b', 'a:b', 'a: b', '#k', '- k', "'k'", '"k"', 'k\nl', 'é', '0x10', '.inf', 'yes'];

const stringArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...TRICKY_STRINGS) },
  { weight: 3, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
  { weight: 2, arbitrary: fc.array(fc.constantFrom('word', 'x', ' ', '  ', '\n', '\n\n', ':', '#', "'", '"', '-', '\\', 'é', '\t'), { maxLength: 12 }).map((parts) => parts.join('')) },
  { weight: 1, arbitrary: fc.array(fc.constantFrom('lorem', 'ipsum', 'dolor', 'sit', 'amet'), { minLength: 5, maxLength: 40 }).map((w) => w.join(' ')) },
);

const scalarArb = fc.oneof(
  { weight: 6, arbitrary: stringArb },
  { weight: 2, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.constantFrom(0, -0, 1.5, 1e21, 1e-7, NaN, Infinity, -Infinity, 2 ** 53 + 2) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
);

const keyArb = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...KEY_STRINGS) }, { weight: 1, arbitrary: stringArb });

const valueArb = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 3, arbitrary: scalarArb },
    { weight: 2, arbitrary: fc.array(tie('value'), { maxLength: 4 }) },
    { weight: 2, arbitrary: fc.dictionary(keyArb, tie('value'), { maxKeys: 5, noNullPrototype: true }) },
  ),
})).value;

const optionsArb: fc.Arbitrary<ToStringOptions> = fc.record({
  indent: fc.constantFrom(2, 4),
  indentSeq: fc.boolean(),
  defaultStringType: fc.constantFrom('PLAIN', 'PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE', 'BLOCK_LITERAL', 'BLOCK_FOLDED'),
  defaultKeyType: fc.constantFrom(null, 'PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE'),
  lineWidth: fc.constantFrom(0, 20, 40, 80),
  minContentWidth: fc.constantFrom(0, 10, 20),
  collectionStyle: fc.constantFrom('any', 'block', 'block', 'flow'),
  doubleQuotedAsJSON: fc.boolean(),
}) as fc.Arbitrary<ToStringOptions>;

const SEPARATORS = ['---\n', '---\n', '--- # next\n', '\n---\n', '...\n---\n', '# between\n---\n', '---\n# after\n'];

/** Insert full-line comments (and blank lines) before some lines, indented like their neighbour. */
function withComments(text: string, at: readonly number[]): string {
  const lines = text.split('\n');
  const marks = new Set(at.map((a) => a % Math.max(1, lines.length)));
  const out: string[] = [];
  lines.forEach((line, i) => {
    if (marks.has(i)) {
      const indent = line.length - line.trimStart().length;
      out.push(i % 3 === 0 ? '' : `${' '.repeat(indent)}# comment ${i}: with - and : and 'quotes'`);
    }
    out.push(line);
  });
  return out.join('\n');
}

const textArb = fc
  .record({
    values: fc.array(valueArb, { minLength: 1, maxLength: 4 }),
    options: optionsArb,
    separators: fc.array(fc.constantFrom(...SEPARATORS), { minLength: 4, maxLength: 4 }),
    leading: fc.constantFrom('', '', '# header\n', '---\n', '# header\n---\n', '\n'),
    trailing: fc.constantFrom('', '', '---\n', '...\n', '# end\n', '\n\n'),
    comments: fc.array(fc.nat(200), { maxLength: 4 }),
    crlf: fc.boolean(),
  })
  .map(({ values, options, separators, leading, trailing, comments, crlf }) => {
    const body = values.map((v, i) => (i === 0 ? '' : (separators[i] ?? '---\n')) + stringify(v, options)).join('');
    const text = leading + withComments(body, comments) + trailing;
    return crlf ? text.replace(/\n/g, '\r\n') : text;
  });

// Manifest-like values: plain-safe strings, numbers, booleans, null, nested maps and lists.
const safeStringArb = fc
  .array(fc.constantFrom('app', 'web', 'x', 'kube-dns', 'v1', '10.0.0.1', 'a.b/c', 'UDP', 'node-0001', 'Some text', 'é'), { minLength: 1, maxLength: 3 })
  .map((p) => p.join('-'));
const safeKeyArb = fc.constantFrom('apiVersion', 'kind', 'metadata', 'name', 'labels', 'spec', 'ports', 'port', 'app.kubernetes.io/name', 'k8s-app', 'x');
const safeValueArb = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 3, arbitrary: fc.oneof(safeStringArb, fc.integer({ min: -1000, max: 100000 }), fc.boolean(), fc.constant(null)) },
    { weight: 2, arbitrary: fc.array(tie('value'), { maxLength: 4 }) },
    { weight: 2, arbitrary: fc.dictionary(safeKeyArb, tie('value'), { maxKeys: 5, noNullPrototype: true }) },
  ),
})).value;

// Hand-written-looking YAML: random lines of indentation, indicators and scalars. Most texts are
// invalid or unusual; the fast path must then return null or agree anyway.
const LINE_STARTS = ['', '- ', '- - ', 'key: ', 'k2: ', '"q k": ', "'s k': ", '- key: ', 'a b : ', '-1: ', 'key:', '- ', '-', '? ', ': '];
const LINE_VALUES = [
  '', 'x', 'two words', '1', '-0', '0x1f', '.5', '1e3', 'true', 'null', '~', '"dq"', '"d\\tq"', '"open', "'sq'", "'it''s'", "'open",
  '[a, b]', '[]', '{}', '{a: 1}', '[a, [b, {c: d}]]', '|', '|-', '>', '>-', '|+', '|2', '| # c', 'x # c', 'x#y', 'a: b', '- x',
  '&a x', '*a', '!t x', '# c', 'x:', 'k: v # c', '"k": v', '...', '---', 'x   ', '"a" b', 'x\ty',
];
const soupArb = fc
  .array(fc.tuple(fc.nat(6), fc.constantFrom(...LINE_STARTS), fc.constantFrom(...LINE_VALUES)), { minLength: 1, maxLength: 10 })
  .map((lines) => lines.map(([indent, start, value]) => ' '.repeat(indent) + start + value).join('\n') + '\n');

/**
 * A hand-written style renderer: every layout choice (indentation steps, sequences at or under
 * their key, compact `- k: v`, where comments and blank lines go, scalar styles, folding points and
 * continuation indentation) is drawn from a seeded generator. The text is compared, not the value,
 * so occasional invalid output is fine.
 */
function renderHandWritten(value: unknown, seed: number): string {
  let state = seed >>> 0 || 1;
  const next = (n: number): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state >>> 8) % n;
  };
  const chance = (percent: number): boolean => next(100) < percent;
  const pad = (n: number): string => ' '.repeat(n);
  const trailingComment = (): string => (chance(10) ? ` # note${next(3) === 0 ? ': - x' : ''}` : '');
  const blankLines = (indent: number): string => {
    let out = '';
    while (chance(8)) out += chance(40) ? '\n' : `${pad(chance(30) ? 0 : next(indent + 3))}${['# c', '#c', '#', ''][next(4)] ?? ''}\n`;
    return out;
  };

  function scalarText(v: unknown, col: number, key: boolean): string {
    if (typeof v !== 'string') return v === undefined ? 'null' : String(v === null && chance(30) ? '~' : v);
    const style = next(key ? 4 : 8);
    if (style === 0 || style === 1) return v.includes('\n') ? JSON.stringify(v) : v;
    if (style === 2) return JSON.stringify(v);
    if (style === 3) return `'${v.replace(/'/g, "''")}'`;
    if (style === 4 || style === 5) {
      // Multi-line plain or quoted: break at spaces, continuation lines more indented.
      const quote = style === 5 ? (chance(50) ? '"' : "'") : '';
      const body = quote === '"' ? JSON.stringify(v).slice(1, -1) : quote === "'" ? v.replace(/'/g, "''") : v;
      const words = body.split(' ');
      let out = quote + (words[0] ?? '');
      for (const word of words.slice(1)) out += chance(40) ? `\n${chance(15) ? '\n' : ''}${pad(col + 1 + next(3))}${word}` : ` ${word}`;
      return out + quote;
    }
    // Block scalars.
    const header = (style === 6 ? '|' : '>') + (chance(50) ? '-' : '');
    const lines = v.split('\n');
    const indent = col + 1 + next(3);
    return `${header}${trailingComment()}\n${lines.map((l) => (l === '' ? pad(next(indent + 1)) : pad(indent + (chance(10) ? next(3) : 0)) + l)).join('\n')}`;
  }

  function node(v: unknown, indent: number, out: string[], parentIsMap: boolean): void {
    // Appends the node's text after a `key:` or `- ` already on the current line.
    if (Array.isArray(v) && v.length > 0) {
      const col = parentIsMap && chance(50) ? indent : indent + 1 + next(3);
      out.push(`${trailingComment()}\n${blankLines(col)}`);
      v.forEach((item, i) => {
        out.push(`${i > 0 ? blankLines(col) : ''}${pad(col)}-`);
        seqItem(item, col, out);
      });
      return;
    }
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0) {
      const col = indent + 1 + next(3);
      out.push(`${trailingComment()}\n${blankLines(col)}`);
      mapBody(v as Record<string, unknown>, col, out, true);
      return;
    }
    if (Array.isArray(v)) out.push(` []${trailingComment()}\n`);
    else if (v !== null && typeof v === 'object') out.push(` {}${trailingComment()}\n`);
    else if (chance(10) && typeof v !== 'string') out.push(`\n${pad(indent + 1 + next(2))}${scalarText(v, indent, false)}\n`);
    else out.push(` ${scalarText(v, indent, false)}${trailingComment()}\n`);
  }

  function seqItem(item: unknown, col: number, out: string[]): void {
    const gap = pad(1 + (chance(15) ? next(3) : 0));
    if (item !== null && typeof item === 'object' && !Array.isArray(item) && Object.keys(item).length > 0 && chance(70)) {
      out.push(gap);
      mapBody(item as Record<string, unknown>, col + 1 + gap.length, out, false);
    } else if (Array.isArray(item) && item.length > 0 && chance(40)) {
      const inner = col + 1 + gap.length;
      item.forEach((x, i) => {
        out.push(i === 0 ? `${gap}-` : `${pad(inner)}-`);
        seqItem(x, inner, out);
      });
    } else node(item, col, out, false);
  }

  function mapBody(map: Record<string, unknown>, col: number, out: string[], padFirst: boolean): void {
    Object.entries(map).forEach(([k, v], i) => {
      if (i > 0) out.push(blankLines(col));
      const keyText = /^[A-Za-z][\w./-]*$/.test(k) && chance(80) ? k : JSON.stringify(k);
      out.push(`${i > 0 || padFirst ? pad(col) : ''}${keyText}${chance(5) ? ' ' : ''}:`);
      node(v, col, out, true);
    });
  }

  const out: string[] = [];
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) mapBody(value as Record<string, unknown>, 0, out, true);
  else if (Array.isArray(value) && value.length > 0) {
    value.forEach((item) => {
      out.push('-');
      seqItem(item, 0, out);
    });
  } else out.push(`${scalarText(value, -1, false)}\n`);
  return out.join('');
}

describe('parseYamlFast - differential against yaml', () => {
  it('parseYamlFast - random values as written by yaml stringify: null or the same value', () => {
    let same = 0;
    let nulls = 0;
    fc.assert(
      fc.property(textArb, (text) => {
        const outcome = compare(text);
        if (outcome === 'same') same++;
        else if (outcome === 'null') nulls++;
        return outcome !== 'wrong';
      }),
      { numRuns: 4000, seed: 20261203 },
    );
    // The fast path must really be taken on most of these texts, not just return null.
    expect(same).toBeGreaterThan(nulls);
  });

  it('parseYamlFast - manifest-like block YAML is never null', () => {
    fc.assert(
      fc.property(
        fc.array(fc.dictionary(safeKeyArb, safeValueArb, { minKeys: 1, maxKeys: 6, noNullPrototype: true }), { minLength: 1, maxLength: 3 }),
        fc.constantFrom(2, 4),
        fc.boolean(),
        fc.array(fc.nat(100), { maxLength: 3 }),
        (docs, indent, indentSeq, comments) => {
          const text = withComments(docs.map((d) => stringify(d, { indent, indentSeq })).join('---\n'), comments);
          expectSame(text);
        },
      ),
      { numRuns: 2000, seed: 7 },
    );
  });

  it('parseYamlFast - random hand-written-looking lines: null or the same value', () => {
    let same = 0;
    fc.assert(
      fc.property(soupArb, (text) => {
        const outcome = compare(text);
        if (outcome === 'same') same++;
        return outcome !== 'wrong';
      }),
      { numRuns: 4000, seed: 3 },
    );
    expect(same).toBeGreaterThan(100);
  });

  it('parseYamlFast - random values in hand-written layouts: null or the same value', () => {
    let same = 0;
    fc.assert(
      fc.property(fc.array(valueArb, { minLength: 1, maxLength: 3 }), fc.nat(), (values, seed) => {
        const text = values.map((v, i) => renderHandWritten(v, seed + i)).join('---\n');
        const outcome = compare(text);
        if (outcome === 'same') same++;
        return outcome !== 'wrong';
      }),
      { numRuns: 3000, seed: 5 },
    );
    expect(same).toBeGreaterThan(1000);
  });

  it('parseYamlFast - manifest-like values in hand-written layouts: null or the same value', () => {
    let same = 0;
    fc.assert(
      fc.property(safeValueArb, fc.nat(), (value, seed) => {
        const outcome = compare(renderHandWritten(value, seed));
        if (outcome === 'same') same++;
        return outcome !== 'wrong';
      }),
      { numRuns: 3000, seed: 9 },
    );
    expect(same).toBeGreaterThan(1500);
  });

  it('parseYamlFast - random text mutations: null or the same value', () => {
    const base = 'a: 1\nb:\n  - x\n  - y: "q\\tz"\n    z: |\n      lit\n      eral\n  - [1, two]\nc: >-\n  fold\n  ed\nd: {k: v}\n';
    fc.assert(
      fc.property(fc.nat(base.length), fc.constantFrom(' ', '\n', '-', ':', '#', '"', "'", '|', '>', '[', '{', '}', ',', '\t', '  ', '\\', 'x', '---\n', '? ', '&a ', '*a'), fc.boolean(), (at, insert, replace) => {
        const text = base.slice(0, at) + insert + base.slice(replace ? at + 1 : at);
        return compare(text) !== 'wrong';
      }),
      { numRuns: 3000, seed: 11 },
    );
  });
});

// ---------------------------------------------------------------------------------------------

const SAME_CASES: readonly (readonly [string, string])[] = [
  ['block mapping', 'a: 1\nb: two\n'],
  ['nested mapping', 'a:\n  b:\n    c: d\n  e: f\n'],
  ['sequence indented under its key', 'a:\n  - 1\n  - 2\n'],
  ['sequence at its key column (kubectl)', 'a:\n- 1\n- 2\nb: 3\n'],
  ['compact mapping in a sequence', '- name: a\n  port: 80\n- name: b\n'],
  ['compact mapping then same-column sequence', '- a:\n  - x\n  b: 1\n'],
  ['nested compact sequences', '- - a\n  - b\n- - - c\n'],
  ['wide compact sequence', '-   - a\n    - b\n'],
  ['empty values', 'a:\nb: ~\nc: null\nd: Null\ne: NULL\nf:\n- \n-\n'],
  ['indented root mapping', '  a: 1\n  b: 2\n'],
  ['key with spaces before colon', 'a : b\n'],
  ['trailing spaces', 'a:    b   \n'],
  ['comments', '# top\na: 1 # one\n# between\nb: # after key\n  c: d\n  # in map\n'],
  ['hash inside a plain scalar', 'a: b#c\nb: x#\n'],
  ['booleans', 'a: true\nb: True\nc: TRUE\nd: false\ne: False\nf: FALSE\ng: yes\nh: tRue\n'],
  ['integers', 'a: 0\nb: -0\nc: +1\nd: 0777\ne: 0o17\nf: 0x1F\ng: 123456789012345678901234567890\nh: 1_000\ni: 0b1\n'],
  ['floats', 'a: 1.5\nb: .5\nc: 1.\nd: 1e3\ne: -1.5e-3\nf: +.5\ng: 1e400\nh: 1.2.3\ni: .\n'],
  ['inf and nan', 'a: .inf\nb: -.Inf\nc: +.INF\nd: .nan\ne: .NaN\nf: .NAN\ng: Inf\nh: .nAn\n'],
  ['keys that resolve to non-strings', '1: a\n0x10: b\n1e3: c\n.inf: d\n-0: e\nnull: f\ntrue: g\n~x: h\n'],
  ['single-quoted', "a: 'it''s'\nb: ''\nc: ' x '\n'd e': f\n"],
  ['double-quoted escapes', 'a: "\\n\\t\\"\\\\\\/\\0\\a\\b\\e\\f\\r\\v\\N\\_\\L\\P\\x41\\u00e9\\U0001F600\\ x"\n'],
  ['double-quoted escaped line break', 'a: "ab\\\n    cd"\n'],
  ['multi-line double-quoted', 'a: "one\n  two\n\n  three  \n   four"\n'],
  ['multi-line single-quoted', "a: 'one\n  two\n\n\n  three'\n"],
  ['multi-line plain', 'a: one\n  two\n\n  three\nb: x\n'],
  ['multi-line plain in a sequence', '- one\n  two\n- three\n'],
  ['multi-line plain at the root', 'one\ntwo\n'],
  ['literal block scalar', 'a: |\n  x\n   y\n\n  z\nb: 1\n'],
  ['literal strip', 'a: |-\n  x\n  y\n\n\nb: 1\n'],
  ['literal with leading blank lines', 'a: |\n\n\n  x\n'],
  ['literal with comment-like content', 'a: |\n  # not a comment\n  x: y\n'],
  ['folded block scalar', 'a: >\n  x\n  y\n\n  z\n   w\n  v\n'],
  ['folded strip', 'a: >-\n  one\n  two\n\n\n  three\n'],
  ['folded more-indented lines', 'a: >\n  p\n\n    code\n    more\n\n  q\n  r\n'],
  ['block scalar header comment', 'a: | # note\n  x\n'],
  ['block scalar in a sequence', '- |\n  x\n- >-\n  y\n  z\n'],
  ['block scalar in a compact mapping', '- a: |\n    x\n  b: 1\n'],
  ['block scalar at end of input', 'a: |\n  x'],
  ['flow collections', 'a: []\nb: {}\nc: [a, b, 1, true, null, "q", \'s\']\nd: {x: 1, "y": two}\ne: [[1], {k: [v]}]\n'],
  ['flow with colons in scalars', 'a: {cidr: 2001:db8::/32}\nb: [a:b]\n'],
  ['flow at the root', '{a: 1}\n'],
  ['CRLF', 'a: 1\r\nb:\r\n  - x\r\n  - |\r\n    lit\r\n    two\r\nc: "x\r\n  y"\r\n'],
  ['merge key is an ordinary key in YAML 1.2', '<<: {a: 1}\nb: 2\n'],
  ['unicode', 'ключ: значение\n😀: "\\u263A"\n'],
  ['proto-like keys', 'toString: 1\nconstructor: 2\nhasOwnProperty: 3\n'],
  ['keys of exactly 1024 characters', `${'k'.repeat(1024)}: 1\n"${'q'.repeat(1022)}": 2\n`],
  ['nesting 100 deep', `${'['.repeat(50)}${']'.repeat(50)}\n`.replace(/^/, Array.from({ length: 50 }, (_, i) => `${' '.repeat(i)}k:\n`).join('') + ' '.repeat(50))],
  ['long key in a flow mapping', `a: {${'k'.repeat(1100)}: 1}\n`],
  ['key of 1023 characters after an empty value', `a:\n${'k'.repeat(1023)}: 1\n`],
  ['plain scalar after a comment, last in the document', 'a:\n\n# c\n  word\n---\nb:\n# c\n  x\n'],
  ['mapping after a blank line and a comment', 'a:\n\n#\n  b: w\n\n#\n  kk: 1\n'],
];

const NULL_CASES: readonly (readonly [string, string])[] = [
  ['anchor', 'a: &x 1\n'],
  ['alias', 'a: &x 1\nb: *x\n'],
  ['tag', 'a: !!str 1\n'],
  ['directive', '%YAML 1.2\n---\na: 1\n'],
  ['complex key', '? a\n: b\n'],
  ['tab indentation', 'a:\n\tb: 1\n'],
  ['tab separator', 'a:\tb\n'],
  ['duplicate key', 'a: 1\na: 2\n'],
  ['duplicate after resolution', '1: a\n01: b\n'],
  ['same JS key from different scalars', '1: a\n"1": b\n'],
  ['__proto__ key', '__proto__: 1\n'],
  ['BOM', '\uFEFFa: 1\n'],
  ['lone CR', 'a: 1\rb: 2\n'],
  ['control character', 'a: \x01\n'],
  ['keep chomping', 'a: |+\n  x\n\n'],
  ['explicit indentation indicator', 'a: |2\n   x\n'],
  ['empty block scalar', 'a: |\nb: 1\n'],
  ['multi-line flow collection', 'a: [1,\n  2]\n'],
  ['mapping value on the key line', 'a: b: c\n'],
  ['sequence on the key line', 'a: - b\n'],
  ['bad indentation', 'a: 1\n b: 2\n'],
  ['less indented sibling', 'a:\n  b: 1\n c: 2\n'],
  ['unclosed quote', 'a: "x\n'],
  ['text after quote', 'a: "x" y\n'],
  ['comment without space after quote', "a: 'x'#c\n"],
  ['invalid escape', 'a: "\\q"\n'],
  ['content after document marker', '--- a\n'],
  ['trailing comma in flow', 'a: [1, ]\n'],
  ['implicit key in multi-line plain', 'a: b\n  c: d\n'],
  ['plain scalar starting with an indicator', 'a: @x\n'],
  ['plain key over 1024 characters', `${'k'.repeat(1025)}: 1\n`],
  ['quoted key over 1024 characters', `"${'k'.repeat(1023)}": 1\n`],
  ['compact key over 1024 characters', `- ${'k'.repeat(1021)}    : 1\n`],
  ['nesting over 100 deep', `${'- '.repeat(101)}x\n`],
  ['key over 1024 characters after an empty value', `a:\n${'k'.repeat(1024)}: 1\n`],
  ['key after an empty item and blank lines', `a:\n  -\n${'\n'.repeat(1100)}b: 1\n`],
  ['plain scalar after a blank line and a comment, then a key', 'a:\n\n#\n  word\nkk: 1\n'],
  ['plain scalar after a blank line and a comment, then an item', '- \n\n#\n  word\n- kk\n'],
];

describe('parseYamlFast - supported constructs', () => {
  for (const [name, text] of SAME_CASES) {
    it(`parseYamlFast - ${name}`, () => expectSame(text));
  }
});

describe('parseYamlFast - constructs left to yaml', () => {
  for (const [name, text] of NULL_CASES) {
    it(`parseYamlFast - ${name} gives null`, () => expect(parseYamlFast(text)).toBeNull());
  }
});

describe('parseYamlFast - document numbering', () => {
  const cases = [
    '',
    '\n',
    '# only a comment\n',
    '---',
    '---\n',
    '---\n---\n',
    'a: 1\n---\n',
    'a: 1\n---',
    'a: 1\n...\n',
    'a: 1\n...\n# after\n',
    '...\n',
    '...\n...\n',
    'a\n...\n---\nb\n',
    'a\n...\nb\n',
    '# c\n---\na\n',
    'a\n---\n# only a comment\n',
    'a\n---\n# c\n---\nb',
    '--- # x\na',
    '---\n...\n',
    'a\n...\n...\n',
    '\n\n---\n\n---\na',
    'a\n--- \n',
    '- a\n...\n- b',
    'a: 1\n---\n---\nb: 2\n---\n\n---\n# c\n',
  ];
  for (const text of cases) {
    it(`parseYamlFast - documents of ${JSON.stringify(text)}`, () => {
      expectSame(text);
      expect(parseYamlFast(text)?.length).toBe(reference(text).values.length);
    });
  }
});

// ---------------------------------------------------------------------------------------------

/** How `kubectl get pods -o yaml` prints a List: items at the column of `items:`, quoted strings. */
const KUBECTL_LIST = `apiVersion: v1
items:
- apiVersion: v1
  kind: Pod
  metadata:
    annotations:
      kubectl.kubernetes.io/last-applied-configuration: |
        {"apiVersion":"v1","kind":"Pod","metadata":{"annotations":{},"labels":{"app":"web"},"name":"web-0","namespace":"prod"},"spec":{"containers":[{"image":"nginx:1.25","name":"web","ports":[{"containerPort":8080,"name":"http"}]}]}}
    creationTimestamp: "2024-05-01T10:00:00Z"
    labels:
      app: web
      pod-template-hash: 7d4b9c
    name: web-0
    namespace: prod
    resourceVersion: "123456"
    uid: 0b6f3c1e-9a2d-4c1b-8e7f-2a3b4c5d6e7f
  spec:
    containers:
    - image: nginx:1.25
      imagePullPolicy: IfNotPresent
      name: web
      ports:
      - containerPort: 8080
        name: http
        protocol: TCP
      resources: {}
      terminationMessagePath: /dev/termination-log
    dnsPolicy: ClusterFirst
    nodeName: node-1
    tolerations:
    - effect: NoExecute
      key: node.kubernetes.io/not-ready
      operator: Exists
      tolerationSeconds: 300
  status:
    conditions:
    - lastProbeTime: null
      lastTransitionTime: "2024-05-01T10:00:01Z"
      status: "True"
      type: Ready
    hostIP: 172.20.0.1
    phase: Running
    podIP: 10.64.0.2
    podIPs:
    - ip: 10.64.0.2
    - ip: fd00::2
    startTime: "2024-05-01T10:00:00Z"
- apiVersion: networking.k8s.io/v1
  kind: NetworkPolicy
  metadata:
    name: allow-web
    namespace: prod
  spec:
    ingress:
    - from:
      - namespaceSelector: {}
      - ipBlock:
          cidr: 10.0.0.0/8
          except:
          - 10.1.0.0/16
      ports:
      - port: 8080
        protocol: TCP
    podSelector:
      matchLabels:
        app: web
    policyTypes:
    - Ingress
kind: List
metadata:
  resourceVersion: ""
`;

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...yamlFiles(full));
    else if (name.endsWith('.yaml') || name.endsWith('.yml')) out.push(full);
  }
  return out;
}

describe('parseYamlFast - real-world shapes', () => {
  it('parseYamlFast - kubectl List with last-applied-configuration', () => {
    expectSame(KUBECTL_LIST);
    const [list] = parseYamlFast(KUBECTL_LIST) ?? [];
    const items = (list as { items: { metadata: { annotations?: Record<string, string> } }[] }).items;
    expect(items).toHaveLength(2);
    expect(JSON.parse(items[0]?.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'] ?? '')).toMatchObject({ kind: 'Pod' });
  });

  it('parseYamlFast - kubectl List as CRLF and with comments', () => {
    expectSame(KUBECTL_LIST.replace(/\n/g, '\r\n'));
    expectSame(`# kubectl get all -o yaml\n---\n${KUBECTL_LIST}...\n`);
  });

  it('parseYamlFast - every example manifest takes the fast path', () => {
    const files = yamlFiles('examples');
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expectSame(readFileSync(file, 'utf8'));
  });

  it('parseYamlFast - every fixture gives the reference or null', () => {
    const files = yamlFiles('test/fixtures');
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expectNullOrSame(readFileSync(file, 'utf8'));
  });
});
