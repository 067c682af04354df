#!/usr/bin/env bash
# Domain-based DFS against the testbed's AD DC: \\REALM\SYSVOL and
# \\NETBIOSDOMAIN\SYSVOL through a DC referral and a SYSVOL referral, and a
# domain-based namespace, resolved from the domain name alone.
. "$(dirname "$0")/lib.sh"
[ "${DFSC_TB_DC:-0}" = 1 ] || { not_ok "the testbed runs no AD DC (start it with --dc)"; finish; exit 1; }
# shellcheck disable=SC2206
R=($DFSC_TB_RESOLVE_ARGS)
d() { "$DFSC" -U "$DFSC_TB_NBDOMAIN\\$DFSC_TB_USER%$DFSC_TB_PASS" "${R[@]}" --timeout 10 "$@"; }
realm=$DFSC_TB_REALM
nb=$DFSC_TB_NBDOMAIN

# SYSVOL and NETLOGON are hardened paths (Kerberos mutual authentication and
# signing), so those checks log on with a ticket: kinit into a private cache.
if [ -n "${DFSC_TB_KRB5_CONFIG:-}" ]; then
  export KRB5_CONFIG=$DFSC_TB_KRB5_CONFIG
else
  printf '[libdefaults]\n default_realm = %s\n dns_lookup_kdc = false\n rdns = false\n dns_canonicalize_hostname = false\n[realms]\n %s = { kdc = %s }\n[domain_realm]\n .%s = %s\n' \
    "$realm" "$realm" "$DFSC_TB_DC_ADDR" "${realm,,}" "$realm" >"$TMP/krb5.conf"
  export KRB5_CONFIG=$TMP/krb5.conf
fi
export KRB5CCNAME=FILE:$TMP/ccache
printf '%s\n' "$DFSC_TB_PASS" | kinit "$DFSC_TB_USER@$realm" >"$TMP/kinit.out" 2>&1 ||
  not_ok "kinit $DFSC_TB_USER@$realm: $(cat "$TMP/kinit.out")"
# Domain user and domain name for NTLM; -k for the hardened paths.
dk() { "$DFSC" -k "${R[@]}" --timeout 10 "$@"; }

for dom in "$realm" "$nb" "${realm,,}"; do
  check "ls //$dom/SYSVOL (Kerberos)" dk ls "//$dom/SYSVOL"
  grep -qi " ${realm,,}\$" "$TMP/out" && ok "//$dom/SYSVOL lists the domain folder" ||
    not_ok "//$dom/SYSVOL lists the domain folder"
  check "ls //$dom/SYSVOL/<realm>/Policies" dk ls "//$dom/SYSVOL/${realm,,}/Policies"
  grep -q "{" "$TMP/out" && ok "$dom: policies listed" || not_ok "$dom: policies listed"
  check "ls //$dom/NETLOGON" dk ls "//$dom/NETLOGON"
done
# Over NTLM (no mutual authentication) the hardened paths are refused, with
# one line naming the path and why; the referral itself still resolves.
for share in SYSVOL NETLOGON; do
  check_fail "NTLM: ls //$realm/$share is refused as a hardened path" "$share: hardened path" \
    "$DFSC" --kerberos=off -U "$DFSC_TB_NBDOMAIN\\$DFSC_TB_USER%$DFSC_TB_PASS" "${R[@]}" \
    --timeout 10 ls "//$realm/$share"
  [ "$(wc -l <"$TMP/err")" = 1 ] && ok "NTLM $share: one error line" ||
    not_ok "NTLM $share: one error line ($(cat "$TMP/err"))"
done

check "resolve \\\\$realm\\SYSVOL (JSON)" dk --json resolve "\\\\$realm\\SYSVOL\\${realm,,}"
python3 - "$TMP/out" "$realm" <<'PY' && ok "SYSVOL resolves through a v4 referral to a DC" || not_ok "SYSVOL resolves through a v4 referral to a DC"
import json, sys
r = json.load(open(sys.argv[1]))[0]
h = r["hops"]
assert len(h) == 1, h
assert h[0]["prefix"].lower() == "\\" + sys.argv[2].lower() + "\\sysvol", h
assert h[0]["version"] == 4 and h[0]["ttl"] > 0, h
assert h[0]["targets"][h[0]["chosen"]].lower().endswith("\\sysvol"), h
PY
check "cache after SYSVOL: the domain cache names the DC" dk cache "//$realm/SYSVOL"
grep -qi "^  ${realm,,}: .*$DFSC_TB_DC_FQDN" "$TMP/out" && ok "domain cache: $realm -> $DFSC_TB_DC_FQDN" ||
  not_ok "domain cache: $realm -> $DFSC_TB_DC_FQDN ($(tr '\n' ' ' <"$TMP/out"))"

hello=$(printf '%s' "$DFSC_TB_HELLO_TEXT" | sha256sum)
for link in $DFSC_TB_DC_LINKS; do
  check "domain namespace: cat //$realm/$DFSC_TB_DC_SHARE/$link/hello.txt" \
    d cat "//$realm/$DFSC_TB_DC_SHARE/$link/hello.txt"
  eq "domain namespace content" "$hello" "$(sha256sum <"$TMP/out")"
  check "domain namespace by NetBIOS name" d get "//$nb/$DFSC_TB_DC_SHARE/$link/odd.bin" "$TMP/odd"
  eq "domain namespace get" "$DFSC_TB_ODD_SHA256" "$(sha256sum "$TMP/odd" | cut -d' ' -f1)"
  rm -f "$TMP/odd"
  head -c 100000 /dev/urandom >"$TMP/p"
  check "domain namespace put" d put "$TMP/p" "//$realm/$DFSC_TB_DC_SHARE/$link/$RUN.bin"
  check "domain namespace rm" d rm "//$realm/$DFSC_TB_DC_SHARE/$link/$RUN.bin"
done
finish
