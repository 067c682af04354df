#!/usr/bin/env bash
# DFS through the CLI against the testbed's standalone namespace: every link
# kind through ls, stat, cat, get and put; the three path forms; resolve and
# cache output; dead, hung and cyclic links failing within their bounds.
. "$(dirname "$0")/lib.sh"
: "${DFSC_TB_DFSROOT:?the testbed has no DFS root}"
# shellcheck disable=SC2206
R=($DFSC_TB_RESOLVE_ARGS)
d() { "$DFSC" -U "$CRED" "${R[@]}" "$@"; }
hello=$(printf '%s' "$DFSC_TB_HELLO_TEXT" | sha256sum)
ns=//dfsroot/dfs

# link, the file to read under it, its sha256 (of the testbed data)
for link in single replicated deep/two/levels interlink/inner failover slow many/L001 many/L002 many/L003; do
  check "$link: ls" d ls "$ns/$link"
  grep -q "hello.txt" "$TMP/out" && ok "$link: ls shows the target's files" || not_ok "$link: ls shows the target's files"
  check "$link: stat" d stat "$ns/$link/hello.txt"
  check "$link: cat" d cat "$ns/$link/hello.txt"
  eq "$link: cat content" "$hello" "$(sha256sum <"$TMP/out")"
  check "$link: get" d get "$ns/$link/odd.bin" "$TMP/odd.bin"
  eq "$link: get content" "$DFSC_TB_ODD_SHA256" "$(sha256sum "$TMP/odd.bin" | cut -d' ' -f1)"
  check "$link: put" d put "$TMP/odd.bin" "$ns/$link/$RUN-${link//\//_}.bin"
  check "$link: get back" d get "$ns/$link/$RUN-${link//\//_}.bin" "$TMP/back.bin"
  eq "$link: put round trip" "$DFSC_TB_ODD_SHA256" "$(sha256sum "$TMP/back.bin" | cut -d' ' -f1)"
  check "$link: rm" d rm "$ns/$link/$RUN-${link//\//_}.bin"
  rm -f "$TMP/odd.bin" "$TMP/back.bin"
done

# put / mv / rm through a link (into the shared data tree, a unique name).
head -c 1500000 /dev/urandom >"$TMP/up.bin"
check "put through a link" d put "$TMP/up.bin" "$ns/single/$RUN-up.bin"
check "get it back through the other form" d get "\\\\dfsroot\\dfs\\single\\$RUN-up.bin" "$TMP/down.bin"
eq "put/get round trip through DFS" "$(sha256sum <"$TMP/up.bin")" "$(sha256sum <"$TMP/down.bin")"
check "mv through a link" d mv "$ns/single/$RUN-up.bin" "$ns/single/$RUN-moved.bin"
check "the file is where the link points" "$DFSC" -U "$CRED" stat "//$DFSC_TB_FS1/data/$RUN-moved.bin"
check "mkdir through a link" d mkdir "$ns/single/$RUN-dir"
check "rmdir through a link" d rmdir "$ns/single/$RUN-dir"
check "rm through a link" d rm "$ns/single/$RUN-moved.bin"

# A target that is a folder inside a share.
check "folder link: ls" d ls "$ns/folder"
grep -q "c" "$TMP/out" && ok "folder link lists a/b" || not_ok "folder link lists a/b"
check "folder link: cat" d cat "$ns/folder/c/deep.txt"
eq "folder link content" "$(sha256sum <"$DFSC_TB_DATA_DIR/a/b/c/deep.txt")" "$(sha256sum <"$TMP/out")"
check "folder link: stat" d stat "$ns/folder/c/deep.txt"
check "folder link: get" d get "$ns/folder/c/deep.txt" "$TMP/deep.txt"
eq "folder link get" "$(sha256sum <"$DFSC_TB_DATA_DIR/a/b/c/deep.txt")" "$(sha256sum <"$TMP/deep.txt")"
check "folder link: put" d put "$TMP/deep.txt" "$ns/folder/$RUN-f.txt"
[ -f "$DFSC_TB_DATA_DIR/a/b/$RUN-f.txt" ] && ok "put landed inside the target folder" ||
  not_ok "put landed inside the target folder"
check "folder link: rm" d rm "$ns/folder/$RUN-f.txt"

# The three path forms.
check "smb:// form" d cat "smb://$DFSC_TB_USER@dfsroot/dfs/replicated/hello.txt"
eq "smb:// form content" "$hello" "$(sha256sum <"$TMP/out")"
check '\\ form' d cat '\\dfsroot\dfs\deep\two\levels\hello.txt'
eq '\\ form content' "$hello" "$(sha256sum <"$TMP/out")"

# The root itself lists its links.
check "ls the DFS root" d ls "$ns"
for l in single replicated folder deep interlink failover; do
  grep -q " $l\$" "$TMP/out" && ok "root lists $l" || not_ok "root lists $l"
done

# resolve: each hop, as text and JSON.
check "resolve an interlink" d --json resolve "$ns/interlink/inner/hello.txt"
python3 - "$TMP/out" <<'PY' && ok "interlink resolves in two hops to fs2" || not_ok "interlink resolves in two hops to fs2"
import json, sys
r = json.load(open(sys.argv[1]))[0]
hops = r["hops"]
assert len(hops) == 2, hops
assert hops[0]["prefix"].lower() == "\\dfsroot\\dfs\\interlink", hops[0]
assert hops[0]["targets"][hops[0]["chosen"]].lower().startswith("\\dfsroot2\\dfs2"), hops[0]
assert hops[1]["targets"][hops[1]["chosen"]].lower() == "\\fs2\\data", hops[1]
assert r["target"].lower() == "\\fs2\\data\\hello.txt", r
for h in hops:
    assert h["ttl"] > 0 and h["version"] >= 2 and h["path_consumed"] == 2 * len(h["prefix"]), h
PY
check "resolve the failover link" d --json resolve "$ns/failover/hello.txt"
python3 - "$TMP/out" <<'PY' && ok "failover link chose its second target" || not_ok "failover link chose its second target"
import json, sys
h = json.load(open(sys.argv[1]))[0]["hops"][0]
assert len(h["targets"]) == 2 and h["chosen"] == 1, h
PY
check "resolve text output" d resolve "$ns/folder/c"
grep -q 'hop 1: link \\dfsroot\\dfs\\folder' "$TMP/out" && ok "resolve names the hop" || not_ok "resolve names the hop"
grep -q 'target: \\fs1\\data\\a\\b\\c' "$TMP/out" && ok "resolve names the target" || not_ok "resolve names the target"
check "cache after resolving two links" d cache "$ns/single" "$ns/replicated/a"
grep -q 'referral cache: 3 entries' "$TMP/out" && ok "cache holds the root and the two links" ||
  not_ok "cache holds the root and the two links ($(head -1 "$TMP/out"))"
grep -q '^  root \\dfsroot\\dfs ' "$TMP/out" && ok "the root referral is cached" || not_ok "the root referral is cached"

# Failures within their bounds.
t0=$(date +%s)
check_fail "only target dead: clear error" "^dfsc: $ns/dead/hello.txt: " d --timeout 5 cat "$ns/dead/hello.txt"
check_fail "hung target: fails by deadline" "^dfsc: $ns/hang/hello.txt: .*(timed out|closed)" d --timeout 3 cat "$ns/hang/hello.txt"
check_fail "referral loop: clear error" "^dfsc: $ns/loop/hello.txt: referral loop" d --timeout 5 cat "$ns/loop/hello.txt"
t1=$(date +%s)
[ $((t1 - t0)) -lt 40 ] && ok "dead, hung and cyclic links failed within $((t1 - t0)) s" ||
  not_ok "dead, hung and cyclic links took $((t1 - t0)) s"
# SIGTERM while waiting on a hung target ends the process within its grace.
t0=$(date +%s%N)
timeout -s TERM 1 "$DFSC" -U "$CRED" "${R[@]}" get "$ns/hang/big.bin" "$TMP/hung.bin" 2>/dev/null
rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ $rc -ne 0 ] && [ $ms -lt 6000 ] && ok "SIGTERM during a hung get ends it in $ms ms" ||
  not_ok "SIGTERM during a hung get: rc $rc after $ms ms"
[ ! -e "$TMP/hung.bin" ] && ok "no file left under the final name" || not_ok "hung get left a file"
check_fail "a path in the root that is no link" "STATUS_OBJECT_(PATH|NAME)_NOT_FOUND" d stat "$ns/no-such-link/x"
finish
