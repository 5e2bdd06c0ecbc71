#!/usr/bin/env bash
# Install the Debian packages ipsecfx needs for building, testing and the
# demo, when any is missing.  Safe to run again: it only calls apt-get when
# something is absent.
set -euo pipefail

PKGS=(
	# build
	build-essential make pkg-config git
	libssl-dev libipsec-mb-dev libevent-dev libcyaml-dev libyaml-dev
	libjansson-dev libpcap-dev libmnl-dev libcmocka-dev
	# fuzzing (libFuzzer) and the sanitizer runtime
	clang libclang-rt-14-dev
	# RTL
	verilator yosys
	# tests and demo: real peers, independent decoders, traffic
	strongswan-swanctl strongswan-charon libcharon-extra-plugins
	libstrongswan-extra-plugins iproute2 iputils-ping iperf3 nftables
	conntrack tshark python3 python3-scapy procps
)

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
SUDO=
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null; then
		SUDO=sudo
	else
		echo "deps: missing packages and not root (no sudo): ${missing[*]}" >&2
		exit 1
	fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q "${missing[@]}"
