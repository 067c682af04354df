/* Leases against the real testbed's durfs (leases and durable handles on),
 * with smbclient as the other client:
 *   round 0: dfsc holds a file open for reading with a read lease (R|H);
 *      smbclient overwrites it: the server breaks the lease to none, the
 *      callback returns 0 (acknowledged at once), and a read through the
 *      handle returns smbclient's bytes;
 *   round 1: dfsc holds it open for writing (R|W|H): smbclient's open
 *      makes the server break the lease and wait for the acknowledgement;
 *      the callback defers it, smbclient waits, and completes once
 *      dfsc_lease_break_done is called (well before the server's 35 s
 *      break timeout);
 *   round 2: the same with a callback that never calls
 *      dfsc_lease_break_done: the library acknowledges after its 5 s
 *      bound (lease_acks_late) and smbclient completes then.
 * Prints one line per check and "N passed, N failed". */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dfsc/dfsc-sync.h"
#include "dfsc/dfsc.h"
#include "testlib.h"

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct brk {
  int seen;
  int ack;
  unsigned old_state, new_state;
  uint64_t token;
  int defer;
};
static struct brk last;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static int on_break(void *arg, const dfsc_lease_break *b) {
  int defer;
  (void)arg;
  pthread_mutex_lock(&mu);
  last.seen++;
  last.old_state = b->old_state;
  last.new_state = b->new_state;
  last.token = b->token;
  last.ack = b->ack_required;
  defer = last.defer;
  pthread_mutex_unlock(&mu);
  return defer;
}

struct writer {
  char cmd[2048];
  int rc;
  uint64_t done_ms;
  volatile int done;
};

static void *run_writer(void *arg) {
  struct writer *w = arg;
  w->rc = system(w->cmd);
  w->done_ms = now_ms();
  __atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
  return NULL;
}

static int wait_seen(int n, unsigned ms) {
  uint64_t end = now_ms() + ms;
  int s;
  for (;;) {
    pthread_mutex_lock(&mu);
    s = last.seen;
    pthread_mutex_unlock(&mu);
    if (s >= n || now_ms() > end)
      return s >= n;
    usleep(10000);
  }
}

static int wait_done(struct writer *w, unsigned ms) {
  uint64_t end = now_ms() + ms;
  while (!__atomic_load_n(&w->done, __ATOMIC_ACQUIRE) && now_ms() < end)
    usleep(10000);
  return __atomic_load_n(&w->done, __ATOMIC_ACQUIRE);
}

static uint64_t stat_lease(dfsc_ctx *ctx, int which) {
  dfsc_stats st;
  dfsc_stats_get(ctx, &st);
  return which == 0 ? st.lease_breaks : which == 1 ? st.lease_acks : st.lease_acks_late;
}

int main(void) {
  const char *envf = getenv("DFSC_TESTBED_ENV");
  char *user, *pass, *srv, *dir, *tbdir;
  char path[256], src[256];
  char buf[64];
  dfsc_opts o;
  dfsc_ctx *ctx = NULL;
  dfsc_file *f = NULL;
  dfsc_result res;
  struct writer w;
  pthread_t th;
  long long n;
  FILE *fp;
  int rc, round;
  (void)dir;

  if (envf == NULL) {
    fprintf(stderr, "DFSC_TESTBED_ENV not set: start the testbed\n");
    return 1;
  }
  user = env_get(envf, "DFSC_TB_USER");
  pass = env_get(envf, "DFSC_TB_PASS");
  srv = env_get(envf, "DFSC_TB_DURFS");
  dir = env_get(envf, "DFSC_TB_DURFS_SCRATCH_DIR");
  tbdir = env_get(envf, "DFSC_TB_DIR");
  if (!user || !pass || !srv || !dir) {
    fprintf(stderr, "testbed environment incomplete (durfs)\n");
    return 1;
  }
  if (tbdir == NULL || tb_lock_durfs(tbdir) < 0)
    printf("# warning: durrelay's test lock not had; going on without it\n");
  snprintf(path, sizeof(path), "//%s/scratch/lease-%d", srv, (int)getpid());
  snprintf(src, sizeof(src), "/tmp/lease-src-%d", (int)getpid());

  dfsc_opts_init(&o);
  o.user = user;
  o.password = pass;
  rc = dfsc_ctx_new(&o, &ctx);
  check(rc == 0, "context created (%d)", rc);
  if (rc != 0)
    return 1;
  check(dfsc_set_lease_break_cb(NULL, on_break, NULL) == -EINVAL,
        "dfsc_set_lease_break_cb(NULL) is -EINVAL");
  check(dfsc_lease_break_done(ctx, 0) == -EINVAL, "token 0 is -EINVAL");
  check(dfsc_set_lease_break_cb(ctx, on_break, NULL) == 0, "break callback set");

  for (round = 0; round < 3; round++) {
    const char *text = round == 0   ? "version one of the file\n"
                       : round == 1 ? "version two!\n"
                                    : "version three, longer than two\n";
    /* Written through dfsc, so the server's user owns it (smbclient
     * must be allowed to overwrite it). */
    rc = dfsc_open(ctx, path, DFSC_O_WRONLY | DFSC_O_CREAT | DFSC_O_TRUNC, &f, &res);
    if (rc == 0) {
      const char *first = "the first words, as dfsc opened them\n";
      dfsc_write(f, first, strlen(first), 0, &res);
      dfsc_close(f, &res);
    }
    fp = fopen(src, "w");
    if (fp != NULL) {
      fputs(text, fp);
      fclose(fp);
    }
    rc = dfsc_open(ctx, path, round == 0 ? DFSC_O_RDONLY : DFSC_O_RDWR, &f, &res);
    check(rc == 0, "round %d: open %s for reading: %s", round, path, dfsc_err_name(rc));
    if (rc != 0)
      break;
    check((dfsc_file_lease(f) & DFSC_LEASE_READ) != 0,
          "round %d: a read lease is held: 0x%x", round, dfsc_file_lease(f));
    pthread_mutex_lock(&mu);
    last.seen = 0;
    last.defer = round > 0;
    pthread_mutex_unlock(&mu);
    memset(&w, 0, sizeof(w));
    snprintf(w.cmd, sizeof(w.cmd),
             "smbclient -s /dev/null //%s/scratch -U '%s%%%s' -c 'put %s lease-%d' "
             ">/dev/null 2>&1",
             srv, user, pass, src, (int)getpid());
    uint64_t t0 = now_ms();
    pthread_create(&th, NULL, run_writer, &w);
    check(wait_seen(1, 10000), "round %d: the server broke dfsc's lease", round);
    if (round == 0) {
      check((last.old_state & DFSC_LEASE_READ) && last.new_state == 0,
            "round 0: from 0x%x to 0x%x (acknowledged at once: the callback returned 0)",
            last.old_state, last.new_state);
      check(dfsc_file_lease(f) == 0, "round 0: dfsc_file_lease says so: 0x%x",
            dfsc_file_lease(f));
      check(wait_done(&w, 10000) && w.rc == 0, "round 0: smbclient's write completed (%d)",
            w.rc);
    } else {
      check((last.old_state & DFSC_LEASE_WRITE) && !(last.new_state & DFSC_LEASE_WRITE) &&
                last.ack,
            "round %d: from 0x%x to 0x%x, acknowledgement asked (%d)", round,
            last.old_state, last.new_state, last.ack);
      check(!(dfsc_file_lease(f) & DFSC_LEASE_WRITE),
            "round %d: dfsc_file_lease says so: 0x%x", round, dfsc_file_lease(f));
      usleep(500000);
      check(!__atomic_load_n(&w.done, __ATOMIC_ACQUIRE),
            "round %d: smbclient waits for the acknowledgement", round);
    }
    if (round == 1) {
      check(dfsc_lease_break_done(ctx, last.token) == 0, "round 1: break done");
      check(wait_done(&w, 10000) && w.rc == 0, "round 1: smbclient's write completed (%d)",
            w.rc);
      check(w.done_ms - t0 < 4500, "round 1: before the library's 5 s bound: %llu ms",
            (unsigned long long)(w.done_ms - t0));
    } else if (round == 2) {
      check(wait_done(&w, 20000) && w.rc == 0,
            "round 2: without break done, smbclient's write completed (%d)", w.rc);
      check(w.done_ms - t0 >= 4500 && w.done_ms - t0 < 15000,
            "round 2: after the library's 5 s bound: %llu ms",
            (unsigned long long)(w.done_ms - t0));
      check(stat_lease(ctx, 2) == 1, "round 2: lease_acks_late: %llu",
            (unsigned long long)stat_lease(ctx, 2));
    }
    pthread_join(th, NULL);
    memset(buf, 0, sizeof(buf));
    n = dfsc_read(f, buf, sizeof(buf) - 1, 0, &res);
    check(n == (long long)strlen(text) && strcmp(buf, text) == 0,
          "round %d: the handle reads smbclient's bytes: %lld \"%s\"", round, n, buf);
    dfsc_close(f, &res);
    f = NULL;
  }
  check(stat_lease(ctx, 0) >= 3 && stat_lease(ctx, 1) >= 2,
        "lease_breaks %llu, lease_acks %llu", (unsigned long long)stat_lease(ctx, 0),
        (unsigned long long)stat_lease(ctx, 1));
  dfsc_unlink(ctx, path, &res);
  unlink(src);
  dfsc_ctx_free(ctx);
  free(user);
  free(pass);
  free(srv);
  free(dir);
  free(tbdir);
  printf("%d passed, %d failed\n", passed, failed);
  return failed != 0;
}
