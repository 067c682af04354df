/* Fault injection against the real testbed: a scripted session (context,
 * stat, open + read 1 MiB, write, list a directory, a DFS path through
 * \\dfsroot\dfs\single, close, free) run once to count its allocations and
 * socket operations, then again for every N with the N-th allocation failing
 * and again with the N-th socket operation failing (core/fault.h: socket(),
 * connect(), sendmsg(), read(), name lookup start).
 *
 * Each run is a child process (fork before any context exists), so a crash
 * or a hang is seen and bounded: the parent kills a child after RUN_BOUND_S.
 * A run passes when every operation either succeeds or returns a known error
 * code (an NTSTATUS one with a status), and no allocation made through the
 * replacement allocator is still live after dfsc_ctx_free.
 *
 * Every N is tried while a kind has at most FAULT_EVERY_MAX operations
 * (environment DFSC_FAULT_EVERY_MAX, default 3000); past that, every N up
 * to that many and then a stride that keeps the total near it. Two children
 * run at a time. Prints one line per check and "N passed, N failed".
 * DFSC_FAULT_ONLY=alloc:N (or sock:N) runs that one case in the foreground
 * and prints where each block still live at the end was allocated.
 */
#include <errno.h>
#include <execinfo.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/fault.h"
#include "dfsc/dfsc-sync.h"
#include "dfsc/dfsc.h"
#include "testlib.h"

#define RUN_BOUND_S 30
#define SLOW_MS 4000 /* a run this slow was rescued by a deadline: reported */
#define PAR 2
#define READ_LEN (1024 * 1024)

/* ---- the counting, failing allocator ----------------------------------- */
static atomic_long n_alloc, live;
static long fail_alloc_at; /* 0: never */

static void trace_here(void);
static int alloc_fails(void) {
  if (atomic_fetch_add(&n_alloc, 1) + 1 != fail_alloc_at)
    return 0;
  trace_here();
  return 1;
}

/* With DFSC_FAULT_ONLY set, live blocks remember where they were made so a
 * leak can be shown (trace_dump). */
#define TRACE_SLOTS 65536
#define TRACE_DEPTH 10
struct trace {
  void *p;
  int n;
  void *frames[TRACE_DEPTH];
};
static struct trace *traces;
static pthread_mutex_t trace_mu = PTHREAD_MUTEX_INITIALIZER;

static void trace_add(void *p) {
  size_t i;
  if (traces == NULL || p == NULL)
    return;
  pthread_mutex_lock(&trace_mu);
  for (i = 0; i < TRACE_SLOTS; i++)
    if (traces[i].p == NULL) {
      traces[i].p = p;
      traces[i].n = backtrace(traces[i].frames, TRACE_DEPTH);
      break;
    }
  pthread_mutex_unlock(&trace_mu);
}

static void trace_del(void *p) {
  size_t i;
  if (traces == NULL || p == NULL)
    return;
  pthread_mutex_lock(&trace_mu);
  for (i = 0; i < TRACE_SLOTS; i++)
    if (traces[i].p == p) {
      traces[i].p = NULL;
      break;
    }
  pthread_mutex_unlock(&trace_mu);
}

/* Where the failing allocation was asked for (tracing only). */
static void trace_here(void) {
  void *frames[TRACE_DEPTH];
  int n;
  if (traces == NULL)
    return;
  n = backtrace(frames, TRACE_DEPTH);
  fprintf(stderr, "  the failing allocation:\n");
  fflush(stderr);
  backtrace_symbols_fd(frames, n, 2);
}

static void trace_dump(void) {
  size_t i;
  if (traces == NULL)
    return;
  for (i = 0; i < TRACE_SLOTS; i++)
    if (traces[i].p != NULL) {
      fprintf(stderr, "  live block %p made at:\n", traces[i].p);
      fflush(stderr);
      backtrace_symbols_fd(traces[i].frames, traces[i].n, 2);
    }
}

static void *t_malloc(size_t n) {
  void *p = alloc_fails() ? NULL : malloc(n);
  if (p != NULL) {
    atomic_fetch_add(&live, 1);
    trace_add(p);
  }
  return p;
}
static void *t_calloc(size_t c, size_t n) {
  void *p = alloc_fails() ? NULL : calloc(c, n);
  if (p != NULL) {
    atomic_fetch_add(&live, 1);
    trace_add(p);
  }
  return p;
}
static void *t_realloc(void *old, size_t n) {
  void *p;
  if (old == NULL)
    return t_malloc(n);
  p = alloc_fails() ? NULL : realloc(old, n);
  if (p != NULL && p != old) { /* a moved block stays one live block */
    trace_del(old);
    trace_add(p);
  }
  return p; /* a failure leaves old as it was */
}
static void t_free(void *p) {
  if (p != NULL) {
    atomic_fetch_sub(&live, 1);
    trace_del(p);
    free(p);
  }
}

/* ---- the session --------------------------------------------------------- */
struct env {
  char *user, *pass, *fs1, *resolve, *scratch_dir;
};

static struct env E;
static const char **resolve;

/* Bits of the child's exit status. */
#define BAD_ERROR 0x01    /* an operation returned an unknown code */
#define BAD_LEAK 0x02     /* allocations live after ctx_free */
#define BAD_BASELINE 0x04 /* with no fault, an operation failed */
#define BAD_DATA 0x08     /* a successful read returned the wrong length */

static int bad;
static int n_ops, n_failed;

/* Notes one operation's outcome: 0, or a code with a name. */
static void outcome(const char *what, long long rc, const dfsc_result *res, int strict) {
  n_ops++;
  if (rc >= 0)
    return;
  n_failed++;
  /* Known: a DFSC_E_* code, or -errno with a message (dfsc_strerror says
   * what the CLI would print); an NTSTATUS error must carry its status. */
  if ((rc < -4095 ? strncmp(dfsc_err_name((int)rc), "E?", 2) == 0
                  : strncmp(dfsc_strerror((int)rc), "Unknown", 7) == 0) ||
      (rc == DFSC_E_NTSTATUS && res != NULL && res->ntstatus == 0)) {
    fprintf(stderr, "  %s: unclear error %lld (%s)\n", what, rc, dfsc_err_name((int)rc));
    bad |= BAD_ERROR;
  }
  if (strict || traces != NULL) {
    fprintf(stderr, "  %s: %s (0x%08x)\n", what, dfsc_err_name((int)rc),
            res ? res->ntstatus : 0);
    if (strict)
      bad |= BAD_BASELINE;
  }
}

static void session(int strict) {
  dfsc_opts o;
  dfsc_ctx *ctx = NULL;
  dfsc_result res;
  dfsc_stat_t st;
  dfsc_file *f = NULL;
  dfsc_dir *d = NULL;
  char path[512], wpath[512];
  static char buf[READ_LEN];
  long long n;
  int rc;

  dfsc_opts_init(&o);
  o.user = E.user;
  o.password = E.pass;
  o.resolve = resolve;
  o.connect_timeout_ms = 5000;
  o.setup_timeout_ms = 5000;
  o.request_timeout_ms = 5000;
  rc = dfsc_ctx_new(&o, &ctx);
  outcome("ctx_new", rc, NULL, strict);
  if (rc < 0)
    return;

  snprintf(path, sizeof(path), "//%s/data/hello.txt", E.fs1);
  rc = dfsc_stat(ctx, path, &st, &res);
  outcome("stat", rc, &res, strict);

  snprintf(path, sizeof(path), "//%s/data/big.bin", E.fs1);
  rc = dfsc_open(ctx, path, DFSC_O_RDONLY, &f, &res);
  outcome("open big.bin", rc, &res, strict);
  if (rc == 0) {
    n = dfsc_read(f, buf, READ_LEN, 0, &res);
    outcome("read 1 MiB", n, &res, strict);
    if (n >= 0 && n != READ_LEN) {
      fprintf(stderr, "  read returned %lld bytes\n", n);
      bad |= BAD_DATA;
    }
    rc = dfsc_close(f, &res);
    outcome("close big.bin", rc, &res, strict);
  }

  snprintf(wpath, sizeof(wpath), "//%s/scratch/fault-%ld-%ld.bin", E.fs1, (long)getppid(),
           (long)getpid());
  rc = dfsc_open(ctx, wpath, DFSC_O_WRONLY | DFSC_O_CREAT | DFSC_O_TRUNC, &f, &res);
  outcome("open for write", rc, &res, strict);
  if (rc == 0) {
    n = dfsc_write(f, buf, 65536, 0, &res);
    outcome("write 64 KiB", n, &res, strict);
    rc = dfsc_close(f, &res);
    outcome("close written file", rc, &res, strict);
    rc = dfsc_unlink(ctx, wpath, &res);
    outcome("unlink", rc, &res, strict);
  }

  snprintf(path, sizeof(path), "//%s/data", E.fs1);
  rc = dfsc_opendir(ctx, path, &d, &res);
  outcome("opendir", rc, &res, strict);
  if (rc == 0) {
    while (dfsc_dir_next(d) != NULL)
      ;
    dfsc_dir_free(d);
  }

  rc = dfsc_stat(ctx, "//dfsroot/dfs/single/hello.txt", &st, &res);
  outcome("stat through DFS", rc, &res, strict);
  rc = dfsc_open(ctx, "//dfsroot/dfs/single/hello.txt", DFSC_O_RDONLY, &f, &res);
  outcome("open through DFS", rc, &res, strict);
  if (rc == 0) {
    n = dfsc_read(f, buf, 4096, 0, &res);
    outcome("read through DFS", n, &res, strict);
    rc = dfsc_close(f, &res);
    outcome("close through DFS", rc, &res, strict);
  }
  dfsc_ctx_free(ctx);
}

/* Runs the session in this (child) process with one fault armed; exits with
 * the BAD_* bits. kind < 0 only counts, and writes the counts to fd. */
static void child(int kind, long nth, int fd) {
  long sock_ops;
  dfsc_replace_allocator(t_malloc, t_realloc, t_calloc, t_free);
  if (kind == DFSC_FAULT_ALLOC)
    fail_alloc_at = nth;
  dfsc__fault_arm(DFSC_FAULT_SOCK, kind == DFSC_FAULT_SOCK ? (unsigned long)nth : 0);
  session(kind < 0);
  sock_ops = (long)dfsc__fault_count(DFSC_FAULT_SOCK);
  dfsc__fault_disarm();
  if (atomic_load(&live) != 0) {
    fprintf(stderr, "  %ld allocations live after dfsc_ctx_free\n", atomic_load(&live));
    trace_dump();
    bad |= BAD_LEAK;
  }
  if (fd >= 0) {
    long counts[4] = {atomic_load(&n_alloc), sock_ops, n_ops, n_failed};
    if (write(fd, counts, sizeof(counts)) != (ssize_t)sizeof(counts))
      bad |= BAD_ERROR;
  }
  fflush(stderr);
  _exit(bad);
}

/* ---- the parent: forks, bounds and judges runs ---------------------------- */
struct run {
  pid_t pid;
  int kind;
  long nth;
  struct timespec t0;
  int errfd; /* the child's stderr, read when it fails */
  char errpath[64];
};

static double secs_since(const struct timespec *t0) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static const char *kind_name(int kind) {
  return kind == DFSC_FAULT_ALLOC ? "alloc" : "sock";
}

static pid_t spawn(int kind, long nth, int fd, struct run *r) {
  pid_t pid;
  snprintf(r->errpath, sizeof(r->errpath), "/tmp/dfsc-fault-%ld-%d-%ld.err", (long)getpid(),
           kind, nth);
  fflush(stdout);
  fflush(stderr);
  pid = fork();
  if (pid == 0) {
    FILE *e = freopen(r->errpath, "w", stderr);
    (void)e;
    child(kind, nth, fd);
  }
  r->pid = pid;
  r->kind = kind;
  r->nth = nth;
  clock_gettime(CLOCK_MONOTONIC, &r->t0);
  return pid;
}

static void show_err(const char *path) {
  FILE *f = fopen(path, "r");
  char line[512];
  int n = 0;
  if (f == NULL)
    return;
  while (fgets(line, sizeof(line), f) && n++ < 8)
    printf("#   %s", line);
  fclose(f);
}

struct tally {
  long runs, bad_runs, slow_runs, crashes, hangs, leaks, unclear;
  double max_s;
};

/* Judges one finished child. */
static void judge(struct run *r, int status, struct tally *t) {
  double s = secs_since(&r->t0);
  int fail = 0;
  t->runs++;
  if (s > t->max_s)
    t->max_s = s;
  if (WIFSIGNALED(status)) {
    printf("# FAIL %s:%ld: killed by signal %d\n", kind_name(r->kind), r->nth,
           WTERMSIG(status));
    t->crashes++;
    fail = 1;
  } else if (WEXITSTATUS(status) != 0) {
    int b = WEXITSTATUS(status);
    printf("# FAIL %s:%ld:%s%s%s\n", kind_name(r->kind), r->nth,
           (b & BAD_ERROR) ? " unclear error" : "", (b & BAD_LEAK) ? " leak" : "",
           (b & BAD_DATA) ? " wrong read length" : "");
    if (b & BAD_LEAK)
      t->leaks++;
    if (b & BAD_ERROR)
      t->unclear++;
    fail = 1;
  } else if (s * 1000 > SLOW_MS) {
    printf("# %s:%ld took %.1f s (ended by a deadline)\n", kind_name(r->kind), r->nth, s);
    t->slow_runs++;
  }
  if (fail) {
    t->bad_runs++;
    show_err(r->errpath);
  }
  unlink(r->errpath);
}

/* Runs the session for each N in the list, PAR at a time. */
static void sweep(int kind, const long *ns, long count, struct tally *t) {
  struct run runs[PAR];
  long next = 0;
  int active = 0, i;
  memset(runs, 0, sizeof(runs));
  while (next < count || active > 0) {
    for (i = 0; i < PAR && next < count; i++) {
      if (runs[i].pid != 0)
        continue;
      if (spawn(kind, ns[next++], -1, &runs[i]) > 0)
        active++;
      else
        runs[i].pid = 0;
    }
    for (i = 0; i < PAR; i++) {
      int status;
      pid_t p;
      if (runs[i].pid == 0)
        continue;
      p = waitpid(runs[i].pid, &status, WNOHANG);
      if (p == 0 && secs_since(&runs[i].t0) > RUN_BOUND_S) {
        kill(runs[i].pid, SIGKILL);
        waitpid(runs[i].pid, &status, 0);
        printf("# FAIL %s:%ld: still running after %d s (hang)\n", kind_name(kind),
               runs[i].nth, RUN_BOUND_S);
        t->hangs++;
        t->bad_runs++;
        t->runs++;
        show_err(runs[i].errpath);
        unlink(runs[i].errpath);
        runs[i].pid = 0;
        active--;
      } else if (p == runs[i].pid) {
        judge(&runs[i], status, t);
        runs[i].pid = 0;
        active--;
      }
    }
    usleep(2000);
  }
}

/* The Ns to try for a kind with `total` operations: every one up to `every`,
 * then a stride keeping the count near `every` more. */
static long *plan(long total, long every, long *count, long *stride) {
  long *ns = malloc(sizeof(long) * (size_t)(2 * every + 2));
  long n = 0, i;
  *stride = 1;
  if (ns == NULL)
    return NULL;
  for (i = 1; i <= total && i <= every; i++)
    ns[n++] = i;
  if (total > every) {
    *stride = (total - every) / every + 1;
    for (i = every + *stride; i <= total; i += *stride)
      ns[n++] = i;
  }
  /* One past the end: the session needs no more than counted. */
  ns[n++] = total + 1;
  *count = n;
  return ns;
}

int main(void) {
  const char *envf = getenv("DFSC_TESTBED_ENV");
  const char *ev = getenv("DFSC_FAULT_EVERY_MAX");
  long every = ev ? atol(ev) : 3000;
  long counts[4] = {0};
  int pfd[2], status, k;
  struct run r0;
  time_t start = time(NULL);

  setvbuf(stdout, NULL, _IOLBF, 0);
  if (envf == NULL) {
    fprintf(stderr, "DFSC_TESTBED_ENV not set: start the testbed\n");
    return 1;
  }
  E.user = env_get(envf, "DFSC_TB_USER");
  E.pass = env_get(envf, "DFSC_TB_PASS");
  E.fs1 = env_get(envf, "DFSC_TB_FS1");
  E.resolve = env_get(envf, "DFSC_TB_RESOLVE_ARGS");
  E.scratch_dir = env_get(envf, "DFSC_TB_FS1_SCRATCH_DIR");
  if (!E.user || !E.pass || !E.fs1 || !E.resolve) {
    fprintf(stderr, "testbed environment incomplete\n");
    return 1;
  }
  resolve = resolve_list(E.resolve);
  if (every < 1)
    every = 1;

  /* DFSC_FAULT_ONLY=alloc:N or sock:N: one run in this process, with the
   * origin of every block still live at the end (for chasing a leak). */
  if (getenv("DFSC_FAULT_ONLY") != NULL) {
    const char *o = getenv("DFSC_FAULT_ONLY");
    traces = calloc(TRACE_SLOTS, sizeof(*traces));
    if (traces == NULL)
      return 1;
    child(strncmp(o, "alloc:", 6) == 0 ? DFSC_FAULT_ALLOC : DFSC_FAULT_SOCK,
          atol(strchr(o, ':') ? strchr(o, ':') + 1 : o), -1);
  }

  /* 1. The counting run: every operation succeeds. */
  if (pipe(pfd) != 0)
    return 1;
  spawn(-1, 0, pfd[1], &r0);
  close(pfd[1]);
  if (read(pfd[0], counts, sizeof(counts)) != (ssize_t)sizeof(counts))
    memset(counts, 0, sizeof(counts));
  close(pfd[0]);
  waitpid(r0.pid, &status, 0);
  check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
        "counting run: %ld operations, all succeed, nothing live after ctx_free (status "
        "0x%x)",
        counts[2], status);
  if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0))
    show_err(r0.errpath);
  unlink(r0.errpath);
  check(counts[0] > 0 && counts[1] > 0, "counted %ld allocations and %ld socket operations",
        counts[0], counts[1]);
  if (counts[0] <= 0 || counts[1] <= 0)
    goto out;

  /* 2. Every N of each kind. */
  for (k = 0; k < 2; k++) {
    int kind = k == 0 ? DFSC_FAULT_ALLOC : DFSC_FAULT_SOCK;
    long total = counts[k], n, stride;
    long *ns = plan(total, every, &n, &stride);
    struct tally t;
    time_t t0 = time(NULL);
    memset(&t, 0, sizeof(t));
    if (ns == NULL)
      return 1;
    sweep(kind, ns, n, &t);
    free(ns);
    printf("# %s: %ld runs (every N up to %ld%s, of %ld) in %ld s, slowest %.1f s, "
           "%ld ended by a deadline\n",
           kind_name(kind), t.runs, total < every ? total : every,
           stride > 1 ? ", then a stride" : "", total, (long)(time(NULL) - t0), t.max_s,
           t.slow_runs);
    if (stride > 1)
      printf("# %s: stride %ld past N=%ld\n", kind_name(kind), stride, every);
    check(t.crashes == 0, "%s faults: no crash (%ld)", kind_name(kind), t.crashes);
    check(t.hangs == 0, "%s faults: no hang past %d s (%ld)", kind_name(kind), RUN_BOUND_S,
          t.hangs);
    check(t.leaks == 0, "%s faults: nothing live after ctx_free (%ld runs leaked)",
          kind_name(kind), t.leaks);
    check(t.unclear == 0, "%s faults: every failure a known error (%ld runs not)",
          kind_name(kind), t.unclear);
    check(t.bad_runs == 0, "%s faults: all %ld runs clean (%ld not)", kind_name(kind),
          t.runs, t.bad_runs);
  }

out:
  /* Files a run's write left when a fault hit between create and unlink. */
  if (E.scratch_dir != NULL) {
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "rm -f %s/fault-%ld-*.bin", E.scratch_dir, (long)getpid());
    if (system(cmd) != 0)
      fprintf(stderr, "could not clean %s\n", E.scratch_dir);
  }
  printf("# total %ld s\n", (long)(time(NULL) - start));
  printf("%d passed, %d failed\n", passed, failed);
  free(E.user);
  free(E.pass);
  free(E.fs1);
  free(E.resolve);
  free(E.scratch_dir);
  return failed == 0 ? 0 : 1;
}
