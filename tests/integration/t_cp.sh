#!/usr/bin/env bash
# dfsc cp: a 1 GiB file copied within one server by the server itself
# (FSCTL_SRV_COPYCHUNK_WRITE): sha256 equal, and under 1 MiB of READ and
# WRITE payload through the client by dfsc's own counters; between two
# shares of one server; through DFS links; into a directory; a copy between
# two servers streams through the client and says so; a missing source or
# destination directory fails with the status and leaves nothing; the
# mount's copy_file_range (cp of coreutils) is done by the server too.
. "$(dirname "$0")/lib.sh"
# shellcheck disable=SC2206
R=($DFSC_TB_RESOLVE_ARGS)
d() { "$DFSC" -U "$CRED" "${R[@]}" "$@"; }
fs1=$DFSC_TB_FS1
fs2=$DFSC_TB_FS2
DST=$DFSC_TB_FS1_SCRATCH_DIR/$RUN
MNT=$TMP/mnt
MPID=
cleanup() {
  if [ -n "$MPID" ]; then
    fusermount3 -u -z "$MNT" 2>/dev/null
    kill "$MPID" 2>/dev/null
  fi
  rm -rf "$TMP" "$DST"
}
trap cleanup EXIT
mkdir -p "$DST"
chown "$DFSC_TB_USER" "$DST" 2>/dev/null
json() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(*[d[k] for k in sys.argv[2:]])' "$@"; }
# A counter of --stats --json (standard error).
stat_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$@"; }

# ---- 1 GiB within one share ---------------------------------------------------
head -c $((1024 * 1024 * 1024)) /dev/urandom >"$DST/big1g"
chown "$DFSC_TB_USER" "$DST/big1g" 2>/dev/null
want=$(sha256sum <"$DST/big1g" | cut -d' ' -f1)
d --json --stats cp "//$fs1/scratch/$RUN/big1g" "//$fs1/scratch/$RUN/big1g.copy" \
  >"$TMP/out" 2>"$TMP/stats"
eq "cp 1 GiB: exit 0" 0 $?
eq "cp 1 GiB: all of it copied by the server" "True $((1024 * 1024 * 1024)) $((1024 * 1024 * 1024))" \
  "$(json "$TMP/out" ok bytes server_side_bytes)"
moved=$(($(stat_of "$TMP/stats" read_bytes) + $(stat_of "$TMP/stats" write_bytes)))
eq "cp 1 GiB: under 1 MiB of READ/WRITE payload through the client (moved $moved)" 1 \
  "$([ "$moved" -lt 1048576 ] && echo 1 || echo 0)"
eq "cp 1 GiB: sha256 of the copy" "$want" "$(sha256sum <"$DST/big1g.copy" | cut -d' ' -f1)"
eq "cp 1 GiB: no temporary file left" "" "$(find "$DST" -name '.*.dfsc-*')"
rm -f "$DST/big1g.copy"

# ---- between two shares of one server, into a directory, through DFS ------
check "data -> scratch (two shares, one server)" d --json cp "//$fs1/data/hello.txt" \
  "//$fs1/scratch/$RUN/"
eq "two shares: copied by the server, under SRC's name" "True $(stat -c %s "$DFSC_TB_DATA_DIR/hello.txt")" \
  "$(json "$TMP/out" ok server_side_bytes)"
eq "two shares: the content" "$(cat "$DFSC_TB_DATA_DIR/hello.txt")" "$(cat "$DST/hello.txt")"
check "through DFS links (both to fs1)" d --json cp "//dfsroot/dfs/single/big.bin" \
  "//dfsroot/dfs/scratchlink/$RUN/viadfs.bin"
eq "through DFS: copied by the server" "True $DFSC_TB_BIG_SIZE" \
  "$(json "$TMP/out" ok server_side_bytes)"
eq "through DFS: sha256" "$DFSC_TB_BIG_SHA256" "$(sha256sum <"$DST/viadfs.bin" | cut -d' ' -f1)"
# An smb:// source names its file percent-encoded: the copy in a directory
# takes the decoded name; a bad escape is refused before anything is sent.
mkdir -p "$DST/url" && chown "$DFSC_TB_USER" "$DST/url" 2>/dev/null
check "smb:// source, percent-encoded name, into a directory" d cp \
  "smb://$fs1/data/hello%2Etxt" "//$fs1/scratch/$RUN/url/"
eq "smb:// source: the decoded name" "$(cat "$DFSC_TB_DATA_DIR/hello.txt")" \
  "$(cat "$DST/url/hello.txt" 2>/dev/null)"
check_fail "smb:// source with a bad escape" "Invalid argument|invalid|EINVAL" d cp \
  "smb://$fs1/data/hello%2" "//$fs1/scratch/$RUN/url/"
echo "old content, longer than the new one" >"$DST/over.txt"
check "over an existing file" d cp "//$fs1/data/hello.txt" "//$fs1/scratch/$RUN/over.txt"
eq "over an existing file: replaced" "$(cat "$DFSC_TB_DATA_DIR/hello.txt")" "$(cat "$DST/over.txt")"

# ---- between two servers: through the client ------------------------------
d --json cp "//$fs2/data/hello.txt" "//$fs1/scratch/$RUN/from-fs2.txt" >"$TMP/out" 2>"$TMP/err"
eq "two servers: exit 0" 0 $?
eq "two servers: said it goes through the client" 1 \
  "$(grep -c 'no server-side copy here (.*): copying through the client' "$TMP/err")"
eq "two servers: nothing by the server" "True 0" "$(json "$TMP/out" ok server_side_bytes)"
eq "two servers: the content" "$(cat "$DFSC_TB_DATA_DIR/hello.txt")" "$(cat "$DST/from-fs2.txt")"

# ---- refusals -------------------------------------------------------------
check_fail "a missing source" "//$fs1/data/nope: STATUS_OBJECT_NAME_NOT_FOUND" \
  d cp "//$fs1/data/nope" "//$fs1/scratch/$RUN/x"
check_fail "a missing destination directory" "STATUS_OBJECT_PATH_NOT_FOUND" \
  d cp "//$fs1/data/hello.txt" "//$fs1/scratch/$RUN/no/such/x"
eq "refusals: no temporary file left" "" "$(find "$DST" -name '.*.dfsc-*')"

# ---- the mount: copy_file_range ---------------------------------------------
if [ -c /dev/fuse ] && command -v fusermount3 >/dev/null; then
  mkdir -p "$MNT"
  PIDS=()
  if mount_bg "$MNT"; then
    before=$(awk '$1 == "mount_copy_server_bytes" {print $2}' "$MNT/.dfsc/stats")
    check "mount: cp (copy_file_range) of the large file" \
      cp "$MNT/$fs1/data/big.bin" "$MNT/$fs1/scratch/$RUN/mcopy.bin"
    after=$(awk '$1 == "mount_copy_server_bytes" {print $2}' "$MNT/.dfsc/stats")
    eq "mount: the server copied it ($before -> $after)" "$DFSC_TB_BIG_SIZE" \
      "$((after - before))"
    eq "mount: sha256 on the server" "$DFSC_TB_BIG_SHA256" \
      "$(sha256sum <"$DST/mcopy.bin" | cut -d' ' -f1)"
    eq "mount: sha256 through the mount" "$DFSC_TB_BIG_SHA256" \
      "$(sha256sum <"$MNT/$fs1/scratch/$RUN/mcopy.bin" | cut -d' ' -f1)"
    check "mount: cp between two servers still works (through the client)" \
      cp "$MNT/$fs2/data/hello.txt" "$MNT/$fs1/scratch/$RUN/m2.txt"
    eq "mount: two servers, the content" "$(cat "$DFSC_TB_DATA_DIR/hello.txt")" \
      "$(cat "$DST/m2.txt")"
  else
    not_ok "mount for the copy_file_range checks"
  fi
else
  ok "mount checks skipped: no /dev/fuse"
fi
finish
