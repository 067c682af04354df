/* Target sets ([MS-DFSC] 2.2.5.4 TargetSetBoundary, 3.2.1.1, 3.2.1.2,
 * 3.1.5.2): referral PDUs, captured from Samba or built with the encoder,
 * go through the resolver's store into the cache; the entry keeps the
 * server's order and each target's set, and failover tries the rest of a
 * set before the next set. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/loop.h"
#include "dfs/referral.h"
#include "dfs/resolver.h"
#include "dfsc/errors.h"
#include "golden.h"

#ifndef DFSC_FIXTURES
#error "DFSC_FIXTURES must name the tests/fixtures directory"
#endif

struct fx {
  dfsc_loop *loop;
  dfsc_dfs *d;
};

static int setup(void **state) {
  static struct fx f;
  assert_int_equal(dfsc__loop_new(NULL, 0, &f.loop), 0);
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

static void store_fixture(struct fx *f, const char *name, const char *path,
                          const char *want) {
  char prefix[DFSC_DFS_PATH_MAX];
  size_t len;
  uint8_t *b = fixture_load("dfs", name, &len);
  assert_int_equal(
      dfsc__dfs_referral_store(f->d, "root", path, b, len, prefix, sizeof(prefix)), 0);
  assert_string_equal(prefix, want);
  free(b);
}

/* Builds a V4 link referral for \dom\ns\link with the given targets;
 * boundary[i] sets TargetSetBoundary on entry i. Stores it. */
static void store_v4(struct fx *f, const char *const *targets, const int *boundary,
                     size_t n) {
  dfsc_referral_entry e[8];
  dfsc_referral r;
  uint8_t out[2048];
  char prefix[DFSC_DFS_PATH_MAX];
  dfsc_wr w;
  size_t i;
  assert_true(n <= 8);
  memset(e, 0, sizeof(e));
  for (i = 0; i < n; i++) {
    e[i].version = 4;
    e[i].ttl = 600;
    e[i].dfs_path = "\\dom\\ns\\link";
    e[i].alt_path = "\\dom\\ns\\link";
    e[i].target = (char *)targets[i];
    e[i].target_set_boundary = boundary[i];
  }
  memset(&r, 0, sizeof(r));
  r.path_consumed = 2 * 12; /* "\dom\ns\link" in UTF-16 */
  r.header_flags = DFSC_REF_HDR_STORAGE_SERVERS;
  r.n = n;
  r.e = e;
  dfsc__wr_init(&w, out, sizeof(out));
  assert_int_equal(dfsc__dfs_referral_encode(&w, &r), 0);
  assert_int_equal(dfsc__dfs_referral_store(f->d, "dom", "\\dom\\ns\\link\\f", out, w.off,
                                            prefix, sizeof(prefix)),
                   0);
  assert_string_equal(prefix, "\\dom\\ns\\link");
}

static const dfsc_dfs_entry *entry(struct fx *f, const char *prefix) {
  const dfsc_dfs_entry *e = dfsc__dfs_cache_find(dfsc__dfs_cache(f->d), prefix);
  assert_non_null(e);
  return e;
}

/* The target a walk that tried `tried` on \dom\ns\link gets now. */
static size_t walk_pick(struct fx *f, uint64_t tried, char *out) {
  dfsc_dfs_avoid av = {"\\dom\\ns\\link", tried};
  char pfx[DFSC_DFS_PATH_MAX];
  size_t t = 99;
  assert_int_equal(
      dfsc__dfs_rewrite_avoid(f->d, "\\dom\\ns\\link\\f", out, NULL, NULL, pfx, &t, &av),
      0);
  return t;
}

/* Samba's answers: V3 (no sets: one set, server order kept) and its V4
 * SYSVOL referral (TargetSetBoundary on its only entry). */
static void test_samba_golden(void **state) {
  struct fx *f = *state;
  const dfsc_dfs_entry *e;
  dfsc_dfs_hop hops[DFSC_DFS_HOPS_MAX];
  char out[DFSC_DFS_PATH_MAX];
  size_t n = 0;
  store_fixture(f, "samba_link2_l4_v3", "\\127.0.0.1\\dfs\\link2\\x",
                "\\127.0.0.1\\dfs\\link2");
  e = entry(f, "\\127.0.0.1\\dfs\\link2");
  assert_int_equal(e->n, 2);
  assert_string_equal(e->targets[0].path, "\\fs2\\data");
  assert_string_equal(e->targets[1].path, "\\fs3\\data\\sub");
  assert_int_equal(e->targets[0].set, 0);
  assert_int_equal(e->targets[1].set, 0);
  store_fixture(f, "samba_dc_sysvol_l4_v4", "\\dfs.test\\sysvol\\pol",
                "\\dfs.test\\sysvol");
  e = entry(f, "\\dfs.test\\sysvol");
  assert_int_equal(e->version, 4);
  assert_int_equal(e->n, 1);
  assert_int_equal(e->targets[0].set, 0);
  assert_int_equal(dfsc__dfs_rewrite(f->d, "\\dfs.test\\sysvol\\pol", out, hops, &n, NULL),
                   0);
  assert_int_equal(n, 1);
  assert_int_equal(hops[0].set, 0);
  assert_int_equal(hops[0].n_sets, 1);
}

/* Three sets, [a1 a2 | b1 b2 | c1]: the entry keeps them, `dfsc resolve`
 * sees them, and one walk's failures go a1, a2, b1, b2, c1. */
static void test_sets_kept_and_walked_in_order(void **state) {
  static const char *const t[] = {"\\a1\\s", "\\a2\\s", "\\b1\\s", "\\b2\\s", "\\c1\\s"};
  static const int bd[] = {1, 0, 1, 0, 1};
  static const unsigned want_set[] = {0, 0, 1, 1, 2};
  struct fx *f = *state;
  const dfsc_dfs_entry *e;
  dfsc_dfs_hop hops[DFSC_DFS_HOPS_MAX];
  char out[DFSC_DFS_PATH_MAX];
  uint64_t tried = 0;
  size_t i, n = 0, cur;
  store_v4(f, t, bd, 5);
  e = entry(f, "\\dom\\ns\\link");
  assert_int_equal(e->n, 5);
  for (i = 0; i < 5; i++) {
    assert_string_equal(e->targets[i].path, t[i]);
    assert_int_equal(e->targets[i].set, want_set[i]);
  }
  assert_int_equal(dfsc__dfs_rewrite(f->d, "\\dom\\ns\\link\\f", out, hops, &n, NULL), 0);
  assert_string_equal(out, "\\a1\\s\\f");
  assert_int_equal(hops[0].set, 0);
  assert_int_equal(hops[0].n_sets, 3);
  cur = walk_pick(f, 0, out);
  for (i = 0; i < 4; i++) {
    assert_int_equal(cur, i);
    assert_int_equal(dfsc__dfs_failover(f->d, "\\dom\\ns\\link", cur, &tried), 0);
    cur = walk_pick(f, tried, out);
  }
  assert_int_equal(cur, 4);
  assert_string_equal(out, "\\c1\\s\\f");
  assert_int_equal(dfsc__dfs_failover(f->d, "\\dom\\ns\\link", 4, &tried), -EHOSTUNREACH);
}

/* The hint sits on the second target of the first set (another walk saw
 * a1 fail). A walk that then fails on a2 goes back to a1, its set's other
 * member, before the costlier set b ([MS-DFSC] 3.2.1.2: a set's targets
 * are equals); going on in plain list order would take b1. The hint moves
 * there too. */
static void test_failover_stays_in_set(void **state) {
  static const char *const t[] = {"\\a1\\s", "\\a2\\s", "\\b1\\s", "\\b2\\s"};
  static const int bd[] = {1, 0, 1, 0};
  struct fx *f = *state;
  const dfsc_dfs_entry *e;
  char out[DFSC_DFS_PATH_MAX];
  uint64_t w1 = 0, w2 = 0;
  store_v4(f, t, bd, 4);
  e = entry(f, "\\dom\\ns\\link");
  assert_int_equal(dfsc__dfs_failover(f->d, "\\dom\\ns\\link", 0, &w1), 0);
  assert_int_equal(e->hint, 1);
  assert_int_equal(walk_pick(f, 0, out), 1);
  assert_int_equal(dfsc__dfs_failover(f->d, "\\dom\\ns\\link", 1, &w2), 0);
  assert_int_equal(walk_pick(f, w2, out), 0);
  assert_string_equal(out, "\\a1\\s\\f");
  assert_int_equal(e->hint, 0);
  /* a1 fails for that walk too: set a is done, set b comes next, and the
   * hint follows it rather than bouncing back to a2. */
  assert_int_equal(dfsc__dfs_failover(f->d, "\\dom\\ns\\link", 0, &w2), 0);
  assert_int_equal(walk_pick(f, w2, out), 2);
  assert_int_equal(e->hint, 2);
  /* A walk whose hint is in set b and that fails on b2 tries b1 first,
   * then the earlier set a. */
  {
    uint64_t w3 = (uint64_t)1 << 3;
    assert_int_equal(walk_pick(f, w3, out), 2);
    w3 |= (uint64_t)1 << 2;
    assert_int_equal(walk_pick(f, w3, out), 0);
  }
}

/* A skipped target (not \server\share) that began a set hands the boundary
 * on; a V4 answer that forgets the boundary on its first entry still
 * starts with set 0. */
static void test_boundaries_survive_skips(void **state) {
  static const char *const t[] = {"\\a1\\s", "\\..\\s", "\\b2\\s", "\\b3\\s"};
  static const int bd[] = {0, 1, 0, 1};
  struct fx *f = *state;
  const dfsc_dfs_entry *e;
  store_v4(f, t, bd, 4);
  e = entry(f, "\\dom\\ns\\link");
  assert_int_equal(e->n, 3);
  assert_string_equal(e->targets[1].path, "\\b2\\s");
  assert_int_equal(e->targets[0].set, 0);
  assert_int_equal(e->targets[1].set, 1);
  assert_int_equal(e->targets[2].set, 2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_samba_golden, setup, teardown),
      cmocka_unit_test_setup_teardown(test_sets_kept_and_walked_in_order, setup, teardown),
      cmocka_unit_test_setup_teardown(test_failover_stays_in_set, setup, teardown),
      cmocka_unit_test_setup_teardown(test_boundaries_survive_skips, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
