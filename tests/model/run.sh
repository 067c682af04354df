#!/usr/bin/env bash
# Checks a Promela model with spin (exhaustive, safety: invalid end states =
# deadlocks, and assertions = queue bounds) and compares with what is
# expected. Usage: run.sh MODEL.pml ok|deadlock [-DNAME=VALUE...]
set -u
model=$1 expect=$2
shift 2
command -v spin >/dev/null || { echo "spin not installed (scripts/deps)"; echo "0 passed, 1 failed"; exit 1; }
work=$(mktemp -d /tmp/dfsc-model.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
spin -a "$@" "$model" >spin.out 2>&1 || { cat spin.out; echo "0 passed, 1 failed"; exit 1; }
gcc -O2 -DSAFETY -DMEMLIM=2048 -w -o pan pan.c || { echo "0 passed, 1 failed"; exit 1; }
./pan -m2000000 >pan.out 2>&1
errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' pan.out | head -1)
states=$(sed -n 's/^ *\([0-9e+.]*\) states, stored.*/\1/p' pan.out | head -1)
why=$(grep -E "^pan:[0-9]+: " pan.out | head -1)
echo "# $(basename "$model") $* -> errors ${errors:-?}, states ${states:-?} ${why}"
if [ "$expect" = ok ] && [ "${errors:-1}" = 0 ] && ! grep -q "max search depth too small" pan.out; then
  echo "ok - no deadlock and no bound violated"; echo "1 passed, 0 failed"; exit 0
fi
if [ "$expect" = deadlock ] && [ "${errors:-0}" != 0 ] && echo "$why" | grep -q "invalid end state"; then
  echo "ok - spin finds the deadlock"; echo "1 passed, 0 failed"; exit 0
fi
echo "not ok - expected $expect"; tail -20 pan.out | sed 's/^/#   /'
echo "0 passed, 1 failed"
exit 1
