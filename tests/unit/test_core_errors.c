/* Error names and messages, FILETIME conversion. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dfsc/dfsc.h"

static void test_names(void **state) {
  (void)state;
  assert_string_equal(dfsc_err_name(0), "OK");
  assert_string_equal(dfsc_err_name(DFSC_E_NTSTATUS), "DFSC_E_NTSTATUS");
  assert_string_equal(dfsc_err_name(DFSC_E_DEADLK), "DFSC_E_DEADLK");
  assert_string_equal(dfsc_err_name(-ETIMEDOUT), "ETIMEDOUT");
  assert_string_equal(dfsc_err_name(-ECONNREFUSED), "ECONNREFUSED");
  assert_string_equal(dfsc_strerror(DFSC_E_SIGNATURE), "message signature check failed");
  assert_non_null(strstr(dfsc_strerror(-ECONNREFUSED), "refused"));
  assert_string_equal(dfsc_ntstatus_name(0xC000006Du), "STATUS_LOGON_FAILURE");
  assert_string_equal(dfsc_ntstatus_name(0xC0000034u), "STATUS_OBJECT_NAME_NOT_FOUND");
  assert_string_equal(dfsc_ntstatus_name(0xC00000CCu), "STATUS_BAD_NETWORK_NAME");
  assert_string_equal(dfsc_ntstatus_name(0xC0000257u), "STATUS_PATH_NOT_COVERED");
  assert_string_equal(dfsc_ntstatus_name(0xC0DEC0DEu), "0xC0DEC0DE");
}

static void test_every_project_code_named(void **state) {
  int e;
  (void)state;
  for (e = DFSC_E_BASE - 1; e > DFSC_E_LAST_; e--) {
    const char *n = dfsc_err_name(e);
    assert_non_null(n);
    assert_int_equal(strncmp(n, "DFSC_E_", 7), 0);
    assert_true(strlen(dfsc_strerror(e)) > 5);
  }
}

static void test_filetime(void **state) {
  int64_t s;
  long ns;
  (void)state;
  dfsc_filetime_to_unix(116444736000000000ull, &s, &ns);
  assert_int_equal(s, 0);
  assert_int_equal(ns, 0);
  dfsc_filetime_to_unix(116444736000000000ull + 15000000001ull, &s, &ns);
  assert_int_equal(s, 1500);
  assert_int_equal(ns, 100);
  dfsc_filetime_to_unix(116444736000000000ull - 1, &s, &ns);
  assert_int_equal(s, -1);
  assert_int_equal(ns, 999999900);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_names),
      cmocka_unit_test(test_every_project_code_named),
      cmocka_unit_test(test_filetime),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
