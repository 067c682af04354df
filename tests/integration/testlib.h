/* Shared by the C integration and stress tests: the check line printer and
 * the testbed's environment file reader. Header-only, for test programs. */
#ifndef DFSC_TESTLIB_H
#define DFSC_TESTLIB_H

#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "dfsc/dfsc.h"

static int passed, failed;

/* One line per check: "ok - ..." or "not ok - ...", counted for the final
 * "N passed, N failed". */
static void check(int cond, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("%s - ", cond ? "ok" : "not ok");
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
  if (cond)
    passed++;
  else
    failed++;
}

/* Seconds on the monotonic clock. */
__attribute__((unused)) static double mono_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Waits, under mu, until *left (counted down by callbacks that broadcast cv
 * at 0) is 0 or about `seconds` have passed; returns what is left. */
__attribute__((unused)) static int wait_left(pthread_mutex_t *mu, pthread_cond_t *cv,
                                             const int *left, double seconds) {
  struct timespec ts;
  int n;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += (time_t)seconds + 1;
  pthread_mutex_lock(mu);
  while (*left > 0 && pthread_cond_timedwait(cv, mu, &ts) == 0)
    ;
  n = *left;
  pthread_mutex_unlock(mu);
  return n;
}

/* One asynchronous call waited for with wait_left: wait_cb records its
 * result and sets left to 0 (mu and cv initialised, left 1, by the test). */
struct waitres {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int left;
  int err;
  size_t nbytes;
};

__attribute__((unused)) static void wait_cb(const dfsc_result *res, void *arg) {
  struct waitres *w = arg;
  pthread_mutex_lock(&w->mu);
  w->err = res->err;
  w->nbytes = res->nbytes;
  w->left = 0;
  pthread_cond_broadcast(&w->cv);
  pthread_mutex_unlock(&w->mu);
}

/* The value of `export KEY=value` in the testbed's environment file, as a
 * heap string (free it), or NULL. */
__attribute__((unused)) static char *env_get(const char *file, const char *key) {
  FILE *f = fopen(file, "r");
  char line[8192];
  size_t kl = strlen(key);
  char *res = NULL;
  if (f == NULL)
    return NULL;
  while (res == NULL && fgets(line, sizeof(line), f)) {
    char *p = line, *v, *e;
    if (strncmp(p, "export ", 7) == 0)
      p += 7;
    if (strncmp(p, key, kl) != 0 || p[kl] != '=')
      continue;
    v = p + kl + 1;
    if (*v == '\'' || *v == '"')
      v++;
    e = v + strcspn(v, "'\"\n");
    *e = '\0';
    res = strdup(v);
  }
  fclose(f);
  return res;
}

/* Splits "--resolve a:b --resolve c:d" (modified in place) into a NULL
 * terminated list for dfsc_opts.resolve. */
__attribute__((unused)) static const char **resolve_list(char *args) {
  static const char *list[256];
  size_t n = 0;
  char *tok, *save = NULL;
  for (tok = strtok_r(args, " ", &save); tok && n < 255; tok = strtok_r(NULL, " ", &save))
    if (strcmp(tok, "--resolve") != 0)
      list[n++] = tok;
  list[n] = NULL;
  return list;
}

/* Takes the testbed's durrelay test lock (the file the shell tests flock,
 * tests/integration/t_reconnect.sh): tests that cut, refuse or restart
 * durfs and its relay run one at a time, also from different build
 * directories. Waits up to 300 s; returns the descriptor to keep open (the
 * lock goes with the process), or -1 when it could not be had (the test
 * goes on without it). */
__attribute__((unused)) static int tb_lock_durfs(const char *tbdir) {
  char path[1024];
  int fd, i;
  snprintf(path, sizeof(path), "%s/proxy/durrelay/test.lock", tbdir);
  fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0)
    return -1;
  for (i = 0; i < 3000; i++) {
    if (flock(fd, LOCK_EX | LOCK_NB) == 0)
      return fd;
    usleep(100000);
  }
  close(fd);
  return -1;
}

#endif
