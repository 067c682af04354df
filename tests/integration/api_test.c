/* The library API against the real testbed: concurrency and single flight
 * through the async API, many caller threads through the sync API, pipelined
 * reads checked by sha256, a blocking call from a callback, and shutdown with
 * operations in flight. Prints one line per check and "N passed, N failed".
 */
#include <nettle/sha2.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dfsc/dfsc-sync.h"
#include "dfsc/dfsc.h"
#include "mup/ops.h"
#include "session/sl.h"
#include "testlib.h"

/* A countdown the callbacks decrement; the main thread waits on it. */
struct batch {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int left;
  int ok;
  int err;
  int deadlk;
  int calls;
  dfsc_ctx *ctx;
};

static void batch_init(struct batch *b, int n, dfsc_ctx *ctx) {
  memset(b, 0, sizeof(*b));
  pthread_mutex_init(&b->mu, NULL);
  pthread_cond_init(&b->cv, NULL);
  b->left = n;
  b->ctx = ctx;
}

static int batch_wait(struct batch *b, int seconds) {
  struct timespec ts;
  int rc = 0;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += seconds;
  pthread_mutex_lock(&b->mu);
  while (b->left > 0 && rc == 0)
    rc = pthread_cond_timedwait(&b->cv, &b->mu, &ts);
  rc = b->left;
  pthread_mutex_unlock(&b->mu);
  return rc == 0 ? 0 : -1;
}

static void count_cb(const dfsc_result *res, void *arg) {
  struct batch *b = arg;
  pthread_mutex_lock(&b->mu);
  b->calls++;
  if (res->err == 0)
    b->ok++;
  else
    b->err++;
  if (--b->left == 0)
    pthread_cond_broadcast(&b->cv);
  pthread_mutex_unlock(&b->mu);
}

/* A share listing's answer: counted when it holds `want` shares (the
 * listing is the callee's, freed here). */
static int shares_want;
static void shares_cb(const dfsc_result *res, void *arg) {
  struct batch *b = arg;
  size_t n = dfsc_share_list_count(res->shares);
  dfsc_share_list_free(res->shares);
  pthread_mutex_lock(&b->mu);
  b->calls++;
  if (res->err == 0 && (int)n == shares_want)
    b->ok++;
  else if (res->err == DFSC_E_SHUTDOWN || res->err == DFSC_E_CANCELED)
    b->deadlk++; /* counted apart: ended by the context or a cancel */
  else
    b->err++;
  if (--b->left == 0)
    pthread_cond_broadcast(&b->cv);
  pthread_mutex_unlock(&b->mu);
}

static void deadlk_cb(const dfsc_result *res, void *arg) {
  struct batch *b = arg;
  dfsc_stat_t st;
  dfsc_result r2;
  /* A blocking call on the loop thread must refuse, not hang. */
  int rc = dfsc_stat(b->ctx, "//x/y/z", &st, &r2);
  pthread_mutex_lock(&b->mu);
  b->deadlk = rc == DFSC_E_DEADLK && r2.err == DFSC_E_DEADLK && res->err == 0;
  b->left--;
  pthread_cond_broadcast(&b->cv);
  pthread_mutex_unlock(&b->mu);
}

/* A callback that holds the loop thread until the test opens the gate
 * (bounded: 30 s). */
struct gate {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int entered, open;
};

static void gate_init(struct gate *g) {
  memset(g, 0, sizeof(*g));
  pthread_mutex_init(&g->mu, NULL);
  pthread_cond_init(&g->cv, NULL);
}

static void gate_cb(const dfsc_result *res, void *arg) {
  struct gate *g = arg;
  struct timespec ts;
  (void)res;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += 30;
  pthread_mutex_lock(&g->mu);
  g->entered = 1;
  pthread_cond_broadcast(&g->cv);
  while (!g->open && pthread_cond_timedwait(&g->cv, &g->mu, &ts) == 0)
    ;
  pthread_mutex_unlock(&g->mu);
}

static int gate_wait_entered(struct gate *g, int seconds) {
  struct timespec ts;
  int rc = 0;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += seconds;
  pthread_mutex_lock(&g->mu);
  while (!g->entered && rc == 0)
    rc = pthread_cond_timedwait(&g->cv, &g->mu, &ts);
  rc = g->entered ? 0 : -1;
  pthread_mutex_unlock(&g->mu);
  return rc;
}

static void gate_open(struct gate *g) {
  pthread_mutex_lock(&g->mu);
  g->open = 1;
  pthread_cond_broadcast(&g->cv);
  pthread_mutex_unlock(&g->mu);
}

static dfsc_ctx *new_ctx(const char *user, const char *pass) {
  dfsc_opts o;
  dfsc_ctx *ctx = NULL;
  dfsc_opts_init(&o);
  o.user = user;
  o.password = pass;
  o.request_timeout_ms = 30000;
  if (dfsc_ctx_new(&o, &ctx) != 0)
    return NULL;
  return ctx;
}

struct thr {
  dfsc_ctx *ctx;
  const char *path;
  int ok;
};

static void *sync_thread(void *arg) {
  struct thr *t = arg;
  int i;
  for (i = 0; i < 20; i++) {
    dfsc_stat_t st;
    dfsc_result res;
    if (dfsc_stat(t->ctx, t->path, &st, &res) == 0 && st.size > 0)
      t->ok++;
  }
  return NULL;
}

int main(void) {
  const char *envf = getenv("DFSC_TESTBED_ENV");
  char *user, *pass, *hosts[3], *big_sha;
  char paths[3][256], big[256];
  struct batch b;
  dfsc_ctx *ctx;
  dfsc_sl_stats st;
  int i, n = 300;

  if (envf == NULL) {
    fprintf(stderr, "DFSC_TESTBED_ENV not set: start the testbed\n");
    return 1;
  }
  user = env_get(envf, "DFSC_TB_USER");
  pass = env_get(envf, "DFSC_TB_PASS");
  hosts[0] = env_get(envf, "DFSC_TB_FS1");
  hosts[1] = env_get(envf, "DFSC_TB_D311");
  hosts[2] = env_get(envf, "DFSC_TB_D202");
  big_sha = env_get(envf, "DFSC_TB_BIG_SHA256");
  if (!user || !pass || !hosts[0] || !hosts[1] || !hosts[2] || !big_sha) {
    fprintf(stderr, "testbed environment incomplete\n");
    return 1;
  }
  for (i = 0; i < 3; i++)
    snprintf(paths[i], sizeof(paths[i]), "//%s/data/hello.txt", hosts[i]);
  snprintf(big, sizeof(big), "//%s/data/big.bin", hosts[0]);

  /* 1. A burst of first-time accesses on three servers: one connection,
   * session and tree each (single flight), every stat answered. */
  ctx = new_ctx(user, pass);
  check(ctx != NULL, "context created");
  if (ctx == NULL)
    return 1;
  batch_init(&b, n, ctx);
  for (i = 0; i < n; i++)
    if (dfsc_stat_async(ctx, paths[i % 3], count_cb, &b) != 0)
      count_cb(&(dfsc_result){.err = -1}, &b);
  i = batch_wait(&b, 120);
  check(i == 0, "burst of %d async stats completes", n);
  check(b.ok == n, "all %d stats succeeded (%d ok, %d failed)", n, b.ok, b.err);
  dfsc__sl_stats(dfsc__ctx_sl(ctx), &st);
  check(st.conn_started == 3, "one connection setup per server: %llu for 3 servers",
        (unsigned long long)st.conn_started);
  check(st.sess_started == 3 && st.tree_started == 3,
        "one session and one tree each (%llu, %llu)", (unsigned long long)st.sess_started,
        (unsigned long long)st.tree_started);
  check(st.conn_coalesced >= (uint64_t)n - 3 - 3,
        "later first-time users joined the attempt in progress (%llu coalesced)",
        (unsigned long long)st.conn_coalesced);
  check(st.requests_sent >= (uint64_t)n * 3,
        "each stat is a 3-request compound (%llu requests)",
        (unsigned long long)st.requests_sent);

  /* 2. 64 caller threads through the sync API on the same context. */
  {
    pthread_t th[64];
    struct thr t[64];
    int all = 0;
    for (i = 0; i < 64; i++) {
      t[i].ctx = ctx;
      t[i].path = paths[i % 3];
      t[i].ok = 0;
      pthread_create(&th[i], NULL, sync_thread, &t[i]);
    }
    for (i = 0; i < 64; i++) {
      pthread_join(th[i], NULL);
      all += t[i].ok;
    }
    check(all == 64 * 20, "64 threads x 20 sync stats: %d of %d succeeded", all, 64 * 20);
  }

  /* 3. Concurrent pipelined reads of the large file at disjoint offsets,
   * reassembled and checked against the testbed's sha256. */
  {
    dfsc_file *f = NULL;
    dfsc_result res;
    size_t size = 256u << 20, part = 16u << 20;
    uint8_t *buf = malloc(size), dig[32];
    char hex[65];
    struct sha256_ctx h;
    int rc = dfsc_open(ctx, big, DFSC_O_RDONLY, &f, &res);
    check(rc == 0 && f != NULL && res.st.size == size, "open big.bin (size %llu)",
          (unsigned long long)res.st.size);
    if (rc == 0 && buf != NULL) {
      batch_init(&b, (int)(size / part), ctx);
      for (i = 0; i < (int)(size / part); i++)
        if (dfsc_read_async(f, buf + (size_t)i * part, part, (uint64_t)i * part, count_cb,
                            &b) != 0)
          count_cb(&(dfsc_result){.err = -1}, &b);
      rc = batch_wait(&b, 120);
      check(rc == 0 && b.ok == (int)(size / part),
            "16 concurrent 16 MiB reads complete (%d ok)", b.ok);
      sha256_init(&h);
      sha256_update(&h, size, buf);
      sha256_digest(&h, 32, dig);
      for (i = 0; i < 32; i++)
        sprintf(hex + 2 * i, "%02x", dig[i]);
      check(strcmp(hex, big_sha) == 0, "reassembled sha256 matches (%.16s...)", hex);
      /* A read past the end is short, not an error. */
      rc = (int)dfsc_read(f, buf, 4096, size - 100, &res);
      check(rc == 100, "read across EOF returns the 100 bytes left (%d)", rc);
      rc = (int)dfsc_read(f, buf, 4096, size + 5, &res);
      check(rc == 0, "read past EOF returns 0 (%d)", rc);
      check(dfsc_close(f, &res) == 0, "close");
    }
    free(buf);
  }

  /* 4. A blocking call from a callback returns DFSC_E_DEADLK. */
  batch_init(&b, 1, ctx);
  if (dfsc_stat_async(ctx, paths[0], deadlk_cb, &b) == 0)
    batch_wait(&b, 60);
  check(b.deadlk, "sync call from the loop thread refused with DFSC_E_DEADLK");
  dfsc_ctx_free(ctx);

  /* 5. Freeing a context with operations in flight: every callback runs
   * exactly once (success or DFSC_E_SHUTDOWN), nothing hangs. */
  ctx = new_ctx(user, pass);
  batch_init(&b, n, ctx);
  for (i = 0; i < n; i++)
    if (dfsc_stat_async(ctx, paths[i % 3], count_cb, &b) != 0)
      count_cb(&(dfsc_result){.err = -1}, &b);
  dfsc_ctx_free(ctx);
  check(b.calls == n && b.left == 0, "ctx_free with %d ops in flight: %d callbacks", n,
        b.calls);

  /* 5b. One connection setup at a time (max_connects 1): a first-time burst
   * on three servers still completes; the setups waited in the queue. */
  {
    dfsc_opts o1;
    dfsc_stats sx;
    dfsc_opts_init(&o1);
    o1.user = user;
    o1.password = pass;
    o1.max_connects = 1;
    o1.lookup_workers = 1;
    ctx = NULL;
    check(dfsc_ctx_new(&o1, &ctx) == 0, "context with max_connects 1");
    batch_init(&b, n, ctx);
    for (i = 0; i < n; i++)
      if (dfsc_stat_async(ctx, paths[i % 3], count_cb, &b) != 0)
        count_cb(&(dfsc_result){.err = -1}, &b);
    i = batch_wait(&b, 120);
    check(i == 0 && b.ok == n, "burst with one setup slot: %d of %d ok", b.ok, n);
    memset(&sx, 0, sizeof(sx));
    i = dfsc_stats_get(ctx, &sx);
    check(i == 0 && sx.conn_setups_started == 3 && sx.conn_setups_queued >= 1,
          "setups 3, queued %llu (counters through the public API)",
          (unsigned long long)sx.conn_setups_queued);
    /* The session layer's idle-close counters reach dfsc_stats: three
     * servers, three connections open, none closed within the test. */
    check(i == 0 && sx.size == sizeof(sx) && sx.conns_open == 3 && sx.conns_closed == 0,
          "size %zu (%zu), conns_open %llu (3), conns_closed %llu (0)", sx.size, sizeof(sx),
          (unsigned long long)sx.conns_open, (unsigned long long)sx.conns_closed);
    dfsc_ctx_free(ctx);
  }

  /* 5c. A close that cannot be queued (the submission queue is full while
   * the loop thread sits in a callback) must not free the handle under
   * the reads queued on it before: they run when the loop is free again
   * (ASan and TSan builds check every access). Then a context freed with
   * a handle still open frees it (LeakSanitizer checks). */
  {
    dfsc_opts o2;
    dfsc_file *f = NULL;
    dfsc_result res;
    struct gate g;
    static uint8_t rbuf[64][16];
    int queued = 0, rc;
    dfsc_opts_init(&o2);
    o2.user = user;
    o2.password = pass;
    o2.submit_queue_max = 16;
    ctx = NULL;
    check(dfsc_ctx_new(&o2, &ctx) == 0, "context with a submission queue of 16");
    rc = ctx ? dfsc_open(ctx, paths[0], DFSC_O_RDONLY, &f, &res) : -1;
    check(rc == 0 && f != NULL, "open for the queued-reads test");
    if (rc == 0) {
      gate_init(&g);
      rc = dfsc_stat_async(ctx, paths[0], gate_cb, &g);
      check(rc == 0 && gate_wait_entered(&g, 30) == 0,
            "the loop thread is held in a callback");
      batch_init(&b, 64, ctx);
      for (i = 0; i < 64; i++) {
        if (dfsc_read_async(f, rbuf[i], sizeof(rbuf[i]), 0, count_cb, &b) != 0)
          break;
        queued++;
      }
      b.left = queued; /* only the queued reads will call back */
      check(queued > 0 && queued < 64, "%d reads queued before the queue filled", queued);
      rc = dfsc_close_async(f, count_cb, &b);
      check(rc == DFSC_E_BUSY, "close with the queue full: %s", dfsc_err_name(rc));
      gate_open(&g);
      i = batch_wait(&b, 60);
      check(i == 0 && b.ok == queued, "the %d queued reads ran on the handle (%d ok)",
            queued, b.ok);
      f = NULL;
      rc = dfsc_open(ctx, paths[1], DFSC_O_RDONLY, &f, &res);
      check(rc == 0 && f != NULL, "a handle left open at dfsc_ctx_free");
    }
    dfsc_ctx_free(ctx);
  }

  /* 5d. The live-operation budget: with 8 places and one taken by a
   * callback that holds the loop, a burst of 40 stats gets 7 places and 33
   * DFSC_E_BUSY at submit; a close refused at that moment is safe (ASan,
   * TSan); the 7 complete; the counters say so. */
  {
    dfsc_file *f = NULL;
    dfsc_result res;
    dfsc_stats sx;
    struct gate g;
    int took = 0, busy = 0, rc;
    ctx = new_ctx(user, pass);
    check(ctx != NULL && dfsc_set_max_ops(ctx, 8) == 0,
          "context with a budget of 8 operations");
    rc = ctx ? dfsc_open(ctx, paths[0], DFSC_O_RDONLY, &f, &res) : -1;
    check(rc == 0 && f != NULL, "open for the budget test");
    if (rc == 0) {
      gate_init(&g);
      rc = dfsc_stat_async(ctx, paths[0], gate_cb, &g);
      check(rc == 0 && gate_wait_entered(&g, 30) == 0,
            "the loop thread is held in a callback");
      batch_init(&b, 40, ctx);
      for (i = 0; i < 40; i++) {
        rc = dfsc_stat_async(ctx, paths[i % 3], count_cb, &b);
        if (rc == 0)
          took++;
        else if (rc == DFSC_E_BUSY)
          busy++;
      }
      b.left = took;
      check(took == 7 && busy == 33,
            "7 operations admitted, 33 refused with DFSC_E_BUSY (%d, %d)", took, busy);
      rc = dfsc_close_async(f, count_cb, &b);
      check(rc == DFSC_E_BUSY, "a close past the budget: %s", dfsc_err_name(rc));
      gate_open(&g);
      i = batch_wait(&b, 60);
      check(i == 0 && b.ok == took, "the %d admitted stats complete (%d ok)", took, b.ok);
      memset(&sx, 0, sizeof(sx));
      rc = dfsc_stats_get(ctx, &sx);
      check(rc == 0 && sx.ops_rejected == 34 && sx.ops_live_hwm == 8,
            "ops_rejected %llu (34), ops_live_hwm %llu (8)",
            (unsigned long long)sx.ops_rejected, (unsigned long long)sx.ops_live_hwm);
      /* The budget is given back: a burst fits again. */
      batch_init(&b, 7, ctx);
      for (i = 0; i < 7; i++)
        if (dfsc_stat_async(ctx, paths[i % 3], count_cb, &b) != 0)
          count_cb(&(dfsc_result){.err = -1}, &b);
      i = batch_wait(&b, 60);
      check(i == 0 && b.ok == 7, "after the burst, 7 more fit (%d ok)", b.ok);
    }
    dfsc_ctx_free(ctx);
  }

  /* 6. Wrong credentials: every waiter gets the server's status. */
  ctx = new_ctx(user, "not-the-password");
  batch_init(&b, 50, ctx);
  for (i = 0; i < 50; i++)
    if (dfsc_stat_async(ctx, paths[0], count_cb, &b) != 0)
      count_cb(&(dfsc_result){.err = -1}, &b);
  i = batch_wait(&b, 60);
  check(i == 0 && b.err == 50, "50 stats with a wrong password all fail (%d)", b.err);
  dfsc_ctx_free(ctx);

  /* 7. Share listings (srvsvc over IPC$): one through the sync API, a
   * burst of listings of the two-credit server's 403 shares at once, a
   * share named (refused), and listings cut by a cancel and by
   * dfsc_ctx_free in the middle: each callback once, every listing freed
   * (LeakSanitizer), the pipe's handle closed (ASan, TSan). */
  {
    char *low = env_get(envf, "DFSC_TB_LOWCRED"),
         *many = env_get(envf, "DFSC_TB_LOWCRED_MANY_SHARES");
    char lpath[128], fpath[128];
    dfsc_share_list *l = NULL;
    dfsc_result res;
    const dfsc_share *sh;
    int rc, data = 0, ipc = 0, k = 24;
    ctx = new_ctx(user, pass);
    snprintf(fpath, sizeof(fpath), "//%s", hosts[0]);
    rc = ctx ? dfsc_list_shares(ctx, fpath, &l, &res) : -1;
    for (i = 0; rc == 0 && (sh = dfsc_share_list_get(l, (size_t)i)) != NULL; i++) {
      data += strcmp(sh->name, "data") == 0 && sh->type == DFSC_SHARE_DISK;
      ipc += strcmp(sh->name, "IPC$") == 0 &&
             sh->type == (DFSC_SHARE_IPC | DFSC_SHARE_SPECIAL) && sh->comment[0] != '\0';
    }
    check(rc == 0 && data == 1 && ipc == 1 && dfsc_share_list_get(l, (size_t)i) == NULL,
          "shares of %s: data (disk) and IPC$ (ipc, special, commented) among %zu", fpath,
          dfsc_share_list_count(l));
    dfsc_share_list_free(l);
    snprintf(fpath, sizeof(fpath), "//%s/data", hosts[0]);
    rc = dfsc_list_shares(ctx, fpath, &l, &res);
    check(rc == -EINVAL && l == NULL, "a path with a share is not a server: %s",
          dfsc_err_name(rc));
    if (low != NULL && many != NULL) {
      snprintf(lpath, sizeof(lpath), "//%s", low);
      shares_want = atoi(many) + 3; /* data, scratch, IPC$ */
      batch_init(&b, k, ctx);
      for (i = 0; i < k; i++)
        if (dfsc_list_shares_async(ctx, lpath, shares_cb, &b) != 0)
          count_cb(&(dfsc_result){.err = -1}, &b);
      i = batch_wait(&b, 120);
      check(i == 0 && b.ok == k, "%d listings of %d shares at once on 2 credits: %d ok", k,
            shares_want, b.ok);
      /* Cut in the middle: a cancel right after the start. */
      batch_init(&b, 8, ctx);
      for (i = 0; i < 8; i++)
        if (dfsc_list_shares_async(ctx, lpath, shares_cb, &b) != 0)
          count_cb(&(dfsc_result){.err = -1}, &b);
      rc = dfsc_cancel(ctx, shares_cb, &b);
      i = batch_wait(&b, 60);
      check(rc == 0 && i == 0 && b.calls == 8 && b.err == 0,
            "8 listings canceled: %d callbacks, %d canceled, %d whole", b.calls, b.deadlk,
            b.ok);
      /* The next listing on the same connection is whole: a cut listing
       * closed its pipe and left nothing behind in the connection. */
      batch_init(&b, 1, ctx);
      if (dfsc_list_shares_async(ctx, lpath, shares_cb, &b) != 0)
        count_cb(&(dfsc_result){.err = -1}, &b);
      i = batch_wait(&b, 60);
      check(i == 0 && b.ok == 1, "a listing after the canceled ones is whole");
      batch_init(&b, k, ctx);
      for (i = 0; i < k; i++)
        if (dfsc_list_shares_async(ctx, lpath, shares_cb, &b) != 0)
          count_cb(&(dfsc_result){.err = -1}, &b);
    }
    dfsc_ctx_free(ctx);
    if (low != NULL && many != NULL)
      check(b.calls == k && b.err == 0, "ctx_free with %d listings in flight: %d callbacks",
            k, b.calls);
    free(low);
    free(many);
  }

  free(user);
  free(pass);
  for (i = 0; i < 3; i++)
    free(hosts[i]);
  free(big_sha);
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
