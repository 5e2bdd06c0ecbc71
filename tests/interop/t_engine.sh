#!/usr/bin/env bash
# The appliance on `engine: sim` (the Verilated card behind the placement
# layer, software next to it) against strongSwan, in two namespaces:
#
#   ns A: ipsecfxd, engine sim   192.0.2.1 ==veth== 192.0.2.2   ns B: charon
#         10.1.0.1 (AES-GCM child "lan")                         10.2.0.1
#         10.1.0.2 (ChaCha20-Poly1305 child "cc")                10.2.0.2
#
# AES-GCM runs on the card, ChaCha20-Poly1305 in software, both carry
# traffic; ping and iperf3 through the card; each fault (stall, DMA error,
# reset) injected during continuous ping and iperf3: the SAs move to
# software, traffic resumes, `ipsecfx engine move card` brings them back;
# a capture of the whole run shows no (SPI, sequence number) sent twice.
# strongSwan's kernel-libipsec only does UDP-encapsulated ESP (encap = yes).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/lib.sh"

ix_begin "engine sim against strongSwan"
if ! "$IPSECFX_BUILD/ipsecfx" engines | grep -qx sim; then
	tap_skip "engine sim against strongSwan" "no sim engine in $IPSECFX_BUILD"
	tap_done
	exit 0
fi
if ! command -v tshark >/dev/null; then
	tap_skip "engine sim against strongSwan" "missing tshark"
	tap_done
	exit 0
fi
ix_topology
ip -n "$IX_NS_A" addr add 10.1.0.2/32 dev lo
ip -n "$IX_NS_B" addr add 10.2.0.2/32 dev lo

# lib.sh's site pair with a second child, cc (ChaCha20-Poly1305), beside
# the AES-GCM one: lan here, c in strongSwan
cfg_a() { # cfg_a FAULT_INJECTION
	ours_site A aes256gcm16 "\
      - name: cc
        local_ts: [10.1.0.2/32]
        remote_ts: [10.2.0.2/32]
        esp_proposals: [chacha20poly1305]" "" "\
engine: sim
engine_fault_injection: $1"
}
swan_site B aes256gcm16 "" "" "\
               cc { local_ts = 10.2.0.2/32
                    remote_ts = 10.1.0.2/32
                    esp_proposals = chacha20poly1305 }"

start_a() { restart_ours "$IX_NS_A" A; }

# placement CIPHER: the placements of the SAs with that cipher, e.g. "card card"
placement() {
	ix_ctl A engine --json | $PY -c '
import json, sys
e = json.load(sys.stdin)
print(" ".join(s["placement"] for s in e["sas"] if s["cipher"] == sys.argv[1]))' "$1"
}

engine_field() { # engine_field PYEXPR (e = the engine JSON)
	ix_ctl A engine --json | $PY -c 'import json, sys; e = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}

# ms from the injection to the fallback, from the daemon's own log times
fallback_ms() {
	$PY - "$IX_T/A.log" "$1" <<'EOF'
import re, sys
def ms(l):
    h, m, s = l.split()[0].split(":")
    return (int(h) * 3600 + int(m) * 60 + float(s)) * 1000
inj = fb = None
for l in open(sys.argv[1]):
    if "fault '%s' injected" % sys.argv[2] in l:
        inj, fb = ms(l), None
    elif inj is not None and fb is None and "SAs moved to software" in l:
        fb = ms(l)
print(int(fb - inj) if inj is not None and fb is not None else "")
EOF
}

# largest gap in ms between consecutive ping replies in a `ping -D` log
ping_gap() {
	$PY - "$1" <<'EOF'
import re, sys
ts = [float(m.group(1)) for m in (re.match(r"\[(\d+\.\d+)\] \d+ bytes from", l) for l in open(sys.argv[1])) if m]
print(int(max((b - a for a, b in zip(ts, ts[1:])), default=0) * 1000), len(ts))
EOF
}

cfg_a true
ix_charon "$IX_NS_B" B
start_a || { tap_fail "ipsecfxd starts on engine sim"; tail -20 "$IX_T/A.log" | tap_diag; tap_done; exit 1; }
ip netns exec "$IX_NS_A" tshark -i eth0 -f "udp port 4500" -w "$IX_T/cap.pcap" -q 2>/dev/null &
SHARK=$!
IX_PIDS+=($SHARK)
sleep 1.5
if ix_ctl A initiate sw --wait 20 >/dev/null && ix_swan_up B 5 && ix_wait_up A sw 5; then
	tap_ok "ipsecfxd (engine sim) initiates, strongSwan responds"
else
	tap_fail "ipsecfxd (engine sim) initiates, strongSwan responds"
	tail -20 "$IX_T/A.log" | tap_diag
fi
# the second child comes with the IKE_AUTH's first or right after
ix_ctl A initiate sw --child cc >/dev/null 2>&1
for _ in $(seq 50); do
	[ "$(placement chacha20poly1305 | wc -w)" -ge 2 ] && break
	sleep 0.2
done
gcm=$(placement aes256gcm16)
cc=$(placement chacha20poly1305)
if [ "$gcm" = "card card" ] && [ "$cc" = "soft soft" ]; then
	tap_ok "placement: AES-GCM SAs on the card ($gcm), ChaCha20-Poly1305 in software ($cc)"
else
	tap_fail "placement: AES-GCM on the card ($gcm), ChaCha20-Poly1305 in software ($cc)"
	ix_ctl A engine | tap_diag
fi
if ix_ping "$IX_NS_A" 10.1.0.1 10.2.0.1 && ix_ping "$IX_NS_B" 10.2.0.1 10.1.0.1; then
	tap_ok "ping both ways through the card (AES-GCM child)"
else
	tap_fail "ping both ways through the card"
	tail -15 "$IX_T/A.log" | tap_diag
fi
if ix_ping "$IX_NS_A" 10.1.0.2 10.2.0.2 && ix_ping "$IX_NS_B" 10.2.0.2 10.1.0.2; then
	tap_ok "ping both ways through software (ChaCha20-Poly1305 child) next to it"
else
	tap_fail "ping both ways through software (ChaCha20-Poly1305 child)"
fi
# the kernel's HEARTBEAT register counts 1024 clocks: simulated cycles per
# second of wall clock over the iperf3 run through the card
hb0=$(engine_field 'e["card"]["heartbeat"]'); t0=$(date +%s.%N)
mbit=$(ix_iperf "$IX_NS_B" 10.2.0.1 "$IX_NS_A" 10.1.0.1 3)
hb1=$(engine_field 'e["card"]["heartbeat"]'); t1=$(date +%s.%N)
cps=$($PY -c 'import sys; h0, h1, t0, t1 = map(float, sys.argv[1:]); print("%.2f" % ((h1 - h0) * 1024 / (t1 - t0) / 1e6))' "${hb0:-0}" "${hb1:-0}" "$t0" "$t1" 2>/dev/null)
mbit_cc=$(ix_iperf "$IX_NS_B" 10.2.0.2 "$IX_NS_A" 10.1.0.2 3)
if [ -n "$mbit" ] && [ "$mbit" -gt 0 ] && [ -n "$mbit_cc" ] && [ "$mbit_cc" -gt 0 ]; then
	tap_ok "iperf3 3 s: $mbit Mbit/s through the sim card (${cps:-?} M simulated cycles/s), $mbit_cc Mbit/s through software (same run; strongSwan's user-space ESP bounds both)"
else
	tap_fail "iperf3 through the card (${mbit:-none}) and software (${mbit_cc:-none})"
fi
pkts=$(engine_field 'sum(1 for s in e["sas"] if s["placement"] == "card")')
[ "$pkts" = 2 ] || tap_diag <<<"card SAs after iperf3: $pkts"

# each fault during continuous ping and iperf3
for kind in stall dma reset; do
	f0=$(engine_field 'e["fallbacks"]')
	ip netns exec "$IX_NS_A" ping -n -D -i 0.05 -w 7 -W 1 -I 10.1.0.1 10.2.0.1 >"$IX_T/ping-$kind.log" 2>&1 &
	pp=$!
	ip netns exec "$IX_NS_B" iperf3 -s -1 -B 10.2.0.1 >/dev/null 2>&1 &
	sp=$!
	sleep 0.5
	ip netns exec "$IX_NS_A" iperf3 -c 10.2.0.1 -B 10.1.0.1 -t 5 -J >"$IX_T/iperf-$kind.json" 2>/dev/null &
	ip_=$!
	sleep 2
	t0=$(date +%s%N)
	out=$(ix_ctl A engine fault "$kind" 2>&1)
	moved=""
	for _ in $(seq 100); do
		if [ "$(engine_field 'e["card"]["serving"]')" = False ]; then
			moved=$(( ($(date +%s%N) - t0) / 1000000 ))
			break
		fi
		sleep 0.02
	done
	wait $ip_ 2>/dev/null
	wait $sp 2>/dev/null
	wait $pp 2>/dev/null
	imbit=$($PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.1f" % (d["end"]["sum_received"]["bits_per_second"]/1e6))' "$IX_T/iperf-$kind.json" 2>/dev/null)
	read -r gap replies < <(ping_gap "$IX_T/ping-$kind.log")
	fbms=$(fallback_ms "$kind")
	# the sim bus's deadline: 50 ms of wall clock and also 50 000 simulated
	# clocks without progress (driver/fpga, docs/hw-interface.md) at the
	# rate measured above, with half again for a loaded host
	budget=$($PY -c 'import sys; c = float(sys.argv[1] or 0); print(int(50 + 100 + (1.5 * 50000 / (c * 1e6) * 1000 if c > 0 else 1000)))' "${cps:-}" 2>/dev/null)
	named=$(grep -c "card sim fault.*SAs moved to software in .* us: .* out seq .*->" "$IX_T/A.log")
	f1=$(engine_field 'e["fallbacks"]')
	gcm=$(placement aes256gcm16)
	if [ -n "$moved" ] && [ "$f1" = $((f0 + 1)) ] && [ "$gcm" = "soft soft" ] &&
		[ "${replies:-0}" -ge 60 ] && [ -n "$imbit" ] && [ -n "$fbms" ] &&
		[ "$fbms" -le "${budget:-1150}" ] && [ "${named:-0}" -ge "$f1" ]; then
		tap_ok "fault $kind during ping + iperf3: SAs in software ${fbms} ms after the injection (daemon log; deadline 50 ms and 50 000 simulated clocks: at most ${budget} ms here), largest ping gap ${gap} ms, $replies/140 replies, iperf3 $imbit Mbit/s across it; the log line names the SAs and their new sequence numbers"
	else
		tap_fail "fault $kind: fallback '${fbms}' ms (budget ${budget} ms) (seen by ctl after '${moved}' ms), fallbacks $f0->$f1, AES-GCM on '$gcm', $replies replies, gap $gap ms, iperf3 '${imbit}', named $named ($out)"
		grep -E "fault|moved|engine" "$IX_T/A.log" | tail -8 | tap_diag
	fi
	if ix_ping "$IX_NS_A" 10.1.0.1 10.2.0.1; then
		tap_ok "fault $kind: traffic flows in software"
	else
		tap_fail "fault $kind: traffic flows in software"
	fi
	out=$(ix_ctl A engine move card 2>&1)
	gcm=$(placement aes256gcm16)
	cc=$(placement chacha20poly1305)
	if [ "$gcm" = "card card" ] && [ "$cc" = "soft soft" ] && ix_ping "$IX_NS_A" 10.1.0.1 10.2.0.1 &&
		ix_ping "$IX_NS_B" 10.2.0.1 10.1.0.1; then
		tap_ok "fault $kind: engine move card: AES-GCM back on the card, ChaCha20 stays in software, ping both ways"
	else
		tap_fail "fault $kind: engine move card ($out; AES-GCM $gcm, ChaCha20 $cc)"
		tail -8 "$IX_T/A.log" | tap_diag
	fi
done
grep -E "card sim fault" "$IX_T/A.log" | sed 's/^/  /' | head -3 | tap_diag

# the wire: no (SPI, sequence number) sent twice by the appliance
sleep 0.5
kill -INT $SHARK 2>/dev/null
wait $SHARK 2>/dev/null
res=$(tshark -r "$IX_T/cap.pcap" -Y "esp && ip.src == 192.0.2.1" -T fields -e esp.spi -e esp.sequence 2>/dev/null |
	$PY -c '
import sys
seen, dup, per, jumps = set(), 0, {}, 0
for line in sys.stdin:
    f = line.split()
    if len(f) != 2:
        continue
    spi, seq = f[0], int(f[1])
    if (spi, seq) in seen:
        dup += 1
    seen.add((spi, seq))
    last = per.get(spi)
    if last is not None and seq > last + 512:
        jumps += 1
    per[spi] = max(seq, last or 0)
print(len(seen), dup, len(per), jumps)')
read -r npk ndup nspi njump <<<"$res"
if [ -n "$npk" ] && [ "$npk" -gt 1000 ] && [ "$ndup" = 0 ] && [ "$njump" -ge 3 ]; then
	tap_ok "capture: $npk ESP packets from the appliance on $nspi SPIs, no (SPI, sequence) twice, $njump forward jumps (the fallback margin)"
else
	tap_fail "capture: packets ${npk:-0}, repeats ${ndup:-?}, SPIs ${nspi:-?}, jumps ${njump:-?}"
fi
if ix_swanctl B --list-sas 2>/dev/null | grep -q "INSTALLED"; then
	tap_ok "strongSwan kept its Child SAs through three fallbacks (its replay window accepted every jump)"
else
	tap_fail "strongSwan's Child SAs after the faults"
fi

# no fault injection without the opt-in
cfg_a false
start_a
out=$(ix_ctl A engine fault stall 2>&1)
if grep -q "fault injection is off" <<<"$out" && [ "$(engine_field 'e["card"]["faults"]')" = 0 ]; then
	tap_ok "engine fault refused unless started with engine_fault_injection: true"
else
	tap_fail "engine fault refused without the opt-in ($out)"
fi
ix_state_check
tap_done
