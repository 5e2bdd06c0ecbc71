#!/usr/bin/env bash
# Install the Debian packages ipsecfx needs for building, testing and the
# demo, when any is missing.  Safe to run again: it only calls apt-get when
# something is absent.
set -euo pipefail

PKGS=(
	# build
	build-essential make pkg-config git
	libssl-dev libipsec-mb-dev libevent-dev libcyaml-dev libyaml-dev
	libjansson-dev libpcap-dev libmnl-dev libcmocka-dev libcap-dev
	libsystemd-dev
	# fuzzing (libFuzzer) and the sanitizer runtime
	clang libclang-rt-14-dev
	# RTL
	verilator yosys
	# tests and demo: real peers, independent decoders, traffic
	strongswan-swanctl strongswan-charon libcharon-extra-plugins
	libstrongswan-extra-plugins iproute2 iputils-ping iperf3 nftables
	conntrack tshark python3 python3-scapy procps
	# certificates: the openssl command makes the test PKI (tests/lib/mkpki.sh)
	openssl
	# man pages: scdoc makes them (make man), mandoc checks them (tests/tool/t_man.sh)
	scdoc mandoc
	# metrics: a real Prometheus scrapes the daemon, promtool checks the
	# text (tests/gateway/t_metrics.sh)
	prometheus
	# the Debian package: make deb builds it (dpkg-buildpackage, debhelper) and
	# checks it (lintian); make deb-test installs it in a root debootstrap makes
	dpkg-dev debhelper lintian debootstrap
)

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing+=("$p")
	fi
done
# ipsecfxd runs as this account after start-up (docs/security.md)
need_user=
getent passwd ipsecfx >/dev/null || need_user=yes
[ ${#missing[@]} -eq 0 ] && [ -z "$need_user" ] && exit 0

SUDO=
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null; then
		SUDO=sudo
	else
		echo "deps: not root (and no sudo): ${missing[*]:-}${need_user:+ (and the account ipsecfx)} missing" >&2
		exit 1
	fi
fi
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -q
	$SUDO apt-get install -y -q "${missing[@]}"
fi
if [ -n "$need_user" ]; then
	echo "deps: creating the system account ipsecfx (the daemon runs as it)"
	$SUDO useradd --system --user-group --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin ipsecfx
fi
