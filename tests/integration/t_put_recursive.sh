#!/usr/bin/env bash
# put -r: a local tree of 2,000 files (nested directories, an empty one,
# empty files, non-ASCII names, a name with a space, files larger than one
# write) goes to fs1's scratch share with -j 16 and lands whole, with its
# modification times, checked on the server's own disk; got back with
# get -r -j 16 it compares equal; rerun with --update both ways moves
# nothing; a run killed with SIGKILL leaves no partial file under a final
# name, and its rerun with --update uploads exactly the files missing and
# removes the temporary files it left; symbolic links and FIFOs in the
# tree are skipped with a line; a missing LOCAL and a LOCAL that is a file
# are refused; through a DFS link too.
. "$(dirname "$0")/lib.sh"
# shellcheck disable=SC2206
R=($DFSC_TB_RESOLVE_ARGS)
d() { "$DFSC" -U "$CRED" "${R[@]}" "$@"; }
fs1=$DFSC_TB_FS1
DST=$DFSC_TB_FS1_SCRATCH_DIR/$RUN
trap 'rm -rf "$TMP" "$DST"' EXIT
mkdir -p "$DST"
chown "$DFSC_TB_USER" "$DST" 2>/dev/null

# ---- the tree ------------------------------------------------------------
L=$TMP/tree
mkdir -p "$L/empty dir" "$L/deep/a/b/c/d" "$L/café/日本"
for dir in $(seq -w 1 19); do
  mkdir -p "$L/d$dir"
  for f in $(seq -w 1 100); do echo "dir $dir file $f" >"$L/d$dir/f$f.txt"; done
done
for f in $(seq -w 1 90); do printf 'n%s' "$f" >"$L/café/日本/é$f"; done
: >"$L/zero"
echo spaced >"$L/with space.txt"
echo deep >"$L/deep/a/b/c/d/leaf"
head -c $((9 * 1024 * 1024 + 77)) /dev/urandom >"$L/deep/big.bin"
head -c 3000000 /dev/urandom >"$L/café/mid.bin"
for f in $(seq 1 5); do head -c $((f * 1000)) /dev/urandom >"$L/deep/a/r$f"; done
total=$(find "$L" -type f | wc -l)
eq "the local tree has 2,000 files" 2000 "$total"
n=0
# Old times, distinct, deepest first (a time set on an entry moves no
# directory's).
while IFS= read -r -d '' p; do
  n=$((n + 1))
  touch -h -d "@$((1100000000 + n * 3607))" "$p"
done < <(find "$L" -depth -print0)
times() { (cd "$1" && find . -exec stat -c '%n %Y' {} + | LC_ALL=C sort); }

# ---- up, and back ----------------------------------------------------------
check "put -r -j 16 of 2,000 files" d -j 16 put -r "$L" "//$fs1/scratch/$RUN/up"
eq "summary line" "2000 files uploaded ($(find "$L" -type f -printf '%s\n' |
  awk '{s += $1} END {print s}') bytes), 0 up to date, 0 not regular files, 0 failed" \
  "$(cat "$TMP/out")"
if diff -r "$L" "$DST/up" >"$TMP/diff" 2>&1; then ok "the server holds the same tree"; else
  not_ok "the server's tree differs"; head -10 "$TMP/diff" | sed 's/^/#   /'; fi
eq "the server has the local modification times, directories too" "$(times "$L")" \
  "$(times "$DST/up")"
eq "no temporary file left on the server" "" "$(find "$DST/up" -name '.*.dfsc-*')"

check "get -r -j 16 back" d -j 16 get -r "//$fs1/scratch/$RUN/up" "$TMP/back"
if diff -r "$L" "$TMP/back" >"$TMP/diff" 2>&1; then ok "got back: diff -r equal"; else
  not_ok "got back: differs"; head -10 "$TMP/diff" | sed 's/^/#   /'; fi
eq "got back: the same times" "$(times "$L")" "$(times "$TMP/back")"

check "put -r --update again" d -j 16 --json put -r --update "$L" "//$fs1/scratch/$RUN/up"
eq "put --update: nothing moved, 2,000 up to date" "0 2000 0" \
  "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["files"], d["up_to_date"], d["failed"])' "$TMP/out")"
check "get -r --update again" d -j 16 --json get -r --update "//$fs1/scratch/$RUN/up" "$TMP/back"
eq "get --update: nothing moved, 2,000 up to date" "0 2000 0" \
  "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["files"], d["up_to_date"], d["failed"])' "$TMP/out")"

# A changed file: --update sends it (size differs), and only it.
echo "changed, longer than before" >"$L/d07/f042.txt"
check "put --update after one change" d -j 4 --json put -r --update "$L" "//$fs1/scratch/$RUN/up"
eq "put --update: the one changed file" "1 1999" \
  "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["files"], d["up_to_date"])' "$TMP/out")"
eq "... and it arrived" "$(cat "$L/d07/f042.txt")" "$(cat "$DST/up/d07/f042.txt")"

# ---- killed midway, then resumed ------------------------------------------
# One file at a time through slowfs (fs1 with 100 ms each way): SIGKILL
# while the large fourth file is being written, three having arrived.
K=$TMP/kill
mkdir -p "$K"
for i in 1 2 3 5 6 7 8; do head -c $((1024 * 1024)) /dev/urandom >"$K/k$i.bin"; done
head -c $((48 * 1024 * 1024)) /dev/urandom >"$K/k4.bin"
"$DFSC" -U "$CRED" "${R[@]}" -j 1 put -r "$K" "//slowfs/scratch/$RUN/kill" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 1000); do
  [ -n "$(find "$DST/kill" -name '.k4.bin.dfsc-*' -size +2M 2>/dev/null)" ] && break
  sleep 0.02
done
kill -KILL $pid 2>/dev/null
wait $pid 2>/dev/null
sleep 0.5 # the server notices the connection is gone and closes the handle
have=$(find "$DST/kill" -name 'k*.bin' | wc -l)
left=$(find "$DST/kill" -name '.k*.dfsc-*' | wc -l)
eq "killed: the three files before the large one arrived, and only they" 3 "$have"
eq "killed: the large one's temporary file stays behind" 1 "$left"
bad=0
for f in "$DST"/kill/k*.bin; do cmp -s "$f" "$K/$(basename "$f")" || bad=$((bad + 1)); done
eq "killed: every file under a final name is whole" 0 "$bad"
check "resumed with --update" d -j 4 --json put -r --update "$K" "//$fs1/scratch/$RUN/kill"
eq "resumed: uploaded exactly the $((8 - have)) missing, $have up to date, $left leftover removed" \
  "$((8 - have)) $have $left" \
  "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["files"], d["up_to_date"], d["leftovers_removed"])' "$TMP/out")"
if diff -r "$K" "$DST/kill" >"$TMP/diff" 2>&1; then ok "resumed: the tree is whole, nothing else"; else
  not_ok "resumed: differs"; head -5 "$TMP/diff" | sed 's/^/#   /'; fi

# A temporary file being written is not a leftover: a second run with
# --update leaves the first run's temporary file alone (it cannot delete
# it), and both finish whole.
head -c $((48 * 1024 * 1024)) /dev/urandom >"$K/k4.bin"
"$DFSC" -U "$CRED" "${R[@]}" -j 1 put -r "$K" "//slowfs/scratch/$RUN/kill" >"$TMP/first" 2>&1 &
pid=$!
for _ in $(seq 1 1000); do
  [ -n "$(find "$DST/kill" -name '.k4.bin.dfsc-*' -size +2M 2>/dev/null)" ] && break
  sleep 0.02
done
d --json put -r --update "$K/../kill" "//$fs1/scratch/$RUN/kill" >"$TMP/out" 2>"$TMP/err"
eq "concurrent: the second run removed nothing in use" "0 0" \
  "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["leftovers_removed"], d["failed"])' "$TMP/out")"
wait $pid
eq "concurrent: the first run ends well" 0 $?
eq "concurrent: k4 is the new content" "$(sha256sum <"$K/k4.bin")" "$(sha256sum <"$DST/kill/k4.bin")"
eq "concurrent: no temporary file left" "" "$(find "$DST/kill" -name '.*.dfsc-*')"

# ---- what is not copied, and refusals ------------------------------------
S=$TMP/special
mkdir -p "$S"
echo real >"$S/real"
ln -s /etc/passwd "$S/link"
mkfifo "$S/fifo"
d put -r "$S" "//$fs1/scratch/$RUN/special" >"$TMP/out" 2>"$TMP/err"
eq "links and FIFOs: exit 0" 0 $?
eq "links and FIFOs: one line each" 2 "$(grep -cE 'special/(link: symbolic link|fifo: not a file or directory), skipped' "$TMP/err")"
eq "links and FIFOs: only the file arrived" "real" "$(ls "$DST/special")"
eq "links and FIFOs: counted" "1 files uploaded (5 bytes), 0 up to date, 2 not regular files, 0 failed" \
  "$(cat "$TMP/out")"
check_fail "a missing LOCAL" "nope: No such file or directory" \
  d put -r "$TMP/nope" "//$fs1/scratch/$RUN/x"
check_fail "a LOCAL that is a file" "not a directory" \
  d put -r "$S/real" "//$fs1/scratch/$RUN/x"
echo "a file" >"$DST/isfile"
check_fail "a PATH that is a file" "isfile: exists and is not a directory" \
  d put -r "$S" "//$fs1/scratch/$RUN/isfile"
check_fail "--update without -r" "--update is for get -r and put -r" \
  d put --update "$S/real" "//$fs1/scratch/$RUN/x"

# ---- through an smb:// URL: names with '%' ------------------------------------
# The URL form of a name holding '%' is not the name: --update finds the
# server's copy under the name itself.
P=$TMP/pct
mkdir -p "$P/50% off"
echo one >"$P/50% off/a%41.txt"
echo two >"$P/b c.txt"
PU="smb://$DFSC_TB_DOMAIN;$DFSC_TB_USER:$DFSC_TB_PASS@$fs1/scratch/$RUN/pct"
check "put -r to an smb:// URL, names with '%'" "$DFSC" --json put -r "$P" "$PU"
if diff -r "$P" "$DST/pct" >"$TMP/diff" 2>&1; then ok "smb:// put -r: the names themselves"; else
  not_ok "smb:// put -r: differs"; head -5 "$TMP/diff" | sed 's/^/#   /'; fi
check "put -r --update to the smb:// URL again" "$DFSC" --json put -r --update "$P" "$PU"
eq "smb:// put --update: nothing moved, 2 up to date" "0 2 0" \
  "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["files"], d["up_to_date"], d["failed"])' "$TMP/out")"

# ---- through a DFS link -----------------------------------------------------
check "put -r through a DFS link" d -j 4 put -r "$L/café" \
  "//dfsroot/dfs/scratchlink/$RUN/vialink"
if diff -r "$L/café" "$DST/vialink" >"$TMP/diff" 2>&1; then ok "via the link: whole"; else
  not_ok "via the link: differs"; head -5 "$TMP/diff" | sed 's/^/#   /'; fi
finish
