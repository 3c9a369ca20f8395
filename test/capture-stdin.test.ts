import { describe, it, expect, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { expectedFor, fixtureBytes, fixturePath, readAll } from './capture-helpers.js';

const CAPTURE_SRC = fileURLToPath(new URL('../src/capture/', import.meta.url));

/** The reader transpiled to plain JS in a temp dir, so a real `node` child can read a real pipe. */
let runner = '';
beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'npcap-stdin-'));
  for (const name of ['capture-record', 'capture-parser', 'open-capture']) {
    const source = readFileSync(join(CAPTURE_SRC, `${name}.ts`), 'utf8');
    const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } });
    writeFileSync(join(dir, `${name}.js`), js.outputText);
  }
  runner = join(dir, 'runner.mjs');
  writeFileSync(
    runner,
    [
      "import { openCapture } from './open-capture.js';",
      "const reader = await openCapture('-');",
      'const times = [];',
      'const end = await reader.forEach((r) => { times.push(`${r.tsSec}.${String(r.tsNsec).padStart(9, "0")}`); });',
      'process.stdout.write(JSON.stringify({ end, times }));',
    ].join('\n'),
  );
});

function runPiped(shellInput: string): { end: { kind: string; records: number; byteOffset: number }; times: string[] } {
  const out = spawnSync('sh', ['-c', `${shellInput} | node ${runner}`], { encoding: 'utf8', timeout: 30_000 });
  expect(out.status, out.stderr).toBe(0);
  return JSON.parse(out.stdout) as { end: { kind: string; records: number; byteOffset: number }; times: string[] };
}

describe('capture stdin', () => {
  it("openCapture - '-' reads a pcapng piped through cat in a child process", () => {
    const file = 'mixed-eth-sll.pcapng';
    const { end, times } = runPiped(`cat ${fixturePath(file)}`);
    expect(end).toMatchObject({ kind: 'complete', records: expectedFor(file).count });
    expect(times).toEqual(expectedFor(file).packets.map((p) => p.time));
  });

  it("openCapture - '-' on a stream cut mid-record (head -c) delivers the whole records and reports truncated", () => {
    const bytes = fixtureBytes('eth-usec.pcap');
    const { end, times } = runPiped(`head -c 1000 ${fixturePath('eth-usec.pcap')}`);
    let p = 24;
    let whole = 0;
    while (p + 16 <= 1000 && p + 16 + bytes.readUInt32LE(p + 8) <= 1000) {
      p += 16 + bytes.readUInt32LE(p + 8);
      whole++;
    }
    expect(end).toMatchObject({ kind: 'truncated', records: whole, byteOffset: p });
    expect(times).toEqual(expectedFor('eth-usec.pcap').packets.slice(0, whole).map((q) => q.time));
  });

  it('openCapture - a Readable delivering odd-sized chunks gives the same packets as the file', async () => {
    const file = 'two-sections.pcapng';
    const bytes = fixtureBytes(file);
    const stream = new PassThrough();
    const fromStream = readAll(stream);
    for (let at = 0; at < bytes.length; at += 333) stream.write(Buffer.from(bytes.subarray(at, at + 333)));
    stream.end();
    const a = await fromStream;
    const b = await readAll(fixturePath(file));
    expect(a.end).toEqual(b.end);
    expect(a.packets).toEqual(b.packets);
  });

  it('openCapture - a stream that fails mid-way ends read-failed with the records before it', async () => {
    const bytes = fixtureBytes('eth-usec.pcap');
    async function* failing(): AsyncGenerator<Buffer> {
      yield bytes.subarray(0, 2000);
      throw new Error('EIO: simulated read error');
    }
    const { end, packets } = await readAll(Readable.from(failing()));
    expect(end.kind).toBe('read-failed');
    expect(end.message).toContain('EIO');
    expect(end.records).toBe(packets.length);
    expect(packets.length).toBeGreaterThan(0);
  });
});
