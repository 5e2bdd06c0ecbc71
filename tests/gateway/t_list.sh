#!/usr/bin/env bash
# What `ipsecfx list-sas`, `list-conns` and `stats` show an operator
# (issue 20, finding 14), between two appliances in namespaces
# (tests/interop/lib.sh draws them):
#
#   A 192.0.2.1 (10.1.0.1) ==== B 192.0.2.2 (10.2.0.1)   connection p, child lan
#
# A starts with engine: auto and initiates; B (engine soft) answers.
# - list-sas while A's first IKE_SA_INIT goes unanswered: CONNECTING, and
#   what is known only
# - list-sas up: the algorithms as strongSwan names them (PRF_...), both
#   identities, no "/NO" for no ESN, bytes in KiB
# - a Child SA whose Delete is in flight: "deleting", no "rekey in 0s"
# - list-conns as text and JSON, one connection by name, a wrong name
# - stats: each direction's drop counters with its own statuses only
# - A's log at start: no error: line for the card it has not got
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/../interop/lib.sh"

ix_begin "gateway: what list-sas, list-conns and stats show"

# has FILE WHAT PATTERN...: each grep -E PATTERN is in FILE
has() {
	local f=$1 what=$2 p
	shift 2
	for p in "$@"; do
		if ! grep -qE -- "$p" "$f"; then
			tap_fail "$what: no line matching '$p'"
			tap_diag <"$f"
			return 1
		fi
	done
	tap_ok "$what"
}

# hasnt FILE WHAT PATTERN...: none of them is in FILE
hasnt() {
	local f=$1 what=$2 p
	shift 2
	for p in "$@"; do
		if grep -qE -- "$p" "$f"; then
			tap_fail "$what: '$(grep -m1 -E -- "$p" "$f")'"
			tap_diag <"$f"
			return 1
		fi
	done
	tap_ok "$what"
}

# A's requests of one exchange type (37: INFORMATIONAL) dropped on the way
# out, plain and NAT-T; no argument removes the rule
drop_out() {
	ip netns exec "$IX_NS_A" nft delete table inet listdrop 2>/dev/null
	[ -n "${1:-}" ] || return 0
	ip netns exec "$IX_NS_A" nft -f - <<EOF
table inet listdrop {
	chain out {
		type filter hook output priority 0;
		udp dport 500 @th,208,8 $1 drop
		udp dport 4500 @th,64,32 0 @th,240,8 $1 drop
	}
}
EOF
}

fresh plain
# no ESN: nothing to say about it
PEER_ESP=aes128gcm16 ours_peer A "" "" "engine: auto
retransmit_timeout: 0.5s"
PEER_ESP=aes128gcm16 ours_peer B

# ---- connecting: B is not there yet
start_ours "$IX_NS_A" A || { tap_fail "ipsecfxd A started"; tap_done; exit; }
for _ in $(seq 20); do
	ix_ctl A list-sas >"$IX_T/conn.txt" 2>&1
	grep -q CONNECTING "$IX_T/conn.txt" && break
	sleep 0.1
done
has "$IX_T/conn.txt" "list-sas while connecting: the state, our identity, the peer's address" \
	"^p\[1\]: CONNECTING, IKEv2, initiator, SPIs [0-9a-f]{16}_i\* [0-9a-f]{16}_r$" \
	"^  local  '192\.0\.2\.1' @ 192\.0\.2\.1\[500\]$" \
	"^  remote 192\.0\.2\.2\[500\], identity not known yet$"
hasnt "$IX_T/conn.txt" "list-sas while connecting: no empty fields" "peer id ," "'' @" ", ,"

# engine auto without a card: one info line, no error
sed '/ started: /q' "$IX_T/A.log" >"$IX_T/A.start"
has "$IX_T/A.start" "engine auto: one info line says no card was found" \
	"info: engine auto: no card found \(.+\): software engine"
hasnt "$IX_T/A.start" "engine auto: no error: line at start" "error:"

start_ours "$IX_NS_B" B || { tap_fail "ipsecfxd B started"; tap_done; exit; }
if ! ix_wait_up A p 8; then
	tap_fail "p up between A and B"
	diag_logs A B
	tap_done
	exit
fi

# ---- up, with some traffic: 3 x 1328 bytes each way, 3984 bytes: 3.9 KiB
# (4.0 kB)
ip netns exec "$IX_NS_A" ping -n -q -c 3 -i 0.1 -s 1300 -W 2 -I 10.1.0.1 10.2.0.1 >/dev/null
ix_ctl A list-sas >"$IX_T/up.txt" 2>&1
has "$IX_T/up.txt" "list-sas: strongSwan's algorithm names (PRF_HMAC_SHA2_384), both identities" \
	"^p\[1\]: ESTABLISHED, IKEv2, initiator, SPIs [0-9a-f]{16}_i\* [0-9a-f]{16}_r$" \
	"^  local  '192\.0\.2\.1' @ 192\.0\.2\.1\[500\]$" \
	"^  remote '192\.0\.2\.2' @ 192\.0\.2\.2\[500\], authenticated by PSK$" \
	"^  AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_384$" \
	"^  lan\[[0-9]+\]: INSTALLED, TUNNEL, ESP:AES_GCM_16-128$" \
	"^    installed [0-9]+s ago, rekey in [0-9]+s, expires in [0-9]+s$"
has "$IX_T/up.txt" "list-sas: bytes in KiB (1024), with the SPI of each direction" \
	"^    in  [0-9a-f]{8}, 3\.9 KiB, 3 packets$" \
	"^    out [0-9a-f]{8}, 3\.9 KiB, 3 packets$"
hasnt "$IX_T/up.txt" "list-sas: no /NO for no ESN, no KB or MB, no bare HMAC_SHA2_384 as the PRF" \
	"/NO" "ESN" "[0-9] [KM]B" "[/ ]HMAC_SHA2_384"

ix_ctl A list-sas --json >"$IX_T/up.json"
if $PY - "$IX_T/up.json" <<'EOF'
import json, sys
sa = json.load(open(sys.argv[1]))[0]
c = sa["children"][0]
assert sa["local_id"] == "192.0.2.1" and sa["remote_id"] == sa["peer_id"] == "192.0.2.2", sa
assert (sa["encr_alg"], sa["encr_keysize"], sa["prf_alg"], sa["dh_group"]) == \
    ("AES_GCM_16", 256, "PRF_HMAC_SHA2_384", "ECP_384"), sa
assert "integ_alg" not in sa and "esn" not in sa, sa
assert (c["name"], c["encr_alg"], c["encr_keysize"], c["esn"]) == ("lan", "AES_GCM_16", 128, False), c
assert isinstance(c["unique_id"], int), c
EOF
then
	tap_ok "list-sas --json: local_id, remote_id, the algorithms field by field, peer_id and proposal kept"
else
	tap_fail "list-sas --json fields"
	tap_diag <"$IX_T/up.json"
fi

# ---- a Child SA whose Delete is in flight (A's INFORMATIONALs dropped)
drop_out 37
ix_ctl A rekey p --child lan >/dev/null
for _ in $(seq 20); do
	ix_ctl A list-sas >"$IX_T/del.txt" 2>&1
	grep -q "DELETING" "$IX_T/del.txt" && break
	sleep 0.1
done
has "$IX_T/del.txt" "list-sas: the replaced Child SA says deleting, its successor when it rekeys" \
	"^  lan\[[0-9]+\]: INSTALLED, TUNNEL, ESP:AES_GCM_16-128$" \
	"^  lan\[[0-9]+\]: DELETING, TUNNEL, ESP:AES_GCM_16-128$" \
	"^    installed [0-9]+s ago, deleting$"
hasnt "$IX_T/del.txt" "list-sas: no 'rekey in 0s' for an SA on its way out" "rekey in 0s"
drop_out

# ---- list-conns
ix_ctl A list-conns >"$IX_T/conns.txt" 2>&1
has "$IX_T/conns.txt" "list-conns: the connection as swanctl --list-conns shows it, and what is up" \
	"^p: IKEv2, 1 IKE SA up, start_action start, no reauthentication, lifetime [0-9]+s$" \
	"^  local:  192\.0\.2\.1$" "^  remote: 192\.0\.2\.2$" \
	"^  proposals: IKE:AES_GCM_16_256/PRF_HMAC_SHA2_384/ECP_384$" \
	"^  local pre-shared key authentication:$" "^    id: 192\.0\.2\.1$" \
	"^  remote pre-shared key authentication:$" "^    id: 192\.0\.2\.2$" \
	"^  lan: TUNNEL, [12] up" \
	"^    local:  10\.1\.0\.1/32$" "^    remote: 10\.2\.0\.1/32$" \
	"^    esp_proposals: ESP:AES_GCM_16_128$"
ix_ctl B list-conns p --json >"$IX_T/conns.json"
if $PY - "$IX_T/conns.json" <<'EOF'
import json, sys
l = json.load(open(sys.argv[1]))
assert len(l) == 1, l
c = l[0]
assert (c["name"], c["local_addrs"], c["remote_addrs"]) == ("p", ["192.0.2.2"], ["192.0.2.1"]), c
assert c["proposals"] == ["IKE:AES_GCM_16_256/PRF_HMAC_SHA2_384/ECP_384"], c
assert c["local"] == {"auth": "psk", "id": "192.0.2.2"}, c
assert c["remote"] == {"auth": "psk", "id": "192.0.2.1"}, c
assert (c["start_action"], c["ike_sas_up"]) == ("none", 1), c
k = c["children"][0]
assert (k["name"], k["mode"], k["local_ts"], k["remote_ts"], k["esp_proposals"]) == \
    ("lan", "tunnel", ["10.2.0.1/32"], ["10.1.0.1/32"], ["ESP:AES_GCM_16_128"]), k
EOF
then
	tap_ok "list-conns p --json (B): addresses, proposals, both ends' auth and id, start_action, SAs up, the child"
else
	tap_fail "list-conns p --json (B)"
	tap_diag <"$IX_T/conns.json"
fi
ix_ctl A list-conns nope >"$IX_T/nope.out" 2>&1
rc=$?
if [ "$rc" = 1 ] && grep -qx "ipsecfx: no connection named 'nope'" "$IX_T/nope.out"; then
	tap_ok "list-conns nope: exit 1, \"no connection named 'nope'\""
else
	tap_fail "list-conns nope: exit $rc: $(head -1 "$IX_T/nope.out")"
fi

# ---- stats
ix_ctl A stats >"$IX_T/stats.json"
if $PY - "$IX_T/stats.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))["dataplane"]
enc, dec = d["drops"]["encrypt"], d["drops"]["decrypt"]
for k in ("replayed", "bad_padding", "auth_failed", "unknown_spi", "bad_next_header", "dummy"):
    assert k not in enc, ("encrypt", k)
for k in ("seq_exhausted", "no_room", "bad_sa"):
    assert k not in dec, ("decrypt", k)
for k in ("seq_exhausted", "too_big", "sa_expired"):
    assert k in enc, ("encrypt", k)
for k in ("replayed", "auth_failed", "unknown_spi", "malformed"):
    assert k in dec, ("decrypt", k)
# the totals only: each Child SA is in list-sas, by name
assert "child_sas" not in d and d["children"] >= 1, d
EOF
then
	tap_ok "stats: encrypt drops without replayed/bad_padding/auth_failed, decrypt drops without seq_exhausted; no Child SA by bare id"
else
	tap_fail "stats: drops by direction"
	$PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["dataplane"]["drops"])' "$IX_T/stats.json" | tap_diag
fi

ix_state_check
tap_done
