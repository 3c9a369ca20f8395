import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { decodeFrame } from '../dataplane/decode/decode-frame.js';
import { DecodeStatus, PacketMeta } from '../dataplane/packet-meta.js';
import { ipv4Word, ipv6Words } from './helpers/build-frame.js';
import { readPcapRecords } from './helpers/read-pcap-records.js';

/** One frame as tshark dissected it (make-expected.mjs); absent keys are not compared. */
interface Expected {
  frame: number;
  status: keyof typeof DecodeStatus;
  capturedLength: number;
  wireLength: number;
  l4?: boolean;
  src?: string;
  dst?: string;
  innerSrc?: string;
  innerDst?: string;
  [field: string]: unknown;
}

const FIXTURES = join(import.meta.dirname, 'fixtures', 'decode');
const ADDRESS_KEYS = new Set(['src', 'dst', 'innerSrc', 'innerDst']);
const COMPARED_AS_IS = [
  'capturedLength', 'wireLength', 'pktType', 'ifIndex', 'vlanCount', 'vlanId', 'ipVersion', 'ttl', 'ipLength', 'protocol',
  'isFragment', 'fragmentOffset', 'moreFragments', 'fragmentId', 'srcPort', 'dstPort', 'tcpFlags', 'tcpSeq', 'tcpAck',
  'tcpWindow', 'payloadLength', 'icmpType', 'icmpCode', 'icmpId', 'hasInner', 'innerIpVersion', 'innerProtocol',
  'innerSrcPort', 'innerDstPort', 'innerIcmpType', 'innerIcmpId',
] as const;

function words(address: string, version: number): number[] {
  return version === 4 ? [ipv4Word(address), 0, 0, 0] : ipv6Words(address);
}

/** The decoded fields in the expectation's shape, for one readable diff per frame. */
function actualFor(expected: Expected, status: DecodeStatus, meta: PacketMeta): Record<string, unknown> {
  const statusName = (Object.keys(DecodeStatus) as (keyof typeof DecodeStatus)[]).find((k) => DecodeStatus[k] === status);
  const actual: Record<string, unknown> = { frame: expected.frame, status: statusName };
  for (const key of COMPARED_AS_IS) if (key in expected) actual[key] = meta[key];
  if ('l4' in expected) actual.l4 = meta.l4Offset >= 0;
  return actual;
}

const captures = readdirSync(FIXTURES).filter((name) => name.endsWith('.pcap')).sort();

describe('decodeFrame on real captures', () => {
  it('decodeFrame - the fixture folder holds the captures the README lists', () => {
    expect(captures.length).toBeGreaterThanOrEqual(10);
  });

  for (const name of captures) {
    it(`decodeFrame - ${name} matches tshark's dissection`, () => {
      const file = new Uint8Array(readFileSync(join(FIXTURES, name)));
      const expectedFrames = JSON.parse(readFileSync(join(FIXTURES, name.replace(/\.pcap$/, '.expected.json')), 'utf8')) as Expected[];
      const { linkType, records } = readPcapRecords(file);
      expect(records.length).toBe(expectedFrames.length);
      const meta = new PacketMeta();
      records.forEach((record, i) => {
        const expected = expectedFrames[i]!;
        const status = decodeFrame(file, record.offset, record.capturedLength, record.wireLength, linkType, meta);
        const { src, dst, innerSrc, innerDst, ...rest } = expected;
        expect(actualFor(expected, status, meta)).toEqual(Object.fromEntries(Object.entries(rest).filter(([k]) => !ADDRESS_KEYS.has(k))));
        if (src !== undefined && dst !== undefined) {
          expect([expected.frame, Array.from(meta.src), Array.from(meta.dst)]).toEqual([expected.frame, words(src, meta.ipVersion), words(dst, meta.ipVersion)]);
        }
        if (innerSrc !== undefined && innerDst !== undefined) {
          expect([expected.frame, Array.from(meta.innerSrc), Array.from(meta.innerDst)]).toEqual([
            expected.frame,
            words(innerSrc, meta.innerIpVersion),
            words(innerDst, meta.innerIpVersion),
          ]);
        }
      });
    });
  }

  it('decodeFrame - the captures cover every link type and header case they were chosen for', () => {
    const seen = new Set<string>();
    const meta = new PacketMeta();
    for (const name of captures) {
      const file = new Uint8Array(readFileSync(join(FIXTURES, name)));
      const { linkType, records } = readPcapRecords(file);
      for (const r of records) {
        const status = decodeFrame(file, r.offset, r.capturedLength, r.wireLength, linkType, meta);
        seen.add(`link ${linkType}`);
        if (status === DecodeStatus.NOT_IP) seen.add('not ip');
        if (meta.vlanCount === 1) seen.add('vlan');
        if (meta.vlanCount === 2) seen.add('qinq');
        if (meta.isFragment) seen.add(meta.fragmentOffset === 0 ? `v${meta.ipVersion} first fragment` : `v${meta.ipVersion} non-first fragment`);
        if (meta.hasInner) seen.add(`icmpv${meta.ipVersion === 4 ? 4 : 6} error inner ${meta.innerProtocol}`);
        if (meta.capturedLength < meta.wireLength) seen.add('snaplen cut');
        if (meta.ipVersion === 6 && meta.l4Offset > meta.l3Offset + 40) seen.add('v6 extension header');
      }
    }
    expect([...seen].sort()).toEqual(
      expect.arrayContaining([
        'link 0', 'link 1', 'link 113', 'link 228', 'link 229', 'link 276', 'not ip', 'vlan', 'qinq',
        'v4 first fragment', 'v4 non-first fragment', 'v6 first fragment', 'v6 non-first fragment',
        'icmpv4 error inner 17', 'icmpv4 error inner 1', 'icmpv6 error inner 17', 'icmpv6 error inner 41',
        'snaplen cut', 'v6 extension header',
      ]),
    );
  });
});
