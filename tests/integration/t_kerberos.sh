#!/usr/bin/env bash
# Kerberos against the testbed's AD domain: the DC's domain-based namespace
# links to member servers, one of which (DFSC_TB_MEMBER_NTLM_OFF) refuses
# NTLM. From nothing but a ticket: ls, stat, cat, get, put, rm and the mount
# through the domain namespace; the wire carries a Kerberos AP-REQ and no
# NTLMSSP; klist shows the cifs/ tickets dfsc obtained. Without a ticket:
# one error line naming the path and telling the user to kinit; auto falls
# back to NTLM where NTLM is allowed and a password was given.
. "$(dirname "$0")/lib.sh"
[ "${DFSC_TB_DC:-0}" = 1 ] && [ -n "${DFSC_TB_MEMBER_NTLM_OFF:-}" ] ||
  { not_ok "the testbed runs no AD DC with members (start it with --dc)"; finish; exit 1; }
# shellcheck disable=SC2206
R=($DFSC_TB_RESOLVE_ARGS)
realm=$DFSC_TB_REALM
ns="//$realm/$DFSC_TB_DC_SHARE"
off=$DFSC_TB_MEMBER_NTLM_OFF                  # the member that refuses NTLM
ntlm=$(echo "$DFSC_TB_MEMBERS_NTLM" | cut -d' ' -f1) # one that allows it
link_off="" link_ntlm=""
for l in $DFSC_TB_AD_LINKS; do
  t=$(eval echo "\${DFSC_TB_AD_LINK_$(echo "$l" | tr '[:lower:]-' '[:upper:]_')}")
  [ "$t" = "$off\\data" ] && link_off=$l
  [ "$t" = "$ntlm\\data" ] && link_ntlm=$l
done
[ -n "$link_off" ] && [ -n "$link_ntlm" ] ||
  { not_ok "no namespace links to $off and $ntlm in DFSC_TB_AD_LINKS"; finish; exit 1; }
off_addr=$(eval echo "\$DFSC_TB_$(echo "$off" | tr '[:lower:]' '[:upper:]')")

export KRB5_CONFIG=$DFSC_TB_KRB5_CONFIG
export KRB5CCNAME=FILE:$TMP/ccache
MNT=$TMP/mnt
PIDS=()
cleanup() {
  grep " fuse.dfsc" /proc/mounts | awk '{print $2}' | grep "^$TMP/" |
    while read -r m; do fusermount3 -u -z "$m" 2>/dev/null; done
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  kdestroy -q 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
k() { "$DFSC" -k "${R[@]}" --timeout 20 "$@"; }
hello=$(printf '%s' "$DFSC_TB_HELLO_TEXT" | sha256sum)

# ---- no ticket --------------------------------------------------------------
kdestroy -q 2>/dev/null
check_fail "no ticket: -k ls fails and says to run kinit" "kinit" k ls "$ns/$link_off"
eq "no ticket: one error line" 1 "$(wc -l <"$TMP/err")"
grep -q "$ns/$link_off" "$TMP/err" && ok "no ticket: the line names the path" ||
  not_ok "no ticket: the line names the path ($(cat "$TMP/err"))"
check "no ticket, auto, a password: NTLM on $ntlm" "$DFSC" "${R[@]}" -v --timeout 20 \
  -U "$DFSC_TB_NBDOMAIN\\$DFSC_TB_USER%$DFSC_TB_PASS" cat "$ns/$link_ntlm/hello.txt"
eq "NTLM fallback: the file" "$hello" "$(sha256sum <"$TMP/out")"
grep -q "NTLM session" "$TMP/err" && ok "NTLM fallback: -v says NTLM" ||
  not_ok "NTLM fallback: -v says NTLM"
check_fail "no ticket, auto, a password: $off refuses NTLM" "." "$DFSC" "${R[@]}" \
  --timeout 20 -U "$DFSC_TB_NBDOMAIN\\$DFSC_TB_USER%$DFSC_TB_PASS" ls "$ns/$link_off"

# ---- a keytab, for services and cron jobs: no ticket cache at all ---------
if command -v ktutil >/dev/null; then
  printf 'addent -password -p %s@%s -k 1 -e aes256-cts-hmac-sha1-96 -f\n%s\nwkt %s\nquit\n' \
    "$DFSC_TB_USER" "$realm" "$DFSC_TB_PASS" "$TMP/kt" | ktutil >/dev/null 2>&1
  check "keytab: cat through the namespace with --keytab and -U user@REALM" \
    "$DFSC" "${R[@]}" --timeout 20 --keytab "$TMP/kt" -U "$DFSC_TB_USER@$realm" -v \
    cat "$ns/$link_off/hello.txt"
  eq "keytab: the file" "$hello" "$(sha256sum <"$TMP/out")"
  grep -q "Kerberos session for $DFSC_TB_USER@$realm" "$TMP/err" &&
    ok "keytab: a Kerberos session" || not_ok "keytab: a Kerberos session"
  [ ! -e "$TMP/ccache" ] && ok "keytab: the user's ticket cache is left alone" ||
    not_ok "keytab: the user's ticket cache is left alone"
else
  not_ok "ktutil (krb5-user) is missing: the keytab is not checked"
fi

# ---- a ticket ---------------------------------------------------------------
printf '%s\n' "$DFSC_TB_PASS" | kinit "$DFSC_TB_USER@$realm" >"$TMP/kinit.out" 2>&1 &&
  ok "kinit $DFSC_TB_USER@$realm" || not_ok "kinit: $(cat "$TMP/kinit.out")"

cap="$TMP/k.pcapng"
have_cap=0
if command -v dumpcap >/dev/null && command -v tshark >/dev/null; then
  dumpcap -q -i lo -f "tcp port 445 and host $off_addr" -w "$cap" -a duration:120 \
    2>"$TMP/dumpcap.err" &
  cap_pid=$!
  PIDS+=("$cap_pid")
  for _ in $(seq 1 100); do [ -s "$cap" ] && break; sleep 0.05; done
  sleep 0.3
  have_cap=1
fi

check "ls $ns/$link_off (Kerberos only)" k ls "$ns/$link_off"
grep -q "hello.txt" "$TMP/out" && ok "ls lists hello.txt" || not_ok "ls lists hello.txt"
check "stat" k stat "$ns/$link_off/hello.txt"
check "cat" k cat "$ns/$link_off/hello.txt"
eq "cat: the file" "$hello" "$(sha256sum <"$TMP/out")"
check "get" k get "$ns/$link_off/odd.bin" "$TMP/odd"
eq "get: the file" "$DFSC_TB_ODD_SHA256" "$(sha256sum "$TMP/odd" | cut -d' ' -f1)"
head -c 300000 /dev/urandom >"$TMP/up"
check "put" k put "$TMP/up" "$ns/$link_off/$RUN.bin"
check "get what was put" k get "$ns/$link_off/$RUN.bin" "$TMP/back"
eq "put and get: the same bytes" "$(sha256sum <"$TMP/up")" "$(sha256sum <"$TMP/back")"
check "rm" k rm "$ns/$link_off/$RUN.bin"
check "-v names the Kerberos session" k -v stat "$ns/$link_off/hello.txt"
# The KDC has no cifs/<domain>: the DC behind the domain's name says who it
# is (an LDAP ping) and Kerberos goes to cifs/<that DC>.
grep -qi "the domain controller there is $DFSC_TB_DC_FQDN (LDAP ping)" "$TMP/err" &&
  ok "-v: the domain's DC found by an LDAP ping" ||
  not_ok "-v: the domain's DC found by an LDAP ping ($(grep -i 'ldap\|principal' "$TMP/err"))"
grep -q "$off: Kerberos session for $DFSC_TB_USER@$realm" "$TMP/err" &&
  ok "-v: Kerberos session on $off" || not_ok "-v: Kerberos session on $off ($(grep -i kerberos "$TMP/err"))"
check "an FQDN target (the SPN is the name written)" k cat "$ns/m1fqdn/hello.txt"
check "--stats counts the sessions by mechanism" k --stats stat "$ns/$link_off/hello.txt"
st() { awk -v k="$1" '$1 == k {print $2}' "$TMP/err"; }
[ "$(st sessions_krb5)" -ge 2 ] 2>/dev/null && ok "--stats: Kerberos sessions (DC and member): $(st sessions_krb5)" ||
  not_ok "--stats: Kerberos sessions ($(st sessions_krb5))"
eq "--stats: no NTLM session" 0 "$(st sessions_ntlm)"

if [ "$have_cap" = 1 ]; then
  sleep 0.5
  kill -INT "$cap_pid" 2>/dev/null
  wait "$cap_pid" 2>/dev/null
  q() { tshark -r "$cap" -Y "$1" 2>/dev/null | wc -l; }
  n=$(q "smb2.cmd == 1 && smb2.flags.response == 0 && kerberos.msg_type == 14")
  [ "$n" -ge 1 ] && ok "the capture: SESSION_SETUP requests carry a Kerberos AP-REQ ($n)" ||
    not_ok "the capture: SESSION_SETUP requests carry a Kerberos AP-REQ"
  eq "the capture: no NTLMSSP to $off" 0 "$(q "ntlmssp")"
  n=$(q "smb2.cmd == 1 && smb2.flags.response == 1 && kerberos.msg_type == 15")
  [ "$n" -ge 1 ] && ok "the capture: the server answers with an AP-REP ($n)" ||
    not_ok "the capture: the server answers with an AP-REP"
else
  ok "# SKIP no dumpcap / tshark: the wire not checked"
fi

klist >"$TMP/klist" 2>&1
grep -q "cifs/$off@$realm" "$TMP/klist" && ok "klist lists cifs/$off@$realm" ||
  not_ok "klist lists cifs/$off@$realm ($(cat "$TMP/klist"))"
grep -qi "cifs/$ntlm.${realm,,}@$realm" "$TMP/klist" &&
  ok "klist lists the FQDN ticket" || not_ok "klist lists the FQDN ticket"

# ---- the mount, with the ticket only --------------------------------------
if [ -c /dev/fuse ] && command -v fusermount3 >/dev/null; then
  mkdir -p "$MNT"
  "$DFSC" "${R[@]}" -k --timeout 20 mount "$MNT" -f >"$TMP/mount.log" 2>&1 &
  PIDS+=("$!")
  if wait_mounted "$MNT" "$TMP/mount.log"; then
    ok "mount -k"
    eq "mount: cat through the domain namespace" "$hello" \
      "$(sha256sum <"$MNT/$realm/$DFSC_TB_DC_SHARE/$link_off/hello.txt")"
    check "mount: ls" ls "$MNT/$realm/$DFSC_TB_DC_SHARE/$link_off"
    check "mount: write" cp "$TMP/up" "$MNT/$realm/$DFSC_TB_DC_SHARE/$link_off/$RUN.m"
    eq "mount: read back" "$(sha256sum <"$TMP/up")" \
      "$(sha256sum <"$MNT/$realm/$DFSC_TB_DC_SHARE/$link_off/$RUN.m")"
    check "mount: rm" rm "$MNT/$realm/$DFSC_TB_DC_SHARE/$link_off/$RUN.m"
    fusermount3 -u "$MNT"
  else
    not_ok "mount -k ($(cat "$TMP/mount.log"))"
  fi
else
  not_ok "FUSE is not available here"
fi
finish
