/* Idle close against the real testbed (session layer, src/session/conn.c):
 * with a 400 ms idle time, trees are disconnected (TREE_DISCONNECT answered
 * STATUS_SUCCESS, signed or encrypted as the session is), sessions logged
 * off (LOGOFF answered STATUS_SUCCESS) and connections closed and freed,
 * sockets included; a later access reconnects and works; a held tree keeps
 * its connection past the idle time and lets it go after the release;
 * accesses arriving while objects are torn down all succeed; max_conns
 * closes the least recently used idle connection first (only one unused
 * for 5 s: else it goes over the cap); contexts freed while teardown
 * requests are in flight free everything. Prints one line
 * per check and "N passed, N failed". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfsc/dfsc-sync.h"
#include "dfsc/dfsc.h"
#include "idle_lib.h"
#include "testlib.h"

#define IDLE_MS 400

/* Log lines that prove what the server answered (loop thread writes,
 * the main thread reads after waiting on the loop). */
static int n_disc_ok, n_logoff_ok, n_bad_sig, n_teardown_fail;

static void log_cb(void *arg, int level, int cat, const char *msg) {
  (void)arg;
  (void)level;
  (void)cat;
  if (strstr(msg, "disconnected (STATUS_SUCCESS)"))
    n_disc_ok++;
  else if (strstr(msg, "logged off (STATUS_SUCCESS)"))
    n_logoff_ok++;
  else if (strstr(msg, "disconnected (") || strstr(msg, "logged off ("))
    n_teardown_fail++;
  if (strstr(msg, "signature"))
    n_bad_sig++;
}

static int stat_path(dfsc_ctx *ctx, const char *path) {
  dfsc_stat_t st;
  dfsc_result res;
  int rc = dfsc_stat(ctx, path, &st, &res);
  if (rc != 0)
    fprintf(stderr, "stat %s: %s (0x%08x)\n", path, dfsc_err_name(rc), res.ntstatus);
  return rc;
}

/* ---- a hold, taken straight on the session layer ----------------------- */
struct hold_arg {
  const char *host;
  dfsc_tree_waiter w;
  dfsc_tree *tree;
  int done, err;
  int done_seen; /* done, as read on the loop thread */
  int release;
};

static void hold_ready(dfsc_tree_waiter *w, dfsc_tree *t, int err, uint32_t ntstatus) {
  struct hold_arg *a = w->data;
  (void)ntstatus;
  a->err = err;
  if (err == 0) {
    a->tree = t;
    dfsc__tree_hold(t);
  }
  a->done = 1;
}

static void hold_cb(dfsc_ctx *ctx, void *arg) {
  struct hold_arg *a = arg;
  int rc;
  if (a->release) {
    dfsc__tree_release(a->tree);
    return;
  }
  a->w.cb = hold_ready;
  a->w.data = a;
  rc = dfsc__tree_get(dfsc__ctx_sl(ctx), a->host, 0, "data", NULL, &a->w);
  if (rc < 0) {
    a->err = rc;
    a->done = 1;
  }
}

/* Reads done on the loop thread, which writes it: the main thread then
 * reads the copy (and, once set, what the loop wrote before it). */
static void read_done_cb(dfsc_ctx *ctx, void *arg) {
  struct hold_arg *a = arg;
  (void)ctx;
  a->done_seen = a->done;
}

int main(void) {
  const char *envf = getenv("DFSC_TESTBED_ENV");
  char *user, *pass, *fs1, *fs2, *fs3, *d202;
  char p_fs1[256], p_enc[256], p_fs2[256], p_fs3[256], p_d202[256];
  dfsc_opts o;
  dfsc_ctx *ctx = NULL;
  dfsc_sl_stats s0, s1;
  long took;
  int rc, i, ok, socks;

  if (envf == NULL) {
    fprintf(stderr, "DFSC_TESTBED_ENV not set: start the testbed\n");
    return 1;
  }
  user = env_get(envf, "DFSC_TB_USER");
  pass = env_get(envf, "DFSC_TB_PASS");
  fs1 = env_get(envf, "DFSC_TB_FS1");
  fs2 = env_get(envf, "DFSC_TB_FS2");
  fs3 = env_get(envf, "DFSC_TB_FS3");
  d202 = env_get(envf, "DFSC_TB_D202");
  if (!user || !pass || !fs1 || !fs2 || !fs3 || !d202) {
    fprintf(stderr, "testbed environment incomplete\n");
    return 1;
  }
  snprintf(p_fs1, sizeof(p_fs1), "//%s/data", fs1);
  snprintf(p_enc, sizeof(p_enc), "//%s/enc", fs1);
  snprintf(p_fs2, sizeof(p_fs2), "//%s/data", fs2);
  snprintf(p_fs3, sizeof(p_fs3), "//%s/data", fs3);
  snprintf(p_d202, sizeof(p_d202), "//%s/data", d202);

  dfsc_opts_init(&o);
  o.user = user;
  o.password = pass;
  o.log_cb = log_cb;
  o.log_level = DFSC_LOG_DEBUG;
  rc = dfsc_ctx_new(&o, &ctx);
  check(rc == 0, "context created (%d)", rc);
  if (rc != 0)
    return 1;
  check(set_limits(ctx, IDLE_MS, 0) == 0, "idle time set to %d ms", IDLE_MS);

  /* 1. Close after the idle time: three servers, signed (fs2 requires it),
   * encrypted (fs1/enc) and SMB 2.0.2 (d202). */
  ok = stat_path(ctx, p_fs1) == 0 && stat_path(ctx, p_enc) == 0 &&
       stat_path(ctx, p_fs2) == 0 && stat_path(ctx, p_d202) == 0;
  s0 = sl_stats(ctx);
  socks = open_sockets();
  check(ok, "four shares on three servers stat");
  check(s0.conns_open == 3 && socks == 3, "3 connections open, 3 sockets (%llu, %d)",
        (unsigned long long)s0.conns_open, socks);
  took = wait_conns(ctx, 0, 10 * IDLE_MS);
  s1 = sl_stats(ctx);
  socks = open_sockets();
  check(took >= 0, "all connections closed %ld ms after the last use (idle %d ms)", took,
        IDLE_MS);
  check(took >= IDLE_MS / 2, "not before the idle time (%ld ms)", took);
  check(socks == 0, "no socket left open (%d)", socks);
  check(s1.trees_closed - s0.trees_closed >= 4 &&
            s1.sessions_closed - s0.sessions_closed == 3 &&
            s1.conns_closed - s0.conns_closed == 3,
        "trees_closed +%llu (>= 4), sessions_closed +%llu (3), conns_closed +%llu (3)",
        (unsigned long long)(s1.trees_closed - s0.trees_closed),
        (unsigned long long)(s1.sessions_closed - s0.sessions_closed),
        (unsigned long long)(s1.conns_closed - s0.conns_closed));
  check(n_disc_ok >= 4 && n_logoff_ok == 3 && n_teardown_fail == 0 && n_bad_sig == 0,
        "servers answered: %d TREE_DISCONNECT and %d LOGOFF with STATUS_SUCCESS, %d "
        "failed, %d signature errors",
        n_disc_ok, n_logoff_ok, n_teardown_fail, n_bad_sig);

  /* 2. A later access reconnects and works. */
  s0 = sl_stats(ctx);
  rc = stat_path(ctx, p_enc);
  s1 = sl_stats(ctx);
  check(rc == 0 && s1.conn_started == s0.conn_started + 1 && s1.conns_open == 1,
        "after the close an access reconnects (rc %d, %llu new connection, %llu open)", rc,
        (unsigned long long)(s1.conn_started - s0.conn_started),
        (unsigned long long)s1.conns_open);
  check(wait_conns(ctx, 0, 10 * IDLE_MS) >= 0, "and closes again");

  /* 3. A hold keeps tree, session and connection past the idle time. */
  {
    struct hold_arg a;
    int done = 0, k;
    memset(&a, 0, sizeof(a));
    a.host = fs3;
    on_loop(ctx, hold_cb, &a);
    for (k = 0; k < 500 && !done; k++) {
      sleep_ms(10);
      on_loop(ctx, read_done_cb, &a);
      done = a.done_seen;
    }
    check(done && a.err == 0, "tree \\\\fs3\\data held (err %d)", a.err);
    s0 = sl_stats(ctx);
    sleep_ms(4 * IDLE_MS);
    s1 = sl_stats(ctx);
    check(s1.conns_open == 1 && s1.trees_closed == s0.trees_closed,
          "held for 4x the idle time: still open (%llu open, %llu trees closed)",
          (unsigned long long)s1.conns_open,
          (unsigned long long)(s1.trees_closed - s0.trees_closed));
    s0 = sl_stats(ctx);
    rc = stat_path(ctx, p_fs3);
    s1 = sl_stats(ctx);
    check(rc == 0 && s1.conn_started == s0.conn_started,
          "the held connection serves a stat without a new setup (rc %d)", rc);
    a.release = 1;
    if (done && a.err == 0)
      on_loop(ctx, hold_cb, &a);
    took = wait_conns(ctx, 0, 10 * IDLE_MS);
    check(took >= IDLE_MS / 2, "released: closed %ld ms later", took);
  }

  /* 4. Accesses arriving around the moment of teardown (TREE_DISCONNECT or
   * LOGOFF in flight) get a fresh tree or connection and succeed. */
  set_limits(ctx, 100, 0);
  ok = 0;
  for (i = 0; i < 40; i++) {
    sleep_ms(80 + (unsigned)(i % 8) * 10);
    ok += stat_path(ctx, p_fs1) == 0;
  }
  s1 = sl_stats(ctx);
  check(ok == 40, "40 stats at 80-150 ms intervals with a 100 ms idle time: %d succeed",
        ok);
  check(s1.conns_closed > 3, "and connections were closed in between (%llu in all)",
        (unsigned long long)s1.conns_closed);

  /* 5. max_conns: a new connection past the cap closes the least recently
   * used connection unused for the grace time (5 s); when none is, the
   * layer goes over the cap. */
  check(wait_conns(ctx, 0, 3000) >= 0, "back to no connection");
  set_limits(ctx, 60000, 2);
  ok = stat_path(ctx, p_fs1) == 0 && stat_path(ctx, p_fs2) == 0;
  sleep_ms(5200);
  ok = ok && stat_path(ctx, p_fs3) == 0;
  took = wait_conns(ctx, 2, 3000);
  s0 = sl_stats(ctx);
  check(ok && took >= 0,
        "max_conns 2: three servers, the first two unused for 5.2 s, leave %llu open",
        (unsigned long long)s0.conns_open);
  rc = stat_path(ctx, p_fs2);
  s1 = sl_stats(ctx);
  check(rc == 0 && s1.conn_started == s0.conn_started,
        "fs2 (used after fs1) was kept: no new setup (%llu)",
        (unsigned long long)(s1.conn_started - s0.conn_started));
  rc = stat_path(ctx, p_fs1);
  s1 = sl_stats(ctx);
  check(rc == 0 && s1.conn_started == s0.conn_started + 1,
        "fs1 (least recently used) was closed: a new setup (%llu)",
        (unsigned long long)(s1.conn_started - s0.conn_started));
  check(s1.conns_open == 3,
        "none unused for 5 s: over the cap rather than a failure (%llu open)",
        (unsigned long long)s1.conns_open);

  dfsc_ctx_free(ctx);

  /* 6. Freeing a context while a TREE_DISCONNECT or LOGOFF is in flight
   * (idle time 50 ms, freed 40-75 ms after the access): every object is
   * still freed once (ASan builds check that) and no socket is left. */
  ok = 0;
  for (i = 0; i < 16; i++) {
    dfsc_ctx *c2 = NULL;
    if (dfsc_ctx_new(&o, &c2) != 0)
      continue;
    set_limits(c2, 50, 0);
    ok += stat_path(c2, p_fs2) == 0;
    sleep_ms(40 + (unsigned)(i % 8) * 5);
    dfsc_ctx_free(c2);
  }
  check(ok == 16, "16 contexts freed around their teardown: %d stats succeeded", ok);
  printf("# teardown requests the free interrupted: %d; answered: %d TREE_DISCONNECT, %d "
         "LOGOFF\n",
         n_teardown_fail, n_disc_ok, n_logoff_ok);
  socks = open_sockets();
  check(socks == 0, "context freed: no socket left (%d)", socks);
  free(user);
  free(pass);
  free(fs1);
  free(fs2);
  free(fs3);
  free(d202);
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
