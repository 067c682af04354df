/* The library context shared by the mup modules: the loop and its thread,
 * the lookup lane, the session layer, the options. Private to src/mup. */
#ifndef DFSC_MUP_CTX_H
#define DFSC_MUP_CTX_H

#include <pthread.h>

#include "core/lane.h"
#include "core/log.h"
#include "core/loop.h"
#include "dfs/resolver.h"
#include "dfsc/dfsc.h"
#include "session/sl.h"
#include "transport/lookup.h"

struct dfsc_ctx {
  /* dfsc_ctx_new_user: the context whose loop, lanes, session layer, DFS
   * state and name map this one borrows (owns none of them), and the
   * identity its operations act as (owned). NULL / 0 otherwise. */
  dfsc_ctx *parent;
  dfsc_sl_creds ident;
  int has_ident;
  dfsc_loop *loop;
  dfsc_lane *lookup_lane;
  dfsc_lane *auth_lane, *kdc_lane; /* Kerberos (NULL when it is off) */
  dfsc_sl *sl;
  dfsc_dfs *dfs; /* NULL once shut down */
  dfsc_resolve_map *map;
  dfsc_logger log;
  dfsc__whyrec whyrec; /* log.why of a root context (a child shares its parent's) */
  pthread_t thread;
  int thread_started;
  dfsc_post stop_post;
  volatile int stopping; /* set by dfsc_ctx_free: new operations are refused */
  unsigned max_io_window;
  char *site;
  uint16_t port;
  uint64_t names_dropped; /* listing entries withheld; loop thread only */
  /* The most one listing may hold (dfsc_set_dir_max_bytes; 0: the
   * default). Written by any thread, read by the loop thread: atomic. */
  size_t dir_max_bytes;
  /* The live-operation budget (dfsc_set_max_ops; 0: the default). The
   * counters are updated by callers' threads (submit) and the loop (end). */
  unsigned max_ops;
  unsigned live_ops;
  unsigned live_ops_hwm;
  uint64_t ops_rejected;
  /* The whole-operation deadline (dfsc_set_op_timeout; 0: the default),
   * written by any thread, read by the loop. The operations the loop has
   * taken up, for dfsc_cancel (loop thread only). */
  unsigned op_timeout_ms;
  struct op *ops_live;
  uint64_t ops_timed_out, ops_canceled; /* loop thread */
  /* Open handles, so that dfsc_ctx_free can free what callers left open.
   * The lock guards only this list: never held across a library call. */
  pthread_mutex_t handles_mu;
  struct dfsc_file *handles;
  /* Reconnect and durable handles (dfsc_opts); counters, loop thread. */
  unsigned reconnect_timeout_ms;
  int durable;
  unsigned durable_timeout_ms;
  uint64_t durable_opens, durable_reclaimed, reopened_by_path, handles_stale, ops_resumed;
  uint64_t ops_settled, lock_waits;
  /* dfsc_set_lease_break_cb: written by any thread, read on the loop. */
  dfsc_lease_break_cb break_cb;
  void *break_arg;
};

/* Frees every handle still open (the caller left them); after the loop
 * thread has stopped and every operation ended. */
void dfsc__mup_handles_free(dfsc_ctx *ctx);
/* The same on the loop thread while it runs (a context of
 * dfsc_ctx_new_user): leases and tree holds are released first. */
void dfsc__mup_handles_release(dfsc_ctx *ctx);
/* Cuts every operation of ctx the loop has taken up (DFSC_E_SHUTDOWN).
 * Loop thread. */
void dfsc__mup_ops_cut_all(dfsc_ctx *ctx);

#endif
