/* The event loop: epoll for sockets, an intrusive heap of timers, an eventfd
 * that wakes the loop, and a thread-safe bounded submission queue through
 * which other threads hand work to the loop thread.
 *
 * Everything here except dfsc__loop_post() and dfsc__loop_stop() must be
 * called on the loop thread. Does not: create the loop thread (the caller
 * runs dfsc__loop_run on a thread of its own), own any protocol state.
 */
#ifndef DFSC_CORE_LOOP_H
#define DFSC_CORE_LOOP_H

#include <stddef.h>
#include <stdint.h>

#include "core/log.h"

typedef struct dfsc_loop dfsc_loop;
typedef struct dfsc_io dfsc_io;
typedef struct dfsc_timer dfsc_timer;
typedef struct dfsc_post dfsc_post;

/* events: EPOLLIN / EPOLLOUT / EPOLLERR / EPOLLHUP bits from <sys/epoll.h> */
typedef void (*dfsc_io_cb)(dfsc_io *w, uint32_t events);
typedef void (*dfsc_timer_cb)(dfsc_timer *t);
typedef void (*dfsc_post_cb)(dfsc_post *p);
/* Monotonic milliseconds; the default reads CLOCK_MONOTONIC. */
typedef uint64_t (*dfsc_clock_fn)(void *arg);

/* Embedded by the owner; the loop never frees it. */
struct dfsc_io {
  int fd;
  uint32_t events; /* what is registered */
  dfsc_io_cb cb;
  void *data;
  int active;
};

struct dfsc_timer {
  uint64_t due; /* absolute, in loop milliseconds */
  uint64_t seq; /* ties broken in start order */
  /* Links of the loop's pairing heap: the timer is its own node, so
   * starting one never allocates and cannot fail. prev is the parent for
   * a first child, the left sibling otherwise. */
  dfsc_timer *child, *sibling, *prev;
  dfsc_loop *owner; /* the loop it is active on */
  dfsc_timer_cb cb;
  void *data;
  int active;
};

/* A unit of work handed to the loop thread. Embedded by the poster, who keeps
 * it alive until cb runs (on the loop thread). */
struct dfsc_post {
  dfsc_post *next;
  dfsc_post_cb cb;
  void *data;
};

/* `post_max`: bound of the submission queue (0: 65536).
 * Returns 0 or a negative code. */
int dfsc__loop_new(const dfsc_logger *lg, size_t post_max, dfsc_loop **out);

/* Frees the loop. Active watchers and timers are simply dropped; posts still
 * queued are not run. Call after dfsc__loop_run returned. */
void dfsc__loop_free(dfsc_loop *l);

/* Runs until dfsc__loop_stop. Returns 0 or a negative code (epoll failure). */
int dfsc__loop_run(dfsc_loop *l);

/* Asks the loop to return from dfsc__loop_run after the current iteration.
 * Thread-safety: any thread. */
void dfsc__loop_stop(dfsc_loop *l);

/* Hands `p` to the loop thread. Returns 0, or DFSC_E_BUSY when the queue
 * holds post_max items (p is then not queued). Thread-safety: any thread,
 * including the loop thread (the callback then runs on a later iteration,
 * never inside this call). */
int dfsc__loop_post(dfsc_loop *l, dfsc_post *p);

/* Nonzero when called on the thread running dfsc__loop_run. */
int dfsc__loop_on_thread(const dfsc_loop *l);

/* Loop time in ms: read once per iteration (and after each wakeup). */
uint64_t dfsc__loop_now(const dfsc_loop *l);
/* CLOCK_MONOTONIC in milliseconds (the loop's default clock), any thread:
 * for times taken off the loop thread. */
uint64_t dfsc__mono_ms(void);
/* Re-reads the clock. */
uint64_t dfsc__loop_update_time(dfsc_loop *l);
/* Replaces the clock (tests). Call before dfsc__loop_run. */
void dfsc__loop_set_clock(dfsc_loop *l, dfsc_clock_fn fn, void *arg);

const dfsc_logger *dfsc__loop_logger(const dfsc_loop *l);

/* Registers fd for `events` (EPOLLIN|EPOLLOUT...). io must be zeroed or
 * stopped. Returns 0 or -errno. */
int dfsc__io_start(dfsc_loop *l, dfsc_io *io, int fd, uint32_t events, dfsc_io_cb cb);
int dfsc__io_modify(dfsc_loop *l, dfsc_io *io, uint32_t events);
/* Safe on a stopped watcher; after it returns cb is never called again for
 * events already collected in this iteration. Does not close fd. */
void dfsc__io_stop(dfsc_loop *l, dfsc_io *io);

/* Starts (or restarts) a one-shot timer firing after timeout_ms. Always
 * returns 0: the timer is its own heap node, nothing is allocated. */
int dfsc__timer_start(dfsc_loop *l, dfsc_timer *t, uint64_t timeout_ms, dfsc_timer_cb cb);
/* Safe on a stopped timer. */
void dfsc__timer_stop(dfsc_loop *l, dfsc_timer *t);

/* Counters for tests and --stats. */
typedef struct dfsc_loop_stats {
  uint64_t iterations;
  uint64_t posts_run;
  size_t post_queue_hwm;
  size_t timers_hwm;
} dfsc_loop_stats;
void dfsc__loop_stats(const dfsc_loop *l, dfsc_loop_stats *out);

#endif
