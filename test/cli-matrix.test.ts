import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';

const CLUSTER = 'test/fixtures/clusters/two-tier';

describe('cli matrix', () => {
  it('matrix - json has exactly the documented shape', async () => {
    const run = await runCli(['matrix', '-f', CLUSTER, '-o', 'json', '--probe', '5678/TCP', '--probe', '80/TCP']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      pods: ['app1-ns/be', 'app1-ns/fe'],
      probes: [
        { port: 5678, protocol: 'TCP', matrix: { 'app1-ns/be': { 'app1-ns/be': true, 'app1-ns/fe': true }, 'app1-ns/fe': { 'app1-ns/be': true, 'app1-ns/fe': true } } },
        { port: 80, protocol: 'TCP', matrix: { 'app1-ns/be': { 'app1-ns/be': true, 'app1-ns/fe': true }, 'app1-ns/fe': { 'app1-ns/be': false, 'app1-ns/fe': true } } },
      ],
    });
  });

  it('matrix - table marks denied cells with X, rows are sources', async () => {
    const run = await runCli(['matrix', '-f', CLUSTER]);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('80/TCP  (rows: from, columns: to; . allowed, X denied)');
    expect(lines.find((l) => l.includes('app1-ns/fe'))).toMatch(/1 app1-ns\/fe\s+X \.$/);
    expect(lines.find((l) => l.includes('app1-ns/be'))).toMatch(/0 app1-ns\/be\s+\. \.$/);
  });

  it('matrix - csv has one row per cell', async () => {
    const run = await runCli(['matrix', '-f', CLUSTER, '-o', 'csv']);
    expect(run.stdout.trim().split('\n')).toEqual([
      'from,to,port,protocol,allowed',
      'app1-ns/be,app1-ns/be,80,TCP,true',
      'app1-ns/be,app1-ns/fe,80,TCP,true',
      'app1-ns/fe,app1-ns/be,80,TCP,false',
      'app1-ns/fe,app1-ns/fe,80,TCP,true',
    ]);
  });

  it('matrix - md renders a table per probe', async () => {
    const run = await runCli(['matrix', '-f', CLUSTER, '-o', 'md', '--probe', 'ICMP']);
    expect(run.stdout).toContain('### ICMP');
    expect(run.stdout).toContain('| 1 `app1-ns/fe` | ✗ | ✓ |');
  });

  it('matrix - bad probe is a usage error', async () => {
    const run = await runCli(['matrix', '-f', CLUSTER, '--probe', '80/XTP']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown protocol "XTP"');
  });

  it('matrix - compiled and naive engines agree on the bundled example', async () => {
    const probes = ['--probe', '80/TCP', '--probe', '5678/TCP', '--probe', '3306/TCP', '--probe', '53/UDP', '--probe', '8125/UDP', '--probe', 'ICMP'];
    const compiled = await runCli(['matrix', '-f', 'examples/three-tier', '-o', 'json', '--engine', 'compiled', ...probes]);
    const naive = await runCli(['matrix', '-f', 'examples/three-tier', '-o', 'json', '--engine', 'naive', ...probes]);
    expect(compiled.code).toBe(0);
    expect(JSON.parse(compiled.stdout)).toEqual(JSON.parse(naive.stdout));
    const m = JSON.parse(compiled.stdout).probes[1].matrix;
    expect(m['app1-ns/frontend-7c9d5']['app1-ns/backend-5f8b6']).toBe(true);
    expect(m['app1-ns/db-sts-0']['app1-ns/backend-5f8b6']).toBe(false);
  });
});
