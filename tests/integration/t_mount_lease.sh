#!/usr/bin/env bash
# Coherent caching from leases through the mount (docs/mount.md), against
# durfs (leases on) with smbclient as the other client:
#   - 100 reads (each a new open, as cat does) of a 1 MiB file cost one
#     read from the server: the pages stay while the read lease says the
#     file is unchanged (read_bytes in .dfsc/stats);
#   - smbclient overwrites the file: the server breaks the mount's lease,
#     the mount drops the kernel's pages before the break is acknowledged,
#     so the very next read through the mount returns the new bytes (no
#     sleep: smbclient's write completes only after the acknowledgement);
#   - while the lease is held, fstat through the held descriptor for 2.5 s
#     (past attr_timeout) asks the server nothing, and right after the
#     break it shows smbclient's new size;
#   - a file changed while no handle (and so no lease) was held is read
#     again at the next open (its change time moved);
#   - attributes the kernel kept under a lease are dropped at the last
#     close: a size changed afterwards shows after attr_timeout, not after
#     lease_attr_timeout (60 s).
. "$(dirname "$0")/lib.sh"
if [ ! -c /dev/fuse ] || ! command -v fusermount3 >/dev/null; then
  not_ok "FUSE is not available here (the mount tests need /dev/fuse)"
  finish
  exit 1
fi
if [ -z "${DFSC_TB_DURFS:-}" ] || [ -z "${DFSC_TB_DURFS_SCRATCH_DIR:-}" ]; then
  not_ok "the testbed's env file has no durfs (a testbed from before it?)"
  finish
  exit 1
fi
# One durfs test at a time, also across build directories (t_reconnect.sh).
exec 9>>"$DFSC_TB_DIR/proxy/durrelay/test.lock"
flock -w 300 9 || echo "# warning: durrelay's test lock not had in 300 s; going on without it"
R=($DFSC_TB_RESOLVE_ARGS)
MNT=$TMP/mnt
PIDS=()
F=ml-$RUN
mkdir -p "$MNT"

cleanup() {
  local p
  grep " fuse.dfsc" /proc/mounts | awk '{print $2}' | grep "^$TMP/" |
    while read -r m; do fusermount3 -u -z "$m" 2>/dev/null; done
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  rm -f "$DFSC_TB_DURFS_SCRATCH_DIR/$F"
  rm -rf "$TMP"
}
trap cleanup EXIT
stat_of() { awk -v k="$1" '$1 == k { print $2 }' "$MNT/.dfsc/stats" 2>/dev/null; }
sha() { sha256sum "$1" 2>/dev/null | cut -d' ' -f1; }
put() { # put LOCAL: smbclient writes it to durfs as $F
  timeout 60 smbclient -s /dev/null "//$DFSC_TB_DURFS/scratch" -U "$CRED" \
    -c "put $1 $F" >"$TMP/smbclient.out" 2>&1
}

head -c 1048576 /dev/urandom >"$TMP/v1"
head -c 1049810 /dev/urandom >"$TMP/v2" # another size: attributes must follow
head -c 1048576 /dev/urandom >"$TMP/v3"
check "smbclient writes version 1 of a 1 MiB file" put "$TMP/v1"
check "mount" mount_bg "$MNT" --timeout 10
P=$MNT/durfs/scratch/$F

eq "the first read through the mount" "$(sha "$TMP/v1")" "$(sha "$P")"
# A program holds the file open throughout, as an editor or a database
# would: its lease is what the server breaks below.
exec 3<"$P"
r0=$(stat_of read_bytes)
for i in $(seq 100); do cat "$P" >/dev/null || break; done
r1=$(stat_of read_bytes)
eq "100 more reads (each its own open) all succeeded" 100 "$i"
if [ -n "$r0" ] && [ -n "$r1" ] && [ $((r1 - r0)) -le 131072 ]; then
  ok "they cost no read from the server while the lease holds ($((r1 - r0)) bytes)"
else
  not_ok "they cost no read from the server while the lease holds (${r0:-?} -> ${r1:-?})"
fi

# fstat through the held descriptor: the kernel asks the daemon whenever
# its copy is older than attr_timeout (1 s); under the lease the daemon
# answers from what it has and lets the kernel keep it for 60 s.
q0=$(stat_of requests_sent)
sizes=$(python3 -c '
import os, time
seen = set()
for i in range(25):
    seen.add(os.fstat(3).st_size)
    time.sleep(0.1)
print(" ".join(str(s) for s in sorted(seen)))')
q1=$(stat_of requests_sent)
eq "fstat through the held descriptor for 2.5 s: the size" 1048576 "$sizes"
if [ -n "$q0" ] && [ -n "$q1" ]; then
  eq "those fstats sent no request while the lease holds (requests_sent)" 0 $((q1 - q0))
else
  not_ok "requests_sent in .dfsc/stats (${q0:-?} -> ${q1:-?})"
fi

b0=$(stat_of lease_breaks)
check "smbclient overwrites the file (version 2, another size)" put "$TMP/v2"
# Before anything else: only the break's invalidation can have dropped the
# attributes the kernel was told to keep for 60 s.
eq "fstat through the held descriptor right after the break: the new size" \
  "$(stat -c %s "$TMP/v2")" "$(python3 -c 'import os; print(os.fstat(3).st_size)')"
# First through the descriptor held all along: no new open (whose change
# time would drop the pages by itself) comes before it, and the kernel's
# attributes are younger than attr_timeout, so only the break's
# invalidation can make this read see version 2.
eq "the next read through the held descriptor returns version 2" "$(sha "$TMP/v2")" \
  "$(python3 -c 'import os,sys,hashlib; print(hashlib.sha256(os.pread(3, 2 << 20, 0)).hexdigest())')"
eq "and so does a new open" "$(sha "$TMP/v2")" "$(sha "$P")"
b1=$(stat_of lease_breaks)
[ -n "$b1" ] && [ "${b1:-0}" -gt "${b0:-0}" ] && ok "the lease was broken ($b0 -> $b1)" ||
  not_ok "the lease was broken (${b0:-?} -> ${b1:-?})"
late=$(stat_of lease_acks_late)
eq "the break was acknowledged by the mount, not by the library's bound" 0 "${late:-?}"

# Changed on the server's disk while the mount held no handle (no lease, no
# break): the next open sees a new change time and reads it again.
exec 3<&-
sleep 1.1 # a change time distinct from version 2's on any file system
cp "$TMP/v3" "$DFSC_TB_DURFS_SCRATCH_DIR/$F.new" && mv "$DFSC_TB_DURFS_SCRATCH_DIR/$F.new" \
  "$DFSC_TB_DURFS_SCRATCH_DIR/$F"
chown --reference="$DFSC_TB_DURFS_SCRATCH_DIR" "$DFSC_TB_DURFS_SCRATCH_DIR/$F" 2>/dev/null
# The kernel's attributes of the file may be up to attr_timeout (1 s) old.
sleep 1.1
got=$(sha256sum "$P" 2>"$TMP/v3.err" | cut -d' ' -f1)
eq "a change made while no lease was held is read at the next open" "$(sha "$TMP/v3")" \
  "$got"
[ -s "$TMP/v3.err" ] && sed 's/^/#   /' "$TMP/v3.err"

# The last close. An O_PATH descriptor (no FUSE open, so no lease of its
# own) watches the attributes: taken under a lease they are kept for
# lease_attr_timeout; the close ends the lease and must drop them, so a
# size changed on the server afterwards shows once attr_timeout has passed.
out=$(python3 - "$P" "$DFSC_TB_DURFS_SCRATCH_DIR/$F" "$TMP/v2" <<'PY'
import os, sys, time, shutil
path, onsrv, newer = sys.argv[1:]
po = os.open(path, os.O_PATH)
fd = os.open(path, os.O_RDONLY)
time.sleep(1.1)  # past attr_timeout: the next answer comes under the lease
before = os.fstat(po).st_size
os.close(fd)
shutil.copyfile(newer, onsrv + ".new")
d = os.stat(os.path.dirname(onsrv))
try:
    os.chown(onsrv + ".new", d.st_uid, d.st_gid)
except OSError:
    pass
os.rename(onsrv + ".new", onsrv)
time.sleep(1.1)  # attr_timeout
print(before, os.fstat(po).st_size)
PY
)
eq "after the last close, a size changed on the server shows after attr_timeout" \
  "$(stat -c %s "$TMP/v3") $(stat -c %s "$TMP/v2")" "$out"

check "fusermount3 -u unmounts" fusermount3 -u "$MNT"
check "the daemon exits" gone "$MPID" 10
finish
