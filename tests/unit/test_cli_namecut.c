/* dfsc__cli_name_cut (tools/dfsc/namecut.c): temporary names of get keep
 * whole UTF-8 characters. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../tools/dfsc/namecut.c"

static int is_cont(unsigned char c) { return (c & 0xC0) == 0x80; }

/* For every budget 0..strlen(s)+1: the kept prefix fits, ends on a
 * character boundary, and no longer prefix would (the next boundary is
 * past the budget). */
static void expect_boundaries(const char *s) {
  size_t len = strlen(s), max, n, next;

  for (max = 0; max <= len + 1; max++) {
    n = dfsc__cli_name_cut(s, max);
    if (max >= len) {
      assert_int_equal(n, len);
      continue;
    }
    assert_true(n <= max);
    assert_false(is_cont((unsigned char)s[n]));
    for (next = n + 1; next < len && is_cont((unsigned char)s[next]); next++)
      ;
    assert_true(next > max);
  }
}

static void test_ascii_is_cut_at_the_budget(void **state) {
  (void)state;
  assert_int_equal(dfsc__cli_name_cut("abcdef", 3), 3);
  assert_int_equal(dfsc__cli_name_cut("abcdef", 6), 6);
  assert_int_equal(dfsc__cli_name_cut("abcdef", 100), 6);
  assert_int_equal(dfsc__cli_name_cut("", 0), 0);
  expect_boundaries("plain-name.txt");
}

static void test_every_sequence_length(void **state) {
  (void)state;
  /* U+00E9 (2 bytes), U+20AC (3), U+1F600 (4), mixed with ASCII. */
  expect_boundaries("a\xc3\xa9"
                    "b\xe2\x82\xac"
                    "c\xf0\x9f\x98\x80"
                    "d");
  expect_boundaries("\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80");
  expect_boundaries("\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac");
  /* Inside a 4-byte character: back to its start. */
  assert_int_equal(dfsc__cli_name_cut("x\xf0\x9f\x98\x80y", 2), 1);
  assert_int_equal(dfsc__cli_name_cut("x\xf0\x9f\x98\x80y", 4), 1);
  assert_int_equal(dfsc__cli_name_cut("x\xf0\x9f\x98\x80y", 5), 5);
}

/* The case of get: 100 CJK characters (300 bytes) cut to the budget of a
 * temporary name (NAME_MAX - 14 = 241) keep 80 whole characters. */
static void test_cjk_name_at_the_temp_budget(void **state) {
  char name[301];
  size_t i, n;

  (void)state;
  for (i = 0; i < 100; i++)
    memcpy(name + i * 3, "\xe4\xb8\xad", 3); /* U+4E2D */
  name[300] = '\0';
  n = dfsc__cli_name_cut(name, NAME_MAX - 14);
  assert_int_equal(n, 240);
  expect_boundaries(name);
}

/* Invalid input (a run of continuation bytes) still stays within the
 * budget. */
static void test_invalid_stays_within(void **state) {
  (void)state;
  assert_true(dfsc__cli_name_cut("\x80\x80\x80\x80\x80\x80\x80\x80", 6) <= 6);
  assert_int_equal(dfsc__cli_name_cut("\x80\x80\x80\x80\x80\x80\x80\x80", 6), 3);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ascii_is_cut_at_the_budget),
      cmocka_unit_test(test_every_sequence_length),
      cmocka_unit_test(test_cjk_name_at_the_temp_budget),
      cmocka_unit_test(test_invalid_stays_within),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
