/**
 * Types for `pcap-parser` 0.2.1 (CommonJS, untyped, last published 2013): an EventEmitter over
 * a classic microsecond pcap stream. Facts measured in CAPTURES.md: it rejects ns pcap and
 * pcapng ("unknown magic number"), passes the link-type field through unmasked, reports no
 * error on truncated files, and throws if no 'error' listener is attached.
 */
declare module 'pcap-parser' {
  import type { EventEmitter } from 'node:events';
  import type { Readable } from 'node:stream';

  export interface GlobalHeader {
    magicNumber: number;
    majorVersion: number;
    minorVersion: number;
    gmtOffset: number;
    timestampAccuracy: number;
    snapshotLength: number;
    /** The whole 32-bit field, FCS bits included. */
    linkLayerType: number;
  }

  export interface PacketHeader {
    timestampSeconds: number;
    timestampMicroseconds: number;
    capturedLength: number;
    originalLength: number;
  }

  export interface Packet {
    header: PacketHeader;
    /** A slice of the parser's internal buffer. */
    data: Buffer;
  }

  export interface Parser extends EventEmitter {
    /** The stream it reads (created with fs.createReadStream for a path). */
    stream: Readable;
    on(event: 'globalHeader', listener: (header: GlobalHeader) => void): this;
    on(event: 'packetHeader', listener: (header: PacketHeader) => void): this;
    on(event: 'packetData', listener: (data: Buffer) => void): this;
    on(event: 'packet', listener: (packet: Packet) => void): this;
    on(event: 'end', listener: () => void): this;
    on(event: 'error', listener: (error: Error) => void): this;
  }

  /** A path (read with fs.createReadStream) or a Readable of bytes. */
  export function parse(input: string | Readable): Parser;

  const pcapParser: { parse: typeof parse };
  export default pcapParser;
}
