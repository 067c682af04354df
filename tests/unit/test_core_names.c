/* Unit tests for the check every name from a directory listing passes
 * before it may leave the library (dfsc__utf16_name_check) and for the
 * escaping of such names in log lines (dfsc__utf16_escape), on raw
 * UTF-16LE as a server sends it: NUL inside a name, '/', '\', empty,
 * "." and "..", unpaired surrogates, odd lengths; controls that pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/utf16.h"

/* Builds UTF-16LE from 16-bit units (so a test can hold a NUL or a lone
 * surrogate, which no C string literal can). */
static size_t u16(uint8_t *out, const uint16_t *units, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    out[2 * i] = (uint8_t)(units[i] & 0xFF);
    out[2 * i + 1] = (uint8_t)(units[i] >> 8);
  }
  return 2 * n;
}

struct vec {
  const char *what;
  size_t n;
  uint16_t units[24];
  dfsc_name_verdict want;
};

static const struct vec vecs[] = {
    {"plain", 9, {'g', 'o', 'o', 'd', '1', '.', 't', 'x', 't'}, DFSC_NAME_OK},
    {"dot", 1, {'.'}, DFSC_NAME_DOT},
    {"dotdot", 2, {'.', '.'}, DFSC_NAME_DOT},
    {"three dots", 3, {'.', '.', '.'}, DFSC_NAME_OK},
    {"dot file", 4, {'.', 'r', 'c', 0x2E}, DFSC_NAME_OK},
    {"dotdot then NUL", 3, {'.', '.', 0}, DFSC_NAME_NUL},
    {"dot then NUL", 2, {'.', 0}, DFSC_NAME_NUL},
    {"NUL then a climb",
     16,
     {'x', 0, '/', '.', '.', '/', '.', '.', '/', 't', 'm', 'p', '/', 'p', 'w', 'n'},
     DFSC_NAME_NUL},
    {"NUL alone", 1, {0}, DFSC_NAME_NUL},
    {"trailing NUL", 2, {'a', 0}, DFSC_NAME_NUL},
    {"slash", 3, {'a', '/', 'b'}, DFSC_NAME_SEP},
    {"backslash", 3, {'a', '\\', 'b'}, DFSC_NAME_SEP},
    {"slash alone", 1, {'/'}, DFSC_NAME_SEP},
    {"dotdot slash", 3, {'.', '.', '/'}, DFSC_NAME_SEP},
    {"lone high surrogate", 3, {'a', 0xD800, 'b'}, DFSC_NAME_BADUTF16},
    {"lone high surrogate at the end", 2, {'a', 0xDBFF}, DFSC_NAME_BADUTF16},
    {"lone low surrogate", 2, {0xDC00, 'b'}, DFSC_NAME_BADUTF16},
    {"reversed pair", 2, {0xDE00, 0xD83D}, DFSC_NAME_BADUTF16},
    {"pair", 3, {'a', 0xD83D, 0xDE00}, DFSC_NAME_OK},
    {"ESC", 7, {0x1B, '[', '3', '1', 'm', 'r', 'e'}, DFSC_NAME_OK},
    {"newline", 3, {'a', '\n', 'b'}, DFSC_NAME_OK},
    {"C1 CSI", 3, {'a', 0x9B, 'b'}, DFSC_NAME_OK},
    {"DEL", 1, {0x7F}, DFSC_NAME_OK},
    {"U+FFFF", 1, {0xFFFF}, DFSC_NAME_OK},
    {"fullwidth solidus is not a separator", 3, {'a', 0xFF0F, 'b'}, DFSC_NAME_OK},
};

static void test_verdicts(void **state) {
  size_t i;
  (void)state;
  for (i = 0; i < sizeof vecs / sizeof vecs[0]; i++) {
    uint8_t buf[64];
    size_t n = u16(buf, vecs[i].units, vecs[i].n);
    dfsc_name_verdict got = dfsc__utf16_name_check(buf, n);
    if (got != vecs[i].want)
      fail_msg("%s: verdict %d (%s), want %d (%s)", vecs[i].what, (int)got,
               dfsc__name_verdict_str(got), (int)vecs[i].want,
               dfsc__name_verdict_str(vecs[i].want));
  }
}

static void test_empty_and_odd(void **state) {
  const uint8_t odd[3] = {'a', 0, 'b'};
  (void)state;
  assert_int_equal(dfsc__utf16_name_check(NULL, 0), DFSC_NAME_EMPTY);
  assert_int_equal(dfsc__utf16_name_check(odd, 3), DFSC_NAME_BADUTF16);
  assert_int_equal(dfsc__utf16_name_check(odd, 1), DFSC_NAME_BADUTF16);
}

/* Every name the check lets through converts to UTF-8 without a NUL
 * before its end, a '/' or a '\', and is not "." or "..". */
static void test_ok_names_convert_clean(void **state) {
  size_t i;
  (void)state;
  for (i = 0; i < sizeof vecs / sizeof vecs[0]; i++) {
    uint8_t buf[64];
    char out[128];
    size_t n = u16(buf, vecs[i].units, vecs[i].n);
    long len;
    if (dfsc__utf16_name_check(buf, n) != DFSC_NAME_OK)
      continue;
    len = dfsc__utf16_to_utf8(buf, n, out, sizeof out);
    assert_true(len > 0);
    assert_int_equal(strlen(out), (size_t)len);
    assert_null(strpbrk(out, "/\\"));
    assert_string_not_equal(out, ".");
    assert_string_not_equal(out, "..");
  }
}

static void test_verdict_strings(void **state) {
  (void)state;
  assert_string_equal(dfsc__name_verdict_str(DFSC_NAME_NUL), "holds U+0000");
  assert_string_equal(dfsc__name_verdict_str(DFSC_NAME_SEP), "holds a path separator");
  assert_string_equal(dfsc__name_verdict_str(DFSC_NAME_EMPTY), "is empty");
  assert_string_equal(dfsc__name_verdict_str(DFSC_NAME_BADUTF16), "is not valid UTF-16");
  assert_string_equal(dfsc__name_verdict_str((dfsc_name_verdict)99), "?");
}

static void test_escape(void **state) {
  static const struct {
    size_t n;
    uint16_t units[12];
    const char *want;
  } ev[] = {
      {3, {'a', 0, 'b'}, "a\\x00b"},
      {8, {0x1B, '[', '3', '1', 'm', 'r', 'e', 'd'}, "\\x1b[31mred"},
      {3, {'a', '\n', 'b'}, "a\\x0ab"},
      {3, {'a', 0x9B, 'b'}, "a\\u009bb"},
      {3, {'a', '\\', 'b'}, "a\\\\b"},
      {3, {'a', '"', 'b'}, "a\\\"b"},
      {2, {0xD800, 'z'}, "\\ud800z"},
      {1, {0x7F}, "\\x7f"},
      {2, {0xE9, 0x65E5}, "\\u00e9\\u65e5"},
      {0, {0}, ""},
  };
  size_t i;
  (void)state;
  for (i = 0; i < sizeof ev / sizeof ev[0]; i++) {
    uint8_t buf[32];
    char out[64];
    size_t n = u16(buf, ev[i].units, ev[i].n);
    size_t len = dfsc__utf16_escape(buf, n, out, sizeof out);
    assert_string_equal(out, ev[i].want);
    assert_int_equal(len, strlen(ev[i].want));
  }
}

/* A long name is cut with "..." and the result always fits, for every
 * capacity; no byte below 0x20 or above 0x7E is ever written. */
static void test_escape_bounds(void **state) {
  uint16_t units[40];
  uint8_t buf[80];
  char out[64];
  size_t i, cap, n;
  (void)state;
  for (i = 0; i < 40; i++)
    units[i] = i % 3 == 0 ? 0x1B : i % 3 == 1 ? 0x9B : 'x';
  n = u16(buf, units, 40);
  /* cap stays below sizeof out, so out[cap] shows any write past cap. */
  for (cap = 0; cap + 1 < sizeof out; cap++) {
    size_t len, k;
    memset(out, 'Z', sizeof out);
    len = dfsc__utf16_escape(buf, n, out, cap);
    if (cap == 0) {
      assert_int_equal(len, 0);
      assert_int_equal(out[0], 'Z');
      continue;
    }
    assert_true(len < cap);
    assert_int_equal(out[len], '\0');
    assert_int_equal(out[cap], 'Z');
    for (k = 0; k < len; k++)
      assert_true(out[k] >= 0x20 && out[k] < 0x7F);
    if (cap >= 4)
      assert_string_equal(out + len - 3, "...");
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_verdicts),
      cmocka_unit_test(test_empty_and_odd),
      cmocka_unit_test(test_ok_names_convert_clean),
      cmocka_unit_test(test_verdict_strings),
      cmocka_unit_test(test_escape),
      cmocka_unit_test(test_escape_bounds),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
