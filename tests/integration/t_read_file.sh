#!/usr/bin/env bash
# get of small files reads each in one compound (CREATE + READ + CLOSE,
# dfsc_read_file); files larger than the first read fall back to the
# streaming path. Sizes around the CLI's first guess (256 KiB), an empty
# file, a missing one, a DFS path, get -r, the credit-starved server (the
# compound goes as three requests) and a capture that counts the requests.
. "$(dirname "$0")/lib.sh"
# shellcheck disable=SC2206
R=($DFSC_TB_RESOLVE_ARGS)
d() { "$DFSC" -U "$CRED" "${R[@]}" "$@"; }
GUESS=262144

mkfiles() { # DIR: the same set of files on a server's disk
  mkdir -p "$1"
  printf 'small file\n' >"$1/small.txt"
  : >"$1/empty"
  head -c $GUESS /dev/urandom >"$1/exact"
  head -c $((GUESS + 1)) /dev/urandom >"$1/over"
  head -c $((1048576 + 7)) /dev/urandom >"$1/mib"
  chmod -R a+rX "$1"
}
sums() { (cd "$1" && sha256sum small.txt empty exact over mib); }

F="$DFSC_TB_FS1_SCRATCH_DIR/$RUN"
L="$DFSC_TB_LOWCRED_SCRATCH_DIR/$RUN"
trap 'rm -rf "$TMP" "$F" "$L"' EXIT
mkfiles "$F"
mkfiles "$L"

for srv in FS1 LOWCRED; do
  var=DFSC_TB_$srv; h=${!var}
  dir=$F; [ $srv = LOWCRED ] && dir=$L
  mkdir -p "$TMP/$srv" && cd "$TMP/$srv" || exit 1
  check "$srv: get of 5 files, -j 4" d -j 4 get "//$h/scratch/$RUN/small.txt" \
    "//$h/scratch/$RUN/empty" "//$h/scratch/$RUN/exact" "//$h/scratch/$RUN/over" \
    "//$h/scratch/$RUN/mib"
  eq "$srv: every file arrived whole" "$(sums "$dir")" "$(sums .)"
  check "$srv: get -r" d -j 4 get -r "//$h/scratch/$RUN" "$TMP/$srv/tree"
  eq "$srv: get -r: every file arrived whole" "$(sums "$dir")" "$(sums "$TMP/$srv/tree")"
  eq "$srv: get -r keeps the modification time" "$(stat -c %Y "$dir/exact")" \
    "$(stat -c %Y "$TMP/$srv/tree/exact")"
  cd / || exit 1
done

# Every dialect (2.0.2: one READ carries 64 KiB, so "exact" is streamed),
# a signed share and an encrypted one.
for srv in D202 D210 D300 D302 D311; do
  var=DFSC_TB_$srv; h=${!var}
  dvar=DFSC_TB_${srv}_SCRATCH_DIR
  mkfiles "${!dvar}/$RUN"
  mkdir -p "$TMP/$srv" && cd "$TMP/$srv" || exit 1
  check "$srv: get of 5 files" d -j 2 get "//$h/scratch/$RUN/small.txt" "//$h/scratch/$RUN/empty" \
    "//$h/scratch/$RUN/exact" "//$h/scratch/$RUN/over" "//$h/scratch/$RUN/mib"
  eq "$srv: every file arrived whole" "$(sums "${!dvar}/$RUN")" "$(sums .)"
  rm -rf "${!dvar:?}/$RUN"
  cd / || exit 1
done
for sh in "FS2 signed $DFSC_TB_FS2_SIGNED_DIR" "FS1 enc $DFSC_TB_FS1_ENC_DIR"; do
  set -- $sh
  var=DFSC_TB_$1; h=${!var}
  mkfiles "$3/$RUN"
  mkdir -p "$TMP/$2" && cd "$TMP/$2" || exit 1
  check "$2 share: get of 5 files" d -j 2 get "//$h/$2/$RUN/small.txt" "//$h/$2/$RUN/empty" \
    "//$h/$2/$RUN/exact" "//$h/$2/$RUN/over" "//$h/$2/$RUN/mib"
  eq "$2 share: every file arrived whole" "$(sums "$3/$RUN")" "$(sums .)"
  rm -rf "${3:?}/$RUN"
  cd / || exit 1
done

# A missing file: one line naming path and status, nothing left behind.
mkdir -p "$TMP/miss" && cd "$TMP/miss" || exit 1
d get "//$DFSC_TB_FS1/scratch/$RUN/nope" >"$TMP/out" 2>"$TMP/err"
rc=$?
[ $rc -ne 0 ] && ok "missing file: exit status non-zero" || not_ok "missing file: exit status 0"
eq "missing file: one error line" \
  "dfsc: //$DFSC_TB_FS1/scratch/$RUN/nope: STATUS_OBJECT_NAME_NOT_FOUND" "$(cat "$TMP/err")"
eq "missing file: nothing left in the directory" "" "$(ls -A)"
check_fail "a directory is refused" "STATUS_FILE_IS_A_DIRECTORY" \
  d get "//$DFSC_TB_FS1/scratch/$RUN" "$TMP/miss/x"
cd / || exit 1

# Through DFS.
check "DFS path" d get //dfsroot/dfs/single/hello.txt "$TMP/dfs.txt"
eq "DFS path: the file's contents" "$(printf %s "$DFSC_TB_HELLO_TEXT" | sha256sum)" \
  "$(sha256sum <"$TMP/dfs.txt")"

# To a device: written in place; a large file is streamed.
check "get of a small file to /dev/null" d get "//$DFSC_TB_FS1/scratch/$RUN/small.txt" /dev/null
check "get - of a small file" d get "//$DFSC_TB_FS1/scratch/$RUN/exact" -
eq "get - writes the file" "$(sha256sum <"$F/exact")" "$(sha256sum <"$TMP/out")"

# The wire: a small get is one compound of CREATE, READ and CLOSE; the
# credit-starved server gets the same three requests one at a time.
if command -v dumpcap >/dev/null && command -v tshark >/dev/null; then
  cap="$TMP/rf.pcapng"
  dumpcap -q -i lo -f "tcp port 445 and (host $DFSC_TB_FS1 or host $DFSC_TB_LOWCRED)" \
    -w "$cap" -a duration:120 2>"$TMP/dumpcap.err" &
  cap_pid=$!
  for _ in $(seq 1 100); do [ -s "$cap" ] && break; sleep 0.05; done
  sleep 0.3
  d get "//$DFSC_TB_FS1/scratch/$RUN/small.txt" "$TMP/c1" 2>/dev/null
  d get "//$DFSC_TB_FS1/scratch/$RUN/exact" "$TMP/c2" 2>/dev/null
  d get "//$DFSC_TB_LOWCRED/scratch/$RUN/small.txt" "$TMP/c3" 2>/dev/null
  sleep 0.5
  kill -INT $cap_pid 2>/dev/null
  wait $cap_pid 2>/dev/null
  # Other clients may use the same servers meanwhile: only the connections
  # that opened this run's files count.
  streams=$(tshark -r "$cap" -Y "smb2.filename contains \"$RUN\"" -T fields -e tcp.stream \
    2>/dev/null | sort -u | paste -sd, -)
  eq "three connections in the capture" 3 "$(echo "$streams" | tr , '\n' | grep -c .)"
  q() { tshark -r "$cap" -Y "$1" 2>/dev/null | wc -l; }
  req="smb2.flags.response == 0 && tcp.stream in {${streams:-99999}}"
  eq "fs1: READ requests (one per file)" 2 "$(q "$req && smb2.cmd == 8 && ip.dst == $DFSC_TB_FS1")"
  eq "fs1: each in one frame with its CREATE and CLOSE" 2 \
    "$(q "$req && smb2.cmd == 5 && smb2.cmd == 8 && smb2.cmd == 6 && ip.dst == $DFSC_TB_FS1")"
  eq "fs1: CREATE requests (no second open)" 2 \
    "$(q "$req && smb2.cmd == 5 && ip.dst == $DFSC_TB_FS1")"
  eq "lowcred: one READ request" 1 "$(q "$req && smb2.cmd == 8 && ip.dst == $DFSC_TB_LOWCRED")"
  eq "lowcred: not compounded (2 credits)" 0 \
    "$(q "$req && smb2.cmd == 5 && smb2.cmd == 8 && ip.dst == $DFSC_TB_LOWCRED")"
  eq "lowcred: the file arrived" "small file" "$(cat "$TMP/c3")"
else
  ok "# SKIP no dumpcap / tshark: request count not checked"
fi

# The counters agree: the handshake (4 requests) plus CREATE, READ, CLOSE.
d --stats get "//$DFSC_TB_FS1/scratch/$RUN/small.txt" "$TMP/c4" 2>"$TMP/err"
eq "--stats: 7 requests for one small get" 7 "$(awk '$1=="requests_sent"{print $2}' "$TMP/err")"
finish
