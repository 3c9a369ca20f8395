import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKubeconfig } from '../src/live/load-kubeconfig.js';
import { kubeconfigText } from './helpers/live-api-server.js';

describe('loadKubeconfig - kubectl lookup order', () => {
  let dir: string;
  let first: string;
  let second: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'netpol-emu-kubeconfig-'));
    first = join(dir, 'first');
    second = join(dir, 'second');
    writeFileSync(first, kubeconfigText({ server: 'https://first.example:6443', token: 't1', caFile: 'ca.crt', context: 'shared' }));
    writeFileSync(second, kubeconfigText({ server: 'https://second.example:6443', token: 't2', context: 'other' }).replace(/\bfake\b/g, 'fake2'));
    // Defines cluster `fake` again: the first file's definition must win, as with kubectl.
    writeFileSync(join(dir, 'third'), kubeconfigText({ server: 'https://third.example', token: 't4', context: 'third' }));
    mkdirSync(join(dir, 'home', '.kube'), { recursive: true });
    writeFileSync(join(dir, 'home', '.kube', 'config'), kubeconfigText({ server: 'https://home.example', token: 't3', context: 'home' }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loadKubeconfig - --kubeconfig wins over $KUBECONFIG, which wins over ~/.kube/config', () => {
    const home = join(dir, 'home');
    expect(loadKubeconfig({ env: {}, homeDir: home }).server).toBe('https://home.example');
    expect(loadKubeconfig({ env: { KUBECONFIG: second }, homeDir: home }).server).toBe('https://second.example:6443');
    expect(loadKubeconfig({ kubeconfigPath: first, env: { KUBECONFIG: second }, homeDir: home }).server).toBe('https://first.example:6443');
  });

  it('loadKubeconfig - a $KUBECONFIG list merges files, skips missing ones, and the first current-context wins', () => {
    const env = { KUBECONFIG: [join(dir, 'missing'), first, second].join(delimiter) };
    const selected = loadKubeconfig({ env, homeDir: dir });
    expect([selected.context, selected.server, selected.files]).toEqual(['shared', 'https://first.example:6443', [first, second]]);
    const other = loadKubeconfig({ env, homeDir: dir, context: 'other' });
    expect([other.context, other.server]).toEqual(['other', 'https://second.example:6443']);
    const third = loadKubeconfig({ env: { KUBECONFIG: [first, join(dir, 'third')].join(delimiter) }, homeDir: dir, context: 'third' });
    expect(third.server).toBe('https://first.example:6443');
    // The relative certificate-authority resolves against the folder of the file that named it.
    expect(selected.kubeConfig.getCurrentCluster()?.caFile).toBe(join(dir, 'ca.crt'));
  });
});
