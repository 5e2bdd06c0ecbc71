#!/usr/bin/env bash
# Many tunnels at once: bench/ike's generator (ikegen) sets 500 tunnels up
# against ipsecfxd from 128 source addresses, the daemon rekeys every Child
# SA and every IKE SA while they are held, then the generator deletes them
# all (bench/ike/lib.sh draws the namespaces):
#
#   ns G: ikegen, 198.18.0.1-128 + 192.0.2.2 ==veth== 192.0.2.1 ns R: ipsecfxd
#
# Two identical rounds.  The first warms the daemon up (its allocator's
# pools, the engine's SA table, the hash chains); the RSS after it is the
# baseline.  The second must leave the daemon within 10% of that baseline:
# memory a tunnel took and did not give back would show there (500 tunnels
# hold about 6 MiB).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/scale_lib.sh"

N=500
ADDRS=128

sc_begin "scale: $N tunnels against ipsecfxd" \
	"network namespaces, 198.18.x.y addresses, the daemon's TUN" ipsecfx-scale "$ADDRS"
if [ "${SANITIZE:-0}" = 1 ]; then
	# ASan keeps freed memory in quarantine (256 MiB): the second round
	# would not reuse the first's, and RSS would grow by design; and it
	# gives free pages back every 5 s, so RSS would depend on when it is
	# read.  Without either, RSS is the allocator's high-water mark, which
	# a leak still raises; LeakSanitizer still checks at exit.
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:allocator_release_to_os_interval_ms=-1"
fi
# liveness checks every 2 s: the generator answers them while it holds
sc_ipsecfxd scale 2s "log_level: warning"
SC_POLL=0.25

S() { # S EXPR: a Python expression over the daemon's IKE stats (s) and SA list (l)
	# (through files: the list of 500 SAs is longer than one argument may be)
	ikg_ctl "$T/d" stats >"$T/stats.json" 2>/dev/null || echo '{"ike": {}}' >"$T/stats.json"
	ikg_ctl "$T/d" list-sas --json >"$T/list.json" 2>/dev/null || echo '[]' >"$T/list.json"
	/usr/bin/python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["ike"]; l = json.load(open(sys.argv[2]))
print(eval(sys.argv[3]))' "$T/stats.json" "$T/list.json" "$1" 2>/dev/null
}

# round NAME: N tunnels up, every Child SA and IKE SA rekeyed by the
# daemon, all deleted by the generator; TAP lines for each step
round() {
	local name=$1 out=$T/$1.gen r0 c0 i0
	rm -f "$T/$name.ready"
	r0=$(S 's["established"]')
	c0=$(S 's["child_rekeys"]')
	i0=$(S 's["ike_rekeys"]')
	ikg_gen "$out" --tunnels "$N" --src-count "$ADDRS" --hold 60 --ready "$T/$name.ready" --json
	if ! ikg_wait_file "$T/$name.ready" "$IKG_GEN_PID" 20; then
		tap_fail "$name: the generator's set-up phase ended"
		tail -5 "$out.err" | tap_diag
		return 1
	fi
	# the daemon's own count, and its SA list: one IKE SA and one
	# installed Child SA per tunnel
	wait_for 5 "s['ike_sas'] == $N and s['half_open'] == 0 and len(l) == $N and all(x['state'] == 'established' and len(x['children']) == 1 for x in l)" \
		&& tap_ok "$name: $N tunnels up ($(S 's["established"] - '"$r0") established, list-sas shows $N IKE SAs with a Child SA each)" \
		|| tap_fail "$name: $N tunnels up (the daemon: $(S 's["ike_sas"]') IKE SAs, $(S 's["half_open"]') half-open, list-sas $(S 'len(l)'))"
	ikg_ctl "$T/d" rekey any --child lan >/dev/null
	wait_for 10 "s['child_rekeys'] - $c0 >= $N and all(len(x['children']) == 1 for x in l)" \
		&& tap_ok "$name: the daemon rekeyed all $N Child SAs, the old ones deleted" \
		|| tap_fail "$name: Child SA rekeys ($(S 's["child_rekeys"] - '"$c0") of $N)"
	ikg_ctl "$T/d" rekey any --ike >/dev/null
	wait_for 10 "s['ike_rekeys'] - $i0 >= $N and s['ike_sas'] == $N" \
		&& tap_ok "$name: the daemon rekeyed all $N IKE SAs, the old ones deleted" \
		|| tap_fail "$name: IKE SA rekeys ($(S 's["ike_rekeys"] - '"$i0") of $N, $(S 's["ike_sas"]') IKE SAs)"
	kill -USR1 "$IKG_GEN_PID" 2>/dev/null
	wait "$IKG_GEN_PID"
	grc=$? # 0: nothing failed (and, in an ASan build, nothing leaked)
	echo "$name: $(G "$out" '"%d set-ups/s, p50 %.1f ms, p99 %.1f ms; %d liveness checks, %d Child SA and %d IKE SA rekeys answered; teardown %.2f s" % (g["setups_per_s"], g["p50_ms"], g["p99_ms"], g["liveness"], g["child_rekeys"], g["ike_rekeys"], g["teardown_s"])')" | tap_diag
	[ "$grc" = 0 ] && [ "$(G "$out" 'g["up"] == '"$N"' and g["failed"] == 0 and g["child_rekeys"] == '"$N"' and g["ike_rekeys"] == '"$N"' and g["closed"] == '"$N"' and g["deleted_by_responder"] == 0')" = True ] \
		&& tap_ok "$name: the generator saw $N up, the rekeys, and $N Deletes answered" \
		|| { tap_fail "$name: the generator's counts (exit status $grc)"; tail -3 "$out" "$out.err" | tap_diag; }
	wait_for 5 "s['ike_sas'] == 0 and s['half_open'] == 0 and len(l) == 0" \
		&& tap_ok "$name: the daemon holds no IKE SA afterwards" \
		|| tap_fail "$name: IKE SAs left ($(S 's["ike_sas"]'))"
}

rss() { ikg_rss_kib "$DPID"; }

start=$SECONDS
rss_start=$(rss)
round warm-up
sleep 1 # past the daemon's next tick: whatever it frees late is freed
rss_base=$(rss)
for ((i = 2; i <= ${SCALE_ROUNDS:-2}; i++)); do
	round "round-$i"
	sleep 1
	rss_end=$(rss)
	echo "ipsecfxd RSS after round $i: $rss_end KiB" | tap_diag
done
echo "ipsecfxd RSS: $rss_start KiB at start, $rss_base KiB after the first round, $rss_end KiB after the last; $((SECONDS - start)) s" | tap_diag
[ $((rss_end * 10)) -le $((rss_base * 11)) ] && [ $((rss_end * 10)) -ge $((rss_base * 9)) ] \
	&& tap_ok "scale: the daemon's RSS after the last round ($rss_end KiB) within 10% of after the first ($rss_base KiB)" \
	|| tap_fail "scale: the daemon's RSS after the last round ($rss_end KiB) is not within 10% of after the first ($rss_base KiB)"
sc_end scale "no error and no state change outside the state machines in the daemon's log"
