#!/usr/bin/env bash
# Refusals against strongSwan (issue 20, findings 4 to 6): for each way a
# tunnel fails to come up, the warning ipsecfxd logs says what was offered
# and what is configured, and strongSwan's side is looked up in its log
# (docs/deploy.md quotes both).  Every case runs at once, each on its own
# pair of addresses, so that the suite takes seconds:
#
#   ns A: ipsecfxd 192.0.2.10k ==veth== 192.0.2.20k ns B: charon (k = 1..11)
#
#   ipsecfxd initiates          strongSwan initiates
#   1 psk      wrong PSK           7 rike  IKE proposal mismatch
#   2 ike      IKE proposals       8 resp  ESP proposal mismatch
#   3 esp      ESP proposals       9 rts   selectors
#   4 ts       selectors (start_action: start: the back-off, given up)
#   5 id       identity (IDr)     10 rid   identity (our IDr)
#   6 unreach  nobody at 192.0.2.206 (keyingtries: 2)
#                                 11 rpsk  wrong PSK
#
# The updown script records the ike-failed and child-failed events.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/lib.sh"

ix_begin "refusals"
ix_topology
for k in $(seq 11); do
	ip -n "$IX_NS_A" addr add "192.0.2.$((100 + k))/24" dev eth0
	[ "$k" = 6 ] || ip -n "$IX_NS_B" addr add "192.0.2.$((200 + k))/24" dev eth0
done
WRONG=not-the-same-secret-at-all-1234

# a_conn NAME K PROPOSALS ESP LOCAL_TS REMOTE_TS [CONN_LINES]: one of
# ipsecfxd's connections, 192.0.2.10K to 192.0.2.20K, child lan
a_conn() {
	cat <<EOF
  - name: $1
    local_addrs: [192.0.2.$((100 + $2))]
    remote_addrs: [192.0.2.$((200 + $2))]
    psk: "$PSK"
    proposals: [$3]
    updown: $IX_T/updown.sh
${7:-}
    children:
      - name: lan
        local_ts: [$5]
        remote_ts: [$6]
        esp_proposals: [$4]
EOF
}

# b_conn NAME K PROPOSALS ESP LOCAL_TS REMOTE_TS [REMOTE_ID [SECRET]]:
# strongSwan's, 192.0.2.20K to 192.0.2.10K, child c; its secret (its
# own: strongSwan verifies with every secret that matches the IDs)
b_conn() {
	local me=192.0.2.$((200 + $2)) peer=192.0.2.$((100 + $2))
	cat <<EOF
connections { $1 {
    local_addrs = $me
    remote_addrs = $peer
    version = 2
    proposals = $3
    local { auth = psk
            id = $me }
    remote { auth = psk
             id = ${7:-$peer} }
    children { c { local_ts = $5
                   remote_ts = $6
                   esp_proposals = $4 } }
} }
secrets { ike-$1 { id-1 = $me
                   id-2 = ${7:-$peer}
                   secret = "${8:-$PSK}" } }
EOF
}

GOOD=aes256gcm16-prfsha256-x25519 L=10.1.0.1/32 R=10.2.0.1/32
cat >"$IX_T/updown.sh" <<EOF
#!/bin/sh
echo "\$IPSECFX_EVENT \$IPSECFX_CONN \${IPSECFX_CHILD:-}" >>$IX_T/updown.out
EOF
chmod +x "$IX_T/updown.sh"
ours A <<EOF
retransmit_timeout: 0.5s
retransmit_tries: 1
connections:
$(a_conn psk 1 $GOOD aes256gcm16 $L $R)
$(a_conn ike 2 $GOOD aes256gcm16 $L $R)
$(a_conn esp 3 $GOOD aes128gcm16 $L $R)
$(a_conn ts 4 $GOOD aes256gcm16 $L 10.9.0.0/24 "    start_action: start
    child_retries: 2")
$(a_conn id 5 $GOOD aes256gcm16 $L $R "    remote: {id: moon.example}")
$(a_conn unreach 6 $GOOD aes256gcm16 $L $R "    keyingtries: 2")
$(a_conn rike 7 $GOOD aes256gcm16 $L $R)
$(a_conn resp 8 $GOOD aes256gcm16 $L $R)
$(a_conn rts 9 $GOOD aes256gcm16 $L $R)
$(a_conn rid 10 $GOOD aes256gcm16 $L $R)
$(a_conn rpsk 11 $GOOD aes256gcm16 $L $R)
EOF
swan B <<EOF
$(b_conn psk 1 $GOOD aes256gcm16 $R $L "" $WRONG)
$(b_conn ike 2 aes128-sha256-modp2048 aes256gcm16 $R $L)
$(b_conn esp 3 $GOOD aes256-sha256 $R $L)
$(b_conn ts 4 $GOOD aes256gcm16 $R $L)
$(b_conn id 5 $GOOD aes256gcm16 $R $L)
$(b_conn rike 7 aes128-sha256-modp2048 aes256gcm16 $R $L)
$(b_conn resp 8 $GOOD aes128-sha256 $R $L)
$(b_conn rts 9 $GOOD aes256gcm16 $R 10.8.0.0/24)
$(b_conn rid 10 $GOOD aes256gcm16 $R $L moon.example)
$(b_conn rpsk 11 $GOOD aes256gcm16 $R $L "" $WRONG)
EOF
t0=$SECONDS
# (merged into lib.sh's filelog section: each line names its IKE SA)
EXTRA_CHARON='filelog { log { ike_name = yes } }' start_swan "$IX_NS_B" B
start_ours "$IX_NS_A" A || { tap_fail "ipsecfxd starts"; diag_logs A; tap_done; exit 1; }
for c in psk ike esp id unreach; do
	ix_ctl A initiate "$c" >/dev/null 2>&1
done
swan_pids=()
for c in rike resp rts rid rpsk; do
	ix_swanctl B --initiate --ike "$c" --child c --timeout 4 >/dev/null 2>&1 &
	swan_pids+=($!)
done
# the last to finish: unreach's second attempt (keyingtries: 2), at
# 2 x 1.4 s of retransmissions + the 2 s pause
for _ in $(seq 100); do
	grep -q "unreach.*no answer.*; IKE SA deleted$" "$IX_T/A.log" && break
	sleep 0.1
done
wait "${swan_pids[@]}"

# A's log without the time, each IKE SA's number as N (read from a file:
# with pipefail, grep -q closing a pipe early would fail it)
norm() {
	sed -E 's/^[0-9:.]+ //; s/^([a-z]+: [a-z]+)\[[0-9]+\] /\1[N] /' "$IX_T/A.log" >"$IX_T/A.norm"
	cat "$IX_T/A.norm"
}
ours_has() { norm >/dev/null; grep -qxF -- "$1" "$IX_T/A.norm"; }
# strongSwan's log lines of the IKE SAs with 192.0.2.20K
swan_has() { swan_of "$1" >"$IX_T/swan.of"; grep -qE -- "$2" "$IX_T/swan.of"; }
swan_of() {
	local a="192\.0\.2\.$((200 + $1))" i
	for i in $(grep -E "<([a-z]+\|)?[0-9]+> .*$a([^0-9]|$)" "$IX_T/B/charon.log" |
		   sed -E 's/^.*<([a-z]+\|)?([0-9]+)>.*/\2/' | sort -u); do
		grep -E "<([a-z]+\|)?$i> " "$IX_T/B/charon.log"
	done
}
# refused LABEL K SWAN_PATTERN OUR_LINE...: ipsecfxd logged each line
# word for word, strongSwan (IKE SAs of pair K) a line matching the pattern
refused() {
	local label=$1 k=$2 swan=$3 l missing=""
	shift 3
	for l in "$@"; do
		ours_has "$l" || missing+="ours: $l"$'\n'
	done
	swan_has "$k" "$swan" || missing+="strongSwan: $swan"$'\n'
	if [ -z "$missing" ]; then
		tap_ok "$label"
	else
		tap_fail "$label"
		printf '%s' "$missing" | tap_diag
		norm | grep -E "^warning: [a-z]+\[N\] 192\.0\.2\.$((200 + k))\[" | tap_diag
		swan_of "$k" | grep -E "\[IKE\]" | tail -5 | tap_diag
	fi
}

refused "wrong PSK, ipsecfxd initiates: we say which IDs we sent, strongSwan: MAC mismatched" 1 \
	"tried 1 shared key for '192.0.2.201' - '192.0.2.101', but MAC mismatched" \
	"warning: psk[N] 192.0.2.201[4500]: IKE_AUTH refused: AUTHENTICATION_FAILED from the peer; we sent IDi 192.0.2.101 (IPV4_ADDR), IDr 192.0.2.201 (IPV4_ADDR), a PSK and Child SA lan (check the PSK and both ends' identities); IKE SA deleted"
refused "IKE proposal mismatch, ipsecfxd initiates: we say what we offered" 2 \
	"received proposals unacceptable" \
	"warning: ike[N] 192.0.2.202[500]: IKE_SA_INIT refused: NO_PROPOSAL_CHOSEN from the peer; we offered aes256gcm16-prfsha256-x25519; IKE SA deleted"
refused "ESP proposal mismatch, ipsecfxd initiates: NO_PROPOSAL_CHOSEN for child lan, with what we offered" 3 \
	"no acceptable proposal found" \
	"warning: esp[N] 192.0.2.203[4500]: Child SA lan not created: NO_PROPOSAL_CHOSEN from the peer; we offered TSi [10.1.0.1/32] TSr [10.2.0.1/32] with ESP aes128gcm16-noesn"
refused "selector mismatch, ipsecfxd initiates (start_action: start, child_retries: 2): three tries, 1 s and 2 s apart, then given up once" 4 \
	"traffic selectors 10.9.0.0/24 === 10.1.0.1/32 unacceptable" \
	"warning: ts[N] 192.0.2.204[4500]: Child SA lan not created: TS_UNACCEPTABLE from the peer; we offered TSi [10.1.0.1/32] TSr [10.9.0.0/24] with ESP aes256gcm16-noesn; trying again in 1s" \
	"warning: ts[N] 192.0.2.204[4500]: Child SA lan not created: TS_UNACCEPTABLE from the peer; we offered TSi [10.1.0.1/32] TSr [10.9.0.0/24] with ESP aes256gcm16-noesn; trying again in 2s" \
	"warning: ts[N] 192.0.2.204[4500]: Child SA lan not created: TS_UNACCEPTABLE from the peer; we offered TSi [10.1.0.1/32] TSr [10.9.0.0/24] with ESP aes256gcm16-noesn" \
	"warning: ts[N] 192.0.2.204[4500]: giving up on child lan after 3 tries: TS_UNACCEPTABLE from the peer; \`ipsecfx initiate ts --child lan\` to retry"
# the pauses, from the log's times: the clock ticks once a second, so
# the first (after IKE_AUTH, between ticks) is up to a second, the second
# (after a request made on a tick) 2 s, or 3 s when the answer crossed
# into the next second
gaps=$(grep "ts\[.*Child SA lan not created" "$IX_T/A.log" |
	awk '{ split($1, t, ":"); s = t[1] * 3600 + t[2] * 60 + t[3]; if (NR > 1) printf "%.1f ", s - p; p = s }')
n_ts=$(swan_of 4 | grep -c "traffic selectors .* unacceptable")
if awk -v g="$gaps" 'BEGIN { n = split(g, a, " "); exit !(n == 2 && a[1] > 0 && a[1] <= 2.2 && a[2] >= 1.8 && a[2] <= 3.3) }' &&
   [ "$n_ts" = 3 ] && [ "$(norm | grep -c 'giving up on child lan')" = 1 ]; then
	tap_ok "selector mismatch: $n_ts requests in all, the pauses ${gaps}s, nothing after giving up"
else
	tap_fail "selector mismatch: back-off (pauses: $gaps; strongSwan refused $n_ts)"
fi
refused "identity mismatch, ipsecfxd initiates: we say which IDr we asked for, strongSwan: no matching peer config" 5 \
	"no matching peer config found" \
	"warning: id[N] 192.0.2.205[4500]: IKE_AUTH refused: AUTHENTICATION_FAILED from the peer; we sent IDi 192.0.2.105 (IPV4_ADDR), IDr moon.example (FQDN), a PSK and Child SA lan (check the PSK and both ends' identities); IKE SA deleted"
if ours_has "warning: unreach[N] 192.0.2.206[500]: no answer to IKE_SA_INIT after 2 transmissions; IKE SA deleted, trying again in 2s" &&
   ours_has "warning: unreach[N] 192.0.2.206[500]: giving up after 2 attempts (keyingtries): no answer to IKE_SA_INIT after 2 transmissions; \`ipsecfx initiate unreach\` to retry" &&
   ours_has "warning: unreach[N] 192.0.2.206[500]: no answer to IKE_SA_INIT after 2 transmissions; IKE SA deleted"; then
	tap_ok "unreachable peer: no answer, tried again in 2 s, given up after keyingtries"
else
	tap_fail "unreachable peer"
	norm | grep "unreach" | tap_diag
fi
refused "IKE proposal mismatch, strongSwan initiates: we say what it offered and what we have" 7 \
	"received NO_PROPOSAL_CHOSEN notify error" \
	"warning: IKE_SA_INIT from 192.0.2.207[500]: no acceptable IKE proposal (answered NO_PROPOSAL_CHOSEN): offered aes128-sha256-prfsha256-modp2048; configured rike: aes256gcm16-prfsha256-x25519"
refused "ESP proposal mismatch, strongSwan initiates: no acceptable ESP proposal for child lan, offered and configured" 8 \
	"received NO_PROPOSAL_CHOSEN notify, no CHILD_SA built" \
	"warning: resp[N] 192.0.2.208[4500]: no acceptable ESP proposal for child lan (answered NO_PROPOSAL_CHOSEN): offered aes128-sha256-noesn; configured aes256gcm16-noesn"
refused "selector mismatch, strongSwan initiates: the selectors asked for and each child's" 9 \
	"received TS_UNACCEPTABLE notify, no CHILD_SA built" \
	"warning: rts[N] 192.0.2.209[4500]: no child matches the selectors (answered TS_UNACCEPTABLE): offered TSi [10.2.0.1/32] TSr [10.8.0.0/24]; configured lan: local_ts [10.1.0.1/32] remote_ts [10.2.0.1/32]"
refused "identity mismatch, strongSwan initiates: our own identity (IDr) is blamed, not the peer's" 10 \
	"received AUTHENTICATION_FAILED notify error" \
	"warning: rid[N] 192.0.2.210[4500]: the peer asks for us as (IDr) moon.example (FQDN), local.id of connection rid is 192.0.2.110 (IPV4_ADDR): AUTHENTICATION_FAILED"
refused "wrong PSK, strongSwan initiates: AUTH does not verify" 11 \
	"received AUTHENTICATION_FAILED notify error" \
	"warning: rpsk[N] 192.0.2.211[4500]: peer identity 192.0.2.211: AUTH does not verify (wrong PSK?): AUTHENTICATION_FAILED"

# the events, as the updown script saw them (sorted: they came at once)
want="child-failed esp lan
child-failed resp lan
child-failed rts 
child-failed ts lan
child-failed ts lan
child-failed ts lan
ike-failed id 
ike-failed ike 
ike-failed psk 
ike-failed unreach 
ike-failed unreach "
got=$(grep -E "^(ike|child)-failed" "$IX_T/updown.out" 2>/dev/null | sort)
if [ "$got" = "$want" ]; then
	tap_ok "updown: ike-failed for each IKE SA we initiated that failed, child-failed for each Child SA refused (by either end)"
else
	tap_fail "updown: ike-failed and child-failed"
	diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") | tap_diag
fi

# the operator asks again: at once, and the back-off starts over
ix_ctl A initiate ts --child lan >/dev/null 2>&1
for _ in $(seq 20); do
	[ "$(norm | grep -c 'ts\[N\].*trying again in 1s')" = 2 ] && break
	sleep 0.1
done
[ "$(norm | grep -c 'ts\[N\].*trying again in 1s')" = 2 ] \
	&& tap_ok "ipsecfx initiate asks for the given-up child again, the back-off starts over" \
	|| tap_fail "ipsecfx initiate after giving up"
ix_state_check
echo "# $((SECONDS - t0)) s"
tap_done
