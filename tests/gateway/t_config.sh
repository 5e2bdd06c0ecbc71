#!/usr/bin/env bash
# ipsecfxd -t on the files an operator writes (issue 20, findings 8, 9, 10
# and 13): each case below is a configuration and the exact stderr and exit
# code of `ipsecfxd -t -c FILE` (and its "OK" line when it loads):
#
#   swanctl      a swanctl.conf written as YAML: connections and children
#                keyed by name, single values for lists, swanctl's names
#                (dpd_delay, rekey_time, reauth_time, version, mobike,
#                child start_action/dpd_action/updown), no local_addrs, a
#                host name in remote_addrs: loads, saying how each was read
#   unsupported  swanctl keys without an equivalent, a subnet and a name
#                that does not resolve in remote_addrs, EAP, two children
#                with different start_actions, typed and wildcard
#                identities: every one refused at once
#   mistakes     typos (with the key meant), values outside an enum (with
#                the valid ones), wrong types in words, a missing name, a
#                repeated key and a repeated connection, a weak PSK: all
#                errors and the warning of the file, by line
#   xrt          engine: xrt in a build without XRT, refused as at start
#   sanity       selectors equal on both sides, overlapping children, two
#                connections for one peer and traffic: warnings, exit 0
#                (and modp3072/4096, ecp521, sha1 accepted in IKE)
#   anypeer      0.0.0.0, 0.0.0.0/0 and :: in remote_addrs: "%any"
#   metrics      metrics.listen: IPv6 in brackets loads; a host name, an
#                IPv6 address without brackets, no port, a port out of
#                range, a misspelt key: each an error by line
#
# No root, no namespaces: files in a temporary directory, named here as
# given (the daemon names them by their absolute path), without the time of
# day at the start of the daemon's lines.  A name lookup
# ('localhost', '*.invalid') is bounded to a second (RES_OPTIONS); what
# 'localhost' resolves to and why a name does not are this host's.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"

T=$(mktemp -d /tmp/ipsecfx-tcfg.XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
dir=$(pwd -P)
export RES_OPTIONS="timeout:1 attempts:1"

# check NAME RC OKLINE 3<<YAML 4<<STDERR: ipsecfxd -t -c NAME.yaml exits
# RC, prints exactly STDERR on stderr and OKLINE ("" for none) on stdout
check() {
	local name=$1 want_rc=$2 want_out=$3 rc
	cat <&3 >"$name.yaml"
	cat <&4 >"$name.want"
	"$IPSECFX_BUILD/ipsecfxd" -t -c "$name.yaml" >"$name.out" 2>"$name.raw"
	rc=$?
	# the daemon names the file by its absolute path: shown here as
	# given; its lines on stderr start with the time of day
	sed -E "s|$dir/||g; s/^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} //; s/'localhost' is [^(]*\(/'localhost' is ADDRS (/; s/does not resolve \([^)]*\)/does not resolve (REASON)/" \
		"$name.raw" >"$name.err"
	sed -i "s|$dir/||g" "$name.out"
	if [ "$rc" = "$want_rc" ] && diff -u "$name.want" "$name.err" >"$name.diff" &&
	   [ "$(cat "$name.out")" = "$want_out" ]; then
		tap_ok "$name: exit $rc, $(grep -c . "$name.err") lines on stderr as expected${want_out:+, \"$want_out\"}"
	else
		tap_fail "$name: exit $rc (want $want_rc), stdout \"$(cat "$name.out")\" (want \"$want_out\")"
		tap_diag <"$name.diff"
	fi
}

check swanctl 0 "swanctl.yaml: OK, 1 connection, 3 warnings" 3<<'YAML' 4<<'STDERR'
# a strongSwan gateway's swanctl.conf, written in YAML as it stands
user: root
connections:
  site:
    version: 2
    mobike: no
    remote_addrs: localhost
    dpd_delay: 30s
    dpd_timeout: 150s
    rekey_time: 4h
    reauth_time: 0
    proposals: aes256gcm16-prfsha256-ecp256
    local:
      id: moon.example
    remote:
      id: sun.example
    psk: "0123456789abcdef0123456789abcdef"
    children:
      net:
        local_ts: 10.1.0.0/24
        remote_ts: 10.2.0.0/24, 10.3.0.0/24
        esp_proposals: aes256gcm16
        start_action: start
        dpd_action: restart
        updown: /bin/true
        close_action: none
      voice:
        local_ts: 10.5.0.0/24
        remote_ts: 10.6.0.0/24
YAML
info: swanctl.yaml:5: connections[0].version: ignored: ipsecfx speaks IKEv2 only
info: swanctl.yaml:6: connections[0].mobike: ignored: MOBIKE (RFC 4555) is not implemented: an IKE SA stays on its addresses
info: swanctl.yaml:7: connections[0].remote_addrs[0]: 'localhost' is ADDRS (looked up at start and at each reload)
info: swanctl.yaml:8: connections[0].dpd_delay: read as liveness_interval
info: swanctl.yaml:9: connections[0].dpd_timeout: ignored: IKEv1 only (liveness_retries says when a peer is dead)
info: swanctl.yaml:10: connections[0].rekey_time: swanctl's IKE rekey_time (and over_time, 10% of it): read as ike_lifetime: 15840s (the IKE SA is rekeyed between 80% and 90% of it)
info: swanctl.yaml:11: connections[0].reauth_time: read as reauth_interval
warning: swanctl.yaml:23: connections[0].start_action: start_action given in 1 of the connection's 2 children: here it is the connection's, for all of them
warning: swanctl.yaml:24: connections[0].liveness_action: dpd_action given in 1 of the connection's 2 children: here it is the connection's, for all of them
warning: swanctl.yaml:25: connections[0].children[0].updown: moved to the connection: ipsecfx runs one updown script per connection, with the event as its argument and IPSECFX_* variables, not strongSwan's PLUTO_* (docs/config.md)
info: swanctl.yaml:26: connections[0].children[0].close_action: ignored: with start_action: start a missing Child SA is set up again
STDERR

check unsupported 1 "" 3<<'YAML' 4<<'STDERR'
# what has no equivalent here
user: root
secrets:
  ike-1:
    secret: "0123456789abcdef0123456789abcdef"
connections:
  - name: old
    version: 1
    local_port: 4501
    remote_addrs: [192.0.2.2, 10.0.0.0/24, nosuchhost.invalid]
    local-1:
      auth: psk
    local: {id: moon.example, auth: eap-mschapv2}
    psk: "0123456789abcdef0123456789abcdef"
    children:
      - name: a
        local_ts: 10.1.0.0/24
        start_action: start
        dpd_action: trap
        close_action: start
        mark_in: 42
      - name: b
        local_ts: 10.4.0.0/24
        start_action: trap
  - name: ids
    remote_addrs: [192.0.2.3]
    local: {id: "fqdn:moon.example"}
    remote: {id: "*.example"}
    psk: "0123456789abcdef0123456789abcdef"
YAML
error: unsupported.yaml:3: secrets: not supported: a connection's PSK is its psk (or psk_file) key, a private key local.key
error: unsupported.yaml:8: connections[0].version: '1' is not supported: ipsecfx speaks IKEv2 only
error: unsupported.yaml:9: connections[0].local_port: not supported: the top-level ike_port and natt_port serve every connection
error: unsupported.yaml:10: connections[0].remote_addrs[1]: '10.0.0.0/24': subnets and ranges are not supported in remote_addrs: give addresses or host names, or %any (with remote.id saying who may connect)
error: unsupported.yaml:10: connections[0].remote_addrs[2]: 'nosuchhost.invalid' does not resolve (REASON): give an address, or a name this host can look up
error: unsupported.yaml:11: connections[0]: unknown key 'local-1': more authentication rounds (local<suffix>) are not supported: one local and one remote
error: unsupported.yaml:13: connections[0].local.auth: 'eap-mschapv2' is not one of psk, pubkey (pubkey: a signature with a certificate's RSA, ECDSA or Ed25519 key; EAP and XAuth are not supported)
error: unsupported.yaml:19: connections[0].children[0].dpd_action: 'trap' is not supported: restart (set the connection up again at once) or clear
error: unsupported.yaml:20: connections[0].children[0].close_action: 'start' is not supported: with start_action: start a missing Child SA is set up again
error: unsupported.yaml:21: connections[0].children[0].mark_in: not supported: a kernel (XFRM) setting: ipsecfx has its own data plane (tun, docs/dataplane.md)
error: unsupported.yaml:24: connections[0].children[1].start_action: 'trap' here, 'start' on line 18: ipsecfx has one start_action per connection, for all its children
error: unsupported.yaml:27: connections[1].local.id: 'fqdn:moon.example': type prefixes are not supported: write the identity alone (its form gives its type; @#hex for a key ID)
error: unsupported.yaml:28: connections[1].remote.id: '*.example': wildcards are not supported: %any on the remote side (with pubkey, any identity a trusted certificate proves)
STDERR

check mistakes 1 "" 3<<'YAML' 4<<'STDERR'
# typos and wrong types: every one reported, by line
user: root
engine: sotf
log_level: verbose
tun: ipsecfx0
connections:
  - name: sw
    local_addrs: [192.0.2.1]
    remote_addr: [192.0.2.2]
    remote_addrs: 192.0.2.256
    psk: "short"
    proposals: [aes256gcm16-prfsha256-x25519]
    esp_proposals: [aes256gcm16]
    liveness_action: reset
    children:
      - name: lan
        local_ts: {net: 10.1.0.0/16}
        remote_ts:
          - 10.2.0.0/16[tcp/443]
          - [udp]
        mode: tunel
        replay_window: many
      - local_ts: [10.3.0.0/16]
  - name: sw
    remote_addrs: [192.0.2.3]
    local: {id: 192.0.2.1, certs: [a.pem]}
    psk: "0123456789abcdef0123456789abcdef"
    psk: "0123456789abcdef0123456789abcdef"
YAML
error: mistakes.yaml:3: engine: 'sotf' is not one of soft, sim, xrt, auto (did you mean 'soft'?)
error: mistakes.yaml:4: log_level: 'verbose' is not one of error, warning, info, debug
error: mistakes.yaml:5: tun: expected tun (a mapping: name, mtu), not a single value
error: mistakes.yaml:9: connections[0]: unknown key 'remote_addr' (did you mean 'remote_addrs'?)
error: mistakes.yaml:10: connections[0].remote_addrs[0]: '192.0.2.256' is not an IPv4 or IPv6 address or a host name
warning: mistakes.yaml:11: connections[0].psk: a PSK of 5 bytes is weak; use 32 random bytes
error: mistakes.yaml:13: connections[0]: unknown key 'esp_proposals' in a connection: it belongs in a child
error: mistakes.yaml:14: connections[0].liveness_action: 'reset' is not one of restart, clear
error: mistakes.yaml:17: connections[0].children[0].local_ts: expected a list of traffic selectors (10.1.0.0/16, ...), not a mapping
error: mistakes.yaml:20: connections[0].children[0].remote_ts[1]: expected a single value, not a list (a value with [ ] in it needs quotes)
error: mistakes.yaml:21: connections[0].children[0].mode: 'tunel' is not one of tunnel, transport (did you mean 'tunnel'?)
error: mistakes.yaml:22: connections[0].children[0].replay_window: 'many' is not a whole number
error: mistakes.yaml:23: connections[0].children[1]: 'name' is missing
error: mistakes.yaml:24: connections[1].name: 'sw' repeats connections[0]
error: mistakes.yaml:26: connections[1].local.auth: certs, key and cert_uri need auth: pubkey
error: mistakes.yaml:28: connections[1].psk: given twice (first on line 27)
STDERR

# a build with XRT opens it (or fails at start for want of a card)
if printf 'user: root\nengine: xrt\n' >probe.yaml &&
   "$IPSECFX_BUILD/ipsecfxd" -t -c probe.yaml >/dev/null 2>&1; then
	tap_skip "xrt: engine xrt refused without XRT" "this build has XRT"
else
	check xrt 1 "" 3<<'YAML' 4<<'STDERR'
user: root
engine: xrt
YAML
error: xrt.yaml:2: engine: xrt: this build has no XRT support (XILINX_XRT was not set when it was built); use engine sim or soft, or rebuild after sourcing /opt/xilinx/xrt/setup.sh
STDERR
fi

check sanity 0 "sanity.yaml: OK, 2 connections, 3 warnings" 3<<'YAML' 4<<'STDERR'
# loads, but probably not what was meant
user: root
connections:
  - name: hq
    remote_addrs: [192.0.2.2]
    local: {id: branch.example}
    psk: "0123456789abcdef0123456789abcdef"
    proposals: [aes256-sha1-modp3072, aes256gcm16-prfsha512-ecp521-modp4096]
    children:
      - name: lan
        local_ts: [10.1.0.0/16]
        remote_ts: [10.2.0.0/16]
      - name: servers
        local_ts: [10.1.5.0/24]
        remote_ts: [10.2.0.0/24]
      - name: loop
        local_ts: [10.9.0.0/16]
        remote_ts: [10.9.0.0/16]
  - name: hq-again
    remote_addrs: [192.0.2.2]
    local: {id: branch.example}
    psk: "0123456789abcdef0123456789abcdef"
    children:
      - name: lan
        local_ts: [10.1.0.0/16]
        remote_ts: [10.2.0.0/16]
YAML
warning: sanity.yaml:13: connections[0].children[1]: overlaps child 'lan' (local 10.1.0.0/16 and 10.1.5.0/24, remote 10.2.0.0/16 and 10.2.0.0/24): traffic in the overlap can use only one of them
warning: sanity.yaml:18: connections[0].children[2].remote_ts: the same as local_ts (10.9.0.0/16): a tunnel joins two different networks; is one side a typo?
warning: sanity.yaml:19: connections[1]: the same peer (identity 192.0.2.2) and traffic as connection 'hq' (its child 'lan', ours 'lan': local 10.1.0.0/16 and 10.1.0.0/16, remote 10.2.0.0/16 and 10.2.0.0/16): the first connection takes that peer
STDERR

check anypeer 1 "" 3<<'YAML' 4<<'STDERR'
# any peer is %any
user: root
connections:
  - name: a
    remote_addrs: [0.0.0.0]
    local: {id: gw.example}
    psk: "0123456789abcdef0123456789abcdef"
  - name: b
    remote_addrs: [0.0.0.0/0, "::"]
    local: {id: gw.example}
    psk: "0123456789abcdef0123456789abcdef"
YAML
error: anypeer.yaml:5: connections[0].remote_addrs[0]: '0.0.0.0' is no peer's address: for any peer, write %any
error: anypeer.yaml:9: connections[1].remote_addrs[0]: '0.0.0.0/0': for any peer, write %any
error: anypeer.yaml:9: connections[1].remote_addrs[1]: '::' is no peer's address: for any peer, write %any
STDERR

check metrics 0 "metrics.yaml: OK, 0 connections, 0 warnings" 3<<'YAML' 4<<'STDERR'
user: root
metrics: {listen: "[::1]:9641"}
YAML
STDERR

for bad in localhost:9641 ::1:9641 127.0.0.1 127.0.0.1:0 127.0.0.1:65536 '[::1]9641'; do
	check "metrics_${bad//[^0-9a-z]/_}" 1 "" 3<<YAML 4<<STDERR
user: root
metrics:
  listen: "$bad"
YAML
error: metrics_${bad//[^0-9a-z]/_}.yaml:3: metrics.listen: '$bad': ADDRESS:PORT, an IPv6 address in brackets (127.0.0.1:9641, [::1]:9641)
STDERR
done

check metrics_typo 1 "" 3<<'YAML' 4<<'STDERR'
user: root
metrics: {lisen: 127.0.0.1:9641}
YAML
error: metrics_typo.yaml:2: metrics: unknown key 'lisen' (did you mean 'listen'?)
STDERR

tap_done
