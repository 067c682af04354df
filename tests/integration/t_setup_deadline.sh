#!/usr/bin/env bash
# The setup deadline (setup_timeout) covers every round of session setup
# and each tree connect, not only lookup, connect and negotiate: a server
# that answers NEGOTIATE and then stalls SESSION_SETUP (interim responses
# forever, or one byte per 100 ms) or TREE_CONNECT must fail the access
# with ETIMEDOUT when setup_timeout passes, although request_timeout is far
# longer. The fake server is tests/hostile/hostile.py (anonymous sessions).
. "$(dirname "$0")/lib.sh"
SRC=${DFSC_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
HOSTILE="$SRC/tests/hostile/hostile.py"
ADDR=127.0.0.68
PORT=$((21950 + $$ % 40))
SETUP_S=2
REQUEST_S=30
BOUND_S=8 # the setup deadline plus slack for a loaded machine; << REQUEST_S
trap '[ -s "$TMP/srv.pid" ] && kill "$(cat "$TMP/srv.pid")" 2>/dev/null; rm -rf "$TMP"' EXIT

for sc in pending@session_setup trickle@session_setup pending@tree_connect; do
  rm -f "$TMP/srv.pid"
  python3 "$HOSTILE" --addr "$ADDR" --port "$PORT" --pidfile "$TMP/srv.pid" --scenario "$sc" \
    --max-seconds 60 2>"$TMP/srv.log" &
  for _ in $(seq 100); do [ -s "$TMP/srv.pid" ] && break; sleep 0.05; done
  t0=$(date +%s%N)
  timeout 60 "$DFSC" --set setup_timeout=$SETUP_S --set request_timeout=$REQUEST_S \
    -p "$PORT" stat "//$ADDR/data/file.txt" >"$TMP/out" 2>"$TMP/err"
  rc=$?
  ms=$((($(date +%s%N) - t0) / 1000000))
  if [ "$rc" != 0 ] && grep -q "^dfsc: //$ADDR/data/file.txt: Connection timed out$" "$TMP/err"; then
    ok "$sc: fails with ETIMEDOUT"
  else
    not_ok "$sc: exit $rc: $(head -2 "$TMP/err")"
  fi
  if [ "$ms" -ge $((SETUP_S * 1000 - 200)) ] && [ "$ms" -lt $((BOUND_S * 1000)) ]; then
    ok "$sc: at the setup deadline (${ms} ms; request deadline ${REQUEST_S} s)"
  else
    not_ok "$sc: ended after ${ms} ms, not near the ${SETUP_S} s setup deadline"
  fi
  kill "$(cat "$TMP/srv.pid")" 2>/dev/null
  wait 2>/dev/null
done
finish
