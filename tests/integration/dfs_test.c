/* DFS through the library against the testbed: a burst of first-time stats
 * under 100 uncached links sends at most one referral per link; an expired
 * entry (time moved by an injected clock) triggers exactly one new referral
 * for any number of concurrent users; the counters say so. Prints one line
 * per check and "N passed, N failed". */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dfs/resolver.h"
#include "dfsc/dfsc-sync.h"
#include "dfsc/dfsc.h"
#include "mup/ops.h"
#include "testlib.h"

/* Reads `export KEY=value` lines of the testbed's environment file. */

struct batch {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int left, ok, err;
  char first_err[512];
};

static void batch_init(struct batch *b, int n) {
  memset(b, 0, sizeof(*b));
  pthread_mutex_init(&b->mu, NULL);
  pthread_cond_init(&b->cv, NULL);
  b->left = n;
}

static void count_cb(const dfsc_result *res, void *arg) {
  struct batch *b = arg;
  pthread_mutex_lock(&b->mu);
  if (res->err == 0) {
    b->ok++;
  } else {
    if (b->err++ == 0)
      dfsc_result_str(res, b->first_err, sizeof(b->first_err));
  }
  if (--b->left == 0)
    pthread_cond_broadcast(&b->cv);
  pthread_mutex_unlock(&b->mu);
}

static int batch_wait(struct batch *b, int seconds) {
  struct timespec ts;
  int left;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += seconds;
  pthread_mutex_lock(&b->mu);
  while (b->left > 0 && pthread_cond_timedwait(&b->cv, &b->mu, &ts) == 0)
    ;
  left = b->left;
  pthread_mutex_unlock(&b->mu);
  return left;
}

/* The injected clock: real monotonic time plus an offset the test moves. */
static atomic_ullong clock_offset_ms;
static uint64_t test_clock(void *arg) {
  struct timespec ts;
  (void)arg;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 +
         atomic_load(&clock_offset_ms);
}

struct fo_thr {
  dfsc_ctx *ctx;
  int ok;
};

static void *fo_thread(void *arg) {
  struct fo_thr *t = arg;
  dfsc_stat_t st;
  dfsc_result res;
  if (dfsc_stat(t->ctx, "//dfsroot/dfs/failover3/hello.txt", &st, &res) == 0 && st.size > 0)
    t->ok = 1;
  return NULL;
}

int main(void) {
  static const char *files[10] = {"hello.txt", "odd.bin",    "big.bin", "empty.txt",
                                  "Grüße.txt", "many",       "a",       "space name.txt",
                                  "日本語",    "emoji-😀.txt"};
  const char *envf = getenv("DFSC_TESTBED_ENV");
  char *user, *pass, *rargs, *nlinks;
  dfsc_opts o;
  dfsc_ctx *ctx = NULL;
  dfsc_dfs_stats st0, st1;
  struct batch b;
  char path[512];
  int i, n, links = 100, per = 10, left;

  if (envf == NULL) {
    fprintf(stderr, "DFSC_TESTBED_ENV not set: start the testbed\n");
    return 1;
  }
  user = env_get(envf, "DFSC_TB_USER");
  pass = env_get(envf, "DFSC_TB_PASS");
  rargs = env_get(envf, "DFSC_TB_RESOLVE_ARGS");
  nlinks = env_get(envf, "DFSC_TB_MANY_LINKS");
  if (!user || !pass || !rargs || !nlinks || atoi(nlinks) < links) {
    fprintf(stderr, "testbed without the DFS namespace (need %d links)\n", links);
    return 1;
  }
  dfsc_opts_init(&o);
  o.user = user;
  o.password = pass;
  o.resolve = resolve_list(rargs);
  check(dfsc_ctx_new(&o, &ctx) == 0, "context");
  if (ctx == NULL)
    return 1;
  check(dfsc__ctx_set_clock(ctx, test_clock, NULL) == 0, "clock injected");

  /* 0. The root itself (one root referral), so that what follows counts
   * link referrals only. */
  {
    dfsc_stat_t st;
    dfsc_result res;
    dfsc_dfs_stats sr;
    int rc = dfsc_stat(ctx, "//dfsroot/dfs/readme.txt", &st, &res);
    dfsc__dfs_stats(dfsc__ctx_dfs(ctx), &sr);
    check(rc == 0, "a file in the root (%s)", rc == 0 ? "ok" : dfsc_strerror(rc));
    check(sr.referrals_sent == 1, "the root costs one root referral (%llu)",
          (unsigned long long)sr.referrals_sent);
  }
  dfsc__dfs_stats(dfsc__ctx_dfs(ctx), &st1);

  /* 1. 1,000 concurrent first-time stats under 100 uncached links. */
  n = links * per;
  batch_init(&b, n);
  for (i = 0; i < n; i++) {
    snprintf(path, sizeof(path), "//dfsroot/dfs/many/L%03d/%s", i % links,
             files[i / links]);
    if (dfsc_stat_async(ctx, path, count_cb, &b) != 0)
      count_cb(&(dfsc_result){.err = -1}, &b);
  }
  left = batch_wait(&b, 300);
  check(left == 0, "burst of %d stats completes (%d left)", n, left);
  check(b.ok == n, "all %d stats succeed (%d ok; first error: %s)", n, b.ok,
        b.err ? b.first_err : "none");
  dfsc__dfs_stats(dfsc__ctx_dfs(ctx), &st0);
  check(st0.referrals_sent - st1.referrals_sent <= (uint64_t)links,
        "referrals sent %llu <= %d distinct links (coalesced %llu, queued %llu, queue hwm "
        "%llu)",
        (unsigned long long)(st0.referrals_sent - st1.referrals_sent), links,
        (unsigned long long)st0.referrals_coalesced,
        (unsigned long long)st0.referrals_queued, (unsigned long long)st0.queue_hwm);
  check(st0.referrals_sent - st1.referrals_sent >= (uint64_t)links,
        "every link was referred once (%llu)",
        (unsigned long long)(st0.referrals_sent - st1.referrals_sent));
  check(st0.referrals_failed == 0, "no referral failed (%llu)",
        (unsigned long long)st0.referrals_failed);

  /* 2. All cached: the same burst sends no referral at all. */
  batch_init(&b, n);
  for (i = 0; i < n; i++) {
    snprintf(path, sizeof(path), "//dfsroot/dfs/many/L%03d/%s", i % links,
             files[i / links]);
    if (dfsc_stat_async(ctx, path, count_cb, &b) != 0)
      count_cb(&(dfsc_result){.err = -1}, &b);
  }
  left = batch_wait(&b, 300);
  dfsc__dfs_stats(dfsc__ctx_dfs(ctx), &st1);
  check(left == 0 && b.ok == n, "cached burst succeeds (%d ok)", b.ok);
  check(st1.referrals_sent == st0.referrals_sent,
        "cached burst sends no referral (%llu new)",
        (unsigned long long)(st1.referrals_sent - st0.referrals_sent));

  /* 3. Past the TTL (600 s): 300 concurrent users of one expired link share
   * exactly one refresh. */
  atomic_store(&clock_offset_ms, 700 * 1000ull);
  st0 = st1;
  n = 300;
  batch_init(&b, n);
  for (i = 0; i < n; i++) {
    snprintf(path, sizeof(path), "//dfsroot/dfs/many/L007/%s", files[i % 10]);
    if (dfsc_stat_async(ctx, path, count_cb, &b) != 0)
      count_cb(&(dfsc_result){.err = -1}, &b);
  }
  left = batch_wait(&b, 300);
  dfsc__dfs_stats(dfsc__ctx_dfs(ctx), &st1);
  check(left == 0 && b.ok == n, "stats on an expired link succeed (%d ok)", b.ok);
  check(st1.referrals_sent - st0.referrals_sent == 1,
        "an expired entry triggers exactly one referral for %d users (%llu sent)", n,
        (unsigned long long)(st1.referrals_sent - st0.referrals_sent));
  {
    dfsc_resolution *r = NULL;
    dfsc_result res;
    int rc = dfsc_resolve(ctx, "//dfsroot/dfs/many/L007/hello.txt", &r, &res);
    long long ttl_left = rc == 0 && dfsc_resolution_nhops(r)
                             ? dfsc_hop_expires_in_ms(dfsc_resolution_hop(r, 0))
                             : -1;
    check(rc == 0 && r && dfsc_resolution_nhops(r) == 1 && ttl_left > 500 * 1000,
          "the refreshed entry has a fresh TTL (%lld ms left)", ttl_left);
    dfsc_resolution_free(r);
  }

  dfsc_ctx_free(ctx);

  /* 4. 64 caller threads of the sync API, each a first-time stat under a
   * link whose first two targets are dead: every one succeeds, and the
   * link's hint moves once per dead target (walks failing on the same
   * target together used to move it on twice, back onto a dead one). */
  ctx = NULL;
  check(dfsc_ctx_new(&o, &ctx) == 0, "a second context");
  if (ctx != NULL) {
    pthread_t th[64];
    struct fo_thr t[64];
    dfsc_dfs_stats fs;
    int all = 0;
    for (i = 0; i < 64; i++) {
      t[i].ctx = ctx;
      t[i].ok = 0;
      pthread_create(&th[i], NULL, fo_thread, &t[i]);
    }
    for (i = 0; i < 64; i++) {
      pthread_join(th[i], NULL);
      all += t[i].ok;
    }
    check(all == 64, "64 threads, [dead, dead, live] link: %d of 64 stats succeeded", all);
    dfsc__dfs_stats(dfsc__ctx_dfs(ctx), &fs);
    check(fs.failovers == 2, "the hint moved once per dead target (%llu moves)",
          (unsigned long long)fs.failovers);
    dfsc_ctx_free(ctx);
  }
  free(user);
  free(pass);
  free(rargs);
  free(nlinks);
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
