#!/usr/bin/env bash
# POSIX behaviour programs rely on, through the mount on fs1's scratch share
# (each check is one of the pjdfstest findings of issue 14, or the pattern
# behind it), checked against the server's own directory:
#   - rename over a target another descriptor holds open (the write-a-
#     temporary-then-rename pattern of editors and package managers), 1,000
#     times: the holder keeps reading its old bytes, a new open gets the new
#     ones, and no hidden set-aside file outlives its last close;
#   - a name of 256 UTF-16 code units gives ENAMETOOLONG for create, mkdir,
#     rename and lookup, and nothing reaches the server; 255 works; a mkdir
#     past the 4096-byte path limit gives ENAMETOOLONG too;
#   - a directory's mtime and ctime move at once (not after attr_timeout)
#     after a create, mkdir, unlink, rmdir and rename in it;
#   - truncate to 999999999999999 bytes gives EFBIG and leaves the size as
#     it was;
#   - link(2) makes a hard link on the server (FileLinkInformation): one
#     file under two names, st_nlink 2, a write through one name read
#     through the other, the file kept when the first name goes;
#   - symlink(2) writes a Minshall+French link file (cifs.ko's mfsymlinks
#     format); one written by an independent encoder here is read as a
#     link; links are followed, listed as links (ls -l, find -type l), and
#     a tar of a tree with links extracts through the mount as it was; a
#     1067-byte file that is not a link stays a regular file;
#   - chmod a-w sets the DOS read-only attribute (smbclient's allinfo says
#     so) and the file shows 0444 and refuses writes; chmod u+w clears it;
#     also right after the file's last close, and never on a directory;
#   - rm of a read-only file works (the attribute cleared first, as cifs.ko);
#   - after ln the first name's st_nlink is 2 at once; fstat of a file
#     unlinked while open says 0 links;
#   - tar -x keeps the archived mtimes (set by path right after each close);
#   - the mount's read-ahead is the 1024 KiB of read_ahead_kb once it is in
#     use (the kernel's INIT handling had put it back to 128 KiB, and a
#     file was read in 128 KiB requests one after the other).
#   - write-behind: 16 MiB written are on the server's disk right after
#     close; a write the server refuses after it was answered (its disk
#     full) fails dd with ENOSPC and is counted, and the mount goes on;
#   - a file opened for writing only is written past the page cache, and a
#     descriptor that reads it meanwhile sees each write.
. "$(dirname "$0")/lib.sh"
need_fuse
# shellcheck disable=SC2206
R=($DFSC_TB_RESOLVE_ARGS)
MNT=$TMP/mnt
PIDS=()
mkdir -p "$MNT"
SRV=$DFSC_TB_FS1_SCRATCH_DIR
D=px-$RUN

cleanup() {
  local p
  [ -n "${FULL_MNT:-}" ] && umount -l "$FULL_MNT" 2>/dev/null
  grep " fuse.dfsc" /proc/mounts | awk '{print $2}' | grep "^$TMP/" |
    while read -r m; do fusermount3 -u -z "$m" 2>/dev/null; done
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "${SRV:?}/$D"
  rm -rf "$TMP"
}
trap cleanup EXIT

check "mount" mount_bg "$MNT" --timeout 10
W=$MNT/fs1/scratch/$D
check "mkdir of the test directory" mkdir "$W"

# ---- read-ahead ---------------------------------------------------------------
real=$(realpath "$MNT")
dev=$(awk -v m="$real" '$5 == m && / - fuse/ {d = $3} END {print d}' /proc/self/mountinfo)
if [ "$(id -u)" = 0 ] && [ -n "$dev" ]; then
  eq "read_ahead_kb of the mount's bdi ($dev)" 1024 "$(cat "/sys/class/bdi/$dev/read_ahead_kb")"
else
  ok "# SKIP read-ahead: not root or no mountinfo line for $real"
fi

# ---- rename over an open target ---------------------------------------------
out=$(python3 - "$W" <<'PY' 2>&1
import os, sys
w = sys.argv[1]
target, tmp = os.path.join(w, "target"), os.path.join(w, "target.tmp")
with open(target, "wb") as f:
    f.write(b"version 0\n")
bad = 0
for i in range(1, 1001):
    holder = os.open(target, os.O_RDONLY)
    old = os.pread(holder, 64, 0)
    with open(tmp, "wb") as f:
        f.write(b"version %d\n" % i)
    try:
        os.rename(tmp, target)
    except OSError as e:
        print("rename %d: %s" % (i, e))
        bad += 1
        os.close(holder)
        break
    kept = os.pread(holder, 64, 0)
    with open(target, "rb") as f:
        new = f.read()
    os.close(holder)
    if kept != old or new != b"version %d\n" % i:
        print("round %d: holder read %r (had %r), a new open %r" % (i, kept, old, new))
        bad += 1
        if bad > 3:
            break
print("bad %d" % bad)
PY
)
eq "1,000 renames over a target held open: each succeeded, the holder kept its bytes" \
  "bad 0" "$(echo "$out" | tail -n 1)"
[ "$(echo "$out" | tail -n 1)" = "bad 0" ] || echo "$out" | head -5 | sed 's/^/#   /'
eq "the server has the last version" "version 1000" "$(cat "$SRV/$D/target" 2>&1)"
# The set-aside files go at their last close (the release is asynchronous
# to close(2): a bounded wait).
for _ in $(seq 50); do
  left=$(find "$SRV/$D" -name '.dfsc-deleted-*' | wc -l)
  [ "$left" -eq 0 ] && break
  sleep 0.1
done
eq "no set-aside file is left on the server" 0 "$left"
# Without a holder the rename is a plain one; with RENAME_NOREPLACE the
# open target is not set aside and the rename is refused.
echo new >"$W/plain.tmp"
check "a rename over a target nobody holds" mv "$W/plain.tmp" "$W/target"
eq "mv -n does not replace an open target" "new" "$(
  exec 3<"$W/target" || exit
  echo other >"$W/other"
  mv -n "$W/other" "$W/target" 2>/dev/null
  cat "$SRV/$D/target"
  exec 3<&-
)"

# ---- names of 256 UTF-16 code units -----------------------------------------
n255=$(printf 'a%.0s' $(seq 255))
n256=${n255}b
check "create with a 255-character name" touch "$W/$n255"
check_fail "create with 256 characters: ENAMETOOLONG" "File name too long" touch "$W/$n256"
check_fail "mkdir with 256 characters: ENAMETOOLONG" "File name too long" mkdir "$W/$n256"
check_fail "rename to 256 characters: ENAMETOOLONG" "File name too long" \
  mv "$W/$n255" "$W/$n256"
check_fail "stat of 256 characters: ENAMETOOLONG" "File name too long" stat "$W/$n256"
eq "nothing of 256 characters reached the server" 0 \
  "$(find "$SRV/$D" -name "$n256" | wc -l)"
# 128 characters past U+FFFF are 256 code units (512 bytes of UTF-8).
wide=$(python3 -c 'print("\U0001F600" * 128)')
check_fail "create with 128 characters past U+FFFF: ENAMETOOLONG" "File name too long" \
  touch "$W/$wide"

# A path past the client's limit (4096 bytes, as Linux's PATH_MAX; the wire
# allows 32767 UTF-16 units): reached by chdir, one 200-byte directory at a
# time, the mkdir that would cross it fails with ENAMETOOLONG and creates
# nothing; every one before it works.
out=$(python3 - "$W" <<'PY' 2>&1
import errno, os, sys
os.chdir(sys.argv[1])
depth, made = 0, []
while depth < 40:
    try:
        os.mkdir("d" * 200)
    except OSError as e:
        print(depth, errno.errorcode.get(e.errno, e.errno), os.path.isdir("d" * 200))
        break
    os.chdir("d" * 200)
    depth += 1
else:
    print(depth, "none", True)
PY
)
eq "mkdir past the 4096-byte path limit: ENAMETOOLONG, nothing created" \
  "ENAMETOOLONG False" "${out#* }"
eq "the server holds the directories made before it" "${out%% *}" \
  "$(find "$SRV/$D" -type d -name "$(printf 'd%.0s' $(seq 200))" | wc -l)"

# ---- a directory's times after changes in it --------------------------------
# Each change is followed at once by a stat of the directory, well inside
# attr_timeout (1 s): what the daemon held before must not answer it.
mtime() { python3 -c 'import os,sys; s=os.stat(sys.argv[1]); print(s.st_mtime_ns, s.st_ctime_ns)' "$1"; }
dirtimes() { # DESC COMMAND...: the directory's times move
  local before after
  before=$(mtime "$W")
  sleep 0.02 # distinct times on the server
  "${@:2}" || { not_ok "$1: the command failed"; return; }
  after=$(mtime "$W")
  if [ "${before% *}" != "${after% *}" ] && [ "${before#* }" != "${after#* }" ]; then
    ok "$1: the directory's mtime and ctime moved"
  else
    not_ok "$1: the directory's times stayed ($before -> $after)"
  fi
}
stat "$W" >/dev/null # fresh attributes in the daemon and the kernel
dirtimes "create" touch "$W/t1"
dirtimes "mkdir" mkdir "$W/d1"
dirtimes "rename" mv "$W/t1" "$W/t2"
dirtimes "unlink" rm "$W/t2"
dirtimes "rmdir" rmdir "$W/d1"

# ---- impossible sizes ----------------------------------------------------------
echo data >"$W/big"
eq "truncate to 999999999999999 bytes: EFBIG" "EFBIG" "$(python3 -c '
import errno, os, sys
try:
    os.truncate(sys.argv[1], 999999999999999)
    print("done")
except OSError as e:
    print(errno.errorcode.get(e.errno, e.errno))' "$W/big")"
eq "the size stays as it was" 5 "$(stat -c %s "$W/big")"

# ---- hard links ------------------------------------------------------------------
echo one >"$W/l1"
check "ln makes a hard link" ln "$W/l1" "$W/l2"
eq "the server has one file under two names" \
  "$(stat -c %i "$SRV/$D/l1") 2" "$(stat -c '%i %h' "$SRV/$D/l2" 2>&1)"
eq "st_nlink is 2 through the mount" 2 "$(stat -c %h "$W/l2")"
echo two >>"$W/l1"
eq "a write through one name is read through the other" "one two" \
  "$(tr '\n' ' ' <"$W/l2" | sed 's/ $//')"
check "rm of the first name" rm "$W/l1"
eq "the file lives on under the second, st_nlink 1" "one two 1" \
  "$(tr '\n' ' ' <"$W/l2")$(stat -c %h "$W/l2")"
check_fail "ln over an existing name: EEXIST" "File exists" ln "$W/l2" "$W/target"
check_fail "ln to another share: EXDEV" "Invalid cross-device link" \
  ln "$W/l2" "$MNT/fs1/data/l2-$RUN"

# ---- chmod and the read-only attribute ------------------------------------------------
echo ro >"$W/ro"
attrs() { smbclient -s /dev/null "//$DFSC_TB_FS1/scratch" -U "$CRED" -c "allinfo $D/ro" 2>/dev/null |
  awk '$1 == "attributes:" { print $2 }'; }
check "chmod a-w" chmod a-w "$W/ro"
eq "the mode shows no write bits" 444 "$(stat -c %a "$W/ro")"
case $(attrs) in *R*) ok "smbclient sees the read-only attribute ($(attrs))" ;;
  *) not_ok "smbclient sees the read-only attribute: [$(attrs)]" ;; esac
check_fail "a write is refused" "Permission denied" sh -c "echo x >>'$W/ro'"
check "chmod u+w" chmod u+w "$W/ro"
eq "the mode shows write bits again" 644 "$(stat -c %a "$W/ro")"
case $(attrs) in *R*) not_ok "the read-only attribute is gone: [$(attrs)]" ;;
  *) ok "the read-only attribute is gone ($(attrs))" ;; esac
check "and the file takes writes" sh -c "echo more >>'$W/ro'"
# What pjdfstest found besides (docs/mount.md, "What pjdfstest reports").
: >"$W/ro2"
check "chmod a-w at once after the file's last close" chmod a-w "$W/ro2"
rattrs() { smbclient -s /dev/null "//$DFSC_TB_FS1/scratch" -U "$CRED" -c "allinfo $D/$1" 2>/dev/null |
  awk '$1 == "attributes:" { print $2 }'; }
case $(rattrs ro2) in *R*) ok "reaches the server ($(rattrs ro2))" ;;
  *) not_ok "reaches the server: attributes [$(rattrs ro2)]" ;; esac
check "rm of a read-only file (POSIX asks only for the directory's permission)" rm -f "$W/ro2"
check "it is gone from the server" test ! -e "$SRV/$D/ro2"
mkdir "$W/rodir"
check "chmod a-w of a directory changes nothing on the server" chmod a-w "$W/rodir"
case $(rattrs rodir) in *R*) not_ok "no read-only attribute on the directory: [$(rattrs rodir)]" ;;
  *) ok "no read-only attribute on the directory ($(rattrs rodir))" ;; esac
touch "$W/h1"
stat "$W/h1" >/dev/null
ln "$W/h1" "$W/h2"
eq "after ln, the first name's st_nlink is 2 at once" 2 "$(stat -c %h "$W/h1")"
eq "fstat of a file unlinked while open: st_nlink 0" 0 "$(python3 - "$W/u1" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_CREAT | os.O_RDWR, 0o644)
os.unlink(sys.argv[1])
print(os.fstat(fd).st_nlink)
os.close(fd)
PY
)"

# ---- symlinks ------------------------------------------------------------------------
check "ln -s makes a symlink" ln -s ../some/target "$W/s1"
eq "readlink gives the target" "../some/target" "$(readlink "$W/s1")"
eq "stat says symbolic link" "symbolic link 14" "$(stat -c '%F %s' "$W/s1")"
eq "on the server: a 1067-byte file in the Minshall+French format" "1067 XSym" \
  "$(stat -c %s "$SRV/$D/s1") $(head -c 4 "$SRV/$D/s1")"
# The same format written here by Python, independently of dfsc's encoder.
python3 - "$SRV/$D/s2" "real-file" <<'PY'
import hashlib, sys
t = sys.argv[2].encode()
b = b"XSym\n%04d\n%s\n" % (len(t), hashlib.md5(t).hexdigest().encode()) + t + b"\n"
open(sys.argv[1], "wb").write(b + b" " * (1067 - len(b)))
PY
echo "through the link" >"$W/real-file"
eq "a link file written by another encoder is a link" "real-file" "$(readlink "$W/s2")"
eq "and it is followed" "through the link" "$(cat "$W/s2")"
head -c 1067 /dev/zero | tr '\0' 'x' >"$W/notlink"
eq "a 1067-byte file that is not a link is a regular file" "regular file" \
  "$(stat -c %F "$W/notlink")"
eq "ls -l shows the links" "s1 s2" \
  "$(ls -l "$W" | awk '/^l/ { print $9 }' | tr '\n' ' ' | sed 's/ $//')"
eq "find -type l finds them" "s1 s2" \
  "$(find "$W" -maxdepth 1 -type l -printf '%f\n' | sort | tr '\n' ' ' | sed 's/ $//')"
check_fail "ln -s over an existing name: EEXIST" "File exists" ln -s x "$W/s1"
# A tree with links of every kind, through tar.
mkdir -p "$TMP/tree/a/b"
echo f >"$TMP/tree/a/b/file"
ln -s b/file "$TMP/tree/a/rel"
ln -s /etc/hostname "$TMP/tree/abs"
ln -s missing "$TMP/tree/dangling"
ln -s a "$TMP/tree/dirlink"
listing() { (cd "$1" && find . -mindepth 1 -printf '%y %p %l\n' | sort); }
check "tar of the tree extracts into the mount" sh -c "tar -C '$TMP/tree' -cf - . | tar -C '$W' -xf - --no-same-owner"
eq "the tree through the mount is the tree" "$(listing "$TMP/tree")" \
  "$(listing "$W" | grep -E ' \./(a|abs|dangling|dirlink)( |/)')"

# A directory made here is empty: for negative_timeout the lookups of new
# names in it are answered without the server; a name another client adds
# shows once that time has passed.
nneg() { awk '$1 == "mount_lookups_local_neg" { print $2 }' "$MNT/.dfsc/stats"; }
n0=$(nneg)
mkdir "$W/nd"
touch "$W/nd/a" "$W/nd/b"
n1=$(nneg)
if [ -n "$n0" ] && [ -n "$n1" ] && [ "$n1" -gt "$n0" ]; then
  ok "new names in a directory made here are looked up without the server ($n0 -> $n1)"
else
  not_ok "new names in a directory made here are looked up without the server ($n0 -> $n1)"
fi
echo upper >"$W/nd/Mixed"
eq "but a name differing only in case from one made there goes to the server, which finds it" \
  upper "$(cat "$W/nd/mixed" 2>&1)"
echo other >"$SRV/$D/nd/c"
sleep 1.5
eq "a name another client added shows after negative_timeout" other "$(cat "$W/nd/c" 2>&1)"

# Times survive the close of the handle that wrote (tar closes each file,
# then sets its times by path while the kernel's RELEASE may still be on
# its way; the server moves the write time when that handle closes).
mkdir -p "$TMP/times"
for i in $(seq 1 60); do
  head -c $((i * 100)) /dev/urandom >"$TMP/times/f$i"
  touch -d "2001-02-03 04:05:$((i % 60))" "$TMP/times/f$i"
done
tar -C "$TMP/times" -cf "$TMP/times.tar" .
mkdir "$W/times"
check "tar -x of 60 files with old mtimes" tar -C "$W/times" -xf "$TMP/times.tar" --no-same-owner
sleep 1
eq "tar -d finds every mtime as archived" 0 \
  "$(cd "$W/times" && tar -df "$TMP/times.tar" 2>&1 | grep -c 'Mod time differs')"
eq "and so does the server's disk" 0 \
  "$(cd "$SRV/$D/times" && tar -df "$TMP/times.tar" 2>&1 | grep -c 'Mod time differs')"

# What tar does to each file it writes, through the open descriptor:
# futimens, fchown to the owner it already shows, fchmod that keeps the
# write bits. The kernel hands the daemon no handle for these. While the
# file is open here the times are the node's and go to the server with the
# last close (which would move the write time anyway); fchown and fchmod
# change nothing on the server: none of the three costs a request, and
# fstat shows the times set. After the close the server has them. A write
# after the times drops them (the write's own time stands).
out=$(python3 - "$W/fdattr" "$MNT/.dfsc/stats" "$W/fdattr2" <<'PY'
import os, sys
def reqs():
    for line in open(sys.argv[2]):
        k, v = line.split()[:2]
        if k == "requests_sent":
            return int(v)
import time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
os.write(fd, b"x" * 3000)
# The write may be answered before its request goes out (write-behind):
# the count is taken once it stands still.
a = reqs()
for _ in range(50):
    time.sleep(0.1)
    if reqs() == a:
        break
    a = reqs()
os.utime(fd, (981173106, 981173106))
st = os.fstat(fd)
os.fchown(fd, st.st_uid, st.st_gid)
os.fchmod(fd, 0o644)
st = os.fstat(fd)
b = reqs()
os.close(fd)
fd = os.open(sys.argv[3], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
os.write(fd, b"y" * 100)
os.utime(fd, (981173106, 981173106))
os.write(fd, b"z" * 100)
os.close(fd)
print(b - a, int(st.st_mtime), st.st_size)
PY
)
set -- $out
eq "futimens, fstat, fchown to the same owner, fchmod keeping the write bits while open: no request" \
  0 "${1:-}"
eq "fstat shows the time set and the size written" "981173106 3000" "${2:-} ${3:-}"
sleep 1
eq "after the close the server's disk has that time" 981173106 "$(stat -c %Y "$SRV/$D/fdattr")"
eq "and the mount shows it" 981173106 "$(stat -c %Y "$W/fdattr")"
now=$(date +%s)
t2=$(stat -c %Y "$SRV/$D/fdattr2")
if [ "$t2" -gt $((now - 60)) ]; then
  ok "a write after the times: the server keeps the write's time ($t2)"
else
  not_ok "a write after the times: the server keeps the write's time ($t2, now $now)"
fi

# Write-behind: writes to a new file (a write-caching lease, no lock) are
# answered before the server has them; close(2) returns once it has them
# all (the server's disk holds the same bytes at once), a read through
# another descriptor sees them, and the size never shows less.
head -c $((16 << 20)) /dev/urandom >"$TMP/wb.bin"
wb0=$(awk '$1 == "mount_writes_behind" {print $2}' "$MNT/.dfsc/stats")
check "dd of 16 MiB into a new file" dd if="$TMP/wb.bin" of="$W/wb.bin" bs=1M status=none
check "right after its close the server's disk has the same bytes" cmp "$TMP/wb.bin" "$SRV/$D/wb.bin"
wb1=$(awk '$1 == "mount_writes_behind" {print $2}' "$MNT/.dfsc/stats")
if [ "${wb1:-0}" -gt "${wb0:-0}" ]; then
  ok "those writes were answered early ($wb0 -> $wb1 mount_writes_behind)"
else
  not_ok "those writes were answered early ($wb0 -> $wb1 mount_writes_behind)"
fi
eq "while writing, a read through another descriptor and fstat see every byte written" \
  "ok" "$(python3 - "$W/wb2.bin" <<'PY'
import os, sys
w = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
data = os.urandom(1 << 20)
for i in range(6):
    os.pwrite(w, data, i << 20)
    if os.fstat(w).st_size != (i + 1) << 20:
        print("size", os.fstat(w).st_size); sys.exit()
r = os.open(sys.argv[1], os.O_RDONLY)
got = os.pread(r, 1 << 20, 5 << 20)
os.close(r)
os.close(w)
print("ok" if got == data else "differs")
PY
)"
eq "mount_writes_behind_err stays 0" 0 "$(awk '$1 == "mount_writes_behind_err" {print $2}' "$MNT/.dfsc/stats")"

# Writes past the page cache: a file opened for writing only, with no other
# descriptor open on it here, is written with FOPEN_DIRECT_IO (counted in
# mount_direct_writers; that the kernel did so is checked below); a file
# opened to read and write is not, nor a writer that opens while a reader
# holds the file. Whichever way the bytes
# go, a descriptor open on the file sees each write once write(2) has
# returned: at once through the page cache; past it the kernel drops the
# range before the write (Linux 6.6 on) and the daemon drops that
# descriptor's pages after it (older kernels rely on that, within the 5 s
# allowed here).
printf 'old' >"$SRV/$D/dio-old.bin"
chmod 0666 "$SRV/$D/dio-old.bin"
eq "writes past the page cache, and readers see them" "ok" "$(python3 - "$W" "$MNT/.dfsc/stats" 2>&1 <<'PY'
import os, sys, time
w_dir, stats = sys.argv[1], sys.argv[2]
path = os.path.join(w_dir, "dio.bin")
def stat(key):
    for line in open(stats):
        k, v = line.split()
        if k == key:
            return int(v)
    raise SystemExit("no %s in stats" % key)
def now():
    return stat("mount_direct_writers")
def seen(fd, want, bound):
    t0 = time.monotonic()
    while True:
        if os.pread(fd, len(want), 0) == want:
            return True
        if time.monotonic() - t0 > bound:
            return False
        time.sleep(0.05)
d0 = now()
w = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
os.write(w, b"A" * (256 << 10))
if now() != d0 + 1:
    raise SystemExit("a write-only create: direct %d -> %d" % (d0, now()))
r = os.open(path, os.O_RDONLY)
if os.pread(r, 4096, 0) != b"A" * 4096:
    raise SystemExit("the reader does not see the first write")
os.pwrite(w, b"B" * 4096, 0)
if not seen(r, b"B" * 4096, 5.0):
    raise SystemExit("a reader kept stale pages after a write past the page cache")
os.close(w)
w = os.open(path, os.O_WRONLY)
os.pwrite(w, b"C" * 4096, 0)
d1 = now()
if d1 != d0 + 1:
    raise SystemExit("a writer opened while a reader holds the file: direct %d -> %d"
                     % (d0, d1))
if os.pread(r, 4096, 0) != b"C" * 4096:
    raise SystemExit("the reader does not see a write through the page cache at once")
os.close(w)
os.close(r)
w = os.open(os.path.join(w_dir, "dio-old.bin"), os.O_WRONLY | os.O_TRUNC)
os.write(w, b"E" * (128 << 10))
os.close(w)
if now() != d1 + 1:
    raise SystemExit("a write-only open of an existing file: direct %d -> %d" % (d1, now()))
rw = os.open(os.path.join(w_dir, "dio-rw.bin"), os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
os.pwrite(rw, b"D" * 4096, 0)
ok = os.pread(rw, 4096, 0) == b"D" * 4096
d2 = now()
os.close(rw)
if not ok or d2 != d1 + 1:
    raise SystemExit("a read-write create: read back %s, direct %d -> %d" % (ok, d1, d2))
with open(path, "rb") as f:
    data = f.read()
print("ok" if data == b"C" * 4096 + b"A" * ((256 << 10) - 4096) else "the file differs")
PY
)"
# And the kernel did so: 16 MiB written by a process in a memory cgroup of
# its own leave no page cache charged to it when written to a write-only
# descriptor, and 16 MiB of it through a read-write one.
out=$(python3 - "$W" <<'PY' 2>&1
import os, sys
w_dir = sys.argv[1]
def memcg():
    v2 = "/sys/fs/cgroup/cgroup.controllers"
    if os.path.exists(v2) and "memory" in open(v2).read().split():
        rel = [l.split(":", 2)[2] for l in open("/proc/self/cgroup") if l.startswith("0::")][0]
        return "/sys/fs/cgroup" + rel.strip(), "file"
    for l in open("/proc/self/cgroup"):
        n, ctl, rel = l.strip().split(":", 2)
        if "memory" in ctl.split(","):
            return "/sys/fs/cgroup/memory" + rel, "cache"
    return None, None
parent, key = memcg()
if parent is None:
    print("skip: no memory cgroup"); sys.exit()
child = os.path.join(parent, "dfsc-dio-%d" % os.getpid())
try:
    os.mkdir(child)
except OSError as e:
    print("skip: %s" % e); sys.exit()
def charged():
    for l in open(os.path.join(child, "memory.stat")):
        k, v = l.split()
        if k == key:
            return int(v)
res = []
try:
    with open(os.path.join(child, "cgroup.procs"), "w") as f:
        f.write(str(os.getpid()))
    data = os.urandom(1 << 20)
    for name, flags in (("cg-wo.bin", os.O_WRONLY), ("cg-rw.bin", os.O_RDWR)):
        before = charged()
        fd = os.open(os.path.join(w_dir, name), flags | os.O_CREAT | os.O_EXCL, 0o644)
        for i in range(16):
            os.write(fd, data)
        os.close(fd)
        res.append((charged() - before) >> 20)
finally:
    with open(os.path.join(parent, "cgroup.procs"), "w") as f:
        f.write(str(os.getpid()))
    os.rmdir(child)
print("write-only %d MiB, read-write %d MiB" % tuple(res))
sys.exit(0 if res[0] < 4 and res[1] >= 12 else 1)
PY
)
rc=$?
case $out in
skip:*) ok "# SKIP page cache of a write-only descriptor: $out" ;;
*) if [ $rc -eq 0 ]; then
  ok "16 MiB through a write-only descriptor leave no page cache ($out of page cache)"
else
  not_ok "16 MiB through a write-only descriptor leave no page cache ($out)"
fi ;;
esac
check "the server's disk has the same bytes" python3 -c '
import sys
ok = open(sys.argv[1] + "/dio.bin", "rb").read() == b"C" * 4096 + b"A" * ((256 << 10) - 4096)
ok = ok and open(sys.argv[1] + "/dio-old.bin", "rb").read() == b"E" * (128 << 10)
ok = ok and open(sys.argv[1] + "/dio-rw.bin", "rb").read() == b"D" * 4096
sys.exit(not ok)' "$SRV/$D"

# A write the server refuses after the mount answered it: the server's disk
# is full (a 4 MiB tmpfs over a directory of the share, on the server's
# side). The refusal comes back through dd's next write or its close, and
# is counted; the mount goes on working.
FULL_MNT=
if [ "$(id -u)" = 0 ] && mkdir "$SRV/$D/full" &&
  mount -t tmpfs -o size=4m,mode=0777 tmpfs "$SRV/$D/full"; then
  FULL_MNT=$SRV/$D/full
  e0=$(awk '$1 == "mount_writes_behind_err" {print $2}' "$MNT/.dfsc/stats")
  out=$(dd if="$TMP/wb.bin" of="$W/full/big" bs=1M 2>&1)
  rc=$?
  e1=$(awk '$1 == "mount_writes_behind_err" {print $2}' "$MNT/.dfsc/stats")
  if [ "$rc" -ne 0 ] && echo "$out" | grep -q "No space left on device"; then
    ok "dd of 16 MiB onto a 4 MiB disk fails with ENOSPC"
  else
    not_ok "dd of 16 MiB onto a 4 MiB disk fails with ENOSPC (exit $rc: $out)"
  fi
  if [ "${e1:-0}" -gt "${e0:-0}" ]; then
    ok "the refusal was of a write answered early ($e0 -> $e1 mount_writes_behind_err)"
  else
    not_ok "the refusal was of a write answered early ($e0 -> $e1 mount_writes_behind_err)"
  fi
  # What fitted stays (allocated bytes, not the size: the server carries
  # out the writes in flight in any order, so one past a refused one may
  # land beyond a hole).
  held=$(stat -c '%b %B' "$SRV/$D/full/big" 2>/dev/null | awk '{print $1 * $2}')
  if [ -n "$held" ] && [ "$held" -gt 0 ]; then
    ok "the server keeps what fitted ($held bytes allocated)"
  else
    not_ok "the server keeps what fitted (${held:-no file} bytes allocated)"
  fi
  check "rm of the partial file" rm -f "$W/full/big"
  check "a write after it works" sh -c "echo after >'$W/full/small'"
  eq "and reads back" after "$(cat "$W/full/small")"
  rm -f "$W/full/small"
  umount -l "$FULL_MNT" && FULL_MNT=
else
  ok "# SKIP write refused by a full disk: not root, or no tmpfs"
fi

check "fusermount3 -u unmounts" fusermount3 -u "$MNT"
check "the daemon exits" gone "$MPID" 10
finish
