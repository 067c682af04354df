#!/usr/bin/env bash
# An operation whose answer is lost with the connection is settled, not
# guessed: mkdir, rename, unlink and rmdir through the mount on
# //durrelay/scratch, each cut by a reset of every connection after the
# server has carried it out (its effect is watched on the server's disk)
# and before its answer arrives (the relay holds answers back 800 ms). The
# program must see success, the server's disk must show the operation done
# once, and .dfsc/stats must count each one in ops_settled. Before this,
# each failed with EHOSTDOWN although it had taken effect.
. "$(dirname "$0")/lib.sh"
missing=
for v in DURRELAY DURFS_SCRATCH_DIR; do
  f="DFSC_TB_$v"
  [ -n "${!f:-}" ] || missing="$missing $f"
done
if [ -n "$missing" ] || [ ! -c /dev/fuse ]; then
  not_ok "the testbed's env file lacks:$missing (or no /dev/fuse)"
  finish
  exit 1
fi
exec 9>>"$DFSC_TB_DIR/proxy/durrelay/test.lock"
flock -w 300 9 || echo "# warning: durrelay's test lock not had in 300 s; going on without it"

# shellcheck disable=SC2206
R=($DFSC_TB_RESOLVE_ARGS)
MNT=$TMP/mnt
SRV=$DFSC_TB_DURFS_SCRATCH_DIR
D=st-$RUN
PIDS=()
mkdir -p "$MNT"
cleanup() {
  tb_proxy_ctl durrelay forward >/dev/null 2>&1
  unmount_all
  rm -rf "${SRV:?}/$D"
  rm -rf "$TMP"
}
trap cleanup EXIT
settled() { awk '$1 == "ops_settled" { print $2 }' "$MNT/.dfsc/stats" 2>/dev/null; }

check "the relay forwards" tb_proxy_ctl durrelay forward
check "mount" mount_bg "$MNT" -v --timeout 10 -o reconnect_timeout=20000
W=$MNT/durrelay/scratch/$D
check "mkdir of the test directory" mkdir "$W"
touch "$W/file" "$W/old"
mkdir "$W/gone"

# slow: the next connection's answers come 800 ms late; one is made now (a
# cut, then a listing) and the relay forwards new connections at once again.
slow() {
  tb_proxy_ctl durrelay "delay 0 800" &&
    tb_proxy_ctl durrelay cut &&
    ls "$W" >/dev/null &&
    tb_proxy_ctl durrelay forward
}

# cut_after DESC CONDITION CMD...: runs CMD in the background, cuts every
# connection as soon as CONDITION (a shell test on the server's disk) holds,
# and checks that CMD succeeds.
cut_after() {
  local desc=$1 cond=$2 pid i rc
  shift 2
  if ! slow; then
    not_ok "$desc: the relay could not be slowed"
    return
  fi
  "$@" 2>"$TMP/cmd.err" &
  pid=$!
  for i in $(seq 1000); do
    eval "$cond" && break
    sleep 0.01
  done
  if ! eval "$cond"; then
    not_ok "$desc: the server never showed it done"
    wait "$pid"
    return
  fi
  tb_proxy_ctl durrelay cut >/dev/null
  wait "$pid"
  rc=$?
  if [ "$rc" = 0 ]; then
    ok "$desc: the program sees success"
  else
    not_ok "$desc: exit $rc: $(cat "$TMP/cmd.err")"
  fi
}

n0=$(settled)
cut_after "mkdir cut after the server made it" "[ -d '$SRV/$D/made' ]" mkdir "$W/made"
cut_after "rename cut after the server did it" "[ -e '$SRV/$D/new' ]" mv "$W/old" "$W/new"
cut_after "unlink cut after the server did it" "[ ! -e '$SRV/$D/file' ]" rm "$W/file"
cut_after "rmdir cut after the server did it" "[ ! -e '$SRV/$D/gone' ]" rmdir "$W/gone"
eq "the server's directory shows each done once" "made new" \
  "$(ls "$SRV/$D" | tr '\n' ' ' | sed 's/ $//')"
n1=$(settled)
if [ -n "$n0" ] && [ -n "$n1" ] && [ $((n1 - n0)) -ge 4 ]; then
  ok ".dfsc/stats counts the four in ops_settled ($n0 -> $n1)"
else
  not_ok ".dfsc/stats counts the four in ops_settled ($n0 -> $n1)"
  grep -i "settle\|lost\|shows it done\|doing it now" "$TMP/mount.log" | tail -n 20 | sed 's/^/#   log: /'
fi
grep -q "the server shows it done" "$TMP/mount.log" &&
  ok "the daemon logged the settling" || not_ok "the daemon logged the settling"

check "fusermount3 -u unmounts" fusermount3 -u "$MNT"
finish
