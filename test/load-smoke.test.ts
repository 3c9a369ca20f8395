import { describe, expect, it } from 'vitest';
import { NaiveEvaluator, readManifestText } from '../src/index.js';

describe('load - smoke', () => {
  it('load - reads a multi-document manifest', () => {
    const out: Parameters<typeof readManifestText>[2] = [];
    readManifestText('inline.yaml', 'kind: Namespace\napiVersion: v1\nmetadata: {name: a}\n---\nkind: Namespace\napiVersion: v1\nmetadata: {name: b}\n', out, []);
    expect(out.map((o) => o.origin.document)).toEqual([1, 2]);
    expect(typeof NaiveEvaluator).toBe('function');
  });
});
