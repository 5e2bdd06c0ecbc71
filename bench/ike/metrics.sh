#!/usr/bin/env bash
# What a Prometheus scrape costs the daemon at scale: N tunnels set up by
# bench/ike's generator and held (lib.sh draws the namespaces), then
# /metrics scraped SCRAPES times in a row while a client on the control
# socket (a process of its own) asks list-sas --limit 1 every 20 ms, as it
# did for 2 s before without scrapes: how long a scrape takes, how
# big it is, the loop time it took in all and at once (the daemon's own
# ipsecfx_metrics_last_scrape_* of each), and how long the control socket
# waited meanwhile (docs/operations.md, "Prometheus metrics").
#
#   bench/ike/metrics.sh --tunnels N [--scrapes K] [--addrs A]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

usage() { ikg_usage 11; }

N= K=5 ADDRS=256
while [ $# -gt 0 ]; do
	case $1 in
	--tunnels) N=$2; shift 2 ;;
	--scrapes) K=$2; shift 2 ;;
	--addrs) ADDRS=$2; shift 2 ;;
	*) usage ;;
	esac
done
[[ "$N" =~ ^[1-9][0-9]*$ ]] && [[ "$K" =~ ^[1-9][0-9]*$ ]] || usage
ikg_need_root "network namespaces, $ADDRS addresses of 198.18.0.0/15, the daemon's TUN"
ikg_build
ikg_bench_begin ipsecfx-metrics "$ADDRS"
sed -i 's/^log_level: warning$/&\nmetrics: {listen: 127.0.0.1:9641}/' "$T/d/d.yaml"
sed -i 's/^    encap: true/&\n    liveness_interval: 30s/' "$T/d/d.yaml"
ikg_ipsecfxd "$T/d"

ikg_gen "$T/gen" --tunnels "$N" --src-count "$ADDRS" --window 256 --hold 600 \
	--ready "$T/ready" --json
if ! ikg_wait_file "$T/ready" "$IKG_GEN_PID" $((60 + N / 20)); then
	echo "bench/ike/metrics.sh: the generator did not finish its set-up" >&2
	tail -5 "$T/gen.err" >&2
	exit 1
fi
up=$(ikg_ctl "$T/d" stats | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["ike"]["ike_sas"])')
echo "bench/ike/metrics.sh: $up IKE SAs up ($N asked for); $K scrapes"

# probe PHASE: list-sas --limit 1 every 20 ms from a client process of its
# own, each answer's time in ms appended to $T/ctl.PHASE, until
# $T/ctl.PHASE.stop
probe() {
	/usr/bin/python3 - "$T/d/d.sock" "$T/ctl.$1" <<'EOF'
import os, socket, sys, time
path, out = sys.argv[1:]
with open(out, "w") as f:
    while not os.path.exists(out + ".stop"):
        t0 = time.monotonic()
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        s.sendall(b'{"cmd": "list-sas", "stream": true, "limit": 1}\n')
        buf = b""
        while b'"end"' not in buf:
            d = s.recv(65536)
            if not d:
                break
            buf += d
        s.close()
        f.write("%.2f\n" % ((time.monotonic() - t0) * 1000))
        time.sleep(0.02)
EOF
}
ctl_summary() { # ctl_summary PHASE: median, p99, max of $T/ctl.PHASE
	sort -n "$T/ctl.$1" | awk -v p="$1" '{ v[NR] = $1 } END {
		m = int(NR / 2) + 1; q = int(NR * 0.99) + 1; if (q > NR) q = NR
		printf "list-sas --limit 1 %s: %d answers, median %.1f ms, p99 %.1f ms, max %.1f ms\n",
			p, NR, v[m], v[q], v[NR] }'
}

# the control socket alone for 2 s, then during the scrapes
probe idle &
sleep 2
touch "$T/ctl.idle.stop"
wait $!
probe scraping &
probe_pid=$!
ip netns exec "$IKG_NS_R" /usr/bin/python3 - "$K" <<'EOF'
import re, sys, time, urllib.request
k = int(sys.argv[1])
rows = []
for i in range(k + 1):
    t0 = time.monotonic()
    body = urllib.request.urlopen("http://127.0.0.1:9641/metrics", timeout=120).read()
    wall = time.monotonic() - t0
    # the scrape before this one, as the daemon measured it
    own = dict(re.findall(rb"^ipsecfx_metrics_last_scrape_(\w+) ([0-9.]+)$", body, re.M))
    series = body.count(b"\nipsecfx_child_sa_")
    rows.append((wall, len(body), series, own))
for i in range(1, k + 1):
    wall, size, series, _ = rows[i - 1]
    own = rows[i][3]
    print("scrape %d: %.3f s at the client, %.1f MB, %d per-Child-SA lines; the daemon's "
          "loop: %.1f ms in all (%.1f ms CPU), at most %.1f ms at once (%.1f ms CPU)"
          % (i, wall, size / 1e6, series, 1000 * float(own[b"busy_seconds"]),
             1000 * float(own[b"cpu_seconds"]), 1000 * float(own[b"slice_seconds"]),
             1000 * float(own[b"slice_cpu_seconds"])))
EOF
touch "$T/ctl.scraping.stop"
wait "$probe_pid"
ctl_summary idle
ctl_summary scraping
kill -USR1 "$IKG_GEN_PID" 2>/dev/null || true
wait "$IKG_GEN_PID" || true
