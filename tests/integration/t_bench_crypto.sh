#!/usr/bin/env bash
# bench/crypto --quick: the three libraries agree with each other and with
# the published vectors for every primitive SMB signs and encrypts with
# (the program exits 1 on any difference), and every cell of the table is
# measured. A smoke run of a few seconds; the full run is bench/crypto.
# It needs no server; the testbed's environment only comes with lib.sh.
. "$(dirname "$0")/lib.sh"
SRC=${DFSC_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}

if timeout 300 bash "$SRC/bench/crypto" --quick --json "$TMP/c.json" >"$TMP/c.out" 2>"$TMP/c.err"; then
  ok "bench/crypto --quick exits 0: every library checked against the others and the vectors"
else
  not_ok "bench/crypto --quick exits 0 (exit $?)"
  sed 's/^/#   /' "$TMP/c.err" | tail -10
fi
python3 - "$TMP/c.json" >"$TMP/checks" 2>&1 <<'EOF'
import json, sys
def check(cond, what):
    print(("ok - " if cond else "not ok - ") + what)
try:
    doc = json.load(open(sys.argv[1]))
except (OSError, ValueError) as e:
    check(False, "bench/crypto --json wrote JSON: %s" % e)
    sys.exit()
want = {"AES-128-GCM", "AES-256-GCM", "AES-128-CCM", "AES-256-CCM"}
rows = doc.get("results", [])
prims = set(r["primitive"] for r in rows)
for c in sorted(want):
    check({c + " encrypt", c + " decrypt"} <= prims, "%s both ways" % c)
for p in ("AES-128-GMAC", "AES-128-CMAC", "HMAC-SHA256"):
    check(any(x.startswith(p) for x in prims), "%s measured" % p)
check(sorted(set(r["size"] for r in rows)) == [64, 4096, 65536, 1048576],
      "sizes 64 B, 4 KiB, 64 KiB, 1 MiB")
for lib in ("nettle", "openssl"):
    check(all(isinstance(r.get(lib), (int, float)) and r[lib] > 0 for r in rows),
          "%s: a speed in every cell" % lib)
check(all(r.get("fastest") for r in rows), "a fastest library named in every cell")
EOF
take_checks "$TMP/checks"
finish
