#!/usr/bin/env bash
# An on-path attacker (tests/testbed/mitm) between dfsc and each testbed
# server, one dialect each, against dfsc's DEFAULT settings: every attack on
# the session setup (IS_NULL / IS_GUEST flags, a stripped final signature, a
# dropped or blanked mechListMIC, 3.1.1 removed from the dialect list, every
# signature stripped, file data rewritten) must end the run with a non-zero
# exit and exactly one error line naming the path, and not one byte from the
# relay may reach stdout. The relay logs each change it made, so a refusal
# counts only when the attack really happened; the "none" control shows the
# relay itself carries a good session.
. "$(dirname "$0")/lib.sh"
SRC=${DFSC_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
MITM="$SRC/tests/testbed/mitm"
ADDR=127.0.0.72
PORT0=$((22000 + $$ % 1000 * 8))
WANT="Hello from the dfsc testbed."
EVIL="EVIL! from the dfsc testbed."   # the relay's text, same length
OUT="$TMP/mitm"
mkdir -p "$OUT"
n=0

# attack SERVER_ADDR ATTACKS: one relay, one `dfsc cat` through it.
# Results in $OUT/$n.{rc,out,err,log}.
attack() {
  local up=$1 atk=$2 port=$((PORT0 + n % 8)) pf="$OUT/$n.pid" i
  n=$((n + 1))
  pf="$OUT/$n.pid"
  : >"$OUT/$n.log"
  python3 "$MITM" --listen "$ADDR:$port" --upstream "$up" --attack "$atk" \
    --pidfile "$pf" --log "$OUT/$n.log" --find "$WANT" --replace "$EVIL" \
    --max-seconds 60 2>"$OUT/$n.srv" &
  for i in $(seq 100); do [ -s "$pf" ] && break; sleep 0.05; done
  # shellcheck disable=SC2086
  timeout 60 "$DFSC" --resolve "relay:$ADDR:$port" -U "$CRED" --timeout 10 ${EXTRA:-} \
    cat //relay/data/hello.txt >"$OUT/$n.out" 2>"$OUT/$n.err"
  echo $? >"$OUT/$n.rc"
  [ -s "$pf" ] && kill "$(cat "$pf")" 2>/dev/null
  wait 2>/dev/null
}

# expect_refused DESC SERVER ATTACKS PATTERN [LOGWORD]
expect_refused() {
  local desc=$1 up=$2 atk=$3 pat=$4 word=${5:-${3##*,}}
  attack "$up" "$atk"
  local rc lines
  rc=$(cat "$OUT/$n.rc")
  lines=$(wc -l <"$OUT/$n.err")
  if ! grep -q "^$word 1" "$OUT/$n.log"; then
    not_ok "$desc: the relay never applied '$word' (log: $(tr '\n' ' ' <"$OUT/$n.log"))"
  elif [ "$rc" = 0 ]; then
    not_ok "$desc: dfsc exited 0 (stdout: $(head -c 60 "$OUT/$n.out"))"
  elif [ -s "$OUT/$n.out" ]; then
    not_ok "$desc: bytes reached stdout: $(head -c 60 "$OUT/$n.out" | od -c | head -2)"
  elif [ "$lines" != 1 ] || ! grep -Eq "^dfsc: //relay/data/hello.txt: ($pat)\$" "$OUT/$n.err"; then
    not_ok "$desc: expected one line matching /$pat/, got:"
    sed 's/^/#   /' "$OUT/$n.err" | head -5
  else
    ok "$desc ($(cat "$OUT/$n.err" | sed 's/^dfsc: [^ ]* //'))"
  fi
}

GUEST="the server mapped [^ ]+ to guest or anonymous; --allow-guest accepts a guest logon \\(unsigned\\)"
DOWN="negotiation downgrade detected"
SIG="message signature check failed"
AUTH="authentication failed"

for srv in d202 d210 d300 d302 d311 fs1; do
  var="DFSC_TB_$(echo "$srv" | tr a-z A-Z)"
  up=${!var}
  attack "$up" none
  if [ "$(cat "$OUT/$n.rc")" = 0 ] && [ "$(cat "$OUT/$n.out")" = "$WANT" ]; then
    ok "$srv: the relay carries a good session"
  else
    not_ok "$srv: control run through the relay failed: $(cat "$OUT/$n.err")"
  fi
  expect_refused "$srv: IS_NULL on the final session setup" "$up" isnull "$GUEST"
  expect_refused "$srv: IS_GUEST on the final session setup" "$up" isguest "$GUEST"
  expect_refused "$srv: final session setup unsigned" "$up" unsign "$DOWN"
  expect_refused "$srv: server token (mechListMIC) dropped" "$up" nomic "$AUTH|$DOWN|$SIG"
  expect_refused "$srv: mechListMIC blanked" "$up" nullmic "$AUTH|$DOWN"
  expect_refused "$srv: every later signature stripped" "$up" unsignall "$SIG"
  expect_refused "$srv: file data rewritten" "$up" rewrite "$SIG"
  expect_refused "$srv: 3.1.1 dropped, IS_NULL, data rewritten" "$up" \
    strip311,isnull,rewrite "$GUEST|STATUS_NOT_SUPPORTED" strip311
done
# A 3.1.1 server talked down to 3.0.2: validate-negotiate catches it.
expect_refused "fs1: 3.1.1 dropped from the dialect list" "$DFSC_TB_FS1" strip311 "$DOWN"
# With signing switched off by the user, nothing signs the final response:
# the mechListMIC is then what catches a dropped server token.
EXTRA="--sign=off -v" attack "$DFSC_TB_D210" nomic
if [ "$(cat "$OUT/$n.rc")" != 0 ] && [ ! -s "$OUT/$n.out" ] &&
  grep -q "mechListMIC" "$OUT/$n.err" && grep -q "^nomic 1" "$OUT/$n.log"; then
  ok "d210 --sign off: a dropped mechListMIC is refused"
else
  not_ok "d210 --sign off: dropped mechListMIC (rc $(cat "$OUT/$n.rc")):"
  sed 's/^/#   /' "$OUT/$n.err" | tail -3
fi
finish
