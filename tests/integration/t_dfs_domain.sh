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

for dom in "$realm" "$nb" "${realm,,}"; do
  check "ls //$dom/SYSVOL" d ls "//$dom/SYSVOL"
  grep -qi " ${realm,,}\$" "$TMP/out" && ok "//$dom/SYSVOL lists the domain folder" ||
    not_ok "//$dom/SYSVOL lists the domain folder"
  check "ls //$dom/SYSVOL/<realm>/Policies" d ls "//$dom/SYSVOL/${realm,,}/Policies"
  grep -q "{" "$TMP/out" && ok "$dom: policies listed" || not_ok "$dom: policies listed"
  check "ls //$dom/NETLOGON" d ls "//$dom/NETLOGON"
done

check "resolve \\\\$realm\\SYSVOL (JSON)" d --json resolve "\\\\$realm\\SYSVOL\\${realm,,}"
python3 - "$TMP/out" "$realm" <<'PY' && ok "SYSVOL resolves through a v4 referral to a DC" || not_ok "SYSVOL resolves through a v4 referral to a DC"
import json, sys
r = json.load(open(sys.argv[1]))[0]
h = r["hops"]
assert len(h) == 1, h
assert h[0]["prefix"].lower() == "\\" + sys.argv[2].lower() + "\\sysvol", h
assert h[0]["version"] == 4 and h[0]["ttl"] > 0, h
assert h[0]["targets"][h[0]["chosen"]].lower().endswith("\\sysvol"), h
PY
check "cache after SYSVOL: the domain cache names the DC" d cache "//$realm/SYSVOL"
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
