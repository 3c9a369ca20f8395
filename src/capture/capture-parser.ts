/**
 * The synchronous, incremental capture parser: `push(chunk)` bytes in any split, `end()` once.
 * Classic pcap (µs and ns, both byte orders) and pcapng (several sections, IDB/EPB/SPB/PB,
 * unknown blocks skipped) are detected from the magic (CAPTURES.md "Formats a reader must handle").
 *
 * Records that lie wholly inside a pushed chunk are handed out in place (no copy); only a record
 * cut by a chunk boundary is copied into a carry buffer, which grows only for a record bigger
 * than it. Memory is therefore the carry (≤ the largest record) plus the caller's chunk, whatever
 * the file size. Every record goes to the callback synchronously inside `push`, through one
 * reused `CaptureRecord`, valid until the callback returns.
 *
 * Bad input never throws: the parser stops at the first problem and `end()` returns a
 * `CaptureEnd` naming the kind, the byte offset and the records delivered before it.
 */
import { CaptureRecord, type CaptureEnd, type CaptureEndKind, type CaptureFormat, type RecordCallback } from './capture-record.js';

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
/** Byte-swapped forms, as read with the other byte order. */
const PCAP_MAGIC_US_SWAPPED = 0xd4c3b2a1;
const PCAP_MAGIC_NS_SWAPPED = 0x4d3cb2a1;
const PCAPNG_SHB_TYPE = 0x0a0d0d0a;
const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;

const PCAP_FILE_HEADER_BYTES = 24;
const PCAP_RECORD_HEADER_BYTES = 16;
/** Type + total length + byte-order magic: enough to know an SHB's byte order and length. */
const PCAPNG_SHB_PREFIX_BYTES = 12;
const PCAPNG_BLOCK_PREFIX_BYTES = 8;
const PCAPNG_MIN_BLOCK_BYTES = 12;

const BLOCK_IDB = 0x00000001;
const BLOCK_PB = 0x00000002;
const BLOCK_SPB = 0x00000003;
const BLOCK_EPB = 0x00000006;

/** libpcap's MAXIMUM_SNAPLEN: caplen above max(snaplen, this) is corrupt (CAPTURES.md). */
export const MAX_PLAUSIBLE_CAPLEN_BYTES = 262_144;
/**
 * Upper bound on a pcapng block: an EPB with the largest plausible caplen plus generous options.
 * Checked before anything is buffered, so a corrupt length cannot make the carry grow to GBs.
 */
export const MAX_PCAPNG_BLOCK_BYTES = 16 * 1024 * 1024;

/** Classic pcap link-type field: bits 16–25 and 27 reserved, bit 26 P, bits 28–31 FCS length in 16-bit words. */
const PCAP_LINKTYPE_RESERVED_MASK = 0x0bff0000;
const PCAP_LINKTYPE_FCS_PRESENT = 0x04000000;

const OPT_ENDOFOPT = 0;
const IF_TSRESOL = 9;
const IF_FCSLEN = 13;
const IF_TSOFFSET = 14;

/** How a pcapng interface's timestamp units become {sec, nsec}; see `setPcapngTime`. */
const TsMode = {
  /** Units of 10^-e (e ≤ 9) or 2^-b (b ≤ 23): exact in doubles by 16-bit long division. */
  DIVIDE: 0,
  /** Anything finer: BigInt per packet (rare resolutions only). */
  BIGINT: 1,
} as const;
type TsMode = (typeof TsMode)[keyof typeof TsMode];

const State = { FILE_HEADER: 0, PCAP: 1, PCAPNG: 2, DONE: 3 } as const;
type State = (typeof State)[keyof typeof State];

function pad4(n: number): number {
  return (n + 3) & ~3;
}

function hex32(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/** Other things people feed a pcap reader, so the message can say what the file is. */
function describeForeignMagic(b: Buffer, off: number, avail: number): string {
  const head = b.subarray(off, off + Math.min(avail, 8));
  const hex = head.toString('hex');
  if (head[0] === 0x1f && head[1] === 0x8b) return `gzip-compressed data (magic ${hex.slice(0, 4)}); decompress it first`;
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return `zstd-compressed data (magic ${hex.slice(0, 8)}); decompress it first`;
  if (head.toString('latin1', 0, 5) === 'snoop') return 'a Sun snoop capture (magic "snoop")';
  const m = avail >= 4 ? b.readUInt32BE(off) : -1;
  if (m === 0xa1b2cd34 || m === 0x34cdb2a1) return `a Kuznetzov "modified pcap" capture (magic ${hex32(m)}); convert it with editcap -F pcap`;
  return `an unknown format (magic ${hex.slice(0, 8) || 'none'})`;
}

export class CaptureParser {
  /** The one record handed to the callback; overwritten for every packet. */
  readonly record = new CaptureRecord();
  private readonly onRecord: RecordCallback;

  private state: State = State.FILE_HEADER;
  private format: CaptureFormat | null = null;
  private littleEndian = true;
  private ending: CaptureEnd | null = null;
  /** File offset of the next unit (file header, record, block) = bytes consumed so far. */
  private consumed = 0;
  private delivered = 0;

  private carry: Buffer = Buffer.allocUnsafe(64 * 1024);
  private carryLength = 0;

  // Classic pcap header, fixed for the file.
  private pcapNanosecond = false;
  private pcapLinkType = 0;
  private pcapSnapLength = 0;
  private pcapFcsLength = 0;
  private pcapMaxCaplen = 0;

  // pcapng: the current section's interfaces, as parallel arrays indexed by interface id.
  private section = -1;
  private interfaceCount = 0;
  private readonly ifLinkType: number[] = [];
  private readonly ifSnapLength: number[] = [];
  private readonly ifFcsLength: number[] = [];
  private readonly ifTsMode: TsMode[] = [];
  /** Units per second (DIVIDE mode). */
  private readonly ifTsDivisor: number[] = [];
  /** Decimal resolutions: ns per remaining unit; 0 for binary (computed by multiply/divide). */
  private readonly ifTsNsPerUnit: number[] = [];
  private readonly ifTsUnitsBig: bigint[] = [];
  private readonly ifTsOffsetSec: number[] = [];
  private readonly ifNanosecond: boolean[] = [];
  /** Timestamp of the last record, given to Simple Packet Blocks (which carry none). */
  private lastSec = 0;
  private lastNsec = 0;

  constructor(onRecord: RecordCallback) {
    this.onRecord = onRecord;
  }

  /** The end result once the parser has stopped (error or callback returned false), else null. */
  get result(): CaptureEnd | null {
    return this.ending;
  }

  get detectedFormat(): CaptureFormat | null {
    return this.format;
  }

  /** True once the parser has stopped (error, or the callback returned false). */
  get stopped(): boolean {
    return this.state === State.DONE;
  }

  /** Records delivered so far. */
  get records(): number {
    return this.delivered;
  }

  /**
   * Parses `chunk` (bytes 0..length) and delivers every record it completes. The chunk may be
   * reused by the caller after this returns. Returns false once the parser has stopped: the
   * caller should stop reading and call `end()`.
   */
  push(chunk: Uint8Array, length: number = chunk.length): boolean {
    if (this.stopped) return false;
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let pos = 0;
    if (this.carryLength > 0) {
      pos = this.completeCarry(buf, length);
      if (pos < 0) return !this.stopped;
    }
    while (!this.stopped) {
      const avail = length - pos;
      if (this.state === State.PCAP) {
        // Hot loop for classic pcap: inline header reads, no call but the delivery.
        const le = this.littleEndian;
        const max = this.pcapMaxCaplen;
        while (length - pos >= PCAP_RECORD_HEADER_BYTES) {
          const caplen = le ? buf.readUInt32LE(pos + 8) : buf.readUInt32BE(pos + 8);
          if (caplen > max) {
            this.failCaplen(caplen);
            return false;
          }
          const next = pos + PCAP_RECORD_HEADER_BYTES + caplen;
          if (next > length) break;
          if (!this.deliverPcap(buf, pos, caplen)) return false;
          pos = next;
        }
        this.startCarry(buf, pos, length);
        return true;
      }
      const unit = this.unitLength(buf, pos, avail);
      if (unit === 0) return false;
      if (unit < 0 || unit > avail) {
        this.startCarry(buf, pos, length);
        return true;
      }
      if (!this.processUnit(buf, pos, unit)) return false;
      pos += unit;
    }
    return false;
  }

  /** Call once after the last `push`: the typed result of the whole read. */
  end(): CaptureEnd {
    if (this.ending) return this.ending;
    if (this.consumed === 0 && this.carryLength === 0) {
      return this.finish('truncated', 0, 'the capture is empty: it ends at byte 0 before any header');
    }
    if (this.carryLength > 0) {
      const unit = this.unitLength(this.carry, 0, this.carryLength);
      if (this.ending) return this.ending;
      const what = this.state === State.FILE_HEADER ? 'the file header' : this.state === State.PCAP ? 'a record' : 'a block';
      const of = unit > 0 ? ` of ${unit}` : '';
      return this.finish(
        'truncated',
        this.consumed,
        `the capture ends inside ${what} at byte ${this.consumed} (${this.carryLength}${of} bytes present)`,
      );
    }
    return this.finish('complete', this.consumed, null);
  }

  /** For readers: the input failed (I/O error); keeps the records already delivered. */
  abort(kind: CaptureEndKind, message: string): CaptureEnd {
    if (this.ending) return this.ending;
    return this.finish(kind, this.consumed + this.carryLength, message);
  }

  private finish(kind: CaptureEndKind, byteOffset: number, message: string | null): CaptureEnd {
    this.state = State.DONE;
    this.ending = { kind, records: this.delivered, bytesRead: this.consumed, byteOffset, format: this.format, message };
    return this.ending;
  }

  private fail(kind: CaptureEndKind, message: string): false {
    this.finish(kind, this.consumed, message);
    return false;
  }

  private failCaplen(caplen: number): void {
    this.fail(
      'corrupt',
      `corrupt record at byte ${this.consumed}: captured length ${caplen} exceeds the maximum ${this.pcapMaxCaplen} (max of snaplen ${this.pcapSnapLength} and ${MAX_PLAUSIBLE_CAPLEN_BYTES})`,
    );
  }

  // ---- carry: the one record cut by a chunk boundary --------------------------------------

  private startCarry(buf: Buffer, pos: number, length: number): void {
    const rest = length - pos;
    if (rest <= 0) return;
    this.ensureCarry(rest);
    buf.copy(this.carry, 0, pos, length);
    this.carryLength = rest;
  }

  private ensureCarry(size: number): void {
    if (size <= this.carry.length) return;
    let n = this.carry.length;
    while (n < size) n *= 2;
    const grown = Buffer.allocUnsafe(n);
    this.carry.copy(grown, 0, 0, this.carryLength);
    this.carry = grown;
  }

  /**
   * Appends bytes from `buf` to the carry until its unit is whole, then processes it. Returns
   * the position in `buf` after the bytes taken, or -1 when `buf` ran out (or the parser stopped).
   */
  private completeCarry(buf: Buffer, length: number): number {
    let pos = 0;
    for (;;) {
      const unit = this.unitLength(this.carry, 0, this.carryLength);
      if (unit === 0) return -1;
      const target = unit < 0 ? -unit : unit;
      const take = Math.min(target - this.carryLength, length - pos);
      if (take > 0) {
        this.ensureCarry(this.carryLength + take);
        buf.copy(this.carry, this.carryLength, pos, pos + take);
        this.carryLength += take;
        pos += take;
      }
      if (this.carryLength < target) return -1;
      if (unit < 0) continue;
      this.carryLength = 0;
      if (!this.processUnit(this.carry, 0, unit)) return -1;
      return pos;
    }
  }

  // ---- unit framing -----------------------------------------------------------------------

  private u32(b: Buffer, off: number): number {
    return this.littleEndian ? b.readUInt32LE(off) : b.readUInt32BE(off);
  }

  private u16(b: Buffer, off: number): number {
    return this.littleEndian ? b.readUInt16LE(off) : b.readUInt16BE(off);
  }

  /**
   * Length of the unit starting at `off`: > 0 its byte length, < 0 "need at least -n bytes to
   * know", 0 the parser stopped on an error.
   */
  private unitLength(b: Buffer, off: number, avail: number): number {
    switch (this.state) {
      case State.FILE_HEADER: {
        if (avail < 4) return -4;
        const magic = b.readUInt32BE(off);
        if (magic === PCAP_MAGIC_US || magic === PCAP_MAGIC_NS || magic === PCAP_MAGIC_US_SWAPPED || magic === PCAP_MAGIC_NS_SWAPPED) {
          return PCAP_FILE_HEADER_BYTES;
        }
        if (magic === PCAPNG_SHB_TYPE) return this.pcapngBlockLength(b, off, avail);
        this.fail('unsupported', `not a pcap or pcapng capture: the file starts with ${describeForeignMagic(b, off, avail)}`);
        return 0;
      }
      case State.PCAP: {
        if (avail < PCAP_RECORD_HEADER_BYTES) return -PCAP_RECORD_HEADER_BYTES;
        const caplen = this.u32(b, off + 8);
        if (caplen > this.pcapMaxCaplen) {
          this.failCaplen(caplen);
          return 0;
        }
        return PCAP_RECORD_HEADER_BYTES + caplen;
      }
      case State.PCAPNG:
        return this.pcapngBlockLength(b, off, avail);
      default:
        return 0;
    }
  }

  private pcapngBlockLength(b: Buffer, off: number, avail: number): number {
    if (avail < PCAPNG_BLOCK_PREFIX_BYTES) return -PCAPNG_BLOCK_PREFIX_BYTES;
    // The SHB type is a byte-order palindrome; its byte-order magic decides how to read the rest.
    if (b.readUInt32BE(off) === PCAPNG_SHB_TYPE) {
      if (avail < PCAPNG_SHB_PREFIX_BYTES) return -PCAPNG_SHB_PREFIX_BYTES;
      const magicLe = b.readUInt32LE(off + 8);
      if (magicLe === PCAPNG_BYTE_ORDER_MAGIC) this.littleEndian = true;
      else if (b.readUInt32BE(off + 8) === PCAPNG_BYTE_ORDER_MAGIC) this.littleEndian = false;
      else {
        this.fail('corrupt', `corrupt pcapng section header at byte ${this.consumed}: byte-order magic ${hex32(b.readUInt32BE(off + 8))} is not 1a2b3c4d`);
        return 0;
      }
    }
    const total = this.u32(b, off + 4);
    if (total < PCAPNG_MIN_BLOCK_BYTES || total % 4 !== 0 || total > MAX_PCAPNG_BLOCK_BYTES) {
      const why = total < PCAPNG_MIN_BLOCK_BYTES ? 'is below 12' : total % 4 !== 0 ? 'is not a multiple of 4' : `exceeds ${MAX_PCAPNG_BLOCK_BYTES}`;
      this.fail('corrupt', `corrupt pcapng block at byte ${this.consumed} (type ${hex32(this.u32(b, off))}): block length ${total} ${why}`);
      return 0;
    }
    return total;
  }

  private processUnit(b: Buffer, off: number, len: number): boolean {
    if (this.state === State.FILE_HEADER) {
      if (b.readUInt32BE(off) === PCAPNG_SHB_TYPE) {
        this.format = 'pcapng';
        this.state = State.PCAPNG;
        return this.processBlock(b, off, len);
      }
      return this.processPcapHeader(b, off);
    }
    if (this.state === State.PCAP) {
      return this.deliverPcap(b, off, len - PCAP_RECORD_HEADER_BYTES);
    }
    return this.processBlock(b, off, len);
  }

  // ---- classic pcap -----------------------------------------------------------------------

  private processPcapHeader(b: Buffer, off: number): boolean {
    const magic = b.readUInt32BE(off);
    this.format = 'pcap';
    this.littleEndian = magic === PCAP_MAGIC_US_SWAPPED || magic === PCAP_MAGIC_NS_SWAPPED;
    this.pcapNanosecond = magic === PCAP_MAGIC_NS || magic === PCAP_MAGIC_NS_SWAPPED;
    const major = this.u16(b, off + 4);
    const minor = this.u16(b, off + 6);
    if (major !== 2) {
      return this.fail('corrupt', `corrupt pcap file header at byte 0: version ${major}.${minor} is not 2.x`);
    }
    const snaplen = this.u32(b, off + 16);
    const field = this.u32(b, off + 20);
    if ((field & PCAP_LINKTYPE_RESERVED_MASK) !== 0) {
      return this.fail('corrupt', `corrupt pcap file header at byte 20: link-type field ${hex32(field)} has reserved bits set`);
    }
    this.pcapLinkType = field & 0xffff;
    this.pcapFcsLength = (field & PCAP_LINKTYPE_FCS_PRESENT) !== 0 ? (field >>> 28) * 2 : 0;
    this.pcapSnapLength = snaplen;
    this.pcapMaxCaplen = Math.max(snaplen, MAX_PLAUSIBLE_CAPLEN_BYTES);
    this.consumed += PCAP_FILE_HEADER_BYTES;
    this.state = State.PCAP;
    return true;
  }

  private deliverPcap(b: Buffer, off: number, caplen: number): boolean {
    const r = this.record;
    const le = this.littleEndian;
    let sec = le ? b.readUInt32LE(off) : b.readUInt32BE(off);
    let nsec = le ? b.readUInt32LE(off + 4) : b.readUInt32BE(off + 4);
    if (!this.pcapNanosecond) nsec *= 1000;
    if (nsec >= 1e9) {
      // An out-of-range fraction is carried into the seconds rather than rejected, as libpcap does not check it.
      sec += Math.floor(nsec / 1e9);
      nsec %= 1e9;
    }
    r.buffer = b;
    r.offset = off + PCAP_RECORD_HEADER_BYTES;
    r.capturedLength = caplen;
    r.wireLength = le ? b.readUInt32LE(off + 12) : b.readUInt32BE(off + 12);
    r.tsSec = sec;
    r.tsNsec = nsec;
    r.linkType = this.pcapLinkType;
    r.interfaceId = 0;
    r.sectionIndex = 0;
    r.snapLength = this.pcapSnapLength;
    r.fcsLength = this.pcapFcsLength;
    r.nanosecondResolution = this.pcapNanosecond;
    r.fileOffset = this.consumed;
    r.index = this.delivered;
    this.consumed += PCAP_RECORD_HEADER_BYTES + caplen;
    this.delivered++;
    if (this.onRecord(r) === false) {
      this.finish('stopped', this.consumed, null);
      return false;
    }
    return true;
  }

  // ---- pcapng -----------------------------------------------------------------------------

  private processBlock(b: Buffer, off: number, len: number): boolean {
    const type = this.u32(b, off);
    const trailer = this.u32(b, off + len - 4);
    if (trailer !== len) {
      return this.fail('corrupt', `corrupt pcapng block at byte ${this.consumed} (type ${hex32(type)}): trailing length ${trailer} differs from leading length ${len}`);
    }
    let ok: boolean;
    switch (type) {
      case PCAPNG_SHB_TYPE:
        ok = this.processSectionHeader(b, off, len);
        break;
      case BLOCK_IDB:
        ok = this.processInterface(b, off, len);
        break;
      case BLOCK_EPB:
        ok = this.processPacket(b, off, len, 28, this.u32(b, off + 8), true);
        break;
      case BLOCK_PB:
        ok = this.processPacket(b, off, len, 28, this.u16(b, off + 8), true);
        break;
      case BLOCK_SPB:
        ok = this.processSimplePacket(b, off, len);
        break;
      default:
        // NRB, ISB, DSB, custom and future blocks: not needed to replay packets (CAPTURES.md).
        ok = true;
        break;
    }
    if (ok && type !== BLOCK_EPB && type !== BLOCK_PB && type !== BLOCK_SPB) this.consumed += len;
    return ok;
  }

  private tooShort(type: string, len: number, min: number): false {
    return this.fail('corrupt', `corrupt pcapng ${type} at byte ${this.consumed}: block length ${len} is below its minimum ${min}`);
  }

  /** Checks the options between `start` and `end` stay inside the block; calls `visit` for each. */
  private walkOptions(b: Buffer, start: number, end: number, what: string, visit: ((code: number, at: number, length: number) => boolean) | null): boolean {
    let p = start;
    while (p < end) {
      if (end - p < 4) return this.fail('corrupt', `corrupt pcapng ${what} at byte ${this.consumed}: ${end - p} stray bytes where an option header should be`);
      const code = this.u16(b, p);
      const length = this.u16(b, p + 2);
      if (code === OPT_ENDOFOPT) return true;
      if (p + 4 + pad4(length) > end) {
        return this.fail('corrupt', `corrupt pcapng ${what} at byte ${this.consumed}: option ${code} of length ${length} at block offset ${p - start} runs past the end of the block`);
      }
      if (visit && !visit(code, p + 4, length)) return false;
      p += 4 + pad4(length);
    }
    return true;
  }

  private processSectionHeader(b: Buffer, off: number, len: number): boolean {
    if (len < 28) return this.tooShort('section header', len, 28);
    const major = this.u16(b, off + 12);
    const minor = this.u16(b, off + 14);
    if (major !== 1) {
      return this.fail('unsupported', `unsupported pcapng section at byte ${this.consumed}: version ${major}.${minor} (only 1.x is read)`);
    }
    if (!this.walkOptions(b, off + 24, off + len - 4, 'section header', null)) return false;
    this.section++;
    this.interfaceCount = 0;
    return true;
  }

  private processInterface(b: Buffer, off: number, len: number): boolean {
    if (len < 20) return this.tooShort('interface description', len, 20);
    const id = this.interfaceCount;
    let tsresol = 6;
    let tsOffset = 0;
    let fcsBits = 0;
    const ok = this.walkOptions(b, off + 16, off + len - 4, 'interface description', (code, at, length) => {
      if (code === IF_TSRESOL && length >= 1) tsresol = b[at] ?? 6;
      else if (code === IF_FCSLEN && length >= 1) fcsBits = b[at] ?? 0;
      else if (code === IF_TSOFFSET && length >= 8) {
        tsOffset = Number(this.littleEndian ? b.readBigInt64LE(at) : b.readBigInt64BE(at));
      }
      return true;
    });
    if (!ok) return false;
    const binary = (tsresol & 0x80) !== 0;
    const exponent = tsresol & 0x7f;
    let mode: TsMode = TsMode.BIGINT;
    let divisor = 0;
    let nsPerUnit = 0;
    if (!binary && exponent <= 9) {
      mode = TsMode.DIVIDE;
      divisor = 10 ** exponent;
      nsPerUnit = 10 ** (9 - exponent);
    } else if (binary && exponent <= 23) {
      // rem < 2^23, so rem * 1e9 < 2^53: the ns conversion stays exact.
      mode = TsMode.DIVIDE;
      divisor = 2 ** exponent;
    }
    this.ifLinkType[id] = this.u16(b, off + 8);
    this.ifSnapLength[id] = this.u32(b, off + 12);
    this.ifFcsLength[id] = fcsBits >>> 3;
    this.ifTsMode[id] = mode;
    this.ifTsDivisor[id] = divisor;
    this.ifTsNsPerUnit[id] = nsPerUnit;
    this.ifTsUnitsBig[id] = binary ? 1n << BigInt(exponent) : 10n ** BigInt(exponent);
    this.ifTsOffsetSec[id] = tsOffset;
    this.ifNanosecond[id] = binary ? exponent > 19 : exponent > 6;
    this.interfaceCount = id + 1;
    return true;
  }

  private checkInterface(id: number, what: string): boolean {
    if (id < this.interfaceCount) return true;
    return this.fail('corrupt', `corrupt pcapng ${what} at byte ${this.consumed}: interface id ${id} is not defined (section ${this.section} has ${this.interfaceCount} interface(s))`);
  }

  /** EPB and obsolete PB share a layout after the interface id: ts high, ts low, caplen, origlen, data. */
  private processPacket(b: Buffer, off: number, len: number, dataStart: number, id: number, hasTime: boolean): boolean {
    const what = this.u32(b, off) === BLOCK_EPB ? 'enhanced packet block' : 'packet block';
    if (len < 32) return this.tooShort(what, len, 32);
    if (!this.checkInterface(id, what)) return false;
    const caplen = this.u32(b, off + 20);
    const snap = this.ifSnapLength[id] ?? 0;
    const max = Math.max(snap, MAX_PLAUSIBLE_CAPLEN_BYTES);
    if (caplen > max) {
      return this.fail('corrupt', `corrupt pcapng ${what} at byte ${this.consumed}: captured length ${caplen} exceeds the maximum ${max} (max of snaplen ${snap} and ${MAX_PLAUSIBLE_CAPLEN_BYTES})`);
    }
    const optionsStart = off + dataStart + pad4(caplen);
    const blockEnd = off + len - 4;
    if (optionsStart > blockEnd) {
      return this.fail('corrupt', `corrupt pcapng ${what} at byte ${this.consumed}: captured length ${caplen} does not fit in block length ${len}`);
    }
    if (optionsStart < blockEnd && !this.walkOptions(b, optionsStart, blockEnd, what, null)) return false;
    const r = this.record;
    if (hasTime) this.setPcapngTime(r, this.u32(b, off + 12), this.u32(b, off + 16), id);
    return this.deliverPcapng(b, off + dataStart, caplen, this.u32(b, off + 24), id, len);
  }

  private processSimplePacket(b: Buffer, off: number, len: number): boolean {
    if (len < 16) return this.tooShort('simple packet block', len, 16);
    if (!this.checkInterface(0, 'simple packet block')) return false;
    const wire = this.u32(b, off + 8);
    const snap = this.ifSnapLength[0] ?? 0;
    let caplen = Math.min(wire, len - 16);
    if (snap !== 0) caplen = Math.min(caplen, snap);
    // An SPB has no timestamp: it keeps the previous record's so time never jumps to 1970.
    this.record.tsSec = this.lastSec;
    this.record.tsNsec = this.lastNsec;
    return this.deliverPcapng(b, off + 12, caplen, wire, 0, len);
  }

  private deliverPcapng(b: Buffer, dataOffset: number, caplen: number, wire: number, id: number, blockLength: number): boolean {
    const r = this.record;
    r.buffer = b;
    r.offset = dataOffset;
    r.capturedLength = caplen;
    r.wireLength = wire;
    r.linkType = this.ifLinkType[id] ?? 0;
    r.interfaceId = id;
    r.sectionIndex = this.section;
    r.snapLength = this.ifSnapLength[id] ?? 0;
    r.fcsLength = this.ifFcsLength[id] ?? 0;
    r.nanosecondResolution = this.ifNanosecond[id] ?? false;
    r.fileOffset = this.consumed;
    r.index = this.delivered;
    this.lastSec = r.tsSec;
    this.lastNsec = r.tsNsec;
    this.consumed += blockLength;
    this.delivered++;
    if (this.onRecord(r) === false) {
      this.finish('stopped', this.consumed, null);
      return false;
    }
    return true;
  }

  /**
   * 64-bit timestamp in interface units → {sec, nsec} without losing precision: ns since the
   * epoch exceed 2^53, so the division is done by hand in 16-bit digits (remainders < 10^9·2^16).
   */
  private setPcapngTime(r: CaptureRecord, high: number, low: number, id: number): void {
    let sec: number;
    let nsec: number;
    if (this.ifTsMode[id] === TsMode.DIVIDE) {
      const d = this.ifTsDivisor[id] ?? 1e6;
      const q1 = Math.floor(high / d);
      const r1 = high - q1 * d;
      const c2 = r1 * 65536 + (low >>> 16);
      const q2 = Math.floor(c2 / d);
      const r2 = c2 - q2 * d;
      const c3 = r2 * 65536 + (low & 0xffff);
      const q3 = Math.floor(c3 / d);
      const rem = c3 - q3 * d;
      sec = q1 * 4294967296 + q2 * 65536 + q3;
      const perUnit = this.ifTsNsPerUnit[id] ?? 0;
      nsec = perUnit !== 0 ? rem * perUnit : Math.floor((rem * 1e9) / d);
    } else {
      const units = this.ifTsUnitsBig[id] ?? 1_000_000n;
      const ts = (BigInt(high) << 32n) | BigInt(low);
      sec = Number(ts / units);
      nsec = Number(((ts % units) * 1_000_000_000n) / units);
    }
    r.tsSec = sec + (this.ifTsOffsetSec[id] ?? 0);
    r.tsNsec = nsec;
  }
}
