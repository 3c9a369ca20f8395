#!/usr/bin/env bash
# Record real captures of the examples/three-tier cluster.
#
# Builds the example's pods, its node1 and two external clients as network namespaces on one
# Linux bridge (living in a namespace of its own), runs small servers in the "pods", replays the
# example's flows with real sockets, and records them twice:
#   capture.pcap      tcpdump on the bridge (promiscuous): Ethernet (link type 1), each frame once;
#   capture-any.pcap  tcpdump -i any in the bridge namespace, bridge device excluded: Linux
#                     cooked v2 (link type 276), each bridged unicast frame twice (ingress on the
#                     source port, pkttype OTHERHOST; egress on the destination port, OUTGOING).
# The network enforces nothing: flows the policies deny complete on the wire, and the emulator
# decides (examples/three-tier/expected-flows.json lists the verdicts).
#
# Usage (as root): scripts/record-three-tier.sh [OUTPUT_DIR]   (default: examples/three-tier)
# Idempotent: leftovers of an earlier run (np3t-* namespaces) are removed first, and everything
# it creates is removed on exit. Every name it creates starts with np3t-.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT_DIR=${1:-"$REPO/examples/three-tier"}
PREFIX=np3t
BRIDGE_NS=$PREFIX-br
BRIDGE=$PREFIX-br0

if [[ $(id -u) -ne 0 ]]; then
  echo "record-three-tier: must run as root (network namespaces, raw sockets, tcpdump)" >&2
  exit 1
fi
if ! command -v tcpdump >/dev/null || ! command -v ip >/dev/null; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y tcpdump iproute2
fi
command -v python3 >/dev/null || { echo "record-three-tier: python3 is required" >&2; exit 1; }

# name  ip  tag (bridge-side veth: np3t-<tag>, at most 15 characters)
ENDPOINTS=(
  "frontend 10.244.1.10 fe"
  "backend 10.244.1.11 be"
  "db 10.244.2.12 db"
  "coredns-a 10.244.1.2 dnsa"
  "coredns-b 10.244.2.2 dnsb"
  "metrics 10.244.2.20 met"
  "ingress 10.244.2.30 ing"
  "node1 172.18.0.2 node1"
  "client 203.0.113.50 cli"
  "blocked 198.51.100.7 blk"
)

NAME=record-three-tier
# shellcheck source=lib/netns-session.sh
source "$REPO/scripts/lib/netns-session.sh"
start_session

# --------------------------------------------------------------------------- helper program
# One small python3 program for servers and clients, so every flow uses a fixed source port
# (expected-flows.json names them) and nothing depends on curl, dig or ping being installed.
cat >"$WORK/np3t.py" <<'PY'
import socket, struct, sys, threading, time

ANSWER_IP = bytes([10, 96, 0, 100])

def dns_query(qid, name):
    q = b''.join(bytes([len(p)]) + p.encode() for p in name.split('.')) + b'\0'
    return struct.pack('!HHHHHH', qid, 0x0100, 1, 0, 0, 0) + q + struct.pack('!HH', 1, 1)

def dns_answer(msg):
    qid = struct.unpack('!H', msg[:2])[0]
    end = 12
    while end < len(msg) and msg[end] != 0:
        end += msg[end] + 1
    question = msg[12:end + 5]
    answer = struct.pack('!HHHIH', 0xC00C, 1, 1, 30, 4) + ANSWER_IP
    return struct.pack('!HHHHHH', qid, 0x8580, 1, 1, 0, 0) + question + answer

def recv_exact(conn, n):
    data = b''
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data

def serve_dns_udp(ip, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ip, port))
    while True:
        msg, peer = s.recvfrom(4096)
        s.sendto(dns_answer(msg), peer)

def serve_dns_tcp(ip, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((ip, port))
    s.listen(8)
    while True:
        conn, _ = s.accept()
        with conn:
            head = recv_exact(conn, 2)
            if head is None:
                continue
            msg = recv_exact(conn, struct.unpack('!H', head)[0])
            if msg is None:
                continue
            reply = dns_answer(msg)
            conn.sendall(struct.pack('!H', len(reply)) + reply)
            conn.recv(1)  # wait for the client's FIN so the client closes first

def serve_banner(ip, port):
    # A MySQL-ish server greeting: the server speaks first, like mysqld.
    banner = b'\x0a8.0.36\x00' + b'\x00' * 8
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((ip, port))
    s.listen(8)
    while True:
        conn, _ = s.accept()
        with conn:
            conn.sendall(struct.pack('<I', len(banner))[:3] + b'\x00' + banner)
            while conn.recv(512):
                pass

def serve_udp_sink(ip, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ip, port))
    while True:
        s.recvfrom(4096)

def tcp_client(src, sport, dst, dport):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.settimeout(3)
    s.bind((src, sport))
    s.connect((dst, dport))
    return s

def http_get(src, sport, dst, dport):
    s = tcp_client(src, sport, dst, int(dport))
    s.sendall(('GET / HTTP/1.0\r\nHost: %s\r\nUser-Agent: np3t\r\n\r\n' % dst).encode())
    while s.recv(4096):
        pass
    s.close()

def tcp_hello(src, sport, dst, dport):
    s = tcp_client(src, sport, dst, int(dport))
    s.recv(512)
    s.sendall(b'\x01\x00\x00\x00\x01')  # COM_QUIT
    s.shutdown(socket.SHUT_WR)
    while s.recv(512):
        pass
    s.close()

def dns_udp(src, sport, dst, dport, qid, name):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1)
    s.bind((src, sport))
    s.connect((dst, dport))
    s.send(dns_query(qid, name))
    try:
        s.recv(4096)
    except ConnectionRefusedError:
        print('icmp port unreachable (expected for a closed port)')
    except socket.timeout:
        print('no answer')
    s.close()

def dns_tcp(src, sport, dst, dport, qid, name):
    s = tcp_client(src, sport, dst, dport)
    q = dns_query(qid, name)
    s.sendall(struct.pack('!H', len(q)) + q)
    head = recv_exact(s, 2)
    recv_exact(s, struct.unpack('!H', head)[0])
    s.close()

def udp_send(src, sport, dst, dport, payload):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, sport))
    s.sendto(payload.encode(), (dst, dport))
    s.close()

def checksum(data):
    if len(data) % 2:
        data += b'\0'
    total = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF

def ping(src, dst, ident, count):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.settimeout(1)
    s.bind((src, 0))
    for seq in range(1, count + 1):
        body = b'np3t-ping-%02d' % seq
        head = struct.pack('!BBHHH', 8, 0, 0, ident, seq)
        head = struct.pack('!BBHHH', 8, 0, checksum(head + body), ident, seq)
        s.sendto(head + body, (dst, 0))
        try:
            s.recv(4096)
        except socket.timeout:
            print('no echo reply')
        time.sleep(0.2)
    s.close()

def main(argv):
    mode, args = argv[1], argv[2:]
    if mode == 'dns-server':
        ip, tcp = args[0], args[1] == 'tcp'
        threads = [threading.Thread(target=serve_dns_udp, args=(ip, 53), daemon=True)]
        if tcp:
            threads.append(threading.Thread(target=serve_dns_tcp, args=(ip, 53), daemon=True))
        for t in threads:
            t.start()
        while True:
            time.sleep(3600)
    elif mode == 'banner-server':
        serve_banner(args[0], int(args[1]))
    elif mode == 'udp-sink':
        serve_udp_sink(args[0], int(args[1]))
    elif mode == 'http-get':
        http_get(args[0], int(args[1]), args[2], args[3])
    elif mode == 'tcp-hello':
        tcp_hello(args[0], int(args[1]), args[2], args[3])
    elif mode == 'dns-udp':
        dns_udp(args[0], int(args[1]), args[2], int(args[3]), int(args[4], 0), args[5])
    elif mode == 'dns-tcp':
        dns_tcp(args[0], int(args[1]), args[2], int(args[3]), int(args[4], 0), args[5])
    elif mode == 'udp-send':
        udp_send(args[0], int(args[1]), args[2], int(args[3]), args[4])
    elif mode == 'ping':
        ping(args[0], args[1], int(args[2], 0), int(args[3]))
    else:
        raise SystemExit('unknown mode ' + mode)

main(sys.argv)
PY

# --------------------------------------------------------------------------- topology
ip netns add "$BRIDGE_NS"
# Bridge ports and the bridge itself must stay silent (no IPv6 link-local, no RS/MLD of their
# own), so every frame in the captures comes from an endpoint.
ip netns exec "$BRIDGE_NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n "$BRIDGE_NS" link add "$BRIDGE" type bridge stp_state 0
ip -n "$BRIDGE_NS" link set "$BRIDGE" up

mac_for() { # 02:42 + the four bytes of the IPv4 address: readable in the capture
  local IFS=.
  # shellcheck disable=SC2086
  set -- $1
  printf '02:42:%02x:%02x:%02x:%02x' "$1" "$2" "$3" "$4"
}

for entry in "${ENDPOINTS[@]}"; do
  read -r name addr tag <<<"$entry"
  ns=$PREFIX-$name
  ip netns add "$ns"
  ip -n "$BRIDGE_NS" link add "$PREFIX-$tag" type veth peer name eth0 netns "$ns"
  ip -n "$BRIDGE_NS" link set "$PREFIX-$tag" master "$BRIDGE" up
  ip -n "$ns" link set eth0 address "$(mac_for "$addr")"
  ip -n "$ns" link set lo up
  ip -n "$ns" link set eth0 up
  # A /32 and an on-link default route: every address, pod or not, is reached by ARP on the
  # one segment, like a flat L2 pod network.
  ip -n "$ns" addr add "$addr/32" dev eth0
  ip -n "$ns" route add default dev eth0 scope link
done

# --------------------------------------------------------------------------- servers
in_ns() { local ns=$PREFIX-$1; shift; ip netns exec "$ns" "$@"; }
start_server() { # name, then the command
  local ns=$PREFIX-$1; shift
  # A simple command, not a function, in the background: $! is then the server itself
  # (ip netns exec execs it), so cleanup can end it by its id.
  ip netns exec "$ns" "$@" >>"$WORK/servers.log" 2>&1 &
  PIDS+=("$!")
}

mkdir -p "$WORK/www"
printf 'hello from np3t\n' >"$WORK/www/index.html"
start_server frontend python3 -m http.server 80 --bind 10.244.1.10 --directory "$WORK/www"
start_server backend python3 -m http.server 5678 --bind 10.244.1.11 --directory "$WORK/www"
start_server db python3 "$WORK/np3t.py" banner-server 10.244.2.12 3306
start_server coredns-a python3 "$WORK/np3t.py" dns-server 10.244.1.2 tcp
start_server coredns-b python3 "$WORK/np3t.py" dns-server 10.244.2.2 tcp
start_server metrics python3 "$WORK/np3t.py" dns-server 10.244.2.20 udp-only
start_server metrics python3 "$WORK/np3t.py" udp-sink 10.244.2.20 8125

wait_listening() { # name proto(t|u) port
  local i
  for i in $(seq 1 100); do
    if in_ns "$1" ss -Hln"$2" "sport = :$3" | grep -q .; then return 0; fi
    sleep 0.1
  done
  echo "record-three-tier: server $1 ${2}:$3 did not start; see $WORK/servers.log" >&2
  cat "$WORK/servers.log" >&2
  exit 1
}
wait_listening frontend t 80
wait_listening backend t 5678
wait_listening db t 3306
wait_listening coredns-a u 53
wait_listening coredns-a t 53
wait_listening coredns-b u 53
wait_listening coredns-b t 53
wait_listening metrics u 53
wait_listening metrics u 8125

# Let IPv6 DAD and the first router solicitations pass before recording; later ones may still
# appear in the capture, as kernel background traffic does on real nodes.
sleep 2

# --------------------------------------------------------------------------- capture
bridge_ifindex=$(ip -n "$BRIDGE_NS" -o link show "$BRIDGE" | cut -d: -f1)
start_capture() { # file, then tcpdump arguments
  local file=$1; shift
  ip netns exec "$BRIDGE_NS" tcpdump -Z root -n -w "$WORK/$file" "$@" 2>"$WORK/$file.log" &
  PIDS+=("$!")
  local i
  for i in $(seq 1 100); do
    if grep -q 'listening on' "$WORK/$file.log"; then return 0; fi
    sleep 0.1
  done
  echo "record-three-tier: tcpdump for $file did not start" >&2
  cat "$WORK/$file.log" >&2
  exit 1
}
# The bridge device in promiscuous mode sees every forwarded frame once. On `any`, the frames
# the bridge passes up to its own device would be a third copy: exclude that interface.
start_capture capture.pcap -i "$BRIDGE"
capture_pids=("${PIDS[-1]}")
start_capture capture-any.pcap -i any "not ifindex $bridge_ifindex"
capture_pids+=("${PIDS[-1]}")
sleep 0.5

tool() { local name=$1; shift; in_ns "$name" python3 "$WORK/np3t.py" "$@"; }
flow() { echo "  $*" >&2; sleep 0.3; }

# Keep this list in step with examples/three-tier/expected-flows.json (ids F01..F20).
flow F01 client 203.0.113.50 to frontend:80 HTTP
tool client http-get 203.0.113.50 40001 10.244.1.10 80
flow F02 blocked 198.51.100.7 to frontend:80 HTTP
tool blocked http-get 198.51.100.7 40002 10.244.1.10 80
flow F03 frontend to backend:5678 HTTP
tool frontend http-get 10.244.1.10 40003 10.244.1.11 5678
flow F04 backend to db:3306
tool backend tcp-hello 10.244.1.11 40004 10.244.2.12 3306
flow F05 frontend to db:3306
tool frontend tcp-hello 10.244.1.10 40005 10.244.2.12 3306
flow F06 db to frontend:80
tool db http-get 10.244.2.12 40006 10.244.1.10 80
flow F07 frontend to coredns-a UDP 53
tool frontend dns-udp 10.244.1.10 40007 10.244.1.2 53 0x1007 backend-svc.app1-ns.svc.cluster.local
flow F08 frontend to coredns-a TCP 53
tool frontend dns-tcp 10.244.1.10 40008 10.244.1.2 53 0x1008 backend-svc.app1-ns.svc.cluster.local
flow F09 backend to coredns-b UDP 53
tool backend dns-udp 10.244.1.11 40009 10.244.2.2 53 0x1009 db-svc.app1-ns.svc.cluster.local
flow F10 backend to coredns-b TCP 53
tool backend dns-tcp 10.244.1.11 40010 10.244.2.2 53 0x100a db-svc.app1-ns.svc.cluster.local
flow F11 db to coredns-a UDP 53
tool db dns-udp 10.244.2.12 40011 10.244.1.2 53 0x100b example.com
flow F12 db to metrics-agent UDP 53
tool db dns-udp 10.244.2.12 40012 10.244.2.20 53 0x100c example.com
flow F13 db to metrics-agent UDP 8125
tool db udp-send 10.244.2.12 40013 10.244.2.20 8125 'mysql.connections:1|c'
flow F14 backend to frontend:80
tool backend http-get 10.244.1.11 40014 10.244.1.10 80
flow F15 node1 to backend:5678
tool node1 http-get 172.18.0.2 40015 10.244.1.11 5678
flow F16 node1 to db:3306
tool node1 tcp-hello 172.18.0.2 40016 10.244.2.12 3306
flow F17 ingress controller to frontend:80
tool ingress http-get 10.244.2.30 40017 10.244.1.10 80
flow F18 frontend ping backend
tool frontend ping 10.244.1.10 10.244.1.11 0x3018 2
flow F19 frontend to coredns-a UDP 5353, closed port
tool frontend dns-udp 10.244.1.10 40019 10.244.1.2 5353 0x1013 example.com
flow F20 frontend to metrics-agent UDP 53
tool frontend dns-udp 10.244.1.10 40020 10.244.2.20 53 0x1014 example.com
sleep 1

for pid in "${capture_pids[@]}"; do kill -INT "$pid"; done
for pid in "${capture_pids[@]}"; do wait "$pid" || true; done
cat "$WORK/capture.pcap.log" "$WORK/capture-any.pcap.log" >&2

mkdir -p "$OUT_DIR"
cp "$WORK/capture.pcap" "$WORK/capture-any.pcap" "$OUT_DIR/"
chmod 644 "$OUT_DIR/capture.pcap" "$OUT_DIR/capture-any.pcap"
ls -l "$OUT_DIR/capture.pcap" "$OUT_DIR/capture-any.pcap" >&2
