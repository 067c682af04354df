#!/usr/bin/env bash
# Share listings (ls //host): srvsvc NetrShareEnum over the IPC$ pipe,
# compared with smbclient -L against the same server, on every dialect, on
# the two-credit server with hundreds of shares (many RPC fragments), on
# the domain name (its DC), in every path form, and the refusals.
. "$(dirname "$0")/lib.sh"
# shellcheck disable=SC2206
R=($DFSC_TB_RESOLVE_ARGS)

# "TYPE|NAME|COMMENT" lines, sorted, from dfsc --json ls //host ...
dfsc_lines() {
  python3 -c '
import json, sys
types = {"disk": "Disk", "ipc": "IPC", "printer": "Printer", "device": "Device"}
doc = json.load(open(sys.argv[1]))
for s in doc:
    print("%s|%s|%s" % (types[s["type"]], s["name"], s["comment"]))' "$1" | LC_ALL=C sort
}

# ... and from smbclient -L -g (its grepable form).
smbclient_lines() {
  grep -E '^(Disk|IPC|Printer|Device)\|' "$1" | LC_ALL=C sort
}

# compare_with_smbclient DESC HOST [ADDR]: ADDR for a name only the
# testbed's --resolve map knows.
compare_with_smbclient() {
  local desc=$1 host=$2 ip=()
  [ -n "${3:-}" ] && ip=(-I "$3")
  check "$desc: dfsc --json ls //$host" dfsc "${R[@]}" --json ls "//$host"
  dfsc_lines "$TMP/out" >"$TMP/dfsc.lines"
  if smbclient -L "//$host" "${ip[@]}" -U "$CRED" -g >"$TMP/smbc" 2>&1 ||
    grep -q '^IPC|' "$TMP/smbc"; then
    smbclient_lines "$TMP/smbc" >"$TMP/smbc.lines"
    eq "$desc: the shares smbclient -L lists, types and comments alike" \
      "$(cat "$TMP/smbc.lines")" "$(cat "$TMP/dfsc.lines")"
  else
    not_ok "$desc: smbclient -L failed"
    sed 's/^/#   /' "$TMP/smbc" | head -5
  fi
  eq "$desc: listed something" 1 "$([ -s "$TMP/dfsc.lines" ] && echo 1 || echo 0)"
}

for d in FS1 FS2 D202 D210 D300 D302 D311; do
  var=DFSC_TB_$d
  compare_with_smbclient "$d" "${!var}"
done

# The two-credit server with its hundreds of shares: an answer of many
# fragments, read from the pipe in many requests, two credits at a time.
many=${DFSC_TB_LOWCRED_MANY_SHARES:-0}
compare_with_smbclient "LOWCRED" "$DFSC_TB_LOWCRED"
eq "LOWCRED: its $many many* shares listed" "$many" \
  "$(grep -c '^Disk|many[0-9][0-9][0-9]|' "$TMP/dfsc.lines")"
"$DFSC" -vvv -U "$CRED" ls "//$DFSC_TB_LOWCRED" >/dev/null 2>"$TMP/lc.log"
frags=$(sed -n 's/.*share listing: call 1: [0-9]* bytes in \([0-9]*\) fragments.*/\1/p' "$TMP/lc.log")
eq "LOWCRED: the answer came in several fragments (got ${frags:-none})" 1 \
  "$([ "${frags:-0}" -gt 1 ] && echo 1 || echo 0)"
eq "LOWCRED: non-ASCII comments arrive intact" 1 \
  "$(grep -c "^Disk|many007|share 007 of the testbed — café 日本\$" "$TMP/dfsc.lines")"

# Text form: one line a share with its type; IPC$ is special.
dfsc --json ls "//$DFSC_TB_FS2" >"$TMP/fs2.json" 2>/dev/null
dfsc_lines "$TMP/fs2.json" >"$TMP/dfsc.lines"
check "text form" dfsc ls "//$DFSC_TB_FS2"
eq "text: IPC\$ as ipc, special" 1 "$(grep -cE '^IPC\$ +ipc +special ' "$TMP/out")"
eq "text: data as disk" 1 "$(grep -cE '^data +disk +-$' "$TMP/out")"
eq "text: one line a share" "$(wc -l <"$TMP/dfsc.lines" | tr -d ' ')" \
  "$(($(wc -l <"$TMP/out")))"

# Every way of naming a server alone.
dfsc --json ls "//$DFSC_TB_FS2" >"$TMP/ref" 2>/dev/null
dfsc_lines "$TMP/ref" | cut -d'|' -f1,2 >"$TMP/ref.lines"
for form in "//$DFSC_TB_FS2/" "\\\\$DFSC_TB_FS2" "\\\\$DFSC_TB_FS2\\" \
  "smb://$DFSC_TB_FS2" "smb://$DFSC_TB_USER:$DFSC_TB_PASS@$DFSC_TB_FS2/"; do
  check "form $form" dfsc --json ls "$form"
  eq "form $form: the same shares" "$(cat "$TMP/ref.lines")" \
    "$(dfsc_lines "$TMP/out" | cut -d'|' -f1,2)"
done

# Several at once: an object keyed by path, with -j.
check "two servers, -j 2" dfsc --json -j 2 ls "//$DFSC_TB_FS1" "//$DFSC_TB_FS3"
eq "two servers: keyed by path" "//$DFSC_TB_FS1 //$DFSC_TB_FS3" \
  "$(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))))' "$TMP/out")"

# A share named still lists the share's directory, not the server.
check "ls //host/share is the directory" dfsc --json ls "//$DFSC_TB_FS2/data"
eq "ls //host/share: hello.txt in it" 1 \
  "$(python3 -c 'import json,sys; print(sum(e["name"] == "hello.txt" for e in json.load(open(sys.argv[1]))))' "$TMP/out")"

# The AD domain: its name resolves to the DC, whose shares are listed.
if [ "${DFSC_TB_DC:-0}" = 1 ]; then
  compare_with_smbclient "domain $DFSC_TB_REALM" "${DFSC_TB_REALM,,}" "$DFSC_TB_DC_ADDR"
  eq "domain: the DC's namespace share" 1 \
    "$(grep -c "^Disk|$DFSC_TB_DC_SHARE|" "$TMP/dfsc.lines")"
  eq "domain: SYSVOL and NETLOGON" 2 "$(grep -ciE '^Disk\|(SYSVOL|NETLOGON)\|' "$TMP/dfsc.lines")"
fi

# Refusals: a bad password, a server that is not there, a user the server
# does not know; each names the path and the reason.
check_fail "wrong password" "//$DFSC_TB_FS2: .*(LOGON_FAILURE|authentication)" \
  "$DFSC" -U "$DFSC_TB_USER%wrong" ls "//$DFSC_TB_FS2"
check_fail "no server" "//$DFSC_TB_DEAD_ADDR: " \
  "$DFSC" -U "$CRED" --timeout 3 ls "//$DFSC_TB_DEAD_ADDR"

# A server without RPC pipes (the testbed's dfsroot2 starts no
# samba-dcerpcd): the status the server gave, naming the path.
check_fail "no srvsvc pipe" "//$DFSC_TB_DFSROOT2: STATUS_OBJECT_NAME_NOT_FOUND" \
  "$DFSC" -U "$CRED" ls "//$DFSC_TB_DFSROOT2"

# The library's verdict on a host path with a share: not a listing.
check "a trailing share is a directory listing (\\\\host\\share)" \
  dfsc ls "\\\\$DFSC_TB_FS2\\data"

finish
