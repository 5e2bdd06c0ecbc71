#!/usr/bin/env bash
# IKE set-up rate, latency and memory of two responders under the same load:
# ipsecfxd (software engine) and Debian's strongSwan (charon with
# kernel-libipsec), one after the other, driven by bench/ike's generator
# (ikegen) from many source addresses (lib.sh draws the namespaces).
#
#   bench/ike/run.sh --tunnels N [--rate R] [--json] [--group x25519|p256]
#                    [--addrs K] [--window W] [--no-charon]
#
# Each responder's object also has ctl_p50_ms, ctl_max_ms, ctl_samples and
# ctl_failed: a control query made every half second during the set-up
# (ipsecfxd: list-sas --limit 1 from a client that stays up, timed from
# connect to the end line; charon: swanctl --list-sas --ike-id 1, its
# process start included): how responsive the control socket stays under
# full load.
#
# For each responder: its RSS before the first tunnel (rss_idle_kib), N
# tunnels set up (IKE_SA_INIT + IKE_AUTH, PSK, AES-GCM-256, PRF-SHA256,
# the group; one Child SA each), its RSS with them all up (rss_kib), then a
# Delete of each.  set-ups/s is the median of the 1-second windows of the
# set-up phase; latency runs from the first IKE_SA_INIT sent to the IKE_AUTH
# answer.  With --json the last line is
#   {"tunnels": N, "ipsecfxd": {...}, "charon": {...}, "ratio": R}
# (ratio: ipsecfxd's set-ups/s over charon's).  --no-charon measures
# ipsecfxd alone ("charon" and "ratio" are null): charon takes minutes per
# 10,000 tunnels to set up and tear down.
#
# Both responders keep their defaults except what the load needs: nothing
# of ipsecfxd's limits is below what N tunnels from K addresses take (up to
# about 131,000 Child SAs: the software engine's table of 2^18 SAs, two per
# Child SA, which the configuration cannot raise), and nothing of charon's
# (16 threads, cookie_threshold 10, block_threshold 5, ikesa_table_size 1).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

usage() { ikg_usage 7,8; }

N= RATE= JSON=0 GROUP=x25519 ADDRS=256 WINDOW=256 CHARON=1
while [ $# -gt 0 ]; do
	case $1 in
	--tunnels) N=$2; shift 2 ;;
	--rate) RATE=$2; shift 2 ;;
	--json) JSON=1; shift ;;
	--group) GROUP=$2; shift 2 ;;
	--addrs) ADDRS=$2; shift 2 ;;
	--window) WINDOW=$2; shift 2 ;;
	--no-charon) CHARON=0; shift ;;
	*) usage ;;
	esac
done
[[ "$N" =~ ^[1-9][0-9]*$ ]] || usage
[ "$GROUP" = x25519 ] || [ "$GROUP" = p256 ] || usage

if [ "$(id -u)" -ne 0 ]; then
	echo "bench/ike/run.sh: needs root: it creates network namespaces, binds $ADDRS" \
		"addresses of 198.18.0.0/15 there and runs ipsecfxd and charon (TUN devices)" >&2
	exit 1
fi

cd "$IKG_ROOT"
if ! [ -x /usr/lib/ipsec/charon ] || ! command -v swanctl >/dev/null; then
	scripts/deps.sh # strongswan-charon, strongswan-swanctl, libcharon-extra-plugins
fi
ikg_build

T=$(mktemp -d /tmp/ikebench.XXXXXX)
trap 'ikg_cleanup; rm -rf "$T"' EXIT
trap 'exit 130' INT TERM
ikg_topology "$ADDRS"

say() { echo "$*"; } # human lines on stdout too: only the JSON must be last

# d_ctl_probe DIR FILE: probe's work for ipsecfxd: list-sas --limit 1 over
# the control socket DIR/d.sock (host/ctl/ctl.h's protocol), timed in a
# client that stays up, from connect to the end line: the daemon's answer,
# not a process start
d_ctl_probe() {
	/usr/bin/python3 - "$1/d.sock" "$2" <<'EOF'
import os, socket, sys, time
path, out = sys.argv[1:]
def once():
    t0 = time.monotonic()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(path)
    s.sendall(b'{"cmd": "list-sas", "stream": true, "limit": 1}\n')
    buf = b""
    while b'"end"' not in buf and b'"ok": false' not in buf:
        d = s.recv(65536)
        if not d:
            raise OSError("closed")
        buf += d
    s.close()
    return (time.monotonic() - t0) * 1000
with open(out, "a") as f:
    while not os.path.exists(out + ".stop"):
        try:
            f.write("%d\n" % round(once()))
        except OSError:
            f.write("failed\n")
        f.flush()
        time.sleep(0.5)
EOF
}

# probe FILE CMD...: while the set-up runs, CMD (a control-socket query)
# every half second, its wall time in ms appended to FILE; stops when
# FILE.stop appears
probe() {
	local out=$1 t0 t1
	shift
	while [ ! -e "$out.stop" ]; do
		t0=$(date +%s%N)
		"$@" >/dev/null 2>&1 || echo "failed" >>"$out"
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000000)) >>"$out"
		sleep 0.5
	done
}

# measure NAME SAS CTL...: the generator against the responder started as
# IKG_RESP_PID; SAS is a command printing the responder's IKE SAs, CTL a
# control query timed during the set-up (the event loop's responsiveness
# under load); writes $T/NAME.json
measure() {
	local name=$1 sas_cmd=$2 idle full sas gen_args=() probe_pid
	shift 2
	sleep 1 # let it settle after start-up
	idle=$(ikg_rss_kib "$IKG_RESP_PID")
	gen_args=(--tunnels "$N" --src-count "$ADDRS" --window "$WINDOW" --group "$GROUP"
		--hold 600 --ready "$T/$name.ready" --json)
	[ -n "$RATE" ] && gen_args+=(--rate "$RATE")
	ikg_gen "$T/$name.gen" "${gen_args[@]}"
	if [ "$1" = d_ctl_probe ]; then
		d_ctl_probe "$2" "$T/$name.ctl" &
	else
		probe "$T/$name.ctl" "$@" &
	fi
	probe_pid=$!
	# set-up takes a while at scale: a generous bound, the generator
	# itself gives up each tunnel after 7 s without answers
	if ! ikg_wait_file "$T/$name.ready" "$IKG_GEN_PID" $((60 + N / 20)); then
		echo "$name: the generator did not finish its set-up phase" >&2
		tail -5 "$T/$name.gen.err" >&2
	fi
	touch "$T/$name.ctl.stop"
	wait "$probe_pid" || true
	full=$(ikg_rss_kib "$IKG_RESP_PID")
	sas=$($sas_cmd || echo "?")
	kill -USR1 "$IKG_GEN_PID" 2>/dev/null || true
	wait "$IKG_GEN_PID" || true
	/usr/bin/python3 - "$T/$name.gen" "$name" "$idle" "$full" "$sas" "$T/$name.json" \
		"$T/$name.ctl" "$CTL_LABEL" <<'EOF'
import json, os, sys
path, name, idle, full, sas, out, ctl, ctl_cmd = sys.argv[1:]
lines = [l for l in open(path).read().splitlines() if l.startswith("{")]
g = json.loads(lines[-1]) if lines else {}
c = open(ctl).read().split() if os.path.exists(ctl) else []
ms = sorted(int(x) for x in c if x.isdigit())
r = {"up": g.get("up", 0), "failed": g.get("failed", 0),
     "setups_per_s": round(g.get("setups_per_s", 0.0), 1),
     "p50_ms": round(g.get("p50_ms", 0.0), 2), "p99_ms": round(g.get("p99_ms", 0.0), 2),
     "rss_idle_kib": int(idle), "rss_kib": int(full),
     "ctl_samples": len(ms), "ctl_failed": c.count("failed"),
     "ctl_p50_ms": ms[len(ms) // 2] if ms else None, "ctl_max_ms": ms[-1] if ms else None}
json.dump(r, open(out, "w"))
fails = ", ".join("%s %d" % kv for kv in g.get("failures", {}).items()) or "none"
per = (int(full) - int(idle)) / max(1, r["up"])
print("%-8s %d up, %d failed (%s); %.0f set-ups/s, latency p50 %.1f ms, p99 %.1f ms;"
      % (name, r["up"], r["failed"], fails, r["setups_per_s"], r["p50_ms"], r["p99_ms"]))
print("%-8s RSS %d KiB idle, %d KiB with them up (%.1f KiB per tunnel); it held %s IKE SAs;"
      % ("", int(idle), int(full), per, sas))
print("%-8s %d cookies, %d retransmissions; teardown: %d deleted, %d unanswered in %.1f s"
      % ("", g.get("cookies", 0), g.get("retransmits", 0), g.get("closed", 0),
         g.get("teardown_failed", 0), g.get("teardown_s", 0.0)))
if ms:
    print("%-8s during the set-up, '%s' answered in %d ms (median of %d), at most %d ms%s"
          % ("", ctl_cmd, r["ctl_p50_ms"], len(ms), r["ctl_max_ms"],
             ", %d failed" % r["ctl_failed"] if r["ctl_failed"] else ""))
EOF
}

say "bench/ike: $N tunnels (${RATE:+$RATE/s, }window $WINDOW, $ADDRS source addresses x 2 ports), AES-GCM-256/PRF-SHA256/$GROUP, ESP AES-GCM-256"

# ---- ipsecfxd ----
# Both check liveness every 30 s (ipsecfxd's default of 5 s is a
# branch-office setting: 20,000 checks a second at 100,000 silent tunnels;
# charon's default is none at all): the same keep-alive work for both.
mkdir -p "$T/d"
ikg_ipsecfxd_conf "$T/d" "$GROUP"
sed -i 's/^    encap: true/&\n    liveness_interval: 30s/' "$T/d/d.yaml"
ikg_ipsecfxd "$T/d"
d_sas() { ikg_ctl "$T/d" stats | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["ike"]["ike_sas"])'; }
CTL_LABEL="list-sas --limit 1 (a client on the control socket)"
measure ipsecfxd d_sas d_ctl_probe "$T/d"
ikg_stop "$IKG_RESP_PID"

# ---- charon ----
if [ "$CHARON" = 1 ]; then
	mkdir -p "$T/s"
	ikg_charon_conf "$T/s" "$GROUP"
	sed -i 's/^    encap = yes/&\n    dpd_delay = 30s/' "$T/s/swanctl.conf"
	ikg_charon "$T/s"
	s_sas() { ikg_swan_sas "$T/s"; }
	CTL_LABEL="swanctl --list-sas --ike-id 1 (process start included)"
	measure charon s_sas swanctl --list-sas --ike-id 1 --uri "unix://$T/s/charon.vici"
	ikg_stop "$IKG_RESP_PID"
else
	echo null > "$T/charon.json"
	say "charon   not measured (--no-charon)"
fi

/usr/bin/python3 - "$N" "$T/ipsecfxd.json" "$T/charon.json" "$JSON" <<'EOF'
import json, sys
n, a, b, as_json = sys.argv[1:]
a = json.load(open(a)); b = json.load(open(b))
ratio = round(a["setups_per_s"] / b["setups_per_s"], 2) if b and b["setups_per_s"] else None
print("ratio    ipsecfxd/charon set-ups/s: %s" % ratio)
if as_json == "1":
    print(json.dumps({"tunnels": int(n), "ipsecfxd": a, "charon": b, "ratio": ratio}))
EOF
