#!/usr/bin/env bash
# The CLI holding a password is not dumpable: a dfsc process of another
# user blocked mid-operation (session setup with the hanging server,
# password already read) has its /proc files owned by root, so that same
# user can read neither its environment nor its memory map (the kernel's
# ptrace check, which also guards mem, ptrace itself and core dumps, all
# tied to the one flag). Checked for -U USER%PASS and for DFSC_PASSWORD,
# running dfsc as the testbed's user (needs root to switch to it).
. "$(dirname "$0")/lib.sh"
hang=$DFSC_TB_HANG

if [ "$(id -u)" != 0 ] || ! id -u "$DFSC_TB_USER" >/dev/null 2>&1 || ! command -v setpriv >/dev/null; then
  ok "skipped (needs root, setpriv and the testbed user)"
  finish
  exit $?
fi
uid=$(id -u "$DFSC_TB_USER")
gid=$(id -g "$DFSC_TB_USER")
# Without HOME: root's ~/.config would be unreadable to the user.
as_user() { setpriv --reuid="$uid" --regid="$gid" --clear-groups -- env -u HOME -u XDG_CONFIG_HOME "$@"; }

# Works as that user at all (the binary is reachable, the password taken).
check "dfsc runs as $DFSC_TB_USER" as_user "$DFSC" -U "$CRED" cat "//$DFSC_TB_FS1/data/hello.txt"
grep -q "Hello from the dfsc testbed" "$TMP/out" && ok "content" || not_ok "content"

# blocked DESC [VAR=VALUE...] DFSC ARGS...: starts dfsc as the user against hangfs,
# waits until its context runs (a second thread: credentials were read
# before), checks, and stops it by its pid.
blocked() {
  local desc=$1 pid n owner
  shift
  # Not through as_user: $! must be dfsc itself (setpriv and env exec it).
  setpriv --reuid="$uid" --regid="$gid" --clear-groups -- env -u HOME -u XDG_CONFIG_HOME \
    "$@" --timeout 20 --resolve "hangfs:$hang" cat //hangfs/data/x >"$TMP/out" 2>"$TMP/err" &
  pid=$!
  for _ in $(seq 1 200); do
    n=$(awk '/^Threads:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
    [ "${n:-0}" -ge 2 ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  if [ "${n:-0}" -lt 2 ]; then
    not_ok "$desc: dfsc did not start its context"
    sed 's/^/#   /' "$TMP/err"
  else
    owner=$(stat -c %u "/proc/$pid/environ")
    eq "$desc: /proc/PID/environ owned by root, not uid $uid" 0 "$owner"
    as_user cat "/proc/$pid/environ" >/dev/null 2>&1 &&
      not_ok "$desc: the same user read its environment" ||
      ok "$desc: the same user cannot read its environment"
    # maps needs the same ptrace access as mem (reading mem at offset 0
    # fails either way: nothing is mapped there).
    as_user cat "/proc/$pid/maps" >/dev/null 2>&1 &&
      not_ok "$desc: the same user read its memory map" ||
      ok "$desc: the same user cannot read its memory map"
    # PR_GET_DUMPABLE is only visible to the process; /proc/PID/status
    # does not show it, the owner of its files does.
  fi
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
}
blocked "-U USER%PASS" "$DFSC" -U "$CRED"
blocked "DFSC_PASSWORD" DFSC_PASSWORD="$DFSC_TB_PASS" "$DFSC" -U "$DFSC_TB_USER"
finish
