#!/usr/bin/env bash
# Path forms and names: the three UNC forms, non-ASCII and spaces; control
# characters in names from the server and in typed paths never reach the
# terminal raw (stdout or stderr, TTY or not), and never a local file name.
. "$(dirname "$0")/lib.sh"
fs1=$DFSC_TB_FS1
# shellcheck disable=SC2206
R=($DFSC_TB_RESOLVE_ARGS)
CTL=$DFSC_TB_FS1_SCRATCH_DIR/$RUN-ctl
NS=$DFSC_TB_DIR/srv/dfsroot/msdfs/$RUN
trap 'rm -rf "$TMP" "$CTL" "$NS"' EXIT
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

# ---- control characters --------------------------------------------------
# Samba lists DEL and C1 (U+009B, the 8-bit CSI) as they are on disk; it
# mangles C0 in listings and refuses it in paths, so ESC and newline from
# the server come through DFS referral targets (the namespace is a local
# directory) and from typed paths.
ESC=$(printf '\033') DEL=$(printf '\177') CSI=$(printf '\302\233')
mkdir -p "$CTL/d${DEL}x"
echo c1 >"$CTL/c1${CSI}x"
echo del >"$CTL/del${DEL}x"
echo plain >"$CTL/plain.txt"
chown -R "$DFSC_TB_USER" "$CTL" 2>/dev/null
# raw FILE: passes when FILE holds no C0 byte but newline, no DEL, no C1.
raw() {
  python3 - "$1" <<'PY'
import re, sys
b = open(sys.argv[1], "rb").read()
m = re.search(rb"[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]", b)
if m:
    print("#   raw control at byte", m.start(), repr(b[max(0, m.start() - 20):m.end() + 20]))
    sys.exit(1)
PY
}
has() { # DESC FILE FIXED-STRING
  if grep -qF -- "$3" "$2"; then ok "$1"; else not_ok "$1: no [$3] in"; sed 's/^/#   /' "$2" | head -8; fi
}

check "ls of names with DEL and C1 (stdout a file)" dfsc ls "//$fs1/scratch/$RUN-ctl"
raw "$TMP/out" && ok "ls: no raw control character" || not_ok "ls: raw control character"
has "ls: C1 shown as \u009b" "$TMP/out" 'c1\u009bx'
has "ls: DEL shown as \x7f" "$TMP/out" 'del\x7fx'
check "ls --json of the same" dfsc --json ls "//$fs1/scratch/$RUN-ctl"
raw "$TMP/out" && ok "ls --json: no raw control character" || not_ok "ls --json: raw control character"
python3 - "$TMP/out" "$CTL" <<'PY' && ok "ls --json: the exact names decode" || not_ok "ls --json: names differ"
import json, os, sys
got = sorted(e["name"] for e in json.load(open(sys.argv[1])))
want = sorted(os.listdir(sys.argv[2]))
if got != want:
    print("#   got", got, "want", want); sys.exit(1)
PY
check "stat of a C1 name" dfsc stat "//$fs1/scratch/$RUN-ctl/c1${CSI}x"
raw "$TMP/out" && ok "stat: no raw control character" || not_ok "stat: raw control character"
has "stat: path line escaped" "$TMP/out" "path: //$fs1/scratch/$RUN-ctl/c1\u009bx"

# An error line echoing a typed path: one line, escaped.
dfsc stat "//$fs1/scratch/$RUN-ctl/no${ESC}[2J
such${CSI}" >"$TMP/out" 2>"$TMP/err"
eq "error for a path with ESC and newline: exit 1" 1 "$?"
eq "error: one line" 1 "$(wc -l <"$TMP/err")"
raw "$TMP/err" && ok "error: no raw control character" || not_ok "error: raw control character"
has "error: the path escaped" "$TMP/err" "dfsc: //$fs1/scratch/$RUN-ctl/no\x1b[2J\nsuch\u009b: STATUS_"

# Referral targets from the server: with ESC (cache, the log callback) and
# with DEL (resolve, which probes the target).
if mkdir "$NS" 2>/dev/null &&
  ln -s "msdfs:fs1\\scr${ESC}[31mx" "$NS/esc" &&
  ln -s "msdfs:fs1\\scratch\\$RUN-ctl\\d${DEL}x" "$NS/del"; then
  "$DFSC" -U "$CRED" "${R[@]}" -v cache "//dfsroot/dfs/$RUN/esc" >"$TMP/out" 2>"$TMP/err"
  eq "cache of a link whose target has ESC: exit 1 (no such share)" 1 "$?"
  raw "$TMP/out" && ok "cache: no raw control character" || not_ok "cache: raw control character"
  has "cache: the target escaped" "$TMP/out" '\fs1\scr\x1b[31mx'
  raw "$TMP/err" && ok "-v log lines: no raw control character" || not_ok "-v log: raw control character"
  has "-v log lines: the target escaped" "$TMP/err" '\fs1\scr\x1b[31mx'
  check "resolve of a link whose target has DEL" "$DFSC" -U "$CRED" "${R[@]}" resolve "//dfsroot/dfs/$RUN/del"
  raw "$TMP/out" && ok "resolve: no raw control character" || not_ok "resolve: raw control character"
  has "resolve: the target escaped" "$TMP/out" "target: \\fs1\\scratch\\$RUN-ctl\\d\\x7fx"
else
  not_ok "cannot create a namespace directory in $NS"
fi

# get -r: the unsafe names are refused one line each, the rest arrives,
# nothing local has a control character in its name.
"$DFSC" -U "$CRED" get -r "//$fs1/scratch/$RUN-ctl" "$TMP/ctl" >"$TMP/out" 2>"$TMP/err"
eq "get -r of names with controls: exit 1" 1 "$?"
raw "$TMP/err" && ok "get -r: no raw control character on stderr" || not_ok "get -r: raw control on stderr"
eq "get -r: one line per unsafe name" 3 "$(grep -c 'unsafe name in the listing, skipped$' "$TMP/err")"
has "get -r: the C1 name escaped in its line" "$TMP/err" "dfsc: //$fs1/scratch/$RUN-ctl/c1\u009bx: unsafe name"
eq "get -r: the safe file arrived" plain "$(cat "$TMP/ctl/plain.txt" 2>/dev/null)"
eq "get -r: no local name with a control character" "" \
  "$(find "$TMP/ctl" -name "*[$(printf '\001-\037\177')]*" -o -name "*$CSI*")"
# get without LOCAL would name the file after the remote name: refused.
mkdir "$TMP/g" && cd "$TMP/g" || exit 1
"$DFSC" -U "$CRED" get "//$fs1/scratch/$RUN-ctl/c1${CSI}x" >"$TMP/out" 2>"$TMP/err"
eq "get of a C1 name without LOCAL: usage error" 2 "$?"
has "get without LOCAL: says so" "$TMP/err" "no safe file name in path; give LOCAL"
eq "get without LOCAL: nothing created" "" "$(ls -A)"
check "get of a C1 name with LOCAL" "$DFSC" -U "$CRED" get "//$fs1/scratch/$RUN-ctl/c1${CSI}x" safe.txt
eq "get with LOCAL: content" c1 "$(cat safe.txt 2>/dev/null)"

# smb:// names are percent-decoded: a name taken from a URL is the decoded
# one (get's local name, get -r's directory), and a name put after a URL
# (put into a directory, get -r's children) has its '%' encoded there, so
# '%', '#', ';' and spaces mean themselves on the server ('?' no Windows
# name holds). The get below names the file fully encoded.
U="smb://$DFSC_TB_DOMAIN;$DFSC_TB_USER:$DFSC_TB_PASS@$fs1/scratch/$RUN-ctl"
ODD='a b%c#d;e.txt'
mkdir -p "$TMP/url" "$CTL/u dir" && cd "$TMP/url" || exit 1
echo odd >"$ODD"
check "put into an smb:// directory, a name with ' %#;'" "$DFSC" put "$ODD" "$U/"
eq "put: the server's file has the name itself" odd "$(cat "$CTL/$ODD" 2>/dev/null)"
rm -f "$ODD"
check "get of an smb:// URL, the name encoded" "$DFSC" get "$U/a%20b%25c%23d%3Be.txt"
eq "get: the local file has the name itself" odd "$(cat "$ODD" 2>/dev/null)"
cp "$CTL/$ODD" "$CTL/u dir/$ODD"
chown -R "$DFSC_TB_USER" "$CTL/u dir" 2>/dev/null
check "get -r of an smb:// directory, both names encoded" "$DFSC" get -r "$U/u%20dir"
eq "get -r: the directory and its file under their names" odd "$(cat "u dir/$ODD" 2>/dev/null)"
cd / || exit 1
finish
