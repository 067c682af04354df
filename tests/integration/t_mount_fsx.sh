#!/usr/bin/env bash
# Random file operations through the mount, checked byte for byte: the
# CI-sized form of issue 14's fsx runs (scripts/fsx runs xfstests' fsx
# itself, which Debian does not package). fsxcheck.py (ours) does
# DFSC_FSX_OPS (default 20,000) seeded random pwrite, pread, ftruncate up
# and down, mmap reads, mmap writes with msync, fsync and close+reopen on
# one file of at most 256 KiB, checks every read and the size against a
# model of the file's bytes, and at the end the file the server stores:
#   - on fs1's scratch share (a plain share);
#   - through \dfsroot\dfs\scratchlink, a DFS link to the same share;
#   - and once with one byte of its model flipped (FSXCHECK_FLIP), a short
#     run that must fail: the checks can see a difference.
# A run is bounded at 500 s (about 15 s on an idle machine, 25 s under
# TSan); no speed is asserted. On a mismatch the output has the seed, the
# operation and the last 40 operations; DFSC_FSX_SEED=S replays one.
. "$(dirname "$0")/lib.sh"
need_fuse
# shellcheck disable=SC2206
R=($DFSC_TB_RESOLVE_ARGS)
MNT=$TMP/mnt
PIDS=()
mkdir -p "$MNT"
SRV=$DFSC_TB_FS1_SCRATCH_DIR
D=fsx-$RUN
FSXCHECK=$(dirname "$0")/fsxcheck.py
# Under memcheck (scripts/valgrind) the daemon is many times slower: a
# tenth of the operations, unless DFSC_FSX_OPS says otherwise.
if [ "${DFSC_VALGRIND:-0}" = 1 ]; then OPS=${DFSC_FSX_OPS:-2000}; else OPS=${DFSC_FSX_OPS:-20000}; fi
seed=()
[ -n "${DFSC_FSX_SEED:-}" ] && seed=(--seed "$DFSC_FSX_SEED")

cleanup() {
  local p
  grep " fuse.dfsc" /proc/mounts | awk '{print $2}' | grep "^$TMP/" |
    while read -r m; do fusermount3 -u -z "$m" 2>/dev/null; done
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "${SRV:?}/$D"
  rm -rf "$TMP"
}
trap cleanup EXIT

# exercise DESC FILE SERVER_COPY: one fsxcheck run of $OPS operations.
exercise() {
  local out=$TMP/fsxcheck.out rc
  env -u FSXCHECK_FLIP timeout 500 python3 "$FSXCHECK" "$2" --ops "$OPS" \
    --server-copy "$3" ${seed[@]+"${seed[@]}"} >"$out" 2>&1
  rc=$?
  if [ $rc = 0 ] && tail -n 1 "$out" | grep -q "^fsxcheck: $OPS operations ok"; then
    ok "$1: $(tail -n 1 "$out" | sed 's/^fsxcheck: [0-9]* operations //; s/;.*//')"
  else
    case $rc in 124) not_ok "$1: not done within 500 s" ;; *) not_ok "$1 (exit $rc)" ;; esac
    sed 's/^/#   /' "$out" | head -60
  fi
}

check "mount" mount_bg "$MNT" --timeout 10
check "mkdir of the test directory" mkdir "$MNT/fs1/scratch/$D"

exercise "$OPS random operations on a plain share" \
  "$MNT/fs1/scratch/$D/plain" "$SRV/$D/plain"
exercise "$OPS random operations through a DFS link" \
  "$MNT/dfsroot/dfs/scratchlink/$D/link" "$SRV/$D/link"

# The checker's own check: a flipped byte of the model must be reported.
FSXCHECK_FLIP=300 timeout 120 python3 "$FSXCHECK" "$MNT/fs1/scratch/$D/flip" --ops 1000 \
  >"$TMP/flip.out" 2>&1
eq "with one byte of its model flipped the exerciser fails and says so" \
  "1 1" "$? $(grep -c '^fsxcheck: FAILED at operation .*FSXCHECK_FLIP' "$TMP/flip.out")"

check "fusermount3 -u unmounts" fusermount3 -u "$MNT"
check "the daemon exits" gone "$MPID" 10
finish
