#!/usr/bin/env bash
# The testbed's durable-handle server and its relay, checked with smbclient
# only (not dfsc): durfs serves big256 through durrelay; the relay's run-time
# controls act on connections that are already open (cut resets a transfer
# in the middle; blackhole silences new connections until forward) and
# refuse makes it a server that is gone; server-stop / server-start take
# durfs itself away and back. Everything it switches is switched back on
# exit. It stops durfs: tests that use durfs or durrelay must not run beside
# it.
. "$(dirname "$0")/lib.sh"
missing=
for v in DURFS DURRELAY DURRELAY_LOG DURFS_BIG DURFS_BIG_SHA256 LINK_DURABLE LINK_DURSCRATCH; do
  f="DFSC_TB_$v"
  [ -n "${!f:-}" ] || missing="$missing $f"
done
if [ -n "$missing" ]; then
  not_ok "the testbed's env file lacks:$missing (a testbed from before durfs?)"
  finish
  exit 1
fi
restore() {
  tb_proxy_ctl durrelay forward >/dev/null 2>&1
  tb_server_start durfs >/dev/null 2>&1
  rm -rf "$TMP"
}
trap restore EXIT

# smbclient with a private cache and no /etc/samba/smb.conf.
mkdir -p "$TMP/sc/cache" "$TMP/sc/lock" "$TMP/sc/state"
printf '[global]\n\tcache directory = %s\n\tlock directory = %s\n\tstate directory = %s\n' \
  "$TMP/sc/cache" "$TMP/sc/lock" "$TMP/sc/state" >"$TMP/sc/smb.conf"
sc() { # ADDR NAME SHARE CMD: one smbclient run, 20 s at most
  timeout 20 smbclient -s "$TMP/sc/smb.conf" "//$2/$3" -I "$1" -U "$CRED" -t 5 -c "$4"
}
# smbclient reports connect errors on stdout: all of it to stderr, for check_fail.
relay_ls() { sc "$DFSC_TB_DURRELAY" durrelay data 'ls hello.txt' >&2; }
direct_ls() { sc "$DFSC_TB_DURFS" durfs data 'ls hello.txt' >&2; }
sha() { sha256sum "$1" | cut -d' ' -f1; }

tb_proxy_ctl durrelay forward

# 1. The whole big256 through the relay.
check "get big256 through durrelay" sc "$DFSC_TB_DURRELAY" durrelay data "get $DFSC_TB_DURFS_BIG $TMP/big"
eq "big256 through durrelay: sha256" "$DFSC_TB_DURFS_BIG_SHA256" "$(sha "$TMP/big" 2>/dev/null)"
rm -f "$TMP/big"
check "scratch share of durfs is writable" sc "$DFSC_TB_DURRELAY" durrelay scratch \
  "put $DFSC_TB_DATA_DIR/hello.txt $RUN.txt; del $RUN.txt"

# 1b. What durfs grants and how a durable handle survives, asked with the
# testbed's own SMB2 probe (smbclient never asks for durable handles).
SRC=${DFSC_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
probe() { python3 "$SRC/tests/testbed/durprobe" "$@"; }
# What the probe runs between its two connections: proxy control lines for
# durrelay, or `restart` (durfs stopped and started again).
{
  echo "export DFSC_SRC='$SRC'"
  declare -f tb_script tb_proxy_ctl
  echo 'if [ "$1" = restart ]; then tb_script server-stop durfs && tb_script server-start durfs; exit; fi'
  echo 'for l in "$@"; do tb_proxy_ctl durrelay "$l" || exit 1; done'
} >"$TMP/between.sh"
probe_check() { # DESC WANT PROBE-ARGS...: the probe's output must match WANT
  local desc=$1 want=$2
  shift 2
  probe "$@" >"$TMP/probe.out" 2>&1
  if grep -Eq -- "$want" "$TMP/probe.out"; then ok "$desc"; else
    not_ok "$desc (want /$want/)"; sed 's/^/#   /' "$TMP/probe.out" | head -5; fi
}
big=$DFSC_TB_DURFS_BIG
probe_check "durfs grants a durable v2 handle and an RWH lease through durrelay" \
  '^oplock=0xff lease=RHW dh2q=yes timeout=[1-9]' open "$DFSC_TB_DURRELAY" data "$big"
probe_check "after a cut, the durable handle reconnects (DH2C)" '^reconnect=SUCCESS' \
  reconnect "$DFSC_TB_DURRELAY" data "$big" --between "bash $TMP/between.sh cut"
grep -q '^lease=RHW read=SUCCESS same=yes' "$TMP/probe.out" &&
  ok "after a cut: the lease is back and the handle reads the same bytes" ||
  not_ok "after a cut: the lease is back and the handle reads the same bytes"
# Blackholed, the server still holds the old connection: a reconnect from a
# new one is refused unless it names the old session (PreviousSessionId).
probe_check "blackholed: a reconnect elsewhere without PreviousSessionId is refused" \
  '^reconnect=OBJECT_NAME_NOT_FOUND' reconnect "$DFSC_TB_DURRELAY" data "$big" \
  --between "bash $TMP/between.sh blackhole" --via "$DFSC_TB_DURFS"
tb_proxy_ctl durrelay forward
probe_check "blackholed: a reconnect elsewhere with PreviousSessionId succeeds" \
  '^reconnect=SUCCESS' reconnect "$DFSC_TB_DURRELAY" data "$big" \
  --between "bash $TMP/between.sh blackhole" --via "$DFSC_TB_DURFS" --previous
tb_proxy_ctl durrelay forward
# A restarted smbd has forgotten its durable handles (its open table is
# volatile). --previous, so that a server that had kept it would hand it
# back.
probe_check "after a server restart, the durable handle is gone" \
  '^reconnect=OBJECT_NAME_NOT_FOUND' reconnect "$DFSC_TB_DURRELAY" data "$big" \
  --between "bash $TMP/between.sh restart" --previous

# A transfer held mid-file: smbclient writes big256 to a pipe whose reader
# stops after 1 MiB for HOLD seconds, so smbclient blocks writing and stops
# reading the socket with the connection open; then the reader takes the
# rest. held_start TAG starts it (pid in HPID); held_end TAG waits for it and
# sets HBYTES (bytes that arrived) and HERR (smbclient's messages).
HOLD=2
held_start() {
  { sc "$DFSC_TB_DURRELAY" durrelay data "get $DFSC_TB_DURFS_BIG -" 2>"$TMP/$1.err" |
    { head -c 1048576; sleep "$HOLD"; cat; } | wc -c >"$TMP/$1.n"; } &
  HPID=$!
  sleep 1
}
held_end() {
  gone "$HPID" 25 && ok "$1: the transfer ended" || not_ok "$1: the transfer ended"
  wait "$HPID" 2>/dev/null
  HBYTES=$(cat "$TMP/$1.n")
  HERR=$(cat "$TMP/$1.err")
}
last_control() { grep ' control #' "$DFSC_TB_DURRELAY_LOG" | tail -n 1; }

# 2. cut acts on the connection that is open (without it the same held
# transfer ends complete).
held_start cut
check "cut while a transfer is held mid-file" tb_proxy_ctl durrelay cut
last_control | grep -Eq 'applied: cut .*reset [1-9][0-9]* connection' &&
  ok "cut: the relay reset the open connection" || not_ok "cut: the relay reset the open connection: $(last_control)"
held_end cut
[ "$HBYTES" -lt "$DFSC_TB_DURFS_BIG_SIZE" ] && ok "cut: the transfer did not complete ($HBYTES bytes)" ||
  not_ok "cut: the transfer did not complete ($HBYTES bytes)"
printf '%s' "$HERR" | grep -Eq 'NT_STATUS_(CONNECTION_RESET|CONNECTION_DISCONNECTED|END_OF_FILE|INVALID_NETWORK_RESPONSE)' &&
  ok "cut: smbclient reports the broken connection" ||
  not_ok "cut: smbclient reports the broken connection: $HERR"
check "after a cut, new connections are forwarded" relay_ls

# 3. blackhole silences the open transfer (smbclient's read times out after
# its -t 5, nothing more arrives and the relay does not close it) and new
# connections (bounded by timeout); forward brings new connections back.
held_start bh
check "blackhole" tb_proxy_ctl durrelay blackhole
last_control | grep -Eq '[1-9][0-9]* open connection\(s\) blackholed' &&
  ok "blackhole: the open connection is blackholed" ||
  not_ok "blackhole: the open connection is blackholed: $(last_control)"
# smbclient waits for the NEGOTIATE answer longer than its -t: it is ended
# by timeout (status 124), i.e. it neither got an answer nor a refusal.
timeout 5 smbclient -s "$TMP/sc/smb.conf" //durrelay/data -I "$DFSC_TB_DURRELAY" -U "$CRED" \
  -c 'ls hello.txt' >"$TMP/bh-new.out" 2>&1
eq "blackhole: a new connect gets no answer (ended by timeout)" 124 "$?"
held_end bh
[ "$HBYTES" -lt "$DFSC_TB_DURFS_BIG_SIZE" ] && ok "blackhole: the open transfer stalled ($HBYTES bytes)" ||
  not_ok "blackhole: the open transfer stalled ($HBYTES bytes)"
printf '%s' "$HERR" | grep -q 'NT_STATUS_IO_TIMEOUT' && ok "blackhole: smbclient timed out, no reset" ||
  not_ok "blackhole: smbclient timed out, no reset: $HERR"
check "forward" tb_proxy_ctl durrelay forward
check "forward: new connections work again" relay_ls

# 4. A server that is gone: refuse (new connects refused) plus cut (the open
# transfer reset); forward brings it back.
held_start gone
check "refuse" tb_proxy_ctl durrelay refuse
check_fail "refuse: new connects are refused" 'NT_STATUS_CONNECTION_REFUSED' relay_ls
check "cut after refuse" tb_proxy_ctl durrelay cut
held_end gone
[ "$HBYTES" -lt "$DFSC_TB_DURFS_BIG_SIZE" ] && ok "refuse+cut: the open transfer failed ($HBYTES bytes)" ||
  not_ok "refuse+cut: the open transfer failed ($HBYTES bytes)"
check_fail "refuse+cut: still refused" 'NT_STATUS_CONNECTION_REFUSED' relay_ls
check "forward after refuse" tb_proxy_ctl durrelay forward
check "forward after refuse: works" relay_ls

# 5. The server itself stops and comes back.
check "server-stop durfs" tb_server_stop durfs
check_fail "durfs stopped: direct connects are refused" 'NT_STATUS_CONNECTION_REFUSED' direct_ls
check_fail "durfs stopped: connects through the relay fail" 'NT_STATUS_' relay_ls
t0=$(date +%s%N)
check "server-start durfs" tb_server_start durfs
echo "# server-start took $((($(date +%s%N) - t0) / 1000000)) ms"
check "durfs back: direct" direct_ls
check "durfs back: through the relay" relay_ls
finish
