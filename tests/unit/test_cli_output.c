/* Unit tests for the dfsc CLI's output helpers (tools/common/output.c,
 * tools/dfsc/progress.c): JSON string escaping, ISO 8601 from FILETIME,
 * attribute names, human-readable sizes, the progress line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../tools/common/escape.c"
#include "../../tools/common/output.c"
#include "../../tools/dfsc/progress.c"

#include <stdlib.h>

/* dfsc__fe_json_str into a heap string. */
static char *json(const char *s) {
  char *out = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&out, &len);

  assert_non_null(f);
  dfsc__fe_json_str(f, s);
  assert_int_equal(fclose(f), 0);
  return out;
}

static void expect_json(const char *in, const char *want) {
  char *got = json(in);

  assert_string_equal(got, want);
  free(got);
}

static void test_json_plain_and_quotes(void **state) {
  (void)state;
  expect_json("", "\"\"");
  expect_json("a.txt", "\"a.txt\"");
  expect_json("a\"b\\c/d", "\"a\\\"b\\\\c/d\"");
}

static void test_json_control(void **state) {
  (void)state;
  expect_json("\x01\n\t\r\b\f\x1f\x7f", "\"\\u0001\\n\\t\\r\\b\\f\\u001f\\u007f\"");
}

/* C1 controls (U+0080-U+009F) come out as \u0080..\u009f: valid JSON
 * raw, but a terminal showing the JSON would take U+009B as a CSI. The
 * code points around them pass. */
static void test_json_c1(void **state) {
  (void)state;
  expect_json("a\xc2\x9b"
              "2J\xc2\x80\xc2\x9f",
              "\"a\\u009b2J\\u0080\\u009f\"");
  expect_json("\xc2\xa0\xc2\xbf\xc3\x80", "\"\xc2\xa0\xc2\xbf\xc3\x80\"");
}

static void test_json_utf8_passes(void **state) {
  (void)state;
  /* é (2 bytes), € (3), U+1F600 (4), U+10FFFF (the last code point). */
  expect_json("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf",
              "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\"");
}

static void test_json_invalid_utf8(void **state) {
  (void)state;
  expect_json("a\xff"
              "b",
              "\"a\\ufffdb\"");
  /* Overlong '/', a UTF-16 surrogate, beyond U+10FFFF, truncated at end. */
  expect_json("\xc0\xaf", "\"\\ufffd\\ufffd\"");
  expect_json("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");
  expect_json("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
  expect_json("x\xe2\x82", "\"x\\ufffd\\ufffd\"");
  expect_json("\xe0\x80\x80", "\"\\ufffd\\ufffd\\ufffd\"");
}

static void expect_iso(uint64_t ft, int ns, const char *want) {
  char buf[64];

  assert_int_equal(dfsc__fe_filetime_iso(ft, ns, buf, sizeof(buf)), (int)strlen(want));
  assert_string_equal(buf, want);
}

static void test_filetime_known(void **state) {
  (void)state;
  expect_iso(116444736000000000ULL, 0, "1970-01-01T00:00:00Z");
  expect_iso(116444736000000000ULL, 1, "1970-01-01T00:00:00.000000000Z");
  expect_iso(0, 0, "1601-01-01T00:00:00Z");
  expect_iso(125911584000000000ULL, 0, "2000-01-01T00:00:00Z");
  /* 2^31 s after the Unix epoch. */
  expect_iso(137919572480000000ULL, 0, "2038-01-19T03:14:08Z");
  /* 2024-02-29T12:34:56.789Z leap day, 1709210096 s. */
  expect_iso(133536836967890000ULL, 1, "2024-02-29T12:34:56.789000000Z");
}

static void test_filetime_fraction(void **state) {
  (void)state;
  expect_iso(116444736000000001ULL, 1, "1970-01-01T00:00:00.000000100Z");
  /* One tick before the epoch: floor, not truncation toward zero. */
  expect_iso(116444735999999999ULL, 1, "1969-12-31T23:59:59.999999900Z");
  expect_iso(116444735999999999ULL, 0, "1969-12-31T23:59:59Z");
}

static void test_filetime_limits(void **state) {
  char buf[64];
  int n;

  (void)state;
  n = dfsc__fe_filetime_iso(UINT64_MAX, 1, buf, sizeof(buf));
  assert_true(n > 0);
  assert_memory_equal(buf, "60056-", 6);
  assert_int_equal(dfsc__fe_filetime_iso(0, 0, buf, 20), -1);
  assert_int_equal(dfsc__fe_filetime_iso(0, 0, buf, 21), 20);
}

static void test_attr_names(void **state) {
  const char *names[4] = {NULL, NULL, NULL, NULL};

  (void)state;
  assert_int_equal(dfsc__fe_attr_names(0x31, names, 4), 3);
  assert_string_equal(names[0], "READONLY");
  assert_string_equal(names[1], "DIRECTORY");
  assert_string_equal(names[2], "ARCHIVE");
  assert_int_equal(dfsc__fe_attr_names(0, names, 4), 0);
  /* 0x40 and 0x8 are unnamed (reserved). */
  assert_int_equal(dfsc__fe_attr_names(0x48, names, 4), 0);
  names[1] = NULL;
  assert_int_equal(dfsc__fe_attr_names(0x0407, names, 1), 4);
  assert_string_equal(names[0], "READONLY");
  assert_null(names[1]);
}

static void expect_human(uint64_t n, const char *want) {
  char buf[32];

  assert_string_equal(dfsc__fe_human_bytes(n, buf, sizeof(buf)), want);
}

static void test_human_bytes(void **state) {
  (void)state;
  expect_human(0, "0 B");
  expect_human(1023, "1023 B");
  expect_human(1024, "1.00 KiB");
  expect_human(1536, "1.50 KiB");
  expect_human(10u * 1024 * 1024, "10.0 MiB");
  expect_human(100u * 1024 * 1024, "100 MiB");
  expect_human(UINT64_MAX, "16.0 EiB");
}

static void expect_progress(uint64_t done, uint64_t total, int known, double el,
                            const char *want) {
  char buf[160];

  assert_int_equal(dfsc__cli_progress_format(buf, sizeof(buf), done, total, known, el),
                   (int)strlen(want));
  assert_string_equal(buf, want);
}

static void test_progress_format(void **state) {
  const uint64_t mib = 1024 * 1024;
  char small[8];

  (void)state;
  expect_progress(0, 100, 1, 0.0, "0 B / 100 B   0%");
  expect_progress(50 * mib, 100 * mib, 1, 5.0,
                  "50.0 MiB / 100 MiB  50% 10.0 MiB/s ETA 0:05");
  expect_progress(100 * mib, 100 * mib, 1, 10.0,
                  "100 MiB / 100 MiB 100% 10.0 MiB/s ETA 0:00");
  expect_progress(0, 0, 1, 1.0, "0 B / 0 B 100%");
  expect_progress(mib, 0, 0, 1.0, "1.00 MiB 1.00 MiB/s");
  expect_progress(mib, 0, 0, 0.0, "1.00 MiB");
  /* 1 KiB/s with 4 GiB left: the ETA is capped at 99:59:59. */
  expect_progress(1024, 4096 * mib, 1, 1.0,
                  "1.00 KiB / 4.00 GiB   0% 1.00 KiB/s ETA 99:59:59");
  /* 1 MiB/s with 90 MiB left: 1:30. */
  expect_progress(10 * mib, 100 * mib, 1, 10.0,
                  "10.0 MiB / 100 MiB  10% 1.00 MiB/s ETA 1:30");
  assert_int_equal(dfsc__cli_progress_format(small, sizeof(small), 0, 0, 0, 0.0), 3);
  assert_int_equal(dfsc__cli_progress_format(small, sizeof(small), 1000, 5000, 1, 0.0), 7);
  assert_string_equal(small, "1000 B ");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_json_plain_and_quotes),
      cmocka_unit_test(test_json_control),
      cmocka_unit_test(test_json_c1),
      cmocka_unit_test(test_json_utf8_passes),
      cmocka_unit_test(test_json_invalid_utf8),
      cmocka_unit_test(test_filetime_known),
      cmocka_unit_test(test_filetime_fraction),
      cmocka_unit_test(test_filetime_limits),
      cmocka_unit_test(test_attr_names),
      cmocka_unit_test(test_human_bytes),
      cmocka_unit_test(test_progress_format),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
