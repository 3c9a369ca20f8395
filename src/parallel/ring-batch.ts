/**
 * Both ends of a sharded replay's rings publish their position every RING_BATCH_BYTES (and
 * whenever they cannot go on): a worker wakes once per batch, not once per record — a context
 * switch per record costs more than the record on a machine with fewer cores than threads.
 */
export const RING_BATCH_BYTES = 256 << 10;
