/* Context lifetime: creates the loop, its thread, the lookup lane and the
 * session layer; tears them down in the order that lets every pending
 * operation finish with a callback. Does not: run operations (ops.c). */
#include "mup/ctx.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "mup/ops.h"
#include "session/crypto.h"
#include "session/policy.h"

#define LOOKUP_QUEUE_MAX 1024
#define AUTH_QUEUE_MAX 1024

dfsc_sl *dfsc__ctx_sl(dfsc_ctx *ctx) { return ctx->sl; }
dfsc_dfs *dfsc__ctx_dfs(dfsc_ctx *ctx) { return ctx->dfs; }

/* Runs fn(ctx, arg) on the loop thread and waits for it (or runs it in
 * place on the loop thread). Returns 0 or the post's error. */
struct on_loop {
  dfsc_post post;
  dfsc_ctx *ctx;
  void (*fn)(dfsc_ctx *ctx, void *arg);
  void *arg;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int done;
};

static void on_loop_cb(dfsc_post *p) {
  struct on_loop *ol = p->data;
  ol->fn(ol->ctx, ol->arg);
  pthread_mutex_lock(&ol->mu);
  ol->done = 1;
  pthread_cond_signal(&ol->cv);
  pthread_mutex_unlock(&ol->mu);
}

static int loop_call(dfsc_ctx *ctx, void (*fn)(dfsc_ctx *, void *), void *arg) {
  struct on_loop ol;
  int rc;
  if (dfsc__loop_on_thread(ctx->loop)) {
    fn(ctx, arg);
    return 0;
  }
  memset(&ol, 0, sizeof(ol));
  ol.ctx = ctx;
  ol.fn = fn;
  ol.arg = arg;
  ol.post.cb = on_loop_cb;
  ol.post.data = &ol;
  pthread_mutex_init(&ol.mu, NULL);
  pthread_cond_init(&ol.cv, NULL);
  rc = dfsc__loop_post(ctx->loop, &ol.post);
  if (rc == 0) {
    pthread_mutex_lock(&ol.mu);
    while (!ol.done)
      pthread_cond_wait(&ol.cv, &ol.mu);
    pthread_mutex_unlock(&ol.mu);
  }
  pthread_cond_destroy(&ol.cv);
  pthread_mutex_destroy(&ol.mu);
  return rc;
}

static int run_on_loop(dfsc_ctx *ctx, void (*fn)(dfsc_ctx *, void *), void *arg) {
  if (ctx->stopping)
    return DFSC_E_SHUTDOWN;
  return loop_call(ctx, fn, arg);
}

unsigned dfsc_version(void) { return DFSC_VERSION_NUMBER; }
const char *dfsc_version_string(void) { return DFSC_VERSION_STRING; }

/* ---- the growth rule (dfsc.h) -------------------------------------------
 * The size of the caller's struct decides which fields it has. A field
 * added in a later layout may lie in the tail padding of an older one
 * (idle_timeout_ms sits where the first layout's padding after log_level
 * was), so the test is not "does size cover the field" but "is size at
 * least the sizeof of the layout that added it": the sizeof of a layout is
 * the offset of the first field added after it, rounded up to the struct's
 * alignment. */
#define ROUND_UP(n, a) (((n) + (a)-1) / (a) * (a))
#define LAYOUT_BEFORE(type, first_new) ROUND_UP(offsetof(type, first_new), _Alignof(type))
/* The first layout of dfsc_opts: size through log_level. */
#define OPTS_SIZE_1 LAYOUT_BEFORE(dfsc_opts, idle_timeout_ms)
/* The second: through max_conns (idle close). */
#define OPTS_SIZE_2 LAYOUT_BEFORE(dfsc_opts, kerberos)
/* The third: through hardened_paths (Kerberos). */
#define OPTS_SIZE_3 LAYOUT_BEFORE(dfsc_opts, reconnect_timeout_ms)
/* Past it, a size is not one any header gave (a program built before the
 * size field passes a pointer here). */
#define OPTS_SIZE_MAX 65536

_Static_assert(OPTS_SIZE_1 < OPTS_SIZE_2 && OPTS_SIZE_2 < OPTS_SIZE_3 &&
                   OPTS_SIZE_3 < sizeof(dfsc_opts),
               "a new dfsc_opts layout must grow the struct");

void dfsc_opts_init_sized(dfsc_opts *o, size_t size) {
  if (o == NULL || size < sizeof(o->size))
    return;
  memset(o, 0, size);
  o->size = size;
}

/* Copies the caller's options into *dst, a whole dfsc_opts of this
 * library: the fields the caller's layout has, defaults (zero) for the
 * rest. Returns 0, -EINVAL (a size no layout has) or -E2BIG (a newer
 * caller set an option this library does not know). */
static int opts_import(const dfsc_opts *o, dfsc_opts *dst) {
  size_t size = o->size;
  memset(dst, 0, sizeof(*dst));
  if (size < OPTS_SIZE_1 || size > OPTS_SIZE_MAX)
    return -EINVAL;
  if (size < OPTS_SIZE_2) {
    /* Only the first layout's fields: the bytes after log_level up to
     * size are padding there, not idle_timeout_ms. */
    memcpy(dst, o, offsetof(dfsc_opts, idle_timeout_ms));
  } else if (size < OPTS_SIZE_3) {
    /* The second layout: through max_conns. */
    memcpy(dst, o, offsetof(dfsc_opts, kerberos));
  } else if (size < sizeof(*dst)) {
    /* The third layout: through hardened_paths. */
    memcpy(dst, o, offsetof(dfsc_opts, reconnect_timeout_ms));
  } else {
    const unsigned char *tail = (const unsigned char *)o + sizeof(*dst);
    size_t i;
    memcpy(dst, o, sizeof(*dst));
    for (i = 0; i < size - sizeof(*dst); i++)
      if (tail[i] != 0)
        return -E2BIG;
  }
  dst->size = sizeof(*dst);
  return 0;
}

static void stats_fill(dfsc_ctx *ctx, dfsc_stats *o) {
  dfsc_sl_stats sl;
  dfsc_loop_stats ls;
  memset(o, 0, sizeof(*o));
  o->size = sizeof(*o);
  if (ctx->dfs != NULL) {
    dfsc_dfs_stats ds;
    dfsc__dfs_stats(ctx->dfs, &ds);
    o->referrals_sent = ds.referrals_sent;
    o->referrals_coalesced = ds.referrals_coalesced;
    o->referrals_queued = ds.referrals_queued;
    o->referrals_failed = ds.referrals_failed;
    o->referral_queue_hwm = ds.queue_hwm;
    o->failovers = ds.failovers;
    o->referral_loops = ds.loops;
  }
  dfsc__sl_stats(ctx->sl, &sl);
  o->conn_setups_started = sl.conn_started;
  o->conn_setups_coalesced = sl.conn_coalesced;
  o->conn_setups_failed = sl.conn_failed;
  o->conn_setups_queued = sl.conn_queued;
  o->sessions_started = sl.sess_started;
  o->trees_started = sl.tree_started;
  o->requests_sent = sl.requests_sent;
  o->credit_waits = sl.credit_waits;
  o->deadlines_hit = sl.deadlines;
  o->trees_closed = sl.trees_closed;
  o->sessions_closed = sl.sessions_closed;
  o->conns_closed = sl.conns_closed;
  o->conns_open = sl.conns_open;
  o->sessions_krb5 = sl.sess_krb5;
  o->sessions_ntlm = sl.sess_ntlm;
  o->auth_jobs = sl.auth_jobs;
  o->auth_kdc_jobs = sl.auth_kdc_jobs;
  o->auth_orphaned = sl.auth_orphaned;
  o->hardened_refused = sl.hardened_refused;
  o->conns_lost = sl.conns_lost;
  o->reconnects = sl.reconnects;
  o->reconnect_waits = sl.reconnect_waits;
  o->reconnect_tries = sl.reconnect_tries;
  o->reconnect_failed = sl.reconnect_failed;
  o->echoes_sent = sl.echoes_sent;
  o->echo_dead = sl.echo_dead;
  o->lease_breaks = sl.lease_breaks;
  o->lease_acks = sl.lease_acks;
  o->lease_breaks_dropped = sl.lease_unknown;
  o->lease_acks_late = sl.lease_ack_late;
  o->read_bytes = sl.read_bytes;
  o->write_bytes = sl.write_bytes;
  o->requests_unanswered = sl.requests_unanswered;
  o->reads_direct = sl.read_direct;
  o->reads_spliced = sl.read_spliced;
  o->reads_spilled = sl.read_spilled;
  o->compound_fallbacks = sl.compound_fallbacks;
  o->sessions_open = sl.sess_open;
  o->durable_opens = ctx->durable_opens;
  o->durable_reclaimed = ctx->durable_reclaimed;
  o->reopened_by_path = ctx->reopened_by_path;
  o->handles_stale = ctx->handles_stale;
  o->ops_resumed = ctx->ops_resumed;
  o->ops_settled = ctx->ops_settled;
  o->lock_waits = ctx->lock_waits;
  o->names_dropped = ctx->names_dropped;
  o->ops_live_hwm = __atomic_load_n(&ctx->live_ops_hwm, __ATOMIC_RELAXED);
  o->ops_rejected = __atomic_load_n(&ctx->ops_rejected, __ATOMIC_RELAXED);
  o->ops_timed_out = ctx->ops_timed_out;
  o->ops_canceled = ctx->ops_canceled;
  if (ctx->lookup_lane != NULL) {
    dfsc_lane_stats la;
    dfsc__lane_stats(ctx->lookup_lane, &la);
    o->lookup_queue_hwm = la.queue_hwm;
    o->lookup_busy_hwm = la.busy_hwm;
    o->lookup_rejected = la.rejected;
  }
  dfsc__loop_stats(ctx->loop, &ls);
  o->submit_queue_hwm = ls.post_queue_hwm;
  o->loop_iterations = ls.iterations;
}

static void stats_fill_cb(dfsc_ctx *ctx, void *arg) { stats_fill(ctx, arg); }

int dfsc_stats_get_sized(dfsc_ctx *ctx, dfsc_stats *out, size_t size) {
  dfsc_stats all;
  size_t n = size < sizeof(all) ? size : sizeof(all);
  int rc;
  if (ctx == NULL || out == NULL || size < sizeof(out->size))
    return -EINVAL;
  /* Filled whole here, then copied within the caller's size: a caller
   * built against an older header has a smaller struct. */
  rc = run_on_loop(ctx, stats_fill_cb, &all);
  if (rc < 0)
    return rc;
  all.size = n;
  memcpy(out, &all, n);
  if (size > n)
    memset((char *)out + n, 0, size - n);
  return 0;
}

struct clock_arg {
  dfsc__clock_fn fn;
  void *arg;
};

static void clock_set_cb(dfsc_ctx *ctx, void *arg) {
  struct clock_arg *ca = arg;
  dfsc__loop_set_clock(ctx->loop, ca->fn, ca->arg);
  dfsc__loop_update_time(ctx->loop);
}

int dfsc__ctx_set_clock(dfsc_ctx *ctx, dfsc__clock_fn fn, void *arg) {
  struct clock_arg ca;
  ca.fn = fn;
  ca.arg = arg;
  return run_on_loop(ctx, clock_set_cb, &ca);
}

static void *loop_main(void *arg) {
  dfsc_ctx *ctx = arg;
  dfsc__loop_run(ctx->loop);
  return NULL;
}

int dfsc_ctx_new(const dfsc_opts *caller, dfsc_ctx **out) {
  dfsc_opts opts;
  const dfsc_opts *o = &opts;
  dfsc_ctx *ctx;
  dfsc_sl_cfg cfg;
  char host[256];
  int rc;

  if (out == NULL)
    return -EINVAL;
  if (caller == NULL)
    dfsc_opts_init_sized(&opts, sizeof(opts));
  else if ((rc = opts_import(caller, &opts)) < 0)
    return rc;
  if (o->min_dialect && o->max_dialect && o->min_dialect > o->max_dialect)
    return -EINVAL;
  ctx = dfsc__calloc(1, sizeof(*ctx));
  if (ctx == NULL)
    return -ENOMEM;
  pthread_mutex_init(&ctx->handles_mu, NULL);
  ctx->log.cb = o->log_cb;
  ctx->log.arg = o->log_arg;
  ctx->log.level = o->log_cb ? o->log_level : -1;
  ctx->log.why = &ctx->whyrec;
  DFSC_INFO(&ctx->log, DFSC_CAT_CORE, "dfsc %s; SMB signing and encryption: %s",
            DFSC_VERSION_STRING, dfsc__crypto_backend());
  ctx->max_io_window = o->max_io_window ? o->max_io_window : 8u << 20;
  if (ctx->max_io_window < 65536)
    ctx->max_io_window = 65536;
  ctx->port = o->port ? o->port : 445;

  rc = dfsc__resolve_map_new(o->resolve, &ctx->map);
  if (rc < 0)
    goto fail;
  rc = dfsc__loop_new(&ctx->log, o->submit_queue_max, &ctx->loop);
  if (rc < 0)
    goto fail;
  rc = dfsc__lane_new(ctx->loop, "lookup", o->lookup_workers ? o->lookup_workers : 2,
                      o->lookup_queue_max ? o->lookup_queue_max : LOOKUP_QUEUE_MAX,
                      &ctx->lookup_lane);
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
  cfg.encrypt = o->encrypt;
  cfg.ciphers = o->ciphers;
  cfg.cred_servers = o->cred_servers;
  cfg.port = ctx->port;
  cfg.connect_timeout_ms = o->connect_timeout_ms;
  cfg.setup_timeout_ms = o->setup_timeout_ms;
  cfg.request_timeout_ms = o->request_timeout_ms;
  cfg.max_connects = o->max_connects;
  cfg.idle_timeout_ms = o->idle_timeout_ms;
  cfg.max_conns = o->max_conns;
  if (o->kerberos < DFSC_KERBEROS_AUTO || o->kerberos > DFSC_KERBEROS_OFF) {
    rc = -EINVAL;
    goto fail;
  }
  if (o->hardened_paths != NULL) {
    size_t i;
    for (i = 0; o->hardened_paths[i] != NULL; i++)
      if (!dfsc__policy_hardened_valid(o->hardened_paths[i])) {
        rc = -EINVAL;
        goto fail;
      }
  }
  cfg.kerberos = o->kerberos;
  cfg.ntlm_off = o->ntlm_off;
  cfg.ccache = o->ccache && o->ccache[0] ? o->ccache : NULL;
  cfg.keytab = o->keytab && o->keytab[0] ? o->keytab : NULL;
  cfg.hardened_paths = o->hardened_paths;
  cfg.echo_interval_ms = o->echo_interval_ms;
  if (o->durable != DFSC_DURABLE_AUTO && o->durable != DFSC_DURABLE_OFF) {
    rc = -EINVAL;
    goto fail;
  }
  ctx->durable = o->durable;
  ctx->durable_timeout_ms = o->durable_timeout_ms;
  ctx->reconnect_timeout_ms = o->reconnect_timeout_ms ? o->reconnect_timeout_ms : 30000u;
  if (o->kerberos != DFSC_KERBEROS_OFF) {
    /* Two lanes (P7): the first Kerberos step reads the credential cache
     * on the auth lane; a step that must ask the KDC moves to the KDC lane,
     * so a slow or hung KDC never holds the worker a cached ticket needs. */
    unsigned w = o->auth_workers ? o->auth_workers : 2;
    size_t q = o->auth_queue_max ? o->auth_queue_max : AUTH_QUEUE_MAX;
    rc = dfsc__lane_new(ctx->loop, "auth", w, q, &ctx->auth_lane);
    if (rc == 0)
      rc = dfsc__lane_new(ctx->loop, "kdc", w, q, &ctx->kdc_lane);
    if (rc < 0)
      goto fail;
    cfg.auth_lane = ctx->auth_lane;
    cfg.kdc_lane = ctx->kdc_lane;
  }
  rc = dfsc__sl_new(&cfg, &ctx->sl);
  if (rc < 0)
    goto fail;
  {
    dfsc_dfs_cfg dc;
    memset(&dc, 0, sizeof(dc));
    dc.referral_ex = o->referral_ex;
    dc.max_inflight = o->max_referrals;
    dc.max_per_server = o->max_referrals_per_server;
    dc.queue_max = o->referral_queue_max;
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

/* ---- contexts for other identities (dfsc_ctx_new_user) ------------------ */

#define USER_DRAIN_MS 600000u /* the most dfsc_ctx_free waits for their ops */

/* Tags tell the sessions of such contexts apart (0: the parent's). */
static uint64_t user_tags;

int dfsc_ctx_new_user(dfsc_ctx *parent, const dfsc_opts *caller, dfsc_ctx **out) {
  dfsc_opts opts;
  dfsc_sl_creds id;
  dfsc_ctx *ctx;
  int rc;

  if (parent == NULL || out == NULL)
    return -EINVAL;
  if (parent->parent != NULL)
    parent = parent->parent;
  if (__atomic_load_n(&parent->stopping, __ATOMIC_ACQUIRE))
    return DFSC_E_SHUTDOWN;
  if (caller == NULL)
    dfsc_opts_init_sized(&opts, sizeof(opts));
  else if ((rc = opts_import(caller, &opts)) < 0)
    return rc;
  if (opts.kerberos < DFSC_KERBEROS_AUTO || opts.kerberos > DFSC_KERBEROS_OFF ||
      (opts.kerberos == DFSC_KERBEROS_REQUIRED && parent->auth_lane == NULL))
    return -EINVAL;
  ctx = dfsc__calloc(1, sizeof(*ctx));
  if (ctx == NULL)
    return -ENOMEM;
  memset(&id, 0, sizeof(id));
  id.user = opts.user && opts.user[0] ? opts.user : NULL;
  id.domain = opts.domain && opts.domain[0] ? opts.domain : NULL;
  id.password = opts.password;
  id.ccache = opts.ccache && opts.ccache[0] ? opts.ccache : NULL;
  id.has_kerberos = 1;
  id.kerberos = opts.kerberos;
  id.tag = __atomic_add_fetch(&user_tags, 1, __ATOMIC_RELAXED);
  rc = dfsc__sl_creds_dup(&id, &ctx->ident);
  if (rc < 0) {
    dfsc__free(ctx);
    return rc;
  }
  ctx->has_ident = 1;
  pthread_mutex_init(&ctx->handles_mu, NULL);
  ctx->parent = parent;
  ctx->loop = parent->loop;
  ctx->lookup_lane = parent->lookup_lane;
  ctx->auth_lane = parent->auth_lane;
  ctx->kdc_lane = parent->kdc_lane;
  ctx->sl = parent->sl;
  ctx->dfs = parent->dfs;
  ctx->map = parent->map;
  ctx->log = parent->log;
  ctx->max_io_window = parent->max_io_window;
  ctx->port = parent->port;
  ctx->dir_max_bytes = __atomic_load_n(&parent->dir_max_bytes, __ATOMIC_ACQUIRE);
  ctx->max_ops = __atomic_load_n(&parent->max_ops, __ATOMIC_ACQUIRE);
  ctx->op_timeout_ms = __atomic_load_n(&parent->op_timeout_ms, __ATOMIC_ACQUIRE);
  ctx->reconnect_timeout_ms = parent->reconnect_timeout_ms;
  ctx->durable = parent->durable;
  ctx->durable_timeout_ms = parent->durable_timeout_ms;
  *out = ctx;
  return 0;
}

static void user_cut_cb(dfsc_ctx *ctx, void *arg) {
  (void)arg;
  dfsc__mup_ops_cut_all(ctx);
}

static void user_release_cb(dfsc_ctx *ctx, void *arg) {
  (void)arg;
  dfsc__mup_handles_release(ctx);
}

/* loop_call that waits for room in a full post queue (the loop drains
 * it), bounded at 10 s like dfsc_ctx_free's stop. */
static int loop_call_wait(dfsc_ctx *ctx, void (*fn)(dfsc_ctx *, void *)) {
  int rc = DFSC_E_BUSY, i;
  for (i = 0; i < 10000 && (rc = loop_call(ctx, fn, NULL)) == DFSC_E_BUSY; i++)
    usleep(1000);
  return rc;
}

/* Ends a context of dfsc_ctx_new_user on its parent's running loop: new
 * operations are refused, those under way cut (each ends at its next step,
 * within its deadlines), then its handles are released and it goes. */
static void user_ctx_free(dfsc_ctx *ctx) {
  unsigned ms;
  __atomic_store_n(&ctx->stopping, 1, __ATOMIC_SEQ_CST);
  for (ms = 0; __atomic_load_n(&ctx->live_ops, __ATOMIC_ACQUIRE) > 0; ms++) {
    if (ms == USER_DRAIN_MS) {
      /* Never seen: an operation outlived every deadline. Freeing ctx
       * under it would be worse than keeping it. */
      DFSC_ERR(&ctx->log, DFSC_CAT_MUP,
               "a user context still has operations after %u ms: not freed", USER_DRAIN_MS);
      return;
    }
    if (ms % 100 == 0)
      (void)loop_call(ctx, user_cut_cb, NULL);
    usleep(1000);
  }
  if (loop_call_wait(ctx, user_release_cb) != 0) {
    /* Its handles could not be let go on the loop: their leases and
     * breaks still name ctx, which must then stay. */
    DFSC_ERR(&ctx->log, DFSC_CAT_MUP,
             "a user context's handles could not be released: "
             "not freed");
    return;
  }
  pthread_mutex_destroy(&ctx->handles_mu);
  dfsc__sl_creds_clear(&ctx->ident);
  dfsc__free(ctx);
}

/* The auth lanes after the session layer shut down: its sessions orphaned
 * their jobs, which the lanes' done callbacks now free. The auth lane
 * first, while the KDC lane still exists: a job's done there may hand it
 * over (only a job whose session is still alive, which none is now). */
static void free_auth_lanes(dfsc_ctx *ctx) {
  if (ctx->auth_lane != NULL)
    dfsc__lane_free(ctx->auth_lane);
  ctx->auth_lane = NULL;
  /* A KDC that never answers holds its worker for as long as MIT krb5
   * waits (25 s): the context does not wait with it. A step still running
   * after 200 ms finishes alone and frees its job. */
  if (ctx->kdc_lane != NULL)
    dfsc__lane_free_abandon(ctx->kdc_lane, 200);
  ctx->kdc_lane = NULL;
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
  free_auth_lanes(ctx);
  dfsc__loop_stop(ctx->loop);
}

void dfsc_ctx_free(dfsc_ctx *ctx) {
  if (ctx == NULL)
    return;
  if (ctx->parent != NULL) {
    user_ctx_free(ctx);
    return;
  }
  if (ctx->thread_started) {
    int i;
    __atomic_store_n(&ctx->stopping, 1, __ATOMIC_SEQ_CST);
    ctx->stop_post.cb = stop_cb;
    ctx->stop_post.data = ctx;
    /* The queue may be full of caller posts: the loop drains it, so this
     * ends; bounded anyway at 10 s. */
    for (i = 0; i < 10000 && dfsc__loop_post(ctx->loop, &ctx->stop_post) == DFSC_E_BUSY;
         i++)
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
  dfsc__mup_handles_free(ctx);
  pthread_mutex_destroy(&ctx->handles_mu);
  if (ctx->lookup_lane)
    dfsc__lane_free(ctx->lookup_lane);
  free_auth_lanes(ctx);
  dfsc__dfs_free(ctx->dfs);
  dfsc__sl_free(ctx->sl);
  if (ctx->loop)
    dfsc__loop_free(ctx->loop);
  dfsc__resolve_map_free(ctx->map);
  dfsc__free(ctx->site);
  dfsc__free(ctx);
}
