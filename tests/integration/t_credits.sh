#!/usr/bin/env bash
# A server that grants two credits at most (smb2 max credits = 2): every
# command still works (requests sized by the credits granted, compounds sent
# one request at a time) and nothing waits past its deadline.
. "$(dirname "$0")/lib.sh"
: "${DFSC_TB_LOWCRED:?the testbed has no credit-starved server}"
h=$DFSC_TB_LOWCRED
d() { timeout 120 "$DFSC" -U "$CRED" --timeout 20 "$@"; }
check "ls" d ls "//$h/data"
grep -q hello.txt "$TMP/out" && ok "ls lists" || not_ok "ls lists"
check "ls of 10,000 entries" d ls "//$h/data/many"
eq "all 10,000 listed" "$DFSC_TB_MANY_COUNT" "$(wc -l <"$TMP/out")"
check "stat (compound sent one by one)" d stat "//$h/data/odd.bin"
grep -q "size: *$DFSC_TB_ODD_SIZE" "$TMP/out" && ok "stat size" || not_ok "stat size"
check "get of 256 MiB in small credit-sized reads" d get "//$h/data/big.bin" "$TMP/big.bin"
eq "content" "$DFSC_TB_BIG_SHA256" "$(sha256sum "$TMP/big.bin" | cut -d' ' -f1)"
rm -f "$TMP/big.bin"
head -c 3000001 /dev/urandom >"$TMP/u.bin"
check "put" d put "$TMP/u.bin" "//$h/scratch/$RUN.bin"
check "get back" d get "//$h/scratch/$RUN.bin" "$TMP/u2.bin"
eq "round trip" "$(sha256sum <"$TMP/u.bin")" "$(sha256sum <"$TMP/u2.bin")"
check "mkdir" d mkdir "//$h/scratch/$RUN-d"
check "mv" d mv "//$h/scratch/$RUN.bin" "//$h/scratch/$RUN-d/m.bin"
check "rm" d rm "//$h/scratch/$RUN-d/m.bin"
check "rmdir" d rmdir "//$h/scratch/$RUN-d"
check_fail "missing file still names its status" "STATUS_OBJECT_NAME_NOT_FOUND" d stat "//$h/data/nope"
finish
