#!/usr/bin/env bash
# The port of an smb:// URL applies to everything asked of that host: a
# DFS root reached only on port 4450 (a relay this test starts in front of
# the testbed's dfsroot, on an address nothing else listens on) answers the
# referral there, and the link's target, another host, is reached on 445.
# Bracketed IPv6-style hosts are not reachable here; the forms are unit
# tested (test_mup_unc).
. "$(dirname "$0")/lib.sh"
# shellcheck disable=SC2206
R=($DFSC_TB_RESOLVE_ARGS)
ADDR=127.0.0.71
PORT=4450
PROXY="$DFSC_SRC/tests/testbed/tcpproxy"
PIDF=$TMP/relay.pid
python3 "$PROXY" --listen "$ADDR:$PORT" --upstream "$DFSC_TB_DFSROOT:445" --mode forward \
  --pidfile "$PIDF" >"$TMP/relay.log" 2>&1 &
RPID=$!
trap 'kill "$RPID" 2>/dev/null; wait "$RPID" 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 1 250); do [ -s "$PIDF" ] && break; sleep 0.02; done
eq "the relay listens on $ADDR:$PORT" "$RPID" "$(cat "$PIDF" 2>/dev/null)"

U="smb://$DFSC_TB_USER:$DFSC_TB_PASS@$ADDR:$PORT"
check "a file through a DFS link, the root on port $PORT" \
  "$DFSC" "${R[@]}" cat "$U/dfs/single/hello.txt"
eq "its content" "$(printf %s "$DFSC_TB_HELLO_TEXT")" "$(cat "$TMP/out")"
check "a listing through the link" "$DFSC" "${R[@]}" ls "$U/dfs/single"
eq "the listing holds hello.txt" 1 "$(grep -c ' hello.txt$' "$TMP/out")"
# Nothing listens on 445 at that address: a referral sent there would have
# failed the two commands above.
check_fail "the same path on port 445 (nothing there) fails" "refused|ECONNREFUSED|Connection" \
  "$DFSC" "${R[@]}" --timeout 5 cat "smb://$DFSC_TB_USER:$DFSC_TB_PASS@$ADDR/dfs/single/hello.txt"
finish
