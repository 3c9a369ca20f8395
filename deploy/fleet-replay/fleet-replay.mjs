#!/usr/bin/env node
/**
 * Entry point of the fleet replay image (deploy/fleet-replay/README.md). Plain Node, no shell:
 * the image is distroless. Runs the netpol-emu CLI in-process (dist/src/index.js) in one of
 * four modes, configured by environment variables (the Job's ConfigMap):
 *
 *   split   FLEET_CAPTURE (one big capture) → FLEET_CAPTURES/part-N.pcap, FLEET_CHUNKS parts
 *           cut by connection (`netpol-emu split --by flow`), for an Indexed Job of that size.
 *   replay  the capture with index FLEET_INDEX (default: the Job's JOB_COMPLETION_INDEX) among
 *           the sorted *.pcap/*.pcapng files of FLEET_CAPTURES, against FLEET_CLUSTER (the
 *           `snapshot`), with FLEET_REPLAY_ARGS → FLEET_OUT/<name>.summary.json and
 *           <name>.flows.jsonl. Written under a temporary name and renamed when complete, so a
 *           retried pod overwrites and `merge` never reads half a file.
 *   merge   every FLEET_OUT/*.summary.json and *.flows.jsonl → merged.summary.json/.txt and
 *           merged.flows.jsonl, merged.flows-summary.json; with FLEET_EXPECT=N, fails unless N
 *           parts are there (a missing index must not pass as a smaller fleet).
 *   cli     the remaining arguments are a netpol-emu command line (e.g. `cli snapshot -A ...`).
 *
 * Exit status: 0 done (a truncated capture is replayed up to the cut, and its summary says so:
 * exit 0 with a warning, since a retry cannot do better); 2 configuration error (bad variable,
 * no capture for this index); 3 invalid cluster or part; anything else the CLI's code.
 */
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const { cli } = await import(resolve(here, '../../dist/src/index.js'));

const env = process.env;
const CAPTURE_FILE = /\.(pcap|pcapng|cap)$/;

function fail(message, code = 2) {
  process.stderr.write(`fleet-replay: ${message}\n`);
  process.exit(code);
}

/** Runs the CLI, returning its exit code and what it printed to stdout (stderr passes through). */
async function run(argv) {
  let stdout = '';
  const code = await cli(argv, {
    stdout: { write: (text) => (stdout += text) },
    stderr: { write: (text) => process.stderr.write(text) },
    env,
  });
  return { code, stdout };
}

function words(text) {
  return (text ?? '').split(/\s+/).filter(Boolean);
}

function captures(dir) {
  try {
    return readdirSync(dir).filter((f) => CAPTURE_FILE.test(f)).sort();
  } catch (error) {
    return fail(`cannot list FLEET_CAPTURES=${dir}: ${error.message}`);
  }
}

function writeAtomically(path, text) {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

async function split() {
  const capture = env.FLEET_CAPTURE;
  const chunks = env.FLEET_CHUNKS ?? '2';
  if (!capture) fail('split: set FLEET_CAPTURE to the capture to cut');
  if (!/^\d+$/.test(chunks) || Number(chunks) < 1) fail(`split: FLEET_CHUNKS must be a positive integer, got ${JSON.stringify(chunks)}`);
  const outDir = env.FLEET_CAPTURES ?? '/data/captures';
  const { code, stdout } = await run(['split', capture, '-o', outDir, '--parts', chunks]);
  process.stdout.write(stdout);
  return code;
}

async function replay() {
  const indexText = env.FLEET_INDEX ?? env.JOB_COMPLETION_INDEX;
  if (indexText === undefined || !/^\d+$/.test(indexText)) fail(`replay: FLEET_INDEX or JOB_COMPLETION_INDEX must be a non-negative integer, got ${JSON.stringify(indexText)}`);
  const dir = env.FLEET_CAPTURES ?? '/data/captures';
  const files = captures(dir);
  const file = files[Number(indexText)];
  if (file === undefined) fail(`replay: index ${indexText} but ${dir} holds ${files.length} capture(s); set the Job's completions to ${files.length}`);
  const cluster = env.FLEET_CLUSTER ?? '/data/cluster.yaml';
  const outDir = env.FLEET_OUT ?? '/data/out';
  mkdirSync(outDir, { recursive: true });
  const name = basename(file).replace(CAPTURE_FILE, '');
  const flows = join(outDir, `${name}.flows.jsonl`);
  const argv = ['replay', join(dir, file), '-f', cluster, '-o', 'json', '--flows', `${flows}.tmp`, ...words(env.FLEET_REPLAY_ARGS)];
  process.stderr.write(`fleet-replay: index ${indexText}: netpol-emu ${argv.join(' ')}\n`);
  const { code, stdout } = await run(argv);
  if (code !== 0 && code !== 4) {
    rmSync(`${flows}.tmp`, { force: true });
    return code;
  }
  if (code === 4) process.stderr.write(`fleet-replay: ${file} could not be read to the end; its summary covers the records before the problem (capture.end)\n`);
  renameSync(`${flows}.tmp`, flows);
  writeAtomically(join(outDir, `${name}.summary.json`), stdout);
  return 0;
}

async function merge() {
  const outDir = env.FLEET_OUT ?? '/data/out';
  let names;
  try {
    names = readdirSync(outDir);
  } catch (error) {
    return fail(`merge: cannot list FLEET_OUT=${outDir}: ${error.message}`);
  }
  const parts = names.filter((f) => f.endsWith('.summary.json') && !f.startsWith('merged.')).sort();
  const logs = names.filter((f) => f.endsWith('.flows.jsonl') && !f.startsWith('merged.')).sort();
  const expected = env.FLEET_EXPECT;
  if (expected !== undefined && expected !== '' && (parts.length !== Number(expected) || logs.length !== Number(expected))) {
    fail(`merge: expected ${expected} parts in ${outDir}, found ${parts.length} summaries and ${logs.length} flow logs`, 3);
  }
  if (parts.length === 0) fail(`merge: no *.summary.json in ${outDir}`);
  const summaries = parts.map((f) => join(outDir, f));
  const json = await run(['merge', ...summaries, '-o', 'json']);
  if (json.code !== 0) return json.code;
  writeAtomically(join(outDir, 'merged.summary.json'), json.stdout);
  const text = await run(['merge', ...summaries]);
  if (text.code !== 0) return text.code;
  writeAtomically(join(outDir, 'merged.summary.txt'), text.stdout);
  const flows = await run(['merge', '--flows', ...logs.map((f) => join(outDir, f)), '-o', 'json', '--flows-out', join(outDir, 'merged.flows.jsonl')]);
  if (flows.code !== 0) return flows.code;
  writeAtomically(join(outDir, 'merged.flows-summary.json'), flows.stdout);
  process.stdout.write(text.stdout);
  return 0;
}

const [mode = 'replay', ...rest] = process.argv.slice(2);
let code;
if (mode === 'split') code = await split();
else if (mode === 'replay') code = await replay();
else if (mode === 'merge') code = await merge();
else if (mode === 'cli') {
  const result = await run(rest);
  process.stdout.write(result.stdout);
  code = result.code;
} else fail(`unknown mode ${JSON.stringify(mode)}: split, replay, merge or cli`);
process.exit(code);
