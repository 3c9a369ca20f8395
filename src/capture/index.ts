/**
 * Capture input/output, the edge layer that touches files and stdin (STYLE.md §1). Contract:
 * readers hand out ONE reused `CaptureRecord` per read, synchronously, valid until the callback
 * returns (copy the bytes to keep them); a read always ends in a typed `CaptureEnd` (complete,
 * stopped, truncated, corrupt, unsupported, read-failed) with the records delivered and the byte
 * offset — bad captures are results, never exceptions. Only a callback's own exception propagates.
 * Levels: `readCapture` (one-shot), `openCapture().forEach` (reader), `CaptureParser` (push/end).
 */
export { CaptureParser, MAX_PCAPNG_BLOCK_BYTES, MAX_PLAUSIBLE_CAPLEN_BYTES } from './capture-parser.js';
export {
  CaptureRecord,
  describeLinkType,
  isCleanEnd,
  LINK_TYPE_NAMES,
  type CaptureEnd,
  type CaptureEndKind,
  type CaptureFormat,
  type RecordCallback,
} from './capture-record.js';
export { DEFAULT_CHUNK_BYTES, openCapture, readCapture, type CaptureReader, type OpenCaptureOptions } from './open-capture.js';
export { PcapWriter, type PcapWriterOptions } from './pcap-writer.js';
export { openCaptureWithPcapParser } from './read-with-pcap-parser.js';
