/* Unit tests for src/core/lane.c: work on workers and done on the loop
 * thread, FIFO on a one-thread lane, the queue bound, cancellation and
 * delivery at free (also from inside a done), stats, and completions that
 * survive a full loop post queue. */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/alloc.h"
#include "core/lane.h"
#include "core/loop.h"
#include "dfsc/errors.h"

static void stop_cb(dfsc_timer *t) { dfsc__loop_stop(t->data); }

static void arm_guard(dfsc_loop *l, dfsc_timer *g, uint64_t ms) {
  memset(g, 0, sizeof *g);
  g->data = l;
  assert_int_equal(dfsc__timer_start(l, g, ms, stop_cb), 0);
}

static dfsc_loop *new_loop(size_t post_max) {
  dfsc_loop *l = NULL;
  assert_int_equal(dfsc__loop_new(NULL, post_max, &l), 0);
  return l;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Per-job record; work writes its fields on a worker, done reads them on the
 * loop thread (the lane's mutex orders the two). */
struct job {
  dfsc_lane_job j;
  dfsc_loop *loop;
  int idx;
  int worked;
  int work_on_loop; /* work saw dfsc__loop_on_thread() true */
  int done_calls;
  int done_on_loop;
  int status;
  sem_t *started; /* posted when work begins, if set */
  sem_t *release; /* work waits on it, if set */
};

static int done_total, done_target;
static int done_order[2048];

static void work_fn(dfsc_lane_job *jj) {
  struct job *j = jj->data;
  if (j->started != NULL)
    sem_post(j->started);
  if (j->release != NULL)
    sem_wait(j->release);
  j->worked++;
  j->work_on_loop = dfsc__loop_on_thread(j->loop);
}

static void done_fn(dfsc_lane_job *jj, int status) {
  struct job *j = jj->data;
  j->done_calls++;
  j->status = status;
  j->done_on_loop = dfsc__loop_on_thread(j->loop);
  if (done_total < 2048)
    done_order[done_total] = j->idx;
  if (++done_total == done_target)
    dfsc__loop_stop(j->loop);
}

static struct job *make_jobs(dfsc_loop *l, int n) {
  struct job *v = dfsc__calloc((size_t)n, sizeof *v);
  int i;
  assert_non_null(v);
  for (i = 0; i < n; i++) {
    v[i].j.work = work_fn;
    v[i].j.done = done_fn;
    v[i].j.data = &v[i];
    v[i].loop = l;
    v[i].idx = i;
    v[i].status = 12345;
  }
  done_total = 0;
  done_target = n;
  return v;
}

/* Submits from inside the loop, as real callers do. */
struct submit_ctx {
  dfsc_lane *lane;
  struct job *jobs;
  int n;
  int rejected;
};

static void submit_cb(dfsc_timer *t) {
  struct submit_ctx *sc = t->data;
  int i;
  for (i = 0; i < sc->n; i++)
    if (dfsc__lane_submit(sc->lane, &sc->jobs[i].j) != 0)
      sc->rejected++;
}

static void test_jobs_run_done_on_loop(void **state) {
  dfsc_loop *l = new_loop(0);
  dfsc_lane *lane = NULL;
  struct job *jobs = make_jobs(l, 200);
  struct submit_ctx sc;
  dfsc_lane_stats st;
  dfsc_timer t, guard;
  int i;

  assert_int_equal(dfsc__lane_new(l, "test", 2, 200, &lane), 0);
  sc.lane = lane;
  sc.jobs = jobs;
  sc.n = 200;
  sc.rejected = 0;
  memset(&t, 0, sizeof t);
  t.data = &sc;
  assert_int_equal(dfsc__timer_start(l, &t, 0, submit_cb), 0);
  arm_guard(l, &guard, 10000);
  assert_int_equal(dfsc__loop_run(l), 0);
  assert_int_equal(sc.rejected, 0);
  assert_int_equal(done_total, 200);
  for (i = 0; i < 200; i++) {
    assert_int_equal(jobs[i].worked, 1);
    assert_int_equal(jobs[i].work_on_loop, 0);
    assert_int_equal(jobs[i].done_calls, 1);
    assert_int_equal(jobs[i].done_on_loop, 1);
    assert_int_equal(jobs[i].status, 0);
  }
  dfsc__lane_stats(lane, &st);
  assert_int_equal(st.submitted, 200);
  assert_int_equal(st.rejected, 0);
  assert_int_equal(st.busy, 0);
  assert_in_range(st.busy_hwm, 1, 2);
  assert_in_range(st.queue_hwm, 1, 200);
  dfsc__lane_free(lane);
  for (i = 0; i < 200; i++)
    assert_int_equal(jobs[i].done_calls, 1); /* free delivers nothing twice */
  dfsc__timer_stop(l, &guard);
  dfsc__loop_free(l);
  dfsc__free(jobs);
  (void)state;
}

static void test_single_worker_fifo(void **state) {
  enum { N = 1000 };
  dfsc_loop *l = new_loop(0);
  dfsc_lane *lane = NULL;
  struct job *jobs = make_jobs(l, N);
  struct submit_ctx sc = {NULL, jobs, N, 0};
  dfsc_lane_stats st;
  dfsc_timer t, guard;
  int i;

  assert_int_equal(dfsc__lane_new(l, "one", 1, N, &lane), 0);
  sc.lane = lane;
  memset(&t, 0, sizeof t);
  t.data = &sc;
  assert_int_equal(dfsc__timer_start(l, &t, 0, submit_cb), 0);
  arm_guard(l, &guard, 20000);
  assert_int_equal(dfsc__loop_run(l), 0);
  assert_int_equal(sc.rejected, 0);
  assert_int_equal(done_total, N);
  for (i = 0; i < N; i++)
    assert_int_equal(done_order[i], i);
  dfsc__lane_stats(lane, &st);
  assert_int_equal(st.submitted, N);
  assert_int_equal(st.busy_hwm, 1);
  dfsc__lane_free(lane);
  dfsc__timer_stop(l, &guard);
  dfsc__loop_free(l);
  dfsc__free(jobs);
  (void)state;
}

static void test_queue_full_busy(void **state) {
  dfsc_loop *l = new_loop(0);
  dfsc_lane *lane = NULL;
  struct job *jobs = make_jobs(l, 4);
  dfsc_lane_stats st;
  dfsc_timer guard;
  sem_t started, release;
  int i;

  assert_int_equal(sem_init(&started, 0, 0), 0);
  assert_int_equal(sem_init(&release, 0, 0), 0);
  assert_int_equal(dfsc__lane_new(l, "full", 1, 2, &lane), 0);
  /* Job 0 occupies the only worker, so the queue holds exactly what follows. */
  jobs[0].started = &started;
  jobs[0].release = &release;
  assert_int_equal(dfsc__lane_submit(lane, &jobs[0].j), 0);
  assert_int_equal(sem_wait(&started), 0);
  assert_int_equal(dfsc__lane_submit(lane, &jobs[1].j), 0);
  assert_int_equal(dfsc__lane_submit(lane, &jobs[2].j), 0);
  assert_int_equal(dfsc__lane_submit(lane, &jobs[3].j), DFSC_E_BUSY);
  dfsc__lane_stats(lane, &st);
  assert_int_equal(st.submitted, 3);
  assert_int_equal(st.rejected, 1);
  assert_int_equal(st.queue_hwm, 2);
  assert_int_equal(st.busy, 1);
  assert_int_equal(sem_post(&release), 0);
  done_target = 3;
  arm_guard(l, &guard, 10000);
  assert_int_equal(dfsc__loop_run(l), 0);
  assert_int_equal(done_total, 3);
  for (i = 0; i < 3; i++)
    assert_int_equal(jobs[i].status, 0);
  assert_int_equal(jobs[3].done_calls, 0); /* rejected: done never called */
  assert_int_equal(jobs[3].worked, 0);
  dfsc__lane_free(lane);
  assert_int_equal(jobs[3].done_calls, 0);
  dfsc__timer_stop(l, &guard);
  dfsc__loop_free(l);
  sem_destroy(&started);
  sem_destroy(&release);
  dfsc__free(jobs);
  (void)state;
}

/* Releases job 0 only once dfsc__lane_free has begun stopping the workers,
 * which the releaser sees as submit turning from BUSY (queue full) into
 * DFSC_E_SHUTDOWN. Calling submit off the loop thread is a test-only shortcut
 * (the lane's state is mutex-protected). */
struct releaser {
  dfsc_lane *lane;
  sem_t *release;
  int busy_seen;
  int last_rc;
};

static void *releaser_main(void *arg) {
  struct releaser *r = arg;
  dfsc_lane_job probe;
  memset(&probe, 0, sizeof probe);
  for (;;) {
    r->last_rc = dfsc__lane_submit(r->lane, &probe);
    if (r->last_rc != DFSC_E_BUSY)
      break;
    r->busy_seen = 1;
    sleep_ms(1);
  }
  sem_post(r->release);
  return NULL;
}

static void test_free_cancels_pending(void **state) {
  dfsc_loop *l = new_loop(0);
  dfsc_lane *lane = NULL;
  struct job *jobs = make_jobs(l, 5);
  sem_t started, release;
  struct releaser r;
  pthread_t th;
  int i;

  assert_int_equal(sem_init(&started, 0, 0), 0);
  assert_int_equal(sem_init(&release, 0, 0), 0);
  assert_int_equal(dfsc__lane_new(l, "cancel", 1, 4, &lane), 0);
  jobs[0].started = &started;
  jobs[0].release = &release;
  assert_int_equal(dfsc__lane_submit(lane, &jobs[0].j), 0);
  assert_int_equal(sem_wait(&started), 0);
  for (i = 1; i < 5; i++)
    assert_int_equal(dfsc__lane_submit(lane, &jobs[i].j), 0);
  r.lane = lane;
  r.release = &release;
  r.busy_seen = 0;
  r.last_rc = 0;
  assert_int_equal(pthread_create(&th, NULL, releaser_main, &r), 0);
  sleep_ms(20); /* let the releaser see the full queue first */
  /* Job 0 finishes while free waits for the worker; the worker must then
   * stop instead of taking job 1. */
  dfsc__lane_free(lane);
  assert_int_equal(pthread_join(th, NULL), 0);
  assert_int_equal(r.last_rc, DFSC_E_SHUTDOWN);
  assert_int_equal(done_total, 5);
  assert_int_equal(jobs[0].worked, 1);
  assert_int_equal(jobs[0].done_calls, 1);
  assert_int_equal(jobs[0].status, 0);
  for (i = 1; i < 5; i++) {
    assert_int_equal(jobs[i].worked, 0);
    assert_int_equal(jobs[i].done_calls, 1);
    assert_int_equal(jobs[i].status, -ECANCELED);
  }
  /* Delivery order: the finished job, then the cancelled ones in FIFO order. */
  for (i = 0; i < 5; i++)
    assert_int_equal(done_order[i], i);
  dfsc__loop_free(l);
  sem_destroy(&started);
  sem_destroy(&release);
  dfsc__free(jobs);
  (void)state;
}

/* The first done frees the lane: everything else is delivered by free, once. */
static dfsc_lane *free_me;
static int freed_in_done;

static void done_then_free(dfsc_lane_job *jj, int status) {
  done_fn(jj, status);
  if (free_me != NULL) {
    dfsc_lane *lane = free_me;
    free_me = NULL;
    freed_in_done = 1;
    dfsc__lane_free(lane);
  }
}

static void test_free_from_done(void **state) {
  enum { N = 50 };
  dfsc_loop *l = new_loop(0);
  struct job *jobs = make_jobs(l, N);
  struct submit_ctx sc = {NULL, jobs, N, 0};
  dfsc_timer t, guard;
  int i, cancelled = 0;

  assert_int_equal(dfsc__lane_new(l, "selffree", 2, N, &free_me), 0);
  for (i = 0; i < N; i++)
    jobs[i].j.done = done_then_free;
  sc.lane = free_me;
  freed_in_done = 0;
  memset(&t, 0, sizeof t);
  t.data = &sc;
  assert_int_equal(dfsc__timer_start(l, &t, 0, submit_cb), 0);
  arm_guard(l, &guard, 10000);
  assert_int_equal(dfsc__loop_run(l), 0);
  assert_int_equal(freed_in_done, 1);
  assert_int_equal(done_total, N);
  for (i = 0; i < N; i++) {
    assert_int_equal(jobs[i].done_calls, 1);
    assert_int_equal(jobs[i].done_on_loop, 1);
    if (jobs[i].status == -ECANCELED) {
      assert_int_equal(jobs[i].worked, 0);
      cancelled++;
    } else {
      assert_int_equal(jobs[i].status, 0);
      assert_int_equal(jobs[i].worked, 1);
    }
  }
  assert_in_range(cancelled, 0, N - 1);
  dfsc__timer_stop(l, &guard);
  dfsc__loop_free(l);
  dfsc__free(jobs);
  (void)state;
}

/* All three workers inside work at once: busy and busy_hwm must say 3. */
static void test_busy_stats(void **state) {
  dfsc_loop *l = new_loop(0);
  dfsc_lane *lane = NULL;
  struct job *jobs = make_jobs(l, 3);
  dfsc_lane_stats st;
  dfsc_timer guard;
  sem_t started, release;
  int i;

  assert_int_equal(sem_init(&started, 0, 0), 0);
  assert_int_equal(sem_init(&release, 0, 0), 0);
  assert_int_equal(dfsc__lane_new(l, "busy", 3, 3, &lane), 0);
  for (i = 0; i < 3; i++) {
    jobs[i].started = &started;
    jobs[i].release = &release;
    assert_int_equal(dfsc__lane_submit(lane, &jobs[i].j), 0);
  }
  for (i = 0; i < 3; i++)
    assert_int_equal(sem_wait(&started), 0);
  dfsc__lane_stats(lane, &st);
  assert_int_equal(st.busy, 3);
  assert_int_equal(st.busy_hwm, 3);
  for (i = 0; i < 3; i++)
    assert_int_equal(sem_post(&release), 0);
  arm_guard(l, &guard, 10000);
  assert_int_equal(dfsc__loop_run(l), 0);
  assert_int_equal(done_total, 3);
  dfsc__lane_stats(lane, &st);
  assert_int_equal(st.busy, 0);
  assert_int_equal(st.busy_hwm, 3);
  assert_int_equal(st.submitted, 3);
  dfsc__lane_free(lane);
  dfsc__timer_stop(l, &guard);
  dfsc__loop_free(l);
  sem_destroy(&started);
  sem_destroy(&release);
  dfsc__free(jobs);
  (void)state;
}

/* The loop's post queue is full and is refilled each time it drains: lane
 * completions still arrive (they do not depend on dfsc__loop_post). */
static void refill_post(dfsc_post *p) {
  if (done_total < done_target)
    assert_int_equal(dfsc__loop_post(p->data, p), 0);
}
static void noop_post(dfsc_post *p) { (void)p; }

static void test_completion_with_full_post_queue(void **state) {
  dfsc_loop *l = new_loop(1);
  dfsc_lane *lane = NULL;
  struct job *jobs = make_jobs(l, 20);
  dfsc_timer guard;
  dfsc_post filler, extra;
  int i;

  memset(&filler, 0, sizeof filler);
  memset(&extra, 0, sizeof extra);
  filler.cb = refill_post;
  filler.data = l;
  extra.cb = noop_post;
  assert_int_equal(dfsc__lane_new(l, "full-loop", 2, 20, &lane), 0);
  assert_int_equal(dfsc__loop_post(l, &filler), 0);
  assert_int_equal(dfsc__loop_post(l, &extra), DFSC_E_BUSY);
  for (i = 0; i < 20; i++)
    assert_int_equal(dfsc__lane_submit(lane, &jobs[i].j), 0);
  arm_guard(l, &guard, 10000);
  assert_int_equal(dfsc__loop_run(l), 0);
  assert_int_equal(done_total, 20);
  for (i = 0; i < 20; i++)
    assert_int_equal(jobs[i].done_calls, 1);
  dfsc__lane_free(lane);
  dfsc__timer_stop(l, &guard);
  dfsc__loop_free(l);
  dfsc__free(jobs);
  (void)state;
}

static void test_new_rejects_bad_args(void **state) {
  dfsc_loop *l = new_loop(0);
  dfsc_lane *lane = (dfsc_lane *)&lane;
  assert_int_equal(dfsc__lane_new(l, "x", 0, 1, &lane), -EINVAL);
  assert_null(lane);
  assert_int_equal(dfsc__lane_new(l, "x", 1, 0, &lane), -EINVAL);
  assert_null(lane);
  /* A long name is truncated, not rejected. */
  assert_int_equal(dfsc__lane_new(l, "a-very-long-lane-name-indeed", 1, 1, &lane), 0);
  assert_non_null(lane);
  dfsc__lane_free(lane);
  dfsc__lane_free(NULL);
  dfsc__loop_free(l);
  (void)state;
}

/* dfsc__lane_free_abandon: a job stuck in work (a KDC that never answers)
 * does not hold the free past its wait; the stuck job's abandon runs on its
 * worker when the work ends, its done never; queued jobs are cancelled; and
 * the lane's memory is freed by that worker (ASan's leak check sees it). */
static unsigned busy_now(dfsc_lane *lane) {
  dfsc_lane_stats st;
  dfsc__lane_stats(lane, &st);
  return st.busy;
}

static sem_t stuck_release;
static int abandoned_calls, stuck_done_calls;

static void stuck_work(dfsc_lane_job *j) {
  (void)j;
  assert_int_equal(sem_wait(&stuck_release), 0);
}

static void stuck_done(dfsc_lane_job *j, int status) {
  (void)j;
  (void)status;
  __atomic_add_fetch(&stuck_done_calls, 1, __ATOMIC_SEQ_CST);
}

static void stuck_abandon(dfsc_lane_job *j) {
  (void)j;
  __atomic_add_fetch(&abandoned_calls, 1, __ATOMIC_SEQ_CST);
}

static void test_free_abandon(void **state) {
  dfsc_loop *l = new_loop(0);
  dfsc_lane *lane = NULL;
  dfsc_lane_job stuck, queued[3];
  struct timespec t0, t1;
  double waited;
  int i;

  abandoned_calls = stuck_done_calls = 0;
  assert_int_equal(sem_init(&stuck_release, 0, 0), 0);
  assert_int_equal(dfsc__lane_new(l, "abandon", 2, 8, &lane), 0);
  memset(&stuck, 0, sizeof stuck);
  stuck.work = stuck_work;
  stuck.done = stuck_done;
  stuck.abandon = stuck_abandon;
  assert_int_equal(dfsc__lane_submit(lane, &stuck), 0);
  for (i = 0; i < 50 && !busy_now(lane); i++)
    sleep_ms(10);
  /* Both workers busy: the second takes a stuck job too, so the 3 queued
   * ones stay queued. */
  {
    static dfsc_lane_job stuck2;
    memset(&stuck2, 0, sizeof stuck2);
    stuck2.work = stuck_work;
    stuck2.done = stuck_done;
    stuck2.abandon = stuck_abandon;
    assert_int_equal(dfsc__lane_submit(lane, &stuck2), 0);
    for (i = 0; i < 50 && busy_now(lane) < 2; i++)
      sleep_ms(10);
    for (i = 0; i < 3; i++) {
      memset(&queued[i], 0, sizeof queued[i]);
      queued[i].work = stuck_work;
      queued[i].done = stuck_done;
      assert_int_equal(dfsc__lane_submit(lane, &queued[i]), 0);
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    dfsc__lane_free_abandon(lane, 100);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_true(waited < 2.0);
    /* The queued jobs were cancelled (done -ECANCELED), the stuck not. */
    assert_int_equal(__atomic_load_n(&stuck_done_calls, __ATOMIC_SEQ_CST), 3);
    assert_int_equal(__atomic_load_n(&abandoned_calls, __ATOMIC_SEQ_CST), 0);
    /* The stuck work ends now: each worker runs its job's abandon, never done. */
    assert_int_equal(sem_post(&stuck_release), 0);
    assert_int_equal(sem_post(&stuck_release), 0);
    for (i = 0; i < 500 && __atomic_load_n(&abandoned_calls, __ATOMIC_SEQ_CST) < 2; i++)
      sleep_ms(10);
    assert_int_equal(__atomic_load_n(&abandoned_calls, __ATOMIC_SEQ_CST), 2);
    assert_int_equal(__atomic_load_n(&stuck_done_calls, __ATOMIC_SEQ_CST), 3);
  }
  sleep_ms(50); /* the last worker frees the lane after its abandon */
  dfsc__loop_free(l);
  sem_destroy(&stuck_release);
  (void)state;
}

/* Idle workers: dfsc__lane_free_abandon is dfsc__lane_free. */
static void test_free_abandon_idle(void **state) {
  dfsc_loop *l = new_loop(0);
  dfsc_lane *lane = NULL;
  assert_int_equal(dfsc__lane_new(l, "idle", 2, 8, &lane), 0);
  dfsc__lane_free_abandon(lane, 100);
  dfsc__loop_free(l);
  (void)state;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_jobs_run_done_on_loop),
      cmocka_unit_test(test_single_worker_fifo),
      cmocka_unit_test(test_queue_full_busy),
      cmocka_unit_test(test_free_cancels_pending),
      cmocka_unit_test(test_free_from_done),
      cmocka_unit_test(test_busy_stats),
      cmocka_unit_test(test_completion_with_full_post_queue),
      cmocka_unit_test(test_new_rejects_bad_args),
      cmocka_unit_test(test_free_abandon),
      cmocka_unit_test(test_free_abandon_idle),
  };
  alarm(120); /* a lost completion fails the run instead of stalling ctest */
  if (getenv("DFSC_TEST_FILTER") != NULL)
    cmocka_set_test_filter(getenv("DFSC_TEST_FILTER"));
  return cmocka_run_group_tests(tests, NULL, NULL);
}
