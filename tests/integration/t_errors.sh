#!/usr/bin/env bash
# Failures: exit status non-zero, one line naming the path and the NTSTATUS.
. "$(dirname "$0")/lib.sh"
fs1=$DFSC_TB_FS1

check_fail "wrong password names STATUS_LOGON_FAILURE" \
  "^dfsc: //$fs1/data/hello.txt: STATUS_LOGON_FAILURE$" \
  "$DFSC" -U "$DFSC_TB_USER%wrong-password" stat "//$fs1/data/hello.txt"
check_fail "missing share names STATUS_BAD_NETWORK_NAME" \
  "^dfsc: //$fs1/nosuchshare/x: STATUS_BAD_NETWORK_NAME$" dfsc stat "//$fs1/nosuchshare/x"
check_fail "missing file names STATUS_OBJECT_NAME_NOT_FOUND" \
  "^dfsc: //$fs1/data/no-such-file: STATUS_OBJECT_NAME_NOT_FOUND$" \
  dfsc cat "//$fs1/data/no-such-file"
check_fail "missing directory component" "STATUS_OBJECT_PATH_NOT_FOUND" \
  dfsc stat "//$fs1/data/no-such-dir/x"
check_fail "get of a missing file" "STATUS_OBJECT_NAME_NOT_FOUND" \
  dfsc get "//$fs1/data/no-such-file" "$TMP/never"
[ ! -e "$TMP/never" ] && ok "failed get leaves no file" || not_ok "failed get leaves no file"
ls -A "$TMP" | grep -q dfsc && not_ok "failed get leaves no temp file" || ok "failed get leaves no temp file"

# Several paths: one line per failure, non-zero exit, the good one still done.
"$DFSC" -U "$CRED" stat "//$fs1/data/hello.txt" "//$fs1/data/nope1" "//$fs1/data/nope2" \
  >"$TMP/out" 2>"$TMP/err"
rc=$?
[ $rc -ne 0 ] && ok "exit status non-zero when one path fails" || not_ok "exit status with failures"
eq "one error line per failed path" 2 "$(grep -c '^dfsc: ' "$TMP/err")"
grep -q "hello.txt" "$TMP/out" && ok "good path still reported" || not_ok "good path still reported"

check_fail "connection refused is an error" "dfsc: //127.0.0.9/data/x: " \
  dfsc --timeout 10 stat "//127.0.0.9/data/x"
check_fail "bad path is a usage error" "dfsc: " dfsc stat "not-a-unc-path"
check_fail "a parent reference is refused" "dfsc: " dfsc stat "//$fs1/data/../x"
finish
