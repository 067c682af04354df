#!/usr/bin/env bash
# A hostile server (tests/hostile/hostile.py) misbehaves at each protocol
# step; dfsc must end every run with a non-zero exit and one clear line
# naming the path, within a time bound and in bounded memory (P5). The
# well-behaved scenario "none" first shows the fake server is good enough to
# reach every step, so a failure below is the misbehaviour's doing.
#
# Scenarios run HOSTILE_JOBS at a time (default 4), worker w on address
# 127.0.0.(61+w), scenario i on port 20000+i; servers stop themselves after
# --max-seconds and are also stopped by their pid file.
. "$(dirname "$0")/lib.sh"
SRC=${DFSC_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
HOSTILE="$SRC/tests/hostile/hostile.py"
JOBS=${HOSTILE_JOBS:-4}
TIMEOUT_S=3     # dfsc --timeout: every deadline of the run
BOUND_S=20      # a run must end within this (pending may use two deadlines)
RSS_MAX_KB=65536
OUT="$TMP/hostile"
mkdir -p "$OUT"

# Max RSS of a command in KiB into $3; the command's exit status into $4.
if [ -x /usr/bin/time ]; then
  measure() {
    local rssf=$1 rcf=$2; shift 2
    /usr/bin/time -f %M -o "$rssf" "$@"
    echo $? >"$rcf"
  }
else
  measure() {
    local rssf=$1 rcf=$2; shift 2
    python3 -c '
import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
open(sys.argv[1], "w").write("%d\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(rc if rc >= 0 else 128 - rc)' "$rssf" "$@"
    echo $? >"$rcf"
  }
fi

# The command that reaches a step: stat walks negotiate .. create (and
# query_info / close); cat reads; ls lists; a path on the DFS share needs
# a referral (ioctl).
cmd_for() {
  case ${1#*@} in
    read) echo "cat data/file.txt" ;;
    query_directory) echo "ls data/dir" ;;
    ioctl) echo "stat dfs/file.txt" ;;
    *) echo "stat data/file.txt" ;;
  esac
}

# run_one ADDR PORT SCENARIO TAG CMD REL: one server, one dfsc run; results
# in $OUT/TAG.{rc,err,rss,secs,srv}.
run_one() {
  local addr=$1 port=$2 sc=$3 tag=$4 cmd=$5 rel=$6 pf="$OUT/$4.pid" i t0 t1
  python3 "$HOSTILE" --addr "$addr" --port "$port" --pidfile "$pf" --scenario "$sc" \
    --max-seconds $((BOUND_S + 10)) 2>"$OUT/$tag.srv" &
  for i in $(seq 100); do [ -s "$pf" ] && break; sleep 0.05; done
  if [ ! -s "$pf" ]; then
    echo "server did not start" >"$OUT/$tag.err"
    echo 255 >"$OUT/$tag.rc"
    return
  fi
  t0=$(date +%s%N)
  measure "$OUT/$tag.rss" "$OUT/$tag.rc" timeout -k 5 $((BOUND_S + 10)) \
    "$DFSC" --timeout $TIMEOUT_S -p "$port" $cmd "//$addr/$rel" >"$OUT/$tag.out" 2>"$OUT/$tag.err"
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000000)) >"$OUT/$tag.ms"
  [ -s "$pf" ] && kill "$(cat "$pf")" 2>/dev/null
  for i in $(seq 40); do [ -e "$pf" ] || break; sleep 0.05; done
}

# The scenario list, and its jobs spread over the workers.
mapfile -t SCEN < <(python3 "$HOSTILE" --list | grep -v '^none$')
[ "${#SCEN[@]}" -gt 50 ] && ok "hostile.py lists ${#SCEN[@]} scenarios" ||
  not_ok "hostile.py lists its scenarios (${#SCEN[@]})"

# Sanity: the well-behaved server serves every command used below.
i=0
for c in "stat data/file.txt" "cat data/file.txt" "ls data/dir" "stat dfs/file.txt"; do
  set -- $c
  run_one 127.0.0.61 $((19990 + i)) none "none$i" "$1" "$2"
  eq "well-behaved server: dfsc $c succeeds" 0 "$(cat "$OUT/none$i.rc")"
  i=$((i + 1))
done

# refused_listing SCENARIO PORT TAG MARK DESC: ls against a server that
# refuses one QUERY_DIRECTORY of dfsc's compound (CREATE + two of them)
# succeeds and names every entry once; the server's log shows MARK (the
# refusal happened).
refused_listing() {
  local sc=$1 port=$2 tag=$3 mark=$4 desc=$5
  run_one 127.0.0.61 "$port" "$sc@query_directory" "$tag" ls data/dir
  eq "$sc: dfsc ls data/dir succeeds" 0 "$(cat "$OUT/$tag.rc")"
  eq "$sc: the listing names every entry once" \
    "file0.txt file1.txt file2.txt file3.txt file4.txt subdir" \
    "$(grep -oE '(file[0-9]\.txt|subdir)$' "$OUT/$tag.out" | sort | tr '\n' ' ' | sed 's/ $//')"
  if grep -q "$mark" "$OUT/$tag.srv"; then
    ok "$sc: $desc"
  else
    not_ok "$sc: no compounded QUERY_DIRECTORY reached the server ($desc)"
  fi
}
# The second refused: the listing goes on with one sent alone.
refused_listing dir_second_refused 19989 dsr "refusing the second QUERY_DIRECTORY" \
  "the server refused a compounded second QUERY_DIRECTORY"
# The first refused as a server refuses a request that would go
# asynchronous inside a compound: the listing starts again alone.
refused_listing dir_first_refused 19988 dfr "failing the first QUERY_DIRECTORY" \
  "the server failed the compound's first QUERY_DIRECTORY"

worker() {
  local w=$1 i
  for ((i = w; i < ${#SCEN[@]}; i += JOBS)); do
    set -- $(cmd_for "${SCEN[$i]}")
    run_one "127.0.0.$((61 + w))" $((20000 + i)) "${SCEN[$i]}" "s$i" "$1" "$2"
  done
}
start=$(date +%s)
for ((w = 0; w < JOBS; w++)); do worker "$w" & done
wait
echo "# ${#SCEN[@]} scenarios in $(($(date +%s) - start)) s"

for ((i = 0; i < ${#SCEN[@]}; i++)); do
  sc=${SCEN[$i]}
  set -- $(cmd_for "$sc")
  addr="127.0.0.$((61 + i % JOBS))"
  rc=$(cat "$OUT/s$i.rc" 2>/dev/null || echo missing)
  ms=$(cat "$OUT/s$i.ms" 2>/dev/null || echo 999999)
  rss=$(tail -1 "$OUT/s$i.rss" 2>/dev/null | tr -dc 0-9)
  line=$(grep -m1 '^dfsc: ' "$OUT/s$i.err")
  desc="$sc ($1 $2): rc $rc, $ms ms, ${rss:-?} KiB"
  [ -n "$line" ] && desc="$desc: ${line#dfsc: }"
  case $rc in
    124 | 137 | missing | 255) not_ok "$desc: did not finish or could not run" ;;
    *)
      if [ "$rc" -ge 128 ]; then
        not_ok "$desc: killed by signal $((rc - 128))"
      elif grep -Eq 'Sanitizer|runtime error:' "$OUT/s$i.err"; then
        # A sanitizer build exits 1 after its report: not a clean failure.
        not_ok "$desc: sanitizer report"
        grep -E -m3 'Sanitizer|runtime error:' "$OUT/s$i.err" | sed 's/^/#   /'
      elif [ "$ms" -gt $((BOUND_S * 1000)) ]; then
        not_ok "$desc: took longer than $BOUND_S s"
      elif [ -z "$rss" ] || [ "$rss" -gt $RSS_MAX_KB ]; then
        not_ok "$desc: max RSS above $RSS_MAX_KB KiB"
      else
        case $sc in
          credits_huge@*)
            # A generous grant is capped, not an error.
            [ "$rc" -eq 0 ] && ok "$desc" || not_ok "$desc: expected success" ;;
          credits_zero@negotiate)
            if [ "$rc" -ne 0 ] && grep -Eq "^dfsc: //$addr/$2: .*credits" "$OUT/s$i.err"; then
              ok "$desc"
            else not_ok "$desc: expected a credits error"; fi ;;
          credits_zero@*)
            # Later steps may still be served from credits granted earlier.
            if [ "$rc" -eq 0 ] || grep -Eq "^dfsc: //$addr/$2: [A-Za-z]" "$OUT/s$i.err"; then
              ok "$desc"
            else not_ok "$desc: no clear error line"; fi ;;
          *)
            if [ "$rc" -eq 0 ]; then
              not_ok "$desc: unexpected success"
            elif grep -q "^dfsc: //$addr/$2: malformed or unexpected protocol data" "$OUT/s$i.err"; then
              # Without -v, the line says what of the answer was wrong.
              if grep -Eq "^dfsc: //$addr/$2: malformed or unexpected protocol data: [A-Za-z].{10,}$" "$OUT/s$i.err"; then
                ok "$desc"
              else not_ok "$desc: a protocol error that does not say what was wrong"; fi
            elif grep -Eq "^dfsc: //$addr/$2: (STATUS_[A-Z_]+|[A-Za-z][^:]+)$" "$OUT/s$i.err"; then
              ok "$desc"
            else
              not_ok "$desc: no clear error line naming the path"
              sed 's/^/#   /' "$OUT/s$i.err" | head -5
            fi ;;
        esac
      fi ;;
  esac
done

# Lease and reconnect scenarios (hostile.py --list-lease): the server grants
# the lease and durable handle dfsc asks for, then misbehaves. Each has its
# own expected outcome, seen the way a user sees it: dfsc cat's exit
# status, its one error line, the bytes on stdout (never wrong ones), and
# time and max RSS bounds. hostile_lease_test checks the counters.
LEASE_SHA=$(python3 -c 'import hashlib; print(hashlib.sha256(bytes((i * 7 + 3) & 255 for i in range(100000))).hexdigest())')
mapfile -t LSCEN < <(python3 "$HOSTILE" --list-lease)
[ "${#LSCEN[@]}" -ge 10 ] && ok "hostile.py lists ${#LSCEN[@]} lease scenarios" ||
  not_ok "hostile.py lists its lease scenarios (${#LSCEN[@]})"
# run_lease ADDR PORT SCENARIO TAG PATH...: like run_one, with the server's
# log (-v) and dfsc's stdout kept, and dfsc cat -v over every PATH.
run_lease() {
  local addr=$1 port=$2 sc=$3 tag=$4 pf="$OUT/$4.pid" i t0 t1
  shift 4
  python3 "$HOSTILE" --addr "$addr" --port "$port" --pidfile "$pf" --scenario "$sc" \
    --max-seconds $((BOUND_S + 10)) -v 2>"$OUT/$tag.srv" &
  for i in $(seq 100); do [ -s "$pf" ] && break; sleep 0.05; done
  if [ ! -s "$pf" ]; then
    echo "server did not start" >"$OUT/$tag.err"
    echo 255 >"$OUT/$tag.rc"
    return
  fi
  t0=$(date +%s%N)
  measure "$OUT/$tag.rss" "$OUT/$tag.rc" timeout -k 5 $((BOUND_S + 10)) \
    "$DFSC" --timeout $TIMEOUT_S -p "$port" -v cat "$@" >"$OUT/$tag.out" 2>"$OUT/$tag.err"
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000000)) >"$OUT/$tag.ms"
  [ -s "$pf" ] && kill "$(cat "$pf")" 2>/dev/null
  for i in $(seq 40); do [ -e "$pf" ] || break; sleep 0.05; done
}
lworker() {
  local w=$1 i addr
  for ((i = w; i < ${#LSCEN[@]}; i += JOBS)); do
    addr="127.0.0.$((61 + w))"
    if [ "${LSCEN[$i]}" = break_closed@close ]; then
      # The second open's answer comes after the breaks for the first,
      # closed, handle.
      run_lease "$addr" $((20500 + i)) "${LSCEN[$i]}" "l$i" "//$addr/data/file.txt" \
        "//$addr/data/file.txt"
    else
      run_lease "$addr" $((20500 + i)) "${LSCEN[$i]}" "l$i" "//$addr/data/file.txt"
    fi
  done
}
for ((w = 0; w < JOBS; w++)); do lworker "$w" & done
wait
for ((i = 0; i < ${#LSCEN[@]}; i++)); do
  sc=${LSCEN[$i]}
  addr="127.0.0.$((61 + i % JOBS))"
  rc=$(cat "$OUT/l$i.rc" 2>/dev/null || echo missing)
  ms=$(cat "$OUT/l$i.ms" 2>/dev/null || echo 999999)
  rss=$(tail -1 "$OUT/l$i.rss" 2>/dev/null | tr -dc 0-9)
  sha=$(sha256sum <"$OUT/l$i.out" | cut -d' ' -f1)
  bytes=$(wc -c <"$OUT/l$i.out")
  line=$(grep -m1 '^dfsc: //' "$OUT/l$i.err")
  dropped=$(grep -c 'break notification.*ignored' "$OUT/l$i.err")
  # A dropped break must not cost the connection.
  kept=yes
  grep -Eq 'connection lost|connected again|malformed' "$OUT/l$i.err" && kept=no
  desc="$sc (cat): rc $rc, $ms ms, ${rss:-?} KiB, $bytes bytes"
  [ -n "$line" ] && desc="$desc: ${line#dfsc: }"
  if [ "$rc" = missing ] || [ "$rc" -eq 124 ] || [ "$rc" -ge 128 ]; then
    not_ok "$desc: did not finish, or a signal"
    continue
  elif grep -Eq 'Sanitizer|runtime error:' "$OUT/l$i.err"; then
    not_ok "$desc: sanitizer report"
    grep -E -m3 'Sanitizer|runtime error:' "$OUT/l$i.err" | sed 's/^/#   /'
    continue
  elif [ "$ms" -gt $((BOUND_S * 1000)) ]; then
    not_ok "$desc: took longer than $BOUND_S s"
    continue
  elif [ -z "$rss" ] || [ "$rss" -gt $RSS_MAX_KB ]; then
    not_ok "$desc: max RSS above $RSS_MAX_KB KiB"
    continue
  fi
  if ! grep -q 'lease 0x[0-9a-f]* granted' "$OUT/l$i.srv"; then
    # Otherwise nothing below tests leases.
    not_ok "$desc: the server granted no lease"
    continue
  fi
  case $sc in
    break_unknown@*)
      if [ "$rc" -eq 0 ] && [ "$sha" = "$LEASE_SHA" ] && [ "$dropped" -ge 1 ] &&
        [ "$dropped" -le 16 ] && [ $kept = yes ]; then
        ok "$desc, $dropped lines for 24 dropped breaks"
      else not_ok "$desc: expected the right bytes, 1..16 lines on dropped breaks ($dropped), the connection kept ($kept)"; fi ;;
    break_closed@*)
      if [ "$rc" -eq 0 ] && [ "$bytes" -eq 200000 ] && [ "$dropped" -ge 1 ] && [ $kept = yes ]; then
        ok "$desc, $dropped dropped-break lines"
      else not_ok "$desc: expected both reads, the closed handle's breaks dropped ($dropped), the connection kept ($kept)"; fi ;;
    break_endless@* | break_storm@* | reclaim_same@* | reclaim_ok@* | read_mute@* | read_mute_late@*)
      if [ "$rc" -eq 0 ] && [ "$sha" = "$LEASE_SHA" ]; then ok "$desc"
      else not_ok "$desc: expected the file's bytes"; sed 's/^/#   /' "$OUT/l$i.err" | grep -v debug | head -5; fi ;;
    break_badsize@* | break_truncated@*)
      if [ "$rc" -ne 0 ] && [ "$bytes" -eq 0 ] &&
        grep -q "^dfsc: //$addr/data/file.txt: malformed or unexpected protocol data: lease break notification: StructureSize 44 or shorter than its 44 bytes$" "$OUT/l$i.err" &&
        grep -q 'malformed answer: lease break notification' "$OUT/l$i.err"; then
        ok "$desc"
      else not_ok "$desc: expected a protocol error naming the path, no bytes"; fi ;;
    reclaim_stale@* | reclaim_changed@*)
      if [ "$rc" -ne 0 ] && [ "$bytes" -eq 0 ] &&
        grep -q "^dfsc: //$addr/data/file.txt: Stale file handle$" "$OUT/l$i.err"; then
        ok "$desc"
      else not_ok "$desc: expected ESTALE naming the path, no bytes"; sed 's/^/#   /' "$OUT/l$i.err" | grep -v debug | head -5; fi ;;
    read_nocredit@*)
      # Checked closely by hostile_lease_test (a request waiting for credits
      # fails alone at its deadline). cat keeps READs in flight past the
      # file's end; once the first READ's final answer has paid 3 credits,
      # READ answers here grant none, so the last READs wait with nothing
      # in flight that could pay for them: never sendable, a named credits
      # error (-vvv shows READs 7-9 drain the 3). Either outcome is bounded
      # and named; wrong bytes or a hang are not.
      if { [ "$rc" -eq 0 ] && [ "$sha" = "$LEASE_SHA" ]; } ||
        { [ "$rc" -ne 0 ] && [ "$bytes" -eq 0 ] &&
          grep -q "^dfsc: //$addr/data/file.txt: the server grants too few credits for the request$" "$OUT/l$i.err"; }; then
        ok "$desc (rc $rc)"
      else not_ok "$desc: expected the file's bytes or a named credits error"; sed 's/^/#   /' "$OUT/l$i.err" | grep -v debug | head -5; fi ;;
    read_silent@*)
      # The server answers the ECHO asked at the read's deadline: the read
      # fails alone, named, and the connection is kept.
      if [ "$rc" -ne 0 ] && [ "$bytes" -eq 0 ] && [ $kept = yes ] &&
        grep -q "^dfsc: //$addr/data/file.txt: the server is up but did not answer the request within its deadline$" "$OUT/l$i.err"; then
        ok "$desc"
      else not_ok "$desc: expected 'did not answer' naming the path, no bytes, the connection kept ($kept)"; sed 's/^/#   /' "$OUT/l$i.err" | grep -v debug | head -5; fi ;;
    *) not_ok "$desc: no expectation for this scenario" ;;
  esac
done
finish
