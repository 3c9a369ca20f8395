/**
 * `diff --report FILE.html` without a browser: the page is self-contained and embeds exactly what
 * `diff -o json` prints (capture: the differing flows and counts; --matrix: the differing cells),
 * and --report leaves the text and JSON outputs and the exit status as they were.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';
import { embeddedData, expectSelfContained } from './helpers/read-report-page.js';

const root = mkdtempSync(join(tmpdir(), 'netpol-diff-report-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const CAPTURE_ARGS = ['diff', 'examples/three-tier/capture.pcap', '-f', 'examples/three-tier', '--left-cni', 'calico', '--right-cni', 'cilium'];
const MATRIX_ARGS = ['diff', '--matrix', '-f', 'examples/three-tier', '--probe', '80/TCP', '--probe', '53/UDP', '--left-cni', 'calico', '--right-cni', 'cilium'];

interface Embedded {
  mode: string;
  result: { left: string; right: string; compared?: number; differences?: unknown[]; reasonOnly?: unknown[]; cells?: unknown[] };
}

describe('diff --report - data', () => {
  it('diff report - capture: self-contained, embeds the JSON output (differing flows, counts)', async () => {
    const file = join(root, 'd.html');
    const run = await runCli([...CAPTURE_ARGS, '-o', 'json', '--report', file]);
    expect(run.code, run.stderr).toBe(1);
    const html = readFileSync(file, 'utf8');
    expectSelfContained(html);
    const json = JSON.parse(run.stdout) as Embedded['result'];
    const data = embeddedData<Embedded>(html);
    expect(data.mode).toBe('capture');
    expect(data.result).toEqual(json);
    expect(data.result.compared).toBe(20);
    expect(data.result.differences).toHaveLength(1);
    expect(data.result.differences?.[0]).toMatchObject({ left: { verdict: 'allowed', reason: 'allow-policy' }, right: { verdict: 'denied', reason: 'drop-ingress-default-deny' } });
  });

  it('diff report - matrix: self-contained, embeds the differing cells of the JSON output', async () => {
    const file = join(root, 'dm.html');
    const run = await runCli([...MATRIX_ARGS, '-o', 'json', '--report', file]);
    expect(run.code, run.stderr).toBe(1);
    const html = readFileSync(file, 'utf8');
    expectSelfContained(html);
    const json = JSON.parse(run.stdout) as Embedded['result'];
    const data = embeddedData<Embedded & { probes: string[] }>(html);
    expect(data.mode).toBe('matrix');
    expect(data.probes).toEqual(['80/TCP', '53/UDP']);
    expect(data.result).toEqual(json);
    expect(data.result.cells?.length).toBeGreaterThan(0);
  });

  it('diff report - text and JSON outputs and the exit status are byte-identical with and without --report', async () => {
    for (const args of [CAPTURE_ARGS, MATRIX_ARGS]) {
      for (const output of ['text', 'json']) {
        const plain = await runCli([...args, '-o', output]);
        const withReport = await runCli([...args, '-o', output, '--report', join(root, `same-${output}.html`)]);
        expect(withReport.code).toBe(plain.code);
        expect(withReport.stdout).toBe(plain.stdout);
        expect(withReport.stderr).toBe(plain.stderr);
      }
    }
    // Also when the sides are given with --left/--right (the option is a common one).
    const sides = ['diff', 'examples/three-tier/capture.pcap', '-f', 'examples/three-tier', '--report', join(root, 'sides.html'), '--left', '--cni', 'calico', '--right', '--cni', 'flannel'];
    const run = await runCli(sides);
    expect(run.code, run.stderr).toBe(1);
    expect(embeddedData<Embedded>(readFileSync(join(root, 'sides.html'), 'utf8')).result.differences).toHaveLength(9);
  });

  it('diff report - an unwritable path is a usage error', async () => {
    const run = await runCli([...CAPTURE_ARGS, '--report', join(root, 'no', 'such', 'dir', 'd.html')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('diff: cannot write the report');
  });
});
