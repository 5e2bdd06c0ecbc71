#!/usr/bin/env bash
# Bad input at scale, short (issue 16; the long versions are bench/ike's
# flood.sh, halfopen.sh and churn.sh): 200 tunnels from ikegen held against
# ipsecfxd while
#   - a spoofed IKE_SA_INIT flood runs for 3 s (ikegen --flood, 10,000/s from
#     random addresses of 198.18.0.0/15 through a raw socket): the tunnels
#     keep answering the daemon's liveness checks (every 1 s of silence),
#     none is lost, a genuine peer (20 tunnels from 192.0.2.10-29) gets in
#     during it, and the half-open count stays within max_half_open;
#   - a third peer makes and deletes 500 Child SAs (ikegen --child-churn):
#     none left over in the daemon;
#   - a fourth leaves 10 half-open IKE SAs (ikegen --no-auth): counted, and
#     gone after half_open_timeout (4 s here).
#
#   ns G: ikegen x4, 198.18.0.1-64, 192.0.2.2, .10-.59 ==veth== 192.0.2.1 ns R: ipsecfxd
#
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/scale_lib.sh"

N=200
ADDRS=64
GEN=20
FLOOD_RATE=10000

sc_begin "scale, bad input: flood, half-open peers, Child SA churn against ipsecfxd" \
	"network namespaces, a raw socket, 198.18.x.y addresses, the daemon's TUN" \
	ipsecfx-scalebad "$ADDRS"
for ((i = 10; i < 60; i++)); do
	echo "address add 192.0.2.$i/24 dev eth0"
done | ip -n "$IKG_NS_G" -batch -
# cookies from the 21st half-open IKE SA on, none beyond 64: the flood
# takes the stateful path (a Diffie-Hellman each) until then
sc_ipsecfxd scale-bad 1s "log_level: warning
cookie_threshold: 20
max_half_open: 64
half_open_timeout: 4s"
start=$SECONDS

S() { ikg_stat "$T/d" "$1"; } # s: the daemon's IKE stats, d: its data plane's

# ---- 200 tunnels up ----
ikg_gen "$T/main" --tunnels "$N" --src-count "$ADDRS" --hold 120 --ready "$T/main.ready" --json
MAIN=$IKG_GEN_PID
if ! ikg_wait_file "$T/main.ready" "$MAIN" 20 ||
	! wait_for 5 "s['ike_sas'] == $N and d['children'] == $N"; then
	tap_fail "scale-bad: $N tunnels up (the daemon: $(S 's["ike_sas"]') IKE SAs)"
	tail -5 "$T/main.err" | tap_diag
	tap_done
	exit 1
fi
tap_ok "scale-bad: $N tunnels up"
dead0=$(S 's["dead_peers"]')
sleep 1.5 # the daemon's first liveness checks go out after 1 s of silence

# ---- a 3 s spoofed flood, a genuine peer in the middle of it ----
ip netns exec "$IKG_NS_G" "$IPSECFX_BUILD/bench/ikegen" --flood "$FLOOD_RATE" --seconds 3 \
	--src-count "$ADDRS" --json >"$T/flood" 2>"$T/flood.err" &
FLOOD=$!
IKG_PIDS+=("$FLOOD")
sleep 0.5
ikg_gen "$T/genuine" --tunnels "$GEN" --src 192.0.2.10 --src-count "$GEN" --id ipv4 \
	--ts-base 10.200.0.0 --hold 120 --ready "$T/genuine.ready" --json
GENUINE=$IKG_GEN_PID
ho_max=0
while kill -0 "$FLOOD" 2>/dev/null; do
	h=$(S 's["half_open"]')
	[[ "$h" =~ ^[0-9]+$ ]] && [ "$h" -gt "$ho_max" ] && ho_max=$h
	sleep 0.2
done
wait "$FLOOD"
frc=$?
echo "$(G "$T/flood" '"flood: %d spoofed IKE_SA_INITs in %.1f s" % (g["flood_sent"], g["flood_s"])'); the daemon: $(S '"%d cookies sent, %d datagrams received" % (s["cookies_sent"], s["rx"])'), at most $ho_max half-open" | tap_diag
[ "$frc" = 0 ] && [ "$(G "$T/flood" 'g["flood_sent"] > 0')" = True ] \
	&& tap_ok "scale-bad: the spoofed flood ran" \
	|| { tap_fail "scale-bad: the spoofed flood ran (exit $frc)"; tail -3 "$T/flood.err" | tap_diag; }
[ "$ho_max" -le 64 ] \
	&& tap_ok "scale-bad: half-open IKE SAs within max_half_open during the flood (at most $ho_max)" \
	|| tap_fail "scale-bad: $ho_max half-open IKE SAs during the flood, above max_half_open 64"
if ikg_wait_file "$T/genuine.ready" "$GENUINE" 15; then
	kill -USR1 "$GENUINE"
	wait "$GENUINE"
fi
[ "$(G "$T/genuine" 'g["up"] == '"$GEN"' and g["failed"] == 0')" = True ] \
	&& tap_ok "scale-bad: a genuine peer got its $GEN tunnels up during the flood ($(G "$T/genuine" '"%d cookies, p99 %.0f ms" % (g["cookies"], g["p99_ms"])'))" \
	|| { tap_fail "scale-bad: the genuine peer during the flood"; head -3 "$T/genuine" | tap_diag; }
# (ike_sas counts the half-open ones too)
wait_for 5 "s['ike_sas'] - s['half_open'] == $N and d['children'] == $N and s['dead_peers'] == $dead0" \
	&& tap_ok "scale-bad: the daemon holds the $N tunnels after the flood, no dead peer" \
	|| tap_fail "scale-bad: after the flood the daemon holds $(S 's["ike_sas"]') IKE SAs, $(S 'd["children"]') Child SAs, $(S 's["dead_peers"] - '"$dead0") dead peers"

# ---- 500 Child SAs made and deleted ----
ikg_gen "$T/churn" --tunnels 2 --src 192.0.2.40 --src-count 2 --id ipv4 --ts-base 10.210.0.0 \
	--child-churn 500 --json
CHURN=$IKG_GEN_PID
wait "$CHURN"
crc=$?
[ "$crc" = 0 ] && [ "$(G "$T/churn" 'g["churn_done"] == 500 and g["churn_failed"] == 0 and g["closed"] == 2')" = True ] \
	&& tap_ok "scale-bad: 500 Child SAs made and deleted over 2 IKE SAs ($(G "$T/churn" '"%.2f s" % g["churn_s"]'))" \
	|| { tap_fail "scale-bad: Child SA churn (exit $crc)"; tail -4 "$T/churn" | tap_diag; }
# a deleted Child SA's inbound SA lingers 1-2 s (IKE_CHILD_LINGER_S)
wait_for 4 "s['ike_sas'] - s['half_open'] == $N and d['children'] == $N" \
	&& tap_ok "scale-bad: no Child SA left over from the churn" \
	|| tap_fail "scale-bad: after the churn the daemon holds $(S 'd["children"]') Child SAs, not $N"

# ---- 10 half-open peers ----
# the flood's half-open SAs go first (half_open_timeout 4s): counted from 0,
# the 10 are not hidden by others expiring meanwhile
wait_for 8 "s['half_open'] == 0" || true
h0=$(S 's["half_open"]')
ikg_gen "$T/half" --tunnels 10 --src 192.0.2.50 --src-count 5 --no-auth --json
wait "$IKG_GEN_PID"
[ "$(G "$T/half" 'g["half_open_left"] == 10')" = True ] && wait_for 2 "s['half_open'] >= $h0 + 10" \
	&& tap_ok "scale-bad: 10 half-open IKE SAs counted ($(S 's["half_open"]') in all, $(G "$T/half" 'g["cookies"]') cookies asked)" \
	|| tap_fail "scale-bad: half-open peers (the generator: $(G "$T/half" 'g["half_open_left"]'), the daemon: $(S 's["half_open"]'))"
wait_for 8 "s['half_open'] == 0 and s['ike_sas'] == $N" \
	&& tap_ok "scale-bad: half-open IKE SAs expired back to 0 (half_open_timeout 4s)" \
	|| tap_fail "scale-bad: $(S 's["half_open"]') half-open IKE SAs left 8 s after half_open_timeout 4s"

# ---- the tunnels' view, and the end ----
kill -USR1 "$MAIN"
wait "$MAIN"
mrc=$?
echo "$(G "$T/main" '"%d liveness checks and %d Child SA rekeys answered, %d deleted by the daemon, %d Deletes answered" % (g["liveness"], g["child_rekeys"], g["deleted_by_responder"], g["closed"])')" | tap_diag
[ "$mrc" = 0 ] && [ "$(G "$T/main" 'g["up"] == '"$N"' and g["liveness"] >= '"$N"' and g["deleted_by_responder"] == 0 and g["closed"] == '"$N"'')" = True ] \
	&& tap_ok "scale-bad: the $N tunnels answered liveness checks through it and were deleted by us at the end" \
	|| { tap_fail "scale-bad: the tunnels' generator (exit $mrc)"; tail -3 "$T/main" "$T/main.err" | tap_diag; }
echo "$((SECONDS - start)) s" | tap_diag
sc_end scale-bad "no error in the daemon's log"
