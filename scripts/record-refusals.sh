#!/usr/bin/env bash
# Record connections that worked next to connections that were refused, for `advise`
# (test/advise-refusals.test.ts): a client pod reaches a db pod and a cache pod through a routed
# node namespace (IPv4 and IPv6), and the kernels of those namespaces answer as they do:
#
#   client 10.244.1.10 fd00:244:1::10 --veth-- node (forwarding) --veth-- db    10.244.2.20 fd00:244:2::20
#                                                                --veth-- cache 10.244.3.30
#
#   worked:  TCP db:5432 (v4 and v6, SYN-ACK), UDP db:5353 (echo reply), ICMP echo from db to
#            the client (not the other way: NetworkPolicy cannot name ICMP, so advice for it
#            allows every port of the peer, which would let the refusals below through),
#            TCP db:7000 picked up mid-stream (connected before the capture began),
#            SCTP db:3868 (INIT answered by INIT ACK)
#   refused: TCP db:6379 (nothing listens: RST), UDP db:9999 (ICMP port unreachable),
#            UDP [db]:9999 over IPv6 (ICMPv6 port unreachable), SCTP db:3869 (ABORT),
#            SCTP cache:3868 (the cache's kernel has no SCTP: ICMP protocol unreachable),
#            TCP cache:11211 and UDP cache:8125 (the cache's nftables drops them: no answer)
#
# This kernel may have no SCTP module, so SCTP is a raw-socket responder in db (a raw socket for
# protocol 132 also keeps db's kernel from answering "protocol unreachable", ip_local_deliver_finish):
# it answers an INIT to 3868 with an INIT ACK and any other INIT with an ABORT (RFC 9260 §8.4).
#
#   refusals.pcap   tcpdump -i eth0 in the client (link type 1), without NDP (ICMPv6 133-137)
#   cluster.yaml    is hand-written next to it (the three pods, dual-stack where recorded)
#
# Usage (as root): scripts/record-refusals.sh [OUTPUT_DIR]   (default: test/fixtures/advise)
# Every name it creates starts with npadv; leftovers are removed first and on exit.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT_DIR=${1:-"$REPO/test/fixtures/advise"}
PREFIX=npadv

NAME=record-refusals
# shellcheck source=lib/netns-session.sh
source "$REPO/scripts/lib/netns-session.sh"
require_root_and_tools "network namespaces, nftables, tcpdump" "apt-get install -y tcpdump nftables iproute2" tcpdump ip nft python3
start_session

cat >"$WORK/npadv.py" <<'PY'
import socket, struct, sys, time

def crc32c(data):
    crc = 0xffffffff
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82f63b78 if crc & 1 else 0)
    return crc ^ 0xffffffff

def sctp(sport, dport, vtag, chunks):
    head = struct.pack('!HHII', sport, dport, vtag, 0)
    packet = head + chunks
    return packet[:8] + struct.pack('<I', crc32c(packet)) + packet[12:]

def chunk(kind, flags, body):
    data = struct.pack('!BBH', kind, flags, 4 + len(body)) + body
    return data + b'\0' * (-len(data) % 4)

def init_body(tag):
    return struct.pack('!IIHHI', tag, 65536, 1, 1, tag)

def serve_tcp(ip, port, family=socket.AF_INET):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((ip, port)); s.listen(8)
    while True:
        conn, _ = s.accept()
        with conn:
            while True:
                data = conn.recv(512)
                if not data: break
                conn.sendall(b'ok:' + data)

def serve_udp(ip, port):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind((ip, port))
    while True:
        d, a = u.recvfrom(4096); u.sendto(b'echo:' + d, a)

def serve_sctp(ip):
    # INIT to 3868: INIT ACK; INIT to any other port: ABORT with the T bit (no TCB, RFC 9260 §8.4).
    r = socket.socket(socket.AF_INET, socket.SOCK_RAW, 132)
    r.bind((ip, 0))
    while True:
        data, (src, _) = r.recvfrom(2048)
        ihl = (data[0] & 15) * 4
        sport, dport, vtag = struct.unpack('!HHI', data[ihl:ihl + 8])
        kind = data[ihl + 12]
        if kind != 1: continue
        peer_tag = struct.unpack('!I', data[ihl + 16:ihl + 20])[0]
        if dport == 3868:
            cookie = struct.pack('!HH', 7, 8) + b'cook'
            r.sendto(sctp(dport, sport, peer_tag, chunk(2, 0, init_body(0x5eed0002) + cookie)), (src, 0))
        else:
            r.sendto(sctp(dport, sport, peer_tag, chunk(6, 1, b'')), (src, 0))

def sctp_init(dst, dport, sport):
    r = socket.socket(socket.AF_INET, socket.SOCK_RAW, 132)
    r.sendto(sctp(sport, dport, 0, chunk(1, 0, init_body(0x5eed0001 + sport))), (dst, 0))
    time.sleep(0.3)

def checksum(data):
    data += b'\0' * (len(data) % 2)
    total = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    total = (total >> 16) + (total & 0xffff); total += total >> 16
    return ~total & 0xffff

def ping(dst, ident):
    # One ICMP echo request and its reply (this machine may have no ping binary).
    r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP); r.settimeout(1)
    body = struct.pack('!BBHHH', 8, 0, 0, ident, 1) + b'npadv'
    r.sendto(body[:2] + struct.pack('!H', checksum(body)) + body[4:], (dst, 0))
    try:
        r.recvfrom(512)
    except OSError:
        pass

def client(phase):
    if phase == 'before':
        # Connected before the capture starts; it talks again once the capture runs.
        c = socket.create_connection(('10.244.2.20', 7000))
        c.sendall(b'hello'); c.recv(64)
        time.sleep(4)
        c.sendall(b'again'); c.recv(64); c.close()
        return
    for ip, family in (('10.244.2.20', socket.AF_INET), ('fd00:244:2::20', socket.AF_INET6)):
        c = socket.create_connection((ip, 5432)); c.sendall(b'SELECT 1'); c.recv(64); c.close()
    try:
        socket.create_connection(('10.244.2.20', 6379), timeout=1)
    except OSError:
        pass
    try:
        socket.create_connection(('10.244.3.30', 11211), timeout=1.5)
    except OSError:
        pass
    for dst, family in ((('10.244.2.20', 5353), socket.AF_INET), (('10.244.2.20', 9999), socket.AF_INET),
                        (('fd00:244:2::20', 9999), socket.AF_INET6), (('10.244.3.30', 8125), socket.AF_INET)):
        u = socket.socket(family, socket.SOCK_DGRAM); u.settimeout(0.5)
        u.sendto(b'ping', dst)
        try:
            u.recvfrom(512)
        except OSError:
            pass
        u.close()
    sctp_init('10.244.2.20', 3868, 40100)
    sctp_init('10.244.2.20', 3869, 40101)
    sctp_init('10.244.3.30', 3868, 40102)

if __name__ == '__main__':
    what = sys.argv[1]
    if what == 'tcp': serve_tcp(sys.argv[2], int(sys.argv[3]), socket.AF_INET6 if ':' in sys.argv[2] else socket.AF_INET)
    elif what == 'udp': serve_udp(sys.argv[2], int(sys.argv[3]))
    elif what == 'sctp': serve_sctp(sys.argv[2])
    elif what == 'ping': ping(sys.argv[2], int(sys.argv[3]))
    else: client(sys.argv[2])
PY

ns() { ip netns exec "$PREFIX-$1" "${@:2}"; }
for n in node client db cache; do ip netns add "$PREFIX-$n"; ns "$n" ip link set lo up; done
ns node sysctl -qw net.ipv4.ip_forward=1
ns node sysctl -qw net.ipv6.conf.all.forwarding=1
attach() {
  local pod=$1 subnet=$2 host=$3
  ip link add "$PREFIX-$pod" netns "$PREFIX-node" type veth peer name eth0 netns "$PREFIX-$pod"
  ns node ip addr add "10.244.$subnet.1/24" dev "$PREFIX-$pod"
  ns node ip addr add "fd00:244:$subnet::1/64" dev "$PREFIX-$pod" nodad
  ns node ip link set "$PREFIX-$pod" up
  ns "$pod" ip addr add "10.244.$subnet.$host/24" dev eth0
  ns "$pod" ip addr add "fd00:244:$subnet::$host/64" dev eth0 nodad
  ns "$pod" ip link set eth0 up
  ns "$pod" ip route add default via "10.244.$subnet.1"
  ns "$pod" ip -6 route add default via "fd00:244:$subnet::1"
}
attach client 1 10
attach db 2 20
attach cache 3 30
# The cache's own firewall drops these silently (as a NetworkPolicy would): no RST, no ICMP.
ns cache nft -f - <<'NFT'
table inet npadv_filter {
  chain input {
    type filter hook input priority filter; policy accept;
    tcp dport 11211 drop
    udp dport 8125 drop
  }
}
NFT

for server in "tcp 10.244.2.20 5432" "tcp fd00:244:2::20 5432" "tcp 10.244.2.20 7000" "udp 10.244.2.20 5353" "sctp 10.244.2.20"; do
  # shellcheck disable=SC2086
  ip netns exec "$PREFIX-db" python3 "$WORK/npadv.py" $server & PIDS+=($!)
done
sleep 1.5
# Neighbours resolved before the capture (IPv6 through the TCP server's first connection).
ns client python3 "$WORK/npadv.py" ping 10.244.2.20 1
ns client python3 -c "import socket; socket.create_connection(('fd00:244:2::20', 5432)).close()"
ip netns exec "$PREFIX-client" python3 "$WORK/npadv.py" client before & BEFORE=$!
sleep 1
ip netns exec "$PREFIX-client" tcpdump -i eth0 -U -s 0 -w "$WORK/refusals.pcap" "not (icmp6 and ip6[40] >= 133 and ip6[40] <= 137)" 2>/dev/null & TCPDUMP=$!
PIDS+=("$TCPDUMP")
sleep 1.5
ns db python3 "$WORK/npadv.py" ping 10.244.1.10 77
ns client python3 "$WORK/npadv.py" client after
wait "$BEFORE"
sleep 1
kill -INT "$TCPDUMP"; wait "$TCPDUMP" 2>/dev/null || true

mkdir -p "$OUT_DIR"
cp "$WORK/refusals.pcap" "$OUT_DIR/"
echo "record-refusals: wrote $OUT_DIR/refusals.pcap ($(tcpdump -r "$OUT_DIR/refusals.pcap" 2>/dev/null | wc -l) frames)"
