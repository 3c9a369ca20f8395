#!/usr/bin/env bash
# Record a real Service translation: a client pod reaches a ClusterIP that a real nftables DNAT
# rule on the "node" translates to one of its backend pods, as kube-proxy's nftables mode does.
#
#   client 10.244.2.10 --veth-- node (ClusterIP 10.96.0.10:80 DNAT) --veth-- backend-v1 10.244.1.20:8080
#                                                                   --veth-- backend-v2 10.244.3.21:8080
#                                                      (--random only) --veth-- backend-v3 10.244.4.22:8080
#
# Default: two backends, the choice made by the client's source port (below), files:
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
# --random: three backends and kube-proxy's own choice, `numgen random mod 3 vmap` into one chain
# per endpoint (pkg/proxy/nftables/proxier.go writes the same shape), for TCP 10.96.0.10:80 → 8080
# and UDP 10.96.0.10:9000 → 9000; 12 TCP connections (client ports 40000–40011) and 6 UDP
# exchanges (41000–41005). Which endpoint each one got is only in the capture, so the node
# capture is the test of following it (test/services-random-recorded.test.ts). Files:
#   service-random-client.pcap, service-random-node-any.pcap  as above
#   service-random-tshark.txt  tshark's 5-tuples (file, protocol, src, sport, dst, dport)
#   nft-ruleset-random.txt     the DNAT rule set used
#
# Usage (as root): scripts/record-service.sh [--random] [OUTPUT_DIR]   (default: test/fixtures/services)
# Every name it creates starts with npsv- (--random: npsr-); leftovers are removed first and on exit.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RANDOM_CHOICE=0
if [[ ${1:-} == --random ]]; then RANDOM_CHOICE=1; shift; fi
OUT_DIR=${1:-"$REPO/test/fixtures/services"}
PREFIX=npsv
if [[ $RANDOM_CHOICE == 1 ]]; then PREFIX=npsr; fi

NAME=record-service
# shellcheck source=lib/netns-session.sh
source "$REPO/scripts/lib/netns-session.sh"
require_root_and_tools "network namespaces, nftables, tcpdump" "apt-get install -y tcpdump tshark nftables iproute2" tcpdump tshark ip nft python3
start_session

cat >"$WORK/npsv.py" <<'PY'
import socket, sys
def serve_udp(ip, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ip, port))
    while True:
        data, peer = s.recvfrom(512)
        s.sendto(data + b' from ' + ip.encode(), peer)
def ask_udp(src, sport, dst, dport):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3); s.bind((src, sport))
    s.sendto(b'hello', (dst, dport))
    s.recvfrom(512)
    s.close()
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
elif sys.argv[1] == 'serve-udp': serve_udp(sys.argv[2], int(sys.argv[3]))
elif sys.argv[1] == 'ask-udp': ask_udp(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]))
else: get(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]))
PY
BACKENDS=(v1 v2)
if [[ $RANDOM_CHOICE == 1 ]]; then BACKENDS=(v1 v2 v3); fi

ns() { ip netns exec "$PREFIX-$1" "${@:2}"; }
for n in node client "${BACKENDS[@]}"; do ip netns add "$PREFIX-$n"; ns "$n" ip link set lo up; done
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
if [[ $RANDOM_CHOICE == 1 ]]; then attach v3 10.244.4.22 10.244.4.1; fi
if [[ $RANDOM_CHOICE == 0 ]]; then
  TABLE=npsv_kube_proxy
  cat >"$WORK/ruleset.nft" <<'NFT'
table ip npsv_kube_proxy {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    ip daddr 10.96.0.10 tcp dport 80 tcp sport & 1 == 0 dnat to 10.244.1.20:8080
    ip daddr 10.96.0.10 tcp dport 80 tcp sport & 1 == 1 dnat to 10.244.3.21:8080
  }
}
NFT
else
  # kube-proxy nftables mode: a Service chain jumps at random (numgen random mod N vmap) to one
  # chain per endpoint, which DNATs to it.
  TABLE=npsr_kube_proxy
  cat >"$WORK/ruleset.nft" <<'NFT'
table ip npsr_kube_proxy {
  chain endpoint-http-v1 { meta l4proto tcp dnat to 10.244.1.20:8080; }
  chain endpoint-http-v2 { meta l4proto tcp dnat to 10.244.3.21:8080; }
  chain endpoint-http-v3 { meta l4proto tcp dnat to 10.244.4.22:8080; }
  chain endpoint-echo-v1 { meta l4proto udp dnat to 10.244.1.20:9000; }
  chain endpoint-echo-v2 { meta l4proto udp dnat to 10.244.3.21:9000; }
  chain endpoint-echo-v3 { meta l4proto udp dnat to 10.244.4.22:9000; }
  chain service-http {
    numgen random mod 3 vmap { 0 : goto endpoint-http-v1, 1 : goto endpoint-http-v2, 2 : goto endpoint-http-v3 }
  }
  chain service-echo {
    numgen random mod 3 vmap { 0 : goto endpoint-echo-v1, 1 : goto endpoint-echo-v2, 2 : goto endpoint-echo-v3 }
  }
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    ip daddr 10.96.0.10 tcp dport 80 goto service-http
    ip daddr 10.96.0.10 udp dport 9000 goto service-echo
  }
}
NFT
fi
ns node nft -f "$WORK/ruleset.nft"
ns node sysctl -qw net.ipv4.conf.all.rp_filter=0

ip netns exec "$PREFIX-v1" python3 "$WORK/npsv.py" serve 10.244.1.20 8080 & PIDS+=($!)
ip netns exec "$PREFIX-v2" python3 "$WORK/npsv.py" serve 10.244.3.21 8080 & PIDS+=($!)
if [[ $RANDOM_CHOICE == 1 ]]; then
  ip netns exec "$PREFIX-v3" python3 "$WORK/npsv.py" serve 10.244.4.22 8080 & PIDS+=($!)
  ip netns exec "$PREFIX-v1" python3 "$WORK/npsv.py" serve-udp 10.244.1.20 9000 & PIDS+=($!)
  ip netns exec "$PREFIX-v2" python3 "$WORK/npsv.py" serve-udp 10.244.3.21 9000 & PIDS+=($!)
  ip netns exec "$PREFIX-v3" python3 "$WORK/npsv.py" serve-udp 10.244.4.22 9000 & PIDS+=($!)
fi
NAMES=(service-client.pcap service-node-any.pcap service-tshark.txt nft-ruleset.txt)
if [[ $RANDOM_CHOICE == 1 ]]; then NAMES=(service-random-client.pcap service-random-node-any.pcap service-random-tshark.txt nft-ruleset-random.txt); fi
sleep 1
ip netns exec "$PREFIX-client" tcpdump -i eth0 -U -s 0 -w "$WORK/${NAMES[0]}" 2>/dev/null & CLIENT_DUMP=$!; PIDS+=($!)
ip netns exec "$PREFIX-node" tcpdump -i any -U -s 0 -w "$WORK/${NAMES[1]}" 'not ip6' 2>/dev/null & NODE_DUMP=$!; PIDS+=($!)
sleep 1.5
if [[ $RANDOM_CHOICE == 0 ]]; then
  ns client python3 "$WORK/npsv.py" get 10.244.2.10 40000 10.96.0.10 80
  ns client python3 "$WORK/npsv.py" get 10.244.2.10 40001 10.96.0.10 80
  ns client python3 "$WORK/npsv.py" get 10.244.2.10 40002 10.96.0.10 80
else
  for port in $(seq 40000 40011); do ns client python3 "$WORK/npsv.py" get 10.244.2.10 "$port" 10.96.0.10 80; done
  for port in $(seq 41000 41005); do ns client python3 "$WORK/npsv.py" ask-udp 10.244.2.10 "$port" 10.96.0.10 9000; done
fi
sleep 1
kill -INT "$CLIENT_DUMP" "$NODE_DUMP"; wait "$CLIENT_DUMP" "$NODE_DUMP" 2>/dev/null || true

mkdir -p "$OUT_DIR"
cp "$WORK/${NAMES[0]}" "$WORK/${NAMES[1]}" "$OUT_DIR/"
ns node nft list table ip "$TABLE" >"$OUT_DIR/${NAMES[3]}"
for f in "${NAMES[0]}" "${NAMES[1]}"; do
  if [[ $RANDOM_CHOICE == 0 ]]; then
    tshark -r "$OUT_DIR/$f" -Y tcp -T fields -E separator=' ' -e ip.src -e tcp.srcport -e ip.dst -e tcp.dstport | sed "s/^/$f /"
  else
    tshark -r "$OUT_DIR/$f" -Y tcp -T fields -E separator=' ' -e ip.src -e tcp.srcport -e ip.dst -e tcp.dstport | sed "s/^/$f tcp /"
    tshark -r "$OUT_DIR/$f" -Y udp -T fields -E separator=' ' -e ip.src -e udp.srcport -e ip.dst -e udp.dstport | sed "s/^/$f udp /"
  fi
done >"$OUT_DIR/${NAMES[2]}"
echo "record-service: wrote $OUT_DIR/${NAMES[*]}"
