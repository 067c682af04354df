/* Unit tests for the dfsc CLI's option parsers (tools/dfsc/cli_args.c):
 * -U, authfile text, protocol names, --sign, --resolve, --port, --timeout,
 * basename. The tool's .c is included directly: the CLI is not part of the
 * library the test links. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../tools/dfsc/cli_args.c"

static void expect_cred(const struct dfsc__cli_cred *c, const char *user,
                        const char *domain, const char *password) {
  if (user == NULL)
    assert_null(c->user);
  else
    assert_string_equal(c->user, user);
  if (domain == NULL)
    assert_null(c->domain);
  else
    assert_string_equal(c->domain, domain);
  if (password == NULL)
    assert_null(c->password);
  else
    assert_string_equal(c->password, password);
}

static void parse_user_ok(const char *arg, const char *user, const char *domain,
                          const char *password) {
  struct dfsc__cli_cred c = {0};
  char err[128] = "";

  assert_int_equal(dfsc__cli_parse_user(arg, &c, err, sizeof(err)), 0);
  expect_cred(&c, user, domain, password);
  dfsc__cli_cred_clear(&c);
  assert_null(c.user);
}

static void test_user_forms(void **state) {
  (void)state;
  parse_user_ok("bob", "bob", NULL, NULL);
  parse_user_ok("DOM\\bob", "bob", "DOM", NULL);
  parse_user_ok("DOM/bob", "bob", "DOM", NULL);
  parse_user_ok("bob%secret", "bob", NULL, "secret");
  parse_user_ok("DOM\\bob%secret", "bob", "DOM", "secret");
  parse_user_ok("DOM/bob%secret", "bob", "DOM", "secret");
  parse_user_ok("bob@REALM.EXAMPLE", "bob@REALM.EXAMPLE", NULL, NULL);
  /* A Kerberos principal stays whole, as smbclient takes it (the library
   * uses USER@REALM as the principal; NTLM sends it as a UPN): only '%'
   * splits, and a '/' is a principal component's, not a domain's. */
  parse_user_ok("bob@DFS.TEST%pw", "bob@DFS.TEST", NULL, "pw");
  parse_user_ok("cifs/fs1.dfs.test@DFS.TEST", "cifs/fs1.dfs.test@DFS.TEST", NULL, NULL);
  parse_user_ok("FS1$@DFS.TEST%p/w", "FS1$@DFS.TEST", NULL, "p/w");
}

static void test_user_password_edge(void **state) {
  (void)state;
  /* Only the first '%' splits; separators after it belong to the password. */
  parse_user_ok("bob%pa%ss", "bob", NULL, "pa%ss");
  parse_user_ok("bob%%", "bob", NULL, "%");
  parse_user_ok("D\\bob%p/a\\s%s", "bob", "D", "p/a\\s%s");
  parse_user_ok("bob%", "bob", NULL, "");
  /* The first separator splits the domain off. */
  parse_user_ok("D\\sub/bob", "sub/bob", "D", NULL);
}

static void test_user_errors(void **state) {
  static const char *const bad[] = {"", "%pw", "DOM\\", "DOM/%pw", "\\bob", "/bob"};
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    struct dfsc__cli_cred c = {0};
    char err[128] = "";

    assert_int_equal(dfsc__cli_parse_user(bad[i], &c, err, sizeof(err)), -EINVAL);
    assert_true(strlen(err) > 0);
    dfsc__cli_cred_clear(&c);
  }
}

static void test_user_keeps_unnamed_fields(void **state) {
  struct dfsc__cli_cred c = {0};

  (void)state;
  assert_int_equal(dfsc__cli_parse_user("D\\a%1", &c, NULL, 0), 0);
  assert_int_equal(dfsc__cli_parse_user("b", &c, NULL, 0), 0);
  expect_cred(&c, "b", "D", "1");
  dfsc__cli_cred_clear(&c);
}

static int parse_auth(const char *text, struct dfsc__cli_cred *c, char *err, size_t cap) {
  return dfsc__cli_authfile_parse(text, strlen(text), "auth.txt", c, err, cap);
}

static void test_authfile_good(void **state) {
  struct dfsc__cli_cred c = {0};
  char err[160] = "";

  (void)state;
  assert_int_equal(parse_auth("username = alice\npassword = s3cr=t%x\ndomain = CORP\n", &c,
                              err, sizeof(err)),
                   0);
  expect_cred(&c, "alice", "CORP", "s3cr=t%x");
  dfsc__cli_cred_clear(&c);
}

static void test_authfile_comments_whitespace(void **state) {
  struct dfsc__cli_cred c = {0};
  char err[160] = "";

  (void)state;
  assert_int_equal(parse_auth("# a comment\n; another\n\n   \n\t username\t=  bob  \n"
                              "  # indented comment\nPassword=pw with space \n"
                              "DOMAIN =D",
                              &c, err, sizeof(err)),
                   0);
  expect_cred(&c, "bob", "D", "pw with space");
  dfsc__cli_cred_clear(&c);
}

static void test_authfile_crlf(void **state) {
  struct dfsc__cli_cred c = {0};
  char err[160] = "";

  (void)state;
  assert_int_equal(parse_auth("username = u\r\npassword = p\r\n\r\ndomain = d\r\n", &c, err,
                              sizeof(err)),
                   0);
  expect_cred(&c, "u", "d", "p");
  dfsc__cli_cred_clear(&c);
}

static void test_authfile_empty_password_and_prefix(void **state) {
  struct dfsc__cli_cred c = {0};
  char err[160] = "";

  (void)state;
  /* The DOMAIN\ of username wins over a domain line, in either order. */
  assert_int_equal(
      parse_auth("domain = OTHER\nusername = CORP\\u\npassword =\n", &c, err, sizeof(err)),
      0);
  expect_cred(&c, "u", "CORP", "");
  dfsc__cli_cred_clear(&c);
  assert_int_equal(parse_auth("username = CORP/u\ndomain = OTHER\n", &c, err, sizeof(err)),
                   0);
  expect_cred(&c, "u", "CORP", NULL);
  dfsc__cli_cred_clear(&c);
}

static void test_authfile_errors(void **state) {
  struct dfsc__cli_cred c = {0};
  char err[160] = "";

  (void)state;
  assert_int_equal(parse_auth("username = a\nuser = b\n", &c, err, sizeof(err)), -EINVAL);
  assert_string_equal(err, "auth.txt:2: unknown key 'user' (expected username, password "
                           "or domain)");
  dfsc__cli_cred_clear(&c);

  assert_int_equal(parse_auth("# c\nusername alice\n", &c, err, sizeof(err)), -EINVAL);
  assert_string_equal(err, "auth.txt:2: expected 'key = value'");
  dfsc__cli_cred_clear(&c);

  assert_int_equal(parse_auth("password = a\npassword = b\n", &c, err, sizeof(err)),
                   -EINVAL);
  assert_string_equal(err, "auth.txt:2: 'password' given twice");
  dfsc__cli_cred_clear(&c);

  assert_int_equal(parse_auth("username =\n", &c, err, sizeof(err)), -EINVAL);
  assert_string_equal(err, "auth.txt:1: empty user name");
  dfsc__cli_cred_clear(&c);

  assert_int_equal(parse_auth(" = x\n", &c, err, sizeof(err)), -EINVAL);
  assert_string_equal(err, "auth.txt:1: unknown key '' (expected username, password "
                           "or domain)");
  dfsc__cli_cred_clear(&c);
}

static void test_authfile_nul_byte(void **state) {
  static const char text[] = "username = a\0b\n";
  struct dfsc__cli_cred c = {0};
  char err[160] = "";

  (void)state;
  assert_int_equal(
      dfsc__cli_authfile_parse(text, sizeof(text) - 1, "f", &c, err, sizeof(err)), -EINVAL);
  assert_string_equal(err, "f:1: NUL byte in line");
  dfsc__cli_cred_clear(&c);
}

static void test_protocol_names(void **state) {
  static const struct {
    const char *name;
    uint16_t lo, hi;
  } cases[] = {
      {"SMB2_02", 0x0202, 0x0202}, {"SMB2_10", 0x0210, 0x0210}, {"SMB3_00", 0x0300, 0x0300},
      {"SMB3_02", 0x0302, 0x0302}, {"SMB3_11", 0x0311, 0x0311}, {"smb3_11", 0x0311, 0x0311},
      {"SMB2", 0x0202, 0x0210},    {"SMB3", 0x0300, 0x0311},
  };
  size_t i;
  uint16_t v;

  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    v = 0;
    assert_int_equal(dfsc__cli_parse_protocol(cases[i].name, 0, &v), 0);
    assert_int_equal(v, cases[i].lo);
    assert_int_equal(dfsc__cli_parse_protocol(cases[i].name, 1, &v), 0);
    assert_int_equal(v, cases[i].hi);
  }
  assert_int_equal(dfsc__cli_parse_protocol("NT1", 0, &v), -ENOTSUP);
  assert_int_equal(dfsc__cli_parse_protocol("LANMAN2", 1, &v), -ENOTSUP);
  assert_int_equal(dfsc__cli_parse_protocol("SMB4", 0, &v), -EINVAL);
  assert_int_equal(dfsc__cli_parse_protocol("SMB3_1", 0, &v), -EINVAL);
  assert_int_equal(dfsc__cli_parse_protocol("", 0, &v), -EINVAL);
  assert_string_equal(dfsc__cli_protocol_name(0x0302), "SMB3_02");
  assert_null(dfsc__cli_protocol_name(0x0222));
}

static void test_sign(void **state) {
  int m = -1;

  (void)state;
  assert_int_equal(dfsc__cli_parse_sign(NULL, &m), 0);
  assert_int_equal(m, DFSC_SIGN_REQUIRED);
  assert_int_equal(dfsc__cli_parse_sign("off", &m), 0);
  assert_int_equal(m, DFSC_SIGN_OFF);
  assert_int_equal(dfsc__cli_parse_sign("AUTO", &m), 0);
  assert_int_equal(m, DFSC_SIGN_AUTO);
  assert_int_equal(dfsc__cli_parse_sign("required", &m), 0);
  assert_int_equal(m, DFSC_SIGN_REQUIRED);
  assert_int_equal(dfsc__cli_parse_sign("yes", &m), -EINVAL);
  assert_int_equal(dfsc__cli_parse_sign("", &m), -EINVAL);
}

static void test_resolve(void **state) {
  static const char *const good[] = {
      "fs1:127.0.0.2",       "fs1:127.0.0.2:445", "fs1.example.com:10.0.0.1:1",
      "FS_1-a:127.0.0.1",    "fs1:[::1]",         "fs1:[::1]:65535",
      "dc:[fe80::1:2]:4450",
  };
  static const char *const bad[] = {
      "fs1",
      ":127.0.0.1",
      "fs1:",
      "fs1:127.0.0.256",
      "fs1:127.0.0.1:0",
      "fs1:127.0.0.1:65536",
      "fs1:127.0.0.1:x",
      "fs1:::1",
      "fs1:[::1",
      "fs1:[::1]x",
      "f s:1.2.3.4",
      "fs1:1.2.3.4:445:9",
      "fs1:host.name",
      "fs1:[127.0.0.1]",
      "fs1:1.2.3.4:",
      "fs/1:1.2.3.4",
  };
  char err[200];
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
    err[0] = '\0';
    assert_int_equal(dfsc__cli_check_resolve(good[i], err, sizeof(err)), 0);
    assert_string_equal(err, "");
  }
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    err[0] = '\0';
    assert_int_equal(dfsc__cli_check_resolve(bad[i], err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, bad[i]));
  }
}

static void test_port(void **state) {
  static const char *const bad[] = {"0", "65536", "-1", "12a", "", " 1", "99999999999"};
  uint16_t p = 0;
  size_t i;

  (void)state;
  assert_int_equal(dfsc__cli_parse_port("445", &p), 0);
  assert_int_equal(p, 445);
  assert_int_equal(dfsc__cli_parse_port("65535", &p), 0);
  assert_int_equal(p, 65535);
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    assert_int_equal(dfsc__cli_parse_port(bad[i], &p), -EINVAL);
}

static void test_timeout(void **state) {
  static const struct {
    const char *s;
    unsigned ms;
  } good[] = {{"5", 5000},   {"0.5", 500},        {".25", 250}, {"1.0001", 1001},
              {"0.0001", 1}, {"86400", 86400000}, {"2.", 2000}, {"1.500", 1500}};
  static const char *const bad[] = {"0",  "0.0", "86401", "86400.001", "abc", "1.2.3",
                                    "-1", ".",   "",      "1e3",       "1,5"};
  unsigned ms;
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
    ms = 0;
    assert_int_equal(dfsc__cli_parse_timeout(good[i].s, &ms), 0);
    assert_int_equal(ms, good[i].ms);
  }
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    assert_int_equal(dfsc__cli_parse_timeout(bad[i], &ms), -EINVAL);
}

static void test_basename(void **state) {
  (void)state;
  assert_string_equal(dfsc__cli_basename("//h/s/dir/f.txt"), "f.txt");
  assert_string_equal(dfsc__cli_basename("\\\\h\\s\\f"), "f");
  assert_string_equal(dfsc__cli_basename("smb://d;u@h/s/a/b"), "b");
  assert_string_equal(dfsc__cli_basename("//h/s/dir/"), "");
  assert_string_equal(dfsc__cli_basename("name"), "name");
}

/* The name a URL's last component stands for, and a name put back after a
 * directory in that directory's form. */
static void test_leaf_join(void **state) {
  static const struct {
    const char *path, *leaf;
  } leaves[] = {
      {"smb://h/s/hello%2Etxt", "hello.txt"},
      {"SMB://u@h/s/a%20b%25c", "a b%c"},
      {"//h/s/a%20b", "a%20b"}, /* not a URL: as it is */
      {"\\\\h\\s\\d\\x", "x"},
      {"smb://h/s/dir/", ""},
      {"smb://h/s/caf%C3%A9", "caf\xC3\xA9"},
  };
  static const char *const bad[] = {"smb://h/s/a%2", "smb://h/s/a%zz", "smb://h/s/a%00b"};
  static const struct {
    const char *dir, *name, *out;
  } joins[] = {
      {"//h/s/d", "a b", "//h/s/d/a b"},
      {"//h/s/d/", "50%", "//h/s/d/50%"},
      {"\\\\h\\s", "f", "\\\\h\\s\\f"},
      {"smb://h/s/d", "a b%#?.txt", "smb://h/s/d/a b%25#?.txt"},
      {"smb://h/s/", "caf\xC3\xA9%41", "smb://h/s/caf\xC3\xA9%2541"},
  };
  size_t i;
  (void)state;
  for (i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
    char *l = dfsc__cli_leaf(leaves[i].path);
    assert_non_null(l);
    assert_string_equal(l, leaves[i].leaf);
    free(l);
  }
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    errno = 0;
    assert_null(dfsc__cli_leaf(bad[i]));
    assert_int_equal(errno, EINVAL);
  }
  for (i = 0; i < sizeof(joins) / sizeof(joins[0]); i++) {
    char *j = dfsc__cli_join(joins[i].dir, joins[i].name), *back;
    assert_non_null(j);
    assert_string_equal(j, joins[i].out);
    /* What join wrote, leaf reads back as the name. */
    back = dfsc__cli_leaf(j);
    assert_non_null(back);
    assert_string_equal(back, joins[i].name);
    free(back);
    free(j);
  }
}

/* What ls takes for a server alone (its shares) rather than a path. */
static void test_host_path(void **state) {
  static const char *const yes[] = {"//h",     "//h/",           "//h//",
                                    "\\\\h",   "\\\\h\\",        "/\\h",
                                    "smb://h", "smb://h/",       "SMB://u:p@h:4450/",
                                    "//[::1]", "smb://[::1]:445"};
  static const char *const no[] = {"//h/s", "\\\\h\\s", "smb://h/s", "smb://u@h/s/",
                                   "//",    "///s",     "smb://",    "smb:///s",
                                   "h",     "/h",       "",          "//h/ s"};
  size_t i;
  (void)state;
  for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
    assert_int_equal(dfsc__cli_is_host_path(yes[i]), 1);
  for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
    assert_int_equal(dfsc__cli_is_host_path(no[i]), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_user_forms),
      cmocka_unit_test(test_user_password_edge),
      cmocka_unit_test(test_user_errors),
      cmocka_unit_test(test_user_keeps_unnamed_fields),
      cmocka_unit_test(test_authfile_good),
      cmocka_unit_test(test_authfile_comments_whitespace),
      cmocka_unit_test(test_authfile_crlf),
      cmocka_unit_test(test_authfile_empty_password_and_prefix),
      cmocka_unit_test(test_authfile_errors),
      cmocka_unit_test(test_authfile_nul_byte),
      cmocka_unit_test(test_protocol_names),
      cmocka_unit_test(test_sign),
      cmocka_unit_test(test_resolve),
      cmocka_unit_test(test_port),
      cmocka_unit_test(test_timeout),
      cmocka_unit_test(test_basename),
      cmocka_unit_test(test_leaf_join),
      cmocka_unit_test(test_host_path),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
