/* Worker lanes (see lane.h): a fixed set of threads taking jobs from a
 * bounded FIFO (mutex + condvar) and running their `work`; finished jobs go
 * to a lane-local list, and the loop thread calls their `done`.
 *
 * Completion path: a worker appends the finished job to `fin` and, unless a
 * wakeup is already outstanding, writes the lane's own eventfd, which is
 * watched by the loop as an ordinary dfsc_io. Unlike dfsc__loop_post this
 * cannot fail with DFSC_E_BUSY, so a completion is never lost and a worker
 * never waits for the loop; and because the lane owns every undelivered job,
 * dfsc__lane_free can deliver them itself instead of leaving a post that
 * points into freed memory in the loop's queue.
 *
 * Does not: run protocol code, cancel a job whose work already started, or
 * bound how long `work` takes (rule P1 is the job author's duty).
 */
#include "core/lane.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "dfsc/errors.h"

struct dfsc_lane {
  dfsc_loop *loop;
  char name[16]; /* thread names are limited to 15 bytes + NUL */

  pthread_mutex_t mu;
  pthread_cond_t cv;
  /* Guarded by mu. */
  dfsc_lane_job *q_head, *q_tail; /* waiting to run */
  size_t qlen;
  size_t qmax;
  dfsc_lane_job *fin_head, *fin_tail; /* work done, done() not yet called */
  int wake_pending;
  int stopping;
  uint64_t submitted;
  uint64_t rejected;
  size_t queue_hwm;
  unsigned busy;
  unsigned busy_hwm;
  pthread_cond_t idle_cv; /* signalled when busy drops */
  int abandoned;          /* the owner gave up: running jobs finish alone */
  int owner_done;         /* ... and no longer uses the lane */
  unsigned alive;         /* workers started and not yet ended */

  /* Loop thread only. */
  int efd;
  dfsc_io wio;
  dfsc_lane_job *dlv; /* taken from fin, being delivered */
  int *freed;         /* set by dfsc__lane_free while delivering */

  pthread_t *threads;
  unsigned nthreads; /* started successfully */
};

static void append(dfsc_lane_job **head, dfsc_lane_job **tail, dfsc_lane_job *j) {
  j->next = NULL;
  if (*tail != NULL)
    (*tail)->next = j;
  else
    *head = j;
  *tail = j;
}

/* The lane's own memory (its loop watcher and eventfd are gone already):
 * by destroy, or by the last worker of an abandoned lane. */
static void free_memory(dfsc_lane *lane) {
  pthread_cond_destroy(&lane->idle_cv);
  pthread_cond_destroy(&lane->cv);
  pthread_mutex_destroy(&lane->mu);
  dfsc__free(lane->threads);
  dfsc__free(lane);
}

static void *worker(void *arg) {
  dfsc_lane *lane = arg;

  pthread_mutex_lock(&lane->mu);
  for (;;) {
    dfsc_lane_job *job;
    int need_wake = 0;

    while (!lane->stopping && lane->q_head == NULL)
      pthread_cond_wait(&lane->cv, &lane->mu);
    /* Queued jobs are left for dfsc__lane_free to cancel. */
    if (lane->stopping)
      break;
    job = lane->q_head;
    lane->q_head = job->next;
    if (lane->q_head == NULL)
      lane->q_tail = NULL;
    lane->qlen--;
    lane->busy++;
    if (lane->busy > lane->busy_hwm)
      lane->busy_hwm = lane->busy;
    pthread_mutex_unlock(&lane->mu);

    job->work(job);
    job->status = 0;

    pthread_mutex_lock(&lane->mu);
    lane->busy--;
    pthread_cond_broadcast(&lane->idle_cv);
    if (lane->abandoned) {
      /* Nobody will deliver done: the job cleans up after itself here. */
      pthread_mutex_unlock(&lane->mu);
      if (job->abandon != NULL)
        job->abandon(job);
      pthread_mutex_lock(&lane->mu);
      break;
    }
    append(&lane->fin_head, &lane->fin_tail, job);
    if (!lane->wake_pending) {
      lane->wake_pending = 1;
      need_wake = 1;
    }
    if (need_wake) {
      uint64_t one = 1;
      ssize_t r;
      /* Non-blocking; EAGAIN only means a wakeup is already due. Written
       * under mu: efd stays open until dfsc__lane_free has joined this
       * thread, or dfsc__lane_free_abandon has marked the lane abandoned
       * (under mu) before closing it. */
      do
        r = write(lane->efd, &one, sizeof one);
      while (r < 0 && errno == EINTR);
    }
  }
  lane->alive--;
  if (lane->abandoned && lane->owner_done && lane->alive == 0) {
    /* The last worker of an abandoned lane frees what is left of it. */
    pthread_mutex_unlock(&lane->mu);
    free_memory(lane);
    return NULL;
  }
  pthread_mutex_unlock(&lane->mu);
  return NULL;
}

/* Calls done for every job on lane->dlv; returns nonzero if a callback freed
 * the lane (which then delivered the rest itself). */
static int deliver(dfsc_lane *lane) {
  int freed = 0;

  lane->freed = &freed;
  while (lane->dlv != NULL) {
    dfsc_lane_job *job = lane->dlv;
    lane->dlv = job->next;
    job->next = NULL;
    job->done(job, job->status);
    if (freed)
      return 1;
  }
  lane->freed = NULL;
  return 0;
}

static void on_wake(dfsc_io *w, uint32_t events) {
  dfsc_lane *lane = w->data;
  uint64_t v;
  ssize_t r;

  do
    r = read(lane->efd, &v, sizeof v);
  while (r < 0 && errno == EINTR);

  pthread_mutex_lock(&lane->mu);
  lane->dlv = lane->fin_head;
  lane->fin_head = lane->fin_tail = NULL;
  lane->wake_pending = 0;
  pthread_mutex_unlock(&lane->mu);
  (void)deliver(lane);
}

static void stop_workers(dfsc_lane *lane) {
  unsigned i;
  pthread_mutex_lock(&lane->mu);
  lane->stopping = 1;
  pthread_cond_broadcast(&lane->cv);
  pthread_mutex_unlock(&lane->mu);
  for (i = 0; i < lane->nthreads; i++)
    pthread_join(lane->threads[i], NULL);
  lane->nthreads = 0;
}

static void destroy(dfsc_lane *lane) {
  if (lane->wio.active)
    dfsc__io_stop(lane->loop, &lane->wio);
  if (lane->efd >= 0)
    close(lane->efd);
  free_memory(lane);
}

int dfsc__lane_new(dfsc_loop *l, const char *name, unsigned threads, size_t qmax,
                   dfsc_lane **out) {
  sigset_t all, old;
  dfsc_lane *lane;
  unsigned i;
  int rc;

  *out = NULL;
  if (l == NULL || threads == 0 || qmax == 0)
    return -EINVAL;
  lane = dfsc__calloc(1, sizeof *lane);
  if (lane == NULL)
    return -ENOMEM;
  lane->loop = l;
  lane->qmax = qmax;
  lane->efd = -1;
  snprintf(lane->name, sizeof lane->name, "%s", name != NULL ? name : "lane");
  lane->threads = dfsc__calloc(threads, sizeof *lane->threads);
  if (lane->threads == NULL) {
    dfsc__free(lane);
    return -ENOMEM;
  }
  rc = pthread_mutex_init(&lane->mu, NULL);
  if (rc != 0) {
    dfsc__free(lane->threads);
    dfsc__free(lane);
    return -rc;
  }
  rc = pthread_cond_init(&lane->cv, NULL);
  if (rc == 0) {
    rc = pthread_cond_init(&lane->idle_cv, NULL);
    if (rc != 0)
      pthread_cond_destroy(&lane->cv);
  }
  if (rc != 0) {
    pthread_mutex_destroy(&lane->mu);
    dfsc__free(lane->threads);
    dfsc__free(lane);
    return -rc;
  }

  lane->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (lane->efd < 0) {
    rc = -errno;
    goto fail;
  }
  lane->wio.data = lane;
  rc = dfsc__io_start(l, &lane->wio, lane->efd, EPOLLIN, on_wake);
  if (rc < 0)
    goto fail;

  /* Workers inherit a full signal mask: signals belong to the application's
   * own threads, and a blocking call interrupted on a worker helps nobody. */
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  for (i = 0; i < threads; i++) {
    rc = pthread_create(&lane->threads[i], NULL, worker, lane);
    if (rc != 0)
      break;
    pthread_setname_np(lane->threads[i], lane->name);
    lane->nthreads++;
    pthread_mutex_lock(&lane->mu);
    lane->alive++;
    pthread_mutex_unlock(&lane->mu);
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (rc != 0) {
    rc = -rc;
    goto fail;
  }
  *out = lane;
  return 0;

fail:
  stop_workers(lane);
  destroy(lane);
  return rc;
}

int dfsc__lane_submit(dfsc_lane *lane, dfsc_lane_job *job) {
  int rc = 0;

  pthread_mutex_lock(&lane->mu);
  if (lane->stopping) {
    rc = DFSC_E_SHUTDOWN;
  } else if (lane->qlen >= lane->qmax) {
    lane->rejected++;
    rc = DFSC_E_BUSY;
  } else {
    job->status = 0;
    append(&lane->q_head, &lane->q_tail, job);
    lane->qlen++;
    lane->submitted++;
    if (lane->qlen > lane->queue_hwm)
      lane->queue_hwm = lane->qlen;
    pthread_cond_signal(&lane->cv);
  }
  pthread_mutex_unlock(&lane->mu);
  return rc;
}

/* At free, on the caller: completed work first, then jobs never run. */
static void deliver_rest(dfsc_lane_job *finished, dfsc_lane_job *cancelled) {
  dfsc_lane_job *job;
  while (finished != NULL) {
    job = finished;
    finished = job->next;
    job->next = NULL;
    job->done(job, job->status);
  }
  while (cancelled != NULL) {
    job = cancelled;
    cancelled = job->next;
    job->next = NULL;
    job->done(job, -ECANCELED);
  }
}

void dfsc__lane_free(dfsc_lane *lane) {
  dfsc_lane_job *finished, *fin_tail, *cancelled;

  if (lane == NULL)
    return;
  stop_workers(lane);
  /* Workers are gone: nothing else touches the lists now. */
  if (lane->freed != NULL)
    *lane->freed = 1; /* called from a done() inside deliver() */
  finished = lane->dlv;
  fin_tail = finished;
  while (fin_tail != NULL && fin_tail->next != NULL)
    fin_tail = fin_tail->next;
  if (lane->fin_head != NULL) {
    if (fin_tail != NULL)
      fin_tail->next = lane->fin_head;
    else
      finished = lane->fin_head;
  }
  cancelled = lane->q_head;
  destroy(lane);

  deliver_rest(finished, cancelled);
}

void dfsc__lane_free_abandon(dfsc_lane *lane, unsigned wait_ms) {
  dfsc_lane_job *finished, *cancelled, **pp;
  struct timespec ts;
  unsigned i;
  int last;

  if (lane == NULL)
    return;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += wait_ms / 1000;
  ts.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&lane->mu);
  lane->stopping = 1;
  pthread_cond_broadcast(&lane->cv);
  while (lane->busy > 0 && pthread_cond_timedwait(&lane->idle_cv, &lane->mu, &ts) == 0)
    ;
  if (lane->busy == 0) {
    pthread_mutex_unlock(&lane->mu);
    dfsc__lane_free(lane); /* every worker is idle: joined at once */
    return;
  }
  /* Give up on the busy workers: from here they clean up after their job
   * (abandon) and end; the last one to end frees the lane. This function
   * holds a reference of its own (the + 1) while it still uses the lane. */
  lane->abandoned = 1;
  finished = lane->dlv;
  for (pp = &finished; *pp != NULL; pp = &(*pp)->next)
    ;
  *pp = lane->fin_head;
  lane->dlv = NULL;
  lane->fin_head = lane->fin_tail = NULL;
  cancelled = lane->q_head;
  lane->q_head = lane->q_tail = NULL;
  lane->qlen = 0;
  if (lane->freed != NULL)
    *lane->freed = 1; /* called from a done() inside deliver() */
  lane->freed = NULL;
  /* No worker writes efd once the lane is abandoned (they check under mu). */
  if (lane->wio.active)
    dfsc__io_stop(lane->loop, &lane->wio);
  if (lane->efd >= 0)
    close(lane->efd);
  lane->efd = -1;
  for (i = 0; i < lane->nthreads; i++)
    pthread_detach(lane->threads[i]);
  lane->owner_done = 1;
  last = lane->alive == 0;
  pthread_mutex_unlock(&lane->mu);
  if (last)
    free_memory(lane);
  deliver_rest(finished, cancelled);
}

void dfsc__lane_stats(const dfsc_lane *lane, dfsc_lane_stats *out) {
  dfsc_lane *ml = (dfsc_lane *)lane; /* the mutex is not part of the value */
  pthread_mutex_lock(&ml->mu);
  out->submitted = lane->submitted;
  out->rejected = lane->rejected;
  out->queue_hwm = lane->queue_hwm;
  out->busy = lane->busy;
  out->busy_hwm = lane->busy_hwm;
  pthread_mutex_unlock(&ml->mu);
}
