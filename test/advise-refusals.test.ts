/**
 * `advise` allows only the connections that worked, on a capture recorded in network namespaces
 * (scripts/record-refusals.sh, test/fixtures/advise/): the kernels there answered a TCP SYN to a
 * closed port with a RST, UDP to a closed port with ICMP / ICMPv6 port unreachable, SCTP INITs
 * with an ABORT and with ICMP protocol unreachable, and a firewall dropped TCP and UDP silently.
 * The expected sets below are what the recording script did (tcpdump -nr shows each answer).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliRun } from './helpers/run-cli.js';
import { flowKey, replayFlowLines, type AdviceJson } from './helpers/advise-flows.js';

const DIR = 'test/fixtures/advise';
const CAPTURE = join(DIR, 'refusals.pcap');
const CLUSTER = ['-f', join(DIR, 'cluster.yaml')];

const root = mkdtempSync(join(tmpdir(), 'netpol-advise-refusals-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** `PROTO dst:port answer` of each connection, sorted. */
const summary = (list: AdviceJson['allowed']): string[] => list.map((c) => `${c.protocol} ${c.dst}:${c.port ?? '-'} ${c.answer}`).sort();

const WORKED = [
  'ICMP 10.244.1.10:- reply', // echo from db to the client
  'SCTP 10.244.2.20:3868 handshake',
  'TCP 10.244.2.20:5432 handshake',
  'TCP 10.244.2.20:7000 mid-stream',
  'TCP fd00:244:2::20:5432 handshake',
  'UDP 10.244.2.20:5353 reply',
];
const REFUSED = [
  'SCTP 10.244.2.20:3869 reset',
  'SCTP 10.244.3.30:3868 unreachable',
  'TCP 10.244.2.20:6379 reset',
  'TCP 10.244.3.30:11211 no-answer',
  'UDP 10.244.2.20:9999 unreachable',
  'UDP 10.244.3.30:8125 no-answer',
  'UDP fd00:244:2::20:9999 unreachable',
];

let json: CliRun;
let advice: AdviceJson;
const out = join(root, 'advice');

beforeAll(async () => {
  json = await runCli(['advise', CAPTURE, ...CLUSTER, '-o', 'json', '--dir', out]);
  advice = JSON.parse(json.stdout) as AdviceJson;
});

describe('advise - refusals recorded in namespaces', () => {
  it('advise - allows exactly the connections that worked and lists each refusal with why', () => {
    expect(json.code, json.stderr).toBe(0);
    expect(advice.version).toBe(1);
    expect(summary(advice.allowed)).toEqual(WORKED);
    expect(summary(advice.refused)).toEqual(REFUSED);
    expect(advice.connections).toEqual({ total: 13, worked: 6, refused: 7, notConnections: 0 });
    const why = new Map(advice.refused.map((c) => [`${c.protocol} ${c.dst}:${c.port}`, c.why]));
    expect(why.get('TCP 10.244.2.20:6379')).toBe('refused: answered by RST');
    expect(why.get('UDP 10.244.2.20:9999')).toBe('refused: answered by ICMP destination unreachable');
    expect(why.get('UDP fd00:244:2::20:9999')).toBe('refused: answered by ICMPv6 destination unreachable');
    expect(why.get('SCTP 10.244.2.20:3869')).toBe('refused: answered by ABORT');
    expect(why.get('TCP 10.244.3.30:11211')).toBe('refused: no answer');
  });

  it('advise - the rules name only the ports that worked; the comments list the refused', () => {
    const db = advice.policies.find((p) => p.name === 'advised-db');
    const ports = (db?.manifest.spec.ingress ?? []).flatMap((r) => r.ports ?? []).map((p) => `${p.protocol}/${p.port}`).sort();
    expect(ports).toEqual(['SCTP/diameter', 'TCP/7000', 'TCP/postgres', 'UDP/mdns']);
    // The cache answered nothing that worked: isolated, no rule.
    const cache = advice.policies.find((p) => p.name === 'advised-cache');
    expect(cache?.manifest.spec.ingress).toEqual([]);
    const yaml = readFileSync(join(out, 'shop.yaml'), 'utf8');
    expect(yaml).toContain('#   shop/client-5d9f7-abcde -> shop/db-0 TCP/6379: refused: answered by RST');
    expect(yaml).toContain('#   shop/client-5d9f7-abcde -> shop/cache-0 UDP/8125: refused: no answer');
    expect(yaml).toMatch(/# refused, not allowed \(7\):/);
    expect(db?.file).toBe(join(out, 'shop.yaml'));
  });

  it('advise - the proof replay allows every working connection and denies every refused one', () => {
    expect(advice.proof).toMatchObject({ worked: 6, workedAllowed: 6, workedDenied: [], workedBeyondPolicy: [], refused: 7, refusedDenied: 7, refusedAllowed: [], holds: true });
  });

  it('advise - an independent replay against the cluster plus the advice agrees', async () => {
    const verdicts = new Map((await replayFlowLines([CAPTURE, ...CLUSTER, '-f', out])).map((f) => [flowKey(f), f.verdict]));
    for (const c of advice.allowed) expect(verdicts.get(c.connection), c.connection).toBe('allowed');
    for (const c of advice.refused) expect(verdicts.get(c.connection), c.connection).toBe('denied');
  });

  it('advise - the text report lists the refusals and the proof', async () => {
    const run = await runCli(['advise', CAPTURE, ...CLUSTER]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('advise: 13 connections in test/fixtures/advise/refusals.pcap (6 worked, 7 refused; 0 records were not connections)');
    expect(run.stderr).toContain('refused, not allowed (7):');
    for (const c of advice.refused) expect(run.stderr).toContain(`  ${c.connection}: ${c.why}`);
    expect(run.stderr).toContain('connections that worked, allowed: 6 of 6');
    expect(run.stderr).toContain('refused connections, denied: 7 of 7');
    expect(run.stdout).toContain('kind: "NetworkPolicy"');
  });

  it('advise - --allow-unanswered-udp allows the silent UDP only', async () => {
    const run = await runCli(['advise', CAPTURE, ...CLUSTER, '-o', 'json', '--allow-unanswered-udp']);
    expect(run.code, run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout) as AdviceJson;
    expect(summary(doc.allowed)).toEqual([...WORKED, 'UDP 10.244.3.30:8125 one-way'].sort());
    expect(summary(doc.refused)).toEqual(REFUSED.filter((r) => !r.startsWith('UDP 10.244.3.30:8125')));
    const cache = doc.policies.find((p) => p.name === 'advised-cache');
    expect((cache?.manifest.spec.ingress ?? []).flatMap((r) => r.ports ?? [])).toEqual([{ protocol: 'UDP', port: 8125 }]);
    expect(doc.proof.holds).toBe(true);
  });

  it('advise - a capture on standard input is spooled once and the spool removed', async () => {
    const spoolRoot = mkdtempSync(join(root, 'tmp-'));
    const before = process.env['TMPDIR'];
    process.env['TMPDIR'] = spoolRoot;
    let reads = 0;
    const bytes = readFileSync(CAPTURE);
    // One pass over the bytes, in two chunks; a second read would find the stream ended.
    const stdin = Readable.from((function* () {
      reads++;
      yield bytes.subarray(0, 100);
      yield bytes.subarray(100);
    })());
    try {
      const run = await runCli(['advise', '-', ...CLUSTER, '-o', 'json'], {}, stdin);
      expect(run.code, run.stderr).toBe(0);
      const doc = JSON.parse(run.stdout) as AdviceJson;
      expect(doc.capture).toBe('<stdin>');
      expect(summary(doc.allowed)).toEqual(WORKED);
      expect(summary(doc.refused)).toEqual(REFUSED);
      expect(doc.proof).toEqual(advice.proof);
    } finally {
      if (before === undefined) delete process.env['TMPDIR'];
      else process.env['TMPDIR'] = before;
    }
    expect(reads).toBe(1);
    expect(readdirSync(spoolRoot)).toEqual([]);
  });
});
