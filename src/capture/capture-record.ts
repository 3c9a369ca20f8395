/**
 * The reused record every capture reader hands out, and the typed result that says how a read
 * ended. One `CaptureRecord` lives for a whole read: each packet overwrites it, so nothing read
 * from it (including `buffer`) is valid after the callback that received it returns. Copy the
 * bytes (`buffer.subarray(offset, offset + capturedLength)` then `Buffer.from`) to keep them.
 * Numbers only, every field set in the constructor: one hidden class, no allocation per packet.
 */

/** 'jsonl': a JSONL flow file (replay --flows-in), whose frames are built from the lines; 'hubble': a Hubble flow export, likewise. */
export type CaptureFormat = 'pcap' | 'pcapng' | 'jsonl' | 'hubble';

export class CaptureRecord {
  /** Holds the frame at `offset`; owned by the reader, overwritten after the callback returns. */
  buffer: Buffer = EMPTY;
  /** Byte offset of the first link-layer byte inside `buffer`. */
  offset = 0;
  /** Bytes present in `buffer` (caplen). */
  capturedLength = 0;
  /** Length of the frame on the wire (origlen); may exceed `capturedLength` with a small snaplen. */
  wireLength = 0;
  /**
   * Seconds since the epoch. Two numbers instead of one because ns since the epoch exceed 2^53
   * (CAPTURES.md "Timestamps"). Delivered as recorded: they may go backwards.
   */
  tsSec = 0;
  /** 0..999,999,999 nanoseconds within `tsSec` (µs sources are multiplied by 1000). */
  tsNsec = 0;
  /** LINKTYPE_* of the interface (1 Ethernet, 113 LINUX_SLL, 276 LINUX_SLL2...), low 16 bits only. */
  linkType = 0;
  /** pcapng interface id, local to its section as the format and tshark count them; 0 for pcap. */
  interfaceId = 0;
  /** 0-based pcapng section (one per SHB); 0 for pcap. */
  sectionIndex = 0;
  /** Snap length of the interface; 0 means unlimited (pcapng). */
  snapLength = 0;
  /** FCS bytes at the end of each frame when the file says so (pcap P bit, pcapng if_fcslen), else 0. */
  fcsLength = 0;
  /** True when the interface records timestamps finer than a microsecond (a writer keeps ns then). */
  nanosecondResolution = false;
  /** Byte offset of the record header (pcap) or block (pcapng) in the input. */
  fileOffset = 0;
  /** 0-based number of this record among those delivered. */
  index = 0;
  /**
   * The Service endpoint the packet went to when the input knows it and the packet is to the
   * frontend (a Hubble export's post-DNAT observation: read-hubble-flows.ts); the replay follows
   * it (Dataplane.followEndpoint). `endpointPort` -1: none (captures never set it).
   */
  readonly endpoint = new Uint32Array(4);
  endpointPort = -1;
}

const EMPTY = Buffer.alloc(0);

/** Why a read stopped. `complete` and `stopped` are success; the others carry a message. */
export type CaptureEndKind =
  /** Every byte of the input was read and every record delivered. */
  | 'complete'
  /** The callback returned `false`: the caller asked to stop. */
  | 'stopped'
  /** The input ended inside a header or record: every whole record before it was delivered. */
  | 'truncated'
  /** A header, block or record cannot be right (bad length, impossible caplen, bad magic inside a section). */
  | 'corrupt'
  /** Not a capture format this reader handles (unknown magic, pcapng version 2, ns pcap for pcap-parser...). */
  | 'unsupported'
  /** The input could not be opened or read (ENOENT, EISDIR, EIO...). */
  | 'read-failed';

export interface CaptureEnd {
  readonly kind: CaptureEndKind;
  /** Records delivered to the callback. */
  readonly records: number;
  /** Bytes of the input consumed by whole records and headers. */
  readonly bytesRead: number;
  /**
   * Where the problem is: the offset of the truncated or corrupt header/record/block, or of the
   * first byte not read; equals `bytesRead` for `complete`.
   */
  readonly byteOffset: number;
  /** Format detected from the magic, or null when it could not be detected. */
  readonly format: CaptureFormat | null;
  /** One sentence naming the problem and the byte offset; null for `complete` and `stopped`. */
  readonly message: string | null;
}

/** True for the kinds that mean the capture was read as far as the caller wanted. */
export function isCleanEnd(end: CaptureEnd): boolean {
  return end.kind === 'complete' || end.kind === 'stopped';
}

/** Return `false` to stop reading; any other return value continues. */
export type RecordCallback = (record: CaptureRecord) => boolean | void;

/** Names of the link types Kubernetes captures carry (CAPTURES.md "Link types"), for messages. */
export const LINK_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'NULL',
  1: 'ETHERNET',
  101: 'RAW',
  108: 'LOOP',
  113: 'LINUX_SLL',
  228: 'IPV4',
  229: 'IPV6',
  276: 'LINUX_SLL2',
};

export function describeLinkType(linkType: number): string {
  const name = LINK_TYPE_NAMES[linkType];
  return name === undefined ? `link type ${linkType}` : `link type ${linkType} (${name})`;
}
