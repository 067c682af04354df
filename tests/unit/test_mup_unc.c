/* UNC parsing: the three forms, normalisation, and what must be refused. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dfsc/errors.h"
#include "mup/unc.h"

static void expect_ok(const char *in, const char *host, const char *share,
                      const char *path) {
  dfsc_unc u;
  int rc = dfsc__unc_parse(in, 1, &u);
  assert_int_equal(rc, 0);
  assert_string_equal(u.host, host);
  assert_string_equal(u.share, share);
  assert_string_equal(u.path, path);
}

static void expect_bad(const char *in) {
  dfsc_unc u;
  assert_int_equal(dfsc__unc_parse(in, 1, &u), DFSC_E_BADPATH);
}

static void test_backslash(void **state) {
  (void)state;
  expect_ok("\\\\fs1\\data\\a\\b.txt", "fs1", "data", "a\\b.txt");
  expect_ok("\\\\fs1\\data", "fs1", "data", "");
  expect_ok("\\\\fs1\\data\\", "fs1", "data", "");
  /* A bracketed IPv6 literal, as in the URL form: the address alone. */
  expect_ok("\\\\[::1]\\data\\a", "::1", "data", "a");
  expect_ok("//[fe80::1%eth0]/data", "fe80::1%eth0", "data", "");
  expect_ok("//::1/data", "::1", "data", "");
}

static void test_slash_and_mixed(void **state) {
  (void)state;
  expect_ok("//fs1/data/a/b.txt", "fs1", "data", "a\\b.txt");
  expect_ok("//fs1/data//a///b.txt/", "fs1", "data", "a\\b.txt");
  expect_ok("/\\fs1\\data/a\\./b", "fs1", "data", "a\\b");
  expect_ok("//fs1/data/Grüße/日本.txt", "fs1", "data", "Grüße\\日本.txt");
}

static void test_url(void **state) {
  dfsc_unc u;
  (void)state;
  assert_int_equal(dfsc__unc_parse("smb://DOM;alice:p%40ss@fs1:4450/data/x%20y.txt", 1, &u),
                   0);
  assert_string_equal(u.domain, "DOM");
  assert_string_equal(u.user, "alice");
  assert_string_equal(u.password, "p@ss");
  assert_int_equal(u.has_user, 1);
  assert_int_equal(u.has_password, 1);
  assert_string_equal(u.host, "fs1");
  assert_int_equal(u.port, 4450);
  assert_string_equal(u.share, "data");
  assert_string_equal(u.path, "x y.txt");

  assert_int_equal(dfsc__unc_parse("smb://bob@[::1]/s/p", 1, &u), 0);
  assert_string_equal(u.host, "::1");
  assert_string_equal(u.user, "bob");
  assert_int_equal(u.has_password, 0);
  assert_int_equal(u.port, 0);

  assert_int_equal(dfsc__unc_parse("smb://fs1//data//x", 1, &u), 0);
  assert_string_equal(u.share, "data");
  assert_string_equal(u.path, "x");

  assert_int_equal(dfsc__unc_parse("SMB://fs1/data", 1, &u), 0);
  assert_int_equal(u.has_user, 0);
  assert_string_equal(u.share, "data");
}

static void test_refused(void **state) {
  dfsc_unc u;
  (void)state;
  expect_bad("fs1/data/x");
  expect_bad("\\fs1\\data");
  expect_bad("//");
  expect_bad("//fs1");
  expect_bad("//fs1/");
  expect_bad("//fs1/data/../x"); /* climbing out of the share */
  expect_bad("//fs1/data/a/../../x");
  expect_bad("smb://fs1/data/a%2Fb"); /* encoded separator */
  expect_bad("smb://fs1/data/a%00b"); /* encoded NUL */
  expect_bad("smb://fs1/data/a%4");   /* truncated escape */
  expect_bad("smb://fs1:0/data");
  expect_bad("smb://fs1:70000/data");
  expect_bad("smb://fs1:44x/data");
  expect_bad("smb:///data");
  expect_bad("smb://host/a%5Cb/x"); /* a separator inside the share */
  expect_bad("smb://host/a\\b/x");
  expect_bad("smb://a%2Fb/share"); /* ... inside the host */
  expect_bad("//h/../x");          /* a share named .. */
  expect_bad("smb://h/%2e%2e/x");
  expect_bad("//[::1/data");   /* an unclosed bracket */
  expect_bad("//[::1]x/data"); /* something after it */
  expect_bad("//[]/data");
  expect_bad("//[fs1]/data"); /* brackets hold an IPv6 literal only */
  expect_bad("//[[::1]]/data");
  expect_bad("smb://[[::]/x"); /* the same rules in the URL form */
  expect_bad("smb://[fs1]/x");
  expect_bad("smb://%5b::1%5d/x"); /* brackets, not encoded (fuzz_unc) */
  expect_bad("smb://%5b%80/x");
  expect_bad("smb://fs%5d1/x");
  assert_int_equal(dfsc__unc_parse(NULL, 1, &u), DFSC_E_BADPATH);
  /* A host alone is fine when no share is needed. */
  assert_int_equal(dfsc__unc_parse("//fs1", 0, &u), 0);
  assert_string_equal(u.host, "fs1");
  assert_string_equal(u.share, "");
}

static void test_limits(void **state) {
  char big[DFSC_UNC_MAX + 64];
  dfsc_unc u;
  (void)state;
  memset(big, 'a', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  memcpy(big, "//h/s/", 6);
  /* A path the client cannot hold is too long, not malformed. */
  assert_int_equal(dfsc__unc_parse(big, 1, &u), -ENAMETOOLONG);
  big[DFSC_UNC_MAX] = '\0';
  assert_int_equal(dfsc__unc_parse(big, 1, &u), -ENAMETOOLONG);
  /* One byte shorter, in components of 100: parsed. */
  for (size_t i = 6; i < DFSC_UNC_MAX - 1; i++)
    big[i] = i % 100 == 0 ? '/' : 'a';
  big[DFSC_UNC_MAX - 1] = '\0';
  assert_int_equal(dfsc__unc_parse(big, 1, &u), 0);
  memset(big, 'a', sizeof(big) - 1);
  memset(big, 'h', 300);
  memcpy(big, "//", 2);
  strcpy(big + 300, "/s/p");
  assert_int_equal(dfsc__unc_parse(big, 1, &u), DFSC_E_BADPATH);
}

static void test_format(void **state) {
  dfsc_unc u;
  char buf[128];
  (void)state;
  assert_int_equal(dfsc__unc_parse("\\\\fs1\\data\\a\\b", 1, &u), 0);
  dfsc__unc_format(&u, buf, sizeof(buf));
  assert_string_equal(buf, "//fs1/data/a/b");
  assert_int_equal(dfsc__unc_parse("//fs1/data", 1, &u), 0);
  dfsc__unc_format(&u, buf, sizeof(buf));
  assert_string_equal(buf, "//fs1/data");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_backslash), cmocka_unit_test(test_slash_and_mixed),
      cmocka_unit_test(test_url),       cmocka_unit_test(test_refused),
      cmocka_unit_test(test_limits),    cmocka_unit_test(test_format),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
