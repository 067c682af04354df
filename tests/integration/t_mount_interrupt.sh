#!/usr/bin/env bash
# A signal ends a request that waits on the network: the kernel sends
# FUSE_INTERRUPT, the mount cancels the library operation (dfsc_cancel) and
# answers EINTR. The server is the testbed's mutefs, which answers
# NEGOTIATE and then only STATUS_PENDING to SESSION_SETUP: without the
# cancel a stat through it waits for the setup deadline (setup_timeout,
# 20 s here), in an uninterruptible sleep once its signal is fatal, so
# `timeout -s INT` cannot end it; a program that handles the signal gets
# EINTR from the call. Each check is a lookup on the mute
# server (a name there never resolves, so nothing else can be reached):
# the share itself, and names behind DFS links to it (`mutelinks\L*`,
# the walk through dfsroot first). Then the mount still serves a real
# file, .dfsc/stats counts the cancels, and an unmount is prompt.
# Needs /dev/fuse.
. "$(dirname "$0")/lib.sh"
if [ ! -c /dev/fuse ] || ! command -v fusermount3 >/dev/null; then
  not_ok "FUSE is not available here (the mount tests need /dev/fuse)"
  finish
  exit 1
fi
# shellcheck disable=SC2206
R=($DFSC_TB_RESOLVE_ARGS)
MNT=$TMP/mnt
PIDS=()
SETUP_S=20
BOUND_MS=6000 # the 2 s signal plus slack for a loaded machine; << SETUP_S
mkdir -p "$MNT"

cleanup() {
  local p
  grep " fuse.dfsc" /proc/mounts | awk '{print $2}' | grep "^$TMP/" |
    while read -r m; do fusermount3 -u -z "$m" 2>/dev/null; done
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$TMP"
}
trap cleanup EXIT
stat_of() { awk -v k="$2" '$1 == k {print $2}' "$1/.dfsc/stats"; }

# interrupted DESC CMD...: CMD, sent SIGINT after 2 s, must be ended by it
# (exit 124 from timeout, or 130) well before the setup deadline.
interrupted() {
  local desc=$1 t0 ms rc
  shift
  t0=$(date +%s%N)
  timeout -s INT 2 "$@" >"$TMP/out" 2>"$TMP/err"
  rc=$?
  ms=$((($(date +%s%N) - t0) / 1000000))
  if [ "$rc" = 0 ]; then
    not_ok "$desc: succeeded against a mute server"
  elif [ "$ms" -ge "$BOUND_MS" ]; then
    not_ok "$desc: ended after $ms ms (exit $rc), not at the signal (setup deadline ${SETUP_S} s)"
  elif [ "$rc" = 124 ] || [ "$rc" = 130 ] || grep -q "Interrupted" "$TMP/err"; then
    ok "$desc: ended by the signal after $ms ms (exit $rc)"
  else
    not_ok "$desc: exit $rc after $ms ms: $(head -2 "$TMP/err")"
  fi
}

check "mount (setup_timeout $SETUP_S s)" mount_bg "$MNT" --set setup_timeout=$SETUP_S \
  --set request_timeout=60
eq "no operation canceled yet" 0 "$(stat_of "$MNT" ops_canceled)"
# The share's root is a lookup of "data" under the host mutefs.
interrupted "stat of a share on the mute server (lookup)" stat "$MNT/mutefs/data"
interrupted "cat of a file through a DFS link to it" cat "$MNT/dfsroot/dfs/mutelinks/L000/hello.txt"
interrupted "ls through another link" ls "$MNT/dfsroot/dfs/mutelinks/L001/"
# A handled signal: the program lives on and sees the errno (the kernel
# passes the daemon's EINTR on; perl does not restart the call).
for path in "$MNT/mutefs/data" "$MNT/dfsroot/dfs/mutelinks/L002/hello.txt"; do
  t0=$(date +%s%N)
  got=$(timeout 30 perl -e '$SIG{ALRM} = sub {}; alarm 2;
    print stat($ARGV[0]) ? "ok" : "$!"' "$path" 2>&1)
  ms=$((($(date +%s%N) - t0) / 1000000))
  eq "stat(2) of ${path#"$MNT"/} with SIGALRM handled fails with EINTR" \
    "Interrupted system call" "$got"
  if [ "$ms" -lt "$BOUND_MS" ]; then ok "after $ms ms"; else not_ok "after $ms ms"; fi
done
i=$(stat_of "$MNT" mount_interrupts)
check "the mount counted the interrupts (mount_interrupts $i)" test "${i:-0}" -ge 5
eq "the mount still reads a file on a real server" "$(cat "$DFSC_TB_DATA_DIR/hello.txt")" \
  "$(cat "$MNT/fs1/data/hello.txt" 2>&1)"
check "and stats one" stat "$MNT/fs1/data/big.bin"
c=$(stat_of "$MNT" ops_canceled)
if [ -n "$c" ] && [ "$c" -ge 1 ]; then
  ok ".dfsc/stats counts the canceled operations (ops_canceled $c)"
else
  not_ok ".dfsc/stats: ops_canceled is [$c], expected >= 1"
fi
# Nothing is left waiting on the mute server: the unmount is prompt.
t0=$(date +%s%N)
check "unmount" fusermount3 -u "$MNT"
check "the daemon exits" gone "$MPID" 10
ms=$((($(date +%s%N) - t0) / 1000000))
if [ "$ms" -lt "$BOUND_MS" ]; then ok "unmount took $ms ms"; else
  not_ok "unmount took $ms ms"; fi
finish
