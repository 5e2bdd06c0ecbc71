#!/usr/bin/env bash
# The base root that tests/tool/t_deb.sh installs the package into: a
# minimal Debian 12 (debootstrap --variant=minbase) with man-db and systemd,
# as a gateway has them, and the .debs of the package's dependencies in its
# apt cache, so that the test installs the package as an operator would
# (apt-get install ./ipsecfx_*.deb) without the network.
#
#   scripts/debroot.sh [PACKAGE.deb]
#
# The root is made once (a few minutes; needs deb.debian.org, or
# IPSECFX_DEB_MIRROR). With a package, the .debs of its dependencies are
# fetched into the root's apt cache (only those not there yet). The test
# never changes the root: it installs into an overlay over it, thrown away
# afterwards. IPSECFX_DEBROOT says where it is.
set -euo pipefail
ROOT=${IPSECFX_DEBROOT:-/var/cache/ipsecfx/debroot-bookworm}
MIRROR=${IPSECFX_DEB_MIRROR:-http://deb.debian.org/debian}
deb=${1:-}

[ "$(id -u)" -eq 0 ] || { echo "debroot: needs root (debootstrap, chroot)" >&2; exit 1; }

# inroot CMD...: CMD in the root, with /proc, in a mount namespace of its
# own (the mount goes with it)
inroot() {
	unshare -m sh -c 'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' "$R" \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive "$@"
}

if [ ! -f "$ROOT/.ipsecfx-debroot" ]; then
	command -v debootstrap >/dev/null ||
		{ echo "debroot: debootstrap missing (scripts/deps.sh installs it)" >&2; exit 1; }
	R=$ROOT.new
	rm -rf --one-file-system "$R"
	mkdir -p "$(dirname "$ROOT")"
	echo "debroot: debootstrap --variant=minbase bookworm $ROOT (once, a few minutes)"
	debootstrap --variant=minbase bookworm "$R" "$MIRROR"
	# the host's name servers, for the downloads below
	cp -L /etc/resolv.conf "$R/etc/resolv.conf"
	# man -w finds pages without the index: no mandb run at every install
	echo "man-db man-db/auto-update boolean false" | inroot debconf-set-selections
	inroot apt-get update -q
	inroot apt-get install -y -q --no-install-recommends man-db systemd
	rm -f "$R/var/lib/man-db/auto-update"
	inroot apt-get clean
	date -u > "$R/.ipsecfx-debroot"
	mv "$R" "$ROOT"
fi
if [ -n "$deb" ]; then
	R=$ROOT
	name=$(basename "$deb")
	cp "$deb" "$R/tmp/$name"
	echo "debroot: the dependencies of $name into $ROOT/var/cache/apt/archives"
	inroot apt-get install -y -q --download-only "/tmp/$name" || { rm -f "$R/tmp/$name"; exit 1; }
	rm -f "$R/tmp/$name"
fi
echo "debroot: $ROOT ready"
