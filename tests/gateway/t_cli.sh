#!/usr/bin/env bash
# The ipsecfx command's answers, as an operator sees them (issue 20,
# findings 11 and 12): a name the configuration does not have, a connection
# with nothing to terminate, a --wait that is not a number, list-sas NAME,
# options before the command, ipsecfxd's long options.  One
# ipsecfxd in its namespace (tests/interop/lib.sh draws them), and
# strongSwan as the peer for the listing.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/../interop/lib.sh"

ix_begin "gateway: the ipsecfx command's answers"

# cli_expect WHAT RC TEXT NAME ARGS...: ipsecfx ARGS against NAME's daemon
# exits RC and says TEXT (a fixed string) on stderr
cli_expect() {
	local what=$1 want_rc=$2 text=$3 rc
	shift 3
	ix_ctl "$@" >"$IX_T/cli.out" 2>"$IX_T/cli.err"
	rc=$?
	if [ "$rc" = "$want_rc" ] && grep -qF -- "$text" "$IX_T/cli.err"; then
		tap_ok "$what: exit $rc, \"$(head -1 "$IX_T/cli.err")\""
	else
		tap_fail "$what: exit $rc (want $want_rc), stderr \"$(head -1 "$IX_T/cli.err")\" (want \"$text\")"
		cat "$IX_T/cli.out" | tap_diag
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

section_names
section_options
section_list
ix_state_check
tap_done
