/* Context lifetime: creates the loop, its thread, the lookup lane and the
 * session layer; tears them down in the order that lets every pending
 * operation finish with a callback. Does not: run operations (ops.c). */
#include "mup/ctx.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "mup/ops.h"

#define LOOKUP_QUEUE_MAX 1024

dfsc_sl *dfsc__ctx_sl(dfsc_ctx *ctx) { return ctx->sl; }
dfsc_dfs *dfsc__ctx_dfs(dfsc_ctx *ctx) { return ctx->dfs; }

struct clock_set {
  dfsc_post post;
  dfsc_ctx *ctx;
  dfsc__clock_fn fn;
  void *arg;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int done;
};

static void clock_set_cb(dfsc_post *p) {
  struct clock_set *cs = p->data;
  dfsc__loop_set_clock(cs->ctx->loop, cs->fn, cs->arg);
  dfsc__loop_update_time(cs->ctx->loop);
  pthread_mutex_lock(&cs->mu);
  cs->done = 1;
  pthread_cond_signal(&cs->cv);
  pthread_mutex_unlock(&cs->mu);
}

int dfsc__ctx_set_clock(dfsc_ctx *ctx, dfsc__clock_fn fn, void *arg) {
  struct clock_set cs;
  int rc;
  if (dfsc__loop_on_thread(ctx->loop))
    return DFSC_E_DEADLK;
  memset(&cs, 0, sizeof(cs));
  cs.ctx = ctx;
  cs.fn = fn;
  cs.arg = arg;
  cs.post.cb = clock_set_cb;
  cs.post.data = &cs;
  pthread_mutex_init(&cs.mu, NULL);
  pthread_cond_init(&cs.cv, NULL);
  rc = dfsc__loop_post(ctx->loop, &cs.post);
  if (rc == 0) {
    pthread_mutex_lock(&cs.mu);
    while (!cs.done)
      pthread_cond_wait(&cs.cv, &cs.mu);
    pthread_mutex_unlock(&cs.mu);
  }
  pthread_cond_destroy(&cs.cv);
  pthread_mutex_destroy(&cs.mu);
  return rc;
}

static void *loop_main(void *arg) {
  dfsc_ctx *ctx = arg;
  dfsc__loop_run(ctx->loop);
  return NULL;
}

int dfsc_ctx_new(const dfsc_opts *o, dfsc_ctx **out) {
  dfsc_opts defaults;
  dfsc_ctx *ctx;
  dfsc_sl_cfg cfg;
  char host[256];
  int rc;

  if (out == NULL)
    return -EINVAL;
  if (o == NULL) {
    dfsc_opts_init(&defaults);
    o = &defaults;
  }
  if (o->min_dialect && o->max_dialect && o->min_dialect > o->max_dialect)
    return -EINVAL;
  ctx = dfsc__calloc(1, sizeof(*ctx));
  if (ctx == NULL)
    return -ENOMEM;
  ctx->log.cb = o->log_cb;
  ctx->log.arg = o->log_arg;
  ctx->log.level = o->log_cb ? o->log_level : -1;
  ctx->max_io_window = o->max_io_window ? o->max_io_window : 8u << 20;
  if (ctx->max_io_window < 65536)
    ctx->max_io_window = 65536;
  ctx->port = o->port ? o->port : 445;

  rc = dfsc__resolve_map_new(o->resolve, &ctx->map);
  if (rc < 0)
    goto fail;
  rc = dfsc__loop_new(&ctx->log, 0, &ctx->loop);
  if (rc < 0)
    goto fail;
  rc = dfsc__lane_new(ctx->loop, "lookup", o->lookup_workers ? o->lookup_workers : 2,
                      LOOKUP_QUEUE_MAX, &ctx->lookup_lane);
  if (rc < 0)
    goto fail;

  memset(&cfg, 0, sizeof(cfg));
  cfg.loop = ctx->loop;
  cfg.lookup_lane = ctx->lookup_lane;
  cfg.log = &ctx->log;
  cfg.map = ctx->map;
  cfg.user = o->user && o->user[0] ? o->user : NULL;
  cfg.domain = o->domain;
  cfg.password = o->password;
  if (o->workstation == NULL && gethostname(host, sizeof(host)) == 0) {
    host[sizeof(host) - 1] = '\0';
    cfg.workstation = host;
  } else {
    cfg.workstation = o->workstation;
  }
  cfg.guest_ok = o->guest_ok;
  cfg.min_dialect = o->min_dialect;
  cfg.max_dialect = o->max_dialect;
  cfg.sign = o->sign;
  cfg.port = ctx->port;
  cfg.connect_timeout_ms = o->connect_timeout_ms;
  cfg.setup_timeout_ms = o->setup_timeout_ms;
  cfg.request_timeout_ms = o->request_timeout_ms;
  rc = dfsc__sl_new(&cfg, &ctx->sl);
  if (rc < 0)
    goto fail;
  {
    dfsc_dfs_cfg dc;
    memset(&dc, 0, sizeof(dc));
    dc.referral_ex = o->referral_ex;
    dc.max_inflight = o->max_referrals;
    dc.max_per_server = o->max_referrals_per_server;
    if (o->site != NULL && (ctx->site = dfsc__strdup(o->site)) == NULL) {
      rc = -ENOMEM;
      goto fail;
    }
    dc.site = ctx->site;
    rc = dfsc__dfs_new(ctx->sl, ctx->loop, &ctx->log, &dc, &ctx->dfs);
  }
  if (rc < 0)
    goto fail;

  rc = pthread_create(&ctx->thread, NULL, loop_main, ctx);
  if (rc != 0) {
    rc = -rc;
    goto fail;
  }
  ctx->thread_started = 1;
  *out = ctx;
  return 0;

fail:
  dfsc_ctx_free(ctx);
  return rc;
}

/* Runs on the loop thread: fail what is pending (callbacks run now), stop
 * the lane, end the loop. */
static void stop_cb(dfsc_post *p) {
  dfsc_ctx *ctx = p->data;
  dfsc_dfs *dfs = ctx->dfs;
  /* The session layer first: referral requests past their queue complete
   * through it; then the queued ones; then the lane. */
  dfsc__sl_shutdown(ctx->sl);
  ctx->dfs = NULL;
  dfsc__dfs_free(dfs);
  dfsc__lane_free(ctx->lookup_lane);
  ctx->lookup_lane = NULL;
  dfsc__loop_stop(ctx->loop);
}

void dfsc_ctx_free(dfsc_ctx *ctx) {
  if (ctx == NULL)
    return;
  if (ctx->thread_started) {
    int i;
    __atomic_store_n(&ctx->stopping, 1, __ATOMIC_SEQ_CST);
    ctx->stop_post.cb = stop_cb;
    ctx->stop_post.data = ctx;
    /* The queue may be full of caller posts: the loop drains it, so this
     * ends; bounded anyway at 10 s. */
    for (i = 0; i < 10000 && dfsc__loop_post(ctx->loop, &ctx->stop_post) == DFSC_E_BUSY; i++)
      usleep(1000);
    pthread_join(ctx->thread, NULL);
    /* Operations another thread posted after the stop: run their start on
     * this thread now, with everything shut down, so each gets its one
     * callback (DFSC_E_SHUTDOWN). Each turn runs up to 1024 posts; the queue
     * holds at most 65536. */
    for (i = 0; i < 64; i++) {
      dfsc__loop_stop(ctx->loop);
      dfsc__loop_run(ctx->loop);
    }
  }
  if (ctx->lookup_lane)
    dfsc__lane_free(ctx->lookup_lane);
  dfsc__dfs_free(ctx->dfs);
  dfsc__sl_free(ctx->sl);
  if (ctx->loop)
    dfsc__loop_free(ctx->loop);
  dfsc__resolve_map_free(ctx->map);
  dfsc__free(ctx->site);
  dfsc__free(ctx);
}
