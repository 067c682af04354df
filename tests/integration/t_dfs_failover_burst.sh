#!/usr/bin/env bash
# A burst of first-time accesses under a link whose first targets are dead
# ([dead, live] `failover`, [dead, dead, live] `failover3`): 200 concurrent
# stats from one process (-j 200, one context), every one must succeed
# within the deadline. Failures on one dead target must move the link's
# hint once, not once per walk: walks that failed together used to push it
# on twice, back onto the dead target, and half of such a burst failed with
# "Connection refused". --stats counts the hint moves: exactly one per dead
# target.
. "$(dirname "$0")/lib.sh"
# shellcheck disable=SC2206
R=($DFSC_TB_RESOLVE_ARGS)
N=${DFSC_FAILOVER_BURST:-200}
BOUND_S=60

for spec in failover:1 failover3:2; do
  link=${spec%%:*}
  dead=${spec#*:}
  : >"$TMP/paths"
  for _ in $(seq "$N"); do echo "//dfsroot/dfs/$link/hello.txt" >>"$TMP/paths"; done
  t0=$(date +%s)
  "$DFSC" -U "$CRED" "${R[@]}" --timeout 20 -j "$N" -T "$TMP/paths" --stats --json stat \
    >"$TMP/out" 2>"$TMP/err"
  rc=$?
  secs=$(($(date +%s) - t0))
  eq "$link: $N concurrent first-time stats all succeed" "0 0" \
    "$rc $(grep -c '^dfsc: ' "$TMP/err")"
  [ "$rc" = 0 ] || sed 's/^/#   /' "$TMP/err" | sort | uniq -c | head -5
  [ "$secs" -lt "$BOUND_S" ] && ok "$link: within ${BOUND_S} s (${secs} s)" ||
    not_ok "$link: took ${secs} s"
  # --stats --json: the counters, one JSON line on stderr.
  python3 - "$TMP/err" "$dead" <<'PY' >"$TMP/chk" 2>&1
import json, sys
path, dead = sys.argv[1], int(sys.argv[2])
stats = [json.loads(l) for l in open(path) if l.startswith("{")]
assert stats and "failovers" in stats[-1], "no --stats object on stderr"
f = stats[-1]["failovers"]
assert f == dead, "failovers %d, want %d (one hint move per dead target)" % (f, dead)
print("failovers", f)
PY
  if [ $? = 0 ]; then ok "$link: the hint moved $dead time(s) in all"; else
    not_ok "$link: hint moves"; sed 's/^/#   /' "$TMP/chk"; fi
done

# Through the mount: $N processes, each a first-time file under the
# [dead, dead, live] link (a fresh mount, so nothing is cached).
if [ -c /dev/fuse ] && command -v fusermount3 >/dev/null; then
  MNT=$TMP/mnt
  PIDS=()
  mkdir -p "$MNT"
  trap 'fusermount3 -u -z "$MNT" 2>/dev/null; for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT
  if mount_bg "$MNT" --timeout 20; then
    ok "mounted"
    readers=()
    for i in $(seq "$N"); do
      f=$(printf 'f%05d' "$i")
      (cmp -s "$MNT/dfsroot/dfs/failover3/many/$f" "$DFSC_TB_DIR/data/many/$f" &&
        echo ok >"$TMP/m.$i") &
      readers+=("$!")
    done
    wait "${readers[@]}"
    eq "mount: $N concurrent first-time reads under [dead, dead, live]" "$N" \
      "$(cat "$TMP"/m.* 2>/dev/null | wc -l)"
    fusermount3 -u "$MNT" && gone "$MPID" 10 && ok "unmounted" || not_ok "unmount"
  else
    not_ok "mount"
  fi
fi
finish
