#!/usr/bin/env bash
# The growth rule of include/dfsc/dfsc.h, from outside: a program built
# with an OLDER dfsc_opts / dfsc_stats layout (tests/integration/compat/
# old_layout.c) runs against the installed library. It creates a context
# from the old options and reads a file; the library fills the old
# counters and nothing past them. Negative controls: the same program
# claiming the current sizes (what a library without the size rule
# assumes) reads past its options (SIGSEGV at a guard page) and writes
# past its counters (canary overwritten).
. "$(dirname "$0")/lib.sh"
: "${DFSC_BUILD:?}" "${DFSC_SRC:?}"
prefix="$TMP/prefix"
check "cmake --install" cmake --install "$DFSC_BUILD" --prefix "$prefix"
pc=$(find "$prefix" -name dfsc.pc | head -1)
export PKG_CONFIG_PATH=$(dirname "$pc")
libdir=$(pkg-config --variable=libdir dfsc)
san=
readelf -d "$libdir/libdfsc.so" | grep -q 'libasan' && san="-fsanitize=address,undefined"
check "compile the old-layout program against the installed library" \
  gcc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror $san -o "$TMP/old" \
  "$DFSC_SRC/tests/integration/compat/old_layout.c" $(pkg-config --cflags --libs dfsc)
MAP=("dfsroot:$DFSC_TB_DFSROOT" "fs1:$DFSC_TB_FS1" "fs2:$DFSC_TB_FS2" "fs3:$DFSC_TB_FS3")
run() { env LD_LIBRARY_PATH="$libdir" "$TMP/old" "$@"; }

check "old options and counters against the new library" \
  run ok "$DFSC_TB_USER" "$DFSC_TB_PASS" "//dfsroot/dfs/many/L007/odd.bin" "${MAP[@]}"
cp "$TMP/out" "$TMP/ok.out"
grep -q "^size $DFSC_TB_ODD_SIZE\$" "$TMP/ok.out" && ok "the old program reads through a DFS path" ||
  not_ok "the old program reads through a DFS path ($(head -1 "$TMP/ok.out"))"
grep -Eq '^stats size ([0-9]+) of \1, requests [1-9][0-9]*, canary intact$' "$TMP/ok.out" &&
  ok "counters filled up to the old size, nothing past it" ||
  not_ok "counters filled up to the old size, nothing past it ($(tail -1 "$TMP/ok.out"))"

check "second-layout options (idle close, no Kerberos fields) against the new library" \
  run ok2 "$DFSC_TB_USER" "$DFSC_TB_PASS" "//dfsroot/dfs/many/L007/odd.bin" "${MAP[@]}"
grep -q "^second layout: size $DFSC_TB_ODD_SIZE\$" "$TMP/out" &&
  ok "the second-layout program reads through a DFS path" ||
  not_ok "the second-layout program reads through a DFS path ($(head -1 "$TMP/out"))"

check "third-layout options (Kerberos, no reconnect fields) against the new library" \
  run ok3 "$DFSC_TB_USER" "$DFSC_TB_PASS" "//dfsroot/dfs/many/L007/odd.bin" "${MAP[@]}"
grep -q "^third layout: size $DFSC_TB_ODD_SIZE\$" "$TMP/out" &&
  ok "the third-layout program reads through a DFS path" ||
  not_ok "the third-layout program reads through a DFS path ($(head -1 "$TMP/out"))"

run nosize-stats >"$TMP/ns.out" 2>&1
rc=$?
eq "without the size rule the counters overwrite the canary (exit 4)" 4 "$rc"

run nosize-opts >"$TMP/no.out" 2>&1
rc=$?
if [ "$rc" -ge 128 ] || grep -q SEGV "$TMP/no.out"; then
  ok "without the size rule the options are read past their end (fault, exit $rc)"
else
  not_ok "without the size rule the options are read past their end (exit $rc: $(cat "$TMP/no.out"))"
fi

check "a newer caller: an option this library lacks is E2BIG, a zero one is fine" run newer
finish
