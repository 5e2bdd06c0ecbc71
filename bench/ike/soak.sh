#!/usr/bin/env bash
# Rekey soak: ipsecfxd holds N tunnels from ikegen for M minutes with every
# Child SA rekeyed by time (rekey_time R seconds, its default jitter of 10%,
# life_time R + 10%), everything else at the daemon's defaults (liveness
# checks after 5 s of silence).  Drawn by bench/ike/lib.sh.
#
#   bench/ike/soak.sh [--tunnels N] [--rekey R] [--minutes M] [--liveness L] [--json]
#
# --liveness L sets liveness_interval (seconds; 0 = no checks): with
# --rekey 3600 --liveness 0 nothing is due during a short hold, and the CPU
# figure is what idle tunnels cost the daemon (its timers and nothing else).
#
# Reported: Child SA rekeys the daemon did during the hold and those that
# failed (its warnings and errors about rekeys and lifetimes in its log, and
# what the generator saw: requests it refused, SAs the daemon deleted), SAs
# lost (IKE SAs and installed Child SAs at the end against N, by the
# daemon's stats and its SA list), the daemon's CPU over the hold
# (utime + stime from /proc/PID/stat: the cost of holding N tunnels) and its
# RSS (sampled each second).  With --json the last line is one object.
# Runs for M minutes plus the set-up: take /tmp/ipsecfx-bench.lock around it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

usage() { ikg_usage 7; }

N=10000 REKEY=60 MINUTES=10 JSON=0 ADDRS=256 LIVENESS=
while [ $# -gt 0 ]; do
	case $1 in
	--tunnels) N=$2; shift 2 ;;
	--rekey) REKEY=$2; shift 2 ;;
	--minutes) MINUTES=$2; shift 2 ;;
	--liveness) LIVENESS=$2; shift 2 ;;
	--json) JSON=1; shift ;;
	*) usage ;;
	esac
done
[[ "$N" =~ ^[1-9][0-9]*$ && "$REKEY" =~ ^[1-9][0-9]*$ && "$MINUTES" =~ ^[0-9.]+$ ]] || usage
ikg_need_root "network namespaces, 198.18.x.y addresses, the daemon's TUN"
ikg_build

ikg_bench_begin ikesoak "$ADDRS"
sed -i "s/^        esp_proposals: \[aes256gcm16\]/&\n        rekey_time: ${REKEY}s/" "$T/d/d.yaml"
[ -n "$LIVENESS" ] && sed -i "s/^    encap: true/&\n    liveness_interval: ${LIVENESS}s/" "$T/d/d.yaml"
ikg_ipsecfxd "$T/d"
DPID=$IKG_RESP_PID
HOLD_S=$(/usr/bin/python3 -c "print(int(float('$MINUTES') * 60))")

echo "soak: $N tunnels, Child SA rekey_time ${REKEY}s (jitter 10%), held $HOLD_S s"
ikg_gen "$T/gen" --tunnels "$N" --src-count "$ADDRS" --window 64 --hold $((HOLD_S + 3600)) \
	--ready "$T/ready" --json
if ! ikg_wait_file "$T/ready" "$IKG_GEN_PID" $((120 + N / 20)); then
	echo "soak: the generator did not finish its set-up" >&2
	tail -5 "$T/gen.err" >&2
	exit 1
fi
sleep 2
ikg_rss_sampler "$DPID" "$T/rss"
up0=$(ikg_stat "$T/d" 's["ike_sas"]')
ch0=$(ikg_stat "$T/d" 'd["children"]')
rk0=$(ikg_stat "$T/d" 's["child_rekeys"]')
cpu0=$(ikg_cpu_ticks "$DPID")
t0=$(date +%s.%N)
echo "soak: set-up over: the daemon holds $up0 IKE SAs, $ch0 Child SAs; holding"
for ((i = 0; i < HOLD_S / 60; i++)); do
	sleep 60
	echo "soak: minute $((i + 1)): $(ikg_stat "$T/d" 's["ike_sas"]') IKE SAs, $(ikg_stat "$T/d" 'd["children"]') Child SAs, $(ikg_stat "$T/d" 's["child_rekeys"] - '"$rk0") rekeys so far, RSS $(tail -1 "$T/rss") KiB"
done
sleep $((HOLD_S % 60))
cpu1=$(ikg_cpu_ticks "$DPID")
t1=$(date +%s.%N)
ikg_ctl "$T/d" stats >"$T/stats.json"
ikg_ctl "$T/d" list-sas --json >"$T/list.json"
kill -USR1 "$IKG_GEN_PID" 2>/dev/null || true
grc=0
wait "$IKG_GEN_PID" || grc=$?
grep -iE "rekey|lifetime|expired|dead|refused|error" "$T/d/d.log" >"$T/fail.log" || true

/usr/bin/python3 - "$N" "$REKEY" "$HOLD_S" "$T" "$rk0" "$cpu0" "$cpu1" "$t0" "$t1" \
	"$(getconf CLK_TCK)" "$grc" "$JSON" <<'EOF'
import json, sys
n, rekey, hold, T, rk0, cpu0, cpu1, t0, t1, hz, grc, as_json = sys.argv[1:]
n = int(n)
st = json.load(open(T + "/stats.json")); s = st["ike"]; d = st["dataplane"]
l = json.load(open(T + "/list.json"))
l = l.get("sas", l) if isinstance(l, dict) else l
g = [x for x in open(T + "/gen").read().splitlines() if x.startswith("{")]
g = json.loads(g[-1]) if g else {}
rss = [int(x) for x in open(T + "/rss").read().split() if x.isdigit()]
fails = open(T + "/fail.log").read().splitlines()
secs = float(t1) - float(t0)
cpu = (int(cpu1) - int(cpu0)) / int(hz)
ike_up = sum(1 for x in l if x.get("state") == "established")
# a tunnel keeps its Child SA while one of them carries it (a rekeyed one
# waits for its Delete beside its successor)
ch_inst = sum(1 for x in l if any(c.get("state") in ("installed", "rekeying")
                                  for c in x.get("children", [])))
r = {
    "tunnels": n, "rekey_s": int(rekey), "hold_s": round(secs, 1),
    "up": g.get("up", 0), "setup_failed": g.get("failed", 0),
    "daemon_child_rekeys": s["child_rekeys"] - int(rk0),
    # every tunnel's k-th rekey falls between 0.9 k R and k R after its
    # set-up (rand_time: 10%), so a hold starting just after the set-up
    # sees about floor(hold / (0.95 R)) each, not hold / (0.95 R)
    "rekeys_per_tunnel": round((s["child_rekeys"] - int(rk0)) / n, 2),
    "daemon_rekey_failures_logged": len(fails),
    "gen_child_rekeys": g.get("child_rekeys", 0), "gen_liveness": g.get("liveness", 0),
    "gen_deleted_by_responder": g.get("deleted_by_responder", 0),
    "gen_teardown_failed": g.get("teardown_failed", 0),
    "ike_sas_end": s["ike_sas"], "children_end": d["children"],
    "list_ike_established": ike_up, "list_children_installed": ch_inst,
    "ike_sas_lost": n - s["ike_sas"], "children_lost": n - ch_inst,
    "dead_peers": s["dead_peers"], "rekey_collisions": s["rekey_collisions"],
    "daemon_cpu_s": round(cpu, 1), "daemon_cpu_pct": round(100 * cpu / secs, 2),
    "rss_kib_start": rss[0] if rss else 0, "rss_kib_max": max(rss) if rss else 0,
    "rss_kib_end": rss[-1] if rss else 0,
    "generator_exit": int(grc),
}
print("soak: %d tunnels up (%d failed), held %.0f s with Child SA rekey_time %s s"
      % (r["up"], r["setup_failed"], secs, rekey))
print("soak: the daemon rekeyed %d Child SAs (%.2f per tunnel), %d warnings/errors about "
      "rekeys, lifetimes or dead peers in its log; %d dead peers, %d rekey collisions"
      % (r["daemon_child_rekeys"], r["rekeys_per_tunnel"], len(fails), r["dead_peers"],
         r["rekey_collisions"]))
for f in fails[:5]:
    print("soak:   log: " + f[:160])
print("soak: the generator answered %d Child SA rekeys and %d liveness checks; %d tunnels "
      "deleted by the daemon; teardown %d deleted, %d unanswered"
      % (r["gen_child_rekeys"], r["gen_liveness"], r["gen_deleted_by_responder"],
         g.get("closed", 0), r["gen_teardown_failed"]))
print("soak: at the end the daemon held %d IKE SAs (%d established in list-sas) and %d Child SAs "
      "(%d tunnels with one installed): %d IKE SAs and %d Child SAs lost"
      % (s["ike_sas"], ike_up, d["children"], ch_inst, r["ike_sas_lost"], r["children_lost"]))
print("soak: daemon CPU %.1f s over %.0f s: %.2f%% of one core; RSS %d KiB at start, max %d, "
      "end %d" % (cpu, secs, r["daemon_cpu_pct"], r["rss_kib_start"], r["rss_kib_max"],
                  r["rss_kib_end"]))
if as_json == "1":
    print(json.dumps(r))
EOF
