#!/usr/bin/env bash
# Failover between the targets of one link: the `switch` link's first target
# is a relay (flipfs) this test turns off between two gets; the second get
# must succeed on the other target, and a later one goes back once the first
# is on again. The relay is the testbed's, signalled through its pid file.
. "$(dirname "$0")/lib.sh"
: "${DFSC_TB_FLIP_MODEFILE:?the testbed has no switchable relay}"
# shellcheck disable=SC2206
R=($DFSC_TB_RESOLVE_ARGS)
d() { "$DFSC" -U "$CRED" "${R[@]}" --timeout 10 "$@"; }
flip() { # mode line
  printf '%s\n' "$1" >"$DFSC_TB_FLIP_MODEFILE"
  kill -HUP "$(cat "$DFSC_TB_FLIP_PIDFILE")"
  sleep 0.3
}
trap 'flip "delay 0 0"; rm -rf "$TMP"' EXIT
link=//dfsroot/dfs/switch

flip "delay 0 0"
check "get through the first target" d -v get "$link/odd.bin" "$TMP/a.bin"
eq "first get content" "$DFSC_TB_ODD_SHA256" "$(sha256sum "$TMP/a.bin" | cut -d' ' -f1)"
grep -q "flipfs" "$TMP/err" && ok "first get served by flipfs" || not_ok "first get served by flipfs"

flip refuse
check "second get with the first target down" d -v get "$link/odd.bin" "$TMP/b.bin"
eq "second get content" "$DFSC_TB_ODD_SHA256" "$(sha256sum "$TMP/b.bin" | cut -d' ' -f1)"
grep -q "trying \\\\fs2\\\\data" "$TMP/err" && ok "second get failed over to fs2" ||
  not_ok "second get failed over to fs2"

check "resolve with the first target down" d --json resolve "$link/hello.txt"
python3 - "$TMP/out" <<'PY' && ok "resolve shows the second target chosen" || not_ok "resolve shows the second target chosen"
import json, sys
h = json.load(open(sys.argv[1]))[0]["hops"][0]
assert h["chosen"] == 1 and h["targets"][1].lower() == "\\fs2\\data", h
PY

# Both down: a clear error within the deadline, no hang.
flip refuse
t0=$(date +%s)
check_fail "every target of a link down fails cleanly" "^dfsc: //dfsroot/dfs/dead/x: " d cat "//dfsroot/dfs/dead/x"
[ $(( $(date +%s) - t0 )) -lt 15 ] && ok "within its deadline" || not_ok "within its deadline"

flip "delay 0 0"
check "first target back: a fresh process uses it again" d -v cat "$link/hello.txt"
grep -q "flipfs" "$TMP/err" && ok "back on flipfs" || not_ok "back on flipfs"
finish
