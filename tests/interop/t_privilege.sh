#!/usr/bin/env bash
# Least privilege (docs/security.md) between two appliances in network
# namespaces, A (192.0.2.1, 10.1.0.1, engine sim) and B (192.0.2.2,
# 10.2.0.1 and 10.2.0.2):
#
#   privs    after start-up the daemon is the ipsecfx account with
#            CAP_NET_ADMIN and CAP_IPC_LOCK only, no way back, not
#            dumpable, memory locked (read from /proc/PID/status); and it
#            still does its job: the tunnel, a reload that reads a key
#            file only its group may read, a new Child SA with its route,
#            the card engine
#   control  a second daemon on the same control socket is refused;
#            control_group lets an operator who is not root run ipsecfx,
#            anyone else is refused; on exit the socket goes, unless the
#            path is no longer the daemon's
#
# IX_SECTIONS="control" runs a subset.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/lib.sh"

ix_begin "least privilege"
if ! getent passwd ipsecfx >/dev/null; then
	tap_skip "least privilege" "no ipsecfx account (scripts/deps.sh creates it)"
	tap_done
	exit 0
fi
SECTIONS=${IX_SECTIONS:-privs control}

# status_field PID NAME: a field of /proc/PID/status
status_field() { awk -v k="$2:" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "/proc/$1/status"; }

# ---- the unprivileged daemon still works ------------------------------------------

section_privs() {
	fresh plain
	ip -n "$IX_NS_B" addr add 10.2.0.2/32 dev lo
	# the PSK in a file that root owns and only the daemon's group reads
	printf '%s\n' "$PSK" >"$IX_T/psk"
	chown root:ipsecfx "$IX_T/psk"
	chmod 0640 "$IX_T/psk"
	PEER_AUTH="psk_file: $IX_T/psk" ours_peer A "" "" "engine: sim"
	local lan2="      - name: lan2
        local_ts: [10.1.0.1/32]
        remote_ts: [10.2.0.2/32]
        esp_proposals: [aes128gcm16]"
	ours_peer B "" "      - name: lan2
        local_ts: [10.2.0.2/32]
        remote_ts: [10.1.0.1/32]
        esp_proposals: [aes128gcm16]"
	start_ours "$IX_NS_B" B
	start_ours "$IX_NS_A" A
	local apid=$LASTPID uid
	uid=$(id -u ipsecfx)
	if ! ix_wait_up A p 15; then
		tap_fail "privs: tunnel up"
		diag_logs A B
		return
	fi
	local uids caps eff bnd amb nnp lck core mem
	uids=$(status_field "$apid" Uid)
	eff=$(status_field "$apid" CapEff)
	caps=$(status_field "$apid" CapPrm)
	bnd=$(status_field "$apid" CapBnd)
	amb=$(status_field "$apid" CapAmb)
	nnp=$(status_field "$apid" NoNewPrivs)
	lck=$(status_field "$apid" VmLck)
	core=$(awk '/^Max core file size/ {print $5, $6}' "/proc/$apid/limits")
	mem=$(stat -c %U "/proc/$apid/mem")
	echo "daemon $apid: Uid $uids, CapEff $eff, CapPrm $caps, CapBnd $bnd, CapAmb $amb, NoNewPrivs $nnp, VmLck $lck, core $core, /proc/PID/mem owned by $mem" | tap_diag
	# CAP_NET_ADMIN is bit 12 (0x1000), CAP_IPC_LOCK bit 14 (0x4000)
	[ "$uids" = "$uid $uid $uid $uid" ] \
		&& tap_ok "privs: the daemon runs as ipsecfx (uid $uid: real, effective, saved, fs)" \
		|| tap_fail "privs: uid (Uid: $uids, want $uid)"
	[ "$eff" = 0000000000005000 ] && [ "$caps" = 0000000000005000 ] && [ "$bnd" = 0000000000005000 ] \
		&& tap_ok "privs: CapEff, CapPrm and CapBnd are CAP_NET_ADMIN and CAP_IPC_LOCK only ($eff)" \
		|| tap_fail "privs: capabilities (CapEff $eff, CapPrm $caps, CapBnd $bnd)"
	[ "$amb" = 0000000000001000 ] && [ "$nnp" = 1 ] \
		&& tap_ok "privs: CAP_NET_ADMIN ambient for updown scripts; no_new_privs set" \
		|| tap_fail "privs: ambient $amb, NoNewPrivs $nnp"
	# an ASan build cannot lock its shadow memory: there the daemon must say so
	local locked=false
	if [ "${SANITIZE:-0}" = 1 ]; then
		grep -q "memory not locked: an ASan build" "$IX_T/A.log" && locked=true
		lck="ASan build: not lockable, and the daemon says so"
	elif [ "${lck%% *}" -gt 0 ]; then
		locked=true
	fi
	[ "$core" = "0 0" ] && [ "$mem" = root ] && $locked \
		&& tap_ok "privs: no core dumps (limit 0, not dumpable: /proc/PID/mem is root's), memory locked (VmLck $lck)" \
		|| tap_fail "privs: core limit '$core', /proc/PID/mem owner $mem, VmLck '$lck'"
	ok_if "privs: traffic through the tunnel (engine sim)" ix_ping "$IX_NS_A" 10.1.0.1 10.2.0.1
	[ "$(ix_ctl A engine --json 2>/dev/null | $PY -c 'import json,sys; print(json.load(sys.stdin)["backend"])')" = sim ] \
		&& tap_ok "privs: the card engine (sim) serves the SAs" || tap_fail "privs: engine sim"
	# a reload that reads the key file again, and a new Child SA with its route
	cat >>"$IX_T/A.yaml" <<EOF
$lan2
EOF
	if ix_ctl A reload >/dev/null && ix_ctl A initiate p --child lan2 --wait 10 >/dev/null &&
	   ip -n "$IX_NS_A" route get 10.2.0.2 from 10.1.0.1 | grep -q "dev ipsecfx0" &&
	   ix_ping "$IX_NS_A" 10.1.0.1 10.2.0.2; then
		tap_ok "privs: reload (psk_file root:ipsecfx 0640 read again), a new Child SA, its route on the TUN, traffic on it"
	else
		tap_fail "privs: reload, new Child SA and route"
		ip -n "$IX_NS_A" route | tap_diag
		diag_logs A B
	fi
	[ "$(status_field "$apid" CapEff)" = 0000000000005000 ] && kill -0 "$apid" \
		&& tap_ok "privs: and still CAP_NET_ADMIN and CAP_IPC_LOCK only after all that" \
		|| tap_fail "privs: capabilities after the reload"
}

# ---- the control socket ---------------------------------------------------------

section_control() {
	fresh plain
	getent group ipxops >/dev/null || groupadd --system ipxops
	getent passwd ipxop >/dev/null || useradd --system --no-create-home --shell /usr/sbin/nologin -G ipxops ipxop
	ours_peer A "" "" "control_group: ipxops"
	chmod o+x "$IX_T"   # operators reach the socket; its own mode decides
	start_ours "$IX_NS_A" A
	local apid=$LASTPID sock="$IX_T/A.sock"
	local perm
	perm=$(stat -c '%a %U:%G' "$sock")
	[ "$perm" = "660 ipsecfx:ipxops" ] && tap_ok "control: the socket is 0660 ipsecfx:ipxops (control_group)" \
		|| tap_fail "control: socket mode and owner ($perm)"
	if setpriv --reuid=ipxop --regid=ipxop --init-groups "$IPSECFX_BUILD/ipsecfx" list-sas --socket "$sock" >/dev/null 2>"$IX_T/op.err"; then
		tap_ok "control: ipxop (in ipxops, not root) runs ipsecfx list-sas"
	else
		tap_fail "control: ipxop runs ipsecfx"
		tap_diag <"$IX_T/op.err"
	fi
	if ! setpriv --reuid=nobody --regid=nogroup --clear-groups "$IPSECFX_BUILD/ipsecfx" list-sas --socket "$sock" >/dev/null 2>"$IX_T/nobody.err" &&
	   grep -qi "permission denied" "$IX_T/nobody.err"; then
		tap_ok "control: nobody is refused ($(head -1 "$IX_T/nobody.err"))"
	else
		tap_fail "control: nobody refused"
		tap_diag <"$IX_T/nobody.err"
	fi
	# a second daemon (another TUN and ports) on the same control socket
	sed -e 's/^control_group: ipxops$/ike_port: 1500\nnatt_port: 14500\ntun: {name: ipxtwo}/' \
		"$IX_T/A.yaml" >"$IX_T/two.yaml"
	if ! timeout 10 ip netns exec "$IX_NS_A" "$IPSECFX_BUILD/ipsecfxd" -f -c "$IX_T/two.yaml" \
		>"$IX_T/two.log" 2>&1 && grep -q "another daemon is listening there" "$IX_T/two.log" &&
	   ix_ctl A list-sas >/dev/null; then
		tap_ok "control: a second daemon on the same socket is refused; the first one still answers"
	else
		tap_fail "control: second daemon"
		tap_diag <"$IX_T/two.log"
	fi
	kill "$apid"
	wait "$apid" 2>/dev/null
	[ ! -e "$sock" ] && tap_ok "control: the socket is removed when the daemon stops" \
		|| tap_fail "control: socket left after stop"
	# the path taken over meanwhile: the new owner's socket stays
	start_ours "$IX_NS_A" A
	apid=$LASTPID
	mv "$sock" "$IX_T/A.sock.old"
	$PY -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$sock"
	kill "$apid"
	wait "$apid" 2>/dev/null
	[ -S "$sock" ] && grep -q "is no longer ours: left in place" "$IX_T/A.log" \
		&& tap_ok "control: a socket that is no longer the daemon's is left in place on exit" \
		|| tap_fail "control: socket taken over"
}

for s in $SECTIONS; do
	"section_$s"
done
ix_state_check
tap_done
