/* The referral and domain caches: longest-prefix matching on component
 * boundaries, case-insensitivity, LRU bounds, soft and hard expiry, hint
 * preservation on refresh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/alloc.h"
#include "dfs/cache.h"

static dfsc_dfs_entry *mk(const char *prefix, uint32_t ttl, int n, const char *t0,
                          const char *t1) {
  dfsc_dfs_entry *e = dfsc__dfs_entry_new(prefix, (size_t)n);
  assert_non_null(e);
  e->ttl = ttl;
  if (n > 0)
    e->targets[0].path = dfsc__strdup(t0);
  if (n > 1)
    e->targets[1].path = dfsc__strdup(t1);
  return e;
}

static void test_prefix_match(void **state) {
  (void)state;
  assert_int_equal(dfsc__dfs_prefix_match("\\a\\b", "\\a\\b"), 4);
  assert_int_equal(dfsc__dfs_prefix_match("\\a\\b", "\\A\\B\\c"), 4);
  assert_int_equal(dfsc__dfs_prefix_match("\\a\\b", "\\a\\bc"), 0);
  assert_int_equal(dfsc__dfs_prefix_match("\\a\\bc", "\\a\\b"), 0);
  assert_int_equal(dfsc__dfs_prefix_match("\\a\\b\\", "\\a\\b"), 0);
}

static void test_longest_prefix(void **state) {
  dfsc_dfs_cache *c;
  dfsc_dfs_entry *e;
  (void)state;
  assert_int_equal(dfsc__dfs_cache_new(0, 1000, &c), 0);
  dfsc__dfs_cache_insert(c, mk("\\r\\dfs", 600, 1, "\\r\\dfs", NULL), 0);
  dfsc__dfs_cache_insert(c, mk("\\r\\dfs\\deep\\two\\levels", 600, 1, "\\fs2\\data", NULL),
                         0);
  dfsc__dfs_cache_insert(c, mk("\\r\\dfs\\deep", 600, 1, "\\fs1\\x", NULL), 0);
  e = dfsc__dfs_cache_lookup(c, "\\R\\DFS\\Deep\\Two\\Levels\\f.txt", 10);
  assert_non_null(e);
  assert_string_equal(e->prefix, "\\r\\dfs\\deep\\two\\levels");
  e = dfsc__dfs_cache_lookup(c, "\\r\\dfs\\deep\\two\\levelsX", 10);
  assert_non_null(e);
  assert_string_equal(e->prefix, "\\r\\dfs\\deep");
  e = dfsc__dfs_cache_lookup(c, "\\r\\dfs\\other", 10);
  assert_non_null(e);
  assert_string_equal(e->prefix, "\\r\\dfs");
  assert_null(dfsc__dfs_cache_lookup(c, "\\r\\dfsx\\a", 10));
  assert_null(dfsc__dfs_cache_lookup(c, "\\s\\dfs", 10));
  assert_int_equal(dfsc__dfs_cache_count(c), 3);
  dfsc__dfs_cache_free(c);
}

static void test_expiry(void **state) {
  dfsc_dfs_cache *c;
  dfsc_dfs_entry *e;
  (void)state;
  assert_int_equal(dfsc__dfs_cache_new(0, 5000, &c), 0);
  e = dfsc__dfs_cache_insert(c, mk("\\r\\s\\l", 10, 1, "\\f\\d", NULL), 1000);
  assert_int_equal(e->expires, 11000);
  assert_int_equal(e->hard_expires, 16000);
  /* Expired but within the grace: still returned (soft expiry). */
  e = dfsc__dfs_cache_lookup(c, "\\r\\s\\l\\x", 12000);
  assert_non_null(e);
  assert_true(12000 >= e->expires);
  /* Past the hard bound: gone. */
  assert_null(dfsc__dfs_cache_lookup(c, "\\r\\s\\l\\x", 16000));
  assert_int_equal(dfsc__dfs_cache_count(c), 0);
  dfsc__dfs_cache_free(c);
}

static void test_lru_bound(void **state) {
  dfsc_dfs_cache *c;
  char p[32];
  int i;
  (void)state;
  assert_int_equal(dfsc__dfs_cache_new(8, 1000, &c), 0);
  for (i = 0; i < 8; i++) {
    snprintf(p, sizeof(p), "\\r\\s\\l%d", i);
    dfsc__dfs_cache_insert(c, mk(p, 600, 1, "\\f\\d", NULL), 0);
  }
  /* Touch l0 so that l1 is the least recently used. */
  assert_non_null(dfsc__dfs_cache_lookup(c, "\\r\\s\\l0\\x", 1));
  dfsc__dfs_cache_insert(c, mk("\\r\\s\\new", 600, 1, "\\f\\d", NULL), 2);
  assert_int_equal(dfsc__dfs_cache_count(c), 8);
  assert_non_null(dfsc__dfs_cache_find(c, "\\r\\s\\l0"));
  assert_null(dfsc__dfs_cache_find(c, "\\r\\s\\l1"));
  assert_non_null(dfsc__dfs_cache_find(c, "\\r\\s\\new"));
  for (i = 0; i < 100; i++) {
    snprintf(p, sizeof(p), "\\r\\s\\m%d", i);
    dfsc__dfs_cache_insert(c, mk(p, 600, 1, "\\f\\d", NULL), 3);
    assert_true(dfsc__dfs_cache_count(c) <= 8);
  }
  dfsc__dfs_cache_free(c);
}

static void test_refresh_keeps_hint(void **state) {
  dfsc_dfs_cache *c;
  dfsc_dfs_entry *e;
  (void)state;
  assert_int_equal(dfsc__dfs_cache_new(0, 1000, &c), 0);
  e = dfsc__dfs_cache_insert(c, mk("\\r\\s\\l", 600, 2, "\\f1\\d", "\\f2\\d"), 0);
  e->hint = 1; /* failed over to f2 */
  e = dfsc__dfs_cache_insert(c, mk("\\R\\S\\L", 600, 2, "\\f1\\d", "\\F2\\D"), 10);
  assert_int_equal(e->hint, 1);
  /* With TargetFailback the refresh goes back to the first target. */
  e->hint = 1;
  {
    dfsc_dfs_entry *n = mk("\\r\\s\\l", 600, 2, "\\f1\\d", "\\f2\\d");
    n->target_failback = 1;
    e = dfsc__dfs_cache_insert(c, n, 20);
  }
  assert_int_equal(e->hint, 0);
  /* A target list without the one in use starts at the first. */
  e->hint = 1;
  e = dfsc__dfs_cache_insert(c, mk("\\r\\s\\l", 600, 2, "\\f3\\d", "\\f4\\d"), 30);
  assert_int_equal(e->hint, 0);
  assert_int_equal(dfsc__dfs_cache_count(c), 1);
  dfsc__dfs_cache_free(c);
}

static void test_domains(void **state) {
  dfsc_dfs_cache *c;
  dfsc_dfs_domain *d;
  const char *dcs[] = {"dc1.dfs.test", "dc2.dfs.test"};
  (void)state;
  assert_int_equal(dfsc__dfs_cache_new(0, 1000, &c), 0);
  assert_int_equal(dfsc__dfs_domain_set(c, "DFS.TEST", NULL, 0, 100), 0);
  d = dfsc__dfs_domain_find(c, "dfs.test");
  assert_non_null(d);
  assert_int_equal(d->n, 0);
  assert_int_equal(dfsc__dfs_domain_set(c, "dfs.test", dcs, 2, 200), 0);
  d = dfsc__dfs_domain_find(c, "DFS.test");
  assert_int_equal(d->n, 2);
  assert_string_equal(d->dcs[1], "dc2.dfs.test");
  /* Confirming the domain again keeps its DCs. */
  assert_int_equal(dfsc__dfs_domain_set(c, "DFS.TEST", NULL, 0, 300), 0);
  assert_int_equal(dfsc__dfs_domain_find(c, "dfs.test")->n, 2);
  assert_null(dfsc__dfs_domain_find(c, "OTHER"));
  dfsc__dfs_cache_flush(c);
  assert_null(dfsc__dfs_domain_find(c, "dfs.test"));
  dfsc__dfs_cache_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_prefix_match),
      cmocka_unit_test(test_longest_prefix),
      cmocka_unit_test(test_expiry),
      cmocka_unit_test(test_lru_bound),
      cmocka_unit_test(test_refresh_keeps_hint),
      cmocka_unit_test(test_domains),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
