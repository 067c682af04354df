#!/usr/bin/env bash
# The testbed's relay (tests/testbed/tcpproxy) passes the end of the
# upstream's connection on to the client: a server that closes gives the
# client an end of stream, a server that dies with requests unread in its
# socket (the kernel resets then) gives the client a reset. Before, that
# reset stopped at the relay and the client's side stayed open and silent,
# its requests vanishing: dfsc then waited out a deadline instead of seeing
# the server restart that t_reconnect c stages (seen in CI). The upstream
# here is a few lines of Python this test starts, on an address nothing
# else uses; no SMB server is involved.
. "$(dirname "$0")/lib.sh"
ADDR=127.0.0.73
UPORT=4453
PPORT=4454
PROXY="$DFSC_SRC/tests/testbed/tcpproxy"

# The upstream: per connection, read 1000 bytes, wait until the client has
# sent more (left unread), then close: with unread bytes the kernel sends
# RST ("reset"), after reading them all a FIN ("close").
cat >"$TMP/up.py" <<'EOF'
import socket, sys, time
how, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((addr, port))
ls.listen(4)
ls.settimeout(30)
print("listening", flush=True)
c, _ = ls.accept()
got = 0
while got < 1000:
    got += len(c.recv(1000 - got))
time.sleep(0.5)
if how == "close":
    c.settimeout(0.5)
    try:
        while c.recv(65536):
            pass
    except socket.timeout:
        pass
c.close()
time.sleep(2)
EOF

# The client: send 100 kB through the relay, then wait at most 10 s for
# what comes back; prints "eof", "reset" or "silent".
cat >"$TMP/client.py" <<'EOF'
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
s.sendall(b"x" * 100000)
s.settimeout(10)
try:
    print("eof" if s.recv(1) == b"" else "data")
except ConnectionResetError:
    print("reset")
except socket.timeout:
    print("silent")
EOF

PPID_=
UPID=
cleanup() {
  for p in $PPID_ $UPID; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  rm -rf "$TMP"
}
trap cleanup EXIT

python3 "$PROXY" --listen "$ADDR:$PPORT" --upstream "$ADDR:$UPORT" --mode forward \
  --pidfile "$TMP/relay.pid" >"$TMP/relay.log" 2>&1 &
PPID_=$!
for _ in $(seq 1 250); do [ -s "$TMP/relay.pid" ] && break; sleep 0.02; done
eq "the relay listens on $ADDR:$PPORT" "$PPID_" "$(cat "$TMP/relay.pid" 2>/dev/null)"

for how in close reset; do
  python3 "$TMP/up.py" "$how" "$ADDR" "$UPORT" >"$TMP/up.$how" 2>&1 &
  UPID=$!
  for _ in $(seq 1 250); do grep -q listening "$TMP/up.$how" && break; sleep 0.02; done
  t0=$(date +%s%N)
  got=$(timeout 20 python3 "$TMP/client.py" "$ADDR" "$PPORT" 2>&1)
  ms=$((($(date +%s%N) - t0) / 1000000))
  case $how in
    close) want='^eof$' ;;
    reset) want='^(reset|eof)$' ;;
  esac
  if [[ $got =~ $want ]] && [ "$ms" -lt 5000 ]; then
    ok "upstream $how: the client sees $got through the relay ($ms ms)"
  else
    not_ok "upstream $how: the client saw [$got] after $ms ms (expected ${want//[\^\$]/} within 5 s)"
    sed 's/^/#   /' "$TMP/relay.log" "$TMP/up.$how"
  fi
  wait "$UPID" 2>/dev/null
  UPID=
done
finish
