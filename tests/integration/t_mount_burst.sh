#!/usr/bin/env bash
# The KB scenario through the mount: 512 processes each cat a file under a
# different uncached DFS link (dfsroot's burst\L000..L511) at the same time.
# Every link's target sits behind a relay adding 25 ms each way, FUSE runs
# one thread (-s), and the library gets one lookup worker, one connection
# setup and one referral in flight. All must complete with the right bytes
# and none may hang (each has a generous deadline; progress, not speed).
# The kernel sends the lookups of burst's links in parallel: the daemon
# grants FUSE_PARALLEL_DIROPS (through libfuse's custom io on Debian's
# libfuse 3.14), and more than one lookup in that one directory was at the
# server at once (mount_lookups_dir_hwm).
. "$(dirname "$0")/lib.sh"
: "${DFSC_TB_BURST_LINKS:?the testbed has no burst links}"
if [ ! -c /dev/fuse ]; then
  not_ok "FUSE is not available here (/dev/fuse)"
  finish
  exit 1
fi
# shellcheck disable=SC2206
R=($DFSC_TB_RESOLVE_ARGS)
N=512
[ "$DFSC_TB_BURST_LINKS" -ge "$N" ] || N=$DFSC_TB_BURST_LINKS
MNT=$TMP/mnt
mkdir -p "$MNT" "$TMP/res"
MPID=
cleanup() {
  grep -q " $MNT fuse.dfsc" /proc/mounts && fusermount3 -u -z "$MNT"
  [ -n "$MPID" ] && kill "$MPID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

"$DFSC" "${R[@]}" -A "$DFSC_TB_AUTHFILE" --timeout 120 \
  mount "$MNT" -f -s -o workers=1,max_connects=1,max_referrals=1 >"$TMP/mount.log" 2>&1 &
MPID=$!
for _ in $(seq 100); do grep -q " $MNT fuse.dfsc" /proc/mounts && break; sleep 0.1; done
check "mounted with one FUSE thread" grep -q " $MNT fuse.dfsc" /proc/mounts

start=$(date +%s%N)
pids=()
for i in $(seq 0 $((N - 1))); do
  l=$(printf 'L%03d' "$i")
  timeout 300 cat "$MNT/dfsroot/dfs/burst/$l/hello.txt" >"$TMP/res/$l" 2>"$TMP/res/$l.err" &
  pids+=($!)
done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
end=$(date +%s%N)
echo "# $N processes done in $(((end - start) / 1000000)) ms"
eq "every process succeeded" 0 "$fails"
want=$(cat "$DFSC_TB_DATA_DIR/hello.txt")
bad=0
for f in "$TMP"/res/L*; do
  case "$f" in *.err) continue ;; esac
  [ "$(cat "$f")" = "$want" ] || bad=$((bad + 1))
done
eq "every process read the right bytes" 0 "$bad"
cat "$TMP"/res/*.err | sort | uniq -c | head -5 | sed 's/^/# /'
eq "the cache holds one entry per link, plus the root" "$((N + 1))" \
  "$(grep -c '^  \(link\|root\) ' "$MNT/.dfsc/cache")"
grep -E '^(referrals_sent|referrals_coalesced|conn_setups_started|conn_setups_queued|deadlines_hit) ' \
  "$MNT/.dfsc/stats" | sed 's/^/# /'
eq "no deadline was hit" 0 "$(awk '$1 == "deadlines_hit" {print $2}' "$MNT/.dfsc/stats")"
eq "the kernel was granted parallel lookups" 1 \
  "$(awk '$1 == "mount_parallel_dirops" {print $2}' "$MNT/.dfsc/stats")"
hwm=$(awk '$1 == "mount_lookups_dir_hwm" {print $2}' "$MNT/.dfsc/stats")
if [ -n "$hwm" ] && [ "$hwm" -ge 2 ]; then
  ok "lookups in one directory ran in parallel: up to $hwm at once"
else
  not_ok "lookups in one directory ran in parallel: mount_lookups_dir_hwm [$hwm]"
fi
check "unmount" fusermount3 -u "$MNT"
for _ in $(seq 100); do kill -0 "$MPID" 2>/dev/null || break; sleep 0.1; done
check "the daemon exited" sh -c "! kill -0 $MPID 2>/dev/null"
finish
