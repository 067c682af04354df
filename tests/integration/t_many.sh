#!/usr/bin/env bash
# Many paths in one command: -j N in parallel on one process's connections
# and caches, -T FILE / -T - for the list; output stays in argument order;
# one error line per failed path; the counters show the coalescing.
. "$(dirname "$0")/lib.sh"
# shellcheck disable=SC2206
R=($DFSC_TB_RESOLVE_ARGS)
d() { "$DFSC" -U "$CRED" "${R[@]}" "$@"; }
n=$DFSC_TB_MANY_LINKS
for i in $(seq 0 $((n - 1))); do printf '//dfsroot/dfs/many/L%03d/hello.txt\n' "$i"; done >"$TMP/paths"

check "stat of $n paths over $n links, -j 32, -T FILE, --stats" d -j 32 -T "$TMP/paths" --stats stat
eq "one result per path" "$n" "$(grep -c '^path:' "$TMP/out")"
eq "results in argument order" "$(cat "$TMP/paths")" "$(sed -n 's/^path: //p' "$TMP/out")"
sent=$(awk '$1=="referrals_sent"{print $2}' "$TMP/err")
setups=$(awk '$1=="conn_setups_started"{print $2}' "$TMP/err")
[ "$sent" -le $((n + 1)) ] && ok "referrals sent $sent <= links + root ($((n + 1)))" ||
  not_ok "referrals sent $sent > links + root"
[ "$setups" -le 4 ] && ok "connection setups $setups <= servers (4)" || not_ok "connection setups $setups > 4"

check "ls -T - (stdin), -j 8, --json" sh -c "head -20 '$TMP/paths' | sed 's,/hello.txt\$,,' | \"\$0\" \"\$@\"" \
  "$DFSC" -U "$CRED" "${R[@]}" -j 8 -T - --json ls
python3 - "$TMP/out" <<'PY' && ok "20 listings, keyed by path, in order" || not_ok "20 listings, keyed by path, in order"
import json, sys
d = json.load(open(sys.argv[1]))
keys = list(d)
assert len(keys) == 20 and keys == sorted(keys), keys
assert all(any(e["name"] == "hello.txt" for e in v) for v in d.values())
PY

# Failures under -j: exit non-zero, one line each, the rest still done.
printf '%s\n' //fs1/data/hello.txt //fs1/data/nope1 //fs2/data/odd.bin //fs1/nosuch/x //fs3/data/nope2 >"$TMP/mixed"
d -j 4 -T "$TMP/mixed" stat >"$TMP/out" 2>"$TMP/err"
rc=$?
[ $rc -ne 0 ] && ok "exit status non-zero when paths fail" || not_ok "exit status with failures"
eq "one error line per failed path" 3 "$(grep -c '^dfsc: ' "$TMP/err")"
eq "the others reported" 2 "$(grep -c '^path:' "$TMP/out")"

# cat -j: small files read ahead in parallel, big ones streamed, all in order.
head -30 "$TMP/paths" >"$TMP/cat30"
echo "//$DFSC_TB_FS1/data/big.bin" >>"$TMP/cat30"
head -35 "$TMP/paths" | tail -5 >>"$TMP/cat30"
d -T "$TMP/cat30" cat >"$TMP/seq.out" 2>/dev/null
check "cat -j 8 of 36 files (one of 256 MiB)" d -j 8 -T "$TMP/cat30" cat
eq "same bytes, same order as without -j" "$(sha256sum <"$TMP/seq.out")" "$(sha256sum <"$TMP/out")"
eq "all there" $((35 * $(printf "%s" "$DFSC_TB_HELLO_TEXT" | wc -c) + DFSC_TB_BIG_SIZE)) "$(wc -c <"$TMP/out")"
check "--set a bound from the command line" d --set max_connects=1 --set workers=1 -j 4 stat //fs1/data/hello.txt //fs2/data/hello.txt //fs3/data/hello.txt
check_fail "--set of an unknown key is refused" "unknown key" d --set nope=1 stat //fs1/data/hello.txt

mkdir "$TMP/g" && cd "$TMP/g" || exit 1
check "get of many paths, -j 4" d -j 4 get //fs1/data/hello.txt //fs2/data/odd.bin //dfsroot/dfs/many/L010/empty.txt
eq "odd.bin arrived" "$DFSC_TB_ODD_SHA256" "$(sha256sum odd.bin | cut -d' ' -f1)"
[ -f hello.txt ] && [ -f empty.txt ] && ok "every file arrived" || not_ok "every file arrived"
cd / || exit 1
finish
