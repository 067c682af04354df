/* libFuzzer target: UTF-8 <-> UTF-16LE conversion (src/core/utf16.c), both
 * directions on every input.
 *
 * Invariants checked (abort on violation):
 *  - UTF-16LE -> UTF-8: when it succeeds, converting the UTF-8 back gives
 *    the input bytes exactly, dfsc__utf8_to_utf16_len agrees, the _alloc
 *    variant gives the same string, and every smaller destination buffer
 *    fails with DFSC_E_NOSPACE (never a truncated success); odd lengths and
 *    unpaired surrogates fail with -EILSEQ.
 *  - UTF-8 -> UTF-16LE: dfsc__utf8_to_utf16_len and dfsc__utf8_to_utf16_wr
 *    agree on validity and size; a valid input converts back to itself; a
 *    writer one byte short fails with DFSC_E_NOSPACE.
 *  - dfsc__ascii_upper changes exactly the bytes 'a'..'z'.
 *  - dfsc__utf16_name_check: a name judged OK converts to UTF-8 with no
 *    NUL, '/' or '\\', is not empty, ".", or ".."; a name that does not
 *    convert is never OK. dfsc__utf16_escape writes pure printable ASCII,
 *    NUL-terminated, within every capacity, and returns its length.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/utf16.h"
#include "dfsc/errors.h"
#include "fuzz_common.h"

static void from_utf16(const uint8_t *u16, size_t n) {
  size_t cap = (n / 2) * 3 + 1;
  char *s = malloc(cap), *a = NULL;
  uint8_t *back;
  long r, r2, l16;
  dfsc_wr w;
  int rc;

  CHECK(s != NULL);
  r = dfsc__utf16_to_utf8(u16, n, s, cap);
  CHECK(r >= 0 || r == -EILSEQ);
  rc = dfsc__utf16_to_utf8_alloc(u16, n, &a);
  CHECK((r >= 0) == (rc == 0));
  if (n & 1)
    CHECK(r == -EILSEQ);
  if (r < 0) {
    free(s);
    return;
  }
  CHECK((size_t)r < cap && s[r] == '\0');
  CHECK(strlen(a) == strlen(s) && memcmp(a, s, (size_t)r + 1) == 0);
  dfsc__free(a);

  /* Every destination that cannot hold the string and its NUL fails. */
  r2 = dfsc__utf16_to_utf8(u16, n, s, (size_t)r + 1);
  CHECK(r2 == r);
  if (r > 0) {
    r2 = dfsc__utf16_to_utf8(u16, n, s, (size_t)r);
    CHECK(r2 == DFSC_E_NOSPACE);
    r2 = dfsc__utf16_to_utf8(u16, n, s, (size_t)r / 2);
    CHECK(r2 == DFSC_E_NOSPACE);
  }
  CHECK(dfsc__utf16_to_utf8(u16, n, s, 0) == DFSC_E_NOSPACE);
  r2 = dfsc__utf16_to_utf8(u16, n, s, cap);
  CHECK(r2 == r);

  l16 = dfsc__utf8_to_utf16_len(s, (size_t)r);
  CHECK(l16 == (long)n);
  back = malloc(n ? n : 1);
  CHECK(back != NULL);
  dfsc__wr_init(&w, back, n);
  CHECK(dfsc__utf8_to_utf16_wr(&w, s, (size_t)r) == 0);
  CHECK(w.off == n && (n == 0 || memcmp(back, u16, n) == 0));
  free(back);
  free(s);
}

static void from_utf8(const char *s, size_t n) {
  long l16 = dfsc__utf8_to_utf16_len(s, n);
  uint8_t *u16;
  char *s2;
  dfsc_wr w;
  int rc;
  long r;

  CHECK(l16 >= 0 || l16 == -EILSEQ);
  u16 = malloc(n * 2 + 2);
  CHECK(u16 != NULL);
  dfsc__wr_init(&w, u16, n * 2 + 2);
  rc = dfsc__utf8_to_utf16_wr(&w, s, n);
  CHECK((rc == 0) == (l16 >= 0));
  if (rc != 0) {
    CHECK(rc == -EILSEQ);
    free(u16);
    return;
  }
  CHECK((long)w.off == l16 && (w.off & 1) == 0 && w.off <= n * 2);
  s2 = malloc(n + 1);
  CHECK(s2 != NULL);
  r = dfsc__utf16_to_utf8(u16, w.off, s2, n + 1);
  CHECK(r == (long)n && memcmp(s2, s, n) == 0);
  free(s2);
  if (l16 > 0) {
    dfsc__wr_init(&w, u16, (size_t)l16 - 1);
    CHECK(dfsc__utf8_to_utf16_wr(&w, s, n) == DFSC_E_NOSPACE);
  }
  free(u16);
}

static void upper(const char *s, size_t n) {
  char *a = malloc(n + 1);
  size_t i, len;
  CHECK(a != NULL);
  memcpy(a, s, n);
  a[n] = '\0';
  CHECK(dfsc__ascii_upper(a) == a);
  len = strlen(a);
  for (i = 0; i < len; i++) {
    char c = s[i];
    CHECK(a[i] == ((c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c));
  }
  free(a);
}

static void names(const uint8_t *u16, size_t n) {
  dfsc_name_verdict v = dfsc__utf16_name_check(u16, n);
  char *s = NULL, esc[64];
  size_t caps[] = {0, 1, 2, 5, 17, sizeof esc}, i, k, len;
  int conv = dfsc__utf16_to_utf8_alloc(u16, n, &s);
  CHECK(v <= DFSC_NAME_BADUTF16);
  if (v == DFSC_NAME_OK) {
    char *buf = malloc(n / 2 * 3 + 1);
    long r;
    CHECK(conv == 0 && s != NULL && buf != NULL);
    r = dfsc__utf16_to_utf8(u16, n, buf, n / 2 * 3 + 1);
    free(buf);
    len = strlen(s);
    CHECK(r > 0 && len == (size_t)r); /* not empty, and no NUL cuts it short */
    CHECK(strchr(s, '/') == NULL && strchr(s, '\\') == NULL);
    CHECK(strcmp(s, ".") != 0 && strcmp(s, "..") != 0);
  }
  if (conv != 0)
    CHECK(v == DFSC_NAME_BADUTF16 || v == DFSC_NAME_NUL || v == DFSC_NAME_SEP);
  dfsc__free(s);
  for (k = 0; k < sizeof caps / sizeof caps[0]; k++) {
    memset(esc, 'Z', sizeof esc);
    len = dfsc__utf16_escape(u16, n, esc, caps[k]);
    if (caps[k] == 0) {
      CHECK(len == 0 && esc[0] == 'Z');
      continue;
    }
    CHECK(len < caps[k] && esc[len] == '\0');
    for (i = 0; i < len; i++)
      CHECK(esc[i] >= 0x20 && esc[i] < 0x7f);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  names(data, size);
  from_utf16(data, size);
  from_utf8((const char *)data, size);
  upper((const char *)data, size);
  return 0;
}
