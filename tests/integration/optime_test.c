/* The whole-operation deadline and dfsc_cancel against the real testbed.
 * mutefs answers NEGOTIATE and then only STATUS_PENDING to SESSION_SETUP,
 * so an operation there waits for the setup deadline (20 s) unless its own
 * deadline or a cancel ends it first:
 *   - with dfsc_set_op_timeout(1500) a stat there answers DFSC_E_TIMEDOUT
 *     within a few seconds, counted in ops_timed_out;
 *   - dfsc_cancel(cb, a) answers the operations submitted with arg a at
 *     once with DFSC_E_CANCELED and leaves one with arg b to its deadline;
 *   - a stat on fs1 under the same short deadline still succeeds, and a
 *     mkdir + rmdir (requests that change the server) still complete;
 *   - freeing the context while cut operations still wait for their setup
 *     is clean (the sanitizer builds check it).
 * Prints one line per check and "N passed, N failed". */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dfsc/dfsc-sync.h"
#include "dfsc/dfsc.h"
#include "testlib.h"

struct slot {
  atomic_int done;
  int err;
  uint64_t at_ms;
};

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void slot_cb(const dfsc_result *res, void *arg) {
  struct slot *s = arg;
  s->err = res->err;
  s->at_ms = now_ms();
  atomic_store(&s->done, 1);
}

/* Waits up to ms for s; 1 when it completed. */
static int wait_slot(struct slot *s, unsigned ms) {
  uint64_t end = now_ms() + ms;
  while (!atomic_load(&s->done) && now_ms() < end)
    usleep(10000);
  return atomic_load(&s->done);
}

int main(void) {
  const char *envf = getenv("DFSC_TESTBED_ENV");
  char *user, *pass, *fs1, *mute, *slow;
  char mpath[256], fpath[256], dpath[256];
  struct slot a1, a2, b, t1, f1;
  dfsc_stats st;
  dfsc_result res;
  dfsc_stat_t sb;
  dfsc_opts o;
  dfsc_ctx *ctx = NULL;
  uint64_t t0;
  int rc;

  if (envf == NULL) {
    fprintf(stderr, "DFSC_TESTBED_ENV not set: start the testbed\n");
    return 1;
  }
  user = env_get(envf, "DFSC_TB_USER");
  pass = env_get(envf, "DFSC_TB_PASS");
  fs1 = env_get(envf, "DFSC_TB_FS1");
  mute = env_get(envf, "DFSC_TB_MUTE");
  slow = env_get(envf, "DFSC_TB_SLOW");
  if (!user || !pass || !fs1 || !mute) {
    fprintf(stderr, "testbed environment incomplete\n");
    return 1;
  }
  snprintf(mpath, sizeof(mpath), "//%s/data/file.txt", mute);
  snprintf(fpath, sizeof(fpath), "//%s/data", fs1);
  snprintf(dpath, sizeof(dpath), "//%s/data/optime-%d", fs1, (int)getpid());
  dfsc_opts_init(&o);
  o.user = user;
  o.password = pass;
  rc = dfsc_ctx_new(&o, &ctx);
  check(rc == 0, "context created (%d)", rc);
  if (rc != 0)
    return 1;

  check(dfsc_set_op_timeout(NULL, 1) == -EINVAL, "dfsc_set_op_timeout(NULL) is -EINVAL");
  check(dfsc_cancel(NULL, slot_cb, NULL) == -EINVAL, "dfsc_cancel(NULL) is -EINVAL");
  check(dfsc_cancel(ctx, NULL, NULL) == -EINVAL,
        "dfsc_cancel without a callback is -EINVAL");

  /* 1. The deadline ends a walk stuck in session setup. */
  check(dfsc_set_op_timeout(ctx, 1500) == 0, "op timeout 1500 ms");
  memset(&t1, 0, sizeof(t1));
  t0 = now_ms();
  rc = dfsc_stat_async(ctx, mpath, slot_cb, &t1);
  check(rc == 0, "stat on mutefs submitted (%d)", rc);
  check(wait_slot(&t1, 10000), "it completed within 10 s");
  check(t1.err == DFSC_E_TIMEDOUT, "with DFSC_E_TIMEDOUT: %s", dfsc_err_name(t1.err));
  check(t1.at_ms - t0 >= 1400 && t1.at_ms - t0 < 8000,
        "after its deadline, well before the 20 s setup deadline: %llu ms",
        (unsigned long long)(t1.at_ms - t0));

  /* 2. The same deadline leaves a healthy server alone, and requests that
   * change the server complete. */
  rc = dfsc_stat(ctx, fpath, &sb, &res);
  check(rc == 0, "stat on fs1 under the same deadline: %s", dfsc_err_name(rc));
  rc = dfsc_mkdir(ctx, dpath, &res);
  check(rc == 0, "mkdir on fs1: %s", dfsc_err_name(rc));
  rc = dfsc_rmdir(ctx, dpath, &res);
  check(rc == 0, "rmdir on fs1: %s", dfsc_err_name(rc));

  /* 3. Cancel reaches exactly the operations of its (cb, arg). */
  check(dfsc_set_op_timeout(ctx, 4000) == 0, "op timeout 4000 ms");
  memset(&a1, 0, sizeof(a1));
  memset(&a2, 0, sizeof(a2));
  memset(&b, 0, sizeof(b));
  rc = dfsc_stat_async(ctx, mpath, slot_cb, &a1);
  rc |= dfsc_stat_async(ctx, mpath, slot_cb, &b);
  check(rc == 0, "two stats on mutefs submitted");
  usleep(200000); /* both wait in session setup by now */
  /* a2 is the same arg as a1 for the cancel: a second op under a1's arg. */
  t0 = now_ms();
  rc = dfsc_cancel(ctx, slot_cb, &a1);
  check(rc == 0, "dfsc_cancel queued (%d)", rc);
  check(wait_slot(&a1, 2000), "the canceled stat completed within 2 s");
  check(a1.err == DFSC_E_CANCELED, "with DFSC_E_CANCELED: %s", dfsc_err_name(a1.err));
  check(!atomic_load(&b.done), "the other stat is still waiting");
  rc = wait_slot(&b, 10000);
  check(rc && b.err == DFSC_E_TIMEDOUT, "the other one ended at its deadline: %s",
        dfsc_err_name(b.err));
  rc = dfsc_cancel(ctx, slot_cb, &a2);
  check(rc == 0, "a cancel that reaches nothing is fine (%d)", rc);

  rc = dfsc_stats_get(ctx, &st);
  check(rc == 0 && st.ops_timed_out >= 2 && st.ops_canceled == 1,
        "stats: ops_timed_out %llu (>= 2), ops_canceled %llu (1)",
        (unsigned long long)st.ops_timed_out, (unsigned long long)st.ops_canceled);

  /* 5 (before 4, which frees the context). A large read through slowfs
   * (every chunk held 100 ms each way) canceled while its requests are out:
   * no further request goes, it ends with DFSC_E_CANCELED soon after, long
   * before the whole file could arrive, and the handle still reads. */
  if (slow != NULL) {
    dfsc_file *f = NULL;
    struct slot r1;
    size_t big = (size_t)64 << 20;
    uint8_t *buf = malloc(big);
    char spath[256];
    uint64_t tc;
    char small[16];
    snprintf(spath, sizeof(spath), "//%s/data/big.bin", slow);
    check(dfsc_set_op_timeout(ctx, 0) == 0, "op timeout back to the default");
    rc = buf == NULL ? -ENOMEM : dfsc_open(ctx, spath, DFSC_O_RDONLY, &f, &res);
    check(rc == 0, "open big.bin through slowfs: %s", dfsc_err_name(rc));
    if (rc == 0) {
      memset(&r1, 0, sizeof(r1));
      t0 = now_ms();
      rc = dfsc_read_async(f, buf, big, 0, slot_cb, &r1);
      check(rc == 0, "a 64 MiB read submitted (%d)", rc);
      usleep(400000);
      check(!atomic_load(&r1.done), "still reading after 400 ms");
      tc = now_ms();
      rc = dfsc_cancel(ctx, slot_cb, &r1);
      rc = rc == 0 && wait_slot(&r1, 20000);
      check(rc && r1.err == DFSC_E_CANCELED, "the read ended with DFSC_E_CANCELED: %s",
            dfsc_err_name(r1.err));
      check(rc && r1.at_ms - tc < 5000,
            "within 5 s of the cancel (%llu ms; the whole read took longer unbroken)",
            (unsigned long long)(r1.at_ms - tc));
      rc = (int)dfsc_read(f, small, sizeof(small), 0, &res);
      check(rc == (int)sizeof(small), "the handle still reads afterwards (%d)", rc);
      dfsc_close(f, NULL);
    }
    free(buf);
  }

  /* 4. Freed while cut operations still wait for their setup. */
  memset(&f1, 0, sizeof(f1));
  check(dfsc_set_op_timeout(ctx, 300) == 0, "op timeout 300 ms");
  rc = dfsc_stat_async(ctx, mpath, slot_cb, &f1);
  rc = rc == 0 && wait_slot(&f1, 5000);
  check(rc && f1.err == DFSC_E_TIMEDOUT, "a stat cut at 300 ms: %s", dfsc_err_name(f1.err));
  dfsc_ctx_free(ctx);
  check(1, "context freed with the cut operation still in session setup");
  free(user);
  free(pass);
  free(fs1);
  free(mute);
  free(slow);
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
