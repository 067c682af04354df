#!/usr/bin/env bash
# The Kerberos options of the front ends against the testbed, without a
# ticket: -k / --kerberos / --use-kerberos, --keytab, --ccache, --ntlm,
# --hardened-paths, --auth-workers, the same keys from a configuration
# file and --set, and when the CLI asks for a password (under a
# pseudo-terminal: never with -k or a keytab, as before in auto mode).
# Tickets end to end (kinit, the domain's members) are the domain tests'.
. "$(dirname "$0")/lib.sh"

read -r -a R <<<"$DFSC_TB_RESOLVE_ARGS"
DATA=//fs1/data
# No ticket anywhere: a cache that does not exist, and no krb5.conf of the
# host's that could name a KDC for the testbed's servers.
export KRB5CCNAME="FILE:$TMP/no-such-ccache"
export KRB5_CONFIG="$TMP/krb5.conf"
: >"$KRB5_CONFIG"
unset DFSC_PASSWORD PASSWD DFSC_CONFIG
export XDG_CONFIG_HOME="$TMP/xdg"

# ---- option values -------------------------------------------------------
check_fail "--kerberos=bogus is a usage error" "--kerberos=bogus: expected required, auto or off" \
  "$DFSC" --kerberos=bogus ls "$DATA"
check_fail "--use-kerberos=bogus names smbclient's words" "expected required, desired or off" \
  "$DFSC" --use-kerberos=bogus ls "$DATA"
check_fail "--kerberos off (detached) names the attached form" "did you mean .*--kerberos=off" \
  "$DFSC" --kerberos off ls "$DATA"
check_fail "--ntlm=maybe is refused" "--ntlm: expected on or off" "$DFSC" --ntlm=maybe ls "$DATA"
check_fail "--auth-workers=0 is refused" "--auth-workers: invalid value '0'" \
  "$DFSC" --auth-workers=0 ls "$DATA"
check_fail "--hardened-paths=SYSVOL is not a pattern" "'SYSVOL' is not a" \
  "$DFSC" --hardened-paths=SYSVOL ls "$DATA"
check_fail "a keytab that is not there fails before any session, by name" \
  "keytab $TMP/nokt: No such file" "$DFSC" "${R[@]}" --keytab="$TMP/nokt" ls "$DATA"
# A relative name is made absolute (the mount runs from /).
(cd "$TMP" && "$DFSC" "${R[@]}" --keytab=rel.kt ls "$DATA") >/dev/null 2>"$TMP/err2"
check "a relative keytab is named from the current directory" \
  grep -q "keytab $TMP/rel.kt: No such file" "$TMP/err2"

# ---- Kerberos modes against a server, no ticket --------------------------
check "--kerberos=off with a password: NTLM as before" \
  "$DFSC" "${R[@]}" --kerberos=off -U "$CRED" ls "$DATA"
check "auto (the default) with a password and no ticket: NTLM" \
  "$DFSC" "${R[@]}" -U "$CRED" ls "$DATA"
check "--use-kerberos=desired is auto" "$DFSC" "${R[@]}" --use-kerberos=desired -U "$CRED" ls "$DATA"
# Not a terminal, no password, -k: no "no password" refusal, the session
# asks the cache, which has no ticket.
check_fail "-k -U USER without a password: the library's kinit error, not a prompt" \
  "$DATA: no Kerberos ticket.*kinit" "$DFSC" "${R[@]}" -k -U "$DFSC_TB_USER" ls "$DATA" </dev/null
check_fail "-k without -U: the cache's default principal (none)" "kinit" \
  "$DFSC" "${R[@]}" -k ls "$DATA" </dev/null
check_fail "--kerberos=required -U USER@REALM: the kinit error" "kinit" \
  "$DFSC" "${R[@]}" --kerberos=required -U "$DFSC_TB_USER@$DFSC_TB_REALM" ls "$DATA" </dev/null
check_fail "auto, no password, no terminal: the password error as before" \
  "no password for $DFSC_TB_USER .*-k" "$DFSC" "${R[@]}" -U "$DFSC_TB_USER" ls "$DATA" </dev/null
check_fail "--ntlm=off with a password: no NTLM fallback" "kinit|Kerberos" \
  "$DFSC" "${R[@]}" --ntlm=off -U "$CRED" ls "$DATA"
check_fail "--ccache names the cache asked" "kinit" \
  "$DFSC" "${R[@]}" -k --ccache="FILE:$TMP/other-cc" ls "$DATA" </dev/null

# ---- the configuration file and --set ------------------------------------
cat >"$TMP/krb.conf" <<EOF
kerberos = required ; as -k
auth_workers = 3
EOF
check_fail "kerberos = required in the file: no prompt, the kinit error" "kinit" \
  "$DFSC" "${R[@]}" --config="$TMP/krb.conf" -U "$DFSC_TB_USER" ls "$DATA" </dev/null
check "the command line overrides the file (--kerberos=off)" \
  "$DFSC" "${R[@]}" --config="$TMP/krb.conf" --kerberos=off -U "$CRED" ls "$DATA"
printf 'kerberos = sometimes\n' >"$TMP/bad.conf"
check_fail "a bad kerberos value in the file names file and line" \
  "bad.conf:1: kerberos: expected required, auto or off" \
  "$DFSC" --config="$TMP/bad.conf" ls "$DATA"

# ---- hardened paths --------------------------------------------------------
# Over NTLM a share on the list is refused; the default list (SYSVOL,
# NETLOGON) leaves data alone.
check_fail "--hardened-paths=//fs1/data refuses NTLM" "$DATA: hardened path" \
  "$DFSC" "${R[@]}" -U "$CRED" --hardened-paths=//fs1/data ls "$DATA"
check_fail "a backslash glob pattern matches too" "hardened path" \
  "$DFSC" "${R[@]}" -U "$CRED" --hardened-paths='\\fs?\dat*,//x/y' ls "$DATA"
check_fail "hardened_paths from --set" "hardened path" \
  "$DFSC" "${R[@]}" -U "$CRED" --set 'hardened_paths=//*/data' ls "$DATA"
check "a list without the share leaves it alone" \
  "$DFSC" "${R[@]}" -U "$CRED" --hardened-paths=//fs1/other ls "$DATA"
check "none turns it off" "$DFSC" "${R[@]}" -U "$CRED" --hardened-paths=none ls "$DATA"

# ---- the password prompt on a terminal ------------------------------------
# pty_run SECONDS ANSWER CMD...: runs CMD on a pseudo-terminal; when it
# prints "Password for", types ANSWER and a newline. Prints everything the
# terminal showed; ends CMD after SECONDS at the latest.
pty_run() {
  python3 - "$@" <<'EOF'
import os, pty, select, signal, sys, termios, time
limit, answer, argv = float(sys.argv[1]), sys.argv[2], sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
out, sent, end = b"", False, time.monotonic() + limit
while time.monotonic() < end:
    r, _, _ = select.select([fd], [], [], 0.1)
    if r:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    # Type only once the prompt has turned echo off: its TCSAFLUSH drops
    # anything typed earlier. (On Linux the master reads the terminal's
    # settings.)
    if not sent and b"Password for" in out:
        try:
            quiet = not termios.tcgetattr(fd)[3] & termios.ECHO
        except termios.error:
            break
        if quiet:
            os.write(fd, answer.encode() + b"\n")
            sent = True
else:
    os.kill(pid, signal.SIGKILL)
os.waitpid(pid, 0)
sys.stdout.write(out.decode("utf-8", "replace"))
EOF
}
pty_run 20 "$DFSC_TB_PASS" "$DFSC" "${R[@]}" -U "$DFSC_TB_USER" ls "$DATA" >"$TMP/pty1"
check "auto on a terminal: the prompt as before" grep -q "Password for \[$DFSC_TB_USER\]" "$TMP/pty1"
check "auto on a terminal: the typed password logs on" grep -q "big.bin" "$TMP/pty1"
pty_run 20 "$DFSC_TB_PASS" "$DFSC" "${R[@]}" -k -U "$DFSC_TB_USER" ls "$DATA" >"$TMP/pty2"
if grep -q "Password for" "$TMP/pty2"; then
  not_ok "-k on a terminal: no prompt"
else ok "-k on a terminal: no prompt"; fi
check "-k on a terminal: the kinit error" grep -q "kinit" "$TMP/pty2"
# A keytab that exists (empty: it holds no key, so the session fails).
: >"$TMP/empty.kt"
pty_run 20 "$DFSC_TB_PASS" "$DFSC" "${R[@]}" --keytab="$TMP/empty.kt" -U "$DFSC_TB_USER" \
  ls "$DATA" >"$TMP/pty3"
if grep -q "Password for" "$TMP/pty3"; then
  not_ok "--keytab on a terminal: no prompt"
else ok "--keytab on a terminal: no prompt"; fi
check "--keytab on a terminal: the session was tried" grep -q "dfsc: $DATA: " "$TMP/pty3"

# ---- the mount's -o -----------------------------------------------------------
if [ -c /dev/fuse ] && command -v fusermount3 >/dev/null; then
  MNT=$TMP/mnt
  PIDS=()
  mkdir -p "$MNT"
  cleanup() {
    local p
    grep " fuse.dfsc" /proc/mounts | awk '{print $2}' | grep "^$TMP/" |
      while read -r m; do fusermount3 -u -z "$m" 2>/dev/null; done
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    rm -rf "$TMP"
  }
  trap cleanup EXIT
  HELLO=$(cat "$DFSC_TB_DATA_DIR/hello.txt")
  # hardened_paths with ':' between patterns: fs1's data refused over NTLM,
  # fs2's (not on the list) served.
  if mount_bg "$MNT" --timeout 10 -o 'hardened_paths=//fs1/data://x/y'; then
    ok "mount -o hardened_paths=//fs1/data://x/y"
    if cat "$MNT/fs1/data/hello.txt" >/dev/null 2>"$TMP/err"; then
      not_ok "mount: a hardened share over NTLM is refused"
    else ok "mount: a hardened share over NTLM is refused"; fi
    eq "mount: a share off the list is served" "$HELLO" "$(cat "$MNT/fs2/data/hello.txt" 2>&1)"
    fusermount3 -u "$MNT"
    check "mount: the daemon exits after fusermount3 -u" gone "$MPID" 10
  else
    not_ok "mount -o hardened_paths=//fs1/data://x/y"
  fi
  # krb5 with a user and no password, not on a terminal: the mount starts
  # (no "no password" refusal), and a read needs the ticket it lacks.
  "$DFSC" "${R[@]}" --timeout 10 -U "$DFSC_TB_USER" mount "$MNT" -f -o krb5 \
    </dev/null >"$TMP/mount2.log" 2>&1 &
  MPID=$!
  PIDS+=("$MPID")
  if wait_mounted "$MNT" "$TMP/mount2.log"; then
    ok "mount -o krb5 -U USER without a password starts"
    if cat "$MNT/fs1/data/hello.txt" >/dev/null 2>&1; then
      not_ok "mount -o krb5: no ticket, no read"
    else ok "mount -o krb5: no ticket, no read"; fi
    fusermount3 -u "$MNT"
    check "mount -o krb5: the daemon exits after fusermount3 -u" gone "$MPID" 10
  else
    not_ok "mount -o krb5 -U USER without a password starts"
  fi
  check_fail "mount -o sec=ntlm (NTLMv1) is refused" "-o sec: expected krb5" \
    "$DFSC" "${R[@]}" mount "$MNT" -f -o sec=ntlm
fi

finish
