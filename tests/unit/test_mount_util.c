/* Unit tests for the pure pieces of `dfsc mount` (tools/mount/mount_util.c):
 * the -o parser, results to errno, dfsc_stat_t to struct stat, the names
 * the top two levels accept, and which servers a local user may reach. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../tools/mount/mount_util.c"
/* The CLI's configuration parser, for the Kerberos options end to end (the
 * dispatcher hands -o's dfsc.conf keys to it). */
#include "../../tools/dfsc/config.c"

/* Config keys for the tests: max_connects and request_timeout. */
static int fake_config_key(const char *key, size_t len) {
  return (len == 12 && strncmp(key, "max_connects", len) == 0) ||
         (len == 15 && strncmp(key, "request_timeout", len) == 0);
}

static int parse(struct dfsc__mount_opts *o, const char *arg, char *err, size_t cap) {
  return dfsc__mount_parse_opts(o, arg, fake_config_key, err, cap);
}

static void test_opts_mount_keys(void **state) {
  struct dfsc__mount_opts o;
  char err[256] = "";

  (void)state;
  dfsc__mount_opts_init(&o);
  assert_true(o.lease_attr_timeout == 60.0);
  assert_int_equal(parse(&o,
                         "uid=1234,gid=2345,file_mode=0600,dir_mode=700,"
                         "attr_timeout=2.5,entry_timeout=0,negative_timeout=3,"
                         "lease_attr_timeout=7.5,"
                         "max_threads=4,read_ahead_kb=2048,credentials=/etc/c,"
                         "user=DOM\\\\u,domain=D",
                         err, sizeof(err)),
                   0);
  assert_int_equal(o.uid, 1234);
  assert_int_equal(o.gid, 2345);
  assert_int_equal(o.has_uid, 1);
  assert_int_equal(o.file_mode, 0600);
  assert_int_equal(o.dir_mode, 0700);
  assert_true(o.attr_timeout == 2.5);
  assert_true(o.entry_timeout == 0.0);
  assert_true(o.negative_timeout == 3.0);
  assert_true(o.lease_attr_timeout == 7.5);
  assert_int_equal(o.max_threads, 4);
  assert_int_equal(o.read_ahead_kb, 2048);
  assert_string_equal(o.credentials, "/etc/c");
  assert_string_equal(o.user, "DOM\\u");
  assert_string_equal(o.domain, "D");
  assert_null(o.fuse_opts);
  assert_int_equal(o.no_writebehind, 0);
  assert_int_equal(o.no_directwrites, 0);
  assert_int_equal(parse(&o, "nowritebehind,nodirectwrites", err, sizeof(err)), 0);
  assert_int_equal(o.no_writebehind, 1);
  assert_int_equal(o.no_directwrites, 1);
  dfsc__mount_opts_free(&o);
}

static void test_opts_config_and_fuse(void **state) {
  struct dfsc__mount_opts o;
  char err[256] = "";

  (void)state;
  dfsc__mount_opts_init(&o);
  assert_int_equal(
      parse(&o, "max_connects=4,ro,noatime,defaults,_netdev,noauto", err, sizeof(err)), 0);
  assert_int_equal(parse(&o, "request_timeout=20,fsname=a\\,b", err, sizeof(err)), 0);
  assert_string_equal(o.config, "max_connects = 4\nrequest_timeout = 20\n");
  /* The escaped comma is escaped again for libfuse. */
  assert_string_equal(o.fuse_opts, "ro,noatime,fsname=a\\,b");
  assert_int_equal(o.ro, 1);
  assert_int_equal(o.allow_other, 0);
  dfsc__mount_opts_free(&o);
}

/* The dispatcher's way in (tools/common/frontends.h): each mount-only
 * option as met, then what -o gives back for the global options. */
static void test_frontend_interface(void **state) {
  struct dfsc__mount_opts *o = dfsc__mount_opts_new();
  struct dfsc__mount_overrides ov;
  char err[256] = "";

  (void)state;
  assert_non_null(o);
  dfsc__mount_overrides(o, &ov);
  assert_null(ov.credentials);
  assert_null(ov.user);
  assert_null(ov.domain);
  assert_null(ov.config);
  assert_int_equal(o->foreground, 0);
  assert_int_equal(dfsc__mount_opt(o, 'd', NULL, fake_config_key, err, sizeof(err)), 0);
  assert_int_equal(o->debug, 1);
  assert_int_equal(o->foreground, 1); /* -d implies -f */
  assert_int_equal(dfsc__mount_opt(o, 's', NULL, fake_config_key, err, sizeof(err)), 0);
  assert_int_equal(o->single_thread, 1);
  assert_int_equal(dfsc__mount_opt(o, 'o', "credentials=/c,user=u,domain=D,max_connects=4",
                                   fake_config_key, err, sizeof(err)),
                   0);
  dfsc__mount_overrides(o, &ov);
  assert_string_equal(ov.credentials, "/c");
  assert_string_equal(ov.user, "u");
  assert_string_equal(ov.domain, "D");
  assert_string_equal(ov.config, "max_connects = 4\n");
  assert_int_equal(ov.config_len, strlen(ov.config));
  assert_int_equal(dfsc__mount_opt(o, 'o', "=x", fake_config_key, err, sizeof(err)),
                   -EINVAL);
  assert_non_null(strstr(err, "empty option name"));
  assert_int_equal(dfsc__mount_opt(o, 'z', NULL, fake_config_key, err, sizeof(err)),
                   -EINVAL);
  dfsc__mount_opts_delete(o);
  dfsc__mount_opts_delete(NULL);
}

/* The Kerberos options as a mount takes them: cifs.ko's krb5 and sec=,
 * the dfsc.conf keys, and hardened_paths with ':' between patterns; then
 * the collected lines through the CLI's configuration parser, as the
 * dispatcher does, into dfsc_opts. */
static void test_opts_kerberos(void **state) {
  static const struct {
    const char *arg, *mode;
  } sec[] = {
      {"krb5", "required"},    {"sec=krb5", "required"},  {"sec=krb5i", "required"},
      {"sec=ntlmv2", "off"},   {"sec=ntlmssp", "off"},    {"sec=ntlmv2i", "off"},
      {"sec=ntlmsspi", "off"}, {"kerberos=auto", "auto"}, {"kerberos=required", "required"},
  };
  struct dfsc__mount_opts o;
  dfsc_opts opts;
  char err[256] = "", want[64];
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(sec) / sizeof(sec[0]); i++) {
    dfsc__mount_opts_init(&o);
    assert_int_equal(
        dfsc__mount_parse_opts(&o, sec[i].arg, dfsc__cli_config_has_key, err, sizeof(err)),
        0);
    snprintf(want, sizeof(want), "kerberos = %s\n", sec[i].mode);
    if (o.config == NULL || strcmp(o.config, want) != 0)
      fail_msg("-o %s: config '%s', want '%s'", sec[i].arg, o.config ? o.config : "(null)",
               want);
    assert_null(o.fuse_opts); /* none of them reaches libfuse */
    dfsc__mount_opts_free(&o);
  }
  dfsc__mount_opts_init(&o);
  assert_int_equal(
      dfsc__mount_parse_opts(&o,
                             "krb5,keytab=/etc/svc.keytab,ccache=FILE:/tmp/cc,"
                             "ntlm=off,auth_workers=3,"
                             "hardened_paths=//*/SYSVOL://fs1/data\\,//dc/x,ro",
                             dfsc__cli_config_has_key, err, sizeof(err)),
      0);
  assert_string_equal(o.config, "kerberos = required\n"
                                "keytab = /etc/svc.keytab\n"
                                "ccache = FILE:/tmp/cc\n"
                                "ntlm = off\n"
                                "auth_workers = 3\n"
                                "hardened_paths = //*/SYSVOL,//fs1/data,//dc/x\n");
  assert_string_equal(o.fuse_opts, "ro");
  dfsc_opts_init(&opts);
  assert_int_equal(
      dfsc__cli_config_parse(o.config, o.config_len, "-o", &opts, err, sizeof(err)), 0);
  assert_int_equal(opts.kerberos, DFSC_KERBEROS_REQUIRED);
  assert_string_equal(opts.keytab, "/etc/svc.keytab");
  assert_string_equal(opts.ccache, "FILE:/tmp/cc");
  assert_int_equal(opts.ntlm_off, 1);
  assert_int_equal(opts.auth_workers, 3);
  assert_non_null(opts.hardened_paths);
  assert_string_equal(opts.hardened_paths[0], "//*/SYSVOL");
  assert_string_equal(opts.hardened_paths[1], "//fs1/data");
  assert_string_equal(opts.hardened_paths[2], "//dc/x");
  assert_null(opts.hardened_paths[3]);
  dfsc__mount_opts_free(&o);
  /* hardened_paths=none turns hardening off; a bad pattern or mode is
   * refused by the configuration parser with the -o origin. */
  dfsc__mount_opts_init(&o);
  assert_int_equal(dfsc__mount_parse_opts(&o, "hardened_paths=none,kerberos=sometimes",
                                          dfsc__cli_config_has_key, err, sizeof(err)),
                   0);
  dfsc_opts_init(&opts);
  assert_int_equal(
      dfsc__cli_config_parse(o.config, o.config_len, "-o", &opts, err, sizeof(err)),
      -EINVAL);
  assert_non_null(strstr(err, "-o:2: kerberos: expected required, auto or off"));
  assert_non_null(opts.hardened_paths);
  assert_null(opts.hardened_paths[0]);
  dfsc__mount_opts_free(&o);
  dfsc__mount_opts_init(&o);
  assert_int_equal(dfsc__mount_parse_opts(&o, "hardened_paths=//fs1:SYSVOL",
                                          dfsc__cli_config_has_key, err, sizeof(err)),
                   0);
  assert_int_equal(
      dfsc__cli_config_parse(o.config, o.config_len, "-o", &opts, err, sizeof(err)),
      -EINVAL);
  assert_non_null(strstr(err, "hardened_paths: '//fs1' is not"));
  dfsc__mount_opts_free(&o);
}

static void test_opts_allow_other_brings_permissions(void **state) {
  struct dfsc__mount_opts o;
  char err[256] = "";

  (void)state;
  dfsc__mount_opts_init(&o);
  assert_int_equal(parse(&o, "allow_other", err, sizeof(err)), 0);
  assert_int_equal(o.allow_other, 1);
  assert_string_equal(o.fuse_opts, "allow_other,default_permissions");
  dfsc__mount_opts_free(&o);
}

static void test_opts_errors(void **state) {
  static const struct {
    const char *arg, *msg;
  } bad[] = {
      {"uid=abc", "uid"},
      {"uid=-1", "uid"},
      {"file_mode=0999", "octal"},
      {"attr_timeout=-1", "seconds"},
      {"attr_timeout=1e9", "seconds"},
      {"lease_attr_timeout=x", "seconds"},
      {"max_threads=0", "max_threads"},
      {"credentials=", "needs a value"},
      {"password=hunter2", "credentials=FILE"},
      {"max_connects=", "needs a value"},
      {"max_connects=4#x", "invalid character"},
      {"=x", "empty option name"},
      {"hosts", "needs a value"},
      {"hosts=", "needs a value"},
      {"hosts=fs1::fs2", "empty"},
      {"hosts=fs1/", "HOST or HOST/SHARE"},
      {"hosts=/data", "HOST or HOST/SHARE"},
      {"hosts=fs1/a/b", "HOST or HOST/SHARE"},
      {"hosts=fs1\\data", "HOST or HOST/SHARE"},
      {"listing_mem=1K", "size"},
      {"listing_mem=10X", "size"},
      {"listing_mem_uid=-1", "size"},
      {"listing_mem=2048G", "size"},
      {"dir_handles_uid=0", "dir_handles_uid"},
      {"listings_inflight=0", "listings_inflight: expected 1 to 1024"},
      {"listings_inflight=1025", "listings_inflight: expected"},
      {"listings_inflight_uid=", "listings_inflight_uid: expected"},
      {"listings_inflight_uid=x", "listings_inflight_uid: expected"},
      {"listings_queue_uid=65537", "listings_queue_uid: expected 0 to 65536"},
      {"listings_queue=-1", "listings_queue: expected"},
      {"listings_queue", "listings_queue: expected"},
      {"sec", "-o sec: expected krb5"},
      {"sec=", "-o sec: expected krb5"},
      {"sec=ntlm", "-o sec: expected krb5"},
      {"sec=none", "-o sec: expected krb5"},
      {"sec=KRB5X", "-o sec: expected krb5"},
      {"hardened_paths", "hardened_paths needs a value"},
      {"hardened_paths=", "hardened_paths needs a value"},
      {"hardened_paths=//h/s#x", "invalid character"},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    struct dfsc__mount_opts o;
    char err[256] = "";
    dfsc__mount_opts_init(&o);
    assert_int_equal(parse(&o, bad[i].arg, err, sizeof(err)), -EINVAL);
    if (strstr(err, bad[i].msg) == NULL)
      fail_msg("-o %s: message '%s' lacks '%s'", bad[i].arg, err, bad[i].msg);
    /* The password itself never appears in a message. */
    assert_null(strstr(err, "hunter2"));
    dfsc__mount_opts_free(&o);
  }
}

static void test_opts_escapes(void **state) {
  struct dfsc__mount_opts o;
  char err[256] = "";

  (void)state;
  dfsc__mount_opts_init(&o);
  /* "\\" is a backslash, so the comma after it separates. */
  assert_int_equal(parse(&o, "user=a\\\\,ro,,", err, sizeof(err)), 0);
  assert_string_equal(o.user, "a\\");
  assert_int_equal(o.ro, 1);
  dfsc__mount_opts_free(&o);
}

static void test_opts_shared_mount(void **state) {
  struct dfsc__mount_opts o;
  char err[256] = "";

  (void)state;
  dfsc__mount_opts_init(&o);
  /* The defaults: 256 MiB in all, 64 MiB and 1024 handles per uid. */
  assert_int_equal(o.listing_mem, 256u << 20);
  assert_int_equal(o.listing_mem_uid, 64u << 20);
  assert_int_equal(o.dir_handles_uid, 1024);
  assert_int_equal(parse(&o,
                         "hosts=fs1:dfsroot/dfs,hosts=*.corp\\,dc1,open_hosts,dumpable,"
                         "listing_mem=1G,listing_mem_uid=100k,dir_handles_uid=7",
                         err, sizeof(err)),
                   0);
  assert_int_equal(o.nhosts, 4);
  assert_string_equal(o.hosts[0], "fs1");
  assert_string_equal(o.hosts[1], "dfsroot/dfs");
  assert_string_equal(o.hosts[2], "*.corp");
  assert_string_equal(o.hosts[3], "dc1");
  assert_null(o.hosts[4]);
  assert_int_equal(o.open_hosts, 1);
  assert_int_equal(o.dumpable, 1);
  assert_int_equal(o.listing_mem, 1ull << 30);
  assert_int_equal(o.listing_mem_uid, 100u << 10);
  assert_int_equal(o.dir_handles_uid, 7);
  /* None of them reaches libfuse. */
  assert_null(o.fuse_opts);
  dfsc__mount_opts_free(&o);
}

/* Listings in flight: 2 per uid; in all, as many as listing_mem holds of
 * the largest one the library may build (min(listing_mem_uid,
 * listing_mem)), at least 1, at most 1024, unless given. */
static void test_listings_inflight(void **state) {
  struct dfsc__mount_opts o;
  char err[256] = "";

  (void)state;
  dfsc__mount_opts_init(&o);
  assert_int_equal(o.listings_inflight_uid, 2);
  assert_int_equal(o.listings_inflight, 0);
  assert_int_equal(o.listings_queue_uid, 64);
  assert_int_equal(o.listings_queue, 1024);
  assert_int_equal(dfsc__mount_listing_max(&o), 64u << 20);
  assert_int_equal(dfsc__mount_listings_inflight(&o), 4);
  /* 1 GiB / 64 MiB = 16. */
  assert_int_equal(parse(&o, "listing_mem=1G", err, sizeof(err)), 0);
  assert_int_equal(dfsc__mount_listings_inflight(&o), 16);
  /* A per-uid limit above the total: a listing is bounded by the total. */
  assert_int_equal(parse(&o, "listing_mem=4G,listing_mem_uid=8G", err, sizeof(err)), 0);
  assert_int_equal(dfsc__mount_listing_max(&o), 4ull << 30);
  assert_int_equal(dfsc__mount_listings_inflight(&o), 1);
  /* 100 MiB / 64 MiB: rounded down. */
  assert_int_equal(parse(&o, "listing_mem=100M,listing_mem_uid=64M", err, sizeof(err)), 0);
  assert_int_equal(dfsc__mount_listings_inflight(&o), 1);
  assert_int_equal(parse(&o, "listing_mem=1024G,listing_mem_uid=4K", err, sizeof(err)), 0);
  assert_int_equal(dfsc__mount_listings_inflight(&o), 1024); /* capped */
  assert_int_equal(parse(&o, "listings_queue_uid=0,listings_queue=65536", err, sizeof(err)),
                   0);
  assert_int_equal(o.listings_queue_uid, 0);
  assert_int_equal(o.listings_queue, 65536);
  assert_int_equal(parse(&o, "listings_queue_uid=1", err, sizeof(err)), 0);
  assert_int_equal(o.listings_queue_uid, 1);
  assert_int_equal(
      parse(&o, "listings_inflight=5,listings_inflight_uid=3", err, sizeof(err)), 0);
  assert_int_equal(dfsc__mount_listings_inflight(&o), 5);
  assert_int_equal(o.listings_inflight_uid, 3);
  assert_null(o.fuse_opts);
  dfsc__mount_opts_free(&o);
}

/* per_sec lines a second, then a count of those held back, given with the
 * first line of a later second. */
static void test_ratelimit(void **state) {
  struct dfsc__mount_ratelimit rl = {0};
  uint64_t skipped = 99;
  int i, n = 0;

  (void)state;
  for (i = 0; i < 25; i++)
    n += dfsc__mount_ratelimit(&rl, 100, 10, &skipped);
  assert_int_equal(n, 10);
  assert_int_equal(skipped, 0);
  /* The next second: open again, and the 15 held back are reported once. */
  assert_int_equal(dfsc__mount_ratelimit(&rl, 101, 10, &skipped), 1);
  assert_int_equal(skipped, 15);
  assert_int_equal(dfsc__mount_ratelimit(&rl, 101, 10, &skipped), 1);
  assert_int_equal(skipped, 0);
  /* A quiet gap changes nothing: nothing was held back. */
  assert_int_equal(dfsc__mount_ratelimit(&rl, 500, 10, &skipped), 1);
  assert_int_equal(skipped, 0);
  /* per_sec 0 holds back every line. */
  memset(&rl, 0, sizeof(rl));
  assert_int_equal(dfsc__mount_ratelimit(&rl, 1, 0, &skipped), 0);
  assert_int_equal(dfsc__mount_ratelimit(&rl, 2, 0, &skipped), 0);
  assert_int_equal(skipped, 1);
}

static void test_host_allowed(void **state) {
  static const char *const creds[] = {"*.dfs.test", NULL};
  struct dfsc__mount_opts o;
  char err[256] = "";
  const uid_t owner = 1000, other = 1001;

  (void)state;
  dfsc__mount_opts_init(&o);
  /* Without allow_other the kernel lets nobody else in: no check. */
  assert_true(dfsc__mount_host_allowed(&o, NULL, owner, other, "evil", "share"));
  assert_int_equal(parse(&o, "allow_other", err, sizeof(err)), 0);
  /* allow_other and no list: the owner reaches anything, others nothing. */
  assert_true(dfsc__mount_host_allowed(&o, NULL, owner, owner, "evil", "share"));
  assert_false(dfsc__mount_host_allowed(&o, NULL, owner, other, "evil", NULL));
  assert_false(dfsc__mount_host_allowed(&o, NULL, owner, other, "evil", "share"));
  assert_false(dfsc__mount_host_allowed(&o, NULL, owner, 0, "evil", "share"));
  assert_int_equal(parse(&o, "hosts=fs1:DFSROOT/dfs:fs?/pub", err, sizeof(err)), 0);
  assert_true(dfsc__mount_host_allowed(&o, NULL, owner, other, "fs1", NULL));
  assert_true(dfsc__mount_host_allowed(&o, NULL, owner, other, "FS1", "any"));
  assert_true(dfsc__mount_host_allowed(&o, NULL, owner, other, "dfsroot", NULL));
  assert_true(dfsc__mount_host_allowed(&o, NULL, owner, other, "dfsroot", "DFS"));
  assert_false(dfsc__mount_host_allowed(&o, NULL, owner, other, "dfsroot", "scratch"));
  assert_true(dfsc__mount_host_allowed(&o, NULL, owner, other, "fs2", "pub"));
  assert_false(dfsc__mount_host_allowed(&o, NULL, owner, other, "fs2", "data"));
  assert_false(dfsc__mount_host_allowed(&o, NULL, owner, other, "fs10", "pub"));
  assert_false(dfsc__mount_host_allowed(&o, NULL, owner, other, "fs1.", NULL));
  assert_false(dfsc__mount_host_allowed(&o, NULL, owner, other, "evil", NULL));
  /* cred_servers patterns allow every share of a matching host. */
  assert_true(dfsc__mount_host_allowed(&o, creds, owner, other, "dc1.dfs.test", "x"));
  assert_false(dfsc__mount_host_allowed(&o, creds, owner, other, "dfs.test.evil", "x"));
  /* open_hosts: everybody, anywhere. */
  o.open_hosts = 1;
  assert_true(dfsc__mount_host_allowed(&o, NULL, owner, other, "evil", "share"));
  dfsc__mount_opts_free(&o);
}

static void test_glob(void **state) {
  (void)state;
  assert_true(dfsc__glob_match("*", ""));
  assert_true(dfsc__glob_match("a*b*c", "aXXbYYc"));
  assert_true(dfsc__glob_match("A?C", "abc"));
  assert_false(dfsc__glob_match("a?c", "ac"));
  assert_false(dfsc__glob_match("a*b", "a"));
  assert_false(dfsc__glob_match("", "a"));
  /* One backtrack point: this pattern is linear, not exponential. */
  assert_false(dfsc__glob_match("*a*a*a*a*a*a*a*a*a*b",
                                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}

static void test_errno_map(void **state) {
  (void)state;
  assert_int_equal(dfsc__mount_errno(0, 0, 0), 0);
  assert_int_equal(dfsc__mount_errno(DFSC_E_NTSTATUS, 0xC0000034u, 0), ENOENT);
  assert_int_equal(dfsc__mount_errno(DFSC_E_NTSTATUS, 0xC00000CCu, 0), ENOENT);
  assert_int_equal(dfsc__mount_errno(DFSC_E_NTSTATUS, 0xC0000022u, 0), EACCES);
  assert_int_equal(dfsc__mount_errno(DFSC_E_GUEST, 0, 0), EACCES);
  assert_int_equal(dfsc__mount_errno(DFSC_E_NOTICKET, 0, 0), ENOKEY);
  assert_int_equal(dfsc__mount_errno(DFSC_E_KERBEROS, 0, 0), EACCES);
  assert_int_equal(dfsc__mount_errno(DFSC_E_HARDENED, 0, 0), EACCES);
  assert_int_equal(dfsc__mount_errno(DFSC_E_NTSTATUS, 0xC0000035u, 0), EEXIST);
  assert_int_equal(dfsc__mount_errno(DFSC_E_NTSTATUS, 0xC0000101u, 0), ENOTEMPTY);
  assert_int_equal(dfsc__mount_errno(DFSC_E_NTSTATUS, 0xC000007Fu, 1), ENOSPC);
  assert_int_equal(dfsc__mount_errno(DFSC_E_NTSTATUS, 0xC0000001u, 0), EIO);
  /* Transport failures of reads and writes are EIO; of lookups, themselves. */
  assert_int_equal(dfsc__mount_errno(-ECONNRESET, 0, 1), EIO);
  /* A handle lost for good is ESTALE, reads and writes included. */
  assert_int_equal(dfsc__mount_errno(-ESTALE, 0, 1), ESTALE);
  assert_int_equal(dfsc__mount_errno(-ESTALE, 0, 0), ESTALE);
  /* A connection that did not come back: EHOSTDOWN, never the socket's
   * words, for requests other than reads and writes. */
  assert_int_equal(dfsc__mount_errno(-ETIMEDOUT, 0, 0), EHOSTDOWN);
  assert_int_equal(dfsc__mount_errno(-ECONNREFUSED, 0, 0), EHOSTDOWN);
  assert_int_equal(dfsc__mount_errno(-ECONNRESET, 0, 0), EHOSTDOWN);
  assert_int_equal(dfsc__mount_errno(DFSC_E_CLOSED, 0, 0), EHOSTDOWN);
  assert_int_equal(dfsc__mount_errno(-ECONNREFUSED, 0, 1), EIO);
  assert_int_equal(dfsc__mount_errno(-ETIMEDOUT, 0, 1), EIO);
  assert_int_equal(dfsc__mount_errno(DFSC_E_LOOKUP, 0, 0), EHOSTUNREACH);
  assert_int_equal(dfsc__mount_errno(DFSC_E_BUSY, 0, 1), EAGAIN);
  assert_int_equal(dfsc__mount_errno(-ENOMEM, 0, 1), ENOMEM);
  assert_int_equal(dfsc__mount_errno(DFSC_E_LOOP, 0, 0), ELOOP);
  assert_int_equal(dfsc__mount_errno(DFSC_E_PROTO, 0, 0), EIO);
  /* Interrupted requests and the operation deadline. */
  assert_int_equal(dfsc__mount_errno(DFSC_E_CANCELED, 0, 0), EINTR);
  assert_int_equal(dfsc__mount_errno(DFSC_E_CANCELED, 0, 1), EINTR);
  assert_int_equal(dfsc__mount_errno(-EINTR, 0, 1), EINTR);
  assert_int_equal(dfsc__mount_errno(DFSC_E_TIMEDOUT, 0, 0), ETIMEDOUT);
  assert_int_equal(dfsc__mount_errno(DFSC_E_TIMEDOUT, 0, 1), ETIMEDOUT);
}

static void test_opts_reconnect(void **state) {
  struct dfsc__mount_opts o;
  dfsc_opts opts;
  char err[256] = "";

  (void)state;
  dfsc__mount_opts_init(&o);
  dfsc_opts_init(&opts);
  opts.reconnect_timeout_ms = 111;
  opts.echo_interval_ms = 222;
  /* Not given: what the command line set stays. */
  dfsc__mount_net_opts(&o, &opts);
  assert_int_equal(opts.reconnect_timeout_ms, 111);
  assert_int_equal(opts.echo_interval_ms, 222);
  assert_int_equal(opts.durable, DFSC_DURABLE_AUTO);
  assert_int_equal(parse(&o,
                         "reconnect_timeout=20000,echo_interval=off,durable=off,"
                         "durable_timeout=90000",
                         err, sizeof(err)),
                   0);
  assert_null(o.fuse_opts);
  assert_null(o.config);
  dfsc__mount_net_opts(&o, &opts);
  assert_int_equal(opts.reconnect_timeout_ms, 20000);
  assert_int_equal(opts.echo_interval_ms, UINT32_MAX);
  assert_int_equal(opts.durable, DFSC_DURABLE_OFF);
  assert_int_equal(opts.durable_timeout_ms, 90000);
  assert_int_equal(parse(&o, "echo_interval=15000,durable=on", err, sizeof(err)), 0);
  dfsc__mount_net_opts(&o, &opts);
  assert_int_equal(opts.echo_interval_ms, 15000);
  assert_int_equal(opts.durable, DFSC_DURABLE_AUTO);
  assert_int_equal(parse(&o, "reconnect_timeout=-1", err, sizeof(err)), -EINVAL);
  assert_non_null(strstr(err, "reconnect_timeout"));
  assert_int_equal(parse(&o, "reconnect_timeout=86400001", err, sizeof(err)), -EINVAL);
  assert_int_equal(parse(&o, "reconnect_timeout", err, sizeof(err)), -EINVAL);
  assert_int_equal(parse(&o, "echo_interval=never", err, sizeof(err)), -EINVAL);
  assert_int_equal(parse(&o, "durable=maybe", err, sizeof(err)), -EINVAL);
  assert_int_equal(parse(&o, "durable_timeout=1s", err, sizeof(err)), -EINVAL);
  dfsc__mount_opts_free(&o);
}

static void test_fill_stat(void **state) {
  struct dfsc__mount_opts o;
  dfsc_stat_t st;
  struct stat out;

  (void)state;
  dfsc__mount_opts_init(&o);
  o.uid = 7;
  o.gid = 8;
  o.has_uid = o.has_gid = 1;
  memset(&st, 0, sizeof(st));
  st.size = 12345;
  st.alloc_size = 16384;
  st.write_time = dfsc_filetime_from_unix(1600000000, 123456700);
  st.attributes = DFSC_ATTR_READONLY;
  dfsc__mount_fill_stat(&o, &st, 42, &out);
  assert_int_equal(out.st_mode, S_IFREG | 0444);
  assert_int_equal(out.st_size, 12345);
  assert_int_equal(out.st_blocks, 32);
  assert_int_equal(out.st_ino, 42);
  assert_int_equal(out.st_uid, 7);
  assert_int_equal(out.st_gid, 8);
  assert_int_equal(out.st_nlink, 1);
  assert_int_equal(out.st_mtim.tv_sec, 1600000000);
  assert_int_equal(out.st_mtim.tv_nsec, 123456700);
  st.is_dir = 1;
  st.attributes = DFSC_ATTR_DIRECTORY;
  dfsc__mount_fill_stat(&o, &st, 42, &out);
  assert_int_equal(out.st_mode, S_IFDIR | 0755);
  assert_int_equal(dfsc_filetime_from_unix(-11644473601LL, 0), 0);
  dfsc__mount_opts_free(&o);
}

/* Names are measured in UTF-16 code units, as the server counts them. */
static void test_name_too_long(void **state) {
  char buf[1100];
  size_t i;
  (void)state;
  memset(buf, 'a', 255);
  buf[255] = 0;
  assert_int_equal(dfsc__mount_name_too_long(buf), 0);
  buf[255] = 'a';
  buf[256] = 0;
  assert_int_equal(dfsc__mount_name_too_long(buf), 1);
  /* 255 two-byte characters: 510 bytes, 255 units. */
  for (i = 0; i < 255; i++)
    memcpy(buf + 2 * i, "\xc3\xa9", 2);
  buf[510] = 0;
  assert_int_equal(dfsc__mount_name_too_long(buf), 0);
  /* 127 characters past U+FFFF (two units each) and one more unit: 255;
   * then one more unit: 256. */
  for (i = 0; i < 127; i++)
    memcpy(buf + 4 * i, "\xf0\x9f\x98\x80", 4);
  buf[508] = 'x';
  buf[509] = 0;
  assert_int_equal(dfsc__mount_name_too_long(buf), 0);
  buf[509] = 'y';
  buf[510] = 0;
  assert_int_equal(dfsc__mount_name_too_long(buf), 1);
}

static void test_server_names(void **state) {
  (void)state;
  assert_true(dfsc__mount_valid_server_name("fs1"));
  assert_true(dfsc__mount_valid_server_name("DFS.TEST"));
  assert_true(dfsc__mount_valid_server_name("Grüße"));
  assert_false(dfsc__mount_valid_server_name(""));
  assert_false(dfsc__mount_valid_server_name(".Trash"));
  assert_false(dfsc__mount_valid_server_name("a\\b"));
  assert_false(dfsc__mount_valid_server_name("a:b"));
  assert_false(dfsc__mount_valid_server_name("a\nb"));
}

static void test_drop_fuse_opt(void **state) {
  char a[] = "allow_other,default_permissions", b[] = "default_permissions,ro",
       c[] = "default_permissions", d[] = "x,default_permissions,y,default_permissions",
       e[] = "default_permissionsx,ro";
  (void)state;
  dfsc__mount_drop_fuse_opt(a, "default_permissions");
  dfsc__mount_drop_fuse_opt(b, "default_permissions");
  dfsc__mount_drop_fuse_opt(c, "default_permissions");
  dfsc__mount_drop_fuse_opt(d, "default_permissions");
  dfsc__mount_drop_fuse_opt(e, "default_permissions");
  assert_string_equal(a, "allow_other");
  assert_string_equal(b, "ro");
  assert_string_equal(c, "");
  assert_string_equal(d, "x,y");
  assert_string_equal(e, "default_permissionsx,ro");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_drop_fuse_opt),
      cmocka_unit_test(test_opts_mount_keys),
      cmocka_unit_test(test_opts_config_and_fuse),
      cmocka_unit_test(test_frontend_interface),
      cmocka_unit_test(test_opts_kerberos),
      cmocka_unit_test(test_opts_allow_other_brings_permissions),
      cmocka_unit_test(test_opts_errors),
      cmocka_unit_test(test_opts_escapes),
      cmocka_unit_test(test_opts_shared_mount),
      cmocka_unit_test(test_listings_inflight),
      cmocka_unit_test(test_ratelimit),
      cmocka_unit_test(test_host_allowed),
      cmocka_unit_test(test_glob),
      cmocka_unit_test(test_errno_map),
      cmocka_unit_test(test_opts_reconnect),
      cmocka_unit_test(test_fill_stat),
      cmocka_unit_test(test_server_names),
      cmocka_unit_test(test_name_too_long),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
