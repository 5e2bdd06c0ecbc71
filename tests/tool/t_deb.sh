#!/usr/bin/env bash
# The Debian package (make deb; docs/operations.md, "Debian package"),
# installed into a fresh Debian 12 root as an operator would install it
# (apt-get install ./ipsecfx_*.deb, its dependencies from Depends) and
# checked from the installed files: ipsecfxd -t on the shipped
# configuration as root and as the account (a reload reads it so), the
# versions, man -w, systemd-analyze verify on the unit, the conffile's mode,
# the account, the log directory, a reinstall keeping an edited conffile;
# then dpkg --purge and what it leaves.
#
# The fresh root is an overlay over the base root of scripts/debroot.sh
# (debootstrap, made once), in a mount namespace of this test's own, thrown
# away at the end: this machine's /etc, accounts and dpkg database are not
# touched, so the test runs beside any other. Building the package takes
# minutes, too long for make test: without a package ($O/ipsecfx_*.deb, or
# IPSECFX_DEB=FILE) or without the base root the package checks SKIP;
# `make deb-test` makes both, then runs this. The first two checks need
# neither and always run.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
root=$(cd "$here/../.." && pwd)

# The mounts below vanish with this mount namespace, whatever happens to the
# test; in a network namespace of its own (no interface up) apt cannot reach
# a mirror: what it installs comes from the base root's cache.
if [ -z "${IPX_DEB_NS:-}" ] && [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null; then
	IPX_DEB_NS=1 exec unshare -m -n --propagation private "$0" "$@"
fi

# ---- without the package ----------------------------------------------------
# the example configuration the package installs as /etc/ipsecfx/ipsecfx.yaml
if [ -x "$IPSECFX_BUILD/ipsecfxd" ]; then
	out=$("$IPSECFX_BUILD/ipsecfxd" -t -c "$root/contrib/ipsecfx.yaml" 2>&1)
	if [ $? -eq 0 ] && grep -q ": OK, 0 connections, 0 warnings" <<<"$out"; then
		tap_ok "contrib/ipsecfx.yaml passes ipsecfxd -t: $out"
	else
		tap_fail "contrib/ipsecfx.yaml passes ipsecfxd -t"
		tap_diag <<<"$out"
	fi
else
	tap_skip "contrib/ipsecfx.yaml passes ipsecfxd -t" "no $IPSECFX_BUILD/ipsecfxd (make)"
fi
# debian/changelog's version is the one the programs print (IPSECFX_VERSION)
cl=$(sed -n '1s/^ipsecfx (\([^-)]*\).*/\1/p' "$root/debian/changelog")
srcv=$(sed -n 's/^#define IPSECFX_VERSION "\(.*\)"$/\1/p' "$root/host/daemon/ipsecfxd.c" \
	"$root/host/cmd/ipsecfx.c" | sort -u)
if [ -n "$cl" ] && [ "$srcv" = "$cl" ]; then
	tap_ok "debian/changelog ($cl) and IPSECFX_VERSION in ipsecfxd.c and ipsecfx.c agree"
else
	tap_fail "debian/changelog ($cl) and IPSECFX_VERSION in ipsecfxd.c and ipsecfx.c agree"
	echo "IPSECFX_VERSION: $srcv" | tap_diag
fi

# ---- the package in a fresh root -------------------------------------------
BASE=${IPSECFX_DEBROOT:-/var/cache/ipsecfx/debroot-bookworm}
DEB=${IPSECFX_DEB:-$(ls -t "$IPSECFX_BUILD"/ipsecfx_*.deb 2>/dev/null | head -1)}
why=
if [ "$(id -u)" -ne 0 ]; then
	why="needs root (mounts, chroot)"
elif [ -z "$DEB" ] || [ ! -f "$DEB" ]; then
	why="no package: make deb (or IPSECFX_DEB=FILE); make deb-test builds and checks it"
elif [ ! -f "$BASE/.ipsecfx-debroot" ]; then
	why="no base root at $BASE: scripts/debroot.sh makes it once (debootstrap; make deb-test runs it)"
elif ! grep -qw overlay /proc/filesystems; then
	why="no overlay file system in this kernel"
fi
if [ -n "$why" ]; then
	tap_skip "the package installed in a fresh root and checked" "$why"
	tap_done
	exit
fi

T=$(mktemp -d /tmp/ipsecfx-deb.XXXXXX)
R=$T/root
cleanup() {
	umount -R "$R" 2>/dev/null || umount -l -R "$R" 2>/dev/null
	# never into a mount (the root's /proc) left by a failed umount
	rm -rf --one-file-system "$T"
}
trap cleanup EXIT
mkdir -p "$T/up" "$T/work" "$R"
if ! mount -t overlay overlay -o "lowerdir=$BASE,upperdir=$T/up,workdir=$T/work" "$R" ||
	! mount -t proc proc "$R/proc" ||
	! mount -t devpts -o newinstance,ptmxmode=0666 devpts "$R/dev/pts"; then
	tap_fail "a fresh root: overlay over $BASE"
	tap_done
	exit
fi
cp "$DEB" "$R/tmp/"
pkg=/tmp/$(basename "$DEB")

# inroot CMD...: CMD in the fresh root, with a clean environment
inroot() {
	chroot "$R" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive "$@"
}
# check NAME EXPECTED CMD...: ok if CMD succeeds and prints EXPECTED (its
# whole output; lines are joined with "; " in the test's name)
check() {
	local name=$1 want=$2 got rc
	shift 2
	got=$("$@" 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && [ "$got" = "$want" ]; then
		want=${want//$'\n'/; }
		tap_ok "$name: ${want:-no output}"
	else
		tap_fail "$name"
		printf 'expected: %s\ngot (exit %d): %s\n' "$want" "$rc" "$got" | tap_diag
	fi
}

t0=$(date +%s%N)
# (Recommends of the dependencies left out: they take time and prove nothing)
if out=$(inroot apt-get install -y -q --no-install-recommends \
	-o Dpkg::Options::=--force-unsafe-io "$pkg" 2>&1); then
	tap_ok "apt-get install $(basename "$DEB") in a fresh Debian 12 root ($((($(date +%s%N) - t0) / 1000000)) ms, dependencies from the package's Depends)"
else
	tap_fail "apt-get install $(basename "$DEB") in a fresh Debian 12 root"
	tail -15 <<<"$out" | tap_diag
	echo "(a dependency missing from the root's apt cache: scripts/debroot.sh $DEB fetches it)" | tap_diag
	tap_done
	exit
fi
ver=$(dpkg-deb -f "$DEB" Version)
upstream=${ver%-*}

# what goes where
missing=()
for f in /usr/sbin/ipsecfxd /usr/bin/ipsecfx /lib/systemd/system/ipsecfxd.service \
	/etc/ipsecfx/ipsecfx.yaml /usr/share/man/man8/ipsecfxd.8.gz /usr/share/man/man8/ipsecfx.8.gz \
	/usr/share/man/man5/ipsecfx.yaml.5.gz /usr/share/doc/ipsecfx/copyright \
	/usr/share/doc/ipsecfx/README.md.gz /usr/share/doc/ipsecfx/operations.md.gz; do
	[ -e "$R$f" ] || missing+=("$f")
done
if [ ${#missing[@]} -eq 0 ]; then
	tap_ok "installed: /usr/sbin/ipsecfxd, /usr/bin/ipsecfx, the unit, the configuration, 3 man pages, the docs"
else
	tap_fail "installed files"
	printf 'missing: %s\n' "${missing[@]}" | tap_diag
fi

# the daemon from the installed files, on the installed configuration
check "ipsecfxd -t -c /etc/ipsecfx/ipsecfx.yaml" \
	"/etc/ipsecfx/ipsecfx.yaml: OK, 0 connections, 0 warnings" \
	inroot ipsecfxd -t -c /etc/ipsecfx/ipsecfx.yaml
# a reload reads the file as the account: it must be able to (0600 could not)
check "the same as the account ipsecfx (what a reload does)" \
	"/etc/ipsecfx/ipsecfx.yaml: OK, 0 connections, 0 warnings" \
	inroot setpriv --reuid=ipsecfx --regid=ipsecfx --clear-groups \
	ipsecfxd -t -c /etc/ipsecfx/ipsecfx.yaml
check "ipsecfx --version" "ipsecfx $upstream" inroot ipsecfx --version
check "ipsecfxd -V" "ipsecfxd $upstream" inroot ipsecfxd -V
check "man -w ipsecfxd ipsecfx ipsecfx.yaml" \
	"$(printf '/usr/share/man/man8/ipsecfxd.8.gz\n/usr/share/man/man8/ipsecfx.8.gz\n/usr/share/man/man5/ipsecfx.yaml.5.gz')" \
	inroot man -w ipsecfxd ipsecfx ipsecfx.yaml
# nothing to say: exit 0 and no output
check "systemd-analyze verify /lib/systemd/system/ipsecfxd.service" "" \
	inroot systemd-analyze verify /lib/systemd/system/ipsecfxd.service
if [ -e "$R/etc/systemd/system/multi-user.target.wants/ipsecfxd.service" ]; then
	tap_fail "the unit is not enabled at installation (systemctl enable --now ipsecfxd)"
else
	tap_ok "the unit is not enabled at installation (systemctl enable --now ipsecfxd)"
fi

# the conffile, the directories, the account
check "the conffiles" "/etc/ipsecfx/ipsecfx.yaml" \
	awk 'NF { print $1 }' <<<"$(inroot dpkg-query -W -f='${Conffiles}' ipsecfx)"
check "modes" "$(printf '%s\n' 'root:ipsecfx 750 /etc/ipsecfx' \
	'root:ipsecfx 640 /etc/ipsecfx/ipsecfx.yaml' 'ipsecfx:ipsecfx 750 /var/log/ipsecfx')" \
	inroot stat -c '%U:%G %a %n' /etc/ipsecfx /etc/ipsecfx/ipsecfx.yaml /var/log/ipsecfx
acct=$(inroot getent passwd ipsecfx)
IFS=: read -r _ _ uid gid _ home shell <<<"$acct"
grp=$(inroot getent group "${gid:-x}" | cut -d: -f1)
if [ -n "$acct" ] && [ "$uid" -lt 1000 ] && [ "$uid" -gt 0 ] && [ "$grp" = ipsecfx ] &&
	[ "$home" = /nonexistent ] && [ "$shell" = /usr/sbin/nologin ]; then
	tap_ok "the system account: $acct, group $grp"
else
	tap_fail "the system account ipsecfx (uid < 1000, group ipsecfx, /nonexistent, nologin)"
	echo "passwd: $acct; group: $grp" | tap_diag
fi

# an upgrade (here the same version again) keeps an edited conffile and its mode
echo "log_level: debug" >>"$R/etc/ipsecfx/ipsecfx.yaml"
sum=$(md5sum <"$R/etc/ipsecfx/ipsecfx.yaml")
if inroot dpkg -i --force-unsafe-io "$pkg" >/dev/null 2>&1 &&
	[ "$(md5sum <"$R/etc/ipsecfx/ipsecfx.yaml")" = "$sum" ] &&
	[ "$(inroot stat -c '%U:%G %a' /etc/ipsecfx/ipsecfx.yaml)" = "root:ipsecfx 640" ]; then
	tap_ok "dpkg -i again: the edited conffile stays, root:ipsecfx 640"
else
	tap_fail "dpkg -i again: the edited conffile stays, root:ipsecfx 640"
	inroot stat -c '%U:%G %a %n' /etc/ipsecfx/ipsecfx.yaml | tap_diag
fi

# purge: the package's files, the configuration, the logs and the modes go;
# the account stays (debian/postrm says why)
echo "a line" >"$R/var/log/ipsecfx/ipsecfxd.log"
if inroot dpkg --purge ipsecfx >/dev/null 2>&1; then
	left=()
	for f in /usr/sbin/ipsecfxd /usr/bin/ipsecfx /lib/systemd/system/ipsecfxd.service \
		/etc/ipsecfx /var/log/ipsecfx /usr/share/doc/ipsecfx; do
		[ -e "$R$f" ] && left+=("$f")
	done
	so=$(inroot dpkg-statoverride --list | grep ipsecfx)
	if [ ${#left[@]} -eq 0 ] && [ -z "$so" ] && inroot getent passwd ipsecfx >/dev/null; then
		tap_ok "dpkg --purge: files, /etc/ipsecfx, /var/log/ipsecfx and the stat overrides gone; the account stays"
	else
		tap_fail "dpkg --purge: files, /etc/ipsecfx, /var/log/ipsecfx and the stat overrides gone; the account stays"
		printf 'left: %s\n' "${left[@]}" "$so" | tap_diag
	fi
else
	tap_fail "dpkg --purge ipsecfx"
fi
tap_done
