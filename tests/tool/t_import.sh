#!/usr/bin/env bash
# ipsecfx import-swanctl (issue 18, part 5): swanctl.conf in, ipsecfx.yaml out.
#
#  1. Refused: syntax errors, unsupported sections and settings without
#     which the tunnel would not be the same are named as FILE:LINE, exit 1,
#     and no output file is written (a table, one swanctl.conf each).
#  2. Carried over with warnings: what cannot be is named at its line
#     (an included file's line in that file), the rest is written (0600)
#     and passes ipsecfxd -t; templates, includes, a --secrets file, a
#     Base64 PSK, swanctl's defaults.
#  3. The round trip against strongSwan, in network namespaces
#     (tests/interop/lib.sh draws them):
#
#       ns A 192.0.2.1 (10.1.0.1) ==veth== 192.0.2.2 (10.2.0.1) ns B
#
#     the swanctl.conf files the suites write for strongSwan at B
#     (lib.sh's swan_site with a PSK; t_certs.sh's certificate layout with
#     x509/, x509ca/ and private/ beside it) are imported, ipsecfxd runs the
#     result in B in strongSwan's place, and strongSwan in A with the mirror
#     configuration: the same tunnel comes up, whichever side starts it, and
#     carries a ping both ways.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/../interop/lib.sh"
trap ix_cleanup EXIT

IPX=$IPSECFX_BUILD/ipsecfx
D=$IX_T/imp
mkdir -p "$D"

# imp NAME [ARGS...]: import $D/NAME.conf to $D/NAME.yaml; RC, stderr in
# $D/NAME.err
imp() {
	local name=$1
	shift
	rm -f "$D/$name.yaml"
	"$IPX" import-swanctl "$D/$name.conf" -o "$D/$name.yaml" "$@" 2>"$D/$name.err"
	RC=$?
}

# ---- 1. refused ---------------------------------------------------------------
# refused NAME "EXPECTED STDERR LINE" <<CONF: exit 1, that line (LINE: level:
# message, after the file's name) on stderr, no NAME.yaml
refused() {
	local name=$1 want=$2
	cat >"$D/$name.conf"
	imp "$name"
	if [ "$RC" = 1 ] && grep -qF -- "$D/$name.conf:$want" "$D/$name.err" && [ ! -e "$D/$name.yaml" ] &&
	   ! ls "$D/$name.yaml".* >/dev/null 2>&1; then
		tap_ok "refused: $name: exit 1, \"$name.conf:$want\", nothing written"
	else
		tap_fail "refused: $name: exit $RC (want 1), want \"$name.conf:$want\", $( [ -e "$D/$name.yaml" ] && echo "written!" || echo "not written")"
		tap_diag <"$D/$name.err"
	fi
}

CONN='connections {
  gw {
    remote_addrs = 192.0.2.2
    local { auth = psk }
    remote { auth = psk }
    children { net { local_ts = 10.1.0.0/16
                     remote_ts = 10.2.0.0/16 } }'
SECRET='secrets { ike { secret = 0123456789abcdef0123456789abcdef } }'

refused unclosed "2: error: section 'gw' is not closed by the end of the file" <<EOF
connections {
  gw {
    remote_addrs = 192.0.2.2
EOF
refused stray "4: error: '}' without a section to close" <<EOF
connections {
  gw { remote_addrs = 192.0.2.2 }
}
}
EOF
refused string "3: error: the string opened on this line is not closed" <<EOF
$SECRET
secrets { ike-2 {
  secret = "no end
} }
EOF
refused noequal "2: error: 'gw' needs '=' and a value (a setting) or '{' (a section)" <<EOF
connections {
  gw
  remote_addrs = 192.0.2.2
}
EOF
refused include "1: error: include $D/nowhere.conf: No such file or directory" <<EOF
include nowhere.conf
EOF
refused pools "11: error: pools: not supported: virtual IP pools (configuration payloads)" <<EOF
$CONN
  }
}
$SECRET
pools {
  rw { addrs = 10.3.0.0/24 }
}
EOF
refused rounds "5: error: connections.gw: unknown key 'local-2': more authentication rounds" <<EOF
connections {
  gw {
    remote_addrs = 192.0.2.2
    local-1 { auth = pubkey }
    local-2 { auth = eap }
  }
}
EOF
refused eap "4: error: connections.gw.local.auth: 'eap-mschapv2' is not one of psk, pubkey" <<EOF
connections {
  gw {
    remote_addrs = 192.0.2.2
    local { auth = eap-mschapv2 }
    remote { auth = psk }
  }
}
$SECRET
EOF
refused vips "4: error: connections.gw.vips: not supported: virtual IPs" <<EOF
connections {
  gw {
    remote_addrs = 192.0.2.2
    vips = 0.0.0.0
    local { auth = psk }
    remote { auth = psk }
  }
}
$SECRET
EOF
refused nopsk "2: error: connections.gw: psk authentication, and no IKE secret" <<EOF
$CONN
  }
}
secrets { ike { id = other.example
                secret = 0123456789abcdef0123456789abcdef } }
EOF

# ---- 2. carried over, with warnings -------------------------------------------
mkdir -p "$D/conf.d"
cat >"$D/conf.d/site.conf" <<'EOF'
# the connection itself, from an include
site : conn-defaults {
  remote_addrs = 192.0.2.2
  local-psk { auth = psk
              id = moon.example }
  remote { auth = psk
           id = sun.example }
  mobike = no
  unique = replace
  children {
    net : child-defaults {
      remote_ts = 10.2.0.0/16, 10.3.0.0/16
      updown = /usr/lib/ipsec/_updown iptables
      reqid = 7
      dpd_action = trap
    }
  }
}
EOF
cat >"$D/full.conf" <<'EOF'
conn-defaults {
  local_addrs = 192.0.2.1
  proposals = default
  version = 2
  dpd_delay = 30s
  if_id_in = 42
}
child-defaults {
  local_ts = 10.1.0.0/16
  esp_proposals = aes256gcm16-x25519, default
  start_action = trap
  rekey_time = 1h
}
connections {
  include conf.d/*.conf
}
EOF
cat >"$D/full.secrets" <<'EOF'
secrets {
  ike-any { secret = 0123456789abcdef0123456789abcdef }
  ike-site {
    id-1 = moon.example
    id-2 = @sun.example
    secret = 0sq83vASNFZ4mrze8BI0VniavN7wEjRWeJq83vASNFZ4k=
  }
  eap-carol { id = carol secret = x }
}
EOF
imp full --secrets "$D/full.secrets"
yaml=$D/full.yaml
if [ "$RC" = 0 ] && [ -s "$yaml" ] && [ "$(stat -c %a "$yaml")" = 600 ]; then
	tap_ok "carried over: exit 0, $(tail -1 "$D/full.err" | sed 's/^ipsecfx: [^:]*: //'), mode 0600"
else
	tap_fail "carried over: exit $RC, $(stat -c %a "$yaml" 2>/dev/null)"
	tap_diag <"$D/full.err"
fi
# each warning at its file and line
site=$D/conf.d/site.conf
warned() { # warned "FILE:LINE: level: text" WHAT
	if grep -qF -- "$1" "$D/full.err"; then tap_ok "carried over: $2 ($(basename "$1"))"
	else tap_fail "carried over: $2: want \"$1\""; tap_diag <"$D/full.err"; fi
}
warned "$site:14: warning: connections.site.children.net.reqid: not carried over: a kernel (XFRM) setting" \
	"reqid dropped with a warning at its line in the included file"
warned "$site:13: warning: connections.site.children.net.updown: not carried over: strongSwan's updown script" \
	"a child's updown (strongSwan's script) dropped"
warned "$site:15: warning: connections.site.children.net.dpd_action: 'trap' is not carried over" \
	"dpd_action = trap dropped"
warned "$site:9: warning: connections.site.unique: 'replace' is not carried over" "unique = replace dropped"
warned "$D/full.conf:6: warning: connections.site.if_id_in: not carried over" \
	"a template's if_id_in named at the template's line"
warned "$D/full.conf:10: warning: connections.site.children.net.esp_proposals: 'default' left out" \
	"'default' among ESP proposals left out"
warned "$D/full.secrets:8: warning: secrets.eap-carol: not carried over: EAP" "an EAP secret named"
warned "$site:8: info: connections.site.mobike: ignored" "mobike = no: ignored (an info line)"
# what was written
want_line() { # want_line REGEX WHAT
	if grep -qE -- "$1" "$yaml"; then tap_ok "written: $2"
	else tap_fail "written: $2: no line like /$1/"; tap_diag <"$yaml"; fi
}
want_line '^- name: site$|^  - name: site$' "connections as a list, the name first"
want_line '^ *psk: "?0xabcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"?$' \
	"the PSK whose ids match both ends (not the wildcard), Base64 as hex"
want_line '^ *liveness_interval: 30s$' "dpd_delay (inherited from a template) as liveness_interval"
want_line '^ *local_ts: \[10\.1\.0\.0/16\]$' "local_ts inherited by the child from its template"
want_line '^ *remote_ts: \[10\.2\.0\.0/16, 10\.3\.0\.0/16\]$' "a comma list as a YAML list"
want_line '^ *start_action: trap$' "the child's start_action lifted to the connection"
want_line '^ *esp_proposals: \[aes256gcm16-x25519\]$' "esp_proposals without 'default'"
if grep -qE '^ *(proposals|reqid|updown|mobike|if_id_in|version):' "$yaml"; then
	tap_fail "written: nothing dropped is in the file"; tap_diag <"$yaml"
else
	tap_ok "written: proposals = default (ours are the defaults), reqid, updown, mobike, if_id_in, version are not in it"
fi
{ echo "control: $IX_T/full.sock"; cat "$yaml"; } >"$D/full-check.yaml"
tap_check "written: ipsecfxd -t -c accepts it" "$IPSECFX_BUILD/ipsecfxd" -t -c "$D/full-check.yaml"
# -o naming the input
"$IPX" import-swanctl "$D/full.conf" -o "$D/full.conf" 2>"$D/same.err"
if [ $? = 2 ] && grep -q "would overwrite what it reads" "$D/same.err"; then
	tap_ok "-o naming the file read: refused (exit 2)"
else
	tap_fail "-o naming the file read: refused"
fi

# ---- 3. the round trip against strongSwan ------------------------------------
if ! why=$(ix_need); then
	tap_skip "round trip against strongSwan" "$why"
	tap_done
	exit
fi
ix_topology

# import_b LABEL: B's swanctl.conf (strongSwan's) imported as ipsecfxd's
# B.yaml, checked by ipsecfxd -t
import_b() {
	rm -f "$IX_T/B.in"
	"$IPX" import-swanctl "$IX_T/B/swanctl.conf" -o "$IX_T/B.in" 2>"$IX_T/B.imp"
	local rc=$?
	ours B <"$IX_T/B.in"
	if [ $rc = 0 ] && "$IPSECFX_BUILD/ipsecfxd" -t -c "$IX_T/B.yaml" >"$IX_T/B.t" 2>&1; then
		tap_ok "$1: imported ($(grep -c 'warning:' "$IX_T/B.imp") warnings), ipsecfxd -t: $(sed "s|$IX_T/||" "$IX_T/B.t")"
		return 0
	fi
	tap_fail "$1: imported (exit $rc) and checked"
	tap_diag <"$IX_T/B.imp"
	tap_diag <"$IX_T/B.t"
	return 1
}

# through LABEL: both ends up, a ping both ways through the tunnel
through() {
	if ix_wait_up B t 5 && ix_swan_up A 5 && ix_ping "$IX_NS_A" 10.1.0.1 10.2.0.1 &&
	   ix_ping "$IX_NS_B" 10.2.0.1 10.1.0.1; then
		tap_ok "$1: the tunnel is up on both sides and carries a ping both ways"
	else
		tap_fail "$1: tunnel up, ping both ways"
		diag_logs B A
	fi
}

# (a) PSK: lib.sh's usual strongSwan site at B; ipsecfxd (imported) starts it
swan_site B aes256gcm16
SITE_A_ADDR=192.0.2.2 SITE_B_ADDR=192.0.2.1 SITE_A_TS=10.2.0.1/32 SITE_B_TS=10.1.0.1/32 \
	swan_site A aes256gcm16
if import_b "round trip, PSK (swan_site)"; then
	start_swan "$IX_NS_A" A
	start_ours "$IX_NS_B" B
	ix_ctl B initiate t --wait 10 >/dev/null
	through "round trip, PSK: ipsecfxd with the imported file initiates"
fi

# (b) certificates, t_certs.sh's layout: the swanctl.conf names its
# certificate relative to x509/, its trust anchor by absolute path; the key
# is in private/, the CAs in x509ca/.  strongSwan (A) starts it.
fresh plain
PKI=$IX_T/pki
if ! CHAIN_ONLY=1 KEYTYPES=p256 "$here/../lib/mkpki.sh" "$PKI" moon sun; then
	tap_fail "round trip, certificates: mkpki.sh"
	tap_done
	exit
fi
# swan_pki NAME ME PEER ADDR PEER_ADDR TS PEER_TS: a swanctl.conf and its
# credentials, as t_certs.sh writes strongSwan's
swan_pki() {
	local d=$IX_T/$1
	mkdir -p "$d/private" "$d/x509" "$d/x509ca"
	cp "$PKI/gw-$2-p256.key" "$d/private/$2.key"
	cp "$PKI/gw-$2-p256.pem" "$d/x509/"
	cp "$PKI/int.pem" "$PKI/ca.pem" "$d/x509ca/"
	SITE_B_ADDR=$4 SITE_A_ADDR=$5 SITE_B_TS=$6 SITE_A_TS=$7 SITE_B_SECRETS=" " \
		SITE_B_AUTH="    local { auth = pubkey
            certs = gw-$2-p256.pem
            id = $2.example }
    remote { auth = pubkey
             id = $3.example
             cacerts = $PKI/ca.pem }" swan_site "$1" aes256gcm16
}
swan_pki B sun moon 192.0.2.2 192.0.2.1 10.2.0.1/32 10.1.0.1/32
swan_pki A moon sun 192.0.2.1 192.0.2.2 10.1.0.1/32 10.2.0.1/32
if import_b "round trip, certificates (t_certs.sh's layout)"; then
	if grep -q "key: $IX_T/B/private/sun.key" "$IX_T/B.yaml" &&
	   grep -q "certs: \[$IX_T/B/x509/gw-sun-p256.pem, $IX_T/B/x509ca/int.pem\]" "$IX_T/B.yaml"; then
		tap_ok "round trip, certificates: the key found in private/, the intermediate from x509ca/ sent along, absolute paths"
	else
		tap_fail "round trip, certificates: key and certs"
		tap_diag <"$IX_T/B.yaml"
	fi
	start_ours "$IX_NS_B" B
	start_swan "$IX_NS_A" A
	ix_swanctl A --initiate --child c --timeout 10 >/dev/null 2>&1
	through "round trip, certificates: strongSwan initiates, ipsecfxd with the imported file answers"
fi
ix_state_check
tap_done
