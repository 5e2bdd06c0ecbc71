#!/usr/bin/env bash
# Gateway features (docs/config.md) against Debian's strongSwan and between
# two appliances, in network namespaces (tests/interop/lib.sh draws them):
# cookies.
#
# an IKE_SA_INIT flood from 5000 spoofed addresses: cookies
# switch on, strongSwan still gets in, memory stays bounded;
# strict_cookies
#
# strongSwan's kernel-libipsec only does UDP-encapsulated ESP (encap = yes).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/../interop/lib.sh"

ix_begin "gateway: cookies"

section_cookies() {
	fresh plain
	# the flood's answers go back to B, which drops them
	ip -n "$IX_NS_A" route add 198.18.0.0/15 via 192.0.2.2
	ours_any A "cookie_threshold: 50
max_half_open: 20000"
	swan_site B aes256gcm16
	start_swan "$IX_NS_B" B
	start_ours "$IX_NS_A" A
	local apid=$LASTPID
	rss0=$(awk '/VmRSS/ {print $2}' /proc/"$apid"/status 2>/dev/null)
	# 5000 IKE_SA_INITs (x25519, AES-GCM), each from its own address
	cat >"$IX_T/flood.py" <<'EOF'
import os, socket, struct, sys, time
N = int(sys.argv[1])
def pl(nxt, body):
    return struct.pack("!BBH", nxt, 0, 4 + len(body)) + body
def xf(last, t, i, attr=b""):
    return struct.pack("!BBHBBH", 0 if last else 3, 0, 8 + len(attr), t, 0, i) + attr
prop = xf(0, 1, 20, struct.pack("!HH", 0x800e, 256)) + xf(0, 2, 5) + xf(1, 4, 31)
prop = struct.pack("!BBHBBBB", 0, 0, 8 + len(prop), 1, 1, 0, 3) + prop
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
t0 = time.time()
for n in range(N):
    ke = pl(40, struct.pack("!HH", 31, 0) + os.urandom(32))
    nonce = pl(0, os.urandom(32))
    body = pl(34, prop) + ke + nonce
    ike = os.urandom(8) + bytes(8) + struct.pack("!BBBBII", 33, 0x20, 34, 0x08, 0, 28 + len(body)) + body
    src = "198.%d.%d.%d" % (18 + (n >> 16) % 2, (n >> 8) & 255, n & 255 or 1)
    udp = struct.pack("!HHHH", 500, 500, 8 + len(ike), 0) + ike
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), n & 0xffff, 0, 64, 17, 0,
                     socket.inet_aton(src), socket.inet_aton("192.0.2.1"))
    s.sendto(ip + udp, ("192.0.2.1", 0))
    if n % 500 == 499:
        time.sleep(0.4)
print("%d in %.1f s" % (N, time.time() - t0))
EOF
	ip netns exec "$IX_NS_B" $PY "$IX_T/flood.py" 5000 >"$IX_T/flood.out" 2>&1 &
	local fpid=$!
	sleep 1.5
	# strongSwan initiates while the flood goes on (it lasts about 4 s)
	ix_swanctl B --initiate --child c >"$IX_T/B/initiate.out" 2>&1 &
	local ipid=$!
	wait $ipid
	local during=no
	kill -0 $fpid 2>/dev/null && during=yes
	wait $fpid
	ho=$(J A 's["ike"]["half_open"]')
	cs=$(J A 's["ike"]["cookies_sent"]')
	ca=$(J A 's["ike"]["cookies_accepted"]')
	echo "flood: $(cat "$IX_T/flood.out"); half-open now $ho, cookies sent $cs, accepted $ca" | tap_diag
	[ "${cs:-0}" -ge 4000 ] && [ "${ho:-999}" -le 60 ] \
		&& tap_ok "cookies: over 50 half-open SAs every IKE_SA_INIT gets a stateless cookie ($cs sent, half-open held at $ho)" \
		|| { tap_fail "cookies: switched on under the flood (sent ${cs:-?}, half-open ${ho:-?})"; diag_logs A; }
	if ix_swan_up B 10 && ix_ping "$IX_NS_B" 10.2.0.1 10.1.0.1; then
		tap_ok "cookies: strongSwan established a tunnel during the flood (it returned our cookie: $ca accepted; flood still running when it was up: $during)"
	else
		tap_fail "cookies: strongSwan established a tunnel during the flood"
		diag_logs A B
	fi
	rss1=$(awk '/VmRSS/ {print $2}' /proc/"$apid"/status 2>/dev/null)
	if [ -n "$rss0" ] && [ -n "$rss1" ] && [ $((rss1 - rss0)) -lt 16384 ]; then
		tap_ok "cookies: the daemon's memory stays bounded (RSS $((rss0 / 1024)) MiB before, $((rss1 / 1024)) MiB after 5000 spoofed IKE_SA_INITs)"
	else
		tap_fail "cookies: memory bounded (RSS ${rss0:-?} kB -> ${rss1:-?} kB)"
	fi
	# max_half_open: with cookies off, the table stops growing
	sed -i 's/^cookie_threshold: 50/cookie_threshold: 100000/; s/^max_half_open: 20000/max_half_open: 300/' "$IX_T/A.yaml"
	ix_ctl A reload >/dev/null
	ip netns exec "$IX_NS_B" $PY "$IX_T/flood.py" 1000 >/dev/null 2>&1
	ho=$(J A 's["ike"]["half_open"]')
	dr=$(J A 's["ike"]["half_open_dropped"]')
	[ "${ho:-0}" -le 300 ] && [ "${dr:-0}" -ge 650 ] \
		&& tap_ok "cookies: max_half_open 300: the rest of the flood dropped unanswered ($dr dropped, $ho half-open)" \
		|| tap_fail "cookies: max_half_open (half-open ${ho:-?}, dropped ${dr:-?})"
	# strict_cookies: always, even for the one legitimate peer
	sed -i 's/^max_half_open: 300/max_half_open: 20000/; s/^    psk:/    strict_cookies: true\n    psk:/' "$IX_T/A.yaml"
	ix_ctl A reload >/dev/null
	cs=$(J A 's["ike"]["cookies_sent"]')
	ca=$(J A 's["ike"]["cookies_accepted"]')
	ix_swanctl B --terminate --ike t >/dev/null 2>&1
	if ix_swanctl B --initiate --child c >/dev/null 2>&1 && ix_ping "$IX_NS_B" 10.2.0.1 10.1.0.1 &&
	   [ "$(J A 's["ike"]["cookies_sent"]')" -gt "$cs" ] && [ "$(J A 's["ike"]["cookies_accepted"]')" -gt "$ca" ]; then
		tap_ok "cookies: strict_cookies: strongSwan is asked for a cookie with no load at all, and gets in"
	else
		tap_fail "cookies: strict_cookies"
		diag_logs A B
	fi
}

section_cookies
ix_state_check
tap_done
