#!/usr/bin/env bash
# Prometheus metrics (issue 18, part 3): /metrics between two appliances in
# namespaces (tests/interop/lib.sh draws them), each namespace its own
# loopback, so the ports are fixed:
#
#   A 192.0.2.1 (10.1.0.1) ==== B 192.0.2.2 (10.2.0.1)   connection p, child lan
#   metrics on 127.0.0.1:9641   metrics on [::1]:9641
#   Prometheus on 127.0.0.1:9090 in A's namespace, scraping A every second
#
# - GET /metrics: 200, text/plain version=0.0.4, `promtool check metrics`
#   clean (A and B, IPv4 and IPv6); HEAD 200, POST 405, /other 404
# - the values: those of `ipsecfx stats` and `list-sas --json` taken right
#   after (the Child SA's bytes and packets each way, set-ups, states, ...)
# - a real Prometheus scrapes A: its API returns the Child SA's bytes out
#   after a ping, and up == 1
# - bad input: metrics.listen on a port in use refuses the start, naming
#   the address and the key; a 1 MB request header is cut off at once; a
#   client that sends half a request and stops is dropped after the
#   timeout (5 s); 20 clients gone before their answer leave no scrape
#   behind; meanwhile list-sas answers as fast as before
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/../interop/lib.sh"

ix_begin "gateway: Prometheus metrics"
for b in prometheus promtool; do
	if ! command -v $b >/dev/null; then
		tap_skip "gateway: Prometheus metrics" "$b missing (scripts/deps.sh installs prometheus)"
		tap_done
		exit 0
	fi
done

MA=127.0.0.1:9641 MB='[::1]:9641' PROM=127.0.0.1:9090

fresh plain
# http NS ARGS...: tests/gateway's small HTTP client (below) in NS
cat >"$IX_T/httpc.py" <<'EOF'
import socket, sys, time, urllib.request, urllib.error
cmd = sys.argv[1]
if cmd == "get":                       # get URL OUT [METHOD]: status, type; body in OUT
    req = urllib.request.Request(sys.argv[2], method=sys.argv[4] if len(sys.argv) > 4 else "GET")
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            body, st, ct = r.read(), r.status, r.headers.get("Content-Type")
    except urllib.error.HTTPError as e:
        body, st, ct = e.read(), e.code, e.headers.get("Content-Type")
    open(sys.argv[3], "wb").write(body)
    print(st, ct)
elif cmd == "huge":                    # huge HOST PORT: seconds until the server gave up
    s = socket.create_connection((sys.argv[2], int(sys.argv[3])), timeout=5)
    t0 = time.monotonic()
    try:
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Huge: " + b"a" * (1 << 20) + b"\r\n\r\n")
        got = s.recv(4096)
        while s.recv(4096):
            pass
    except (ConnectionResetError, BrokenPipeError):
        got = b"(reset)"
    print("%.2f %s" % (time.monotonic() - t0, got.split(b"\r\n")[0].decode(errors="replace")))
elif cmd == "gone":                    # gone HOST PORT N: N requests, each client gone at once
    for i in range(int(sys.argv[4])):
        s = socket.create_connection((sys.argv[2], int(sys.argv[3])), timeout=5)
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        if i % 2:   # a reset rather than a close
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
        s.close()
elif cmd == "slow":                    # slow HOST PORT: half a request; seconds until closed
    s = socket.create_connection((sys.argv[2], int(sys.argv[3])), timeout=20)
    t0 = time.monotonic()
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
    try:
        while s.recv(4096):
            pass
    except ConnectionResetError:
        pass
    print("%.2f" % (time.monotonic() - t0))
EOF
http() { local ns=$1; shift; ip netns exec "$ns" $PY "$IX_T/httpc.py" "$@"; }

# list_time NAME: seconds list-sas takes
list_time() {
	local t0=$EPOCHREALTIME
	ix_ctl "$1" list-sas >/dev/null 2>&1
	awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }'
}
# between LO X HI: LO <= X < HI (decimals)
between() { awk -v l="$1" -v x="$2" -v h="$3" 'BEGIN { exit !(x ~ /^[0-9.]+$/ && l <= x && x < h) }'; }

ours_peer A "" "" "metrics: {listen: $MA}"
ours_peer B "" "" "metrics: {listen: \"$MB\"}"
start_ours "$IX_NS_A" A || { tap_fail "ipsecfxd A started"; tap_done; exit; }
start_ours "$IX_NS_B" B || { tap_fail "ipsecfxd B started"; tap_done; exit; }

# Prometheus first: it takes a moment to start, the tunnel comes up meanwhile
mkdir -p "$IX_T/prom"
cat >"$IX_T/prom.yml" <<EOF
global: {scrape_interval: 1s, scrape_timeout: 1s}
scrape_configs:
  - job_name: ipsecfx
    static_configs: [{targets: ["$MA"]}]
EOF
ip netns exec "$IX_NS_A" prometheus --config.file="$IX_T/prom.yml" \
	--storage.tsdb.path="$IX_T/prom" --storage.tsdb.retention.time=1h \
	--web.listen-address=$PROM >"$IX_T/prom.log" 2>&1 &
IX_PIDS+=($!)

# the slow client too: it waits for the timeout while the rest goes on
http "$IX_NS_A" slow 127.0.0.1 9641 >"$IX_T/slow.out" 2>&1 &
slow=$!

if ! ix_wait_up A p 8; then
	tap_fail "p up between A and B"
	diag_logs A B
	tap_done
	exit
fi
ip netns exec "$IX_NS_A" ping -n -q -c 3 -i 0.1 -s 1000 -W 2 -I 10.1.0.1 10.2.0.1 >/dev/null

# ---- the answer
for side in A B; do
	ns=$IX_NS_A url=http://$MA/metrics
	[ $side = B ] && ns=$IX_NS_B url="http://$MB/metrics"
	st=$(http "$ns" get "$url" "$IX_T/$side.prom")
	if [ "$st" = "200 text/plain; version=0.0.4; charset=utf-8" ]; then
		tap_ok "$side: GET $url: $st, $(wc -l <"$IX_T/$side.prom") lines"
	else
		tap_fail "$side: GET $url: '$st'"
		tail -5 "$IX_T/$side.log" | tap_diag
	fi
	out=$(promtool check metrics <"$IX_T/$side.prom" 2>&1)
	if [ $? = 0 ] && [ -z "$out" ]; then
		tap_ok "$side: promtool check metrics: clean"
	else
		tap_fail "$side: promtool check metrics"
		printf '%s\n' "$out" | head -20 | tap_diag
	fi
done
# stats and list-sas between two scrapes: each value between the two
ix_ctl A stats >"$IX_T/stats.json"
ix_ctl A list-sas --json >"$IX_T/sas.json"
http "$IX_NS_A" get "http://$MA/metrics" "$IX_T/A2.prom" >/dev/null

st=$(http "$IX_NS_A" get "http://$MA/metrics" /dev/null HEAD)
[ "${st%% *}" = 200 ] && tap_ok "HEAD /metrics: 200" || tap_fail "HEAD /metrics: '$st'"
st=$(http "$IX_NS_A" get "http://$MA/metrics" /dev/null POST)
[ "${st%% *}" = 405 ] && tap_ok "POST /metrics: 405" || tap_fail "POST /metrics: '$st'"
st=$(http "$IX_NS_A" get "http://$MA/other" /dev/null)
[ "${st%% *}" = 404 ] && tap_ok "GET /other: 404" || tap_fail "GET /other: '$st'"

# ---- the values against stats and list-sas --json, taken between two scrapes
if out=$($PY - "$IX_T/A.prom" "$IX_T/stats.json" "$IX_T/sas.json" "$IX_T/A2.prom" 2>&1 <<'EOF'
import json, re, sys
def scrape(f):
    m = {}
    for l in open(f):
        if not l.startswith("#"):
            k, v = l.rsplit(" ", 1)
            m[k] = float(v)
    return m
m, m2 = scrape(sys.argv[1]), scrape(sys.argv[4])
st = json.load(open(sys.argv[2]))
ike, dp = st["ike"], st["dataplane"]
sas = json.load(open(sys.argv[3]))
def eq(name, want):
    a, b = m.get("ipsecfx_" + name), m2.get("ipsecfx_" + name)
    assert a is not None and b is not None and min(a, b) <= want <= max(a, b), \
        "%s: %s then %s, stats/list-sas say %s" % (name, a, b, want)
eq("ike_sa_setups_total", ike["established"])
eq("ike_sas_half_open", ike["half_open"])
eq("ike_cookies_sent_total", ike["cookies_sent"])
eq("dead_peers_total", ike["dead_peers"])
eq('rekeys_total{sa="child"}', ike["child_rekeys"])
eq('ike_messages_dropped_total{reason="integrity_failed"}', ike["rx_integrity_failed"])
eq('cert_fetches_total{result="ok"}', ike["cert_fetch_ok"])
for r, n in ike["failed_by_reason"].items():
    eq('ike_sa_failures_total{reason="%s"}' % r, n)
eq("dataplane_child_sas", dp["children"])
eq("dataplane_tun_rx_packets_total", dp["tun_rx_packets"])
eq("dataplane_esp_tx_packets_total", dp["esp_tx_packets"])
eq('dataplane_drops_total{reason="no_policy"}', dp["drops"]["no_policy"])
eq('dataplane_esp_drops_total{direction="in",reason="auth_failed"}', dp["drops"]["decrypt"]["auth_failed"])
assert sum(v for k, v in m.items() if k.startswith("ipsecfx_ike_sas{")) == ike["ike_sas"]
states = {}
for sa in sas:
    for c in sa["children"]:
        states[c["state"]] = states.get(c["state"], 0) + 1
        lab = 'conn="%s",child="%s",child_sa="%d"' % (sa["conn"], c["name"], c["unique_id"])
        for d in ("in", "out"):
            eq('child_sa_bytes_total{%s,direction="%s"}' % (lab, d), c["bytes_" + d])
            eq('child_sa_packets_total{%s,direction="%s"}' % (lab, d), c["packets_" + d])
for s, n in states.items():
    eq('child_sas{state="%s"}' % s, n)
assert states.get("installed") and m['ipsecfx_ike_sas{state="established"}'] == 1, states
out = [k for k in m if k.startswith("ipsecfx_child_sa_bytes_total{") and 'direction="out"' in k]
assert out and all(m[k] >= 3 * 1028 for k in out), out
print("%d samples" % len(m))
EOF
); then
	tap_ok "A: the values are those of stats and list-sas --json (set-ups, drops, states, each Child SA's bytes and packets each way): $out"
else
	tap_fail "A: the values against stats and list-sas --json"
	printf '%s\n' "$out" | tap_diag
fi

# the Grafana dashboard asks for metrics that exist (the card's only with a card)
if out=$($PY - "$here/../../contrib/grafana/ipsecfx.json" "$IX_T/A.prom" 2>&1 <<'EOF'
import json, re, sys
d = json.load(open(sys.argv[1]))
have = set(re.findall(r"^ipsecfx_[a-z_]+", open(sys.argv[2]).read(), re.M))
exprs = [t["expr"] for p in d["panels"] for t in p["targets"]]
want = set(n for e in exprs for n in re.findall(r"ipsecfx_[a-z_]+", e))
miss = [n for n in want - have if not re.match(r"ipsecfx_engine_(card_|sas$)", n)]
assert not miss, miss
print("%d panels, %d metrics" % (len(d["panels"]), len(want)))
EOF
); then
	tap_ok "contrib/grafana/ipsecfx.json: every metric its panels ask for is served ($out)"
else
	tap_fail "contrib/grafana/ipsecfx.json"
	printf '%s\n' "$out" | tap_diag
fi

# ---- bad input: a huge request header, a slow request; list-sas meanwhile
base=$(list_time A)
out=$(http "$IX_NS_A" huge 127.0.0.1 9641 2>&1)
during=$(list_time A)
secs=${out%% *}
if between 0 "$secs" 2; then
	tap_ok "a 1 MB request header: cut off after ${secs}s ($out)"
else
	tap_fail "a 1 MB request header: '$out'"
fi
if between 0 "$during" 1; then
	tap_ok "list-sas with a slow client connected and after a huge request: ${during}s (${base}s before)"
else
	tap_fail "list-sas with a slow client connected: ${during}s (${base}s before)"
fi
# clients gone before their answer (a close, a reset): each scrape ends
http "$IX_NS_A" gone 127.0.0.1 9641 20
sleep 0.3
st=$(http "$IX_NS_A" get "http://$MA/metrics" "$IX_T/after.prom")
n=$(sed -n 's/^ipsecfx_metrics_scrapes_in_progress //p' "$IX_T/after.prom")
if [ "${st%% *}" = 200 ] && [ "$n" = 1 ]; then
	tap_ok "after a huge request, a slow one and 20 clients gone before their answer: GET /metrics 200, 1 scrape in progress (itself)"
else
	tap_fail "GET /metrics after: '$st', $n scrapes in progress"
fi

# ---- bad input: the port in use (a malformed address and a misspelt key:
# tests/gateway/t_config.sh)
ours C <<EOF
ike_port: 1500
natt_port: 14500
tun: {name: ipxc$$}
metrics: {listen: $MA}
EOF
timeout 10 ip netns exec "$IX_NS_A" "$IPSECFX_BUILD/ipsecfxd" -f -c "$IX_T/C.yaml" >"$IX_T/C.log" 2>&1
rc=$?
want="metrics.listen $MA in $IX_T/C.yaml: cannot listen: Address already in use"
if [ "$rc" != 0 ] && [ "$rc" != 124 ] && grep -qF "$want" "$IX_T/C.log"; then
	tap_ok "metrics.listen on a port in use: the start refused (exit $rc), \"$want\""
else
	tap_fail "metrics.listen on a port in use: exit $rc"
	tap_diag <"$IX_T/C.log"
fi

# ---- a reload that moves metrics.listen: said to wait for the next start,
# the running listener kept
sed -i "s/metrics: {listen: $MA}/metrics: {listen: 127.0.0.1:9642}/" "$IX_T/A.yaml"
ix_ctl A reload >"$IX_T/reload.out" 2>&1
rc=$?
st=$(http "$IX_NS_A" get "http://$MA/metrics" "$IX_T/A2.prom")
want="reload: metrics.listen takes effect at the next start (serving $MA)"
if [ "$rc" = 0 ] && grep -qF "$want" "$IX_T/A.log" && [ "${st%% *}" = 200 ]; then
	tap_ok "a reload with another metrics.listen: \"$want\", $MA still served"
else
	tap_fail "a reload with another metrics.listen: exit $rc, GET '$st'"
	tail -3 "$IX_T/A.log" | tap_diag
fi
sed -i "s/metrics: {listen: 127.0.0.1:9642}/metrics: {listen: $MA}/" "$IX_T/A.yaml"

# ---- a real Prometheus: its API has the Child SA's bytes out
q='ipsecfx_child_sa_bytes_total{conn="p",child="lan",direction="out"} > 0'
got=
for _ in $(seq 60); do
	got=$(ip netns exec "$IX_NS_A" $PY - "$PROM" "$q" <<'EOF' 2>/dev/null
import json, sys, urllib.parse, urllib.request
u = "http://%s/api/v1/query?query=%s" % (sys.argv[1], urllib.parse.quote(sys.argv[2]))
r = json.load(urllib.request.urlopen(u, timeout=1))["data"]["result"]
up = json.load(urllib.request.urlopen(u.split("query=")[0] + "query=up", timeout=1))["data"]["result"]
if r and up:
    print(r[0]["value"][1], "up", up[0]["value"][1])
EOF
)
	[ -n "$got" ] && break
	sleep 0.2
done
if [ -n "$got" ] && [ "${got##* }" = 1 ]; then
	tap_ok "Prometheus scraped A: $q = ${got%% *}, up = 1"
else
	tap_fail "Prometheus: no answer to $q"
	tail -5 "$IX_T/prom.log" | tap_diag
fi

# ---- the slow client: dropped at the timeout
wait $slow
out=$(cat "$IX_T/slow.out")
if between 4 "$out" 8; then
	tap_ok "half a request, then nothing: the connection dropped after ${out}s (the 5 s timeout)"
else
	tap_fail "half a request: '$out'"
fi

ix_state_check
tap_done
