/* Unit tests for src/core/loop.c: timer order and re-entrancy, io watchers
 * and their stop-during-batch rule, the cross-thread post queue and its
 * bound, stop from another thread, and the injected clock. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/alloc.h"
#include "core/loop.h"
#include "dfsc/dfsc.h"
#include "dfsc/errors.h"

static uint64_t real_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static dfsc_loop *new_loop(size_t post_max) {
  dfsc_loop *l = NULL;
  assert_int_equal(dfsc__loop_new(NULL, post_max, &l), 0);
  assert_non_null(l);
  return l;
}

static void stop_cb(dfsc_timer *t) { dfsc__loop_stop(t->data); }

/* A safety net: every test arms one so a broken loop fails instead of hanging. */
static void arm_guard(dfsc_loop *l, dfsc_timer *g, uint64_t ms) {
  memset(g, 0, sizeof *g);
  g->data = l;
  assert_int_equal(dfsc__timer_start(l, g, ms, stop_cb), 0);
}

/* ---- timers ------------------------------------------------------------- */

#define NT 6
static int order[64];
static int norder;

static void record_cb(dfsc_timer *t) { order[norder++] = (int)(intptr_t)t->data; }

static void test_timers_fire_in_order(void **state) {
  static const uint64_t after[NT] = {30, 10, 20, 10, 0, 10};
  static const int want[NT] = {4, 1, 3, 5, 2, 0};
  dfsc_loop *l = new_loop(0);
  dfsc_timer t[NT], stop;
  int i;

  memset(t, 0, sizeof t);
  norder = 0;
  for (i = 0; i < NT; i++) {
    t[i].data = (void *)(intptr_t)i;
    assert_int_equal(dfsc__timer_start(l, &t[i], after[i], record_cb), 0);
  }
  arm_guard(l, &stop, 60);
  assert_int_equal(dfsc__loop_run(l), 0);
  assert_int_equal(norder, NT);
  for (i = 0; i < NT; i++)
    assert_int_equal(order[i], want[i]);
  for (i = 0; i < NT; i++)
    assert_int_equal(t[i].active, 0);
  dfsc__loop_free(l);
  (void)state;
}

#define NRAND 2000
static dfsc_timer rt[NRAND];
static int rfired[NRAND];
static dfsc_timer *rlast;
static int rbad;

static void rand_cb(dfsc_timer *t) {
  /* (due, seq) must strictly increase along the firing sequence. */
  if (rlast != NULL &&
      (t->due < rlast->due || (t->due == rlast->due && t->seq <= rlast->seq)))
    rbad++;
  rlast = t;
  rfired[t - rt]++;
}

static void test_timers_heap_random(void **state) {
  dfsc_loop *l = new_loop(0);
  dfsc_loop_stats st;
  dfsc_timer stop;
  unsigned seed = 12345;
  int i;

  memset(rt, 0, sizeof rt);
  memset(rfired, 0, sizeof rfired);
  rlast = NULL;
  rbad = 0;
  for (i = 0; i < NRAND; i++) {
    seed = seed * 1103515245u + 12345u;
    assert_int_equal(dfsc__timer_start(l, &rt[i], (seed >> 16) % 40, rand_cb), 0);
  }
  /* Restart some (new seq, new due) and stop others. */
  for (i = 0; i < NRAND; i += 5)
    assert_int_equal(dfsc__timer_start(l, &rt[i], 7, rand_cb), 0);
  for (i = 3; i < NRAND; i += 7)
    dfsc__timer_stop(l, &rt[i]);
  dfsc__timer_stop(l, &rt[3]); /* stopping twice is harmless */
  arm_guard(l, &stop, 80);
  assert_int_equal(dfsc__loop_run(l), 0);
  for (i = 0; i < NRAND; i++)
    assert_int_equal(rfired[i], (i % 7 == 3) ? 0 : 1);
  assert_int_equal(rbad, 0);
  dfsc__loop_stats(l, &st);
  assert_int_equal(st.timers_hwm, NRAND);
  dfsc__loop_free(l);
  (void)state;
}

static void *no_malloc(size_t n) {
  (void)n;
  return NULL;
}
static void *no_realloc(void *p, size_t n) {
  (void)p;
  (void)n;
  return NULL;
}
static void *no_calloc(size_t c, size_t n) {
  (void)c;
  (void)n;
  return NULL;
}

/* Arming a timer allocates nothing, so it cannot fail: thousands of timers
 * start and fire in order while every allocation fails (the timer heap
 * once grew with realloc, and its callers ignored -ENOMEM). */
static void test_timers_start_without_memory(void **state) {
  dfsc_loop *l = new_loop(0);
  dfsc_timer stop;
  unsigned seed = 777;
  int i;

  memset(rt, 0, sizeof rt);
  memset(rfired, 0, sizeof rfired);
  rlast = NULL;
  rbad = 0;
  assert_int_equal(dfsc_replace_allocator(no_malloc, no_realloc, no_calloc, free), 0);
  for (i = 0; i < NRAND; i++) {
    seed = seed * 1103515245u + 12345u;
    assert_int_equal(dfsc__timer_start(l, &rt[i], (seed >> 16) % 30, rand_cb), 0);
  }
  for (i = 1; i < NRAND; i += 3)
    dfsc__timer_stop(l, &rt[i]);
  arm_guard(l, &stop, 60);
  assert_int_equal(dfsc_replace_allocator(malloc, realloc, calloc, free), 0);
  assert_int_equal(dfsc__loop_run(l), 0);
  for (i = 0; i < NRAND; i++)
    assert_int_equal(rfired[i], (i % 3 == 1) ? 0 : 1);
  assert_int_equal(rbad, 0);
  dfsc__loop_free(l);
  (void)state;
}

static int self_count;
static uint64_t self_iters[8];
static dfsc_loop *cur;

static void self_restart_cb(dfsc_timer *t) {
  dfsc_loop_stats st;
  dfsc__loop_stats(cur, &st);
  self_iters[self_count++] = st.iterations;
  if (self_count < 5)
    assert_int_equal(dfsc__timer_start(cur, t, 0, self_restart_cb), 0);
  else
    dfsc__loop_stop(cur);
}

static void test_timer_restart_from_own_cb(void **state) {
  dfsc_loop *l = new_loop(0);
  dfsc_timer t, guard;
  int i;

  cur = l;
  self_count = 0;
  memset(&t, 0, sizeof t);
  assert_int_equal(dfsc__timer_start(l, &t, 0, self_restart_cb), 0);
  arm_guard(l, &guard, 5000);
  assert_int_equal(dfsc__loop_run(l), 0);
  assert_int_equal(self_count, 5);
  /* A 0 ms restart runs on a later iteration, never in the same timers phase. */
  for (i = 1; i < 5; i++)
    assert_in_range(self_iters[i], self_iters[i - 1] + 1, UINT64_MAX);
  dfsc__timer_stop(l, &guard);
  dfsc__loop_free(l);
  (void)state;
}

static dfsc_timer xa, xb, xc;
static int xa_n, xb_n, xc_n;

static void xb_cb(dfsc_timer *t) { xb_n++; }
static void xc_cb(dfsc_timer *t) { xc_n++; }
static void xa_cb(dfsc_timer *t) {
  xa_n++;
  /* xb has the same deadline and is already expired: it must not run. */
  dfsc__timer_stop(cur, &xb);
  dfsc__timer_stop(cur, &xc);
}

static void test_timer_stop_other_in_cb(void **state) {
  dfsc_loop *l = new_loop(0);
  dfsc_timer guard;

  cur = l;
  xa_n = xb_n = xc_n = 0;
  memset(&xa, 0, sizeof xa);
  memset(&xb, 0, sizeof xb);
  memset(&xc, 0, sizeof xc);
  assert_int_equal(dfsc__timer_start(l, &xa, 5, xa_cb), 0);
  assert_int_equal(dfsc__timer_start(l, &xb, 5, xb_cb), 0);
  assert_int_equal(dfsc__timer_start(l, &xc, 20, xc_cb), 0);
  arm_guard(l, &guard, 50);
  assert_int_equal(dfsc__loop_run(l), 0);
  assert_int_equal(xa_n, 1);
  assert_int_equal(xb_n, 0);
  assert_int_equal(xc_n, 0);
  assert_int_equal(xb.active, 0);
  dfsc__loop_free(l);
  (void)state;
}

static int freed_runs;
static void free_self_cb(dfsc_timer *t) {
  freed_runs++;
  memset(t, 0xa5, sizeof *t); /* clobbered: the loop must not look again */
  dfsc__free(t);
}

static void test_timer_free_in_own_cb(void **state) {
  dfsc_loop *l = new_loop(0);
  dfsc_timer guard;
  int i;

  freed_runs = 0;
  for (i = 0; i < 10; i++) {
    dfsc_timer *t = dfsc__calloc(1, sizeof *t);
    assert_non_null(t);
    assert_int_equal(dfsc__timer_start(l, t, (uint64_t)(i % 3), free_self_cb), 0);
  }
  arm_guard(l, &guard, 30);
  assert_int_equal(dfsc__loop_run(l), 0);
  assert_int_equal(freed_runs, 10);
  dfsc__loop_free(l);
  (void)state;
}

/* ---- io ----------------------------------------------------------------- */

static int io_n;
static uint32_t io_ev;
static char io_buf[16];

static void read_cb(dfsc_io *w, uint32_t events) {
  ssize_t r = read(w->fd, io_buf, sizeof io_buf);
  io_n++;
  io_ev = events;
  assert_int_equal(r, 5);
  dfsc__io_stop(w->data, w);
  dfsc__loop_stop(w->data);
}

static void test_io_socketpair(void **state) {
  dfsc_loop *l = new_loop(0);
  dfsc_timer guard;
  dfsc_io w;
  int sv[2];

  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  memset(&w, 0, sizeof w);
  w.data = l;
  io_n = 0;
  io_ev = 0;
  assert_int_equal(dfsc__io_start(l, &w, sv[0], EPOLLIN, read_cb), 0);
  assert_int_equal(dfsc__io_start(l, &w, sv[0], EPOLLIN, read_cb), -EINVAL);
  assert_int_equal(write(sv[1], "hello", 5), 5);
  arm_guard(l, &guard, 5000);
  assert_int_equal(dfsc__loop_run(l), 0);
  assert_int_equal(io_n, 1);
  assert_int_equal(io_ev & EPOLLIN, EPOLLIN);
  assert_memory_equal(io_buf, "hello", 5);
  assert_int_equal(w.active, 0);
  dfsc__io_stop(l, &w); /* stopping a stopped watcher is harmless */
  dfsc__timer_stop(l, &guard);
  dfsc__loop_free(l);
  close(sv[0]);
  close(sv[1]);
  (void)state;
}

/* Two watchers on one socket (dup'd fds), writable but not readable, both
 * asking for IN|OUT. Whichever runs first narrows the other to IN only; the
 * other's already-collected OUT event must then be dropped. Afterwards a
 * write from the peer makes the narrowed watcher fire for IN. */
static dfsc_io mw[2];
static int mod_out[2], mod_in[2];

static void mod_cb(dfsc_io *w, uint32_t events) {
  int me = (int)(w - mw);
  dfsc_loop *l = w->data;
  if (events & EPOLLOUT) {
    mod_out[me]++;
    if (mod_out[1 - me] == 0)
      assert_int_equal(dfsc__io_modify(l, &mw[1 - me], EPOLLIN), 0);
    dfsc__io_stop(l, w);
    dfsc__loop_stop(l);
  }
  if (events & EPOLLIN) {
    char c;
    mod_in[me]++;
    assert_int_equal(read(w->fd, &c, 1), 1);
    dfsc__io_stop(l, w);
    dfsc__loop_stop(l);
  }
}

static void test_io_modify(void **state) {
  dfsc_loop *l = new_loop(0);
  dfsc_timer guard;
  int sv[2], fd2, i, narrowed;

  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  fd2 = dup(sv[0]);
  assert_in_range(fd2, 0, INT_MAX);
  memset(mw, 0, sizeof mw);
  for (i = 0; i < 2; i++) {
    mw[i].data = l;
    mod_out[i] = mod_in[i] = 0;
  }
  assert_int_equal(dfsc__io_modify(l, &mw[0], EPOLLIN), -EINVAL); /* not started */
  assert_int_equal(dfsc__io_start(l, &mw[0], sv[0], EPOLLIN | EPOLLOUT, mod_cb), 0);
  assert_int_equal(dfsc__io_start(l, &mw[1], fd2, EPOLLIN | EPOLLOUT, mod_cb), 0);
  arm_guard(l, &guard, 5000);
  assert_int_equal(dfsc__loop_run(l), 0);
  assert_int_equal(mod_out[0] + mod_out[1], 1);
  narrowed = mod_out[0] ? 1 : 0;
  assert_int_equal(mw[narrowed].events, EPOLLIN);
  assert_int_equal(mw[narrowed].active, 1);
  assert_int_equal(write(sv[1], "x", 1), 1);
  assert_int_equal(dfsc__loop_run(l), 0);
  assert_int_equal(mod_out[narrowed], 0); /* still writable, no longer asked for */
  assert_int_equal(mod_in[narrowed], 1);
  dfsc__timer_stop(l, &guard);
  dfsc__loop_free(l);
  close(fd2);
  close(sv[0]);
  close(sv[1]);
  (void)state;
}

/* Two watchers readable in the same batch: whichever runs first stops the
 * other and re-arms it on a quiet fd, so a stale event would show up as a
 * second call. */
static dfsc_io bw[2];
static int bcalls[2];
static int quiet_fd;

static void batch_cb(dfsc_io *w, uint32_t events) {
  int me = (int)(w - bw);
  dfsc_loop *l = w->data;
  bcalls[me]++;
  if (bcalls[1 - me] == 0 && bw[1 - me].active) {
    dfsc__io_stop(l, &bw[1 - me]);
    assert_int_equal(dfsc__io_start(l, &bw[1 - me], quiet_fd, EPOLLIN, batch_cb), 0);
  }
}

static void test_io_stop_other_same_batch(void **state) {
  dfsc_loop *l = new_loop(0);
  dfsc_timer guard;
  int a[2], b[2], q[2], i;

  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, a), 0);
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, b), 0);
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, q), 0);
  quiet_fd = q[0];
  memset(bw, 0, sizeof bw);
  bcalls[0] = bcalls[1] = 0;
  for (i = 0; i < 2; i++)
    bw[i].data = l;
  assert_int_equal(dfsc__io_start(l, &bw[0], a[0], EPOLLIN, batch_cb), 0);
  assert_int_equal(dfsc__io_start(l, &bw[1], b[0], EPOLLIN, batch_cb), 0);
  assert_int_equal(write(a[1], "a", 1), 1);
  assert_int_equal(write(b[1], "b", 1), 1);
  /* Level-triggered: the first callback keeps firing each iteration, the
   * other watcher must stay silent. */
  arm_guard(l, &guard, 30);
  assert_int_equal(dfsc__loop_run(l), 0);
  /* One of them ran (repeatedly), the other never. */
  assert_in_range(bcalls[0] + bcalls[1], 1, INT_MAX);
  assert_int_equal((uint64_t)bcalls[0] * (uint64_t)bcalls[1], 0);
  dfsc__io_stop(l, &bw[0]);
  dfsc__io_stop(l, &bw[1]);
  dfsc__loop_free(l);
  close(a[0]);
  close(a[1]);
  close(b[0]);
  close(b[1]);
  close(q[0]);
  close(q[1]);
  (void)state;
}

/* Same, but the stopped watcher is freed (ASan reports any later access). */
static dfsc_io *fw[2];
static int fcalls;

static void free_other_cb(dfsc_io *w, uint32_t events) {
  dfsc_loop *l = w->data;
  int me = (w == fw[0]) ? 0 : 1;
  fcalls++;
  if (fw[1 - me] != NULL) {
    dfsc__io_stop(l, fw[1 - me]);
    memset(fw[1 - me], 0xff, sizeof *fw[1 - me]);
    dfsc__free(fw[1 - me]);
    fw[1 - me] = NULL;
  }
  dfsc__io_stop(l, w);
  dfsc__loop_stop(l);
}

static void test_io_free_other_same_batch(void **state) {
  dfsc_loop *l = new_loop(0);
  dfsc_timer guard;
  int a[2], b[2], i;

  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, a), 0);
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, b), 0);
  fcalls = 0;
  for (i = 0; i < 2; i++) {
    fw[i] = dfsc__calloc(1, sizeof *fw[i]);
    assert_non_null(fw[i]);
    fw[i]->data = l;
  }
  assert_int_equal(dfsc__io_start(l, fw[0], a[0], EPOLLIN, free_other_cb), 0);
  assert_int_equal(dfsc__io_start(l, fw[1], b[0], EPOLLIN, free_other_cb), 0);
  assert_int_equal(write(a[1], "a", 1), 1);
  assert_int_equal(write(b[1], "b", 1), 1);
  arm_guard(l, &guard, 5000);
  assert_int_equal(dfsc__loop_run(l), 0);
  assert_int_equal(fcalls, 1);
  for (i = 0; i < 2; i++)
    if (fw[i] != NULL)
      dfsc__free(fw[i]);
  dfsc__timer_stop(l, &guard);
  dfsc__loop_free(l);
  close(a[0]);
  close(a[1]);
  close(b[0]);
  close(b[1]);
  (void)state;
}

/* ---- posts -------------------------------------------------------------- */

#define NTHR 4
#define PER_THR 10000
static dfsc_post posts[NTHR * PER_THR];
static int post_runs[NTHR * PER_THR];
static int total_runs;
static int busy_seen;
static int wrong_thread;

static void count_cb(dfsc_post *p) {
  dfsc_loop *l = p->data;
  if (!dfsc__loop_on_thread(l))
    wrong_thread++;
  post_runs[p - posts]++;
  if (++total_runs == NTHR * PER_THR)
    dfsc__loop_stop(l);
}

struct poster {
  dfsc_loop *l;
  int idx;
  int on_thread;
};

static void *poster_main(void *arg) {
  struct poster *ps = arg;
  int i;
  ps->on_thread = dfsc__loop_on_thread(ps->l);
  for (i = 0; i < PER_THR; i++) {
    dfsc_post *p = &posts[ps->idx * PER_THR + i];
    p->cb = count_cb;
    p->data = ps->l;
    while (dfsc__loop_post(ps->l, p) == DFSC_E_BUSY) {
      __atomic_add_fetch(&busy_seen, 1, __ATOMIC_RELAXED);
      sched_yield();
    }
  }
  return NULL;
}

static void run_posters(size_t post_max) {
  dfsc_loop *l = new_loop(post_max);
  dfsc_loop_stats st;
  pthread_t th[NTHR];
  struct poster ps[NTHR];
  dfsc_timer guard;
  int i;

  memset(posts, 0, sizeof posts);
  memset(post_runs, 0, sizeof post_runs);
  total_runs = 0;
  busy_seen = 0;
  wrong_thread = 0;
  arm_guard(l, &guard, 20000);
  for (i = 0; i < NTHR; i++) {
    ps[i].l = l;
    ps[i].idx = i;
    ps[i].on_thread = -1;
    assert_int_equal(pthread_create(&th[i], NULL, poster_main, &ps[i]), 0);
  }
  assert_int_equal(dfsc__loop_run(l), 0);
  for (i = 0; i < NTHR; i++) {
    assert_int_equal(pthread_join(th[i], NULL), 0);
    assert_int_equal(ps[i].on_thread, 0);
  }
  assert_int_equal(total_runs, NTHR * PER_THR);
  for (i = 0; i < NTHR * PER_THR; i++)
    assert_int_equal(post_runs[i], 1);
  assert_int_equal(wrong_thread, 0);
  dfsc__loop_stats(l, &st);
  assert_int_equal(st.posts_run, NTHR * PER_THR);
  assert_in_range(st.post_queue_hwm, 1, post_max ? post_max : 65536);
  dfsc__timer_stop(l, &guard);
  dfsc__loop_free(l);
}

static void test_posts_many_threads(void **state) {
  run_posters(0);
  (void)state;
}

/* A small bound: posters see BUSY, retry, and still every post runs once. */
static void test_posts_many_threads_small_queue(void **state) {
  run_posters(16);
  (void)state;
}

static void test_post_busy_when_full(void **state) {
  dfsc_loop *l = new_loop(4);
  dfsc_loop_stats st;
  dfsc_timer guard;
  int i;

  memset(posts, 0, sizeof posts);
  memset(post_runs, 0, sizeof post_runs);
  total_runs = 0;
  for (i = 0; i < 4; i++) {
    posts[i].cb = count_cb;
    posts[i].data = l;
    assert_int_equal(dfsc__loop_post(l, &posts[i]), 0);
  }
  posts[4].cb = count_cb;
  posts[4].data = l;
  assert_int_equal(dfsc__loop_post(l, &posts[4]), DFSC_E_BUSY);
  arm_guard(l, &guard, 20);
  assert_int_equal(dfsc__loop_run(l), 0);
  assert_int_equal(total_runs, 4);
  assert_int_equal(post_runs[4], 0);
  /* Room again once the queue drained. */
  assert_int_equal(dfsc__loop_post(l, &posts[4]), 0);
  arm_guard(l, &guard, 20);
  assert_int_equal(dfsc__loop_run(l), 0);
  assert_int_equal(post_runs[4], 1);
  dfsc__loop_stats(l, &st);
  assert_int_equal(st.post_queue_hwm, 4);
  assert_int_equal(st.posts_run, 5);
  dfsc__loop_free(l);
  (void)state;
}

/* Posts from the loop thread: FIFO, never run inside the post call, and a
 * large backlog is spread over iterations (cap per wakeup). */
#define NSELF 3000
static dfsc_post sp[NSELF];
static uint64_t sp_iter[NSELF];
static int sp_order[NSELF];
static int sp_n;
static int ran_inside;
static uint64_t timer_iter;

static void seq_cb(dfsc_post *p) {
  dfsc_loop_stats st;
  int idx = (int)(p - sp);
  dfsc__loop_stats(p->data, &st);
  sp_iter[idx] = st.iterations;
  sp_order[sp_n++] = idx;
  if (sp_n == NSELF)
    dfsc__loop_stop(p->data);
}

static void poster_timer_cb(dfsc_timer *t) {
  dfsc_loop *l = t->data;
  dfsc_loop_stats st;
  int i;
  dfsc__loop_stats(l, &st);
  timer_iter = st.iterations;
  for (i = 0; i < NSELF; i++) {
    sp[i].cb = seq_cb;
    sp[i].data = l;
    assert_int_equal(dfsc__loop_post(l, &sp[i]), 0);
    if (sp_n != 0)
      ran_inside++;
  }
}

static void test_post_from_loop_thread(void **state) {
  dfsc_loop *l = new_loop(NSELF);
  dfsc_timer t, guard;
  int i;

  sp_n = 0;
  ran_inside = 0;
  memset(&t, 0, sizeof t);
  t.data = l;
  assert_int_equal(dfsc__timer_start(l, &t, 0, poster_timer_cb), 0);
  arm_guard(l, &guard, 5000);
  assert_int_equal(dfsc__loop_run(l), 0);
  assert_int_equal(ran_inside, 0);
  assert_int_equal(sp_n, NSELF);
  for (i = 0; i < NSELF; i++)
    assert_int_equal(sp_order[i], i);
  /* Posted by a callback: run from the next iteration on. */
  assert_int_equal(sp_iter[0], timer_iter + 1);
  /* At most 1024 per iteration: the backlog spans several iterations. */
  assert_in_range(sp_iter[NSELF - 1], sp_iter[0] + 2, UINT64_MAX);
  assert_int_equal(sp_iter[1023], sp_iter[0]);
  assert_int_equal(sp_iter[1024], sp_iter[0] + 1);
  dfsc__timer_stop(l, &guard);
  dfsc__loop_free(l);
  (void)state;
}

/* ---- stop and thread identity ------------------------------------------- */

struct stopper {
  dfsc_loop *l;
  int on_thread;
};

static void *stopper_main(void *arg) {
  struct stopper *s = arg;
  struct timespec ts = {0, 30 * 1000 * 1000};
  nanosleep(&ts, NULL);
  s->on_thread = dfsc__loop_on_thread(s->l);
  dfsc__loop_stop(s->l);
  return NULL;
}

static int on_thread_in_cb = -1;
static void check_thread_cb(dfsc_timer *t) {
  on_thread_in_cb = dfsc__loop_on_thread(t->data);
}

static void test_stop_from_other_thread(void **state) {
  dfsc_loop *l = new_loop(0);
  struct stopper s = {l, -1};
  dfsc_timer t;
  pthread_t th;
  uint64_t t0;

  memset(&t, 0, sizeof t);
  t.data = l;
  assert_int_equal(dfsc__timer_start(l, &t, 0, check_thread_cb), 0);
  assert_int_equal(dfsc__loop_on_thread(l), 0);
  t0 = real_ms();
  /* No timer left after the first: the loop would block forever but for the stop. */
  assert_int_equal(pthread_create(&th, NULL, stopper_main, &s), 0);
  assert_int_equal(dfsc__loop_run(l), 0);
  assert_int_equal(pthread_join(th, NULL), 0);
  assert_in_range(real_ms() - t0, 0, 4999);
  assert_int_equal(on_thread_in_cb, 1);
  assert_int_equal(s.on_thread, 0);
  assert_int_equal(dfsc__loop_on_thread(l), 0);
  dfsc__loop_free(l);
  (void)state;
}

/* ---- injected clock ----------------------------------------------------- */

static uint64_t fake_now;
static uint64_t fake_clock(void *arg) {
  (void)arg;
  return fake_now;
}

static int advances;
static uint64_t fired_at;
static int clock_fired;
static dfsc_post adv_post;

static void advance_cb(dfsc_post *p) {
  if (clock_fired)
    return;
  fake_now += 1000;
  advances++;
  assert_int_equal(dfsc__loop_post(p->data, p), 0);
}

static void clock_timer_cb(dfsc_timer *t) {
  dfsc_loop *l = t->data;
  clock_fired++;
  fired_at = dfsc__loop_now(l);
  dfsc__loop_stop(l);
}

static void test_injected_clock(void **state) {
  dfsc_loop *l = new_loop(0);
  dfsc_timer t;
  uint64_t t0;

  fake_now = 100000;
  advances = 0;
  clock_fired = 0;
  fired_at = 0;
  dfsc__loop_set_clock(l, fake_clock, NULL);
  assert_int_equal(dfsc__loop_now(l), 100000);
  memset(&t, 0, sizeof t);
  t.data = l;
  /* Five simulated seconds; the test must take far less real time. */
  assert_int_equal(dfsc__timer_start(l, &t, 5000, clock_timer_cb), 0);
  assert_int_equal(t.due, 105000);
  memset(&adv_post, 0, sizeof adv_post);
  adv_post.cb = advance_cb;
  adv_post.data = l;
  assert_int_equal(dfsc__loop_post(l, &adv_post), 0);
  t0 = real_ms();
  assert_int_equal(dfsc__loop_run(l), 0);
  assert_in_range(real_ms() - t0, 0, 1999);
  assert_int_equal(clock_fired, 1);
  assert_int_equal(fired_at, 105000);
  assert_int_equal(advances, 5);
  /* The clock going backwards does not move loop time back. */
  fake_now = 50;
  assert_int_equal(dfsc__loop_update_time(l), 105000);
  fake_now = 106000;
  assert_int_equal(dfsc__loop_update_time(l), 106000);
  dfsc__loop_free(l);
  (void)state;
}

static void test_logger_copy(void **state) {
  dfsc_logger lg = {NULL, NULL, DFSC_LOG_DEBUG};
  dfsc_loop *l = NULL;
  const dfsc_logger *got;
  assert_int_equal(dfsc__loop_new(&lg, 0, &l), 0);
  got = dfsc__loop_logger(l);
  assert_non_null(got);
  assert_int_equal(got->level, DFSC_LOG_DEBUG);
  dfsc__loop_free(l);
  assert_int_equal(dfsc__loop_new(NULL, 0, &l), 0);
  assert_non_null(dfsc__loop_logger(l));
  assert_null(dfsc__loop_logger(l)->cb);
  dfsc__loop_free(l);
  (void)state;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_timers_fire_in_order),
      cmocka_unit_test(test_timers_heap_random),
      cmocka_unit_test(test_timers_start_without_memory),
      cmocka_unit_test(test_timer_restart_from_own_cb),
      cmocka_unit_test(test_timer_stop_other_in_cb),
      cmocka_unit_test(test_timer_free_in_own_cb),
      cmocka_unit_test(test_io_socketpair),
      cmocka_unit_test(test_io_modify),
      cmocka_unit_test(test_io_stop_other_same_batch),
      cmocka_unit_test(test_io_free_other_same_batch),
      cmocka_unit_test(test_posts_many_threads),
      cmocka_unit_test(test_posts_many_threads_small_queue),
      cmocka_unit_test(test_post_busy_when_full),
      cmocka_unit_test(test_post_from_loop_thread),
      cmocka_unit_test(test_stop_from_other_thread),
      cmocka_unit_test(test_injected_clock),
      cmocka_unit_test(test_logger_copy),
  };
  alarm(120); /* a hung loop fails the run instead of stalling ctest */
  if (getenv("DFSC_TEST_FILTER") != NULL)
    cmocka_set_test_filter(getenv("DFSC_TEST_FILTER"));
  return cmocka_run_group_tests(tests, NULL, NULL);
}
