#!/usr/bin/env bash
# Locks and extended attributes through the mount, on fs1's scratch share.
# Two mounts of the same share (two processes, two SMB sessions) stand for
# two machines: what one locks, the server refuses to the other.
#   - fcntl record locks: an exclusive lock on one mount refuses a lock and
#     a write in its range on the other (SMB locks are mandatory), F_GETLK
#     names it; an upgrade, a split by a lock of another type inside, and
#     one unlock of everything behave as POSIX says; close releases;
#   - F_SETLKW waits until the holder lets go (the library asks again), and
#     a signal interrupts the wait with nothing left locked;
#   - flock: LOCK_EX on one mount refuses LOCK_EX|LOCK_NB on the other
#     until LOCK_UN;
#   - -o nobrl keeps locks in this machine's kernel (the other mount does
#     not see them);
#   - user.* xattrs are SMB extended attributes: set, read back, listed,
#     seen by Samba as the file's user.* xattrs on its disk, XATTR_CREATE and
#     XATTR_REPLACE, a 3,000-byte value, removal; security.* finds nothing
#     and cannot be set.
. "$(dirname "$0")/lib.sh"
need_fuse
# shellcheck disable=SC2206
R=($DFSC_TB_RESOLVE_ARGS)
PIDS=()
SRV=$DFSC_TB_FS1_SCRATCH_DIR
D=lk-$RUN

cleanup() {
  unmount_all
  rm -rf "${SRV:?}/$D"
  rm -rf "$TMP"
}
trap cleanup EXIT

A=$TMP/a
B=$TMP/b
mkdir -p "$A" "$B"
check "mount A" mount_bg "$A" --timeout 10
mv "$TMP/mount.log" "$TMP/mount-a.log"
check "mount B" mount_bg "$B" --timeout 10
check "mkdir of the test directory" mkdir "$A/fs1/scratch/$D"
echo data >"$A/fs1/scratch/$D/f"

# ---- record locks and flock ------------------------------------------------
out=$(python3 - "$A/fs1/scratch/$D/f" "$B/fs1/scratch/$D/f" <<'PY' 2>&1
import errno, fcntl, os, signal, struct, sys, threading, time
pa, pb = sys.argv[1], sys.argv[2]
a = os.open(pa, os.O_RDWR)
b = os.open(pb, os.O_RDWR)
def say(what, got):
    print("%s: %s" % (what, got))
def tryb(kind, ln, st):
    try:
        fcntl.lockf(b, kind | fcntl.LOCK_NB, ln, st)
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
    fcntl.lockf(b, fcntl.LOCK_UN, ln, st)
    return "ok"
fcntl.lockf(a, fcntl.LOCK_EX, 100, 0)
say("B lock inside A's", tryb(fcntl.LOCK_EX, 10, 50))
say("B lock past A's", tryb(fcntl.LOCK_EX, 10, 100))
r = struct.unpack("hhqqi", fcntl.fcntl(b, fcntl.F_GETLK, struct.pack("hhqqi", fcntl.F_WRLCK, 0, 50, 10, 0)))
say("B F_GETLK type", "wr" if r[0] == fcntl.F_WRLCK else "rd" if r[0] == fcntl.F_RDLCK else "un")
try:
    os.pwrite(b, b"x", 60)
    say("B write in A's range", "ok")
except OSError as e:
    say("B write in A's range", errno.errorcode[e.errno])
say("B write past A's range", "ok" if os.pwrite(b, b"x", 200) == 1 else "short")
fcntl.lockf(a, fcntl.LOCK_UN, 100, 0)
say("B lock once A unlocked", tryb(fcntl.LOCK_EX, 10, 50))
# Read lock [0,100), a write lock inside it, then one unlock of all.
fcntl.lockf(a, fcntl.LOCK_SH, 100, 0)
say("B read lock beside A's read lock", tryb(fcntl.LOCK_SH, 5, 0))
fcntl.lockf(a, fcntl.LOCK_EX, 10, 10)
say("split B read [0,5)", tryb(fcntl.LOCK_SH, 5, 0))
say("split B write [0,5)", tryb(fcntl.LOCK_EX, 5, 0))
say("split B read [10,20)", tryb(fcntl.LOCK_SH, 10, 10))
say("split B read [50,55)", tryb(fcntl.LOCK_SH, 5, 50))
fcntl.lockf(a, fcntl.LOCK_UN, 0, 0)
say("B write [0,100) after A's unlock of all", tryb(fcntl.LOCK_EX, 100, 0))
# Upgrade in place.
fcntl.lockf(a, fcntl.LOCK_SH, 100, 0)
fcntl.lockf(a, fcntl.LOCK_EX, 100, 0)
say("after A's upgrade B read", tryb(fcntl.LOCK_SH, 5, 0))
fcntl.lockf(a, fcntl.LOCK_SH, 100, 0)
say("after A's downgrade B read", tryb(fcntl.LOCK_SH, 5, 0))
fcntl.lockf(a, fcntl.LOCK_UN, 100, 0)
# F_SETLKW waits for the holder.
fcntl.lockf(a, fcntl.LOCK_EX, 10, 0)
def release():
    time.sleep(1.0)
    fcntl.lockf(a, fcntl.LOCK_UN, 10, 0)
th = threading.Thread(target=release)
th.start()
t0 = time.monotonic()
fcntl.lockf(b, fcntl.LOCK_EX, 10, 0)
waited = time.monotonic() - t0
th.join()
say("B's F_SETLKW granted after A let go", "ok" if 0.8 <= waited < 30 else "after %.2f s" % waited)
fcntl.lockf(b, fcntl.LOCK_UN, 10, 0)
# A signal ends the wait.
fcntl.lockf(a, fcntl.LOCK_EX, 10, 0)
class Alarm(Exception):
    pass
def on_alarm(sig, frame):
    raise Alarm()
signal.signal(signal.SIGALRM, on_alarm)
signal.alarm(1)
try:
    fcntl.lockf(b, fcntl.LOCK_EX, 10, 0)
    say("B's F_SETLKW under a signal", "granted")
except Alarm:
    say("B's F_SETLKW under a signal", "interrupted")
fcntl.lockf(a, fcntl.LOCK_UN, 10, 0)
time.sleep(0.5)
say("nothing left locked after the interrupt", tryb(fcntl.LOCK_EX, 10, 0))
# flock.
fcntl.flock(a, fcntl.LOCK_EX)
try:
    fcntl.flock(b, fcntl.LOCK_EX | fcntl.LOCK_NB)
    say("B flock while A holds it", "ok")
except OSError as e:
    say("B flock while A holds it", errno.errorcode[e.errno])
fcntl.flock(a, fcntl.LOCK_UN)
fcntl.flock(b, fcntl.LOCK_EX | fcntl.LOCK_NB)
say("B flock after A's LOCK_UN", "ok")
fcntl.flock(b, fcntl.LOCK_UN)
# Close releases.
fcntl.lockf(a, fcntl.LOCK_EX, 10, 0)
os.close(a)
say("B lock after A's close", tryb(fcntl.LOCK_EX, 10, 0))
PY
)
echo "$out" | sed 's/^/# /'
res() { echo "$out" | awk -F': ' -v k="$1" '$1 == k { print $2 }'; }
eq "a lock inside another mount's exclusive lock is refused" EAGAIN "$(res "B lock inside A's")"
eq "a lock past it is granted" ok "$(res "B lock past A's")"
eq "F_GETLK names the other mount's write lock" wr "$(res "B F_GETLK type")"
eq "a write in the locked range is refused (SMB locks are mandatory)" EAGAIN "$(res "B write in A's range")"
eq "a write past it goes through" ok "$(res "B write past A's range")"
eq "the range is free once unlocked" ok "$(res "B lock once A unlocked")"
eq "two read locks share a range" ok "$(res "B read lock beside A's read lock")"
eq "split: the read part still admits readers" ok "$(res "split B read [0,5)")"
eq "split: and refuses writers" EAGAIN "$(res "split B write [0,5)")"
eq "split: the write part refuses readers" EAGAIN "$(res "split B read [10,20)")"
eq "split: the read part past it admits readers" ok "$(res "split B read [50,55)")"
eq "one unlock of everything frees all of it" ok "$(res "B write [0,100) after A's unlock of all")"
eq "an upgrade in place refuses readers" EAGAIN "$(res "after A's upgrade B read")"
eq "a downgrade admits them again" ok "$(res "after A's downgrade B read")"
eq "F_SETLKW waits until the holder lets go" ok "$(res "B's F_SETLKW granted after A let go")"
eq "a signal interrupts F_SETLKW" interrupted "$(res "B's F_SETLKW under a signal")"
eq "and leaves nothing locked" ok "$(res "nothing left locked after the interrupt")"
eq "flock LOCK_EX refuses another mount's LOCK_EX|LOCK_NB" EAGAIN "$(res "B flock while A holds it")"
eq "LOCK_UN lets it in" ok "$(res "B flock after A's LOCK_UN")"
eq "closing the descriptor releases its locks" ok "$(res "B lock after A's close")"
waits=$(awk '$1 == "lock_waits" { print $2 }' "$B/.dfsc/stats")
case $waits in '' | 0 | *[!0-9]*) not_ok "mount B's stats count lock waits: [$waits]" ;; *) ok "mount B's stats count lock waits ($waits)" ;; esac

# ---- -o nobrl ----------------------------------------------------------------
C=$TMP/c
mkdir -p "$C"
check "mount C with -o nobrl" mount_bg "$C" --timeout 10 -o nobrl
eq "with nobrl the locks stay in the kernel: the other mount does not see them" "ok ok" \
  "$(python3 - "$C/fs1/scratch/$D/f" "$B/fs1/scratch/$D/f" <<'PY' 2>&1
import fcntl, os, sys
c = os.open(sys.argv[1], os.O_RDWR)
b = os.open(sys.argv[2], os.O_RDWR)
fcntl.lockf(c, fcntl.LOCK_EX, 10, 0)
out = []
for fd in (b,):
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 10, 0)
    out.append("ok")
    fcntl.lockf(fd, fcntl.LOCK_UN, 10, 0)
# Two descriptors of mount C still exclude each other through the kernel.
pid = os.fork()
if pid == 0:
    c2 = os.open(sys.argv[1], os.O_RDWR)
    try:
        fcntl.lockf(c2, fcntl.LOCK_EX | fcntl.LOCK_NB, 10, 0)
        os._exit(1)
    except OSError:
        os._exit(0)
_, st = os.waitpid(pid, 0)
out.append("ok" if os.WEXITSTATUS(st) == 0 else "not excluded")
print(" ".join(out))
PY
)"
check "unmount C" fusermount3 -u "$C"

# ---- extended attributes -----------------------------------------------------
F=$A/fs1/scratch/$D/f
out=$(python3 - "$F" "$SRV/$D/f" <<'PY' 2>&1
import errno, os, sys
p, srv = sys.argv[1], sys.argv[2]
def say(what, got):
    print("%s: %s" % (what, got))
def err(fn, *a):
    try:
        fn(*a)
        return "ok"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
os.setxattr(p, "user.colour", b"blue")
say("get", os.getxattr(p, "user.colour").decode())
say("list", ",".join(sorted(os.listxattr(p))))
say("server", ",".join(sorted(x for x in os.listxattr(srv) if x == "user.colour")))
say("server value", os.getxattr(srv, "user.colour").decode())
say("create over existing", err(os.setxattr, p, "user.colour", b"red", os.XATTR_CREATE))
say("replace missing", err(os.setxattr, p, "user.shape", b"round", os.XATTR_REPLACE))
os.setxattr(p, "user.colour", b"red", os.XATTR_REPLACE)
say("replaced", os.getxattr(p, "user.colour").decode())
# Samba keeps an EA as an xattr of its own file system, whose limit (ext4:
# one block) is below SMB's 65,535 bytes.
big = bytes((i * 7) % 251 for i in range(3000))
os.setxattr(p, "user.big", big)
say("3000 bytes back", "same" if os.getxattr(p, "user.big") == big else "differ")
os.removexattr(p, "user.big")
os.removexattr(p, "user.colour")
say("get removed", err(os.getxattr, p, "user.colour"))
say("remove missing", err(os.removexattr, p, "user.colour"))
say("list after", ",".join(sorted(os.listxattr(p))) or "-")
say("security get", err(os.getxattr, p, "security.selinux"))
say("security set", err(os.setxattr, p, "security.x", b"1"))
d = os.path.dirname(p)
os.setxattr(d, "user.dirattr", b"yes")
say("on a directory", os.getxattr(d, "user.dirattr").decode())
PY
)
echo "$out" | sed 's/^/# /'
eq "setxattr user.colour reads back" blue "$(res get)"
eq "listxattr lists it" user.colour "$(res list)"
eq "Samba keeps it as the file's user.colour xattr" user.colour "$(res server)"
eq "with the value" blue "$(res "server value")"
eq "XATTR_CREATE over an existing one: EEXIST" EEXIST "$(res "create over existing")"
eq "XATTR_REPLACE of a missing one: ENODATA" ENODATA "$(res "replace missing")"
eq "XATTR_REPLACE of an existing one replaces it" red "$(res replaced)"
eq "a 3,000-byte value comes back whole" same "$(res "3000 bytes back")"
eq "a removed xattr is gone" ENODATA "$(res "get removed")"
eq "removing a missing one: ENODATA" ENODATA "$(res "remove missing")"
eq "nothing is listed after" - "$(res "list after")"
eq "security.* finds nothing" ENODATA "$(res "security get")"
eq "security.* cannot be set" ENOTSUP "$(res "security set")"
eq "a directory has xattrs too" yes "$(res "on a directory")"

check "fusermount3 -u A" fusermount3 -u "$A"
check "fusermount3 -u B" fusermount3 -u "$B"
finish
