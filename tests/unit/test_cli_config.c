/* The CLI's configuration file parser (tools/dfsc/config.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../tools/dfsc/config.c"

static int parse(const char *t, dfsc_opts *o, char *err) {
  dfsc_opts_init(o);
  return dfsc__cli_config_parse(t, strlen(t), "test.conf", o, err, 256);
}

static void test_good(void **state) {
  dfsc_opts o;
  char err[256];
  (void)state;
  assert_int_equal(parse("# bounds\n"
                         "workers = 1\n"
                         "Max-Referrals=2 ; inline comment\n"
                         "max_referrals_per_server = 1\n"
                         "max-connects = 3\r\n"
                         "\n"
                         "submit_queue_max = 1000\n"
                         "referral-queue-max = 2000\n"
                         "lookup_queue_max = 30\n"
                         "connect-timeout = 1.5\n"
                         "setup_timeout = 20\n"
                         "request_timeout = 0.25\n"
                         "idle-timeout = 1500\n"
                         "max_conns = 7\n",
                         &o, err),
                   0);
  assert_int_equal(o.size, sizeof(o));
  assert_int_equal(o.idle_timeout_ms, 1500); /* milliseconds, not seconds */
  assert_int_equal(o.max_conns, 7);
  assert_int_equal(o.lookup_workers, 1);
  assert_int_equal(o.max_referrals, 2);
  assert_int_equal(o.max_referrals_per_server, 1);
  assert_int_equal(o.max_connects, 3);
  assert_int_equal(o.submit_queue_max, 1000);
  assert_int_equal(o.referral_queue_max, 2000);
  assert_int_equal(o.lookup_queue_max, 30);
  assert_int_equal(o.connect_timeout_ms, 1500);
  assert_int_equal(o.setup_timeout_ms, 20000);
  assert_int_equal(o.request_timeout_ms, 250);
  /* Nothing named, nothing set. */
  assert_int_equal(parse("", &o, err), 0);
  assert_int_equal(o.max_connects, 0);
}

static void test_has_key(void **state) {
  (void)state;
  assert_int_equal(dfsc__cli_config_has_key("max_connects", 12), 1);
  assert_int_equal(dfsc__cli_config_has_key("Max-Connects", 12), 1);
  assert_int_equal(dfsc__cli_config_has_key("max_connects=4", 12), 1);
  assert_int_equal(dfsc__cli_config_has_key("encrypt", 7), 1);
  assert_int_equal(dfsc__cli_config_has_key("idle_timeout", 12), 1);
  assert_int_equal(dfsc__cli_config_has_key("max_conns", 9), 1);
  assert_int_equal(dfsc__cli_config_has_key("max_connect", 11), 0);
  assert_int_equal(dfsc__cli_config_has_key("nope", 4), 0);
  assert_int_equal(dfsc__cli_config_has_key("", 0), 0);
}

static void test_bad(void **state) {
  dfsc_opts o;
  char err[256];
  (void)state;
  assert_int_equal(parse("workers = 0\n", &o, err), -EINVAL);
  assert_non_null(strstr(err, "test.conf:1"));
  assert_int_equal(parse("workers = 65\n", &o, err), -EINVAL);
  /* NaN fails every comparison: it must not pass the range check. */
  assert_int_equal(parse("workers = nan\n", &o, err), -EINVAL);
  assert_int_equal(parse("request_timeout = NaN\n", &o, err), -EINVAL);
  assert_int_equal(parse("max_connects = 1.5\n", &o, err), -EINVAL);
  assert_int_equal(parse("max_connects = 2x\n", &o, err), -EINVAL);
  assert_int_equal(parse("\n\nnope = 1\n", &o, err), -EINVAL);
  assert_non_null(strstr(err, "test.conf:3: unknown key 'nope'"));
  assert_int_equal(parse("workers\n", &o, err), -EINVAL);
  assert_int_equal(parse("workers =\n", &o, err), -EINVAL);
  assert_int_equal(parse("= 3\n", &o, err), -EINVAL);
  assert_int_equal(parse("request_timeout = 0\n", &o, err), -EINVAL);
  assert_int_equal(parse("request_timeout = 90000\n", &o, err), -EINVAL);
}

/* get -r's bounds: CLI keys beside the library's, a count and a size. */
static void test_limits(void **state) {
  dfsc_opts o;
  char err[256];
  uint64_t v;
  (void)state;
  assert_int_equal(dfsc__cli_config_limits()->max_files, DFSC_CLI_MAX_FILES_DEFAULT);
  assert_int_equal(dfsc__cli_config_limits()->max_bytes, 0);
  assert_int_equal(parse("max_files = 250\nmax-bytes = 3M\n", &o, err), 0);
  assert_int_equal(dfsc__cli_config_limits()->max_files, 250);
  assert_int_equal(dfsc__cli_config_limits()->max_bytes, 3u << 20);
  assert_int_equal(dfsc__cli_config_set("max_bytes", "0", &o, err, sizeof(err)), 0);
  assert_int_equal(dfsc__cli_config_limits()->max_bytes, 0);
  assert_int_equal(dfsc__cli_config_set("max_files", "0", &o, err, sizeof(err)), 0);
  assert_int_equal(dfsc__cli_config_limits()->max_files, 0);
  assert_int_equal(dfsc__cli_config_has_key("max_files", 9), 1);
  /* A count takes no unit; junk, signs and overflow fail. */
  assert_int_equal(parse("max_files = 1K\n", &o, err), -EINVAL);
  assert_non_null(strstr(err, "test.conf:1: max_files: invalid value '1K'"));
  assert_int_equal(parse("max_files = -1\n", &o, err), -EINVAL);
  assert_int_equal(parse("max_bytes = 1X\n", &o, err), -EINVAL);
  assert_int_equal(parse("max_bytes = 1KB\n", &o, err), -EINVAL);
  assert_int_equal(parse("max_bytes = 17179869184G\n", &o, err), -EINVAL);
  /* Sizes: powers of 1024, any case; the largest values fit. */
  assert_int_equal(dfsc__cli_parse_size("0", &v), 0);
  assert_int_equal(v, 0);
  assert_int_equal(dfsc__cli_parse_size("7k", &v), 0);
  assert_int_equal(v, 7168);
  assert_int_equal(dfsc__cli_parse_size("2G", &v), 0);
  assert_int_equal(v, 2ull << 30);
  assert_int_equal(dfsc__cli_parse_size("1t", &v), 0);
  assert_int_equal(v, 1ull << 40);
  assert_int_equal(dfsc__cli_parse_size("18446744073709551615", &v), 0);
  assert_true(v == UINT64_MAX);
  assert_int_equal(dfsc__cli_parse_size("18446744073709551616", &v), -EINVAL);
  assert_int_equal(dfsc__cli_parse_size("16777216T", &v), -EINVAL);
  assert_int_equal(dfsc__cli_parse_size("", &v), -EINVAL);
  assert_int_equal(dfsc__cli_parse_size("K", &v), -EINVAL);
  assert_int_equal(dfsc__cli_parse_size(" 1", &v), -EINVAL);
}

/* The Kerberos keys: defaults, every word, and errors that name the line. */
static void test_kerberos(void **state) {
  dfsc_opts o;
  char err[256];
  int mode = -1;
  (void)state;
  /* Defaults: auto, NTLM allowed, no keytab or cache named, the default
   * hardened list, the library's lane sizes. */
  assert_int_equal(parse("", &o, err), 0);
  assert_int_equal(o.kerberos, DFSC_KERBEROS_AUTO);
  assert_int_equal(o.ntlm_off, 0);
  assert_null(o.keytab);
  assert_null(o.ccache);
  assert_null(o.hardened_paths);
  assert_int_equal(o.auth_workers, 0);
  assert_int_equal(o.auth_queue_max, 0);
  assert_int_equal(parse("kerberos = required\n"
                         "ntlm = off\n"
                         "keytab = /etc/dfsc/svc.keytab\n"
                         "CCache = FILE:/tmp/krb5cc_dfsc\n"
                         "auth-workers = 4\n"
                         "auth_queue_max = 100\n",
                         &o, err),
                   0);
  assert_int_equal(o.kerberos, DFSC_KERBEROS_REQUIRED);
  assert_int_equal(o.ntlm_off, 1);
  assert_string_equal(o.keytab, "/etc/dfsc/svc.keytab");
  assert_string_equal(o.ccache, "FILE:/tmp/krb5cc_dfsc");
  assert_int_equal(o.auth_workers, 4);
  assert_int_equal(o.auth_queue_max, 100);
  assert_int_equal(parse("kerberos = OFF\nntlm = on\n", &o, err), 0);
  assert_int_equal(o.kerberos, DFSC_KERBEROS_OFF);
  assert_int_equal(o.ntlm_off, 0);
  /* smbclient's "desired" is auto; a later line wins. */
  assert_int_equal(parse("kerberos = off\nkerberos = desired\n", &o, err), 0);
  assert_int_equal(o.kerberos, DFSC_KERBEROS_AUTO);
  /* The same keys from the command line (--keytab, --ntlm, ...). */
  assert_int_equal(dfsc__cli_config_set("kerberos", "auto", &o, err, sizeof(err)), 0);
  assert_int_equal(dfsc__cli_config_set("keytab", "svc.keytab", &o, err, sizeof(err)), 0);
  assert_string_equal(o.keytab, "svc.keytab");
  assert_int_equal(dfsc__cli_config_set("ntlm", "no", &o, err, sizeof(err)), 0);
  assert_int_equal(o.ntlm_off, 1);
  /* Errors name the file, line and key. */
  assert_int_equal(parse("\nkerberos = yes\n", &o, err), -EINVAL);
  assert_non_null(strstr(err, "test.conf:2: kerberos: expected required, auto or off"));
  assert_int_equal(parse("ntlm = maybe\n", &o, err), -EINVAL);
  assert_non_null(strstr(err, "test.conf:1: ntlm: expected on or off"));
  assert_int_equal(parse("auth_workers = 0\n", &o, err), -EINVAL);
  assert_int_equal(parse("auth_workers = 65\n", &o, err), -EINVAL);
  assert_int_equal(parse("auth_queue_max = 2000000\n", &o, err), -EINVAL);
  {
    char big[5000];
    memset(big, 'k', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(dfsc__cli_config_set("keytab", big, &o, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "keytab: longer than"));
  }
  /* The word parser the -k, --kerberos and --use-kerberos options share. */
  assert_int_equal(dfsc__cli_parse_kerberos(NULL, &mode), 0);
  assert_int_equal(mode, DFSC_KERBEROS_REQUIRED);
  assert_int_equal(dfsc__cli_parse_kerberos("Auto", &mode), 0);
  assert_int_equal(mode, DFSC_KERBEROS_AUTO);
  assert_int_equal(dfsc__cli_parse_kerberos("off", &mode), 0);
  assert_int_equal(mode, DFSC_KERBEROS_OFF);
  assert_int_equal(dfsc__cli_parse_kerberos("", &mode), -EINVAL);
  assert_int_equal(dfsc__cli_parse_kerberos("requiredx", &mode), -EINVAL);
  assert_int_equal(mode, DFSC_KERBEROS_OFF); /* unchanged by a refused word */
  assert_int_equal(dfsc__cli_config_has_key("kerberos", 8), 1);
  assert_int_equal(dfsc__cli_config_has_key("hardened-paths", 14), 1);
  assert_int_equal(dfsc__cli_config_has_key("auth_workers", 12), 1);
  assert_int_equal(dfsc__cli_config_has_key("krb5", 4), 0);
}

/* hardened_paths: a pattern list, none (off) or default (NULL). */
static void test_hardened_paths(void **state) {
  static const char *const bad[] = {
      "SYSVOL",       "\\\\host",      "\\\\host\\",   "\\\\\\share",
      "//host/a/b",   "\\host\\share", "//h/s,,//h/t", "//h/s,",
      "\\\\h\x01\\s", "none,//h/s",    "//h/ s\x7f",
  };
  dfsc_opts o;
  char err[256];
  size_t i;
  (void)state;
  assert_int_equal(
      parse("hardened_paths = \\\\*\\SYSVOL, //fs1/data ,\\\\DC?/NETLOGON\n", &o, err), 0);
  assert_non_null(o.hardened_paths);
  assert_string_equal(o.hardened_paths[0], "\\\\*\\SYSVOL");
  assert_string_equal(o.hardened_paths[1], "//fs1/data");
  assert_string_equal(o.hardened_paths[2], "\\\\DC?/NETLOGON");
  assert_null(o.hardened_paths[3]);
  /* none: a list whose first element is NULL, which turns hardening off. */
  assert_int_equal(dfsc__cli_config_set("hardened_paths", "None", &o, err, sizeof(err)), 0);
  assert_non_null(o.hardened_paths);
  assert_null(o.hardened_paths[0]);
  assert_int_equal(dfsc__cli_config_set("hardened_paths", "default", &o, err, sizeof(err)),
                   0);
  assert_null(o.hardened_paths);
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    char line[128];
    dfsc_opts_init(&o);
    snprintf(line, sizeof(line), "hardened_paths = %s\n", bad[i]);
    if (parse(line, &o, err) != -EINVAL)
      fail_msg("hardened_paths = '%s' was accepted", bad[i]);
    if (strstr(err, "test.conf:1: hardened_paths:") == NULL)
      fail_msg("'%s': message '%s'", bad[i], err);
    /* A refused list leaves the defaults, not half of it. */
    assert_null(o.hardened_paths);
  }
  assert_int_equal(dfsc__cli_check_unc_pattern("//a/b"), 0);
  assert_int_equal(dfsc__cli_check_unc_pattern("\\/a\\b"), 0);
  assert_int_equal(dfsc__cli_check_unc_pattern("//a/"), -EINVAL);
  assert_int_equal(dfsc__cli_check_unc_pattern("///b"), -EINVAL);
  assert_int_equal(dfsc__cli_check_unc_pattern("/a/b"), -EINVAL);
  assert_int_equal(dfsc__cli_check_unc_pattern(NULL), -EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_good),     cmocka_unit_test(test_has_key),
      cmocka_unit_test(test_bad),      cmocka_unit_test(test_limits),
      cmocka_unit_test(test_kerberos), cmocka_unit_test(test_hardened_paths),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
