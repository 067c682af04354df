/* The resolver's referral queue: throttle limits (global and per server),
 * FIFO order per server, single flight, the queue bound, requests answered
 * while they wait, shutdown, and the loop work of a deep queue (10,000+
 * waiting requests, one hot server at its limit): counted, not timed.
 *
 * No network: the IPC$ tree request is replaced (dfsc__dfs_set_tree_get) by
 * one that only records the request; the test completes them in the order
 * it chooses, as failures, which end a referral request the same way an
 * answer does (waiters called, slot freed, queue moves). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/alloc.h"
#include "core/loop.h"
#include "dfs/resolver.h"
#include "dfsc/errors.h"

#define STATUS_NOT_FOUND 0xC0000225u
#define PENDING_MAX 64

/* Requests the fake tree_get holds (at most max_inflight of them). */
static struct pending {
  char host[64];
  dfsc_tree_waiter *w;
} pending[PENDING_MAX];
static size_t n_pending;
static size_t tree_gets;
static unsigned lim_global, lim_server;

static int fake_tree_get(dfsc_sl *sl, const char *host, uint16_t port, const char *share,
                         const dfsc_sl_creds *cr, dfsc_tree_waiter *w) {
  size_t i, same = 1;
  (void)sl;
  (void)port;
  (void)cr;
  assert_string_equal(share, "IPC$");
  for (i = 0; i < n_pending; i++)
    same += strcmp(pending[i].host, host) == 0;
  /* The throttle's limits hold at every start. */
  if (n_pending + 1 > lim_global)
    fail_msg("%zu referral requests in flight, limit %u", n_pending + 1, lim_global);
  if (same > lim_server)
    fail_msg("%zu referral requests in flight to %s, limit %u", same, host, lim_server);
  assert_true(n_pending < PENDING_MAX);
  snprintf(pending[n_pending].host, sizeof(pending[0].host), "%s", host);
  pending[n_pending].w = w;
  n_pending++;
  tree_gets++;
  return 0;
}

/* Ends pending request i as a failure (the server refused the tree). */
static void complete(size_t i) {
  dfsc_tree_waiter *w = pending[i].w;
  memmove(&pending[i], &pending[i + 1], (n_pending - i - 1) * sizeof(pending[0]));
  n_pending--;
  w->cb(w, NULL, DFSC_E_NTSTATUS, STATUS_NOT_FOUND);
}

struct req {
  dfsc_dfs_req q;
  size_t idx;
  int calls, err;
  int hot;
};
static size_t done_order[20000];
static size_t n_done;

static void req_cb(dfsc_dfs_req *q, int err, uint32_t st) {
  struct req *r = q->data;
  (void)st;
  r->calls++;
  r->err = err;
  if (n_done < sizeof(done_order) / sizeof(done_order[0]))
    done_order[n_done] = r->idx;
  n_done++;
}

static uint64_t now_ms;
static uint64_t fake_clock(void *arg) {
  (void)arg;
  return now_ms;
}

struct fx {
  dfsc_loop *loop;
  dfsc_dfs *d;
};

static void fx_new(struct fx *f, unsigned inflight, unsigned per_server, size_t queue_max) {
  dfsc_dfs_cfg cfg;
  memset(&cfg, 0, sizeof(cfg));
  cfg.max_inflight = inflight;
  cfg.max_per_server = per_server;
  cfg.queue_max = queue_max;
  lim_global = inflight;
  lim_server = per_server;
  n_pending = tree_gets = n_done = 0;
  now_ms = 1000000;
  assert_int_equal(dfsc__loop_new(NULL, 0, &f->loop), 0);
  dfsc__loop_set_clock(f->loop, fake_clock, NULL);
  dfsc__loop_update_time(f->loop);
  assert_int_equal(dfsc__dfs_new(NULL, f->loop, NULL, &cfg, &f->d), 0);
  dfsc__dfs_set_tree_get(f->d, fake_tree_get);
}

static void fx_free(struct fx *f) {
  dfsc__dfs_free(f->d);
  dfsc__loop_free(f->loop);
}

static int refer(struct fx *f, struct req *r, size_t idx, const char *server,
                 const char *path) {
  memset(r, 0, sizeof(*r));
  r->idx = idx;
  r->q.cb = req_cb;
  r->q.data = r;
  return dfsc__dfs_refer(f->d, server, path, NULL, &r->q);
}

/* 12,000 requests for distinct links, every other one for one hot server,
 * the rest spread over 1,000 servers. The hot server's first requests never
 * end until every other one has, so it sits at its limit with ~6,000 behind
 * it while the rest drain. Everything completes once, the hot server's in
 * arrival order, within the limits, and the queue work stays linear: the
 * single queue this replaced walked past the hot server's waiting requests
 * on every completion (tens of millions of steps here). */
#define DEEP_N 12000
#define DEEP_SERVERS 1000
static void test_deep_queue_drains_in_linear_work(void **state) {
  static struct req reqs[DEEP_N];
  struct fx f;
  char server[32], path[64];
  dfsc_dfs_stats st;
  size_t i, n = DEEP_N, rounds = 0, hot_seen = 0, last_hot = 0;
  const char *env = getenv("DFSC_TEST_QUEUE_N");
  (void)state;
  if (env != NULL && atoi(env) > 0 && (size_t)atoi(env) < n)
    n = (size_t)atoi(env); /* smaller runs against slow (quadratic) code */
  fx_new(&f, 8, 4, 65536);
  for (i = 0; i < n; i++) {
    int hot = i % 2 == 0;
    if (hot)
      snprintf(server, sizeof(server), "hot");
    else
      snprintf(server, sizeof(server), "s%zu", (i / 2) % DEEP_SERVERS);
    snprintf(path, sizeof(path), "\\root\\dfs\\l%zu\\f", i);
    assert_int_equal(refer(&f, &reqs[i], i, server, path), 0);
    reqs[i].hot = hot;
  }
  dfsc__dfs_stats(f.d, &st);
  assert_int_equal(n_pending, 8);
  if (st.queue_hwm < n - 8)
    fail_msg("queue high-water mark %llu, want >= %zu", (unsigned long long)st.queue_hwm,
             n - 8);
  /* Drain: the cold servers first, the hot one last. */
  while (n_pending > 0) {
    size_t pick = 0;
    for (i = 0; i < n_pending; i++) {
      if (strcmp(pending[i].host, "hot") != 0) {
        pick = i;
        break;
      }
    }
    complete(pick);
    if (++rounds > n)
      fail_msg("more completions (%zu) than requests (%zu)", rounds, n);
  }
  assert_int_equal(tree_gets, n);
  assert_int_equal(n_done, n);
  for (i = 0; i < n; i++) {
    if (reqs[i].calls != 1 || reqs[i].err != DFSC_E_NTSTATUS)
      fail_msg("request %zu: %d callbacks, err %d", i, reqs[i].calls, reqs[i].err);
  }
  /* Each server's requests start, and here end, in arrival order. */
  for (i = 0; i < n; i++) {
    size_t k = done_order[i];
    if (!reqs[k].hot)
      continue;
    if (hot_seen > 0 && k < last_hot)
      fail_msg("hot request %zu ended after %zu: not FIFO", k, last_hot);
    last_hot = k;
    hot_seen++;
  }
  assert_int_equal(hot_seen, (n + 1) / 2);
  dfsc__dfs_stats(f.d, &st);
  print_message("%zu requests: %llu queue steps\n", n, (unsigned long long)st.queue_steps);
  /* One step per request taken from a queue, plus short hash chains. */
  if (st.queue_steps > 6 * (uint64_t)n)
    fail_msg("queue steps %llu for %zu requests: more than 6 per request",
             (unsigned long long)st.queue_steps, n);
  fx_free(&f);
}

/* Misses under one directory of a link share one request; other servers
 * and other directories get their own. */
static void test_single_flight(void **state) {
  struct req r[4];
  struct fx f;
  dfsc_dfs_stats st;
  (void)state;
  fx_new(&f, 8, 4, 16);
  assert_int_equal(refer(&f, &r[0], 0, "root", "\\root\\dfs\\link\\d\\a"), 0);
  assert_int_equal(refer(&f, &r[1], 1, "ROOT", "\\ROOT\\dfs\\link\\d\\b"), 0);
  assert_int_equal(refer(&f, &r[2], 2, "root2", "\\root\\dfs\\link\\d\\a"), 0);
  assert_int_equal(refer(&f, &r[3], 3, "root", "\\root\\dfs\\link\\e\\a"), 0);
  assert_int_equal(tree_gets, 3);
  dfsc__dfs_stats(f.d, &st);
  assert_int_equal(st.referrals_coalesced, 1);
  complete(0);
  assert_int_equal(r[0].calls, 1);
  assert_int_equal(r[1].calls, 1);
  assert_int_equal(r[2].calls, 0);
  while (n_pending > 0)
    complete(0);
  assert_int_equal(r[2].calls, 1);
  assert_int_equal(r[3].calls, 1);
  fx_free(&f);
}

/* Past queue_max waiting requests a new one gets DFSC_E_BUSY and no
 * callback; joining a request in progress is still possible. */
static void test_queue_bound(void **state) {
  struct req r[7];
  struct fx f;
  char path[64];
  size_t i;
  (void)state;
  fx_new(&f, 1, 1, 4);
  for (i = 0; i < 5; i++) {
    snprintf(path, sizeof(path), "\\root\\dfs\\l%zu\\f", i);
    assert_int_equal(refer(&f, &r[i], i, "root", path), 0);
  }
  assert_int_equal(refer(&f, &r[5], 5, "root", "\\root\\dfs\\l9\\f"), DFSC_E_BUSY);
  assert_int_equal(refer(&f, &r[6], 6, "root", "\\root\\dfs\\l3\\f"), 0);
  for (i = 0; n_pending > 0 && i < 10; i++)
    complete(0);
  for (i = 0; i < 7; i++)
    assert_int_equal(r[i].calls, i == 5 ? 0 : 1);
  fx_free(&f);
}

/* A request that waited while another one's answer filled the cache for
 * its link is answered when its turn comes, without being sent. */
static void test_answered_while_queued(void **state) {
  struct req r[3];
  struct fx f;
  dfsc_dfs_entry *e;
  (void)state;
  fx_new(&f, 1, 1, 16);
  assert_int_equal(refer(&f, &r[0], 0, "root", "\\root\\dfs\\link\\d1\\f"), 0);
  assert_int_equal(refer(&f, &r[1], 1, "root", "\\root\\dfs\\link\\d2\\f"), 0);
  assert_int_equal(refer(&f, &r[2], 2, "root", "\\root\\dfs\\other\\f"), 0);
  assert_int_equal(tree_gets, 1);
  e = dfsc__dfs_entry_new("\\root\\dfs\\link", 1);
  assert_non_null(e);
  e->ttl = 600;
  e->targets[0].path = dfsc__strdup("\\fs1\\data");
  dfsc__dfs_cache_insert(dfsc__dfs_cache(f.d), e, now_ms);
  complete(0);
  assert_int_equal(r[1].calls, 1);
  assert_int_equal(r[1].err, 0);
  assert_int_equal(r[2].calls, 0);
  assert_int_equal(tree_gets, 2); /* the other link's, not the covered one */
  assert_string_equal(pending[0].host, "root");
  complete(0);
  assert_int_equal(r[2].calls, 1);
  fx_free(&f);
}

/* Freeing the resolver ends every request, queued or in flight, with
 * DFSC_E_SHUTDOWN; later requests are refused. */
static void test_shutdown(void **state) {
  struct req r[5];
  struct fx f;
  char path[64], server[16];
  size_t i;
  (void)state;
  fx_new(&f, 2, 1, 16);
  for (i = 0; i < 5; i++) {
    snprintf(path, sizeof(path), "\\root\\dfs\\l%zu\\f", i);
    snprintf(server, sizeof(server), "s%zu", i % 3);
    assert_int_equal(refer(&f, &r[i], i, server, path), 0);
  }
  assert_int_equal(n_pending, 2);
  n_pending = 0; /* the session layer's shutdown drops these waiters */
  dfsc__dfs_free(f.d);
  for (i = 0; i < 5; i++) {
    assert_int_equal(r[i].calls, 1);
    assert_int_equal(r[i].err, DFSC_E_SHUTDOWN);
  }
  dfsc__loop_free(f.loop);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_single_flight),
      cmocka_unit_test(test_queue_bound),
      cmocka_unit_test(test_answered_while_queued),
      cmocka_unit_test(test_shutdown),
      cmocka_unit_test(test_deep_queue_drains_in_linear_work),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
