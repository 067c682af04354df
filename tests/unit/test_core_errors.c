/* Error names and messages, a result's detail and the complaint record
 * behind it, FILETIME conversion. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/log.h"
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

static void test_result_str_detail(void **state) {
  dfsc_result r;
  char buf[256];
  (void)state;
  memset(&r, 0, sizeof(r));
  r.path = "//fs1/share/f";
  r.err = DFSC_E_PROTO;
  assert_string_equal(dfsc_result_str(&r, buf, sizeof(buf)),
                      "//fs1/share/f: malformed or unexpected protocol data");
  r.detail = "READ response: DataLength larger than the Length asked";
  assert_string_equal(
      dfsc_result_str(&r, buf, sizeof(buf)),
      "//fs1/share/f: malformed or unexpected protocol data: READ response: "
      "DataLength larger than the Length asked");
  /* A detail goes with DFSC_E_PROTO only. */
  r.err = DFSC_E_NTSTATUS;
  r.ntstatus = 0xC0000034u;
  assert_string_equal(dfsc_result_str(&r, buf, sizeof(buf)),
                      "//fs1/share/f: STATUS_OBJECT_NAME_NOT_FOUND");
  /* Cut at the buffer, NUL-terminated. */
  r.err = DFSC_E_PROTO;
  assert_int_equal(strlen(dfsc_result_str(&r, buf, 20)), 19);
}

static int lines;
static char last[256];
static void log_cb(void *arg, int level, int category, const char *msg) {
  (void)arg;
  (void)level;
  (void)category;
  lines++;
  snprintf(last, sizeof(last), "%s", msg);
}

static void test_complaints(void **state) {
  dfsc__whyrec rec = {0};
  dfsc_logger lg = {log_cb, NULL, DFSC_LOG_WARN, &rec};
  dfsc_logger quiet = {NULL, NULL, -1, &rec};
  dfsc_logger none = {log_cb, NULL, DFSC_LOG_TRACE, NULL};
  uint64_t m0, m1;
  (void)state;
  m0 = dfsc__why_seq(&lg);
  assert_null(dfsc__why_since(&lg, m0));
  dfsc__complain(&lg, DFSC_LOG_WARN, DFSC_CAT_SMB2, "fs1", "first");
  assert_string_equal(last, "fs1: malformed answer: first");
  assert_string_equal(dfsc__why_since(&lg, m0), "first");
  m1 = dfsc__why_seq(&lg);
  assert_true(m1 > m0);
  assert_null(dfsc__why_since(&lg, m1)); /* nothing since */
  /* Recorded even when the line is below the level or nobody logs. */
  dfsc__complain(&lg, DFSC_LOG_DEBUG, DFSC_CAT_SMB2, "fs1", "second");
  assert_int_equal(lines, 1);
  dfsc__complain(&quiet, DFSC_LOG_ERROR, DFSC_CAT_SMB2, NULL, "third");
  assert_int_equal(lines, 1);
  assert_string_equal(dfsc__why_since(&lg, m1), "third");
  assert_string_equal(dfsc__why_since(&lg, m0), "third"); /* the latest */
  /* No record: logged, nothing kept. */
  dfsc__complain(&none, DFSC_LOG_ERROR, DFSC_CAT_SMB2, NULL, "fourth");
  assert_string_equal(last, "?: malformed answer: fourth");
  assert_int_equal(dfsc__why_seq(&none), 0);
  assert_null(dfsc__why_since(&none, 0));
  dfsc__complain(NULL, DFSC_LOG_ERROR, DFSC_CAT_SMB2, "x", "ignored");
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
  /* And back, truncated to whole ticks; 0 where FILETIME cannot hold it. */
  assert_true(dfsc_filetime_from_unix(0, 0) == 116444736000000000ull);
  assert_true(dfsc_filetime_from_unix(1500, 199) == 116444736000000000ull + 15000000001ull);
  assert_true(dfsc_filetime_from_unix(-1, 999999900) == 116444736000000000ull - 1);
  assert_true(dfsc_filetime_from_unix(-11644473600LL, 0) == 0); /* 1601 itself */
  assert_true(dfsc_filetime_from_unix(-11644473600LL, 100) == 1);
  assert_true(dfsc_filetime_from_unix(-11644473601LL, 0) == 0);
  assert_true(dfsc_filetime_from_unix(INT64_MAX, 0) == 0);
  assert_true(dfsc_filetime_from_unix(0, -1) == 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_names),
      cmocka_unit_test(test_every_project_code_named),
      cmocka_unit_test(test_result_str_detail),
      cmocka_unit_test(test_complaints),
      cmocka_unit_test(test_filetime),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
