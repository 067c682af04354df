# Shared helpers for the integration tests (sourced by t_*.sh).
# Each test runs the real dfsc binary ($DFSC, set by ctest) against the
# testbed whose environment file $DFSC_TESTBED_ENV names, counts its checks
# and ends with the plain "N passed, N failed" line.
set -u
: "${DFSC:?DFSC must name the dfsc binary (run through ctest)}"
: "${DFSC_TESTBED_ENV:?start the testbed first: tests/testbed/testbed start}"
# shellcheck disable=SC1090
. "$DFSC_TESTBED_ENV"

PASSED=0
FAILED=0
TMP=$(mktemp -d /tmp/dfsc-it.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
CRED="$DFSC_TB_USER%$DFSC_TB_PASS"
# A name unique to this run, for writes into shared scratch shares.
RUN="t$$-$(date +%s%N | tail -c 7)"

ok() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
not_ok() { FAILED=$((FAILED + 1)); echo "not ok - $*"; }

# check DESC CMD...: passes when CMD exits 0.
check() {
  local desc=$1; shift
  if "$@" >"$TMP/out" 2>"$TMP/err"; then ok "$desc"; else
    not_ok "$desc (exit $?)"; sed 's/^/#   /' "$TMP/err" | head -20; fi
}

# check_fail DESC PATTERN CMD...: passes when CMD exits non-zero and its
# stderr matches PATTERN (grep -E).
check_fail() {
  local desc=$1 pat=$2; shift 2
  if "$@" >"$TMP/out" 2>"$TMP/err"; then
    not_ok "$desc (unexpected success)"
  elif grep -Eq -- "$pat" "$TMP/err"; then ok "$desc"; else
    not_ok "$desc (stderr does not match /$pat/)"; sed 's/^/#   /' "$TMP/err" | head -20; fi
}

# eq DESC EXPECTED ACTUAL
eq() {
  if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1: expected [$2], got [$3]"; fi
}

dfsc() { "$DFSC" -U "$CRED" "$@"; }

finish() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}
