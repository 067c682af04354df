#!/usr/bin/env bash
# The installed Debian packages (scripts/deb --install): the files are where
# Debian puts them and owned by their package; the README's demo runs with
# the installed dfsc against the testbed's DFS namespace; a program built
# with `pkg-config --cflags --libs dfsc` alone links the installed library
# and reads through DFS; the man pages and the bash completion are there
# and the completion offers every option dfsc --help lists.
. "$(dirname "$0")/../integration/lib.sh"
# shellcheck disable=SC2206
R=($DFSC_TB_RESOLVE_ARGS)
for f in /usr/bin/dfsc:dfsc /usr/include/dfsc/dfsc.h:libdfsc-dev \
  /usr/share/man/man1/dfsc.1.gz:dfsc /usr/share/man/man3/libdfsc.3.gz:libdfsc-dev \
  /usr/share/bash-completion/completions/dfsc:dfsc; do
  eq "${f%%:*} belongs to ${f##*:}" "${f##*:}" "$(dpkg -S "${f%%:*}" 2>/dev/null | cut -d: -f1)"
done
eq "libdfsc.so.0 belongs to libdfsc0" libdfsc0 \
  "$(dpkg -S 'libdfsc.so.0' 2>/dev/null | head -1 | cut -d: -f1)"
check "dfsc --version" /usr/bin/dfsc --version
# The demo: a file through a DFS link, as the README shows it.
eq "demo: cat through a DFS link" "$(printf %s "$DFSC_TB_HELLO_TEXT")" \
  "$(/usr/bin/dfsc -U "$CRED" "${R[@]}" cat "//dfsroot/dfs/single/hello.txt" 2>&1)"
check "demo: ls //fs2 (the share listing)" /usr/bin/dfsc -U "$CRED" "${R[@]}" ls "//fs2"
cat >"$TMP/prog.c" <<'C'
#include <dfsc/dfsc-sync.h>
#include <stdio.h>
int main(int argc, char **argv) {
  dfsc_opts o;
  dfsc_ctx *ctx;
  dfsc_stat_t st;
  dfsc_result res;
  int rc;
  (void)argc;
  dfsc_opts_init(&o);
  o.user = argv[1];
  o.password = argv[2];
  if (dfsc_ctx_new(&o, &ctx) != 0)
    return 2;
  rc = dfsc_stat(ctx, argv[3], &st, &res);
  printf("%d %llu\n", rc, (unsigned long long)st.size);
  dfsc_ctx_free(ctx);
  return rc != 0;
}
C
check "a program builds with pkg-config alone" \
  sh -c "cc -o '$TMP/prog' '$TMP/prog.c' \$(pkg-config --cflags --libs dfsc)"
eq "... and reads through the installed libdfsc" "0 $(stat -c %s "$DFSC_TB_DATA_DIR/hello.txt")" \
  "$("$TMP/prog" "$DFSC_TB_USER" "$DFSC_TB_PASS" "//$DFSC_TB_FS1/data/hello.txt" 2>&1)"
eq "... the library it ran with is the packaged one" 1 \
  "$(ldd "$TMP/prog" | grep -cE 'libdfsc.so.0 => /(usr/)?lib/[^ ]*/libdfsc.so.0')"
check "man dfsc" sh -c 'man -P cat dfsc | grep -q "SMB"'
check "man 3 libdfsc" sh -c 'man -P cat 3 libdfsc | grep -q "dfsc_copy_range"'
missing=$(/usr/bin/dfsc --help 2>&1 | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u |
  while read -r o; do grep -q -- "$o" /usr/share/bash-completion/completions/dfsc || echo "$o"; done)
eq "bash completion: every option of dfsc --help" "" "$missing"
check "bash completion: completes commands" bash -c '
  . /usr/share/bash-completion/bash_completion || exit 1
  . /usr/share/bash-completion/completions/dfsc
  COMP_WORDS=(dfsc pu); COMP_CWORD=1; COMP_LINE="dfsc pu"; COMP_POINT=7
  _dfsc; [ "${COMPREPLY[*]}" = put ]'
finish
