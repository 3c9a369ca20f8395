/** Writes test frames to a classic pcap file (through the library's PcapWriter) for CLI tests. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapWriter } from '../../src/index.js';

/** One pcap of `frames` of `linkType`, one millisecond apart; returns its path. */
export function writeFrames(frames: readonly Uint8Array[], linkType = 1, name = 'frames.pcap'): string {
  const path = join(mkdtempSync(join(tmpdir(), 'npe-frames-')), name);
  const writer = new PcapWriter(path);
  frames.forEach((frame, i) => writer.appendFrame(frame, 0, frame.length, frame.length, 1_700_000_000, i * 1_000_000, linkType));
  writer.close();
  return path;
}
