/* The CLI's reconnect settings (tools/dfsc/config.c): the keys
 * reconnect_timeout, echo_interval, durable and durable_timeout, which the
 * options --reconnect-timeout, --echo-interval, --durable and
 * --durable-timeout, --set and the mount's -o set through the same parser;
 * and the --stats report of the reconnect counters (tools/common/output.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../tools/common/escape.c"
#include "../../tools/common/output.c"
#include "../../tools/dfsc/config.c"

static int parse(const char *t, dfsc_opts *o, char *err) {
  dfsc_opts_init(o);
  return dfsc__cli_config_parse(t, strlen(t), "test.conf", o, err, 256);
}

static void test_defaults(void **state) {
  dfsc_opts o;
  char err[256];
  (void)state;
  assert_int_equal(parse("", &o, err), 0);
  assert_int_equal(o.reconnect_timeout_ms, 0);
  assert_int_equal(o.echo_interval_ms, 0);
  assert_int_equal(o.durable, DFSC_DURABLE_AUTO);
  assert_int_equal(o.durable_timeout_ms, 0);
}

static void test_good(void **state) {
  dfsc_opts o;
  char err[256];
  (void)state;
  assert_int_equal(parse("reconnect_timeout = 3000\n"
                         "Echo-Interval = 1500\n"
                         "durable = off\n"
                         "durable-timeout = 120000\n",
                         &o, err),
                   0);
  /* Milliseconds, not seconds (unlike request_timeout). */
  assert_int_equal(o.reconnect_timeout_ms, 3000);
  assert_int_equal(o.echo_interval_ms, 1500);
  assert_int_equal(o.durable, DFSC_DURABLE_OFF);
  assert_int_equal(o.durable_timeout_ms, 120000);

  /* 0: the library's default, given explicitly. */
  assert_int_equal(
      parse("reconnect_timeout = 0\necho_interval = 0\ndurable_timeout = 0\n", &o, err), 0);
  assert_int_equal(o.reconnect_timeout_ms, 0);
  assert_int_equal(o.echo_interval_ms, 0);
  assert_int_equal(o.durable_timeout_ms, 0);

  /* cifs's `hard`: a day. */
  assert_int_equal(parse("reconnect_timeout = 86400000\n", &o, err), 0);
  assert_int_equal(o.reconnect_timeout_ms, 86400000);

  /* off and none: no keepalive, the library's UINT32_MAX. */
  assert_int_equal(parse("echo_interval = off\n", &o, err), 0);
  assert_int_equal(o.echo_interval_ms, UINT32_MAX);
  assert_int_equal(parse("echo_interval = NONE\n", &o, err), 0);
  assert_int_equal(o.echo_interval_ms, UINT32_MAX);

  assert_int_equal(parse("durable = off\ndurable = on\n", &o, err), 0);
  assert_int_equal(o.durable, DFSC_DURABLE_AUTO);
  assert_int_equal(parse("durable = no\n", &o, err), 0);
  assert_int_equal(o.durable, DFSC_DURABLE_OFF);
  assert_int_equal(parse("durable = Yes\n", &o, err), 0);
  assert_int_equal(o.durable, DFSC_DURABLE_AUTO);

  /* What the options and the mount's -o go through. */
  dfsc_opts_init(&o);
  assert_int_equal(dfsc__cli_config_set("reconnect_timeout", "250", &o, err, sizeof(err)),
                   0);
  assert_int_equal(o.reconnect_timeout_ms, 250);
  assert_int_equal(dfsc__cli_config_set("echo_interval", "off", &o, err, sizeof(err)), 0);
  assert_int_equal(o.echo_interval_ms, UINT32_MAX);
  assert_int_equal(dfsc__cli_config_set("durable", "off", &o, err, sizeof(err)), 0);
  assert_int_equal(o.durable, DFSC_DURABLE_OFF);
  assert_int_equal(dfsc__cli_config_set("durable_timeout", "5000", &o, err, sizeof(err)),
                   0);
  assert_int_equal(o.durable_timeout_ms, 5000);
  assert_int_equal(dfsc__cli_config_has_key("reconnect-timeout", 17), 1);
  assert_int_equal(dfsc__cli_config_has_key("echo_interval", 13), 1);
  assert_int_equal(dfsc__cli_config_has_key("durable", 7), 1);
  assert_int_equal(dfsc__cli_config_has_key("durable_timeout", 15), 1);
  assert_int_equal(dfsc__cli_config_has_key("durable_handles", 15), 0);
}

static void test_bad(void **state) {
  static const char *const bad[] = {
      "reconnect_timeout = -1\n",  "reconnect_timeout = 86400001\n",
      "reconnect_timeout = 1.5\n", "reconnect_timeout = soft\n",
      "echo_interval = -5\n",      "echo_interval = 86400001\n",
      "echo_interval = 10s\n",     "echo_interval = 4294967295\n",
      "echo_interval = 1.5\n",     "durable = maybe\n",
      "durable = auto\n",          "durable_timeout = 86400001\n",
      "durable_timeout = x\n",     "reconnect_timeout = \n",
  };
  dfsc_opts o;
  char err[256];
  size_t i;
  (void)state;
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    memset(err, 0, sizeof(err));
    if (parse(bad[i], &o, err) != -EINVAL)
      fail_msg("accepted: %s", bad[i]);
    assert_non_null(strstr(err, "test.conf:1: "));
  }
  assert_int_equal(parse("echo_interval = 10s\n", &o, err), -EINVAL);
  assert_non_null(strstr(err, "echo_interval: expected milliseconds"));
  assert_int_equal(parse("durable = maybe\n", &o, err), -EINVAL);
  assert_non_null(strstr(err, "durable: expected on or off, not 'maybe'"));
  /* A refused value leaves the setting alone. */
  assert_int_equal(dfsc__cli_config_set("echo_interval", "x", &o, err, sizeof(err)),
                   -EINVAL);
  assert_int_equal(o.echo_interval_ms, 0);
}

/* --stats prints every reconnect counter as "name value" (text) and
 * "name":value (JSON), after the counters printed before them. */
static void test_stats(void **state) {
  static const char *const names[] = {
      "conns_lost",       "reconnects",       "reconnect_waits",
      "reconnect_tries",  "reconnect_failed", "echoes_sent",
      "echo_dead",        "durable_opens",    "durable_reclaimed",
      "reopened_by_path", "handles_stale",    "ops_resumed",
      "lease_breaks",     "lease_acks",       "lease_breaks_dropped",
  };
  dfsc_stats st;
  char *buf = NULL, line[64], *prev;
  size_t len = 0, i;
  FILE *f;
  (void)state;
  memset(&st, 0, sizeof(st));
  /* A distinct value per counter: a field printed under another's name shows. */
  for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    ((uint64_t *)&st.conns_lost)[i] = 101 + i;
  st.hardened_refused = 7;

  f = open_memstream(&buf, &len);
  assert_non_null(f);
  dfsc__fe_stats_print(f, &st, 0);
  fclose(f);
  prev = strstr(buf, "hardened_refused       7\n");
  assert_non_null(prev);
  for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    char *at;
    snprintf(line, sizeof(line), "\n%-22s %zu\n", names[i], 101 + i);
    at = strstr(buf, line);
    if (at == NULL)
      fail_msg("missing: %s", line + 1);
    assert_true(at > prev);
    prev = at;
  }
  free(buf);

  buf = NULL;
  f = open_memstream(&buf, &len);
  assert_non_null(f);
  dfsc__fe_stats_print(f, &st, 1);
  fclose(f);
  for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    snprintf(line, sizeof(line), ",\"%s\":%zu", names[i], 101 + i);
    if (strstr(buf, line) == NULL)
      fail_msg("missing: %s", line);
  }
  assert_int_equal(buf[0], '{');
  assert_string_equal(buf + strlen(buf) - 2, "}\n");
  free(buf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_defaults),
      cmocka_unit_test(test_good),
      cmocka_unit_test(test_bad),
      cmocka_unit_test(test_stats),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
