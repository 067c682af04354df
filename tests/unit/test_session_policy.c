/* Unit tests for src/session/policy.c: the cipher offer parser, the
 * credential-server glob match, and the hardened-path patterns (which
 * \\host\share need Kerberos mutual authentication and signing). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/glob.h"
#include "session/policy.h"
#include "smb2/smb2.h"

static void test_ciphers_default(void **state) {
  uint16_t c[DFSC_CIPHERS_MAX];
  size_t n = 0;
  (void)state;
  assert_int_equal(dfsc__policy_parse_ciphers(NULL, c, &n), 0);
  assert_int_equal(n, 4);
  assert_int_equal(c[0], SMB2_ENCRYPTION_AES128_GCM);
  assert_int_equal(c[1], SMB2_ENCRYPTION_AES128_CCM);
  assert_int_equal(c[2], SMB2_ENCRYPTION_AES256_GCM);
  assert_int_equal(c[3], SMB2_ENCRYPTION_AES256_CCM);
  n = 0;
  assert_int_equal(dfsc__policy_parse_ciphers("", c, &n), 0);
  assert_int_equal(n, 4);
}

static void test_ciphers_order_and_case(void **state) {
  uint16_t c[DFSC_CIPHERS_MAX];
  size_t n = 0;
  (void)state;
  assert_int_equal(dfsc__policy_parse_ciphers("AES-256-CCM, aes-128-gcm", c, &n), 0);
  assert_int_equal(n, 2);
  assert_int_equal(c[0], SMB2_ENCRYPTION_AES256_CCM);
  assert_int_equal(c[1], SMB2_ENCRYPTION_AES128_GCM);
  assert_int_equal(dfsc__policy_parse_ciphers("aes-128-ccm", c, &n), 0);
  assert_int_equal(n, 1);
  assert_int_equal(c[0], SMB2_ENCRYPTION_AES128_CCM);
  assert_int_equal(
      dfsc__policy_parse_ciphers("aes-256-gcm,aes-256-ccm,aes-128-ccm,aes-128-gcm", c, &n),
      0);
  assert_int_equal(n, 4);
  assert_int_equal(c[0], SMB2_ENCRYPTION_AES256_GCM);
  assert_int_equal(c[3], SMB2_ENCRYPTION_AES128_GCM);
}

static void test_ciphers_errors(void **state) {
  static const char *const bad[] = {"aes-512-gcm",
                                    "aes-128-gcm,",
                                    ",aes-128-gcm",
                                    "aes-128-gcm,,aes-128-ccm",
                                    "aes-128-gcm,AES-128-GCM",
                                    "aes-128-gcmx",
                                    "aes-128",
                                    " , "};
  uint16_t c[DFSC_CIPHERS_MAX];
  size_t n = 99, i;
  (void)state;
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    n = 99;
    assert_int_equal(dfsc__policy_parse_ciphers(bad[i], c, &n), -EINVAL);
    assert_int_equal(n, 99); /* untouched on error */
  }
}

static void test_cipher_names(void **state) {
  (void)state;
  assert_string_equal(dfsc__policy_cipher_name(SMB2_ENCRYPTION_AES128_GCM), "AES-128-GCM");
  assert_string_equal(dfsc__policy_cipher_name(SMB2_ENCRYPTION_AES256_CCM), "AES-256-CCM");
  assert_string_equal(dfsc__policy_cipher_name(0), "none");
  assert_string_equal(dfsc__policy_cipher_name(9), "?");
}

static void test_glob(void **state) {
  (void)state;
  assert_int_equal(dfsc__glob_match("fs1", "fs1"), 1);
  assert_int_equal(dfsc__glob_match("fs1", "FS1"), 1);
  assert_int_equal(dfsc__glob_match("fs1", "fs10"), 0);
  assert_int_equal(dfsc__glob_match("fs1", "fs"), 0);
  assert_int_equal(dfsc__glob_match("*.dfs.test", "fs1.dfs.test"), 1);
  assert_int_equal(dfsc__glob_match("*.dfs.test", "a.b.DFS.TEST"), 1);
  assert_int_equal(dfsc__glob_match("*.dfs.test", "dfs.test"), 0);
  assert_int_equal(dfsc__glob_match("*.dfs.test", "evil.dfs.test.attacker"), 0);
  assert_int_equal(dfsc__glob_match("fs?", "fs2"), 1);
  assert_int_equal(dfsc__glob_match("fs?", "fs"), 0);
  assert_int_equal(dfsc__glob_match("127.0.0.1?", "127.0.0.12"), 1);
  assert_int_equal(dfsc__glob_match("127.0.0.1?", "127.0.0.1"), 0);
  assert_int_equal(dfsc__glob_match("*", ""), 1);
  assert_int_equal(dfsc__glob_match("", ""), 1);
  assert_int_equal(dfsc__glob_match("", "x"), 0);
  assert_int_equal(dfsc__glob_match("a*b*c", "aXXbYYc"), 1);
  assert_int_equal(dfsc__glob_match("a*b*c", "aXXbYY"), 0);
  assert_int_equal(dfsc__glob_match("**x", "yyx"), 1);
  /* Backtracking stays linear: a long non-match returns. */
  assert_int_equal(
      dfsc__glob_match("*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
      0);
}

static void test_server_allowed(void **state) {
  static const char *const pats[] = {"*.dfs.test", "fs1", NULL};
  static const char *const none[] = {NULL};
  (void)state;
  assert_int_equal(dfsc__policy_server_allowed(NULL, "anything"), 1);
  assert_int_equal(dfsc__policy_server_allowed(pats, "fs1"), 1);
  assert_int_equal(dfsc__policy_server_allowed(pats, "dc1.dfs.test"), 1);
  assert_int_equal(dfsc__policy_server_allowed(pats, "fs2"), 0);
  assert_int_equal(dfsc__policy_server_allowed(none, "fs1"), 0);
}

static void test_hardened_defaults(void **state) {
  (void)state;
  /* NULL: \\*\SYSVOL and \\*\NETLOGON, any host, any case. */
  assert_int_equal(dfsc__policy_hardened(NULL, "dc1", "SYSVOL"), 1);
  assert_int_equal(dfsc__policy_hardened(NULL, "dc1.dfs.test", "sysvol"), 1);
  assert_int_equal(dfsc__policy_hardened(NULL, "127.0.0.11", "SysVol"), 1);
  assert_int_equal(dfsc__policy_hardened(NULL, "fs1", "NETLOGON"), 1);
  assert_int_equal(dfsc__policy_hardened(NULL, "FS1", "netlogon"), 1);
  /* Only those two shares, whole names only. */
  assert_int_equal(dfsc__policy_hardened(NULL, "dc1", "DATA"), 0);
  assert_int_equal(dfsc__policy_hardened(NULL, "dc1", "SYSVOL2"), 0);
  assert_int_equal(dfsc__policy_hardened(NULL, "dc1", "SYSVO"), 0);
  assert_int_equal(dfsc__policy_hardened(NULL, "dc1", "xNETLOGON"), 0);
  assert_int_equal(dfsc__policy_hardened(NULL, "dc1", ""), 0);
}

static void test_hardened_custom(void **state) {
  static const char *const pats[] = {"//fs*/secure", "\\\\dc1\\*", NULL};
  static const char *const bad_only[] = {"fs1\\secure", "\\\\fs1", "\\\\fs1\\secure\\x", "",
                                         NULL};
  static const char *const none[] = {NULL};
  (void)state;
  /* '/' separators, a host glob, case-insensitive. */
  assert_int_equal(dfsc__policy_hardened(pats, "fs1", "secure"), 1);
  assert_int_equal(dfsc__policy_hardened(pats, "FS22.dfs.test", "SECURE"), 1);
  assert_int_equal(dfsc__policy_hardened(pats, "fs", "secure"), 1);
  assert_int_equal(dfsc__policy_hardened(pats, "fs1", "secure2"), 0);
  assert_int_equal(dfsc__policy_hardened(pats, "fs1", "data"), 0);
  assert_int_equal(dfsc__policy_hardened(pats, "xfs1", "secure"), 0);
  /* Every share of dc1, and only of dc1. */
  assert_int_equal(dfsc__policy_hardened(pats, "dc1", "data"), 1);
  assert_int_equal(dfsc__policy_hardened(pats, "DC1", "SYSVOL"), 1);
  assert_int_equal(dfsc__policy_hardened(pats, "dc2", "data"), 0);
  /* A list replaces the defaults: SYSVOL elsewhere is no longer hardened. */
  assert_int_equal(dfsc__policy_hardened(pats, "dc2", "SYSVOL"), 0);
  assert_int_equal(dfsc__policy_hardened(pats, "fs1", "NETLOGON"), 0);
  /* Malformed patterns match nothing (they are refused at configuration). */
  assert_int_equal(dfsc__policy_hardened(bad_only, "fs1", "secure"), 0);
  assert_int_equal(dfsc__policy_hardened(bad_only, "fs1", "x"), 0);
  /* An empty list: nothing hardened, not even the defaults. */
  assert_int_equal(dfsc__policy_hardened(none, "dc1", "SYSVOL"), 0);
  assert_int_equal(dfsc__policy_hardened(none, "dc1", "NETLOGON"), 0);
}

static void test_hardened_valid(void **state) {
  static const char *const good[] = {"\\\\h\\s",     "//h/s",     "\\\\*\\SYSVOL",
                                     "//fs*/secure", "\\/h/s",    "\\\\h\\s\\",
                                     "//h/s//",      "\\\\a?c\\*"};
  static const char *const bad[] = {"\\\\h",   "h\\s",       "\\\\h\\s\\x", "",
                                    "\\h\\s",  "\\\\\\h\\s", "\\\\h\\\\s",  "\\\\\\s",
                                    "\\\\h\\", "//h",        "//",          "/h/s"};
  char long_host[300];
  size_t i;
  (void)state;
  for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
    if (!dfsc__policy_hardened_valid(good[i]))
      fail_msg("refused a good pattern: '%s'", good[i]);
  }
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    if (dfsc__policy_hardened_valid(bad[i]))
      fail_msg("accepted a bad pattern: '%s'", bad[i]);
  }
  /* A host longer than a DNS name (255) is refused, not cut. */
  memcpy(long_host, "\\\\", 2);
  memset(long_host + 2, 'h', 256);
  memcpy(long_host + 2 + 256, "\\s", 3);
  assert_int_equal(dfsc__policy_hardened_valid(long_host), 0);
  memcpy(long_host + 2 + 255, "\\s", 3);
  assert_int_equal(dfsc__policy_hardened_valid(long_host), 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ciphers_default),
      cmocka_unit_test(test_ciphers_order_and_case),
      cmocka_unit_test(test_ciphers_errors),
      cmocka_unit_test(test_cipher_names),
      cmocka_unit_test(test_glob),
      cmocka_unit_test(test_server_allowed),
      cmocka_unit_test(test_hardened_defaults),
      cmocka_unit_test(test_hardened_custom),
      cmocka_unit_test(test_hardened_valid),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
