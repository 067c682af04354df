#!/usr/bin/env bash
# A server that is not Samba: impacket's SMB server (python3-impacket, SMB
# 2.1), with a user and open to anyone. The whole command matrix (ls, a
# 2,000-file listing, stat, cat, get, put, mkdir, mv, rm, rmdir, names
# that are not ASCII, the share listing), each checked on the server's own
# directory, so that no operation the server performed is reported as
# failed. impacket signs compounded replies before chaining them and sends
# no mechListMIC: the connection falls back to one request at a time
# (counted) and the signed final response proves the session key.
. "$(dirname "$0")/lib.sh"
if [ -z "${DFSC_TB_IMP:-}" ] || ! /usr/bin/python3 -c 'import impacket' 2>/dev/null; then
  not_ok "impacket's server is not in the testbed (scripts/deps installs python3-impacket)"
  finish
  exit 1
fi
IMPCRED="$DFSC_TB_IMP_USER%$DFSC_TB_IMP_PASS"

# run_matrix LABEL HOST DIR ARGS...: every command against DATA on HOST
# (whose files are DIR), as ARGS (credentials or -N).
run_matrix() {
  local L=$1 H=$2 D=$3
  shift 3
  local B="//$H/DATA" S="$D/scratch/$RUN-$L"
  c() { "$DFSC" "$@"; }
  mkdir -p "$S"

  check "$L: ls" c "$@" --json ls "$B"
  eq "$L: ls lists hello.txt, sub, many and the non-ASCII names" \
    "$(cd "$D" && ls -A | LC_ALL=C sort)" \
    "$(python3 -c 'import json,sys; print("\n".join(sorted((e["name"] for e in json.load(open(sys.argv[1]))), key=lambda n: n.encode())))' "$TMP/out")"
  check "$L: ls of $DFSC_TB_IMP_MANY files" c "$@" --json ls "$B/many"
  eq "$L: all $DFSC_TB_IMP_MANY names, exact" "$(ls "$D/many" | LC_ALL=C sort | sha256sum)" \
    "$(python3 -c 'import json,sys; print("\n".join(sorted(e["name"] for e in json.load(open(sys.argv[1])))))' "$TMP/out" | LC_ALL=C sort | sha256sum)"
  check "$L: stat" c "$@" --json stat "$B/hello.txt"
  eq "$L: stat size" "$(stat -c %s "$D/hello.txt")" \
    "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["size"])' "$TMP/out")"
  eq "$L: cat" "$(cat "$D/hello.txt")" "$(c "$@" cat "$B/hello.txt" 2>&1)"
  eq "$L: cat of a non-ASCII name" "$(cat "$D/café.txt")" "$(c "$@" cat "$B/café.txt" 2>&1)"
  check "$L: get" c "$@" get "$B/日本語.txt" "$TMP/$L.got"
  eq "$L: get: the bytes" "$(sha256sum <"$D/日本語.txt")" "$(sha256sum <"$TMP/$L.got")"
  head -c 3000000 /dev/urandom >"$TMP/$L.up"
  check "$L: put" c "$@" put "$TMP/$L.up" "$B/scratch/$RUN-$L/up.bin"
  eq "$L: put: the server's bytes" "$(sha256sum <"$TMP/$L.up")" "$(sha256sum <"$S/up.bin" 2>&1)"
  check "$L: mkdir" c "$@" mkdir "$B/scratch/$RUN-$L/dïr"
  eq "$L: mkdir: made" 1 "$([ -d "$S/dïr" ] && echo 1 || echo 0)"
  check "$L: mv" c "$@" mv "$B/scratch/$RUN-$L/dïr" "$B/scratch/$RUN-$L/dir2"
  eq "$L: mv: done" "dir2 up.bin" "$(ls "$S" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')"
  check "$L: rmdir" c "$@" rmdir "$B/scratch/$RUN-$L/dir2"
  eq "$L: rmdir: gone" 0 "$([ -e "$S/dir2" ] && echo 1 || echo 0)"
  check "$L: rm" c "$@" rm "$B/scratch/$RUN-$L/up.bin"
  eq "$L: rm: gone" 0 "$([ -e "$S/up.bin" ] && echo 1 || echo 0)"
  # Refusals name the status, and change nothing.
  check_fail "$L: rm of a missing file" "STATUS_(OBJECT_NAME_NOT_FOUND|NO_SUCH_FILE)" \
    c "$@" rm "$B/scratch/$RUN-$L/nope"
  check_fail "$L: mkdir over an existing directory" "STATUS_OBJECT_NAME_COLLISION" \
    c "$@" mkdir "$B/sub"
  check "$L: the share listing (srvsvc)" c "$@" --json ls "//$H"
  eq "$L: DATA listed with its comment" "DATA impacket data" \
    "$(python3 -c 'import json,sys; print(*[(s["name"], s["comment"]) for s in json.load(open(sys.argv[1])) if s["name"] == "DATA"][0])' "$TMP/out")"
  rmdir "$S" 2>/dev/null
}

# ---- with a user -----------------------------------------------------------
run_matrix user "$DFSC_TB_IMP" "$DFSC_TB_IMP_DIR" -U "$IMPCRED"
check "user: the fallback is counted" "$DFSC" -U "$IMPCRED" --stats --json stat "//$DFSC_TB_IMP/DATA/hello.txt"
eq "user: compound_fallbacks 1" 1 \
  "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["compound_fallbacks"])' "$TMP/err")"
check_fail "user: a wrong password" "STATUS_LOGON_FAILURE" \
  "$DFSC" -U "$DFSC_TB_IMP_USER%wrong" ls "//$DFSC_TB_IMP/DATA"

# ---- open to anyone: anonymous, and a name taken as guest ------------------
run_matrix anon "$DFSC_TB_IMPANON" "$DFSC_TB_IMPANON_DIR" -N
check_fail "guest: a name the server maps to guest is refused, saying how to accept" \
  "the server mapped somebody to guest or anonymous; --allow-guest accepts a guest logon" \
  "$DFSC" -U "somebody%pw" ls "//$DFSC_TB_IMPANON/DATA"
check "guest: --allow-guest accepts it" "$DFSC" -U "somebody%pw" --allow-guest cat \
  "//$DFSC_TB_IMPANON/DATA/hello.txt"

# ---- side by side: smbclient reads the same bytes ---------------------------
if smbclient "//$DFSC_TB_IMP/DATA" -U "$IMPCRED" -c "get hello.txt $TMP/smbc.txt" \
  >"$TMP/smbc" 2>&1; then
  eq "smbclient and dfsc read the same file" "$(cat "$TMP/smbc.txt")" \
    "$("$DFSC" -U "$IMPCRED" cat "//$DFSC_TB_IMP/DATA/hello.txt")"
else
  not_ok "smbclient against impacket failed: $(tail -1 "$TMP/smbc")"
fi
finish
