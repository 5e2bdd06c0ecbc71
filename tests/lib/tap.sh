# TAP helpers for the script suites (sourced).  Each check prints one line:
#   ok N - name | not ok N - name | ok N - name # SKIP reason
# and tap_done prints the plan.  Diagnostics go on lines starting with '#'.
TAP_N=0
TAP_FAILED=0

tap_ok() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $*"; }
tap_fail() { TAP_N=$((TAP_N + 1)); TAP_FAILED=$((TAP_FAILED + 1)); echo "not ok $TAP_N - $*"; }
tap_skip() { local name=$1; shift; TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $name # SKIP $*"; }
tap_diag() { sed 's/^/# /'; }

# tap_check NAME CMD...: ok if CMD succeeds; its output becomes diagnostics
# when it fails.
tap_check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		tap_ok "$name"
	else
		tap_fail "$name"
		printf '%s\n' "$out" | tail -20 | tap_diag
	fi
}

tap_done() { echo "1..$TAP_N"; [ "$TAP_FAILED" -eq 0 ]; }

# The build directory of the binaries under test.
IPSECFX_BUILD=${IPSECFX_BUILD:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build}
