/**
 * `matrix --report FILE.html` without a browser: the page is self-contained, the truth values it
 * embeds equal `-o json`'s cell by cell, every denied cell says why, and --report leaves every
 * output format byte-identical.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';
import { embeddedData, expectSelfContained } from './helpers/read-report-page.js';

const root = mkdtempSync(join(tmpdir(), 'netpol-matrix-report-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const ARGS = ['matrix', '-f', 'examples/three-tier', '--probe', '80/TCP', '--probe', '53/UDP', '--probe', 'ICMP'];

interface MatrixEmbedded {
  pods: string[];
  probes: { label: string; port: number; protocol: string; rows: string[]; denied: [number, number, number, number, number][] }[];
  strings: string[];
}

interface MatrixJson {
  pods: string[];
  probes: { port: number; protocol: string; matrix: Record<string, Record<string, boolean>> }[];
}

describe('matrix --report - data', () => {
  it('matrix report - self-contained; cells equal -o json; every denied cell has a reason', async () => {
    const file = join(root, 'm.html');
    const run = await runCli([...ARGS, '-o', 'json', '--report', file]);
    expect(run.code, run.stderr).toBe(0);
    const html = readFileSync(file, 'utf8');
    expectSelfContained(html);
    const json = JSON.parse(run.stdout) as MatrixJson;
    const data = embeddedData<MatrixEmbedded>(html);
    expect(data.pods).toEqual(json.pods);
    expect(data.probes.map((p) => [p.port, p.protocol])).toEqual(json.probes.map((p) => [p.port, p.protocol]));
    let cells = 0;
    data.probes.forEach((p, k) => {
      const m = (json.probes[k] as MatrixJson['probes'][number]).matrix;
      data.pods.forEach((from, i) =>
        data.pods.forEach((to, j) => {
          cells++;
          expect(p.rows[i]?.[j] === '1', `${p.label} ${from} -> ${to}`).toBe(m[from]?.[to]);
        }),
      );
      const deniedInJson = Object.values(m).reduce((s, row) => s + Object.values(row).filter((v) => !v).length, 0);
      expect(p.denied.length).toBe(deniedInJson);
      for (const [i, j, reason] of p.denied) {
        expect(p.rows[i]?.[j]).toBe('0');
        expect(data.strings[reason]).toMatch(/^drop-|^no-common-ip-family$/);
      }
    });
    expect(cells).toBe(3 * json.pods.length ** 2);
    // A known denied cell of the example: the database may not reach the backend on 80/TCP.
    const db = data.pods.indexOf('app1-ns/db-sts-0');
    const backend = data.pods.indexOf('app1-ns/backend-5f8b6');
    const why = data.probes[0]?.denied.find((d) => d[0] === db && d[1] === backend);
    expect(data.strings[why?.[2] as number]).toMatch(/^drop-(egress|ingress)-default-deny$/);
    expect(`${data.strings[why?.[3] as number]} ${data.strings[why?.[4] as number]}`).toContain('isolated by');
  });

  it('matrix report - every output format is byte-identical with and without --report', async () => {
    for (const output of ['table', 'json', 'csv', 'md']) {
      const plain = await runCli([...ARGS, '-o', output]);
      const withReport = await runCli([...ARGS, '-o', output, '--report', join(root, `m-${output}.html`)]);
      expect(withReport.code).toBe(plain.code);
      expect(withReport.stdout).toBe(plain.stdout);
      expect(withReport.stderr).toBe(plain.stderr);
    }
  });

  it('matrix report - an unwritable path is a usage error', async () => {
    const run = await runCli([...ARGS, '--report', join(root, 'no', 'such', 'dir', 'm.html')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('matrix: cannot write the report');
  });
});
