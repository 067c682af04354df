#!/usr/bin/env bash
# Path forms and names: the three UNC forms, non-ASCII and spaces.
. "$(dirname "$0")/lib.sh"
fs1=$DFSC_TB_FS1
want=$(printf '%s' "$DFSC_TB_HELLO_TEXT" | sha256sum)

check "//host/share/path" dfsc cat "//$fs1/data/hello.txt"
eq "//form content" "$want" "$(sha256sum <"$TMP/out")"
check '\\host\share\path' dfsc cat "\\\\$fs1\\data\\hello.txt"
eq '\\form content' "$want" "$(sha256sum <"$TMP/out")"
check "smb://user@host/share/path" "$DFSC" -A "$DFSC_TB_AUTHFILE" cat "smb://$DFSC_TB_USER@$fs1/data/hello.txt"
eq "smb:// content" "$want" "$(sha256sum <"$TMP/out")"
check "smb://domain;user:pass@host" "$DFSC" cat "smb://$DFSC_TB_DOMAIN;$DFSC_TB_USER:$DFSC_TB_PASS@$fs1/data/hello.txt"
eq "smb:// with password content" "$want" "$(sha256sum <"$TMP/out")"
check "-A authfile" "$DFSC" -A "$DFSC_TB_AUTHFILE" stat "//$fs1/data/hello.txt"
check "--resolve NAME:ADDR" dfsc --resolve "fileserver1:$fs1" cat "//fileserver1/data/hello.txt"
eq "--resolve content" "$want" "$(sha256sum <"$TMP/out")"

# Every non-ASCII name in the data tree reads back with the right content.
while IFS= read -r -d '' f; do
  rel=${f#"$DFSC_TB_DATA_DIR"/}
  check "cat non-ASCII name $rel" dfsc cat "//$fs1/data/$rel"
  eq "content of $rel" "$(sha256sum <"$f")" "$(sha256sum <"$TMP/out")"
done < <(find "$DFSC_TB_DATA_DIR" -maxdepth 3 -type f -name '*[! -~]*' -print0)

check "ls of a directory with non-ASCII names" dfsc --json ls "//$fs1/data"
python3 - "$TMP/out" "$DFSC_TB_DATA_DIR" <<'PY' && ok "ls names match the server's directory" || not_ok "ls names match"
import json, os, sys
doc = json.load(open(sys.argv[1]))
ents = doc if isinstance(doc, list) else next(iter(doc.values()))
got = sorted(e["name"] for e in ents)
want = sorted(os.listdir(sys.argv[2]))
if got != want:
    print("#   got", got[:20], "want", want[:20]); sys.exit(1)
PY

# put / mkdir / mv with non-ASCII names.
printf 'zürich\n' >"$TMP/z.txt"
check "mkdir non-ASCII" dfsc mkdir "//$fs1/scratch/$RUN-Ordner-ä"
check "put non-ASCII" dfsc put "$TMP/z.txt" "//$fs1/scratch/$RUN-Ordner-ä/Grüße-日本.txt"
check "cat non-ASCII put" dfsc cat "//$fs1/scratch/$RUN-Ordner-ä/Grüße-日本.txt"
eq "non-ASCII put content" "zürich" "$(cat "$TMP/out")"
check "mv non-ASCII" dfsc mv "//$fs1/scratch/$RUN-Ordner-ä/Grüße-日本.txt" "//$fs1/scratch/$RUN-Ordner-ä/🎉.txt"
check "rm emoji" dfsc rm "//$fs1/scratch/$RUN-Ordner-ä/🎉.txt"
check "rmdir non-ASCII" dfsc rmdir "//$fs1/scratch/$RUN-Ordner-ä"
finish
