#!/usr/bin/env bash
# Record a real overlay capture: two "nodes" (network namespaces) joined by an underlay veth and
# real Linux vxlan devices, each with "pods" (namespaces behind veths) routed through the tunnel.
#
#   node1 (192.168.100.1)  ==== underlay veth ====  node2 (192.168.100.2)
#     pod web 10.244.1.10                             pod api 10.244.2.20  (via vxlan 4789, VNI 42)
#                                                     pod db  10.244.3.30  (via vxlan 8472, VNI 1:
#                                                                           Flannel's and Cilium's port)
#
#   overlay-underlay.pcap  tcpdump on node1's underlay interface: Ethernet (link type 1), every
#                          pod packet inside VXLAN, plus the ARP the vxlan devices resolve inside.
#   overlay-any.pcap       tcpdump -i any on node1: Linux cooked v2 (276); each pod packet seen on
#                          the pod's veth, on the vxlan device (decapsulated) and on the underlay
#                          (encapsulated): one packet, three copies.
#   overlay-tshark.txt     tshark's reading of overlay-underlay.pcap with both ports decoded as
#                          VXLAN: inner 5-tuples, which test/decap-recorded.test.ts compares with
#                          the emulator's flows.
#
# Geneve, ipip and sit devices need kernel modules this machine lacks ("Unknown device type"); the
# script records them when `ip link add` succeeds and skips them otherwise.
#
# Usage (as root): scripts/record-overlay.sh [OUTPUT_DIR]   (default: test/fixtures/overlay)
# Every name it creates starts with npvx-; leftovers are removed first and on exit.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT_DIR=${1:-"$REPO/test/fixtures/overlay"}
PREFIX=npvx

NAME=record-overlay
# shellcheck source=lib/netns-session.sh
source "$REPO/scripts/lib/netns-session.sh"
require_root_and_tools "network namespaces, tcpdump" "apt-get install -y tcpdump tshark iproute2" tcpdump tshark ip python3
start_session

cat >"$WORK/npvx.py" <<'PY'
import socket, sys, time
def serve_tcp(ip, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((ip, port)); s.listen(8)
    while True:
        conn, _ = s.accept()
        with conn:
            data = conn.recv(512)
            conn.sendall(b'HTTP/1.0 200 OK\r\n\r\nok ' + data[:8])
def serve_udp(ip, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ip, port))
    while True:
        msg, peer = s.recvfrom(4096)
        s.sendto(b'pong ' + msg, peer)
def tcp(src, sport, dst, dport):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.settimeout(3); s.bind((src, sport)); s.connect((dst, dport))
    s.sendall(b'GET / HTTP/1.0\r\n\r\n')
    while s.recv(4096):
        pass
    s.close()
def udp(src, sport, dst, dport):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2); s.bind((src, sport)); s.sendto(b'ping', (dst, dport))
    try:
        s.recv(512)
    except OSError:
        pass
    s.close()
def ping(dst, ident):
    import struct
    body = struct.pack('!BBHHH', 8, 0, 0, ident, 1) + b'npvx'
    total = sum(struct.unpack('!%dH' % (len(body) // 2), body))
    total = (total >> 16) + (total & 0xffff); total += total >> 16
    body = body[:2] + struct.pack('!H', ~total & 0xffff) + body[4:]
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.settimeout(2); s.sendto(body, (dst, 0))
    try:
        s.recv(512)
    except OSError:
        pass
    s.close()
cmd = sys.argv[1]
args = sys.argv[2:]
if cmd == 'serve-tcp': serve_tcp(args[0], int(args[1]))
elif cmd == 'serve-udp': serve_udp(args[0], int(args[1]))
elif cmd == 'tcp': tcp(args[0], int(args[1]), args[2], int(args[3]))
elif cmd == 'udp': udp(args[0], int(args[1]), args[2], int(args[3]))
elif cmd == 'ping': ping(args[0], int(args[1]))
PY

ns() { ip netns exec "$PREFIX-$1" "${@:2}"; }
for n in node1 node2 web api db; do ip netns add "$PREFIX-$n"; ns "$n" ip link set lo up; done
for n in node1 node2; do ns "$n" sysctl -qw net.ipv4.ip_forward=1; done

# Underlay.
ip link add "$PREFIX-u1" netns "$PREFIX-node1" type veth peer name "$PREFIX-u2" netns "$PREFIX-node2"
ns node1 ip addr add 192.168.100.1/24 dev "$PREFIX-u1"; ns node1 ip link set "$PREFIX-u1" up
ns node2 ip addr add 192.168.100.2/24 dev "$PREFIX-u2"; ns node2 ip link set "$PREFIX-u2" up

# Pods: name node ip gateway-on-node.
attach_pod() {
  local pod=$1 node=$2 ip=$3 gw=$4
  ip link add "$PREFIX-$pod" netns "$PREFIX-$node" type veth peer name eth0 netns "$PREFIX-$pod"
  ns "$node" ip addr add "$gw/24" dev "$PREFIX-$pod"; ns "$node" ip link set "$PREFIX-$pod" up
  ns "$pod" ip addr add "$ip/24" dev eth0; ns "$pod" ip link set eth0 up
  ns "$pod" ip route add default via "$gw"
  # Fixed MACs keep the recorded bytes stable between runs.
}
attach_pod web node1 10.244.1.10 10.244.1.1
attach_pod api node2 10.244.2.20 10.244.2.1
attach_pod db node2 10.244.3.30 10.244.3.1

# Tunnels: VNI 42 on the IANA port, VNI 1 on the Linux/Flannel port 8472.
vxlan() {
  local dev=$1 vni=$2 port=$3 a=$4 b=$5
  ns node1 ip link add "$dev" type vxlan id "$vni" dstport "$port" local 192.168.100.1 remote 192.168.100.2 dev "$PREFIX-u1"
  ns node2 ip link add "$dev" type vxlan id "$vni" dstport "$port" local 192.168.100.2 remote 192.168.100.1 dev "$PREFIX-u2"
  ns node1 ip addr add "$a/30" dev "$dev"; ns node1 ip link set "$dev" up
  ns node2 ip addr add "$b/30" dev "$dev"; ns node2 ip link set "$dev" up
}
vxlan vx42 42 4789 10.250.0.1 10.250.0.2
vxlan vx1 1 8472 10.250.1.1 10.250.1.2
ns node1 ip route add 10.244.2.0/24 via 10.250.0.2
ns node1 ip route add 10.244.3.0/24 via 10.250.1.2
ns node2 ip route add 10.244.1.0/24 via 10.250.0.1
# db answers through the 8472 tunnel too (symmetric paths).
ns node2 ip rule add from 10.244.3.0/24 table 100
ns node2 ip route add 10.244.1.0/24 via 10.250.1.1 table 100

ip netns exec "$PREFIX-api" python3 "$WORK/npvx.py" serve-tcp 10.244.2.20 8080 & PIDS+=($!)
ip netns exec "$PREFIX-api" python3 "$WORK/npvx.py" serve-tcp 10.244.2.20 9090 & PIDS+=($!)
ip netns exec "$PREFIX-api" python3 "$WORK/npvx.py" serve-udp 10.244.2.20 5353 & PIDS+=($!)
ip netns exec "$PREFIX-db" python3 "$WORK/npvx.py" serve-tcp 10.244.3.30 5432 & PIDS+=($!)
sleep 1

ip netns exec "$PREFIX-node1" tcpdump -i "$PREFIX-u1" -U -s 0 -w "$WORK/overlay-underlay.pcap" 2>/dev/null & PIDS+=($!)
ip netns exec "$PREFIX-node1" tcpdump -i any -U -s 0 -w "$WORK/overlay-any.pcap" 2>/dev/null & PIDS+=($!)
sleep 1.5
ns web python3 "$WORK/npvx.py" tcp 10.244.1.10 40001 10.244.2.20 8080
ns web python3 "$WORK/npvx.py" tcp 10.244.1.10 40002 10.244.2.20 9090
ns web python3 "$WORK/npvx.py" udp 10.244.1.10 40003 10.244.2.20 5353
ns web python3 "$WORK/npvx.py" tcp 10.244.1.10 40004 10.244.3.30 5432
ns web python3 "$WORK/npvx.py" ping 10.244.2.20 4242
sleep 1
kill -INT "${PIDS[-1]}" "${PIDS[-2]}"; wait "${PIDS[-1]}" "${PIDS[-2]}" 2>/dev/null || true

mkdir -p "$OUT_DIR"
cp "$WORK/overlay-underlay.pcap" "$WORK/overlay-any.pcap" "$OUT_DIR/"
# tshark's view: every inner IP packet of the underlay capture (both VXLAN ports decoded as VXLAN):
# VNI, inner source, destination, protocol, and ports (TCP/UDP) or echo id (ICMP).
tshark -r "$OUT_DIR/overlay-underlay.pcap" -d udp.port==8472,vxlan -d udp.port==4789,vxlan -Y 'vxlan && count(ip.src) == 2' \
  -T fields -E separator='|' -E aggregator=';' -e vxlan.vni -e ip.src -e ip.dst -e ip.proto -e tcp.srcport -e tcp.dstport -e udp.srcport -e udp.dstport -e icmp.ident \
  | awk -F'|' '{ split($2, s, ";"); split($3, d, ";"); split($4, p, ";"); split($7, us, ";"); split($8, ud, ";");
           if ($5 != "") { sp = $5; dp = $6 } else if (us[2] != "") { sp = us[2]; dp = ud[2] } else { sp = $9; dp = "-" }
           print $1, s[2], d[2], p[2], sp, dp }' >"$OUT_DIR/overlay-tshark.txt"
echo "record-overlay: wrote $OUT_DIR/overlay-underlay.pcap, overlay-any.pcap, overlay-tshark.txt"
