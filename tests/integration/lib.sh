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

# take_checks FILE: the "ok - ..." and "not ok - ..." lines a validator
# (a Python check of JSON output, say) wrote into FILE become this test's
# checks; any other line there is a failure.
take_checks() {
  local line
  while IFS= read -r line; do
    case $line in
      "ok - "*) ok "${line#ok - }" ;;
      "not ok - "*) not_ok "${line#not ok - }" ;;
      *) not_ok "validator: $line" ;;
    esac
  done <"$1"
}

# eq DESC EXPECTED ACTUAL
eq() {
  if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1: expected [$2], got [$3]"; fi
}

dfsc() { "$DFSC" -U "$CRED" "$@"; }

# DFSC_VALGRIND=1 (scripts/valgrind): $DFSC becomes a wrapper that runs the
# real binary under memcheck, so the tests that call "$DFSC" directly are
# covered too. It execs valgrind, so $! and signals reach the process
# itself. Each process logs to its own file; finish() fails the test for
# every non-empty one, because a check_fail would otherwise pass on exit 99
# and an error in a process whose status is ignored would go unseen.
# Only the leak kinds that count as errors are shown, so a clean process
# leaves an empty log (a process ended by a signal mid-operation has
# "possibly lost" blocks behind live threads; those are not errors).
# DFSC_VALGRIND_LOGS keeps the logs (default: removed at exit). The wrapper
# lives outside $TMP, which some tests list.
if [ "${DFSC_VALGRIND:-0}" = 1 ]; then
  VG_DIR=$(mktemp -d /tmp/vg-wrap.XXXXXX)
  trap 'rm -rf "$TMP" "$VG_DIR"' EXIT
  VG_LOGS=${DFSC_VALGRIND_LOGS:-$VG_DIR}
  mkdir -p "$VG_LOGS"
  vg_supp=
  if [ -n "${DFSC_SRC:-}" ] && [ -f "$DFSC_SRC/tests/valgrind.supp" ]; then
    vg_supp="--suppressions='$DFSC_SRC/tests/valgrind.supp'"
  fi
  cat >"$VG_DIR/run" <<EOF
#!/bin/sh
exec valgrind --tool=memcheck --error-exitcode=99 --leak-check=full \\
  --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \\
  --track-fds=no -q \\
  $vg_supp --log-file='$VG_LOGS/$(basename "$0" .sh).%p.log' '$DFSC' "\$@"
EOF
  chmod +x "$VG_DIR/run"
  DFSC="$VG_DIR/run"
fi

# wait_mounted DIR LOG: waits up to 10 s for a dfsc mount on DIR; on
# failure prints LOG (the daemon's output) and returns 1.
wait_mounted() {
  local i
  for i in $(seq 100); do
    grep -q " $1 fuse.dfsc" /proc/mounts && return 0
    sleep 0.1
  done
  cat "$2"
  return 1
}

# mount_bg DIR [OPTIONS...]: a foreground mount of the testbed (with the
# caller's resolve arguments in the array R) in the background, waited for;
# its pid goes to MPID and onto the caller's array PIDS.
mount_bg() {
  local dir=$1
  shift
  "$DFSC" "${R[@]}" -A "$DFSC_TB_AUTHFILE" "$@" mount "$dir" -f \
    >"$TMP/mount.log" 2>&1 &
  MPID=$!
  PIDS+=("$MPID")
  wait_mounted "$dir" "$TMP/mount.log"
}

# need_fuse: ends a mount test (one not ok) where FUSE is not available.
need_fuse() {
  if [ ! -c /dev/fuse ] || ! command -v fusermount3 >/dev/null; then
    not_ok "FUSE is not available here (the mount tests need /dev/fuse)"
    finish
    exit 1
  fi
}

# unmount_all: unmounts every dfsc mount below $TMP (lazily) and stops the
# daemons in the caller's array PIDS: the first half of a mount test's
# cleanup.
unmount_all() {
  local p
  grep " fuse.dfsc" /proc/mounts | awk '{print $2}' | grep "^$TMP/" |
    while read -r m; do fusermount3 -u -z "$m" 2>/dev/null; done
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
}

# gone PID SECONDS: waits for PID to exit.
gone() {
  local i
  for i in $(seq $(($2 * 10))); do
    kill -0 "$1" 2>/dev/null || return 0
    sleep 0.1
  done
  return 1
}

finish() {
  if [ "${DFSC_VALGRIND:-0}" = 1 ]; then
    local f
    for f in "$VG_LOGS/$(basename "$0" .sh)".*.log; do
      [ -s "$f" ] || continue
      not_ok "valgrind: $f"
      sed 's/^/#   /' "$f" | head -40
    done
  fi
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}

# The testbed's control script, for the helpers below (the testbed root is
# passed along, so they act on the testbed whose env file was sourced).
tb_script() {
  DFSC_TESTBED_DIR="$DFSC_TB_DIR" "${DFSC_SRC:-$(dirname "${BASH_SOURCE[0]}")/../..}/tests/testbed/testbed" "$@"
}

# tb_proxy_ctl NAME LINE: sends a control line to the testbed's tcpproxy NAME
# (e.g. durrelay, flipfs): `forward`, `delay C2S [S2C]`, `hang`, `reset [N]`,
# `refuse`, `blackhole` (also silences open connections) or `cut` (resets the
# open connections now, the mode stays). Writes LINE into the proxy's mode
# file, sends SIGHUP to the pid in its pid file and waits (5 s at most) for
# the proxy's log to report the line applied; returns 1 if it was rejected
# or not applied in time.
tb_proxy_ctl() {
  local d="$DFSC_TB_DIR/proxy/$1" n0 n i pid
  pid=$(cat "$d/proxy.pid" 2>/dev/null) || {
    echo "tb_proxy_ctl: proxy $1 does not run" >&2
    return 1
  }
  n0=$(grep -c ' control #' "$d/proxy.log")
  printf '%s\n' "$2" >"$d/mode"
  kill -HUP "$pid" || return 1
  for i in $(seq 50); do
    n=$(grep -c ' control #' "$d/proxy.log")
    if [ "$n" -gt "$n0" ]; then
      grep ' control #' "$d/proxy.log" | tail -n 1 | grep -q ' applied: ' && return 0
      grep ' control #' "$d/proxy.log" | tail -n 1 >&2
      return 1
    fi
    sleep 0.1
  done
  echo "tb_proxy_ctl: $1 did not apply '$2' within 5 s" >&2
  return 1
}

# tb_server_stop NAME / tb_server_start NAME: stop one smbd of the testbed
# (e.g. durfs) until its port is closed, or start it again until it listens
# (testbed server-stop / server-start; each bounded by the testbed).
tb_server_stop() { tb_script server-stop "$1"; }
tb_server_start() { tb_script server-start "$1"; }
