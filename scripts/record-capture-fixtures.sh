#!/usr/bin/env bash
# Records the real capture fixtures under test/fixtures/captures/ (see its README.md).
#
# Two network namespaces joined by a veth pair carry a little real traffic (ICMP echo, a TCP
# exchange, a TCP connect to a closed port, UDP to an open and to a closed port) while three
# tcpdumps record it: on the veth (Ethernet), on `any` (LINUX_SLL2) and on `any -y LINUX_SLL`.
# Variants are derived with editcap/mergecap, then tshark's view of every fixture is written to
# <fixture>.expected.json so the tests compare against Wireshark without needing it at runtime.
#
# Needs root, iproute2, tcpdump, tshark (editcap, mergecap), python3.
set -euo pipefail

OUT="$(cd "$(dirname "$0")/.." && pwd)/test/fixtures/captures"
WORK="$(mktemp -d /tmp/npcap-record.XXXXXX)"
NS_A=npcap-a
NS_B=npcap-b

cleanup() {
  ip netns del "$NS_A" 2>/dev/null || true
  ip netns del "$NS_B" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

record() {
ip netns add "$NS_A"
ip netns add "$NS_B"
ip link add npcap-va netns "$NS_A" type veth peer name npcap-vb netns "$NS_B"
ip -n "$NS_A" addr add 10.213.0.1/24 dev npcap-va
ip -n "$NS_B" addr add 10.213.0.2/24 dev npcap-vb
ip -n "$NS_A" addr add fd00:213::1/64 dev npcap-va nodad
ip -n "$NS_B" addr add fd00:213::2/64 dev npcap-vb nodad
for ns in "$NS_A" "$NS_B"; do ip -n "$ns" link set lo up; done
ip -n "$NS_A" link set npcap-va up
ip -n "$NS_B" link set npcap-vb up
sleep 1

# Servers in B: a TCP echo on 8080 and a UDP echo on 5300 (nothing listens on 8081 / 5301).
ip netns exec "$NS_B" timeout 20 python3 - <<'EOF' &
import socket, threading
def tcp():
    s = socket.socket(socket.AF_INET); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('10.213.0.2', 8080)); s.listen(4)
    for _ in range(2):
        c, _a = s.accept(); data = c.recv(4096); c.sendall(b'echo:' + data); c.close()
def udp():
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('10.213.0.2', 5300))
    for _ in range(2):
        d, a = u.recvfrom(4096); u.sendto(b'echo:' + d, a)
t = threading.Thread(target=tcp); t.start(); udp(); t.join()
EOF
SERVERS=$!
sleep 0.5

ip netns exec "$NS_A" tcpdump -q -U -i npcap-va -w "$WORK/eth.pcap" 2>/dev/null &
T1=$!
ip netns exec "$NS_A" tcpdump -q -U -i any -w "$WORK/any-sll2.pcap" 2>/dev/null &
T2=$!
ip netns exec "$NS_A" tcpdump -q -U -i any -y LINUX_SLL -w "$WORK/any-sll.pcap" 2>/dev/null &
T3=$!
ip netns exec "$NS_A" tcpdump -q -U -i npcap-va --time-stamp-precision nano -w "$WORK/eth-nano.pcap" 2>/dev/null &
T4=$!
sleep 1.5

ip netns exec "$NS_A" ping -c 2 -i 0.2 -w 3 10.213.0.2 >/dev/null || true
ip netns exec "$NS_A" ping -6 -c 1 -w 3 fd00:213::2 >/dev/null || true
ip netns exec "$NS_A" timeout 15 python3 - <<'EOF'
import socket, time
for payload in (b'hello from a', b'x' * 1400):
    c = socket.create_connection(('10.213.0.2', 8080)); c.sendall(payload); c.recv(4096); c.close(); time.sleep(0.1)
try:
    socket.create_connection(('10.213.0.2', 8081), timeout=1)
except OSError:
    pass
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(1)
for dst in (('10.213.0.2', 5300), ('10.213.0.2', 5301), ('10.213.0.2', 5300)):
    u.sendto(b'udp ping', dst)
    try:
        u.recvfrom(4096)
    except OSError:
        pass
EOF
sleep 1
kill -INT $T1 $T2 $T3 $T4
wait $T1 $T2 $T3 $T4 || true
wait $SERVERS || true

mkdir -p "$OUT"
cp "$WORK/eth.pcap" "$OUT/eth-usec.pcap"
cp "$WORK/eth-nano.pcap" "$OUT/eth-nsec.pcap"
cp "$WORK/any-sll2.pcap" "$OUT/any-sll2-usec.pcap"
cp "$WORK/any-sll.pcap" "$OUT/any-sll-usec.pcap"
# pcapng with if_tsresol 10^-6 (converted from µs pcap) and 10^-9 (from ns pcap).
editcap -F pcapng "$WORK/eth.pcap" "$OUT/eth-usec.pcapng"
editcap -F pcapng "$WORK/eth-nano.pcap" "$OUT/eth-nsec.pcapng"
# ns classic pcap derived from a µs one by editcap.
editcap -F nsecpcap "$WORK/any-sll2.pcap" "$OUT/any-sll2-nsec.pcap"
# Two interfaces with different link types (Ethernet and LINUX_SLL) in one section.
mergecap -F pcapng -w "$OUT/mixed-eth-sll.pcapng" "$WORK/eth.pcap" "$WORK/any-sll.pcap"
# Several sections: pcapng files concatenated are one file with one SHB per section.
editcap -F pcapng "$WORK/any-sll2.pcap" "$WORK/any-sll2.pcapng"
cat "$OUT/eth-nsec.pcapng" "$WORK/any-sll2.pcapng" > "$OUT/two-sections.pcapng"

}

# tshark's view of each fixture: packet count, times, lengths, interface, sha256 of the bytes.
write_expected() {
  cd "$OUT"
  for f in *.pcap *.pcapng; do
    tshark -r "$f" -T json -x > "$WORK/$f.json" 2>/dev/null
    python3 - "$f" "$WORK/$f.json" "$f.expected.json" <<'EOF'
import hashlib, json, sys
name, src, dst = sys.argv[1:4]
packets = []
for p in json.load(open(src)):
    layers = p['_source']['layers']
    frame = layers['frame']
    packets.append({
        'time': frame['frame.time_epoch'],
        'wireLength': int(frame['frame.len']),
        'capturedLength': int(frame['frame.cap_len']),
        'interfaceId': int(frame.get('frame.interface_id', '0')),
        'sha256': hashlib.sha256(bytes.fromhex(layers['frame_raw'][0])).hexdigest(),
    })
head = json.dumps({'file': name, 'tool': 'tshark 4.0 -T json -x', 'count': len(packets)})[:-1]
lines = ',\n'.join('  ' + json.dumps(q, separators=(',', ':')) for q in packets)
open(dst, 'w').write(head + ', "packets": [\n' + lines + '\n]}\n')
EOF
  done
  ls -l "$OUT"
}

# --expected-only: keep the recorded captures, only rewrite the *.expected.json files.
if [ "${1:-}" != "--expected-only" ]; then
  record
fi
write_expected
