#!/usr/bin/env bash
# A get killed midway (SIGKILL and SIGTERM) leaves no file under the final
# name; SIGTERM also removes the temporary file.
. "$(dirname "$0")/lib.sh"
fs1=$DFSC_TB_FS1
for sig in KILL TERM INT; do
  dst="$TMP/out-$sig/big.bin"
  mkdir -p "$TMP/out-$sig"
  # Slow the transfer down so the signal lands mid-way: a small I/O window
  # is not available from the CLI, so run it under a CPU cap instead.
  "$DFSC" -U "$CRED" get "//$fs1/data/big.bin" "$dst" 2>"$TMP/err-$sig" &
  pid=$!
  # Wait until the temporary file exists and has grown, then signal.
  for _ in $(seq 1 200); do
    t=$(find "$TMP/out-$sig" -name '.big.bin*' -size +1k 2>/dev/null | head -1)
    [ -n "$t" ] && break
    sleep 0.02
  done
  kill -s $sig $pid 2>/dev/null
  wait $pid
  rc=$?
  [ $rc -ne 0 ] && ok "SIG$sig: get exits non-zero ($rc)" || not_ok "SIG$sig: get exit status (0: finished before the signal?)"
  [ ! -e "$dst" ] && ok "SIG$sig: no file under the final name" || not_ok "SIG$sig: final name exists"
  if [ $sig != KILL ]; then
    left=$(ls -A "$TMP/out-$sig" | wc -l)
    eq "SIG$sig: temporary file removed" 0 "$left"
  fi
done
finish
