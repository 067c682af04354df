#!/usr/bin/env bash
# The install target and pkg-config file: install into a private prefix,
# build a small program against the installed shared library with
# `pkg-config --cflags --libs dfsc` alone, and run it against the testbed.
. "$(dirname "$0")/lib.sh"
: "${DFSC_BUILD:?}"
prefix="$TMP/prefix"
check "cmake --install" cmake --install "$DFSC_BUILD" --prefix "$prefix"
for f in include/dfsc/dfsc.h include/dfsc/dfsc-sync.h include/dfsc/errors.h bin/dfsc; do
  [ -e "$prefix/$f" ] && ok "installed $f" || not_ok "installed $f"
done
pc=$(find "$prefix" -name dfsc.pc | head -1)
[ -n "$pc" ] && ok "installed dfsc.pc" || not_ok "installed dfsc.pc"
export PKG_CONFIG_PATH=$(dirname "$pc")
cat >"$TMP/prog.c" <<'C'
#include <dfsc/dfsc-sync.h>
#include <stdio.h>
int main(int argc, char **argv) {
  dfsc_opts o;
  dfsc_ctx *ctx;
  dfsc_stat_t st;
  dfsc_result res;
  char msg[512];
  int rc;
  dfsc_opts_init(&o);
  o.user = argv[1];
  o.password = argv[2];
  if (dfsc_version() != DFSC_VERSION_NUMBER) return 3; /* headers and library agree */
  if (dfsc_ctx_new(&o, &ctx) != 0) return 2;
  rc = dfsc_stat(ctx, argv[3], &st, &res);
  if (rc == 0) printf("%llu\n", (unsigned long long)st.size);
  else printf("%s\n", dfsc_result_str(&res, msg, sizeof(msg)));
  dfsc_ctx_free(ctx);
  return rc == 0 ? 0 : 1;
}
C
libdir=$(pkg-config --variable=libdir dfsc)
# A sanitizer build of the library needs the program built the same way.
san=
readelf -d "$libdir/libdfsc.so" | grep -q 'libasan' && san="-fsanitize=address,undefined"
check "compile against the installed library" \
  gcc $san -o "$TMP/prog" "$TMP/prog.c" $(pkg-config --cflags --libs dfsc)
check "program runs" env LD_LIBRARY_PATH="$libdir" "$TMP/prog" "$DFSC_TB_USER" "$DFSC_TB_PASS" "//$DFSC_TB_FS1/data/odd.bin"
eq "program stats odd.bin" "$DFSC_TB_ODD_SIZE" "$(cat "$TMP/out")"
# Only the public API is exported from the shared object.
if nm -D --defined-only "$libdir/libdfsc.so" | awk '{print $3}' | grep -q '^dfsc__'; then
  not_ok "internal dfsc__ symbols hidden"
else ok "internal dfsc__ symbols hidden"; fi
# ... under the DFSC_0 version node (src/libdfsc.map).
nm -D --defined-only "$libdir/libdfsc.so" | awk '{print $3}' | grep -q '^dfsc_open_async@@DFSC_0$' &&
  ok "public symbols exported, version DFSC_0" || not_ok "public symbols exported, version DFSC_0"
finish
