/* Unit tests for src/auth/krb5.c without a KDC: a krb5.conf whose only KDC
 * is 127.0.0.1:1 (nothing listens there) and caches that cannot exist or
 * hold nothing. Checks the errors and the GSSAPI words that come with
 * them: no ticket is DFSC_E_NOTICKET, a server name that cannot be a
 * service principal is DFSC_E_KERBEROS, a password means KDC work (the
 * KDC lane), and the calls that need an established context refuse
 * without one. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "auth/krb5.h"
#include "core/alloc.h"
#include "dfsc/errors.h"

/* ---- the environment: set for one test, put back after it ------------ */

struct env {
  char dir[64];
  char conf[96];
  char *old_conf, *old_cc;
};

static char *dup_env(const char *name) {
  const char *v = getenv(name);
  return v != NULL ? strdup(v) : NULL;
}

static void put_env(const char *name, const char *v) {
  if (v != NULL)
    setenv(name, v, 1);
  else
    unsetenv(name);
}

static int write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  int rc;
  if (f == NULL)
    return -1;
  rc = fputs(text, f) < 0 ? -1 : 0;
  if (fclose(f) != 0)
    rc = -1;
  return rc;
}

static int env_up(void **state) {
  static const char conf[] = "[libdefaults]\n"
                             "  default_realm = DFSC.TEST\n"
                             "  dns_lookup_kdc = false\n"
                             "  dns_lookup_realm = false\n"
                             "  kdc_timeout = 1000\n"
                             "  max_retries = 1\n"
                             "[realms]\n"
                             "  DFSC.TEST = {\n"
                             "    kdc = 127.0.0.1:1\n"
                             "  }\n"
                             "[domain_realm]\n"
                             "  .other.test = OTHER.TEST\n";
  struct env *e = calloc(1, sizeof(*e));
  if (e == NULL)
    return -1;
  snprintf(e->dir, sizeof(e->dir), "/tmp/dfsc-test-krb5-XXXXXX");
  if (mkdtemp(e->dir) == NULL) {
    free(e);
    return -1;
  }
  snprintf(e->conf, sizeof(e->conf), "%s/krb5.conf", e->dir);
  if (write_file(e->conf, conf) != 0) {
    rmdir(e->dir);
    free(e);
    return -1;
  }
  e->old_conf = dup_env("KRB5_CONFIG");
  e->old_cc = dup_env("KRB5CCNAME");
  setenv("KRB5_CONFIG", e->conf, 1);
  setenv("KRB5CCNAME", "FILE:/nonexistent/cc", 1);
  *state = e;
  return 0;
}

static int env_down(void **state) {
  struct env *e = *state;
  char path[128];
  put_env("KRB5_CONFIG", e->old_conf);
  put_env("KRB5CCNAME", e->old_cc);
  unlink(e->conf);
  snprintf(path, sizeof(path), "%s/empty-cc", e->dir);
  unlink(path);
  rmdir(e->dir);
  free(e->old_conf);
  free(e->old_cc);
  free(e);
  return 0;
}

/* dfsc__krb5_start, checking what every failure must leave behind. */
static int start_fails(const struct dfsc_krb5_cfg *cfg, char *why, size_t whylen) {
  dfsc_krb5 *k = (dfsc_krb5 *)1;
  uint8_t *tok = (uint8_t *)1;
  size_t toklen = 99;
  int rc;
  memset(why, 'x', whylen);
  rc = dfsc__krb5_start(cfg, &k, &tok, &toklen, why, whylen);
  assert_true(rc < 0);
  assert_null(k);
  assert_null(tok);
  assert_int_equal(toklen, 0);
  assert_non_null(memchr(why, '\0', whylen)); /* always terminated */
  return rc;
}

static void test_no_ticket(void **state) {
  struct env *e = *state;
  struct dfsc_krb5_cfg cfg;
  char why[512], path[128];
  (void)e;
  memset(&cfg, 0, sizeof(cfg));
  cfg.host = "h";

  /* $KRB5CCNAME names a cache that cannot exist. */
  assert_int_equal(start_fails(&cfg, why, sizeof(why)), DFSC_E_NOTICKET);
  if (strncmp(why, "no Kerberos credentials: ", 25) != 0 || strlen(why) < 30)
    fail_msg("why: '%s'", why);

  /* The same cache named in the options, the environment unset. */
  unsetenv("KRB5CCNAME");
  cfg.ccache = "FILE:/nonexistent/cc";
  assert_int_equal(start_fails(&cfg, why, sizeof(why)), DFSC_E_NOTICKET);
  assert_true(why[0] != '\0');

  /* A cache file that exists and is empty. */
  snprintf(path, sizeof(path), "%s/empty-cc", e->dir);
  assert_int_equal(write_file(path, ""), 0);
  snprintf(path, sizeof(path), "FILE:%s/empty-cc", e->dir);
  cfg.ccache = path;
  assert_int_equal(start_fails(&cfg, why, sizeof(why)), DFSC_E_NOTICKET);
  assert_true(why[0] != '\0');

  /* A named user changes nothing when there is no password to use. */
  cfg.principal = "u";
  cfg.match_user = "u";
  assert_int_equal(start_fails(&cfg, why, sizeof(why)), DFSC_E_NOTICKET);
  /* A why buffer of one byte is still terminated. */
  assert_int_equal(start_fails(&cfg, why, 1), DFSC_E_NOTICKET);
  assert_int_equal(why[0], '\0');
}

static void test_bad_service_principal(void **state) {
  struct dfsc_krb5_cfg cfg;
  char why[512], long_host[300];
  static const char *const bad[] = {"", "a/b", "x@EVIL.TEST", "a\\b"};
  size_t i;
  (void)state;
  memset(&cfg, 0, sizeof(cfg));
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    cfg.host = bad[i];
    if (start_fails(&cfg, why, sizeof(why)) != DFSC_E_KERBEROS)
      fail_msg("host '%s' was not refused as a service principal", bad[i]);
    if (strstr(why, "service principal") == NULL)
      fail_msg("host '%s': why '%s'", bad[i], why);
  }
  memset(long_host, 'h', 256);
  long_host[256] = '\0';
  cfg.host = long_host;
  assert_int_equal(start_fails(&cfg, why, sizeof(why)), DFSC_E_KERBEROS);
  /* No host, no configuration. */
  cfg.host = NULL;
  assert_int_equal(start_fails(&cfg, why, sizeof(why)), -EINVAL);
  assert_int_equal(start_fails(NULL, why, sizeof(why)), -EINVAL);
}

static void test_password_needs_kdc(void **state) {
  struct dfsc_krb5_cfg cfg;
  char why[512];
  dfsc_krb5 *k = NULL;
  uint8_t *tok = NULL;
  size_t toklen = 0;
  int needs = -1, rc;
  time_t t0;
  (void)state;
  memset(&cfg, 0, sizeof(cfg));
  cfg.host = "fs1.other.test";
  cfg.principal = "u";
  cfg.password = "p";
  cfg.use_password = 1;
  /* No ticket, but a password to get one with: prepare succeeds and says
   * the first token needs the KDC (so it goes to the KDC lane). */
  assert_int_equal(dfsc__krb5_prepare(&cfg, &k, &needs, why, sizeof(why)), 0);
  assert_non_null(k);
  assert_int_equal(needs, 1);
  assert_string_equal(why, "");
  assert_int_equal(dfsc__krb5_done(k), 0);
  /* The KDC at 127.0.0.1:1 refuses at once: an error with its words, in
   * bounded time. */
  t0 = time(NULL);
  rc = dfsc__krb5_token(k, &cfg, &tok, &toklen, why, sizeof(why));
  if (rc != DFSC_E_NOTICKET && rc != DFSC_E_KERBEROS)
    fail_msg("token: %d, want DFSC_E_NOTICKET or DFSC_E_KERBEROS", rc);
  assert_null(tok);
  assert_int_equal(toklen, 0);
  if (strstr(why, "password") == NULL)
    fail_msg("why: '%s'", why);
  assert_true(time(NULL) - t0 < 30);
  dfsc__krb5_free(k);

  /* use_password off: no ticket, no KDC, DFSC_E_NOTICKET at once. */
  cfg.use_password = 0;
  k = (dfsc_krb5 *)1;
  assert_int_equal(dfsc__krb5_prepare(&cfg, &k, &needs, why, sizeof(why)), DFSC_E_NOTICKET);
  assert_null(k);
}

static void test_no_context(void **state) {
  uint8_t key[DFSC_KRB5_KEY_MAX], *mic = (uint8_t *)1;
  size_t len = 99;
  char why[64];
  (void)state;
  /* Everything after the first token refuses a NULL or unfinished context. */
  assert_int_equal(dfsc__krb5_done(NULL), 0);
  assert_int_equal(dfsc__krb5_finish(NULL, (const uint8_t *)"x", 1, why, sizeof(why)),
                   -EINVAL);
  assert_int_equal(
      dfsc__krb5_verify_mic(NULL, (const uint8_t *)"m", 1, (const uint8_t *)"x", 1),
      -EINVAL);
  assert_int_equal(dfsc__krb5_get_mic(NULL, (const uint8_t *)"m", 1, &mic, &len), -EINVAL);
  assert_null(mic);
  assert_int_equal(len, 0);
  len = 99;
  assert_int_equal(dfsc__krb5_session_key(NULL, key, &len), -ENOKEY);
  assert_int_equal(len, 0);
  assert_string_equal(dfsc__krb5_client(NULL), "");
  dfsc__krb5_free(NULL);
}

int main(void) {
#define ENV(f) cmocka_unit_test_setup_teardown(f, env_up, env_down)
  const struct CMUnitTest tests[] = {
      ENV(test_no_ticket),
      ENV(test_bad_service_principal),
      ENV(test_password_needs_kdc),
      cmocka_unit_test(test_no_context),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
