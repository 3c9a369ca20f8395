/**
 * The messages of a sharded replay's rings (spsc-ring.ts), read and written in place: PACKET and
 * FRAME_AT headers (the per-record path) with typed-array views in host byte order (both threads
 * run on one machine), the rest through a DataView (little-endian). Main → worker: the records of
 * the worker's shard, clock ticks, the timeline, the end. Worker → main: flow lines with their
 * ordering key, per-packet verdicts (only when packets are written out), watermarks, done.
 *
 * Layouts (byte offsets inside a message; numbers that may pass 2^32 — packet indexes,
 * timestamps — are float64):
 *
 *   PACKET    0 type | 8 packet index | 16 now (s) | 24 clock before this record (s) | 32 caplen u32
 *             | 36 wire length u32 | 40 link type u32 | 44 frame bytes (a record the reader had to
 *             assemble: cut by a chunk end)
 *   FRAME_AT  the same header | 44 offset u32 of the frame in the shared chunk pool (most records:
 *             the reader reads the file into the pool, so frames are never copied)
 *   TICK      0 type | 8 packet index of the last record sent | 16 clock
 *   TIMELINE  0 type | 8 now (the capture time of the packet the events apply before)
 *   END       0 type | 8 clock | 16 packet index of the last record of the capture (-1: none)
 *
 *   FLOW      0 type | 8 end time | 16 end packet (-1 timeout, -2 open at the end) | 24 start packet
 *             | 32 seq (the worker's own start number) | 40 line length u32 | 44 line bytes (with "\n")
 *   VERDICT   0 type | 8 packet index | 16 category u8 | 20 reject frame length u32 | 24 reject frame
 *   WATERMARK 0 type | 8 packet index | 16 clock
 *   DONE      0 type
 */
export const InType = { PACKET: 1, TICK: 2, TIMELINE: 3, END: 4, FRAME_AT: 5 } as const;
export const OutType = { FLOW: 1, VERDICT: 2, WATERMARK: 3, DONE: 4 } as const;

export const PACKET_HEADER = 44;
export const FRAME_AT_BYTES = 48;
export const TICK_BYTES = 24;
export const TIMELINE_BYTES = 16;
export const END_BYTES = 24;
export const FLOW_HEADER = 44;
export const VERDICT_HEADER = 24;
export const WATERMARK_BYTES = 24;
export const DONE_BYTES = 8;

/** Worker status word (one Int32 per worker in a shared array): why main should stop waiting. */
export const WorkerStatus = { STARTING: 0, RUNNING: 1, DONE: 2, FAILED: 3 } as const;
