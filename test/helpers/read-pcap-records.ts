/**
 * Test-only classic pcap walker (the real capture reader lives elsewhere): both byte orders,
 * µs and ns magics; returns each record's offset and lengths into the file buffer.
 */

export interface PcapRecord {
  offset: number;
  capturedLength: number;
  wireLength: number;
}

export interface PcapFile {
  linkType: number;
  records: PcapRecord[];
}

export function readPcapRecords(file: Uint8Array): PcapFile {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const magic = view.getUint32(0, false);
  let littleEndian: boolean;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) littleEndian = false;
  else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) littleEndian = true;
  else throw new Error(`not a classic pcap file (magic ${magic.toString(16)})`);
  // Low 16 bits: the upper bits carry the FCS length flags.
  const linkType = view.getUint32(20, littleEndian) & 0xffff;
  const records: PcapRecord[] = [];
  let at = 24;
  while (at + 16 <= file.length) {
    const capturedLength = view.getUint32(at + 8, littleEndian);
    const wireLength = view.getUint32(at + 12, littleEndian);
    if (at + 16 + capturedLength > file.length) throw new Error(`record at ${at} runs past the end of the file`);
    records.push({ offset: at + 16, capturedLength, wireLength });
    at += 16 + capturedLength;
  }
  return { linkType, records };
}
