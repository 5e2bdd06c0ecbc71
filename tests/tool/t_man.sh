#!/usr/bin/env bash
# The man pages (docs/man/*.scd): built by `make man` (scdoc, no C build)
# into a directory of their own, then checked by mandoc's linter and by
# man(1) rendering them through groff with its warnings on, as lintian
# does.  Then ipsecfx.yaml(5) against the configuration schema in
# host/config/config.c, both ways: every key the loader accepts has its
# entry in the page, and every entry is a key the loader accepts, so the
# page cannot fall behind the code (or run ahead of it).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
root=$(cd "$here/../.." && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

pages=(ipsecfxd.8 ipsecfx.8 ipsecfx.yaml.5)
yaml_scd=$root/docs/man/ipsecfx.yaml.5.scd

# ---- build ------------------------------------------------------------------
if ! command -v scdoc >/dev/null; then
	tap_skip "make man" "scdoc missing (scripts/deps.sh installs it)"
else
	# O= of its own: a build running in build/ is not disturbed
	tap_check "make man" make -C "$root" --no-print-directory O="$T/o" man
	for p in "${pages[@]}"; do
		f=$T/o/man/$p
		if [ -s "$f" ] && grep -q '^\.TH ' "$f"; then
			tap_ok "$p: made"
		else
			tap_fail "$p: made"
		fi
	done
fi

# ---- lint -------------------------------------------------------------------
# mandoc_lint PAGE: its warnings and errors, less the two kinds scdoc's
# output always has: scdoc writes .P around every .SH/.SS ("PP after SH",
# "PP empty") and at the end of each indented block before .RE ("PP
# empty"), where groff makes it the blank line between two entries.  Both
# formatters render them correctly; any other message fails.
mandoc_lint() {
	mandoc -T lint -W warning "$1" 2>&1 |
		grep -vE 'WARNING: skipping paragraph macro: PP (empty|after S[HS])$'
}

for p in "${pages[@]}"; do
	f=$T/o/man/$p
	if [ ! -s "$f" ]; then
		tap_skip "$p: mandoc -T lint" "not built"
		tap_skip "$p: man --warnings" "not built"
		continue
	fi
	if ! command -v mandoc >/dev/null; then
		tap_skip "$p: mandoc -T lint" "mandoc missing (scripts/deps.sh installs it)"
	else
		out=$(mandoc_lint "$f")
		if [ -z "$out" ]; then
			tap_ok "$p: mandoc -T lint -W warning"
		else
			tap_fail "$p: mandoc -T lint -W warning"
			printf '%s\n' "$out" | tap_diag
		fi
	fi
	if ! command -v man >/dev/null; then
		tap_skip "$p: man --warnings" "man (man-db) missing"
		continue
	fi
	# lintian's check (groff-message): anything groff says is a finding
	out=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 \
		man --warnings -E UTF-8 -l -Tutf8 -Z "$f" 2>&1 >/dev/null)
	if [ -z "$out" ]; then
		tap_ok "$p: man --warnings renders it without a warning"
	else
		tap_fail "$p: man --warnings renders it without a warning"
		printf '%s\n' "$out" | tap_diag
	fi
done

# ---- ipsecfx.yaml(5) against the schema ---------------------------------------
# "TABLE KEY" for each field of each *_fields[] table of the schema: the
# key is the first argument of CYAML_FIELD_*(), STR_SEQ() or CFG_FIELD_BOOL().
schema=$(awk '
/^static const cyaml_schema_field_t [a-z_]+_fields\[\] = \{/ {
	t = $4; sub(/_fields\[\]$/, "", t); next
}
/^\};/ { t = "" }
t != "" && match($0, /^\t(CYAML_FIELD_[A-Z_]+|STR_SEQ|CFG_FIELD_BOOL)\("[a-z_]+"/) {
	k = substr($0, RSTART, RLENGTH); sub(/^[^"]*"/, "", k); sub(/"$/, "", k)
	print t, k
}' "$root/host/config/config.c")

# The page's entries: the *bold* words of its term lines (lines that start
# with one, not indented) before the default in brackets, from "# TOP-LEVEL
# KEYS" up to "# PROPOSALS".
entries=$(awk '
/^# TOP-LEVEL KEYS/ { on = 1; next }
/^# PROPOSALS/ { on = 0 }
on && /^\*/ {
	s = $0; sub(/ \(.*/, "", s)
	while (match(s, /\*[a-z_.]+\*/)) {
		print substr(s, RSTART + 1, RLENGTH - 2)
		s = substr(s, RSTART + RLENGTH)
	}
}' "$yaml_scd" | sort -u)

n=$(wc -l <<<"$schema")
if [ "$n" -lt 60 ]; then
	tap_fail "schema read from config.c ($n keys: has its layout changed?)"
else
	tap_ok "schema read from config.c: $n keys"
fi
declare -A entry=() mapping=() known=()
for e in $entries; do
	entry[$e]=1
	[[ $e == *.* ]] && mapping[${e%%.*}]=1
done
missing=()
while read -r t k; do
	# the names a key of table t has in the page: an end's keys under
	# local. or remote., the TUN's under tun., the metrics' under metrics.
	case $t in
	top | conn | child) nm=$k ;;
	tun | metrics) nm=$t.$k ;;
	end) nm="local.$k remote.$k" ;;
	*)
		missing+=("$k (in ${t}_fields, a new table: teach t_man.sh its prefix)")
		continue
		;;
	esac
	found=
	for x in $nm; do
		known[$x]=1
		# a mapping (tun, metrics, local, remote) may have only its keys' entries
		[ -n "${entry[$x]:-}${mapping[$x]:-}" ] && found=1
	done
	[ -n "$found" ] || missing+=("$nm")
done <<<"$schema"
if [ ${#missing[@]} -eq 0 ]; then
	tap_ok "ipsecfx.yaml(5) has an entry for every key of the schema"
else
	tap_fail "ipsecfx.yaml(5) has an entry for every key of the schema"
	printf 'no entry: %s\n' "${missing[@]}" | tap_diag
fi
extra=()
for e in $entries; do
	[ -n "${known[$e]:-}" ] || extra+=("$e")
done
if [ ${#extra[@]} -eq 0 ]; then
	tap_ok "every entry of ipsecfx.yaml(5) is a key of the schema"
else
	tap_fail "every entry of ipsecfx.yaml(5) is a key of the schema"
	printf 'not in config.c: %s\n' "${extra[@]}" | tap_diag
fi

tap_done
