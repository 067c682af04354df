#!/usr/bin/env bash
# Every dialect against a server limited to it: ls, stat, cat, get of the
# large file (sha256), put round trip, mkdir / mv / rm / rmdir, and the
# dialect actually negotiated.
. "$(dirname "$0")/lib.sh"

for d in 202 210 300 302 311; do
  var=DFSC_TB_D$d
  host=${!var}
  base="//$host/data"
  scr="//$host/scratch"
  want=$(printf '0x%04x' $((16#0$d)))

  check "SMB $d: ls share root" dfsc ls "$base"
  grep -q "hello.txt" "$TMP/out" && ok "SMB $d: ls shows hello.txt" || not_ok "SMB $d: ls shows hello.txt"

  check "SMB $d: -v reports the dialect" dfsc -v stat "$base/hello.txt"
  grep -qi "dialect $want" "$TMP/err" && ok "SMB $d: negotiated $want" ||
    not_ok "SMB $d: negotiated $want (log: $(grep -i dialect "$TMP/err" | head -1))"

  if [ $d = 300 ] || [ $d = 302 ]; then
    check "SMB $d: --debug stat" dfsc --debug stat "$base/hello.txt"
    grep -q "negotiation validated" "$TMP/err" && ok "SMB $d: FSCTL_VALIDATE_NEGOTIATE_INFO checked" ||
      not_ok "SMB $d: FSCTL_VALIDATE_NEGOTIATE_INFO checked"
  fi

  check "SMB $d: stat" dfsc stat "$base/hello.txt"
  grep -Eq "size: *${#DFSC_TB_HELLO_TEXT}\b|size: *$(printf '%s' "$DFSC_TB_HELLO_TEXT" | wc -c)" "$TMP/out" &&
    ok "SMB $d: stat size" || not_ok "SMB $d: stat size ($(grep -i size "$TMP/out" | head -2 | tr '\n' ' '))"

  check "SMB $d: cat" dfsc cat "$base/hello.txt"
  eq "SMB $d: cat content" "$(printf '%s' "$DFSC_TB_HELLO_TEXT" | sha256sum)" "$(sha256sum <"$TMP/out")"

  rm -f "$TMP/big.bin"
  check "SMB $d: get big.bin" dfsc get "$base/big.bin" "$TMP/big.bin"
  eq "SMB $d: big.bin sha256" "$DFSC_TB_BIG_SHA256" "$(sha256sum "$TMP/big.bin" | cut -d' ' -f1)"
  rm -f "$TMP/big.bin"

  check "SMB $d: get odd.bin to stdout" dfsc get "$base/odd.bin" -
  eq "SMB $d: odd.bin sha256" "$DFSC_TB_ODD_SHA256" "$(sha256sum <"$TMP/out" | cut -d' ' -f1)"

  head -c 3000001 /dev/urandom >"$TMP/up.bin"
  check "SMB $d: put" dfsc put "$TMP/up.bin" "$scr/$RUN-up.bin"
  check "SMB $d: get back" dfsc get "$scr/$RUN-up.bin" "$TMP/down.bin"
  eq "SMB $d: put/get round trip" "$(sha256sum <"$TMP/up.bin")" "$(sha256sum <"$TMP/down.bin")"

  check "SMB $d: mkdir" dfsc mkdir "$scr/$RUN-dir"
  check "SMB $d: mv into dir" dfsc mv "$scr/$RUN-up.bin" "$scr/$RUN-dir/moved.bin"
  check "SMB $d: stat moved" dfsc stat "$scr/$RUN-dir/moved.bin"
  check_fail "SMB $d: rmdir non-empty refused" "STATUS_DIRECTORY_NOT_EMPTY" \
    dfsc rmdir "$scr/$RUN-dir"
  check "SMB $d: rm" dfsc rm "$scr/$RUN-dir/moved.bin"
  check "SMB $d: rmdir" dfsc rmdir "$scr/$RUN-dir"
  check_fail "SMB $d: gone after rmdir" "STATUS_OBJECT_NAME_NOT_FOUND" dfsc stat "$scr/$RUN-dir"
done
finish
