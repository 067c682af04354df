#!/usr/bin/env bash
# A listing of 10,000 entries, complete and exact, on every dialect server.
. "$(dirname "$0")/lib.sh"
ls -A "$DFSC_TB_DATA_DIR/many" | LC_ALL=C sort >"$TMP/want"
eq "testbed has the 10,000 files" "$DFSC_TB_MANY_COUNT" "$(wc -l <"$TMP/want")"
for d in FS1 D202 D210 D300 D302 D311; do
  var=DFSC_TB_$d
  check "$d: ls --json many/" dfsc --json ls "//${!var}/data/many"
  python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
ents = doc if isinstance(doc, list) else next(iter(doc.values()))
for e in ents: print(e["name"])' "$TMP/out" | LC_ALL=C sort >"$TMP/got"
  eq "$d: 10,000 names, exact" "$(sha256sum <"$TMP/want")" "$(sha256sum <"$TMP/got")"
  eq "$d: no duplicates" "$(wc -l <"$TMP/got")" "$(uniq "$TMP/got" | wc -l)"
done
finish
