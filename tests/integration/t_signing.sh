#!/usr/bin/env bash
# Signing: a server that requires it, and --sign against one that does not.
. "$(dirname "$0")/lib.sh"
fs2=$DFSC_TB_FS2
fs1=$DFSC_TB_FS1

for p in SMB2_02 SMB2_10 SMB3_00 SMB3_02 SMB3_11; do
  check "$p: ls on the signing-required server" dfsc --max-protocol $p --min-protocol $p ls "//$fs2/signed"
  check "$p: get on the signing-required server" dfsc --max-protocol $p --min-protocol $p get "//$fs2/data/odd.bin" "$TMP/odd"
  eq "$p: signed get content" "$DFSC_TB_ODD_SHA256" "$(sha256sum "$TMP/odd" | cut -d' ' -f1)"
  rm -f "$TMP/odd"
  head -c 2000000 /dev/urandom >"$TMP/s.bin"
  check "$p: signed put" dfsc --max-protocol $p --min-protocol $p put "$TMP/s.bin" "//$fs2/signed/$RUN-$p.bin"
  check "$p: signed get back" dfsc --max-protocol $p --min-protocol $p get "//$fs2/signed/$RUN-$p.bin" "$TMP/s2.bin"
  eq "$p: signed round trip" "$(sha256sum <"$TMP/s.bin")" "$(sha256sum <"$TMP/s2.bin")"
  rm -f "$TMP/s2.bin"
  check "$p: signed rm" dfsc --max-protocol $p --min-protocol $p rm "//$fs2/signed/$RUN-$p.bin"
done

check "--sign on a server that does not require it" dfsc --sign -v get "//$fs1/data/hello.txt" -
grep -q "signed" "$TMP/err" && ok "--sign session is signed" || not_ok "--sign session is signed"
# Secure default (docs/security.md): authenticated sessions sign.
check "no --sign: session on fs1" dfsc -v stat "//$fs1/data/hello.txt"
grep -q "established, signed" "$TMP/err" && ok "fs1 default signed" || not_ok "fs1 default signed"
check "--sign=off: session on fs1" dfsc -v --sign=off stat "//$fs1/data/hello.txt"
grep -q "established, signed" "$TMP/err" && not_ok "--sign=off unsigned" || ok "--sign=off unsigned"
check_fail "guest session with --sign refused" "dfsc: " "$DFSC" -N --sign ls "//$fs1/pub"
check "guest/anonymous listing of the guest share" "$DFSC" -N ls "//$fs1/pub"
finish
