#!/usr/bin/env bash
# dfsc mount across lost connections, against the testbed's durfs (durable
# handles on) behind its relay durrelay:
#   a. a process holds a file open through the mount (-o
#      reconnect_timeout=20000), writes 4 MiB, the relay resets every
#      connection, it writes 4 MiB more and reads all 8 MiB back through the
#      same descriptor; then durfs is stopped for 5 s and started again
#      while a write of that process waits; the bytes check out against the
#      process's own copy and against the server's file; then connections
#      are refused for 4 s while a read waits, which completes; last, the
#      file changes on the server while durfs is down, and the handle's
#      read and write are ESTALE.
#   b. a python3 workload of random reads and writes over 4 files, every
#      read checked against a model of the files, runs across a reset and
#      ends with no error; and, when fio is installed, fio's random writes
#      with verify (O_DIRECT) across another reset.
#   c. a server that stays down (relay refusing and its connections reset)
#      with -o reconnect_timeout=3000: a read through a held descriptor
#      fails with EIO (and a path lookup with EHOSTDOWN, never ECONNREFUSED
#      or ETIMEDOUT) within 3 to 15 s, without hanging; the relay back,
#      the file reads again; the mount unmounts cleanly.
# Everything it switches (the relay's mode, durfs) is switched back on exit.
. "$(dirname "$0")/lib.sh"
if [ ! -c /dev/fuse ] || ! command -v fusermount3 >/dev/null; then
  echo "1..0 # SKIP no /dev/fuse or fusermount3"
  not_ok "FUSE is not available here (the mount tests need /dev/fuse)"
  finish
  exit 1
fi
if [ -z "${DFSC_TB_DURRELAY:-}" ] || [ -z "${DFSC_TB_DURFS_SCRATCH_DIR:-}" ]; then
  not_ok "the testbed's env file has no durfs/durrelay (a testbed from before them?)"
  finish
  exit 1
fi
# The tests that switch durrelay and durfs take its lock file in turn (as
# t_reconnect does; 5 min at most): ctest's RESOURCE_LOCK holds only within
# one ctest run.
exec 9>>"$DFSC_TB_DIR/proxy/durrelay/test.lock"
flock -w 300 9 || echo "# warning: durrelay's test lock not had in 300 s; going on without it"
# shellcheck disable=SC2206
R=($DFSC_TB_RESOLVE_ARGS)
MNT=$TMP/mnt
SRV=$DFSC_TB_DURFS_SCRATCH_DIR
PIDS=()
HOLDER=
mkdir -p "$MNT"

unmounted() { ! grep -q " $1 fuse.dfsc" /proc/mounts; }
cleanup() {
  local p
  [ -n "$HOLDER" ] && kill "$HOLDER" 2>/dev/null
  tb_proxy_ctl durrelay forward >/dev/null 2>&1
  tb_server_start durfs >/dev/null 2>&1
  grep " fuse.dfsc" /proc/mounts | awk '{print $2}' | grep "^$TMP/" |
    while read -r m; do fusermount3 -u -z "$m" 2>/dev/null; done
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$SRV"/mr-"$RUN"*
  rm -rf "$TMP"
}
trap cleanup EXIT
sha() { sha256sum "$1" 2>/dev/null | cut -d' ' -f1; }
# The daemon's log, when a step fails (the library's lines at -v).
show_log() { tail -n "${1:-30}" "$TMP/mount.log" | sed 's/^/#   log: /'; }
# A counter of MOUNTPOINT/.dfsc/stats ('' when the mount does not show it).
stat_of() { awk -v k="$2" '$1 == k { print $2 }' "$1/.dfsc/stats" 2>/dev/null; }

# ---- the holder: one python3 process holding one descriptor ------------------
# It reads commands on stdin and answers each with one line: "ok ..." or
# "err ERRNO SECONDS". write N: N random bytes at the end of the file;
# verify: the page cache of the file dropped, the whole file read back
# through the descriptor and compared with what was written ("ok SHA256");
# read1: 64 KiB from offset 0, the cache dropped first ("ok SECONDS");
# quit: close and exit.
cat >"$TMP/hold.py" <<'PY'
import errno, hashlib, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
model = bytearray()
MIB = 1 << 20
def say(s):
    sys.stdout.write(s + "\n")
    sys.stdout.flush()
def drop():
    # The reads must reach the daemon and the server, not the page cache.
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
say("open")
for line in sys.stdin:
    cmd = line.split()
    t0 = time.monotonic()
    try:
        if cmd[0] == "write":
            n, off = int(cmd[1]), len(model)
            data = os.urandom(n)
            done = 0
            while done < n:
                done += os.pwrite(fd, data[done:done + MIB], off + done)
            model += data
            say("ok %d %.1f" % (len(model), time.monotonic() - t0))
        elif cmd[0] == "verify":
            drop()
            got, off = bytearray(), 0
            while True:
                b = os.pread(fd, MIB, off)
                if not b:
                    break
                got += b
                off += len(b)
            if got == model:
                say("ok " + hashlib.sha256(got).hexdigest())
            else:
                bad = next((i for i in range(min(len(got), len(model))) if got[i] != model[i]),
                           min(len(got), len(model)))
                say("bad read %d bytes, wrote %d, first difference at %d" %
                    (len(got), len(model), bad))
        elif cmd[0] == "read1":
            drop()
            os.pread(fd, 65536, 0)
            say("ok %.1f" % (time.monotonic() - t0))
        elif cmd[0] == "quit":
            os.close(fd)
            say("closed")
            break
        else:
            say("bad command")
    except OSError as e:
        say("err %s %.1f" % (errno.errorcode.get(e.errno, str(e.errno)),
                             time.monotonic() - t0))
PY
# hold_start FILE: starts the holder on FILE (waits for it to open).
hold_start() {
  coproc HOLD { exec python3 "$TMP/hold.py" "$1" 2>>"$TMP/hold.err"; }
  HOLDER=$HOLD_PID
  hold_reply 20
  if [ "$ANS" != open ]; then
    sed 's/^/#   holder: /' "$TMP/hold.err" 2>/dev/null | tail -n 5
    show_log 10
  fi
}
# A holder that has exited (bash then unsets HOLD) gets nothing.
hold_send() { [ -n "${HOLD[1]:-}" ] && printf '%s\n' "$1" >&"${HOLD[1]}"; }
# hold_reply SECONDS: the holder's next line into ANS ("timeout" if none).
hold_reply() {
  ANS=
  if [ -n "${HOLD[0]:-}" ]; then read -r -t "$1" ANS <&"${HOLD[0]}" || ANS=timeout; fi
  [ -n "$ANS" ] || ANS=timeout
}
hold() { # CMD [SECONDS]
  hold_send "$1"
  hold_reply "${2:-60}"
}
# hold_check DESC PATTERN CMD [SECONDS]: CMD's answer must match PATTERN.
hold_check() {
  hold "$3" "${4:-60}"
  if printf '%s\n' "$ANS" | grep -Eq -- "$2"; then ok "$1 ($ANS)"; else
    not_ok "$1: answer [$ANS], want /$2/"
    sed 's/^/#   holder: /' "$TMP/hold.err" 2>/dev/null | tail -n 5
    show_log
  fi
}
hold_quit() {
  hold quit 20
  eq "$1" closed "$ANS"
  gone "$HOLDER" 10 || kill "$HOLDER" 2>/dev/null
  wait "$HOLDER" 2>/dev/null
  HOLDER=
}

check "the relay forwards" tb_proxy_ctl durrelay forward

# ---- a. one descriptor across a reset and a server restart ---------------------
check "mount with -o reconnect_timeout=20000" mount_bg "$MNT" -v --timeout 10 \
  -o reconnect_timeout=20000
F=mr-$RUN.bin
hold_start "$MNT/durrelay/scratch/$F"
eq "the holder opens a file on //durrelay/scratch through the mount" open "$ANS"
hold_check "4 MiB written" '^ok 4194304 ' "write 4194304"
check "the relay resets every connection (cut)" tb_proxy_ctl durrelay cut
hold_check "4 MiB more through the same descriptor after the reset" '^ok 8388608 ' \
  "write 4194304"
hold_check "all 8 MiB read back through the descriptor match what was written" \
  '^ok [0-9a-f]{64}$' verify
eq "the server's file has the same 8 MiB" "${ANS#ok }" "$(sha "$SRV/$F")"
n=$(stat_of "$MNT" durable_reclaimed)
if [ -n "$n" ]; then
  check "the durable handle was reclaimed (.dfsc/stats durable_reclaimed=$n)" test "$n" -ge 1
else
  echo "# .dfsc/stats has no durable_reclaimed line (the CLI's counters do not list it)"
fi
grep -q "durable handle reclaimed\|opened it again by path" "$TMP/mount.log" &&
  ok "the daemon logged how the handle came back" ||
  { not_ok "the daemon logged how the handle came back"; show_log; }

# durfs stopped for 5 s while a write of the holder waits for it.
check "durfs stops" tb_server_stop durfs
t0=$(date +%s)
hold_send "write 1048576"
sleep 5
check "durfs starts again" tb_server_start durfs
hold_reply 40
case $ANS in
  "ok 9437184 "*) ok "a write waiting across a 5 s server restart completes ($ANS)" ;;
  *) not_ok "a write waiting across a 5 s server restart: answer [$ANS] after $(($(date +%s) - t0)) s"
     show_log ;;
esac
hold_check "1 MiB more after the restart" '^ok 10485760 ' "write 1048576"
hold_check "all 10 MiB read back after the restart match" '^ok [0-9a-f]{64}$' verify
eq "the server's file has the same 10 MiB" "${ANS#ok }" "$(sha "$SRV/$F")"

# Connections refused for 4 s (a server restarting on a host that stays
# up) while a read of the holder waits. The kernel asks for the file's
# attributes before the read (older than attr_timeout): that stat by path
# must wait for the handle too, not fail at the first refused connect.
check "the relay refuses new connections" tb_proxy_ctl durrelay refuse
check "and resets the open ones" tb_proxy_ctl durrelay cut
sleep 1.5
hold_send read1
sleep 3
check "the relay forwards again" tb_proxy_ctl durrelay forward
hold_reply 40
case $ANS in
  ok*) ok "a read waiting across 4 s of refused connections completes ($ANS)" ;;
  *) not_ok "a read waiting across 4 s of refused connections: answer [$ANS]"
     show_log ;;
esac
hold_check "all 10 MiB read back after the refusal match" '^ok [0-9a-f]{64}$' verify
n=$(stat_of "$MNT" mount_held_waits)
check "the kernel's stat of the held file waited for its handle (mount_held_waits=$n)" \
  test "${n:-0}" -ge 1

# The file changed on the server while it was down: the handle cannot be
# opened again as the same file and is ESTALE, reads and writes included.
check "durfs stops again" tb_server_stop durfs
check "the file grows on the server's disk meanwhile" sh -c "printf x >> '$SRV/$F'"
check "durfs starts again" tb_server_start durfs
hold_check "a read on the handle of the changed file is ESTALE" '^err ESTALE ' read1 40
hold_check "a write on it too" '^err ESTALE ' "write 4096" 40
hold_quit "the holder closes its descriptor"
n=$(stat_of "$MNT" handles_stale)
[ -n "$n" ] && check "the library counted the stale handle (handles_stale=$n)" test "$n" -ge 1

# ---- b. a random read/write workload across a reset -----------------------------
W=$MNT/durrelay/scratch/mr-$RUN-wl
check "mkdir for the workload" mkdir "$W"
cat >"$TMP/wl.py" <<'PY'
# Random reads and writes over 4 files through the mount, every read
# compared with a model of the files; runs at least MIN ops, and until
# 100 ops after the marker file (the relay was cut) exists; 90 s at most.
import errno, hashlib, os, random, sys, time
d, min_ops, marker = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rnd = random.Random(int(sys.argv[4]))
SIZE = 1 << 20
fds, models = [], []
for i in range(4):
    fd = os.open(os.path.join(d, "f%d" % i), os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    data = bytearray(os.urandom(SIZE))
    os.pwrite(fd, data, 0)
    fds.append(fd)
    models.append(data)
open(os.path.join(os.path.dirname(marker), "wl.started"), "w").close()
ops = after = errors = 0
t0 = time.monotonic()
while ops < min_ops or after < 100:
    if time.monotonic() - t0 > 90:
        print("bad: 90 s passed after %d ops, %d after the cut" % (ops, after))
        sys.exit(1)
    i = rnd.randrange(4)
    fd, m = fds[i], models[i]
    off = rnd.randrange(len(m))
    n = rnd.randrange(1, 128 << 10)
    try:
        if rnd.random() < 0.5:
            data = os.urandom(n)
            if os.pwrite(fd, data, off) != n:
                raise OSError(errno.EIO, "short write")
            if off + n > len(m):
                m.extend(b"\0" * (off + n - len(m)))
            m[off:off + n] = data
        else:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            got = os.pread(fd, n, off)
            if got != bytes(m[off:off + n]):
                print("bad: f%d read %d bytes at %d differ from the model" % (i, n, off))
                errors += 1
    except OSError as e:
        print("bad: f%d op %d: %s" % (i, ops, errno.errorcode.get(e.errno, e.errno)))
        errors += 1
    ops += 1
    if os.path.exists(marker):
        after += 1
for fd in fds:
    os.close(fd)
# Each file read whole again through a new open.
for i in range(4):
    with open(os.path.join(d, "f%d" % i), "rb") as f:
        if f.read() != bytes(models[i]):
            print("bad: f%d read whole after the run differs" % i)
            errors += 1
print("ops=%d after_cut=%d errors=%d" % (ops, after, errors))
for i in range(4):
    print("f%d %s" % (i, hashlib.sha256(models[i]).hexdigest()))
sys.exit(1 if errors else 0)
PY
rm -f "$TMP/wl.cut" "$TMP/wl.started"
timeout 150 python3 "$TMP/wl.py" "$W" 300 "$TMP/wl.cut" "$$" >"$TMP/wl.out" 2>&1 &
wl=$!
for _ in $(seq 100); do [ -e "$TMP/wl.started" ] && break; sleep 0.1; done
sleep 1
check "the relay resets every connection in the middle of the workload" \
  tb_proxy_ctl durrelay cut
touch "$TMP/wl.cut"
if wait "$wl"; then ok "python3 workload across a reset: $(grep '^ops=' "$TMP/wl.out")"; else
  not_ok "python3 workload across a reset"
  sed 's/^/#   /' "$TMP/wl.out" | head -20
  show_log
fi
good=0
for i in 0 1 2 3; do
  [ "$(awk -v f="f$i" '$1 == f { print $2 }' "$TMP/wl.out")" = "$(sha "$SRV/mr-$RUN-wl/f$i")" ] &&
    good=$((good + 1))
done
eq "the server's 4 files match the workload's model" 4 "$good"
if command -v fio >/dev/null; then
  # Random writes over 4 files, each pass read back and checked (crc32c
  # in every block), 40 passes (some 10 s here); O_DIRECT, so that the
  # reads reach the server and not the page cache.
  timeout 150 fio --name=mr --directory="$W" --nrfiles=4 --filesize=4m --size=16m \
    --rw=randwrite --bsrange=4k-256k --ioengine=psync --direct=1 --loops=40 \
    --verify=crc32c --verify_fatal=1 --do_verify=1 >"$TMP/fio.out" 2>&1 &
  fio=$!
  sleep 3
  check "the relay resets every connection in the middle of fio" tb_proxy_ctl durrelay cut
  if wait "$fio" && grep -q "err= *0:" "$TMP/fio.out" && ! grep -q "err= *[1-9]" "$TMP/fio.out"; then
    ok "fio random writes with verify across a reset: $(grep -Eo 'issued rwts: total=[0-9]+,[0-9]+' "$TMP/fio.out")"
  else
    not_ok "fio random writes with verify across a reset"
    grep -Ei "err|verify|fail" "$TMP/fio.out" | head -10 | sed 's/^/#   /'
  fi
else
  echo "# fio is not installed: the python3 workload above stands for it"
fi
check "rm -r of the workload" rm -r "$W"
check "fusermount3 -u unmounts" fusermount3 -u "$MNT"
check "the daemon exits after fusermount3 -u" gone "$MPID" 10

# ---- c. a server that stays down -----------------------------------------------
check "mount with -o reconnect_timeout=3000" mount_bg "$MNT" -v --timeout 10 \
  -o reconnect_timeout=3000,echo_interval=10000
F=mr-$RUN-c.bin
hold_start "$MNT/durrelay/scratch/$F"
eq "the holder opens a file" open "$ANS"
hold_check "1 MiB written" '^ok 1048576 ' "write 1048576"
check "the relay refuses new connections" tb_proxy_ctl durrelay refuse
check "and resets the open ones" tb_proxy_ctl durrelay cut
hold "read1" 40
set -- $ANS
if [ "${1:-}" = err ] && { [ "${2:-}" = EIO ] || [ "${2:-}" = EHOSTDOWN ]; } &&
  awk -v t="${3:-0}" 'BEGIN { exit !(t >= 2.5 && t <= 15) }'; then
  ok "a read on the held descriptor fails with ${2} after ${3} s"
else
  not_ok "a read on the held descriptor with the server down: [$ANS], want EIO or EHOSTDOWN within 3 to 15 s"
  show_log
fi
t0=$(date +%s%N)
stat "$MNT/durrelay/scratch/mr-$RUN-none" >/dev/null 2>"$TMP/stat.err"
t=$((($(date +%s%N) - t0) / 1000000))
if grep -q "Host is down" "$TMP/stat.err" && [ "$t" -le 15000 ]; then
  ok "a lookup with the server down is EHOSTDOWN after $t ms"
else
  not_ok "a lookup with the server down: [$(cat "$TMP/stat.err")] after $t ms, want 'Host is down'"
  show_log
fi
check "the relay forwards again" tb_proxy_ctl durrelay forward
hold_quit "the holder closes its descriptor on the lost connection"
eq "the file reads again once the server is back" "$(sha "$SRV/$F")" \
  "$(sha "$MNT/durrelay/scratch/$F")"
check "fusermount3 -u unmounts" fusermount3 -u "$MNT"
check "the daemon exits after fusermount3 -u" gone "$MPID" 10
wait "$MPID"
eq "the daemon's exit status" 0 "$?"
check "the mount is gone" unmounted "$MNT"
if grep -q "did not come back within 3000 ms" "$TMP/mount.log"; then
  ok "the daemon says the connection did not come back within 3000 ms"
else
  not_ok "the daemon says the connection did not come back within 3000 ms"
  show_log
fi
finish
