/* Shared by the idle close tests (idle_test.c, idle_many_test.c): running a
 * function on a context's loop thread, the session layer's counters, and
 * the process's own resident size and open sockets. Header-only.
 *
 * The loop thread is reached through the test clock hook
 * (dfsc__ctx_set_clock): the loop calls the clock function on its own
 * thread as the hook is installed, and the function runs the queued call
 * there before returning the real monotonic time. */
#ifndef DFSC_IDLE_LIB_H
#define DFSC_IDLE_LIB_H

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dfsc/dfsc.h"
#include "mup/ops.h"
#include "session/sl.h"

static void (*onloop_fn)(dfsc_ctx *ctx, void *arg);
static dfsc_ctx *onloop_ctx;
static void *onloop_arg;

static uint64_t mono_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t onloop_clock(void *arg) {
  void (*fn)(dfsc_ctx *, void *) = onloop_fn;
  (void)arg;
  onloop_fn = NULL;
  if (fn != NULL)
    fn(onloop_ctx, onloop_arg);
  return mono_now_ms();
}

/* Runs fn(ctx, arg) on ctx's loop thread and waits for it. */
__attribute__((unused)) static int on_loop(dfsc_ctx *ctx, void (*fn)(dfsc_ctx *, void *),
                                           void *arg) {
  int rc;
  onloop_ctx = ctx;
  onloop_arg = arg;
  onloop_fn = fn;
  rc = dfsc__ctx_set_clock(ctx, onloop_clock, NULL);
  if (rc == 0)
    rc = dfsc__ctx_set_clock(ctx, NULL, NULL);
  return rc;
}

struct limits_arg {
  unsigned idle, max;
  int rc;
};

static void limits_cb(dfsc_ctx *ctx, void *arg) {
  struct limits_arg *a = arg;
  a->rc = dfsc__sl_set_limits(dfsc__ctx_sl(ctx), a->idle, a->max);
}

/* dfsc__sl_set_limits on the loop thread. Returns its result.
 * DFSC_IDLE_TEST_OFF=1 turns idle close off (a one-hour idle time) to show
 * which checks depend on it: they must then fail. */
__attribute__((unused)) static int set_limits(dfsc_ctx *ctx, unsigned idle_ms,
                                              unsigned max_conns) {
  const char *off = getenv("DFSC_IDLE_TEST_OFF");
  struct limits_arg a = {off && *off == '1' ? 3600000u : idle_ms, max_conns, -1};
  int rc = on_loop(ctx, limits_cb, &a);
  return rc < 0 ? rc : a.rc;
}

static void stats_cb(dfsc_ctx *ctx, void *arg) { dfsc__sl_stats(dfsc__ctx_sl(ctx), arg); }

/* The session layer's counters, read on the loop thread. */
__attribute__((unused)) static dfsc_sl_stats sl_stats(dfsc_ctx *ctx) {
  dfsc_sl_stats st;
  memset(&st, 0, sizeof(st));
  on_loop(ctx, stats_cb, &st);
  return st;
}

/* Open sockets of this process (/proc/self/fd entries "socket:[...]"). */
__attribute__((unused)) static int open_sockets(void) {
  DIR *d = opendir("/proc/self/fd");
  struct dirent *e;
  char path[300], link[64];
  int n = 0;
  if (d == NULL)
    return -1;
  while ((e = readdir(d)) != NULL) {
    ssize_t len;
    if (e->d_name[0] == '.')
      continue;
    snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
    len = readlink(path, link, sizeof(link) - 1);
    if (len > 0) {
      link[len] = '\0';
      n += strncmp(link, "socket:", 7) == 0;
    }
  }
  closedir(d);
  return n;
}

/* Resident set size in KiB (/proc/self/statm, second field, in pages). */
__attribute__((unused)) static long rss_kib(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  long size = 0, res = 0;
  if (f == NULL)
    return -1;
  if (fscanf(f, "%ld %ld", &size, &res) != 2)
    res = -1;
  fclose(f);
  return res < 0 ? -1 : res * (sysconf(_SC_PAGESIZE) / 1024);
}

static void sleep_ms(unsigned ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Polls until the layer has at most `open` connection objects, for at most
 * limit_ms. Returns the ms it took, or -1. */
__attribute__((unused)) static long wait_conns(dfsc_ctx *ctx, uint64_t open,
                                               unsigned limit_ms) {
  uint64_t t0 = mono_now_ms();
  for (;;) {
    uint64_t el = mono_now_ms() - t0;
    if (sl_stats(ctx).conns_open <= open)
      return (long)el;
    if (el > limit_ms)
      return -1;
    sleep_ms(20);
  }
}

/* ---- the fake servers (idle_server.py, beside this file) -------------- */

/* SIGTERM, and SIGKILL when it has not gone within 10 s (a server with
 * thousands of connection threads can be slow to run its handler). */
__attribute__((unused)) static void idle_server_stop(pid_t pid) {
  int i;
  kill(pid, SIGTERM);
  for (i = 0; i < 200; i++) {
    if (waitpid(pid, NULL, WNOHANG) == pid)
      return;
    sleep_ms(50);
  }
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
}

/* Starts idle_server.py on nports ephemeral ports of 127.0.0.1 (mute: it
 * never answers TREE_DISCONNECT or LOGOFF), its files in dir; fills ports.
 * Returns its pid, or -1. It stops by itself after 300 s. */
__attribute__((unused)) static pid_t idle_server_start(const char *dir, int nports,
                                                       int mute, uint16_t *ports) {
  char script[1200], portfile[300], pidfile[300], line[32], n_arg[16];
  const char *src = getenv("DFSC_SRC");
  pid_t pid;
  FILE *f;
  int i, n = 0;
  if (src != NULL) {
    snprintf(script, sizeof(script), "%s/tests/integration/idle_server.py", src);
  } else {
    /* The folder of this header, which CMake names in full. */
    const char *slash = strrchr(__FILE__, '/');
    snprintf(script, sizeof(script), "%.*s/idle_server.py",
             slash ? (int)(slash - __FILE__) : 1, slash ? __FILE__ : ".");
  }
  snprintf(portfile, sizeof(portfile), "%s/ports", dir);
  snprintf(pidfile, sizeof(pidfile), "%s/pid", dir);
  snprintf(n_arg, sizeof(n_arg), "%d", nports);
  pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    /* It prints nothing; it must not hold the test's stdout open. */
    if (null >= 0)
      dup2(null, STDOUT_FILENO);
    execlp("python3", "python3", script, "--addr", "127.0.0.1", "--ports", n_arg,
           "--portfile", portfile, "--pidfile", pidfile, "--max-seconds", "300",
           mute ? "--mute-teardown" : (char *)NULL, (char *)NULL);
    _exit(127);
  }
  /* The pidfile appears once every port listens. */
  for (i = 0; i < 200 && access(pidfile, F_OK) != 0; i++)
    sleep_ms(50);
  f = fopen(portfile, "r");
  while (f != NULL && n < nports && fgets(line, sizeof(line), f))
    ports[n++] = (uint16_t)atoi(line);
  if (f != NULL)
    fclose(f);
  if (n != nports) {
    idle_server_stop(pid);
    return -1;
  }
  return pid;
}

#endif
