#!/usr/bin/env bash
# N tunnels held against ipsecfxd while a spoofed IKE_SA_INIT flood runs
# (ikegen --flood: random sources in 198.18.0.0/15 outside the tunnels'
# 256 addresses, through a raw socket in the generator's namespace).
#
#   bench/ike/flood.sh [--tunnels N] [--seconds S] [--rate R] [--genuine G] [--json]
#
# The daemon checks liveness after 30 s of silence and rekeys each Child SA
# after 60 s (jitter 10%, life_time 66 s): with the flood starting as the
# set-up ends and lasting S seconds (75), every tunnel has its liveness
# checks and its rekey while it runs.  Checked and reported:
#  (a) the tunnels live through it: the generator answers the daemon's
#      liveness checks and rekeys, no tunnel deleted by the daemon, no dead
#      peer, the daemon's IKE SA count never below N (sampled each second);
#  (b) a genuine new peer gets in during the flood: a second generator, G
#      tunnels (50) from 192.0.2.10 on with IPv4 IDs, started 10 s in;
#  (c) the daemon's RSS, sampled each second: before, max, after;
#  (d) after the flood, the half-open IKE SAs expire: half_open back to 0
#      within the 30 s half-open timeout (and a tick);
# and the flood itself (sent per second: R per second, 0 = as fast as the
# sender can), with what the daemon made of it (cookies sent, half-open
# peak, drops).  Human lines, then with --json one object.  Takes about
# S + N/500 + 60 s: take /tmp/ipsecfx-bench.lock around it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

usage() { ikg_usage 6; }

N=10000 SECS=75 RATE=0 GEN=50 JSON=0 ADDRS=256
while [ $# -gt 0 ]; do
	case $1 in
	--tunnels) N=$2; shift 2 ;;
	--seconds) SECS=$2; shift 2 ;;
	--rate) RATE=$2; shift 2 ;;
	--genuine) GEN=$2; shift 2 ;;
	--json) JSON=1; shift ;;
	*) usage ;;
	esac
done
[[ "$N" =~ ^[1-9][0-9]*$ && "$SECS" =~ ^[1-9][0-9]*$ && "$GEN" =~ ^[1-9][0-9]*$ && $GEN -le 200 ]] || usage
ikg_need_root "network namespaces, a raw socket, the daemon's TUN"
ikg_build

ikg_bench_begin ikeflood "$ADDRS"
for ((i = 0; i < GEN; i++)); do
	echo "address add 192.0.2.$((10 + i))/24 dev eth0"
done | ip -n "$IKG_NS_G" -batch -
sed -i -e 's/^    encap: true/&\n    liveness_interval: 30s/' \
	-e 's/^        esp_proposals: \[aes256gcm16\]/&\n        rekey_time: 60s/' "$T/d/d.yaml"
ikg_ipsecfxd "$T/d"
DPID=$IKG_RESP_PID
ikg_rss_sampler "$DPID" "$T/rss"

echo "flood: $N tunnels, then ${SECS} s of spoofed IKE_SA_INITs (${RATE}/s, 0 = as fast as it can); liveness 30 s, Child SA rekey 60 s"
ikg_gen "$T/gen" --tunnels "$N" --src-count "$ADDRS" --window 64 --hold 7200 --ready "$T/ready" --json
MAIN=$IKG_GEN_PID
if ! ikg_wait_file "$T/ready" "$MAIN" $((120 + N / 20)); then
	echo "flood: the generator did not finish its set-up" >&2
	tail -5 "$T/gen.err" >&2
	exit 1
fi
sleep 1
rss_before=$(ikg_rss_kib "$DPID")
base=$(ikg_stat "$T/d" '"%d %d %d %d" % (s["child_rekeys"], s["dead_peers"], s["ike_sas"], d["children"])')
read -r rk0 dead0 ike0 ch0 <<<"$base"
echo "flood: set-up over: the daemon holds $ike0 IKE SAs, $ch0 Child SAs, RSS $rss_before KiB"

# the daemon's counts each second, as long as it answers
( while :; do
	echo "$(date +%s.%N) $(ikg_stat "$T/d" '"%d %d %d %d %d %d" % (s["ike_sas"], s["half_open"], d["children"], s["cookies_sent"], s["child_rekeys"], s["dead_peers"])')"
	sleep 1
done ) >"$T/counts" &
IKG_PIDS+=($!)
COUNTER=$!

t_flood=$(date +%s.%N)
ip netns exec "$IKG_NS_G" "$IPSECFX_BUILD/bench/ikegen" --flood "$RATE" --seconds "$SECS" \
	--target 192.0.2.1 --src-count "$ADDRS" --json >"$T/flood" 2>"$T/flood.err" &
FLOOD=$!
IKG_PIDS+=("$FLOOD")

sleep 10
ikg_gen "$T/genuine" --tunnels "$GEN" --src 192.0.2.10 --src-count "$GEN" --id ipv4 \
	--ts-base 10.200.0.0 --hold 7200 --ready "$T/genuine.ready" --json
GENUINE=$IKG_GEN_PID
t_gen=$(date +%s.%N)
ikg_wait_file "$T/genuine.ready" "$GENUINE" 60 || true
t_gen_ready=$(date +%s.%N)
wait "$FLOOD" || true
t_flood_end=$(date +%s.%N)
echo "flood: over: $(head -1 "$T/flood")"

# (d): the half-open SAs the flood left expire
t0=$SECONDS ho_zero=-1
while [ $((SECONDS - t0)) -le 40 ]; do
	if [ "$(ikg_stat "$T/d" 's["half_open"]')" = 0 ]; then
		ho_zero=$(/usr/bin/python3 -c "import time; print(round(time.time() - $t_flood_end, 1))")
		break
	fi
	sleep 0.5
done
sleep 2
kill "$COUNTER" 2>/dev/null || true
rss_after=$(ikg_rss_kib "$DPID")
ikg_ctl "$T/d" stats >"$T/stats.json"
ikg_ctl "$T/d" list-sas --json >"$T/list.json"
kill -USR1 "$MAIN" "$GENUINE" 2>/dev/null || true
mrc=0 grc=0
wait "$MAIN" || mrc=$?
wait "$GENUINE" || grc=$?
grep -iE "rekey|lifetime|expired|dead|error" "$T/d/d.log" | grep -v "half-open" >"$T/fail.log" || true

/usr/bin/python3 - "$T" "$N" "$GEN" "$SECS" "$RATE" "$rk0" "$dead0" "$rss_before" "$rss_after" \
	"$ho_zero" "$t_flood" "$t_flood_end" "$t_gen" "$t_gen_ready" "$mrc" "$grc" "$JSON" <<'EOF'
import json, sys
(T, n, gen, secs, rate, rk0, dead0, rss_before, rss_after, ho_zero, t_flood, t_flood_end,
 t_gen, t_gen_ready, mrc, grc, as_json) = sys.argv[1:]
n, gen = int(n), int(gen)
t_flood, t_flood_end = float(t_flood), float(t_flood_end)
def last_json(p):
    l = [x for x in open(p).read().splitlines() if x.startswith("{")]
    return json.loads(l[-1]) if l else {}
g, ge, fl = last_json(T + "/gen"), last_json(T + "/genuine"), last_json(T + "/flood")
st = json.load(open(T + "/stats.json")); s = st["ike"]; d = st["dataplane"]
lst = json.load(open(T + "/list.json"))
lst = lst.get("sas", lst) if isinstance(lst, dict) else lst
rss = [int(x) for x in open(T + "/rss").read().split() if x.isdigit()]
counts = []
for line in open(T + "/counts").read().splitlines():
    f = line.split()
    if len(f) == 7 and all(x.lstrip("-").isdigit() for x in f[1:]):
        counts.append([float(f[0])] + [int(x) for x in f[1:]])
during = [c for c in counts if t_flood <= c[0] <= t_flood_end]
fails = open(T + "/fail.log").read().splitlines()
live = sum(1 for x in lst if any(c.get("state") in ("installed", "rekeying")
                                 for c in x.get("children", [])))
r = {
    "tunnels": n, "flood_s": round(t_flood_end - t_flood, 1), "flood_rate_asked": float(rate),
    "flood_sent": fl.get("flood_sent", 0), "flood_per_s": round(fl.get("flood_per_s", 0)),
    "daemon_rx": s["rx"], "cookies_sent": s["cookies_sent"],
    "half_open_peak": max([c[2] for c in during] or [0]),
    "half_open_dropped": s["half_open_dropped"],
    "half_open_source_dropped": s["half_open_source_dropped"],
    # ike_sas counts the half-open ones too
    "ike_sas_min_during": min([c[1] - c[2] for c in during] or [-1]),
    "children_min_during": min([c[3] for c in during] or [-1]),
    "daemon_samples_during": len(during),
    "child_rekeys_during": (max([c[5] for c in during] or [int(rk0)]) - int(rk0)),
    "child_rekeys_total": s["child_rekeys"] - int(rk0),
    "dead_peers": s["dead_peers"] - int(dead0),
    "daemon_failures_logged": len(fails),
    "gen_up": g.get("up", 0), "gen_liveness": g.get("liveness", 0),
    "gen_child_rekeys": g.get("child_rekeys", 0),
    "gen_deleted_by_responder": g.get("deleted_by_responder", 0),
    "gen_teardown_failed": g.get("teardown_failed", 0), "gen_exit": int(mrc),
    "genuine_up": ge.get("up", 0), "genuine_of": gen, "genuine_failed": ge.get("failed", 0),
    "genuine_failures": ge.get("failures", {}), "genuine_cookies": ge.get("cookies", 0),
    "genuine_setup_s": round(float(t_gen_ready) - float(t_gen), 1),
    "genuine_p50_ms": ge.get("p50_ms", 0), "genuine_p99_ms": ge.get("p99_ms", 0),
    "ike_sas_end": s["ike_sas"] - s["half_open"], "tunnels_with_child_end": live,
    "rss_kib_before": int(rss_before), "rss_kib_max": max(rss) if rss else 0,
    "rss_kib_after": int(rss_after),
    "half_open_zero_after_s": float(ho_zero),
}
ok_a = (r["gen_deleted_by_responder"] == 0 and r["dead_peers"] == 0 and
        r["ike_sas_min_during"] >= n and live >= n + r["genuine_up"] and
        r["gen_up"] == n and len(fails) == 0)
ok_b = r["genuine_up"] == gen
ok_d = 0 <= r["half_open_zero_after_s"] <= 32
r.update({"ok_tunnels": ok_a, "ok_genuine": ok_b, "ok_half_open": ok_d})
print("flood: %d spoofed IKE_SA_INITs in %.1f s (%d/s); the daemon received %d datagrams in all, "
      "sent %d cookies, held at most %d half-open IKE SAs (%d dropped at max_half_open, %d per source)"
      % (r["flood_sent"], r["flood_s"], r["flood_per_s"], r["daemon_rx"], r["cookies_sent"],
         r["half_open_peak"], r["half_open_dropped"], r["half_open_source_dropped"]))
print("(a) %s: %d tunnels up; during the flood the daemon held at least %d IKE SAs and %d Child SAs "
      "(%d samples), rekeyed %d Child SAs (%d from set-up to the end), %d dead peers, %d warnings about "
      "rekeys/lifetimes/dead peers; the generator answered %d liveness checks and %d rekeys, %d tunnels "
      "deleted by the daemon; at the end %d IKE SAs, %d tunnels with a Child SA"
      % ("ok" if ok_a else "FAILED", r["gen_up"], r["ike_sas_min_during"], r["children_min_during"],
         r["daemon_samples_during"], r["child_rekeys_during"], r["child_rekeys_total"],
         r["dead_peers"], len(fails), r["gen_liveness"], r["gen_child_rekeys"],
         r["gen_deleted_by_responder"], r["ike_sas_end"], live))
for f in fails[:5]:
    print("    log: " + f[:160])
print("(b) %s: a genuine peer during the flood: %d of %d tunnels up (%d failed: %s) in %.1f s, "
      "%d cookies, latency p50 %.0f ms, p99 %.0f ms"
      % ("ok" if ok_b else "FAILED", r["genuine_up"], gen, r["genuine_failed"],
         ", ".join("%s %d" % kv for kv in r["genuine_failures"].items()) or "none",
         r["genuine_setup_s"], r["genuine_cookies"], r["genuine_p50_ms"], r["genuine_p99_ms"]))
print("(c) the daemon's RSS: %d KiB before the flood, at most %d KiB, %d KiB after"
      % (r["rss_kib_before"], r["rss_kib_max"], r["rss_kib_after"]))
print("(d) %s: half-open IKE SAs back to 0 %s after the flood"
      % ("ok" if ok_d else "FAILED",
         "%.1f s" % r["half_open_zero_after_s"] if r["half_open_zero_after_s"] >= 0 else "not within 40 s"))
if as_json == "1":
    print(json.dumps(r))
EOF
