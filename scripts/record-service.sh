#!/usr/bin/env bash
# Record a real Service translation: a client pod reaches a ClusterIP that a real nftables DNAT
# rule on the "node" translates to one of two backend pods, as kube-proxy's nftables mode does.
#
#   client 10.244.2.10 --veth-- node (ClusterIP 10.96.0.10:80 DNAT) --veth-- backend-v1 10.244.1.20:8080
#                                                                   --veth-- backend-v2 10.244.3.21:8080
#
#   service-client.pcap  tcpdump on the client's eth0: only the ClusterIP is visible (link type 1)
#   service-node-any.pcap  tcpdump -i any on the node: each packet before DNAT (client's veth)
#                        and after (the backend's veth), Linux cooked v2 (link type 276)
#   service-tshark.txt   tshark's 5-tuples of both files (file, src, sport, dst, dport)
#   nft-ruleset.txt      the DNAT rule set used
#
# The nftables rule picks the backend by the client's source port (even → v1, odd → v2), so the
# recording is reproducible; the emulator is told which endpoint each connection used with
# --service-endpoint in test/services-recorded.test.ts.
#
# Usage (as root): scripts/record-service.sh [OUTPUT_DIR]   (default: test/fixtures/services)
# Every name it creates starts with npsv-; leftovers are removed first and on exit.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT_DIR=${1:-"$REPO/test/fixtures/services"}
PREFIX=npsv

NAME=record-service
# shellcheck source=lib/netns-session.sh
source "$REPO/scripts/lib/netns-session.sh"
require_root_and_tools "network namespaces, nftables, tcpdump" "apt-get install -y tcpdump tshark nftables iproute2" tcpdump tshark ip nft python3
start_session

cat >"$WORK/npsv.py" <<'PY'
import socket, sys
def serve(ip, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((ip, port)); s.listen(8)
    while True:
        conn, _ = s.accept()
        with conn:
            conn.recv(512)
            conn.sendall(b'HTTP/1.0 200 OK\r\n\r\n' + ip.encode())
def get(src, sport, dst, dport):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.settimeout(3); s.bind((src, sport)); s.connect((dst, dport))
    s.sendall(b'GET / HTTP/1.0\r\n\r\n')
    while s.recv(4096):
        pass
    s.close()
if sys.argv[1] == 'serve': serve(sys.argv[2], int(sys.argv[3]))
else: get(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]))
PY

ns() { ip netns exec "$PREFIX-$1" "${@:2}"; }
for n in node client v1 v2; do ip netns add "$PREFIX-$n"; ns "$n" ip link set lo up; done
ns node sysctl -qw net.ipv4.ip_forward=1
# Routed pod interfaces, one /24 each (Calico-style: no bridge), so a node `-i any` capture sees
# each packet twice: on the client's veth before DNAT and on the backend's veth after it; the
# backends' replies come back through the node and are un-translated by its conntrack.
attach() {
  local pod=$1 ip=$2 gw=$3
  ip link add "$PREFIX-$pod" netns "$PREFIX-node" type veth peer name eth0 netns "$PREFIX-$pod"
  ns node ip addr add "$gw/24" dev "$PREFIX-$pod"; ns node ip link set "$PREFIX-$pod" up
  ns "$pod" ip addr add "$ip/24" dev eth0; ns "$pod" ip link set eth0 up
  ns "$pod" ip route add default via "$gw"
}
attach client 10.244.2.10 10.244.2.1
attach v1 10.244.1.20 10.244.1.1
attach v2 10.244.3.21 10.244.3.1
cat >"$WORK/ruleset.nft" <<'NFT'
table ip npsv_kube_proxy {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    ip daddr 10.96.0.10 tcp dport 80 tcp sport & 1 == 0 dnat to 10.244.1.20:8080
    ip daddr 10.96.0.10 tcp dport 80 tcp sport & 1 == 1 dnat to 10.244.3.21:8080
  }
}
NFT
ns node nft -f "$WORK/ruleset.nft"
ns node sysctl -qw net.ipv4.conf.all.rp_filter=0

ip netns exec "$PREFIX-v1" python3 "$WORK/npsv.py" serve 10.244.1.20 8080 & PIDS+=($!)
ip netns exec "$PREFIX-v2" python3 "$WORK/npsv.py" serve 10.244.3.21 8080 & PIDS+=($!)
sleep 1
ip netns exec "$PREFIX-client" tcpdump -i eth0 -U -s 0 -w "$WORK/service-client.pcap" 2>/dev/null & PIDS+=($!)
ip netns exec "$PREFIX-node" tcpdump -i any -U -s 0 -w "$WORK/service-node-any.pcap" 'not ip6' 2>/dev/null & PIDS+=($!)
sleep 1.5
ns client python3 "$WORK/npsv.py" get 10.244.2.10 40000 10.96.0.10 80
ns client python3 "$WORK/npsv.py" get 10.244.2.10 40001 10.96.0.10 80
ns client python3 "$WORK/npsv.py" get 10.244.2.10 40002 10.96.0.10 80
sleep 1
kill -INT "${PIDS[2]}" "${PIDS[3]}"; wait "${PIDS[2]}" "${PIDS[3]}" 2>/dev/null || true

mkdir -p "$OUT_DIR"
cp "$WORK/service-client.pcap" "$WORK/service-node-any.pcap" "$OUT_DIR/"
ns node nft list table ip npsv_kube_proxy >"$OUT_DIR/nft-ruleset.txt"
for f in service-client.pcap service-node-any.pcap; do
  tshark -r "$OUT_DIR/$f" -Y tcp -T fields -E separator=' ' -e ip.src -e tcp.srcport -e ip.dst -e tcp.dstport | sed "s/^/$f /"
done >"$OUT_DIR/service-tshark.txt"
echo "record-service: wrote $OUT_DIR/service-client.pcap, service-node-any.pcap, service-tshark.txt, nft-ruleset.txt"
