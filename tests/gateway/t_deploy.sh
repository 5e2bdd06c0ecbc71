#!/usr/bin/env bash
# docs/deploy.md, walked through as written (issue 20): every command block
# preceded by "<!-- run: WHERE... [expect-fail] -->" runs, in order, on the
# machines it names.  The machines are network namespaces wired as the
# document draws them (gw-a, gw-b, host-a, host-b); each gateway has its own
# /etc/ipsecfx, /var/log/ipsecfx and /run/ipsecfx, bind-mounted in a mount
# namespace of its own, so the document's paths are the real ones.  After
# the walk, the test checks what the document says happened.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/../interop/lib.sh"

ix_begin "gateway: docs/deploy.md walked through"
DOC=$IX_ROOT/docs/deploy.md
NS_GA=$IX_NS_A NS_GB=$IX_NS_B NS_HA=$IX_NS_R NS_HB=$IX_NS_C
# the mount points the gateways' directories go on (a packaged system has
# them; a build machine may not)
MADE=()
for d in /etc/ipsecfx /var/log/ipsecfx /run/ipsecfx; do
	[ -d "$d" ] || { mkdir -p "$d" && MADE+=("$d"); }
done

dp_cleanup() {
	local f
	for f in "$IX_T"/gw-*/run/ipsecfxd.pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	sleep 0.3
	for d in "${MADE[@]}"; do rmdir "$d" 2>/dev/null; done
	ix_cleanup
}
trap dp_cleanup EXIT

# the wiring: veth pairs named as the document names the interfaces
wire() { # wire NS1 IF1 ADDR1 NS2 IF2 ADDR2
	ip link add "dp1$$" type veth peer name "dp2$$"
	ip link set "dp1$$" netns "$1"
	ip link set "dp2$$" netns "$4"
	ip -n "$1" link set "dp1$$" name "$2"
	ip -n "$4" link set "dp2$$" name "$5"
	ip -n "$1" addr add "$3" dev "$2"
	ip -n "$4" addr add "$6" dev "$5"
	ip -n "$1" link set "$2" up
	ip -n "$4" link set "$5" up
}
for ns in "$NS_GA" "$NS_GB" "$NS_HA" "$NS_HB"; do
	ip netns add "$ns"
	ip -n "$ns" link set lo up
done
wire "$NS_GA" eth0 192.0.2.1/24 "$NS_GB" eth0 192.0.2.2/24
wire "$NS_HA" eth0 10.1.0.10/24 "$NS_GA" eth1 10.1.0.1/24
wire "$NS_HB" eth0 10.2.0.10/24 "$NS_GB" eth1 10.2.0.1/24
ip -n "$NS_HA" route add default via 10.1.0.1
ip -n "$NS_HB" route add default via 10.2.0.1
for gw in gw-a gw-b; do
	mkdir -p "$IX_T/$gw/etc" "$IX_T/$gw/log"
	# as the daemon makes /run/ipsecfx when it is missing
	install -d -m 0700 -o ipsecfx -g ipsecfx "$IX_T/$gw/run"
done

# on WHERE FILE: run the block in FILE on that machine, a gateway with its
# own directories on the document's paths and the built binaries on PATH
on() {
	local where=$1 file=$2 ns
	case $where in
	gw-a) ns=$NS_GA ;; gw-b) ns=$NS_GB ;; host-a) ns=$NS_HA ;; host-b) ns=$NS_HB ;;
	*) echo "unknown machine $where"; return 99 ;;
	esac
	if [[ $where == gw-* ]]; then
		timeout 60 ip netns exec "$ns" unshare -m bash -c '
			mount --bind "$1/etc" /etc/ipsecfx &&
			mount --bind "$1/log" /var/log/ipsecfx &&
			mount --bind "$1/run" /run/ipsecfx || exit 98
			export PATH="$2:$PATH"
			set -e
			. "$3"' bash "$IX_T/$where" "$IPSECFX_BUILD" "$file"
	else
		timeout 60 ip netns exec "$ns" bash -e "$file"
	fi
}

# the blocks, in order: "WHERE... [expect-fail]" and the file with its text
$PY - "$DOC" "$IX_T/blocks" <<'EOF'
import os, re, sys
doc, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
lines = open(doc).read().split("\n")
n = 0
with open(os.path.join(out, "index"), "w") as idx:
    i = 0
    while i < len(lines):
        m = re.match(r"<!-- run: (.*) -->$", lines[i])
        if m and i + 1 < len(lines) and lines[i + 1].startswith("```sh"):
            j = i + 2
            body = []
            while lines[j] != "```":
                body.append(lines[j])
                j += 1
            n += 1
            f = os.path.join(out, "%02d.sh" % n)
            open(f, "w").write("\n".join(body) + "\n")
            idx.write("%s|%s\n" % (f, m.group(1)))
            i = j
        i += 1
EOF

nblocks=0
while IFS='|' read -r file spec; do
	nblocks=$((nblocks + 1))
	expect=0
	[[ " $spec " == *" expect-fail "* ]] && expect=1
	for where in ${spec/expect-fail/}; do
		on "$where" "$file" >"$file.$where.out" 2>&1
		rc=$?
		first=$(grep -v '^$' "$file" | head -1 | cut -c1-60)
		if { [ "$expect" = 0 ] && [ "$rc" = 0 ]; } || { [ "$expect" = 1 ] && [ "$rc" != 0 ]; }; then
			tap_ok "deploy.md block $nblocks on $where ($first...): exit $rc"
		else
			tap_fail "deploy.md block $nblocks on $where ($first...): exit $rc"
			tap_diag <"$file.$where.out"
		fi
	done
done <"$IX_T/blocks/index"

# what the document says the blocks showed
out() { cat "$IX_T/blocks/$1.sh.$2.out"; }
blk() { grep -l -F -- "$1" "$IX_T"/blocks/[0-9]*.sh | head -1 | xargs -r basename | sed 's/\.sh$//'; }
b=$(blk "ipsecfx list-sas")
if out "$b" gw-a | grep -qx "initiated site-b: established, child lan" &&
   out "$b" gw-a | grep -q "^10.2.0.0/24 proto static scope link"; then
	tap_ok "section 5: initiate says established, the route to 10.2.0.0/24 is on ipsecfx0"
else
	tap_fail "section 5: $(out "$b" gw-a | tr '\n' '|' | cut -c1-300)"
fi
b=$(blk "ping -c 3")
if out "$b" host-a | grep -q " 0% packet loss"; then
	tap_ok "section 5: host-a pings host-b across the tunnel"
else
	tap_fail "section 5: ping from host-a: $(out "$b" host-a | tail -2 | tr '\n' '|')"
fi
b=$(blk "grep -E 'started")
if out "$b" gw-a | grep -q "started: 1 connections from /etc/ipsecfx/ipsecfx.yaml"; then
	tap_ok "section 6: the log file has the daemon's lines"
else
	tap_fail "section 6: the log file: $(out "$b" gw-a | head -3 | tr '\n' '|')"
fi
b=$(blk "ipsecfx initiate site-b --wait 10")
if out "$b" gw-a | grep -q "ipsecfx: .*AUTHENTICATION_FAILED"; then
	tap_ok "section 7: with a wrong key initiate fails with \"$(out "$b" gw-a | grep -m1 'ipsecfx: ' | cut -c1-150)\""
else
	tap_fail "section 7: initiate with a wrong key: $(out "$b" gw-a | tail -3 | tr '\n' '|')"
fi
b=$(blk "grep -i 'authentication'")
for gw in gw-a gw-b; do
	if out "$b" $gw | grep -qi "warning: .*authentication"; then
		tap_ok "section 7: $gw's log names the failure at warning level"
	else
		tap_fail "section 7: $gw's log: $(out "$b" $gw | head -3 | tr '\n' '|')"
	fi
done
tap_done
