#!/usr/bin/env bash
# docs/examples/dfsc_example.c, the complete program of docs/api.md, built
# against the INSTALLED library with `pkg-config --cflags --libs dfsc`
# alone (strict C11, every warning an error), run against the testbed: it
# reads a file through a DFS link and lists a directory through another.
. "$(dirname "$0")/lib.sh"
: "${DFSC_BUILD:?}" "${DFSC_SRC:?}"
prefix="$TMP/prefix"
check "cmake --install" cmake --install "$DFSC_BUILD" --prefix "$prefix"
pc=$(find "$prefix" -name dfsc.pc | head -1)
export PKG_CONFIG_PATH=$(dirname "$pc")
libdir=$(pkg-config --variable=libdir dfsc)
san=
readelf -d "$libdir/libdfsc.so" | grep -q 'libasan' && san="-fsanitize=address,undefined"
check "the example compiles against the installed library" \
  gcc -std=c11 -pedantic -Wall -Wextra -Werror $san -o "$TMP/example" \
  "$DFSC_SRC/docs/examples/dfsc_example.c" $(pkg-config --cflags --libs dfsc)
MAP=("dfsroot:$DFSC_TB_DFSROOT" "fs1:$DFSC_TB_FS1" "fs2:$DFSC_TB_FS2" "fs3:$DFSC_TB_FS3")
run() { env LD_LIBRARY_PATH="$libdir" DFSC_USER="$DFSC_TB_USER" DFSC_PASSWORD="$DFSC_TB_PASS" \
  "$TMP/example" "$@"; }
check "the example runs" run //dfsroot/dfs/many/L007/hello.txt //dfsroot/dfs/many/L001 "${MAP[@]}"
eq "it reads hello.txt through the DFS link" "${DFSC_TB_HELLO_TEXT%$'\n'}" "$(head -1 "$TMP/out")"
grep -Eq '^- +29 hello\.txt$' "$TMP/out" && ok "it lists the linked directory (hello.txt, 29 bytes)" ||
  not_ok "it lists the linked directory: $(tail -n +2 "$TMP/out" | head -5 | tr '\n' '|')"
grep -Eq '^d +0 a$' "$TMP/out" && ok "directories listed as d" || not_ok "directories listed as d"
check_fail "a missing file fails with the path and status" \
  'dfsc_example: .*nope\.txt: STATUS_OBJECT_NAME_NOT_FOUND' \
  run //dfsroot/dfs/many/L007/nope.txt //dfsroot/dfs/many/L001 "${MAP[@]}"
finish
