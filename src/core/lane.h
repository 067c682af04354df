/* Worker lanes: a fixed number of threads with a bounded queue, for calls
 * that must block (getaddrinfo, Kerberos, local disk). A job's `work` runs on
 * a worker thread; its `done` runs afterwards on the loop thread.
 *
 * Progress rule P1 (docs/progress.md): a job must never wait for anything
 * that needs a lane worker. Does not: run protocol code on workers.
 */
#ifndef DFSC_CORE_LANE_H
#define DFSC_CORE_LANE_H

#include <stddef.h>

#include "core/loop.h"

typedef struct dfsc_lane dfsc_lane;
typedef struct dfsc_lane_job dfsc_lane_job;

struct dfsc_lane_job {
  /* Runs on a worker thread; must not touch loop-owned state. */
  void (*work)(dfsc_lane_job *job);
  /* Runs on the loop thread after work, or with status -ECANCELED when the
   * lane is freed before the job ran. status is 0 otherwise. */
  void (*done)(dfsc_lane_job *job, int status);
  /* Optional. Runs on the worker thread, after work, instead of done when
   * dfsc__lane_free_abandon gave up waiting for this job: it frees what
   * the job owns (nothing else refers to it then). */
  void (*abandon)(dfsc_lane_job *job);
  void *data;
  /* private */
  dfsc_lane_job *next;
  dfsc_post post;
  int status;
};

typedef struct dfsc_lane_stats {
  uint64_t submitted;
  uint64_t rejected; /* queue full */
  size_t queue_hwm;
  unsigned busy; /* workers running a job now */
  unsigned busy_hwm;
} dfsc_lane_stats;

/* Starts `threads` workers (>= 1) with a queue bound of `qmax` (>= 1).
 * Returns 0 or a negative code. Loop thread. */
int dfsc__lane_new(dfsc_loop *l, const char *name, unsigned threads, size_t qmax,
                   dfsc_lane **out);

/* Queues a job. Returns 0, or DFSC_E_BUSY when qmax jobs wait (job not
 * queued, done never called). Loop thread only. */
int dfsc__lane_submit(dfsc_lane *lane, dfsc_lane_job *job);

/* Stops the workers (waiting for running jobs to finish their work) and
 * frees the lane. Every job whose done has not run gets it now, on the
 * calling thread, in order: done(status) for jobs that finished, then
 * done(-ECANCELED) for jobs that never ran. Call on the loop thread or after
 * the loop has ended. */
void dfsc__lane_free(dfsc_lane *lane);

/* dfsc__lane_free, but waits at most wait_ms for running jobs: a worker
 * still inside a job after that is left to finish it alone (its job's
 * abandon runs instead of done, on the worker) and frees the lane's last
 * memory when the last such worker ends. For lanes whose work may block far
 * longer than a caller should wait to shut down (a KDC that never answers:
 * MIT krb5 waits 25 s). Same threads as dfsc__lane_free. */
void dfsc__lane_free_abandon(dfsc_lane *lane, unsigned wait_ms);

void dfsc__lane_stats(const dfsc_lane *lane, dfsc_lane_stats *out);

#endif
