/* Unit tests for the dfsc CLI's authfile loader (tools/dfsc/authfile.c):
 * good file, permission warning flag, CRLF, unknown key, missing file,
 * directory, oversized file. Files live in a fresh mkdtemp directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../tools/dfsc/authfile.c"
#include "../../tools/dfsc/cli_args.c"

static char dir[64];

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof(dir), "/tmp/dfsc-authtest-XXXXXX");
  return mkdtemp(dir) != NULL ? 0 : -1;
}

static int teardown(void **state) {
  char cmd[128];

  (void)state;
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : -1;
}

/* Writes `text` to dir/name with `mode`; returns the path (static buffer). */
static const char *write_file(const char *name, const char *text, size_t len, mode_t mode) {
  static char path[128];
  FILE *f;

  snprintf(path, sizeof(path), "%s/%s", dir, name);
  f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(text, 1, len, f), len);
  assert_int_equal(fclose(f), 0);
  assert_int_equal(chmod(path, mode), 0);
  return path;
}

static void test_load_good_private(void **state) {
  static const char text[] = "# creds\nusername = alice\npassword = pw\ndomain = CORP\n";
  struct dfsc__cli_cred c = {0};
  char err[256] = "";
  int insecure = -1;
  const char *p = write_file("good", text, sizeof(text) - 1, 0600);

  (void)state;
  assert_int_equal(dfsc__cli_authfile_load(p, &c, &insecure, err, sizeof(err)), 0);
  assert_int_equal(insecure, 0);
  assert_string_equal(c.user, "alice");
  assert_string_equal(c.password, "pw");
  assert_string_equal(c.domain, "CORP");
  dfsc__cli_cred_clear(&c);
}

static void test_load_insecure_modes(void **state) {
  static const char text[] = "username = a\n";
  static const mode_t modes[] = {0640, 0604, 0644};
  struct dfsc__cli_cred c = {0};
  char err[256];
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
    int insecure = -1;
    const char *p = write_file("open", text, sizeof(text) - 1, modes[i]);

    assert_int_equal(dfsc__cli_authfile_load(p, &c, &insecure, err, sizeof(err)), 0);
    assert_int_equal(insecure, 1);
    dfsc__cli_cred_clear(&c);
  }
}

static void test_load_crlf(void **state) {
  static const char text[] = "username = u\r\npassword = p q\r\n";
  struct dfsc__cli_cred c = {0};
  char err[256] = "";
  int insecure;
  const char *p = write_file("crlf", text, sizeof(text) - 1, 0600);

  (void)state;
  assert_int_equal(dfsc__cli_authfile_load(p, &c, &insecure, err, sizeof(err)), 0);
  assert_string_equal(c.user, "u");
  assert_string_equal(c.password, "p q");
  dfsc__cli_cred_clear(&c);
}

static void test_load_unknown_key(void **state) {
  static const char text[] = "username = u\nworkgroup = W\n";
  struct dfsc__cli_cred c = {0};
  char err[256] = "", want[256];
  int insecure;
  const char *p = write_file("unknown", text, sizeof(text) - 1, 0600);

  (void)state;
  assert_int_equal(dfsc__cli_authfile_load(p, &c, &insecure, err, sizeof(err)), -EINVAL);
  snprintf(want, sizeof(want),
           "%s:2: unknown key 'workgroup' (expected username, password or domain)", p);
  assert_string_equal(err, want);
  dfsc__cli_cred_clear(&c);
}

static void test_load_missing(void **state) {
  struct dfsc__cli_cred c = {0};
  char err[256] = "", path[128], want[256];
  int insecure;

  (void)state;
  snprintf(path, sizeof(path), "%s/none", dir);
  assert_int_equal(dfsc__cli_authfile_load(path, &c, &insecure, err, sizeof(err)), -ENOENT);
  snprintf(want, sizeof(want), "%s: %s", path, strerror(ENOENT));
  assert_string_equal(err, want);
  assert_null(c.user);
}

static void test_load_directory(void **state) {
  struct dfsc__cli_cred c = {0};
  char err[256] = "";
  int insecure;

  (void)state;
  assert_int_equal(dfsc__cli_authfile_load(dir, &c, &insecure, err, sizeof(err)), -EINVAL);
  assert_non_null(strstr(err, "not a regular file"));
}

static void test_load_too_big(void **state) {
  size_t len = AUTHFILE_MAX + 1;
  char *text = malloc(len);
  struct dfsc__cli_cred c = {0};
  char err[256] = "";
  int insecure;
  const char *p;

  (void)state;
  assert_non_null(text);
  memset(text, '#', len);
  p = write_file("big", text, len, 0600);
  free(text);
  assert_int_equal(dfsc__cli_authfile_load(p, &c, &insecure, err, sizeof(err)), -EFBIG);
  assert_non_null(strstr(err, "larger than"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_load_good_private), cmocka_unit_test(test_load_insecure_modes),
      cmocka_unit_test(test_load_crlf),         cmocka_unit_test(test_load_unknown_key),
      cmocka_unit_test(test_load_missing),      cmocka_unit_test(test_load_directory),
      cmocka_unit_test(test_load_too_big),
  };

  return cmocka_run_group_tests(tests, setup, teardown);
}
