#!/usr/bin/env bash
# End to end (issue 6): software nobody here wrote talks through the relay.
# Two wireguard-go peers, each with a wayport-connect in front, reach each
# other through wayportd on af_packet ports:
#
#   ns A: a0 10.251.1.2 ── veth ── ns R: wayportd port "one" 10.251.1.1:7777
#   ns B: b0 10.251.2.2 ── veth ── ns R: wayportd port "two" 10.251.2.1:7777
#
#   A: wireguard-go 10.250.0.1, peer endpoint 127.0.0.1:51900 = wayport-connect
#      (allocates with a sealed UDP request to wayportd's node key)
#   B: wireguard-go 10.250.0.2, peer endpoint 127.0.0.1:51900 = wayport-connect
#      (allocates through wayportd's local API socket)
#
# Checked: ping and iperf3 through the tunnel, the relay's forwarding
# counters; a restarted wayport-connect (new source port) rebinds; a
# restarted wayportd makes both sides allocate again; an idle path outlives
# the relay's steady-state lifetime. Last, the same wireguard-go pair over
# the same veths bridged directly, for the throughput comparison.
#
# usage: e2e.sh WAYPORTD WAYPORTCTL WAYPORT-CONNECT
# E2E_IPERF_SECONDS (default 3) sets each iperf3 run's length.
set -euo pipefail

WAYPORTD=$1 WAYPORTCTL=$2 CONNECT=$3
IPERF_SECONDS=${E2E_IPERF_SECONDS:-3}

skip() {
	echo "e2e: SKIP: $*"
	exit 77
}
((EUID == 0)) || skip "needs root for network namespaces"
for tool in ip ethtool ping wireguard-go wg iperf3 python3; do
	command -v "$tool" >/dev/null || skip "$tool is not installed (scripts/bootstrap installs it)"
done

# Unique names: other tests and engineers share this machine, and
# wireguard-go's UAPI sockets in /var/run/wireguard are not per namespace.
tag=$(($$ % 100000))
NR=e2er$tag NA=e2ea$tag NB=e2eb$tag
WGA=wgea$tag WGB=wgeb$tag
tmp=$(mktemp -d /tmp/wayport-e2e.XXXXXX)
api=$tmp/api.sock

declare -A pid=()
status=1

log() { echo "e2e: $*"; }

fail() {
	echo "e2e: FAIL: $*"
	exit 1
}

cleanup() {
	local name
	for name in "${!pid[@]}"; do
		kill "${pid[$name]}" 2>/dev/null || true
	done
	for name in "${!pid[@]}"; do
		wait "${pid[$name]}" 2>/dev/null || true
	done
	ip netns del "$NA" 2>/dev/null || true
	ip netns del "$NB" 2>/dev/null || true
	ip netns del "$NR" 2>/dev/null || true
	if ((status != 0)); then
		for f in "$tmp"/*.log "$tmp"/*.status; do
			[[ -f $f ]] && { echo "---- $f"; tail -n 40 "$f"; }
		done
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

# Starts a background process under a name; its log is $tmp/NAME.log.
start() {
	local name=$1
	shift
	"$@" >"$tmp/$name.log" 2>&1 &
	pid[$name]=$!
}

stop() {
	local name=$1
	kill "${pid[$name]}" 2>/dev/null || true
	wait "${pid[$name]}" 2>/dev/null || true
	unset "pid[$name]"
}

# json FILE EXPR: evaluates the Python expression EXPR on the JSON in FILE
# (bound to j); "-" reads standard input.
json() {
	python3 -c 'import json, sys
j = json.load(sys.stdin if sys.argv[1] == "-" else open(sys.argv[1]))
print(eval(sys.argv[2]))' "$1" "$2"
}

ctl() { "$WAYPORTCTL" --socket "$api" "$@"; }

# wait_for SECONDS DESCRIPTION COMMAND...: polls until COMMAND succeeds.
wait_for() {
	local limit=$1 what=$2
	local deadline=$((SECONDS + limit))
	shift 2
	until "$@" 2>/dev/null; do
		((SECONDS < deadline)) || fail "timed out after $limit s waiting for $what"
		sleep 0.2
	done
}

state_is() { [[ -f $tmp/$1.status ]] && [[ $(json "$tmp/$1.status" 'j["state"]') == "$2" ]]; }
counter() { json "$tmp/$1.status" "j['counters']['$2']"; }
connect_source_port() { json "$tmp/$1.status" 'j["source"].rsplit(":", 1)[1]'; }
iperf_listening() { ip netns exec "$NB" ss -ltn 'sport = :5201' | grep -q 5201; }
tunnel_ping() { ip netns exec "$NA" ping -c 1 -W 1 -q 10.250.0.2 >/dev/null; }

# iperf3 TCP A -> B over the tunnel; prints Mbit/s received.
iperf() {
	ip netns exec "$NA" iperf3 -c 10.250.0.2 -t "$IPERF_SECONDS" -J >"$tmp/iperf.json" ||
		fail "iperf3 through the tunnel failed: $(tail -n 5 "$tmp/iperf.json")"
	json "$tmp/iperf.json" 'round(j["end"]["sum_received"]["bits_per_second"] / 1e6)'
}

# --- topology -------------------------------------------------------------
for ns in "$NR" "$NA" "$NB"; do
	ip netns add "$ns"
	ip -n "$ns" link set lo up
done
ip link add a0 netns "$NA" type veth peer name r1v$tag netns "$NR"
ip link add b0 netns "$NB" type veth peer name r2v$tag netns "$NR"
for end in "$NA a0" "$NB b0" "$NR r1v$tag" "$NR r2v$tag"; do
	read -r ns dev <<<"$end"
	ip -n "$ns" link set "$dev" up
done
# The af_packet PMD forwards CHECKSUM_PARTIAL frames as they are: the
# kernel-stack ends must finish their checksums themselves.
ip netns exec "$NA" ethtool -K a0 tx off >/dev/null
ip netns exec "$NB" ethtool -K b0 tx off >/dev/null
ip -n "$NA" addr add 10.251.1.2/24 dev a0
ip -n "$NB" addr add 10.251.2.2/24 dev b0

# Short lifetimes, so that expiry would show within the test. Not shorter:
# on a loaded 2-core machine the relay's control thread (which ages the
# endpoints) can be kept off its core for seconds.
cat >"$tmp/wayport.yaml" <<EOF
ports:
  - name: one
    device: net_af_packet0
    vdev_args: iface=r1v$tag
    ipv4: 10.251.1.1/24
  - name: two
    device: net_af_packet1
    vdev_args: iface=r2v$tag
    ipv4: 10.251.2.1/24
lcores:
  control: 0
  workers: [1]
node:
  state_dir: $tmp/state
relay:
  port: 7777
  bind_lifetime: 10s
  steady_state_lifetime: 8s
  allow_alloc_from: any
api:
  socket: $api
dataplane:
  mbufs: 4095
EOF

start_wayportd() {
	rm -f "$api"
	start wayportd ip netns exec "$NR" "$WAYPORTD" -l 0-1 --no-huge -m 512 --no-pci --no-shconf \
		--log-level=error -- --config "$tmp/wayport.yaml"
	wait_for 20 "wayportd's API socket" test -S "$api"
}
start_wayportd
node_disco=$(ctl status --json | json - 'j["node_disco"]')
log "wayportd up, node key $node_disco"

# --- WireGuard peers and their wayport-connects ---------------------------
KA=$("$CONNECT" --generate-key "$tmp/a.key")
KB=$("$CONNECT" --generate-key "$tmp/b.key")
(
	umask 077
	wg genkey >"$tmp/wga.key"
	wg genkey >"$tmp/wgb.key"
)

start wg-a env WG_PROCESS_FOREGROUND=1 ip netns exec "$NA" wireguard-go -f "$WGA"
start wg-b env WG_PROCESS_FOREGROUND=1 ip netns exec "$NB" wireguard-go -f "$WGB"
wait_for 10 "wireguard-go interfaces" test -S "/var/run/wireguard/$WGA.sock" -a -S "/var/run/wireguard/$WGB.sock"
ip netns exec "$NA" wg set "$WGA" listen-port 51820 private-key "$tmp/wga.key" \
	peer "$(wg pubkey <"$tmp/wgb.key")" endpoint 127.0.0.1:51900 allowed-ips 10.250.0.2/32
ip netns exec "$NB" wg set "$WGB" listen-port 51820 private-key "$tmp/wgb.key" \
	peer "$(wg pubkey <"$tmp/wga.key")" endpoint 127.0.0.1:51900 allowed-ips 10.250.0.1/32
ip -n "$NA" addr add 10.250.0.1/24 dev "$WGA"
ip -n "$NB" addr add 10.250.0.2/24 dev "$WGB"
ip -n "$NA" link set "$WGA" up
ip -n "$NB" link set "$WGB" up

start_connect_a() {
	start connect-a ip netns exec "$NA" "$CONNECT" --key "$tmp/a.key" --peer "$KB" \
		--relay 10.251.1.1:7777 --relay-key "$node_disco" \
		--listen 127.0.0.1:51900 --forward 127.0.0.1:51820 --status "$tmp/a.status"
}
start_connect_b() {
	rm -f "$tmp/b.status"
	start connect-b ip netns exec "$NB" "$CONNECT" --key "$tmp/b.key" --peer "$KA" --api-socket "$api" \
		--listen 127.0.0.1:51900 --forward 127.0.0.1:51820 --status "$tmp/b.status"
}
start_connect_a
start_connect_b
wait_for 20 "both paths up" eval 'state_is a up && state_is b up'
log "paths up: A $(json "$tmp/a.status" 'j["relay_addr"], j["endpoint"]["vni"]'), RTT $(json "$tmp/a.status" 'j["rtt_ms"]') ms"

# --- traffic through the relay ---------------------------------------------
wait_for 10 "a ping through the tunnel" tunnel_ping
ip netns exec "$NA" ping -c 5 -i 0.2 -W 2 -q 10.250.0.2 >/dev/null || fail "pings through the tunnel were lost"
start iperf-server ip netns exec "$NB" iperf3 -s -B 10.250.0.2
wait_for 10 "the iperf3 server" iperf_listening
relay_mbps=$(iperf)
log "iperf3 TCP through the relay: $relay_mbps Mbit/s"
((relay_mbps > 0)) || fail "no throughput through the relay"

forwarded=$(ctl status --json | json - 'j["counters"]["dataplane"]["forwarded_packets"]')
sleep 1.2  # the status files are rewritten every second
sent=$(($(counter a to_relay_packets) + $(counter b to_relay_packets)))
log "relay forwarded $forwarded packets; the two wayport-connects sent $sent WireGuard datagrams"
((forwarded >= 1000)) || fail "the relay forwarded only $forwarded packets"
((sent >= 1000)) || fail "the wayport-connects sent only $sent datagrams to the relay"

# --- a restarted wayport-connect rebinds from its new source port ----------
old_port=$(connect_source_port b)
stop connect-b
start_connect_b
wait_for 20 "B's new wayport-connect to come up" state_is b up
new_port=$(connect_source_port b)
[[ $new_port != "$old_port" ]] || fail "B's new wayport-connect reused source port $old_port"
wait_for 10 "a ping after B's restart" tunnel_ping
ctl relay sessions --json | json - "any(s[c]['Endpoint'] == '10.251.2.2:$new_port' for s in j['Sessions'] for c in ('Client1', 'Client2'))" |
	grep -q True || fail "the relay does not show B bound at 10.251.2.2:$new_port"
log "B restarted: rebound from port $old_port to $new_port, traffic resumed"

# --- a restarted wayportd: both sides allocate again -----------------------
vni_before=$(json "$tmp/a.status" 'j["endpoint"]["vni"]')
stop wayportd
start_wayportd
wait_for 40 "both sides to allocate again" \
	eval '(( $(counter a reallocations) >= 1 && $(counter b reallocations) >= 1 )) && state_is a up && state_is b up'
wait_for 10 "a ping after the relay's restart" tunnel_ping
log "wayportd restarted: both re-allocated (VNI $vni_before -> $(json "$tmp/a.status" 'j["endpoint"]["vni"]')), traffic resumed"

# --- an idle path outlives the steady-state lifetime -----------------------
sleep 1.2
realloc_a=$(counter a reallocations) vni=$(json "$tmp/a.status" 'j["endpoint"]["vni"]')
log "idle for 20 s (steady-state lifetime 8 s)"
sleep 20
tunnel_ping || fail "the first ping after 20 s idle was lost"
sleep 1.2
(($(counter a reallocations) == realloc_a)) || fail "A had to allocate again while idle"
[[ $(json "$tmp/a.status" 'j["endpoint"]["vni"]') == "$vni" ]] || fail "the endpoint changed while idle"
ctl relay sessions --json | json - "any(s['VNI'] == $vni for s in j['Sessions'])" | grep -q True ||
	fail "the relay expired VNI $vni"
log "idle path kept alive: VNI $vni still bound, ping answered at once"

# --- the same pair directly over the same veths, for comparison ------------
stop connect-a
stop connect-b
stop wayportd
ip -n "$NR" link add br$tag type bridge
ip -n "$NR" link set r1v$tag master br$tag
ip -n "$NR" link set r2v$tag master br$tag
ip -n "$NR" link set br$tag up
ip -n "$NA" route add 10.251.2.0/24 dev a0
ip -n "$NB" route add 10.251.1.0/24 dev b0
ip netns exec "$NA" wg set "$WGA" peer "$(wg pubkey <"$tmp/wgb.key")" endpoint 10.251.2.2:51820
ip netns exec "$NB" wg set "$WGB" peer "$(wg pubkey <"$tmp/wga.key")" endpoint 10.251.1.2:51820
wait_for 10 "a ping over the direct path" tunnel_ping
direct_mbps=$(iperf)
log "iperf3 TCP direct over the same veths: $direct_mbps Mbit/s"
log "throughput: relay $relay_mbps Mbit/s, direct $direct_mbps Mbit/s"

status=0
log "PASS"
