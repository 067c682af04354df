#!/usr/bin/env bash
# Hostile names in a directory listing (issue 17, item 4), through the CLI
# and the mount. A fake server (tests/hostile/hostile.py, content scenario
# badnames@query_directory) lists, in every directory: "..\0",
# "x\0/../../tmp/pwn", "", "a/b", "a\b", ".", "..", "lone\ud800x" (an
# unpaired surrogate), three names with controls (ESC "\e[31mred",
# "line1\nline2", "c1\u009bname") and good1.txt, good2.txt. None of the
# first eight may reach a caller (the library drops them); the listing
# must still work; the controls are listed but never printed raw.
# badnames_utf16ok is the same without the surrogate: an old client that
# failed a whole listing on invalid UTF-16 passed the NUL names on, and this
# is where that shows. Needs /dev/fuse for the mount part.
. "$(dirname "$0")/lib.sh"
SRC=${DFSC_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
HOSTILE="$SRC/tests/hostile/hostile.py"
ADDR=127.0.0.67
P1=21910 # badnames
P2=21911 # badnames_utf16ok
MAXS=120 # the servers stop by themselves after this
D1="//$ADDR/data/dir"
PIDS=()
MNT=$TMP/mnt

cleanup() {
  local p
  if [ -n "${MPID:-}" ]; then
    grep -q " $MNT fuse" /proc/mounts && fusermount3 -u -z "$MNT" 2>/dev/null
    kill "$MPID" 2>/dev/null
  fi
  for p in "$TMP"/srv*.pid; do [ -s "$p" ] && kill "$(cat "$p")" 2>/dev/null; done
  rm -rf "$TMP"
}
trap cleanup EXIT

# serve PORT SCENARIO: a fake server, waited for.
serve() {
  local pf="$TMP/srv$1.pid" i
  python3 "$HOSTILE" --addr "$ADDR" --port "$1" --pidfile "$pf" --scenario "$2" \
    --max-seconds $MAXS 2>"$TMP/srv$1.log" &
  for i in $(seq 100); do [ -s "$pf" ] && return 0; sleep 0.05; done
  return 1
}
check "fake server badnames@query_directory starts" serve $P1 badnames@query_directory
check "fake server badnames_utf16ok@query_directory starts" serve $P2 \
  badnames_utf16ok@query_directory

d() { "$DFSC" --timeout 5 "$@"; }

# names_in FILE: the name field of each `dfsc ls` line (after mode, size, time).
names_in() { cut -d' ' -f4- "$1"; }

# clean FILE...: no C0 control but newline, no DEL, no C1 (raw byte or in
# UTF-8) anywhere in the files. Prints what it found.
clean() {
  python3 - "$@" <<'EOF'
import sys
bad = []
for path in sys.argv[1:]:
    data = open(path, "rb").read()
    for i, b in enumerate(data):
        if (b < 0x20 and b != 0x0A) or b == 0x7F:
            bad.append("%s: byte 0x%02x at %d" % (path, b, i))
    text = data.decode("utf-8", "replace")
    for i, c in enumerate(text):
        if 0x80 <= ord(c) <= 0x9F:
            bad.append("%s: U+%04X at char %d" % (path, ord(c), i))
    if b"\x9b" in data.replace(b"\xc2\x9b", b""):
        bad.append("%s: a raw 0x9b byte" % path)
print("\n".join(bad[:10]))
sys.exit(1 if bad else 0)
EOF
}

# no_bad_names FILE: no listed name is one the library must drop, nor what
# a C string makes of them once cut at the NUL.
no_bad_names() {
  local n
  while IFS= read -r n; do
    case $n in
      "" | . | .. | x | 'a/b' | 'a\b' | x/* | ../* | lone*)
        echo "listed: [$n]"
        return 1
        ;;
    esac
  done < <(names_in "$1")
  return 0
}

# ---- the CLI: ls ---------------------------------------------------------------
for sc in badnames:$P1 badnames_utf16ok:$P2; do
  name=${sc%%:*}
  port=${sc#*:}
  d -p "$port" ls "$D1" >"$TMP/ls.$name.out" 2>"$TMP/ls.$name.err"
  eq "$name: dfsc ls exits 0" 0 $?
  check "$name: ls lists good1.txt" grep -qx 'good1.txt' <(names_in "$TMP/ls.$name.out")
  check "$name: ls lists good2.txt" grep -qx 'good2.txt' <(names_in "$TMP/ls.$name.out")
  check "$name: ls lists no NUL-cut, empty, separator, dot or invalid UTF-16 name" \
    no_bad_names "$TMP/ls.$name.out"
  # Warnings show with -v (the CLI's default level is errors only).
  d -v -p "$port" ls "$D1" >/dev/null 2>"$TMP/ls.$name.verr"
  check "$name: ls -v: the library reports the dropped names" \
    grep -q 'dropped a name that holds U+0000' "$TMP/ls.$name.verr"
done
# The context counts what it withheld: six names in badnames ("." and ".."
# are not counted), five without the surrogate.
for sc in badnames:$P1:6 badnames_utf16ok:$P2:5; do
  IFS=: read -r name port want <<<"$sc"
  d --stats -p "$port" ls "$D1" >"$TMP/st.$name" 2>&1
  eq "$name: --stats names_dropped" "$want" \
    "$(awk '$1 == "names_dropped" {print $2}' "$TMP/st.$name")"
done
# good1, good2 and the three control names, each on one line.
eq "badnames: ls prints one line per entry (5)" 5 "$(wc -l <"$TMP/ls.badnames.out")"
check "badnames: the newline name is listed on one line" \
  grep -q 'line1.*line2' "$TMP/ls.badnames.out"
check "badnames: the ESC name is listed" grep -q '31mred' "$TMP/ls.badnames.out"
check "badnames: the C1 name is listed" grep -q 'c1.*name' "$TMP/ls.badnames.out"
check "badnames: ls stdout and stderr (also with -v) hold no raw C0/C1 control" \
  clean "$TMP/ls.badnames.out" "$TMP/ls.badnames.err" "$TMP/ls.badnames.verr"
check "badnames: ls -v: the invalid UTF-16 name is reported escaped" \
  grep -qF 'is not valid UTF-16: "lone\ud800x"' "$TMP/ls.badnames.verr"

# ---- the CLI: stat and cat ---------------------------------------------------------
check "stat of a listed good name" d -p $P1 stat "$D1/good1.txt"
eq "cat of a listed good name: 100000 bytes" 100000 \
  "$(d -p $P1 cat "$D1/good2.txt" | wc -c)"
ESC_NAME=$'\e[31mred'
d -p $P1 stat "$D1/$ESC_NAME" >"$TMP/st.out" 2>"$TMP/st.err"
eq "stat of the ESC name exits 0" 0 $?
check "stat of the ESC name prints no raw control" clean "$TMP/st.out" "$TMP/st.err"
# '\' separates in every path form: dir\a\b, through a file, names nothing.
check_fail "stat //h/s/dir/a\\b is refused with one clear line" \
  "^dfsc: //$ADDR/data/dir/a.{1,2}b: STATUS_OBJECT_PATH_NOT_FOUND\$" \
  d -p $P1 stat "$D1/a\\b"

# ---- the CLI: get -r ---------------------------------------------------------------
for sc in badnames:$P1 badnames_utf16ok:$P2; do
  name=${sc%%:*}
  port=${sc#*:}
  G=$TMP/get.$name
  mkdir -p "$G/in"
  : >"$TMP/get.$name.out"
  : >"$TMP/get.$name.err"
  # Everything under $TMP but the target, and every file's bytes: a write
  # outside the target changes one or the other.
  snap() { (cd "$TMP" && find . -path "./get.$name/in/out" -prune -o -print | sort &&
    find . -path "./get.$name/in/out" -prune -o -type f ! -name "get.$name.*" -print0 |
    sort -z | xargs -0 -r sha256sum); }
  before=$(snap)
  [ -e /tmp/pwn ] && pwn_before=1 || pwn_before=0
  d -p "$port" get -r "$D1" "$G/in/out" >"$TMP/get.$name.out" 2>"$TMP/get.$name.err"
  rc=$?
  after=$(snap)
  # The CLI may skip the control names it will not write locally (exit 1);
  # nothing else may fail, and no name the library drops may show up.
  check "$name: get -r exits 0 or 1 (got $rc)" test "$rc" -le 1
  eq "$name: get -r complains only about the control names" "" \
    "$(grep -v -e 31mred -e line1 -e c1 "$TMP/get.$name.err")"
  eq "$name: get -r writes nothing outside its target" "$before" "$after"
  check "$name: get -r creates no /tmp/pwn" test "$pwn_before" = 1 -o ! -e /tmp/pwn
  eq "$name: good1.txt downloaded whole" 100000 "$(stat -c %s "$G/in/out/good1.txt" 2>&1)"
  eq "$name: good2.txt downloaded whole" 100000 "$(stat -c %s "$G/in/out/good2.txt" 2>&1)"
  eq "$name: get -r creates no file named x, a, b or lone*" "" \
    "$(cd "$G/in/out" && find . -mindepth 1 \( -name x -o -name a -o -name b -o -name 'a?b' \
      -o -name 'lone*' -o -name pwn \) -print)"
  eq "$name: get -r creates no directory in the target" "" \
    "$(find "$G/in/out" -mindepth 1 -type d)"
  check "$name: get -r output holds no raw control" clean "$TMP/get.$name.out" \
    "$TMP/get.$name.err"
done

# ---- the mount ---------------------------------------------------------------
if [ ! -c /dev/fuse ] || ! command -v fusermount3 >/dev/null; then
  not_ok "FUSE is not available here (the mount part needs /dev/fuse)"
  finish
  exit 1
fi
mkdir -p "$MNT"
mount_up() {
  "$DFSC" --timeout 5 --resolve "badhost:$ADDR:$P1" mount "$MNT" -f \
    >"$TMP/mount.log" 2>&1 &
  MPID=$!
  wait_mounted "$MNT" "$TMP/mount.log"
}
check "mount of the fake server (--resolve badhost)" mount_up
MD="$MNT/badhost/data/dir"
check "mount: ls of the directory succeeds (no EIO)" ls "$MD"
# The names exactly as the kernel hands them out.
python3 - "$MD" >"$TMP/mls" 2>&1 <<'EOF'
import os, sys
got = sorted(os.listdir(sys.argv[1]))
want = sorted(["good1.txt", "good2.txt", "\x1b[31mred", "line1\nline2", "c1\u009bname"])
if got != want:
    print("got %r, want %r" % (got, want))
    sys.exit(1)
EOF
rc=$?
eq "mount: the directory holds exactly the good and the control names" "0:" \
  "$rc:$(cat "$TMP/mls")"
eq "mount: stat of a good entry" "100000 regular file" "$(stat -c '%s %F' "$MD/good1.txt" 2>&1)"
eq "mount: cat of a good entry" 100000 "$(wc -c <"$MD/good2.txt" 2>&1)"
check_fail "mount: a name with \\ is refused" "Invalid argument" stat "$MD/a\\b"
check "mount: unmount" fusermount3 -u "$MNT"
for i in $(seq 50); do kill -0 "$MPID" 2>/dev/null || break; sleep 0.1; done
check "mount: the daemon exits after the unmount" sh -c "! kill -0 $MPID 2>/dev/null"
finish
