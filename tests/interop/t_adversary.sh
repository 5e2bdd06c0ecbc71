#!/usr/bin/env bash
# IKE under an adversary (issue 19) against Debian's strongSwan, in network
# namespaces (A: ipsecfxd at 192.0.2.1, B: strongSwan at 192.0.2.2):
#
#   fragrekey  strongSwan fragments at 576 bytes, 16 selectors a side: Child
#              SA rekeys every few seconds for a minute, every
#              CREATE_CHILD_SA in fragments both ways, the tunnel never lost
#   flood      400 IKE_SA_INITs from one other address (192.0.2.3) that
#              returns every cookie, with max_half_open 100: strongSwan
#              still sets up its tunnel meanwhile
#   escape     strongSwan, admitted by its address under one connection,
#              presents the identity of another connection that does not
#              allow its address: refused (issue 15)
#   reload     a reload renames the connection, then removes it, while
#              strongSwan's IKE_SA_INIT is half-open (its IKE_AUTH held back
#              by nftables): the renamed one comes up, the removed one is
#              refused, the daemon stays up
#
# IX_SECTIONS="flood reload" runs a subset.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/lib.sh"

ix_begin "IKE under an adversary"
SECTIONS=${IX_SECTIONS:-fragrekey flood escape reload}

# ---- fragmented rekeys -----------------------------------------------------

section_fragrekey() {
	fresh plain
	local ours_l="10.1.0.1/32" ours_r="10.2.0.1/32" i
	for i in 1 2 3 4 5 6 7; do
		ours_l+=", 10.1.$i.0/24"
		ours_r+=", 10.2.$i.0/24"
		# strongSwan routes each of its selectors from an address in it
		ip -n "$IX_NS_B" addr add "10.2.$i.1/32" dev lo
	done
	for i in 1 2 3 4 5 6 7 8; do
		ours_l+=", fd00:1:$i::/64"
		ours_r+=", fd00:2:$i::/64"
		ip -n "$IX_NS_B" addr add "fd00:2:$i::1/128" dev lo
	done
	SITE_A_TS=$ours_l SITE_B_TS=$ours_r ours_site A aes256gcm16 "\
        rekey_time: 6s
        rand_time: 2s
        life_time: 30s" "    fragment_size: 576"
	SITE_A_TS=$ours_l SITE_B_TS=$ours_r swan_site B aes256gcm16 "\
                   rekey_time = 6s
                   rand_time = 2s
                   life_time = 30s" "    fragmentation = yes
    rekey_time = 0"
	EXTRA_CHARON="fragment_size = 576" site_up "fragrekey (IKE_AUTH in fragments)" || return
	local re0 ft0
	re0=$(J A 's["ike"]["reassembled"]')
	ft0=$(J A 's["ike"]["fragments_tx"]')
	pings "$IX_NS_A" 10.1.0.1 10.2.0.1 600 0.1 >"$IX_T/ping.out"
	read -r sent rcvd <"$IX_T/ping.out"
	local cr re ft dead
	cr=$(J A 's["ike"]["child_rekeys"]')
	re=$(J A 's["ike"]["reassembled"]')
	ft=$(J A 's["ike"]["fragments_tx"]')
	dead=$(J A 's["ike"]["dead_peers"]')
	local sr
	sr=$(grep -c "reassembled fragmented IKE message" "$IX_T/B/charon.log")
	echo "fragrekey: $cr Child SA rekeys in 60 s; we reassembled $((re - re0)) messages and sent $((ft - ft0)) fragments; strongSwan reassembled $sr; pings $rcvd/$sent" | tap_diag
	[ "${cr:-0}" -ge 8 ] && [ $((re - re0)) -ge "${cr:-99}" ] && [ $((ft - ft0)) -ge $((2 * ${cr:-99})) ] \
		&& tap_ok "fragrekey: $cr Child SA rekeys in a minute, every CREATE_CHILD_SA fragmented both ways ($((re - re0)) reassembled here, $sr by strongSwan)" \
		|| { tap_fail "fragrekey: rekeys with fragments (rekeys ${cr:-?}, reassembled $((re - re0)), fragments sent $((ft - ft0)))"; diag_logs A B; }
	local lost=$(( ${sent:-0} - ${rcvd:-0} ))
	[ "${sent:-0}" -ge 550 ] && [ "$lost" -le 3 ] && [ "${dead:-1}" = 0 ] \
		&& tap_ok "fragrekey: the tunnel carried pings every 100 ms through it all ($rcvd of $sent back), no peer declared dead" \
		|| { tap_fail "fragrekey: tunnel kept ($rcvd of ${sent:-?} pings, dead peers ${dead:-?})"; diag_logs A B; }
	local n=""
	for _ in $(seq 40); do
		if [ "$(J A 'len(l)')" = 1 ] && [ "$(J A 'len([c for s in l for c in s["children"] if c["state"] == "installed"])')" = 1 ] &&
		   [ "$(swan_children B)" = 1 ]; then
			n=1
			break
		fi
		sleep 0.25
	done
	[ -n "$n" ] && tap_ok "fragrekey: one IKE SA and one Child SA left on both ends" \
		|| { tap_fail "fragrekey: one SA pair left"; ix_ctl A list-sas | tap_diag; diag_logs A B; }
}

# ---- a cookie-returning flood from one address ---------------------------------

section_flood() {
	fresh plain
	ip -n "$IX_NS_B" addr add 192.0.2.3/24 dev eth0
	ours_any A "max_half_open: 100"
	swan_site B aes256gcm16
	start_swan "$IX_NS_B" B
	start_ours "$IX_NS_A" A
	# an initiator that is there (it receives, and returns every cookie)
	# but never goes past IKE_SA_INIT
	cat >"$IX_T/cflood.py" <<'EOF'
import os, socket, struct, sys
N = int(sys.argv[1])
def xf(last, t, i, attr=b""):
    return struct.pack("!BBHBBH", 0 if last else 3, 0, 8 + len(attr), t, 0, i) + attr
# AES-GCM-256, PRF-SHA256, x25519
prop = xf(0, 1, 20, struct.pack("!HH", 0x800e, 256)) + xf(0, 2, 5) + xf(1, 4, 31)
prop = struct.pack("!BBHBBBB", 0, 0, 8 + len(prop), 1, 1, 0, 3) + prop
def init(spi, body, cookie=None):
    first = 33                                   # SA
    if cookie is not None:                       # N(COOKIE) first (2.6)
        body = struct.pack("!BBHBBH", 33, 0, 8 + len(cookie), 0, 0, 16390) + cookie + body
        first = 41
    return spi + bytes(8) + struct.pack("!BBBBII", first, 0x20, 34, 0x08, 0, 28 + len(body)) + body
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
s.bind(("192.0.2.3", 0))
bodies = {}
counts = {"cookie": 0, "answered": 0}
def answers(wait):
    # take what has come back; a cookie goes straight back with the request
    s.settimeout(wait)
    while True:
        try:
            r = s.recv(4096)
        except (socket.timeout, BlockingIOError):
            return
        spi = r[0:8]
        if spi not in bodies:
            continue
        if len(r) > 36 and r[16] == 41 and struct.unpack("!H", r[34:36])[0] == 16390:
            counts["cookie"] += 1
            clen = struct.unpack("!H", r[30:32])[0] - 8
            s.sendto(init(spi, bodies[spi], r[36:36 + clen]), ("192.0.2.1", 500))
        elif r[16] == 33:
            counts["answered"] += 1
for n in range(N):
    spi = os.urandom(8)
    # SA (next: KE) | KE (next: Nonce) | Nonce
    bodies[spi] = struct.pack("!BBH", 34, 0, 4 + len(prop)) + prop + \
        struct.pack("!BBHHH", 40, 0, 8 + 32, 31, 0) + os.urandom(32) + \
        struct.pack("!BBH", 0, 0, 4 + 32) + os.urandom(32)
    s.sendto(init(spi, bodies[spi]), ("192.0.2.1", 500))
    answers(0.002)
answers(1.0)
counts["dropped"] = N - counts["answered"]
print("%d IKE_SA_INITs: %d cookies returned, %d answered with an SA, %d dropped" %
      (N, counts["cookie"], counts["answered"], counts["dropped"]))
EOF
	ip netns exec "$IX_NS_B" $PY "$IX_T/cflood.py" 400 >"$IX_T/cflood.out" 2>&1
	local ho hd
	ho=$(J A 's["ike"]["half_open"]')
	hd=$(J A 's["ike"]["half_open_source_dropped"]')
	echo "flood from 192.0.2.3: $(cat "$IX_T/cflood.out"); half-open now $ho, dropped for the source $hd" | tap_diag
	[ "${ho:-99}" -le 5 ] && [ "${hd:-0}" -ge 300 ] \
		&& tap_ok "flood: 400 cookie-returning IKE_SA_INITs from one address hold at most 5 half-open SAs (max_half_open_per_source; $hd dropped)" \
		|| { tap_fail "flood: one address's share (half-open ${ho:-?}, dropped ${hd:-?})"; diag_logs A; }
	# strongSwan, from another address, while those are still half-open
	if ix_swanctl B --initiate --child c >"$IX_T/B/initiate.out" 2>&1 && ix_swan_up B 5 &&
	   ix_ping "$IX_NS_B" 10.2.0.1 10.1.0.1; then
		tap_ok "flood: strongSwan sets up its tunnel from another address meanwhile (half-open $(J A 's["ike"]["half_open"]'))"
	else
		tap_fail "flood: strongSwan set up during the flood"
		diag_logs A B
	fi
}

# ---- another connection's identity ---------------------------------------------

section_escape() {
	fresh plain
	# sw admits strongSwan's address; branch holds the identity
	# branch.example, for a peer at 198.51.100.7 only
	ours_site A aes256gcm16
	cat >>"$IX_T/A.yaml" <<EOF
  - name: branch
    remote_addrs: [198.51.100.7]
    local: {id: 192.0.2.1}
    remote: {id: branch.example}
    psk: "$PSK"
    proposals: [aes256gcm16-prfsha256-x25519]
    children:
      - name: all
        local_ts: [0.0.0.0/0]
        remote_ts: [0.0.0.0/0]
        esp_proposals: [aes256gcm16]
EOF
	SITE_B_ID=branch.example swan_site B aes256gcm16
	start_swan "$IX_NS_B" B
	start_ours "$IX_NS_A" A
	ix_swanctl B --initiate --child c --timeout 10 >"$IX_T/B/initiate.out" 2>&1
	if grep -q "belongs to connection branch, not sw, and branch may not take this IKE SA: its local_addrs/remote_addrs do not admit this IKE SA: AUTHENTICATION_FAILED" "$IX_T/A.log" &&
	   grep -q "AUTHENTICATION_FAILED" "$IX_T/B/charon.log" && [ "$(J A 'len(l)')" = 0 ]; then
		tap_ok "escape: strongSwan at 192.0.2.2 presenting branch's identity is refused: branch does not admit its address (the log names sw and branch)"
	else
		tap_fail "escape: another connection's identity"
		diag_logs A B
	fi
	# the same peer with its own identity gets in
	swan_site B aes256gcm16
	ix_swanctl B --load-all --file "$IX_T/B/swanctl.conf" >/dev/null 2>&1
	if ix_swanctl B --initiate --child c >/dev/null 2>&1 && ix_ping "$IX_NS_B" 10.2.0.1 10.1.0.1 &&
	   [ "$(J A 'l[0]["conn"]')" = sw ]; then
		tap_ok "escape: with its own identity it is up under sw"
	else
		tap_fail "escape: its own identity"
		diag_logs A B
	fi
}

# ---- a reload while IKE_SA_INIT is half-open --------------------------------------

# hold back strongSwan's IKE_AUTH (exchange type 35) on its way into A, on
# port 500 and on the NAT-T port behind the non-ESP marker
hold_auth() {
	ip netns exec "$IX_NS_A" nft delete table inet holdauth 2>/dev/null
	[ "$1" = on ] || return 0
	ip netns exec "$IX_NS_A" nft -f - <<'EOF'
table inet holdauth {
	chain in {
		type filter hook input priority 0;
		udp dport 500 @th,208,8 35 drop
		udp dport 4500 @th,64,32 0 @th,240,8 35 drop
	}
}
EOF
}

# wait_half_open N: the daemon holds N half-open IKE SAs
wait_half_open() {
	for _ in $(seq 50); do
		[ "$(J A 's["ike"]["half_open"]')" = "$1" ] && return 0
		sleep 0.2
	done
	return 1
}

section_reload() {
	fresh plain
	ours_site A aes256gcm16
	swan_site B aes256gcm16
	start_swan "$IX_NS_B" B
	start_ours "$IX_NS_A" A
	local apid=$LASTPID
	hold_auth on
	ix_swanctl B --initiate --child c --timeout 30 >"$IX_T/B/initiate.out" 2>&1 &
	local ini=$!
	if ! wait_half_open 1; then
		tap_fail "reload: strongSwan's IKE_SA_INIT half-open"
		diag_logs A B
		hold_auth off
		wait $ini
		return
	fi
	sed -i 's/^  - name: sw$/  - name: sw-renamed/' "$IX_T/A.yaml"
	ix_ctl A reload >/dev/null
	hold_auth off
	if ix_wait_up A sw-renamed 20 && kill -0 "$apid" 2>/dev/null && ix_ping "$IX_NS_B" 10.2.0.1 10.1.0.1; then
		tap_ok "reload: the connection renamed while strongSwan was half-open: its IKE_AUTH finds sw-renamed, the tunnel comes up"
	else
		tap_fail "reload: renamed during half-open (daemon $(kill -0 "$apid" 2>/dev/null && echo alive || echo GONE))"
		diag_logs A B
	fi
	wait $ini
	# removed: no connection admits strongSwan any more
	ix_swanctl B --terminate --ike t >/dev/null 2>&1
	sleep 0.5
	hold_auth on
	ix_swanctl B --initiate --child c --timeout 20 >"$IX_T/B/initiate2.out" 2>&1 &
	ini=$!
	if wait_half_open 1; then
		sed -i 's/^    remote_addrs: \[192.0.2.2\]$/    remote_addrs: [192.0.2.99]/' "$IX_T/A.yaml"
		ix_ctl A reload >/dev/null
		hold_auth off
		wait $ini
		if kill -0 "$apid" 2>/dev/null && grep -q "192.0.2.2.*AUTHENTICATION_FAILED" "$IX_T/A.log" &&
		   [ "$(J A 'len(l)')" = 0 ] && grep -q "AUTHENTICATION_FAILED" "$IX_T/B/charon.log"; then
			tap_ok "reload: the connection removed while strongSwan was half-open: its IKE_AUTH is refused (AUTHENTICATION_FAILED), the daemon stays up"
		else
			tap_fail "reload: removed during half-open (daemon $(kill -0 "$apid" 2>/dev/null && echo alive || echo GONE))"
			diag_logs A B
		fi
	else
		tap_fail "reload: second half-open"
		hold_auth off
		wait $ini
	fi
}

for s in $SECTIONS; do
	"section_$s"
done
ix_state_check
tap_done
