#!/usr/bin/env bash
# One mount for many users (-o multiuser,allow_other), on fs1's scratch
# share. Three local users who are not the mounting one: A has a
# credentials file for the testbed's user, B one for its second user, C
# none. On the server's disk a directory only the first user may enter and
# one only the second may.
#   - .dfsc/whoami tells each what identity they appear as;
#   - A reads its directory and is refused the other, B the reverse, and
#     what each writes is owned on the server by its own user;
#   - C gets EACCES for everything of a server's, even what A's accesses
#     left in the kernel's and the daemon's caches, and the daemon logs why;
#   - a capture shows one SMB session per user, all on one connection: B's
#     many requests go through one session setup of the second user, on
#     the connection that also carries A's and the mounting user's;
#   - with the testbed's AD DC: a user with only a Kerberos ticket cache
#     (/tmp/krb5cc_UID) reads a file of the member that refuses NTLM.
. "$(dirname "$0")/lib.sh"
if [ -z "${DFSC_TB_USER2:-}" ] || [ ! -f "${DFSC_TB_AUTHFILE2:-}" ]; then
  not_ok "the testbed's env file has no second user (a testbed from before it?)"
  finish
  exit 1
fi
if [ ! -c /dev/fuse ] || ! command -v setpriv >/dev/null; then
  not_ok "FUSE and setpriv are needed"
  finish
  exit 1
fi
# shellcheck disable=SC2206
R=($DFSC_TB_RESOLVE_ARGS)
MNT=$TMP/mnt
CR=$TMP/creds
SRV=$DFSC_TB_FS1_SCRATCH_DIR
D=mu-$RUN
PIDS=()
UA=61001
UB=61002
UC=61003
mkdir -p "$MNT" "$CR"
chmod 755 "$TMP" "$MNT" "$CR"
cleanup() {
  unmount_all
  rm -rf "${SRV:?}/$D"
  rm -rf "$TMP"
}
trap cleanup EXIT
as() {
  local u=$1
  shift
  setpriv --reuid="$u" --regid="$u" --clear-groups "$@"
}

install -m 600 "$DFSC_TB_AUTHFILE" "$CR/$UA"
install -m 600 "$DFSC_TB_AUTHFILE2" "$CR/$UB"
mkdir -p "$SRV/$D/only1" "$SRV/$D/only2"
echo one >"$SRV/$D/only1/f"
echo two >"$SRV/$D/only2/f"
chown -R "$DFSC_TB_USER" "$SRV/$D/only1"
chown -R "$DFSC_TB_USER2" "$SRV/$D/only2"
chmod 700 "$SRV/$D/only1" "$SRV/$D/only2"
chmod 777 "$SRV/$D"

CAP=$TMP/mu.pcapng
CAP_PID=
if command -v dumpcap >/dev/null && command -v tshark >/dev/null; then
  dumpcap -q -i lo -s 4096 -f "tcp port 445 and host $DFSC_TB_FS1" -w "$CAP" \
    -a duration:300 2>"$TMP/dumpcap.err" &
  CAP_PID=$!
  PIDS+=("$CAP_PID")
  for _ in $(seq 1 100); do [ -s "$CAP" ] && break; sleep 0.05; done
  sleep 0.3
fi

# The daemon finds the testbed's KDC through its krb5.conf.
[ -n "${DFSC_TB_KRB5_CONFIG:-}" ] && export KRB5_CONFIG=$DFSC_TB_KRB5_CONFIG
check "mount -o allow_other,multiuser,credentials_dir=..." mount_bg "$MNT" --timeout 10 \
  -o "allow_other,multiuser,credentials_dir=$CR"
W=$MNT/fs1/scratch/$D

eq "whoami: A appears as the testbed's user, from its file" \
  "uid $UA: $DFSC_TB_DOMAIN\\$DFSC_TB_USER (credentials file $CR/$UA)" "$(as $UA cat "$MNT/.dfsc/whoami")"
eq "whoami: B appears as the second user" \
  "uid $UB: $DFSC_TB_DOMAIN\\$DFSC_TB_USER2 (credentials file $CR/$UB)" "$(as $UB cat "$MNT/.dfsc/whoami")"
eq "whoami: C appears as nobody" "uid $UC: nobody: no usable credentials (EACCES)" \
  "$(as $UC cat "$MNT/.dfsc/whoami")"
eq "whoami: the mounting user keeps the mount's identity" \
  "uid 0: the mount's own credentials ($DFSC_TB_DOMAIN\\$DFSC_TB_USER)" "$(cat "$MNT/.dfsc/whoami")"

eq "A reads the first user's directory" one "$(as $UA cat "$W/only1/f" 2>&1)"
check_fail "A is refused the second user's" "Permission denied" as $UA cat "$W/only2/f"
eq "B reads the second user's directory" two "$(as $UB cat "$W/only2/f" 2>&1)"
check_fail "B is refused the first user's" "Permission denied" as $UB ls "$W/only1"
check "A writes a file" as $UA sh -c "echo a >'$W/a.txt'"
check "B writes a file" as $UB sh -c "echo b >'$W/b.txt'"
eq "on the server A's file is the first user's, B's the second's" \
  "$DFSC_TB_USER $DFSC_TB_USER2" "$(stat -c %U "$SRV/$D/a.txt" "$SRV/$D/b.txt" | tr '\n' ' ' | sed 's/ $//')"
for i in 1 2 3 4 5; do as $UB cat "$W/only2/f" >/dev/null; as $UB ls "$W" >/dev/null; done
check_fail "C is refused the share" "Permission denied" as $UC ls "$W"
check_fail "C is refused a file A just read (cached)" "Permission denied" as $UC cat "$W/only1/f"
check_fail "C is refused a stat of it" "Permission denied" as $UC stat "$W/a.txt"
grep -q "multiuser: uid $UC has no credentials" "$TMP/mount.log" &&
  ok "the daemon logged why C was refused" || not_ok "the daemon logged why C was refused"
check "the mounting user lists the directory with the mount's identity" ls "$W"

# A user with a Kerberos ticket cache and no credentials file: their
# ticket, to a member server of the testbed's domain that refuses NTLM.
UK=61004
if [ "${DFSC_TB_DC:-0}" = 1 ] && [ -n "${DFSC_TB_MEMBER_NTLM_OFF:-}" ]; then
  KCC=/tmp/krb5cc_$UK
  rm -f "$KCC"
  if KRB5_CONFIG=$DFSC_TB_KRB5_CONFIG KRB5CCNAME=FILE:$KCC \
    kinit "$DFSC_TB_USER@$DFSC_TB_REALM" <<<"$DFSC_TB_PASS" >/dev/null 2>&1; then
    chown "$UK" "$KCC"
    chmod 600 "$KCC"
    eq "whoami: a user with a ticket cache appears as its principal" \
      "uid $UK: the Kerberos principal of ticket cache FILE:$KCC" "$(as $UK cat "$MNT/.dfsc/whoami")"
    eq "that user reads a file of $DFSC_TB_MEMBER_NTLM_OFF (Kerberos only) with it" \
      "$(printf '%s' "$DFSC_TB_HELLO_TEXT")" \
      "$(as $UK cat "$MNT/$DFSC_TB_MEMBER_NTLM_OFF/data/hello.txt" 2>&1)"
  else
    not_ok "kinit for the ticket-cache user"
  fi
  rm -f "$KCC"
else
  echo "# no AD DC in this testbed: the ticket-cache user is not tried"
fi

check "fusermount3 -u unmounts" fusermount3 -u "$MNT"
if [ -n "$CAP_PID" ]; then
  sleep 0.3
  kill -INT "$CAP_PID" 2>/dev/null
  gone "$CAP_PID" 10
  # NTLMSSP AUTHENTICATE messages, one per session set up, with the TCP
  # connection each went over. Other tests running meanwhile reach fs1 as
  # the first user too; only this one uses the second, so its connection
  # is the mount's.
  tshark -r "$CAP" -Y 'ntlmssp.messagetype == 0x00000003' -T fields \
    -e tcp.stream -e ntlmssp.auth.username >"$TMP/auths" 2>/dev/null
  sed 's/^/# session setup on the wire (tcp stream, user): /' "$TMP/auths"
  eq "capture: one session of the second user for all of B's requests" 1 \
    "$(awk -v u="$DFSC_TB_USER2" '$2 == u' "$TMP/auths" | wc -l)"
  ST=$(awk -v u="$DFSC_TB_USER2" '$2 == u { print $1 }' "$TMP/auths" | head -1)
  # On that one connection: B's session, A's and the mount's own (root's),
  # each once: A and root have the same credentials but are two local
  # users, so two sessions.
  eq "capture: the mount's connection carries one session per user (A, root, B)" \
    "$DFSC_TB_USER $DFSC_TB_USER $DFSC_TB_USER2" \
    "$(awk -v s="$ST" '$1 == s { print $2 }' "$TMP/auths" | sort | tr '\n' ' ' | sed 's/ $//')"
else
  not_ok "capture: dumpcap and tshark are needed (scripts/deps installs them)"
fi
finish
