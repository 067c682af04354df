#!/usr/bin/env bash
# dfsc mount through the real /dev/fuse: coreutils, find, rsync -a both ways
# and sha256sum through a plain share and through DFS links, checked against
# the servers' own directories; the .dfsc control files; errors; a mount
# from an fstab line; unmount by fusermount3 and by SIGTERM; a target that
# dies in the middle of a read (EIO, then the next open fails over); and an
# unmount while a request hangs on a dead server.
. "$(dirname "$0")/lib.sh"
if [ ! -c /dev/fuse ] || ! command -v fusermount3 >/dev/null; then
  echo "1..0 # SKIP no /dev/fuse or fusermount3"
  not_ok "FUSE is not available here (the mount tests need /dev/fuse)"
  finish
  exit 1
fi
# shellcheck disable=SC2206
R=($DFSC_TB_RESOLVE_ARGS)
MNT=$TMP/mnt
PIDS=()
mkdir -p "$MNT"


unmounted() { ! grep -q " $1 fuse.dfsc" /proc/mounts; }

cleanup() {
  local p
  grep " fuse.dfsc" /proc/mounts | awk '{print $2}' | grep "^$TMP/" |
    while read -r m; do fusermount3 -u -z "$m" 2>/dev/null; done
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  [ -n "${DFSC_TB_FLIP_MODEFILE:-}" ] && flip "delay 0 0"
  rm -rf "$TMP"
}
flip() {
  printf '%s\n' "$1" >"$DFSC_TB_FLIP_MODEFILE"
  kill -HUP "$(cat "$DFSC_TB_FLIP_PIDFILE")"
  sleep 0.3
}
trap cleanup EXIT

# A short reconnect timeout: the target that dies for good below fails
# the read after it (docs/reconnect.md).
check "mount in the background of this test" mount_bg "$MNT" --timeout 10 \
  -o reconnect_timeout=3000
SRV=$DFSC_TB_FS1_SCRATCH_DIR

# ---- reading -----------------------------------------------------------------
check "ls of the mount point shows .dfsc" sh -c "ls -a '$MNT' | grep -qx .dfsc"
eq "cat of a file on a plain share" "$(cat "$DFSC_TB_DATA_DIR/hello.txt")" \
  "$(cat "$MNT/fs1/data/hello.txt" 2>&1)"
check "the host appears in ls of the mount point once used" \
  sh -c "ls '$MNT' | grep -qx fs1"
check "the share appears in ls of its host" sh -c "ls '$MNT/fs1' | grep -qx data"
# A host lists its server's shares (srvsvc), used or not: the disk shares
# smbclient -L names, without the administrative ones (IPC$).
smbclient -L "//$DFSC_TB_FS2" -U "$CRED" -g 2>/dev/null | grep '^Disk|' | cut -d'|' -f2 |
  grep -v '\$$' | LC_ALL=C sort >"$TMP/fs2.shares"
eq "ls of a host never used lists its disk shares, as smbclient -L" \
  "$(cat "$TMP/fs2.shares")" "$(ls "$MNT/$DFSC_TB_FS2" 2>&1 | LC_ALL=C sort)"
eq "... and a share listed there opens" "$(cat "$DFSC_TB_DATA_DIR/hello.txt")" \
  "$(cat "$MNT/$DFSC_TB_FS2/data/hello.txt" 2>&1)"
# A server that cannot list (no RPC pipes on dfsroot2): its host lists the
# shares used through the mount, as before share listings.
eq "a host whose server cannot list: empty before use" "" \
  "$(ls "$MNT/$DFSC_TB_DFSROOT2" 2>&1)"
check "... a share of it opens" test -d "$MNT/$DFSC_TB_DFSROOT2/dfs2"
eq "... and is listed once used" "dfs2" "$(ls "$MNT/$DFSC_TB_DFSROOT2" 2>&1)"
eq "stat size of the large file" "$DFSC_TB_BIG_SIZE" "$(stat -c %s "$MNT/fs1/data/big.bin")"
eq "sha256sum of the large file on the plain share" "$DFSC_TB_BIG_SHA256" \
  "$(sha256sum "$MNT/fs1/data/big.bin" | cut -d' ' -f1)"
eq "sha256sum of the large file through a DFS link" "$DFSC_TB_BIG_SHA256" \
  "$(sha256sum "$MNT/dfsroot/dfs/single/big.bin" | cut -d' ' -f1)"
check "a DFS link is a directory" test -d "$MNT/dfsroot/dfs/single"
eq "a file through a link two levels deep" "$(cat "$DFSC_TB_DATA_DIR/hello.txt")" \
  "$(cat "$MNT/dfsroot/dfs/deep/two/levels/hello.txt" 2>&1)"
eq "ls of a directory matches the server's" "$(ls "$DFSC_TB_DATA_DIR/many" | head -50)" \
  "$(ls "$MNT/fs1/data/many" | head -50)"
eq "find counts what the server has" "$(find "$DFSC_TB_DATA_DIR/many" | wc -l)" \
  "$(find "$MNT/fs1/data/many" | wc -l)"
eq "non-ASCII names" "$(cat "$DFSC_TB_DATA_DIR/Grüße.txt")" "$(cat "$MNT/fs1/data/Grüße.txt")"
check "df works on a share" df "$MNT/fs1/data"

# ---- errors ----------------------------------------------------------------------
check_fail "a missing file is ENOENT" "No such file" cat "$MNT/fs1/data/no-such-file"
check_fail "a missing share is ENOENT" "No such file" ls "$MNT/fs1/no-such-share"
check_fail "hosts and shares cannot be created" "Operation not permitted|Permission denied" \
  mkdir "$MNT/fs1/newshare"
check_fail "writing to .dfsc/stats is refused" "Permission denied" \
  bash -c "echo x > '$MNT/.dfsc/stats'"

# ---- writing: coreutils on a plain share and through a DFS link ----------------------
for via in "fs1/scratch" "dfsroot/dfs/scratchlink"; do
  [ -d "$MNT/$via" ] || continue
  W=$MNT/$via/mnt-$RUN
  check "mkdir ($via)" mkdir "$W"
  check "cp a file in ($via)" cp /etc/services "$W/services"
  check "the server has the same bytes ($via)" cmp /etc/services "$SRV/mnt-$RUN/services"
  check "mv within the share ($via)" mv "$W/services" "$W/renamed"
  check "mv replaces an existing file ($via)" sh -c "cp /etc/hostname '$W/other' && mv '$W/other' '$W/renamed'"
  check "the replaced file has the new content ($via)" cmp /etc/hostname "$W/renamed"
  check "truncate ($via)" truncate -s 3 "$W/renamed"
  eq "size after truncate ($via)" 3 "$(stat -c %s "$SRV/mnt-$RUN/renamed")"
  check "touch -d sets the time ($via)" touch -d "2021-02-03 04:05:06 UTC" "$W/renamed"
  eq "the server's mtime ($via)" "2021-02-03 04:05:06" \
    "$(TZ=UTC stat -c %y "$SRV/mnt-$RUN/renamed" | cut -c1-19)"
  check "append with >> ($via)" sh -c "echo one > '$W/log' && echo two >> '$W/log'"
  eq "appended content ($via)" "one
two" "$(cat "$SRV/mnt-$RUN/log")"
  # tar x sets each file's times through its descriptor (futimens) before
  # close: they reach the server through that handle before its CLOSE,
  # one per file (mount_times_at_close), and the server keeps them.
  rm -rf "$TMP/tt" && mkdir -p "$TMP/tt/d"
  for i in 1 2 3 4 5; do
    head -c $((i * 1000)) /dev/urandom >"$TMP/tt/d/f$i"
    touch -d "2019-0$i-0$i 01:02:03 UTC" "$TMP/tt/d/f$i"
  done
  tar cf "$TMP/tt.tar" -C "$TMP/tt" d
  t0=$(awk '$1 == "mount_times_at_close" {print $2}' "$MNT/.dfsc/stats")
  check "tar x ($via)" tar xf "$TMP/tt.tar" -C "$W"
  # The kernel sends RELEASE after close(2) returns: at most 5 s for them.
  for _ in $(seq 1 100); do
    t1=$(awk '$1 == "mount_times_at_close" {print $2}' "$MNT/.dfsc/stats")
    [ $((${t1:-0} - ${t0:-0})) -ge 5 ] && break
    sleep 0.05
  done
  for i in 1 2 3 4 5; do
    want=$(TZ=UTC stat -c %y "$TMP/tt/d/f$i" | cut -c1-19)
    if [ "$i" = 1 ] || [ "$i" = 5 ]; then
      eq "tar x: the server's mtime of f$i ($via)" "$want" \
        "$(TZ=UTC stat -c %y "$SRV/mnt-$RUN/d/f$i" | cut -c1-19)"
      eq "tar x: the mount's mtime of f$i ($via)" "$want" \
        "$(TZ=UTC stat -c %y "$W/d/f$i" | cut -c1-19)"
    fi
  done
  check "tar x: the bytes ($via)" diff -r "$TMP/tt/d" "$SRV/mnt-$RUN/d"
  eq "tar x: each file's times went with its last close ($via)" 5 "$((${t1:-0} - ${t0:-0}))"
  rm -rf "$W/d"
  # rsync -a of a tree in and out again.
  rm -rf "$TMP/tree" "$TMP/back"
  mkdir -p "$TMP/tree/a/b" "$TMP/tree/c"
  head -c 3000000 /dev/urandom >"$TMP/tree/a/b/rand.bin"
  echo x >"$TMP/tree/c/x.txt"
  : >"$TMP/tree/empty"
  check "rsync -a into the mount ($via)" rsync -a "$TMP/tree/" "$W/tree/"
  check "the server's tree matches ($via)" diff -r "$TMP/tree" "$SRV/mnt-$RUN/tree"
  check "rsync -a out of the mount ($via)" rsync -a "$W/tree/" "$TMP/back/"
  check "the copy back matches ($via)" diff -r "$TMP/tree" "$TMP/back"
  eq "rsync keeps mtimes ($via)" "$(stat -c %Y "$TMP/tree/a/b/rand.bin")" \
    "$(stat -c %Y "$TMP/back/a/b/rand.bin")"
  check "rm -r ($via)" rm -r "$W/tree" "$W/log"
  check "rm ($via)" rm "$W/renamed"
  check "rmdir ($via)" rmdir "$W"
  check "the server no longer has it ($via)" test ! -e "$SRV/mnt-$RUN"
  VIA_DONE="${VIA_DONE:-}$via;"
done
case "${VIA_DONE:-}" in *dfsroot*) ok "writes went through a DFS link too" ;;
  *) not_ok "no writable DFS link to scratch (dfsroot/dfs/scratchlink)" ;; esac

# ---- POSIX details -----------------------------------------------------------------
P=$MNT/fs1/scratch/posix-$RUN
check "mkdir for the POSIX checks" mkdir "$P"
cat >"$TMP/unlink_open.py" <<'PY'
import os, sys
d = sys.argv[1]
p = os.path.join(d, "open-then-unlinked")
fd = os.open(p, os.O_RDWR | os.O_CREAT, 0o644)
os.write(fd, b"still here")
os.unlink(p)
assert not os.path.exists(p), "the name is gone at once"
assert os.fstat(fd).st_size == 10, "fstat of the unlinked file works"
os.lseek(fd, 0, 0)
assert os.read(fd, 100) == b"still here", "reading it back works"
fd2 = os.open(p, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)  # the name is free
os.close(fd2)
os.unlink(p)
os.close(fd)
# A directory handle opened before a change must not bring the name back.
os.mkdir(os.path.join(d, "zz"))
dfd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
os.rmdir(os.path.join(d, "zz"))
os.listdir(dfd)
assert not os.path.exists(os.path.join(d, "zz")), "a stale listing brought zz back"
os.mkdir(os.path.join(d, "zz"))
os.rmdir(os.path.join(d, "zz"))
os.close(dfd)
PY
check "unlink of an open file; a listing older than a change" python3 "$TMP/unlink_open.py" "$P"
check "the unlinked file is gone from the server after the last close" \
  sh -c "sleep 0.5; [ -z \"\$(ls -A '$SRV/posix-$RUN')\" ]"
check_fail "a name with a backslash is refused" "Invalid argument" touch "$P/a\\b"
check "rmdir after the POSIX checks" rmdir "$P"

# ---- the control files -------------------------------------------------------------
check ".dfsc/cache lists the link used" grep -q 'link \\dfsroot\\dfs\\single' "$MNT/.dfsc/cache"
check ".dfsc/stats counts referrals" sh -c "grep -E '^referrals_sent +[1-9]' '$MNT/.dfsc/stats'"
check "echo flush > .dfsc/cache" sh -c "echo flush > '$MNT/.dfsc/cache'"
check "the cache is empty after flush" grep -q "referral cache: 0 entries" "$MNT/.dfsc/cache"
check_fail "anything else written to .dfsc/cache is refused" "Invalid argument" \
  bash -c "echo nonsense > '$MNT/.dfsc/cache'"

# ---- a target dying mid-read: EIO, then the next open fails over --------------------
if [ -n "${DFSC_TB_FLIP_MODEFILE:-}" ]; then
  flip "delay 0 0"
  check "flush the cache before the failover run" sh -c "echo flush > '$MNT/.dfsc/cache'"
  # Slowed so that the read is still under way when the target dies for
  # good (its connections reset, new ones refused): after the reconnect
  # timeout the read fails with EIO. (A target that only resets, and
  # comes back, is read through: t_mount_reconnect.)
  flip "delay 0 20"
  (timeout 120 sha256sum "$MNT/dfsroot/dfs/switch/big.bin" >"$TMP/mid.out" 2>&1
    echo $? >"$TMP/mid.rc") &
  mid=$!
  sleep 1.5
  flip refuse
  flip cut
  t0=$(date +%s)
  wait "$mid"
  el=$(($(date +%s) - t0))
  out=$(cat "$TMP/mid.out")
  case "$out" in
    *"Input/output error"*) ok "a target that dies mid-read gives EIO" ;;
    *) not_ok "a target that dies mid-read gives EIO (rc $(cat "$TMP/mid.rc"): $out)" ;;
  esac
  [ "$el" -le 15 ] && ok "after the reconnect timeout, not a hang (${el} s)" ||
    not_ok "after the reconnect timeout, not a hang (${el} s)"
  eq "the next open fails over to the other target" "$DFSC_TB_BIG_SHA256" \
    "$(timeout 120 sha256sum "$MNT/dfsroot/dfs/switch/big.bin" 2>&1 | cut -d' ' -f1)"
  flip "delay 0 0"
else
  not_ok "the testbed has no switchable relay for the failover check"
fi

# ---- unmount ----------------------------------------------------------------------
check "fusermount3 -u unmounts" fusermount3 -u "$MNT"
check "the daemon exits after fusermount3 -u" gone "$MPID" 10
check "the mount is gone" unmounted "$MNT"

# -o: owner, modes, read-only; any dfsc.conf key.
check "mount with -o ro,uid,gid,file_mode,dir_mode" mount_bg "$MNT" --timeout 30 \
  -o ro,uid=1234,gid=2345,file_mode=0600,dir_mode=0700,attr_timeout=5,max_connects=2
eq "owner, group and mode of a file (ro drops the write bits)" "1234 2345 400" \
  "$(stat -c '%u %g %a' "$MNT/fs1/data/hello.txt")"
eq "mode of a directory (ro drops the write bits)" "500" "$(stat -c '%a' "$MNT/fs1/data/a")"
check_fail "a read-only mount refuses writes" "Read-only file system" \
  touch "$MNT/fs1/scratch/ro-$RUN"
check_fail "an unknown -o option is refused" "unknown option|refused the options" \
  "$DFSC" mount "$TMP/nowhere" -o no_such_option_x
kill -TERM "$MPID"
check "SIGTERM ends the daemon" gone "$MPID" 10
check "SIGTERM unmounts" unmounted "$MNT"

# A request hanging on a server that accepts and never answers: SIGTERM
# ends the daemon at once, and the waiting program gets an error.
# mount_hung TIMEOUT: mounts again and leaves a reader ($hang) waiting on
# the hung server.
mount_hung() {
  check "mount again" mount_bg "$MNT" --timeout "$1"
  (cat "$MNT/hangfs/data/hello.txt" >/dev/null 2>&1) &
  hang=$!
  sleep 1
  check "the reader is waiting on the hung server" kill -0 "$hang"
}
mount_hung 60
kill -TERM "$MPID"
check "SIGTERM ends the daemon with a request hanging" gone "$MPID" 10
check "the waiting reader is released" gone "$hang" 10
check "and the mount is gone" unmounted "$MNT"

# fusermount3 -u -z with a request hanging: the mount point is free at
# once; the kernel keeps the connection until the request ends (here at
# the 5 s setup deadline), then the daemon exits by itself.
mount_hung 5
check "fusermount3 -u -z succeeds with a request hanging" timeout 10 fusermount3 -u -z "$MNT"
check "the mount point is free at once" unmounted "$MNT"
check "the waiting reader ends by the deadline" gone "$hang" 20
check "then the daemon exits" gone "$MPID" 20

# ---- /etc/fstab -------------------------------------------------------------------------
# mount(8) runs "PROGRAM mount MOUNTPOINT -o OPTIONS" through mount.fuse3:
# with type fuse.dfsc the program is `dfsc` from the default PATH; with
# type fuse and source PROGRAM#mount, as here, any path to the binary.
if command -v mount.fuse3 >/dev/null; then
  cat >"$TMP/fstab" <<EOF
$(readlink -f "$DFSC")#mount $MNT fuse credentials=$DFSC_TB_AUTHFILE,attr_timeout=2,request_timeout=20,_netdev,noauto 0 0
EOF
  if [ "${DFSC_VALGRIND:-0}" = 1 ]; then
    ok "fstab: skipped under valgrind (mount(8) runs the binary itself)"
  else
    check "mount -T FSTAB MOUNTPOINT" mount -T "$TMP/fstab" "$MNT"
    eq "a file through the fstab mount" "$(cat "$DFSC_TB_DATA_DIR/hello.txt")" \
      "$(cat "$MNT/127.0.0.11/data/hello.txt" 2>&1)"
    check "umount MOUNTPOINT" umount "$MNT"
    check "the fstab mount is gone" unmounted "$MNT"
  fi
else
  not_ok "mount.fuse3 is missing (package fuse3)"
fi
finish
