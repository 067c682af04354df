/* The CLI's security settings (tools/dfsc/config.c): the encrypt, ciphers
 * and cred_servers keys, the comma-list splitter and the cipher check that
 * --ciphers and --cred-servers share with the configuration file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../tools/dfsc/config.c"

static int parse(const char *t, dfsc_opts *o, char *err) {
  memset(o, 0, sizeof(*o));
  return dfsc__cli_config_parse(t, strlen(t), "sec.conf", o, err, 256);
}

static void test_split(void **state) {
  char store[64];
  const char *items[4];
  (void)state;
  assert_int_equal(dfsc__cli_split_list(" fs1 ,*.dfs.test", store, sizeof(store), items, 4),
                   2);
  assert_string_equal(items[0], "fs1");
  assert_string_equal(items[1], "*.dfs.test");
  assert_null(items[2]);
  assert_int_equal(dfsc__cli_split_list("a,b,c", store, sizeof(store), items, 4), 3);
  assert_null(items[3]);
  /* Too many for the slots, empty items, empty list, too long. */
  assert_int_equal(dfsc__cli_split_list("a,b,c,d", store, sizeof(store), items, 4),
                   -EINVAL);
  assert_int_equal(dfsc__cli_split_list("a,,b", store, sizeof(store), items, 4), -EINVAL);
  assert_int_equal(dfsc__cli_split_list("a,", store, sizeof(store), items, 4), -EINVAL);
  assert_int_equal(dfsc__cli_split_list("", store, sizeof(store), items, 4), -EINVAL);
  assert_int_equal(dfsc__cli_split_list("abcdefgh", store, 8, items, 4), -EINVAL);
}

static void test_check_ciphers(void **state) {
  char err[256] = "";
  (void)state;
  assert_int_equal(dfsc__cli_check_ciphers("aes-128-gcm,AES-256-CCM", err, sizeof(err)), 0);
  assert_int_equal(dfsc__cli_check_ciphers("aes-128-gcm,aes-512", err, sizeof(err)),
                   -EINVAL);
  assert_non_null(strstr(err, "'aes-512'"));
  assert_int_equal(dfsc__cli_check_ciphers("aes-128-ccm,aes-128-ccm", err, sizeof(err)),
                   -EINVAL);
  assert_non_null(strstr(err, "twice"));
  assert_int_equal(dfsc__cli_check_ciphers("", err, sizeof(err)), -EINVAL);
}

static void test_config_keys(void **state) {
  dfsc_opts o;
  char err[256] = "";
  (void)state;
  assert_int_equal(parse("encrypt = yes\n"
                         "ciphers = aes-256-gcm, aes-128-ccm\n"
                         "cred-servers = *.dfs.test, fs1\n",
                         &o, err),
                   0);
  assert_int_equal(o.encrypt, 1);
  assert_string_equal(o.ciphers, "aes-256-gcm, aes-128-ccm");
  assert_non_null(o.cred_servers);
  assert_string_equal(o.cred_servers[0], "*.dfs.test");
  assert_string_equal(o.cred_servers[1], "fs1");
  assert_null(o.cred_servers[2]);
  assert_int_equal(parse("encrypt = off\n", &o, err), 0);
  assert_int_equal(o.encrypt, 0);
  assert_int_equal(dfsc__cli_config_set("encrypt", "TRUE", &o, err, sizeof(err)), 0);
  assert_int_equal(o.encrypt, 1);
}

static void test_config_errors(void **state) {
  dfsc_opts o;
  char err[256] = "";
  (void)state;
  assert_int_equal(parse("encrypt = maybe\n", &o, err), -EINVAL);
  assert_string_equal(err, "sec.conf:1: encrypt: expected yes or no, not 'maybe'");
  assert_int_equal(parse("\nciphers = aes-128-gcm,des\n", &o, err), -EINVAL);
  assert_non_null(strstr(err, "sec.conf:2: ciphers: unknown cipher 'des'"));
  assert_null(o.ciphers);
  assert_int_equal(parse("cred_servers = fs1,,fs2\n", &o, err), -EINVAL);
  assert_non_null(strstr(err, "sec.conf:1: cred_servers"));
  assert_null(o.cred_servers);
  assert_int_equal(dfsc__cli_config_set("nope", "1", &o, err, sizeof(err)), -EINVAL);
  assert_string_equal(err, "unknown key 'nope'");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_split),
      cmocka_unit_test(test_check_ciphers),
      cmocka_unit_test(test_config_keys),
      cmocka_unit_test(test_config_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
