#!/usr/bin/env python3
"""Send prepared frames into the kernel-check lab and record which ones the node delivered.

Node has no AF_PACKET, so this helper does the one thing that needs it (scripts/kernel-check/
send-frames.ts writes the job file and reads the results). Usage:

    send-frames.py JOB_FILE RESULT_FILE START END

JOB_FILE (little-endian): b'NPEK', u32 1, u32 namespace count, per namespace u16 length +
its name (a netns under /var/run/netns, whose link to the node is eth0), u32 probe namespace,
u32 sink namespace, u32 barrier length + the barrier frame (its last 4 bytes are the sequence
number), u32 job count, per job u32 source namespace, u32 destination namespace, u32 length +
the Ethernet frame. Jobs START..END-1 are sent; RESULT_FILE gets one byte per job, b'1' when a
copy of the frame reached the destination's eth0, else b'0'.

Ordering, not waiting, decides "dropped": after each frame a barrier frame goes from the probe
namespace through the node to the sink namespace. Both frames take the same two veth hops on the
same CPU (this process is pinned to one), whose backlog is FIFO (net/core/dev.c
enqueue_to_backlog), so once the barrier reaches the sink the frame has been forwarded or
dropped. A copy is recognised by its addresses and the bytes after the IP header (forwarding
changes only the TTL / hop limit and the IPv4 header checksum).
"""
import ctypes
import os
import select
import socket
import struct
import sys

CLONE_NEWNET = 0x40000000
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
BARRIER_TIMEOUT_S = 5.0

libc = ctypes.CDLL(None, use_errno=True)


def enter(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f'setns {path}: {os.strerror(err)}')
    finally:
        os.close(fd)


def identity(frame):
    """Addresses and the bytes after the IP header: what forwarding leaves unchanged."""
    ether = struct.unpack_from('!H', frame, 12)[0]
    if ether == 0x0800 and len(frame) >= 34:
        ihl = (frame[14] & 0x0F) * 4
        total = struct.unpack_from('!H', frame, 16)[0]
        return (frame[26:34], frame[14 + ihl:14 + total])
    if ether == 0x86DD and len(frame) >= 54:
        payload = struct.unpack_from('!H', frame, 18)[0]
        return (frame[22:54], frame[54:54 + payload])
    return None


def drain(sock, keep):
    """Read every queued frame; return the identities of those that arrived (not ours going out)."""
    seen = []
    while True:
        try:
            data, address = sock.recvfrom(70000)
        except BlockingIOError:
            return seen
        if address[2] != PACKET_OUTGOING and keep:
            seen.append(identity(data))


def main():
    job_path, result_path, start, end = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    with open(job_path, 'rb') as f:
        data = f.read()
    if data[:8] != b'NPEK\x01\x00\x00\x00':
        sys.exit(f'{job_path}: not a kernel-check job file')
    pos = 8
    (count,) = struct.unpack_from('<I', data, pos)
    pos += 4
    names = []
    for _ in range(count):
        (length,) = struct.unpack_from('<H', data, pos)
        names.append(data[pos + 2:pos + 2 + length].decode())
        pos += 2 + length
    probe, sink, barrier_length = struct.unpack_from('<III', data, pos)
    pos += 12
    barrier = bytearray(data[pos:pos + barrier_length])
    pos += barrier_length
    (jobs,) = struct.unpack_from('<I', data, pos)
    pos += 4
    offsets = []
    for _ in range(jobs):
        src, dst, length = struct.unpack_from('<III', data, pos)
        offsets.append((src, dst, pos + 12, length))
        pos += 12 + length

    # One CPU: every frame and barrier goes through the same per-CPU backlog, in order.
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    home = os.open('/proc/self/ns/net', os.O_RDONLY)
    sockets = []
    try:
        for name in names:
            enter(f'/var/run/netns/{name}')
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
            s.bind(('eth0', 0))
            s.setblocking(False)
            sockets.append(s)
    finally:
        if libc.setns(home, CLONE_NEWNET) != 0:
            sys.exit('cannot return to the original network namespace')

    results = bytearray()
    sequence = 0
    for index in range(start, end):
        src, dst, offset, length = offsets[index]
        frame = data[offset:offset + length]
        wanted = identity(frame)
        drain(sockets[dst], False)
        sockets[src].send(frame)
        sequence += 1
        struct.pack_into('!I', barrier, len(barrier) - 4, sequence)
        sockets[probe].send(barrier)
        while True:
            ready, _, _ = select.select([sockets[sink]], [], [], BARRIER_TIMEOUT_S)
            if not ready:
                sys.exit(f'frame job {index}: the barrier frame did not come through the node within {BARRIER_TIMEOUT_S} s')
            arrived = drain(sockets[sink], True)
            if any(a is not None and a[1][-4:] == barrier[-4:] and len(a[1]) == 12 for a in arrived):
                break
        results.append(ord('1') if wanted in drain(sockets[dst], True) else ord('0'))
    with open(result_path, 'wb') as f:
        f.write(results)


if __name__ == '__main__':
    main()
