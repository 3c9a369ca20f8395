/**
 * `npm run check:kernel -- …`: the emulator against the Linux kernel, frame by frame
 * (docs/kernel-check.md).
 *
 *   check:kernel -f CLUSTER... CAPTURE... [--timeline FILE] [--shape S | --cni P] [--details N]
 *   check:kernel --synth SEEDS [--pods N] [--flows N] [--shape S | --cni P]
 *
 * SEEDS is `1-50` or `1,4,9`. Exit status: 0 no disagreement, 1 disagreements, 2 bad usage or a
 * rendering the kernel refused, 3 the machine cannot run it (not root, no namespaces, tools).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cli, loadCluster, loadTimeline, type Cluster, type LoadResult } from '../../src/index.js';
import { destroyAllLabs } from './build-lab.js';
import { checkCapture, formatCheckResult, type KernelCheckResult, type KernelRenderer } from './check-capture.js';
import { kernelCheckUnavailable } from './check-environment.js';
import { findRenderer, KERNEL_RENDERERS } from './kernel-renderers.js';

function usage(message: string): never {
  process.stderr.write(`check:kernel: ${message}\n`);
  process.exit(2);
}

function parseSeeds(text: string): number[] {
  const seeds: number[] = [];
  for (const part of text.split(',')) {
    const range = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!range) usage(`--synth ${JSON.stringify(text)}: give seeds as 1-50 or 1,4,9`);
    const from = Number(range[1]);
    const to = range[2] === undefined ? from : Number(range[2]);
    for (let s = from; s <= to; s++) seeds.push(s);
  }
  return seeds;
}

async function loadOrFail(paths: readonly string[]): Promise<LoadResult> {
  const loaded = await loadCluster({ paths });
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) usage(`${paths.join(', ')}: the cluster has ${errors.length} error(s); check it with 'netpol-emu compile -f …'`);
  return loaded;
}

/** A `synth` cluster and capture (dual-stack), written by the CLI itself. */
async function synthCase(seed: number, pods: number, flows: number, dir: string): Promise<{ cluster: Cluster; capture: string }> {
  const out = join(dir, `seed-${seed}`);
  const capture = join(dir, `seed-${seed}.pcap`);
  const sink = { write: () => true };
  const code = await cli(['synth', '--seed', String(seed), '--pods', String(pods), '--dual-stack', '-o', out, '--flows', String(flows), '--pcap', capture, '--deny-share', '0.3'], { stdout: sink, stderr: sink, env: {} });
  if (code !== 0) throw new Error(`synth --seed ${seed} failed with exit status ${code}`);
  return { cluster: (await loadOrFail([out])).cluster, capture };
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      file: { type: 'string', short: 'f', multiple: true },
      synth: { type: 'string' },
      pods: { type: 'string' },
      flows: { type: 'string' },
      shape: { type: 'string' },
      cni: { type: 'string' },
      details: { type: 'string' },
      timeline: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`Usage: npm run check:kernel -- -f CLUSTER... CAPTURE... [--timeline FILE] [--shape S | --cni P] [--details N]
       npm run check:kernel -- --synth SEEDS [--pods N] [--flows N] [--shape S | --cni P]
Shapes: ${KERNEL_RENDERERS.map((r) => `${r.shape} (--cni ${r.profile})`).join(', ')}. See docs/kernel-check.md.
`);
    return 0;
  }
  const name = values.shape ?? values.cni ?? 'calico-iptables';
  const renderer: KernelRenderer | null = findRenderer(name);
  if (!renderer) usage(`no kernel rendering for ${JSON.stringify(name)}; one of ${KERNEL_RENDERERS.map((r) => r.shape).join(', ')}`);
  const details = values.details === undefined ? 10 : Number(values.details);
  if (values.synth === undefined && (values.file === undefined || positionals.length === 0)) usage('give -f CLUSTER and a capture, or --synth SEEDS (see --help)');
  const unavailable = kernelCheckUnavailable();
  if (unavailable !== null) {
    process.stderr.write(`check:kernel: cannot run here: ${unavailable}\n`);
    return 3;
  }
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      destroyAllLabs();
      process.exit(130);
    });
  }
  process.on('exit', destroyAllLabs);
  // A reader that stops early (`| head`) ends the check quietly; the exit handler cleans up.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => process.exit(error.code === 'EPIPE' ? 0 : 2));
  const started = performance.now();
  const results: KernelCheckResult[] = [];
  const report = (r: KernelCheckResult): void => {
    results.push(r);
    process.stdout.write(formatCheckResult(r));
  };
  if (values.file !== undefined) {
    const loaded = await loadOrFail(values.file);
    const timeline = values.timeline === undefined ? {} : { timeline: { events: loadTimeline(values.timeline), objects: loaded.objects } };
    for (const capture of positionals) report(await checkCapture(loaded.cluster, capture, renderer, { counterDetails: details, ...timeline }));
  }
  if (values.synth !== undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'npek-synth-'));
    try {
      for (const seed of parseSeeds(values.synth)) {
        const { cluster, capture } = await synthCase(seed, Number(values.pods ?? 40), Number(values.flows ?? 200), dir);
        const r = await checkCapture(cluster, capture, renderer, { counterDetails: details });
        report({ ...r, capture: `synth --seed ${seed}` });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const frames = results.reduce((n, r) => n + r.compared, 0);
  const disagreements = results.reduce((n, r) => n + r.disagreements.length, 0);
  process.stdout.write(`check:kernel: ${results.length} capture(s), ${frames} frames compared, ${disagreements} disagreement(s), ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  return disagreements === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    destroyAllLabs();
    process.stderr.write(`check:kernel: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
