#!/usr/bin/env bash
# ipsecfxd against Debian's strongSwan (charon with kernel-libipsec), a real
# IKEv2 peer, in two network namespaces:
#
#   ns A: ipsecfxd           192.0.2.1 ==veth== 192.0.2.2   ns B: charon
#         protects 10.1.0.1                                  protects 10.2.0.1
#
# Both roles, AES-GCM and AES-CBC/HMAC, INVALID_KE_PAYLOAD both ways, wrong
# PSKs and no common proposal both ways (with the daemon serving the next
# attempt), tshark decrypting the captured IKE_AUTH and ESP with the keys
# from `ipsecfx export-keys`, and malformed IKE thrown at the daemon while a
# tunnel carries traffic.  strongSwan's kernel-libipsec only does
# UDP-encapsulated ESP (encap = yes): plain ESP is covered between two
# appliances in t_appliance.sh.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/lib.sh"

ix_begin "strongSwan interop"
ix_topology

# both sides from lib.sh's generators (ours_site, swan_site): conn "sw" here,
# "t" with child "c" in strongSwan
cfg_a() { # cfg_a IKE_PROPOSALS ESP_PROPOSALS [PSK]
	SITE_IKE=$1 PSK=${3:-$PSK} ours_site A "$2" "" "" "key_export: true"
}

cfg_b() { # cfg_b IKE_PROPOSALS ESP_PROPOSALS [PSK]
	SITE_IKE=$1 PSK=${3:-$PSK} swan_site B "$2"
}

start_a() { restart_ours "$IX_NS_A" A; }

start_b() { restart_swan "$IX_NS_B" B; }

reload_b() { ix_swanctl B --load-all --file "$IX_T/B/swanctl.conf" >/dev/null 2>&1; }

traffic() { # traffic NAME: ping both ways and a short iperf3
	local name=$1 mbit
	if ix_ping "$IX_NS_A" 10.1.0.1 10.2.0.1 && ix_ping "$IX_NS_B" 10.2.0.1 10.1.0.1; then
		tap_ok "$name: ping both ways through the tunnel"
	else
		tap_fail "$name: ping both ways through the tunnel"
		tail -15 "$IX_T/A.log" | tap_diag
	fi
	mbit=$(ix_iperf "$IX_NS_B" 10.2.0.1 "$IX_NS_A" 10.1.0.1 3)
	if [ -n "$mbit" ] && [ "$mbit" -gt 0 ]; then
		tap_ok "$name: iperf3 through the tunnel ($mbit Mbit/s; strongSwan's user-space ESP bounds it)"
	else
		tap_fail "$name: iperf3 through the tunnel"
	fi
}

log_has() { grep -q -- "$2" "$1"; }

# ---------------------------------------------------------------------------
# 1. we initiate, AES-256-GCM / X25519; the capture feeds 7 and 8
cfg_a "aes256gcm16-prfsha256-x25519" "aes256gcm16"
cfg_b "aes256gcm16-prfsha256-x25519" "aes256gcm16"
start_b
start_a || { tap_fail "ipsecfxd starts"; tap_done; exit 1; }
ix_capture "$IX_NS_B" "$IX_T/cap.pcap"
SHARK=$IX_CAPTURE
sleep 0.5
if ix_ctl A initiate sw --wait 15 >/dev/null && ix_swan_up B 5; then
	tap_ok "ipsecfxd initiates, strongSwan responds (AES-GCM-256, X25519, PSK)"
else
	tap_fail "ipsecfxd initiates, strongSwan responds"
	tail -20 "$IX_T/A.log" | tap_diag
	tail -20 "$IX_T/B/charon.log" | tap_diag
fi
ix_swanctl B --list-sas | grep -q "TUNNEL-in-UDP" && tap_ok "strongSwan installed a UDP-encapsulated tunnel SA" \
	|| tap_fail "strongSwan installed a UDP-encapsulated tunnel SA"
# the capture holds the exchanges and pings (iperf3's GSO super-packets
# on the veth would only confuse the decoder)
ix_ping "$IX_NS_A" 10.1.0.1 10.2.0.1
sleep 1
kill "$SHARK" 2>/dev/null
wait "$SHARK" 2>/dev/null
traffic "initiator, AES-GCM"

# 7. tshark decrypts the IKE_AUTH exchange and the ESP packets with our keys
mkdir -p "$IX_T/keys" "$IX_T/ws/wireshark"
if ix_ctl A export-keys --wireshark "$IX_T/keys" >/dev/null; then
	cp "$IX_T/keys/esp_sa" "$IX_T/keys/ikev2_decryption_table" "$IX_T/ws/wireshark/"
	ws() { XDG_CONFIG_HOME=$IX_T/ws tshark -o esp.enable_encryption_decode:TRUE -r "$IX_T/cap.pcap" "$@" 2>/dev/null; }
	ids=$(ws -Y "isakmp.exchangetype == 35" -T fields -e isakmp.id.data.ipv4_addr -e isakmp.auth.method | head -2)
	if [ "$ids" = $'192.0.2.1,192.0.2.2\t2\n192.0.2.2\t2' ]; then
		tap_ok "tshark decrypts IKE_AUTH with the exported keys (IDi, IDr, AUTH visible)"
	else
		tap_fail "tshark decrypts IKE_AUTH with the exported keys"
		ws -Y "isakmp" | head -10 | tap_diag
	fi
	n=$(ws -Y "esp && icmp && ip.src == 10.1.0.1" | wc -l)
	[ "$n" -ge 3 ] && tap_ok "tshark decrypts the ESP packets ($n inner ICMP packets from 10.1.0.1)" \
		|| tap_fail "tshark decrypts the ESP packets (got $n)"
	bad=$(ws -Y "_ws.malformed || _ws.expert.severity == error" | wc -l)
	[ "$bad" = 0 ] && tap_ok "tshark flags nothing malformed in the capture" \
		|| { tap_fail "tshark flags $bad packets"; ws -Y "_ws.malformed || _ws.expert.severity == error" | head -5 | tap_diag; }
else
	tap_fail "ipsecfx export-keys --wireshark"
fi

# 8. malformed IKE while the tunnel carries traffic
before=$(ix_ctl A stats | /usr/bin/python3 -c 'import json,sys; i=json.load(sys.stdin)["ike"]; print(i["rx_malformed"]+i["rx_unknown_spi"]+i["rx_bad_message_id"])')
ip netns exec "$IX_NS_B" /usr/bin/python3 - "$IX_T/cap.pcap" <<'EOF'
import random, socket, sys
from scapy.all import rdpcap, UDP, IP
random.seed(7)
msgs = []
for p in rdpcap(sys.argv[1]):
    if UDP in p and p[IP].dst == "192.0.2.1" or (UDP in p and p[UDP].dport in (500, 4500)):
        pl = bytes(p[UDP].payload)
        if p[UDP].dport == 4500:
            if pl[:4] != b"\0\0\0\0":
                continue            # ESP
            pl = pl[4:]
        if len(pl) >= 28:
            msgs.append(pl)
s500 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s500.bind(("192.0.2.2", 40500))
s4500 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s4500.bind(("192.0.2.2", 44500))
sent = 0
for m in msgs:                          # every truncation of every real message
    for l in range(len(m)):
        s500.sendto(m[:l], ("192.0.2.1", 500)); sent += 1
        s4500.sendto(b"\0\0\0\0" + m[:l], ("192.0.2.1", 4500)); sent += 1
    b = bytearray(m); b[24:28] = (len(m) + 100).to_bytes(4, "big")      # bad length
    s500.sendto(bytes(b), ("192.0.2.1", 500)); sent += 1
    b = bytearray(m); b[0:8] = random.randbytes(8); b[8:16] = random.randbytes(8)  # wrong SPIs
    s4500.sendto(b"\0\0\0\0" + bytes(b), ("192.0.2.1", 4500)); sent += 1
    b = bytearray(m); b[18] = 99                                       # unknown exchange
    s500.sendto(bytes(b), ("192.0.2.1", 500)); sent += 1
for _ in range(3000):                   # garbage on both ports, marker or not
    g = random.randbytes(random.randrange(0, 1500))
    s500.sendto(g, ("192.0.2.1", 500))
    s4500.sendto(g, ("192.0.2.1", 4500))
    s4500.sendto(b"\0\0\0\0" + g, ("192.0.2.1", 4500)); sent += 3
print(sent, file=sys.stderr)
EOF
sleep 1
if kill -0 "${IX_LAST[A]}" 2>/dev/null && after=$(ix_ctl A stats | /usr/bin/python3 -c 'import json,sys; i=json.load(sys.stdin)["ike"]; print(i["rx_malformed"]+i["rx_unknown_spi"]+i["rx_bad_message_id"])'); then
	tap_ok "the daemon survives every truncation of the captured IKE messages, bad lengths, wrong SPIs, unknown exchanges, garbage on 500 and 4500"
	[ "$after" -gt "$((before + 1000))" ] && tap_ok "and counts them ($((after - before)) IKE datagrams dropped)" \
		|| tap_fail "and counts them (only $((after - before)))"
else
	tap_fail "the daemon survives malformed IKE"
	tail -20 "$IX_T/A.log" | tap_diag
fi
ix_ping "$IX_NS_A" 10.1.0.1 10.2.0.1 && tap_ok "the established tunnel still passes traffic" \
	|| tap_fail "the established tunnel still passes traffic"

# ---------------------------------------------------------------------------
# 2. strongSwan initiates, AES-CBC + HMAC-SHA-256 for IKE and ESP
cfg_a "aes256-sha256-modp2048" "aes256-sha256"
cfg_b "aes256-sha256-modp2048" "aes256-sha256"
start_a && start_b
if ix_swanctl B --initiate --child c >/dev/null 2>&1 && ix_wait_up A sw 10; then
	tap_ok "strongSwan initiates, ipsecfxd responds (AES-CBC-256 + HMAC-SHA-256, MODP-2048)"
	traffic "responder, AES-CBC/HMAC"
else
	tap_fail "strongSwan initiates, ipsecfxd responds (AES-CBC/HMAC)"
	tail -20 "$IX_T/A.log" | tap_diag
fi

# 3. INVALID_KE_PAYLOAD, we initiate: our first KE (X25519) is not theirs
cfg_a "aes256gcm16-prfsha256-x25519-ecp256" "aes256gcm16"
cfg_b "aes256gcm16-prfsha256-ecp256" "aes256gcm16"
start_a && start_b
if ix_ctl A initiate sw --wait 15 >/dev/null && log_has "$IX_T/A.log" "INVALID_KE_PAYLOAD"; then
	tap_ok "INVALID_KE_PAYLOAD from strongSwan: ipsecfxd retries with ECP-256 and the tunnel comes up"
	traffic "after INVALID_KE (initiator)"
else
	tap_fail "INVALID_KE_PAYLOAD as initiator"
	tail -20 "$IX_T/A.log" | tap_diag
fi

# 4. INVALID_KE_PAYLOAD, they initiate with ECP-384 first, we only take X25519
cfg_a "aes256gcm16-prfsha256-x25519" "aes256gcm16"
cfg_b "aes256gcm16-prfsha256-ecp384-x25519" "aes256gcm16"
start_a && start_b
if ix_swanctl B --initiate --child c >/dev/null 2>&1 && ix_wait_up A sw 10 &&
   log_has "$IX_T/A.log" "we want CURVE25519: INVALID_KE_PAYLOAD"; then
	tap_ok "ipsecfxd answers INVALID_KE_PAYLOAD (wants X25519), strongSwan retries, the tunnel comes up"
	traffic "after INVALID_KE (responder)"
else
	tap_fail "INVALID_KE_PAYLOAD as responder"
	tail -20 "$IX_T/A.log" | tap_diag
fi

# 5. wrong PSK, both roles; then the same daemon serves a good attempt
cfg_a "aes256gcm16-prfsha256-x25519" "aes256gcm16"
cfg_b "aes256gcm16-prfsha256-x25519" "aes256gcm16" "not-the-same-secret-at-all-1234"
start_a && start_b
ix_ctl A initiate sw --wait 8 >/dev/null 2>&1
if log_has "$IX_T/A.log" "192.0.2.2\[4500\]: IKE_AUTH refused: AUTHENTICATION_FAILED from the peer" ||
   log_has "$IX_T/A.log" "192.0.2.2\[4500\]: AUTHENTICATION_FAILED"; then
	tap_ok "wrong PSK, we initiate: AUTHENTICATION_FAILED, logged with the peer"
else
	tap_fail "wrong PSK, we initiate"
	tail -10 "$IX_T/A.log" | tap_diag
fi
ix_swanctl B --initiate --child c >/dev/null 2>&1
sleep 1
if log_has "$IX_T/A.log" "192.0.2.2\[4500\]: peer identity 192.0.2.2: AUTH does not verify (wrong PSK?): AUTHENTICATION_FAILED" &&
   grep -q "received AUTHENTICATION_FAILED" "$IX_T/B/charon.log"; then
	tap_ok "wrong PSK, strongSwan initiates: we answer AUTHENTICATION_FAILED, it receives it; our log names the peer"
else
	tap_fail "wrong PSK, strongSwan initiates"
	tail -10 "$IX_T/A.log" | tap_diag
	grep -i "auth" "$IX_T/B/charon.log" | tail -5 | tap_diag
fi
ix_ctl A list-sas --json | grep -q '"state"' && tap_fail "no IKE SA left after the failures" \
	|| tap_ok "no IKE SA left after the failures"
cfg_b "aes256gcm16-prfsha256-x25519" "aes256gcm16"
reload_b
if ix_swanctl B --initiate --child c >/dev/null 2>&1 && ix_wait_up A sw 10; then
	tap_ok "the same daemon then serves the right PSK"
else
	tap_fail "the same daemon then serves the right PSK"
fi

# 6. no common proposal, both roles
cfg_a "aes256gcm16-prfsha256-x25519" "aes256gcm16"
cfg_b "aes128-sha256-modp2048" "aes128-sha256"
start_a && start_b
ix_ctl A initiate sw --wait 6 >/dev/null 2>&1
log_has "$IX_T/A.log" "IKE_SA_INIT refused: NO_PROPOSAL_CHOSEN" \
	&& tap_ok "no common proposal, we initiate: NO_PROPOSAL_CHOSEN from strongSwan, logged" \
	|| { tap_fail "no common proposal, we initiate"; tail -5 "$IX_T/A.log" | tap_diag; }
ix_swanctl B --initiate --child c >/dev/null 2>&1
sleep 1
if log_has "$IX_T/A.log" "no acceptable IKE proposal.*NO_PROPOSAL_CHOSEN" &&
   grep -q "received NO_PROPOSAL_CHOSEN" "$IX_T/B/charon.log"; then
	tap_ok "no common proposal, strongSwan initiates: we answer NO_PROPOSAL_CHOSEN, it receives it"
else
	tap_fail "no common proposal, strongSwan initiates"
	tail -5 "$IX_T/A.log" | tap_diag
fi
cfg_b "aes256gcm16-prfsha256-x25519" "aes256gcm16"
reload_b
ix_swanctl B --initiate --child c >/dev/null 2>&1 && ix_wait_up A sw 10 \
	&& tap_ok "the same daemon then serves a matching proposal" \
	|| tap_fail "the same daemon then serves a matching proposal"
ix_state_check
tap_done
