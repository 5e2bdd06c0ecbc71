#!/usr/bin/env bash
# Child SA churn against ipsecfxd: over T tunnels (4) the generator makes a
# Child SA with CREATE_CHILD_SA and deletes it with an INFORMATIONAL Delete
# (ESP), W warm-up cycles (1000) and then K more (10000), one cycle at a
# time per tunnel (ikegen --child-churn).  Drawn by bench/ike/lib.sh.
#
#   bench/ike/churn.sh [--tunnels T] [--cycles K] [--warmup W] [--json]
#
# The daemon's RSS after the warm-up (when the generator creates its mark
# file: the allocator has its pools by then) is compared with its RSS after
# the K cycles: within 10% passes.  Its Child SA count (dataplane children
# in `ipsecfx stats`, and list-sas) must be back to T, the tunnels' own.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

TUN=4 K=10000 W=1000 JSON=0
while [ $# -gt 0 ]; do
	case $1 in
	--tunnels) TUN=$2; shift 2 ;;
	--cycles) K=$2; shift 2 ;;
	--warmup) W=$2; shift 2 ;;
	--json) JSON=1; shift ;;
	*) ikg_usage 7 ;;
	esac
done
ikg_need_root "network namespaces, the daemon's TUN"
ikg_build
ikg_bench_begin ikechurn "$TUN"
ikg_ipsecfxd "$T/d"
DPID=$IKG_RESP_PID
rss_idle=$(ikg_rss_kib "$DPID")
ikg_gen "$T/gen" --tunnels "$TUN" --src-count "$TUN" --child-churn $((W + K)) \
	--churn-warmup "$W" --mark "$T/mark" --hold 600 --ready "$T/ready" --json
ikg_wait_file "$T/mark" "$IKG_GEN_PID" 120 || { echo "churn: no warm-up" >&2; tail -3 "$T/gen.err" >&2; exit 1; }
rss_warm=$(ikg_rss_kib "$DPID")
ikg_wait_file "$T/ready" "$IKG_GEN_PID" 600 || { echo "churn: did not end" >&2; exit 1; }
sleep 2 # a Child SA deleted lingers 1-2 s (IKE_CHILD_LINGER_S)
rss_end=$(ikg_rss_kib "$DPID")
ch_end=$(ikg_stat "$T/d" 'd["children"]')
ls_end=$(ikg_ctl "$T/d" list-sas --json | /usr/bin/python3 -c '
import json, sys
l = json.load(sys.stdin); l = l.get("sas", l) if isinstance(l, dict) else l
print(sum(len(x.get("children", [])) for x in l))')
kill -USR1 "$IKG_GEN_PID"
grc=0
wait "$IKG_GEN_PID" || grc=$?
/usr/bin/python3 - "$T/gen" "$TUN" "$K" "$W" "$rss_idle" "$rss_warm" "$rss_end" "$ch_end" \
	"$ls_end" "$grc" "$JSON" <<'PY'
import json, sys
p, tun, k, w, idle, warm, end, ch, ls, grc, as_json = sys.argv[1:]
l = [x for x in open(p).read().splitlines() if x.startswith("{")]
g = json.loads(l[-1]) if l else {}
tun, k, w, idle, warm, end = int(tun), int(k), int(w), int(idle), int(warm), int(end)
ok_rss = end * 10 <= warm * 11
ok_ch = ch == str(tun) and ls == str(tun)
r = {"tunnels": tun, "cycles": k, "warmup": w, "done": g.get("churn_done", 0),
     "failed": g.get("churn_failed", 0), "retried": g.get("churn_retried", 0),
     "churn_s": round(g.get("churn_s", 0), 2),
     "cycles_per_s": round(g.get("churn_done", 0) / g["churn_s"]) if g.get("churn_s") else 0,
     "rss_kib_idle": idle, "rss_kib_after_warmup": warm, "rss_kib_end": end,
     "rss_growth_pct": round(100.0 * (end - warm) / warm, 1),
     "children_end": int(ch) if ch.isdigit() else ch, "list_children_end": int(ls),
     "ok_rss": ok_rss, "ok_children": ok_ch, "generator_exit": int(grc)}
print("churn: %d of %d Child SAs made and deleted (%d failed, %d retried) over %d tunnels in %.1f s: %d cycles/s"
      % (r["done"], k + w, r["failed"], r["retried"], tun, r["churn_s"], r["cycles_per_s"]))
print("churn: %s: the daemon's RSS %d KiB idle, %d KiB after %d warm-up cycles, %d KiB after %d more (%+.1f%%)"
      % ("ok" if ok_rss else "FAILED", idle, warm, w, end, k, r["rss_growth_pct"]))
print("churn: %s: Child SAs at the end: %s in the data plane, %s in list-sas (the tunnels' own: %d)"
      % ("ok" if ok_ch else "FAILED", ch, ls, tun))
if as_json == "1":
    print(json.dumps(r))
PY
