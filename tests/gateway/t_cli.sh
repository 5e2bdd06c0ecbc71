#!/usr/bin/env bash
# The ipsecfx command's answers and ipsecfxd's start-up, as an operator
# sees them (issue 20, findings 1, 2, 3, 7, 11 and 12): a start in the
# background that fails or succeeds, the log file and the pid file, a
# reload after starting from a relative path, a reload's errors, a name the
# configuration does not have, a connection with nothing to terminate, a
# --wait that is not a number, list-sas NAME, options before the command,
# the socket found from the configuration, ipsecfxd's long options, and
# initiate reporting the outcome.  One ipsecfxd in its namespace
# (tests/interop/lib.sh draws them), and strongSwan as the peer.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/../interop/lib.sh"

ix_begin "gateway: the ipsecfx command's answers"

# cli_expect WHAT RC TEXT NAME ARGS...: ipsecfx ARGS against NAME's daemon
# exits RC and says TEXT (a fixed string) on stderr (on stdout with
# CLI_STREAM=out)
cli_expect() {
	local what=$1 want_rc=$2 text=$3 rc f=$IX_T/cli.${CLI_STREAM:-err}
	shift 3
	ix_ctl "$@" >"$IX_T/cli.out" 2>"$IX_T/cli.err"
	rc=$?
	if [ "$rc" = "$want_rc" ] && grep -qF -- "$text" "$f"; then
		tap_ok "$what: exit $rc, \"$(grep -F -m1 -- "$text" "$f")\""
	else
		tap_fail "$what: exit $rc (want $want_rc), stdout \"$(head -1 "$IX_T/cli.out")\", stderr \"$(head -1 "$IX_T/cli.err")\" (want \"$text\")"
	fi
}

section_names() {
	fresh plain
	ours_site A aes256gcm16-x25519
	start_ours "$IX_NS_A" A || { tap_fail "names: ipsecfxd started"; return; }
	cli_expect "terminate of a connection the configuration does not have" 1 \
		"no connection named 'nope'" A terminate nope
	cli_expect "terminate with nothing up" 1 "sw: no IKE SA to terminate" A terminate sw
	cli_expect "rekey of a connection the configuration does not have" 1 \
		"no connection named 'nope'" A rekey nope
	cli_expect "rekey with nothing up" 1 "sw: no established SA to rekey" A rekey sw
	cli_expect "initiate --wait abc" 2 "--wait takes a number of seconds (1-86400), not 'abc'" \
		A initiate sw --wait abc
	cli_expect "initiate --wait 0" 2 "not '0'" A initiate sw --wait 0
	cli_expect "list-sas NAME --conn OTHER" 2 "list-sas sw --conn x: which one?" \
		A list-sas sw --conn x
	cli_expect "initiate --child of a child the connection does not have" 1 \
		"connection 'sw' has no child named 'nope' (its children: lan)" A initiate sw --child nope
}

# bg_start WHAT: ipsecfxd -c A.yaml in the background from $IX_T (a
# relative path), stderr in bg.err; its exit code in BG_RC
bg_start() {
	(cd "$IX_T" && timeout 20 ip netns exec "$IX_NS_A" "$IPSECFX_BUILD/ipsecfxd" -c A.yaml \
		>"$IX_T/bg.out" 2>"$IX_T/bg.err")
	BG_RC=$?
}

bg_stop() {
	local pid
	pid=$(cat "$IX_T/A.pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
}

# findings 1 and 2: in the background, the parent says how start-up went
section_start() {
	local pid
	fresh plain
	SITE_A_ADDR=192.0.2.77 ours_site A aes256gcm16-x25519 "" "" "pid_file: $IX_T/A.pid"
	bg_start
	if [ "$BG_RC" = 1 ] && grep -q "ike socket on 192.0.2.77 port 500: Cannot assign requested address" "$IX_T/bg.err" &&
	   grep -q "error: ipsecfxd failed to start" "$IX_T/bg.err" &&
	   ! pgrep -f "ipsecfxd -c A.yaml" >/dev/null; then
		tap_ok "background start with local_addrs not on the host: exit 1, the reason on stderr, no process left"
	else
		tap_fail "background start with a bad local_addrs: exit $BG_RC, stderr: $(head -3 "$IX_T/bg.err" | tr '\n' '|')"
		bg_stop
	fi

	# a psk_file named relative to the configuration file
	echo "$PSK" >"$IX_T/A.psk"
	chgrp ipsecfx "$IX_T/A.psk" 2>/dev/null
	chmod 0640 "$IX_T/A.psk"
	SITE_A_AUTH="    psk_file: A.psk" ours_site A aes256gcm16-x25519 "" "" "pid_file: $IX_T/A.pid
log_file: $IX_T/A.file.log"
	bg_start
	pid=$(cat "$IX_T/A.pid" 2>/dev/null)
	if [ "$BG_RC" = 0 ] && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
	   grep -q "info: ipsecfxd .* started: 1 connections from $IX_T/A.yaml" "$IX_T/A.file.log"; then
		tap_ok "background start: exit 0 once started, pid_file holds the daemon ($pid), log_file has its lines"
	else
		tap_fail "background start: exit $BG_RC, pid '$pid', stderr: $(head -3 "$IX_T/bg.err" | tr '\n' '|')"
		tap_diag <"$IX_T/A.file.log"
	fi
	CLI_STREAM=out cli_expect "reload after a start from a relative path, psk_file relative to the file" 0 \
		"reloaded: 1 connections" A reload
	echo "bogus_key: 1" >>"$IX_T/A.yaml"
	ix_ctl A reload >"$IX_T/cli.out" 2>"$IX_T/cli.err"
	if [ $? = 1 ] && grep -qF "ipsecfx: $IX_T/A.yaml has errors; the running configuration stays:" "$IX_T/cli.err" &&
	   grep -qE "^  $IX_T/A.yaml:[0-9]+: .*bogus_key" "$IX_T/cli.err"; then
		tap_ok "reload of a file with an error: exit 1, the errors themselves ($(sed -n 2p "$IX_T/cli.err" | sed 's/^ *//'))"
	else
		tap_fail "reload of a broken file: stderr $(tr '\n' '|' <"$IX_T/cli.err")"
	fi
	out=$(timeout 10 "$IPSECFX_BUILD/ipsecfx" list-sas --config "$IX_T/A.yaml" --json 2>&1)
	if [ "$out" = "[]" ]; then
		tap_ok "ipsecfx --config FILE list-sas: the socket from control: in the file"
	else
		tap_fail "ipsecfx --config FILE list-sas: $out"
	fi
	bg_stop
	if [ ! -e "$IX_T/A.pid" ]; then
		tap_ok "the pid file goes when the daemon stops"
	else
		tap_fail "the pid file stayed after the daemon stopped"
		{ ls -ld "$IX_T"; tail -3 "$IX_T/A.file.log"; } | tap_diag
	fi
	cli_expect_cmd "ipsecfx --config FILE with no daemon" 1 \
		"cannot talk to ipsecfxd at $IX_T/A.sock (control: in $IX_T/A.yaml)" \
		"$IPSECFX_BUILD/ipsecfx" --config "$IX_T/A.yaml" list-sas

	# no syslog (no /dev/log, as in containers): the log stays on stderr
	if [ -S /dev/log ]; then
		tap_skip "no syslog" "this host has /dev/log"
		return
	fi
	ours_site A aes256gcm16-x25519 "" "" "pid_file: $IX_T/A.pid"
	bg_start
	sleep 0.3
	if [ "$BG_RC" = 0 ] && [ "$(grep -c "syslog is unreachable (/dev/log: No such file or directory): logging to stderr" "$IX_T/bg.err")" = 1 ] &&
	   grep -q "started: 1 connections" "$IX_T/bg.err"; then
		tap_ok "no syslog: said once on stderr, and the log goes on there"
	else
		tap_fail "no syslog: exit $BG_RC, stderr $(head -3 "$IX_T/bg.err" | tr '\n' '|')"
	fi
	bg_stop
}


# findings 3 and 7: initiate shows the SA's lines and returns the outcome,
# a refusal at once
section_initiate() {
	local t0 t1
	fresh plain
	ours_site A aes256gcm16-x25519 "      - name: lan2
        local_ts: [10.1.9.0/24]
        remote_ts: [10.2.9.0/24]
        esp_proposals: [aes256gcm16-x25519]"
	swan_site B aes256gcm16-x25519
	start_swan "$IX_NS_B" B
	start_ours "$IX_NS_A" A || { tap_fail "initiate: ipsecfxd started"; return; }
	ix_ctl A initiate sw >"$IX_T/cli.out" 2>"$IX_T/cli.err"
	if [ $? = 0 ] && grep -qx "initiated sw: established, child lan" "$IX_T/cli.out" &&
	   grep -q "^sw\[[0-9]*\] " "$IX_T/cli.out"; then
		tap_ok "initiate: the SA's log lines, then \"initiated sw: established, child lan\", exit 0"
	else
		tap_fail "initiate: stdout $(tr '\n' '|' <"$IX_T/cli.out") stderr $(head -2 "$IX_T/cli.err")"
	fi
	t0=$(date +%s%N)
	ix_ctl A initiate sw --child lan2 --wait 20 >"$IX_T/cli.out" 2>"$IX_T/cli.err"
	rc=$?
	t1=$(( ($(date +%s%N) - t0) / 1000000 ))
	if [ "$rc" = 1 ] && grep -q "TS_UNACCEPTABLE" "$IX_T/cli.err" && [ "$t1" -lt 5000 ]; then
		tap_ok "initiate --child lan2 that the peer refuses: exit 1 after $t1 ms, \"$(head -1 "$IX_T/cli.err" | cut -c1-160)\""
	else
		tap_fail "initiate of a refused child: exit $rc after $t1 ms, stderr $(head -2 "$IX_T/cli.err")"
		tap_diag <"$IX_T/cli.out"
	fi
}

# finding 12, in part: options before the command, the daemon's long options
section_options() {
	local out rc
	fresh plain
	ours_site A aes256gcm16-x25519
	start_ours "$IX_NS_A" A || { tap_fail "options: ipsecfxd started"; return; }
	out=$(timeout 10 "$IPSECFX_BUILD/ipsecfx" --socket "$IX_T/A.sock" --json list-sas 2>&1)
	rc=$?
	if [ "$rc" = 0 ] && [ "$out" = "[]" ]; then
		tap_ok "ipsecfx --socket PATH --json list-sas: options before the command work (exit 0, [])"
	else
		tap_fail "ipsecfx --socket PATH --json list-sas: exit $rc: $out"
	fi
	out=$("$IPSECFX_BUILD/ipsecfxd" --version 2>&1)
	rc=$?
	if [ "$rc" = 0 ] && [[ $out == "ipsecfxd "[0-9]* ]] &&
	   "$IPSECFX_BUILD/ipsecfxd" --help 2>&1 | grep -q -- "--config FILE" &&
	   "$IPSECFX_BUILD/ipsecfxd" --test --config "$IX_T/A.yaml" >/dev/null 2>&1; then
		tap_ok "ipsecfxd --version ($out), --help, --test --config FILE"
	else
		tap_fail "ipsecfxd long options: --version exit $rc: $out"
	fi
	cli_expect_cmd "ipsecfxd with a stray argument" 2 "unexpected argument 'x.yaml'" \
		"$IPSECFX_BUILD/ipsecfxd" x.yaml
}

# cli_expect_cmd WHAT RC TEXT CMD...: like cli_expect, any command
cli_expect_cmd() {
	local what=$1 want_rc=$2 text=$3 rc
	shift 3
	timeout 10 "$@" >"$IX_T/cli.out" 2>"$IX_T/cli.err"
	rc=$?
	if [ "$rc" = "$want_rc" ] && grep -qF -- "$text" "$IX_T/cli.err"; then
		tap_ok "$what: exit $rc, \"$(head -1 "$IX_T/cli.err")\""
	else
		tap_fail "$what: exit $rc (want $want_rc), stderr \"$(head -1 "$IX_T/cli.err")\" (want \"$text\")"
	fi
}

section_list() {
	local n_sw n_nope
	fresh plain
	ours_site A aes256gcm16-x25519
	swan_site B aes256gcm16-x25519
	site_up list || return
	n_sw=$(ix_ctl A list-sas sw --json | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))')
	n_nope=$(ix_ctl A list-sas nope --json | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))')
	if [ "${n_sw:-0}" = 1 ] && [ "${n_nope:-1}" = 0 ]; then
		tap_ok "list-sas NAME: 1 IKE SA for sw, none for nope (the name filters, as --conn does)"
	else
		tap_fail "list-sas NAME: ${n_sw:-?} for sw, ${n_nope:-?} for nope"
	fi
	if ix_ctl A terminate sw >"$IX_T/cli.out" 2>&1 && grep -qx "terminated sw" "$IX_T/cli.out"; then
		tap_ok "terminate of an established connection: exit 0, \"terminated sw\""
	else
		tap_fail "terminate sw: $(head -1 "$IX_T/cli.out")"
	fi
}

# finding 8 end to end: swanctl's habits (one address as a scalar, no
# local_addrs, no identities) set a tunnel up with strongSwan
section_swanctl_habits() {
	fresh plain
	ours A <<EOF
connections:
  sw:
    remote_addrs: 192.0.2.2
    psk: "$PSK"
    proposals: aes256gcm16-prfsha256-x25519
    children:
      lan:
        local_ts: 10.1.0.1/32
        remote_ts: 10.2.0.1/32
        esp_proposals: aes256gcm16-x25519
EOF
	swan_site B aes256gcm16-x25519
	start_swan "$IX_NS_B" B
	start_ours "$IX_NS_A" A || { tap_fail "swanctl habits: ipsecfxd started"; return; }
	if ix_ctl A initiate sw --wait 10 >"$IX_T/cli.out" 2>&1 && ix_swan_up B 5 &&
	   ix_ctl A list-sas | grep -q "local  '192.0.2.1' @ 192.0.2.1\["; then
		tap_ok "swanctl's habits (scalars, mappings by name, no local_addrs, no ids): the tunnel comes up, our identity is the address (192.0.2.1)"
	else
		tap_fail "swanctl's habits: $(tail -3 "$IX_T/cli.out" | tr '\n' '|')"
		diag_logs A B
	fi
}

# systemd's Type=notify: READY=1 once the daemon serves (issue 18)
section_notify() {
	fresh plain
	ours_site A aes256gcm16-x25519
	$PY - "$IX_T/notify.sock" >"$IX_T/notify.out" 2>&1 <<'EOF' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o777)   # as /run/systemd/notify: the daemon has dropped root
s.settimeout(10)
print(s.recv(4096).decode().replace("\n", "|"), flush=True)
EOF
	local py=$!
	for _ in $(seq 30); do [ -S "$IX_T/notify.sock" ] && break; sleep 0.1; done
	NOTIFY_SOCKET=$IX_T/notify.sock start_ours "$IX_NS_A" A || { tap_fail "notify: ipsecfxd started"; return; }
	wait $py
	if grep -q "^READY=1|MAINPID=$LASTPID|STATUS=1 connections, control $IX_T/A.sock" "$IX_T/notify.out"; then
		tap_ok "sd_notify: READY=1 with the daemon's pid and a status line, once it serves"
	else
		tap_fail "sd_notify: $(cat "$IX_T/notify.out")"
	fi
}

# under systemd (stderr is the journal: $JOURNAL_STREAM) the lines go to
# the journal with their priority and the connection as a field (issue 18);
# a stand-in journald socket in a mount namespace of A's own
section_journal() {
	local pid j=$IX_T/journal.out
	fresh plain
	ours_site A aes256gcm16-x25519
	swan_site B aes256gcm16-x25519
	start_swan "$IX_NS_B" B
	rm -f "$IX_T/A.sock"
	cat >"$IX_T/journald.py" <<'PYEOF'
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o777)   # the daemon drops root
s.settimeout(20)
try:
    while True:
        print(s.recv(65536).decode().replace("\n", "|"), flush=True)
except socket.timeout:
    pass
PYEOF
	# shellcheck disable=SC2016
	ip netns exec "$IX_NS_A" unshare -m bash -c '
		mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/journal || exit 1
		"$0" "$1/journald.py" /run/systemd/journal/socket >"$1/journal.out" 2>&1 &
		for _ in $(seq 30); do [ -S /run/systemd/journal/socket ] && break; sleep 0.1; done
		exec 2>"$1/A.log"
		JOURNAL_STREAM=$(stat -c %d:%i "$1/A.log") exec "$2" -f -c "$1/A.yaml"' \
		"$PY" "$IX_T" "$IPSECFX_BUILD/ipsecfxd" &
	pid=$!
	IX_PIDS+=("$pid")
	for _ in $(seq 50); do [ -S "$IX_T/A.sock" ] && break; sleep 0.1; done
	ix_ctl A initiate sw >"$IX_T/cli.out" 2>&1
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pkill -f "journald.py" 2>/dev/null
	if grep -q '^MESSAGE=sw\[1\] [^|]*|PRIORITY=6|SYSLOG_IDENTIFIER=ipsecfxd|IPSECFX_CONN=sw|IPSECFX_IKE_SA=1|' "$j" &&
	   grep -q '^MESSAGE=ipsecfxd[^|]*|PRIORITY=6|SYSLOG_IDENTIFIER=ipsecfxd|$' "$j" &&
	   ! grep -q 'sw\[1\]' "$IX_T/A.log"; then
		tap_ok "journal: $(grep -c . "$j") entries with PRIORITY and SYSLOG_IDENTIFIER, the SA's with IPSECFX_CONN=sw IPSECFX_IKE_SA=1; none on stderr"
	else
		tap_fail "journal: $(head -3 "$j" | tr '\n' ' ') / stderr: $(head -3 "$IX_T/A.log" | tr '\n' ' ')"
	fi
}

section_names
section_notify
section_journal
section_swanctl_habits
section_start
section_options
section_initiate
section_list
ix_state_check
tap_done
