#!/usr/bin/env bash
# Half-open peers against ipsecfxd: the generator (ikegen --no-auth) sends
# IKE_SA_INIT for N peers (1000) from K addresses (100), returns the cookies
# it is asked for and never sends IKE_AUTH.  Twice, each time waiting for
# the daemon to expire them (its half-open timeout, 30 s, not configurable:
# host/ike/ike_mgr.c sets it).  Drawn by bench/ike/lib.sh.
#
#   bench/ike/halfopen.sh [--peers N] [--addrs K] [--json]
#
# Checked, from `ipsecfx stats`: the half-open count rises to what the
# limits allow (max_half_open_per_source 5 per address: min(N, 5K); cookies
# asked from the third one of an address on, the rest of an address's
# requests dropped unanswered: half_open_source_dropped), falls back to 0
# within the timeout and a tick, and the daemon's RSS after the second
# round's expiry is within 10% of after the first's.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

N=1000 K=100 JSON=0
while [ $# -gt 0 ]; do
	case $1 in
	--peers) N=$2; shift 2 ;;
	--addrs) K=$2; shift 2 ;;
	--json) JSON=1; shift ;;
	*) ikg_usage 8 ;;
	esac
done
ikg_need_root "network namespaces, the daemon's TUN"
ikg_build
ikg_bench_begin ikehalf "$K"
ikg_ipsecfxd "$T/d"
DPID=$IKG_RESP_PID
sleep 1
rss_idle=$(ikg_rss_kib "$DPID")
: >"$T/rounds"
for round in 1 2; do
	c0=$(ikg_stat "$T/d" '"%d %d %d" % (s["cookies_sent"], s["cookies_accepted"], s["half_open_source_dropped"])')
	ikg_gen "$T/gen$round" --tunnels "$N" --src-count "$K" --no-auth --rtx-tries 0 --json
	wait "$IKG_GEN_PID" || true
	t_sent=$SECONDS
	peak=$(ikg_stat "$T/d" 's["half_open"]')
	rss_peak=$(ikg_rss_kib "$DPID")
	c1=$(ikg_stat "$T/d" '"%d %d %d" % (s["cookies_sent"], s["cookies_accepted"], s["half_open_source_dropped"])')
	zero=-1
	while [ $((SECONDS - t_sent)) -le 40 ]; do
		if [ "$(ikg_stat "$T/d" 's["half_open"]')" = 0 ]; then
			zero=$((SECONDS - t_sent))
			break
		fi
		sleep 0.5
	done
	sleep 1
	rss_after=$(ikg_rss_kib "$DPID")
	echo "$round $peak $rss_peak $rss_after $zero $c0 $c1 $(ikg_stat "$T/d" 's["ike_sas"]')" >>"$T/rounds"
done
/usr/bin/python3 - "$T" "$N" "$K" "$rss_idle" "$JSON" <<'PY'
import json, sys
T, n, k, idle, as_json = sys.argv[1:]
n, k, idle = int(n), int(k), int(idle)
want = min(n, 5 * k)
rounds = []
for line in open(T + "/rounds").read().splitlines():
    f = [int(x) for x in line.split()]
    l = [x for x in open(T + "/gen%d" % f[0]).read().splitlines() if x.startswith("{")]
    g = json.loads(l[-1]) if l else {}
    rounds.append({"half_open_peak": f[1], "rss_kib_peak": f[2], "rss_kib_after": f[3],
                   "zero_after_s": f[4], "cookies_sent": f[8] - f[5],
                   "cookies_accepted": f[9] - f[6], "source_dropped": f[10] - f[7],
                   "ike_sas_after": f[11], "gen_half_open": g.get("half_open_left", 0),
                   "gen_timeouts": g.get("failures", {}).get("timeout", 0)})
r1, r2 = rounds
ok_peak = all(r["half_open_peak"] == want and r["gen_half_open"] == want for r in rounds)
ok_zero = all(0 <= r["zero_after_s"] <= 32 and r["ike_sas_after"] == 0 for r in rounds)
ok_rss = r2["rss_kib_after"] * 10 <= r1["rss_kib_after"] * 11
out = {"peers": n, "addrs": k, "expected_half_open": want, "rss_kib_idle": idle,
       "rounds": rounds, "ok_limits": ok_peak, "ok_expiry": ok_zero, "ok_rss": ok_rss}
for i, r in enumerate(rounds, 1):
    print("round %d: %d half-open IKE SAs (expected min(N, 5K) = %d; the generator saw %d answered, "
          "%d unanswered), %d cookies sent, %d returned, %d IKE_SA_INITs dropped per source; "
          "back to 0 after %d s; RSS %d KiB with them, %d KiB after"
          % (i, r["half_open_peak"], want, r["gen_half_open"], r["gen_timeouts"],
             r["cookies_sent"], r["cookies_accepted"], r["source_dropped"], r["zero_after_s"],
             r["rss_kib_peak"], r["rss_kib_after"]))
print("half-open: limits %s, expiry %s, RSS %s (%d KiB idle, %d after round 1, %d after round 2)"
      % ("ok" if ok_peak else "FAILED", "ok" if ok_zero else "FAILED",
         "ok" if ok_rss else "FAILED", idle, r1["rss_kib_after"], r2["rss_kib_after"]))
if as_json == "1":
    print(json.dumps(out))
PY
