# shellcheck shell=bash
# Helpers for the scale suites t_scale.sh and t_scale_bad.sh (sourced after
# ../lib/tap.sh, as ../interop/lib.sh is by the suites with real peers):
# bench/ike/lib.sh's namespaces, its generator (ikegen) in one and ipsecfxd
# in the other.
#
#   ns G: ikegen, 198.18.0.1-K + 192.0.2.2 ==veth== 192.0.2.1 ns R: ipsecfxd
#
# A suite defines S EXPR, a Python expression over the daemon's state, for
# wait_for to poll.

SC_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$SC_HERE/../../bench/ike/lib.sh"

# sc_need WHAT: why-not text on stdout and status 1 when the suite cannot
# run; WHAT says what it needs root for
sc_need() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "needs root ($1)"
		return 1
	fi
	if ! ip netns add ikgprobe$$ 2>/dev/null; then
		echo "cannot create network namespaces here"
		return 1
	fi
	ip netns del ikgprobe$$
	[ -c /dev/net/tun ] || { echo "no /dev/net/tun"; return 1; }
	[ -x "$IPSECFX_BUILD/bench/ikegen" ] || { echo "$IPSECFX_BUILD/bench/ikegen not built"; return 1; }
	return 0
}

# sc_begin SUITE WHAT PREFIX K: skip the suite (TAP SKIP with sc_need's
# reason) where it cannot run; else T (bench/ike's ikg_workdir PREFIX:
# everything torn down on exit), the namespaces with K source addresses on
# the generator's side, and the daemon's directory $T/d
sc_begin() {
	local why
	if ! why=$(sc_need "$2"); then
		tap_skip "$1" "$why"
		tap_done
		exit 0
	fi
	ikg_workdir "$3"
	ikg_topology "$4"
	mkdir -p "$T/d"
}

# sc_ipsecfxd NAME LIVENESS TOP_LINES: the daemon's configuration $T/d/d.yaml
# (bench/ike's, x25519, with TOP_LINES at its top and liveness checks after
# LIVENESS of silence) and the daemon started: DPID.  Where it does not
# start, a TAP failure "NAME: ipsecfxd started" ends the suite.
sc_ipsecfxd() {
	ikg_ipsecfxd_conf "$T/d" x25519 "$3"
	sed -i "s/^    encap: true/&\n    liveness_interval: $2/" "$T/d/d.yaml"
	if ! ikg_ipsecfxd "$T/d"; then
		tap_fail "$1: ipsecfxd started"
		tap_done
		exit 1
	fi
	DPID=$IKG_RESP_PID
}

# wait_for SECONDS EXPR: S EXPR prints True within that time (asked every
# SC_POLL seconds, 0.2)
wait_for() {
	local end=$((SECONDS + $1))
	while [ $SECONDS -lt $end ]; do
		[ "$(S "$2")" = True ] && return 0
		sleep "${SC_POLL:-0.2}"
	done
	return 1
}

G() { # G FILE EXPR: a Python expression over a generator's JSON (g)
	/usr/bin/python3 -c '
import json, sys
lines = [x for x in open(sys.argv[1]).read().splitlines() if x.startswith("{")]
g = json.loads(lines[-1]) if lines else {}
print(eval(sys.argv[2]))' "$1" "$2" 2>/dev/null
}

# sc_end NAME LOG_OK: the daemon stopped, TAP lines for its exit status and
# for its log (no "error:", no "is not a transition": LOG_OK names that
# check), the end of the suite's TAP
sc_end() {
	local drc bad
	kill "$DPID"
	wait "$DPID"
	drc=$?
	[ "$drc" = 0 ] && tap_ok "$1: the daemon stopped cleanly" \
		|| { tap_fail "$1: the daemon exited with status $drc"; tail -20 "$T/d/d.log" | tap_diag; }
	bad=$(grep -E "is not a transition|error:" "$T/d/d.log" | head -5)
	[ -z "$bad" ] && tap_ok "$1: $2" \
		|| { tap_fail "$1: the daemon's log"; printf '%s\n' "$bad" | tap_diag; }
	tap_done
}
