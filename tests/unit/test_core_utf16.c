/* Unit tests for src/core/utf16.c: UTF-8 <-> UTF-16LE round trips (ASCII,
 * Latin-1, CJK, a surrogate pair), rejection of invalid UTF-8 and unpaired
 * surrogates, and DFSC_E_NOSPACE at exact buffer sizes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/alloc.h"
#include "core/utf16.h"
#include "dfsc/errors.h"

struct vec {
  const char *u8;
  size_t u16_len;
  uint8_t u16[16];
};

static const struct vec vecs[] = {
    {"", 0, {0}},
    {"Ab", 4, {'A', 0, 'b', 0}},
    /* U+00E9 (Latin-1), 2-byte UTF-8 */
    {"h\xc3\xa9", 4, {'h', 0, 0xe9, 0x00}},
    /* U+65E5 U+672C, 3-byte UTF-8 */
    {"\xe6\x97\xa5\xe6\x9c\xac", 4, {0xe5, 0x65, 0x2c, 0x67}},
    /* U+1F600: surrogate pair D83D DE00 */
    {"\xf0\x9f\x98\x80", 4, {0x3d, 0xd8, 0x00, 0xde}},
    /* U+10FFFF, the last code point: DBFF DFFF */
    {"x\xf4\x8f\xbf\xbf", 6, {'x', 0, 0xff, 0xdb, 0xff, 0xdf}},
    /* U+FFFF, the last BMP code point (not a surrogate) */
    {"\xef\xbf\xbf", 2, {0xff, 0xff}},
};

static void test_round_trips(void **state) {
  size_t i;
  for (i = 0; i < sizeof vecs / sizeof vecs[0]; i++) {
    const struct vec *v = &vecs[i];
    size_t n8 = strlen(v->u8);
    uint8_t out[32];
    char back[32];
    char *dup = NULL;
    dfsc_wr w;

    assert_int_equal(dfsc__utf8_to_utf16_len(v->u8, n8), (long)v->u16_len);
    dfsc__wr_init(&w, out, sizeof out);
    assert_int_equal(dfsc__utf8_to_utf16_wr(&w, v->u8, n8), 0);
    assert_int_equal(w.off, v->u16_len);
    assert_memory_equal(out, v->u16, v->u16_len);

    assert_int_equal(dfsc__utf16_to_utf8(v->u16, v->u16_len, back, sizeof back), (long)n8);
    assert_string_equal(back, v->u8);

    assert_int_equal(dfsc__utf16_to_utf8_alloc(v->u16, v->u16_len, &dup), 0);
    assert_non_null(dup);
    assert_string_equal(dup, v->u8);
    dfsc__free(dup);
  }
  (void)state;
}

static void test_invalid_utf8(void **state) {
  static const char *const bad[] = {
      "\xc3",             /* truncated 2-byte sequence */
      "a\xe6\x97",        /* truncated 3-byte sequence */
      "\x80",             /* stray continuation byte */
      "\xc0\xaf",         /* overlong '/' */
      "\xe0\x80\xaf",     /* overlong, 3 bytes */
      "\xed\xa0\x80",     /* UTF-8 encoded surrogate U+D800 */
      "\xf4\x90\x80\x80", /* U+110000, past the last code point */
      "\xff",             /* never valid */
      "\xc3\x28",         /* bad continuation */
  };
  size_t i;
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    uint8_t out[16];
    dfsc_wr w;
    assert_int_equal(dfsc__utf8_to_utf16_len(bad[i], strlen(bad[i])), -EILSEQ);
    dfsc__wr_init(&w, out, sizeof out);
    assert_int_equal(dfsc__utf8_to_utf16_wr(&w, bad[i], strlen(bad[i])), -EILSEQ);
  }
  (void)state;
}

static void test_unpaired_surrogates(void **state) {
  static const uint8_t lone_high_end[] = {'a', 0, 0x3d, 0xd8};
  static const uint8_t high_then_char[] = {0x3d, 0xd8, 'a', 0};
  static const uint8_t high_then_high[] = {0x3d, 0xd8, 0x3d, 0xd8};
  static const uint8_t lone_low[] = {0x00, 0xde, 'a', 0};
  static const uint8_t odd[] = {'a', 0, 'b'};
  char out[32];
  char *dup = (char *)out;

  assert_int_equal(
      dfsc__utf16_to_utf8(lone_high_end, sizeof lone_high_end, out, sizeof out), -EILSEQ);
  assert_int_equal(
      dfsc__utf16_to_utf8(high_then_char, sizeof high_then_char, out, sizeof out), -EILSEQ);
  assert_int_equal(
      dfsc__utf16_to_utf8(high_then_high, sizeof high_then_high, out, sizeof out), -EILSEQ);
  assert_int_equal(dfsc__utf16_to_utf8(lone_low, sizeof lone_low, out, sizeof out),
                   -EILSEQ);
  assert_int_equal(dfsc__utf16_to_utf8(odd, sizeof odd, out, sizeof out), -EILSEQ);
  assert_int_equal(dfsc__utf16_to_utf8_alloc(lone_low, sizeof lone_low, &dup), -EILSEQ);
  assert_ptr_equal(dup, out); /* untouched on error */
  (void)state;
}

static void test_nospace(void **state) {
  static const uint8_t emoji16[] = {'a', 0, 0x3d, 0xd8, 0x00, 0xde};
  const char *emoji8 = "a\xf0\x9f\x98\x80"; /* 5 bytes */
  uint8_t out[8];
  char back[8];
  dfsc_wr w;

  /* UTF-8 -> UTF-16: 6 bytes needed. */
  dfsc__wr_init(&w, out, 5);
  assert_int_equal(dfsc__utf8_to_utf16_wr(&w, emoji8, strlen(emoji8)), DFSC_E_NOSPACE);
  dfsc__wr_init(&w, out, 6);
  assert_int_equal(dfsc__utf8_to_utf16_wr(&w, emoji8, strlen(emoji8)), 0);
  assert_memory_equal(out, emoji16, 6);

  /* UTF-16 -> UTF-8: 5 bytes plus the NUL. */
  assert_int_equal(dfsc__utf16_to_utf8(emoji16, sizeof emoji16, back, 5), DFSC_E_NOSPACE);
  assert_int_equal(dfsc__utf16_to_utf8(emoji16, sizeof emoji16, back, 6), 5);
  assert_string_equal(back, emoji8);
  assert_int_equal(dfsc__utf16_to_utf8(emoji16, 0, back, 0), DFSC_E_NOSPACE);
  assert_int_equal(dfsc__utf16_to_utf8(emoji16, 0, back, 1), 0);
  assert_string_equal(back, "");
  (void)state;
}

static void test_ascii_upper(void **state) {
  char s[] = "\\\\srv.Example\\Share-1\xc3\xa9z";
  assert_ptr_equal(dfsc__ascii_upper(s), s);
  assert_string_equal(s, "\\\\SRV.EXAMPLE\\SHARE-1\xc3\xa9Z"); /* non-ASCII untouched */
  (void)state;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trips),         cmocka_unit_test(test_invalid_utf8),
      cmocka_unit_test(test_unpaired_surrogates), cmocka_unit_test(test_nospace),
      cmocka_unit_test(test_ascii_upper),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
