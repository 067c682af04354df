#!/usr/bin/env bash
# The testbed's AD member servers and Kerberos setup, checked with the
# reference tools only (kinit, kvno, klist, smbclient; not dfsc): the KDC
# issues cifs/ tickets for every member by short name and FQDN, each member
# accepts them, the NTLM-off member refuses NTLM while the others take it,
# the domain namespace holds the member links, and the slow and hung KDC
# relays behave as their krb5.conf variants promise.
. "$(dirname "$0")/lib.sh"
[ "${DFSC_TB_DC:-0}" = 1 ] || {
  not_ok "the testbed runs no AD DC and no members (start it with --dc)"
  finish
  exit 1
}

missing=
for v in KRB5_CONFIG KRB5_CONFIG_SLOW KRB5_CONFIG_HUNG KDC_SLOW_MS MEMBERS MEMBER_NTLM_OFF \
  AD_LINKS KRB_BURST_LINKS KRB_BURST_PREFIX KRB_NTLM_BURST_PREFIX KDCHUNG_ADDR; do
  f="DFSC_TB_$v"
  [ -n "${!f:-}" ] || missing="$missing $f"
done
if [ -n "$missing" ]; then
  not_ok "the testbed's env file lacks:$missing (a testbed from before the AD members?)"
  finish
  exit 1
fi
realm=$DFSC_TB_REALM
nb=$DFSC_TB_NBDOMAIN
export KRB5_CONFIG=$DFSC_TB_KRB5_CONFIG
export KRB5CCNAME=FILE:$TMP/cc
# smbclient keeps names and connections in its own caches: a private one.
SMBC=(smbclient --option="cache directory=$TMP/smbcache" --option="lock directory=$TMP/smbcache"
  --option="state directory=$TMP/smbcache" -s /dev/null)
mkdir -p "$TMP/smbcache"
addr_of() { local v="DFSC_TB_${1^^}"; printf '%s' "${!v}"; }
# refused DESC PATTERN CMD...: CMD fails and its output (smbclient reports
# a failed session setup on stdout) matches PATTERN.
refused() {
  local desc=$1 pat=$2; shift 2
  if "$@" >"$TMP/out" 2>&1; then
    not_ok "$desc (unexpected success)"
  elif grep -Eq -- "$pat" "$TMP/out"; then ok "$desc"; else
    not_ok "$desc (output does not match /$pat/)"; sed 's/^/#   /' "$TMP/out" | head -20; fi
}

for v in KRB5_CONFIG KRB5_CONFIG_SLOW KRB5_CONFIG_HUNG; do
  f="DFSC_TB_$v"
  [ -r "${!f}" ] && ok "$v is a readable file" || not_ok "$v is a readable file (${!f:-unset})"
done
grep -q "kdc = $DFSC_TB_DC_ADDR:88" "$KRB5_CONFIG" && ok "krb5.conf: the DC is the KDC" ||
  not_ok "krb5.conf: the DC is the KDC"
grep -q 'udp_preference_limit = 1' "$KRB5_CONFIG" && ok "krb5.conf: KDC traffic over TCP" ||
  not_ok "krb5.conf: KDC traffic over TCP"
eq "one member has NTLM off" "1" "$(wc -w <<<"$DFSC_TB_MEMBER_NTLM_OFF")"
[ "$(wc -w <<<"$DFSC_TB_MEMBERS")" -ge 2 ] && ok "at least two members" || not_ok "at least two members"

# Name map: short and FQDN for every member.
for m in $DFSC_TB_MEMBERS; do
  for n in "$m" "$m.${realm,,}"; do
    grep -qix "$n:$(addr_of "$m")" "$DFSC_TB_RESOLVE_FILE" && ok "resolve map: $n" ||
      not_ok "resolve map: $n -> $(addr_of "$m")"
  done
done

# A ticket from the password, into the private cache only.
check "kinit $DFSC_TB_USER@$realm" kinit "$DFSC_TB_USER@$realm" <<<"$DFSC_TB_PASS"
check "klist: a TGT in the private cache" klist -s

# Service tickets for cifs/<member> and cifs/<member>.<realm>.
for m in $DFSC_TB_MEMBERS; do
  for spn in "cifs/$m@$realm" "cifs/$m.${realm,,}@$realm"; do
    check "kvno $spn" kvno "$spn"
  done
done
check "kvno of an unknown service fails" bash -c '! kvno cifs/nosuchhost@'"$realm"

# Every member accepts Kerberos; the capture-free proof is that smbclient is
# told to use nothing else.
for m in $DFSC_TB_MEMBERS; do
  a=$(addr_of "$m")
  check "$m: smbclient --use-kerberos=required ls" "${SMBC[@]}" --use-kerberos=required \
    --use-krb5-ccache="$TMP/cc" "//$m/data" -I "$a" -c 'ls hello.txt'
  grep -q 'hello.txt' "$TMP/out" && ok "$m: hello.txt listed" || not_ok "$m: hello.txt listed"
  check "$m: smbclient -k by FQDN" "${SMBC[@]}" --use-kerberos=required \
    --use-krb5-ccache="$TMP/cc" "//$m.${realm,,}/data" -I "$a" -c "get hello.txt $TMP/hello.$m"
  cmp -s <(printf '%s' "$DFSC_TB_HELLO_TEXT") "$TMP/hello.$m" && ok "$m: hello.txt content" ||
    not_ok "$m: hello.txt content"
done

# A write through Kerberos lands in the member's scratch share on disk.
m1=${DFSC_TB_MEMBERS%% *}
printf 'written by %s\n' "$RUN" >"$TMP/put.txt"
check "$m1: put into scratch (Kerberos)" "${SMBC[@]}" --use-kerberos=required \
  --use-krb5-ccache="$TMP/cc" "//$m1/scratch" -I "$(addr_of "$m1")" -c "put $TMP/put.txt $RUN.txt"
sd="DFSC_TB_${m1^^}_SCRATCH_DIR"
eq "$m1: the file is on disk" "written by $RUN" "$(cat "${!sd}/$RUN.txt" 2>/dev/null)"
rm -f "${!sd}/$RUN.txt"

klist >"$TMP/klist" 2>&1
for m in $DFSC_TB_MEMBERS; do
  grep -q "cifs/$m@$realm" "$TMP/klist" && ok "klist: cifs/$m ticket" ||
    not_ok "klist: cifs/$m ticket"
done

# NTLM: refused by the NTLM-off member, accepted by the others; a wrong
# password is refused everywhere NTLM is allowed.
for m in $DFSC_TB_MEMBERS; do
  a=$(addr_of "$m")
  if [ "$m" = "$DFSC_TB_MEMBER_NTLM_OFF" ]; then
    # The server offers no NTLMSSP, so smbclient finds no mechanism to use.
    refused "$m: NTLM refused" 'session setup failed: NT_STATUS_' env -u KRB5CCNAME "${SMBC[@]}" \
      --use-kerberos=disabled -U "$nb\\$DFSC_TB_USER%$DFSC_TB_PASS" "//$m/data" -I "$a" -c ls
  else
    check "$m: NTLM as $nb\\$DFSC_TB_USER" env -u KRB5CCNAME "${SMBC[@]}" --use-kerberos=disabled \
      -U "$nb\\$DFSC_TB_USER%$DFSC_TB_PASS" "//$m/data" -I "$a" -c 'ls hello.txt'
    refused "$m: NTLM with a wrong password" NT_STATUS_LOGON_FAILURE env -u KRB5CCNAME \
      "${SMBC[@]}" --use-kerberos=disabled -U "$nb\\$DFSC_TB_USER%wrong" "//$m/data" -I "$a" -c ls
  fi
done

# The domain namespace lists the member links and the burst links.
check "dc1: ls the namespace root (Kerberos)" "${SMBC[@]}" --use-kerberos=required \
  --use-krb5-ccache="$TMP/cc" "//$DFSC_TB_DC_FQDN/$DFSC_TB_DC_SHARE" -I "$DFSC_TB_DC_ADDR" \
  -c "ls; ls ${DFSC_TB_KRB_BURST_PREFIX%\\L}\\*; ls ${DFSC_TB_KRB_NTLM_BURST_PREFIX%\\L}\\*"
for l in $DFSC_TB_AD_LINKS; do
  grep -Eq "^  $l +D" "$TMP/out" && ok "namespace holds link $l" || not_ok "namespace holds link $l"
done
eq "namespace holds $DFSC_TB_KRB_BURST_LINKS + $DFSC_TB_KRB_BURST_LINKS burst links" \
  "$((2 * DFSC_TB_KRB_BURST_LINKS))" "$(grep -Ec '^  L[0-9]{3} +D' "$TMP/out")"
v=DFSC_TB_AD_LINK_M2
eq "link m2 points at the NTLM-off member" "$DFSC_TB_MEMBER_NTLM_OFF\\data" "${!v:-}"

# The slow relay: a TGT through it takes at least two exchanges (preauth),
# each held KDC_SLOW_MS each way.
t0=$(date +%s%N)
check "kinit through the slow KDC relay" env KRB5_CONFIG="$DFSC_TB_KRB5_CONFIG_SLOW" \
  KRB5CCNAME="FILE:$TMP/cc.slow" kinit "$DFSC_TB_USER@$realm" <<<"$DFSC_TB_PASS"
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -ge $((4 * DFSC_TB_KDC_SLOW_MS)) ] && ok "slow KDC: kinit took $ms ms" ||
  not_ok "slow KDC: kinit took $ms ms, less than 4 x $DFSC_TB_KDC_SLOW_MS ms"
# The hung relay accepts and never answers: kinit is still waiting after 3 s.
timeout 3 env KRB5_CONFIG="$DFSC_TB_KRB5_CONFIG_HUNG" KRB5CCNAME="FILE:$TMP/cc.hung" \
  kinit "$DFSC_TB_USER@$realm" <<<"$DFSC_TB_PASS" >"$TMP/out" 2>&1
eq "kinit through the hung KDC relay still waits after 3 s (timeout's 124)" 124 "$?"
python3 - "${DFSC_TB_KDCHUNG_ADDR%:*}" "${DFSC_TB_KDCHUNG_ADDR#*:}" <<'EOF' >"$TMP/probe" 2>&1
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2)
s.sendall(b"\0\0\0\4abcd")
s.settimeout(1.5)
try:
    print("data" if s.recv(1) else "closed")
except socket.timeout:
    print("silent")
EOF
eq "hung KDC relay: accepts and stays silent" silent "$(cat "$TMP/probe")"

check "kdestroy" kdestroy
check "klist: the private cache is gone" bash -c '! klist -s'
finish
