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
                         "request_timeout = 0.25\n",
                         &o, err),
                   0);
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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_good),
      cmocka_unit_test(test_has_key),
      cmocka_unit_test(test_bad),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
