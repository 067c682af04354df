/* The resolver's cache walk: link rewriting, interlinks, roots, folder
 * targets, the hop limit on cycles, failover through the target list, and
 * when an expired entry asks for a refresh. No network: the cache is filled
 * by hand and time comes from an injected clock. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/alloc.h"
#include "core/loop.h"
#include "dfs/resolver.h"
#include "dfsc/errors.h"

static uint64_t now_ms;
static uint64_t fake_clock(void *arg) {
  (void)arg;
  return now_ms;
}

struct fx {
  dfsc_loop *loop;
  dfsc_dfs *d;
};

static int setup(void **state) {
  static struct fx f;
  now_ms = 1000000;
  assert_int_equal(dfsc__loop_new(NULL, 0, &f.loop), 0);
  dfsc__loop_set_clock(f.loop, fake_clock, NULL);
  dfsc__loop_update_time(f.loop);
  assert_int_equal(dfsc__dfs_new(NULL, f.loop, NULL, NULL, &f.d), 0);
  *state = &f;
  return 0;
}

static int teardown(void **state) {
  struct fx *f = *state;
  dfsc__dfs_free(f->d);
  dfsc__loop_free(f->loop);
  return 0;
}

static void add(struct fx *f, const char *prefix, int root, const char *t0, const char *t1,
                const char *source) {
  size_t n = t1 ? 2 : 1;
  dfsc_dfs_entry *e = dfsc__dfs_entry_new(prefix, n);
  assert_non_null(e);
  e->root = root;
  e->ttl = 600;
  e->version = 3;
  e->targets[0].path = dfsc__strdup(t0);
  if (t1)
    e->targets[1].path = dfsc__strdup(t1);
  e->source = source ? dfsc__strdup(source) : NULL;
  dfsc__dfs_cache_insert(dfsc__dfs_cache(f->d), e, dfsc__loop_update_time(f->loop));
}

static void expect(struct fx *f, const char *in, const char *want, size_t want_hops) {
  char out[DFSC_DFS_PATH_MAX];
  dfsc_dfs_hop hops[DFSC_DFS_HOPS_MAX];
  size_t n = 99;
  assert_int_equal(dfsc__dfs_rewrite(f->d, in, out, hops, &n, NULL), 0);
  assert_string_equal(out, want);
  assert_int_equal(n, want_hops);
}

static void test_uncached_is_unchanged(void **state) {
  struct fx *f = *state;
  expect(f, "\\fs1\\data\\x", "\\fs1\\data\\x", 0);
}

static void test_link_and_folder(void **state) {
  struct fx *f = *state;
  add(f, "\\root\\dfs\\single", 0, "\\fs1\\data", NULL, "root");
  add(f, "\\root\\dfs\\folder", 0, "\\fs1\\data\\a\\b\\", NULL, "root");
  expect(f, "\\root\\dfs\\single\\x\\y.txt", "\\fs1\\data\\x\\y.txt", 1);
  expect(f, "\\ROOT\\DFS\\SINGLE", "\\fs1\\data", 1);
  /* A trailing separator in a target does not double up. */
  expect(f, "\\root\\dfs\\folder\\c", "\\fs1\\data\\a\\b\\c", 1);
  /* "singleX" is not under "single". */
  expect(f, "\\root\\dfs\\singleX\\y", "\\root\\dfs\\singleX\\y", 0);
}

static void test_interlink_chain(void **state) {
  struct fx *f = *state;
  char out[DFSC_DFS_PATH_MAX], last[DFSC_DFS_PATH_MAX];
  dfsc_dfs_hop hops[DFSC_DFS_HOPS_MAX];
  size_t n;
  add(f, "\\root\\dfs\\inter", 0, "\\root2\\dfs2", NULL, "root");
  add(f, "\\root2\\dfs2\\inner", 0, "\\fs2\\data", NULL, "root2");
  assert_int_equal(
      dfsc__dfs_rewrite(f->d, "\\root\\dfs\\inter\\inner\\f", out, hops, &n, last), 0);
  assert_string_equal(out, "\\fs2\\data\\f");
  assert_int_equal(n, 2);
  assert_string_equal(hops[0].prefix, "\\root\\dfs\\inter");
  assert_string_equal(hops[1].target, "\\fs2\\data");
  assert_string_equal(last, "\\root2\\dfs2\\inner");
}

static void test_root_stops_walk(void **state) {
  struct fx *f = *state;
  /* A root entry points at a root target, which hosts the root share: the
   * walk ends there (link entries below it resolve on the next op). */
  add(f, "\\domain\\ns", 1, "\\dc1\\ns", NULL, "domain");
  add(f, "\\dc1\\ns", 1, "\\domain\\ns", NULL, "dc1");
  expect(f, "\\domain\\ns\\link\\f", "\\dc1\\ns\\link\\f", 1);
}

static void test_cycle_is_bounded(void **state) {
  struct fx *f = *state;
  char out[DFSC_DFS_PATH_MAX];
  add(f, "\\a\\s\\loop", 0, "\\b\\s\\back", NULL, "a");
  add(f, "\\b\\s\\back", 0, "\\a\\s\\loop", NULL, "b");
  assert_int_equal(dfsc__dfs_rewrite(f->d, "\\a\\s\\loop\\x", out, NULL, NULL, NULL),
                   DFSC_E_LOOP);
  /* A path that grows each round ends too (too long, or the hop limit). */
  add(f, "\\g\\s\\l", 0, "\\g\\s\\l\\l", NULL, "g");
  assert_true(dfsc__dfs_rewrite(f->d, "\\g\\s\\l\\x", out, NULL, NULL, NULL) < 0);
}

static void test_failover(void **state) {
  struct fx *f = *state;
  uint64_t tried = 0;
  add(f, "\\r\\dfs\\rep", 0, "\\fs1\\data", "\\fs2\\data", "r");
  expect(f, "\\r\\dfs\\rep\\x", "\\fs1\\data\\x", 1);
  assert_int_equal(dfsc__dfs_failover(f->d, "\\r\\dfs\\rep", 0, &tried), 0);
  assert_int_equal(tried, 1);
  expect(f, "\\r\\dfs\\rep\\x", "\\fs2\\data\\x", 1);
  /* Both tried: nothing left for this caller. */
  assert_int_equal(dfsc__dfs_failover(f->d, "\\r\\dfs\\rep", 1, &tried), -EHOSTUNREACH);
  tried = 0;
  assert_int_equal(dfsc__dfs_failover(f->d, "\\no\\such", 0, &tried), -ENOENT);
}

/* Two walks fail on the dead first target at once: the hint moves once,
 * to the live one, and stays there (it used to move on twice, back onto
 * the dead target). A walk never takes a target it tried again. */
static void test_failover_concurrent(void **state) {
  struct fx *f = *state;
  char out[DFSC_DFS_PATH_MAX], pfx[DFSC_DFS_PATH_MAX];
  uint64_t a = 0, b = 0;
  size_t ta = 9, tb = 9;
  dfsc_dfs_avoid av = {"\\r\\dfs\\rep", 0};
  add(f, "\\r\\dfs\\rep", 0, "\\dead\\data", "\\fs2\\data", "r");
  assert_int_equal(
      dfsc__dfs_rewrite_avoid(f->d, "\\r\\dfs\\rep\\x", out, NULL, NULL, pfx, &ta, NULL),
      0);
  assert_int_equal(
      dfsc__dfs_rewrite_avoid(f->d, "\\r\\dfs\\rep\\x", out, NULL, NULL, pfx, &tb, NULL),
      0);
  assert_int_equal(ta, 0);
  assert_int_equal(tb, 0);
  assert_string_equal(pfx, "\\r\\dfs\\rep");
  assert_int_equal(dfsc__dfs_failover(f->d, pfx, ta, &a), 0);
  assert_int_equal(dfsc__dfs_failover(f->d, pfx, tb, &b), 0);
  /* Every walk, old or new, now lands on the live target. */
  expect(f, "\\r\\dfs\\rep\\y", "\\fs2\\data\\y", 1);
  av.tried = b;
  assert_int_equal(
      dfsc__dfs_rewrite_avoid(f->d, "\\r\\dfs\\rep\\x", out, NULL, NULL, pfx, &tb, &av), 0);
  assert_int_equal(tb, 1);
  assert_string_equal(out, "\\fs2\\data\\x");
  /* The live target then fails for walk b too (a blip), and walk c moves
   * the hint back to the first target: b still never retries the dead
   * one (it tried it), it has nothing left. */
  assert_int_equal(dfsc__dfs_failover(f->d, pfx, 1, &b), -EHOSTUNREACH);
  {
    uint64_t c = 0;
    assert_int_equal(dfsc__dfs_failover(f->d, pfx, 1, &c), 0);
    expect(f, "\\r\\dfs\\rep\\z", "\\dead\\data\\z", 1);
    /* A walk that tried the first target is sent to the second whatever
     * the hint says. */
    av.tried = 1;
    assert_int_equal(
        dfsc__dfs_rewrite_avoid(f->d, "\\r\\dfs\\rep\\x", out, NULL, NULL, pfx, &ta, &av),
        0);
    assert_int_equal(ta, 1);
  }
  /* The same target failing twice for one walk ends it. */
  a = 0;
  assert_int_equal(dfsc__dfs_failover(f->d, pfx, 0, &a), 0);
  assert_int_equal(dfsc__dfs_failover(f->d, pfx, 0, &a), -EHOSTUNREACH);
}

static void test_refresh_decision(void **state) {
  struct fx *f = *state;
  char server[64];
  add(f, "\\r\\dfs\\l", 0, "\\fs1\\data", NULL, "r");
  assert_int_equal(dfsc__dfs_needs_refresh(f->d, "\\r\\dfs\\l", server, sizeof(server)), 0);
  now_ms += 601 * 1000;
  dfsc__loop_update_time(f->loop);
  assert_int_equal(dfsc__dfs_needs_refresh(f->d, "\\r\\dfs\\l", server, sizeof(server)), 1);
  assert_string_equal(server, "r");
  /* Expired but within the grace: the walk still uses it (soft expiry). */
  expect(f, "\\r\\dfs\\l\\x", "\\fs1\\data\\x", 1);
  /* Past the hard bound (1 h by default) the entry is gone. */
  now_ms += 3600 * 1000;
  dfsc__loop_update_time(f->loop);
  expect(f, "\\r\\dfs\\l\\x", "\\r\\dfs\\l\\x", 0);
}

/* Referral targets are the server's word: only plain UNC paths name a
 * server to connect to. */
static void test_target_ok(void **state) {
  static const char *const good[] = {"\\fs2\\data", "\\fs2\\data\\sub", "\\fs2\\data\\",
                                     "\\dc1.dfs.test\\sysvol", "\\fs2\\data\\a..b\\.x"};
  static const char *const bad[] = {NULL,
                                    "",
                                    "\\",
                                    "fs2\\data",
                                    "\\fs2",
                                    "\\fs2\\",
                                    "\\\\fs2\\data",
                                    "\\fs2\\\\data",
                                    "\\fs2\\..",
                                    "\\..\\data",
                                    "\\.\\data",
                                    "\\fs2\\data\\..\\..\\etc",
                                    "\\fs2\\data\\.\\x",
                                    "\\fs2\\data\\a\\\\b"};
  size_t i;
  (void)state;
  for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
    if (!dfsc__dfs_target_ok(good[i]))
      fail_msg("good target %s refused", good[i]);
  }
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    if (dfsc__dfs_target_ok(bad[i]))
      fail_msg("bad target %s accepted", bad[i] ? bad[i] : "(null)");
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_target_ok),
      cmocka_unit_test_setup_teardown(test_uncached_is_unchanged, setup, teardown),
      cmocka_unit_test_setup_teardown(test_link_and_folder, setup, teardown),
      cmocka_unit_test_setup_teardown(test_interlink_chain, setup, teardown),
      cmocka_unit_test_setup_teardown(test_root_stops_walk, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cycle_is_bounded, setup, teardown),
      cmocka_unit_test_setup_teardown(test_failover, setup, teardown),
      cmocka_unit_test_setup_teardown(test_failover_concurrent, setup, teardown),
      cmocka_unit_test_setup_teardown(test_refresh_decision, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
