#!/usr/bin/env bash
# An allow_other mount shared with other local users (docs/mount.md, "What
# another local user can do"): a second user cannot make the daemon reach a
# server that was not named at mount time (a fake server watches for any
# connection), but can use the hosts named with -o hosts= and DFS links
# through them; -o open_hosts switches the check off (and the same lookup
# then does reach the fake server). Names the mounting user made known,
# with attributes fresh for an hour, are still checked for another user.
# The listing budget: EMFILE past the handles a uid may hold, ENOMEM past
# its bytes or the total, memory given back at close, one uid's use not
# counted against another; past the listings a uid may have in flight an
# opendir waits (all of a burst succeed), EAGAIN only past the bounded
# FIFO, EINTR when interrupted, ESHUTDOWN at unmount; the mounting user
# never waits. The daemon is
# not dumpable when it holds a password and keeps no copy of it in its
# environment. Log lines escape control characters in names.
# Needs root (useradd, a listener on port 445, allow_other) and /dev/fuse.
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
if [ ! -c /dev/fuse ] || ! command -v fusermount3 >/dev/null; then
  not_ok "FUSE is not available here (the mount tests need /dev/fuse)"
  finish
  exit 1
fi
if [ "$(id -u)" != 0 ] || ! command -v useradd >/dev/null || ! command -v setpriv >/dev/null; then
  not_ok "needs root, useradd and setpriv (util-linux)"
  finish
  exit 1
fi
# shellcheck disable=SC2206
R=($DFSC_TB_RESOLVE_ARGS)
EVIL=127.0.0.77 # no testbed server lives here
MNT=$TMP/mnt
PIDS=()
USERS_MADE=()
# Other users must reach the mount point and the helpers.
chmod 0711 "$TMP"
mkdir -p "$MNT"
cp "$HERE/conn_watch.py" "$HERE/dir_hold.py" "$TMP/"
chmod 0644 "$TMP/conn_watch.py" "$TMP/dir_hold.py"

cleanup() {
  local p u
  grep " fuse.dfsc" /proc/mounts | awk '{print $2}' | grep "^$TMP/" |
    while read -r m; do fusermount3 -u -z "$m" 2>/dev/null; done
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for u in "${USERS_MADE[@]}"; do userdel "$u" 2>/dev/null; done
  rm -rf "$TMP"
}
trap cleanup EXIT

# A local user for this run: the name of an existing one is reused only if
# this run created it (never an account it did not make).
make_user() {
  local name=$1
  if id "$name" >/dev/null 2>&1; then
    echo "user $name exists already" >&2
    return 1
  fi
  useradd -M -N -s /usr/sbin/nologin -d /nonexistent "$name" || return 1
  USERS_MADE+=("$name")
}
B=dfscb$$
C=dfscc$$
check "create a second local user" make_user "$B"
check "create a third local user" make_user "$C"
B_UID=$(id -u "$B")
C_UID=$(id -u "$C")
G=$(id -g "$B")
# as UID CMD...: runs CMD as that user, with no supplementary groups.
as() {
  local uid=$1
  shift
  setpriv --reuid="$uid" --regid="$G" --clear-groups env HOME=/nonexistent "$@"
}

unmount() {
  fusermount3 -u "$1" && gone "$MPID" 10
}
# watch LOG SECONDS: the fake server on $EVIL:445, waited for.
watch_evil() {
  : >"$1"
  python3 "$TMP/conn_watch.py" "$EVIL" 445 "$1" "$2" >"$TMP/watch.out" 2>&1 &
  WPID=$!
  PIDS+=("$WPID")
  local i
  for i in $(seq 50); do
    grep -q ready "$TMP/watch.out" && return 0
    sleep 0.1
  done
  cat "$TMP/watch.out"
  return 1
}
stat_of() { awk -v k="$2" '$1 == k {print $2}' "$1/.dfsc/stats"; }

# ---- (a) and (b): which servers another user can reach ---------------------------------
check "the fake server listens on $EVIL:445" watch_evil "$TMP/evil.log" 120
check "mount with allow_other,hosts=fs1:dfsroot/dfs" mount_bg "$MNT" -v --timeout 10 \
  --resolve "evil:$EVIL" -o allow_other,hosts=fs1:dfsroot/dfs
check_fail "another user cannot name a new host (ls MOUNT/evil/share)" "Permission denied" \
  as "$B_UID" ls "$MNT/evil/share"
check_fail "nor stat it" "Permission denied" as "$B_UID" stat "$MNT/evil"
check_fail "nor a testbed host not in hosts= (fs2)" "Permission denied" \
  as "$B_UID" cat "$MNT/fs2/data/hello.txt"
check_fail "nor a share of an allowed host that hosts= does not name (dfsroot/scratch)" \
  "Permission denied" as "$B_UID" ls "$MNT/dfsroot/scratch"
sleep 0.5
eq "the fake server saw no connection" 0 "$(wc -l <"$TMP/evil.log")"
eq "another user reads a file on an allowed host" "$(cat "$DFSC_TB_DATA_DIR/hello.txt")" \
  "$(as "$B_UID" cat "$MNT/fs1/data/hello.txt" 2>&1)"
eq "and through a DFS link of the allowed namespace" "$(cat "$DFSC_TB_DATA_DIR/hello.txt")" \
  "$(as "$B_UID" cat "$MNT/dfsroot/dfs/single/hello.txt" 2>&1)"
eq "a link whose target (fs2) is not in hosts= works too" \
  "$(cat "$DFSC_TB_DATA_DIR/hello.txt")" \
  "$(as "$B_UID" cat "$MNT/dfsroot/dfs/deep/two/levels/hello.txt" 2>&1)"
eq "another user lists an allowed share" "$(ls "$DFSC_TB_DATA_DIR/a")" \
  "$(as "$B_UID" ls "$MNT/fs1/data/a" 2>&1)"
# The mounting user may name new hosts (it could run dfsc itself); what it
# reached stays closed to the others, though the kernel now knows the name.
eq "the mounting user reaches a host not in hosts= (fs3)" \
  "$(cat "$DFSC_TB_DATA_DIR/hello.txt")" "$(cat "$MNT/fs3/data/hello.txt" 2>&1)"
check_fail "what it reached stays closed to another user" "Permission denied" \
  as "$B_UID" cat "$MNT/fs3/data/hello.txt"
check_fail "also for a share the mounting user has not opened" "Permission denied" \
  as "$B_UID" ls "$MNT/fs3/scratch"
# A name with a C1 control (U+009B, CSI on an 8-bit terminal): refused, and
# written escaped in the daemon's log.
CSI=$(printf 'ev\302\233il')
check_fail "a host name with a C1 control is refused too" "Permission denied" \
  as "$B_UID" ls "$MNT/$CSI"
check "the daemon's log shows it escaped" grep -qF 'may not name host ev\u009bil' \
  "$TMP/mount.log"
check "and never raw" sh -c "! grep -q \"\$(printf '\\302\\233')\" '$TMP/mount.log'"
n=$(stat_of "$MNT" mount_hosts_refused)
check "the refusals are counted in .dfsc/stats ($n)" test "${n:-0}" -ge 6
# Any local user can cause refusals at will: their log lines are
# rate-limited (10 a second, then a count), the counter counts them all.
n0=$(stat_of "$MNT" mount_hosts_refused)
l0=$(grep -c "may not" "$TMP/mount.log")
as "$B_UID" python3 -c '
import os, sys
for i in range(300):
    try:
        os.stat(sys.argv[1])
    except OSError:
        pass' "$MNT/evil"
sleep 1.1
as "$B_UID" stat "$MNT/evil" >/dev/null 2>&1
n=$(stat_of "$MNT" mount_hosts_refused)
l=$(grep -c "may not" "$TMP/mount.log")
check "301 refused lookups are counted ($n0 -> $n)" test "$((n - n0))" -ge 301
check "but at most 10 lines a second reach the log ($((l - l0)) lines)" \
  test "$((l - l0))" -le 40
check "then a line with the number left out" grep -qE "[0-9]+ refusal lines not shown" \
  "$TMP/mount.log"
sleep 0.5
eq "after all that, the fake server still saw no connection" 0 "$(wc -l <"$TMP/evil.log")"
check "unmount" unmount "$MNT"

# The same lookup with the check switched off reaches the fake server: the
# checks above can fail.
check "mount with allow_other,open_hosts" mount_bg "$MNT" --timeout 5 \
  --resolve "evil:$EVIL" -o allow_other,open_hosts
as "$B_UID" ls "$MNT/evil/share" >/dev/null 2>&1
sleep 0.5
n=$(wc -l <"$TMP/evil.log")
check "with open_hosts another user's ls MOUNT/evil/share reaches the fake server ($n)" \
  test "$n" -ge 1
check "unmount" unmount "$MNT"
kill "$WPID" 2>/dev/null

# Names the mounting user has looked up, with fresh attributes, are
# answered without the server, and still only to those who may reach the
# host. entry_timeout=2: the kernel asks the daemon again once its own
# entry for a name is 2 s old (within that it answers every user itself,
# docs/mount.md); attr_timeout=3600 keeps the daemon's attributes fresh.
check "mount with hosts=fs1,attr_timeout=3600,entry_timeout=2" mount_bg "$MNT" -v \
  -o allow_other,hosts=fs1,attr_timeout=3600,entry_timeout=2
eq "the mounting user lists a host not in hosts= (ls -l fs2/data/a)" \
  "$(ls "$DFSC_TB_DATA_DIR/a")" "$(ls -l "$MNT/fs2/data/a" 2>&1 | awk 'NR > 1 {print $NF}')"
sleep 2.3 # the kernel's entries for a's children expire; the daemon's attributes do not
# The mounting user's walk renews the kernel's entries for fs2, data and a,
# so another user's walk reaches the daemon only for the child.
check "the mounting user stats fs2/data/a again" stat "$MNT/fs2/data/a"
n0=$(stat_of "$MNT" mount_hosts_refused)
check_fail "another user's stat of a child it listed is refused" "Permission denied" \
  as "$B_UID" stat "$MNT/fs2/data/a/b"
n=$(stat_of "$MNT" mount_hosts_refused)
check "and counted ($n0 -> $n)" test "${n:-0}" -gt "${n0:-0}"
check "the daemon's log names it" grep -qF 'may not reach \\fs2\data' "$TMP/mount.log"
eq "the mounting user still stats it" "$MNT/fs2/data/a/b" "$(stat -c %n "$MNT/fs2/data/a/b" 2>&1)"
check "unmount" unmount "$MNT"

# ---- (c) the listing budget -----------------------------------------------------------
MANY=$MNT/fs1/data/many
# What one listing of `many` costs: measured, so that the budgets below
# sit between whole multiples of it whatever the entry size is.
check "mount to measure one listing" mount_bg "$MNT" -o allow_other,hosts=fs1
as "$B_UID" python3 "$TMP/dir_hold.py" "$MANY" 1 "$TMP/stop0" 20 >"$TMP/hold0" &
HPID=$!
PIDS+=("$HPID")
for i in $(seq 100); do grep -qs holding "$TMP/hold0" && break; sleep 0.1; done
ONE=$(stat_of "$MNT" mount_listing_bytes)
touch "$TMP/stop0"
gone "$HPID" 10
check "one listing of $DFSC_TB_MANY_COUNT entries is counted ($ONE bytes)" \
  test "${ONE:-0}" -gt "$DFSC_TB_MANY_COUNT"
sleep 0.3
eq "closing the handle gives the bytes back" 0 "$(stat_of "$MNT" mount_listing_bytes)"
check "unmount" unmount "$MNT"
ONE=${ONE:-100000}
PER_UID=$((ONE * 5 / 2)) # two listings fit, not three
TOTAL=$((ONE * 7 / 2))   # three fit, not four
check "mount with dir_handles_uid=6,listing_mem_uid=$PER_UID,listing_mem=$TOTAL" \
  mount_bg "$MNT" -o "allow_other,hosts=fs1,dir_handles_uid=6,listing_mem_uid=$PER_UID,listing_mem=$TOTAL"
out=$(as "$B_UID" python3 "$TMP/dir_hold.py" "$MNT/fs1/data/a" 10 2>&1)
eq "a uid holds at most dir_handles_uid directory handles, then EMFILE" "opened 6
error EMFILE" "$out"
sleep 0.3 # the kernel sends RELEASEDIR after close(2) returns
out=$(as "$B_UID" python3 "$TMP/dir_hold.py" "$MNT/fs1/data/a" 10 2>&1)
eq "closed handles count no more" "opened 6
error EMFILE" "$out"
as "$B_UID" python3 "$TMP/dir_hold.py" "$MANY" 5 "$TMP/stop1" 60 >"$TMP/hold1" &
HPID=$!
PIDS+=("$HPID")
for i in $(seq 200); do grep -qs holding "$TMP/hold1" && break; sleep 0.1; done
eq "past its bytes a uid gets ENOMEM (two listings fit)" "opened 2
error ENOMEM
holding" "$(cat "$TMP/hold1")"
out=$(as "$C_UID" python3 "$TMP/dir_hold.py" "$MANY" 1 2>&1)
eq "meanwhile another uid opens the same directory" "opened 1" "$out"
sleep 0.3
out=$(as "$C_UID" python3 "$TMP/dir_hold.py" "$MANY" 5 2>&1)
eq "but not past the total (three listings in all)" "opened 1
error ENOMEM" "$out"
sleep 0.3
out=$(as "$C_UID" python3 "$TMP/dir_hold.py" "$MNT/fs1/data/a" 10 2>&1)
eq "small listings still fit for the other uid" "opened 6
error EMFILE" "$out"
n=$(stat_of "$MNT" mount_listing_hwm)
check "the high-water mark stays within the total ($n <= $TOTAL)" \
  test "${n:-0}" -gt "$ONE" -a "${n:-0}" -le "$TOTAL"
check "EMFILE and ENOMEM are counted" sh -c "[ $(stat_of "$MNT" mount_emfile) -ge 3 ] &&
  [ $(stat_of "$MNT" mount_enomem) -ge 2 ]"
touch "$TMP/stop1"
check "the holder ends" gone "$HPID" 10
sleep 0.3
eq "releasedir gives all the memory back" 0 "$(stat_of "$MNT" mount_listing_bytes)"
out=$(as "$B_UID" python3 "$TMP/dir_hold.py" "$MANY" 5 2>&1)
eq "and the uid can hold two listings again" "opened 2
error ENOMEM" "$out"
check "unmount" unmount "$MNT"

# ---- (c2) listings in flight ----------------------------------------------------------
# The library builds a whole listing before the budget above sees it: what
# bounds that memory is how many may be in flight. Past that an opendir
# waits (most programs never retry EAGAIN) in a bounded FIFO per uid. N
# threads open one directory at once (after a barrier) and print each
# result, sorted.
cat >"$TMP/dir_burst.py" <<'PY'
import errno, os, sys, threading
d, n = sys.argv[1], int(sys.argv[2])
res, lock, bar = [], threading.Lock(), threading.Barrier(n)
def one():
    bar.wait()
    try:
        os.close(os.open(d, os.O_RDONLY | os.O_DIRECTORY))
        r = "ok"
    except OSError as e:
        r = errno.errorcode.get(e.errno, str(e.errno))
    with lock:
        res.append(r)
ts = [threading.Thread(target=one) for _ in range(n)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(" ".join(sorted(res)))
PY
# dir_wait.py DIR PIDFILE: opens DIR once; SIGUSR1 interrupts the open
# (the handler raises, so Python does not retry it). Writes its pid to
# PIDFILE (`as ... &` leaves $! to a subshell) and prints the result.
cat >"$TMP/dir_wait.py" <<'PY'
import errno, os, signal, sys
class Intr(Exception):
    pass
def handler(sig, frame):
    raise Intr()
signal.signal(signal.SIGUSR1, handler)
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write("%d\n" % os.getpid())
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
try:
    os.close(os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY))
    r = "ok"
except Intr:
    r = "interrupted"
except OSError as e:
    r = errno.errorcode.get(e.errno, str(e.errno))
print(r, flush=True)
PY
chmod 0644 "$TMP/dir_burst.py" "$TMP/dir_wait.py"
# count WORD LIST: how often WORD is in the space-separated LIST.
count() { tr ' ' '\n' <<<"$2" | grep -c "^$1\$"; }
check "mount with listings_inflight_uid=2,listings_inflight=3" mount_bg "$MNT" -v \
  -o allow_other,hosts=fs1,listings_inflight_uid=2,listings_inflight=3
as "$B_UID" python3 "$TMP/dir_burst.py" "$MANY" 8 >"$TMP/burst_b" 2>&1 &
BPID=$!
PIDS+=("$BPID")
out_c=$(as "$C_UID" python3 "$TMP/dir_burst.py" "$MANY" 1 2>&1)
check "the burst ends" gone "$BPID" 60
out_b=$(cat "$TMP/burst_b")
eq "8 opendirs at once of $DFSC_TB_MANY_COUNT entries by one uid, 2 in flight: all succeed" \
  "ok ok ok ok ok ok ok ok" "$out_b"
eq "meanwhile another uid opens it" "ok" "$out_c"
w=$(stat_of "$MNT" mount_listing_waits)
check "some waited for a place (mount_listing_waits $w)" test "${w:-0}" -ge 1
eq "none was refused (mount_eagain)" 0 "$(stat_of "$MNT" mount_eagain)"
out=$(as "$C_UID" python3 "$TMP/dir_burst.py" "$MANY" 6 2>&1)
eq "another uid's burst of 6 succeeds too" "ok ok ok ok ok ok" "$out"
out=$(python3 "$TMP/dir_burst.py" "$MANY" 6 2>&1)
eq "the mounting user is never held back" "ok ok ok ok ok ok" "$out"
check "another uid reads .dfsc/cache (counted in flight while it is built)" \
  as "$B_UID" cat "$MNT/.dfsc/cache"
sleep 0.3 # the kernel sends RELEASEDIR after close(2) returns
for k in mount_listings mount_listings_parked mount_dir_handles mount_listing_bytes; do
  eq "afterwards $k is back to 0" 0 "$(stat_of "$MNT" "$k")"
done
check "unmount" unmount "$MNT"

# The FIFO is bounded: with one place per uid, the rest of a burst gets
# EAGAIN (counted and logged), and the other uid is not held back by it.
check "mount with listings_inflight_uid=2,listings_inflight=3,listings_queue_uid=1" \
  mount_bg "$MNT" -v -o allow_other,hosts=fs1,listings_inflight_uid=2,listings_inflight=3,listings_queue_uid=1
as "$B_UID" python3 "$TMP/dir_burst.py" "$MANY" 8 >"$TMP/burst_b" 2>&1 &
BPID=$!
PIDS+=("$BPID")
out_c=$(as "$C_UID" python3 "$TMP/dir_burst.py" "$MANY" 1 2>&1)
check "the burst ends" gone "$BPID" 60
out_b=$(cat "$TMP/burst_b")
nb=$(count EAGAIN "$out_b")
nok=$(count ok "$out_b")
check "past 2 in flight and 1 waiting, the rest of 8 get EAGAIN ($out_b)" \
  test "$nb" -ge 1 -a "$nok" -ge 2 -a $((nok + nb)) -eq 8
eq "meanwhile another uid opens it" "ok" "$out_c"
eq "the refusals are counted" "$nb" "$(stat_of "$MNT" mount_eagain)"
check "and logged" grep -qF "listings_queue_uid 1" "$TMP/mount.log"
sleep 0.3
for k in mount_listings mount_listings_parked mount_dir_handles mount_listing_bytes; do
  eq "afterwards $k is back to 0" 0 "$(stat_of "$MNT" "$k")"
done
out=$(as "$B_UID" python3 "$TMP/dir_burst.py" "$MANY" 2 2>&1)
eq "and the uid lists again" "ok ok" "$out"
check "unmount" unmount "$MNT"

# A waiting opendir is answered EINTR when its program is interrupted, and
# ESHUTDOWN when the daemon stops. One place in flight, held by listings
# through slowfs (fs1 behind a relay adding ${DFSC_TB_SLOW_MS:-100} ms each
# way: about a second for `many`), two of them one after the other.
SLOWMANY=$MNT/slowfs/data/many
check "mount with listings_inflight_uid=1,listings_inflight=1" mount_bg "$MNT" -v \
  -o allow_other,hosts=fs1:slowfs,listings_inflight_uid=1,listings_inflight=1
check "another uid reaches slowfs" as "$B_UID" stat "$SLOWMANY"
# wait_parked N: until N listings wait (5 s at most).
wait_parked() {
  local i
  for i in $(seq 50); do
    [ "$(stat_of "$MNT" mount_listings_parked)" = "$1" ] && return 0
    sleep 0.1
  done
  return 1
}
as "$B_UID" python3 "$TMP/dir_burst.py" "$SLOWMANY" 2 >"$TMP/slow1" 2>&1 &
SPID=$!
PIDS+=("$SPID")
check "the second slow listing waits" wait_parked 1
mkdir -p "$TMP/w" && chmod 0777 "$TMP/w"
as "$C_UID" python3 "$TMP/dir_wait.py" "$MANY" "$TMP/w/pid" >"$TMP/wait1" 2>&1 &
WPID2=$!
PIDS+=("$WPID2")
check "an opendir by another uid waits behind them" wait_parked 2
kill -USR1 "$(cat "$TMP/w/pid")"
check "its program ends" gone "$WPID2" 10
check "before the slow listings do" kill -0 "$SPID"
eq "interrupted by a signal, the waiting opendir ends with it" "interrupted" \
  "$(cat "$TMP/wait1")"
eq "counted (mount_listing_eintr)" 1 "$(stat_of "$MNT" mount_listing_eintr)"
check "the slow listings end" gone "$SPID" 30
eq "and succeed" "ok ok" "$(cat "$TMP/slow1")"
eq "nothing waits any more" 0 "$(stat_of "$MNT" mount_listings_parked)"
# Stopped while opendirs wait: they are answered, the daemon exits.
as "$B_UID" python3 "$TMP/dir_burst.py" "$SLOWMANY" 2 >"$TMP/slow1" 2>&1 &
SPID=$!
PIDS+=("$SPID")
check "the second slow listing waits again" wait_parked 1
as "$C_UID" python3 "$TMP/dir_burst.py" "$MANY" 1 >"$TMP/wait2" 2>&1 &
WPID2=$!
PIDS+=("$WPID2")
check "and an opendir by another uid" wait_parked 2
kill -TERM "$MPID"
check "the daemon exits on SIGTERM" gone "$MPID" 10
check "the waiting program ends" gone "$WPID2" 10
eq "its opendir is answered ESHUTDOWN" "ESHUTDOWN" "$(cat "$TMP/wait2")"
check "the program of the slow listing ends too" gone "$SPID" 10
fusermount3 -u "$MNT" 2>/dev/null

# ---- (d) no core dumps, no password in the environment ----------------------------------
# A non-dumpable process's /proc/PID files belong to root whoever runs it,
# so the daemon runs here as the second user. /dev/fuse may be root's only
# (as in containers), so it gets the two capabilities a mount needs instead
# of going through fusermount3; they do not make it non-dumpable by
# themselves (the -o dumpable run below shows the difference).
UM=$TMP/umnt
mkdir -p "$UM"
chown "$B_UID:$G" "$UM"
# mount_as DIR [OPTIONS...]: the second user's mount, password from the
# environment; sets UPID.
mount_as() {
  local dir=$1
  shift
  setpriv --reuid="$B_UID" --regid="$G" --clear-groups \
    --inh-caps=+sys_admin,+dac_override --ambient-caps=+sys_admin,+dac_override \
    env HOME=/nonexistent DFSC_PASSWORD="$DFSC_TB_PASS" \
    "$DFSC" "${R[@]}" -U "$DFSC_TB_USER" "$@" mount "$dir" -f >"$TMP/umount.log" 2>&1 &
  UPID=$!
  PIDS+=("$UPID")
  wait_mounted "$dir" "$TMP/umount.log"
}
umount_as() {
  fusermount3 -u "$UM" && gone "$UPID" 10
}
check "the second user mounts with a password" mount_as "$UM"
eq "the mount works" "$(cat "$DFSC_TB_DATA_DIR/hello.txt")" \
  "$(as "$B_UID" cat "$UM/fs1/data/hello.txt" 2>&1)"
eq "the daemon runs as that user" "$B_UID" "$(awk '/^Uid:/ {print $2}' "/proc/$UPID/status")"
eq "and is not dumpable (its /proc files belong to root)" 0 "$(stat -c %u "/proc/$UPID/status")"
env_pw=$(tr '\0' '\n' <"/proc/$UPID/environ" | grep '^DFSC_PASSWORD=')
eq "the daemon wiped the password in its environment" "DFSC_PASSWORD=" "$env_pw"
check "unmount" umount_as
check "-o dumpable keeps it dumpable (for debugging)" mount_as "$UM" -o dumpable
eq "then its /proc files belong to the user" "$B_UID" "$(stat -c %u "/proc/$UPID/status")"
check "unmount" umount_as
finish
