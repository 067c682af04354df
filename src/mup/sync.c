/* Blocking wrappers (dfsc-sync.h): submit the async operation, then wait on
 * a private condition variable until the loop thread's callback signals it.
 * The waiting thread never runs protocol code. Does not: time out on its
 * own; every operation below carries its own deadlines in the loop. */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "dfsc/dfsc-sync.h"
#include "mup/ctx.h"
#include "mup/ops.h"

struct waiter {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int done;
  dfsc_result res;
};

static void waiter_init(struct waiter *w) {
  pthread_mutex_init(&w->mu, NULL);
  pthread_cond_init(&w->cv, NULL);
  w->done = 0;
  memset(&w->res, 0, sizeof(w->res));
}

static void wake_cb(const dfsc_result *res, void *arg) {
  struct waiter *w = arg;
  pthread_mutex_lock(&w->mu);
  w->res = *res;
  w->res.path = NULL; /* owned by the op, freed after this callback */
  w->done = 1;
  pthread_cond_signal(&w->cv);
  pthread_mutex_unlock(&w->mu);
}

/* Waits for the callback when rc (the async start) was 0. The caller's
 * result gets the caller's own path (NULL for handle operations): the
 * op's copy is freed after the callback, the caller's string outlives
 * the call, so dfsc_result_str names the path after a sync call too. */
static int finish_path(struct waiter *w, int rc, dfsc_result *res, const char *path) {
  if (rc == 0) {
    pthread_mutex_lock(&w->mu);
    while (!w->done)
      pthread_cond_wait(&w->cv, &w->mu);
    pthread_mutex_unlock(&w->mu);
    rc = w->res.err;
  } else {
    w->res.err = rc;
  }
  pthread_cond_destroy(&w->cv);
  pthread_mutex_destroy(&w->mu);
  if (res != NULL) {
    *res = w->res;
    res->path = path;
  }
  return rc;
}

#define finish(w, rc, res) finish_path((w), (rc), (res), NULL)

static int on_loop(dfsc_ctx *ctx) { return ctx != NULL && dfsc__loop_on_thread(ctx->loop); }

#define SYNC_GUARD(ctx, res)                                                               \
  do {                                                                                     \
    if (on_loop(ctx)) {                                                                    \
      if (res)                                                                             \
        memset(res, 0, sizeof(*res)), (res)->err = DFSC_E_DEADLK;                          \
      return DFSC_E_DEADLK;                                                                \
    }                                                                                      \
  } while (0)

int dfsc_open(dfsc_ctx *ctx, const char *path, int flags, dfsc_file **out,
              dfsc_result *res) {
  struct waiter w;
  int rc;
  SYNC_GUARD(ctx, res);
  waiter_init(&w);
  rc = finish_path(&w, dfsc_open_async(ctx, path, flags, wake_cb, &w), res, path);
  if (out)
    *out = rc == 0 ? w.res.file : NULL;
  return rc;
}

static dfsc_ctx *file_ctx(dfsc_file *f) { return dfsc__file_ctx(f); }

long long dfsc_read(dfsc_file *f, void *buf, size_t len, uint64_t off, dfsc_result *res) {
  struct waiter w;
  int rc;
  SYNC_GUARD(file_ctx(f), res);
  waiter_init(&w);
  rc = finish(&w, dfsc_read_async(f, buf, len, off, wake_cb, &w), res);
  return rc < 0 ? rc : (long long)w.res.nbytes;
}

long long dfsc_write(dfsc_file *f, const void *buf, size_t len, uint64_t off,
                     dfsc_result *res) {
  struct waiter w;
  int rc;
  SYNC_GUARD(file_ctx(f), res);
  waiter_init(&w);
  rc = finish(&w, dfsc_write_async(f, buf, len, off, wake_cb, &w), res);
  return rc < 0 ? rc : (long long)w.res.nbytes;
}

long long dfsc_copy_range(dfsc_file *src, uint64_t src_off, dfsc_file *dst,
                          uint64_t dst_off, uint64_t len, dfsc_result *res) {
  struct waiter w;
  int rc;
  SYNC_GUARD(file_ctx(dst), res);
  waiter_init(&w);
  rc = finish(&w, dfsc_copy_range_async(src, src_off, dst, dst_off, len, wake_cb, &w), res);
  return rc < 0 ? rc : (long long)w.res.nbytes;
}

int dfsc_rename_open(dfsc_file *f, const char *newname, int flags, dfsc_result *res) {
  struct waiter w;
  SYNC_GUARD(file_ctx(f), res);
  waiter_init(&w);
  return finish(&w, dfsc_rename_open_async(f, newname, flags, wake_cb, &w), res);
}

int dfsc_readdir(dfsc_file *f, dfsc_dir **out, dfsc_result *res) {
  struct waiter w;
  int rc;
  SYNC_GUARD(file_ctx(f), res);
  waiter_init(&w);
  rc = finish(&w, dfsc_readdir_async(f, wake_cb, &w), res);
  if (out)
    *out = rc == 0 ? w.res.dir : NULL;
  return rc;
}

int dfsc_flush(dfsc_file *f, dfsc_result *res) {
  struct waiter w;
  SYNC_GUARD(file_ctx(f), res);
  waiter_init(&w);
  return finish(&w, dfsc_flush_async(f, wake_cb, &w), res);
}

int dfsc_truncate(dfsc_file *f, uint64_t size, dfsc_result *res) {
  struct waiter w;
  SYNC_GUARD(file_ctx(f), res);
  waiter_init(&w);
  return finish(&w, dfsc_truncate_async(f, size, wake_cb, &w), res);
}

int dfsc_set_times(dfsc_file *f, uint64_t access_time, uint64_t write_time,
                   dfsc_result *res) {
  struct waiter w;
  SYNC_GUARD(file_ctx(f), res);
  waiter_init(&w);
  return finish(&w, dfsc_set_times_async(f, access_time, write_time, wake_cb, &w), res);
}

int dfsc_lock(dfsc_file *f, uint64_t off, uint64_t len, int flags, dfsc_result *res) {
  struct waiter w;
  SYNC_GUARD(file_ctx(f), res);
  waiter_init(&w);
  return finish(&w, dfsc_lock_async(f, off, len, flags, wake_cb, &w), res);
}

int dfsc_close(dfsc_file *f, dfsc_result *res) {
  struct waiter w;
  SYNC_GUARD(file_ctx(f), res);
  waiter_init(&w);
  return finish(&w, dfsc_close_async(f, wake_cb, &w), res);
}

int dfsc_stat(dfsc_ctx *ctx, const char *path, dfsc_stat_t *st, dfsc_result *res) {
  struct waiter w;
  int rc;
  SYNC_GUARD(ctx, res);
  waiter_init(&w);
  rc = finish_path(&w, dfsc_stat_async(ctx, path, wake_cb, &w), res, path);
  if (rc == 0 && st)
    *st = w.res.st;
  return rc;
}

long long dfsc_read_file(dfsc_ctx *ctx, const char *path, void *buf, size_t cap,
                         dfsc_stat_t *st, dfsc_result *res) {
  struct waiter w;
  int rc;
  SYNC_GUARD(ctx, res);
  waiter_init(&w);
  rc = finish_path(&w, dfsc_read_file_async(ctx, path, buf, cap, wake_cb, &w), res, path);
  if (rc < 0)
    return rc;
  if (st)
    *st = w.res.st;
  return (long long)w.res.nbytes;
}

long long dfsc_get_ea(dfsc_ctx *ctx, const char *path, const char *name, void *buf,
                      size_t cap, dfsc_result *res) {
  struct waiter w;
  int rc;
  SYNC_GUARD(ctx, res);
  waiter_init(&w);
  rc =
      finish_path(&w, dfsc_get_ea_async(ctx, path, name, buf, cap, wake_cb, &w), res, path);
  return rc < 0 ? rc : (long long)w.res.nbytes;
}

int dfsc_set_ea(dfsc_ctx *ctx, const char *path, const char *name, const void *value,
                size_t len, dfsc_result *res) {
  struct waiter w;
  SYNC_GUARD(ctx, res);
  waiter_init(&w);
  return finish_path(&w, dfsc_set_ea_async(ctx, path, name, value, len, wake_cb, &w), res,
                     path);
}

int dfsc_opendir(dfsc_ctx *ctx, const char *path, dfsc_dir **out, dfsc_result *res) {
  struct waiter w;
  int rc;
  SYNC_GUARD(ctx, res);
  waiter_init(&w);
  rc = finish_path(&w, dfsc_opendir_async(ctx, path, wake_cb, &w), res, path);
  if (out)
    *out = rc == 0 ? w.res.dir : NULL;
  return rc;
}

int dfsc_list_shares(dfsc_ctx *ctx, const char *path, dfsc_share_list **out,
                     dfsc_result *res) {
  struct waiter w;
  int rc;
  SYNC_GUARD(ctx, res);
  waiter_init(&w);
  rc = finish_path(&w, dfsc_list_shares_async(ctx, path, wake_cb, &w), res, path);
  if (out)
    *out = rc == 0 ? w.res.shares : NULL;
  if (rc == 0 && out == NULL) {
    dfsc_share_list_free(w.res.shares);
    if (res != NULL)
      res->shares = NULL;
  }
  return rc;
}

int dfsc_mkdir(dfsc_ctx *ctx, const char *path, dfsc_result *res) {
  struct waiter w;
  SYNC_GUARD(ctx, res);
  waiter_init(&w);
  return finish_path(&w, dfsc_mkdir_async(ctx, path, wake_cb, &w), res, path);
}

int dfsc_unlink(dfsc_ctx *ctx, const char *path, dfsc_result *res) {
  struct waiter w;
  SYNC_GUARD(ctx, res);
  waiter_init(&w);
  return finish_path(&w, dfsc_unlink_async(ctx, path, wake_cb, &w), res, path);
}

int dfsc_rmdir(dfsc_ctx *ctx, const char *path, dfsc_result *res) {
  struct waiter w;
  SYNC_GUARD(ctx, res);
  waiter_init(&w);
  return finish_path(&w, dfsc_rmdir_async(ctx, path, wake_cb, &w), res, path);
}

int dfsc_rename(dfsc_ctx *ctx, const char *path, const char *newpath, dfsc_result *res) {
  struct waiter w;
  SYNC_GUARD(ctx, res);
  waiter_init(&w);
  return finish_path(&w, dfsc_rename_async(ctx, path, newpath, wake_cb, &w), res, path);
}

int dfsc_rename2(dfsc_ctx *ctx, const char *path, const char *newpath, int flags,
                 dfsc_result *res) {
  struct waiter w;
  SYNC_GUARD(ctx, res);
  waiter_init(&w);
  return finish_path(&w, dfsc_rename2_async(ctx, path, newpath, flags, wake_cb, &w), res,
                     path);
}

int dfsc_link(dfsc_ctx *ctx, const char *path, const char *newpath, int flags,
              dfsc_result *res) {
  struct waiter w;
  SYNC_GUARD(ctx, res);
  waiter_init(&w);
  return finish_path(&w, dfsc_link_async(ctx, path, newpath, flags, wake_cb, &w), res,
                     path);
}

int dfsc_resolve(dfsc_ctx *ctx, const char *path, dfsc_resolution **out, dfsc_result *res) {
  struct waiter w;
  int rc;
  SYNC_GUARD(ctx, res);
  waiter_init(&w);
  rc = finish_path(&w, dfsc_resolve_async(ctx, path, wake_cb, &w), res, path);
  if (out)
    *out = rc == 0 ? w.res.resolution : NULL;
  return rc;
}

int dfsc_cache_snapshot(dfsc_ctx *ctx, dfsc_cache_info **out, dfsc_result *res) {
  struct waiter w;
  int rc;
  SYNC_GUARD(ctx, res);
  waiter_init(&w);
  rc = finish(&w, dfsc_cache_snapshot_async(ctx, wake_cb, &w), res);
  if (out)
    *out = rc == 0 ? w.res.cache : NULL;
  return rc;
}

int dfsc_cache_flush(dfsc_ctx *ctx, dfsc_result *res) {
  struct waiter w;
  SYNC_GUARD(ctx, res);
  waiter_init(&w);
  return finish(&w, dfsc_cache_flush_async(ctx, wake_cb, &w), res);
}

int dfsc_dialect(dfsc_ctx *ctx, const char *path, dfsc_result *res) {
  struct waiter w;
  int rc;
  SYNC_GUARD(ctx, res);
  waiter_init(&w);
  rc = finish_path(&w, dfsc_dialect_async(ctx, path, wake_cb, &w), res, path);
  return rc < 0 ? rc : (int)w.res.nbytes;
}
