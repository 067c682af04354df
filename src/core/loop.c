/* The event loop (see loop.h): one epoll set, an intrusive pairing heap of timers
 * ordered by (due, seq), an eventfd that wakes epoll_wait, and a bounded
 * mutex-protected FIFO through which any thread hands dfsc_post items to the
 * loop thread.
 *
 * One iteration: pick the epoll timeout from the earliest timer, wait, read
 * the clock, dispatch io events, run expired timers, run queued posts. Each
 * phase is capped so no source can starve the others.
 *
 * Does not: create threads, own watchers/timers/posts (callers embed them),
 * or run posts left queued when the loop is freed.
 */
#include "core/loop.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "dfsc/errors.h"

#define MAX_EVENTS 64
/* Timers and posts run per iteration; the rest wait for the next one (with
 * a zero epoll timeout), so a flood of either cannot starve io. */
#define TIMERS_PER_ITER 1024
#define POSTS_PER_ITER 1024
#define DEFAULT_POST_MAX 65536

struct dfsc_loop {
  int epfd;
  int evfd;
  dfsc_logger lg;

  dfsc_clock_fn clock;
  void *clock_arg;
  uint64_t now;

  /* Timer pairing heap: root is the earliest (due, seq); heap_n counts
   * the active timers. */
  dfsc_timer *root;
  size_t heap_n;
  uint64_t timer_seq;

  /* The batch being dispatched; dfsc__io_stop clears its entries so a
   * stopped (maybe freed) watcher is never touched again. */
  struct epoll_event batch[MAX_EVENTS];
  int batch_n;

  /* Submission queue, guarded by mu. `count` covers both the shared queue
   * and `ready` (taken from the queue but not yet run), so post_max bounds
   * every post the loop holds. */
  pthread_mutex_t mu;
  dfsc_post *q_head;
  dfsc_post *q_tail;
  size_t count;
  size_t post_max;
  size_t post_hwm;
  int wake_pending; /* an eventfd write for the queue is outstanding */

  /* Loop thread only. */
  dfsc_post *ready;
  dfsc_post *ready_tail;

  atomic_int stop;

  uint64_t iterations;
  uint64_t posts_run;
  size_t timers_hwm;
};

/* The loop run by this thread, for dfsc__loop_on_thread. */
static _Thread_local const dfsc_loop *running_loop;

uint64_t dfsc__mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t mono_ms(void *arg) {
  (void)arg;
  return dfsc__mono_ms();
}

static void wake(dfsc_loop *l) {
  uint64_t one = 1;
  ssize_t r;
  /* EAGAIN means the counter is already nonzero: the loop will wake anyway. */
  do
    r = write(l->evfd, &one, sizeof one);
  while (r < 0 && errno == EINTR);
}

int dfsc__loop_new(const dfsc_logger *lg, size_t post_max, dfsc_loop **out) {
  struct epoll_event ev;
  dfsc_loop *l;
  int rc;

  *out = NULL;
  l = dfsc__calloc(1, sizeof *l);
  if (l == NULL)
    return -ENOMEM;
  l->epfd = -1;
  l->evfd = -1;
  if (lg != NULL)
    l->lg = *lg;
  l->clock = mono_ms;
  l->post_max = post_max ? post_max : DEFAULT_POST_MAX;
  atomic_init(&l->stop, 0);
  rc = pthread_mutex_init(&l->mu, NULL);
  if (rc != 0) {
    dfsc__free(l);
    return -rc;
  }

  l->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (l->epfd < 0) {
    rc = -errno;
    goto fail;
  }
  l->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (l->evfd < 0) {
    rc = -errno;
    goto fail;
  }
  memset(&ev, 0, sizeof ev);
  ev.events = EPOLLIN;
  ev.data.ptr = l; /* the loop itself marks the wakeup fd */
  if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->evfd, &ev) < 0) {
    rc = -errno;
    goto fail;
  }
  l->now = l->clock(l->clock_arg);
  *out = l;
  return 0;

fail:
  dfsc__loop_free(l);
  return rc;
}

void dfsc__loop_free(dfsc_loop *l) {
  if (l == NULL)
    return;
  if (l->evfd >= 0)
    close(l->evfd);
  if (l->epfd >= 0)
    close(l->epfd);
  pthread_mutex_destroy(&l->mu);
  dfsc__free(l);
}

/* ---- time --------------------------------------------------------------- */

uint64_t dfsc__loop_now(const dfsc_loop *l) { return l->now; }

uint64_t dfsc__loop_update_time(dfsc_loop *l) {
  uint64_t t = l->clock(l->clock_arg);
  /* Loop time never goes backwards, even with an injected clock. */
  if (t > l->now)
    l->now = t;
  return l->now;
}

void dfsc__loop_set_clock(dfsc_loop *l, dfsc_clock_fn fn, void *arg) {
  l->clock = fn != NULL ? fn : mono_ms;
  l->clock_arg = fn != NULL ? arg : NULL;
  l->now = l->clock(l->clock_arg);
}

const dfsc_logger *dfsc__loop_logger(const dfsc_loop *l) { return &l->lg; }

int dfsc__loop_on_thread(const dfsc_loop *l) { return running_loop == l; }

/* ---- timers ------------------------------------------------------------- */

static int timer_less(const dfsc_timer *a, const dfsc_timer *b) {
  if (a->due != b->due)
    return a->due < b->due;
  return a->seq < b->seq;
}

/* A pairing heap (Fredman, Sedgewick, Sleator and Tarjan): insert links
 * the new timer under the root or the root under it; removing a node
 * pairs up its children left to right, then melds the pairs right to
 * left. Insert is O(1), removal amortized O(log n), and no operation
 * allocates, so arming a timer cannot fail. */

/* Links two detached roots; the later one becomes the earlier one's first
 * child. Returns the new root. */
static dfsc_timer *meld(dfsc_timer *a, dfsc_timer *b) {
  dfsc_timer *t;
  if (timer_less(b, a)) {
    t = a;
    a = b;
    b = t;
  }
  b->prev = a;
  b->sibling = a->child;
  if (a->child != NULL)
    a->child->prev = b;
  a->child = b;
  a->sibling = a->prev = NULL;
  return a;
}

/* Melds a list of siblings (the children of a removed node) into one
 * root, in two passes; iterative, so its depth is not the stack's. */
static dfsc_timer *merge_pairs(dfsc_timer *first) {
  dfsc_timer *a = first, *b, *next, *pairs = NULL, *root = NULL;
  while (a != NULL) {
    b = a->sibling;
    next = b != NULL ? b->sibling : NULL;
    a->sibling = a->prev = NULL;
    if (b != NULL) {
      b->sibling = b->prev = NULL;
      a = meld(a, b);
    }
    a->sibling = pairs; /* a stack of pairs: the right-most on top */
    pairs = a;
    a = next;
  }
  while (pairs != NULL) {
    next = pairs->sibling;
    pairs->sibling = NULL;
    root = root != NULL ? meld(root, pairs) : pairs;
    pairs = next;
  }
  return root;
}

static void heap_insert(dfsc_loop *l, dfsc_timer *t) {
  t->child = t->sibling = t->prev = NULL;
  l->root = l->root != NULL ? meld(l->root, t) : t;
  l->heap_n++;
}

static void heap_remove(dfsc_loop *l, dfsc_timer *t) {
  dfsc_timer *sub;
  if (t == l->root) {
    l->root = merge_pairs(t->child);
  } else {
    /* Unlink t (and its subtree) from its parent or left sibling. */
    if (t->prev->child == t)
      t->prev->child = t->sibling;
    else
      t->prev->sibling = t->sibling;
    if (t->sibling != NULL)
      t->sibling->prev = t->prev;
    sub = merge_pairs(t->child);
    if (sub != NULL)
      l->root = meld(l->root, sub);
  }
  t->child = t->sibling = t->prev = NULL;
  l->heap_n--;
}

int dfsc__timer_start(dfsc_loop *l, dfsc_timer *t, uint64_t timeout_ms, dfsc_timer_cb cb) {
  if (t->active)
    dfsc__timer_stop(l, t);
  t->due = timeout_ms > UINT64_MAX - l->now ? UINT64_MAX : l->now + timeout_ms;
  t->seq = l->timer_seq++;
  t->cb = cb;
  t->active = 1;
  t->owner = l;
  heap_insert(l, t);
  if (l->heap_n > l->timers_hwm)
    l->timers_hwm = l->heap_n;
  return 0;
}

void dfsc__timer_stop(dfsc_loop *l, dfsc_timer *t) {
  if (!t->active)
    return;
  t->active = 0;
  /* A timer zeroed by its owner while active reads as stopped above; one
   * active on another loop is left alone rather than corrupting it. */
  if (t->owner != l)
    return;
  heap_remove(l, t);
}

static void run_timers(dfsc_loop *l) {
  /* Timers started by these callbacks get seq >= limit and wait for the next
   * iteration, so a callback re-arming itself with 0 ms cannot spin here.
   * Since such a timer's due is >= now, every older expired timer sorts
   * before it: meeting one at the top means no older timer is expired. */
  uint64_t limit = l->timer_seq;
  int n = 0;

  while (l->root != NULL && n < TIMERS_PER_ITER) {
    dfsc_timer *t = l->root;
    if (t->due > l->now || t->seq >= limit)
      break;
    heap_remove(l, t);
    t->active = 0;
    n++;
    t->cb(t); /* may restart, stop others, or free t */
  }
}

/* ---- io ----------------------------------------------------------------- */

int dfsc__io_start(dfsc_loop *l, dfsc_io *io, int fd, uint32_t events, dfsc_io_cb cb) {
  struct epoll_event ev;

  if (io->active || fd < 0 || cb == NULL)
    return -EINVAL;
  memset(&ev, 0, sizeof ev);
  ev.events = events;
  ev.data.ptr = io;
  if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
    return -errno;
  io->fd = fd;
  io->events = events;
  io->cb = cb;
  io->active = 1;
  return 0;
}

int dfsc__io_modify(dfsc_loop *l, dfsc_io *io, uint32_t events) {
  struct epoll_event ev;

  if (!io->active)
    return -EINVAL;
  if (events == io->events)
    return 0;
  memset(&ev, 0, sizeof ev);
  ev.events = events;
  ev.data.ptr = io;
  if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, io->fd, &ev) < 0)
    return -errno;
  io->events = events;
  return 0;
}

void dfsc__io_stop(dfsc_loop *l, dfsc_io *io) {
  int i;

  if (!io->active)
    return;
  /* Fails harmlessly (EBADF/ENOENT) if the owner already closed fd. */
  (void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, io->fd, NULL);
  io->active = 0;
  for (i = 0; i < l->batch_n; i++)
    if (l->batch[i].data.ptr == io)
      l->batch[i].data.ptr = NULL;
}

static void drain_eventfd(dfsc_loop *l) {
  uint64_t v;
  ssize_t r;
  do
    r = read(l->evfd, &v, sizeof v);
  while (r < 0 && errno == EINTR);
}

static void dispatch_io(dfsc_loop *l, int n) {
  int i;

  l->batch_n = n;
  for (i = 0; i < n; i++) {
    void *ptr = l->batch[i].data.ptr;
    dfsc_io *io;
    uint32_t ev;

    if (ptr == NULL) /* stopped by an earlier callback of this batch */
      continue;
    io = ptr;
    if (!io->active)
      continue;
    /* Drop bits the owner stopped asking for earlier in this batch. */
    ev = l->batch[i].events & (io->events | EPOLLERR | EPOLLHUP);
    if (ev == 0)
      continue;
    io->cb(io, ev);
  }
  l->batch_n = 0;
}

/* ---- posts -------------------------------------------------------------- */

int dfsc__loop_post(dfsc_loop *l, dfsc_post *p) {
  int need_wake = 0;

  pthread_mutex_lock(&l->mu);
  if (l->count >= l->post_max) {
    pthread_mutex_unlock(&l->mu);
    return DFSC_E_BUSY;
  }
  p->next = NULL;
  if (l->q_tail != NULL)
    l->q_tail->next = p;
  else
    l->q_head = p;
  l->q_tail = p;
  l->count++;
  if (l->count > l->post_hwm)
    l->post_hwm = l->count;
  if (!l->wake_pending) {
    l->wake_pending = 1;
    need_wake = 1;
  }
  pthread_mutex_unlock(&l->mu);
  /* Also from the loop thread: epoll_wait then returns at once, and the
   * post runs in a later posts phase, never inside this call. */
  if (need_wake)
    wake(l);
  return 0;
}

/* Moves everything queued so far onto `ready`. Done right after epoll_wait,
 * so posts made by this iteration's callbacks wait for the next one. */
static void take_posts(dfsc_loop *l) {
  pthread_mutex_lock(&l->mu);
  if (l->q_head != NULL) {
    if (l->ready_tail != NULL)
      l->ready_tail->next = l->q_head;
    else
      l->ready = l->q_head;
    l->ready_tail = l->q_tail;
    l->q_head = l->q_tail = NULL;
  }
  /* Anything posted from here on needs a fresh wakeup. */
  l->wake_pending = 0;
  pthread_mutex_unlock(&l->mu);
}

static void run_posts(dfsc_loop *l) {
  dfsc_post *batch, *p;
  size_t n;

  if (l->ready == NULL)
    return;
  batch = l->ready;
  p = batch;
  for (n = 1; n < POSTS_PER_ITER && p->next != NULL; n++)
    p = p->next;
  l->ready = p->next;
  if (l->ready == NULL)
    l->ready_tail = NULL;
  p->next = NULL;

  /* Uncount the batch before running it, so callbacks may re-post. */
  pthread_mutex_lock(&l->mu);
  l->count -= n;
  pthread_mutex_unlock(&l->mu);

  while (batch != NULL) {
    p = batch;
    batch = p->next; /* read first: the callback may re-post or free p */
    p->next = NULL;
    l->posts_run++;
    p->cb(p);
  }
}

/* ---- run ---------------------------------------------------------------- */

static int poll_timeout(dfsc_loop *l) {
  uint64_t d;
  if (atomic_load(&l->stop) || l->ready != NULL)
    return 0;
  if (l->root == NULL)
    return -1;
  d = l->root->due;
  if (d <= l->now)
    return 0;
  d -= l->now;
  return d > INT_MAX ? INT_MAX : (int)d;
}

int dfsc__loop_run(dfsc_loop *l) {
  const dfsc_loop *prev = running_loop;
  int rc = 0;

  running_loop = l;
  for (;;) {
    int n, i;
    /* Callbacks of the last iteration took time: without a fresh reading the
     * timeout would overshoot the next deadline by that much. */
    dfsc__loop_update_time(l);
    n = epoll_wait(l->epfd, l->batch, MAX_EVENTS, poll_timeout(l));
    if (n < 0) {
      if (errno != EINTR) {
        rc = -errno;
        DFSC_ERR(&l->lg, DFSC_CAT_CORE, "epoll_wait: %s", dfsc_strerror(rc));
        break;
      }
      n = 0;
    }
    dfsc__loop_update_time(l);
    /* Drain the wakeup before taking the queue: a post that lands between
     * the two then leaves its own eventfd write behind, never a lost one. */
    for (i = 0; i < n; i++)
      if (l->batch[i].data.ptr == (void *)l) {
        l->batch[i].data.ptr = NULL;
        drain_eventfd(l);
      }
    take_posts(l);
    dispatch_io(l, n);
    run_timers(l);
    run_posts(l);
    l->iterations++;
    /* Consume the request so the loop can be run again later. */
    if (atomic_exchange(&l->stop, 0))
      break;
  }
  running_loop = prev;
  return rc;
}

void dfsc__loop_stop(dfsc_loop *l) {
  atomic_store(&l->stop, 1);
  wake(l);
}

void dfsc__loop_stats(const dfsc_loop *l, dfsc_loop_stats *out) {
  dfsc_loop *ml = (dfsc_loop *)l; /* the mutex is not part of the value */
  out->iterations = l->iterations;
  out->posts_run = l->posts_run;
  out->timers_hwm = l->timers_hwm;
  pthread_mutex_lock(&ml->mu);
  out->post_queue_hwm = l->post_hwm;
  pthread_mutex_unlock(&ml->mu);
}
