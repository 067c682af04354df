#!/usr/bin/env bash
# get -r: a tree built on fs1's scratch share (on disk) comes back whole,
# plain and with -j 8, over a direct path and through DFS (the scratchlink
# link, and a link inside the tree), with the modification times of files
# and directories; a missing directory is one error line and exit 1; a file
# that cannot be read fails alone and leaves nothing under its final name;
# an interrupted get -r leaves no partial file under a final name;
# --max-files and --max-bytes stop it with one line and leave only whole
# files; a symbolic link in the local tree, there before or swapped in
# while the walk runs, is never followed.
. "$(dirname "$0")/lib.sh"
# shellcheck disable=SC2206
R=($DFSC_TB_RESOLVE_ARGS)
d() { "$DFSC" -U "$CRED" "${R[@]}" "$@"; }
fs1=$DFSC_TB_FS1
SRC=$DFSC_TB_FS1_SCRATCH_DIR/$RUN
NS=$DFSC_TB_DIR/srv/dfsroot/msdfs/$RUN
trap 'rm -rf "$TMP" "$SRC" "$NS"' EXIT

# The tree: nested directories, an empty one, an empty file, a name with a
# space, a file larger than one read, and old times on everything.
mkdir -p "$SRC/tree/a/b/c" "$SRC/tree/empty dir" "$SRC/tree/x"
for i in $(seq 1 40); do echo "file $i" >"$SRC/tree/x/f$i.txt"; done
for i in $(seq 1 5); do echo "deep $i" >"$SRC/tree/a/b/c/d$i"; done
: >"$SRC/tree/a/zero"
echo "spaced" >"$SRC/tree/a/with space.txt"
head -c $((9 * 1024 * 1024 + 123)) /dev/urandom >"$SRC/tree/a/b/big.bin"
n=0
# Deepest first: setting a time on an entry does not change its directory's.
while IFS= read -r -d '' p; do
  n=$((n + 1))
  touch -h -d "@$((1000000000 + n * 3601))" "$p"
done < <(find "$SRC/tree" -depth -print0)
chown -R "$DFSC_TB_USER" "$SRC" 2>/dev/null
times() { (cd "$1" && find . -exec stat -c '%n %Y' {} + | sort); }

same_tree() { # DESC DIR
  if diff -r "$SRC/tree" "$2" >"$TMP/diff" 2>&1; then ok "$1: same content"; else
    not_ok "$1: content differs"; head -10 "$TMP/diff" | sed 's/^/#   /'; fi
  eq "$1: same modification times" "$(times "$SRC/tree")" "$(times "$2")"
  eq "$1: no temporary files" "" "$(find "$2" -name '.*.dfsc-*')"
}

mkdir "$TMP/p" && cd "$TMP/p" || exit 1
check "get -r, LOCAL defaults to the last component" d get -r "//$fs1/scratch/$RUN/tree"
same_tree "plain" "$TMP/p/tree"
cd / || exit 1

check "get --recursive -j 8 into LOCAL" d -j 8 get --recursive "//$fs1/scratch/$RUN/tree/" "$TMP/j8"
same_tree "-j 8" "$TMP/j8"

check "get -r again into the existing tree (merge, replace)" d -j 8 get -r "//$fs1/scratch/$RUN/tree" "$TMP/j8"
same_tree "again" "$TMP/j8"

check "get -r -j 4 through a DFS link (//dfsroot/dfs/scratchlink)" \
  d -j 4 get -r "//dfsroot/dfs/scratchlink/$RUN/tree" "$TMP/dfs"
same_tree "DFS path" "$TMP/dfs"

# A link inside the tree: a directory of the namespace holding a link to
# the tree (the namespace is a local directory of the testbed).
if mkdir "$NS" 2>/dev/null && echo top >"$NS/top.txt" &&
  ln -s "msdfs:fs1\\scratch\\$RUN\\tree" "$NS/lnk"; then
  check "get -r -j 8 of a namespace directory holding a link" d -j 8 get -r "//dfsroot/dfs/$RUN" "$TMP/ns"
  eq "namespace file arrived" "top" "$(cat "$TMP/ns/top.txt" 2>/dev/null)"
  if diff -r "$SRC/tree" "$TMP/ns/lnk" >/dev/null 2>&1; then ok "the link's tree arrived whole"; else
    not_ok "the link's tree differs"; fi
else
  not_ok "cannot create a namespace directory in $NS"
fi

# A missing directory: one clean line, exit 1, nothing created.
cd "$TMP/p" || exit 1
d get -r "//$fs1/scratch/$RUN/nope" >"$TMP/out" 2>"$TMP/err"
eq "missing directory: exit 1" 1 "$?"
eq "missing directory: one error line" 1 "$(wc -l <"$TMP/err")"
grep -q "^dfsc: //$fs1/scratch/$RUN/nope: STATUS_OBJECT_NAME_NOT_FOUND\$" "$TMP/err" &&
  ok "missing directory: the line names path and status" ||
  { not_ok "missing directory: message"; sed 's/^/#   /' "$TMP/err"; }
[ ! -e nope ] && ok "missing directory: nothing created locally" || not_ok "missing directory: 'nope' created"
cd / || exit 1

# One unreadable file: it alone fails, the rest arrives, and neither it nor
# its temporary file is left behind.
if [ "$(id -u)" = 0 ]; then
  echo secret >"$SRC/tree/x/locked"
  chown root:root "$SRC/tree/x/locked" && chmod 000 "$SRC/tree/x/locked"
  d -j 8 get -r "//$fs1/scratch/$RUN/tree" "$TMP/lk" >"$TMP/out" 2>"$TMP/err"
  eq "unreadable file: exit 1" 1 "$?"
  eq "unreadable file: one error line" 1 "$(wc -l <"$TMP/err")"
  grep -q "^dfsc: //$fs1/scratch/$RUN/tree/x/locked: STATUS_ACCESS_DENIED\$" "$TMP/err" &&
    ok "unreadable file: the line names it" ||
    { not_ok "unreadable file: message"; sed 's/^/#   /' "$TMP/err"; }
  [ ! -e "$TMP/lk/x/locked" ] && ok "unreadable file: nothing under its name" || not_ok "unreadable file: final name exists"
  eq "unreadable file: no temporary files" "" "$(find "$TMP/lk" -name '.*.dfsc-*')"
  eq "unreadable file: the others arrived" 40 "$(find "$TMP/lk/x" -name 'f*.txt' | wc -l)"
  rm -f "$SRC/tree/x/locked"
else
  ok "unreadable file: skipped (needs root to make a file smbd cannot read)"
fi

# Interrupted midway (SIGTERM while a large file is arriving): no partial
# file under a final name. The large file is a hard link to the testbed's
# big.bin (no copy); without one, a 128 MiB file.
mkdir -p "$SRC/kill/sub"
ln "$DFSC_TB_DATA_DIR/big.bin" "$SRC/kill/sub/big.bin" 2>/dev/null ||
  head -c $((128 * 1024 * 1024)) /dev/zero >"$SRC/kill/sub/big.bin"
chown -R "$DFSC_TB_USER" "$SRC/kill" 2>/dev/null
want=$(stat -c %s "$SRC/kill/sub/big.bin")
"$DFSC" -U "$CRED" "${R[@]}" -j 2 get -r "//$fs1/scratch/$RUN/kill" "$TMP/kill" 2>"$TMP/err-kill" &
pid=$!
for _ in $(seq 1 300); do
  t=$(find "$TMP/kill" -name '.big.bin*' -size +1k 2>/dev/null | head -1)
  [ -n "$t" ] && break
  sleep 0.02
done
kill -TERM $pid 2>/dev/null
wait $pid
rc=$?
[ $rc -ne 0 ] && ok "interrupted: exit non-zero ($rc)" || not_ok "interrupted: exit 0 (finished first?)"
if [ -e "$TMP/kill/sub/big.bin" ]; then
  eq "interrupted: a file under the final name is whole" "$want" "$(stat -c %s "$TMP/kill/sub/big.bin")"
else
  ok "interrupted: no file under the final name"
fi
eq "interrupted: temporary file removed" "" "$(find "$TMP/kill" -name '.*.dfsc-*' 2>/dev/null)"
[ -e "$SRC/kill/sub/big.bin" ] && rm -f "$SRC/kill/sub/big.bin"

# ---- limits ---------------------------------------------------------------
# whole_files DESC LOCAL SERVER-DIR: every regular file under LOCAL is
# byte for byte the server's, and no temporary file is left.
whole_files() {
  local bad=0 f
  while IFS= read -r -d '' f; do
    cmp -s "$f" "$3/${f#"$2"/}" || { bad=$((bad + 1)); echo "#   differs: $f"; }
  done < <(find "$2" -type f -print0)
  eq "$1: every local file is whole" 0 "$bad"
  eq "$1: no temporary files" "" "$(find "$2" -name '.*.dfsc-*')"
}
MANY=$DFSC_TB_DATA_DIR/many
d -j 8 get -r --max-files 100 "//$fs1/data/many" "$TMP/mf" >"$TMP/out" 2>"$TMP/err"
eq "--max-files 100 of 10,000: exit 1" 1 "$?"
eq "--max-files: one error line" 1 "$(wc -l <"$TMP/err")"
grep -Eq "^dfsc: //$fs1/data/many/f[0-9]{5}: stopped: more than --max-files 100 files and directories" "$TMP/err" &&
  ok "--max-files: the line names the limit and the path" ||
  { not_ok "--max-files: message"; sed 's/^/#   /' "$TMP/err"; }
eq "--max-files: exactly 100 files arrived" 100 "$(find "$TMP/mf" -type f | wc -l)"
whole_files "--max-files" "$TMP/mf" "$MANY"

# Files of 7 bytes each: a budget of 700 holds exactly 100, also -j 8.
d -j 8 --json get -r --max-bytes 700 "//$fs1/data/many" "$TMP/mb" >"$TMP/out" 2>"$TMP/err"
eq "--max-bytes 700: exit 1" 1 "$?"
eq "--max-bytes: one error line" 1 "$(wc -l <"$TMP/err")"
grep -Eq "^dfsc: //$fs1/data/many/f[0-9]{5}: stopped: more than --max-bytes 700 bytes" "$TMP/err" &&
  ok "--max-bytes: the line names the limit and the path" ||
  { not_ok "--max-bytes: message"; sed 's/^/#   /' "$TMP/err"; }
eq "--max-bytes: exactly 100 files arrived" 100 "$(find "$TMP/mb" -type f | wc -l)"
whole_files "--max-bytes" "$TMP/mb" "$MANY"
python3 - "$TMP/out" <<'PY' && ok "--max-bytes --json: ok false, limit max_bytes, 700 bytes" || not_ok "--max-bytes --json"
import json, sys
o = json.load(open(sys.argv[1]))
if (o.get("ok"), o.get("limit"), o.get("bytes"), o.get("files")) != (False, "max_bytes", 700, 100):
    print("#  ", o); sys.exit(1)
PY

# A budget smaller than the 9 MiB file, set as a configuration key: that
# file never appears, whatever else arrived is whole.
d -j 4 --set max_bytes=1M get -r "//$fs1/scratch/$RUN/tree" "$TMP/mb2" >"$TMP/out" 2>"$TMP/err"
eq "max_bytes=1M (--set) on a tree with a 9 MiB file: exit 1" 1 "$?"
grep -q "stopped: more than --max-bytes 1048576 bytes" "$TMP/err" &&
  ok "max_bytes=1M: the line names the limit" || { not_ok "max_bytes=1M: message"; sed 's/^/#   /' "$TMP/err"; }
[ ! -e "$TMP/mb2/a/b/big.bin" ] && ok "max_bytes=1M: the large file is not there" || not_ok "max_bytes=1M: big.bin written"
whole_files "max_bytes=1M" "$TMP/mb2" "$SRC/tree"
printf 'max_files = 3\n' >"$TMP/limits.conf"
d --config "$TMP/limits.conf" get -r "//$fs1/scratch/$RUN/tree" "$TMP/mf2" >"$TMP/out" 2>"$TMP/err"
eq "max_files = 3 in dfsc.conf: exit 1" 1 "$?"
grep -q "stopped: more than --max-files 3 files" "$TMP/err" &&
  ok "max_files = 3: the line names the limit" || { not_ok "max_files = 3: message"; sed 's/^/#   /' "$TMP/err"; }
eq "max_files = 3: three entries arrived" 3 "$(find "$TMP/mf2" -mindepth 1 | wc -l)"
check "--max-files 0 is no limit" d -j 8 get -r --max-files 0 --max-bytes 0 "//$fs1/scratch/$RUN/tree" "$TMP/nolimit"
same_tree "no limit" "$TMP/nolimit"
check_fail "--max-files takes a count" "max_files: invalid value" d get -r --max-files 1K "//$fs1/scratch/$RUN/tree"
check_fail "--max-bytes takes a size" "max_bytes: invalid value" d get -r --max-bytes lots "//$fs1/scratch/$RUN/tree"
check_fail "--max-files is for get -r" "for get -r" d get --max-files 5 "//$fs1/scratch/$RUN/tree/a/zero"

# ---- symbolic links in the local tree ------------------------------------
# There before the walk: where a directory belongs (refused, one line,
# nothing written where it points) and where a file belongs (the file
# replaces the link; the link's target is not touched).
mkdir -p "$TMP/victim" "$TMP/sl/x"
ln -s "$TMP/victim" "$TMP/sl/a"
ln -s "$TMP/victim/f1.txt" "$TMP/sl/x/f1.txt"
d -j 4 get -r "//$fs1/scratch/$RUN/tree" "$TMP/sl" >"$TMP/out" 2>"$TMP/err"
eq "a link where a directory belongs: exit 1" 1 "$?"
eq "link: one error line" 1 "$(wc -l <"$TMP/err")"
grep -qx "dfsc: $TMP/sl/a: a symbolic link where a directory belongs, not followed" "$TMP/err" &&
  ok "link: the line names it" || { not_ok "link: message"; sed 's/^/#   /' "$TMP/err"; }
eq "link: nothing written where the links point" "" "$(ls -A "$TMP/victim")"
[ -f "$TMP/sl/x/f1.txt" ] && [ ! -L "$TMP/sl/x/f1.txt" ] && ok "link at a file's place: replaced by the file" ||
  not_ok "link at a file's place: still a link"
eq "link at a file's place: content" "file 1" "$(cat "$TMP/sl/x/f1.txt" 2>/dev/null)"
eq "the rest arrived" 40 "$(find "$TMP/sl/x" -name 'f*.txt' | wc -l)"

# Swapped in mid-run: through the delay proxy (slowfs, 100 ms each way)
# each file takes a round trip of 200 ms or more; once the first file of
# sub/ is there, sub/ is moved aside and a link to another directory put
# in its place. Every later file must still land in the directory the
# walk opened (now sub.moved), none where the link points.
mkdir -p "$SRC/race/sub" "$TMP/victim2"
for i in $(seq 1 20); do echo "race $i" >"$SRC/race/sub/r$i"; done
chown -R "$DFSC_TB_USER" "$SRC/race" 2>/dev/null
d -j 1 get -r "//slowfs/scratch/$RUN/race" "$TMP/race" >"$TMP/out-race" 2>"$TMP/err-race" &
pid=$!
swapped=0 at_swap=
for _ in $(seq 1 600); do
  at_swap=$(find "$TMP/race/sub" -maxdepth 1 -name 'r*' 2>/dev/null | wc -l)
  if [ "$at_swap" -gt 0 ]; then
    mv "$TMP/race/sub" "$TMP/race/sub.moved" && ln -s "$TMP/victim2" "$TMP/race/sub" && swapped=1
    break
  fi
  sleep 0.05
done
wait $pid
rc=$?
[ "$swapped" = 1 ] && [ "$at_swap" -lt 20 ] &&
  ok "race: the link was swapped in with $at_swap of 20 files there" ||
  not_ok "race: no swap while files were still coming (swapped=$swapped, $at_swap files)"
eq "race: nothing written where the swapped-in link points" "" "$(ls -A "$TMP/victim2")"
eq "race: every file landed in the directory the walk opened" 20 "$(find "$TMP/race/sub.moved" -name 'r*' | wc -l)"
eq "race: exit 0" 0 "$rc"

# ---- descriptors ----------------------------------------------------------
# A wide tree (1,100 directories of one file each) under a soft limit of
# 256 descriptors: the queue holds entries of up to 1,024 directories, and
# a walk that kept each open until its entries finished ran out. Every
# file must arrive, with the times, and the exit status must be 0.
mkdir -p "$SRC/wide"
for i in $(seq -w 1 1100); do
  mkdir "$SRC/wide/d$i" && echo "wide $i" >"$SRC/wide/d$i/f"
done
touch -d @1100000000 "$SRC/wide/d0"*
chown -R "$DFSC_TB_USER" "$SRC/wide" 2>/dev/null
(ulimit -n 256 && d get -r "//$fs1/scratch/$RUN/wide" "$TMP/wide") >"$TMP/out" 2>"$TMP/err"
eq "1,100 directories under ulimit -n 256: exit 0" 0 "$?"
eq "wide tree: no error line" "" "$(head -3 "$TMP/err")"
if diff -r "$SRC/wide" "$TMP/wide" >"$TMP/diff" 2>&1; then ok "wide tree: every file arrived intact"; else
  not_ok "wide tree: content differs ($(wc -l <"$TMP/diff") lines of diff)"; head -5 "$TMP/diff" | sed 's/^/#   /'; fi
eq "wide tree: same modification times" "$(times "$SRC/wide")" "$(times "$TMP/wide")"
eq "wide tree: no temporary files" "" "$(find "$TMP/wide" -name '.*.dfsc-*')"

# A chain 60 directories deep, a file in each, -j 8 under a soft limit of
# 32: one descriptor per level would not fit, so closed levels are opened
# again from the root, O_NOFOLLOW at each step.
deep=$SRC/deep
for i in $(seq 1 60); do
  deep=$deep/l$i
  mkdir -p "$deep" && echo "level $i" >"$deep/f"
done
chown -R "$DFSC_TB_USER" "$SRC/deep" 2>/dev/null
(ulimit -n 32 && d -j 8 get -r "//$fs1/scratch/$RUN/deep" "$TMP/deep") >"$TMP/out" 2>"$TMP/err"
eq "60 levels deep, -j 8 under ulimit -n 32: exit 0" 0 "$?"
eq "deep tree: no error line" "" "$(head -3 "$TMP/err")"
if diff -r "$SRC/deep" "$TMP/deep" >/dev/null 2>&1; then ok "deep tree: every file arrived intact"; else
  not_ok "deep tree: content differs"; fi
rm -rf "$SRC/wide" "$SRC/deep" "$TMP/wide" "$TMP/deep"

# A closed directory opened again must be the one first opened there.
# Through slowfs, -j 1, soft limit 20 (at most 5 directories open): the 8
# directories are all listed (created locally) before the first file; when
# that file lands, every other directory is swapped, half for a symbolic
# link to victim3, half for a new empty directory. Those still open get
# their files in the moved directory; those closed meanwhile are refused
# when opened again (one line per entry that needed them). Nothing may
# land in victim3 or in a new directory.
mkdir -p "$TMP/victim3"
for i in 1 2 3 4 5 6 7 8; do
  mkdir -p "$SRC/race2/a$i" && echo "a$i" >"$SRC/race2/a$i/f1"
done
chown -R "$DFSC_TB_USER" "$SRC/race2" 2>/dev/null
(ulimit -n 20 && exec "$DFSC" -U "$CRED" "${R[@]}" -j 1 get -r "//slowfs/scratch/$RUN/race2" \
  "$TMP/race2") >"$TMP/out-race2" 2>"$TMP/err-race2" &
pid=$!
swapped=0 news=()
for _ in $(seq 1 600); do
  if [ -n "$(find "$TMP/race2" -mindepth 2 -type f -name 'f?' 2>/dev/null | head -1)" ]; then
    for i in 1 2 3 4 5 6 7 8; do
      [ -z "$(ls -A "$TMP/race2/a$i" 2>/dev/null)" ] || continue
      mv "$TMP/race2/a$i" "$TMP/race2/a$i.moved" || continue
      if [ $((i % 2)) = 0 ]; then ln -s "$TMP/victim3" "$TMP/race2/a$i"; else
        mkdir "$TMP/race2/a$i" && news+=("$TMP/race2/a$i"); fi
      swapped=$((swapped + 1))
    done
    break
  fi
  sleep 0.02
done
wait $pid
rc=$?
[ "$swapped" -ge 6 ] && ok "reopen: $swapped directories swapped before their files" ||
  not_ok "reopen: only $swapped directories swapped"
eq "reopen: nothing written where the swapped-in links point" "" "$(ls -A "$TMP/victim3")"
eq "reopen: nothing written in a directory put in place of another" "" \
  "$( ((${#news[@]})) && find "${news[@]}" -mindepth 1)"
refused=$(grep -c -E ': (a symbolic link where a directory belongs|replaced by another directory while the walk ran), not followed$' "$TMP/err-race2")
[ "$refused" -ge 1 ] && ok "reopen: $refused closed directories refused when opened again" ||
  not_ok "reopen: no directory refused (was any closed?)"
eq "reopen: no other error line" "" \
  "$(grep -v -E 'not followed$' "$TMP/err-race2")"
eq "reopen: exit 1" 1 "$rc"

# ---- long names -----------------------------------------------------------
# The temporary name holds the final name cut to NAME_MAX - 14 bytes; the
# cut must fall between two UTF-8 characters. 84 CJK characters are 252
# bytes, so the cut lands at 241, inside the 81st character, unless it
# backs up to 240. A name over 255 bytes cannot be made on the testbed's
# ext4 (the server would list one), so only the cut is tested here. The
# large file (a hard link to the testbed's big.bin) keeps the temporary
# name there long enough to be seen.
LN=$(python3 -c 'print("\u4e2d" * 84)')
mkdir -p "$SRC/long"
ln "$DFSC_TB_DATA_DIR/big.bin" "$SRC/long/$LN" 2>/dev/null ||
  head -c $((128 * 1024 * 1024)) /dev/zero >"$SRC/long/$LN"
chown -R "$DFSC_TB_USER" "$SRC/long" 2>/dev/null
python3 - "$TMP/long" "$DFSC" -U "$CRED" "${R[@]}" get -r "//$fs1/scratch/$RUN/long" "$TMP/long" \
  >"$TMP/out" 2>"$TMP/err" <<'PY'
# Runs the get, watches its target for the temporary file and prints
# "exit N" and what the temporary name was: utf8, broken or unseen.
import os, subprocess, sys, time
target, cmd = os.fsencode(sys.argv[1]), sys.argv[2:]
p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)  # its summary line is not ours
seen = None
deadline = time.time() + 120
while p.poll() is None and seen is None and time.time() < deadline:
    try:
        for n in os.listdir(target):
            if n.startswith(b".") and b".dfsc-" in n:
                seen = n
                break
    except FileNotFoundError:
        pass
rc = p.wait(timeout=max(1, deadline - time.time()))
if seen is None:
    print("exit %d unseen" % rc)
else:
    try:
        seen.decode("utf-8")
        print("exit %d utf8 %d" % (rc, len(seen)))
    except UnicodeDecodeError:
        print("exit %d broken %d" % (rc, len(seen)))
PY
eq "a 252-byte name: the temporary name is whole UTF-8, the get exits 0" \
  "exit 0 utf8 253" "$(cat "$TMP/out")"
eq "a 252-byte name: the file arrived whole" "$(stat -c %s "$SRC/long/$LN")" \
  "$(stat -c %s "$TMP/long/$LN" 2>/dev/null)"
rm -rf "$SRC/long" "$TMP/long"
# A local name over NAME_MAX: plain get fails before reading anything, not
# at the rename after the download. A missing remote file shows the order:
# the local name is refused before the server is asked.
long300=$(printf 'n%.0s' $(seq 300))
d get "//$fs1/scratch/$RUN/tree/a/b/big.bin" "$TMP/$long300" >"$TMP/out" 2>"$TMP/err"
eq "get to a 300-byte local name: exit 1" 1 "$?"
eq "300-byte local name: the line says why" "dfsc: $TMP/$long300: File name too long" "$(cat "$TMP/err")"
eq "300-byte local name: no temporary file left" "" "$(find "$TMP" -maxdepth 1 -name '.*.dfsc-*')"
d get "//$fs1/scratch/$RUN/tree/nosuchfile" "$TMP/$long300" >"$TMP/out" 2>"$TMP/err"
eq "300-byte local name of a missing file: refused before the server is asked" \
  "dfsc: $TMP/$long300: File name too long" "$(cat "$TMP/err")"

check_fail "-r is for get only" "for get" d -r ls "//$fs1/scratch/$RUN"
check "get -r of a file is a plain get" d get -r "//$fs1/scratch/$RUN/tree/a/with space.txt" "$TMP/one.txt"
eq "the file arrived" "spaced" "$(cat "$TMP/one.txt" 2>/dev/null)"
finish
